import Foundation
import GRDB
import Hub
import Synchronization
import Testing

@testable import KB
@testable import Sync

/// Random operations on several replicas, synced in random orders through a network that drops,
/// repeats and cuts requests, with syncs abandoned half way and the hub restarted: after quiet
/// rounds every replica holds the same content and the same conflicts, and no edit is lost.
///
/// Seeds: the arguments below, plus `KB_TEST_SEED` when set (for runs with other seeds).
@Suite(.serialized)
struct ConvergenceTests {
    static var seeds: [UInt64] {
        var seeds: [UInt64] = [1, 2, 3]
        if let text = ProcessInfo.processInfo.environment["KB_TEST_SEED"], let seed = UInt64(text) {
            seeds = [seed]
        }
        return seeds
    }

    static let sentences = [
        "长三角三省一市职工非遗技艺交流活动在安徽省黄山市举行。", "江苏各级工会纷纷行动。", "帮助外贸企业解决技术难题。",
        "出口金额超过500万美元。", "沪剧舞台上，全国劳模黄宝妹的故事让观众红了眼眶。", "近百名UP主入会。", "招聘会深度融合AI大模型技术。",
        "提升国际市场开拓能力。", "😀表情和𠮷字也要同步。", "ＡＩ和全角字母。", "线上招聘活动将持续一个月。", "职工心理幸福体验馆提供服务。",
    ]

    struct World {
        var generator: SeededGenerator
        let hub: TestHub
        let token: String
        let clock: TestClock
        var replicas: [Replica] = []
        var faulty: [FaultyTransport] = []
        var operations: [String: Int] = [:]
    }

    @Test(arguments: seeds)
    func randomOperationsAndFaults_converge(seed: UInt64) async throws {
        let clock = TestClock()
        let hub = try TestHub(clock: clock.clock)
        let token = try await hub.token(for: "research")
        var world = World(generator: SeededGenerator(seed: seed), hub: hub, token: token, clock: clock)
        for index in 0..<4 {
            let transport = FaultyTransport(
                InProcessTransport(service: hub.service), seed: seed &* 31 &+ UInt64(index), dropRequest: 0.08,
                dropResponse: 0.08, duplicate: 0.1, unavailable: 0.05)
            world.faulty.append(transport)
            world.replicas.append(
                try Replica(
                    "r\(index)", hub: hub, token: token, clock: clock.clock.offset(by: Int64(index) * 7_000),
                    transport: transport))
        }
        let page = try SeedPage.text

        for step in 0..<300 {
            clock.advance(by: Int64.random(in: 1...2_000, using: &world.generator))
            let replica = world.replicas.randomElement(using: &world.generator)!
            let kind = Int.random(in: 0..<100, using: &world.generator)
            do {
                try await perform(kind, on: replica, world: &world, page: page, step: step)
            } catch is SyncError {
                world.operations["sync failed (fault)", default: 0] += 1
            } catch let error as KBError
                where error.kind == .notFound || error.kind == .ambiguous || error.kind == .invalidArgument
            {
                world.operations["refused (gone)", default: 0] += 1
            }
        }

        // Quiet rounds: the network is healthy again.
        let healthy = try world.replicas.map { try $0.withTransport(InProcessTransport(service: hub.service)) }
        let rounds = try await syncUntilQuiet(healthy, maxRounds: 5)
        #expect(rounds <= 3, "seed \(seed): took \(rounds) rounds to settle")

        let digests = try healthy.map { try $0.digest }
        #expect(Set(digests).count == 1, "seed \(seed): digests differ \(digests)")
        if Set(digests).count > 1 {
            for replica in healthy.dropFirst() { try describeDifferences(healthy[0], replica) }
        }
        let conflicts = try healthy.map { try $0.conflictIDs() }
        #expect(conflicts.allSatisfy { $0 == conflicts[0] }, "seed \(seed): conflict sets differ")
        for replica in healthy {
            #expect(try replica.kb.health().gaps == 0)
            #expect(try replica.kb.status().quarantined == 0)
            try checkNoEditLost(replica, seed: seed)
        }
        let faults = world.faulty.reduce(into: [String: Int]()) { total, transport in
            for (name, count) in transport.faults { total[name, default: 0] += count }
        }
        #expect(faults.values.reduce(0, +) > 20, "seed \(seed): too few faults injected: \(faults)")
        #expect(try healthy[0].count("SELECT COUNT(*) FROM changes") > 150)
    }

