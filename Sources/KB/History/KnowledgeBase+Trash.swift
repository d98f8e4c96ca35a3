import Foundation
public import GRDB

/// One record in the trash: a deleted article, or an annotation deleted on its own.
public struct TrashItem: Sendable, Equatable {
    /// ``EntityKind/article`` or ``EntityKind/annotation``.
    public var entity: EntityKind
    public var id: String
    /// The article's title; for an annotation, its quote (its note when it has none).
    public var title: String
    /// For an annotation: the article it is on.
    public var articleID: String?
    /// When it was deleted (milliseconds since 1970), from the history.
    public var deletedAt: Int64?
    /// The replica that deleted it, from the history.
    public var deletedBy: String?
    /// For an article: the annotations that come back with it when it is restored.
    public var annotations: Int
}

/// What `kb rm` did: the article moved to the trash and how many annotations went with it.
public struct TrashReceipt: Sendable, Equatable {
    public var id: String
    public var title: String
    public var annotations: Int
}

/// What `kb restore` brought back.
public struct RestoreReceipt: Sendable, Equatable {
    public var entity: EntityKind
    public var id: String
    /// The article's title, or the annotation's quote (its note when it has none).
    public var title: String
    /// For an article: its annotations now live again with it.
    public var annotations: Int
}

/// What `kb trash empty` purged.
public struct PurgeReport: Sendable, Equatable {
    public var articles = 0
    public var annotations = 0
}

/// The trash: records deleted and not yet purged.
///
/// Deleting is a change like any other (`deleted` set to true), so a delete and a restore sync to every
/// replica. Deleting an article leaves its annotations as they are: they are hidden with it and come back
/// with it, while annotations deleted earlier on their own stay deleted. Emptying the trash removes the
/// rows of this replica only and writes no change; the history stays, so that a pulled change cannot
/// bring a purged record back deleted, while a restore made on another replica brings it back here.
extension KnowledgeBase {
    // MARK: - Moving to the trash

    /// Moves an article to the trash, with its annotations.
    ///
    /// ```swift
    /// let receipt = try kb.trashArticle("dd76")
    /// print("\(receipt.annotations) notes went with it")
    /// ```
    ///
    /// - Parameter idOrPrefix: A live article's id or a unique prefix of 4+ characters.
    /// - Returns: The article and the number of annotations that went with it.
    /// - Throws: ``KBError`` `.notFound`, `.ambiguous` or `.invalidArgument` for the id; a database error.
    public func trashArticle(_ idOrPrefix: String) throws -> TrashReceipt {
        let id: String
        do {
            id = try resolveArticleID(idOrPrefix)
        } catch let error as KBError where error.kind == .notFound {
            let trashed = try? read { db in try Self.resolveTrashed(db, idOrPrefix) }
            guard let (entity, id) = trashed, entity == .article else { throw error }
            throw KBError(
                .invalidState,
                "The article '\(Identifier.short(id))' is already in the trash; "
                    + "'kb restore \(Identifier.short(id))' brings it back.")
        }
        return try write { db, changes in
            guard let article = try Article.fetch(db, id: id), !article.isDeleted else {
                throw KBError.notFound("article", id)
            }
            let annotations = try Self.liveAnnotationCount(db, articleID: id)
            try changes.set(.article, id: id, field: Change.deletedField, json: "true")
            try Materializer.article(db, id: id, now: changes.timestamp)
            return TrashReceipt(id: id, title: article.title, annotations: annotations)
        }
    }

    // MARK: - Listing

    /// Deleted articles and annotations, most recently deleted first.
    ///
    /// An annotation deleted together with its article (or after it) is listed with the article, not on
    /// its own.
    public func trash() throws -> [TrashItem] {
        try read { db in try Self.trashItems(db) }
    }

