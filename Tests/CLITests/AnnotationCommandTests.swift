import Foundation
import Testing

/// `kb annotate`, `notes`, `annotation edit/rm`, re-anchoring after `kb edit`, and the three exports,
/// through the built binary.
@Suite("Annotation commands")
struct AnnotationCommandTests {
    /// A body with characters outside the BMP before the passages, a quote found twice, and passages
    /// that the edit below moves, changes by one character, and removes.
    static let body =
        "😀𠮷开头有表情。职工技能大赛在黄山举行，来自各地的选手参加比赛。组委会表示重点句子要标出来。"
        + "另一处也有重点句子，但上下文不同。这一段将会被整个删除掉的文字。最后一句话在这里结束。"

    /// The body after an edit: a sentence added in front, 黄山 → 泰山, one sentence removed.
    static let editedBody =
        "新加的第一句话。😀𠮷开头有表情。职工技能大赛在泰山举行，来自各地的选手参加比赛。组委会表示重点句子要标出来。"
        + "另一处也有重点句子，但上下文不同。最后一句话在这里结束。"

    /// A knowledge base with one article holding ``body``; returns it with the article id.
    static func article() throws -> (Replica, String) {
        let replica = Replica("notes", in: try TemporaryFolder())
        let added = try replica.object(["add", "--title", "测试文章"], stdin: Data(body.utf8))
        let id = try #require(added.string("id"))
        #expect(added.string("body") == body)
        return (replica, id)
    }

    /// Where `needle` occurs in `text`, in Unicode scalars (code points).
    static func scalarRanges(of needle: String, in text: String) -> [Range<Int>] {
        let haystack = Array(text.unicodeScalars)
        let pattern = Array(needle.unicodeScalars)
        guard !pattern.isEmpty, pattern.count <= haystack.count else { return [] }
        return (0...(haystack.count - pattern.count)).filter { Array(haystack[$0..<($0 + pattern.count)]) == pattern }
            .map { $0..<($0 + pattern.count) }
    }

    /// The JSON of every annotation, as bytes, to compare before and after a refused command.
    static func snapshot(_ replica: Replica) throws -> (String, String, Int?) {
        let notes = try replica.ok(["notes", "--json"]).stdout
        let status = try replica.status()
        return (notes, status.string("digest") ?? "", status.int("pending"))
    }

    // MARK: - Quotes

