/// A change as the hub stores it: who made it, and its JSON exactly as it will be served.
public struct IncomingChange: Sendable, Equatable {
    public var replica: String
    public var seq: Int64
    public var hlc: Int64
    /// The change as JSON.
    public var payload: [UInt8]

    public init(replica: String, seq: Int64, hlc: Int64, payload: [UInt8]) {
        self.replica = replica
        self.seq = seq
        self.hlc = hlc
        self.payload = payload
    }
}

/// A change in the hub's log.
public struct LoggedChange: Sendable, Equatable {
    public var hubSeq: Int64
    public var replica: String
    public var seq: Int64
    public var payload: [UInt8]
}

/// What an append did.
public struct AppendOutcome: Sendable, Equatable {
    public var accepted: Int
    public var duplicates: Int
    public var head: Int64
}

/// A page of the log.
public struct LogPage: Sendable, Equatable {
    public var changes: [LoggedChange]
    /// The last log position this page covers.
    public var next: Int64
    /// `replica:seq` of the change at `next`.
    public var nextID: String?
    public var head: Int64
}

/// A knowledge base on the hub.
public struct HubKnowledgeBase: Sendable, Equatable {
    public var name: String
    /// Changes when the log is started anew, so that clients know to reconcile.
    public var epoch: String
    public var head: Int64
}

/// Errors of hub storage that the routes turn into HTTP answers.
public struct HubStoreError: Error, Sendable, Equatable {
    public enum Code: Sendable, Equatable {
        /// A replica's changes must arrive in order without holes.
        case sequenceGap(replica: String, expected: Int64, got: Int64)
        /// A different change under a replica and sequence number the hub already holds.
        case sequenceReused(replica: String, seq: Int64)
        case unknownKnowledgeBase(String)
        /// The database cannot be reached or did not answer in time; the hub answers 503.
        case unavailable(String)
        /// The database answered with an error of its own.
        case databaseRefused(String)
    }

    public let code: Code

    public init(_ code: Code) { self.code = code }
}

/// A knowledge base as stored, for listing and copying.
public struct HubKnowledgeBaseRecord: Sendable, Equatable {
    public var name: String
    public var epoch: String
    /// Milliseconds since 1970.
    public var createdAt: Int64
    public var head: Int64

    public init(name: String, epoch: String, createdAt: Int64, head: Int64) {
        self.name = name
        self.epoch = epoch
        self.createdAt = createdAt
        self.head = head
    }
}

/// A token as stored: its hash, never the token.
public struct HubTokenRecord: Sendable, Equatable {
    public var hash: String
    public var knowledgeBase: String
    public var name: String?
    /// Milliseconds since 1970.
    public var createdAt: Int64
    /// When it last opened a request, to within ``lastUsedResolution``; nil if never.
    public var lastUsedAt: Int64?

    public init(hash: String, knowledgeBase: String, name: String?, createdAt: Int64, lastUsedAt: Int64?) {
        self.hash = hash
        self.knowledgeBase = knowledgeBase
        self.name = name
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }

    /// The token's id for `kb serve token list` and `revoke`: the first hex digits of its hash, which
    /// say nothing about the token itself and stay the same when the hub moves to another store.
    public var id: String { String(hash.prefix(Self.idLength)) }

    public static let idLength = 12

    public static func isTokenID(_ text: String) -> Bool {
        text.utf8.count == idLength && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// The last-used time is written at most once a minute per token.
    public static let lastUsedResolution: Int64 = 60_000
}

/// A log entry as stored, for copying a hub.
public struct HubLogRecord: Sendable, Equatable {
    public var hubSeq: Int64
    public var replica: String
    public var seq: Int64
    public var payload: [UInt8]
    public var receivedAt: Int64

    public init(hubSeq: Int64, replica: String, seq: Int64, payload: [UInt8], receivedAt: Int64) {
        self.hubSeq = hubSeq
        self.replica = replica
        self.seq = seq
        self.payload = payload
        self.receivedAt = receivedAt
    }
}

/// Where the hub keeps knowledge bases, tokens and logs.
///
/// Nothing here is specific to one database: ``SQLiteHubStore`` keeps a hub in one file, and
/// ``PostgresHubStore`` in a PostgreSQL database that several hub processes share.
public protocol HubStore: Sendable {
    /// Creates the knowledge base if it does not exist; returns it.
    func ensureKnowledgeBase(_ name: String) async throws -> HubKnowledgeBase

    /// The knowledge base, or nil.
    func knowledgeBase(_ name: String) async throws -> HubKnowledgeBase?

    /// Every knowledge base, by name.
    func knowledgeBases() async throws -> [HubKnowledgeBaseRecord]

    /// Stores a token's hash for a knowledge base, with an optional name for operators.
    func addToken(hash: String, knowledgeBase: String, createdAt: Int64, name: String?) async throws

    /// The knowledge base a token hash belongs to, or nil; notes that the token was used. Looked up on
    /// every request, so that a revoked token is refused at once by every hub process.
    func knowledgeBase(forTokenHash hash: String) async throws -> String?

    /// Every token, oldest first.
    func tokens() async throws -> [HubTokenRecord]

    /// Deletes the tokens whose id (``HubTokenRecord/id``) is `id`; returns how many.
    func revokeToken(id: String) async throws -> Int

    /// Throws when the store cannot serve requests (for `/health/ready`).
    func checkReady() async throws

    /// Log entries after a position, in order, with what only a copy needs.
    func logRecords(in knowledgeBase: String, after: Int64, limit: Int) async throws -> [HubLogRecord]

    /// Appends changes to a knowledge base's log, atomically. A change already stored (same replica,
    /// sequence number and content) is counted as a duplicate and not stored again; a different change
    /// under a stored number, or one that leaves a hole in its replica's sequence, fails the whole append.
    func append(_ changes: [IncomingChange], to knowledgeBase: String, receivedAt: Int64) async throws
        -> AppendOutcome

    /// Changes after a log position, at most `limit` positions and about `maxBytes` of payload,
    /// leaving out those of `excluding` (the position still moves past them).
    func changes(in knowledgeBase: String, after: Int64, limit: Int, maxBytes: Int, excluding: String?)
        async throws -> LogPage

    /// `replica:seq` of the change at a log position, or nil.
    func changeID(in knowledgeBase: String, at position: Int64) async throws -> String?

    /// The highest sequence number stored for each replica.
    func replicas(in knowledgeBase: String) async throws -> [String: Int64]
}

extension HubStore {
    /// Stores a token's hash without a name.
    public func addToken(hash: String, knowledgeBase: String, createdAt: Int64) async throws {
        try await addToken(hash: hash, knowledgeBase: knowledgeBase, createdAt: createdAt, name: nil)
    }
}
