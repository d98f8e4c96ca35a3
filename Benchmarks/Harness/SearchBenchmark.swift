import Foundation
import GRDB
import KB

/// In-process search: latency and exactness against a scan of the text.
///
/// `kb-bench search DB_PATH QUERIES_FILE [--passes N] [--limit N]`
///
/// Latency: every query of the set through `KnowledgeBase.search` (limit 20, as the CLI), one warm-up
/// pass and then `--passes` timed passes (default 5).
///
/// Exactness: for every query, kb's result set against the articles whose text, with whitespace removed
/// and NFKC + lowercase applied to both sides, contains the query, found by a scan in Swift. kb's set is
/// what its own query rewriting (`SearchQuery.parse(…).matchExpression()`) finds in `articles_fts`, all
/// of it; for queries with at most ``apiCheckLimit`` expected articles, `KnowledgeBase.search` with a
/// limit above that is run too and must return the same set (it builds a snippet per hit, too slow for
/// queries that hit thousands of articles). DESIGN §4 also makes a Latin or digit fragment match
/// whole tokens only, so a second truth ("token") also requires an ASCII letter or digit at either end
/// of the query not to continue a letter/digit run of the text (whitespace between two letters or
/// digits counts as a boundary, as in the tokenizer).
enum SearchBenchmark {
    /// Queries expected in at most this many articles are also checked through `KnowledgeBase.search`.
    static let apiCheckLimit = 300

    struct Result: Encodable {
        var queries: Int
        var passes: Int
        var limit: Int
        var articles: Int
        var latency: Distribution
        var latencyByCategory: [String: Distribution]
        /// Against the substring truth (whitespace removed, NFKC, lowercase).
        var exactness: Exactness
        /// Against the truth where Latin/digit ends of a query match whole tokens only.
        var tokenExactness: Exactness
        var byCategory: [String: CategoryExactness]
        /// Queries whose result set differs from the substring truth, and how many of them equal the token truth.
        var notExact: Int
        var notExactExplainedByTokenRule: Int
        /// Queries whose result set differs from the substring truth (at most 25).
        var examples: [Example]
        var exactnessSeconds: Double
        /// Queries checked through `KnowledgeBase.search` too, and how many of them gave the same set.
        var apiChecked: Int
        var apiAgrees: Int
    }

    struct Exactness: Encodable {
        var expected = 0
        var found = 0
        var truePositives = 0
        var recall = 1.0
        var precision = 1.0
        var exactQueries = 0

        mutating func add(truth: Set<Int>, found kb: Set<Int>) {
            expected += truth.count
            found += kb.count
            truePositives += truth.intersection(kb).count
            if truth == kb { exactQueries += 1 }
            recall = expected == 0 ? 1 : Double(truePositives) / Double(expected)
            precision = found == 0 ? 1 : Double(truePositives) / Double(found)
        }
    }

    struct CategoryExactness: Encodable {
        var queries = 0
        var substring = Exactness()
        var token = Exactness()
    }

    struct Example: Encodable {
        var query: String
        var category: String
        var expected: Int
        var found: Int
        /// Articles the scan finds and kb does not.
        var missed: Int
        /// Articles kb returns that the scan does not find.
        var extra: Int
        /// True when the token truth equals kb's set (the difference is the whole-token rule).
        var explainedByTokenRule: Bool
        /// Normalized text around the query in a missed article.
        var missedContext: String?
        /// kb's snippet of an extra article.
        var extraSnippet: String?
    }

