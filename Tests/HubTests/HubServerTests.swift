import Foundation
import Hub
import KB
import Sync
import Testing

/// ``HubServer`` on a loopback port chosen at run time, reached with the client's own transport (libcurl).
@Suite(.timeLimit(.minutes(2)))
struct HubServerTests {
    typealias F = HubFixtures

    /// Starts `server` on a free loopback port: the port and the task that serves (cancel it to stop).
    static func listening(_ server: HubServer) async throws -> (port: Int, running: Task<Void, any Error>) {
        let (ports, started) = AsyncStream.makeStream(of: Int.self)
        let running = Task {
            defer { started.finish() }
            try await server.run(host: "127.0.0.1", port: 0) { port in _ = started.yield(port) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            running.cancel()
            _ = try await running.value
            throw CancellationError()
        }
        return (port, running)
    }

    @Test func overLoopback_theRoutesAnswerAsTheServiceDoes() async throws {
        let folder = TempHubFolder()
        defer { withExtendedLifetime(folder) {} }
        let store = try folder.open()
        let token = try await TestHub.addToken(store, for: "research")
        let server = HubServer(store: store, clock: .fixed(F.now), logger: F.quietLogger)
        let (port, running) = try await Self.listening(server)
        defer { running.cancel() }
        #expect(port > 0)

        let base = "http://127.0.0.1:\(port)"
        let client = CurlTransport(connectTimeout: 5, timeout: 30)
        let auth = ("Authorization", "Bearer \(token)")
        func text(_ response: HubResponse) -> String { String(decoding: response.body, as: UTF8.self) }
        func errorCode(_ response: HubResponse) throws -> String {
            try JSONDecoder().decode(HubErrorBody.self, from: Data(response.body)).error
        }

        let health = try await client.send(HubRequest(method: .get, url: "\(base)/health"))
        #expect(health.status == 200)
        #expect(text(health) == #"{"status":"ok"}"#)

        // Routes the server does not have: 404 from the HTTP server itself, with an empty body.
        for request in [
            HubRequest(method: .get, url: "\(base)/v1/kb/research/history", headers: [auth]),
            HubRequest(method: .post, url: "\(base)/health", body: []),
        ] {
            let answer = try await client.send(request)
            #expect(answer.status == 404)
            #expect(answer.body.isEmpty)
        }

        let changes = (Int64(1)...20).map { F.change(F.laptop, $0, title: "非遗技艺第\($0)场 𠮷 🎭") }
        let body = PushRequest(replica: F.laptop, changes: changes).jsonBytes
        let anonymous = try await client.send(
            HubRequest(method: .post, url: "\(base)/v1/kb/research/changes", body: body))
        #expect(anonymous.status == 401)
        #expect(try errorCode(anonymous) == HubErrorCode.unauthorized)

        let pushed = try await client.send(
            HubRequest(
                method: .post, url: "\(base)/v1/kb/research/changes",
                headers: [auth, ("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
                body: try Gzip.compress(body)))
        #expect(pushed.status == 200)
        let outcome = try JSONDecoder().decode(PushResponse.self, from: Data(pushed.body))
        #expect((outcome.accepted, outcome.duplicates, outcome.head) == (20, 0, 20))

        // The page is larger than 1024 bytes, so it comes gzipped; libcurl decodes it.
        let pulled = try await client.send(
            HubRequest(method: .get, url: "\(base)/v1/kb/research/changes?after=0&limit=1000", headers: [auth]))
        #expect(pulled.status == 200)
        let page = try JSONDecoder().decode(PullResponse.self, from: Data(pulled.body))
        #expect(page.changes.map(\.change) == changes)
        #expect(page.epoch == outcome.epoch)

        // Query values arrive percent-decoded: `expect` as the protocol's example writes it.
        let expected = try await client.send(
            HubRequest(
                method: .get, url: "\(base)/v1/kb/research/changes?after=2&limit=5&expect=\(F.laptop)%3A2",
                headers: [auth]))
        #expect(expected.status == 200)
        let expectedPage = try JSONDecoder().decode(PullResponse.self, from: Data(expected.body))
        #expect(expectedPage.changes.map(\.hubSeq) == [3, 4, 5, 6, 7])
        let changed = try await client.send(
            HubRequest(
                method: .get, url: "\(base)/v1/kb/research/changes?after=2&expect=\(F.laptop)%3A1", headers: [auth]))
        #expect(changed.status == 409)
        #expect(try errorCode(changed) == HubErrorCode.historyChanged)

        let oversized = try await client.send(
            HubRequest(
                method: .post, url: "\(base)/v1/kb/research/changes", headers: [auth],
                body: [UInt8](repeating: UInt8(ascii: " "), count: SyncLimits.maxBodyBytes + 1)))
        #expect(oversized.status == 413)
        #expect(try errorCode(oversized) == HubErrorCode.bodyTooLarge)

        running.cancel()
        _ = await running.result
    }

    @Test func overLoopback_refusedTokensAreCountedInMetrics() async throws {
        let folder = TempHubFolder()
        defer { withExtendedLifetime(folder) {} }
        let store = try folder.open()
        let token = try await TestHub.addToken(store, for: "research")
        let otherToken = try await TestHub.addToken(store, for: "archive")
        let metricsToken = TokenHash.newToken()
        let service = HubService(
            store: store, clock: .fixed(F.now), logger: F.quietLogger, metricsTokenHash: TokenHash.hash(metricsToken))
        let server = HubServer(service: service)
        let (port, running) = try await Self.listening(server)
        defer { running.cancel() }
        let base = "http://127.0.0.1:\(port)"
        let client = CurlTransport(connectTimeout: 5, timeout: 30)
        let body = PushRequest(replica: F.laptop, changes: [F.change(F.laptop, 1, title: "标题")]).jsonBytes
        let push = "\(base)/v1/kb/research/changes"
        // Refused before the body is read: no token, an unknown one, another knowledge base's.
        let refusals: [([(String, String)], Int)] = [
            ([], 401), ([("Authorization", "Bearer \(TokenHash.newToken())")], 401),
            ([("Authorization", "Bearer \(otherToken)")], 403),
        ]
        for (headers, status) in refusals {
            let answer = try await client.send(HubRequest(method: .post, url: push, headers: headers, body: body))
            #expect(answer.status == status)
        }
        let pulled = try await client.send(
            HubRequest(method: .get, url: push, headers: [("Authorization", "Bearer \(otherToken)")]))
        #expect(pulled.status == 403)
        let accepted = try await client.send(
            HubRequest(method: .post, url: push, headers: [("Authorization", "Bearer \(token)")], body: body))
        #expect(accepted.status == 200)
        #expect(try await client.send(HubRequest(method: .get, url: "\(base)/metrics")).status == 401)
        let scrape = try await client.send(
            HubRequest(method: .get, url: "\(base)/metrics", headers: [("Authorization", "Bearer \(metricsToken)")]))
        #expect(scrape.status == 200)
        let samples = try PrometheusText.parse(String(decoding: scrape.body, as: UTF8.self))
        #expect(samples[#"kb_hub_requests_total{route="push",status="401"}"#] == 2)
        #expect(samples[#"kb_hub_requests_total{route="push",status="403"}"#] == 1)
        #expect(samples[#"kb_hub_requests_total{route="pull",status="403"}"#] == 1)
        #expect(samples[#"kb_hub_requests_total{route="push",status="200"}"#] == 1)
        #expect(samples[#"kb_hub_requests_total{route="metrics",status="401"}"#] == 1)

        running.cancel()
        _ = await running.result
    }
}
