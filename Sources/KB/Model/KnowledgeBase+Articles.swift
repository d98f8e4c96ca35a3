import Foundation
import GRDB

/// One row of `kb list`.
public struct ArticleSummary: Sendable, Equatable, Codable {
    public var id: String
    public var title: String
    public var kind: String
    public var source: String?
    public var tags: [String]
    public var createdAt: Int64
    public var updatedAt: Int64
}

/// An article with everything `kb show` prints.
public struct ArticleDetail: Sendable, Equatable {
    public var article: Article
    public var sourcePath: String?
    /// The page of the PDF file the article was imported from (1 for the first), nil for other sources.
    public var sourcePage: Int?
    public var tags: [String]
    public var annotations: [Annotation]
    /// The id of the part this article continues (`（上接第N版）`), when the knowledge base holds it.
    public var continuedFrom: String?
    /// The id of the part that continues this article (`（下转第N版）`), when the knowledge base holds it.
    public var continuedOn: String?

    public init(
        article: Article, sourcePath: String?, sourcePage: Int? = nil, tags: [String], annotations: [Annotation],
        continuedFrom: String? = nil, continuedOn: String? = nil
    ) {
        self.article = article
        self.sourcePath = sourcePath
        self.sourcePage = sourcePage
        self.tags = tags
        self.annotations = annotations
        self.continuedFrom = continuedFrom
        self.continuedOn = continuedOn
    }
}

/// Counts after an edit re-anchored the article's annotations.
public struct ReanchorCounts: Sendable, Equatable, Codable {
    /// Annotations found exactly (moved or not).
    public var reanchored = 0
    public var fuzzy = 0
    public var orphaned = 0

    public init(reanchored: Int = 0, fuzzy: Int = 0, orphaned: Int = 0) {
        self.reanchored = reanchored
        self.fuzzy = fuzzy
        self.orphaned = orphaned
    }
}

/// What `kb status` reports.
public struct Status: Sendable, Equatable {
    public var articles: Int
    public var annotations: Int
    public var pending: Int
    public var lastSync: Int64?
    public var conflicts: Int
    public var replica: String?
    public var orphaned: Int
    public var quarantined: Int
}

extension KnowledgeBase {
    // MARK: - Add

    /// Adds one article by hand.
    ///
    /// - Throws: ``KBError`` `.invalidArgument` for an empty title or body.
    @discardableResult
    public func addArticle(title: String, body: String) throws -> Article {
        let title = title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty else { throw KBError.invalid("The title is empty; give one with --title.") }
        let body = body.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !body.isEmpty else { throw KBError.invalid("The article text is empty; give a file or text on stdin.") }
        return try write { db, changes in
            let now = changes.timestamp
            var id = Identifier.contentID([title, body])
            if try Article.fetch(db, id: id) != nil || Self.isPurged(db, id: id) {
                id = Identifier.uuidV7(milliseconds: now)
            }
            let article = Article(id: id, kind: "note", title: title, body: body, createdAt: now)
            try article.save(db)
            try changes.create(.article, id: id, json: try JSONText.encode(ArticleCreation(article)))
            return article
        }
    }

    // MARK: - Read

    /// Articles, newest first.
    public func listArticles(tag: String? = nil, limit: Int? = nil) throws -> [ArticleSummary] {
        try read { db in
            var sql = """
                SELECT a.id, a.title, a.kind, a.created_at, a.updated_at, s.path FROM articles a
                LEFT JOIN sources s ON s.id = a.source_id WHERE a.deleted = 0
                """
            var arguments: StatementArguments = []
            if let tag {
                sql += " AND a.id IN (SELECT entity_id FROM tags WHERE norm = ? AND present = 1)"
                arguments += [Self.normalizeTag(tag)]
            }
            sql += " ORDER BY a.created_at DESC, a.source_id, a.position"
            if let limit { sql += " LIMIT \(max(0, limit))" }
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            let tags = try Self.tagsByEntity(db, ids: rows.map { $0["id"] })
            return rows.map { row in
                let id: String = row["id"]
                return ArticleSummary(
                    id: id, title: row["title"], kind: row["kind"], source: row["path"], tags: tags[id] ?? [],
                    createdAt: row["created_at"], updatedAt: row["updated_at"])
            }
        }
    }

