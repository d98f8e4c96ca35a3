import Foundation
public import GRDB
import GRDBSQLite

/// A highlight with an optional note, or a note on a whole article (empty quote).
public struct Annotation: Sendable, Equatable, Codable {
    public var id: String
    public var articleID: String
    /// The exact text highlighted when the annotation was made (kept when it moves by approximation).
    public var quote: String
    public var prefix: String
    public var suffix: String
    /// Where it was made, in code points.
    public var anchorStart: Int?
    public var anchorEnd: Int?
    /// Where it stands in the article's current text, in code points; nil when orphaned or on a whole article.
    public var start: Int?
    public var end: Int?
    public var state: AnchorState
    /// Markdown text.
    public var note: String
    public var color: String
    public var tags: [String]
    public var createdAt: Int64
    public var updatedAt: Int64
    public var isDeleted: Bool

    public init(
        id: String, articleID: String, quote: String, prefix: String, suffix: String, anchorStart: Int?,
        anchorEnd: Int?, start: Int?, end: Int?, state: AnchorState, note: String, color: String,
        tags: [String] = [], createdAt: Int64, updatedAt: Int64, isDeleted: Bool = false
    ) {
        self.id = id
        self.articleID = articleID
        self.quote = quote
        self.prefix = prefix
        self.suffix = suffix
        self.anchorStart = anchorStart
        self.anchorEnd = anchorEnd
        self.start = start
        self.end = end
        self.state = state
        self.note = note
        self.color = color
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.isDeleted = isDeleted
    }

    /// The selector as made.
    public var selector: AnchorSelector {
        AnchorSelector(quote: quote, prefix: prefix, suffix: suffix, start: anchorStart ?? 0)
    }
}

// MARK: - Database

extension Annotation: FetchableRecord {
    public init(row: Row) throws {
        let stateName: String = row["state"]
        self.init(
            id: row["id"], articleID: row["article_id"], quote: row["quote"], prefix: row["prefix"],
            suffix: row["suffix"], anchorStart: row["anchor_start"], anchorEnd: row["anchor_end"],
            start: row["start"], end: row["end"], state: AnchorState(rawValue: stateName) ?? .orphaned,
            note: row["note"], color: row["color"], createdAt: row["created_at"], updatedAt: row["updated_at"],
            isDeleted: row["deleted"])
    }

    /// The columns ``fetchByColumns(_:sql:arguments:)`` reads, in its order.
    static let columns = """
        id, article_id, quote, prefix, suffix, anchor_start, anchor_end, start, "end", state, note, color,
        created_at, updated_at, deleted
        """

    /// Annotations from a query that selects ``columns``: read by position, straight from SQLite's
    /// columns, for long listings (`kb notes` over 100,000 annotations); `expected` is about how many rows
    /// come, to allocate once.
    ///
    /// - Returns: The annotations, in the query's order.
    /// - Throws: A database error.
    static func fetchByColumns(
        _ db: Database, sql: String, arguments: StatementArguments, expected: Int = 0
    ) throws -> [Annotation] {
        var articleIDs = TextInterner()
        var keys: [ListingKey]? = nil
        return try fetchByColumns(
            db, sql: sql, arguments: arguments, expected: expected, articleIDs: &articleIDs, keys: &keys)
    }

