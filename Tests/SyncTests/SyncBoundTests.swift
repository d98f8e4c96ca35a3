import Foundation
import KB
import Synchronization
import Testing

@testable import Sync

/// A hub that sends well-formed pages forever: one change each, moving one position, toward a head of 10^12.
final class EndlessHub: HubTransport, Sendable {
    let requests = Mutex(0)
    /// Requests after which it gives up, so that a sync without a bound fails instead of running on.
    let giveUpAfter: Int

    init(giveUpAfter: Int) {
        self.giveUpAfter = giveUpAfter
    }

    func send(_ request: HubRequest) async throws -> HubResponse {
        let count = requests.withLock { value -> Int in
            value += 1
            return value
        }
        guard count <= giveUpAfter else { throw SyncError(.hub, "the endless hub gave up", code: "gave_up") }
        let head: Int64 = 1_000_000_000_000
        let other = "abcdefabcdef0001"
        if request.url.contains("/replicas") {
            return HubResponse(
                status: 200, body: Array(#"{"epoch":"e","head":\#(head),"replicas":{"\#(other)":\#(head)}}"#.utf8))
        }
        let after =
            URLComponents(string: request.url)?.queryItems?.first { $0.name == "after" }?.value
            .flatMap { Int64($0) } ?? 0
        let change = WireChange(
            replica: other, seq: after + 1, hlc: 114_391_882_137_600_000 + after, entity: "article",
            id: "5d0b6c1e9a7f42c3b8e1d290", field: "title", op: "set", value: JSONText.string("无尽 \(after)"), base: [])
        let page = PullResponse(
            epoch: "e", changes: [PulledChange(hubSeq: after + 1, change: change)], next: after + 1,
            nextID: "\(other):\(after + 1)", head: head)
        return HubResponse(status: 200, body: Array(try JSONEncoder().encode(page)))
    }
}

struct SyncBoundTests {
    @Test func hubSendingWellFormedPagesForever_syncStopsAtItsRequestBound_withANamedError() async throws {
        let kb = KnowledgeBase(database: try AppDatabase.inMemory())
        _ = try RemoteStore.add(kb, name: "origin", url: "http://hub.test:1/research", token: "kbt_x")
        let hub = EndlessHub(giveUpAfter: 200)
        var engine = SyncEngine(kb: kb, transport: hub)
        engine.maxRequests = 25
        let error = await #expect(throws: SyncError.self) { try await engine.sync(remote: "origin") }
        #expect(error?.code == "sync_bound", "\(String(describing: error))")
        #expect(error?.message.contains("25 requests") == true)
        #expect(hub.requests.withLock { $0 } <= 27, "the page fetched ahead at most")
        // What was applied before the bound stays, and the next sync goes on from there.
        let cursor = try RemoteStore.get(kb, name: "origin").cursor
        #expect(cursor >= 20)
    }

    @Test func syncStopsAtItsTimeBound() async throws {
        let kb = KnowledgeBase(database: try AppDatabase.inMemory())
        _ = try RemoteStore.add(kb, name: "origin", url: "http://hub.test:1/research", token: "kbt_x")
        let hub = EndlessHub(giveUpAfter: 20_000)
        var engine = SyncEngine(kb: kb, transport: hub)
        engine.maxDuration = .milliseconds(50)
        let error = await #expect(throws: SyncError.self) { try await engine.sync(remote: "origin") }
        // Stopped by its time bound, not by the hub giving up (nor by the request bound, which is larger).
        #expect(error?.code == "sync_bound", "\(String(describing: error))")
        #expect(error?.message.contains("50 milliseconds") == true || error?.message.contains("0.05") == true)
        #expect(hub.requests.withLock { $0 } < 20_000)
    }
}