    /// One article with its tags and annotations.
    public func article(_ idOrPrefix: String) throws -> ArticleDetail {
        let id = try resolveArticleID(idOrPrefix)
        return try read { db in
            guard let article = try Article.fetch(db, id: id) else { throw KBError.notFound("article", id) }
            let source = try Row.fetchOne(
                db, sql: "SELECT path, pdf_page FROM sources WHERE id = ?", arguments: [article.sourceID])
            let tags = try Self.tagsByEntity(db, ids: [id])[id] ?? []
            let annotations = try Self.annotations(db, articleID: id)
            let links = try Self.continuationLinks(db, of: article)
            return ArticleDetail(
                article: article, sourcePath: source?["path"], sourcePage: source?["pdf_page"], tags: tags,
                annotations: annotations, continuedFrom: links.from?.id, continuedOn: links.on?.id)
        }
    }

    // MARK: - Edit

    /// Edits an article's title and/or body; annotations re-anchor to the new text.
    ///
    /// - Returns: The article after the edit and the re-anchoring counts.
    public func editArticle(_ idOrPrefix: String, title: String? = nil, body: String? = nil) throws -> (
        Article, ReanchorCounts
    ) {
        if title == nil && body == nil {
            throw KBError.invalid("Nothing to change; give --title or --body-file.")
        }
        if let title, title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw KBError.invalid("The new title is empty; give a title with at least one character.")
        }
        let id = try resolveArticleID(idOrPrefix)
        return try write { db, changes in
            guard let article = try Article.fetch(db, id: id), !article.isDeleted else {
                throw KBError.notFound("article", id)
            }
            var edited = article
            if let title { edited.title = title.trimmingCharacters(in: .whitespacesAndNewlines) }
            if let body {
                edited.body = body.replacingOccurrences(of: "\r\n", with: "\n")
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            edited.updatedAt = changes.timestamp
            let counts = try applyArticleEdit(db, &changes, from: article, to: edited)
            return (edited, counts)
        }
    }

    /// Records the changed fields of an article, then computes it from its changes like a pulled one
    /// (the same code, so every replica holds the same), re-anchoring its annotations.
    @discardableResult
    func applyArticleEdit(_ db: Database, _ changes: inout ChangeWriter, from old: Article, to new: Article) throws
        -> ReanchorCounts
    {
        for field in Article.textFields where old.text(field) != new.text(field) {
            try changes.set(.article, id: new.id, field: field, json: JSONText.string(new.text(field) ?? ""))
        }
        try Materializer.article(db, id: new.id, now: changes.timestamp)
        return try Self.anchorCounts(db, articleID: new.id)
    }

    /// How the live annotations of an article stand.
    static func anchorCounts(_ db: Database, articleID: String) throws -> ReanchorCounts {
        var counts = ReanchorCounts()
        for row in try Row.fetchAll(
            db, sql: "SELECT state, COUNT(*) FROM annotations WHERE article_id = ? AND deleted = 0 GROUP BY state",
            arguments: [articleID])
        {
            let count: Int = row[1]
            switch AnchorState(rawValue: row[0]) {
            case .anchored: counts.reanchored = count
            case .fuzzy: counts.fuzzy = count
            case .orphaned: counts.orphaned = count
            case nil: break
            }
        }
        return counts
    }

    /// Moves an article to the trash with its annotations (``trashArticle(_:)``); `kb restore` brings it back.
    public func removeArticle(_ idOrPrefix: String) throws -> String {
        try trashArticle(idOrPrefix).id
    }

    // MARK: - Tags

