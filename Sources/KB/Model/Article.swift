import Foundation
public import GRDB

/// An article, photo caption or column note, as the knowledge base holds it.
public struct Article: Sendable, Equatable, Codable {
    public var id: String
    public var sourceID: String?
    /// Order on its page, from 0.
    public var position: Int
    /// `article`, `caption`, `column`, or `note` for one added by hand.
    public var kind: String
    public var title: String
    public var subtitle: String
    public var kicker: String
    public var byline: String
    public var dateline: String
    /// Cleaned text, paragraphs separated by a blank line.
    public var body: String
    /// `（上接第1版）` and `（下转第2版）` as printed, joined by "\n"; empty for most articles.
    public var continuation: String
    /// Milliseconds since 1970.
    public var createdAt: Int64
    public var updatedAt: Int64
    public var isDeleted: Bool

    public init(
        id: String, sourceID: String? = nil, position: Int = 0, kind: String = "article", title: String,
        subtitle: String = "", kicker: String = "", byline: String = "", dateline: String = "", body: String,
        continuation: String = "", createdAt: Int64, updatedAt: Int64? = nil, isDeleted: Bool = false
    ) {
        self.id = id
        self.sourceID = sourceID
        self.position = position
        self.kind = kind
        self.title = title
        self.subtitle = subtitle
        self.kicker = kicker
        self.byline = byline
        self.dateline = dateline
        self.body = body
        self.continuation = continuation
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.isDeleted = isDeleted
    }

    /// The fields a user can edit, and that sync carries one by one.
    public static let textFields: [ChangeField] = [.title, .subtitle, .kicker, .byline, .dateline, .body]

    /// The fields that say where the article comes from (and goes on to): changed by `kb import --update`.
    public static let placeFields: [ChangeField] = [.sourceID, .position, .continuation]

    /// Sets a text field by name.
    public mutating func setText(_ field: ChangeField, _ value: String) {
        switch field {
        case .title: title = value
        case .subtitle: subtitle = value
        case .kicker: kicker = value
        case .byline: byline = value
        case .dateline: dateline = value
        case .body: body = value
        default: preconditionFailure("Article has no text field '\(field.rawValue)'")
        }
    }

    /// Every text field, whitespace removed: what search exactness and "nothing lost" are measured on.
    public var searchableText: String {
        TextCleaner.removingWhitespace([kicker, title, subtitle, byline, dateline, body].joined())
    }
}

// MARK: - Database

extension Article: FetchableRecord {
    /// The columns ``init(columnsOf:from:)`` reads, in its order.
    private static let columnNames = [
        "id", "source_id", "position", "kind", "title", "subtitle", "kicker", "byline", "dateline", "body",
        "continuation", "created_at", "updated_at", "deleted",
    ]

    /// The columns ``init(columnsOf:from:)`` reads, in its order, each after `alias` and a dot.
    static func columns(of alias: String) -> String {
        columnNames.map { alias + "." + $0 }.joined(separator: ", ")
    }

    /// How many columns ``columns(of:)`` names.
    static var columnCount: Int { columnNames.count }

    /// An article from the columns of `row` that ``columns(of:)`` names, from `start` on: read by position,
    /// without a lookup of each column's name, which counts when a search reads its hits.
    init(columnsOf row: Row, from start: Int = 0) {
        self.init(
            id: row[start], sourceID: row[start + 1], position: row[start + 2], kind: row[start + 3],
            title: row[start + 4], subtitle: row[start + 5], kicker: row[start + 6], byline: row[start + 7],
            dateline: row[start + 8], body: row[start + 9], continuation: row[start + 10] ?? "",
            createdAt: row[start + 11], updatedAt: row[start + 12], isDeleted: row[start + 13])
    }

    public init(row: Row) throws {
        self.init(
            id: row["id"], sourceID: row["source_id"], position: row["position"], kind: row["kind"],
            title: row["title"], subtitle: row["subtitle"], kicker: row["kicker"], byline: row["byline"],
            dateline: row["dateline"], body: row["body"], continuation: row["continuation"] ?? "",
            createdAt: row["created_at"], updatedAt: row["updated_at"], isDeleted: row["deleted"])
    }

