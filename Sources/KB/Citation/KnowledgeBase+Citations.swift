import Foundation
public import GRDB

/// The metadata `kb list` and `kb show` print beside an article.
public struct ArticleMetadata: Sendable, Equatable {
    public var sourceID: String?
    public var metadata: SourceMetadata
    public var authors: [Contributor]
    public var authorsSetByHand: Bool
}

extension KnowledgeBase {
    // MARK: - Reading

    /// The metadata of articles, by id: their page's and their authors.
    ///
    /// - Parameter ids: Article ids (whole ones).
    /// - Returns: The metadata of each article found.
    /// - Throws: A database error.
    public func articleMetadata(ids: [String]) throws -> [String: ArticleMetadata] {
        try read { db in
            var result: [String: ArticleMetadata] = [:]
            for id in ids {
                guard let article = try Article.fetch(db, id: id) else { continue }
                result[id] = try Self.articleMetadata(db, article: article)
            }
            return result
        }
    }

    static func articleMetadata(_ db: Database, article: Article) throws -> ArticleMetadata {
        let metadata = try article.sourceID.flatMap { try SourceMetadataStore.metadata(db, sourceID: $0) }
        let isSet =
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM article_authors WHERE article_id = ?)"),
                arguments: [article.id]) == true
        return ArticleMetadata(
            sourceID: article.sourceID, metadata: metadata ?? SourceMetadata(),
            authors: try SourceMetadataStore.contributors(db, article: article), authorsSetByHand: isSet)
    }

    /// The metadata of a page.
    ///
    /// - Parameter idOrPrefix: A source id or an article id (then its page), whole or a prefix of 4+ characters.
    /// - Returns: The source's id and its metadata.
    /// - Throws: ``KBError`` when nothing or more than one record matches.
    public func sourceMetadata(_ idOrPrefix: String) throws -> (sourceID: String, metadata: SourceMetadata) {
        try read { db in
            let sourceID = try Self.resolveSourceID(db, idOrPrefix)
            return (sourceID, try SourceMetadataStore.metadata(db, sourceID: sourceID) ?? SourceMetadata())
        }
    }

    /// Citations of articles, in the order given.
    ///
    /// - Parameter ids: Article ids or prefixes of 4+ characters; none for every live article, in page order.
    /// - Returns: One citation per article.
    /// - Throws: ``KBError`` for an id that names nothing.
    public func citations(_ ids: [String]? = nil) throws -> [Citation] {
        let resolved = try ids.map { try $0.map { try self.resolveArticleID($0) } }
        return try read { db in
            let articles: [Article]
            if let resolved {
                articles = try resolved.compactMap { try Article.fetch(db, id: $0) }
            } else {
                articles = try Article.fetchAll(
                    db,
                    sql: """
                        SELECT a.* FROM articles a LEFT JOIN source_metadata m ON m.source_id = a.source_id
                        WHERE a.deleted = 0 ORDER BY m.publication, m.issued, m.page, a.source_id, a.position, a.id
                        """)
            }
            return try articles.map { article in
                let metadata = try Self.articleMetadata(db, article: article)
                return Citation(
                    articleID: article.id, sourceID: article.sourceID, title: Self.citedTitle(article),
                    authors: metadata.authors, authorsSetByHand: metadata.authorsSetByHand,
                    metadata: metadata.metadata)
            }
        }
    }

    /// The title a citation gives: the headline (a subtitle is left out, as GB/T 7714's examples of newspaper
    /// articles do), or the first words of the body for an item without one (a photo caption).
    static func citedTitle(_ article: Article) -> String {
        let title = article.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard title.isEmpty else { return title.replacingOccurrences(of: "\n", with: " ") }
        let body = article.body.trimmingCharacters(in: .whitespacesAndNewlines)
        return body.count > 30 ? String(body.prefix(30)) + "…" : body
    }

    // MARK: - Setting

    /// Sets fields of a page's metadata by hand: changes that sync like any edit.
    ///
    /// - Parameters:
    ///   - idOrPrefix: A source id or an article id (then its page), whole or a prefix of 4+ characters.
    ///   - values: The new values, as text; an empty text clears the field.
    /// - Returns: The source's id and its metadata after the change.
    /// - Throws: ``KBError`` for an id that names nothing or a value that does not fit its field.
    @discardableResult
    public func setSourceMetadata(_ idOrPrefix: String, _ values: [ChangeField: String]) throws -> (
        sourceID: String, metadata: SourceMetadata
    ) {
        try Self.checkValues(values)
        return try write { db, changes in
            let sourceID = try Self.resolveSourceID(db, idOrPrefix)
            let metadata = try Self.setMetadata(db, &changes, sourceID: sourceID, values)
            return (sourceID, metadata)
        }
    }

    /// Sets fields of the metadata of every page imported from a folder (or below it).
    ///
    /// - Returns: Each source's id and its metadata after the change, by path.
    /// - Throws: ``KBError`` when no page was imported from the folder, or for a value that does not fit.
    @discardableResult
    public func setSourceMetadata(folder: String, _ values: [ChangeField: String]) throws -> [(
        sourceID: String, path: String, metadata: SourceMetadata
    )] {
        try Self.checkValues(values)
        var absolute = URL(fileURLWithPath: folder).standardizedFileURL.path
        if !absolute.hasSuffix("/") { absolute += "/" }
        return try write { db, changes in
            // The newest version of each file (earlier versions were replaced by it).
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT s.id, s.path FROM sources s
                    WHERE substr(s.path, 1, ?) = ? AND EXISTS (SELECT 1 FROM articles a WHERE a.source_id = s.id)
                    ORDER BY s.path, s.id
                    """, arguments: [absolute.count, absolute])
            guard !rows.isEmpty else {
                throw KBError.notFound("page imported from a folder", folder, hint: "see 'kb list' for what is here")
            }
            return try rows.map { row in
                let sourceID: String = row["id"]
                return (sourceID, row["path"], try Self.setMetadata(db, &changes, sourceID: sourceID, values))
            }
        }
    }

    /// Sets the authors of an article by hand (an empty list: none), or gives it back to its byline (nil).
    ///
    /// - Parameters:
    ///   - idOrPrefix: The article's id or a prefix of 4+ characters.
    ///   - names: The authors, in order.
    /// - Returns: The article's id and its authors after the change.
    /// - Throws: ``KBError`` for an id that names nothing.
    @discardableResult
    public func setAuthors(_ idOrPrefix: String, _ names: [String]?) throws -> (id: String, authors: [Contributor]) {
        let id = try resolveArticleID(idOrPrefix)
        let cleaned = names?.flatMap(SourceMetadataStore.authorNames)
        return try write { db, changes in
            let value: String
            if let cleaned {
                // A name set by hand is written as given; an empty list says "no author".
                value = cleaned.isEmpty ? ";" : cleaned.joined(separator: "; ")
            } else {
                value = ""
            }
            let heads = try ChangeStore.heads(db, entityID: id, field: .authors)
            if cleaned != nil || !heads.isEmpty {
                try changes.set(.article, id: id, field: .authors, json: JSONText.string(value))
            }
            try SourceMetadataStore.refreshAuthors(db, articleID: id, now: changes.timestamp)
            guard let article = try Article.fetch(db, id: id) else { throw KBError.notFound("article", id) }
            return (id, try SourceMetadataStore.contributors(db, article: article))
        }
    }

    static func checkValues(_ values: [ChangeField: String]) throws {
        guard !values.isEmpty else {
            throw KBError.invalid(
                "Nothing to set; give --publication, --date, --page, --page-name, --edition, --url or --field.")
        }
        var probe = SourceMetadata()
        for (field, value) in values { try probe.set(field, text: value) }
    }

    static func setMetadata(
        _ db: Database, _ changes: inout ChangeWriter, sourceID: String, _ values: [ChangeField: String]
    ) throws -> SourceMetadata {
        let current = try SourceMetadataStore.metadata(db, sourceID: sourceID) ?? SourceMetadata()
        for field in SourceMetadata.fields {
            guard var value = values[field] else { continue }
            if field == .issued, let date = SourceMetadata.normalizedDate(value) { value = date }
            if field == .extra {
                // Free fields add to those there (an empty value for one removes it).
                var extra = current.extra
                let given = try JSONText.decode([String: String].self, from: value.isEmpty ? "{}" : value)
                for (name, text) in given { extra[name] = text.isEmpty ? nil : text }
                value = extra.isEmpty ? "" : try JSONText.encode(extra)
            }
            guard value != (current.text(field) ?? "") || field == .extra else { continue }
            try changes.set(.source, id: sourceID, field: field, json: JSONText.string(value))
        }
        try SourceMetadataStore.refresh(db, sourceID: sourceID, now: changes.timestamp)
        return try SourceMetadataStore.metadata(db, sourceID: sourceID) ?? SourceMetadata()
    }

    /// Gives a new version of a page the metadata set by hand on the version it replaces.
    static func carryMetadata(
        _ db: Database, _ changes: inout ChangeWriter, from old: String?, to new: String,
        extracted: SourceMetadata? = nil
    ) throws {
        if old == nil || old == new, let extracted {
            // Nothing carried: the new page's metadata is what was read from it (unless it has other changes).
            try SourceMetadataStore.refreshCreated(db, sourceID: new, extracted: extracted, now: changes.timestamp)
            return
        }
        if let old, old != new {
            for field in SourceMetadata.fields where try !ChangeStore.heads(db, entityID: old, field: field).isEmpty {
                var conflicts: Set<String> = []
                let values = try Materializer.headValues(db, id: old, field: field, entity: .source) { _, _ in nil }
                guard
                    let value = try Materializer.resolve(
                        db, entity: .source, id: old, field: field, values, isLongText: false, now: changes.timestamp,
                        conflicts: &conflicts)
                else { continue }
                try changes.set(.source, id: new, field: field, json: JSONText.string(value))
            }
        }
        try SourceMetadataStore.refresh(db, sourceID: new, now: changes.timestamp)
    }

    /// The source that an id names: a source id or prefix, else an article's (its page).
    static func resolveSourceID(_ db: Database, _ prefix: String) throws -> String {
        let prefix = prefix.trimmingCharacters(in: .whitespaces).lowercased()
        if prefix.count >= 4, prefix.allSatisfy(\.isHexDigit) {
            let sources = try String.fetchAll(
                db, sql: "SELECT id FROM sources WHERE id GLOB ? ORDER BY id LIMIT 6", arguments: [prefix + "*"])
            if sources.count == 1 { return sources[0] }
            if sources.count > 1 {
                throw KBError(
                    .ambiguous, "The id prefix '\(prefix)' matches \(sources.count) sources; give more characters.",
                    candidates: Array(sources.prefix(5)))
            }
        }
        let articleID = try resolveID(db, prefix, table: "articles", what: "article or source")
        guard let sourceID = try Article.fetch(db, id: articleID)?.sourceID else {
            throw KBError(
                .invalidState,
                "The article '\(Identifier.short(articleID))' was added by hand and has no page; "
                    + "its metadata cannot be set.")
        }
        return sourceID
    }
}

// MARK: - Markdown export

extension KnowledgeBase {
    /// The citation of an article, read in a transaction already open.
    static func citation(_ db: Database, article: Article) throws -> Citation {
        let metadata = try articleMetadata(db, article: article)
        return Citation(
            articleID: article.id, sourceID: article.sourceID, title: citedTitle(article), authors: metadata.authors,
            authorsSetByHand: metadata.authorsSetByHand, metadata: metadata.metadata)
    }
}

extension MarkdownExport {
    /// The front-matter lines of a citation: where the article was published, its authors, key and reference.
    static func frontMatter(_ citation: Citation) -> String {
        var out = ""
        let metadata = citation.metadata
        if let value = metadata.publication { out += "publication: \(yamlString(value))\n" }
        if let value = metadata.issued { out += "date: \(yamlString(value))\n" }
        if let value = metadata.page { out += "page: \(value)\n" }
        if let value = metadata.pageName { out += "page_name: \(yamlString(value))\n" }
        if let value = metadata.edition { out += "edition: \(yamlString(value))\n" }
        if let value = metadata.url { out += "url: \(yamlString(value))\n" }
        if !citation.names.isEmpty {
            out += "authors: [" + citation.names.map(yamlString).joined(separator: ", ") + "]\n"
        }
        out += "citation_key: \(yamlString(citation.key))\n"
        out += "citation: \(yamlString(citation.formatted(.gb7714)))\n"
        return out
    }
}
