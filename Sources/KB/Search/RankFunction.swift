import Foundation
import GRDB
import GRDBSQLite

/// The FTS5 auxiliary function `kb_bm25(table, sizes, w1, w2, …)`: FTS5's own `bm25(table, w1, w2, …)`, the same
/// formula with the same figures, except that it reads the row's size from `sizes`, the row's record in the
/// table's `docsize` table (a varint per column), which the query joins in.
///
/// `bm25()` looks each matching row's size up with a statement of its own; for a common term that is a third of
/// a search's work, where the join reads it in the same pass. A NULL `sizes` (a row the `docsize` table lacks)
/// asks FTS5 for the size, as `bm25()` does.
///
/// ```sql
/// SELECT articles_fts.rowid, kb_bm25(articles_fts, d.sz, 1.0, 10.0) FROM articles_fts
/// LEFT JOIN articles_fts_docsize d ON d.id = articles_fts.rowid WHERE articles_fts MATCH ?
/// ```
enum RankFunction {
    static let name = "kb_bm25"

    /// FTS5's constants: k1, and b for the weight of the row's size.
    private static let (k1, b) = (1.2, 0.75)

    /// Registers the function on `db`.
    ///
    /// - Throws: A database error when FTS5 refuses it.
    static func register(on db: Database) throws {
        let api = UnsafeMutablePointer(mutating: FTS5.api(db))
        guard let create = api.pointee.xCreateFunction else { return }
        let code = create(api, name, nil, { RankFunction.rank($0, $1, $2, $3, $4) }, nil)
        guard code == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot register \(name)")
        }
    }

    /// What is computed once per query: each phrase's IDF, the average size of a row and the API calls the
    /// function makes; and room for the phrases' frequencies in the current row, used row after row.
    private final class Statistics {
        let idf: UnsafeMutableBufferPointer<Double>
        let frequencies: UnsafeMutableBufferPointer<Double>
        let averageSize: Double
        let calls: Calls

        init(idf: [Double], averageSize: Double, calls: Calls) {
            self.calls = calls
            self.idf = .allocate(capacity: idf.count)
            _ = self.idf.initialize(from: idf)
            frequencies = .allocate(capacity: idf.count)
            frequencies.initialize(repeating: 0)
            self.averageSize = averageSize
        }

        deinit {
            idf.deallocate()
            frequencies.deallocate()
        }
    }

    /// The calls of FTS5's extension API that the function makes.
    private struct Calls {
        let instCount: @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?) -> Int32
        let inst:
            @convention(c) (
                OpaquePointer?, Int32, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?,
                UnsafeMutablePointer<Int32>?
            ) -> Int32
        let columnSize: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<Int32>?) -> Int32
        let rowCount: @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int64>?) -> Int32
        let columnTotalSize: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<Int64>?) -> Int32
        let phraseCount: @convention(c) (OpaquePointer?) -> Int32
        let queryPhrase:
            @convention(c) (
                OpaquePointer?, Int32, UnsafeMutableRawPointer?,
                (@convention(c) (UnsafePointer<Fts5ExtensionApi>?, OpaquePointer?, UnsafeMutableRawPointer?) -> Int32)?
            ) -> Int32
        let setAuxdata:
            @convention(c) (
                OpaquePointer?, UnsafeMutableRawPointer?, (@convention(c) (UnsafeMutableRawPointer?) -> Void)?
            )
                -> Int32

        init?(_ api: Fts5ExtensionApi) {
            guard let instCount = api.xInstCount, let inst = api.xInst, let columnSize = api.xColumnSize,
                let rowCount = api.xRowCount, let columnTotalSize = api.xColumnTotalSize,
                let phraseCount = api.xPhraseCount, let queryPhrase = api.xQueryPhrase,
                let setAuxdata = api.xSetAuxdata
            else { return nil }
            (self.instCount, self.inst, self.columnSize) = (instCount, inst, columnSize)
            (self.rowCount, self.columnTotalSize, self.phraseCount) = (rowCount, columnTotalSize, phraseCount)
            (self.queryPhrase, self.setAuxdata) = (queryPhrase, setAuxdata)
        }
    }

    private static func rank(
        _ api: UnsafePointer<Fts5ExtensionApi>?, _ fts: OpaquePointer?, _ context: OpaquePointer?, _ count: Int32,
        _ values: UnsafeMutablePointer<OpaquePointer?>?
    ) {
        guard let context else { return }
        guard let api, let fts, let getAuxdata = api.pointee.xGetAuxdata else {
            sqlite3_result_error_code(context, SQLITE_MISUSE)
            return
        }
        // Made at the query's first row and kept alive by FTS5 until the query ends.
        let kept: Unmanaged<Statistics>
        if let existing = getAuxdata(fts, 0) {
            kept = Unmanaged<Statistics>.fromOpaque(existing)
        } else {
            var code = SQLITE_MISUSE
            guard let calls = Calls(api.pointee), let made = queryStatistics(calls, fts, &code) else {
                sqlite3_result_error_code(context, code)
                return
            }
            kept = made
        }
        kept._withUnsafeGuaranteedRef { statistics in rank(statistics.calls, fts, context, count, values, statistics) }
    }

    private static func rank(
        _ calls: Calls, _ fts: OpaquePointer, _ context: OpaquePointer, _ count: Int32,
        _ values: UnsafeMutablePointer<OpaquePointer?>?, _ statistics: Statistics
    ) {
        // How often each phrase occurs in the row, each occurrence weighed by its column.
        var instances: Int32 = 0
        var code = calls.instCount(fts, &instances)
        statistics.frequencies.update(repeating: 0)
        var index: Int32 = 0
        while code == SQLITE_OK && index < instances {
            var (phrase, column, offset): (Int32, Int32, Int32) = (0, 0, 0)
            code = calls.inst(fts, index, &phrase, &column, &offset)
            if code == SQLITE_OK {
                let weight = count - 1 > column ? sqlite3_value_double(values?[Int(column) + 1]) : 1.0
                statistics.frequencies[Int(phrase)] += weight
            }
            index += 1
        }
        var size = 0.0
        if code == SQLITE_OK {
            if count >= 1, let sizes = values?[0], let total = totalSize(sizes) {
                size = Double(total)
            } else {
                var tokens: Int32 = 0
                code = calls.columnSize(fts, -1, &tokens)
                size = Double(tokens)
            }
        }
        guard code == SQLITE_OK else {
            sqlite3_result_error_code(context, code)
            return
        }
        // As FTS5 writes it, operation for operation, so that the figures are the same to the last bit.
        var score = 0.0
        for (idf, frequency) in zip(statistics.idf, statistics.frequencies) {
            score += idf * ((frequency * (k1 + 1.0)) / (frequency + k1 * (1 - b + b * size / statistics.averageSize)))
        }
        sqlite3_result_double(context, -1.0 * score)
    }

    /// The query's statistics, computed at its first row and kept with the query (FTS5's auxiliary data).
    private static func queryStatistics(_ calls: Calls, _ fts: OpaquePointer, _ code: inout Int32)
        -> Unmanaged<Statistics>?
    {
        var rows: Int64 = 0
        var tokens: Int64 = 0
        code = calls.rowCount(fts, &rows)
        if code == SQLITE_OK { code = calls.columnTotalSize(fts, -1, &tokens) }
        guard code == SQLITE_OK else { return nil }
        var idf: [Double] = []
        for phrase in 0..<calls.phraseCount(fts) {
            var hits: Int64 = 0
            code = calls.queryPhrase(fts, phrase, &hits) { _, _, counter in
                counter?.assumingMemoryBound(to: Int64.self).pointee += 1
                return SQLITE_OK
            }
            guard code == SQLITE_OK else { return nil }
            // FTS5's IDF, which it keeps above zero for a phrase that more than half the rows hold.
            let value = log((Double(rows - hits) + 0.5) / (Double(hits) + 0.5))
            idf.append(value <= 0.0 ? 1e-6 : value)
        }
        let statistics = Statistics(idf: idf, averageSize: Double(tokens) / Double(rows), calls: calls)
        code = calls.setAuxdata(fts, Unmanaged.passRetained(statistics).toOpaque()) { kept in
            if let kept { Unmanaged<Statistics>.fromOpaque(kept).release() }
        }
        return code == SQLITE_OK ? Unmanaged.passUnretained(statistics) : nil
    }

    /// The tokens of a row in all columns, from its `docsize` record: nil for anything but a blob of varints.
    private static func totalSize(_ value: OpaquePointer) -> Int? {
        guard sqlite3_value_type(value) == SQLITE_BLOB, let blob = sqlite3_value_blob(value) else { return nil }
        let record = UnsafeRawBufferPointer(start: blob, count: Int(sqlite3_value_bytes(value)))
        guard let last = record.last, last & 0x80 == 0 else { return nil }
        return CharacterCounts.totalSize(record)
    }
}
