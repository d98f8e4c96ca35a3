import Foundation
public import GRDB

/// The records that belong to another for the delete rule: an article's annotations and the tags on it and on
/// them; an annotation's tags.
///
/// An annotation, a note, a highlight or a tag made on a replica that did not know its article (or its
/// annotation) was deleted is an edit of that record: the delete wins for now, and a conflict keeps the edit
/// so that it can be restored. A delete is made on the heads of these records as well as its own, so that
/// what the deleting replica held counts as known.
public enum RelatedRecords {
    /// The heads of every field of the records that belong to a record, oldest first.
    ///
    /// - Parameters:
    ///   - db: The database.
    ///   - entity: The kind of the record: an article or an annotation (others have none).
    ///   - id: The record's id.
    /// - Returns: The heads, each with the record it belongs to.
    /// - Throws: A database error.
    public static func heads(_ db: Database, of entity: EntityKind, id: String) throws -> [(
        entityID: String, head: FieldHead
    )] {
        let related: String
        switch entity {
        case .article:
            related = """
                SELECT id FROM annotations WHERE article_id = ?1
                UNION SELECT id FROM tags WHERE entity = 'article' AND entity_id = ?1
                UNION SELECT t.id FROM tags t JOIN annotations n ON t.entity = 'annotation' AND t.entity_id = n.id
                    WHERE n.article_id = ?1
                """
        case .annotation:
            related = "SELECT id FROM tags WHERE entity = 'annotation' AND entity_id = ?1"
        default:
            return []
        }
        return try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    WITH related(id) AS (\(related))
                    SELECT c.rowid, c.replica, c.seq, c.hlc, h.field, h.entity_id
                    FROM heads h JOIN changes c ON c.rowid = h.change
                    WHERE h.entity_id IN (SELECT id FROM related) ORDER BY c.rowid
                    """), arguments: [id]
        ).map { row in
            (
                row[5],
                FieldHead(
                    rowid: row[0], id: ChangeID(replica: row[1], seq: row[2]), hlc: HybridTimestamp(rawValue: row[3]),
                    field: ChangeField(rawValue: row[4]) ?? .create)
            )
        }
    }

    /// The ids of the heads of the records that belong to a record: what a delete of it is made on.
    static func headIDs(_ db: Database, of entity: EntityKind, id: String) throws -> [ChangeID] {
        try heads(db, of: entity, id: id).map(\.head.id)
    }

    /// The deleted records that pulled annotations and tags belong to, by kind.
    static func deletedOwners(_ db: Database, entity: EntityKind, id: String) throws -> [(EntityKind, String)] {
        switch entity {
        case .annotation:
            return try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT a.id FROM annotations n JOIN articles a ON a.id = n.article_id
                        WHERE n.id = ? AND a.deleted = 1
                        """), arguments: [id]
            ).map { (.article, $0) }
        case .tag:
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT entity, entity_id FROM tags WHERE id = ?"), arguments: [id])
            else { return [] }
            let owner: String = row["entity_id"]
            if row["entity"] as String == EntityKind.article.rawValue {
                let deleted = try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT deleted FROM articles WHERE id = ?"), arguments: [owner])
                return deleted == true ? [(.article, owner)] : []
            }
            var owners: [(EntityKind, String)] = []
            if try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT deleted FROM annotations WHERE id = ?"), arguments: [owner]) == true
            {
                owners.append((.annotation, owner))
            }
            return owners + (try deletedOwners(db, entity: .annotation, id: owner))
        default:
            return []
        }
    }

    /// Recomputes the deleted records an annotation or a tag belongs to, after a change of it.
    ///
    /// - Parameters:
    ///   - db: The database, in the transaction of the change.
    ///   - entity: ``EntityKind/annotation`` or ``EntityKind/tag``.
    ///   - id: The record's id.
    ///   - now: The time written as an update.
    /// - Throws: A database error.
    static func recomputeOwners(_ db: Database, of entity: EntityKind, id: String, now: Int64) throws {
        for (kind, owner) in try deletedOwners(db, entity: entity, id: id) {
            if kind == .article {
                try Materializer.article(db, id: owner, now: now)
            } else {
                try Materializer.annotation(db, id: owner, now: now)
            }
        }
    }

    /// Recomputes the deleted articles that annotations written straight from their creation belong to (the
    /// pull's fast path, which skips ``Materializer/annotation(_:id:now:)``), so that an annotation the delete
    /// did not know of is kept in a conflict on every replica, whichever arrived first.
    ///
    /// - Parameters:
    ///   - db: The database, in the transaction that applied the changes.
    ///   - annotations: The annotations created.
    ///   - now: The time written as an update.
    /// - Throws: A database error.
    public static func recomputeDeletedArticles(_ db: Database, annotations: [String], now: Int64) throws {
        guard !annotations.isEmpty,
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM articles WHERE deleted = 1)") == true
        else { return }
        var articles: Set<String> = []
        for id in annotations {
            for (_, owner) in try deletedOwners(db, entity: .annotation, id: id) { articles.insert(owner) }
        }
        for id in articles.sorted() { try Materializer.article(db, id: id, now: now) }
    }

    /// True when a related change keeps something a user made.
    ///
    /// An annotation made, noted, colored or restored, or a tag added. Deletes of annotations and removals
    /// of tags lose nothing when their article is gone.
    static func isEdit(_ change: Change) -> Bool {
        switch (change.entity, change.op) {
        case (.annotation, .create): return true
        case (.annotation, .set): return change.field != .deleted || change.value == "false"
        case (.tag, .create):
            guard let value = change.value, let tag = try? JSONText.decode(TagCreation.self, from: value) else {
                return false
            }
            return tag.present
        case (.tag, .set): return change.value == "true"
        default: return false
        }
    }

    /// What a related change made, in words, as the conflict shows it.
    static func describe(_ db: Database, _ change: Change) throws -> String {
        switch change.entity {
        case .annotation:
            let quote = try quote(db, annotationID: change.entityID)
            let text = change.value.flatMap { try? JSONText.decodeString($0) }
            switch change.field {
            case .create:
                let creation = try change.value.map { try JSONText.decode(AnnotationCreation.self, from: $0) }
                let note = creation?.note ?? ""
                return "annotation \(change.entityID.prefix(8)) on \(quote)" + (note.isEmpty ? "" : ": \(note)")
            case .note: return "note of annotation \(change.entityID.prefix(8)) on \(quote): \(text ?? "")"
            case .color: return "color of annotation \(change.entityID.prefix(8)) on \(quote): \(text ?? "")"
            default: return "annotation \(change.entityID.prefix(8)) on \(quote) restored"
            }
        case .tag:
            guard
                let creation = try String.fetchOne(
                    db.cachedStatement(sql: "SELECT tag FROM tags WHERE id = ?"), arguments: [change.entityID])
            else { return "tag" }
            return "tag '\(creation)'"
        default:
            return change.field.rawValue
        }
    }

    private static func quote(_ db: Database, annotationID: String) throws -> String {
        let quote =
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT quote FROM annotations WHERE id = ?"), arguments: [annotationID]) ?? ""
        return quote.isEmpty ? "the whole article" : "「\(quote)」"
    }
}
