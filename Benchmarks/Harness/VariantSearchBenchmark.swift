import Foundation
import GRDB
import KB

/// Search across variant forms and by pinyin, on a copy of the import database.
///
/// `kb-bench search-variants DB_COPY QUERIES_FILE [--articles N] [--seed S] [--pinyin-queries N] [--passes N]`
///
/// - Traditional text: `--articles` articles (default 300) are added again with every character written
///   in another form of the folding table (头发 → 頭髮), and the CJK queries of the query set, all written in
///   simplified characters, must find every one whose text holds them (recall over the converted articles),
///   with the whole result sets still equal to the folded substring truth.
/// - `--exact`: `search(q, exact: true)` against the truth without folding (today's exactness), for the
///   queries with at most 300 expected articles.
/// - Pinyin: from CJK queries of two to four characters, `py:` queries without tones, with numbered tones
///   and as initials (the first reading of each character); every article holding the characters must be
///   found, and the result set must equal a scan of every article with the same pattern. Latency as p50/p99.
/// - The index (`articles_fts` and `articles_chars`) against the text, after the additions.
enum VariantSearchBenchmark {
    struct Result: Encodable {
        var articles: Int
        var converted: Int
        var convertedCharacters: Int
        var traditionalQueries: Int
        var traditionalExpected: Int
        var traditionalFound: Int
        var traditionalRecall: Double
        var foldedExactness: SearchBenchmark.Exactness
        var exactQueries: Int
        var exactness: SearchBenchmark.Exactness
        var exactTokenExactness: SearchBenchmark.Exactness
        var exactAgreesWithEither: Int
        var pinyinQueries: Int
        var pinyinLatency: Distribution
        var pinyinLatencyByKind: [String: Distribution]
        var pinyinHoldersExpected: Int
        var pinyinHoldersFound: Int
        var pinyinHoldersRecall: Double
        var pinyinScanExactness: SearchBenchmark.Exactness
        var pinyinExamples: [String]
        var textBytes: Int
        var indexBytes: Int
        var indexRatio: Double
        var seconds: Double
    }

