import Foundation
import GRDB
import Testing

@testable import KB

struct ExportTests {
    /// A knowledge base with everything a dump holds: the seed page, an article added by hand with
    /// characters outside the BMP, an edited article, tags, highlights in every state, a whole-article
    /// note, and things deleted.
    static func populated() throws -> (KnowledgeBase, added: Article, annotations: [Annotation]) {
        let kb = try KnowledgeBase.inMemory()
        let report = try kb.importText(try Fixtures.seedPage, name: "人民日报/page.txt")
        let added = try kb.addArticle(
            title: "手记 \"引号\" 与 / 斜杠", body: "😀𠮷开头。\n\n" + Passage.body + "\n\n结尾一段\t含制表符。")
        let seedID = try #require(report.articles.first)
        _ = try kb.tag(seedID, ["工会/职工", "非遗", "Report"])
        _ = try kb.tag(added.id, ["手记"])
        var annotations: [Annotation] = []
        annotations.append(
            try kb.annotate(
                added.id, target: .quote("剪纸长卷为百年工运献礼", occurrence: nil, prefix: nil, suffix: nil),
                note: "**重点**：\n第二行", tags: ["研究/方法", "非遗"], color: .yellow))
        annotations.append(
            try kb.annotate(added.id, target: .quote("一场美不胜收的非遗盛宴", occurrence: nil, prefix: nil, suffix: nil)))
        annotations.append(
            try kb.annotate(added.id, target: .quote("锦艺华章", occurrence: nil, prefix: nil, suffix: nil), note: "将成孤儿"))
        annotations.append(try kb.annotate(added.id, target: .range(0, 4), note: "开头"))
        annotations.append(try kb.annotate(added.id, target: .article, note: "整篇笔记", tags: ["待读"]))
        annotations.append(
            try kb.annotate(seedID, target: .quote("非遗", occurrence: 1, prefix: nil, suffix: nil), note: "种子"))
        let removed = try kb.annotate(seedID, target: .quote("黄山", occurrence: 1, prefix: nil, suffix: nil))
        _ = try kb.removeAnnotation(removed.id)
        // Edit: one highlight becomes fuzzy, one orphaned.
        let edited =
            "😀𠮷开头。\n\n"
            + Passage.body([Passage.p1, Passage.p2, Passage.p3.replacingOccurrences(of: "一场", with: "一台")])
            + "\n\n结尾一段\t含制表符。"
        _ = try kb.editArticle(added.id, title: "手记（修订）", body: edited)
        // A deleted article with a note and a tag.
        let gone = try kb.addArticle(title: "将删除", body: "这篇文章会被删除。")
        _ = try kb.tag(gone.id, ["临时"])
        _ = try kb.annotate(gone.id, target: .article, note: "随文章消失")
        _ = try kb.removeArticle(gone.id)
        let current = try kb.notes().filter { note in annotations.contains { $0.id == note.id } }
        return (kb, try kb.article(added.id).article, current)
    }

    // MARK: - JSON dump

    @Test func jsonDump_importedIntoEmptyKnowledgeBase_dumpsByteIdentical() throws {
        // Given
        let (kb, _, annotations) = try Self.populated()
        #expect(Set(annotations.map(\.state)) == [.anchored, .fuzzy, .orphaned])
        let dump = try kb.exportJSON()

        // When the dump is imported into an empty knowledge base and dumped again
        let restored = try KnowledgeBase.inMemory(clock: .fixed(1_900_000_000_000))
        let report = try restored.importText(dump, name: "backup.json")
        let again = try restored.exportJSON()

        // Then
        #expect(report.failed.isEmpty)
        #expect(again == dump)
        #expect(Data(again.utf8) == Data(dump.utf8))
        // And the records themselves are the same, timestamps to the millisecond.
        #expect(try restored.allArticles() == kb.allArticles())
        #expect(try restored.notes() == kb.notes())
        #expect(try restored.listArticles().map(\.tags) == kb.listArticles().map(\.tags))
    }