    /// As ``fetchByColumns(_:sql:arguments:expected:)``, the annotations of one article sharing one copy of its id.
    ///
    /// `articleIDs` ends holding every article id read. When `keys` is not nil, the query selects the row id
    /// after ``columns``, and `keys` gets each annotation's ``ListingKey``, in the same order.
    static func fetchByColumns(
        _ db: Database, sql: String, arguments: StatementArguments, expected: Int, articleIDs: inout TextInterner,
        keys: inout [ListingKey]?
    ) throws -> [Annotation] {
        var result: [Annotation] = []
        result.reserveCapacity(expected)
        keys?.reserveCapacity(expected)
        let statement = try db.makeStatement(sql: sql)
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        let handle = statement.sqliteStatement
        while try rows.next() != nil {
            let createdAt = sqlite3_column_int64(handle, 12)
            keys?.append(
                ListingKey(
                    createdAt: createdAt,
                    idHead: ListingKey.head(sqlite3_column_text(handle, 0), count: sqlite3_column_bytes(handle, 0)),
                    rowid: sqlite3_column_int64(handle, 15)))
            result.append(
                Annotation(
                    id: ColumnReader.text(handle, 0), articleID: articleIDs.text(handle, 1),
                    quote: ColumnReader.text(handle, 2), prefix: ColumnReader.text(handle, 3),
                    suffix: ColumnReader.text(handle, 4), anchorStart: ColumnReader.optionalInt(handle, 5),
                    anchorEnd: ColumnReader.optionalInt(handle, 6), start: ColumnReader.optionalInt(handle, 7),
                    end: ColumnReader.optionalInt(handle, 8),
                    state: AnchorState(rawValue: ColumnReader.text(handle, 9)) ?? .orphaned,
                    note: ColumnReader.text(handle, 10), color: ColumnReader.text(handle, 11),
                    createdAt: createdAt, updatedAt: sqlite3_column_int64(handle, 13),
                    isDeleted: sqlite3_column_int64(handle, 14) != 0))
        }
        return result
    }

    /// Inserts the row, or updates it; the full-text index follows in the same transaction.
    public func save(_ db: Database) throws {
        let arguments: StatementArguments = [
            articleID, quote, prefix, suffix, anchorStart, anchorEnd, start, end, state.rawValue, note, color,
            createdAt, updatedAt, isDeleted, id,
        ]
        if try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM annotations WHERE id = ?"), arguments: [id]) == true
        {
            try db.cachedStatement(
                sql: """
                    UPDATE annotations SET article_id = ?, quote = ?, prefix = ?, suffix = ?, anchor_start = ?,
                        anchor_end = ?, start = ?, "end" = ?, state = ?, note = ?, color = ?, created_at = ?,
                        updated_at = ?, deleted = ?
                    WHERE id = ?
                    """
            ).execute(arguments: arguments)
            return
        }
        try insert(db)
    }

    /// Inserts a new row and indexes it (the caller knows there is no row with its id).
    public func insert(_ db: Database) throws {
        if let rowid = try insertRow(db) { try index(db, rowid: rowid) }
    }

