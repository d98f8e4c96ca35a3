import Foundation
import GRDB

/// How often characters occur in each article, read from the count tokens of the character index
/// (``CharacterTokenizer``): `C` in an article's list says it holds the character, and `C#k` that bit k of
/// its count minus one is set.
enum CharacterCounts {
    /// The bits of a count the index holds: enough for any article shorter than 16 million characters.
    static let bits = 24

    /// For each article that holds `character` (in any of its variant forms), how many times it occurs in
    /// all its fields together.
    static func counts(_ db: Database, of character: String) throws -> [Int64: Int] {
        var counts: [Int64: Int] = [:]
        for rowid in try articles(db, holding: character) { counts[rowid] = 1 }
        guard !counts.isEmpty else { return counts }
        for bit in 0..<bits {
            for rowid in try articles(db, holding: character + "#\(bit)") { counts[rowid, default: 1] += 1 << bit }
        }
        return counts
    }

    /// The articles whose list in the character index holds `token` (a character, or a count token).
    static func articles(_ db: Database, holding token: String) throws -> [Int64] {
        try Int64.fetchAll(
            db.cachedStatement(sql: "SELECT rowid FROM articles_chars WHERE articles_chars MATCH ?"),
            arguments: ["\"" + token + "\""])
    }

    /// The tokens of an article in all columns, from its row of FTS5's `docsize` table: a varint per column.
    static func totalSize(_ record: Data) -> Int {
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
}
