import Foundation
import Hub
import HubTestClient
import KB
import Logging
import Sync
import Testing
import ThrowawayPostgres

/// A hub data folder in the temporary directory, removed when the value goes away.
final class TempHubFolder: Sendable {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("kb-hubtests-\(UUID().uuidString)").path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Opens the real SQLite store in the folder (a second call opens the same file again).
    func open() throws -> SQLiteHubStore { try SQLiteHubStore(directory: path) }

    /// Every file of the folder, concatenated.
    func allBytes() throws -> [UInt8] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted().flatMap { name in
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: (path as NSString).appendingPathComponent(name))))
        }
    }
}

/// The stores every contract test runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    var testDescription: String { rawValue }
}

/// A real store for one test: SQLite in a temporary folder, or PostgreSQL in a new database of the test
/// process's throwaway cluster (``ThrowawayPostgres/shared()``).
final class StoreUnderTest: Sendable {
    let kind: StoreKind
    let folder: TempHubFolder
    /// The PostgreSQL database's URL.
    let url: String?
    let store: any HubStore

    private init(kind: StoreKind, folder: TempHubFolder, url: String?, store: any HubStore) {
        self.kind = kind
        self.folder = folder
        self.url = url
        self.store = store
    }

    static func make(_ kind: StoreKind) async throws -> StoreUnderTest {
        let folder = TempHubFolder()
        switch kind {
        case .sqlite:
            return StoreUnderTest(kind: kind, folder: folder, url: nil, store: try folder.open())
        case .postgresql:
            let url = try ThrowawayPostgres.shared().newDatabase(prefix: "hubtest")
            return StoreUnderTest(kind: kind, folder: folder, url: url, store: try await Self.postgres(url))
        }
    }

    /// Opens the same data again, as a restarted or second hub process would.
    func reopen() async throws -> any HubStore {
        if let url { return try await Self.postgres(url) }
        return try folder.open()
    }

    /// A store on `url`. In the test process other suites wait for child processes on the cooperative
    /// threads (two on a two-core machine), so an answer that came may wait for a thread: the default
    /// timeout is long, so that a test measures the database rather than the load of its own process.
    static func postgres(_ url: String, timeout: Duration = .seconds(120)) async throws -> PostgresHubStore {
        try await PostgresHubStore(
            url: try PostgresURL(url), logger: HubFixtures.quietLogger, operationTimeout: timeout,
            maximumConnections: 4)
    }

    /// A store with a short timeout, for tests of a database that goes away; opened (while the database
    /// answers) on the first try that the process's load lets through.
    static func postgresQuickToGiveUp(_ url: String) async throws -> PostgresHubStore {
        for _ in 0..<19 {
            if let store = try? await postgres(url, timeout: .seconds(5)) { return store }
        }
        return try await postgres(url, timeout: .seconds(5))
    }
}

/// Shared values and builders.
enum HubFixtures {
    static let laptop = "9f2c41d07be85a13"
    static let desktop = "c81e7a5f30d2b694"
    /// 2025-04-24T08:00:00Z, in milliseconds.
    static let now: Int64 = 1_745_481_600_000
    static let article = "5d0b6c1e9a7f42c3b8e1d290"

    static let quietLogger = Logger(label: "test.hub") { _ in SwiftLogNoOpLogHandler() }

    /// A title edit: `value` is JSON text inside the change, as on the wire.
    static func change(
        _ replica: String, _ seq: Int64, title: String = "长三角职工文旅消费", millisecondsAhead: Int64 = 0
    ) -> WireChange {
        WireChange(
            replica: replica, seq: seq,
            hlc: HybridTimestamp(milliseconds: now + millisecondsAhead, counter: seq).rawValue,
            entity: "article", id: article, field: "title", op: "set", value: JSONText.string(title),
            base: seq > 1 ? ["\(replica):\(seq - 1)"] : [])
    }

    static func incoming(_ change: WireChange) -> IncomingChange {
        IncomingChange(replica: change.replica, seq: change.seq, hlc: change.hlc, payload: change.jsonBytes)
    }

