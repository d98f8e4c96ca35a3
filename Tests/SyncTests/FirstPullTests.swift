import Foundation
import GRDB
import KB
import Testing

@testable import Sync

/// A fresh replica's first pull writes the records of a page straight from their creations and adds their
/// full-text entries after the rows (`PendingIndex`): the indexes must come out whole, whatever the page size.
@Suite(.serialized)
struct FirstPullTests {
    let clock = TestClock()

    /// Replica 0 imports the seed page, annotates every article twice (a note on the first) and tags one; it
    /// pushes everything.
    func annotatedHub() async throws -> (hub: TestHub, token: String, origin: Replica, notes: Int) {
        let hub = try TestHub()
        let token = try await hub.token(for: "research")
        let origin = try Replica("r0", hub: hub, token: token, clock: clock.clock)
        try origin.importPage(try SeedPage.text)
        var notes = 0
        for (index, article) in try origin.kb.listArticles().enumerated() {
            _ = try origin.kb.annotate(
                article.id, target: .range(0, 4), note: "核对要点第\(index)条", tags: index == 0 ? ["待查"] : [])
            _ = try origin.kb.annotate(article.id, target: .range(2, 6))
            notes += 1
        }
        try await origin.sync()
        return (hub, token, origin, notes)
    }

    func pulled(from hub: TestHub, token: String, name: String, pageSize: Int) async throws -> (
        Replica, SyncReport
    ) {
        let replica = try Replica(name, hub: hub, token: token, clock: clock.clock)
        var engine = SyncEngine(kb: replica.kb, transport: InProcessTransport(service: hub.service))
        engine.pageSize = pageSize
        return (replica, try await engine.sync(remote: "origin"))
    }

