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
        let source = try kb.read { db in try Source.fetchOne(db, sql: "SELECT * FROM sources") }
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
        let history = try kb.check().problems
        #expect(history.count == 1, "\(history)")
        #expect(history.first?.area == .history)
        #expect(history.first?.detail.contains("cannot be derived") == true, "\(history)")
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
}
