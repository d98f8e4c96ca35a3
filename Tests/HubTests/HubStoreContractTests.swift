import Foundation
import KB
import Sync
import Testing
import ThrowawayPostgres

@testable import Hub

/// The ``HubStore`` contract, run against both stores: SQLite on a real file in a temporary folder, and
/// PostgreSQL in a database of a throwaway cluster.
struct HubStoreContractTests {
    typealias F = HubFixtures
    let kb = "research"

    /// A store with the knowledge base `research`.
    func open(_ kind: StoreKind) async throws -> StoreUnderTest {
        let underTest = try await StoreUnderTest.make(kind)
        _ = try await underTest.store.ensureKnowledgeBase(kb)
        return underTest
    }

    func storedIDs(_ store: any HubStore) async throws -> [String] {
        try await store.changes(in: kb, after: 0, limit: 10_000, maxBytes: .max, excluding: nil).changes
            .map { "\($0.replica):\($0.seq)" }
    }

    // MARK: - Appending

    @Test(arguments: StoreKind.allCases) func sameBatchSentTwice_isStoredOnce_withTheSameHead(_ kind: StoreKind)
        async throws
    {
        let underTest = try await open(kind)
        let store = underTest.store
        let batch = [F.incoming(F.laptop, 1), F.incoming(F.laptop, 2), F.incoming(F.desktop, 1, title: "非遗 𠮷 🎉")]
        let first = try await store.append(batch, to: kb, receivedAt: F.now)
        #expect(first == AppendOutcome(accepted: 3, duplicates: 0, head: 3))
        let again = try await store.append(batch, to: kb, receivedAt: F.now + 1)
        #expect(again == AppendOutcome(accepted: 0, duplicates: 3, head: 3))
        #expect(try await storedIDs(store) == ["\(F.laptop):1", "\(F.laptop):2", "\(F.desktop):1"])
        #expect(try await store.replicas(in: kb) == [F.laptop: 2, F.desktop: 1])
        #expect(try await store.knowledgeBase(kb)?.head == 3)
    }

    @Test(arguments: StoreKind.allCases) func resentBatchWithMore_storesOnlyTheNewChanges_atTheNextPositions(
        _ kind: StoreKind
    ) async throws {
        let underTest = try await open(kind)
        let store = underTest.store
        _ = try await store.append([F.incoming(F.laptop, 1), F.incoming(F.laptop, 2)], to: kb, receivedAt: F.now)
        let outcome = try await store.append(
            [F.incoming(F.laptop, 1), F.incoming(F.laptop, 2), F.incoming(F.laptop, 3), F.incoming(F.desktop, 1)],
            to: kb, receivedAt: F.now)
        #expect(outcome == AppendOutcome(accepted: 2, duplicates: 2, head: 4))
        let page = try await store.changes(in: kb, after: 2, limit: 10, maxBytes: .max, excluding: nil)
        #expect(page.changes.map(\.hubSeq) == [3, 4])
        #expect(page.changes.map(\.seq) == [3, 1])
    }

    @Test(arguments: StoreKind.allCases) func sameChangeTwiceInOneBatch_countsAsOneDuplicate(_ kind: StoreKind)
        async throws
    {
        let underTest = try await open(kind)
        let store = underTest.store
        let change = F.incoming(F.laptop, 1, title: "非遗")
        let outcome = try await store.append([change, change], to: kb, receivedAt: F.now)
        #expect(outcome == AppendOutcome(accepted: 1, duplicates: 1, head: 1))
        #expect(try await storedIDs(store) == ["\(F.laptop):1"])
    }

    @Test(arguments: StoreKind.allCases) func storedPayloadIsTheBytesReceived(_ kind: StoreKind) async throws {
        let underTest = try await open(kind)
        let store = underTest.store
        let change = F.incoming(F.laptop, 1, title: "劳模与非遗传承人同台。𠮷野家 👩‍👩‍👧 \u{0}\"\\/")
        _ = try await store.append([change], to: kb, receivedAt: F.now)
        let page = try await store.changes(in: kb, after: 0, limit: 10, maxBytes: .max, excluding: nil)
        #expect(page.changes == [LoggedChange(hubSeq: 1, replica: F.laptop, seq: 1, payload: change.payload)])
    }

    @Test(arguments: StoreKind.allCases) func differentChangeUnderAStoredID_isRefused_andTheWholeBatchWithIt(
        _ kind: StoreKind
    ) async throws {
        let underTest = try await open(kind)
        let store = underTest.store
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
        #expect(try await storedIDs(store) == ["\(F.laptop):1"])
        #expect(try await store.replicas(in: kb) == [F.laptop: 1])
        let page = try await store.changes(in: kb, after: 0, limit: 10, maxBytes: .max, excluding: nil)
        #expect(page.changes.first?.payload == original.payload)
    }

