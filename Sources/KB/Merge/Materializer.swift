import Foundation
public import GRDB

/// Computes records from the heads of their fields and writes them, recording conflicts.
///
/// The result depends only on the set of changes held, never on the order they arrived in, so
/// every replica that holds the same changes holds the same records and the same conflicts:
/// - scalar fields: last writer wins by (hlc, replica); a different losing value is a conflict;
/// - long text (article bodies, notes): three-way merge against the common ancestor; overlapping
///   edits keep the winner's text and record a conflict with the other;
/// - `deleted`: a delete wins over a concurrent undelete, and an edit made without knowledge of a
///   delete is kept in a conflict from which it can be restored;
/// - tag membership: last writer wins, no conflict.
public enum Materializer {
    /// One head with its value for the field asked.
    struct HeadValue {
        var head: FieldHead
        /// JSON text, nil when the head is a creation that does not set this field.
        var json: String?
        var isCreation: Bool
    }

    /// A head orders before another when it is older by (hlc, replica).
    static func isOlder(_ a: FieldHead, _ b: FieldHead) -> Bool {
        (a.hlc, a.id.replica, a.id.seq) < (b.hlc, b.id.replica, b.id.seq)
    }

    // MARK: - Articles

    /// Recomputes an article.
    ///
    /// Returns true when its body changed.
    @discardableResult
    public static func article(_ db: Database, id: String, now: Int64) throws -> Bool {
        let creations = try creationHeads(db, id: id, as: ArticleCreation.self)
        guard let creation = creations.last?.value else { return false }
        let decoded = Dictionary(creations.map { ($0.head.rowid, $0.value) }, uniquingKeysWith: { first, _ in first })
        let existing = try Article.fetch(db, id: id)
        var article = creation.article(id: id, updatedAt: existing?.updatedAt ?? now)
        if let existing { article.createdAt = min(existing.createdAt, creation.createdAt) }

        // Where it stands (moved by `kb import --update`): last writer wins, no conflict.
        for field in Article.placeFields {
            let heads = try ChangeStore.heads(db, entityID: id, field: field).sorted(by: isOlder)
            guard let head = heads.last, let change = try ChangeStore.change(db, rowid: head.rowid),
                change.field == field, let value = change.value
            else { continue }
            switch field {
            case .sourceID: article.sourceID = try JSONText.decodeString(value)
            case .continuation: article.continuation = try JSONText.decodeString(value)
            default: if let position = Int(value) { article.position = position }
            }
        }
        var conflicts: Set<String> = []
        for field in Article.textFields {
            let values = try headValues(db, id: id, field: field, entity: .article) { rowid, json in
                try (decoded[rowid] ?? JSONText.decode(ArticleCreation.self, from: json)).text(field)
                    .map(JSONText.string)
            }
            let isLongText = field == .body
            if let value = try resolve(
                db, entity: .article, id: id, field: field, values, isLongText: isLongText, now: now,
                conflicts: &conflicts)
            {
                article.setText(field, value)
            }
        }
        // Authors set by hand live beside the article (``SourceMetadataStore``); their conflicts are the article's.
        try SourceMetadataStore.resolveAuthors(db, articleID: id, now: now, conflicts: &conflicts)
        article.isDeleted = try resolveDeleted(db, entity: .article, id: id, now: now, conflicts: &conflicts)
        try settleConflicts(db, entityID: id, derived: conflicts, now: now)
        guard article != existing else { return false }
        if let existing,
            Article.textFields.contains(where: { existing.text($0) != article.text($0) })
                || existing.isDeleted != article.isDeleted
        {
            article.updatedAt = now
        }
        try article.save(db)
        let bodyChanged = existing?.body != article.body
        if bodyChanged || existing == nil {
            try KnowledgeBase.reanchorAnnotations(db, articleID: id, body: article.body)
        }
        return bodyChanged
    }

    /// Writes an article whose only change held is its creation: what ``article(_:id:now:)`` computes
    /// then, without reading the heads back.
    ///
    /// Falls back to it when the record has other changes.
    public static func createdArticle(_ db: Database, id: String, creation: ArticleCreation, now: Int64) throws {
        var index = PendingIndex()
        try createdArticle(
            db, id: id, creation: creation, now: now,
            isOnlyCreation: isOnlyCreation(db, id: id, table: "articles"), mayHaveAnnotations: true, index: &index)
        try index.writeArticles(db)
    }

