import Foundation
import GRDB
import Testing

@testable import KB

/// The text a knowledge base keeps once: pages compressed, article creations read from their rows.
@Suite struct CompactStorageTests {
    /// A page of mixed text: CJK, Extension B, emoji, full-width forms and Latin.
    static let mixedText = String(
        repeating: "长三角职工非遗技艺交流活动在黄山举行，𠮷野家😀与ＡＩ大模型 Swift 6 同场。\n", count: 40)

    @Test func longText_isStoredCompressed_andReadBackWhole() throws {
        let value = CompressedText.databaseValue(Self.mixedText)
        guard case .blob(let data) = value.storage else {
            Issue.record("a text of \(Self.mixedText.utf8.count) bytes is stored as \(value)")
            return
        }
        #expect(data.count < Self.mixedText.utf8.count / 2)
        #expect(try CompressedText.text(value) == Self.mixedText)
    }

    @Test func shortText_andTextWrittenBefore_areStoredAndReadAsText() throws {
        let short = "𠮷野家😀"
        #expect(CompressedText.databaseValue(short) == short.databaseValue)
        #expect(try CompressedText.text(Self.mixedText.databaseValue) == Self.mixedText)
    }

    /// A head compressed ahead, then a rest of any length (several stored blocks past 65,535 bytes), reads back as
    /// the whole text.
    @Test(arguments: [0, 1, 300, 65_535, 65_536, 140_000])
    func headCompressedAhead_thenRest_readsBackWhole(restLength: Int) throws {
        let head = try #require(CompressedText.head(Self.mixedText))
        let rest = String(String(repeating: "尾𠮷a😀，", count: restLength / 4 + 1).utf8.prefix(restLength)) ?? ""
        let value = CompressedText.databaseValue(head, then: rest)
        #expect(try CompressedText.text(value) == Self.mixedText + rest)
    }