    @Test(arguments: StoreKind.allCases) func differentChangeTwiceInOneBatch_isRefused(_ kind: StoreKind) async throws {
        let underTest = try await open(kind)
        let store = underTest.store
        await #expect(throws: HubStoreError(.sequenceReused(replica: F.laptop, seq: 1))) {
            try await store.append(
                [F.incoming(F.laptop, 1, title: "甲"), F.incoming(F.laptop, 1, title: "乙")], to: kb, receivedAt: F.now)
        }
        #expect(try await store.knowledgeBase(kb)?.head == 0)
    }

    @Test(arguments: StoreKind.allCases) func holeInAReplicasSequence_refusesTheWholeBatch(_ kind: StoreKind)
        async throws
    {
        let underTest = try await open(kind)
        let store = underTest.store
        _ = try await store.append([F.incoming(F.laptop, 1)], to: kb, receivedAt: F.now)
        await #expect(throws: HubStoreError(.sequenceGap(replica: F.laptop, expected: 2, got: 3))) {
            try await store.append([F.incoming(F.desktop, 1), F.incoming(F.laptop, 3)], to: kb, receivedAt: F.now)
        }
        // A replica's first change must be 1.
        await #expect(throws: HubStoreError(.sequenceGap(replica: F.desktop, expected: 1, got: 2))) {
            try await store.append([F.incoming(F.desktop, 2)], to: kb, receivedAt: F.now)
        }
        #expect(try await storedIDs(store) == ["\(F.laptop):1"])
        #expect(try await store.replicas(in: kb) == [F.laptop: 1])
        // The hole filled, the same changes go in.
        let outcome = try await store.append(
            [F.incoming(F.desktop, 1), F.incoming(F.laptop, 2), F.incoming(F.laptop, 3)], to: kb, receivedAt: F.now)
        #expect(outcome == AppendOutcome(accepted: 3, duplicates: 0, head: 4))
    }

    @Test(arguments: StoreKind.allCases) func appendToAnUnknownKnowledgeBase_isRefused(_ kind: StoreKind) async throws {
        let underTest = try await open(kind)
        let store = underTest.store
        await #expect(throws: HubStoreError(.unknownKnowledgeBase("ghost"))) {
            try await store.append([F.incoming(F.laptop, 1)], to: "ghost", receivedAt: F.now)
        }
    }

    @Test(arguments: StoreKind.allCases) func knowledgeBasesHaveSeparateLogs(_ kind: StoreKind) async throws {
        let underTest = try await open(kind)
        let store = underTest.store
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

    @Test(arguments: StoreKind.allCases) func pagingFromACursor_readsEveryPositionOnce_andEndsAtHead(_ kind: StoreKind)
        async throws
    {
        let underTest = try await open(kind)
        let store = underTest.store
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

    @Test(arguments: StoreKind.allCases) func emptyLog_pageFromZero_hasNoNextID(_ kind: StoreKind) async throws {
        let underTest = try await open(kind)
        let store = underTest.store
        let page = try await store.changes(in: kb, after: 0, limit: 100, maxBytes: .max, excluding: nil)
        #expect(page == LogPage(changes: [], next: 0, nextID: nil, head: 0))
    }

    @Test(arguments: StoreKind.allCases) func excludedReplica_isLeftOut_butTheCursorMovesPastIt(_ kind: StoreKind)
        async throws
    {
        let underTest = try await open(kind)
        let store = underTest.store
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

    @Test(arguments: StoreKind.allCases) func pageStopsAtTheByteBudget_withTheChangeThatReachesIt(_ kind: StoreKind)
        async throws
    {
        let underTest = try await open(kind)
        let store = underTest.store
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

    @Test(arguments: StoreKind.allCases) func epochHeadReplicasAndTokensSurviveReopening(_ kind: StoreKind) async throws
    {
        let underTest = try await StoreUnderTest.make(kind)
        let epoch: String
        let token = TokenHash.newToken()
        do {
            let store = underTest.store
            epoch = try await store.ensureKnowledgeBase(kb).epoch
            _ = try await store.append(
                [F.incoming(F.laptop, 1), F.incoming(F.laptop, 2, title: "🎉"), F.incoming(F.desktop, 1)], to: kb,
                receivedAt: F.now)
            try await store.addToken(hash: TokenHash.hash(token), knowledgeBase: kb, createdAt: F.now)
        }
        let reopened = try await underTest.reopen()
        #expect(try await reopened.knowledgeBase(kb) == HubKnowledgeBase(name: kb, epoch: epoch, head: 3))
        #expect(try await reopened.ensureKnowledgeBase(kb).epoch == epoch)
        #expect(try await reopened.replicas(in: kb) == [F.laptop: 2, F.desktop: 1])
        #expect(try await reopened.knowledgeBase(forTokenHash: TokenHash.hash(token)) == kb)
        // The log goes on where it stopped, and still knows what it holds.
        let outcome = try await reopened.append(
            [F.incoming(F.laptop, 2, title: "🎉"), F.incoming(F.laptop, 3)], to: kb, receivedAt: F.now)
        #expect(outcome == AppendOutcome(accepted: 1, duplicates: 1, head: 4))
    }

    @Test(arguments: StoreKind.allCases) func newKnowledgeBase_getsARandomEpochOf32HexDigits(_ kind: StoreKind)
        async throws
    {
        let underTest = try await open(kind)
        let store = underTest.store
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
        let underTest = try await open(.sqlite)
        let file = (underTest.folder.path as NSString).appendingPathComponent("hub.sqlite")
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    // MARK: - Tokens

    @Test(arguments: StoreKind.allCases) func tokens_areListedByIDWithoutTheToken_andRevokedAtOnce(_ kind: StoreKind)
        async throws
    {
        let underTest = try await open(kind)
        let store = underTest.store
        _ = try await store.ensureKnowledgeBase("非遗-archive")
        let first = TokenHash.newToken()
        let second = TokenHash.newToken()
        try await store.addToken(hash: TokenHash.hash(first), knowledgeBase: kb, createdAt: F.now, name: "laptop 𠮷 🎉")
        try await store.addToken(hash: TokenHash.hash(second), knowledgeBase: "非遗-archive", createdAt: F.now + 1)
        var listed = try await store.tokens()
        #expect(listed.map(\.knowledgeBase) == [kb, "非遗-archive"])
        #expect(listed.map(\.name) == ["laptop 𠮷 🎉", nil])
        #expect(listed.map(\.lastUsedAt) == [nil, nil])
        #expect(
            listed.map(\.id) == [String(TokenHash.hash(first).prefix(12)), String(TokenHash.hash(second).prefix(12))])
        #expect(listed.allSatisfy { !$0.hash.contains(first) && !$0.hash.contains(second) })
        // Using a token notes when.
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(try await store.knowledgeBase(forTokenHash: TokenHash.hash(first)) == kb)
        listed = try await store.tokens()
        #expect((listed[0].lastUsedAt ?? 0) >= before)
        #expect(listed[1].lastUsedAt == nil)
        // A second process on the same store sees the revocation at once.
        let other = try await underTest.reopen()
        #expect(try await store.revokeToken(id: listed[0].id) == 1)
        #expect(try await other.knowledgeBase(forTokenHash: TokenHash.hash(first)) == nil)
        #expect(try await store.knowledgeBase(forTokenHash: TokenHash.hash(second)) == "非遗-archive")
        #expect(try await store.revokeToken(id: listed[0].id) == 0)
        #expect(try await store.revokeToken(id: "not-an-id") == 0)
        #expect(try await store.tokens().map(\.id) == [listed[1].id])
        try await store.checkReady()
    }

    // MARK: - Concurrent writers

    @Test(arguments: StoreKind.allCases) func concurrentPushesFromSeveralConnections_giveGapFreePositions(
        _ kind: StoreKind
    ) async throws {
        let underTest = try await open(kind)
        // Each writer its own store, as separate hub processes would have.
        var writers: [any HubStore] = [underTest.store]
        for _ in 1..<4 { writers.append(try await underTest.reopen()) }
        let replicas = (0..<8).map { String(format: "%016llx", 0xa000_0000_0000_0000 as UInt64 + UInt64($0)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, replica) in replicas.enumerated() {
                let writer = writers[index % writers.count]
                let kb = self.kb
                group.addTask {
                    for batch in 0..<5 {
                        let changes = (1...4).map { F.incoming(replica, Int64(batch * 4 + $0), title: "第\(batch)批 𠮷") }
                        _ = try await writer.append(changes, to: kb, receivedAt: F.now)
                        // Sent again, as a client whose answer was lost would.
                        let again = try await writer.append(changes, to: kb, receivedAt: F.now)
                        #expect(again.accepted == 0 && again.duplicates == 4)
                    }
                }
            }
            try await group.waitForAll()
        }
        let page = try await underTest.store.changes(in: kb, after: 0, limit: 10_000, maxBytes: .max, excluding: nil)
        #expect(page.head == 160)
        #expect(page.changes.map(\.hubSeq) == Array(1...160))
        #expect(Set(page.changes.map { "\($0.replica):\($0.seq)" }).count == 160)
        for replica in replicas {
            #expect(page.changes.filter { $0.replica == replica }.map(\.seq) == Array(1...20))
        }
        #expect(
            try await underTest.store.replicas(in: kb) == Dictionary(uniqueKeysWithValues: replicas.map { ($0, 20) }))
    }

    @Test func postgresSchema_isMigratedOnce_evenWhenProcessesStartTogether() async throws {
        let url = try ThrowawayPostgres.shared().newDatabase(prefix: "hubtest")
        let stores = try await withThrowingTaskGroup(of: PostgresHubStore.self) { group in
            for _ in 0..<4 { group.addTask { try await StoreUnderTest.postgres(url) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for store in stores { #expect(try await store.appliedMigrations() == ["v1"]) }
    }

    @Test func postgresURL_acceptsTCPAndUnixSockets_andHidesThePassword() async throws {
        let tcp = try PostgresURL("postgresql://kb:s%40cret@db.example:6543/hub?sslmode=require", environment: [:])
        #expect(tcp.user == "kb" && tcp.password == "s@cret" && tcp.host == "db.example" && tcp.port == 6543)
        #expect(tcp.database == "hub" && tcp.tls == .require && tcp.socketDirectory == nil)
        #expect(tcp.redacted == "postgresql://kb@db.example:6543/hub")
        let socket = try PostgresURL(
            "postgres://kb@/hub?host=/run/postgresql&port=5433", environment: ["PGPASSWORD": "pw"])
        #expect(socket.socketDirectory == "/run/postgresql" && socket.host == nil && socket.port == 5433)
        #expect(socket.password == "pw")
        for bad in [
            "mysql://kb@h/db", "postgresql://h/db", "postgresql://kb@h/", "postgresql://kb@/db",
            "postgresql://kb@h/db?sslmode=maybe", "postgresql://kb@h/db?colour=red", "postgresql://kb:pw@h:99999/db",
        ] {
            #expect(throws: PostgresURL.ParseError.self) { try PostgresURL(bad, environment: [:]) }
        }
        do {
            _ = try PostgresURL("postgresql://kb:hunter2@h/db?colour=red", environment: [:])
        } catch {
            #expect(!"\(error)".contains("hunter2"))
        }
        // The throwaway cluster through its socket.
        let cluster = try ThrowawayPostgres.shared()
        let database = "hubtest_socket_\(UUID().uuidString.prefix(6).lowercased())"
        try cluster.psql("CREATE DATABASE \(database)")
        let store = try await StoreUnderTest.postgres(cluster.socketURL(database: database))
        #expect(try await store.ensureKnowledgeBase(kb).head == 0)
    }

    @Test func postgresUnreachable_isUnavailable_andTheStoreServesOnceItIsBack() async throws {
        let cluster = try ThrowawayPostgres()
        try cluster.psql("CREATE DATABASE hub")
        let setUp = try await StoreUnderTest.postgres(cluster.url(database: "hub"))
        _ = try await setUp.ensureKnowledgeBase(kb)
        _ = try await setUp.append([F.incoming(F.laptop, 1)], to: kb, receivedAt: F.now)
        let store = try await StoreUnderTest.postgresQuickToGiveUp(cluster.url(database: "hub"))
        cluster.stop()
        await #expect {
            try await store.append([F.incoming(F.laptop, 2)], to: kb, receivedAt: F.now)
        } throws: { error in
            guard let stored = error as? HubStoreError, case .unavailable = stored.code else { return false }
            return true
        }
        await #expect(throws: HubStoreError.self) { try await store.checkReady() }
        try cluster.start()
        var answered = false
        for _ in 0..<40 where !answered {
            answered = (try? await store.checkReady()) != nil
            if !answered { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(answered)
        // A client retries what the hub refused while its database was away; the first try may still meet
        // a connection of the pool that broke meanwhile.
        var outcome: AppendOutcome?
        for _ in 0..<10 where outcome == nil {
            outcome = try? await store.append([F.incoming(F.laptop, 2)], to: kb, receivedAt: F.now)
            if outcome == nil { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(outcome == AppendOutcome(accepted: 1, duplicates: 0, head: 2))
    }
}
