import Foundation
import Hub
import HubTestClient
import KB
import Logging
import Sync
import Testing
import ThrowawayPostgres

/// What operators meet: readiness, 503 while the database is away, `/metrics`, request ids, JSON logs.
struct HubOperationsTests {
    typealias F = HubFixtures

    @Test(arguments: StoreKind.allCases) func healthAndReadiness_areOkWithoutAToken(_ kind: StoreKind) async throws {
        let hub = try await TestHub(kind)
        let live = try await hub.service.send("GET", "/health")
        #expect(live.status == 200 && Answer.text(live) == #"{"status":"ok"}"#)
        let ready = try await hub.service.send("GET", "/health/ready")
        #expect(ready.status == 200 && Answer.text(ready) == #"{"status":"ready"}"#)
    }

    @Test func databaseAway_is503WithRetryAfter_notReady_butAlive_andServesOnceBack() async throws {
        let cluster = try ThrowawayPostgres()
        try cluster.psql("CREATE DATABASE hub")
        let token = try await TestHub.addToken(
            try await StoreUnderTest.postgres(cluster.url(database: "hub")), for: TestHub.name)
        let store = try await StoreUnderTest.postgresQuickToGiveUp(cluster.url(database: "hub"))
        let service = HubService(store: store, clock: .fixed(F.now), logger: F.quietLogger)
        let body = PushRequest(replica: F.laptop, changes: [F.change(F.laptop, 1, title: "非遗 𠮷")]).jsonBytes
        let push = {
            try await service.send(
                "POST", "/v1/kb/\(TestHub.name)/changes", headers: ["authorization": "Bearer \(token)"], body: body)
        }
        cluster.stop()
        let refused = try await push()
        let message = try Answer.expectError(refused, 503, HubErrorCode.unavailable)
        #expect(message == "The hub's database cannot be reached; try again shortly.")
        // Answers carry the retry hint; the client library retries 5xx answers.
        #expect(refused.headers["retry-after"] == "1")
        let notReady = try await service.send("GET", "/health/ready")
        #expect(notReady.status == 503 && notReady.headers["retry-after"] == "1")
        let alive = try await service.send("GET", "/health")
        #expect(alive.status == 200)
        try cluster.start()
        var answer = refused
        for _ in 0..<40 where answer.status != 200 {
            answer = try await push()
            if answer.status != 200 { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(answer.status == 200)
        let outcome = try Answer.decode(PushResponse.self, answer)
        #expect(outcome.accepted == 1 && outcome.head == 1)
    }

    @Test func metrics_areClosedByDefault() async throws {
        let hub = try await TestHub()
        let answer = try await hub.service.send("GET", "/metrics", headers: hub.headers())
        try Answer.expectError(answer, 404, HubErrorCode.notFound)
    }

    @Test(arguments: StoreKind.allCases) func metrics_needTheirOwnToken_andCountRoutesChangesBytesAndStoreTime(
        _ kind: StoreKind
    ) async throws {
        let hub = try await TestHub(kind)
        let metricsToken = TokenHash.newToken()
        let service = HubService(
            store: hub.store, clock: .fixed(F.now), logger: F.quietLogger,
            metricsTokenHash: TokenHash.hash(metricsToken))
        let body = PushRequest(replica: F.laptop, changes: HubServiceTests.changes.filter { $0.replica == F.laptop })
            .jsonBytes
        let path = "/v1/kb/\(TestHub.name)/changes"
        #expect(
            try await service.send("POST", path, headers: hub.headers(), body: body)
                .status == 200)
        #expect(
            try await service.send("POST", path, headers: hub.headers(), body: body)
                .status == 200)
        let pulled = try await service.send("GET", path, headers: hub.headers())
        #expect(pulled.status == 200)
        _ = try await service.send("GET", path, headers: ["authorization": "Bearer kbt_nope"])
        // A sync token does not open the metrics, nor does none.
        for headers in [hub.headers(), [:]] {
            let refused = try await service.send("GET", "/metrics", headers: headers)
            try Answer.expectError(refused, 401, HubErrorCode.unauthorized)
        }
        let scrape = try await service.send("GET", "/metrics", headers: ["authorization": "Bearer \(metricsToken)"])
        #expect(scrape.status == 200)
        #expect(scrape.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let samples = try PrometheusText.parse(Answer.text(scrape))
        #expect(samples[#"kb_hub_requests_total{route="push",status="200"}"#] == 2)
        #expect(samples[#"kb_hub_requests_total{route="pull",status="200"}"#] == 1)
        #expect(samples[#"kb_hub_requests_total{route="pull",status="401"}"#] == 1)
        #expect(samples[#"kb_hub_requests_total{route="metrics",status="401"}"#] == 2)
        #expect(samples["kb_hub_push_changes_total"] == 2)
        #expect(samples["kb_hub_push_bytes_total"] == Double(body.count * 2))
        #expect(samples["kb_hub_pull_changes_total"] == 2)
        let pulledBytes = try Answer.decode(PullProbe.self, pulled).changes.count
        #expect(pulledBytes == 2)
        #expect((samples["kb_hub_pull_bytes_total"] ?? 0) > 0)
        #expect(samples[#"kb_hub_store_seconds_count{operation="push"}"#] == 2)
        #expect(samples[#"kb_hub_store_seconds_bucket{operation="push",le="+Inf"}"#] == 2)
        #expect((samples[#"kb_hub_store_seconds_sum{operation="push"}"#] ?? -1) >= 0)
        // Buckets only grow with their bound.
        let buckets = HubMetrics.latencyBuckets.map {
            samples[#"kb_hub_store_seconds_bucket{operation="token",le="\#(HubMetrics.number($0))"}"#] ?? -1
        }
        #expect(buckets.allSatisfy { $0 >= 0 } && buckets == buckets.sorted())
    }

    struct PullProbe: Decodable {
        let changes: [[String: AnyDecodable]]
    }

    struct AnyDecodable: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    @Test func requests_carryARequestID_theClientsWhenPlain() async throws {
        let hub = try await TestHub()
        let given = try await hub.service.send(
            "GET", "/v1/kb/research/replicas", headers: hub.headers(["x-request-id": "abc-123_x.y"]))
        #expect(given.headers["x-request-id"] == "abc-123_x.y")
        let hostile = try await hub.service.send(
            "GET", "/v1/kb/research/replicas", headers: hub.headers(["x-request-id": "a\"b\n𠮷"]))
        let made = try #require(hostile.headers["x-request-id"])
        #expect(made.count == 16 && made.allSatisfy(\.isHexDigit))
    }

    @Test func jsonLogs_areOneObjectALine_withTheRequestID() async throws {
        let lines = LogLines()
        var logger = Logger(label: "kb.hub") { JSONLogHandler(label: $0, write: lines.append) }
        logger.logLevel = .info
        let hub = try await TestHub()
        let service = HubService(store: hub.store, clock: .fixed(F.now), logger: logger)
        _ = try await service.send(
            "GET", "/v1/kb/research/replicas", headers: hub.headers(["x-request-id": "req-𠮷-1"]))
        _ = try await service.send(
            "GET", "/v1/kb/research/replicas", headers: hub.headers(["x-request-id": "req-42"]))
        let text = lines.text
        #expect(text.hasSuffix("\n") && !text.contains(hub.token))
        let objects = try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String])
        }
        #expect(objects.count == 2)
        #expect(objects.map { $0["message"] } == ["request", "request"])
        #expect(objects.map { $0["level"] } == ["info", "info"])
        #expect(objects.map { $0["route"] } == ["replicas", "replicas"])
        #expect(objects.map { $0["status"] } == ["200", "200"])
        #expect(objects[1]["request_id"] == "req-42")
        #expect(objects[0]["request_id"]?.count == 16)
        #expect(objects.allSatisfy { $0["time"] != nil && $0["logger"] == "kb.hub" })
    }
}