    @Test func jsonDump_holdsNoDeletedRecords_andNoExportTime() throws {
        let (kb, _, _) = try Self.populated()
        let dump = try kb.exportJSON()
        #expect(!dump.contains("将删除"))
        #expect(!dump.contains("随文章消失"))
        #expect(!dump.contains("临时"))
        #expect(!dump.contains("\"黄山\""))
        // Two exports a while apart are the same document.
        #expect(try kb.exportJSON() == dump)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(dump.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["format", "version", "sources", "articles", "annotations", "tags"])
    }

    @Test func jsonDump_importedTwice_addsNothing() throws {
        // Given a dump restored once
        let (kb, _, _) = try Self.populated()
        let dump = try kb.exportJSON()
        let restored = try KnowledgeBase.inMemory()
        _ = try restored.importText(dump, name: "backup.json")
        let before = try restored.rowCounts()

        // When it is imported again, and into the knowledge base it came from
        let second = try restored.importText(dump, name: "backup.json")
        let original = try kb.rowCounts()
        let intoItself = try kb.importText(dump, name: "backup.json")

        // Then no annotation, article or change is added
        #expect(second.unchanged == 1)
        #expect(try restored.rowCounts() == before)
        #expect(intoItself.unchanged == 1)
        #expect(try kb.rowCounts() == original)
    }

    /// A dump from another machine with the same page brings its annotations, and says so.
    ///
    /// Two machines imported the same page; one annotated it.
    @Test func jsonDump_ofAnotherKnowledgeBaseWithTheSamePage_addsItsAnnotations_andSaysSo() throws {
        // Given
        let one = try KnowledgeBase.inMemory()
        let ids = try one.importText(try Fixtures.seedPage).articles
        let annotation = try one.annotate(
            ids[0], target: .quote("非遗", occurrence: 1, prefix: nil, suffix: nil), note: "来自一号机", tags: ["一号"])
        _ = try one.tag(ids[1], ["一号"])
        let two = try KnowledgeBase.inMemory()
        _ = try two.importText(try Fixtures.seedPage)
        let before = try two.count("changes")

        // When
        let report = try two.importText(try one.exportJSON(), name: "one.json")

        // Then
        #expect(report.added == 1)
        #expect(report.unchanged == 0)
        #expect(report.articlesAdded == 0)
        #expect(Set(report.articles) == Set(ids))
        #expect(try two.notes().map(\.id) == [annotation.id])
        #expect(try two.notes().first?.tags == ["一号"])
        #expect(try two.article(ids[1]).tags == ["一号"])
        #expect(try two.count("changes") == before + 3)
        #expect(try two.health().digest == one.health().digest)
    }

    @Test func jsonDump_restoredRecords_areRecordedAsChanges() throws {
        let (kb, _, _) = try Self.populated()
        let dump = try JSONText.decode(Dump.self, from: try kb.exportJSON())
        let restored = try KnowledgeBase.inMemory()
        _ = try restored.importText(try kb.exportJSON(), name: "backup.json")
        let created = try restored.allChanges().filter { $0.op == .create }
        #expect(Set(created.filter { $0.entity == .article }.map(\.entityID)) == Set(dump.articles.map(\.id)))
        #expect(Set(created.filter { $0.entity == .annotation }.map(\.entityID)) == Set(dump.annotations.map(\.id)))
        #expect(created.filter { $0.entity == .tag }.count == dump.tags.count)
    }

    @Test(
        arguments: [0, 1, 999, 1_764_000_000_001, 1_764_000_000_999, 1_900_000_000_123, 4_102_444_799_999] as [Int64])
    func timestamps_roundTripToTheMillisecond(_ milliseconds: Int64) throws {
        let text = Timestamp.iso(milliseconds)
        #expect(text.hasSuffix("Z"))
        #expect(try Timestamp.parse(text, path: "dump.json") == milliseconds)
    }

