import Foundation
import GRDB
import Testing

@testable import KB

struct ImportTests {
    /// An error for the user: one sentence, on one line, naming the value in single quotes.
    static func expectOneSentence(
        _ message: String, naming value: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(message.contains("'\(value)'"), "\(message)", sourceLocation: sourceLocation)
        #expect(!message.contains("\n"), "\(message)", sourceLocation: sourceLocation)
        #expect(message.hasSuffix("."), "\(message)", sourceLocation: sourceLocation)
        // A second sentence would start after ". " with a capital letter.
        let second = message.range(of: #"[.!?] [A-Z]"#, options: .regularExpression)
        #expect(second == nil, "\(message)", sourceLocation: sourceLocation)
    }

    // MARK: - The seed page

    @Test func seedPage_import_givesNineArticles() throws {
        // Given an empty knowledge base
        let kb = try KnowledgeBase.inMemory()

        // When
        let report = try kb.importText(try Fixtures.seedPage)

        // Then
        #expect(report.added == 1)
        #expect(report.failed.isEmpty)
        #expect(report.articles.count == 9)
        #expect(Set(report.articles).count == 9)
        #expect(report.articlesAdded == 9)
        #expect(try kb.count("articles") == 9)
        #expect(try kb.count("sources") == 1)
        let articles = try kb.listArticles()
        #expect(Set(articles.map(\.id)) == Set(report.articles))
        #expect(articles.filter { $0.kind == "caption" }.count == 1)
        // The source keeps the file as it was read.
        let stored = try kb.read { db in try String.fetchOne(db, sql: "SELECT text FROM sources") }
        #expect(stored == (try Fixtures.seedPage))
    }

    @Test func seedPage_reimported_isUnchangedAndWritesNothing() throws {
        // Given the seed page imported from a file
        let folder = try TemporaryFolder()
        let path = try folder.write("page.txt", try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.importFiles([path])
        let before = try kb.rowCounts()

        // When the same file, and the same bytes under another name, are imported again
        let again = try kb.importFiles([path])
        let copy = try folder.write("copy/page-copy.txt", try Fixtures.seedPage)
        let fromCopy = try kb.importFiles([copy])

        // Then nothing changes, and the report says so
        #expect(again.unchanged == 1 && again.added == 0 && again.updated == 0)
        #expect(again.articles == first.articles)
        #expect(again.files.map(\.status) == ["unchanged"])
        #expect(fromCopy.unchanged == 1)
        #expect(fromCopy.articles == first.articles)
        #expect(try kb.rowCounts() == before)
    }

    @Test func samePage_twoKnowledgeBases_sameArticleIDs() throws {
        let page = try Fixtures.seedPage
        let one = try KnowledgeBase.inMemory()
        let two = try KnowledgeBase.inMemory(clock: .fixed(1_900_000_000_000))
        let first = try one.importText(page, name: "a.txt")
        let second = try two.importText(page, name: "b.txt")
        #expect(first.articles == second.articles)
        #expect(try one.allArticles().map(\.id) == two.allArticles().map(\.id))
    }

    @Test func seedPage_withUTF8ByteOrderMark_givesTheSameArticles() throws {
        let plain = try KnowledgeBase.inMemory().importText(try Fixtures.seedPage)
        let folder = try TemporaryFolder()
        let path = try folder.write("bom.txt", [0xEF, 0xBB, 0xBF] + Array(try Fixtures.seedPage.utf8))
        let kb = try KnowledgeBase.inMemory()
        let report = try kb.importFiles([path])
        #expect(report.failed.isEmpty)
        #expect(report.articles == plain.articles)
        #expect(try kb.allArticles().allSatisfy { !$0.title.contains("\u{FEFF}") && !$0.body.contains("\u{FEFF}") })
    }

    @Test func samePageUnderAnotherEncoding_reimported_listsItsArticles() throws {
        // Given the seed page imported, then the same text with a byte-order mark (another source
        // whose articles all exist already)
        let folder = try TemporaryFolder()
        let plain = try folder.write("page.txt", try Fixtures.seedPage)
        let bom = try folder.write("bom.txt", [0xEF, 0xBB, 0xBF] + Array(try Fixtures.seedPage.utf8))
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.importFiles([plain])
        let second = try kb.importFiles([bom])
        #expect(second.articles == first.articles)
        #expect(second.articlesAdded == 0)
        let before = try kb.rowCounts()

        // When the second file is imported again
        let again = try kb.importFiles([bom])

        // Then it is unchanged and still names the page's articles
        #expect(again.unchanged == 1)
        #expect(again.articles == first.articles)
        #expect(try kb.rowCounts() == before)
    }

    @Test func seedPage_withWindowsLineEndings_givesTheSameArticles() throws {
        let plain = try KnowledgeBase.inMemory().importText(try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()
        let report = try kb.importText(try Fixtures.seedPage.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(report.articles == plain.articles)
        #expect(try kb.allArticles().allSatisfy { !$0.body.contains("\r") && !$0.title.contains("\r") })
    }

    // MARK: - Other kinds

    @Test func markdownFile_isOneArticleTitledByItsHeading() throws {
        // Given
        let kb = try KnowledgeBase.inMemory()
        let text = "\n# 职工文化调研笔记\n\n## 背景\n\n长三角三省一市举办职工非遗技艺交流活动。\n\n- 黄梅戏\n- 评弹\n"

        // When
        let report = try kb.importText(text, name: "notes.md")

        // Then
        #expect(report.articles.count == 1)
        let article = try kb.article(try #require(report.articles.first)).article
        #expect(article.title == "职工文化调研笔记")
        #expect(article.body == "## 背景\n\n长三角三省一市举办职工非遗技艺交流活动。\n\n- 黄梅戏\n- 评弹")
        #expect(try kb.search("非遗技艺").map(\.id) == report.articles)
    }

    @Test func markdownFile_withoutHeading_isTitledByItsFileName() throws {
        let kb = try KnowledgeBase.inMemory()
        let report = try kb.importText("只有正文，没有标题。\n\n第二段。", name: "调研 草稿.md")
        let article = try kb.article(try #require(report.articles.first)).article
        #expect(article.title == "调研 草稿")
        #expect(article.body == "只有正文，没有标题。\n\n第二段。")
    }

    @Test func plainTextFile_isOneArticle() throws {
        // Given a short text file: a title line, then paragraphs with hard wraps
        let kb = try KnowledgeBase.inMemory()
        let text = "Field notes\n\nThe exhibition opened in Huangshan\nwith a paper-cut scroll.\n\nSecond paragraph.\n"

        // When
        let report = try kb.importText(text, name: "notes.txt")

        // Then
        #expect(report.added == 1)
        #expect(report.articles.count == 1)
        let article = try kb.article(try #require(report.articles.first)).article
        #expect(article.title == "Field notes")
        #expect(article.body == "The exhibition opened in Huangshan with a paper-cut scroll.\n\nSecond paragraph.")
    }

    // MARK: - Folders

    @Test func folder_isWalkedRecursively_andOtherKindsAreSkippedAndListed() throws {
        // Given a folder tree with text, Markdown, and files kb does not read
        let folder = try TemporaryFolder()
        let page = try folder.write("2025/04/page.txt", try Fixtures.seedPage)
        let markdown = try folder.write("2025/notes/调研.md", "# 调研\n\n正文一段。")
        let deep = try folder.write("a/b/c/d/deep.markdown", "# 深处\n\n很深的正文。")
        let upper = try folder.write("UPPER.TXT", "大写扩展名\n\n正文在这里。")
        let image = try folder.write("2025/04/page.png", [0x89, 0x50, 0x4E, 0x47, 0x00, 0x01])
        let pdf = try folder.write("a/report.pdf", "%PDF-1.7")
        try folder.write(".hidden.txt", "不该导入。")

        // When
        let report = try KnowledgeBase.inMemory().importFiles([folder.url.path])

        // Then
        #expect(report.failed.isEmpty)
        #expect(report.added == 4)
        #expect(Set(report.files.map(\.path)) == [page, markdown, deep, upper])
        #expect(Set(report.skipped) == [image, pdf])
        #expect(report.articles.count == 9 + 3)
    }

    // MARK: - Unreadable files

    struct BadFile: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        /// Words the error must use to say what is wrong.
        let reason: String
        var testDescription: String { name }
    }

    static let badFiles = [
        BadFile(
            name: "binary.txt", bytes: Array("本报讯".utf8) + [0x00, 0x01, 0x02] + Array("记者".utf8), reason: "binary"),
        BadFile(name: "latin1.txt", bytes: Array("caf".utf8) + [0xE9] + Array(" 本报讯".utf8), reason: "UTF-8"),
        BadFile(name: "truncated.txt", bytes: Array("本报讯".utf8) + [0xE8, 0xAE], reason: "UTF-8"),
        BadFile(name: "utf16le.txt", bytes: [0xFF, 0xFE, 0x2C, 0x67, 0xA5, 0x62], reason: "UTF-16"),
        BadFile(name: "utf16be.md", bytes: [0xFE, 0xFF, 0x67, 0x2C, 0x62, 0xA5], reason: "UTF-16"),
        BadFile(name: "empty.txt", bytes: [], reason: "empty"),
        BadFile(name: "blank.md", bytes: Array(" \n\u{3000}\n\t".utf8), reason: "empty"),
        BadFile(name: "bom-only.txt", bytes: [0xEF, 0xBB, 0xBF], reason: "empty"),
    ]

    @Test(arguments: badFiles)
    func unreadableFile_failsAlone_withOneSentenceNamingIt_othersImported(_ bad: BadFile) throws {
        // Given a good file on each side of the bad one
        let folder = try TemporaryFolder()
        let before = try folder.write("before.md", "# 前\n\n第一篇正文。")
        let badPath = try folder.write(bad.name, bad.bytes)
        let after = try folder.write("after.txt", try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()

        // When
        let report = try kb.importFiles([before, badPath, after])

        // Then only the bad file failed, and the error says which and why
        #expect(report.added == 2)
        #expect(report.articles.count == 1 + 9)
        let failure = try #require(report.failed.first)
        #expect(report.failed.count == 1)
        #expect(failure.path == badPath)
        Self.expectOneSentence(failure.error, naming: badPath)
        #expect(failure.error.localizedCaseInsensitiveContains(bad.reason), "\(failure.error)")
        #expect(report.files.map(\.status) == ["added", "failed", "added"])
    }

    @Test(arguments: badFiles)
    func unreadableFile_changesNothing(_ bad: BadFile) throws {
        // Given a knowledge base with the seed page
        let folder = try TemporaryFolder()
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importText(try Fixtures.seedPage)
        let before = try kb.rowCounts()

        // When a bad file is imported, also with --update
        let badPath = try folder.write(bad.name, bad.bytes)
        let report = try kb.importFiles([badPath])
        let updating = try kb.importFiles([badPath], options: ImportOptions(update: true))

        // Then
        #expect(report.failed.count == 1 && updating.failed.count == 1)
        #expect(report.added + report.unchanged + report.updated == 0)
        #expect(try kb.rowCounts() == before)
    }

    @Test func missingPath_failsAlone_othersImported() throws {
        let folder = try TemporaryFolder()
        let good = try folder.write("good.md", "# 好文件\n\n正文。")
        let missing = folder.url.appendingPathComponent("no-such-page.txt").path
        let missingFolder = folder.url.appendingPathComponent("no-such-folder").path
        let kb = try KnowledgeBase.inMemory()

        let report = try kb.importFiles([missing, good, missingFolder])

        #expect(report.added == 1)
        #expect(report.failed.map(\.path) == [missing, missingFolder])
        for failure in report.failed { Self.expectOneSentence(failure.error, naming: failure.path) }
        #expect(try kb.count("articles") == 1)
    }

    @Test func jsonThatIsNotADump_failsWithOneSentence_andChangesNothing() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("data.json", #"{"hello": "world"}"#)
        let kb = try KnowledgeBase.inMemory()
        let before = try kb.rowCounts()
        let report = try kb.importFiles([path])
        let failure = try #require(report.failed.first)
        Self.expectOneSentence(failure.error, naming: path)
        #expect(try kb.rowCounts() == before)
    }

    // MARK: - Update

    /// The seed page with a correction in the first article, before a highlighted passage.
    static func correctedSeedPage() throws -> String {
        let page = try Fixtures.seedPage
        let corrected = page.replacingOccurrences(of: "市集互动区设置了", with: "市集互动区精心设置了")
        precondition(corrected != page)
        return corrected
    }

    @Test func update_correctedFile_editsTheArticleInPlace_andReanchorsItsAnnotations() throws {
        // Given the seed page imported from a path, with a highlight after the place that will change
        let folder = try TemporaryFolder()
        let path = try folder.write("page.txt", try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.importFiles([path])
        let target = try #require(
            try kb.allArticles().first { $0.body.contains("汇集上千个长三角非遗特色产品") })
        let quote = "汇集上千个长三角非遗特色产品"
        let annotation = try kb.annotate(
            target.id, target: .quote(quote, occurrence: nil, prefix: nil, suffix: nil), note: "规模")
        let oldStart = try #require(annotation.start)

        // When a corrected version of the same path is imported with --update
        try folder.write("page.txt", try Self.correctedSeedPage())
        let report = try kb.importFiles([path], options: ImportOptions(update: true))

        // Then the same article is edited, nothing is added, and the highlight moved with its text
        #expect(report.updated == 1)
        #expect(report.failed.isEmpty)
        #expect(report.articlesUpdated == 1)
        #expect(report.articlesAdded == 0)
        #expect(Set(report.articles) == Set(first.articles))
        #expect(try kb.count("articles") == 9)
        let edited = try kb.article(target.id)
        #expect(edited.article.body.contains("市集互动区精心设置了"))
        #expect(edited.article.title == target.title)
        let moved = try #require(edited.annotations.first)
        #expect(moved.id == annotation.id)
        #expect(moved.state == .anchored)
        #expect(moved.start == oldStart + 2)
        let range = try #require(moved.start.flatMap { s in moved.end.map { s..<$0 } })
        #expect(CodePoints(edited.article.body).string(range) == quote)
        #expect(moved.note == "规模")
        // The other articles' text is untouched; all of them now come from the corrected file.
        let corrected = try #require(
            try kb.read { db in
                try String.fetchOne(
                    db, sql: "SELECT id FROM sources WHERE text = ?", arguments: [try Self.correctedSeedPage()])
            })
        let articles = try kb.allArticles()
        for article in articles where article.id != target.id {
            #expect(article.updatedAt == article.createdAt)
        }
        #expect(articles.allSatisfy { $0.sourceID == corrected })
        #expect(Set(articles.map(\.position)) == Set(0..<9))
        let dump = try JSONText.decode(Dump.self, from: try kb.exportJSON())
        #expect(dump.sources.map(\.id) == [corrected])
    }

    @Test func update_thenTheSameCorrectedFileAgain_isUnchangedAndListsTheArticles() throws {
        // Given the seed page updated once by a corrected version of the same path
        let folder = try TemporaryFolder()
        let path = try folder.write("page.txt", try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.importFiles([path])
        try folder.write("page.txt", try Self.correctedSeedPage())
        _ = try kb.importFiles([path], options: ImportOptions(update: true))
        let before = try kb.rowCounts()

        // When the corrected file is imported again
        let again = try kb.importFiles([path], options: ImportOptions(update: true))

        // Then nothing changes, and the report still names the page's articles
        #expect(again.unchanged == 1)
        #expect(Set(again.articles) == Set(first.articles))
        #expect(try kb.rowCounts() == before)
    }

    @Test func withoutUpdate_correctedFile_addsOnlyTheChangedArticle() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("page.txt", try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.importFiles([path])
        try folder.write("page.txt", try Self.correctedSeedPage())

        let report = try kb.importFiles([path])

        // Eight articles are the same content (same ids); the corrected one is new.
        #expect(report.added == 1)
        #expect(report.articlesAdded == 1)
        #expect(Set(report.articles).intersection(first.articles).count == 8)
        #expect(try kb.count("articles") == 10)
    }
}
