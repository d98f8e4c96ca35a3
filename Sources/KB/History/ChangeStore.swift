import Foundation
public import GRDB

/// The kinds of records that changes are about.
public enum EntityKind: String, Sendable, CaseIterable, Codable {
    case source, article, annotation, tag, conflict
}

/// A change as stored in the history: one field of one record, or the creation of a record.
public struct Change: Sendable, Equatable {
    public var id: ChangeID
    public var hlc: HybridTimestamp
    public var entity: EntityKind
    public var entityID: String
    /// The field set, ``ChangeField/create`` for a creation.
    public var field: ChangeField
    /// What the change does.
    public var op: ChangeOperation
    /// The new value as JSON text; for a creation, an object with every field.
    public var value: String?
    /// The changes of this field (for a delete: of the whole record) that this one was made on.
    public var base: [ChangeID]

    public init(
        id: ChangeID, hlc: HybridTimestamp, entity: EntityKind, entityID: String, field: ChangeField,
        op: ChangeOperation,
        value: String?, base: [ChangeID]
    ) {
        self.id = id
        self.hlc = hlc
        self.entity = entity
        self.entityID = entityID
        self.field = field
        self.op = op
        self.value = value
        self.base = base
    }

    /// The field that marks a record deleted; a change of it is made on every field's heads.
    public static let deletedField = ChangeField.deleted
    /// The field of a creation.
    public static let createField = ChangeField.create
}

/// A head of a field: a change that no later known change of that field was made on.
public struct FieldHead: Sendable, Equatable {
    public var rowid: Int64
    public var id: ChangeID
    public var hlc: HybridTimestamp
    public var field: ChangeField
}

/// Reading and writing the change history and the heads of every field.
///
/// The heads of a field are its latest changes; a field never changed since its record was
/// created has the creation as its head.
public enum ChangeStore {
    // MARK: - Reading

    /// The heads of one field (falling back to the record's creation).
    public static func heads(_ db: Database, entityID: String, field: ChangeField) throws -> [FieldHead] {
        let own = try fetchHeads(db, entityID: entityID, field: field)
        if !own.isEmpty || field == Change.createField { return own }
        return try fetchHeads(db, entityID: entityID, field: Change.createField)
    }