    @Test func articleCreation_compressedAhead_isItsJSONByteForByte() throws {
        let article = Article(
            id: "x", sourceID: "s1", position: 3, kind: "caption", title: "标题𠮷", subtitle: "副题", kicker: "引题",
            byline: "本报记者 张三", dateline: "北京4月21日电", body: Self.mixedText, continuation: "（下转第2版）",
            createdAt: 1_765_000_000_123)
        let creation = ArticleCreation(article)
        let head = try #require(
            CompressedText.head(
                ArticleCreation.jsonHead(body: article.body, byline: article.byline, continuation: article.continuation)
            ))
        let value = CompressedText.databaseValue(head, then: creation.jsonTail)
        #expect(try CompressedText.text(value) == creation.jsonText)
        #expect(try JSONText.decode(ArticleCreation.self, from: creation.jsonText) == creation)
    }

    @Test func damagedBlob_isReportedAsDamaged_notReadAsText() throws {
        guard case .blob(let data) = CompressedText.databaseValue(Self.mixedText).storage else {
            Issue.record("not compressed")
            return
        }
        var bytes = [UInt8](data)
        bytes.removeLast(bytes.count / 2)
        #expect { try CompressedText.text(Data(bytes).databaseValue) } throws: { error in
            (error as? KBError)?.kind == .damaged
        }
        bytes[0] = 9
        #expect { try CompressedText.text(Data(bytes).databaseValue) } throws: { error in
            (error as? KBError)?.kind == .damaged
        }
    }

    @Test func importedPage_keepsItsTextAndItsArticlesCreationsCompressed() throws {
        let kb = try KnowledgeBase.inMemory()
        let page = try Fixtures.seedPage
        _ = try kb.importText(page)
        let types = try kb.read { db in try String.fetchAll(db, sql: "SELECT typeof(text) FROM sources") }
        #expect(types == ["blob"])
        let source = try kb.read { db in try Source.readOne(db, sql: "SELECT * FROM sources") }
        #expect(source?.text == page)
        let articles = try kb.allArticles()
        #expect(articles.count == 9)
        // Creations of 512 bytes or more are compressed, and read back as they were made.
        let long = articles.filter { ArticleCreation($0).jsonText.utf8.count >= CompressedText.threshold }
        let blobs = try kb.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes WHERE typeof(value) = 'blob'")
        }
        #expect(blobs == long.count)
        #expect(long.count >= 7)
        let creations = try kb.allChanges().filter { $0.entity == .article && $0.field == .create }
        #expect(creations.count == 9)
        for change in creations {
            let article = try #require(articles.first { $0.id == change.entityID })
            #expect(change.value == ArticleCreation(article).jsonText)
        }
    }

    @Test func editedBody_isKeptCompressed_andEveryVersionReadsBack() throws {
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importText(try Fixtures.seedPage)
        let original = try #require(try kb.allArticles().max { $0.body.utf8.count < $1.body.utf8.count })
        let edited = original.body + "\n补记𠮷😀ＡＩ"
        _ = try kb.editArticle(original.id, title: "新标题𠮷", body: edited)
        let bodyChange = try #require(
            try kb.allChanges().last { $0.entityID == original.id && $0.field == .body })
        #expect(bodyChange.value == JSONText.string(edited))
        let stored = try kb.read { db in
            try String.fetchOne(
                db, sql: "SELECT typeof(value) FROM changes WHERE entity_id = ? AND field = 'body'",
                arguments: [original.id])
        }
        #expect(stored == "blob")
        guard case .article(let first) = try kb.record(original.id, atVersion: 1).record else {
            Issue.record("version 1 is not an article")
            return
        }
        #expect(first.title == original.title)
        #expect(first.body == original.body)
        #expect(try kb.article(original.id).article.body == edited)
        #expect(try kb.check().problems.isEmpty)
    }

    @Test func damagedCompressedValue_orPage_isReportedByCheck() throws {
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importText(try Fixtures.seedPage)
        #expect(try kb.check().isOK)
        // One article's creation gets a wrong format byte: its record can no longer be derived.
        try kb.database.writer.write { db in
            try db.execute(
                sql: """
                    UPDATE changes SET value = X'09' || substr(value, 2)
                    WHERE rowid = (SELECT MIN(rowid) FROM changes WHERE typeof(value) = 'blob')
                    """)
        }
        // The page, kept as references to its articles' creations, cannot be read back either.
        let history = try kb.check().problems
        #expect(history.count == 2, "\(history)")
        #expect(history.allSatisfy { $0.area == .history })
        #expect(history.first?.detail.contains("cannot be derived") == true, "\(history)")
        #expect(history.last?.detail == "1 imported page's compressed text cannot be read back.", "\(history)")
        // The page's blob loses its last bytes.
        try kb.database.writer.write { db in
            try db.execute(sql: "UPDATE sources SET text = substr(text, 1, length(text) - 40)")
        }
        let page = try kb.check().problems
        #expect(
            page.contains {
                $0.area == .history && $0.detail == "1 imported page's compressed text cannot be read back."
            })
    }

    // MARK: - Pages kept as references to their articles

    /// The seed page with lines of mixed text (CJK, Extension B, emoji, full-width forms) in a paragraph of its
    /// own, wrapped as the page is.
    static var mixedPage: String {
        get throws {
            try Fixtures.seedPage + "\n\n" + (0..<12).map { "第\($0)行𠮷野家😀与ＡＩ模型同场，全角（１２３）。\n\n" }.joined()
        }
    }

    /// The stored value of the only page, and the page as read back.
    static func storedPage(_ kb: KnowledgeBase) throws -> (blob: [UInt8], text: String?) {
        try kb.read { db in
            let value = try #require(try DatabaseValue.fetchOne(db, sql: "SELECT text FROM sources"))
            guard case .blob(let data) = value.storage else { return ([], nil) }
            return ([UInt8](data), try Source.readOne(db, sql: "SELECT * FROM sources")?.text)
        }
    }

    @Test func importedPage_isKeptAsReferencesToItsArticlesCreations_andReadsBackWhole() throws {
        let kb = try KnowledgeBase.inMemory()
        let page = try Self.mixedPage
        _ = try kb.importText(page)
        let (blob, text) = try Self.storedPage(kb)
        #expect(blob.first == CompressedText.Format.articleDictionary.rawValue)
        #expect(text == page)
        // Far smaller than the page compressed on its own.
        guard case .blob(let alone) = CompressedText.databaseValue(page).storage else {
            Issue.record("the page is not compressed on its own")
            return
        }
        #expect(blob.count * 3 < alone.count, "\(blob.count) bytes against \(alone.count)")
        #expect(try kb.exportJSON().contains(JSONText.string(page)))
        #expect(try kb.check().isOK)
    }

    /// A page longer than the window is cut into chunks, each with its slice of the articles' texts.
    @Test func pageLongerThanTheWindow_isKeptInChunks_andReadsBackWhole() throws {
        let kb = try KnowledgeBase.inMemory()
        let page = try (1...3).map { "第\($0)版\n\n" + (try Self.mixedPage) }.joined(separator: "\n\n")
        _ = try kb.importText(page)
        let (blob, text) = try Self.storedPage(kb)
        #expect(blob.first == CompressedText.Format.articleDictionary.rawValue)
        #expect(page.utf8.count > PageDictionary.window * 2)
        #expect(text == page)
        #expect(try kb.check().isOK)
    }

    /// The page reads its articles' creations, not their rows: editing an article later changes nothing of it.
    @Test func pageWhoseArticlesWereEditedLater_readsBackAsImported() throws {
        let kb = try KnowledgeBase.inMemory()
        let page = try Self.mixedPage
        _ = try kb.importText(page)
        for article in try kb.allArticles() {
            _ = try kb.editArticle(article.id, title: "改𠮷" + article.title, body: "😀" + article.body + "补记")
        }
        #expect(try Self.storedPage(kb).text == page)
        #expect(try kb.check().isOK)
    }

    @Test func pageWhoseCreationIsAltered_isReportedByCheck_andNotReadAsAnotherText() throws {
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importText(try Self.mixedPage)
        let creation = try #require(
            try kb.allChanges().first { $0.entity == .article && $0.field == .create && $0.value != nil })
        let altered = try #require(creation.value).replacingOccurrences(of: "，", with: "、")
        #expect(altered != creation.value)
        try kb.database.writer.write { db in
            try db.execute(
                sql: "UPDATE changes SET value = ? WHERE replica = ? AND seq = ?",
                arguments: [altered, creation.id.replica, creation.id.seq])
        }
        #expect { try Self.storedPage(kb) } throws: { error in (error as? KBError)?.kind == .damaged }
        let problems = try kb.check().problems
        #expect(problems.contains { $0.detail == "1 imported page's compressed text cannot be read back." })
    }

    /// A page whose articles were here before it (another file with the same text) is compressed on its own.
    @Test func pageWhoseArticlesWereHereBefore_isCompressedOnItsOwn() throws {
        let kb = try KnowledgeBase.inMemory()
        let page = try Self.mixedPage
        _ = try kb.importText(page, name: "a.txt")
        _ = try kb.importText(page + "\n\n", name: "b.txt", mode: .asNew)
        let formats = try kb.read { db in
            try Data.fetchAll(db, sql: "SELECT substr(text, 1, 1) FROM sources ORDER BY rowid").map { $0.first }
        }
        #expect(
            formats == [CompressedText.Format.articleDictionary.rawValue, CompressedText.Format.rawDeflate.rawValue])
        let texts = try kb.read { db in
            try Source.readAll(db, sql: "SELECT * FROM sources ORDER BY rowid").map(\.text)
        }
        #expect(texts == [page, page + "\n\n"])
        #expect(try kb.check().isOK)
    }

    /// Pages as earlier versions of kb stored them (as text, or compressed on their own) read the same.
    @Test(arguments: [false, true])
    func pageStoredByAnEarlierVersion_readsTheSame(compressed: Bool) throws {
        let kb = try KnowledgeBase.inMemory()
        let page = try Self.mixedPage
        _ = try kb.importText(page)
        try kb.database.writer.write { db in
            try db.execute(
                sql: "UPDATE sources SET text = ?",
                arguments: [compressed ? CompressedText.databaseValue(page) : page.databaseValue])
        }
        let stored = try kb.read { db in try String.fetchOne(db, sql: "SELECT typeof(text) FROM sources") }
        #expect(stored == (compressed ? "blob" : "text"))
        #expect(try kb.read { db in try Source.readOne(db, sql: "SELECT * FROM sources")?.text } == page)
        #expect(try kb.exportJSON().contains(JSONText.string(page)))
        #expect(try kb.check().isOK)
    }

    // MARK: - Free pages

    @Test func newFile_givesItsFreePagesBack_afterAnImportAndEmptyingTheTrash() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kb-free-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("kb.sqlite").path
        let kb = KnowledgeBase(database: try AppDatabase.open(path: path), clock: TestClock().clock)
        let pragma = { (name: String) in try kb.read { db in try Int.fetchOne(db, sql: "PRAGMA \(name)") } }
        #expect(try pragma("auto_vacuum") == 2)
        let page = try Self.mixedPage
        _ = try kb.importText(page)
        #expect(try pragma("freelist_count") == 0)
        #expect(try kb.check().isOK)
        for article in try kb.allArticles() { _ = try kb.trashArticle(article.id) }
        let pages = try #require(try pragma("page_count"))
        _ = try kb.emptyTrash()
        #expect(try pragma("freelist_count") == 0)
        #expect(try #require(try pragma("page_count")) < pages)
        // The purged articles' creations stay in the history: the page still reads back.
        #expect(try Self.storedPage(kb).text == page)
    }

    /// A file made before kb set auto-vacuum keeps working as it is.
    @Test func fileWithoutAutoVacuum_importsAndReadsAsBefore() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kb-free-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("kb.sqlite").path
        try AppDatabase(DatabaseQueue(path: path, configuration: AppDatabase.makeConfiguration())).writer.close()
        let kb = KnowledgeBase(database: try AppDatabase.open(path: path), clock: TestClock().clock)
        let page = try Self.mixedPage
        _ = try kb.importText(page)
        #expect(try kb.read { db in try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") } == 0)
        #expect(try Self.storedPage(kb).text == page)
        #expect(try kb.check().isOK)
    }
}
