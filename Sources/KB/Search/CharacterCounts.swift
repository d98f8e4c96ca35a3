import Foundation
import GRDB
import GRDBSQLite

/// How often characters occur in each article, read from the count tokens of the character index
/// (``CharacterTokenizer``): `C` in an article's list says it holds the character, and `C#k` that bit k of
/// its count minus one is set.
enum CharacterCounts {
    /// The bits of a count the index holds: enough for any article shorter than 16 million characters.
    static let bits = 24

    /// The articles that hold a character, in rowid order, and how often each holds it.
    struct Counts: Equatable {
        var rowids: [Int64] = []
        var values: [Int] = []

        var isEmpty: Bool { rowids.isEmpty }

        /// The count of each article, by rowid.
        var byRowid: [Int64: Int] { Dictionary(uniqueKeysWithValues: zip(rowids, values)) }

        /// The position of `rowid` in ``rowids``, found by halving.
        func index(of rowid: Int64) -> Int? {
            var (low, high) = (0, rowids.count)
            while low < high {
                let middle = (low + high) / 2
                if rowids[middle] < rowid { low = middle + 1 } else { high = middle }
            }
            return low < rowids.count && rowids[low] == rowid ? low : nil
        }

        /// The articles of both, each with the sum of its two counts: the two walked side by side.
        func intersection(_ other: Counts) -> Counts {
            var result = Counts()
            var index = 0
            for (rowid, value) in zip(rowids, values) {
                while index < other.rowids.count && other.rowids[index] < rowid { index += 1 }
                guard index < other.rowids.count, other.rowids[index] == rowid else { continue }
                result.rowids.append(rowid)
                result.values.append(value + other.values[index])
            }
            return result
        }

        /// Keeps the articles that pass `isIncluded`.
        mutating func keep(where isIncluded: (Int64) -> Bool) {
            var kept = Counts()
            for (rowid, value) in zip(rowids, values) where isIncluded(rowid) {
                kept.rowids.append(rowid)
                kept.values.append(value)
            }
            self = kept
        }
    }

    /// For each article that holds `character` (in any of its variant forms), how many times it occurs in
    /// all its fields together.
    ///
    /// The character's list and its count lists are read in one statement, by FTS5 itself
    /// (``PhraseLists``): reading them a row at a time through SQL cost more than the index lookups.
    static func counts(_ db: Database, of character: String) throws -> Counts {
        let lists = try PhraseLists.lists(db, of: [character] + (0..<bits).map { character + "#\($0)" })
        guard let holding = lists.first, !holding.isEmpty else { return Counts() }
        let countLists = Array(lists.dropFirst())
        if let values = merged(holding, countLists) { return Counts(rowids: holding, values: values) }
        var counts: [Int64: Int] = [:]
        for rowid in holding { counts[rowid] = 1 }
        for (bit, list) in countLists.enumerated() {
            for rowid in list { counts[rowid, default: 1] += 1 << bit }
        }
        let rowids = counts.keys.sorted()
        return Counts(rowids: rowids, values: rowids.map { counts[$0] ?? 1 })
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

    /// The size of every article in the text index (or of `rowids` only, when not nil), in rowid order,
    /// from its `docsize` table.
    static func sizes(_ db: Database, of rowids: [Int64]? = nil, _ body: (_ rowid: Int64, _ size: Int) -> Void)
        throws
    {
        let statement: Statement
        let rows: RowCursor
        if let rowids {
            statement = try db.makeStatement(
                sql: "SELECT id, sz FROM articles_fts_docsize WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id")
            rows = try Row.fetchCursor(statement, arguments: [jsonArray(rowids)])
        } else {
            statement = try db.makeStatement(sql: "SELECT id, sz FROM articles_fts_docsize ORDER BY id")
            rows = try Row.fetchCursor(statement)
        }
        // Read from SQLite's statement itself: this may visit every article.
        let handle = statement.sqliteStatement
        while try rows.next() != nil {
            let record = UnsafeRawBufferPointer(
                start: sqlite3_column_blob(handle, 1), count: Int(sqlite3_column_bytes(handle, 1)))
            body(sqlite3_column_int64(handle, 0), totalSize(record))
        }
    }

    /// `rowids` as a JSON array, for a statement to read them with `json_each`.
    static func jsonArray(_ rowids: [Int64]) -> String {
        "[" + rowids.map(String.init).joined(separator: ",") + "]"
    }
}