    static func run(_ arguments: Arguments) throws {
        let path = try arguments.value(1, "DB_PATH")
        let queriesFile = try arguments.value(2, "QUERIES_FILE")
        let passes = arguments.int("passes", default: 5)
        let limit = arguments.int("limit", default: 20)
        let kb = try KnowledgeBase.open(path: path)
        var queries = try Corpus(directory: ".").queries(file: queriesFile)
        if queriesFile.hasSuffix(".txt") {
            let tsv = String(queriesFile.dropLast(4)) + ".tsv"
            if FileManager.default.fileExists(atPath: tsv) { queries = try Corpus(directory: ".").queries(file: tsv) }
        }

        // Latency, warm.
        note("search: \(queries.count) queries, 1 warm-up pass and \(passes) timed passes")
        for (query, _) in queries { _ = try kb.search(query, limit: limit) }
        var samples: [Double] = []
        var byCategory: [String: [Double]] = [:]
        for _ in 0..<passes {
            for (query, category) in queries {
                let (_, seconds) = try Stopwatch.time { try kb.search(query, limit: limit) }
                samples.append(seconds * 1000)
                byCategory[category, default: []].append(seconds * 1000)
            }
        }

        // Exactness.
        note("search: exactness check")
        let start = ContinuousClock.now
        let scan = try ScanIndex(kb)
        var total = Exactness()
        var totalToken = Exactness()
        var categories: [String: CategoryExactness] = [:]
        var examples: [Example] = []
        var notExact = 0
        var explained = 0
        var apiChecked = 0
        var apiAgrees = 0
        for (query, category) in queries {
            var found: Set<Int> = []
            if let match = try SearchQuery.parse(query).matchExpression() {
                let ids = try kb.database.writer.read { db in
                    try String.fetchAll(
                        db,
                        sql: """
                            SELECT a.id FROM articles_fts f JOIN articles a ON a.rowid = f.rowid
                            WHERE articles_fts MATCH ? AND a.deleted = 0
                            """,
                        arguments: [match])
                }
                for id in ids { if let index = scan.index[id] { found.insert(index) } }
            }
            let truth = scan.find(query, wholeTokens: false)
            var hits: [SearchHit] = []
            if truth.count <= apiCheckLimit {
                hits = try kb.search(query, limit: apiCheckLimit * 2).filter { $0.annotationID == nil }
                apiChecked += 1
                if Set(hits.compactMap { scan.index[$0.id] }) == found { apiAgrees += 1 }
            }
            let tokenTruth = scan.find(query, wholeTokens: true)
            total.add(truth: truth, found: found)
            totalToken.add(truth: tokenTruth, found: found)
            var stats = categories[category, default: CategoryExactness()]
            stats.queries += 1
            stats.substring.add(truth: truth, found: found)
            stats.token.add(truth: tokenTruth, found: found)
            categories[category] = stats
            if truth != found {
                notExact += 1
                if tokenTruth == found { explained += 1 }
            }
            if truth != found && examples.count < 25 {
                let missed = truth.subtracting(found)
                let extra = found.subtracting(truth)
                examples.append(
                    Example(
                        query: query, category: category, expected: truth.count, found: found.count,
                        missed: missed.count, extra: extra.count, explainedByTokenRule: tokenTruth == found,
                        missedContext: missed.min().flatMap { scan.context(of: query, in: $0) },
                        extraSnippet: extra.min().flatMap { index in
                            hits.first { $0.id == scan.ids[index] }.map {
                                $0.field + ": " + $0.snippet.rendered(open: "[", close: "]")
                            }
                        }))
            }
        }
        try printJSON(
            Result(
                queries: queries.count, passes: passes, limit: limit, articles: scan.ids.count,
                latency: Distribution(samples), latencyByCategory: byCategory.mapValues(Distribution.init),
                exactness: total, tokenExactness: totalToken, byCategory: categories, notExact: notExact,
                notExactExplainedByTokenRule: explained, examples: examples,
                exactnessSeconds: Stopwatch.seconds(ContinuousClock.now - start), apiChecked: apiChecked,
                apiAgrees: apiAgrees))
    }
}

/// Every live article's text fields, normalized (NFKC, lowercase, whitespace removed), in one buffer.
///
/// Substring scans run over the whole buffer at once. Fields end with a NUL byte, so no match spans two fields.
struct ScanIndex {
    /// Article ids, by index.
    var ids: [String] = []
    var index: [String: Int] = [:]
    /// The text with whitespace removed.
    var compact: [UInt8] = []
    /// Article index → offset of its first byte in `compact`.
    var compactStarts: [Int] = []
    /// The same text where whitespace between two ASCII letters/digits is kept as a 0x01 byte.
    var bounded: [UInt8] = []
    var boundedStarts: [Int] = []
    /// Whether variant forms are folded (search's default), or the characters kept as written (`--exact`).
    var folds = true

