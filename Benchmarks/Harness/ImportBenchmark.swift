import Foundation
import GRDB
import KB

/// Import speed and index size: kb beside SQLite's FTS5 `trigram` tokenizer.
///
/// `kb-bench import CORPUS_DIR DB_PATH [--peer-db PATH] [--pages N] [--fts-config KEY=VALUE,…] [--cache-kib N]`
///
/// Imports the corpus's pages with `KnowledgeBase.importFiles` (as `kb import` does: batches of files, one
/// transaction each with a savepoint per file), then indexes the same clean text, taken from kb's articles table, with SQLite's built-in
/// FTS5 `trigram` tokenizer in a fresh database of the same library and journal mode: once in one
/// transaction for the whole corpus (the peer), and once more in another fresh database with one
/// transaction per page (as kb committed before it stored files in batches). Reports the times, the sizes of the indexes next to the size of the
/// text, and the size of each whole file.
///
/// `--fts-config automerge=8,crisismerge=32` sets FTS5 options (`INSERT INTO t(t, rank) VALUES (KEY, VALUE)`)
/// on kb's two text indexes before the import, to measure them; by default kb is measured as it ships.
enum ImportBenchmark {
    struct Result: Encodable {
        var pages: Int
        var pageBytes: Int
        var articles: Int
        var failed: Int
        var kbSeconds: Double
        var kbPagesPerSecond: Double
        var kbMbPerSecond: Double
        /// The peer: trigram over the whole corpus in one transaction.
        var trigramSeconds: Double
        /// trigram time / kb time: above 1 means kb is faster.
        var speedRatio: Double
        /// UTF-8 bytes of the articles' text fields (title, subtitle, kicker, byline, dateline, body).
        var textBytes: Int
        /// Bytes of the pages of kb's FTS shadow tables (dbstat), nil when dbstat is missing.
        var kbIndexBytes: Int?
        /// Bytes stored in the shadow tables' rows (blobs and terms), without page overhead.
        var kbIndexPayloadBytes: Int
        var kbIndexRatio: Double
        var trigramIndexBytes: Int?
        var trigramIndexPayloadBytes: Int
        var trigramIndexRatio: Double
        /// Segments of each index (distinct `segid` of `_idx`) as the import left it.
        var kbSegments: Int
        var trigramSegments: Int
        /// The index sizes after FTS5 'optimize' (merging every segment into one), on a copy.
        var kbIndexBytesOptimized: Int?
        var trigramIndexBytesOptimized: Int?
        /// Every table and index of kb's file, in bytes (dbstat), largest first.
        var kbTables: [TableSize]
        var kbFileBytes: Int
        var trigramFileBytes: Int
        /// trigram with one transaction per page (a weaker peer, for comparison).
        var trigramPerPageSeconds: Double
        var trigramPerPageFileBytes: Int
        /// FTS5 options set on kb's indexes before the import (`--fts-config`), empty as kb ships.
        var ftsConfig: [String: Int]
        var sqliteVersion: String
        var dbstat: Bool
    }

    struct TableSize: Encodable {
        var name: String
        var bytes: Int
    }

    /// The FTS5 shadow tables that make up an index (the text itself is stored elsewhere).
    static func shadowTables(_ table: String) -> [String] {
        ["data", "idx", "docsize", "config"].map { "\(table)_\($0)" }
    }

