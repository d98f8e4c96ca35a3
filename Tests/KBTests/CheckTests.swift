import Foundation
import GRDB
import Testing

@testable import KB

/// `KnowledgeBase.check()`, `repair(path:)` and the one-sentence storage errors, on real files.
struct CheckTests {
    /// A knowledge base file with the seed page, a note with characters outside the BMP, and a tag.
    static func seeded(_ folder: TemporaryFolder) throws -> (KnowledgeBase, path: String) {
        let path = folder.url.appendingPathComponent("kb.sqlite").path
        let kb = try KnowledgeBase.open(path: path)
        let report = try kb.importText(try Fixtures.seedPage, name: "page.txt")
        let id = try #require(report.articles.first)
        _ = try kb.annotate(id, target: .range(0, 2), note: "😀𠮷 ＡＩ笔记")
        _ = try kb.tag(id, ["非遗"])
        return (kb, path)
    }

    @Test func check_soundFile_findsNothing() throws {
        let folder = try TemporaryFolder()
        let (kb, _) = try Self.seeded(folder)
        let report = try kb.check()
        #expect(report.isOK, "\(report.problems)")
        #expect(!report.isDamaged)
    }

    /// Emptying the trash removes rows whose creations stay in the history: that is no damage.
    @Test func check_afterEmptyingTheTrash_findsNothing_andRepairKeepsThemPurged() throws {
        let folder = try TemporaryFolder()
        let (kb, path) = try Self.seeded(folder)
        let article = try #require(try kb.allArticles().first)
        _ = try kb.trashArticle(article.id)
        _ = try kb.emptyTrash()
        let report = try kb.check()
        #expect(report.isOK, "\(report.problems)")
        _ = try KnowledgeBase.repair(path: path)
        let repaired = try KnowledgeBase.open(path: path)
        #expect(try repaired.check().isOK)
        #expect(try !repaired.allArticles().contains { $0.id == article.id })
    }

    @Test func check_searchIndexLackingAnArticle_isReported_andRepairRebuildsIt() throws {
        // Given an article that the search index lost
        let folder = try TemporaryFolder()
        let (kb, path) = try Self.seeded(folder)
        let article = try #require(try kb.allArticles().first { $0.body.contains("非遗") })
        let before = try kb.search("非遗").count
        try kb.database.writer.write { db in
            let rowid = try #require(
                try Int64.fetchOne(db, sql: "SELECT rowid FROM articles WHERE id = ?", arguments: [article.id]))
            try db.execute(
                sql: """
                    INSERT INTO articles_fts (articles_fts, rowid, body, title, subtitle, kicker, byline, dateline)
                    VALUES ('delete', ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    rowid, article.body, article.title, article.subtitle, article.kicker, article.byline,
                    article.dateline,
                ])
        }
        #expect(try kb.search("非遗").count == before - 1)

        // When
        let report = try kb.check()

        // Then
        #expect(report.problems == [.init(.fullText, "The search index 'articles_fts' lacks 1 of the live articles.")])
        #expect(!report.isDamaged)
        try kb.database.writer.close()
        let repaired = try KnowledgeBase.repair(path: path)
        #expect(repaired.check.isOK, "\(repaired.check.problems)")
        #expect(repaired.recovered["articles"] == 9)
        #expect(repaired.recovered["annotations"] == 1)
        #expect(repaired.incomplete.isEmpty)
        #expect(FileManager.default.fileExists(atPath: repaired.damagedCopy))
        let again = try KnowledgeBase.open(path: path)
        #expect(try again.search("非遗").count == before)
        #expect(try again.notes().map(\.note) == ["😀𠮷 ＡＩ笔记"])
    }

    @Test func markedDamaged_opensReadOnly_writesRefusedInOneSentence_unlessAllowed() throws {
        let folder = try TemporaryFolder()
        let (kb, path) = try Self.seeded(folder)
        let id = try #require(try kb.allArticles().first?.id)
        try kb.database.writer.close()
        StorageFailure.markDamaged(path, reason: "test")

        let damaged = try KnowledgeBase.open(path: path)
        #expect(try damaged.allArticles().count == 9, "reading works")
        let error = try #require(throws: KBError.self) { try damaged.tag(id, ["新"]) }
        #expect(error.kind == .damaged)
        #expect(error.message.contains("'\(path)'") && error.message.contains("kb check --repair"))
        #expect(!error.message.contains("SQL") && error.message.hasSuffix("."))

        let allowed = try KnowledgeBase.open(path: path, allowsDamaged: true)
        _ = try allowed.tag(id, ["新"])
        #expect(try allowed.check().isOK)
        #expect(!StorageFailure.isMarkedDamaged(path), "a sound check lifts the mark")
    }

    @Test(arguments: [
        (ResultCode.SQLITE_FULL, KBError.Kind.diskFull, "full"),
        (.SQLITE_READONLY, .readOnly, "read-only"),
        (.SQLITE_BUSY, .busy, "busy"),
        (.SQLITE_LOCKED, .busy, "busy"),
        (.SQLITE_IOERR, .storage, "disk"),
        (.SQLITE_CORRUPT, .damaged, "damaged"),
        (.SQLITE_NOTADB, .damaged, "first page"),
    ])
    func storageFailure_eachCode_isOneSentenceWithThePath(code: ResultCode, kind: KBError.Kind, word: String) throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("知识库 😀.sqlite").path
        let error = StorageFailure.error(
            code: code, extended: code, message: "database or disk is full - while executing `INSERT INTO x`",
            path: path)
        #expect(error.kind == kind)
        #expect(error.message.contains("'\(path)'"))
        #expect(error.message.contains(word))
        #expect(!error.message.contains("INSERT") && !error.message.contains("\n"))
        #expect(error.message.hasSuffix("."))
        #expect(error.message.filter { $0 == "." }.count <= 2, "one sentence: \(error.message)")
        #expect(StorageFailure.isMarkedDamaged(path) == (kind == .damaged), "only damage is remembered")
    }
}
