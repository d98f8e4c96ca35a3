/// Evaluates a query on an article's text in Swift, the way the full-text index would, with or without
/// folding variant forms: what `--exact` and `exact:` are checked with, and what tells an exact hit from a
/// folded one when ranking.
///
/// A term matches a field when its query tokens stand at consecutive positions of the field's document
/// tokens (FTS5's phrase rule), the last one as a prefix when the term ends in `*` or a lone CJK character.
struct ExactMatcher {
    /// The fields of a record to match, by the name a `field:` prefix uses.
    var fields: [(name: String, text: String)]

    /// Token positions of each field, by folding, computed when first needed.
    private var streams: [Bool: [[[String]]]] = [:]

    init(fields: [(name: String, text: String)]) {
        self.fields = fields
    }

    /// The fields of an article.
    init(article: Article) {
        self.init(fields: [
            ("body", article.body), ("title", article.title), ("subtitle", article.subtitle),
            ("kicker", article.kicker), ("byline", article.byline), ("dateline", article.dateline),
        ])
    }

    /// True when the node holds for the record.
    ///
    /// - Parameters:
    ///   - node: The query, or a part of it.
    ///   - exact: Whether every term is matched on the characters as written (else only `exact:` terms are).
    /// - Returns: True when the record matches.
    mutating func matches(_ node: SearchQuery.Node, exact: Bool) -> Bool {
        switch node {
        case .text(let raw, let column):
            return containsTerm(raw, column: column, exact: exact)
        case .exact(let inner):
            return matches(inner, exact: true)
        case .pinyin(let text):
            return readsPinyin && readsAs(text)
        case .and(let nodes):
            for node in nodes where !matches(node, exact: exact) { return false }
            return true
        case .or(let nodes):
            for node in nodes where matches(node, exact: exact) { return true }
            return false
        case .not(let inner):
            return !matches(inner, exact: exact)
        }
    }

    /// Pinyin patterns by query term, parsed once per search.
    var patterns: [String: PinyinPattern] = [:]
    /// False to treat pinyin terms as matching nothing: what tells a hit through pinyin only.
    var readsPinyin = true

    /// True when some field reads as the pinyin term.
    private mutating func readsAs(_ text: String) -> Bool {
        if patterns[text] == nil { patterns[text] = Pinyin.pattern(text) }
        guard let pattern = patterns[text] else { return false }
        return fields.contains { pattern.matches($0.text) }
    }

    /// True when no field holds a character that folds to another: then folded and exact matching agree for
    /// a query that holds none either.
    var hasNoVariantForms: Bool {
        fields.allSatisfy { field in field.text.unicodeScalars.allSatisfy { VariantFolding.fold($0.value) == $0.value }
        }
    }

    /// The characters that, found in a record, can make exact and folded matching of `node` differ: the other
    /// forms of every character of its terms, excluded ones too (for 头发: 頭, 髮, 發).
    static func otherForms(of node: SearchQuery.Node?) -> [UInt32] {
        var tokenizer = TextTokenizer(foldsVariants: false)
        var characters: Set<UInt32> = []
        func walk(_ node: SearchQuery.Node) {
            switch node {
            case .text(let text, _):
                for token in tokenizer.tokens(in: text, mode: .query) {
                    for scalar in token.text.unicodeScalars where scalar.value >= 0x80 {
                        characters.insert(scalar.value)
                    }
                }
            case .pinyin: break
            case .and(let nodes), .or(let nodes): nodes.forEach(walk)
            case .not(let inner), .exact(let inner): walk(inner)
            }
        }
        if let node { walk(node) }
        var result: Set<UInt32> = []
        for character in characters { result.formUnion(VariantFolding.otherForms(of: character)) }
        return result.sorted()
    }