    init(_ kb: KnowledgeBase, folds: Bool = true) throws {
        self.folds = folds
        let rows = try kb.database.writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, title, subtitle, kicker, byline, dateline, body FROM articles WHERE deleted = 0")
        }
        for row in rows {
            let id: String = row[0]
            index[id] = ids.count
            ids.append(id)
            compactStarts.append(compact.count)
            boundedStarts.append(bounded.count)
            for column in 1...6 {
                let text: String = row[column]
                Self.append(Self.normalize(text, folds: folds), compact: &compact, bounded: &bounded)
            }
        }
    }

    /// NFKC, lowercase and variant forms folded, as kb's tokenizer folds text by default (not folded for
    /// the `--exact` truth).
    static func normalize(_ text: String, folds: Bool = true) -> String {
        let normalized = text.precomposedStringWithCompatibilityMapping.lowercased()
        return folds ? VariantFolding.fold(normalized) : normalized
    }

    static func isASCIIAlnum(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
    }

    private static func append(_ text: String, compact: inout [UInt8], bounded: inout [UInt8]) {
        var lastWasAlnum = false
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = true
                continue
            }
            let alnum = scalar.isASCII && isASCIIAlnum(UInt8(scalar.value))
            if pendingSpace && lastWasAlnum && alnum { bounded.append(0x01) }
            pendingSpace = false
            lastWasAlnum = alnum
            compact.append(contentsOf: String(scalar).utf8)
            bounded.append(contentsOf: String(scalar).utf8)
        }
        compact.append(0)
        bounded.append(0)
    }

    /// The articles whose text contains the query.
    func find(_ query: String, wholeTokens: Bool) -> Set<Int> {
        let needle = Self.needle(query, folds: folds)
        guard !needle.isEmpty else { return [] }
        let buffer = wholeTokens ? bounded : compact
        let starts = wholeTokens ? boundedStarts : compactStarts
        let checkStart = wholeTokens && Self.isASCIIAlnum(needle[0])
        let checkEnd = wholeTokens && Self.isASCIIAlnum(needle[needle.count - 1])
        var result: Set<Int> = []
        for offset in Self.occurrences(of: needle, in: buffer) {
            if checkStart && offset > 0 && Self.isASCIIAlnum(buffer[offset - 1]) { continue }
            let end = offset + needle.count
            if checkEnd && end < buffer.count && Self.isASCIIAlnum(buffer[end]) { continue }
            result.insert(Self.owner(of: offset, starts: starts))
        }
        return result
    }

    /// The query as the scan looks for it: normalized, whitespace removed, in UTF-8.
    static func needle(_ query: String, folds: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in normalize(query, folds: folds).unicodeScalars where !scalar.properties.isWhitespace {
            bytes.append(contentsOf: String(scalar).utf8)
        }
        return bytes
    }

    /// Offsets of every occurrence (overlapping ones included) of a needle in a buffer (Boyer-Moore-Horspool).
    static func occurrences(of needle: [UInt8], in buffer: [UInt8]) -> [Int] {
        let count = needle.count
        guard count > 0, buffer.count >= count else { return [] }
        var shift = [Int](repeating: count, count: 256)
        for index in 0..<(count - 1) { shift[Int(needle[index])] = count - 1 - index }
        var offsets: [Int] = []
        buffer.withUnsafeBufferPointer { haystack in
            needle.withUnsafeBufferPointer { pattern in
                let last = pattern[count - 1]
                var position = 0
                while position + count <= haystack.count {
                    let byte = haystack[position + count - 1]
                    if byte == last {
                        var index = count - 2
                        while index >= 0 && haystack[position + index] == pattern[index] { index -= 1 }
                        if index < 0 { offsets.append(position) }
                    }
                    position += shift[Int(byte)]
                }
            }
        }
        return offsets
    }

    /// The article that holds a byte offset.
    static func owner(of offset: Int, starts: [Int]) -> Int {
        var low = 0
        var high = starts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// About 15 characters either side of the query's first occurrence in an article.
    func context(of query: String, in article: Int) -> String? {
        let needle = Self.needle(query, folds: folds)
        let from = compactStarts[article]
        let to = article + 1 < compactStarts.count ? compactStarts[article + 1] : compact.count
        let slice = Array(compact[from..<to])
        guard let offset = Self.occurrences(of: needle, in: slice).first else { return nil }
        var lower = max(0, offset - 45)
        while lower > 0 && slice[lower] & 0xC0 == 0x80 { lower -= 1 }
        var upper = min(slice.count, offset + needle.count + 45)
        while upper < slice.count && slice[upper] & 0xC0 == 0x80 { upper += 1 }
        return String(decoding: slice[lower..<upper].map { $0 == 0 ? UInt8(ascii: "|") : $0 }, as: UTF8.self)
    }
}