    /// Writes an article created by a pulled change, with what the caller read for its whole page at once.
    ///
    /// - Parameters:
    ///   - isOnlyCreation: True when its creation is the one change held of it and it has no row yet (what
    ///     ``isOnlyCreation(_:id:table:)`` tells); false falls back to ``article(_:id:now:)``.
    ///   - mayHaveAnnotations: False when no annotation is on it yet, so there is none to anchor again.
    ///   - index: Where a row written straight waits for its full-text entries; the caller writes them
    ///     (``PendingIndex/writeArticles(_:)``) before the row can change.
    /// - Returns: True when the article was written straight from its creation.
    @discardableResult
    public static func createdArticle(
        _ db: Database, id: String, creation: ArticleCreation, now: Int64, isOnlyCreation: Bool,
        mayHaveAnnotations: Bool, index: inout PendingIndex
    ) throws -> Bool {
        guard isOnlyCreation else {
            try article(db, id: id, now: now)
            return false
        }
        let article = creation.article(id: id, updatedAt: now)
        try index.insert(db, article)
        // Annotations that arrived before their article wait for it.
        if mayHaveAnnotations { try KnowledgeBase.reanchorAnnotations(db, articleID: id, body: article.body) }
        return true
    }

    /// True when the one change held of a record is its creation and the record is not written yet.
    public static func isOnlyCreation(_ db: Database, id: String, table: String) throws -> Bool {
        let changes = try Int.fetchOne(
            db.cachedStatement(sql: "SELECT COUNT(*) FROM (SELECT 1 FROM changes WHERE entity_id = ? LIMIT 2)"),
            arguments: [id])
        guard changes == 1 else { return false }
        let written = try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE id = ?)"), arguments: [id])
        return written == false
    }

    // MARK: - Annotations

    /// Article bodies as code points, read once for all the annotations of a page of changes.
    public struct BodyCache {
        var bodies: [String: CodePoints?] = [:]

        public init() {}

        /// Bodies of articles just written, turned into code points when an annotation needs them.
        var written: [String: String] = [:]

        /// Holds the body of an article just written, so that it is not read back.
        public mutating func remember(articleID: String, body: String) {
            bodies[articleID] = nil
            written[articleID] = body
        }

        mutating func body(_ db: Database, articleID: String) throws -> CodePoints? {
            if let cached = bodies[articleID] { return cached }
            if let body = written.removeValue(forKey: articleID) {
                let text = CodePoints(body)
                bodies[articleID] = text
                return text
            }
            let body = try String.fetchOne(
                db.cachedStatement(sql: "SELECT body FROM articles WHERE id = ?"), arguments: [articleID])
            let text = body.map(CodePoints.init)
            bodies[articleID] = text
            return text
        }
    }

    /// Writes an annotation whose only change held is its creation: what ``annotation(_:id:now:)``
    /// computes then, without reading the heads back.
    ///
    /// Falls back to it when the record has other changes.
    ///
    /// - Parameters:
    ///   - db: The database, in the transaction that applies the change.
    ///   - id: The annotation's id.
    ///   - creation: The value of its creation change.
    ///   - now: The time written as its last update.
    ///   - bodies: Bodies of articles already read; the caller keeps it only while no article changes.
    /// - Throws: A database error.
    public static func createdAnnotation(
        _ db: Database, id: String, creation: AnnotationCreation, now: Int64, bodies: inout BodyCache
    ) throws {
        var index = PendingIndex()
        try createdAnnotation(
            db, id: id, creation: creation, now: now, bodies: &bodies,
            isOnlyCreation: isOnlyCreation(db, id: id, table: "annotations"), index: &index)
        try index.writeAnnotations(db)
    }

    /// Writes an annotation created by a pulled change, with what the caller read for its whole page at once.
    ///
    /// `isOnlyCreation` is as ``isOnlyCreation(_:id:table:)`` tells it. A row written straight waits in `index`
    /// for its full-text entry (``PendingIndex/writeAnnotations(_:)``).
    public static func createdAnnotation(
        _ db: Database, id: String, creation: AnnotationCreation, now: Int64, bodies: inout BodyCache,
        isOnlyCreation: Bool, index: inout PendingIndex
    ) throws {
        guard isOnlyCreation else {
            try annotation(db, id: id, now: now)
            return
        }
        var annotation = creation.annotation(id: id, updatedAt: now)
        if !annotation.quote.isEmpty, let text = try bodies.body(db, articleID: annotation.articleID) {
            let result = Anchoring.anchor(annotation.selector, in: text)
            annotation.state = result.state
            annotation.start = result.range?.lowerBound
            annotation.end = result.range?.upperBound
        }
        // No row with its id: ``isOnlyCreation`` saw to it.
        try index.insert(db, annotation)
    }

    /// Recomputes an annotation, anchoring it in its article when the article is here.
    public static func annotation(_ db: Database, id: String, now: Int64) throws {
        let creations = try creationHeads(db, id: id, as: AnnotationCreation.self)
        guard let creation = creations.last?.value else { return }
        let decoded = Dictionary(creations.map { ($0.head.rowid, $0.value) }, uniquingKeysWith: { first, _ in first })
        let existing = try Annotation.fetch(db, id: id)
        var annotation = creation.annotation(id: id, updatedAt: existing?.updatedAt ?? now)
        // The article it is on, when `kb merge` or `kb split` moved it: last writer wins, no conflict.
        if let head = try ChangeStore.heads(db, entityID: id, field: .articleID).sorted(by: isOlder).last,
            let change = try ChangeStore.change(db, rowid: head.rowid), change.field == .articleID,
            let value = change.value
        {
            annotation.articleID = try JSONText.decodeString(value)
        }
        var conflicts: Set<String> = []
        for (field, isLongText) in [(ChangeField.note, true), (.color, false)] {
            let values = try headValues(db, id: id, field: field, entity: .annotation) { rowid, json in
                let created = try decoded[rowid] ?? JSONText.decode(AnnotationCreation.self, from: json)
                return JSONText.string(field == .note ? created.note : created.color)
            }
            if let value = try resolve(
                db, entity: .annotation, id: id, field: field, values, isLongText: isLongText, now: now,
                conflicts: &conflicts)
            {
                if field == .note { annotation.note = value } else { annotation.color = value }
            }
        }
        annotation.isDeleted = try resolveDeleted(db, entity: .annotation, id: id, now: now, conflicts: &conflicts)
        try settleConflicts(db, entityID: id, derived: conflicts, now: now)
        if let article = try Article.fetch(db, id: annotation.articleID), !annotation.quote.isEmpty {
            let result = Anchoring.anchor(annotation.selector, in: CodePoints(article.body))
            annotation.state = result.state
            annotation.start = result.range?.lowerBound
            annotation.end = result.range?.upperBound
        } else if let existing {
            annotation.state = existing.state
            annotation.start = existing.start
            annotation.end = existing.end
        }
        if annotation != existing {
            if existing != nil { annotation.updatedAt = now }
            try annotation.save(db)
        }
        // Moved off a deleted article (`kb merge`, or a pull that brought the move after the delete): that
        // article's conflicts are derived again without it, so they do not depend on the order changes came in.
        if let existing, existing.articleID != annotation.articleID,
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT deleted FROM articles WHERE id = ?"), arguments: [existing.articleID])
                == true
        {
            try article(db, id: existing.articleID, now: now)
        }
        // A change made on a deleted article's annotation, here or elsewhere, may be one its delete did not
        // know of: the article's conflicts are derived again.
        try RelatedRecords.recomputeOwners(db, of: .annotation, id: id, now: now)
    }

    // MARK: - Tags

    /// Recomputes a tag membership: last writer wins.
    public static func tag(_ db: Database, id: String, now: Int64) throws {
        let creations = try creationHeads(db, id: id, as: TagCreation.self)
        guard let creation = creations.last?.value else { return }
        let values = try headValues(db, id: id, field: .present, entity: .tag) { _, _ in
            creation.present ? "true" : "false"
        }
        let winner = values.max { isOlder($0.head, $1.head) }
        let present = try winner?.json.map(JSONText.decodeBool) ?? creation.present
        try db.execute(
            sql: """
                INSERT INTO tags (id, entity, entity_id, tag, norm, present, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET present = excluded.present, tag = excluded.tag,
                    updated_at = CASE WHEN tags.present = excluded.present THEN tags.updated_at ELSE excluded.updated_at END
                """,
            arguments: [
                id, creation.entity, creation.entityID, creation.tag, KnowledgeBase.normalizeTag(creation.tag), present,
                now,
            ])
        try RelatedRecords.recomputeOwners(db, of: .tag, id: id, now: now)
    }

    // MARK: - Sources

    /// Stores a pulled source file.
    public static func source(_ db: Database, id: String, value: String) throws {
        let source = try JSONText.decode(Source.self, from: value)
        try source.insert(db)
    }

    // MARK: - Fields

    /// The creation changes of a record (more than one when it was created on several replicas,
    /// as when the same page is imported twice), oldest first, with their decoded values.
    static func creationHeads<T: Decodable>(_ db: Database, id: String, as type: T.Type) throws -> [(
        head: FieldHead, value: T
    )] {
        let heads = try ChangeStore.heads(db, entityID: id, field: .create).sorted(by: isOlder)
        return try heads.compactMap { head in
            guard let change = try ChangeStore.change(db, rowid: head.rowid), let value = change.value else {
                return nil
            }
            return (head, try JSONText.decode(type, from: value))
        }
    }

    /// The heads of a field with their values.
    ///
    /// - Parameters:
    ///   - db: The database.
    ///   - id: The record's id.
    ///   - field: The field's name.
    ///   - entity: The kind of the record.
    ///   - fromCreation: The field's value in a creation, given the creation's row id (so that callers
    ///     reuse what ``creationHeads(_:id:as:)`` decoded) and its JSON.
    /// - Returns: A value for each head, with `json` nil when the head holds none; a creation head whose
    ///   change is missing is left out.
    /// - Throws: A database error, or what `fromCreation` throws.
    static func headValues(
        _ db: Database, id: String, field: ChangeField, entity: EntityKind,
        fromCreation: (Int64, String) throws -> String?
    ) throws -> [HeadValue] {
        try ChangeStore.heads(db, entityID: id, field: field).compactMap { head in
            if head.field == .create {
                guard let change = try ChangeStore.change(db, rowid: head.rowid), let value = change.value else {
                    return nil
                }
                return HeadValue(head: head, json: try fromCreation(head.rowid, value), isCreation: true)
            }
            let value = try DatabaseValue.fetchOne(
                db.cachedStatement(sql: "SELECT value FROM changes WHERE rowid = ?"), arguments: [head.rowid]
            ).flatMap(ChangeStore.value)
            return HeadValue(head: head, json: value, isCreation: false)
        }
    }

    /// The value of a text field from its heads; records a conflict for each value that could not be kept.
    static func resolve(
        _ db: Database, entity: EntityKind, id: String, field: ChangeField, _ values: [HeadValue], isLongText: Bool,
        now: Int64, conflicts: inout Set<String>
    ) throws -> String? {
        let ordered = try values.compactMap { value -> (HeadValue, String)? in
            guard let json = value.json else { return nil }
            return (value, try JSONText.decodeString(json))
        }.sorted { isOlder($1.0.head, $0.0.head) }  // newest first
        guard let (winner, winnerText) = ordered.first else { return nil }
        var result = winnerText
        for (other, otherText) in ordered.dropFirst() where otherText != winnerText {
            // Two creations of the same record (the same page imported twice) are not edits.
            if winner.isCreation && other.isCreation { continue }
            let baseValue = try commonAncestorValue(db, winner.head, other.head, field: field, entity: entity)
            var isConflict = true
            if isLongText {
                let merged = TextMerge.merge(
                    base: try baseValue.map(JSONText.decodeString), winner: result, other: otherText)
                result = merged.text
                isConflict = merged.hasConflict
            }
            if isConflict {
                conflicts.insert(
                    try recordConflict(
                        db, entity: entity, id: id, field: field.rawValue, kind: .edit, winner: winner.head.id,
                        loser: other.head.id, winnerValue: winner.json, loserValue: other.json, baseValue: baseValue,
                        now: now))
            }
        }
        return result
    }

    /// Whether the record is deleted: any head of `deleted` saying so wins.
    ///
    /// An edit that the delete did not know about is kept in a conflict so that it can be restored. An
    /// annotation, note, highlight or tag made on an article (or a tag on an annotation) without knowledge of
    /// the delete is such an edit too (see ``RelatedRecords``).
    static func resolveDeleted(
        _ db: Database, entity: EntityKind, id: String, now: Int64, conflicts: inout Set<String>
    ) throws -> Bool {
        var deletes: [Change] = []
        for head in try ChangeStore.heads(db, entityID: id, field: .deleted) {
            guard let change = try ChangeStore.change(db, rowid: head.rowid), change.field == .deleted,
                let value = change.value, try JSONText.decodeBool(value)
            else { continue }
            deletes.append(change)
        }
        guard !deletes.isEmpty else { return false }
        let related = try RelatedRecords.heads(db, of: entity, id: id)
        for delete in deletes {
            let known = Set(delete.base)
            for head in try ChangeStore.allHeads(db, entityID: id) where head.field != .deleted {
                guard head.field != .create, !known.contains(head.id) else { continue }
                guard let edit = try ChangeStore.change(db, rowid: head.rowid), edit.op == .set else { continue }
                conflicts.insert(
                    try recordConflict(
                        db, entity: entity, id: id, field: head.field.rawValue, kind: .delete, winner: delete.id,
                        loser: edit.id, winnerValue: "true", loserValue: edit.value, baseValue: nil, now: now))
            }
            for (_, head) in related where !known.contains(head.id) {
                guard let edit = try ChangeStore.change(db, rowid: head.rowid), RelatedRecords.isEdit(edit) else {
                    continue
                }
                conflicts.insert(
                    try recordConflict(
                        db, entity: entity, id: id, field: edit.entity.rawValue, kind: .delete, winner: delete.id,
                        loser: edit.id, winnerValue: "true",
                        loserValue: JSONText.string(try RelatedRecords.describe(db, edit)), baseValue: nil, now: now))
            }
        }
        return true
    }

    /// The value of the newest change that both heads were made on, if any.
    static func commonAncestorValue(
        _ db: Database, _ a: FieldHead, _ b: FieldHead, field: ChangeField, entity: EntityKind
    ) throws -> String? {
        let ancestorsOfA = try ChangeStore.ancestors(db, of: a.id)
        var best: Change?
        try ChangeStore.walkAncestry(db, from: [b.id]) { id, change in
            guard let change else { return .skip }
            guard ancestorsOfA.contains(id) else { return .expand }
            let isNewer = best.map { ($0.hlc, $0.id.replica) < (change.hlc, change.id.replica) } ?? true
            if isNewer { best = change }
            return .skip
        }
        guard let best, let value = best.value else { return nil }
        if best.field == .create {
            // The field's value in the creation.
            let object = try JSONSerialization.jsonObject(with: Data(value.utf8)) as? [String: Any]
            return (object?[field.rawValue] as? String).map(JSONText.string)
        }
        return value
    }

    // MARK: - Conflicts

    /// The id of the conflict between two changes of a field: the same on every replica.
    public static func conflictID(winner: ChangeID, loser: ChangeID, field: String) -> String {
        Identifier.contentID([winner.description, loser.description, field])
    }

    /// Records a conflict the heads show (once: its id is derived from the two changes).
    @discardableResult
    static func recordConflict(
        _ db: Database, entity: EntityKind, id: String, field: String, kind: ConflictKind, winner: ChangeID,
        loser: ChangeID, winnerValue: String?, loserValue: String?, baseValue: String?, now: Int64
    ) throws -> String {
        let conflictID = conflictID(winner: winner, loser: loser, field: field)
        // A resolution may already be here (it travels as a change of its own).
        let resolution = try Row.fetchOne(
            db,
            sql: "SELECT hlc, value FROM changes WHERE entity = 'conflict' AND entity_id = ? ORDER BY hlc DESC LIMIT 1",
            arguments: [conflictID])
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO conflicts (id, entity, entity_id, field, kind, winner, loser, winner_value,
                    loser_value, base_value, created_at, resolved_at, resolution)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                conflictID, entity.rawValue, id, field, kind.rawValue, winner.description, loser.description,
                winnerValue,
                loserValue, baseValue, now, resolution.map { HybridTimestamp(rawValue: $0["hlc"]).milliseconds },
                try resolution.flatMap { try ChangeStore.value($0["value"]) },
            ])
        return conflictID
    }

    /// Closes the open conflicts of a record that its heads no longer show: a later change was made
    /// on both sides, so the conflict is settled the same way on every replica.
    static func settleConflicts(_ db: Database, entityID: String, derived: Set<String>, now: Int64) throws {
        let open = try String.fetchAll(
            db.cachedStatement(sql: "SELECT id FROM conflicts WHERE entity_id = ? AND resolved_at IS NULL"),
            arguments: [entityID])
        for conflictID in open where !derived.contains(conflictID) {
            try db.execute(
                sql: "UPDATE conflicts SET resolved_at = ?, resolution = ? WHERE id = ?",
                arguments: [now, JSONText.string(ConflictOutcome.superseded.rawValue), conflictID])
        }
    }

    /// Applies a resolution that arrived as a change.
    public static func resolution(_ db: Database, conflictID: String, change: Change) throws {
        try db.execute(
            sql: "UPDATE conflicts SET resolved_at = COALESCE(resolved_at, ?), resolution = ? WHERE id = ?",
            arguments: [change.hlc.milliseconds, change.value, conflictID])
    }
}
