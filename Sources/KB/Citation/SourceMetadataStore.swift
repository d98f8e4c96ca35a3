import Foundation
public import GRDB

/// Keeps the tables of page metadata and of authors set by hand in step with the sources and the changes.
///
/// `source_metadata` holds each page's metadata as it stands: what ``MetadataExtractor`` reads from the page,
/// its file name and, for a PDF page, its masthead and the file's own metadata (the same on every replica, since
/// all of them travel with the source), overlaid with the values set by hand (changes of the source's metadata fields, merged last writer wins, an empty value clearing the
/// field). `article_authors` holds the authors set by hand; other articles' authors come from their bylines.
public enum SourceMetadataStore {
    /// The separator between names in `article_authors` and in what `kb_authors()` returns.
    public static let nameSeparator = "\u{1F}"

    /// Computes a page's metadata again and stores it.
    ///
    /// - Parameters:
    ///   - db: The database, in a write transaction.
    ///   - sourceID: The source's id; nothing happens when it is not here yet.
    ///   - now: The time conflicts are stamped with.
    /// - Throws: A database error.
    public static func refresh(_ db: Database, sourceID: String, now: Int64) throws {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT path, text, pdf_page, pdf_info FROM sources WHERE id = ?"),
                arguments: [sourceID])
        else { return }
        // A PDF page's masthead and the file's own metadata count too (an unreadable record of them: not).
        let info: String? = row["pdf_info"]
        var metadata = MetadataExtractor.metadata(
            path: row["path"], text: try CompressedText.text(row["text"], in: db), pdfPage: row["pdf_page"],
            pdfInfo: info.flatMap { try? JSONText.decode(PDFInfo.self, from: $0) })
        var conflicts: Set<String> = []
        for field in SourceMetadata.fields {
            let values = try Materializer.headValues(db, id: sourceID, field: field, entity: .source) { _, _ in nil }
            guard
                let value = try Materializer.resolve(
                    db, entity: .source, id: sourceID, field: field, values, isLongText: false, now: now,
                    conflicts: &conflicts)
            else { continue }
            // A value that does not fit the field (from a newer version elsewhere) leaves it as it was.
            try? metadata.set(field, text: value)
        }
        try Materializer.settleConflicts(db, entityID: sourceID, derived: conflicts, now: now)
        try save(db, sourceID: sourceID, metadata)
    }

    /// Writes the metadata of a page whose only change held is its creation, as extracted from the source
    /// that was written: what ``refresh(_:sourceID:now:)`` computes then, without reading the row and the
    /// heads back.
    ///
    /// Falls back to it when the page has other changes.
    ///
    /// - Parameters:
    ///   - db: The database, in the transaction that wrote the source.
    ///   - sourceID: The source's id.
    ///   - extracted: `MetadataExtractor.metadata(path:text:pdfPage:pdfInfo:)` of the source as written.
    ///   - now: The time of the change.
    ///   - isOnlyCreation: True when the caller knows its creation is the one change held of it; nil reads it.
    /// - Throws: A database error, or ``KBError/Kind/damaged`` when the source's text cannot be read back.
    public static func refreshCreated(
        _ db: Database, sourceID: String, extracted: SourceMetadata, now: Int64, isOnlyCreation: Bool? = nil
    ) throws {
        let isOnlyCreation =
            try isOnlyCreation
            ?? (Int.fetchOne(
                db.cachedStatement(sql: "SELECT COUNT(*) FROM (SELECT 1 FROM changes WHERE entity_id = ? LIMIT 2)"),
                arguments: [sourceID]) == 1)
        guard isOnlyCreation else {
            try refresh(db, sourceID: sourceID, now: now)
            return
        }
        try Materializer.settleConflicts(db, entityID: sourceID, derived: [], now: now)
        try save(db, sourceID: sourceID, extracted)
    }

    /// The metadata set by hand on a page, by field.
    ///
    /// The newest value of each field, as ``refresh`` takes it; `""` for a field cleared by hand. Only reads.
    public static func handSetValues(_ db: Database, sourceID: String) throws -> [ChangeField: String] {
        var result: [ChangeField: String] = [:]
        for field in SourceMetadata.fields {
            let values = try Materializer.headValues(db, id: sourceID, field: field, entity: .source) { _, _ in nil }
            let newest = values.filter { $0.json != nil }.max { Materializer.isOlder($0.head, $1.head) }
            if let json = newest?.json { result[field] = try JSONText.decodeString(json) }
        }
        return result
    }

    /// Writes a page's metadata.
    static func save(_ db: Database, sourceID: String, _ metadata: SourceMetadata) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO source_metadata (source_id, publication, issued, page, page_name, edition, url, extra)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(source_id) DO UPDATE SET publication = excluded.publication, issued = excluded.issued,
                    page = excluded.page, page_name = excluded.page_name, edition = excluded.edition,
                    url = excluded.url, extra = excluded.extra
                """
        ).execute(arguments: [
            sourceID, metadata.publication, metadata.issued, metadata.page, metadata.pageName, metadata.edition,
            metadata.url, try JSONText.encode(metadata.extra),
        ])
    }

    /// A page's metadata as stored.
    public static func metadata(_ db: Database, sourceID: String) throws -> SourceMetadata? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM source_metadata WHERE source_id = ?"), arguments: [sourceID])
        else { return nil }
        return SourceMetadata(
            publication: row["publication"], issued: row["issued"], page: row["page"], pageName: row["page_name"],
            edition: row["edition"], url: row["url"],
            extra: (try? JSONText.decode([String: String].self, from: row["extra"] ?? "{}")) ?? [:])
    }

    /// Computes the authors set by hand on an article again (with the rest of it, by ``Materializer``).
    public static func refreshAuthors(_ db: Database, articleID: String, now: Int64) throws {
        try Materializer.article(db, id: articleID, now: now)
    }

    /// Resolves the authors set by hand on an article, last writer wins, and stores them; none when never set
    /// or given back to the byline (an empty value).
    static func resolveAuthors(_ db: Database, articleID: String, now: Int64, conflicts: inout Set<String>) throws {
        let values = try Materializer.headValues(db, id: articleID, field: .authors, entity: .article) { _, _ in nil }
        let value =
            values.isEmpty
            ? nil
            : try Materializer.resolve(
                db, entity: .article, id: articleID, field: .authors, values, isLongText: false, now: now,
                conflicts: &conflicts)
        guard let value, !value.isEmpty else {
            try db.cachedStatement(sql: "DELETE FROM article_authors WHERE article_id = ?").execute(arguments: [
                articleID
            ])
            return
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO article_authors (article_id, authors) VALUES (?, ?)
                ON CONFLICT(article_id) DO UPDATE SET authors = excluded.authors
                """
        ).execute(arguments: [articleID, authorNames(value).joined(separator: nameSeparator)])
    }

    /// The names in an authors value: separated by `;`, `；` or `、`.
    public static func authorNames(_ value: String) -> [String] {
        value.split(whereSeparator: { ";；、\u{1F}".contains($0) }).map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
    }

    /// The authors of an article: those set by hand, else those its byline names.
    static func contributors(_ db: Database, article: Article) throws -> [Contributor] {
        if let names = try String.fetchOne(
            db.cachedStatement(sql: "SELECT authors FROM article_authors WHERE article_id = ?"), arguments: [article.id]
        ) {
            return names.split(separator: Character(nameSeparator)).map { Contributor(String($0)) }
        }
        return BylineParser.contributors(byline: article.byline, dateline: article.dateline, body: article.body)
    }

    /// The SQL function `kb_authors(byline, dateline, body)`: the names a byline gives, joined by U+001F.
    public static let authorsFunction = DatabaseFunction("kb_authors", argumentCount: 3, pure: true) { values in
        let texts = values.map { String.fromDatabaseValue($0) ?? "" }
        return BylineParser.contributors(byline: texts[0], dateline: texts[1], body: texts[2]).map(\.name)
            .joined(separator: nameSeparator)
    }

    /// Creates the tables and fills them from the sources held (the `v4-source-metadata` migration).
    static func createTables(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE source_metadata (
                    source_id TEXT PRIMARY KEY NOT NULL,
                    publication TEXT,
                    issued TEXT,
                    page INTEGER,
                    page_name TEXT,
                    edition TEXT,
                    url TEXT,
                    extra TEXT NOT NULL DEFAULT '{}'
                ) WITHOUT ROWID;
                CREATE INDEX source_metadata_publication ON source_metadata(publication);
                CREATE INDEX source_metadata_issued ON source_metadata(issued);
                CREATE TABLE article_authors (
                    article_id TEXT PRIMARY KEY NOT NULL,
                    authors TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for id in try String.fetchAll(db, sql: "SELECT id FROM sources") {
            try refresh(db, sourceID: id, now: now)
        }
    }
}
