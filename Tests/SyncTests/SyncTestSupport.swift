import Foundation
import GRDB
import Hub
@_exported import HubTestClient
import KB
@_exported import KBTestSupport
import Logging
import Synchronization
import Testing

@testable import Sync

/// A hub in this process: the real ``HubService`` routes over a real SQLite store in a temporary folder.
final class TestHub: Sendable {
    let directory: URL
    let store: SQLiteHubStore
    let service: HubService
    private let offset = Mutex<Int64>(0)

    init(clock: Clock = .system) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kb-hub-\(UUID().uuidString)")
        store = try SQLiteHubStore(directory: directory.path)
        service = HubService(
            store: store, clock: clock, logger: Logger(label: "test.hub") { _ in SwiftLogNoOpLogHandler() })
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Creates a knowledge base and a token for it.
    func token(for knowledgeBase: String) async throws -> String {
        _ = try await store.ensureKnowledgeBase(knowledgeBase)
        let token = TokenHash.newToken()
        try await store.addToken(hash: TokenHash.hash(token), knowledgeBase: knowledgeBase, createdAt: 0)
        return token
    }
}

/// Carries requests to a ``HubService``'s routes in this process, through Hummingbird's router (HummingbirdTesting's
/// `.router` mode: no socket).
struct InProcessTransport: HubTransport {
    let service: HubService

    func send(_ request: HubRequest) async throws -> HubResponse {
        guard let components = URLComponents(string: request.url) else {
            throw SyncError(.unreachable, "bad url")
        }
        var uri = components.percentEncodedPath
        if let query = components.percentEncodedQuery { uri += "?" + query }
        var headers: [String: String] = [:]
        for (name, value) in request.headers { headers[name.lowercased()] = value }
        let answer = try await service.send(request.method.rawValue, uri, headers: headers, body: request.body)
        return HubResponse(status: answer.status, body: answer.body)
    }
}

/// Injects the failures of real networks and servers, from a seeded generator.
final class FaultyTransport: HubTransport, Sendable {
    let base: any HubTransport
    /// Probability that a request never reaches the hub.
    let dropRequest: Double
    /// Probability that the hub handles a request but its answer is lost.
    let dropResponse: Double
    /// Probability that a request is sent twice.
    let duplicate: Double
    /// Probability of a 503 without handling.
    let unavailable: Double
    private let generator: Mutex<SeededGenerator>
    private let counts = Mutex<[String: Int]>([:])

    init(
        _ base: any HubTransport, seed: UInt64, dropRequest: Double = 0, dropResponse: Double = 0,
        duplicate: Double = 0, unavailable: Double = 0
    ) {
        self.base = base
        self.dropRequest = dropRequest
        self.dropResponse = dropResponse
        self.duplicate = duplicate
        self.unavailable = unavailable
        generator = Mutex(SeededGenerator(seed: seed))
    }

    var faults: [String: Int] { counts.withLock { $0 } }

    private func roll(_ probability: Double) -> Bool {
        generator.withLock { Double.random(in: 0..<1, using: &$0) } < probability
    }

    private func count(_ name: String) { counts.withLock { $0[name, default: 0] += 1 } }

    func send(_ request: HubRequest) async throws -> HubResponse {
        if roll(dropRequest) {
            count("dropped requests")
            throw SyncError(.unreachable, "connection refused (injected)")
        }
        if roll(unavailable) {
            count("503s")
            return HubResponse(status: 503, body: Array(#"{"error":"internal_error","message":"busy"}"#.utf8))
        }
        if roll(duplicate) {
            count("repeated requests")
            _ = try await base.send(request)
        }
        let response = try await base.send(request)
        if roll(dropResponse) {
            count("lost responses")
            throw SyncError(.unreachable, "connection reset mid-response (injected)")
        }
        return response
    }
}

/// A replica: an in-memory knowledge base with a remote on a test hub.
struct Replica {
    let kb: KnowledgeBase
    let engine: SyncEngine
    let name: String
    /// Held so that the hub's store outlives every replica that syncs with it (a freed ``TestHub``
    /// removes its folder).
    let hub: TestHub

    init(_ name: String, hub: TestHub, token: String, clock: Clock, transport: (any HubTransport)? = nil) throws {
        self.name = name
        self.hub = hub
        kb = KnowledgeBase(database: try AppDatabase.inMemory(), clock: clock)
        var engine = SyncEngine(kb: kb, transport: transport ?? InProcessTransport(service: hub.service))
        engine.pageSize = 50
        self.engine = engine
        _ = try RemoteStore.add(kb, name: "origin", url: "http://hub.test:1/research", token: token)
    }

    @discardableResult
    func sync() async throws -> SyncReport { try await engine.sync(remote: "origin") }

    var digest: String { get throws { try kb.health().digest } }

    func conflictIDs() throws -> [String] { try Conflicts.list(kb).map(\.id).sorted() }

    func article(_ id: String) throws -> Article? {
        try kb.readNow { db in try Article.fetch(db, id: id) }
    }

    func annotation(_ id: String) throws -> Annotation? {
        try kb.readNow { db in try Annotation.fetch(db, id: id) }
    }

    func count(_ sql: String) throws -> Int {
        try kb.readNow { db in try Int.fetchOne(db, sql: sql) ?? 0 }
    }

    /// Imports text as a file.
    @discardableResult
    func importPage(_ text: String, name: String = "page.txt") throws -> ImportReport {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kb-page-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return try kb.importFiles([url.path])
    }
}

/// The seed page, from the repository.
enum SeedPage {
    static var text: String {
        get throws { try Repository.seedPage }
    }
}

/// Syncs every replica until nothing moves; returns the number of rounds it took.
@discardableResult
func syncUntilQuiet(_ replicas: [Replica], maxRounds: Int = 6) async throws -> Int {
    for round in 1...maxRounds {
        var moved = 0
        for replica in replicas {
            let report = try await replica.sync()
            moved += report.pushed + report.pulled
        }
        if moved == 0 { return round }
    }
    Issue.record("replicas did not settle within \(maxRounds) rounds")
    return maxRounds
}

extension KnowledgeBase {
    /// A write transaction run synchronously (GRDB's async variant is chosen in async code otherwise).
    func writeNow<T>(_ body: (Database) throws -> T) throws -> T { try database.writer.write(body) }

    /// A read run synchronously.
    func readNow<T>(_ body: (Database) throws -> T) throws -> T { try database.writer.read(body) }
}