    static func run(_ arguments: Arguments) throws {
        let path = try arguments.value(1, "DB_COPY")
        let queriesFile = try arguments.value(2, "QUERIES_FILE")
        let count = arguments.int("articles", default: 300)
        let seed = UInt64(arguments.int("seed", default: 1))
        let pinyinCount = arguments.int("pinyin-queries", default: 60)
        let passes = arguments.int("passes", default: 3)
        let start = ContinuousClock.now
        let kb = try KnowledgeBase.open(path: path)
        let queries = try Corpus(directory: ".").queries(file: queriesFile)
        let isCJK: (Unicode.Scalar) -> Bool = { ($0.value >= 0x4E00 && $0.value <= 0x9FFF) }
        let cjkQueries = queries.map(\.query).filter { query in
            !query.unicodeScalars.isEmpty && query.unicodeScalars.allSatisfy(isCJK)
        }

        // Traditional copies of some articles.
        var random = SeededGenerator(seed: seed)
        let sources: [(title: String, body: String)] = try kb.database.writer.read { db in
            // Articles without a title (photo captions) cannot be added as articles: copies of the others.
            try Row.fetchAll(
                db, sql: "SELECT title, body FROM articles WHERE deleted = 0 AND title != '' AND body != '' ORDER BY rowid"
            ).map {
                ($0[0], $0[1])
            }
        }
        var picked = Array(sources.indices)
        picked.shuffle(using: &random)
        var convertedIDs: Set<String> = []
        var convertedCharacters = 0
        note("search-variants: \(min(count, picked.count)) articles written in traditional forms")
        for index in picked.prefix(count) {
            let (title, tChanged) = traditional(sources[index].title)
            let (body, bChanged) = traditional(sources[index].body)
            convertedCharacters += tChanged + bChanged
            convertedIDs.insert(try kb.addArticle(title: title, body: body).id)
        }

        // Folded search: every converted article whose text holds a simplified query is found.
        note("search-variants: \(cjkQueries.count) simplified queries against the converted articles")
        let scan = try ScanIndex(kb)
        let plain = try ScanIndex(kb, folds: false)
        var traditionalExpected = 0
        var traditionalFound = 0
        var folded = SearchBenchmark.Exactness()
        for query in cjkQueries {
            let found = try fullSet(kb, query, scan: scan)
            let truth = scan.find(query, wholeTokens: false)
            folded.add(truth: truth, found: found)
            let converted = Set(truth.filter { convertedIDs.contains(scan.ids[$0]) })
            traditionalExpected += converted.count
            traditionalFound += converted.intersection(found).count
        }

        // --exact against the truth without folding.
        note("search-variants: --exact against the unfolded truth")
        var exact = SearchBenchmark.Exactness()
        var exactToken = SearchBenchmark.Exactness()
        var exactQueries = 0
        var agrees = 0
        for (query, _) in queries {
            let truth = plain.find(query, wholeTokens: false)
            guard truth.count <= SearchBenchmark.apiCheckLimit else { continue }
            let tokenTruth = plain.find(query, wholeTokens: true)
            let found = Set(
                try kb.search(query, limit: SearchBenchmark.apiCheckLimit * 2, exact: true)
                    .filter { $0.annotationID == nil }.compactMap { plain.index[$0.id] })
            exactQueries += 1
            exact.add(truth: truth, found: found)
            exactToken.add(truth: tokenTruth, found: found)
            if found == truth || found == tokenTruth { agrees += 1 }
        }

        // Pinyin.
        note("search-variants: pinyin queries")
        let words = Array(Set(cjkQueries.filter { (2...4).contains($0.count) })).sorted().shuffled(using: &random)
            .prefix(pinyinCount)
        var latency: [Double] = []
        var byKind: [String: [Double]] = [:]
        var holdersExpected = 0
        var holdersFound = 0
        var scanExactness = SearchBenchmark.Exactness()
        var examples: [String] = []
        let texts: [(Int, [String])] = try kb.database.writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, body, title, subtitle, kicker, byline, dateline FROM articles WHERE deleted = 0"
            ).compactMap { row in
                guard let index = scan.index[row[0] as String] else { return nil }
                return (index, (1...6).map { row[$0] as String })
            }
        }
        for word in words {
            let readings = word.unicodeScalars.map { Pinyin.readings(of: $0).first ?? "" }
            guard readings.allSatisfy({ !$0.isEmpty }) else { continue }
            let kinds: [(String, String)] = [
                ("toneless", readings.map { String($0.dropLast()) }.joined()),
                ("numbered", readings.joined()),
                ("initials", readings.map { String($0.prefix(1)) }.joined()),
            ]
            for (kind, text) in kinds {
                let query = "py:" + text
                guard let pattern = Pinyin.pattern(text) else { continue }
                for _ in 0..<passes {
                    let (_, seconds) = try Stopwatch.time { try kb.search(query, limit: 20) }
                    latency.append(seconds * 1000)
                    byKind[kind, default: []].append(seconds * 1000)
                }
                let found = Set(
                    try kb.search(query, limit: 1_000_000).filter { $0.annotationID == nil }.compactMap {
                        scan.index[$0.id]
                    })
                let holders = plain.find(word, wholeTokens: false)
                holdersExpected += holders.count
                holdersFound += holders.intersection(found).count
                let truth = Set(texts.filter { entry in entry.1.contains { pattern.matches($0) } }.map(\.0))
                scanExactness.add(truth: truth, found: found)
                if (truth != found || !holders.isSubset(of: found)) && examples.count < 10 {
                    examples.append("\(query) (\(word)): expected \(truth.count), found \(found.count)")
                }
            }
        }

        // Index against text, everything included.
        let (textBytes, indexBytes) = try kb.database.writer.read { db -> (Int, Int) in
            let text =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT SUM(length(CAST(title AS BLOB)) + length(CAST(subtitle AS BLOB))
                            + length(CAST(kicker AS BLOB)) + length(CAST(byline AS BLOB))
                            + length(CAST(dateline AS BLOB)) + length(CAST(body AS BLOB)))
                        FROM articles WHERE deleted = 0
                        """) ?? 0
            let fts = try ImportBenchmark.sizes(db, index: "articles_fts")
            let chars = try ImportBenchmark.sizes(db, index: "articles_chars")
            return (text, (fts.allocated ?? fts.payload) + (chars.allocated ?? chars.payload))
        }
        try printJSON(
            Result(
                articles: scan.ids.count, converted: convertedIDs.count, convertedCharacters: convertedCharacters,
                traditionalQueries: cjkQueries.count, traditionalExpected: traditionalExpected,
                traditionalFound: traditionalFound,
                traditionalRecall: traditionalExpected == 0
                    ? 1 : Double(traditionalFound) / Double(traditionalExpected),
                foldedExactness: folded, exactQueries: exactQueries, exactness: exact, exactTokenExactness: exactToken,
                exactAgreesWithEither: agrees, pinyinQueries: latency.count / max(1, passes),
                pinyinLatency: Distribution(latency), pinyinLatencyByKind: byKind.mapValues(Distribution.init),
                pinyinHoldersExpected: holdersExpected, pinyinHoldersFound: holdersFound,
                pinyinHoldersRecall: holdersExpected == 0 ? 1 : Double(holdersFound) / Double(holdersExpected),
                pinyinScanExactness: scanExactness, pinyinExamples: examples, textBytes: textBytes,
                indexBytes: indexBytes, indexRatio: Double(indexBytes) / Double(max(1, textBytes)),
                seconds: Stopwatch.seconds(ContinuousClock.now - start)))
    }

    /// Every article the full-text index finds for a query, as the search benchmark counts them.
    static func fullSet(_ kb: KnowledgeBase, _ query: String, scan: ScanIndex) throws -> Set<Int> {
        guard let match = try SearchQuery.parse(query).matchExpression() else { return [] }
        let ids = try kb.database.writer.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT a.id FROM articles_fts f JOIN articles a ON a.rowid = f.rowid
                    WHERE articles_fts MATCH ? AND a.deleted = 0
                    """, arguments: [match])
        }
        return Set(ids.compactMap { scan.index[$0] })
    }

    /// The text with every character that has another form in the folding table written in that form
    /// (the first traditional or variant one), and how many characters changed.
    static func traditional(_ text: String) -> (String, Int) {
        var view = String.UnicodeScalarView()
        var changed = 0
        for scalar in text.unicodeScalars {
            let forms = VariantFolding.forms(of: scalar.value)
            if VariantFolding.fold(scalar.value) == scalar.value, forms.count > 1,
                let other = Unicode.Scalar(forms[1])
            {
                view.append(other)
                changed += 1
            } else {
                view.append(scalar)
            }
        }
        return (String(view), changed)
    }
}