    func perform(_ kind: Int, on replica: Replica, world: inout World, page: String, step: Int) async throws {
        let kb = replica.kb
        let articles = try kb.listArticles()
        func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items.randomElement(using: &world.generator) }
        func sentence() -> String { Self.sentences.randomElement(using: &world.generator) ?? "" }
        switch kind {
        case 0..<6:
            world.operations["import page", default: 0] += 1
            try replica.importPage(page)
        case 6..<16:
            world.operations["add", default: 0] += 1
            _ = try kb.addArticle(title: "第\(step)篇", body: (0..<4).map { _ in sentence() }.joined())
        case 16..<24:
            guard let article = pick(articles) else { return }
            world.operations["edit title", default: 0] += 1
            _ = try kb.editArticle(article.id, title: "标题\(step)")
        case 24..<34:
            guard let article = pick(articles) else { return }
            world.operations["edit body", default: 0] += 1
            var parts = TextMerge.sentences(try kb.article(article.id).article.body).map(String.init)
            if parts.isEmpty { parts = [sentence()] }
            let index = Int.random(in: 0..<parts.count, using: &world.generator)
            switch Int.random(in: 0..<3, using: &world.generator) {
            case 0: parts[index] = sentence()
            case 1: parts.insert(sentence(), at: index)
            default: if parts.count > 1 { parts.remove(at: index) }
            }
            _ = try kb.editArticle(article.id, body: parts.joined())
        case 34..<46:
            guard let article = pick(articles) else { return }
            world.operations["annotate", default: 0] += 1
            let body = CodePoints(try kb.article(article.id).article.body)
            guard body.count > 4 else { return }
            let start = Int.random(in: 0..<(body.count - 3), using: &world.generator)
            let end = min(body.count, start + Int.random(in: 2...12, using: &world.generator))
            _ = try kb.annotate(article.id, target: .range(start, end), note: "笔记\(step)。第二句。", tags: ["t\(step % 3)"])
        case 46..<56:
            guard let note = pick(try kb.notes()) else { return }
            world.operations["edit note", default: 0] += 1
            var parts = TextMerge.sentences(note.note).map(String.init)
            if parts.isEmpty { parts = ["空。"] }
            parts[Int.random(in: 0..<parts.count, using: &world.generator)] = "改\(step)。"
            _ = try kb.editAnnotation(note.id, note: parts.joined())
        case 56..<62:
            guard let article = pick(articles) else { return }
            world.operations["tag", default: 0] += 1
            _ = try kb.tag(article.id, ["标签\(step % 4)"])
        case 62..<66:
            guard let article = pick(articles) else { return }
            world.operations["untag", default: 0] += 1
            _ = try kb.untag(article.id, ["标签\(step % 4)"])
        case 66..<70:
            guard let article = pick(articles) else { return }
            world.operations["delete article", default: 0] += 1
            _ = try kb.removeArticle(article.id)
        case 70..<72:
            guard let note = pick(try kb.notes()) else { return }
            world.operations["delete annotation", default: 0] += 1
            _ = try kb.removeAnnotation(note.id)
        case 72..<74:
            guard let note = pick(try kb.notes()) else { return }
            world.operations["tag annotation", default: 0] += 1
            _ = try kb.editAnnotation(note.id, addTags: ["注\(step % 3)"])
        case 74..<76:
            guard let note = pick(try kb.notes()) else { return }
            world.operations["color annotation", default: 0] += 1
            _ = try kb.editAnnotation(note.id, color: [HighlightColor.yellow, .green, .blue][step % 3])
        case 76..<78:
            guard let article = pick(articles) else { return }
            world.operations["highlight", default: 0] += 1
            let body = CodePoints(try kb.article(article.id).article.body)
            guard body.count > 4 else { return }
            let start = Int.random(in: 0..<(body.count - 3), using: &world.generator)
            _ = try kb.annotate(article.id, target: .range(start, start + 2))
        case 78..<82:
            guard let conflict = pick(try Conflicts.list(kb)) else { return }
            world.operations["resolve", default: 0] += 1
            let choice = ConflictChoice.allCases.randomElement(using: &world.generator) ?? .both
            try Conflicts.resolve(kb, conflict.id, keep: choice)
        case 82..<86:
            // A sync abandoned half way, as a killed client would.
            world.operations["sync killed", default: 0] += 1
            let cut = CuttingTransport(
                InProcessTransport(service: world.hub.service),
                failAfter: Int.random(in: 1...3, using: &world.generator))
            _ = try? await replica.withTransport(cut).sync()
        default:
            world.operations["sync", default: 0] += 1
            try await replica.sync()
        }
    }

    /// Prints the rows that differ between two replicas.
    func describeDifferences(_ a: Replica, _ b: Replica) throws {
        let queries = [
            "SELECT id, kind, source_id, position, title, subtitle, kicker, byline, dateline, body, deleted FROM articles",
            "SELECT id, article_id, quote, prefix, suffix, anchor_start, anchor_end, start, \"end\", state, note, color, deleted FROM annotations",
            "SELECT id, entity_id, norm, present FROM tags",
            "SELECT id, resolved_at IS NULL, field, winner, loser FROM conflicts",
        ]
        for sql in queries {
            func rows(_ replica: Replica) throws -> Set<String> {
                try replica.kb.readNow { db in
                    Set(
                        try Row.fetchAll(db, sql: sql).map { row in
                            (0..<row.count).map { "\(row[$0] as DatabaseValue)" }.joined(separator: "|")
                        })
                }
            }
            let left = try rows(a)
            let right = try rows(b)
            for row in left.subtracting(right).prefix(3) { print("only in \(a.name): \(row.prefix(300))") }
            for row in right.subtracting(left).prefix(3) { print("only in \(b.name): \(row.prefix(300))") }
        }
        if ProcessInfo.processInfo.environment["KB_TEST_DUMP"] != nil {
            let entities = try a.kb.readNow { db in
                try String.fetchAll(db, sql: "SELECT DISTINCT entity_id FROM conflicts")
            }
            for entity in entities {
                print("== \(entity)")
                for replica in [a, b] {
                    try replica.kb.readNow { db in
                        print(
                            "  \(replica.name) \(try Meta.replicaID(db)) heads:",
                            try String.fetchAll(
                                db,
                                sql:
                                    "SELECT h.field || '=' || c.replica || ':' || c.seq FROM heads h JOIN changes c ON c.rowid = h.change WHERE h.entity_id = ?",
                                arguments: [entity]))
                        for row in try Row.fetchAll(
                            db,
                            sql:
                                "SELECT id, field, winner, loser, resolved_at IS NULL AS open, resolution FROM conflicts WHERE entity_id = ?",
                            arguments: [entity])
                        {
                            print("    conflict", row)
                        }
                    }
                }
                try a.kb.readNow { db in
                    for row in try Row.fetchAll(
                        db,
                        sql:
                            "SELECT replica || ':' || seq AS id, hlc, field, op, base, substr(value, 1, 30) AS v FROM changes WHERE entity_id = ? ORDER BY hlc",
                        arguments: [entity])
                    {
                        print("    change", row)
                    }
                }
            }
        }
    }

    /// Every edit is in the final state, or in a conflict, unless a later change was made with knowledge of it:
    /// fields of articles and annotations, annotations made, and tags added.
    func checkNoEditLost(_ replica: Replica, seed: UInt64) throws {
        try checkNoFieldLost(replica, seed: seed)
        try checkNoAnnotationOrTagLost(replica, seed: seed)
    }

    /// Changes that a later change was made on, and changes kept in a conflict.
    func knownAndConflicting(_ db: Database) throws -> (
        changes: [Change], superseded: Set<ChangeID>, inConflict: Set<String>
    ) {
        let changes = try Row.fetchAll(db, sql: "SELECT * FROM changes").map(ChangeStore.change(from:))
        var supersededIDs: Set<ChangeID> = []
        for change in changes { supersededIDs.formUnion(change.base) }
        var inConflict: Set<String> = []
        for row in try Row.fetchAll(db, sql: "SELECT winner, loser FROM conflicts") {
            inConflict.insert(row["winner"])
            inConflict.insert(row["loser"])
        }
        return (changes, supersededIDs, inConflict)
    }

    /// An annotation made, noted, colored or tagged, or a tag added to an article, that no later change knew of
    /// and no conflict holds, is visible: its annotation and article are not deleted, and the tag is present
    /// unless a concurrent removal won (tags are last writer wins by design).
    func checkNoAnnotationOrTagLost(_ replica: Replica, seed: UInt64) throws {
        try replica.kb.readNow { db in
            let (changes, superseded, inConflict) = try knownAndConflicting(db)
            func articleAlive(_ id: String) throws -> Bool {
                try Bool.fetchOne(db, sql: "SELECT deleted = 0 FROM articles WHERE id = ?", arguments: [id]) ?? false
            }
            func annotationAlive(_ id: String) throws -> Bool {
                guard let annotation = try Annotation.fetch(db, id: id), !annotation.isDeleted else { return false }
                return try articleAlive(annotation.articleID)
            }
            var checked = 0
            for change in changes where RelatedRecords.isEdit(change) {
                guard !superseded.contains(change.id), !inConflict.contains(change.id.description) else { continue }
                checked += 1
                switch change.entity {
                case .annotation:
                    #expect(
                        try annotationAlive(change.entityID),
                        "seed \(seed): \(change.field.rawValue) \(change.id) of annotation \(change.entityID) lost")
                case .tag:
                    let row = try #require(
                        try Row.fetchOne(db, sql: "SELECT * FROM tags WHERE id = ?", arguments: [change.entityID]))
                    let entity: String = row["entity"]
                    let target: String = row["entity_id"]
                    let alive = entity == "article" ? try articleAlive(target) : try annotationAlive(target)
                    #expect(alive, "seed \(seed): tag \(change.id) on a deleted \(entity) is in no conflict")
                    if row["present"] as Bool == false {
                        let removals = try ChangeStore.heads(db, entityID: change.entityID, field: .present)
                            .compactMap { try ChangeStore.change(db, rowid: $0.rowid) }
                            .filter { $0.value == "false" }
                        #expect(!removals.isEmpty, "seed \(seed): tag \(change.id) lost")
                    }
                default:
                    continue
                }
            }
            #expect(checked > 0, "seed \(seed): no annotation or tag was left to check")
        }
    }

    /// Every field edit is in the final state, or in a conflict, unless a later change was made with knowledge of it.
    func checkNoFieldLost(_ replica: Replica, seed: UInt64) throws {
        try replica.kb.readNow { db in
            let changes = try Row.fetchAll(db, sql: "SELECT * FROM changes").map(ChangeStore.change(from:))
            var supersededIDs: Set<ChangeID> = []
            for change in changes { supersededIDs.formUnion(change.base) }
            let conflictRows = try Row.fetchAll(db, sql: "SELECT winner, loser FROM conflicts")
            var inConflict: Set<String> = []
            for row in conflictRows {
                inConflict.insert(row["winner"])
                inConflict.insert(row["loser"])
            }
            let textFields: Set<ChangeField> = [.title, .body, .note, .color]
            for change in changes where change.op == .set && textFields.contains(change.field) {
                guard !supersededIDs.contains(change.id), !inConflict.contains(change.id.description),
                    let value = change.value
                else { continue }
                let text = try JSONText.decodeString(value)
                let current: String?
                let deleted: Bool
                switch change.entity {
                case .article:
                    let article = try Article.fetch(db, id: change.entityID)
                    current = article?.text(change.field)
                    deleted = article?.isDeleted ?? false
                case .annotation:
                    let annotation = try Annotation.fetch(db, id: change.entityID)
                    current = change.field == .note ? annotation?.note : annotation?.color
                    deleted = annotation?.isDeleted ?? false
                default:
                    continue
                }
                #expect(!deleted, "seed \(seed): edit \(change.id) of a deleted record is in no conflict")
                guard let current, current != text else { continue }
                // Merged long text: every sentence this edit added is still there.
                let isLongText = change.field == .body || change.field == .note
                #expect(
                    isLongText,
                    "seed \(seed): edit \(change.id) of \(change.field.rawValue) lost: '\(text)' vs '\(current)'")
                if isLongText {
                    let baseText = try change.base.compactMap { try ChangeStore.change(db, id: $0)?.change }
                        .compactMap { base -> String? in
                            guard let value = base.value else { return nil }
                            if base.field == Change.createField {
                                let object = try JSONSerialization.jsonObject(with: Data(value.utf8)) as? [String: Any]
                                return object?[change.field.rawValue] as? String
                            }
                            return try JSONText.decodeString(value)
                        }.joined()
                    let baseSentences = Set(TextMerge.sentences(baseText).map(String.init))
                    for sentence in TextMerge.sentences(text).map(String.init) where !baseSentences.contains(sentence) {
                        #expect(
                            current.contains(sentence.trimmingCharacters(in: .whitespacesAndNewlines)),
                            "seed \(seed): sentence '\(sentence)' of edit \(change.id) lost")
                    }
                }
            }
        }
    }
}
