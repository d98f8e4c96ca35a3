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
    }

    public let code: Code

    public init(_ code: Code) { self.code = code }
}

/// Where the hub keeps knowledge bases, tokens and logs.
///
/// Nothing here is specific to one database: a SQLite implementation (``SQLiteHubStore``) exists,
/// and a PostgreSQL one can follow behind the same protocol.
public protocol HubStore: Sendable {
    /// Creates the knowledge base if it does not exist; returns it.
    func ensureKnowledgeBase(_ name: String) async throws -> HubKnowledgeBase

    /// The knowledge base, or nil.
    func knowledgeBase(_ name: String) async throws -> HubKnowledgeBase?

    /// Stores a token's hash for a knowledge base.
    func addToken(hash: String, knowledgeBase: String, createdAt: Int64) async throws

    /// The knowledge base a token hash belongs to, or nil.
    func knowledgeBase(forTokenHash hash: String) async throws -> String?

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
