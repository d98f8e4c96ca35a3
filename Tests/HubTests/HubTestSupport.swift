import Foundation
import Hub
import KB
import Logging
import Sync
import Testing

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

/// The real service over the real store in a temporary folder, with a knowledge base and its token.
struct TestHub {
    let folder: TempHubFolder
    let store: SQLiteHubStore
    let service: HubService
    let token: String
    static let name = "research"

    init(clock: Clock = .fixed(HubFixtures.now)) async throws {
        folder = TempHubFolder()
        store = try folder.open()
        service = HubService(store: store, clock: clock, logger: HubFixtures.quietLogger)
        _ = try await store.ensureKnowledgeBase(Self.name)
        token = try await Self.addToken(store, for: Self.name)
    }

    /// Creates the knowledge base if needed and a new token for it.
    static func addToken(_ store: SQLiteHubStore, for name: String) async throws -> String {
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
    ) async -> HubServiceResponse {
        await (service ?? self.service).respond(
            HubServiceRequest(
                method: "POST", path: "/v1/kb/\(Self.name)/changes", headers: headers(),
                body: PushRequest(replica: sender, changes: changes).jsonBytes))
    }

    func pushBody(_ body: [UInt8], headers extra: [String: String] = [:]) async -> HubServiceResponse {
        await service.respond(
            HubServiceRequest(method: "POST", path: "/v1/kb/\(Self.name)/changes", headers: headers(extra), body: body))
    }

    func pull(_ query: [String: String] = [:], headers extra: [String: String] = [:]) async -> HubServiceResponse {
        await service.respond(
            HubServiceRequest(
                method: "GET", path: "/v1/kb/\(Self.name)/changes", query: query, headers: headers(extra)))
    }

    func replicas() async -> HubServiceResponse {
        await service.respond(
            HubServiceRequest(method: "GET", path: "/v1/kb/\(Self.name)/replicas", headers: headers()))
    }
}

/// Decoding answers.
enum Answer {
    static func decode<T: Decodable>(_ type: T.Type, _ response: HubServiceResponse) throws -> T {
        try JSONDecoder().decode(type, from: Data(response.body))
    }

    /// The body of an error answer, after checking that it is exactly `{"error", "message"}` JSON.
    static func error(_ response: HubServiceResponse) throws -> HubErrorBody {
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
        _ response: HubServiceResponse, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        #expect(response.status == status, sourceLocation: sourceLocation)
        let body = try error(response)
        #expect(body.error == code, sourceLocation: sourceLocation)
        return body.message
    }

    static func text(_ response: HubServiceResponse) -> String { String(decoding: response.body, as: UTF8.self) }
}