    static func incoming(_ replica: String, _ seq: Int64, title: String = "长三角职工文旅消费") -> IncomingChange {
        incoming(change(replica, seq, title: title))
    }
}

/// The real routes over a real store (SQLite in a temporary folder by default), with a knowledge base
/// and its token.
struct TestHub {
    let underTest: StoreUnderTest
    var folder: TempHubFolder { underTest.folder }
    var store: any HubStore { underTest.store }
    let service: HubService
    let token: String
    static let name = "research"

    init(_ kind: StoreKind = .sqlite, clock: Clock = .fixed(HubFixtures.now)) async throws {
        underTest = try await StoreUnderTest.make(kind)
        let store = underTest.store
        service = HubService(store: store, clock: clock, logger: HubFixtures.quietLogger)
        _ = try await store.ensureKnowledgeBase(Self.name)
        token = try await Self.addToken(store, for: Self.name)
    }

    /// Creates the knowledge base if needed and a new token for it.
    static func addToken(_ store: any HubStore, for name: String) async throws -> String {
        _ = try await store.ensureKnowledgeBase(name)
        let token = TokenHash.newToken()
        try await store.addToken(hash: TokenHash.hash(token), knowledgeBase: name, createdAt: HubFixtures.now)
        return token
    }

    /// The same store seen through a service with another clock.
    func service(clock: Clock) -> HubService {
        HubService(store: store, clock: clock, logger: HubFixtures.quietLogger)
    }

    func headers(_ extra: [String: String] = [:]) -> [String: String] {
        extra.merging(["authorization": "Bearer \(token)"]) { mine, _ in mine }
    }

    func push(
        _ changes: [WireChange], sender: String = HubFixtures.laptop, via service: HubService? = nil
    ) async throws -> RoutedResponse {
        try await (service ?? self.service).send(
            "POST", "/v1/kb/\(Self.name)/changes", headers: headers(),
            body: PushRequest(replica: sender, changes: changes).jsonBytes)
    }

    func pushBody(_ body: [UInt8], headers extra: [String: String] = [:]) async throws -> RoutedResponse {
        try await service.send("POST", "/v1/kb/\(Self.name)/changes", headers: headers(extra), body: body)
    }

    func pull(_ query: [String: String] = [:], headers extra: [String: String] = [:]) async throws -> RoutedResponse {
        try await service.send("GET", "/v1/kb/\(Self.name)/changes" + Self.query(query), headers: headers(extra))
    }

    func replicas() async throws -> RoutedResponse {
        try await service.send("GET", "/v1/kb/\(Self.name)/replicas", headers: headers())
    }

    /// `?name=value&…`, percent-encoded, in name order; empty for no parameters.
    static func query(_ parameters: [String: String]) -> String {
        guard !parameters.isEmpty else { return "" }
        var components = URLComponents()
        components.queryItems = parameters.sorted { $0.key < $1.key }.map {
            URLQueryItem(name: $0.key, value: $0.value)
        }
        return "?" + (components.percentEncodedQuery ?? "")
    }
}

/// Decoding answers.
enum Answer {
    static func decode<T: Decodable>(_ type: T.Type, _ response: RoutedResponse) throws -> T {
        try JSONDecoder().decode(type, from: Data(response.body))
    }

    /// The body of an error answer, after checking that it is exactly `{"error", "message"}` JSON.
    static func error(_ response: RoutedResponse) throws -> HubErrorBody {
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.headers["content-encoding"] == nil)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(Set(object.keys) == ["error", "message"])
        let body = try decode(HubErrorBody.self, response)
        #expect(!body.message.isEmpty)
        return body
    }

    /// Checks the status and error code of an answer; returns its message.
    @discardableResult
    static func expectError(
        _ response: RoutedResponse, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        #expect(response.status == status, sourceLocation: sourceLocation)
        let body = try error(response)
        #expect(body.error == code, sourceLocation: sourceLocation)
        return body.message
    }

    static func text(_ response: RoutedResponse) -> String { response.text }
}
