import Foundation
import GRDB
import KB
import Testing

@testable import Sync

/// Pulled changes whose ids are paths, exported to Markdown.
struct HostileExportTests {
    /// The creation of an article titled 'T', as a token holder could push it.
    static func creation(_ id: String, seq: Int64, at milliseconds: Int64) throws -> WireChange {
        let article = Article(id: id, kind: "note", title: "T", body: "正文😀𠮷。", createdAt: milliseconds)
        return WireChange(
            replica: "eeeeeeeeeeeeeeee", seq: seq, hlc: HybridTimestamp(milliseconds: milliseconds).rawValue,
            entity: "article", id: id, field: Change.createField.rawValue, op: "create",
            value: try JSONText.encode(ArticleCreation(article)), base: [])
    }

    @Test func pulledCreationsWithPathIDs_markdownExportWritesOnlyInsideTheFolder() throws {
        // Given a replica file and a file of the user's outside the export folder
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kb-hostile-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("elsewhere"), withIntermediateDirectories: true)
        let victim = folder.appendingPathComponent("elsewhere/OVERWRITTEN.md")
        try Data("the user's own file\n".utf8).write(to: victim)
        let kb = try KnowledgeBase.open(path: folder.appendingPathComponent("kb.sqlite").path)

        // When a pull brings two creations titled 'T' whose short ids collide, the second one's id a path
        let changes = [
            try Self.creation(String(repeating: "z", count: 32), seq: 1, at: 1_700_000_000_000),
            try Self.creation("zzzzzzzzzzzzzzzz/../../../../elsewhere/OVERWRITTEN", seq: 2, at: 1_700_000_000_001),
        ]
        let applied = try kb.database.writer.write { db in
            try ChangeApplier.apply(db, changes, now: 1_700_000_000_002)
        }
        let out = folder.appendingPathComponent("w/x/exp5")
        let report = try kb.exportMarkdown(to: out.path)

        // Then (whether the pull kept both or set the hostile one aside) nothing is written outside the folder
        #expect(applied.applied + applied.quarantined == 2)
        #expect(report.files == applied.applied)
        #expect(try String(contentsOf: victim, encoding: .utf8) == "the user's own file\n")
        let everything = try #require(FileManager.default.enumerator(atPath: folder.path)).compactMap { $0 as? String }
        let outside = everything.filter { !$0.hasPrefix("w/x/exp5/") && !$0.hasPrefix("kb.sqlite") }.sorted()
        #expect(outside == ["elsewhere", "elsewhere/OVERWRITTEN.md", "w", "w/x", "w/x/exp5"])
        let inside = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(inside.count == report.files + 1, "one file per article and the manifest: \(inside)")
        #expect(inside.allSatisfy { !$0.contains("zzzzzzzzzzzzzzzz/") && !$0.contains("..") })
    }
}
