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
        let stored = try kb.read { db in try Source.readOne(db, sql: "SELECT * FROM sources") }
        #expect(stored?.text == (try Fixtures.seedPage))
    }

    @Test func seedPage_import_indexesThePageInOneSegmentEachArticleFound() throws {
        // Given an empty knowledge base
        let kb = try KnowledgeBase.inMemory()

        // When the seed page (nine articles) is imported
        let report = try kb.importText(try Fixtures.seedPage)

        // Then each text index holds the page in one segment (the entries are written after the rows, not one
        // segment per article), the full-text index agrees with the rows, and every article is found by the
        // first characters of its title
        let segments = try kb.read { db in
            try ["articles_fts", "articles_chars"].map {
                try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT segid) FROM \($0)_idx") ?? 0
            }
        }
        #expect(segments == [1, 1])
        try kb.database.writer.write { db in
            try db.execute(sql: "INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
        }
        let articles = try kb.allArticles()
        #expect(articles.count == 9)
        let ideographs = articles.filter {
            $0.title.count >= 4 && $0.title.prefix(4).unicodeScalars.allSatisfy { (0x4E00...0x9FFF).contains($0.value) }
        }
        #expect(ideographs.count >= 5)
        for article in ideographs {
            let query = String(article.title.prefix(4))
            let hits = try kb.search(query, limit: 50)
            #expect(hits.contains { $0.id == article.id }, "\(query)")
        }
        #expect(Set(articles.map(\.id)) == Set(report.articles))
    }

    @Test func batchOfSeveralMegabytes_isWrittenAsOneSegment_underTheHashSizeTheMigrationSets() throws {
        // Given an empty knowledge base: the migration raised FTS5's pending-entries limit on both indexes
        let kb = try KnowledgeBase.inMemory()
        let limits = try kb.read { db in
            try ["articles_fts", "articles_chars"].map {
                try Int.fetchOne(db, sql: "SELECT v FROM \($0)_config WHERE k = 'hashsize'")
            }
        }
        #expect(limits == [AppDatabase.ftsHashSize, AppDatabase.ftsHashSize])

        // When twelve documents of 30,000 random ideographs each (megabytes of entries, far past FTS5's
        // default of 1 MB) are imported in one batch
        let folder = try TemporaryFolder()
        var random = SeededGenerator(seed: 5)
        var paths: [String] = []
        for index in 0..<12 {
            let scalars = (0..<30_000).compactMap { _ in
                Unicode.Scalar(UInt32.random(in: 0x4E00...0x6FFF, using: &random))
            }
            paths.append(
                try folder.write(
                    "doc\(index).md", "# 文档\(index)\n\n" + String(String.UnicodeScalarView(scalars)) + "\n"))
        }
        let report = try kb.importFiles(paths)

        // Then each index wrote them out once, at commit, and they are searchable
        #expect(report.articles.count == 12)
        let segments = try kb.read { db in
            try ["articles_fts", "articles_chars"].map {
                try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT segid) FROM \($0)_idx") ?? 0
            }
        }
        #expect(segments == [1, 1])
        let body = try kb.article(report.articles[3]).article.body
        let query = String(body.unicodeScalars.dropFirst(100).prefix(6).map(Character.init))
        #expect(try kb.search(query, limit: 5).contains { $0.id == report.articles[3] })
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
        #expect(again.files.map(\.status) == [.unchanged])
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
        // Kept as written: plain text is no page whose lines the extraction wrapped.
        #expect(article.body == "The exhibition opened in Huangshan\nwith a paper-cut scroll.\n\nSecond paragraph.")
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
        let pdf = try folder.write("a/report.docx", "PK")
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
        BadFile(name: "utf16le.txt", bytes: [0xFF, 0xFE, 0x2C, 0x67, 0xA5], reason: "UTF-16LE"),
        BadFile(name: "utf16be.md", bytes: [0xFE, 0xFF, 0x67, 0x2C, 0xD8, 0x00], reason: "UTF-16BE"),
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
        #expect(report.files.map(\.status) == [.added, .failed, .added])
    }

    @Test(arguments: badFiles)
    func unreadableFile_changesNothing(_ bad: BadFile) throws {
        // Given a knowledge base with the seed page
        let folder = try TemporaryFolder()
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importText(try Fixtures.seedPage)
        let before = try kb.rowCounts()

        // When a bad file is imported, also as a new copy
        let badPath = try folder.write(bad.name, bad.bytes)
        let report = try kb.importFiles([badPath])
        let updating = try kb.importFiles([badPath], options: ImportOptions(mode: .asNew))

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

    // MARK: - Re-import in place

    /// The seed page with a correction in the first article, before a highlighted passage.
    static func correctedSeedPage() throws -> String {
        try Fixtures.seedPage.replacing("市集互动区设置了", with: "市集互动区精心设置了", expectedCount: 1)
    }

    /// The seed page with one character fixed in the first article ("流连" → "留连").
    static func oneCharacterFixedSeedPage() throws -> String {
        try Fixtures.seedPage.replacing("参观者流连于", with: "参观者留连于", expectedCount: 1)
    }

    /// The seed page without its third article (Shandong), which holds "出口转内销".
    static func seedPageWithoutAnArticle() throws -> String {
        let page = try Fixtures.seedPage
        let start = try #require(page.range(of: "本报讯 （杨明清"))
        let end = try #require(page.range(of: "本报讯 （记者李润钊"))
        return String(page[..<start.lowerBound] + page[end.lowerBound...])
    }

    /// The seed page with one more article at its end, with characters beyond the BMP and full-width forms.
    static func seedPageWithAnArticleAdded() throws -> String {
        try Fixtures.seedPage
            + "\n本报讯 （记者王芳）近日，安徽省总工会举办“𠮷祥非遗进校园”活动😀，ＡＩ讲解员向学生介绍徽州\n\n"
            + "木雕与剪纸技艺，现场气氛热烈。\n\n安徽：非遗技艺走进校园\n"
    }

    /// A highlight on the article that holds `quote`.
    static func annotate(_ kb: KnowledgeBase, _ quote: String, note: String) throws -> Annotation {
        let article = try #require(try kb.allArticles().first { $0.body.contains(quote) })
        return try kb.annotate(article.id, target: .quote(quote, occurrence: nil, prefix: nil, suffix: nil), note: note)
    }

    @Test func reimport_correctedFile_editsTheArticleInPlace_andReanchorsItsAnnotations() throws {
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

        // When a corrected version of the same path is imported
        try folder.write("page.txt", try Self.correctedSeedPage())
        let report = try kb.importFiles([path])

        // Then the same article is edited, nothing is added, and the highlight moved with its text
        #expect(report.updated == 1)
        #expect(report.failed.isEmpty)
        #expect(report.articlesUpdated == 1)
        #expect(report.articlesAdded == 0)
        #expect(report.articlesRemoved == 0)
        #expect(report.annotations == AnnotationTally(anchored: 1))
        #expect(report.review.isEmpty)
        let file = try #require(report.files.first)
        #expect(file.identity == .path)
        #expect(file.changes.map(\.id) == [target.id])
        #expect(file.changes.first?.fields == ["body"])
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
                let page = try Self.correctedSeedPage()
                return try Source.readAll(db, sql: "SELECT * FROM sources").first { $0.text == page }?.id
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

    @Test func reimport_thenTheSameCorrectedFileAgain_isUnchangedAndListsTheArticles() throws {
        // Given the seed page updated once by a corrected version of the same path
        let folder = try TemporaryFolder()
        let path = try folder.write("page.txt", try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.importFiles([path])
        try folder.write("page.txt", try Self.correctedSeedPage())
        _ = try kb.importFiles([path])
        let before = try kb.rowCounts()

        // When the corrected file is imported again, also with the mode that makes copies
        let again = try kb.importFiles([path])
        let asNew = try kb.importFiles([path], options: ImportOptions(mode: .asNew))

        // Then nothing changes, and the report still names the page's articles
        #expect(again.unchanged == 1 && asNew.unchanged == 1)
        #expect(Set(again.articles) == Set(first.articles))
        #expect(again.articlesUpdated == 0 && again.files.first?.changes == [])
        #expect(try kb.rowCounts() == before)
    }

    @Test func reimport_oneCharacterFixed_keepsOneCopy_notesAnchoredOrFuzzy_andTheReportNamesThem() throws {
        // Given the seed page with two notes on its first article: one away from the typo, one on it
        let folder = try TemporaryFolder()
        let path = try folder.write("page.txt", try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.importFiles([path])
        let untouched = try Self.annotate(kb, "长三角三省一市职工非遗技艺交流活动", note: "活动名称")
        let onTheFix = try Self.annotate(kb, "参观者流连于各个非遗展位间", note: "观众")
        let changesBefore = try kb.allChanges().count

        // When the page with the one character fixed is imported again from the same path
        try folder.write("page.txt", try Self.oneCharacterFixedSeedPage())
        let report = try kb.importFiles([path])

        // Then one copy remains, edited as an ordinary change of its body
        #expect(report.updated == 1 && report.added == 0 && report.failed.isEmpty)
        #expect(report.articlesUpdated == 1 && report.articlesAdded == 0 && report.articlesRemoved == 0)
        #expect(try kb.count("articles") == 9)
        #expect(Set(report.articles) == Set(first.articles))
        let article = try kb.article(untouched.articleID)
        #expect(article.article.body.contains("参观者留连于各个非遗展位间"))
        let edits = try kb.allChanges().dropFirst(changesBefore).filter { $0.entityID == untouched.articleID }
        #expect(edits.contains { $0.op == .set && $0.field == .body && $0.entity == .article })
        #expect(!edits.contains { $0.field == Change.deletedField || $0.op == .create })
        // The notes stay on it: anchored where the quote is intact, fuzzy where the fix is inside it
        let notes = Dictionary(uniqueKeysWithValues: article.annotations.map { ($0.id, $0) })
        #expect(notes[untouched.id]?.state == .anchored)
        #expect(notes[untouched.id]?.start == untouched.start)
        let fuzzy = try #require(notes[onTheFix.id])
        #expect(fuzzy.state == .fuzzy)
        #expect(fuzzy.quote == "参观者流连于各个非遗展位间")
        let range = try #require(fuzzy.start.flatMap { s in fuzzy.end.map { s..<$0 } })
        #expect(CodePoints(article.article.body).string(range) == "参观者留连于各个非遗展位间")
        // And the report says so, naming the fuzzy note
        #expect(report.annotations == AnnotationTally(anchored: 1, fuzzy: 1))
        #expect(
            report.review == [
                AnnotationReview(
                    id: onTheFix.id, articleID: onTheFix.articleID, quote: onTheFix.quote, outcome: .fuzzy)
            ])
        let change = try #require(report.files.first?.changes.first)
        #expect(report.files.first?.changes.count == 1)
        #expect(change.id == untouched.articleID && change.kind == .updated && change.fields == ["body"])
        #expect(change.annotations == AnnotationTally(anchored: 1, fuzzy: 1))
    }

    @Test func reimport_keepsEditsMadeSince_andMergesTheFixIntoAnEditedBody() throws {
        // Given the seed page, whose first article was retitled and had a word added to its body since
        let folder = try TemporaryFolder()
        let path = try folder.write("page.txt", try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importFiles([path])
        let target = try #require(try kb.allArticles().first { $0.body.contains("参观者流连于") })
        let edited = try target.body.replacing("共话非遗匠心。", with: "共话非遗匠心（笔记𠮷）。", expectedCount: 1)
        _ = try kb.editArticle(target.id, title: "我改的标题😀", body: edited)

        // When the page with one character fixed in that body is imported again
        try folder.write("page.txt", try Self.oneCharacterFixedSeedPage())
        let report = try kb.importFiles([path])

        // Then the edits stay and the fix is merged in
        let article = try kb.article(target.id).article
        #expect(article.title == "我改的标题😀")
        #expect(article.body.contains("共话非遗匠心（笔记𠮷）。"))
        #expect(article.body.contains("参观者留连于"))
        let change = try #require(report.files.first?.changes.first)
        #expect(change.kind == .updated && change.fields == ["body"] && change.kept == [])
        #expect(try kb.count("articles") == 9)
    }

    @Test func reimport_fixWhereTheArticleWasEditedToo_keepsTheEdit_andSaysSo() throws {
        // Given the seed page, whose first article had the very character of the coming fix edited otherwise
        let folder = try TemporaryFolder()
        let path = try folder.write("page.txt", try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importFiles([path])
        let target = try #require(try kb.allArticles().first { $0.body.contains("参观者流连于") })
        _ = try kb.editArticle(
            target.id, body: try target.body.replacing("参观者流连于", with: "参观者浏连于", expectedCount: 1))

        // When the page with that character fixed is imported again
        try folder.write("page.txt", try Self.oneCharacterFixedSeedPage())
        let report = try kb.importFiles([path])

        // Then the edit stays, nothing is written over it, and the report names the field kept
        #expect(try kb.article(target.id).article.body.contains("参观者浏连于"))
        #expect(report.updated == 1 && report.articlesUpdated == 0)
        let change = try #require(report.files.first?.changes.first)
        #expect(report.files.first?.changes.count == 1)
        #expect(change.id == target.id && change.kind == .kept && change.kept == ["body"] && change.fields == [])
    }

    @Test func reimport_fixBeforeANote_movesItByCodePoints() throws {
        // Given a Markdown note with characters beyond the BMP, an emoji and full-width forms before a highlight
        let folder = try TemporaryFolder()
        let original = "# 𠮷野家😀调研\n\n𠮷野家😀的ＡＩ讲座很精彩。第二句说明细节，请记下来。\n"
        let path = try folder.write("调研.md", original)
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importFiles([path])
        let note = try Self.annotate(kb, "第二句说明细节", note: "细节")
        let start = try #require(note.start)

        // When the corrected file adds a thumbs-up with a skin tone (two code points, one character) before it
        try folder.write("调研.md", original.replacing("ＡＩ讲座很精彩", with: "ＡＩ讲座👍🏽很精彩", expectedCount: 1))
        let report = try kb.importFiles([path])

        // Then the same article holds the note, two code points further on
        #expect(report.updated == 1 && report.articlesUpdated == 1 && report.articlesAdded == 0)
        let moved = try #require(try kb.article(note.articleID).annotations.first)
        #expect(moved.state == .anchored)
        #expect(moved.start == start + 2)
        #expect(report.annotations == AnnotationTally(anchored: 1))
    }

    @Test func reimport_pageWithAnArticleRemoved_movesItToTheTrash_withItsNote() throws {
        // Given the seed page with a note on its Shandong article
        let folder = try TemporaryFolder()
        let path = try folder.write("page.txt", try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importFiles([path])
        let note = try Self.annotate(kb, "出口转内销", note: "内销")

        // When the page without that article is imported again
        try folder.write("page.txt", try Self.seedPageWithoutAnArticle())
        let report = try kb.importFiles([path])

        // Then the article went to the trash as a delete change, with its note, and the report names both
        #expect(report.updated == 1 && report.articlesRemoved == 1)
        #expect(report.articlesAdded == 0 && report.articlesUpdated == 0)
        #expect(!report.articles.contains(note.articleID))
        #expect(try kb.allArticles().count == 8)
        let stored = try #require(try kb.read { db in try Article.fetch(db, id: note.articleID) })
        #expect(stored.isDeleted)
        let delete = try #require(
            try kb.allChanges().last { $0.entityID == note.articleID && $0.field == Change.deletedField })
        #expect(delete.value == "true")
        #expect(try kb.storedAnnotation(note.id)?.isDeleted == false)
        #expect(report.annotations == AnnotationTally(trashed: 1))
        #expect(
            report.review == [
                AnnotationReview(id: note.id, articleID: note.articleID, quote: "出口转内销", outcome: .trashed)
            ])
        let change = try #require(report.files.first?.changes.first)
        #expect(change.kind == .removed && change.id == note.articleID && change.annotations.trashed == 1)
    }

    @Test func reimport_pageWithAnArticleAdded_addsIt_andLeavesTheOthers() throws {
        // Given the seed page
        let folder = try TemporaryFolder()
        let path = try folder.write("page.txt", try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.importFiles([path])

        // When the page with one more article is imported again
        try folder.write("page.txt", try Self.seedPageWithAnArticleAdded())
        let report = try kb.importFiles([path])

        // Then one article is added and the others are as they were
        #expect(report.updated == 1 && report.articlesAdded == 1)
        #expect(report.articlesUpdated == 0 && report.articlesRemoved == 0)
        #expect(try kb.allArticles().count == 10)
        #expect(Array(report.articles.prefix(9)) == first.articles)
        let added = try #require(report.articles.last)
        #expect(report.files.first?.changes.map(\.id) == [added])
        #expect(report.files.first?.changes.first?.kind == .added)
        #expect(try kb.article(added).article.body.contains("“𠮷祥非遗进校园”活动😀，ＡＩ讲解员"))
        #expect(try kb.allArticles().filter { $0.id != added }.allSatisfy { $0.updatedAt == $0.createdAt })
    }

    @Test func asNew_correctedFile_addsACopy_andLeavesTheNoteOnTheOld() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("page.txt", try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.importFiles([path])
        let note = try Self.annotate(kb, "参观者流连于各个非遗展位间", note: "观众")
        try folder.write("page.txt", try Self.oneCharacterFixedSeedPage())

        let report = try kb.importFiles([path], options: ImportOptions(mode: .asNew))

        // Eight articles are the same content (same ids); the corrected one is a new copy.
        #expect(report.added == 1 && report.updated == 0)
        #expect(report.articlesAdded == 1)
        #expect(Set(report.articles).intersection(first.articles).count == 8)
        #expect(try kb.count("articles") == 10)
        let old = try kb.article(note.articleID)
        #expect(old.article.body.contains("参观者流连于"))
        #expect(old.annotations.map(\.id) == [note.id])
        #expect(old.annotations.first?.state == .anchored)
    }

    @Test func reimport_renamedFile_withTheSameFirstLines_updatesInPlace() throws {
        let folder = try TemporaryFolder()
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.importFiles([try folder.write("2025-04-22/第6版.txt", try Fixtures.seedPage)])
        let note = try Self.annotate(kb, "参观者流连于各个非遗展位间", note: "观众")

        let renamed = try folder.write("corrected/page-6-fixed.txt", try Self.oneCharacterFixedSeedPage())
        let report = try kb.importFiles([renamed])

        #expect(report.updated == 1 && report.articlesUpdated == 1 && report.articlesAdded == 0)
        #expect(report.files.first?.identity == .firstLines)
        #expect(report.files.first?.previous?.hasSuffix("2025-04-22/第6版.txt") == true)
        #expect(Set(report.articles) == Set(first.articles))
        #expect(try kb.count("articles") == 9)
        #expect(try kb.article(note.articleID).annotations.first?.state == .fuzzy)
        // The corrected file is now the page's source: importing it again is a no-op.
        #expect(try kb.importFiles([renamed]).unchanged == 1)
    }

    @Test func reimport_sameFileNameInAnotherFolder_updatesInPlace() throws {
        let folder = try TemporaryFolder()
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.importFiles([try folder.write("inbox/第6版.txt", try Fixtures.seedPage)])
        // The first line differs too: only the name says which page it is.
        let fixed = try Fixtures.seedPage.replacing("本报讯 （记 者 陈 华）", with: "本报讯（记者 陈华）", expectedCount: 1)
            .replacing("参观者流连于", with: "参观者留连于", expectedCount: 1)

        let report = try kb.importFiles([try folder.write("archive/第6版.txt", fixed)])

        #expect(report.updated == 1 && report.articlesAdded == 0)
        #expect(report.files.first?.identity == .fileName)
        #expect(Set(report.articles) == Set(first.articles))
    }

    @Test func folder_storedInOneBatch_updateFailureAndNewFiles_indexMatchesTheRows() throws {
        // Given a folder whose files are stored in one batch: a page, an edited copy of it under the same name
        // (it updates the first one's articles in place, whose entries were still waiting), an empty file
        // (it fails) and a note
        let folder = try TemporaryFolder()
        let kb = try KnowledgeBase.inMemory()
        try folder.write("a/第6版.txt", try Fixtures.seedPage)
        let fixed = try Fixtures.seedPage.replacing("参观者流连于", with: "参观者留连于", expectedCount: 1)
        try folder.write("b/第6版.txt", fixed)
        let empty = try folder.write("c/empty.txt", "")
        try folder.write("d/调研.md", "# 黄山调研\n\n徽州木雕的笔记。\n")

        // When the folder is imported
        let report = try kb.importFiles([folder.url.path])

        // Then the empty file alone fails, the copy updated the page, and the full-text index agrees with the
        // rows: the edited text is found, the text it replaced is not, and the note is found
        #expect(report.failed.map(\.path) == [empty])
        #expect(report.added == 2 && report.updated == 1)
        try kb.database.writer.write { db in
            try db.execute(sql: "INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
        }
        #expect(try kb.search("参观者留连于").count == 1)
        #expect(try kb.search("参观者流连于").isEmpty)
        #expect(try kb.search("徽州木雕").count == 1)
        #expect(try kb.count("articles") == 10)
    }

    @Test(arguments: [false, true])
    func reimport_editedNoteFileInAnotherFolder_isFoundByItsName(inOneImport: Bool) throws {
        // Given a one-article note file, and an edited copy of it elsewhere (its only article changed, and
        // its first lines too), imported in the same call or in two
        let folder = try TemporaryFolder()
        let kb = try KnowledgeBase.inMemory()
        let first = try folder.write("desk/调研笔记.md", "# 黄山调研\n\n非遗市集的笔记，𠮷祥物很受欢迎。\n")
        let second = try folder.write("laptop/调研笔记.md", "# 黄山调研\n\n非遗市集的笔记，𠮷祥物很受欢迎😀。\n")
        let reports =
            try inOneImport ? [kb.importFiles([first, second])] : [first, second].map { try kb.importFiles([$0]) }
        let report = try #require(reports.last)

        // Then the second file updated the first one's article in place
        #expect(report.files.last?.status == .updated)
        #expect(report.files.last?.identity == .fileName)
        #expect(try kb.allArticles().count == 1)
        #expect(try kb.allArticles().first?.body.hasSuffix("很受欢迎😀。") == true)
    }

    @Test func pathReusedForAnotherPage_sharingTwoOfItsFiveItems_isANewPage() throws {
        // Given the seed page imported from a path
        let folder = try TemporaryFolder()
        let path = try folder.write("today.txt", try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.importFiles([path])

        // When the next day's page, three new articles and the seed page's last two items, is saved at the same path
        let seed = try Fixtures.seedPage
        let last = try #require(seed.range(of: "本报讯 （记者李玉波"))
        let next =
            "本报讯 （记者王芳）近日，安徽省总工会举办“𠮷祥非遗进校园”活动😀，ＡＩ讲解员向学生介绍徽州木雕技艺。\n\n"
            + "安徽：非遗技艺走进校园\n\n本报讯 （记者李明）4月24日，浙江省总工会发布职工疗休养新线路，"
            + "涵盖 12 个非遗体验点。\n\n浙江：职工疗休养新线路发布\n\n本报讯 （记者赵强）江苏省总工会启动"
            + "“工会送清凉”活动，惠及 30 万名一线职工。\n\n江苏：工会送清凉\n\n" + seed[last.lowerBound...]
        try folder.write("today.txt", next)
        let report = try kb.importFiles([path])

        // Then it is a new page: the earlier page's articles all stay
        #expect(report.added == 1 && report.updated == 0 && report.articlesRemoved == 0)
        #expect(report.articles.count == 5)
        #expect(Set(report.articles).intersection(first.articles).count == 2)
        #expect(Set(try kb.allArticles().map(\.id)).isSuperset(of: first.articles))
        #expect(report.articlesAdded == 3)
    }

    @Test func differentPages_withTheSameFileName_areBothKept() throws {
        // Given a note file imported from one folder
        let folder = try TemporaryFolder()
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.importFiles([try folder.write("a/notes.md", "# 黄山\n\n非遗市集的笔记，𠮷祥物很受欢迎。")])

        // When another, unrelated note file of the same name is imported
        let second = try kb.importFiles([try folder.write("b/notes.md", "# Ｓｕｚｈｏｕ\n\n评弹演出 notes 😀，完全另一篇。")])

        // Then it is a new page: nothing is updated or removed
        #expect(second.added == 1 && second.updated == 0 && second.articlesRemoved == 0)
        #expect(try kb.allArticles().count == 2)
        #expect(Set(try kb.allArticles().map(\.id)).isSuperset(of: first.articles))
    }

    @Test func reimport_onTwoKnowledgeBases_givesTheSameArticleIDs() throws {
        // Given the seed page imported on two knowledge bases, apart
        let folder = try TemporaryFolder()
        let one = try KnowledgeBase.inMemory()
        let two = try KnowledgeBase.inMemory(clock: .fixed(1_900_000_000_000))
        _ = try one.importFiles([try folder.write("one/page.txt", try Fixtures.seedPage)])
        _ = try two.importFiles([try folder.write("two/page.txt", try Fixtures.seedPage)])

        // When each re-imports the same new version (one article fixed, one removed, one added)
        let next = try Self.seedPageWithAnArticleAdded().replacing("参观者流连于", with: "参观者留连于", expectedCount: 1)
        let start = try #require(next.range(of: "本报讯 （杨明清"))
        let end = try #require(next.range(of: "本报讯 （记者李润钊"))
        let page = String(next[..<start.lowerBound] + next[end.lowerBound...])
        let first = try one.importFiles([try folder.write("one/page.txt", page)])
        let second = try two.importFiles([try folder.write("two/page.txt", page)])

        // Then both hold the same articles under the same ids
        #expect(first.articlesUpdated == 1 && first.articlesAdded == 1 && first.articlesRemoved == 1)
        #expect(first.articles == second.articles)
        #expect(try one.allArticles().map(\.id) == two.allArticles().map(\.id))
        #expect(try one.allArticles().map(\.body) == two.allArticles().map(\.body))
    }
}