    /// Normalized form of a tag: NFKC, trimmed, lowercased.
    public static func normalizeTag(_ tag: String) -> String {
        tag.precomposedStringWithCompatibilityMapping.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    static func validateTags(_ tags: [String]) throws -> [String] {
        try tags.map { tag in
            let trimmed = tag.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else {
                throw KBError.invalid("A tag is empty; give tags with at least one character.")
            }
            guard !trimmed.contains(where: \.isNewline) else {
                throw KBError.invalid("The tag '\(trimmed)' contains a line break; tags are one line.")
            }
            return trimmed
        }
    }

    /// Adds tags to an article.
    public func tag(_ idOrPrefix: String, _ tags: [String]) throws -> (String, [String]) {
        let tags = try Self.validateTags(tags)
        let id = try resolveArticleID(idOrPrefix)
        let result = try write { db, changes in
            for tag in tags { try Self.setTag(db, &changes, entity: .article, entityID: id, tag: tag, present: true) }
            return try Self.tagsByEntity(db, ids: [id])[id] ?? []
        }
        return (id, result)
    }

    /// Removes tags from an article.
    public func untag(_ idOrPrefix: String, _ tags: [String]) throws -> (String, [String]) {
        let tags = try Self.validateTags(tags)
        let id = try resolveArticleID(idOrPrefix)
        let result = try write { db, changes in
            for tag in tags {
                try Self.setTag(db, &changes, entity: .article, entityID: id, tag: tag, present: false)
            }
            return try Self.tagsByEntity(db, ids: [id])[id] ?? []
        }
        return (id, result)
    }

    /// Sets one tag membership, recording the change when it changes anything.
    static func setTag(
        _ db: Database, _ changes: inout ChangeWriter, entity: EntityKind, entityID: String, tag: String,
        present: Bool
    ) throws {
        let norm = normalizeTag(tag)
        let membershipID = Identifier.contentID([entityID, norm])
        let current = try Row.fetchOne(db, sql: "SELECT present FROM tags WHERE id = ?", arguments: [membershipID])
        if let current {
            let isPresent: Bool = current["present"]
            if isPresent == present { return }
            try changes.set(.tag, id: membershipID, field: .present, json: present ? "true" : "false")
            try Materializer.tag(db, id: membershipID, now: changes.timestamp)
        } else {
            guard present else { return }
            let creation = TagCreation(entity: entity.rawValue, entityID: entityID, tag: tag, present: true)
            try changes.create(.tag, id: membershipID, json: try JSONText.encode(creation))
            try db.execute(
                sql: """
                    INSERT INTO tags (id, entity, entity_id, tag, norm, present, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?)
                    """, arguments: [membershipID, entity.rawValue, entityID, tag, norm, changes.timestamp])
        }
    }

    /// Present tags of records, sorted.
    static func tagsByEntity(_ db: Database, ids: [String]) throws -> [String: [String]] {
        guard !ids.isEmpty else { return [:] }
        var result: [String: [String]] = [:]
        if ids.count > 2000 {
            // Many records: one pass over every present tag is cheaper than many lookups. The result may
            // hold other records' tags too; callers look up the ids they asked for.
            let rows = try Row.fetchCursor(db, sql: "SELECT entity_id, tag FROM tags WHERE present = 1 ORDER BY norm")
            while let row = try rows.next() {
                result[row[0] as String, default: []].append(row[1])
            }
            return result
        }
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            let part = Array(ids[chunk..<min(ids.count, chunk + 500)])
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT entity_id, tag FROM tags WHERE present = 1
                    AND entity_id IN (\(databaseQuestionMarks(count: part.count))) ORDER BY norm
                    """, arguments: StatementArguments(part))
            for row in rows { result[row["entity_id"], default: []].append(row["tag"]) }
        }
        return result
    }

    // MARK: - Status

    /// Counts for `kb status`.
    public func status() throws -> Status {
        try read { db in
            let replica = try Meta.existingReplicaID(db)
            let pushed = try Int64.fetchOne(db, sql: "SELECT MIN(pushed) FROM remotes")
            let pending: Int
            if let replica {
                pending =
                    try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM changes WHERE replica = ? AND seq > ?",
                        arguments: [replica, pushed ?? 0]) ?? 0
            } else {
                pending = 0
            }
            return Status(
                articles: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM articles WHERE deleted = 0") ?? 0,
                annotations: try Int.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(*) FROM annotations n JOIN articles a ON a.id = n.article_id
                        WHERE n.deleted = 0 AND a.deleted = 0
                        """) ?? 0,
                pending: pending,
                lastSync: try Int64.fetchOne(db, sql: "SELECT MAX(last_sync) FROM remotes"),
                conflicts: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conflicts WHERE resolved_at IS NULL") ?? 0,
                replica: replica,
                orphaned: try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM annotations WHERE deleted = 0 AND state = 'orphaned'") ?? 0,
                quarantined: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM quarantine") ?? 0)
        }
    }
}
