import Foundation
public import Logging
import NIOCore
import PostgresNIO

/// The hub's storage in a PostgreSQL database, shared by any number of hub processes.
///
/// Each knowledge base keeps its log head in its own row of `knowledge_bases`; a push locks that row
/// (`SELECT … FOR UPDATE`), appends after the head and moves it in the same transaction, so that pushes
/// to one knowledge base take turns and `hub_seq` runs 1, 2, 3… without holes, in READ COMMITTED.
/// Readers page only up to the committed head, so they never step past a change still being written.
public final class PostgresHubStore: HubStore {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger
    /// How long one store operation may take before the hub answers 503.
    public let operationTimeout: Duration
    /// Where the database is, for messages (never with the password).
    public let location: String

    /// Connects a pool to the database and brings its schema up to date.
    ///
    /// - Throws: ``HubStoreError`` `.unavailable` when the database cannot be reached or refuses the schema.
    public init(
        url: PostgresURL, logger: Logger = Logger(label: "kb.hub.store"), operationTimeout: Duration = .seconds(10),
        maximumConnections: Int = 20
    ) async throws {
        var configuration = url.clientConfiguration
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        // The pool's own chatter (reconnection attempts) only from errors up: the hub logs what requests meet.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        client = PostgresClient(configuration: configuration, backgroundLogger: background)
        let client = self.client
        runner = Task { await client.run() }
        self.logger = logger
        self.operationTimeout = operationTimeout
        location = url.redacted
        do {
            try await migrate()
        } catch {
            runner.cancel()
            throw error
        }
    }

    deinit { runner.cancel() }

    /// Closes the pool.
    public func close() { runner.cancel() }

    // MARK: - Schema

    /// Migrations by name, applied once each, in order, under an advisory lock so that hub processes
    /// starting together do not race.
    static let migrations: [(name: String, sql: [String])] = [
        (
            "v1",
            [
                """
                CREATE TABLE knowledge_bases (
                    name TEXT PRIMARY KEY,
                    epoch TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    -- The last hub_seq of the log; moved only by the push that holds this row.
                    head BIGINT NOT NULL DEFAULT 0
                )
                """,
                """
                CREATE TABLE tokens (
                    hash TEXT PRIMARY KEY,
                    kb TEXT NOT NULL REFERENCES knowledge_bases(name),
                    created_at BIGINT NOT NULL,
                    name TEXT,
                    last_used_at BIGINT
                )
                """,
                """
                CREATE TABLE log (
                    kb TEXT NOT NULL REFERENCES knowledge_bases(name),
                    hub_seq BIGINT NOT NULL,
                    replica TEXT NOT NULL,
                    seq BIGINT NOT NULL,
                    payload BYTEA NOT NULL,
                    received_at BIGINT NOT NULL,
                    PRIMARY KEY (kb, hub_seq),
                    UNIQUE (kb, replica, seq)
                )
                """,
                """
                CREATE TABLE replicas (
                    kb TEXT NOT NULL REFERENCES knowledge_bases(name),
                    replica TEXT NOT NULL,
                    max_seq BIGINT NOT NULL,
                    PRIMARY KEY (kb, replica)
                )
                """,
            ]
        )
    ]

    /// The migrations applied, by name.
    public func appliedMigrations() async throws -> [String] {
        try await guarded { client, logger in
            var names: [String] = []
            for try await name in try await client.query(
                "SELECT name FROM hub_schema_migrations ORDER BY name", logger: logger
            ).decode(String.self) {
                names.append(name)
            }
            return names
        }
    }

