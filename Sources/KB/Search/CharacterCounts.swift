import Foundation
import GRDB
import GRDBSQLite

/// How often characters occur in each article, read from the count tokens of the character index
/// (``CharacterTokenizer``): `C` in an article's list says it holds the character, and `C#k` that bit k of
/// its count minus one is set.
enum CharacterCounts {
    /// The bits of a count the index holds: enough for any article shorter than 16 million characters.
    static let bits = 24

    /// For each article that holds `character` (in any of its variant forms), how many times it occurs in
    /// all its fields together.
    static func counts(_ db: Database, of character: String) throws -> [Int64: Int] {
        let holding = try articles(db, holding: character)
        guard !holding.isEmpty else { return [:] }
        let lists = try (0..<bits).map { bit in try articles(db, holding: character + "#\(bit)") }
        var counts: [Int64: Int] = [:]
        counts.reserveCapacity(holding.count)
        if let values = merged(holding, lists) {
            for (rowid, value) in zip(holding, values) { counts[rowid] = value }
            return counts
        }
        for rowid in holding { counts[rowid] = 1 }
        for (bit, list) in lists.enumerated() {
            for rowid in list { counts[rowid, default: 1] += 1 << bit }
        }
        return counts
    }

    /// Each count of `holding`, from the count lists (`lists[k]` the articles with bit k set), found by walking
    /// the lists side by side as the index gives them, in rowid order; nil when a list is out of order or
    /// names an article `holding` lacks, for the caller to count them one by one.
    static func merged(_ holding: [Int64], _ lists: [[Int64]]) -> [Int]? {
        guard zip(holding, holding.dropFirst()).allSatisfy({ $0 < $1 }) else { return nil }
        var values = [Int](repeating: 1, count: holding.count)
        for (bit, list) in lists.enumerated() {
            var index = 0
            for rowid in list {
                while index < holding.count && holding[index] < rowid { index += 1 }
                guard index < holding.count, holding[index] == rowid else { return nil }
                values[index] += 1 << bit
                index += 1
            }
        }
        return values
    }

    /// The articles whose list in the character index holds `token` (a character, or a count token), in
    /// rowid order.
    static func articles(_ db: Database, holding token: String) throws -> [Int64] {
        let statement = try db.cachedStatement(sql: "SELECT rowid FROM articles_chars WHERE articles_chars MATCH ?")
        // Read from SQLite's statement itself: a generic cursor costs more than the index lookup for a common character.
        let rows = try Row.fetchCursor(statement, arguments: ["\"" + token + "\""])
        let handle = statement.sqliteStatement
        var result: [Int64] = []
        while try rows.next() != nil { result.append(sqlite3_column_int64(handle, 0)) }
        return result
    }

    /// The tokens of an article in all columns, from its row of FTS5's `docsize` table: a varint per column.
    static func totalSize(_ record: UnsafeRawBufferPointer) -> Int {
        var total = 0
        var value = 0
        for byte in record {
            value = value << 7 | Int(byte & 0x7f)
            if byte & 0x80 == 0 {
                total += value
                value = 0
            }
        }
        return total
    }

    /// The size of every article in the text index, in rowid order, from its `docsize` table.
    static func sizes(_ db: Database, _ body: (_ rowid: Int64, _ size: Int) -> Void) throws {
        let statement = try db.makeStatement(sql: "SELECT id, sz FROM articles_fts_docsize")
        // Read from SQLite's statement itself: this visits every article.
        let rows = try Row.fetchCursor(statement)
        let handle = statement.sqliteStatement
        while try rows.next() != nil {
            let record = UnsafeRawBufferPointer(
                start: sqlite3_column_blob(handle, 1), count: Int(sqlite3_column_bytes(handle, 1)))
            body(sqlite3_column_int64(handle, 0), totalSize(record))
        }
    }
}