    @Test func timestamps_everyMillisecondOfASecond_roundTrip() throws {
        for milliseconds in Int64(1_764_000_000_000)...1_764_000_001_000 {
            #expect(try Timestamp.parse(Timestamp.iso(milliseconds), path: "dump.json") == milliseconds)
        }
    }

    // MARK: - W3C Web Annotation

    /// The bodies of a W3C annotation, whether written as one object or a list.
    static func bodies(_ item: [String: Any]) -> [[String: Any]] {
        if let one = item["body"] as? [String: Any] { return [one] }
        return item["body"] as? [[String: Any]] ?? []
    }

    @Test func w3cExport_isAnAnnotationCollection_withSelectorsInCodePoints() throws {
        // Given
        let (kb, added, annotations) = try Self.populated()
        let all = try kb.notes()

        // When
        let text = try kb.exportW3C()

        // Then it is JSON-LD with the W3C context
        let collection = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(collection["@context"] as? String == "http://www.w3.org/ns/anno.jsonld")
        #expect(collection["type"] as? String == "AnnotationCollection")
        #expect(collection["total"] as? Int == all.count)
        let page = try #require(collection["first"] as? [String: Any])
        #expect(page["type"] as? String == "AnnotationPage")
        let items = try #require(page["items"] as? [[String: Any]])
        #expect(items.count == all.count)

        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for annotation in all {
            let item = try #require(items.first { $0["id"] as? String == "urn:kb:annotation:\(annotation.id)" })
            #expect(item["type"] as? String == "Annotation")
            let created = try #require(item["created"] as? String)
            let modified = try #require(item["modified"] as? String)
            #expect(
                iso.date(from: created).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
                    == annotation.createdAt)
            #expect(
                iso.date(from: modified).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
                    == annotation.updatedAt)

            // Notes are commenting bodies, tags tagging bodies.
            let bodies = Self.bodies(item)
            let notes = bodies.filter { $0["purpose"] as? String == "commenting" }
            if annotation.note.isEmpty {
                #expect(notes.isEmpty)
            } else {
                #expect(notes.count == 1)
                #expect(notes.first?["type"] as? String == "TextualBody")
                #expect(notes.first?["value"] as? String == annotation.note)
            }
            let tags = bodies.filter { $0["purpose"] as? String == "tagging" }
            #expect(tags.compactMap { $0["value"] as? String } == annotation.tags)
            #expect(tags.allSatisfy { $0["type"] as? String == "TextualBody" })
            #expect(bodies.count == notes.count + tags.count)

            // The target is the article, by its urn; a highlight selects its passage.
            let source = "urn:kb:article:\(annotation.articleID)"
            if annotation.quote.isEmpty {
                let target = item["target"] as? String ?? (item["target"] as? [String: Any])?["source"] as? String
                #expect(target == source)
                continue
            }
            let target = try #require(item["target"] as? [String: Any])
            #expect(target["source"] as? String == source)
            let selectors = try #require(target["selector"] as? [[String: Any]])
            let quote = try #require(selectors.first { $0["type"] as? String == "TextQuoteSelector" })
            let position = selectors.first { $0["type"] as? String == "TextPositionSelector" }
            let body = CodePoints(try kb.article(annotation.articleID).article.body)
            switch annotation.state {
            case .anchored, .fuzzy:
                let start = try #require(position?["start"] as? Int)
                let end = try #require(position?["end"] as? Int)
                #expect(start == annotation.start && end == annotation.end)
                let exact = try #require(quote["exact"] as? String)
                #expect(body.string(start..<end) == exact)
                #expect(quote["prefix"] as? String == body.string(max(0, start - 32)..<start))
                #expect(quote["suffix"] as? String == body.string(end..<min(body.count, end + 32)))
                if annotation.state == .anchored { #expect(exact == annotation.quote) }
            case .orphaned:
                #expect(position == nil)
                #expect(quote["exact"] as? String == annotation.quote)
                #expect(quote["prefix"] as? String == annotation.prefix)
                #expect(quote["suffix"] as? String == annotation.suffix)
            }
        }
        // The offsets count code points: the article opens with 😀𠮷, two UTF-16 units each.
        let first = try #require(annotations.first)
        let utf16Start = added.body.utf16.distance(
            from: added.body.utf16.startIndex,
            to: try #require(added.body.range(of: "剪纸长卷为百年工运献礼")).lowerBound.samePosition(in: added.body.utf16)!)
        #expect(first.start == utf16Start - 2)
    }