    private func migrate() async throws {
        try await guarded { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                // One process migrates at a time; the others find the work done.
                try await connection.query("SELECT pg_advisory_xact_lock(7250331)", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS hub_schema_migrations (
                        name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)
                    """, logger: logger)
                var applied: Set<String> = []
                for try await name in try await connection.query(
                    "SELECT name FROM hub_schema_migrations", logger: logger
                ).decode(String.self) {
                    applied.insert(name)
                }
                for migration in Self.migrations where !applied.contains(migration.name) {
                    for statement in migration.sql {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    let name = migration.name
                    let now = Self.nowMilliseconds()
                    try await connection.query(
                        "INSERT INTO hub_schema_migrations (name, applied_at) VALUES (\(name), \(now))",
                        logger: logger)
                }
            }
        }
    }

    // MARK: - Knowledge bases and tokens

    public func ensureKnowledgeBase(_ name: String) async throws -> HubKnowledgeBase {
        let epoch = Self.newEpoch()
        let now = Self.nowMilliseconds()
        return try await guarded { client, logger in
            try await client.query(
                """
                INSERT INTO knowledge_bases (name, epoch, created_at) VALUES (\(name), \(epoch), \(now))
                ON CONFLICT (name) DO NOTHING
                """, logger: logger)
            guard let found = try await Self.knowledgeBase(client, logger, name) else {
                throw HubStoreError(.unknownKnowledgeBase(name))
            }
            return found
        }
    }

    public func knowledgeBase(_ name: String) async throws -> HubKnowledgeBase? {
        try await guarded { client, logger in try await Self.knowledgeBase(client, logger, name) }
    }

    static func knowledgeBase(_ client: PostgresClient, _ logger: Logger, _ name: String) async throws
        -> HubKnowledgeBase?
    {
        for try await (epoch, head) in try await client.query(
            "SELECT epoch, head FROM knowledge_bases WHERE name = \(name)", logger: logger
        ).decode((String, Int64).self) {
            return HubKnowledgeBase(name: name, epoch: epoch, head: head)
        }
        return nil
    }

    public func knowledgeBases() async throws -> [HubKnowledgeBaseRecord] {
        try await guarded { client, logger in
            var out: [HubKnowledgeBaseRecord] = []
            for try await (name, epoch, created, head) in try await client.query(
                "SELECT name, epoch, created_at, head FROM knowledge_bases ORDER BY name", logger: logger
            ).decode((String, String, Int64, Int64).self) {
                out.append(HubKnowledgeBaseRecord(name: name, epoch: epoch, createdAt: created, head: head))
            }
            return out
        }
    }

    public func addToken(hash: String, knowledgeBase: String, createdAt: Int64, name: String?) async throws {
        try await guarded { client, logger in
            try await client.query(
                "INSERT INTO tokens (hash, kb, created_at, name) VALUES (\(hash), \(knowledgeBase), \(createdAt), \(name))",
                logger: logger)
        }
    }

    public func knowledgeBase(forTokenHash hash: String) async throws -> String? {
        let now = Self.nowMilliseconds()
        return try await guarded { client, logger in
            var found: (String, String, Int64?)?
            for try await row in try await client.query(
                "SELECT hash, kb, last_used_at FROM tokens WHERE hash = \(hash)", logger: logger
            ).decode((String, String, Int64?).self) {
                found = row
            }
            guard let (stored, kb, lastUsed) = found, TokenHash.constantTimeEquals(stored, hash) else { return nil }
            if (lastUsed ?? 0) < now - HubTokenRecord.lastUsedResolution {
                let stale = now - HubTokenRecord.lastUsedResolution
                try await client.query(
                    """
                    UPDATE tokens SET last_used_at = \(now)
                    WHERE hash = \(hash) AND (last_used_at IS NULL OR last_used_at < \(stale))
                    """, logger: logger)
            }
            return kb
        }
    }

    public func tokens() async throws -> [HubTokenRecord] {
        try await guarded { client, logger in
            var out: [HubTokenRecord] = []
            for try await (hash, kb, created, name, lastUsed) in try await client.query(
                "SELECT hash, kb, created_at, name, last_used_at FROM tokens ORDER BY created_at, hash", logger: logger
            ).decode((String, String, Int64, String?, Int64?).self) {
                out.append(
                    HubTokenRecord(hash: hash, knowledgeBase: kb, name: name, createdAt: created, lastUsedAt: lastUsed))
            }
            return out
        }
    }

    public func revokeToken(id: String) async throws -> Int {
        guard HubTokenRecord.isTokenID(id) else { return 0 }
        return try await guarded { client, logger in
            var count = 0
            for try await _ in try await client.query(
                "DELETE FROM tokens WHERE hash LIKE \(id + "%") RETURNING hash", logger: logger
            ).decode(String.self) {
                count += 1
            }
            return count
        }
    }

    public func checkReady() async throws {
        try await guarded { client, logger in
            try await client.query("SELECT 1", logger: logger)
        }
    }

    // MARK: - The log

    public func append(_ changes: [IncomingChange], to knowledgeBase: String, receivedAt: Int64) async throws
        -> AppendOutcome
    {
        try await guarded { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                // The row lock makes pushes to one knowledge base take turns until this one commits.
                var locked: Int64?
                for try await head in try await connection.query(
                    "SELECT head FROM knowledge_bases WHERE name = \(knowledgeBase) FOR UPDATE", logger: logger
                ).decode(Int64.self) {
                    locked = head
                }
                guard var head = locked else { throw HubStoreError(.unknownKnowledgeBase(knowledgeBase)) }
                let senders = Array(Set(changes.map(\.replica)))
                var known: [String: Int64] = [:]
                for try await (replica, maxSeq) in try await connection.query(
                    "SELECT replica, max_seq FROM replicas WHERE kb = \(knowledgeBase) AND replica = ANY(\(senders))",
                    logger: logger
                ).decode((String, Int64).self) {
                    known[replica] = maxSeq
                }
                let plan = try AppendPlan(changes, known: known)
                // Changes already stored must be the same bytes.
                for (replica, seqs) in plan.storedCandidates {
                    var stored: [Int64: ByteBuffer] = [:]
                    for try await (seq, payload) in try await connection.query(
                        "SELECT seq, payload FROM log WHERE kb = \(knowledgeBase) AND replica = \(replica) AND seq = ANY(\(seqs))",
                        logger: logger
                    ).decode((Int64, ByteBuffer).self) {
                        stored[seq] = payload
                    }
                    for seq in seqs {
                        if let bytes = stored[seq], Array(bytes.readableBytesView) != plan.payload(replica, seq) {
                            throw HubStoreError(.sequenceReused(replica: replica, seq: seq))
                        }
                    }
                }
                try plan.throwFirstFailure()
                if !plan.accepted.isEmpty {
                    let positions = plan.accepted.indices.map { head + 1 + Int64($0) }
                    let replicas = plan.accepted.map(\.replica)
                    let seqs = plan.accepted.map(\.seq)
                    let payloads = plan.accepted.map { ByteBuffer(bytes: $0.payload) }
                    try await connection.query(
                        """
                        INSERT INTO log (kb, hub_seq, replica, seq, payload, received_at)
                        SELECT \(knowledgeBase), p, r, s, b, \(receivedAt)
                        FROM unnest(\(positions)::bigint[], \(replicas)::text[], \(seqs)::bigint[], \(payloads)::bytea[])
                            AS t(p, r, s, b)
                        """, logger: logger)
                    head += Int64(plan.accepted.count)
                    let maxima = plan.maxima.sorted { $0.key < $1.key }
                    let names = maxima.map(\.key)
                    let values = maxima.map(\.value)
                    try await connection.query(
                        """
                        INSERT INTO replicas (kb, replica, max_seq)
                        SELECT \(knowledgeBase), r, m FROM unnest(\(names)::text[], \(values)::bigint[]) AS t(r, m)
                        ON CONFLICT (kb, replica) DO UPDATE SET max_seq = GREATEST(replicas.max_seq, excluded.max_seq)
                        """, logger: logger)
                    try await connection.query(
                        "UPDATE knowledge_bases SET head = \(head) WHERE name = \(knowledgeBase)", logger: logger)
                }
                return AppendOutcome(accepted: plan.accepted.count, duplicates: plan.duplicates, head: head)
            }
        }
    }

    public func changes(in knowledgeBase: String, after: Int64, limit: Int, maxBytes: Int, excluding: String?)
        async throws -> LogPage
    {
        try await guarded { client, logger in
            guard let found = try await Self.knowledgeBase(client, logger, knowledgeBase) else {
                return LogPage(changes: [], next: after, nextID: nil, head: 0)
            }
            let head = found.head
            var changes: [LoggedChange] = []
            var next = after
            var nextID: String?
            var bytes = 0
            let limit = Int64(limit)
            // Only up to the committed head: every position up to it is written.
            let rows = try await client.query(
                """
                SELECT hub_seq, replica, seq, payload FROM log
                WHERE kb = \(knowledgeBase) AND hub_seq > \(after) AND hub_seq <= \(head)
                ORDER BY hub_seq LIMIT \(limit)
                """, logger: logger
            ).decode((Int64, String, Int64, ByteBuffer).self)
            for try await (hubSeq, replica, seq, payload) in rows {
                if bytes >= maxBytes { continue }  // read to the end: the connection goes back clean
                next = hubSeq
                nextID = "\(replica):\(seq)"
                if replica != excluding {
                    changes.append(
                        LoggedChange(
                            hubSeq: hubSeq, replica: replica, seq: seq, payload: Array(payload.readableBytesView)))
                    bytes += payload.readableBytes
                }
            }
            if next == after, after > 0 {
                nextID = try await Self.changeID(client, logger, knowledgeBase, at: after)
            }
            return LogPage(changes: changes, next: next, nextID: nextID, head: head)
        }
    }

    public func changeID(in knowledgeBase: String, at position: Int64) async throws -> String? {
        try await guarded { client, logger in try await Self.changeID(client, logger, knowledgeBase, at: position) }
    }

    static func changeID(_ client: PostgresClient, _ logger: Logger, _ knowledgeBase: String, at position: Int64)
        async throws -> String?
    {
        for try await (replica, seq) in try await client.query(
            "SELECT replica, seq FROM log WHERE kb = \(knowledgeBase) AND hub_seq = \(position)", logger: logger
        ).decode((String, Int64).self) {
            return "\(replica):\(seq)"
        }
        return nil
    }

    public func replicas(in knowledgeBase: String) async throws -> [String: Int64] {
        try await guarded { client, logger in
            var out: [String: Int64] = [:]
            for try await (replica, maxSeq) in try await client.query(
                "SELECT replica, max_seq FROM replicas WHERE kb = \(knowledgeBase)", logger: logger
            ).decode((String, Int64).self) {
                out[replica] = maxSeq
            }
            return out
        }
    }

    // MARK: - Copying

    public func logRecords(in knowledgeBase: String, after: Int64, limit: Int) async throws -> [HubLogRecord] {
        let limit = Int64(limit)
        return try await guarded { client, logger in
            var out: [HubLogRecord] = []
            for try await (hubSeq, replica, seq, payload, received) in try await client.query(
                """
                SELECT hub_seq, replica, seq, payload, received_at FROM log
                WHERE kb = \(knowledgeBase) AND hub_seq > \(after) ORDER BY hub_seq LIMIT \(limit)
                """, logger: logger
            ).decode((Int64, String, Int64, ByteBuffer, Int64).self) {
                out.append(
                    HubLogRecord(
                        hubSeq: hubSeq, replica: replica, seq: seq, payload: Array(payload.readableBytesView),
                        receivedAt: received))
            }
            return out
        }
    }

    /// Writes a knowledge base copied from another store, in one transaction.
    ///
    /// Its epoch, tokens and log positions stay as they were. The knowledge base must not exist here yet.
    public func importKnowledgeBase(
        _ record: HubKnowledgeBaseRecord, tokens: [HubTokenRecord], log: [HubLogRecord]
    ) async throws {
        try await guarded { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    """
                    INSERT INTO knowledge_bases (name, epoch, created_at, head)
                    VALUES (\(record.name), \(record.epoch), \(record.createdAt), \(record.head))
                    """, logger: logger)
                for token in tokens {
                    try await connection.query(
                        """
                        INSERT INTO tokens (hash, kb, created_at, name, last_used_at)
                        VALUES (\(token.hash), \(record.name), \(token.createdAt), \(token.name), \(token.lastUsedAt))
                        """, logger: logger)
                }
                var maxima: [String: Int64] = [:]
                for chunk in stride(from: 0, to: log.count, by: 5000) {
                    let part = log[chunk..<min(chunk + 5000, log.count)]
                    let positions = part.map(\.hubSeq)
                    let replicas = part.map(\.replica)
                    let seqs = part.map(\.seq)
                    let payloads = part.map { ByteBuffer(bytes: $0.payload) }
                    let received = part.map(\.receivedAt)
                    try await connection.query(
                        """
                        INSERT INTO log (kb, hub_seq, replica, seq, payload, received_at)
                        SELECT \(record.name), p, r, s, b, t
                        FROM unnest(\(positions)::bigint[], \(replicas)::text[], \(seqs)::bigint[],
                            \(payloads)::bytea[], \(received)::bigint[]) AS u(p, r, s, b, t)
                        """, logger: logger)
                    for row in part { maxima[row.replica] = max(maxima[row.replica] ?? 0, row.seq) }
                }
                for (replica, seq) in maxima {
                    try await connection.query(
                        "INSERT INTO replicas (kb, replica, max_seq) VALUES (\(record.name), \(replica), \(seq))",
                        logger: logger)
                }
            }
        }
    }

    // MARK: - Failures

    /// Runs an operation within ``operationTimeout``; a database that cannot be reached becomes
    /// ``HubStoreError`` `.unavailable`.
    private func guarded<T: Sendable>(
        _ operation: @escaping @Sendable (PostgresClient, Logger) async throws -> T
    ) async throws -> T {
        let client = self.client
        let logger = self.logger
        let timeout = operationTimeout
        let location = self.location
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    // A pooled connection that broke while the database was away fails once, then the pool
                    // connects anew: every operation may run again (appends are idempotent by replica and
                    // sequence number, and a transaction cut before COMMIT left nothing).
                    for attempt in 1...2 {
                        do {
                            return try await operation(client, logger)
                        } catch {
                            let cause = Self.cause(of: error)
                            if attempt == 1, let failure = cause as? PSQLError, failure.code != .server {
                                continue
                            }
                            throw cause
                        }
                    }
                    return nil
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else {
                    throw HubStoreError(.unavailable("the database at \(location) does not answer"))
                }
                return value
            }
        } catch let error as HubStoreError {
            throw error
        } catch let error as PSQLError {
            if error.code == .server, let state = error.serverInfo?[.sqlState], !state.hasPrefix("57"),
                !state.hasPrefix("08"), !state.hasPrefix("53")
            {
                // The database answered: a fault of the hub, not of the connection.
                throw HubStoreError(.databaseRefused(error.serverInfo?[.message] ?? "\(state)"))
            }
            throw HubStoreError(.unavailable("the database at \(location) does not answer"))
        } catch is CancellationError {
            throw HubStoreError(.unavailable("the database at \(location) does not answer"))
        } catch {
            throw HubStoreError(.unavailable("the database at \(location) does not answer"))
        }
    }

    /// The error of a transaction's own work, else of its BEGIN or COMMIT; any other error as it is.
    static func cause(of error: any Error) -> any Error {
        guard let failure = error as? PostgresTransactionError else { return error }
        return failure.closureError ?? failure.commitError ?? failure.beginError ?? failure
    }

    static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func newEpoch() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
    }
}

/// What an append will do, worked out from the highest sequence numbers already stored: the changes to
/// store, those to compare with the stored ones, and the first failure.
struct AppendPlan {
    private(set) var accepted: [IncomingChange] = []
    private(set) var duplicates = 0
    private(set) var maxima: [String: Int64] = [:]
    /// Sequence numbers, by replica, that the store holds already: their bytes must match.
    private(set) var storedCandidates: [String: [Int64]] = [:]
    private var payloads: [String: [Int64: [UInt8]]] = [:]
    private var failure: HubStoreError?

    init(_ changes: [IncomingChange], known: [String: Int64]) throws {
        var inBatch: [String: [Int64: [UInt8]]] = [:]
        for change in changes {
            let stored = known[change.replica] ?? 0
            let current = maxima[change.replica] ?? stored
            if change.seq <= stored {
                if payloads[change.replica]?[change.seq] == nil {
                    storedCandidates[change.replica, default: []].append(change.seq)
                    payloads[change.replica, default: [:]][change.seq] = change.payload
                } else if payloads[change.replica]?[change.seq] != change.payload {
                    throw HubStoreError(.sequenceReused(replica: change.replica, seq: change.seq))
                }
                duplicates += 1
                continue
            }
            if change.seq <= current {
                if inBatch[change.replica]?[change.seq] != change.payload {
                    throw HubStoreError(.sequenceReused(replica: change.replica, seq: change.seq))
                }
                duplicates += 1
                continue
            }
            guard change.seq == current + 1 else {
                // Reported after the stored ones are compared, as a sequential check would meet them.
                failure = HubStoreError(.sequenceGap(replica: change.replica, expected: current + 1, got: change.seq))
                break
            }
            inBatch[change.replica, default: [:]][change.seq] = change.payload
            maxima[change.replica] = change.seq
            accepted.append(change)
        }
    }

    func payload(_ replica: String, _ seq: Int64) -> [UInt8]? { payloads[replica]?[seq] }

    func throwFirstFailure() throws {
        if let failure { throw failure }
    }
}