    /// True when no field holds one of `otherForms` (``otherForms(of:)``), nor a character that NFKC maps
    /// before folding (full-width ASCII aside: exact and folded matching both read it as ASCII): then the record matches the query exactly just when it matches it folded, and no
    /// field needs tokenizing to tell.
    func holdsNone(of otherForms: [UInt32]) -> Bool {
        for field in fields {
            for scalar in field.text.unicodeScalars {
                let value = scalar.value
                // ASCII, and full-width ASCII, which the tokenizer takes as ASCII, fold to themselves.
                guard value >= 0x80, value < 0xFF01 || value > 0xFF5E else { continue }
                if otherForms.contains(value) || TextTokenizer.fastClass(value) == .slow { return false }
            }
        }
        return true
    }

    private mutating func containsTerm(_ raw: String, column: String?, exact: Bool) -> Bool {
        let isPrefix = raw.count > 1 && raw.hasSuffix("*")
        let text = isPrefix ? String(raw.dropLast()) : raw
        var tokenizer = TextTokenizer(foldsVariants: !exact)
        let query = tokenizer.tokens(in: text, mode: .query)
        guard !query.isEmpty else { return false }
        // Tokenizing every field is the costly part: first see whether the characters as written are there at all.
        if exact && !mayHoldAsWritten(query.map(\.text)) { return false }
        let lastIsPrefix = isPrefix || query.last?.isTrailingLoneCJK == true
        let names: Set<String>? = column.map { $0 == "title" ? ["title", "subtitle", "kicker"] : [$0] }
        let positions = stream(folds: !exact)
        for (index, field) in fields.enumerated() where names?.contains(field.name) ?? true {
            if Self.contains(positions[index], query.map(\.text), lastIsPrefix: lastIsPrefix) { return true }
        }
        return false
    }

    /// False when no field can hold `tokens` as written: some CJK character of theirs is in no field.
    ///
    /// A field with a character that NFKC maps (which could become that character) may always hold them.
    func mayHoldAsWritten(_ tokens: [String]) -> Bool {
        var wanted: [UInt32] = []
        for token in tokens {
            for scalar in token.unicodeScalars
            where TextTokenizer.fastClass(scalar.value) == .cjk && !wanted.contains(scalar.value) {
                wanted.append(scalar.value)
            }
        }
        guard !wanted.isEmpty else { return true }
        var found = [Bool](repeating: false, count: wanted.count)
        var missing = wanted.count
        for field in fields {
            for scalar in field.text.unicodeScalars {
                let value = scalar.value
                guard value >= 0x80, value < 0xFF01 || value > 0xFF5E else { continue }
                if let index = wanted.firstIndex(of: value) {
                    guard !found[index] else { continue }
                    found[index] = true
                    missing -= 1
                    if missing == 0 { return true }
                } else if TextTokenizer.fastClass(value) == .slow {
                    return true
                }
            }
        }
        return false
    }

    /// Each field's tokens, position by position (colocated tokens together), folded or not: made once each.
    mutating func stream(folds: Bool) -> [[[String]]] {
        if let cached = streams[folds] { return cached }
        var tokenizer = TextTokenizer(foldsVariants: folds)
        let result = fields.map { field -> [[String]] in
            var positions: [[String]] = []
            for token in tokenizer.tokens(in: field.text, mode: .document) {
                if token.isColocated, !positions.isEmpty {
                    positions[positions.count - 1].append(token.text)
                } else {
                    positions.append([token.text])
                }
            }
            return positions
        }
        streams[folds] = result
        return result
    }

    /// True when the tokens stand at consecutive positions.
    static func contains(_ positions: [[String]], _ tokens: [String], lastIsPrefix: Bool) -> Bool {
        guard !tokens.isEmpty, positions.count >= tokens.count else { return false }
        for start in 0...(positions.count - tokens.count) {
            var matched = true
            for (offset, token) in tokens.enumerated() {
                let here = positions[start + offset]
                let isLast = offset == tokens.count - 1
                let found = isLast && lastIsPrefix ? here.contains { $0.hasPrefix(token) } : here.contains(token)
                if !found {
                    matched = false
                    break
                }
            }
            if matched { return true }
        }
        return false
    }
}
