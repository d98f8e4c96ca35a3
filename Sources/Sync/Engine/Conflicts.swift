import Foundation
import GRDB
public import KB

/// An open conflict as this replica sees it.
public struct ConflictInfo: Sendable, Equatable {
    public var id: String
    public var entity: String
    public var entityID: String
    public var field: String
    /// Two edits of one field, or an edit made without knowing of a delete.
    public var kind: ConflictKind
    /// This replica's side: its own change when it made one of the two, else the value kept.
    public var mine: String?
    /// The other side.
    public var theirs: String?
    /// The common ancestor's value, when there is one.
    public var base: String?
    /// True when `mine` is the value in effect now.
    public var mineIsCurrent: Bool
    public var createdAt: Int64
}

/// Which side a resolution keeps.
public enum ConflictChoice: String, Sendable, CaseIterable {
    case mine, theirs, both
}

/// Listing and resolving conflicts.
///
/// A resolution is a change like any other: it syncs and clears
/// the conflict on every replica.
public enum Conflicts {
    /// Open conflicts, oldest first.
    public static func list(_ kb: KnowledgeBase) throws -> [ConflictInfo] {
        try kb.database.writer.read { db in
            let me = try Meta.existingReplicaID(db) ?? ""
            return try Row.fetchAll(
                db, sql: "SELECT * FROM conflicts WHERE resolved_at IS NULL ORDER BY created_at, id"
            )
            .map { try info($0, me: me) }
        }
    }

    static func info(_ row: Row, me: String) throws -> ConflictInfo {
        let kindName: String = row["kind"]
        guard let kind = ConflictKind(rawValue: kindName) else {
            throw KBError(.invalidState, "A conflict of an unknown kind '\(kindName)' is stored.")
        }
        let winner = ChangeID(row["winner"] as String)
        let loser = ChangeID(row["loser"] as String)
        let winnerValue = display(row["winner_value"], kind: kind, isDeleteSide: true)
        let loserValue = display(row["loser_value"], kind: kind, isDeleteSide: false)
        let mineIsLoser = loser?.replica == me && winner?.replica != me
        return ConflictInfo(
            id: row["id"], entity: row["entity"], entityID: row["entity_id"], field: row["field"], kind: kind,
            mine: mineIsLoser ? loserValue : winnerValue, theirs: mineIsLoser ? winnerValue : loserValue,
            base: (row["base_value"] as String?).flatMap { try? JSONText.decodeString($0) },
            mineIsCurrent: !mineIsLoser, createdAt: row["created_at"])
    }

    /// A stored JSON value as text for the user.
    static func display(_ json: String?, kind: ConflictKind, isDeleteSide: Bool) -> String? {
        if kind == .delete && isDeleteSide { return "(deleted)" }
        guard let json else { return nil }
        return (try? JSONText.decodeString(json)) ?? json
    }

