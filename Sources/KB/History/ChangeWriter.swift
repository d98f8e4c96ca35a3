import Foundation
public import GRDB

/// Records the local changes of one write transaction, stamped with this replica's clock.
///
/// Every mutation of the knowledge base goes through a writer in the same transaction as the
/// mutation itself, so a record is never changed without its change being recorded.
///
/// ```swift
/// try database.writer.write { db in
///     var changes = try ChangeWriter(db, clock: .system)
///     try changes.set(.article, id: articleID, field: "title", json: "\"新标题\"")
///     try changes.finish()
/// }
/// ```
public struct ChangeWriter {
    private let db: Database
    /// This replica's id.
    public let replica: String
    private var nextSeq: Int64
    private var last: HybridTimestamp
    private let now: Int64
    /// Wall-clock milliseconds read once for the transaction.
    public var timestamp: Int64 { now }

    public init(_ db: Database, clock: Clock) throws {
        self.db = db
        replica = try Meta.replicaID(db)
        nextSeq =
            (try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM changes WHERE replica = ?", arguments: [replica]) ?? 0)
            + 1
        last = try Meta.lastTimestamp(db)
        now = clock.now()
    }

    /// Records the creation of a record.
    ///
    /// `storedValue` is `json` as the history keeps it (``ChangeStore/storedValue(_:)``), when it was made
    /// beforehand; nil makes it here.
    @discardableResult
    public mutating func create(_ entity: EntityKind, id: String, json: String?, storedValue: DatabaseValue? = nil)
        throws -> Change
    {
        try record(entity, id: id, field: .create, op: .create, json: json, base: [], storedValue: storedValue)
    }

    /// Records a new value of one field, made on the field's current heads.
    ///
    /// A delete (or restore) is made on the heads of every field of the record, and on those of the records
    /// that belong to it (an article's annotations and tags, an annotation's tags), so that what this replica
    /// held of them counts as known to it.
    @discardableResult
    public mutating func set(_ entity: EntityKind, id: String, field: ChangeField, json: String) throws -> Change {
        var base: [ChangeID]
        if field == .deleted {
            base = try ChangeStore.allHeads(db, entityID: id).map(\.id)
            base += try RelatedRecords.headIDs(db, of: entity, id: id)
        } else {
            base = try ChangeStore.heads(db, entityID: id, field: field).map(\.id)
        }
        return try record(entity, id: id, field: field, op: .set, json: json, base: base)
    }

    /// Records a change with an explicit base (used by conflict resolution).
    @discardableResult
    public mutating func record(
        _ entity: EntityKind, id: String, field: ChangeField, op: ChangeOperation, json: String?, base: [ChangeID],
        storedValue: DatabaseValue? = nil
    ) throws -> Change {
        last = HybridTimestamp.next(after: last, now: now)
        let change = Change(
            id: ChangeID(replica: replica, seq: nextSeq), hlc: last, entity: entity, entityID: id, field: field,
            op: op, value: json, base: base)
        nextSeq += 1
        try ChangeStore.append(db, change, storedValue: storedValue)
        return change
    }

    /// Saves the clock; call once before the transaction commits.
    public func finish() throws {
        try Meta.setLastTimestamp(db, last)
    }
}

/// Small persistent state of the replica: its id and its clock.
public enum Meta {
    /// This replica's id, created on first use: 16 random hex digits.
    public static func replicaID(_ db: Database) throws -> String {
        if let id = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'replica_id'") { return id }
        var generator = SystemRandomNumberGenerator()
        let id = String(format: "%016llx", generator.next() as UInt64)
        try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('replica_id', ?)", arguments: [id])
        // The id belongs to this file: a copy of it is told apart later (``KnowledgeBase/claimFile()``).
        let file = try String.fetchOne(db, sql: "SELECT file FROM pragma_database_list WHERE name = 'main'")
        if let file, let identity = KnowledgeBase.fileIdentity(file) {
            try setValue(db, KnowledgeBase.replicaFileKey, identity)
        }
        return id
    }

    /// This replica's id if it has one yet, without creating it.
    public static func existingReplicaID(_ db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'replica_id'")
    }

    /// The highest clock value this replica has issued or seen.
    public static func lastTimestamp(_ db: Database) throws -> HybridTimestamp {
        let text = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'hlc'")
        return HybridTimestamp(rawValue: text.flatMap { Int64($0) } ?? 0)
    }

    /// Stores the clock value.
    public static func setLastTimestamp(_ db: Database, _ value: HybridTimestamp) throws {
        try db.execute(
            sql:
                "INSERT INTO meta (key, value) VALUES ('hlc', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            arguments: [String(value.rawValue)])
    }

    /// Reads a value.
    public static func value(_ db: Database, _ key: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
    }

    /// Writes a value.
    public static func setValue(_ db: Database, _ key: String, _ value: String) throws {
        try db.execute(
            sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            arguments: [key, value])
    }
}
