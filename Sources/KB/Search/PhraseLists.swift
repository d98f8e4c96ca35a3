import GRDB
import GRDBSQLite

/// The FTS5 function `kb_lists(articles_chars)`: the rowids of the articles that hold each phrase of the
/// query, read by FTS5 itself (`xQueryPhrase`).
///
/// A one-character query reads the character's list and its count lists (``CharacterCounts``): tens of
/// thousands of rowids for a common character. Read a row at a time through SQL, each rowid cost several
/// times what FTS5 spends finding it; called on the first row of a query that names every list
/// (`"的" OR "的#0" OR …`), this function walks them all inside FTS5 and hands them back at once.
enum PhraseLists {
    static let name = "kb_lists"

    /// Registers the function on `db`.
    static func register(on db: Database) {
        let api = FTS5.api(db)
        _ = api.pointee.xCreateFunction(
            UnsafeMutablePointer(mutating: api), name, nil,
            { api, fts, context, _, _ in
                guard let api, let fts else { return }
                var record: [Int64] = []
                let code = PhraseLists.collect(api, fts, into: &record)
                guard code == SQLITE_OK else {
                    sqlite3_result_error_code(context, code)
                    return
                }
                record.withUnsafeBytes { bytes in
                    sqlite3_result_blob64(
                        context, bytes.baseAddress, sqlite3_uint64(bytes.count),
                        unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self))
                }
            }, nil)
    }

    /// Appends to `record`, for each phrase of the current query in turn, how many articles hold it and
    /// their rowids in rowid order; an SQLite error code when FTS5 fails.
    private static func collect(
        _ api: UnsafePointer<Fts5ExtensionApi>, _ fts: OpaquePointer, into record: inout [Int64]
    ) -> Int32 {
        let phrases = api.pointee.xPhraseCount(fts)
        for phrase in 0..<phrases {
            let start = record.count
            record.append(0)
            let code = withUnsafeMutablePointer(to: &record) { pointer in
                api.pointee.xQueryPhrase(fts, phrase, pointer) { api, fts, data in
                    guard let api, let data else { return SQLITE_ERROR }
                    data.assumingMemoryBound(to: [Int64].self).pointee.append(api.pointee.xRowid(fts))
                    return SQLITE_OK
                }
            }
            guard code == SQLITE_OK else { return code }
            record[start] = Int64(record.count - start - 1)
        }
        return SQLITE_OK
    }

    /// The articles whose list in the character index holds each of `tokens` (characters, or count tokens),
    /// each list in rowid order; all empty when no article holds any of them.
    static func lists(_ db: Database, of tokens: [String]) throws -> [[Int64]] {
        let statement = try db.cachedStatement(
            sql: "SELECT \(name)(articles_chars) FROM articles_chars WHERE articles_chars MATCH ? LIMIT 1")
        let expression = tokens.map { "\"" + $0 + "\"" }.joined(separator: " OR ")
        let rows = try Row.fetchCursor(statement, arguments: [expression])
        var lists = [[Int64]](repeating: [], count: tokens.count)
        guard try rows.next() != nil else { return lists }
        let handle = statement.sqliteStatement
        let size = Int(sqlite3_column_bytes(handle, 0)) / MemoryLayout<Int64>.size
        guard size > 0, let blob = sqlite3_column_blob(handle, 0) else { return lists }
        var record = [Int64](repeating: 0, count: size)
        record.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: blob, count: $0.count)) }
        var offset = 0
        for index in lists.indices where offset < record.count {
            let count = Int(record[offset])
            guard count >= 0, offset + 1 + count <= record.count else {
                throw KBError(.damaged, "The character index gave lists that do not add up; run 'kb check'.")
            }
            lists[index] = Array(record[(offset + 1)..<(offset + 1 + count)])
            offset += 1 + count
        }
        return lists
    }
}