    static func run(_ arguments: Arguments) throws {
        let corpus = Corpus(directory: try arguments.value(1, "CORPUS_DIR"))
        let path = try arguments.value(2, "DB_PATH")
        let peerPath =
            arguments.options["peer-db"]
            ?? ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("trigram.sqlite")
        let files = try corpus.pageFiles(limit: arguments.options["pages"].flatMap { Int($0) })
        let pageBytes = Corpus.bytes(of: files)
        let ftsConfig = try parseFTSConfig(arguments.options["fts-config"] ?? "")

        // kb: the import as the CLI runs it.
        removeDatabase(at: path)
        let kb = try KnowledgeBase.open(path: path)
        try setFTSConfig(ftsConfig, on: kb)
        try setCacheSize(arguments.options["cache-kib"].flatMap { Int($0) }, on: kb)
        note("import: kb imports \(files.count) pages (\(pageBytes / 1_000_000) MB)")
        let source = files.count == (try corpus.pageFiles()).count ? [corpus.pagesDirectory] : files
        let (report, kbSeconds) = try Stopwatch.time { try kb.importFiles(source) }
        if !report.failed.isEmpty {
            note("import: \(report.failed.count) files failed, first: \(report.failed[0].error)")
        }

        // The clean text of every article, page by page, as kb stored it.
        let pages: [[[String]]] = try kb.database.writer.read { db in
            var pages: [[[String]]] = []
            var current: String?
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT a.source_id, a.title, a.subtitle, a.kicker, a.byline, a.dateline, a.body
                    FROM articles a JOIN sources s ON s.id = a.source_id
                    WHERE a.deleted = 0 ORDER BY s.path, a.position
                    """)
            while let row = try rows.next() {
                let sourceID: String = row[0]
                if sourceID != current {
                    pages.append([])
                    current = sourceID
                }
                pages[pages.count - 1].append((1...6).map { row[$0] as String })
            }
            return pages
        }
        let textBytes = pages.joined().reduce(0) { $0 + $1.reduce(0) { $0 + $1.utf8.count } }

        // The peer: FTS5 trigram over the same text, the whole corpus in one transaction.
        let peer = try trigramDatabase(peerPath)
        note("import: trigram indexes \(pages.count) pages in one transaction")
        let (_, trigramSeconds) = try Stopwatch.time {
            try peer.write { db in
                let insert = try db.cachedStatement(sql: trigramInsert)
                for page in pages {
                    for fields in page { try insert.execute(arguments: StatementArguments(fields)) }
                }
            }
        }
        // The same with one transaction per page (a weaker peer, as kb committed before it batched files).
        let perPagePath = peerPath + ".per-page"
        let perPage = try trigramDatabase(perPagePath)
        note("import: trigram indexes \(pages.count) pages, one transaction each")
        let (_, trigramPerPageSeconds) = try Stopwatch.time {
            for page in pages {
                try perPage.write { db in
                    let insert = try db.cachedStatement(sql: trigramInsert)
                    for fields in page { try insert.execute(arguments: StatementArguments(fields)) }
                }
            }
        }
        let perPageFileBytes = fileBytes(perPagePath)
        try perPage.close()
        removeDatabase(at: perPagePath)

        let kbSizes = try kb.database.writer.read { db in try sizes(db, index: "articles_fts") }
        let peerSizes = try peer.read { db in try sizes(db, index: "docs") }
        let version = try peer.read { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") ?? "?" }
        let kbSegments = try kb.database.writer.read { db in try segments(db, index: "articles_fts") }
        let peerSegments = try peer.read { db in try segments(db, index: "docs") }
        note("import: sizes after 'optimize' (on copies)")
        let kbOptimized = try optimizedSize(kb.database.writer, index: "articles_fts", copy: path + ".optimized")
        let peerOptimized = try optimizedSize(peer, index: "docs", copy: peerPath + ".optimized")
        let kbIndex = kbSizes.allocated ?? kbSizes.payload
        let peerIndex = peerSizes.allocated ?? peerSizes.payload
        try printJSON(
            Result(
                pages: files.count, pageBytes: pageBytes, articles: pages.joined().count, failed: report.failed.count,
                kbSeconds: kbSeconds, kbPagesPerSecond: Double(files.count) / kbSeconds,
                kbMbPerSecond: Double(pageBytes) / 1e6 / kbSeconds, trigramSeconds: trigramSeconds,
                speedRatio: trigramSeconds / kbSeconds, textBytes: textBytes, kbIndexBytes: kbSizes.allocated,
                kbIndexPayloadBytes: kbSizes.payload, kbIndexRatio: Double(kbIndex) / Double(max(1, textBytes)),
                trigramIndexBytes: peerSizes.allocated, trigramIndexPayloadBytes: peerSizes.payload,
                trigramIndexRatio: Double(peerIndex) / Double(max(1, textBytes)), kbSegments: kbSegments,
                trigramSegments: peerSegments, kbIndexBytesOptimized: kbOptimized,
                trigramIndexBytesOptimized: peerOptimized, kbTables: Array(kbSizes.tables.prefix(12)),
                kbFileBytes: fileBytes(path), trigramFileBytes: fileBytes(peerPath),
                trigramPerPageSeconds: trigramPerPageSeconds, trigramPerPageFileBytes: perPageFileBytes,
                ftsConfig: ftsConfig, sqliteVersion: version, dbstat: kbSizes.allocated != nil))
    }

    static let trigramInsert =
        "INSERT INTO docs (title, subtitle, kicker, byline, dateline, body) VALUES (?, ?, ?, ?, ?, ?)"

    /// A fresh database for the peer: the same SQLite, WAL, `synchronous=NORMAL`, one FTS5 trigram table.
    static func trigramDatabase(_ path: String) throws -> DatabaseQueue {
        removeDatabase(at: path)
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE docs USING fts5(
                        title, subtitle, kicker, byline, dateline, body, tokenize = 'trigram')
                    """)
        }
        return queue
    }

    /// Sets FTS5 options on the text indexes of a knowledge base (an experiment: kb ships FTS5's defaults but
    /// `hashsize`, which the migration `v7-fts-hashsize` sets).
    static func setFTSConfig(_ options: [String: Int], on kb: KnowledgeBase) throws {
        guard !options.isEmpty else { return }
        try kb.database.writer.write { db in
            for table in ["articles_fts", "articles_chars", "annotations_fts"] {
                for (key, value) in options.sorted(by: { $0.key < $1.key }) {
                    try db.execute(sql: "INSERT INTO \(table)(\(table), rank) VALUES (?, ?)", arguments: [key, value])
                }
            }
        }
        note("FTS5 options \(options.sorted(by: { $0.key < $1.key }))")
    }

    /// Sets SQLite's page cache of the knowledge base's connection, in KiB (an experiment: `--cache-kib`).
    static func setCacheSize(_ kib: Int?, on kb: KnowledgeBase) throws {
        guard let kib else { return }
        try kb.database.writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA cache_size = -\(kib)")
        }
        note("page cache \(kib) KiB")
    }

    /// `automerge=8,crisismerge=32` as FTS5 options.
    static func parseFTSConfig(_ text: String) throws -> [String: Int] {
        var result: [String: Int] = [:]
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=")
            guard pair.count == 2, let value = Int(pair[1]) else {
                throw BenchError("--fts-config takes KEY=NUMBER pairs separated by commas, not '\(part)'")
            }
            result[String(pair[0])] = value
        }
        return result
    }

    /// The size of an FTS5 index: pages of its shadow tables (from the `dbstat` virtual table, when
    /// SQLite has it) and the bytes of their rows.
    static func sizes(_ db: Database, index: String) throws -> (allocated: Int?, payload: Int, tables: [TableSize]) {
        let shadow = shadowTables(index)
        var tables: [TableSize] = []
        if let rows = try? Row.fetchAll(
            db, sql: "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY SUM(pgsize) DESC")
        {
            tables = rows.map { TableSize(name: $0[0], bytes: $0[1]) }
        }
        let allocated: Int? =
            tables.isEmpty ? nil : tables.filter { shadow.contains($0.name) }.reduce(0) { $0 + $1.bytes }
        let payload =
            try Int.fetchOne(
                db,
                sql: """
                    SELECT (SELECT COALESCE(SUM(length(block)) + 8 * COUNT(*), 0) FROM \(index)_data)
                         + (SELECT COALESCE(SUM(length(CAST(term AS BLOB))) + 16 * COUNT(*), 0) FROM \(index)_idx)
                         + (SELECT COALESCE(SUM(length(sz)) + 8 * COUNT(*), 0) FROM \(index)_docsize)
                    """) ?? 0
        return (allocated, payload, tables)
    }

    /// Segments of an FTS5 index.
    static func segments(_ db: Database, index: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT segid) FROM \(index)_idx") ?? 0
    }

    /// The index's size once FTS5 has merged all its segments ('optimize'), measured on a copy of the
    /// database so that the benchmark's own database stays as the import left it.
    static func optimizedSize(_ writer: any DatabaseWriter, index: String, copy: String) throws -> Int? {
        removeDatabase(at: copy)
        defer { removeDatabase(at: copy) }
        try writer.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copy]) }
        let queue = try DatabaseQueue(path: copy, configuration: AppDatabase.makeConfiguration())
        try queue.write { db in try db.execute(sql: "INSERT INTO \(index)(\(index)) VALUES ('optimize')") }
        return try queue.read { db in try sizes(db, index: index).allocated }
    }

    /// Size of a database file with its WAL.
    static func fileBytes(_ path: String) -> Int {
        Corpus.bytes(of: [path, path + "-wal"].filter { FileManager.default.fileExists(atPath: $0) })
    }
}
