import Foundation
import GRDB
import KB
import Testing

@testable import Sync

/// Corrections of a page's split travel as changes through a hub: another replica gets the merged and
/// split articles, with the annotations on the text they moved with, and both end with the same records
/// and the same open conflicts.
@Suite(.serialized)
struct CorrectionSyncTests {
    let clock = TestClock()
    /// Held for the whole test: its folder goes when it does.
    let hub: TestHub

    init() throws { hub = try TestHub() }

    func replicas() async throws -> [Replica] {
        let token = try await hub.token(for: "research")
        return try (0..<2).map { try Replica("r\($0)", hub: hub, token: token, clock: clock.clock) }
    }

    func pageOrder(_ replica: Replica) throws -> [Article] {
        try replica.kb.readNow { db in
            try Article.fetchAll(db, sql: "SELECT * FROM articles WHERE deleted = 0 ORDER BY position")
        }
    }

    func quote(_ text: String) -> AnnotationTarget {
        .quote(text, occurrence: nil, prefix: nil, suffix: nil)
    }

    /// The text an annotation is anchored on in the article it names, or nil when it is not anchored there.
    func anchoredText(_ replica: Replica, _ id: String) throws -> String? {
        guard let annotation = try replica.annotation(id), annotation.state == .anchored,
            let start = annotation.start, let end = annotation.end,
            let article = try replica.article(annotation.articleID), !article.isDeleted
        else { return nil }
        let scalars = Array(article.body.unicodeScalars)
        guard start >= 0, end <= scalars.count, start < end else { return nil }
        return String(String.UnicodeScalarView(scalars[start..<end]))
    }

    /// Both replicas hold the same articles, annotations, tags and open conflicts.
    func expectConverged(_ replicas: [Replica], sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try replicas[0].conflictIDs() == replicas[1].conflictIDs(), sourceLocation: sourceLocation)
        #expect(try replicas[0].digest == replicas[1].digest, sourceLocation: sourceLocation)
    }

    @Test func mergeAndSplitReachAnotherReplicaWithTheirAnnotations() async throws {
        let replicas = try await replicas()
        try replicas[0].importPage(try SeedPage.text)
        let articles = try pageOrder(replicas[0])
        let note = try replicas[0].kb.annotate(articles[2].id, target: quote("实现内外贸一体化发展"), note: "内外贸")
        let late = try replicas[0].kb.annotate(articles[0].id, target: quote("沉浸式感受匠心传承"))
        try await syncUntilQuiet(replicas)
        _ = try replicas[1].kb.mergeArticles([articles[1].id, articles[2].id])
        let split = try replicas[1].kb.splitArticle(articles[0].id, at: .before("活动分为舞台展演"))
        let made = split.articles[1].id
        try await syncUntilQuiet(replicas)
        for replica in replicas {
            #expect(try replica.article(articles[2].id)?.isDeleted == true)
            #expect(try replica.annotation(note.id)?.articleID == articles[1].id)
            #expect(try anchoredText(replica, note.id) == "实现内外贸一体化发展")
            #expect(try replica.annotation(late.id)?.articleID == made)
            #expect(try anchoredText(replica, late.id) == "沉浸式感受匠心传承")
            #expect(try pageOrder(replica).map(\.id).prefix(3) == [articles[0].id, made, articles[1].id])
            let open = try Conflicts.list(replica.kb).map { "\($0.entityID.prefix(6)) \($0.field) \($0.kind)" }
            #expect(open.isEmpty, "\(open)")
        }
        try expectConverged(replicas)
    }

    /// Merge, split and headline move on one replica while the other edits and annotates the same
    /// articles: no error, nothing lost, the same records and conflicts on both.
    @Test func correctionsWithConcurrentEditsConverge() async throws {
        let replicas = try await replicas()
        try replicas[0].importPage(try SeedPage.text)
        let articles = try pageOrder(replicas[0])
        let moved = try replicas[0].kb.annotate(articles[2].id, target: quote("实现内外贸一体化发展"), note: "内外贸")
        let late = try replicas[0].kb.annotate(articles[0].id, target: quote("沉浸式感受匠心传承"), note: "传承")
        let early = try replicas[0].kb.annotate(articles[0].id, target: quote("在安徽省黄山市举行"))
        try await syncUntilQuiet(replicas)

        // Replica 1 corrects the split; replica 0, not knowing, edits the same text.
        _ = try replicas[1].kb.mergeArticles([articles[1].id, articles[2].id])
        let split = try replicas[1].kb.splitArticle(articles[0].id, at: .before("活动分为舞台展演"))
        let made = split.articles[1].id
        _ = try replicas[1].kb.moveHeadline(to: made, from: articles[0].id)
        _ = try replicas[0].kb.editAnnotation(moved.id, note: "内外贸一体化")
        _ = try replicas[0].kb.editAnnotation(late.id, note: "匠心")
        let concurrent = try replicas[0].kb.annotate(articles[2].id, target: quote("实现内外贸一体化发展"), note: "后加")
        _ = try replicas[0].kb.editArticle(articles[1].id, title: articles[1].title + "（修订）")
        try await syncUntilQuiet(replicas)
        try expectConverged(replicas)

        for replica in replicas {
            #expect(try replica.annotation(moved.id)?.articleID == articles[1].id)
            #expect(try replica.annotation(moved.id)?.note == "内外贸一体化")
            #expect(try anchoredText(replica, moved.id) == "实现内外贸一体化发展")
            #expect(try replica.annotation(late.id)?.articleID == made)
            #expect(try replica.annotation(late.id)?.note == "匠心")
            #expect(try anchoredText(replica, late.id) == "沉浸式感受匠心传承")
            #expect(try replica.annotation(early.id)?.articleID == articles[0].id)
            #expect(try anchoredText(replica, early.id) == "在安徽省黄山市举行")
            #expect(try replica.article(made)?.title == articles[0].title)
            #expect(try replica.article(articles[1].id)?.title == articles[1].title + "（修订）")
            // The annotation made on the merged-away article without knowledge of the merge is kept in a
            // conflict, the same on both replicas.
            #expect(try replica.annotation(concurrent.id)?.isDeleted == false)
            #expect(try replica.conflictIDs().count == 1)
        }

        // Back the other way: replica 0 corrects again and replica 1 gets it.
        let again = try replicas[0].kb.splitArticle(made, at: .before("在展演环节"))
        _ = try replicas[0].kb.mergeArticles([made, again.articles[1].id])
        try await syncUntilQuiet(replicas)
        try expectConverged(replicas)
        for replica in replicas {
            #expect(try anchoredText(replica, late.id) == "沉浸式感受匠心传承")
            #expect(try replica.annotation(late.id)?.articleID == made)
            #expect(try anchoredText(replica, moved.id) == "实现内外贸一体化发展")
        }
    }
}