    @Test func w3cExport_ofEmptyKnowledgeBase_isAnEmptyCollection() throws {
        let text = try KnowledgeBase.inMemory().exportW3C()
        let collection = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(collection["total"] as? Int == 0)
        #expect(((collection["first"] as? [String: Any])?["items"] as? [Any])?.isEmpty == true)
    }

    // MARK: - Markdown

    /// The front matter of a Markdown file as key → JSON value (kb writes YAML that is also JSON).
    static func frontMatter(_ content: String) throws -> [String: Any] {
        let lines = content.components(separatedBy: "\n")
        try #require(lines.first == "---")
        let end = try #require(lines.dropFirst().firstIndex(of: "---"))
        var result: [String: Any] = [:]
        for line in lines[1..<end] {
            let colon = try #require(line.firstIndex(of: ":"))
            let key = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            result[key] =
                (try? JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)) ?? value
        }
        return result
    }

    @Test func markdownExport_frontMatterHighlightsTagsAndLinks() throws {
        // Given
        let (kb, added, annotations) = try Self.populated()
        _ = try kb.tag(added.id, ["工会/职工"])

        // When
        let files = try kb.exportMarkdown()

        // Then one file per live article, with unique names
        #expect(files.count == 10)
        #expect(Set(files.map(\.name)).count == files.count)
        #expect(files.allSatisfy { $0.name.hasSuffix(".md") && !$0.name.contains("/") })
        let file = try #require(files.first { $0.content.contains("id: \"\(added.id)\"") })
        let content = file.content

        // Front matter
        let meta = try Self.frontMatter(content)
        #expect(meta["id"] as? String == added.id)
        #expect(meta["title"] as? String == "手记（修订）")
        #expect(meta["source"] as? String == "")
        #expect(meta["tags"] as? [String] == ["手记", "工会/职工"].sorted())
        #expect(meta["created"] != nil && meta["updated"] != nil)
        #expect(content.contains("# 手记（修订）\n"))
        #expect(content.contains(added.body))

        // Each highlight: the quote as a block quote, its note, its tags as written, a kb:// link.
        for annotation in annotations where annotation.articleID == added.id {
            if annotation.quote.isEmpty {
                #expect(content.contains(annotation.note))
                continue
            }
            let quoted = annotation.quote.components(separatedBy: "\n").map { "> " + $0 }.joined(separator: "\n")
            #expect(content.contains(quoted + "\n"))
            if !annotation.note.isEmpty { #expect(content.contains(annotation.note + "\n")) }
            if let start = annotation.start, let end = annotation.end {
                #expect(content.contains("(kb://article/\(added.id)#cp=\(start)-\(end))"))
                #expect(CodePoints(added.body).string(start..<end).isEmpty == false)
            }
        }
        #expect(content.contains("#研究/方法 #非遗"))
        #expect(!content.contains("\\/"))
        #expect(!content.contains("\\#"))
        #expect(content.contains("(orphaned)"))
        #expect(content.contains("(fuzzy)"))
    }

    @Test func markdownExport_seedArticle_namesItsSourceAndTags() throws {
        let (kb, _, _) = try Self.populated()
        let seed = try #require(try kb.listArticles().first { $0.tags.contains("非遗") })
        let file = try #require(try kb.exportMarkdown().first { $0.content.contains("id: \"\(seed.id)\"") })
        let meta = try Self.frontMatter(file.content)
        #expect(meta["source"] as? String == seed.source)
        #expect((meta["source"] as? String)?.hasSuffix("page.txt") == true)
        #expect(meta["tags"] as? [String] == seed.tags)
        #expect(seed.tags.contains("工会/职工"))
        #expect(file.name.contains(seed.title.prefix(10)))
        #expect(file.content.contains("> 非遗\n"))
    }

    @Test func markdownExport_titleWithQuotesAndNewlines_isValidFrontMatter() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "标题: \"引号\" #井号 [方括号]", body: "正文。")
        let file = try #require(try kb.exportMarkdown().first)
        let meta = try Self.frontMatter(file.content)
        #expect(meta["title"] as? String == "标题: \"引号\" #井号 [方括号]")
        #expect(meta["id"] as? String == article.id)
        #expect(!file.name.contains("\""))
        #expect(!file.name.contains("#"))
        #expect(!file.name.contains(":"))
    }
}