    static func trashItems(_ db: Database) throws -> [TrashItem] {
        var items: [TrashItem] = []
        var together: Set<String> = []
        for row in try Row.fetchAll(db, sql: "SELECT id, title FROM articles WHERE deleted = 1") {
            let id: String = row["id"]
            let deletion = try Self.deletion(db, id: id)
            let companions = try deletion.map { try Self.deletedTogether(db, articleID: id, deletion: $0) } ?? []
            together.formUnion(companions)
            items.append(
                TrashItem(
                    entity: .article, id: id, title: row["title"], articleID: nil,
                    deletedAt: deletion?.hlc.milliseconds, deletedBy: deletion?.replica,
                    annotations: try Self.liveAnnotationCount(db, articleID: id) + companions.count))
        }
        for row in try Row.fetchAll(
            db, sql: "SELECT id, article_id, quote, note FROM annotations WHERE deleted = 1")
        {
            let id: String = row["id"]
            guard !together.contains(id) else { continue }
            let deletion = try Self.deletion(db, id: id)
            items.append(
                TrashItem(
                    entity: .annotation, id: id, title: Self.annotationTitle(quote: row["quote"], note: row["note"]),
                    articleID: row["article_id"], deletedAt: deletion?.hlc.milliseconds,
                    deletedBy: deletion?.replica, annotations: 0))
        }
        return items.sorted { ($0.deletedAt ?? 0, $1.id) > ($1.deletedAt ?? 0, $0.id) }
    }

    /// How an annotation is named in lists: its quote, else the first line of its note.
    static func annotationTitle(quote: String, note: String) -> String {
        quote.isEmpty ? String(note.split(separator: "\n").first ?? "") : quote
    }

    /// Annotations of an article that are not deleted themselves.
    static func liveAnnotationCount(_ db: Database, articleID: String) throws -> Int {
        try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM annotations WHERE article_id = ? AND deleted = 0", arguments: [articleID])
            ?? 0
    }