    /// Resolves a conflict by keeping one side or both.
    ///
    /// - Parameters:
    ///   - kb: The knowledge base holding the conflict.
    ///   - idOrPrefix: The conflict id or a unique prefix of 4+ characters.
    ///   - choice: ``ConflictChoice/mine``, ``ConflictChoice/theirs`` or ``ConflictChoice/both``.
    /// - Returns: The conflict as it was.
    /// - Throws: `KBError` when no conflict or several match `idOrPrefix`, or the conflict is already resolved;
    ///   or a database error.
    @discardableResult
    public static func resolve(_ kb: KnowledgeBase, _ idOrPrefix: String, keep choice: ConflictChoice) throws
        -> ConflictInfo
    {
        try kb.database.writer.write { db in
            let id = try resolveID(db, idOrPrefix)
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM conflicts WHERE id = ?", arguments: [id]) else {
                throw KBError(.notFound, "No conflict matches '\(idOrPrefix)'; see 'kb conflicts'.")
            }
            guard row["resolved_at"] as Int64? == nil else {
                throw KBError(.invalidState, "The conflict '\(id)' is already resolved.")
            }
            var changes = try ChangeWriter(db, clock: kb.clock)
            let me = changes.replica
            let conflict = try info(row, me: me)
            let entityName: String = row["entity"]
            guard let entity = EntityKind(rawValue: entityName) else {
                throw KBError(.invalidState, "The conflict '\(id)' is about an unknown kind of record.")
            }
            let winnerValue: String? = row["winner_value"]
            let loserValue: String? = row["loser_value"]
            // The side kept, in terms of the conflict: winner, loser or both.
            let keepsLoser: Bool
            switch choice {
            case .mine: keepsLoser = !conflict.mineIsCurrent
            case .theirs: keepsLoser = conflict.mineIsCurrent
            case .both: keepsLoser = true
            }
            let outcome: ConflictOutcome = choice == .both ? .both : keepsLoser ? .loser : .winner
            let now = changes.timestamp

            if conflict.kind == .delete {
                if keepsLoser {
                    // Restore the record: the edit it holds is already in its fields, and an article's
                    // annotations and tags come back with it.
                    try changes.set(entity, id: conflict.entityID, field: .deleted, json: "false")
                }
                // One resolution settles every open conflict of this delete.
                let sameDelete = try String.fetchAll(
                    db,
                    sql: "SELECT id FROM conflicts WHERE winner = ? AND kind = ? AND resolved_at IS NULL",
                    arguments: [row["winner"] as String? ?? "", ConflictKind.delete.rawValue])
                for conflictID in sameDelete {
                    try record(db, &changes, conflictID: conflictID, outcome: outcome, now: now)
                }
            } else {
                guard let field = ChangeField(rawValue: conflict.field) else {
                    throw KBError(.invalidState, "The conflict '\(id)' is about an unknown field '\(conflict.field)'.")
                }
                let winnerText = winnerValue.flatMap { try? JSONText.decodeString($0) } ?? ""
                let loserText = loserValue.flatMap { try? JSONText.decodeString($0) } ?? ""
                let current =
                    try currentText(db, entity: entity, id: conflict.entityID, field: field) ?? winnerText
                let chosen: String
                switch outcome {
                case .loser: chosen = loserText
                case .both:
                    let separator = field == .body || field == .note ? "\n\n" : " / "
                    chosen = current == loserText ? current : current + separator + loserText
                default: chosen = current
                }
                // Even when the value in effect is kept, one change made on both heads gives the field one head again.
                try changes.set(entity, id: conflict.entityID, field: field, json: JSONText.string(chosen))
                try record(db, &changes, conflictID: id, outcome: outcome, now: now)
            }
            try changes.finish()
            switch entity {
            case .article: try Materializer.article(db, id: conflict.entityID, now: now)
            case .annotation: try Materializer.annotation(db, id: conflict.entityID, now: now)
            case .source: try SourceMetadataStore.refresh(db, sourceID: conflict.entityID, now: now)
            default: break
            }
            return conflict
        }
    }

    private static func record(
        _ db: Database, _ changes: inout ChangeWriter, conflictID: String, outcome: ConflictOutcome, now: Int64
    ) throws {
        let change = try changes.record(
            .conflict, id: conflictID, field: .resolution, op: .resolve, json: JSONText.string(outcome.rawValue),
            base: [])
        try Materializer.resolution(db, conflictID: conflictID, change: change)
    }

    private static func currentText(_ db: Database, entity: EntityKind, id: String, field: ChangeField) throws
        -> String?
    {
        switch entity {
        case .article: return try Article.fetch(db, id: id)?.text(field)
        case .annotation:
            let annotation = try Annotation.fetch(db, id: id)
            return field == .note ? annotation?.note : annotation?.color
        default: return nil
        }
    }

    private static func resolveID(_ db: Database, _ prefix: String) throws -> String {
        let prefix = prefix.lowercased()
        if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM conflicts WHERE id = ?)", arguments: [prefix])
            == true
        {
            return prefix
        }
        guard prefix.count >= 4, prefix.allSatisfy(\.isHexDigit) else {
            throw KBError(.notFound, "No conflict matches '\(prefix)'; see 'kb conflicts' for ids.")
        }
        let matches = try String.fetchAll(
            db, sql: "SELECT id FROM conflicts WHERE id GLOB ? LIMIT 3", arguments: [prefix + "*"])
        switch matches.count {
        case 0: throw KBError(.notFound, "No conflict matches '\(prefix)'; see 'kb conflicts' for ids.")
        case 1: return matches[0]
        default: throw KBError(.ambiguous, "The prefix '\(prefix)' matches several conflicts; give more characters.")
        }
    }
}
