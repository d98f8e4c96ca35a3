import Foundation
import GRDB
import KB
import Testing

@testable import Sync

/// Corrections of a page's split travel as changes: another replica gets the merged and split
/// articles, with the annotations on the text they moved with.
@Suite(.serialized)
struct CorrectionSyncTests {
    let clock = ManualClock()

    func replicas() async throws -> [Replica] {
        let hub = try TestHub()
        let token = try await hub.token(for: "research")
        return try (0..<2).map { try Replica("r\($0)", hub: hub, token: token, clock: clock.clock) }
    }

    func pageOrder(_ replica: Replica) throws -> [Article] {
        try replica.kb.readNow { db in
            try Article.fetchAll(db, sql: "SELECT * FROM articles WHERE deleted = 0 ORDER BY position")
        }
    }

    @Test func mergeAndSplitReachAnotherReplicaWithTheirAnnotations() async throws {
        let replicas = try await replicas()
        try replicas[0].importPage(try SeedPage.text)
        let articles = try pageOrder(replicas[0])
        let note = try replicas[0].kb.annotate(
            articles[2].id, target: .quote("实现内外贸一体化发展", occurrence: nil, prefix: nil, suffix: nil), note: "内外贸")
        let late = try replicas[0].kb.annotate(
            articles[0].id, target: .quote("沉浸式感受匠心传承", occurrence: nil, prefix: nil, suffix: nil))
        try await syncUntilQuiet(replicas)
        _ = try replicas[1].kb.mergeArticles([articles[1].id, articles[2].id])
        let split = try replicas[1].kb.splitArticle(articles[0].id, at: .before("活动分为舞台展演"))
        let made = split.articles[1].id
        try await syncUntilQuiet(replicas)
        for replica in replicas {
            #expect(try replica.article(articles[2].id)?.isDeleted == true)
            #expect(try replica.annotation(note.id)?.articleID == articles[1].id)
            #expect(try replica.annotation(note.id)?.state == .anchored)
            #expect(try replica.annotation(late.id)?.articleID == made)
            #expect(try replica.annotation(late.id)?.state == .anchored)
            #expect(try pageOrder(replica).map(\.id).prefix(3) == [articles[0].id, made, articles[1].id])
            #expect(try replica.conflictIDs().isEmpty)
        }
        #expect(try replicas[0].digest == replicas[1].digest)
    }
}