    @Test func annotate_quoteFoundTwice_exits1ListingOccurrences_andWritesNothing() throws {
        let (replica, id) = try Self.article()
        let before = try Self.snapshot(replica)
        let result = try replica.run(["annotate", id, "--quote", "重点句子"])
        #expect(result.exitCode == 1, "\(result)")
        let lines = result.stderrLines
        #expect(lines.first?.contains("2 times") == true, "\(result)")
        let occurrences = Self.scalarRanges(of: "重点句子", in: Self.body)
        #expect(occurrences.count == 2)
        for (index, range) in occurrences.enumerated() {
            #expect(
                lines.contains { $0.contains("\(index + 1): \(range.lowerBound):\(range.upperBound)") },
                "lists occurrence \(index + 1) at \(range):\n\(result)")
        }
        #expect(try Self.snapshot(replica) == before)
    }

    @Test func annotate_occurrencePrefixAndSuffix_chooseTheOccurrence() throws {
        let (replica, id) = try Self.article()
        let occurrences = Self.scalarRanges(of: "重点句子", in: Self.body)
        let second = try replica.object(["annotate", id, "--quote", "重点句子", "--occurrence", "2"])
        #expect(second.int("start") == occurrences[1].lowerBound)
        #expect(second.int("end") == occurrences[1].upperBound)
        let byPrefix = try replica.object(["annotate", id, "--quote", "重点句子", "--prefix", "组委会表示"])
        #expect(byPrefix.int("start") == occurrences[0].lowerBound)
        let bySuffix = try replica.object(["annotate", id, "--quote", "重点句子", "--suffix", "，但上下文"])
        #expect(bySuffix.int("start") == occurrences[1].lowerBound)
        // The prefix and suffix stored are the 32 code points around the quote.
        let scalars = Array(Self.body.unicodeScalars)
        let start = occurrences[1].lowerBound
        let prefix = String(String.UnicodeScalarView(scalars[max(0, start - 32)..<start]))
        #expect(second.string("prefix") == prefix)
        #expect(second.string("quote") == "重点句子")
        #expect(second.string("state") == "anchored")
        for key in ["id", "article_id", "quote", "prefix", "suffix", "start", "end", "note", "tags", "state"] {
            #expect(second[key] != nil, "kb annotate --json lacks '\(key)'")
        }
        #expect(second.string("article_id") == id)

        let tooFar = try replica.run(["annotate", id, "--quote", "重点句子", "--occurrence", "3"])
        #expect(tooFar.exitCode != 0, "\(tooFar)")
        #expect(tooFar.hasOneSentenceError, "\(tooFar)")
        let noContext = try replica.run(["annotate", id, "--quote", "重点句子", "--prefix", "不存在的上下文"])
        #expect(noContext.exitCode == 1, "\(noContext)")
        #expect(try replica.array(["notes"]).count == 3)
    }

    // MARK: - Ranges in code points

    @Test func annotate_range_countsUnicodeScalars_afterEmojiAndExtensionB() throws {
        let (replica, id) = try Self.article()
        let quote = "职工技能大赛在黄山举行"
        let range = try #require(Self.scalarRanges(of: quote, in: Self.body).first)
        // 😀 and 𠮷 are one code point each, two UTF-16 units each: offsets in UTF-16 would be 2 larger.
        #expect(range.lowerBound == 8)
        #expect(Self.body.utf16.count - Self.body.unicodeScalars.count == 2)

        let byRange = try replica.object(["annotate", id, "--range", "\(range.lowerBound):\(range.upperBound)"])
        #expect(byRange.string("quote") == quote)
        #expect(byRange.int("start") == range.lowerBound)
        #expect(byRange.int("end") == range.upperBound)
        #expect(byRange.string("prefix") == "😀𠮷开头有表情。")

        let byQuote = try replica.object(["annotate", id, "--quote", quote])
        #expect(byQuote.int("start") == range.lowerBound)
        #expect(byQuote.int("end") == range.upperBound)

        // The first and the last code points can be highlighted.
        let count = Self.body.unicodeScalars.count
        let first = try replica.object(["annotate", id, "--range", "0:1"])
        #expect(first.string("quote") == "😀")
        let last = try replica.object(["annotate", id, "--range", "\(count - 1):\(count)"])
        #expect(last.string("quote") == "。")
        let whole = try replica.object(["annotate", id, "--range", "0:\(count)"])
        #expect(whole.string("quote") == Self.body)
    }

    // MARK: - Notes, tags, colors

    @Test func annotate_noteFromStdin_repeatedTags_color_andWholeArticleNote() throws {
        let (replica, id) = try Self.article()
        let highlight = try replica.object(
            [
                "annotate", id, "--quote", "最后一句话", "--note", "-", "--tag", "总结", "--tag", "topic/sub", "--color",
                "yellow",
            ], stdin: Data("一条**Markdown**笔记\n第二行\n".utf8))
        #expect(highlight.string("note") == "一条**Markdown**笔记\n第二行", "the final newline of stdin is not kept")
        #expect(Set(highlight["tags"] as? [String] ?? []) == ["总结", "topic/sub"])
        #expect(highlight.string("color") == "yellow")

        let whole = try replica.object(["annotate", id, "--note", "整篇文章的笔记"])
        #expect(whole.string("quote") == "")
        #expect(whole["start"] is NSNull)
        #expect(whole["end"] is NSNull)
        #expect(whole.string("note") == "整篇文章的笔记")

        let neither = try replica.run(["annotate", id])
        #expect(neither.exitCode == 64, "\(neither)")
        #expect(neither.hasOneSentenceError, "\(neither)")

        // Notes and quotes are searchable; such a hit names the annotation.
        let hits = try replica.array(["search", "整篇文章的笔记"])
        let hit = try #require(hits.first { $0.string("annotation_id") == whole.string("id") }, "\(hits)")
        #expect(hit.string("id") == id)
    }

    @Test func notes_filterByArticle_tag_andOrphaned() throws {
        let (replica, id) = try Self.article()
        let other = try replica.object(["add", "--title", "另一篇"], stdin: Data("另一篇文章的正文内容。".utf8))
        let otherID = try #require(other.string("id"))
        let a = try replica.object(["annotate", id, "--quote", "最后一句话", "--tag", "甲"])
        let b = try replica.object(["annotate", id, "--quote", "这一段将会被整个删除掉的文字", "--tag", "乙"])
        let c = try replica.object(["annotate", otherID, "--quote", "正文内容", "--tag", "甲"])
        let ids = { (list: [[String: Any]]) in Set(list.compactMap { $0.string("id") }) }

        #expect(ids(try replica.array(["notes"])) == Set([a, b, c].compactMap { $0.string("id") }))
        #expect(ids(try replica.array(["notes", id])) == Set([a, b].compactMap { $0.string("id") }))
        #expect(
            ids(try replica.array(["notes", String(otherID.prefix(6))])) == Set([c.string("id")].compactMap { $0 }))
        #expect(ids(try replica.array(["notes", "--tag", "甲"])) == Set([a, c].compactMap { $0.string("id") }))
        #expect(ids(try replica.array(["notes", id, "--tag", "甲"])) == Set([a.string("id")].compactMap { $0 }))
        #expect(try replica.array(["notes", "--orphaned"]).isEmpty)
        let none = try replica.ok(["notes", "--orphaned"])
        #expect(none.stdout.contains("No orphaned annotations"), "\(none)")

        let body = try replica.folder.write("edited.txt", Self.editedBody)
        try replica.ok(["edit", id, "--body-file", body])
        #expect(ids(try replica.array(["notes", "--orphaned"])) == Set([b.string("id")].compactMap { $0 }))
        let human = try replica.ok(["notes", "--orphaned"])
        #expect(human.stdout.contains("orphaned"), "\(human)")
        #expect(human.stdout.contains("这一段将会被整个删除掉的文字"), "\(human)")
    }

    // MARK: - Show

    @Test func show_withoutATerminal_marksHighlightsAndNumbersNotes() throws {
        let (replica, id) = try Self.article()
        try replica.ok(["annotate", id, "--quote", "职工技能大赛在黄山举行", "--note", "第一条笔记"])
        try replica.ok(["annotate", id, "--quote", "最后一句话在这里结束", "--tag", "结尾"])
        try replica.ok(["annotate", id, "--note", "关于整篇"])
        let shown = try replica.ok(["show", id])
        let text = shown.stdout
        #expect(!hasANSIEscape(text))
        #expect(text.contains("😀𠮷开头有表情。[职工技能大赛在黄山举行][1]，"), "\(shown)")
        #expect(text.contains("[最后一句话在这里结束][2]。"), "\(shown)")
        #expect(text.contains("[1] “职工技能大赛在黄山举行”"), "\(shown)")
        #expect(text.contains("    第一条笔记"), "\(shown)")
        #expect(text.contains("[2] “最后一句话在这里结束”"), "\(shown)")
        #expect(text.contains("    #结尾"), "\(shown)")
        #expect(text.contains("[3] (on the whole article)"), "\(shown)")
        #expect(text.contains("    关于整篇"), "\(shown)")

        let json = try replica.object(["show", id])
        let annotations = try #require(json["annotations"] as? [[String: Any]])
        #expect(annotations.count == 3)
    }

    /// The id that `kb annotate`, `kb notes` and `kb show` print is one the other commands accept.
    @Test func humanOutput_printsAnnotationIdsThatTheOtherCommandsAccept() throws {
        let (replica, id) = try Self.article()
        var printed: [String] = []
        for quote in ["职工技能大赛", "组委会表示", "最后一句话"] {
            let result = try replica.ok(["annotate", id, "--quote", quote])
            let shown = try #require(result.stdout.split(separator: " ").last)
            printed.append(shown.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let all = try replica.array(["notes"]).compactMap { $0.string("id") }
        for prefix in printed {
            #expect(all.filter { $0.hasPrefix(prefix) }.count == 1, "'\(prefix)' names one annotation of \(all)")
            let edited = try replica.run(["annotation", "edit", prefix, "--note", "改"])
            #expect(edited.succeeded, "\(edited)")
        }
        let listed = try replica.ok(["notes"]).stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(listed.count == 3)
        for prefix in listed {
            #expect(all.filter { $0.hasPrefix(prefix) }.count == 1, "'\(prefix)' from kb notes names one annotation")
        }
    }

    // MARK: - Re-anchoring

    @Test func editBody_reanchors_reportsCounts_andMovesPositions() throws {
        let (replica, id) = try Self.article()
        let moved = try replica.object(["annotate", id, "--quote", "最后一句话在这里结束", "--note", "移动"])
        let changed = try replica.object(["annotate", id, "--quote", "职工技能大赛在黄山举行"])
        let removed = try replica.object(["annotate", id, "--quote", "这一段将会被整个删除掉的文字"])
        let file = try replica.folder.write("edited.txt", Self.editedBody)

        let report = try replica.object(["edit", id, "--body-file", file])
        #expect(report.string("id") == id)
        #expect(report.int("reanchored") == 1, "\(report)")
        #expect(report.int("fuzzy") == 1, "\(report)")
        #expect(report.int("orphaned") == 1, "\(report)")

        let notes = Dictionary(
            uniqueKeysWithValues: try replica.array(["notes", id]).map { ($0.string("id") ?? "", $0) })
        let movedNow = try #require(notes[moved.string("id") ?? ""])
        let newRange = try #require(Self.scalarRanges(of: "最后一句话在这里结束", in: Self.editedBody).first)
        #expect(movedNow.string("state") == "anchored")
        #expect(movedNow.int("start") == newRange.lowerBound)
        #expect(movedNow.int("end") == newRange.upperBound)
        #expect(movedNow.string("note") == "移动")
        let changedNow = try #require(notes[changed.string("id") ?? ""])
        #expect(changedNow.string("state") == "fuzzy")
        let fuzzyRange = try #require(Self.scalarRanges(of: "职工技能大赛在泰山举行", in: Self.editedBody).first)
        #expect(changedNow.int("start") == fuzzyRange.lowerBound)
        #expect(changedNow.string("quote") == "职工技能大赛在黄山举行", "the quote as made is kept")
        let removedNow = try #require(notes[removed.string("id") ?? ""])
        #expect(removedNow.string("state") == "orphaned")
        #expect(removedNow["start"] is NSNull)

        let human = try replica.ok(["edit", id, "--title", "改过的标题"])
        #expect(human.stdout.contains("Edited"), "\(human)")
        let status = try replica.status()
        #expect(status.int("orphaned") == 1)
        #expect(status.int("annotations") == 3)
    }

    // MARK: - Edit and delete

    @Test func annotationEdit_andRemove() throws {
        let (replica, id) = try Self.article()
        let made = try replica.object(["annotate", id, "--quote", "最后一句话", "--note", "旧笔记", "--tag", "旧"])
        let annotationID = try #require(made.string("id"))
        let edited = try replica.object(
            ["annotation", "edit", annotationID, "--note", "新笔记", "--tag", "新", "--untag", "旧", "--color", "blue"])
        #expect(edited.string("note") == "新笔记")
        #expect(edited["tags"] as? [String] == ["新"])
        #expect(edited.string("color") == "blue")
        let fromStdin = try replica.object(
            ["annotation", "edit", String(annotationID.prefix(20)), "--note", "-"], stdin: Data("来自标准输入\n".utf8))
        #expect(fromStdin.string("note") == "来自标准输入")
        let listed = try #require(try replica.array(["notes"]).first)
        #expect(listed.string("note") == "来自标准输入")
        #expect(listed["tags"] as? [String] == ["新"])
        #expect(try replica.array(["notes", "--tag", "旧"]).isEmpty)

        let nothing = try replica.run(["annotation", "edit", annotationID])
        #expect(nothing.exitCode == 64, "\(nothing)")

        let removed = try replica.object(["annotation", "rm", annotationID])
        #expect(removed.string("id") == annotationID)
        #expect(try replica.array(["notes"]).isEmpty)
        #expect(try replica.status().int("annotations") == 0)
        let again = try replica.run(["annotation", "rm", annotationID])
        #expect(again.exitCode == 1, "\(again)")
        #expect(again.stderr.contains(annotationID), "\(again)")
    }

    // MARK: - Bad input

    static let refused: [(arguments: [String], exitCode: Int32)] = [
        (["annotate", "ffffffff", "--quote", "最后一句话"], 1),
        (["annotate", "ARTICLE", "--quote", "文章里没有这句话"], 1),
        (["annotate", "ARTICLE", "--range", "0:9999"], 64),
        (["annotate", "ARTICLE", "--range", "12:5"], 64),
        (["annotate", "ARTICLE", "--range", "7:7"], 64),
        (["annotate", "ARTICLE", "--range=-3:5"], 64),
        (["annotate", "ARTICLE", "--range", "five:six"], 64),
        (["annotate", "ARTICLE", "--quote", ""], 64),
        (["annotate", "ARTICLE", "--quote", "   "], 64),
        (["annotate", "ARTICLE", "--quote", "最后一句话", "--range", "0:3"], 64),
        (["annotate", "ARTICLE", "--occurrence", "1", "--note", "x"], 64),
        (["annotation", "edit", "ffffffff", "--note", "x"], 1),
        (["annotation", "rm", "ffffffff"], 1),
    ]

    @Test(arguments: refused)
    func badInput_oneSentence_nonzeroExit_nothingWritten(arguments: [String], exitCode: Int32) throws {
        let (replica, id) = try Self.article()
        try replica.ok(["annotate", id, "--quote", "组委会表示", "--note", "已有的笔记"])
        let before = try Self.snapshot(replica)
        let result = try replica.run(arguments.map { $0 == "ARTICLE" ? id : $0 })
        #expect(result.exitCode == exitCode, "\(result)")
        #expect(result.hasOneSentenceError, "one sentence on stderr:\n\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        if arguments.contains("ffffffff") {
            #expect(result.stderr.contains("'ffffffff'"), "names the id:\n\(result)")
            #expect(
                !result.stderr.contains("kb list") || arguments[0] == "annotate",
                "points to the right command:\n\(result)")
        }
        #expect(try Self.snapshot(replica) == before, "nothing written")
    }

    // MARK: - Exports

    /// A knowledge base with the seed page, an article with emoji, annotations with notes, tags and
    /// colors, a whole-article note, an orphan, and a deleted article.
    static func richKnowledgeBase() throws -> (Replica, String) {
        let (replica, id) = try article()
        try replica.ok(["import", try TestPaths.fixture("seed_page.txt").path])
        try replica.ok(["annotate", id, "--quote", "职工技能大赛在黄山举行", "--note", "带😀的笔记", "--tag", "topic/sub"])
        try replica.ok(["annotate", id, "--quote", "这一段将会被整个删除掉的文字", "--color", "pink"])
        try replica.ok(["annotate", id, "--range", "0:2", "--tag", "表情"])
        try replica.ok(["annotate", id, "--note", "整篇的笔记\n\n第二段"])
        try replica.ok(["tag", id, "测试", "Project/Alpha"])
        let seedArticle = try #require(
            try replica.array(["search", "记者陈华"]).first?.string("id"), "the seed page is imported")
        try replica.ok(["annotate", seedArticle, "--quote", "非遗技艺交流活动", "--note", "seed note"])
        let doomed = try replica.object(["add", "--title", "将被删除"], stdin: Data("这篇会被删除。".utf8))
        try replica.ok(["annotate", try #require(doomed.string("id")), "--quote", "会被删除"])
        try replica.ok(["rm", try #require(doomed.string("id"))])
        try replica.ok(["edit", id, "--body-file", try replica.folder.write("edited.txt", Self.editedBody)])
        return (replica, id)
    }

    @Test func exportJSON_importIntoEmpty_exportAgain_isByteIdentical() throws {
        let (replica, _) = try Self.richKnowledgeBase()
        let dump = replica.folder.path("dump.json")
        let written = try replica.ok(["export", "--format", "json", "--out", dump])
        #expect(written.stdout.isEmpty)
        let first = try Data(contentsOf: URL(fileURLWithPath: dump))
        let stdout = try replica.ok(["export", "--format", "json"]).stdoutData
        #expect(stdout == first, "--out and stdout give the same dump")

        let parsed = try #require(try JSONSerialization.jsonObject(with: first) as? [String: Any])
        #expect((parsed["articles"] as? [Any])?.count == 10, "live articles only")
        #expect((parsed["annotations"] as? [Any])?.count == 5)
        #expect((parsed["sources"] as? [Any])?.count == 1)
        #expect(!String(decoding: first, as: UTF8.self).contains("将被删除"))

        let restored = Replica("restored", in: replica.folder)
        let imported = try restored.object(["import", dump])
        #expect(imported.int("added") == 1, "\(imported)")
        let second = try restored.ok(["export", "--format", "json"]).stdoutData
        #expect(second == first, "export → import → export is byte-identical")
        if second != first {
            try restored.folder.write("dump2.json", second)
        }
        #expect(try restored.array(["notes"]).count == 5)
        #expect(try restored.array(["notes", "--orphaned"]).count == 1)

        // Importing it again adds nothing (annotations are keyed by id).
        let again = try restored.object(["import", dump])
        #expect(again.int("unchanged") == 1 && again.int("added") == 0, "\(again)")
        #expect((again["articles"] as? [Any])?.count == 10, "an unchanged file still lists its articles")
        #expect(try restored.array(["notes"]).count == 5)
        #expect(try restored.ok(["export", "--format", "json"]).stdoutData == first)
    }

    /// `python3 validate.py` from Fixtures/w3c-annotation; fails clearly when python3 or jsonschema is missing.
    static func validateW3C(_ arguments: [String]) throws -> ProcessResult {
        let python = try TestPaths.python3()
        let folder = try TestPaths.fixture("w3c-annotation")
        let check = try ChildProcess(
            python, ["-c", "import jsonschema, referencing"], environment: KBRunner.environment()
        ).finish(timeout: 60)
        let missing = """
            python3 lacks the jsonschema package (>= 4.18) that the W3C validator needs; \
            run 'make deps' or 'python3 -m pip install jsonschema':
            \(check)
            """
        try #require(check.succeeded, Comment(rawValue: missing))
        return try ChildProcess(
            python, [folder.appendingPathComponent("validate.py").path] + arguments,
            environment: KBRunner.environment()
        ).finish(timeout: 120)
    }

    @Test func exportW3C_passesTheW3CValidator() throws {
        let (replica, _) = try Self.richKnowledgeBase()
        let file = replica.folder.path("annotations.jsonld")
        try replica.ok(["export", "--format", "w3c", "--out", file])
        let collection = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        #expect(collection["type"] as? String == "AnnotationCollection")
        #expect((collection["total"] as? NSNumber)?.intValue == 5)

        let result = try Self.validateW3C([file, "--kb-extra"])
        #expect(result.succeeded, "the W3C validator refused the export:\n\(result)")
        #expect(result.stdout.contains("0 failed"), "\(result)")

        // The validator does catch a broken selector here (start after end).
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let broken = try #require(text.range(of: "\"start\" : "))
        var tampered = text
        tampered.replaceSubrange(broken, with: "\"start\" : 99999, \"was\" : ")
        let tamperedFile = try replica.folder.write("tampered.jsonld", tampered)
        let refused = try Self.validateW3C([tamperedFile, "--kb-extra"])
        #expect(refused.exitCode == 1, "the validator must refuse start > end:\n\(refused)")
    }

    @Test func exportW3C_selectorsMatchTheArticleText_inCodePoints() throws {
        let (replica, id) = try Self.article()
        try replica.ok(["annotate", id, "--quote", "职工技能大赛在黄山举行", "--note", "笔记"])
        try replica.ok(["annotate", id, "--quote", "重点句子", "--occurrence", "2", "--tag", "重点"])
        try replica.ok(["annotate", id, "--range", "0:1"])
        let count = Self.body.unicodeScalars.count
        try replica.ok(["annotate", id, "--range", "\(count - 10):\(count)"])
        let file = replica.folder.path("one.jsonld")
        try replica.ok(["export", "--format", "w3c", "--out", file])
        let body = try replica.folder.write("body.txt", try #require(try replica.object(["show", id]).string("body")))
        let result = try Self.validateW3C([file, "--kb-extra", "--text", body])
        #expect(result.succeeded, "selectors must select the quote in code points:\n\(result)")
    }

    @Test func exportMarkdown_frontMatter_blockQuotes_andCodePointLinks() throws {
        let (replica, id) = try Self.richKnowledgeBase()
        let out = replica.folder.path("markdown")
        let needsOut = try replica.run(["export", "--format", "markdown"])
        #expect(needsOut.exitCode == 64, "\(needsOut)")

        try replica.ok(["export", "--format", "markdown", "--out", out])
        let names = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".md") }
        #expect(names.count == 10, "one file per live article: \(names)")
        var byID: [String: String] = [:]
        for name in names {
            let text = try String(contentsOfFile: "\(out)/\(name)", encoding: .utf8)
            #expect(text.hasPrefix("---\nid: \""), "front matter first in \(name)")
            let idLine = text.split(separator: "\n")[1]
            byID[String(idLine.dropFirst(5).dropLast())] = text
        }
        let text = try #require(byID[id], "the article's file, found by the id in its front matter")
        let frontMatter = try #require(text.components(separatedBy: "\n---\n").first)
        #expect(frontMatter.contains("title: \"测试文章\""))
        #expect(frontMatter.contains("tags: ["))
        #expect(frontMatter.contains("\"Project/Alpha\""), "tags as written")
        #expect(frontMatter.contains("created: "))

        for note in try replica.array(["notes", id]) {
            let quote = try #require(note.string("quote"))
            if quote.isEmpty {
                #expect(text.contains("整篇的笔记\n\n第二段"))
                continue
            }
            #expect(text.contains("> \(quote)\n"), "the quote '\(quote)' as a block quote")
            if let start = note.int("start"), let end = note.int("end") {
                #expect(text.contains("(kb://article/\(id)#cp=\(start)-\(end))"), "a link to \(start)-\(end)")
            } else {
                #expect(note.string("state") == "orphaned")
                #expect(text.contains("(orphaned)](kb://article/\(id))"))
            }
        }
        #expect(text.contains("带😀的笔记"))
        #expect(text.contains("#topic/sub"), "hierarchical tags are not escaped")
    }
}