    /// Inserts a new row without its full-text entry (the caller knows there is no row with its id).
    ///
    /// - Returns: The row id to index (``index(_:rowid:)``, in the same transaction and before the row
    ///   changes), or nil when the annotation is deleted and stays out of the index.
    public func insertRow(_ db: Database) throws -> Int64? {
        try db.cachedStatement(
            sql: """
                INSERT INTO annotations (article_id, quote, prefix, suffix, anchor_start, anchor_end, start, "end",
                                         state, note, color, created_at, updated_at, deleted, id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            articleID, quote, prefix, suffix, anchorStart, anchorEnd, start, end, state.rawValue, note, color,
            createdAt, updatedAt, isDeleted, id,
        ])
        guard !isDeleted else { return nil }
        return db.lastInsertedRowID
    }

    /// Adds the full-text entry of the row inserted by ``insertRow(_:)``.
    public func index(_ db: Database, rowid: Int64) throws {
        try db.cachedStatement(sql: "INSERT INTO annotations_fts (rowid, note, quote) VALUES (?, ?, ?)")
            .execute(arguments: [rowid, note, quote])
    }

    public static func fetch(_ db: Database, id: String) throws -> Annotation? {
        try Annotation.fetchOne(db.cachedStatement(sql: "SELECT * FROM annotations WHERE id = ?"), arguments: [id])
    }
}

/// What a change that creates an annotation carries.
public struct AnnotationCreation: Codable, Sendable, Equatable {
    public var articleID: String
    public var quote: String
    public var prefix: String
    public var suffix: String
    public var start: Int?
    public var end: Int?
    public var note: String
    public var color: String
    public var createdAt: Int64

    enum CodingKeys: String, CodingKey {
        case quote, prefix, suffix, start, end, note, color
        case articleID = "article_id"
        case createdAt = "created_at"
    }

    public init(_ annotation: Annotation) {
        articleID = annotation.articleID
        quote = annotation.quote
        prefix = annotation.prefix
        suffix = annotation.suffix
        start = annotation.anchorStart
        end = annotation.anchorEnd
        note = annotation.note
        color = annotation.color
        createdAt = annotation.createdAt
    }

    /// The annotation as created, not yet anchored in any text.
    public func annotation(id: String, updatedAt: Int64) -> Annotation {
        Annotation(
            id: id, articleID: articleID, quote: quote, prefix: prefix, suffix: suffix, anchorStart: start,
            anchorEnd: end, start: start, end: end, state: .anchored, note: note, color: color,
            createdAt: createdAt, updatedAt: updatedAt)
    }
}

/// What a change that creates a tag membership carries.
public struct TagCreation: Codable, Sendable, Equatable {
    public var entity: String
    public var entityID: String
    public var tag: String
    public var present: Bool

    enum CodingKeys: String, CodingKey {
        case entity, tag, present
        case entityID = "entity_id"
    }

    public init(entity: String, entityID: String, tag: String, present: Bool) {
        self.entity = entity
        self.entityID = entityID
        self.tag = tag
        self.present = present
    }
}

/// Values of the current row of a stepped statement, read without `Row`'s checks: for columns whose
/// type the query fixes.
enum ColumnReader {
    /// A text column; NULL reads as "".
    @inline(__always)
    static func text(_ statement: SQLiteStatement, _ index: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, index) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, index))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// An integer column that may be NULL.
    @inline(__always)
    static func optionalInt(_ statement: SQLiteStatement, _ index: Int32) -> Int? {
        sqlite3_column_type(statement, index) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(statement, index))
    }
}

/// What a listing of annotations is sorted by, read beside each annotation: comparing two reads no string
/// unless their times and the first 8 bytes of their ids are equal.
struct ListingKey {
    var createdAt: Int64
    /// The id's first 8 bytes, big-endian (zeros past its end): ordered as the ids' bytes are.
    var idHead: UInt64
    /// The annotation's row.
    var rowid: Int64

    static func head(_ bytes: UnsafePointer<UInt8>?, count: Int32) -> UInt64 {
        guard let bytes else { return 0 }
        var head: UInt64 = 0
        for index in 0..<8 { head = head << 8 | UInt64(index < count ? bytes[index] : 0) }
        return head
    }

    /// The key of an annotation in hand (no row).
    init(_ annotation: Annotation) {
        var id = annotation.id
        self.init(
            createdAt: annotation.createdAt,
            idHead: id.withUTF8 { Self.head($0.baseAddress, count: Int32($0.count)) }, rowid: 0)
    }

    init(createdAt: Int64, idHead: UInt64, rowid: Int64) {
        self.createdAt = createdAt
        self.idHead = idHead
        self.rowid = rowid
    }
}

/// Text columns that repeat (the article id of many annotations) read into one shared string each.
///
/// A string is made once per distinct value; later rows equal to it get the same storage: no allocation,
/// no UTF-8 check, and one release when the listing is freed.
struct TextInterner {
    /// By a hash of the bytes; a hash shared by two values keeps the first, and the second is made each time.
    private var strings: [UInt64: String] = [:]
    /// Values that met another's hash: rare, kept so that ``values`` is whole.
    private var collided: Set<String> = []

    /// Every distinct value read so far.
    var values: [String] { Array(strings.values) + collided }

    /// The column's text, shared with equal values read before; NULL reads as "".
    @inline(__always)
    mutating func text(_ statement: SQLiteStatement, _ index: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, index) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, index))
        guard count > 0 else { return "" }
        let buffer = UnsafeBufferPointer(start: bytes, count: count)
        // FNV-1a: ids are short, and a collision only costs a fresh string.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in buffer { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        if var known = strings[hash] {
            let same = known.withUTF8 { stored in
                guard let base = stored.baseAddress, stored.count == count else { return false }
                return memcmp(base, bytes, count) == 0
            }
            if same { return known }
            let text = String(decoding: buffer, as: UTF8.self)
            collided.insert(text)
            return text
        }
        let text = String(decoding: buffer, as: UTF8.self)
        strings[hash] = text
        return text
    }
}
