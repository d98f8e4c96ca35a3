import Foundation
import GRDB

/// The hub's storage in one SQLite file (`hub.sqlite` in the data folder), WAL mode, with
/// `synchronous = FULL`: a push is on disk before it is acknowledged.
public final class SQLiteHubStore: HubStore {
    private let pool: DatabasePool

    /// Opens (or creates) the store in a data folder.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let path = (directory as NSString).appendingPathComponent("hub.sqlite")
        if !FileManager.default.fileExists(atPath: path) {
            // Readable by the hub's user only, from the start (SQLite gives the WAL files the same mode).
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE knowledge_bases (
                        name TEXT PRIMARY KEY NOT NULL,
                        epoch TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    -- Tokens are kept only as SHA-256 hashes.
                    CREATE TABLE tokens (
                        hash TEXT PRIMARY KEY NOT NULL,
                        kb TEXT NOT NULL REFERENCES knowledge_bases(name),
                        created_at INTEGER NOT NULL
                    );
                    -- The append-only log of each knowledge base.
                    CREATE TABLE log (
                        kb TEXT NOT NULL,
                        hub_seq INTEGER NOT NULL,
                        replica TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        payload BLOB NOT NULL,
                        received_at INTEGER NOT NULL,
                        PRIMARY KEY (kb, hub_seq),
                        UNIQUE (kb, replica, seq)
                    ) WITHOUT ROWID;
                    CREATE TABLE replicas (
                        kb TEXT NOT NULL,
                        replica TEXT NOT NULL,
                        max_seq INTEGER NOT NULL,
                        PRIMARY KEY (kb, replica)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2: token names and last use") { db in
            try db.execute(
                sql: """
                    ALTER TABLE tokens ADD COLUMN name TEXT;
                    ALTER TABLE tokens ADD COLUMN last_used_at INTEGER;
                    """)
        }
        return migrator
    }

    public func ensureKnowledgeBase(_ name: String) async throws -> HubKnowledgeBase {
        try await pool.write { db in
            if let existing = try Self.knowledgeBase(db, name) { return existing }
            var generator = SystemRandomNumberGenerator()
            let epoch = (0..<2).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
            try db.execute(
                sql: "INSERT INTO knowledge_bases (name, epoch, created_at) VALUES (?, ?, ?)",
                arguments: [name, epoch, Int64(Date().timeIntervalSince1970 * 1000)])
            return HubKnowledgeBase(name: name, epoch: epoch, head: 0)
        }
    }

    public func knowledgeBase(_ name: String) async throws -> HubKnowledgeBase? {
        try await pool.read { db in try Self.knowledgeBase(db, name) }
    }

    static func knowledgeBase(_ db: Database, _ name: String) throws -> HubKnowledgeBase? {
        guard let row = try Row.fetchOne(db, sql: "SELECT epoch FROM knowledge_bases WHERE name = ?", arguments: [name])
        else { return nil }
        return HubKnowledgeBase(name: name, epoch: row["epoch"], head: try head(db, name))
    }

    static func head(_ db: Database, _ name: String) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT MAX(hub_seq) FROM log WHERE kb = ?", arguments: [name]) ?? 0
    }