// MARK: - Markdown into a folder

/// File names, confinement to `--out`, and files left by earlier exports.
struct MarkdownFolderExportTests {
    /// A JSON dump whose articles have the given ids and titles, as a hostile peer could make one.
    static func dump(_ articles: [(id: String, title: String)]) -> String {
        let items = articles.map { article in
            """
            {"id":\(JSONText.string(article.id)),"source_id":null,"position":0,"kind":"note","kicker":"",\
            "title":\(JSONText.string(article.title)),"subtitle":"","byline":"","dateline":"","body":"正文。",\
            "created_at":"2026-01-01T00:00:00.000Z","updated_at":"2026-01-01T00:00:00.000Z"}
            """
        }
        return """
            {"format":"kb-dump","version":1,"sources":[],"annotations":[],"tags":[],"articles":[\
            \(items.joined(separator: ","))]}
            """
    }

    /// Every entry under a folder, relative, with `/` between components.
    static func tree(_ url: URL) throws -> [String] {
        let enumerator = try #require(FileManager.default.enumerator(atPath: url.path))
        return enumerator.compactMap { $0 as? String }.sorted()
    }

    @Test(arguments: [
        "zzzzzzzzzzzzzzzz/../../../../elsewhere/OVERWRITTEN", "Archives/../../../.", "..", ".", "", "/etc/passwd",
        "a\u{0}b", "\u{202E}gpj.exe", "0c82636a8329b8b7aa00ff11", "0192f1c2a3b47c8d9e0f1a2b3c4d5e6f",
    ])
    func fileName_anyID_isOneSafeComponent(id: String) {
        for title in ["T", "", "../../x", ".hidden", "a/b\\c:d", "非遗技艺交流活动", "𠮷野家😀", "ＡＩ：全角／斜杠", "\u{0}\u{7}\n\t"] {
            let name = ExportFileName.make(title: title, id: id)
            #expect(ExportFileName.isSafe(name), "'\(name)' from title '\(title)' and id '\(id)'")
            #expect(!name.contains("/") && !name.contains("\\") && !name.hasPrefix(".") && !name.contains("\u{0}"))
            #expect(!name.unicodeScalars.contains { $0.properties.generalCategory == .control })
            #expect(!name.unicodeScalars.contains { $0.properties.generalCategory == .format })
            #expect(name.hasSuffix(".md"))
            #expect(name.utf8.count <= 255)
        }
    }

