import Foundation
import GRDB
import GRDBSQLite

/// A passage of text with the hits marked.
public struct Snippet: Sendable, Equatable {
    /// The passage, on one line.
    public var text: String
    /// Code-point ranges of the hits within ``text``, in order, not overlapping.
    public var highlights: [Range<Int>]

    public init(text: String, highlights: [Range<Int>]) {
        self.text = text
        self.highlights = highlights
    }

    /// The passage with each hit wrapped in `open` and `close`.
    public func rendered(open: String, close: String) -> String {
        guard !highlights.isEmpty else { return text }
        // Where each mark goes, as positions in the text's UTF-8, found in one walk over its code points.
        let scalars = text.unicodeScalars
        var marks: [String.Index] = []
        marks.reserveCapacity(highlights.count * 2)
        var index = scalars.startIndex
        var offset = 0
        for bound in highlights.flatMap({ [$0.lowerBound, $0.upperBound] }) {
            while offset < bound && index < scalars.endIndex {
                scalars.formIndex(after: &index)
                offset += 1
            }
            marks.append(index)
        }
        var out = ""
        out.reserveCapacity(text.utf8.count + highlights.count * (open.utf8.count + close.utf8.count))
        var cursor = scalars.startIndex
        for (position, mark) in marks.enumerated() {
            out += String(decoding: text.utf8[cursor..<mark], as: UTF8.self)
            out += position.isMultiple(of: 2) ? open : close
            cursor = mark
        }
        return out + String(decoding: text.utf8[cursor...], as: UTF8.self)
    }
}

/// One search result: an article, and where the best hit is.
public struct SearchHit: Sendable, Equatable {
    public var id: String
    public var title: String
    /// Higher is better.
    public var score: Double
    public var snippet: Snippet
    /// Set when the hit is in an annotation's note or quote.
    public var annotationID: String?
    /// `title`, `body`, … or `annotation`.
    public var field: String
}

extension KnowledgeBase {
    /// The ranked fields in the index's column order, and each one's weight: the title above subtitle and
    /// kicker, above the body.
    static let rankedFields: [(name: String, weight: Double)] = [
        ("body", 1), ("title", 10), ("subtitle", 4), ("kicker", 3), ("byline", 2), ("dateline", 1),
    ]

    /// ``rankedFields``' weights as `bm25()` (and ``RankFunction``) take them.
    static let rankWeights = rankedFields.map { String($0.weight) }.joined(separator: ", ")

    /// Searches articles, notes and highlighted quotes.
    ///
    /// - Parameters:
    ///   - query: See ``SearchQuery`` for the syntax.
    ///   - limit: At most this many results (default 20).
    ///   - exact: Match the characters as typed only, not their other variant forms (default false).
    ///   - pinyin: Also read every term written in Latin letters as pinyin (`chongqing` finds 重庆), as
    ///     `py:` does for one term (default false). Hits on the text as written rank first.
    /// - Returns: The hits, best first.
    /// - Throws: ``KBError`` `.querySyntax` for a query that cannot be parsed, or a database error.
    public func search(_ query: String, limit: Int = 20, exact: Bool = false, pinyin: Bool = false) throws
        -> [SearchHit]
    {
        var parsed = try SearchQuery.parse(query)
        if pinyin { parsed = parsed.readingPinyin() }
        if exact { parsed = parsed.exactly() }
        let limit = max(1, limit)
        return try read { db in try Self.search(db, parsed, limit: limit) }
    }

    /// How many candidates the index is asked for when results are checked on the text afterwards.
    static func candidateLimit(_ limit: Int) -> Int { min(max(limit * 10, 200), 5_000) }

