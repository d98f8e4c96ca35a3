import Foundation
import KB
import Sync
import Testing

@testable import Hub

/// The hub's SQLite store, on a real file in a temporary folder.
struct SQLiteHubStoreTests {
    typealias F = HubFixtures
    let kb = "research"
    /// Kept for the whole test: the folder is removed when it goes away.
    let folder = TempHubFolder()
    let store: SQLiteHubStore

    init() async throws {
        store = try folder.open()
        _ = try await store.ensureKnowledgeBase(kb)
    }

    func storedIDs() async throws -> [String] {
        try await store.changes(in: kb, after: 0, limit: 10_000, maxBytes: .max, excluding: nil).changes
            .map { "\($0.replica):\($0.seq)" }
    }

    // MARK: - Appending

    @Test func sameBatchSentTwice_isStoredOnce_withTheSameHead() async throws {
        let batch = [F.incoming(F.laptop, 1), F.incoming(F.laptop, 2), F.incoming(F.desktop, 1, title: "非遗 𠮷 🎉")]
        let first = try await store.append(batch, to: kb, receivedAt: F.now)
        #expect(first == AppendOutcome(accepted: 3, duplicates: 0, head: 3))
        let again = try await store.append(batch, to: kb, receivedAt: F.now + 1)
        #expect(again == AppendOutcome(accepted: 0, duplicates: 3, head: 3))
        #expect(try await storedIDs() == ["\(F.laptop):1", "\(F.laptop):2", "\(F.desktop):1"])
        #expect(try await store.replicas(in: kb) == [F.laptop: 2, F.desktop: 1])
        #expect(try await store.knowledgeBase(kb)?.head == 3)
    }

    @Test func resentBatchWithMore_storesOnlyTheNewChanges_atTheNextPositions() async throws {
        _ = try await store.append([F.incoming(F.laptop, 1), F.incoming(F.laptop, 2)], to: kb, receivedAt: F.now)
        let outcome = try await store.append(
            [F.incoming(F.laptop, 1), F.incoming(F.laptop, 2), F.incoming(F.laptop, 3), F.incoming(F.desktop, 1)],
            to: kb, receivedAt: F.now)
        #expect(outcome == AppendOutcome(accepted: 2, duplicates: 2, head: 4))
        let page = try await store.changes(in: kb, after: 2, limit: 10, maxBytes: .max, excluding: nil)
        #expect(page.changes.map(\.hubSeq) == [3, 4])
        #expect(page.changes.map(\.seq) == [3, 1])
    }

    @Test func sameChangeTwiceInOneBatch_countsAsOneDuplicate() async throws {
        let change = F.incoming(F.laptop, 1, title: "非遗")
        let outcome = try await store.append([change, change], to: kb, receivedAt: F.now)
        #expect(outcome == AppendOutcome(accepted: 1, duplicates: 1, head: 1))
        #expect(try await storedIDs() == ["\(F.laptop):1"])
    }

    @Test func storedPayloadIsTheBytesReceived() async throws {
        let change = F.incoming(F.laptop, 1, title: "劳模与非遗传承人同台。𠮷野家 👩‍👩‍👧 \u{0}\"\\/")
        _ = try await store.append([change], to: kb, receivedAt: F.now)
        let page = try await store.changes(in: kb, after: 0, limit: 10, maxBytes: .max, excluding: nil)
        #expect(page.changes == [LoggedChange(hubSeq: 1, replica: F.laptop, seq: 1, payload: change.payload)])
    }