    @Test func fileName_keepsCJKReadable_andBoundsBytes() {
        #expect(ExportFileName.make(title: "非遗技艺: 交流/活动", id: "0c82636a8329b8b7aa00ff11") == "非遗技艺 交流 活动 (0c82636a).md")
        #expect(ExportFileName.make(title: "𠮷野家😀", id: "0c82636a8329b8b7aa00ff11") == "𠮷野家😀 (0c82636a).md")
        #expect(ExportFileName.make(title: "ＡＩ大模型", id: "0c82636a8329b8b7aa00ff11") == "ＡＩ大模型 (0c82636a).md")
        let long = String(repeating: "非遗", count: 200)
        let slug = ExportFileName.slug(long)
        #expect(slug.utf8.count <= ExportFileName.maxTitleBytes)
        #expect(slug.utf8.count >= ExportFileName.maxTitleBytes - 3, "cut at the last whole character")
        #expect(long.hasPrefix(slug))
        // A foreign id never reaches the name: 8 hex digits of its hash stand for it.
        let hostile = ExportFileName.make(title: "T", id: "zzzzzzzzzzzzzzzz/../../../../elsewhere/OVERWRITTEN")
        #expect(hostile.count == "T (12345678).md".count)
        #expect(!hostile.contains("zzz"))
        // Nor does it end a link in the text.
        #expect(MarkdownExport.linkID("x)](evil)\n# h") == "x%29%5D%28evil%29%0A%23%20h")
        #expect(MarkdownExport.linkID("0c82636a8329b8b7aa00ff11") == "0c82636a8329b8b7aa00ff11")
    }