    /// The change that deleted a record: the newest head of its `deleted` field that says so.
    static func deletion(_ db: Database, id: String) throws -> (replica: String, hlc: HybridTimestamp)? {
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT c.replica, c.hlc FROM heads h JOIN changes c ON c.rowid = h.change
                WHERE h.entity_id = ? AND h.field = ? AND c.value = 'true'
                ORDER BY c.hlc DESC, c.replica DESC LIMIT 1
                """, arguments: [id, Change.deletedField.rawValue])
        return row.map { ($0["replica"], HybridTimestamp(rawValue: $0["hlc"])) }
    }

    /// Deleted annotations of an article that went to the trash with it.
    ///
    /// Their delete is stamped no earlier than the millisecond of the article's: made with it (in the same
    /// transaction) or after it (as when `kb resolve --keep theirs` confirms the delete of an article that
    /// was annotated elsewhere). They come back with the article; annotations deleted before it, on their
    /// own, do not.
    static func deletedTogether(
        _ db: Database, articleID: String, deletion: (replica: String, hlc: HybridTimestamp)
    ) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                SELECT n.id FROM annotations n WHERE n.article_id = ? AND n.deleted = 1 AND EXISTS (
                    SELECT 1 FROM heads h JOIN changes c ON c.rowid = h.change
                    WHERE h.entity_id = n.id AND h.field = ? AND c.value = 'true' AND (c.hlc >> 16) >= ?)
                ORDER BY n.id
                """, arguments: [articleID, Change.deletedField.rawValue, deletion.hlc.milliseconds])
    }

    // MARK: - Restoring

    /// Brings a deleted article or annotation back, as changes that sync.
    ///
    /// An article comes back with its annotations, those deleted together with it included; annotations
    /// deleted earlier on their own stay deleted. An annotation comes back only onto a live article.
    ///
    /// - Parameter idOrPrefix: The id of a record in the trash, or a unique prefix of 4+ characters.
    /// - Returns: What came back.
    /// - Throws: ``KBError`` `.notFound` (nothing in the trash matches), `.ambiguous`, `.invalidState` (an
    ///   annotation whose article is deleted); a database error.
    public func restore(_ idOrPrefix: String) throws -> RestoreReceipt {
        try write { db, changes in
            let (entity, id) = try Self.resolveTrashed(db, idOrPrefix)
            switch entity {
            case .article:
                try Self.restoreArticle(db, &changes, id: id)
                let article = try Article.fetch(db, id: id)
                return RestoreReceipt(
                    entity: .article, id: id, title: article?.title ?? "",
                    annotations: try Self.liveAnnotationCount(db, articleID: id))
            default:
                let annotation = try Self.restoreAnnotation(db, &changes, id: id)
                return RestoreReceipt(
                    entity: .annotation, id: id,
                    title: Self.annotationTitle(quote: annotation.quote, note: annotation.note), annotations: 0)
            }
        }
    }

    /// Records the undelete of an article and of the annotations deleted together with it.
    static func restoreArticle(_ db: Database, _ changes: inout ChangeWriter, id: String) throws {
        let companions = try deletion(db, id: id).map { try deletedTogether(db, articleID: id, deletion: $0) } ?? []
        try changes.set(.article, id: id, field: Change.deletedField, json: "false")
        try Materializer.article(db, id: id, now: changes.timestamp)
        for annotationID in companions {
            try changes.set(.annotation, id: annotationID, field: Change.deletedField, json: "false")
            try Materializer.annotation(db, id: annotationID, now: changes.timestamp)
        }
    }

    /// Records the undelete of an annotation whose article is live.
    static func restoreAnnotation(_ db: Database, _ changes: inout ChangeWriter, id: String) throws -> Annotation {
        guard let annotation = try Annotation.fetch(db, id: id) else { throw KBError.notFound("annotation", id) }
        let article = try Article.fetch(db, id: annotation.articleID)
        guard let article, !article.isDeleted else {
            let short = Identifier.short(annotation.articleID)
            throw KBError(
                .invalidState,
                article == nil
                    ? "The annotation '\(Identifier.short(id))' is on the article '\(short)', which is not here; "
                        + "sync to bring it, or restore it on the replica that has it."
                    : "The annotation '\(Identifier.short(id))' is on the article '\(short)', which is in the trash; "
                        + "restore the article first with 'kb restore \(short)'.")
        }
        try changes.set(.annotation, id: id, field: Change.deletedField, json: "false")
        try Materializer.annotation(db, id: id, now: changes.timestamp)
        return try Annotation.fetch(db, id: id) ?? annotation
    }

    // MARK: - Emptying

    /// Purges records from the trash for good, on this replica only.
    ///
    /// No change is recorded: other replicas keep their copies, and nothing is resurrected or deleted
    /// there. The history of a purged record stays and a tombstone keeps it out, so that a pulled change
    /// that leaves it deleted writes nothing; a restore made on another replica brings it back.
    /// Annotations that are not deleted themselves stay with a purged article's history, hidden, so that
    /// such a restore brings them back too.
    ///
    /// - Parameter olderThan: Only records deleted at least this many milliseconds ago; nil for all.
    /// - Returns: How many articles and annotations were purged.
    /// - Throws: A database error.
    public func emptyTrash(olderThan: Int64? = nil) throws -> PurgeReport {
        let now = clock.now()
        let purged = try database.writer.write { db in
            var report = PurgeReport()
            for item in try Self.trashItems(db) {
                if let olderThan, (item.deletedAt ?? now) > now - olderThan { continue }
                var ids = [item.id]
                if item.entity == .article, let deletion = try Self.deletion(db, id: item.id) {
                    ids += try Self.deletedTogether(db, articleID: item.id, deletion: deletion)
                }
                for (index, id) in ids.enumerated() {
                    let entity: EntityKind = index == 0 ? item.entity : .annotation
                    let table = entity == .article ? "articles" : "annotations"
                    try db.execute(sql: "DELETE FROM \(table) WHERE id = ? AND deleted = 1", arguments: [id])
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO purged (id, entity, purged_at) VALUES (?, ?, ?)",
                        arguments: [id, entity.rawValue, now])
                    if entity == .article { report.articles += 1 } else { report.annotations += 1 }
                }
            }
            return report
        }
        if purged.articles + purged.annotations > 0 { reclaimFreePages() }
        return purged
    }

    /// Parses an age such as `30d`, `12h`, `2w` or `90s` into milliseconds.
    ///
    /// - Throws: ``KBError`` `.invalidArgument` for anything else.
    public static func parseAge(_ text: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [Character: Int64] = ["s": 1000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000]
        guard let unit = trimmed.last, let scale = units[unit], let count = Int64(trimmed.dropLast()), count >= 0,
            count <= Int64.max / scale
        else {
            throw KBError.invalid(
                "The age '\(text)' is not understood; give a whole number and a unit, such as 30d, 12h, 2w or 90s.")
        }
        return count * scale
    }

    // MARK: - Ids

    /// The record in the trash that `prefix` names.
    static func resolveTrashed(_ db: Database, _ prefix: String) throws -> (EntityKind, String) {
        do {
            return try resolveRecord(
                db, prefix, condition: "deleted = 1", what: "deleted article or annotation",
                hint: "see 'kb trash' for ids")
        } catch let error as KBError where error.kind == .notFound {
            if let (entity, id) = try? resolveRecord(db, prefix, condition: "deleted = 0", what: "", hint: "") {
                throw KBError(
                    .invalidState,
                    "The \(entity.rawValue) '\(Identifier.short(id))' is not in the trash; "
                        + "'kb history \(Identifier.short(id))' lists its versions and "
                        + "'kb restore \(Identifier.short(id)) --to N' brings one back.")
            }
            try throwIfPurged(db, prefix)
            throw error
        }
    }

    /// Throws an error that says so when `prefix` names a record purged from this replica's trash.
    static func throwIfPurged(_ db: Database, _ prefix: String) throws {
        let prefix = prefix.trimmingCharacters(in: .whitespaces).lowercased()
        guard prefix.count >= 4, prefix.allSatisfy(\.isHexDigit) else { return }
        let purged = try Row.fetchAll(
            db, sql: "SELECT id, entity FROM purged WHERE id GLOB ? ORDER BY id LIMIT 2", arguments: [prefix + "*"])
        guard purged.count == 1, let row = purged.first else { return }
        let id: String = row["id"]
        let entity: String = row["entity"]
        throw KBError(
            .notFound,
            "The \(entity) '\(Identifier.short(id))' was purged from the trash on this replica; "
                + "restore it on a replica that still has it, and the next sync brings it back here.")
    }

    /// The article or annotation that `prefix` names among the rows that satisfy `condition`: the whole
    /// id, or a unique prefix of 4+ hex digits.
    static func resolveRecord(_ db: Database, _ prefix: String, condition: String, what: String, hint: String)
        throws -> (EntityKind, String)
    {
        let prefix = prefix.trimmingCharacters(in: .whitespaces).lowercased()
        let tables: [(EntityKind, String)] = [(.article, "articles"), (.annotation, "annotations")]
        for (entity, table) in tables {
            if try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE id = ? AND \(condition))", arguments: [prefix])
                == true
            {
                return (entity, prefix)
            }
        }
        guard !prefix.isEmpty, prefix.allSatisfy(\.isHexDigit) else {
            throw KBError.notFound(what, prefix, hint: hint)
        }
        guard prefix.count >= 4 else {
            throw KBError.invalid("The id '\(prefix)' is too short; give at least 4 characters of it (\(hint)).")
        }
        var matches: [(EntityKind, String)] = []
        for (entity, table) in tables {
            matches += try String.fetchAll(
                db, sql: "SELECT id FROM \(table) WHERE id GLOB ? AND \(condition) ORDER BY id LIMIT 6",
                arguments: [prefix + "*"]
            ).map { (entity, $0) }
        }
        switch matches.count {
        case 0: throw KBError.notFound(what, prefix, hint: hint)
        case 1: return matches[0]
        default:
            throw KBError(
                .ambiguous,
                "The id prefix '\(prefix)' matches \(matches.count > 5 ? "more than 5" : "\(matches.count)") records; "
                    + "give more characters.", candidates: matches.prefix(5).map { "\($0.0.rawValue) \($0.1)" })
        }
    }
}

// MARK: - Tombstones

extension KnowledgeBase {
    /// True when the record was purged from the trash here and its history still says it is deleted.
    static func isPurged(_ db: Database, id: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM purged WHERE id = ?)", arguments: [id]) ?? false
    }
}