    @Test func differentChangeUnderAStoredID_isRefused_andTheWholeBatchWithIt() async throws {
        let original = F.incoming(F.laptop, 1, title: "甲的标题")
        _ = try await store.append([original], to: kb, receivedAt: F.now)
        await #expect(throws: HubStoreError(.sequenceReused(replica: F.laptop, seq: 1))) {
            try await store.append(
                [F.incoming(F.desktop, 1), F.incoming(F.laptop, 1, title: "乙的标题")], to: kb, receivedAt: F.now)
        }
        // The stored change is compared byte for byte: one byte more is another change.
        var altered = original
        altered.payload.insert(UInt8(ascii: " "), at: altered.payload.count - 1)
        await #expect(throws: HubStoreError(.sequenceReused(replica: F.laptop, seq: 1))) {
            try await store.append([altered], to: kb, receivedAt: F.now)
        }
        #expect(try await storedIDs() == ["\(F.laptop):1"])
        #expect(try await store.replicas(in: kb) == [F.laptop: 1])
        let page = try await store.changes(in: kb, after: 0, limit: 10, maxBytes: .max, excluding: nil)
        #expect(page.changes.first?.payload == original.payload)
    }

    @Test func differentChangeTwiceInOneBatch_isRefused() async throws {
        await #expect(throws: HubStoreError(.sequenceReused(replica: F.laptop, seq: 1))) {
            try await store.append(
                [F.incoming(F.laptop, 1, title: "甲"), F.incoming(F.laptop, 1, title: "乙")], to: kb, receivedAt: F.now)
        }
        #expect(try await store.knowledgeBase(kb)?.head == 0)
    }

    @Test func holeInAReplicasSequence_refusesTheWholeBatch() async throws {
        _ = try await store.append([F.incoming(F.laptop, 1)], to: kb, receivedAt: F.now)
        await #expect(throws: HubStoreError(.sequenceGap(replica: F.laptop, expected: 2, got: 3))) {
            try await store.append([F.incoming(F.desktop, 1), F.incoming(F.laptop, 3)], to: kb, receivedAt: F.now)
        }
        // A replica's first change must be 1.
        await #expect(throws: HubStoreError(.sequenceGap(replica: F.desktop, expected: 1, got: 2))) {
            try await store.append([F.incoming(F.desktop, 2)], to: kb, receivedAt: F.now)
        }
        #expect(try await storedIDs() == ["\(F.laptop):1"])
        #expect(try await store.replicas(in: kb) == [F.laptop: 1])
        // The hole filled, the same changes go in.
        let outcome = try await store.append(
            [F.incoming(F.desktop, 1), F.incoming(F.laptop, 2), F.incoming(F.laptop, 3)], to: kb, receivedAt: F.now)
        #expect(outcome == AppendOutcome(accepted: 3, duplicates: 0, head: 4))
    }

    @Test func appendToAnUnknownKnowledgeBase_isRefused() async throws {
        await #expect(throws: HubStoreError(.unknownKnowledgeBase("ghost"))) {
            try await store.append([F.incoming(F.laptop, 1)], to: "ghost", receivedAt: F.now)
        }
    }

    @Test func knowledgeBasesHaveSeparateLogs() async throws {
        let other = try await store.ensureKnowledgeBase("非遗-archive")
        #expect(other.head == 0)
        _ = try await store.append([F.incoming(F.laptop, 1), F.incoming(F.laptop, 2)], to: kb, receivedAt: F.now)
        // The same replica id starts again at 1 in another knowledge base, at position 1 there.
        let outcome = try await store.append([F.incoming(F.laptop, 1)], to: other.name, receivedAt: F.now)
        #expect(outcome == AppendOutcome(accepted: 1, duplicates: 0, head: 1))
        #expect(try await store.replicas(in: other.name) == [F.laptop: 1])
        #expect(try await store.knowledgeBase(kb)?.head == 2)
        #expect(try await store.knowledgeBase(kb)?.epoch != other.epoch)
    }

    // MARK: - Reading the log

    @Test func pagingFromACursor_readsEveryPositionOnce_andEndsAtHead() async throws {
        var batch: [IncomingChange] = []
        for seq in Int64(1)...13 {
            batch.append(F.incoming(F.laptop, seq, title: "第\(seq)条"))
            batch.append(F.incoming(F.desktop, seq, title: "𠮷\(seq)"))
        }
        _ = try await store.append(batch, to: kb, receivedAt: F.now)
        var cursor: Int64 = 0
        var seen: [Int64] = []
        var pages = 0
        while true {
            let page = try await store.changes(in: kb, after: cursor, limit: 7, maxBytes: .max, excluding: nil)
            #expect(page.head == 26)
            if page.next == cursor { break }
            #expect(page.changes.count == min(7, 26 - Int(cursor)))
            #expect(page.next == page.changes.last?.hubSeq)
            let last = try #require(page.changes.last)
            #expect(page.nextID == "\(last.replica):\(last.seq)")
            seen += page.changes.map(\.hubSeq)
            cursor = page.next
            pages += 1
        }
        #expect(pages == 4)
        #expect(seen == Array(1...26))
        // At the head: nothing more, and the cursor keeps naming the change there.
        let end = try await store.changes(in: kb, after: 26, limit: 7, maxBytes: .max, excluding: nil)
        #expect(end.changes.isEmpty)
        #expect(end.next == 26)
        #expect(end.nextID == "\(F.desktop):13")
        #expect(try await store.changeID(in: kb, at: 26) == "\(F.desktop):13")
        #expect(try await store.changeID(in: kb, at: 27) == nil)
    }

    @Test func emptyLog_pageFromZero_hasNoNextID() async throws {
        let page = try await store.changes(in: kb, after: 0, limit: 100, maxBytes: .max, excluding: nil)
        #expect(page == LogPage(changes: [], next: 0, nextID: nil, head: 0))
    }

    @Test func excludedReplica_isLeftOut_butTheCursorMovesPastIt() async throws {
        _ = try await store.append(
            [F.incoming(F.laptop, 1), F.incoming(F.desktop, 1), F.incoming(F.laptop, 2), F.incoming(F.laptop, 3)],
            to: kb, receivedAt: F.now)
        let page = try await store.changes(in: kb, after: 0, limit: 100, maxBytes: .max, excluding: F.laptop)
        #expect(page.changes.map(\.hubSeq) == [2])
        #expect(page.next == 4)
        #expect(page.nextID == "\(F.laptop):3")
        // A page of only excluded changes still moves.
        let own = try await store.changes(in: kb, after: 2, limit: 100, maxBytes: .max, excluding: F.laptop)
        #expect(own.changes.isEmpty)
        #expect(own.next == 4)
    }

    @Test func pageStopsAtTheByteBudget_withTheChangeThatReachesIt() async throws {
        let batch = (Int64(1)...5).map { F.incoming(F.laptop, $0, title: String(repeating: "非遗", count: 100)) }
        _ = try await store.append(batch, to: kb, receivedAt: F.now)
        // The second change makes the page exactly reach the budget: the page ends with it.
        let budget = batch[0].payload.count + batch[1].payload.count
        let page = try await store.changes(in: kb, after: 0, limit: 100, maxBytes: budget, excluding: nil)
        #expect(page.changes.map(\.hubSeq) == [1, 2])
        #expect(page.next == 2)
        let wider = try await store.changes(in: kb, after: 0, limit: 100, maxBytes: budget + 1, excluding: nil)
        #expect(wider.changes.map(\.hubSeq) == [1, 2, 3])
        // A single change larger than the budget still fits.
        let single = try await store.changes(in: kb, after: 2, limit: 100, maxBytes: 1, excluding: nil)
        #expect(single.changes.map(\.hubSeq) == [3])
    }

    // MARK: - The file

    @Test func epochHeadReplicasAndTokensSurviveReopening() async throws {
        let folder = TempHubFolder()
        defer { withExtendedLifetime(folder) {} }
        let epoch: String
        let token = TokenHash.newToken()
        do {
            let store = try folder.open()
            epoch = try await store.ensureKnowledgeBase(kb).epoch
            _ = try await store.append(
                [F.incoming(F.laptop, 1), F.incoming(F.laptop, 2, title: "🎉"), F.incoming(F.desktop, 1)], to: kb,
                receivedAt: F.now)
            try await store.addToken(hash: TokenHash.hash(token), knowledgeBase: kb, createdAt: F.now)
        }
        let reopened = try folder.open()
        #expect(try await reopened.knowledgeBase(kb) == HubKnowledgeBase(name: kb, epoch: epoch, head: 3))
        #expect(try await reopened.ensureKnowledgeBase(kb).epoch == epoch)
        #expect(try await reopened.replicas(in: kb) == [F.laptop: 2, F.desktop: 1])
        #expect(try await reopened.knowledgeBase(forTokenHash: TokenHash.hash(token)) == kb)
        // The log goes on where it stopped, and still knows what it holds.
        let outcome = try await reopened.append(
            [F.incoming(F.laptop, 2, title: "🎉"), F.incoming(F.laptop, 3)], to: kb, receivedAt: F.now)
        #expect(outcome == AppendOutcome(accepted: 1, duplicates: 1, head: 4))
    }

    @Test func newKnowledgeBase_getsARandomEpochOf32HexDigits() async throws {
        let first = try await store.ensureKnowledgeBase("a")
        let second = try await store.ensureKnowledgeBase("b")
        for epoch in [first.epoch, second.epoch] {
            #expect(epoch.count == 32)
            #expect(epoch.allSatisfy { "0123456789abcdef".contains($0) })
        }
        #expect(first.epoch != second.epoch)
        #expect(try await store.knowledgeBase("missing") == nil)
    }

    @Test func hubFileIsReadableByItsOwnerOnly() async throws {
        let file = (folder.path as NSString).appendingPathComponent("hub.sqlite")
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }
}
