import Foundation
import Testing

/// Annotation ids typed by 4 characters, highlight colors, quotes found many times and multi-line notes,
/// through the built binary.
@Suite("Annotation ids, colors, long lists and notes")
struct AnnotationPolishCommandTests {
    // MARK: - Ids

    /// Annotations made one after another are told apart by their first 4 characters, as the README shows.
    @Test func annotationIDs_fourCharacters_nameAnAnnotation() throws {
        let (replica, id) = try AnnotationCommandTests.article()
        var ids: [String] = []
        for start in 0..<12 {
            ids.append(
                try #require(try replica.object(["annotate", id, "--range", "\(start):\(start + 4)"]).string("id")))
        }
        #expect(ids.allSatisfy { Array($0).count == 32 && Array($0)[12] == "4" }, "random ids: \(ids)")
        // Time-ordered ids share their first 8 characters; random ones share 4 in 66 pairs with a chance of 0.1%.
        let prefixes = Set(ids.map { $0.prefix(4) })
        #expect(prefixes.count >= 11, "\(ids)")
        for annotationID in ids where ids.filter({ $0.hasPrefix(annotationID.prefix(4)) }).count == 1 {
            let edited = try replica.object(["annotation", "edit", String(annotationID.prefix(4)), "--note", "四个字符"])
            #expect(edited.string("id") == annotationID)
        }
        // kb notes prints 8 characters.
        let listed = try replica.ok(["notes"]).stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(listed.count == 12)
        #expect(listed.allSatisfy { $0.count >= 8 }, "\(listed)")
    }

    // MARK: - Colors

    @Test func colors_namedOrHex_areStoredNormalized_andKeptInNotesJSON() throws {
        let (replica, id) = try AnnotationCommandTests.article()
        let blue = try replica.object(["annotate", id, "--quote", "最后一句话", "--color", "Blue"])
        #expect(blue.string("color") == "blue")
        let hex = try replica.object(["annotate", id, "--quote", "组委会表示", "--color", "#FFAA00"])
        #expect(hex.string("color") == "#ffaa00")
        let wide = try replica.object(["annotate", id, "--range", "0:2", "--color", "Ｐｉｎｋ"])
        #expect(wide.string("color") == "pink")
        let edited = try replica.object(["annotation", "edit", try #require(blue.string("id")), "--color", "purple"])
        #expect(edited.string("color") == "purple")
        let colors = Dictionary(
            uniqueKeysWithValues: try replica.array(["notes"]).map { ($0.string("id") ?? "", $0.string("color") ?? "") }
        )
        #expect(colors[blue.string("id") ?? ""] == "purple")
        #expect(colors[hex.string("id") ?? ""] == "#ffaa00")
        #expect(colors[wide.string("id") ?? ""] == "pink")
    }

    static let refusedColors: [[String]] = [
        ["annotate", "ARTICLE", "--quote", "最后一句话", "--color", "not a color"],
        ["annotate", "ARTICLE", "--quote", "最后一句话", "--color", "red"],
        ["annotate", "ARTICLE", "--note", "整篇", "--color", "#fff"],
        ["annotation", "edit", "ANNOTATION", "--color", "not a color"],
        ["annotation", "edit", "ANNOTATION", "--note", "新的", "--color", "#12345g"],
    ]

    @Test(arguments: refusedColors)
    func colors_unknown_exit64_oneSentenceListingTheChoices_nothingWritten(_ arguments: [String]) throws {
        let (replica, id) = try AnnotationCommandTests.article()
        let made = try replica.object(["annotate", id, "--quote", "组委会表示", "--note", "已有的笔记", "--color", "green"])
        let before = try AnnotationCommandTests.snapshot(replica)
        let result = try replica.run(
            arguments.map { $0 == "ARTICLE" ? id : $0 == "ANNOTATION" ? (made.string("id") ?? "") : $0 })
        #expect(result.exitCode == 64, "\(result)")
        #expect(result.hasOneSentenceError, "\(result)")
        let color = try #require(arguments.last)
        #expect(result.stderr.contains("The color '\(color)' is not one kb knows"), "\(result)")
        #expect(result.stderr.contains("yellow, green, blue, pink, purple or #rrggbb"), "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(try AnnotationCommandTests.snapshot(replica) == before, "nothing written")
    }

    /// On a terminal, `kb notes` and `kb show` draw a square in each highlight's color, and `kb show`
    /// draws the highlight in it; NO_COLOR, a pipe, or a color kb does not know show it plainly.
    @Test func colors_onATerminal_areDrawn_unlessNoColorOrUnknown() throws {
        let (replica, id) = try AnnotationCommandTests.article()
        try replica.ok(["annotate", id, "--quote", "最后一句话", "--color", "blue"])
        try replica.ok(["annotate", id, "--quote", "组委会表示", "--color", "#ff0000"])
        // xterm's 256 colors: blue (#90caf9) is 117, #ff0000 is 196.
        let notes = try replica.runOnTerminal(["notes"])
        #expect(notes.succeeded, "\(notes)")
        #expect(notes.stdout.contains("\u{1B}[38;5;117m■\u{1B}[0m "), "\(notes)")
        #expect(notes.stdout.contains("\u{1B}[38;5;196m■\u{1B}[0m "), "\(notes)")
        let show = try replica.runOnTerminal(["show", id])
        #expect(show.stdout.contains("\u{1B}[48;5;117;30m最后一句话\u{1B}[0m"), "\(show)")
        #expect(show.stdout.contains("\u{1B}[38;5;196m■\u{1B}[0m [1]"), "\(show)")
        let truecolor = try replica.runOnTerminal(["show", id], environment: ["COLORTERM": "truecolor"])
        #expect(truecolor.stdout.contains("\u{1B}[48;2;144;202;249;30m最后一句话"), "\(truecolor)")
        let plain = try replica.runOnTerminal(["notes"], environment: ["NO_COLOR": "1"])
        #expect(plain.succeeded && !hasANSIEscape(plain.stdout), "\(plain)")
        #expect(!hasANSIEscape(try replica.ok(["notes"]).stdout), "a pipe gets no colors")

        // A color from elsewhere (here through a dump another tool wrote) is kept and shown plainly.
        let dump = try replica.ok(["export", "--format", "json"]).stdout.replacingOccurrences(
            of: "\"color\" : \"blue\"", with: "\"color\" : \"Chartreuse\"")
        #expect(dump.contains("Chartreuse"))
        let other = Replica("other", in: replica.folder)
        try other.ok(["import", try other.folder.write("dump.json", dump)])
        #expect(try other.array(["notes"]).contains { $0.string("color") == "Chartreuse" })
        let otherNotes = try other.runOnTerminal(["notes"])
        #expect(otherNotes.succeeded, "\(otherNotes)")
        #expect(otherNotes.stdout.components(separatedBy: "■").count == 2, "one marker, for #ff0000:\n\(otherNotes)")
    }

    /// The W3C export styles each highlight's target with a class that an embedded CSS style sheet
    /// defines, as the Web Annotation model allows (4.4), and passes the W3C validator.
    @Test func exportW3C_withColors_passesTheW3CValidator() throws {
        let (replica, id) = try AnnotationCommandTests.article()
        try replica.ok(["annotate", id, "--quote", "最后一句话", "--color", "yellow", "--note", "黄色"])
        try replica.ok(["annotate", id, "--quote", "组委会表示", "--color", "#A1C2E3"])
        try replica.ok(["annotate", id, "--note", "整篇", "--color", "green"])
        try replica.ok(["annotate", id, "--range", "0:2"])
        let file = replica.folder.path("colors.jsonld")
        try replica.ok(["export", "--format", "w3c", "--out", file])
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("\"styleClass\" : \"kb-yellow\""))
        #expect(text.contains("\"styleClass\" : \"kb-rgb-a1c2e3\""))
        #expect(text.contains(".kb-rgb-a1c2e3 { background-color: #a1c2e3; }"))
        #expect(text.contains("\"styleClass\" : \"kb-green\""))
        let body = try replica.folder.write("body.txt", try #require(try replica.object(["show", id]).string("body")))
        let result = try AnnotationCommandTests.validateW3C([file, "--kb-extra", "--text", body])
        #expect(result.succeeded, "the W3C validator refused the export:\n\(result)")
        #expect(result.stdout.contains("0 failed"), "\(result)")

        // A class without its style sheet is what the model forbids, and the validator says so.
        let broken = text.replacingOccurrences(of: "\"stylesheet\" :", with: "\"styleSheetMissing\" :")
        #expect(broken != text)
        let refused = try AnnotationCommandTests.validateW3C([try replica.folder.write("broken.jsonld", broken)])
        #expect(refused.exitCode == 1, "the validator must refuse a styleClass without a stylesheet:\n\(refused)")
    }

    @Test func exportMarkdown_marksEachHighlightWithItsColor() throws {
        let (replica, id) = try AnnotationCommandTests.article()
        let pink = try replica.object(["annotate", id, "--quote", "最后一句话", "--color", "pink"])
        let hex = try replica.object(["annotate", id, "--quote", "组委会表示", "--color", "#a1c2e3"])
        let none = try replica.object(["annotate", id, "--range", "0:2"])
        let out = replica.folder.path("markdown")
        try replica.ok(["export", "--format", "markdown", "--out", out])
        let name = try #require(
            try FileManager.default.contentsOfDirectory(atPath: out).first { $0.hasSuffix(".md") })
        let text = try String(contentsOfFile: "\(out)/\(name)", encoding: .utf8)
        func linkLine(_ annotation: [String: Any]) throws -> String {
            let cp = "#cp=\(try #require(annotation.int("start")))-\(try #require(annotation.int("end"))))"
            return try #require(text.split(separator: "\n").first { $0.contains(cp) }.map(String.init), "\(text)")
        }
        #expect(try linkLine(pink).hasSuffix(") · 🩷 pink"))
        #expect(try linkLine(hex).hasSuffix(") · `#a1c2e3`"), "in backticks, so Obsidian takes it for no tag")
        #expect(try linkLine(none).hasSuffix(")"))
    }

    // MARK: - A quote found many times

    /// A long article (𠮷, emoji, full-width forms) where the quote stands 12,000 times, more than the
    /// 10,000 that kb used to count: at most 10 positions, with context, and the true count.
    @Test func annotate_quoteFoundTwelveThousandTimes_listsTenPositions_andTheTrueCount() throws {
        let replica = Replica("long", in: try TemporaryFolder())
        let body = String(repeating: "𠮷测试😀Ａ，", count: 12_000)
        let added = try replica.object(["add", "--title", "长文"], stdin: Data(body.utf8))
        let id = try #require(added.string("id"))
        let stored = try #require(added.string("body"))
        let occurrences = AnnotationCommandTests.scalarRanges(of: "测试", in: stored)
        #expect(occurrences.count == 12_000)
        let before = try AnnotationCommandTests.snapshot(replica)

        let result = try replica.run(["annotate", id, "--quote", "测试"])
        #expect(result.exitCode == 1, "\(result)")
        let lines = result.stderrLines
        #expect(lines.count == 11, "one sentence and 10 positions:\n\(result)")
        #expect(lines.first?.contains("occurs 12000 times (the first 10 below)") == true, "\(result)")
        #expect(lines.first?.contains("--occurrence N (1-12000)") == true, "\(result)")
        for (index, range) in occurrences.prefix(10).enumerated() {
            #expect(
                lines.contains { $0.contains("\(index + 1): \(range.lowerBound):\(range.upperBound) …") }, "\(result)")
        }
        #expect(lines.contains("  1: 1:3 …𠮷[测试]😀Ａ，𠮷测试😀Ａ…"), "context on both sides:\n\(result)")
        #expect(try AnnotationCommandTests.snapshot(replica) == before)

        let last = try replica.object(["annotate", id, "--quote", "测试", "--occurrence", "12000"])
        #expect(last.int("start") == occurrences.last?.lowerBound)
    }

    // MARK: - Multi-line notes

    @Test func notes_keepTheLineBreaksOfANote_indented_andJSONUnchanged() throws {
        let (replica, id) = try AnnotationCommandTests.article()
        let note = "# 小结\n\n- 第一点：𠮷\n- 第二点😀\n\n最后一行"
        try replica.ok(["annotate", id, "--quote", "最后一句话", "--note", "-", "--tag", "总结"], stdin: Data(note.utf8))
        try replica.ok(["annotate", id, "--quote", "组委会表示", "--note", "只有一行"])
        let text = try replica.ok(["notes"]).stdout
        let expected = "    # 小结\n\n    - 第一点：𠮷\n    - 第二点😀\n\n    最后一行\n    #总结\n"
        #expect(text.contains("“最后一句话”\n" + expected), "\(text)")
        #expect(text.contains("“组委会表示”\n    只有一行\n"), "\(text)")

        let json = try replica.array(["notes"])
        let stored = try #require(json.first { $0.string("quote") == "最后一句话" })
        #expect(stored.string("note") == note, "--json keeps the note as it is")
    }
}