    @Test func exportToFolder_hostileIDsFromADump_writeNothingOutsideTheFolder() throws {
        // Given a knowledge base file holding articles whose ids are paths (a shared dump, or a hostile hub)
        let folder = try TemporaryFolder()
        let kb = try KnowledgeBase.open(path: folder.url.appendingPathComponent("kb.sqlite").path)
        let hostile = [
            (id: "aaaaaaaaaaaaaaaaaaaaaaaa", title: "T"),
            (id: "zzzzzzzzzzzzzzzz/../../../../elsewhere/OVERWRITTEN", title: "T"),
            (id: "Archives/../../../escaped", title: ""),
            (id: "../../../../../../../../tmp/kb-export-escape-\(UUID().uuidString)", title: "T"),
        ]
        let report = try kb.importText(Self.dump(hostile), name: "shared.json")
        #expect(report.failed.isEmpty)
        #expect(try kb.listArticles().count == 4)
        let victim = try folder.write("elsewhere/OVERWRITTEN.md", "my own file\n")
        let out = folder.url.appendingPathComponent("a/b/exp5")

        // When
        let export = try kb.exportMarkdown(to: out.path)

        // Then every file is inside the folder, one level deep, and nothing outside changed
        #expect(export.files == 4)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "my own file\n")
        let inside = try Self.tree(out)
        #expect(inside.count == 5, "four articles and the manifest: \(inside)")
        #expect(inside.allSatisfy { !$0.contains("/") })
        #expect(inside.contains(".kb-export.json"))
        let outside = try Self.tree(folder.url).filter { !$0.hasPrefix("a/b/exp5/") && !$0.hasPrefix("kb.sqlite") }
        #expect(outside == ["a", "a/b", "a/b/exp5", "elsewhere", "elsewhere/OVERWRITTEN.md"], "\(outside)")
        #expect(
            !FileManager.default.fileExists(
                atPath: "/" + hostile[3].id.replacingOccurrences(of: "../", with: "") + ".md"))
        for name in inside where name.hasSuffix(".md") {
            let text = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)
            let id = try #require(try ExportTests.frontMatter(text)["id"] as? String)
            #expect(hostile.contains { $0.id == id }, "each file holds one of the articles, its id in the front matter")
        }
    }

    @Test func exportToFolder_twoRetitles_leaveOneFile_andUserFilesAlone() throws {
        // Given an export, a file of the user's in the same folder, and one article retitled twice
        let folder = try TemporaryFolder()
        let kb = try KnowledgeBase.open(path: folder.url.appendingPathComponent("kb.sqlite").path)
        let article = try kb.addArticle(title: "初稿", body: "非遗技艺交流活动在黄山举行。")
        let other = try kb.addArticle(title: "另一篇", body: "别的正文。")
        let out = folder.url.appendingPathComponent("notes").path
        _ = try kb.exportMarkdown(to: out)
        let mine = try folder.write("notes/我的笔记.md", "# mine\n")

        _ = try kb.editArticle(article.id, title: "第二稿 😀", body: nil)
        let second = try kb.exportMarkdown(to: out)
        _ = try kb.editArticle(article.id, title: "定稿 𠮷", body: nil)
        let third = try kb.exportMarkdown(to: out)

        // Then one file per article, the user's file as it was
        let names = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".md") }.sorted()
        #expect(names.count == 3, "\(names)")
        #expect(names.contains("定稿 𠮷 (\(Identifier.short(article.id))).md"))
        #expect(names.contains("另一篇 (\(Identifier.short(other.id))).md"))
        #expect(try String(contentsOfFile: mine, encoding: .utf8) == "# mine\n")
        #expect(second.removed == ["初稿 (\(Identifier.short(article.id))).md"])
        #expect(third.removed == ["第二稿 😀 (\(Identifier.short(article.id))).md"])
        #expect(third.written == ["定稿 𠮷 (\(Identifier.short(article.id))).md"], "the unchanged file is not rewritten")
    }

    @Test func exportToFolder_editedFileOfAnEarlierExport_isKept_andTheArticleWrittenBeside() throws {
        let folder = try TemporaryFolder()
        let kb = try KnowledgeBase.open(path: folder.url.appendingPathComponent("kb.sqlite").path)
        let article = try kb.addArticle(title: "标题", body: "正文。")
        let out = folder.url.appendingPathComponent("notes")
        _ = try kb.exportMarkdown(to: out.path)
        let name = "标题 (\(Identifier.short(article.id))).md"
        let file = out.appendingPathComponent(name)
        try Data("my edits\n".utf8).write(to: file)

        // When the article changes and is exported again, then renamed and exported again
        _ = try kb.editArticle(article.id, title: nil, body: "新的正文。")
        let second = try kb.exportMarkdown(to: out.path)
        _ = try kb.editArticle(article.id, title: "新标题", body: nil)
        let third = try kb.exportMarkdown(to: out.path)

        // Then the edited file is never replaced nor removed
        #expect(try String(contentsOf: file, encoding: .utf8) == "my edits\n")
        #expect(second.written == ["标题 (\(Identifier.short(article.id))) 2.md"])
        #expect(second.keptEdited == [name], "reported once, and the user's from now on")
        #expect(third.keptEdited.isEmpty)
        #expect(third.removed == ["标题 (\(Identifier.short(article.id))) 2.md"])
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".md") }
            .sorted()
        #expect(names == [name, "新标题 (\(Identifier.short(article.id))).md"].sorted())
    }

    @Test func exportToFolder_symbolicLinkWhereAFileGoes_isRefused_beforeAnythingIsWritten() throws {
        let folder = try TemporaryFolder()
        let kb = try KnowledgeBase.open(path: folder.url.appendingPathComponent("kb.sqlite").path)
        let first = try kb.addArticle(title: "甲", body: "一。")
        _ = try kb.addArticle(title: "乙", body: "二。")
        let victim = try folder.write("victim.md", "keep\n")
        let out = folder.url.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let link = out.appendingPathComponent("甲 (\(Identifier.short(first.id))).md")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: victim)

        #expect(throws: KBError.self) { try kb.exportMarkdown(to: out.path) }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == [link.lastPathComponent])

        // A symbolic link as the folder itself is refused too.
        let linkedFolder = folder.url.appendingPathComponent("linked").path
        try FileManager.default.createSymbolicLink(atPath: linkedFolder, withDestinationPath: folder.url.path)
        #expect(throws: KBError.self) { try kb.exportMarkdown(to: linkedFolder) }
    }
}
