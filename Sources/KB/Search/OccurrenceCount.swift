import GRDB
import GRDBSQLite

#if canImport(Glibc)
import Glibc
#endif

/// The SQL function `kb_count(text, c1, c2, …)`: how many times any of the characters `c1, c2, …` occurs
/// in `text` (0 for NULL).
///
/// One-character queries rank by these counts over every article that holds the character. The
/// function reads SQLite's own bytes of the text and searches them in place, where the
/// `length(x) - length(replace(x, c, ''))` it replaces made a copy of every text for every form.
enum OccurrenceCount {
    static let name = "kb_count"

    /// Registers the function on `db`.
    static func register(on db: Database) {
        sqlite3_create_function_v2(
            db.sqliteConnection, name, -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nil,
            { context, count, values in
                guard let values, count >= 1, let text = sqlite3_value_text(values[0]) else {
                    sqlite3_result_int64(context, 0)
                    return
                }
                let length = Int(sqlite3_value_bytes(values[0]))
                var total: Int64 = 0
                for index in 1..<Int(count) {
                    guard let needle = sqlite3_value_text(values[index]) else { continue }
                    let size = Int(sqlite3_value_bytes(values[index]))
                    guard size > 0 else { continue }
                    total += OccurrenceCount.occurrences(of: needle, size: size, in: text, length: length)
                }
                sqlite3_result_int64(context, total)
            }, nil, nil, nil)
    }

    /// The non-overlapping occurrences of the `size` bytes at `needle` in the `length` bytes at `text`:
    /// `memchr` finds each candidate first byte, then the rest is compared.
    static func occurrences(
        of needle: UnsafePointer<UInt8>, size: Int, in text: UnsafePointer<UInt8>, length: Int
    ) -> Int64 {
        var found: Int64 = 0
        var offset = 0
        let first = Int32(needle[0])
        while length - offset >= size {
            guard let hit = memchr(text + offset, first, length - offset) else { break }
            let at = UnsafeRawPointer(hit) - UnsafeRawPointer(text)
            guard length - at >= size else { break }
            if memcmp(text + at, needle, size) == 0 {
                found += 1
                offset = at + size
            } else {
                offset = at + 1
            }
        }
        return found
    }
}
