import Foundation
import GRDB
import Testing

@testable import KB

/// Where a knowledge base file is made, and a copied file telling itself apart from the one it was copied from.
struct ReplicaFileTests {
    @Test func openExisting_missingFile_isNotFound_andCreatesNeitherFileNorFolder() throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("typo/kb.sqlite").path
        let error = #expect(throws: KBError.self) { try KnowledgeBase.open(path: path, mode: .existing) }
        #expect(error?.kind == .notFound)
        #expect(error?.message.contains("no knowledge base at '\(path)'") == true)
        #expect(error?.message.contains("kb init") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("typo").path))
        // The creating mode makes it, folders included; then the other mode opens it.
        _ = try KnowledgeBase.open(path: path, mode: .createIfMissing)
        #expect(FileManager.default.fileExists(atPath: path))
        _ = try KnowledgeBase.open(path: path, mode: .existing)
    }

    /// A file a newer kb changed (a migration this version does not know) is refused in one sentence, and
    /// nothing is written to it.
    @Test func fileWrittenByANewerKb_isRefused_andLeftAsItIs() throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("kb.sqlite").path
        let kb = try KnowledgeBase.open(path: path)
        _ = try kb.addArticle(title: "标题", body: "正文 𠮷")
        try kb.database.writer.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-a-newer-kb')")
        }
        let changes = try kb.database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes") }
        try kb.close()

        let error = #expect(throws: KBError.self) { try KnowledgeBase.open(path: path, mode: .existing) }

        #expect(error?.kind == .storage)
        #expect(
            error?.message == "The knowledge base '\(path)' was written by a newer version of kb; update kb to open it."
        )
        let queue = try DatabaseQueue(path: path)
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes") } == changes)
    }

    @Test func copiedFile_takesANewReplicaID_once_andKeepsTheChangesItHeld() throws {
        let folder = try TemporaryFolder()
        let original = folder.url.appendingPathComponent("kb.sqlite").path
        let copy = folder.url.appendingPathComponent("copy/kb.sqlite").path
        let originalID: String
        do {
            let kb = try KnowledgeBase.open(path: original)
            _ = try kb.addArticle(title: "复制之前", body: "正文 😀 𠮷。")
            originalID = try #require(try kb.read { db in try Meta.existingReplicaID(db) })
            #expect(try kb.claimFile() == nil, "the file the id was made in")
        }
        try FileManager.default.createDirectory(
            atPath: (copy as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: original + suffix) {
            try FileManager.default.copyItem(atPath: original + suffix, toPath: copy + suffix)
        }

        let copied = try KnowledgeBase.open(path: copy, mode: .existing)
        let claimed = try #require(try copied.claimFile())
        #expect(claimed.previousReplicaID == originalID)
        #expect(claimed.replicaID != originalID && claimed.replicaID.count == 16)
        #expect(claimed.previousPath.hasSuffix("/kb.sqlite") && !claimed.previousPath.contains("/copy/"))
        #expect(try copied.claimFile() == nil, "told once")
        // The changes it held keep their ids; new ones are numbered from 1 under the new id.
        _ = try copied.addArticle(title: "复制之后", body: "新的正文。")
        let changes = try copied.read { db in
            try Row.fetchAll(db, sql: "SELECT replica, seq FROM changes ORDER BY rowid")
        }
        #expect(changes.contains { $0["replica"] == originalID })
        #expect(changes.last?["replica"] == claimed.replicaID)
        #expect(changes.last?["seq"] == 1 as Int64)
        // The original is not moved by the copy.
        let reopened = try KnowledgeBase.open(path: original, mode: .existing)
        #expect(try reopened.claimFile() == nil)
        #expect(try reopened.read { db in try Meta.existingReplicaID(db) } == originalID)
    }
}