    public func knowledgeBases() async throws -> [HubKnowledgeBaseRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, epoch, created_at FROM knowledge_bases ORDER BY name").map {
                HubKnowledgeBaseRecord(
                    name: $0["name"], epoch: $0["epoch"], createdAt: $0["created_at"],
                    head: try Self.head(db, $0["name"]))
            }
        }
    }

    public func addToken(hash: String, knowledgeBase: String, createdAt: Int64, name: String?) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO tokens (hash, kb, created_at, name) VALUES (?, ?, ?, ?)",
                arguments: [hash, knowledgeBase, createdAt, name])
        }
    }

    public func knowledgeBase(forTokenHash hash: String) async throws -> String? {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let found: (String, Int64?)? = try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT hash, kb, last_used_at FROM tokens WHERE hash = ?", arguments: [hash])
            else { return nil }
            // The lookup found it; compare the whole hash once more in constant time.
            return TokenHash.constantTimeEquals(row["hash"], hash) ? (row["kb"], row["last_used_at"]) : nil
        }
        guard let (kb, lastUsed) = found else { return nil }
        // Written at most once a minute per token, so that requests stay reads.
        if (lastUsed ?? 0) < now - HubTokenRecord.lastUsedResolution {
            try await pool.write { db in
                try db.execute(
                    sql:
                        "UPDATE tokens SET last_used_at = ? WHERE hash = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                    arguments: [now, hash, now - HubTokenRecord.lastUsedResolution])
            }
        }
        return kb
    }

    public func tokens() async throws -> [HubTokenRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT hash, kb, created_at, name, last_used_at FROM tokens ORDER BY created_at, hash"
            ).map {
                HubTokenRecord(
                    hash: $0["hash"], knowledgeBase: $0["kb"], name: $0["name"], createdAt: $0["created_at"],
                    lastUsedAt: $0["last_used_at"])
            }
        }
    }

    public func revokeToken(id: String) async throws -> Int {
        guard HubTokenRecord.isTokenID(id) else { return 0 }
        return try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM tokens WHERE substr(hash, 1, ?) = ?", arguments: [HubTokenRecord.idLength, id])
            return db.changesCount
        }
    }

    public func checkReady() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func logRecords(in knowledgeBase: String, after: Int64, limit: Int) async throws -> [HubLogRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT hub_seq, replica, seq, payload, received_at FROM log WHERE kb = ? AND hub_seq > ?
                    ORDER BY hub_seq LIMIT ?
                    """, arguments: [knowledgeBase, after, limit]
            ).map {
                HubLogRecord(
                    hubSeq: $0["hub_seq"], replica: $0["replica"], seq: $0["seq"],
                    payload: [UInt8]($0["payload"] as Data),
                    receivedAt: $0["received_at"])
            }
        }
    }

    public func append(_ changes: [IncomingChange], to knowledgeBase: String, receivedAt: Int64) async throws
        -> AppendOutcome
    {
        try await pool.write { db in
            guard try Self.knowledgeBase(db, knowledgeBase) != nil else {
                throw HubStoreError(.unknownKnowledgeBase(knowledgeBase))
            }
            var head = try Self.head(db, knowledgeBase)
            var maxima: [String: Int64] = [:]
            var accepted = 0
            var duplicates = 0
            for change in changes {
                let known: Int64
                if let cached = maxima[change.replica] {
                    known = cached
                } else {
                    known =
                        try Int64.fetchOne(
                            db.cachedStatement(sql: "SELECT max_seq FROM replicas WHERE kb = ? AND replica = ?"),
                            arguments: [knowledgeBase, change.replica]) ?? 0
                }
                if change.seq <= known {
                    // A repeated request carries the same change; anything else under a number the hub
                    // holds would be silently lost, so it is refused.
                    let stored = try Data.fetchOne(
                        db, sql: "SELECT payload FROM log WHERE kb = ? AND replica = ? AND seq = ?",
                        arguments: [knowledgeBase, change.replica, change.seq])
                    if let stored, [UInt8](stored) != change.payload {
                        throw HubStoreError(.sequenceReused(replica: change.replica, seq: change.seq))
                    }
                    duplicates += 1
                    maxima[change.replica] = known
                    continue
                }
                guard change.seq == known + 1 else {
                    throw HubStoreError(.sequenceGap(replica: change.replica, expected: known + 1, got: change.seq))
                }
                head += 1
                try db.cachedStatement(
                    sql: "INSERT INTO log (kb, hub_seq, replica, seq, payload, received_at) VALUES (?, ?, ?, ?, ?, ?)"
                ).execute(arguments: [
                    knowledgeBase, head, change.replica, change.seq, Data(change.payload), receivedAt,
                ])
                maxima[change.replica] = change.seq
                accepted += 1
            }
            for (replica, seq) in maxima {
                try db.execute(
                    sql: """
                        INSERT INTO replicas (kb, replica, max_seq) VALUES (?, ?, ?)
                        ON CONFLICT (kb, replica) DO UPDATE SET max_seq = MAX(max_seq, excluded.max_seq)
                        """, arguments: [knowledgeBase, replica, seq])
            }
            return AppendOutcome(accepted: accepted, duplicates: duplicates, head: head)
        }
    }

    public func changes(in knowledgeBase: String, after: Int64, limit: Int, maxBytes: Int, excluding: String?)
        async throws -> LogPage
    {
        try await pool.read { db in
            let head = try Self.head(db, knowledgeBase)
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT hub_seq, replica, seq, payload FROM log WHERE kb = ? AND hub_seq > ?
                    ORDER BY hub_seq LIMIT ?
                    """, arguments: [knowledgeBase, after, limit])
            var changes: [LoggedChange] = []
            var next = after
            var nextID: String?
            var bytes = 0
            while let row = try rows.next() {
                let replica: String = row["replica"]
                let seq: Int64 = row["seq"]
                next = row["hub_seq"]
                nextID = "\(replica):\(seq)"
                if replica != excluding {
                    let payload: Data = row["payload"]
                    changes.append(LoggedChange(hubSeq: next, replica: replica, seq: seq, payload: [UInt8](payload)))
                    bytes += payload.count
                }
                if bytes >= maxBytes { break }
            }
            if next == after, after > 0 {
                nextID = try Self.changeID(db, knowledgeBase, at: after)
            }
            return LogPage(changes: changes, next: next, nextID: nextID, head: head)
        }
    }

    public func changeID(in knowledgeBase: String, at position: Int64) async throws -> String? {
        try await pool.read { db in try Self.changeID(db, knowledgeBase, at: position) }
    }

    static func changeID(_ db: Database, _ knowledgeBase: String, at position: Int64) throws -> String? {
        try Row.fetchOne(
            db, sql: "SELECT replica, seq FROM log WHERE kb = ? AND hub_seq = ?", arguments: [knowledgeBase, position]
        ).map { "\($0["replica"] as String):\($0["seq"] as Int64)" }
    }

    public func replicas(in knowledgeBase: String) async throws -> [String: Int64] {
        try await pool.read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(
                    db, sql: "SELECT replica, max_seq FROM replicas WHERE kb = ?", arguments: [knowledgeBase]
                ).map { ($0["replica"] as String, $0["max_seq"] as Int64) })
        }
    }
}
