import Foundation
import GRDB
import Hub
import KB
import Testing

@testable import Sync

/// A seeded, structure-aware generator of hostile changes and push bodies, run through the push decoder (the
/// hub's route over a real store) and the pull decoder (the applier over a real knowledge base): 3,000 changes
/// pushed, 3,000 changes pulled, 2,000 push bodies with bytes changed.
struct WireFuzzTests {
    /// Pieces that hostile input is made of: ids in and out of form, paths, marks, CJK, emoji, quotes, nulls.
    static let pieces = [
        "", "a", "9f2c41d07be85a13", "9F2C41D07BE85A13", "../", "/", "\u{0301}", "😀", "𠮷", "非遗", "ＡＢ", "\u{0}", "\"",
        "\\", ":", "*", "5d0b6c1e9a7f42c3b8e1d290", "019666cf8c0074a18b3c5d2e9f401a67", "article", "annotation", "tag",
        "source", "conflict", "title", "note", "deleted", "present", "set", "create", "resolve", "true", "false", "1",
        "-1", "\"x\"", "{}", "[]", "zzzz", "\u{202E}", "\u{FEFF}",
    ]

    static func text(_ generator: inout SeededGenerator) -> String {
        (0..<Int.random(in: 0...4, using: &generator)).map { _ in pieces.randomElement(using: &generator) ?? "" }
            .joined()
    }

    /// A change kb could make, with one to three of its parts replaced by hostile ones.
    static func hostileChange(_ generator: inout SeededGenerator, seq: Int64) -> WireChange {
        var change = WireChange(
            replica: "9f2c41d07be85a13", seq: seq, hlc: 114_391_882_137_600_000 + seq, entity: "article",
            id: "5d0b6c1e9a7f42c3b8e1d290", field: "title", op: "set", value: JSONText.string("标题 \(seq)"),
            base: [])
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            switch Int.random(in: 0..<9, using: &generator) {
            case 0: change.replica = text(&generator)
            case 1:
                change.seq =
                    [0, -1, 1, seq, Int64.max, WireValidator.maxSequence + 1].randomElement(using: &generator) ?? 1
            case 2: change.hlc = [0, -1, 1, Int64.max, change.hlc].randomElement(using: &generator) ?? 1
            case 3: change.entity = text(&generator)
            case 4: change.id = text(&generator)
            case 5: change.field = text(&generator)
            case 6: change.op = text(&generator)
            case 7: change.value = Bool.random(using: &generator) ? nil : text(&generator)
            default: change.base = (0..<Int.random(in: 0...3, using: &generator)).map { _ in text(&generator) }
            }
        }
        return change
    }

    @Test func pushDecoder_3000HostileChanges_refusedExactlyWhenOutOfForm_neverA500() async throws {
        let hub = try TestHub(clock: .fixed(1_745_481_600_000))
        let token = try await hub.token(for: "research")
        var generator = SeededGenerator(seed: 9_100)
        var refused = 0
        for index in 0..<3000 {
            let change = Self.hostileChange(&generator, seq: Int64(index + 1))
            let inForm = (try? WireValidator.check(change)) != nil
            let body = PushRequest(replica: "9f2c41d07be85a13", changes: [change]).jsonBytes
            let answer = try await hub.service.send(
                "POST", "/v1/kb/research/changes", headers: ["authorization": "Bearer \(token)"],
                body: body)
            let code = (try? JSONDecoder().decode(HubErrorBody.self, from: Data(answer.body)))?.error
            if inForm {
                #expect(code != HubErrorCode.invalidChange && answer.status != 500, "\(index): \(change)")
            } else {
                refused += 1
                #expect(answer.status == 422 && code == HubErrorCode.invalidChange, "\(index): \(change)")
            }
        }
        #expect(refused > 1000, "the generator makes hostile changes: \(refused) of 3000")
    }

    @Test func pushDecoder_2000BodiesWithBytesChanged_areAnswered4xxOr200_neverA500() async throws {
        let hub = try TestHub(clock: .fixed(1_745_481_600_000))
        let token = try await hub.token(for: "research")
        var generator = SeededGenerator(seed: 9_200)
        let valid = PushRequest(
            replica: "9f2c41d07be85a13",
            changes: (1...3).map { Self.hostileChange(&generator, seq: $0) }
        ).jsonBytes
        for index in 0..<2000 {
            var body = valid
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let position = Int.random(in: 0..<body.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: body[position] = UInt8.random(in: 0...255, using: &generator)
                case 1: body.remove(at: position)
                default:
                    body.insert(
                        contentsOf: Array((Self.pieces.randomElement(using: &generator) ?? "").utf8), at: position)
                }
            }
            let answer = try await hub.service.send(
                "POST", "/v1/kb/research/changes", headers: ["authorization": "Bearer \(token)"],
                body: body)
            #expect([200, 400, 409, 422].contains(answer.status), "\(index): \(answer.status)")
        }
    }

    @Test func pullDecoder_3000HostileChanges_areAppliedOrQuarantined_andNoneOutOfFormIsStored() throws {
        let kb = KnowledgeBase(database: try AppDatabase.inMemory())
        var generator = SeededGenerator(seed: 9_300)
        var outOfForm: [WireChange] = []
        for page in 0..<60 {
            let changes = (0..<50).map { Self.hostileChange(&generator, seq: Int64(page * 50 + $0 + 1)) }
            outOfForm += changes.filter { (try? WireValidator.check($0)) == nil }
            let result = try kb.database.writer.write { db in
                try ChangeApplier.apply(db, changes, now: 1_745_481_600_000)
            }
            #expect(result.applied + result.known + result.quarantined == changes.count)
        }
        #expect(outOfForm.count > 1000)
        let stored = try kb.database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT replica, seq, entity, entity_id, field, op FROM changes")
        }
        for row in stored {
            let replica: String = row["replica"]
            let entityID: String = row["entity_id"]
            #expect(WireValidator.isReplicaID(replica) && WireValidator.isRecordID(entityID), "\(row)")
        }
    }
}