    /// Inserts the row, or updates it; the full-text index follows in the same transaction.
    public func save(_ db: Database) throws {
        let arguments: StatementArguments = [
            sourceID, position, kind, title, subtitle, kicker, byline, dateline, body, continuation, createdAt,
            updatedAt, isDeleted, id,
        ]
        if try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM articles WHERE id = ?"), arguments: [id]) == true {
            // The update trigger moves the indexed text.
            try db.cachedStatement(
                sql: """
                    UPDATE articles SET source_id = ?, position = ?, kind = ?, title = ?, subtitle = ?, kicker = ?,
                        byline = ?, dateline = ?, body = ?, continuation = ?, created_at = ?, updated_at = ?,
                        deleted = ?
                    WHERE id = ?
                    """
            ).execute(arguments: arguments)
            return
        }
        try insert(db)
    }

    /// Inserts a new row and indexes it.
    public func insert(_ db: Database) throws {
        if let rowid = try insertRow(db) { try index(db, rowid: rowid) }
    }

    /// Inserts a new row without its full-text entries.
    ///
    /// - Returns: The row id to index (``index(_:rowid:)``, in the same transaction and before the row
    ///   changes), or nil when the article is deleted and stays out of the indexes.
    public func insertRow(_ db: Database) throws -> Int64? {
        try db.cachedStatement(
            sql: """
                INSERT INTO articles (source_id, position, kind, title, subtitle, kicker, byline, dateline, body,
                                      continuation, created_at, updated_at, deleted, id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            sourceID, position, kind, title, subtitle, kicker, byline, dateline, body, continuation, createdAt,
            updatedAt, isDeleted, id,
        ])
        guard !isDeleted else { return nil }
        return db.lastInsertedRowID
    }

    /// Adds the full-text entries of the row inserted by ``insertRow(_:)``.
    ///
    /// Indexed by the code that inserts rather than by a trigger, so that a bulk insert can add the entries
    /// of many rows together (``PendingIndex``).
    public func index(_ db: Database, rowid: Int64) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO articles_fts (rowid, body, title, subtitle, kicker, byline, dateline)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [rowid, body, title, subtitle, kicker, byline, dateline])
        try db.cachedStatement(sql: "INSERT INTO articles_chars (rowid, text) VALUES (?, ?)")
            .execute(arguments: [rowid, body + title + subtitle + kicker + byline + dateline])
    }

    /// The article with this exact id, deleted or not.
    public static func fetch(_ db: Database, id: String) throws -> Article? {
        try Article.fetchOne(db.cachedStatement(sql: "SELECT * FROM articles WHERE id = ?"), arguments: [id])
    }
}

// MARK: - Creation value

/// What a change that creates an article carries: every field at creation.
public struct ArticleCreation: Codable, Sendable, Equatable {
    public var kind: String
    public var sourceID: String?
    public var position: Int
    public var title: String
    public var subtitle: String
    public var kicker: String
    public var byline: String
    public var dateline: String
    public var body: String
    /// Empty unless the page printed `（上接第1版）` or `（下转第2版）`; then the key is in the JSON.
    public var continuation: String
    public var createdAt: Int64

    enum CodingKeys: String, CodingKey {
        case kind, position, title, subtitle, kicker, byline, dateline, body, continuation
        case sourceID = "source_id"
        case createdAt = "created_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(String.self, forKey: .kind)
        sourceID = try container.decodeIfPresent(String.self, forKey: .sourceID)
        position = try container.decode(Int.self, forKey: .position)
        title = try container.decode(String.self, forKey: .title)
        subtitle = try container.decode(String.self, forKey: .subtitle)
        kicker = try container.decode(String.self, forKey: .kicker)
        byline = try container.decode(String.self, forKey: .byline)
        dateline = try container.decode(String.self, forKey: .dateline)
        body = try container.decode(String.self, forKey: .body)
        continuation = try container.decodeIfPresent(String.self, forKey: .continuation) ?? ""
        createdAt = try container.decode(Int64.self, forKey: .createdAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(sourceID, forKey: .sourceID)
        try container.encode(position, forKey: .position)
        try container.encode(title, forKey: .title)
        try container.encode(subtitle, forKey: .subtitle)
        try container.encode(kicker, forKey: .kicker)
        try container.encode(byline, forKey: .byline)
        try container.encode(dateline, forKey: .dateline)
        try container.encode(body, forKey: .body)
        if !continuation.isEmpty { try container.encode(continuation, forKey: .continuation) }
        try container.encode(createdAt, forKey: .createdAt)
    }

    public init(_ article: Article) {
        kind = article.kind
        sourceID = article.sourceID
        position = article.position
        title = article.title
        subtitle = article.subtitle
        kicker = article.kicker
        byline = article.byline
        dateline = article.dateline
        body = article.body
        continuation = article.continuation
        createdAt = article.createdAt
    }

    /// The creation as compact JSON with sorted keys, written directly (the hot path of imports).
    public var jsonText: String {
        Self.jsonHead(body: body, byline: byline, continuation: continuation) + jsonTail
    }

    /// The start of ``jsonText``, up to the creation time: the body, most of the bytes, which an import
    /// compresses before the time is stamped (``CompressedText/head(_:)``).
    static func jsonHead(body: String, byline: String, continuation: String) -> String {
        var out = "{\"body\":" + JSONText.string(body) + ",\"byline\":" + JSONText.string(byline)
        if !continuation.isEmpty { out += ",\"continuation\":" + JSONText.string(continuation) }
        return out + ",\"created_at\":"
    }

    /// The rest of ``jsonText`` from the creation time on.
    var jsonTail: String {
        var out = "\(createdAt),\"dateline\":" + JSONText.string(dateline)
        out += ",\"kicker\":" + JSONText.string(kicker) + ",\"kind\":" + JSONText.string(kind)
        out += ",\"position\":\(position),\"source_id\":" + (sourceID.map(JSONText.string) ?? "null")
        out += ",\"subtitle\":" + JSONText.string(subtitle) + ",\"title\":" + JSONText.string(title) + "}"
        return out
    }

    public func article(id: String, updatedAt: Int64) -> Article {
        Article(
            id: id, sourceID: sourceID, position: position, kind: kind, title: title, subtitle: subtitle,
            kicker: kicker, byline: byline, dateline: dateline, body: body, continuation: continuation,
            createdAt: createdAt, updatedAt: updatedAt)
    }
}
