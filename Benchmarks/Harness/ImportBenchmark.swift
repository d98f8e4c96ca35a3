import Foundation
import GRDB
import KB

/// Import speed and index size: kb beside SQLite's FTS5 `trigram` tokenizer.
///
/// `kb-bench import CORPUS_DIR DB_PATH [--peer-db PATH] [--pages N]`
///
/// Imports the corpus's pages with `KnowledgeBase.importFiles` (one transaction per file, as `kb import`
/// does), then indexes the same clean text, taken from kb's articles table, with SQLite's built-in
/// FTS5 `trigram` tokenizer in a fresh database of the same library and journal mode, one transaction
/// per page. Reports both times and the sizes of both indexes next to the size of the text.
enum ImportBenchmark {
    struct Result: Encodable {
        var pages: Int
        var pageBytes: Int
        var articles: Int
        var failed: Int
        var kbSeconds: Double
        var kbPagesPerSecond: Double
        var kbMbPerSecond: Double
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

        // kb: the import as the CLI runs it.
        removeDatabase(at: path)
        let kb = try KnowledgeBase.open(path: path)
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

        // The peer: FTS5 trigram over the same text, one transaction per page.
        removeDatabase(at: peerPath)
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let peer = try DatabaseQueue(path: peerPath, configuration: configuration)
        try peer.write { db in
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE docs USING fts5(
                        title, subtitle, kicker, byline, dateline, body, tokenize = 'trigram')
                    """)
        }
        note("import: trigram indexes \(pages.count) pages")
        let (_, trigramSeconds) = try Stopwatch.time {
            for page in pages {
                try peer.write { db in
                    let insert = try db.cachedStatement(
                        sql:
                            "INSERT INTO docs (title, subtitle, kicker, byline, dateline, body) VALUES (?, ?, ?, ?, ?, ?)"
                    )
                    for fields in page { try insert.execute(arguments: StatementArguments(fields)) }
                }
            }
        }

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
                kbFileBytes: fileBytes(path), trigramFileBytes: fileBytes(peerPath), sqliteVersion: version,
                dbstat: kbSizes.allocated != nil))
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
