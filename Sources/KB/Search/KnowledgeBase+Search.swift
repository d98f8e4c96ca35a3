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
    /// - Returns: The hits, best first.
    /// - Throws: ``KBError`` `.querySyntax` for a query that cannot be parsed, or a database error.
    public func search(_ query: String, limit: Int = 20, exact: Bool = false) throws -> [SearchHit] {
        var parsed = try SearchQuery.parse(query)
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
        let queryHasVariantForms = wanted.highlightTerms.contains { VariantFolding.fold($0) != $0 }
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
        let articleRows: [Row]
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
                    """, arguments: [articleMatch] + StatementArguments(filterArguments) + [limit])
        } else {
            // Only one-character terms: every article holding them matches as well; newest first.
            articleRows = try Row.fetchAll(
                db,
                sql:
                    "SELECT a.*, 0.0 AS rank FROM articles a WHERE a.deleted = 0\(articleFilter) ORDER BY a.rowid DESC LIMIT ?",
                arguments: StatementArguments(filterArguments) + [limit])
        }
        for row in articleRows {
            let article = try Article(row: row)
            let rank: Double = row["rank"]
            var matcher = ExactMatcher(article: article)
            if let root = wanted.root {
                if checksText && !matcher.matches(root, exact: false) { continue }
                // Hits on the characters as typed rank above those found through another form.
                if (!queryHasVariantForms && matcher.hasNoVariantForms) || matcher.matches(root, exact: true) {
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
                if (!queryHasVariantForms && matcher.hasNoVariantForms) || matcher.matches(root, exact: true) {
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
    static func snippetOf(_ text: String, terms: [String]) -> Snippet {
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
        let ranges = hitRanges(in: points, terms: terms)
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

    /// Where the terms occur in a text, whitespace and case ignored, as sorted disjoint ranges.
    static func hitRanges(in text: CodePoints, terms: [String]) -> [Range<Int>] {
        var compact: [UInt32] = []
        var positions: [Int] = []
        compact.reserveCapacity(text.count)
        for index in 0..<text.count {
            let value = text[index]
            // Whitespace as the tokenizer sees it (a no-break or ideographic space included) is skipped.
            if TextTokenizer.fastClass(value) == .space { continue }
            compact.append(foldForMatching(value))
            positions.append(index)
        }
        let haystack = CodePoints(scalars: compact)
        var ranges: [Range<Int>] = []
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