    @Test(arguments: [1000, 7, 1])
    func firstPull_indexesWholeAndSearchable(pageSize: Int) async throws {
        let (hub, token, origin, notes) = try await annotatedHub()
        let (replica, report) = try await pulled(from: hub, token: token, name: "r1", pageSize: pageSize)
        #expect(report.quarantined == 0)
        #expect(try replica.digest == origin.digest)
        let check = try replica.kb.check()
        #expect(check.problems.isEmpty, "\(check.problems)")
        // Every article and every note is found through the index the pull wrote.
        #expect(try replica.kb.search("市场开拓能力").count == 1)
        let found = try replica.kb.search("核对要点", limit: 100).filter { $0.annotationID != nil }
        #expect(found.count == notes)
        #expect(
            try replica.count("SELECT COUNT(*) FROM articles_fts_docsize")
                == replica.count("SELECT COUNT(*) FROM articles WHERE deleted = 0"))
        #expect(
            try replica.count("SELECT COUNT(*) FROM annotations_fts_docsize")
                == replica.count("SELECT COUNT(*) FROM annotations WHERE deleted = 0"))
        // Annotations are anchored where they were made.
        #expect(try replica.count("SELECT COUNT(*) FROM annotations WHERE state != 'anchored'") == 0)
        #expect(
            try replica.kb.notes().map { "\($0.id) \($0.start ?? -1) \($0.end ?? -1)" }.sorted()
                == origin.kb.notes().map { "\($0.id) \($0.start ?? -1) \($0.end ?? -1)" }.sorted())
    }

    /// A pull into a file made with auto-vacuum gives the file's free pages back; a sync that pulls nothing
    /// leaves the file as it is.
    @Test func pullIntoAFile_givesItsFreePagesBack() async throws {
        let (hub, token, origin, _) = try await annotatedHub()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kb-pull-free-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let kb = KnowledgeBase(
            database: try AppDatabase.open(path: folder.appendingPathComponent("kb.sqlite").path), clock: clock.clock)
        _ = try RemoteStore.add(kb, name: "origin", url: "http://hub.test:1/research", token: token)
        let engine = SyncEngine(kb: kb, transport: InProcessTransport(service: hub.service))
        let freePages = { try kb.readNow { db in try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0 } }
        // Free pages, as a dropped table leaves them.
        try await kb.database.writer.writeWithoutTransaction { db in
            try db.execute(sql: "CREATE TABLE scratch (x BLOB)")
            try db.execute(sql: "INSERT INTO scratch VALUES (zeroblob(200000))")
            try db.execute(sql: "DROP TABLE scratch")
        }
        #expect(try freePages() > 40)

        let report = try await engine.sync(remote: "origin")

        #expect(report.pulled > 0)
        #expect(try freePages() == 0)
        #expect(try kb.health().digest == origin.digest)
        #expect(try kb.check().problems.isEmpty)
    }

    /// The wire form of every change a replica holds, by change id.
    func wireForms(_ replica: Replica) throws -> [String: String] {
        try replica.kb.readNow { db in
            var forms: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM changes") {
                let change = try ChangeStore.change(from: row)
                forms[change.id.description] = try JSONText.encode(try ChangeApplier.wire(db, change))
            }
            return forms
        }
    }

    /// A pulled page is kept compressed, and so is each article's creation in the history; both give the hub
    /// back the very bytes they came with.
    @Test(arguments: [1000, 1])
    func firstPull_keepsLongTextsCompressed_andGivesBackTheSameChanges(pageSize: Int) async throws {
        let (hub, token, origin, _) = try await annotatedHub()
        let (replica, _) = try await pulled(from: hub, token: token, name: "r1", pageSize: pageSize)
        #expect(try replica.count("SELECT COUNT(*) FROM articles") == 9)
        // The seed's articles but its short caption make creations of 512 bytes or more.
        let blobs = "SELECT COUNT(*) FROM changes WHERE entity = 'article' AND typeof(value) = 'blob'"
        #expect(try replica.count(blobs) == 8)
        #expect(try origin.count(blobs) == 8)
        #expect(try replica.count("SELECT COUNT(*) FROM sources WHERE typeof(text) = 'blob'") == 1)
        #expect(try wireForms(replica) == wireForms(origin))
        #expect(try replica.kb.check().problems.isEmpty)
    }

    /// The same log pulled again from the start (a cursor lost) finds every change held and writes nothing.
    @Test func pullAgainFromTheStart_changesNothing() async throws {
        let (hub, token, origin, _) = try await annotatedHub()
        let (replica, first) = try await pulled(from: hub, token: token, name: "r1", pageSize: 1000)
        let digest = try replica.digest
        try replica.kb.writeNow { db in try db.execute(sql: "UPDATE remotes SET cursor = 0, cursor_id = NULL") }
        let again = try await replica.sync()
        #expect(again.pulled == 0)
        #expect(again.duplicates == first.pulled)
        #expect(try replica.digest == digest)
        #expect(try replica.digest == origin.digest)
        #expect(try replica.kb.check().problems.isEmpty)
    }

    /// A record of the page that this replica holds already (the same page imported here too) goes through the
    /// general merge, and a new one beside it is written straight: both indexed once.
    @Test func firstPull_besideTheSamePageImportedHere() async throws {
        let (hub, token, origin, notes) = try await annotatedHub()
        let replica = try Replica("r1", hub: hub, token: token, clock: clock.clock)
        try replica.importPage(try SeedPage.text)
        var engine = SyncEngine(kb: replica.kb, transport: InProcessTransport(service: hub.service))
        engine.pageSize = 1000
        _ = try await engine.sync(remote: "origin")
        _ = try await engine.sync(remote: "origin")
        _ = try await origin.sync()
        #expect(try replica.digest == origin.digest)
        #expect(try replica.kb.check().problems.isEmpty)
        #expect(try replica.kb.search("市场开拓能力").count == 1)
        #expect(try replica.kb.search("核对要点", limit: 100).filter { $0.annotationID != nil }.count == notes)
    }
}