/// Lines written by a log handler.
final class LogLines: @unchecked Sendable {
    private var lines: [String] = []
    private let lock = NSLock()

    var append: @Sendable (String) -> Void {
        { [self] line in lock.withLock { lines.append(line) } }
    }

    var text: String { lock.withLock { lines.joined() } }
}

/// Prometheus' text format: `name{labels} value` lines, `# HELP` and `# TYPE` comments.
enum PrometheusText {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    /// Samples by `name{labels}`; throws on a line that is neither a comment nor a sample, on a sample of a
    /// metric without `# TYPE`, or on a name seen twice.
    static func parse(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        var types: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary"].contains(parts[3]) else {
                    throw Malformed(description: "bad TYPE line: \(line)")
                }
                types[String(parts[2])] = String(parts[3])
                continue
            }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw Malformed(description: "not a sample: \(line)")
            }
            let key = String(line[..<space])
            let name = String(key.prefix { $0 != "{" })
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }),
                key == name || (key.hasSuffix("}") && key.contains("=\""))
            else { throw Malformed(description: "bad sample name: \(line)") }
            let family = ["_bucket", "_sum", "_count"].reduce(name) { current, suffix in
                types[current] == nil && current.hasSuffix(suffix) ? String(current.dropLast(suffix.count)) : current
            }
            guard types[family] != nil else { throw Malformed(description: "no TYPE for \(name)") }
            guard samples.updateValue(value, forKey: key) == nil else { throw Malformed(description: "twice: \(key)") }
        }
        guard text.hasSuffix("\n") else { throw Malformed(description: "no final newline") }
        return samples
    }
}
