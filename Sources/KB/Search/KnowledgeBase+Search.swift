import Foundation
import GRDB

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
        let points = CodePoints(text)
        var out = ""
        var cursor = 0
        for range in highlights {
            out += points.string(cursor..<range.lowerBound) + open + points.string(range) + close
            cursor = range.upperBound
        }
        return out + points.string(cursor..<points.count)
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
    /// Column weights of the ranking, in the index's column order (body, title, subtitle, kicker,
    /// byline, dateline): the title above subtitle and kicker, above the body.
    static let rankWeights = "1.0, 10.0, 4.0, 3.0, 2.0, 1.0"

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
        if let split = query.separatingLoneCharacters() {
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
                    SELECT a.*, r.rank FROM (
                        SELECT rowid, bm25(articles_fts, \(rankWeights)) AS rank FROM articles_fts
                        WHERE articles_fts MATCH ?\(filtered ? " AND rowid IN (SELECT a.rowid FROM articles a WHERE 1\(articleFilter))" : "")
                        ORDER BY rank LIMIT ?
                    ) r JOIN articles a ON a.rowid = r.rowid ORDER BY r.rank
                    """, arguments: [articleMatch] + StatementArguments(filterArguments) + [limit]
            ).map { row -> (Article, Double) in (try Article(row: row), row["rank"] as Double) }
        } else {
            // Only one-character terms: ranked by how often the articles hold them.
            articleRows = try rankedByCharacters(
                db, query.separatingLoneCharacters()?.required ?? [], asTyped: checksText, filter: articleFilter,
                arguments: filterArguments, limit: limit)
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

    /// The articles that pass the filter, best first by BM25 over the occurrences of the characters (any of
    /// their variant forms) in each field, weighted as the full-text ranking weighs its columns, with their
    /// rank as FTS5 gives it (lower is better).
    ///
    /// The character index tells which articles hold a character, not how often: the occurrences are counted
    /// in SQL (`kb_count`, ``OccurrenceCount``), on the articles the filter keeps. With `asTyped` (exact terms in
    /// the query) only the forms as typed count, so the articles that hold them come first.
    static func rankedByCharacters(
        _ db: Database, _ characters: [String], asTyped: Bool, filter: String, arguments: [String], limit: Int
    ) throws -> [(Article, Double)] {
        let fields = ["body", "title", "subtitle", "kicker", "byline", "dateline"]
        let weights = rankWeights.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        var counts: [String] = []
        var countArguments: [String] = []
        for (field, weight) in zip(fields, weights) {
            for character in characters {
                // Every variant form of the character: the index matched them all.
                let forms =
                    character.unicodeScalars.first.map { asTyped ? [$0.value] : VariantFolding.forms(of: $0.value) }
                    ?? []
                let needles = forms.compactMap { Unicode.Scalar($0).map { String(Character($0)) } }
                guard !needles.isEmpty else { continue }
                countArguments += needles
                let placeholders = Array(repeating: "?", count: needles.count).joined(separator: ", ")
                counts.append("\(weight) * \(OccurrenceCount.name)(a.\(field), \(placeholders))")
            }
        }
        let length = fields.map { "length(a.\($0))" }.joined(separator: " + ")
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT a.rowid AS id, \(counts.isEmpty ? "0" : counts.joined(separator: " + ")) AS frequency, \(length) AS size
                FROM articles a WHERE a.deleted = 0\(filter)
                """, arguments: StatementArguments(countArguments) + StatementArguments(arguments))
        guard !rows.isEmpty else { return [] }
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM articles WHERE deleted = 0") ?? rows.count
        // BM25 with FTS5's k1 and b (and an IDF that stays positive), the characters taken together as one term.
        let (k1, b) = (1.2, 0.75)
        let idf = log(1 + (Double(total - rows.count) + 0.5) / (Double(rows.count) + 0.5))
        let average = max(1.0, rows.reduce(0.0) { $0 + Double($1["size"] as Int) } / Double(rows.count))
        var scored: [(rowid: Int64, rank: Double)] = rows.map { row in
            let frequency: Double = row["frequency"]
            let size = Double(row["size"] as Int)
            let score = idf * frequency * (k1 + 1) / (frequency + k1 * (1 - b + b * size / average))
            return (row["id"] as Int64, -score)
        }
        scored.sort { $0.rank != $1.rank ? $0.rank < $1.rank : $0.rowid > $1.rowid }
        scored = Array(scored.prefix(limit))
        let ranks = Dictionary(uniqueKeysWithValues: scored.map { ($0.rowid, $0.rank) })
        let rowids = scored.map { String($0.rowid) }.joined(separator: ",")
        var result: [(Article, Double, Int64)] = []
        for row in try Row.fetchAll(
            db, sql: "SELECT a.*, a.rowid AS kb_rowid FROM articles a WHERE a.rowid IN (\(rowids))")
        {
            let rowid: Int64 = row["kb_rowid"]
            result.append((try Article(row: row), ranks[rowid] ?? 0, rowid))
        }
        result.sort { $0.1 != $1.1 ? $0.1 < $1.1 : $0.2 > $1.2 }
        return result.map { ($0.0, $0.1) }
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
        if let narrowed = narrowing(root, patterns: patterns) {
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
        var ranked: [(tier: Int, hit: SearchHit)] = []
        var seen: Set<String> = []
        let cursor = try Article.fetchCursor(
            db, sql: "SELECT a.* FROM articles a WHERE a.deleted = 0\(filter)", arguments: StatementArguments(arguments)
        )
        while let article = try cursor.next() {
            var matcher = ExactMatcher(article: article)
            matcher.patterns = patterns
            guard matcher.matches(root, exact: false) else { continue }
            // Score: the hits marked in each field, by the ranking's column weights.
            var score = 0.0
            var best: (Snippet, String)?
            let weighted: [(ChangeField, Double)] = [
                (.body, 1.0), (.title, 10.0), (.subtitle, 4.0), (.kicker, 3.0), (.byline, 2.0), (.dateline, 1.0),
            ]
            for (field, weight) in weighted {
                let text = article.text(field) ?? ""
                guard !text.isEmpty else { continue }
                let count = hitRanges(in: CodePoints(text), terms: terms, readings: readings).count
                score += weight * Double(count)
                if best == nil && count > 0 {
                    best = (snippetOf(text, terms: terms, readings: readings), field.rawValue)
                }
            }
            let (snippet, field) = best ?? (snippetOf(article.body, terms: [], readings: []), "body")
            ranked.append(
                (
                    tier(&matcher),
                    SearchHit(
                        id: article.id, title: article.title, score: score, snippet: snippet, annotationID: nil,
                        field: field)
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
                            snippet: snippet, annotationID: row["id"], field: "annotation")
                    ))
            }
        }
        ranked.sort { a, b in a.tier != b.tier ? a.tier < b.tier : a.hit.score > b.hit.score }
        return ranked.prefix(limit).map(\.hit)
    }

    /// A condition on `a.rowid` that every article matching the node meets, from the indexes.
    ///
    /// The full-text index answers for words, the character index for pinyin. Nil when the node does not narrow anything.
    static func narrowing(_ node: SearchQuery.Node, patterns: [String: PinyinPattern]) -> (String, [String])? {
        switch node {
        case .text, .exact:
            guard !SearchQuery(root: node, requiredTags: [], excludedTags: []).hasPinyin else {
                if case .exact(let inner) = node { return narrowing(inner, patterns: patterns) }
                return nil
            }
            guard let match = SearchQuery(root: node, requiredTags: [], excludedTags: []).relaxed().matchExpression()
            else { return nil }
            return ("a.rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)", [match])
        case .pinyin(let text):
            guard let expression = patterns[text]?.characterIndexExpression() else { return nil }
            return ("a.rowid IN (SELECT rowid FROM articles_chars WHERE articles_chars MATCH ?)", [expression])
        case .and(let nodes):
            let parts = nodes.compactMap { node -> (String, [String])? in
                if case .not = node { return nil }
                return narrowing(node, patterns: patterns)
            }
            guard !parts.isEmpty else { return nil }
            return ("(" + parts.map(\.0).joined(separator: " AND ") + ")", parts.flatMap(\.1))
        case .or(let nodes):
            var parts: [(String, [String])] = []
            for node in nodes {
                guard let part = narrowing(node, patterns: patterns) else { return nil }
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
        // On one line: a paragraph break becomes one space.
        var flat: [UInt32] = []
        flat.reserveCapacity(text.utf8.count / 2)
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if flat.last != 0x20 { flat.append(0x20) }
            } else {
                flat.append(scalar.value)
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

    /// Where the terms occur in a text, whitespace and case ignored, and where it reads as the pinyin
    /// patterns, as sorted disjoint ranges.
    static func hitRanges(in text: CodePoints, terms: [String], readings: [PinyinPattern] = []) -> [Range<Int>] {
        var compact: [UInt32] = []
        var positions: [Int] = []
        compact.reserveCapacity(text.count)
        for index in 0..<text.count {
            let value = text[index]
            // Whitespace as the tokenizer sees it (a no-break or ideographic space included) is skipped.
            if CharacterClass.isWhitespace(value) { continue }
            compact.append(foldForMatching(value))
            positions.append(index)
        }
        let haystack = CodePoints(scalars: compact)
        var ranges: [Range<Int>] = []
        if !readings.isEmpty {
            let scalars = (0..<text.count).map { text[$0] }
            for pattern in readings { ranges += pattern.ranges(in: scalars, limit: 200) }
        }
        for term in terms {
            let needle = CodePoints(
                scalars: TextCleaner.removingWhitespace(term).unicodeScalars.map { foldForMatching($0.value) })
            guard !needle.isEmpty else { continue }
            for start in Anchoring.occurrences(of: needle, in: haystack, limit: 200) {
                ranges.append(positions[start]..<(positions[start + needle.count - 1] + 1))
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

    /// Full-width ASCII to ASCII, ASCII letters to lowercase, variant forms of CJK characters to one form:
    /// a snippet marks what matched, whichever form the text has.
    static func foldForMatching(_ value: UInt32) -> UInt32 {
        var value = value
        if value >= 0xFF01 && value <= 0xFF5E { value -= 0xFEE0 }
        if value >= 0x41 && value <= 0x5A { value += 0x20 }
        return VariantFolding.fold(value)
    }
}