    static func search(_ db: Database, _ wanted: SearchQuery, limit resultLimit: Int) throws -> [SearchHit] {
        // Exact terms: the index (which holds folded forms) finds a superset, checked on the text.
        let checksText = wanted.hasExactTerms
        let query = checksText ? wanted.relaxed() : wanted
        guard query.root != nil || wanted.root == nil else {
            throw KBError(.querySyntax, "The query only excludes exact words; add a word to search for.")
        }
        let limit = checksText ? candidateLimit(resultLimit) : resultLimit
        // What tells, without tokenizing a hit, that it matches the characters as typed.
        let otherForms = ExactMatcher.otherForms(of: wanted.root)
        var exactHits: Set<String> = []
        var tagFilter = ""
        var tagArguments: [String] = []
        // An article carries a tag itself or through one of its annotations.
        let tagged = """
            SELECT entity_id FROM tags WHERE norm = ? AND present = 1 AND entity = 'article'
            UNION SELECT n.article_id FROM tags t JOIN annotations n ON n.id = t.entity_id
            WHERE t.norm = ? AND t.present = 1 AND t.entity = 'annotation' AND n.deleted = 0
            """
        for tag in query.requiredTags {
            tagFilter += " AND a.id IN (\(tagged))"
            tagArguments += [normalizeTag(tag), normalizeTag(tag)]
        }
        for tag in query.excludedTags {
            tagFilter += " AND a.id NOT IN (\(tagged))"
            tagArguments += [normalizeTag(tag), normalizeTag(tag)]
        }
        for filter in query.metadataFilters {
            let (condition, arguments) = filter.condition()
            tagFilter += " AND " + condition
            tagArguments += arguments
        }
        if wanted.hasPinyin {
            return try searchReadingPinyin(
                db, wanted, limit: resultLimit, tagFilter: tagFilter, tagArguments: tagArguments)
        }
        let terms = query.highlightTerms
        guard let match = query.matchExpression() else {
            // Tags only: newest first.
            let articles = try Article.fetchAll(
                db,
                sql: "SELECT a.* FROM articles a WHERE a.deleted = 0\(tagFilter) ORDER BY a.created_at DESC LIMIT ?",
                arguments: StatementArguments(tagArguments) + [limit])
            return articles.map { article in
                SearchHit(
                    id: article.id, title: article.title, score: 0, snippet: snippet(of: article, terms: []).0,
                    annotationID: nil, field: "body")
            }
        }

        var hits: [SearchHit] = []
        var seen: Set<String> = []
        // One-character terms are looked up in the character index: an FTS5 prefix query on them
        // would merge the lists of every bigram that starts with the character.
        var articleFilter = tagFilter
        var filterArguments = tagArguments
        var articleMatch: String? = match
        let split = query.separatingLoneCharacters()
        if let split {
            for character in split.required {
                articleFilter += " AND a.rowid IN (SELECT rowid FROM articles_chars WHERE articles_chars MATCH ?)"
                filterArguments.append("\"" + character + "\"")
            }
            for character in split.excluded {
                articleFilter += " AND a.rowid NOT IN (SELECT rowid FROM articles_chars WHERE articles_chars MATCH ?)"
                filterArguments.append("\"" + character + "\"")
            }
            articleMatch = split.rest.flatMap {
                SearchQuery(root: $0, requiredTags: [], excludedTags: []).matchExpression()
            }
        }
        let articleRows: [(Article, Double)]
        if let articleMatch {
            let filtered = !articleFilter.isEmpty
            articleRows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Article.columns(of: "a")), r.rank FROM (
                        SELECT articles_fts.rowid AS rowid, \(RankFunction.name)(articles_fts, d.sz, \(rankWeights)) AS rank
                        FROM articles_fts LEFT JOIN articles_fts_docsize d ON d.id = articles_fts.rowid
                        WHERE articles_fts MATCH ?\(filtered ? " AND articles_fts.rowid IN (SELECT a.rowid FROM articles a WHERE 1\(articleFilter))" : "")
                        ORDER BY rank LIMIT ?
                    ) r JOIN articles a ON a.rowid = r.rowid ORDER BY r.rank
                    """, arguments: [articleMatch] + StatementArguments(filterArguments) + [limit]
            ).map { row -> (Article, Double) in (Article(columnsOf: row), row[Article.columnCount] as Double) }
        } else {
            // Only one-character terms: ranked by how often the articles hold them.
            articleRows = try rankedByCharacters(
                db, required: split?.required ?? [], excluded: split?.excluded ?? [], asTyped: checksText,
                filter: tagFilter, arguments: tagArguments, limit: limit)
        }
        for (article, rank) in articleRows {
            var matcher = ExactMatcher(article: article)
            if let root = wanted.root {
                if checksText && !matcher.matches(root, exact: false) { continue }
                // Hits on the characters as typed rank above those found through another form.
                if matcher.holdsNone(of: otherForms) || matcher.matches(root, exact: true) {
                    exactHits.insert(article.id)
                }
            }
            let (snippet, field) = snippet(of: article, terms: terms)
            hits.append(
                SearchHit(
                    id: article.id, title: article.title, score: -rank, snippet: snippet, annotationID: nil,
                    field: field))
            seen.insert(article.id)
        }
        guard !query.usesColumns else { return hits }

        let annotationRows = try Row.fetchAll(
            db,
            sql: """
                SELECT n.id, n.article_id, n.quote, n.note, a.title, r.rank FROM (
                    SELECT rowid, bm25(annotations_fts, 2.0, 1.0) AS rank FROM annotations_fts
                    WHERE annotations_fts MATCH ? ORDER BY rank LIMIT ?
                ) r JOIN annotations n ON n.rowid = r.rowid
                JOIN articles a ON a.id = n.article_id AND a.deleted = 0
                WHERE 1\(tagFilter) ORDER BY r.rank
                """, arguments: [match, limit * 4] + StatementArguments(tagArguments))
        for row in annotationRows {
            let articleID: String = row["article_id"]
            guard !seen.contains(articleID) else { continue }
            let note: String = row["note"]
            let quote: String = row["quote"]
            if let root = wanted.root {
                var matcher = ExactMatcher(fields: [("note", note), ("quote", quote)])
                if checksText && !matcher.matches(root, exact: false) { continue }
                if matcher.holdsNone(of: otherForms) || matcher.matches(root, exact: true) {
                    exactHits.insert(articleID)
                }
            }
            seen.insert(articleID)
            let rank: Double = row["rank"]
            var snippet = snippetOf(note, terms: terms)
            if snippet.highlights.isEmpty && !quote.isEmpty { snippet = snippetOf(quote, terms: terms) }
            hits.append(
                SearchHit(
                    id: articleID, title: row["title"], score: -rank, snippet: snippet, annotationID: row["id"],
                    field: "annotation"))
        }
        hits.sort { a, b in
            let (aExact, bExact) = (exactHits.contains(a.id), exactHits.contains(b.id))
            return aExact != bExact ? aExact : a.score > b.score
        }
        return Array(hits.prefix(resultLimit))
    }

    // MARK: - One-character queries

    /// The articles that hold all of `required` and none of `excluded` and pass `filter`, best first by BM25
    /// over the occurrences of the required characters (any of their variant forms) in each field, weighted
    /// as the full-text ranking weighs its columns, with their rank as FTS5 gives it (lower is better).
    ///
    /// The counts come from the character index (``CharacterCounts``): no article's text is read but those of
    /// the articles returned and their short fields. With `asTyped` (exact terms in the query) only the forms
    /// as typed count, which the index does not tell apart: those are counted in the text (`kb_count`).
    static func rankedByCharacters(
        _ db: Database, required: [String], excluded: [String], asTyped: Bool, filter: String,
        arguments: [String], limit: Int
    ) throws -> [(Article, Double)] {
        guard !required.isEmpty else { return [] }
        if asTyped {
            var conditions = filter
            var values = arguments
            for (characters, operation) in [(required, "IN"), (excluded, "NOT IN")] {
                for character in characters {
                    conditions +=
                        " AND a.rowid \(operation) (SELECT rowid FROM articles_chars WHERE articles_chars MATCH ?)"
                    values.append("\"" + character + "\"")
                }
            }
            return try rankedByCountingText(
                db, required, filter: conditions, arguments: values, limit: limit)
        }
        // Every article that holds the characters, and how often, all fields together, in rowid order.
        var frequency = try CharacterCounts.counts(db, of: required[0])
        for character in required.dropFirst() {
            frequency = frequency.intersection(try CharacterCounts.counts(db, of: character))
        }
        for character in excluded {
            let holding = Set(try CharacterCounts.articles(db, holding: character))
            frequency.keep { !holding.contains($0) }
        }
        if !filter.isEmpty {
            let kept = Set(
                try Int64.fetchAll(
                    db, sql: "SELECT a.rowid FROM articles a WHERE 1\(filter)", arguments: StatementArguments(arguments)
                ))
            frequency.keep { kept.contains($0) }
        }
        guard !frequency.isEmpty else { return [] }
        // The short fields weigh more than the body (weight 1): their occurrences are counted again in their
        // text, read from the index that holds them (`articles_headings`: a few pages, where the rows are
        // mostly long bodies), and each article's size comes from the text index's `docsize` table.
        // When few articles hold the characters, their headings and sizes are looked up one by one rather
        // than read for every article.
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM articles_fts_docsize") ?? 0
        let few = frequency.rowids.count * 3 <= total ? frequency.rowids : nil
        var weighted = frequency.values.map(Double.init)
        try countHeadings(db, required.flatMap(variantForms), of: few) { rowid, extra in
            if let index = frequency.index(of: rowid) { weighted[index] += extra }
        }
        // The sizes, walked side by side with the articles: both in rowid order.
        var sizes = [Double?](repeating: nil, count: weighted.count)
        var next = 0
        try CharacterCounts.sizes(db, of: few) { rowid, size in
            while next < frequency.rowids.count && frequency.rowids[next] < rowid { next += 1 }
            guard next < frequency.rowids.count, frequency.rowids[next] == rowid else { return }
            sizes[next] = Double(size)
            next += 1
        }
        var scored: [(rowid: Int64, frequency: Double, size: Double)] = []
        scored.reserveCapacity(weighted.count)
        for (index, size) in sizes.enumerated() {
            if let size { scored.append((frequency.rowids[index], weighted[index], size)) }
        }
        // An article the text index lacks (never, when the file is sound) still ranks, as if of average size.
        let average = scored.isEmpty ? 1 : scored.reduce(0.0) { $0 + $1.size } / Double(scored.count)
        for (index, size) in sizes.enumerated() where size == nil {
            scored.append((frequency.rowids[index], weighted[index], average))
        }
        return try ranked(db, scored, total: total, limit: limit)
    }

    /// For each article whose short fields hold any of `needles`, its occurrences there weighted as their
    /// fields beyond the body's weight of 1 (what ``rankedFields`` adds over the count of the character
    /// index, where each occurrence counts once).
    ///
    /// The fields of every article are read from the index that holds them (`articles_headings`), those of
    /// `rowids` only (when not nil) from their rows, where they stand before the body; they are searched in
    /// SQLite's own bytes (``OccurrenceCount/occurrences(of:size:in:length:)``), as `kb_count` would, without
    /// an SQL function call for each field of every article.
    static func countHeadings(
        _ db: Database, _ needles: [String], of rowids: [Int64]? = nil,
        _ body: (_ rowid: Int64, _ extra: Double) -> Void
    ) throws {
        // The body is read from the character index alone: its weight must stay 1.
        let fields = rankedFields.dropFirst().filter { $0.weight > 1 }
        guard !fields.isEmpty else { return }
        let columns = fields.map(\.name).joined(separator: ", ")
        let weights = fields.map { $0.weight - 1 }
        let statement: Statement
        let rows: RowCursor
        if let rowids {
            statement = try db.makeStatement(
                sql: "SELECT rowid, \(columns) FROM articles WHERE rowid IN (SELECT value FROM json_each(?))")
            rows = try Row.fetchCursor(statement, arguments: [CharacterCounts.jsonArray(rowids)])
        } else {
            statement = try db.makeStatement(
                sql: "SELECT rowid, \(columns) FROM articles INDEXED BY articles_headings")
            rows = try Row.fetchCursor(statement)
        }
        let handle = statement.sqliteStatement
        // Each form's bytes, kept for the whole scan.
        let forms = needles.map { Array($0.utf8) }.filter { !$0.isEmpty }.map { bytes in
            let form = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
            _ = form.initialize(from: bytes)
            return form
        }
        defer { for form in forms { form.deallocate() } }
        while try rows.next() != nil {
            var extra = 0.0
            for (offset, weight) in weights.enumerated() {
                let column = Int32(offset + 1)
                guard let text = sqlite3_column_text(handle, column) else { continue }
                let length = Int(sqlite3_column_bytes(handle, column))
                guard length > 0 else { continue }
                var count: Int64 = 0
                for form in forms {
                    guard let start = form.baseAddress else { continue }
                    count += OccurrenceCount.occurrences(of: start, size: form.count, in: text, length: length)
                }
                extra += weight * Double(count)
            }
            if extra > 0 { body(sqlite3_column_int64(handle, 0), extra) }
        }
    }

    /// The variant forms of a one-character term, each as a string.
    private static func variantForms(_ character: String) -> [String] {
        let forms = character.unicodeScalars.first.map { VariantFolding.forms(of: $0.value) } ?? []
        return forms.compactMap { Unicode.Scalar($0).map { String(Character($0)) } }
    }

    /// ``rankedByCharacters(_:required:excluded:asTyped:filter:arguments:limit:)`` for characters as typed:
    /// their occurrences counted in the text of every article that passes `filter`.
    static func rankedByCountingText(
        _ db: Database, _ characters: [String], filter: String, arguments: [String], limit: Int
    ) throws -> [(Article, Double)] {
        var counts: [String] = []
        var countArguments: [String] = []
        let placeholders = Array(repeating: "?", count: characters.count).joined(separator: ", ")
        for (field, weight) in rankedFields {
            countArguments += characters
            counts.append("\(weight) * \(OccurrenceCount.name)(a.\(field), \(placeholders))")
        }
        let length = rankedFields.map { "length(a.\($0.name))" }.joined(separator: " + ")
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT a.rowid AS id, \(counts.joined(separator: " + ")) AS frequency, \(length) AS size
                FROM articles a WHERE a.deleted = 0\(filter)
                """, arguments: StatementArguments(countArguments) + StatementArguments(arguments))
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM articles_fts_docsize") ?? rows.count
        let scored = rows.map { row in
            (rowid: row["id"] as Int64, frequency: row["frequency"] as Double, size: Double(row["size"] as Int))
        }
        return try ranked(db, scored, total: total, limit: limit)
    }

    /// The best `limit` of `scored` articles by BM25 (FTS5's k1 and b, an IDF that stays positive, the
    /// characters taken together as one term, `total` articles in all), read in full.
    private static func ranked(
        _ db: Database, _ scored: [(rowid: Int64, frequency: Double, size: Double)], total: Int, limit: Int
    ) throws -> [(Article, Double)] {
        guard !scored.isEmpty else { return [] }
        let (k1, b) = (1.2, 0.75)
        let idf = log(1 + (Double(max(total, scored.count) - scored.count) + 0.5) / (Double(scored.count) + 0.5))
        let average = max(1.0, scored.reduce(0.0) { $0 + $1.size } / Double(scored.count))
        let ranks = best(
            limit,
            of: scored.map { article in
                let (frequency, size) = (article.frequency, article.size)
                return (article.rowid, -idf * frequency * (k1 + 1) / (frequency + k1 * (1 - b + b * size / average)))
            })
        let rankOf = Dictionary(uniqueKeysWithValues: ranks.map { ($0.rowid, $0.rank) })
        let rowids = ranks.map { String($0.rowid) }.joined(separator: ",")
        var result: [(Article, Double, Int64)] = []
        for row in try Row.fetchAll(
            db, sql: "SELECT \(Article.columns(of: "a")), a.rowid FROM articles a WHERE a.rowid IN (\(rowids))")
        {
            let rowid: Int64 = row[Article.columnCount]
            result.append((Article(columnsOf: row), rankOf[rowid] ?? 0, rowid))
        }
        result.sort { $0.1 != $1.1 ? $0.1 < $1.1 : $0.2 > $1.2 }
        return result.map { ($0.0, $0.1) }
    }

    /// The best `limit` of `ranks`, best first: the lowest rank, and the higher rowid among equal ranks.
    ///
    /// When `limit` is a small part of them, each rank is set against the worst of the best kept so far,
    /// which most are not better than, where sorting them all would order every article.
    static func best(_ limit: Int, of ranks: [(rowid: Int64, rank: Double)]) -> [(rowid: Int64, rank: Double)] {
        func precedes(_ a: (rowid: Int64, rank: Double), _ b: (rowid: Int64, rank: Double)) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.rowid > b.rowid
        }
        guard limit > 0 else { return [] }
        guard limit * 8 < ranks.count else { return Array(ranks.sorted(by: precedes).prefix(limit)) }
        var kept: [(rowid: Int64, rank: Double)] = []
        kept.reserveCapacity(limit + 1)
        for candidate in ranks {
            if kept.count == limit {
                guard let worst = kept.last, precedes(candidate, worst) else { continue }
                kept.removeLast()
            }
            var low = 0
            var high = kept.count
            while low < high {
                let middle = (low + high) / 2
                if precedes(kept[middle], candidate) { low = middle + 1 } else { high = middle }
            }
            kept.insert(candidate, at: low)
        }
        return kept
    }

    // MARK: - Pinyin

    /// Searches a query that holds pinyin terms.
    ///
    /// The full-text index narrows the articles by the rest of the query and the character index by the
    /// syllables' characters; the whole query is then checked on the text. Hits on the text as written rank first, then those through other variant forms, then those
    /// found through pinyin only.
    static func searchReadingPinyin(
        _ db: Database, _ wanted: SearchQuery, limit: Int, tagFilter: String, tagArguments: [String]
    ) throws -> [SearchHit] {
        guard let root = wanted.root else { return [] }
        var patterns: [String: PinyinPattern] = [:]
        for term in wanted.allPinyinTerms where patterns[term] == nil {
            patterns[term] = Pinyin.pattern(term)
        }
        let readings = wanted.pinyinTerms.compactMap { patterns[$0] }
        let terms = wanted.highlightTerms
        var filter = tagFilter
        var arguments = tagArguments
        // Whether some article holds a character: most characters a syllable stands for are rare.
        var presence: [UInt32: Bool] = [:]
        let holding = try db.cachedStatement(sql: "SELECT 1 FROM articles_chars WHERE articles_chars MATCH ? LIMIT 1")
        func isPresent(_ character: UInt32) throws -> Bool {
            if let known = presence[character] { return known }
            guard let scalar = Unicode.Scalar(character) else { return false }
            let found = try Bool.fetchOne(holding, arguments: ["\"\(Character(scalar))\""]) ?? false
            presence[character] = found
            return found
        }
        if let narrowed = try narrowing(root, patterns: patterns, isPresent: isPresent) {
            filter += " AND " + narrowed.0
            arguments += narrowed.1
        }
        // Hits without reading pinyin rank first, on the characters as written, then folded; pinyin last.
        let queryHasVariantForms = terms.contains { VariantFolding.fold($0) != $0 }
        func tier(_ matcher: inout ExactMatcher) -> Int {
            matcher.readsPinyin = false
            defer { matcher.readsPinyin = true }
            guard matcher.matches(root, exact: false) else { return 2 }
            return (!queryHasVariantForms && matcher.hasNoVariantForms) || matcher.matches(root, exact: true) ? 0 : 1
        }
        // The snippet is made for the hits shown only: its field's text is kept until then.
        var ranked: [(tier: Int, hit: SearchHit, snippetText: String?)] = []
        var seen: Set<String> = []
        let weighted = rankedFields.compactMap { field in ChangeField(rawValue: field.name).map { ($0, field.weight) } }
        let cursor = try Article.fetchCursor(
            db, sql: "SELECT a.* FROM articles a WHERE a.deleted = 0\(filter)", arguments: StatementArguments(arguments)
        )
        // One pinyin term alone (`py:chongqing`): the hits counted for the score are the match, in one pass.
        var lone: PinyinPattern? = nil
        if case .pinyin(let text) = root, terms.isEmpty { lone = patterns[text] }
        while let article = try cursor.next() {
            var matcher = ExactMatcher(article: article)
            matcher.patterns = patterns
            if lone == nil { guard matcher.matches(root, exact: false) else { continue } }
            // Score: the hits marked in each field, by the ranking's column weights.
            var score = 0.0
            var best: (text: String, field: String)?
            for (field, weight) in weighted {
                let text = article.text(field) ?? ""
                guard !text.isEmpty else { continue }
                let count =
                    lone.map { Self.markedCount($0.ranges(in: text, limit: hitLimit)) }
                    ?? hitRanges(in: CodePoints(text), terms: terms, readings: readings).count
                score += weight * Double(count)
                if best == nil && count > 0 { best = (text, field.rawValue) }
            }
            if lone != nil && best == nil { continue }
            ranked.append(
                (
                    lone == nil ? tier(&matcher) : 2,
                    SearchHit(
                        id: article.id, title: article.title, score: score, snippet: Snippet(text: "", highlights: []),
                        annotationID: nil, field: best?.field ?? "body"),
                    best?.text ?? article.body
                ))
            seen.insert(article.id)
        }
        if !wanted.usesColumns {
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT n.id, n.article_id, n.quote, n.note, a.title FROM annotations n
                    JOIN articles a ON a.id = n.article_id AND a.deleted = 0
                    WHERE n.deleted = 0\(tagFilter)
                    """, arguments: StatementArguments(tagArguments))
            while let row = try rows.next() {
                let articleID: String = row["article_id"]
                guard !seen.contains(articleID) else { continue }
                let note: String = row["note"]
                let quote: String = row["quote"]
                var matcher = ExactMatcher(fields: [("note", note), ("quote", quote)])
                matcher.patterns = patterns
                guard matcher.matches(root, exact: false) else { continue }
                seen.insert(articleID)
                var snippet = snippetOf(note, terms: terms, readings: readings)
                if snippet.highlights.isEmpty && !quote.isEmpty {
                    snippet = snippetOf(quote, terms: terms, readings: readings)
                }
                ranked.append(
                    (
                        tier(&matcher),
                        SearchHit(
                            id: articleID, title: row["title"], score: Double(snippet.highlights.count),
                            snippet: snippet, annotationID: row["id"], field: "annotation"),
                        nil
                    ))
            }
        }
        // Equal ranks in the order of the ids: the same hits are shown whatever order the rows came in.
        ranked.sort { a, b in
            if a.tier != b.tier { return a.tier < b.tier }
            if a.hit.score != b.hit.score { return a.hit.score > b.hit.score }
            return (a.hit.id, a.hit.annotationID ?? "") < (b.hit.id, b.hit.annotationID ?? "")
        }
        return ranked.prefix(limit).map { entry in
            guard let text = entry.snippetText else { return entry.hit }
            var hit = entry.hit
            // A hit found in no field (a pinyin reading the highlighter does not mark) shows the body's start.
            let marked = hit.score > 0
            hit.snippet = snippetOf(text, terms: marked ? terms : [], readings: marked ? readings : [])
            return hit
        }
    }

    /// A condition on `a.rowid` that every article matching the node meets, from the indexes.
    ///
    /// The full-text index answers for words and for pinyin of two syllables or more (the bigrams their
    /// characters make), the character index for other pinyin. Nil when the node does not narrow anything.
    static func narrowing(
        _ node: SearchQuery.Node, patterns: [String: PinyinPattern], isPresent: (UInt32) throws -> Bool
    ) rethrows -> (String, [String])? {
        switch node {
        case .text, .exact:
            guard !SearchQuery(root: node, requiredTags: [], excludedTags: []).hasPinyin else {
                if case .exact(let inner) = node {
                    return try narrowing(inner, patterns: patterns, isPresent: isPresent)
                }
                return nil
            }
            guard let match = SearchQuery(root: node, requiredTags: [], excludedTags: []).relaxed().matchExpression()
            else { return nil }
            return ("a.rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)", [match])
        case .pinyin(let text):
            guard let pattern = patterns[text], let expressions = try pattern.indexExpressions(isPresent: isPresent)
            else { return nil }
            var parts: [(String, [String])] = []
            if let text = expressions.text {
                parts.append(("a.rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)", [text]))
            }
            if let characters = expressions.characters {
                parts.append(
                    ("a.rowid IN (SELECT rowid FROM articles_chars WHERE articles_chars MATCH ?)", [characters]))
            }
            guard !parts.isEmpty else { return ("0", []) }
            return ("(" + parts.map(\.0).joined(separator: " OR ") + ")", parts.flatMap(\.1))
        case .and(let nodes):
            let parts = try nodes.compactMap { node -> (String, [String])? in
                if case .not = node { return nil }
                return try narrowing(node, patterns: patterns, isPresent: isPresent)
            }
            guard !parts.isEmpty else { return nil }
            return ("(" + parts.map(\.0).joined(separator: " AND ") + ")", parts.flatMap(\.1))
        case .or(let nodes):
            var parts: [(String, [String])] = []
            for node in nodes {
                guard let part = try narrowing(node, patterns: patterns, isPresent: isPresent) else { return nil }
                parts.append(part)
            }
            return ("(" + parts.map(\.0).joined(separator: " OR ") + ")", parts.flatMap(\.1))
        case .not:
            return nil
        }
    }

    // MARK: - Snippets

    /// Code points shown in a snippet.
    static let snippetLength = 80

    /// The snippet of an article: from the body when it has a hit, else from the field that does.
    static func snippet(of article: Article, terms: [String]) -> (Snippet, String) {
        let body = snippetOf(article.body, terms: terms)
        if !body.highlights.isEmpty || terms.isEmpty { return (body, "body") }
        for field in [ChangeField.title, .subtitle, .kicker, .byline, .dateline] {
            let text = article.text(field) ?? ""
            let candidate = snippetOf(text, terms: terms)
            if !candidate.highlights.isEmpty { return (candidate, field.rawValue) }
        }
        return (body, "body")
    }

    /// A window of the text around its hits, on one line.
    static func snippetOf(_ text: String, terms: [String], readings: [PinyinPattern] = []) -> Snippet {
        // On one line: a paragraph break becomes one space. (A text has no more code points than UTF-8 bytes.)
        let flat = [UInt32](unsafeUninitializedCapacity: text.utf8.count) { buffer, count in
            count = 0
            for scalar in text.unicodeScalars {
                if scalar == "\n" {
                    if count == 0 || buffer[count - 1] != 0x20 {
                        buffer[count] = 0x20
                        count += 1
                    }
                } else {
                    buffer[count] = scalar.value
                    count += 1
                }
            }
        }
        let points = CodePoints(scalars: flat)
        let ranges = hitRanges(in: points, terms: terms, readings: readings)
        // Some context before the first hit.
        let start = ranges.first.map { max(0, $0.lowerBound - snippetLength / 4) } ?? 0
        var end = min(points.count, start + snippetLength)
        // A hit that starts inside the window is shown whole, never marked in part.
        if let straddling = ranges.first(where: { $0.lowerBound < end && $0.upperBound > end }) {
            end = straddling.upperBound
        }
        let lead = start > 0 ? "…" : ""
        let shift = lead.unicodeScalars.count - start
        let highlights = ranges.compactMap { range -> Range<Int>? in
            let lower = max(range.lowerBound, start)
            let upper = min(range.upperBound, end)
            return lower < upper ? (lower + shift)..<(upper + shift) : nil
        }
        return Snippet(
            text: lead + points.string(start..<end) + (end < points.count ? "…" : ""), highlights: highlights)
    }

    /// The most hits of one term marked in a text.
    static let hitLimit = 200

    /// How many marks sorted disjoint ranges make once those that touch are joined, as ``hitRanges(in:terms:readings:)`` joins them.
    static func markedCount(_ ranges: [Range<Int>]) -> Int {
        var count = 0
        var end = Int.min
        for range in ranges {
            if range.lowerBound > end { count += 1 }
            end = max(end, range.upperBound)
        }
        return count
    }

    /// Where the terms occur in a text, whitespace and case ignored, and where it reads as the pinyin
    /// patterns, as sorted disjoint ranges.
    static func hitRanges(in text: CodePoints, terms: [String], readings: [PinyinPattern] = []) -> [Range<Int>] {
        // The text without whitespace as the tokenizer sees it (a no-break or ideographic space included),
        // folded, and where each of its code points stands in the text.
        var positions = [Int](repeating: 0, count: text.count)
        let compact = text.scalars.withUnsafeBufferPointer { source in
            positions.withUnsafeMutableBufferPointer { positions in
                [UInt32](unsafeUninitializedCapacity: source.count) { buffer, count in
                    count = 0
                    for (index, value) in source.enumerated() where !CharacterClass.isWhitespace(value) {
                        buffer[count] = foldForMatching(value)
                        positions[count] = index
                        count += 1
                    }
                }
            }
        }
        let haystack = CodePoints(scalars: compact)
        var ranges: [Range<Int>] = []
        if !readings.isEmpty {
            let scalars = (0..<text.count).map { text[$0] }
            for pattern in readings { ranges += pattern.ranges(in: scalars, limit: hitLimit) }
        }
        for term in terms {
            // `word*`: a word that starts with the term, marked whole.
            let isPrefix = term.unicodeScalars.count > 1 && term.hasSuffix("*")
            let needle = CodePoints(
                scalars: TextCleaner.removingWhitespace(isPrefix ? String(term.dropLast()) : term).unicodeScalars.map {
                    foldForMatching($0.value)
                })
            guard !needle.isEmpty else { continue }
            // A term that starts or ends with a letter or digit matches whole words only, as the index does:
            // `ai` is not marked inside `AIGC`, nor `500` inside `1500`.
            let opensWord = isWordCharacter(needle[0])
            let closesWord = isWordCharacter(needle[needle.count - 1])
            var found = 0
            var start = -1
            let first = needle[0]
            while found < hitLimit {
                start += 1
                guard start <= haystack.count - needle.count else { break }
                guard haystack[start] == first, haystack.matches(needle, at: start) else { continue }
                let lower = positions[start]
                var upper = positions[start + needle.count - 1] + 1
                // Whitespace ends a word: `ai gc` is two words, and `500 万` no junction.
                if upper - lower > needle.count && splitsWord(needle, at: start, positions: positions) { continue }
                if opensWord, let before = neighbour(of: lower, in: text, step: -1), isWordCharacter(before) {
                    continue
                }
                if closesWord {
                    if isPrefix {
                        while let next = neighbour(of: upper - 1, in: text, step: 1), isWordCharacter(next) {
                            upper = wordEnd(after: upper, in: text)
                        }
                    } else if let after = neighbour(of: upper - 1, in: text, step: 1), isWordCharacter(after) {
                        continue
                    }
                }
                ranges.append(lower..<upper)
                found += 1
            }
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [Range<Int>] = []
        for range in ranges {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// True when whitespace in the text stands between two characters of the needle where one of them is a
    /// letter or digit.
    private static func splitsWord(_ needle: CodePoints, at start: Int, positions: [Int]) -> Bool {
        for offset in 0..<(needle.count - 1) where positions[start + offset + 1] > positions[start + offset] + 1 {
            if isWordCharacter(needle[offset]) || isWordCharacter(needle[offset + 1]) { return true }
        }
        return false
    }

    /// The folded code point next to `index` in the text, `step` away, characters that join a word
    /// without changing it (a soft hyphen, a joiner) skipped; nil at either end or at whitespace.
    private static func neighbour(of index: Int, in text: CodePoints, step: Int) -> UInt32? {
        var at = index + step
        while at >= 0 && at < text.count {
            let value = text[at]
            if CharacterClass.isWhitespace(value) { return nil }
            if CharacterClass.quick(value) != .ignorable { return foldForMatching(value) }
            at += step
        }
        return nil
    }

    /// Where the word that goes on at `index` ends: past its next character and the joiners before it.
    private static func wordEnd(after index: Int, in text: CodePoints) -> Int {
        var at = index
        while at < text.count, CharacterClass.quick(text[at]) == .ignorable { at += 1 }
        return min(at + 1, text.count)
    }

    /// True for a letter or digit that is not CJK (and a combining mark): what the tokenizer joins into
    /// one word.
    static func isWordCharacter(_ value: UInt32) -> Bool {
        if let known = CharacterClass.quick(value) { return known == .letter || known == .digit }
        guard let scalar = Unicode.Scalar(value) else { return false }
        switch CharacterClass.of(scalar) {
        case .letter, .digit, .other: return true
        default: return false
        }
    }

    /// Full-width ASCII to ASCII, ASCII letters to lowercase, variant forms of CJK characters to one form:
    /// a snippet marks what matched, whichever form the text has.
    static func foldForMatching(_ value: UInt32) -> UInt32 {
        var value = value
        if value >= 0xFF01 && value <= 0xFF5E { value -= 0xFEE0 }
        if value >= 0x41 && value <= 0x5A { value += 0x20 }
        return VariantFolding.fold(value)
    }
}