    /// The heads of every field of a record, creation included.
    public static func allHeads(_ db: Database, entityID: String) throws -> [FieldHead] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT c.rowid, c.replica, c.seq, c.hlc, h.field FROM heads h JOIN changes c ON c.rowid = h.change
                    WHERE h.entity_id = ? ORDER BY c.rowid
                    """), arguments: [entityID]
        ).map(Self.head(from:))
    }

    private static func fetchHeads(_ db: Database, entityID: String, field: ChangeField) throws -> [FieldHead] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT c.rowid, c.replica, c.seq, c.hlc, h.field FROM heads h JOIN changes c ON c.rowid = h.change
                    WHERE h.entity_id = ? AND h.field = ? ORDER BY c.rowid
                    """), arguments: [entityID, field.rawValue]
        ).map(Self.head(from:))
    }

    private static func head(from row: Row) -> FieldHead {
        FieldHead(
            rowid: row[0], id: ChangeID(replica: row[1], seq: row[2]), hlc: HybridTimestamp(rawValue: row[3]),
            field: ChangeField(rawValue: row[4]) ?? .create)
    }

    /// The stored change with this id, with its local row id.
    public static func change(_ db: Database, id: ChangeID) throws -> (rowid: Int64, change: Change)? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM changes WHERE replica = ? AND seq = ?"),
                arguments: [id.replica, id.seq])
        else { return nil }
        return (row["rowid"], try change(from: row))
    }

    /// The stored change at a local row id.
    public static func change(_ db: Database, rowid: Int64) throws -> Change? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM changes WHERE rowid = ?"), arguments: [rowid])
        else {
            return nil
        }
        return try change(from: row)
    }

    /// True when a change with this id is in the history.
    public static func contains(_ db: Database, id: ChangeID) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM changes WHERE replica = ? AND seq = ?)"),
            arguments: [id.replica, id.seq]) ?? false
    }

    /// Decodes a `changes` row.
    public static func change(from row: Row) throws -> Change {
        let entityName: String = row["entity"]
        guard let entity = EntityKind(rawValue: entityName) else {
            throw KBError(.invalidState, "The history holds a change of an unknown kind '\(entityName)'.")
        }
        let fieldName: String = row["field"]
        let opName: String = row["op"]
        guard let field = ChangeField(rawValue: fieldName), let op = ChangeOperation(rawValue: opName) else {
            throw KBError(.invalidState, "The history holds a change of an unknown field or operation '\(fieldName)'.")
        }
        let baseText: String = row["base"]
        return Change(
            id: ChangeID(replica: row["replica"], seq: row["seq"]), hlc: HybridTimestamp(rawValue: row["hlc"]),
            entity: entity, entityID: row["entity_id"], field: field, op: op, value: try value(row["value"]),
            base: decodeBase(baseText))
    }

    /// A change's value as the history keeps it: a long one (an article's creation, a body) compressed
    /// (``CompressedText``), as history is rarely read again.
    public static func storedValue(_ value: String) -> DatabaseValue {
        CompressedText.databaseValue(value)
    }

    /// The value of a `changes.value` column, nil for none.
    public static func value(_ stored: DatabaseValue) throws -> String? {
        stored.isNull ? nil : try CompressedText.text(stored)
    }

    public static func decodeBase(_ text: String) -> [ChangeID] {
        guard text != "[]" else { return [] }
        // The list is written by encodeBase: a JSON array of "replica:seq" strings.
        return text.dropFirst().dropLast().split(separator: ",").compactMap { item in
            ChangeID(String(item.trimmingCharacters(in: [" ", "\""])))
        }
    }

    public static func encodeBase(_ base: [ChangeID]) -> String {
        "[" + base.map { "\"\($0.description)\"" }.joined(separator: ",") + "]"
    }

    // MARK: - Writing

    /// Stores a change and moves the heads of its field past the changes it was made on.
    ///
    /// The caller has checked that the change is not stored yet. `storedValue` is the value as
    /// ``storedValue(_:)`` makes it, when it was made beforehand; nil makes it here.
    /// - Returns: The local row id of the change.
    @discardableResult
    public static func append(_ db: Database, _ change: Change, storedValue: DatabaseValue? = nil) throws -> Int64 {
        try db.cachedStatement(
            sql: """
                INSERT INTO changes (replica, seq, hlc, entity, entity_id, field, op, value, base)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: rowArguments(change, storedValue: storedValue))
        let rowid = db.lastInsertedRowID
        try moveHeads(db, change, rowid: rowid)
        return rowid
    }

    /// Stores a change unless one with its id is held already, and moves the heads as ``append(_:_:)`` does.
    ///
    /// One statement tells a held change from a new one: a pulled page is mostly new changes. `storedValue` is
    /// the value as ``storedValue(_:)`` makes it, when it was made beforehand (while the page was checked); nil
    /// makes it here.
    /// - Returns: The local row id of the change, or nil when a change with its id was held already (then
    ///   nothing is written).
    public static func appendIfAbsent(_ db: Database, _ change: Change, storedValue: DatabaseValue? = nil) throws
        -> Int64?
    {
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO changes (replica, seq, hlc, entity, entity_id, field, op, value, base)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: rowArguments(change, storedValue: storedValue))
        guard db.changesCount > 0 else { return nil }
        let rowid = db.lastInsertedRowID
        try moveHeads(db, change, rowid: rowid)
        return rowid
    }

    private static func rowArguments(_ change: Change, storedValue: DatabaseValue? = nil) -> StatementArguments {
        [
            change.id.replica, change.id.seq, change.hlc.rawValue, change.entity.rawValue, change.entityID,
            change.field.rawValue, change.op.rawValue, storedValue ?? change.value.map(Self.storedValue),
            encodeBase(change.base),
        ]
    }

    /// Moves the heads of a stored change's field past the changes it was made on, and makes it a head unless
    /// a change made on it is here already.
    private static func moveHeads(_ db: Database, _ change: Change, rowid: Int64) throws {
        if !change.base.isEmpty {
            for baseID in change.base {
                try db.cachedStatement(
                    sql: """
                        DELETE FROM heads WHERE entity_id = ? AND field = ?
                        AND change = (SELECT rowid FROM changes WHERE replica = ? AND seq = ?)
                        """
                ).execute(arguments: [change.entityID, change.field.rawValue, baseID.replica, baseID.seq])
            }
        }
        // A change that arrives after a change made on it (out of causal order) is not a head.
        // (Creations are the heads of `*` whatever came after them.)
        if change.field != Change.createField {
            let newer = try fetchHeads(db, entityID: change.entityID, field: change.field).filter {
                $0.hlc > change.hlc
            }
            for head in newer where try isAncestor(db, change.id, of: head.id) { return }
        }
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO heads (entity_id, field, change) VALUES (?, ?, ?)")
            .execute(arguments: [change.entityID, change.field.rawValue, rowid])
    }

    /// True when `candidate` is among the changes `descendant` was made on, transitively.
    public static func isAncestor(_ db: Database, _ candidate: ChangeID, of descendant: ChangeID) throws -> Bool {
        var found = false
        try walkAncestry(db, from: [descendant]) { id, _ in
            guard id != descendant else { return .expand }
            if id == candidate {
                found = true
                return .stop
            }
            return .expand
        }
        return found
    }

    /// A change and every change it was made on, transitively.
    public static func ancestors(_ db: Database, of id: ChangeID) throws -> Set<ChangeID> {
        var result: Set<ChangeID> = []
        try walkAncestry(db, from: [id]) { current, _ in
            result.insert(current)
            return .expand
        }
        return result
    }

    /// What a walk of the ancestry does after visiting a change.
    public enum AncestryStep {
        /// Goes on to the changes this one was made on.
        case expand
        /// Goes on, but not past this change.
        case skip
        /// Ends the walk.
        case stop
    }

    /// The most changes one walk of the ancestry visits before it gives up with an error.
    public static let ancestryLimit = 2_000_000

    /// Visits the given changes and every change they were made on, transitively, each once.
    ///
    /// The one walk of the history that merges, heads and checks use.
    ///
    /// - Parameters:
    ///   - db: The database.
    ///   - start: The changes to start from (visited first).
    ///   - visit: Called with each change's id and the change when it is held (nil when it is not).
    /// - Throws: `KBError` when the walk goes past ``ancestryLimit`` changes, which only a damaged or
    ///   hostile history can cause; or a database error.
    public static func walkAncestry(
        _ db: Database, from start: [ChangeID], _ visit: (ChangeID, Change?) throws -> AncestryStep
    ) throws {
        var queue = start
        var seen = Set(start)
        while let current = queue.popLast() {
            let change = try change(db, id: current)?.change
            switch try visit(current, change) {
            case .stop: return
            case .skip: continue
            case .expand: break
            }
            for parent in change?.base ?? [] where seen.insert(parent).inserted { queue.append(parent) }
            guard seen.count <= ancestryLimit else {
                throw KBError(
                    .invalidState,
                    "The history of record '\(change?.entityID ?? "")' is deeper than \(ancestryLimit) changes; run 'kb check'."
                )
            }
        }
    }
}
