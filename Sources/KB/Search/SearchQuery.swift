import Foundation

/// A parsed search query.
///
/// Syntax: terms separated by spaces are ANDed; `"a phrase"` keeps words together; `OR` between
/// two parts; `-term` excludes; `title:term` searches the headline (title, subtitle and kicker);
/// `tag:name` keeps articles that carry the tag or hold an annotation that does (`tag:"two words"`); `word*`
/// finds words starting with `word`; `py:chongqing` finds the characters read that way (see ``Pinyin``);
/// parentheses group. Chinese needs no spaces: `市场开拓能力` is one term that matches the text wherever it
/// stands, across line wraps and spurious spaces.
///
/// ```swift
/// let query = try SearchQuery.parse("工会 title:非遗 -上海 tag:2025")
/// ```
public struct SearchQuery: Sendable, Equatable {
    /// A node of the query.
    public indirect enum Node: Sendable, Equatable {
        /// Text to find: a term or a quoted phrase, optionally limited to a column.
        case text(String, column: String?)
        /// The terms inside match the characters as written, not their other variant forms (`exact:`).
        case exact(Node)
        /// Characters read as the pinyin given (`py:chongqing`, `py:cq`), see ``Pinyin``.
        case pinyin(String)
        case and([Node])
        case or([Node])
        case not(Node)
    }

    /// The text part of the query, nil when the query only filters by tag.
    public var root: Node?
    /// Tags every result must have.
    public var requiredTags: [String]
    /// Tags no result may have.
    public var excludedTags: [String]
    /// Filters on where articles were published and who wrote them (``MetadataFilter``).
    public var metadataFilters: [MetadataFilter] = []

    /// Columns a `field:` prefix may name.
    public static let columns: Set<String> = ["title", "subtitle", "kicker", "byline", "dateline", "body"]

    /// The index columns a `field:` prefix searches: `title:` covers every headline field (title, subtitle
    /// and kicker), the others their own column.
    static func indexColumns(for column: String) -> String {
        column == "title" ? "{title subtitle kicker}" : column
    }

    /// Parses a query.
    ///
    /// - Throws: ``KBError`` of kind ``KBError/Kind/querySyntax`` naming what is wrong.
    public static func parse(_ input: String) throws -> SearchQuery {
        var parser = QueryParser(input)
        return try parser.parse()
    }

    /// The text pieces that should be highlighted in results: every positive term, `word*` with its star.
    public var highlightTerms: [String] {
        var terms: [String] = []
        func walk(_ node: Node, negated: Bool) {
            switch node {
            case .text(let text, _):
                if !negated { terms.append(text) }
            case .and(let nodes), .or(let nodes):
                for node in nodes { walk(node, negated: negated) }
            case .not(let inner): walk(inner, negated: !negated)
            case .exact(let inner): walk(inner, negated: negated)
            case .pinyin: break
            }
        }
        if let root { walk(root, negated: false) }
        return terms
    }

    /// The pinyin terms whose hits should be highlighted: every positive `py:` term.
    public var pinyinTerms: [String] { pinyinTerms(includingExcluded: false) }

    /// Every pinyin term, excluded ones too.
    var allPinyinTerms: [String] { pinyinTerms(includingExcluded: true) }

    private func pinyinTerms(includingExcluded: Bool) -> [String] {
        var terms: [String] = []
        func walk(_ node: Node, negated: Bool) {
            switch node {
            case .pinyin(let text): if !negated || includingExcluded { terms.append(text) }
            case .text: break
            case .and(let nodes), .or(let nodes):
                for node in nodes { walk(node, negated: negated) }
            case .not(let inner): walk(inner, negated: !negated)
            case .exact(let inner): walk(inner, negated: negated)
            }
        }
        if let root { walk(root, negated: false) }
        return terms
    }

    /// True when some term is pinyin.
    public var hasPinyin: Bool {
        func walk(_ node: Node) -> Bool {
            switch node {
            case .pinyin: return true
            case .text: return false
            case .and(let nodes), .or(let nodes): return nodes.contains(where: walk)
            case .not(let inner), .exact(let inner): return walk(inner)
            }
        }
        return root.map(walk) ?? false
    }

    /// The query with every plain term that reads as pinyin (`chongqing`, `cq`) also matched as pinyin
    /// (`--pinyin`): `chongqing` becomes `chongqing OR py:chongqing`.
    public func readingPinyin() -> SearchQuery {
        func read(_ node: Node) -> Node {
            switch node {
            case .text(let text, nil) where !text.hasSuffix("*") && Pinyin.pattern(text) != nil:
                return .or([node, .pinyin(text)])
            case .text, .pinyin: return node
            case .and(let nodes): return .and(nodes.map(read))
            case .or(let nodes): return .or(nodes.map(read))
            case .not(let inner): return .not(read(inner))
            case .exact(let inner): return .exact(read(inner))
            }
        }
        var query = self
        query.root = root.map(read)
        return query
    }

    /// True when some term is limited to a column (such queries do not search annotations).
    public var usesColumns: Bool {
        func walk(_ node: Node) -> Bool {
            switch node {
            case .text(_, let column): return column != nil
            case .pinyin: return false
            case .and(let nodes), .or(let nodes): return nodes.contains(where: walk)
            case .not(let inner), .exact(let inner): return walk(inner)
            }
        }
        return root.map(walk) ?? false
    }

    /// True when some term must match the characters as written.
    public var hasExactTerms: Bool {
        func walk(_ node: Node) -> Bool {
            switch node {
            case .text, .pinyin: return false
            case .exact: return true
            case .and(let nodes), .or(let nodes): return nodes.contains(where: walk)
            case .not(let inner): return walk(inner)
            }
        }
        return root.map(walk) ?? false
    }

    /// The query with every term matched on the characters as written (`--exact`).
    public func exactly() -> SearchQuery {
        var query = self
        if let root { query.root = .exact(root) }
        return query
    }

    /// The query the full-text index is asked, when some terms are exact: those terms as folded (a superset),
    /// and excluded parts that hold an exact term left out, since the index cannot tell the forms apart; the
    /// rest is checked on the text (``ExactMatcher``).
    func relaxed() -> SearchQuery {
        func relax(_ node: Node) -> Node? {
            switch node {
            case .text, .pinyin: return node
            case .exact(let inner): return relax(inner)
            case .and(let nodes):
                let kept = nodes.compactMap { node -> Node? in
                    if case .not(let inner) = node,
                        SearchQuery(root: inner, requiredTags: [], excludedTags: [])
                            .hasExactTerms
                    {
                        return nil
                    }
                    return relax(node)
                }
                return kept.isEmpty ? nil : kept.count == 1 ? kept[0] : .and(kept)
            case .or(let nodes):
                let kept = nodes.compactMap(relax)
                return kept.count == nodes.count ? .or(kept) : nil
            case .not(let inner): return relax(inner).map { .not($0) }
            }
        }
        var query = self
        query.root = root.flatMap(relax)
        return query
    }

    /// Top-level terms that are a single CJK character, apart from the rest of the query: they are
    /// answered from the character index.
    ///
    /// Nil when there are none, or when such a term stands inside an OR or a group (then the whole
    /// query goes to the full-text index).
    ///
    /// The characters come as typed (not folded): the character index folds them itself.
    public func separatingLoneCharacters() -> (rest: Node?, required: [String], excluded: [String])? {
        guard let root else { return nil }
        var tokenizer = TextTokenizer(foldsVariants: false)
        func lone(_ node: Node) -> String? {
            guard case .text(let text, nil) = node, !text.hasSuffix("*") else { return nil }
            let tokens = tokenizer.tokens(in: text, mode: .query)
            guard tokens.count == 1, tokens[0].isTrailingLoneCJK else { return nil }
            return tokens[0].text
        }
        var required: [String] = []
        var excluded: [String] = []
        var rest: [Node] = []
        let nodes: [Node]
        if case .and(let parts) = root { nodes = parts } else { nodes = [root] }
        for node in nodes {
            if let character = lone(node) {
                required.append(character)
            } else if case .not(let inner) = node, let character = lone(inner) {
                excluded.append(character)
            } else {
                rest.append(node)
            }
        }
        guard !required.isEmpty || !excluded.isEmpty else { return nil }
        // A query of excluded characters only is not one (the parser refuses it); keep it whole.
        guard !required.isEmpty || rest.contains(where: { if case .not = $0 { false } else { true } }) else {
            return nil
        }
        return (rest.isEmpty ? nil : rest.count == 1 ? rest[0] : .and(rest), required, excluded)
    }

    /// The FTS5 MATCH expression.
    ///
    /// Every term goes to FTS5 as a quoted string, never as raw syntax; a term that ends in a lone
    /// CJK character becomes a prefix query, so it also matches where the character is followed by others.
    public func matchExpression() -> String? {
        guard let root else { return nil }
        var tokenizer = TextTokenizer()
        func render(_ node: Node) -> String {
            switch node {
            case .text(let raw, let column):
                // `word*` asks for words that start with `word`.
                let isPrefix = raw.count > 1 && raw.hasSuffix("*")
                let text = isPrefix ? String(raw.dropLast()) : raw
                let tokens = tokenizer.tokens(in: text, mode: .query)
                // FTS5 escapes a quote by doubling it (Swift, not Foundation: this runs in every search).
                let escaped = text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"")
                let quoted = "\"" + escaped + "\""
                let phrase = isPrefix || tokens.last?.isTrailingLoneCJK == true ? quoted + " *" : quoted
                return column.map { "\(Self.indexColumns(for: $0)) : \(phrase)" } ?? phrase
            case .and(let nodes):
                // FTS5's NOT is binary: put the excluded parts after the others.
                let positive = nodes.filter { if case .not = $0 { false } else { true } }
                let negative = nodes.compactMap { node -> Node? in if case .not(let inner) = node { inner } else { nil }
                }
                var expression = positive.map(render).joined(separator: " AND ")
                if positive.count > 1 { expression = "(" + expression + ")" }
                for node in negative { expression = "(" + expression + " NOT " + render(node) + ")" }
                return expression
            case .or(let nodes):
                return "(" + nodes.map(render).joined(separator: " OR ") + ")"
            case .exact(let inner):
                // The index holds folded forms: it finds a superset, checked afterwards.
                return render(inner)
            case .pinyin:
                // Not reached: queries with pinyin are searched by ``KnowledgeBase/searchReadingPinyin``. An
                // empty phrase matches nothing.
                return "\"\""
            case .not(let inner):
                // Only reached for a NOT that is not inside an AND; the parser prevents it.
                return render(inner)
            }
        }
        return render(root)
    }
}

// MARK: - Parser

/// A small recursive-descent parser for ``SearchQuery``.
struct QueryParser {
    private enum Token: Equatable {
        case word(String)
        case phrase(String)
        case minus
        case open
        case close
        case or
    }

    private let input: String
    private var tokens: [Token] = []
    private var position = 0
    private var requiredTags: [String] = []
    private var excludedTags: [String] = []
    private var metadataFilters: [MetadataFilter] = []

    init(_ input: String) { self.input = input }

    mutating func parse() throws -> SearchQuery {
        tokens = try lex(input)
        guard !tokens.isEmpty else { throw syntax("The query is empty; give words to search for.") }
        let root = try parseOr(topLevel: true)
        if position < tokens.count {
            if tokens[position] == .close {
                throw syntax("The query '\(input)' has a ')' without its '('; remove it or add the '('.")
            }
            throw syntax("The query '\(input)' could not be read past its word \(position + 1).")
        }
        if let root, !Self.hasPositive(root) {
            throw syntax(
                "The query '\(input)' only excludes words; add at least one word to search for.")
        }
        if root == nil && requiredTags.isEmpty && !metadataFilters.contains(where: { !$0.isExcluded }) {
            throw syntax("The query '\(input)' only excludes tags; add a word or a tag: to search for.")
        }
        return SearchQuery(
            root: root, requiredTags: requiredTags, excludedTags: excludedTags, metadataFilters: metadataFilters)
    }

    private static func hasPositive(_ node: SearchQuery.Node) -> Bool {
        switch node {
        case .text, .pinyin: return true
        case .exact(let inner): return hasPositive(inner)
        case .and(let nodes): return nodes.contains(where: hasPositive)
        case .or(let nodes): return nodes.allSatisfy(hasPositive)
        case .not: return false
        }
    }

    private func syntax(_ message: String) -> KBError { KBError(.querySyntax, message) }

    // MARK: Lexing

    private func lex(_ input: String) throws -> [Token] {
        var tokens: [Token] = []
        var index = input.startIndex
        while index < input.endIndex {
            let character = input[index]
            if character.isWhitespace {
                index = input.index(after: index)
            } else if character == "\"" || character == "“" || character == "”" {
                let close: Character = character == "“" ? "”" : "\""
                var end = input.index(after: index)
                while end < input.endIndex && input[end] != close && !(close == "\"" && input[end] == "”") {
                    end = input.index(after: end)
                }
                guard end < input.endIndex else {
                    throw syntax("The query '\(input)' has an opening quote without its closing quote; close it.")
                }
                let text = String(input[input.index(after: index)..<end])
                guard !text.allSatisfy(\.isWhitespace) else {
                    throw syntax("The query '\(input)' has an empty phrase \"\"; put words between the quotes.")
                }
                tokens.append(.phrase(text))
                index = input.index(after: end)
            } else if character == "(" || character == "（" {
                tokens.append(.open)
                index = input.index(after: index)
            } else if character == ")" || character == "）" {
                tokens.append(.close)
                index = input.index(after: index)
            } else if (character == "-" || character == "－")  // the full-width minus of Chinese input methods
                && (tokens.isEmpty || input[input.index(before: index)].isWhitespace
                    || input[input.index(before: index)] == "(" || input[input.index(before: index)] == "（")
            {
                tokens.append(.minus)
                index = input.index(after: index)
            } else {
                var end = index
                while end < input.endIndex {
                    let c = input[end]
                    if c.isWhitespace || c == "(" || c == ")" || c == "（" || c == "）" { break }
                    if c == "\"" || c == "“" || c == "”" {
                        // A field prefix followed by a phrase: title:"a b".
                        if input[index..<end].hasSuffix(":") { break }
                        break
                    }
                    end = input.index(after: end)
                }
                let word = String(input[index..<end])
                tokens.append(word == "OR" || word == "|" ? .or : .word(word))
                index = end
            }
        }
        return tokens
    }

    // MARK: Grammar

    /// Parses terms joined by OR.
    ///
    /// `or := and ("OR" and)*`
    private mutating func parseOr(topLevel: Bool) throws -> SearchQuery.Node? {
        var parts: [SearchQuery.Node?] = [try parseAnd(topLevel: topLevel)]
        while position < tokens.count && tokens[position] == .or {
            position += 1
            guard position < tokens.count, tokens[position] != .or, tokens[position] != .close else {
                throw syntax("The query '\(input)' ends an OR without a word after it; add one or remove the OR.")
            }
            parts.append(try parseAnd(topLevel: false))
        }
        if parts.count == 1 { return parts[0] }
        let nodes = parts.compactMap { $0 }
        guard nodes.count == parts.count else {
            throw syntax("The query '\(input)' puts tag: inside an OR; tags can only be required or excluded.")
        }
        return .or(nodes)
    }

    /// Parses terms written side by side, all of which must match.
    ///
    /// `and := unary+`
    private mutating func parseAnd(topLevel: Bool) throws -> SearchQuery.Node? {
        var nodes: [SearchQuery.Node] = []
        var sawTag = false
        while position < tokens.count && tokens[position] != .or && tokens[position] != .close {
            if let node = try parseUnary(topLevel: topLevel) { nodes.append(node) } else { sawTag = true }
        }
        if nodes.isEmpty && !sawTag {
            if position < tokens.count && tokens[position] == .or {
                throw syntax("The query '\(input)' starts an OR without a word before it; add one or remove the OR.")
            }
            throw syntax("The query '\(input)' has an empty group; put words between the parentheses.")
        }
        if nodes.isEmpty { return nil }
        return nodes.count == 1 ? nodes[0] : .and(nodes)
    }

    /// Parses a term, excluded when a `-` comes before it.
    ///
    /// `unary := "-" atom | atom`
    private mutating func parseUnary(topLevel: Bool) throws -> SearchQuery.Node? {
        if tokens[position] == .minus {
            position += 1
            guard position < tokens.count, tokens[position] != .close, tokens[position] != .or,
                tokens[position] != .minus
            else {
                throw syntax("The query '\(input)' has a '-' with nothing after it; write -word to exclude a word.")
            }
            if case .word(let word) = tokens[position], let (kind, rest) = MetadataFilter.prefix(of: word) {
                guard topLevel else {
                    throw syntax(
                        "The query '\(input)' puts \(kind.rawValue): inside parentheses; use it at the top level.")
                }
                position += 1
                metadataFilters.append(
                    try MetadataFilter.checked(kind, quotedValue(rest), excluded: true, query: input))
                return nil
            }
            if case .word(let word) = tokens[position], let tag = Self.tagValue(word) {
                guard topLevel else {
                    throw syntax("The query '\(input)' puts tag: inside parentheses; use tags at the top level only.")
                }
                position += 1
                excludedTags.append(try checkedTag(quotedValue(tag)))
                return nil
            }
            guard let inner = try parseAtom(topLevel: false) else { return nil }
            return .not(inner)
        }
        return try parseAtom(topLevel: topLevel)
    }

    /// Parses a group, a term limited to a field, a phrase or a word.
    ///
    /// `atom := "(" or ")" | field ":" value | phrase | word`
    private mutating func parseAtom(topLevel: Bool) throws -> SearchQuery.Node? {
        let token = tokens[position]
        position += 1
        switch token {
        case .open:
            let inner = try parseOr(topLevel: false)
            guard position < tokens.count, tokens[position] == .close else {
                throw syntax("The query '\(input)' has a '(' without its ')'; close it.")
            }
            position += 1
            return inner
        case .phrase(let text):
            return try textNode(text, column: nil)
        case .word(let word):
            if let (kind, rest) = MetadataFilter.prefix(of: word) {
                guard topLevel else {
                    throw syntax(
                        "The query '\(input)' puts \(kind.rawValue): inside parentheses or an OR; use it at the top level."
                    )
                }
                metadataFilters.append(
                    try MetadataFilter.checked(kind, quotedValue(rest), excluded: false, query: input))
                return nil
            }
            if let tag = Self.tagValue(word) {
                guard topLevel else {
                    throw syntax(
                        "The query '\(input)' puts tag: inside parentheses or an OR; use tags at the top level.")
                }
                requiredTags.append(try checkedTag(quotedValue(tag)))
                return nil
            }
            if let value = Self.pinyinValue(word) {
                let text = quotedValue(value)
                guard !text.isEmpty else {
                    throw syntax("The query '\(input)' has 'py:' with nothing after it; write py:chongqing.")
                }
                guard Pinyin.pattern(text) != nil else {
                    throw syntax(
                        "The query term 'py:\(text)' is not pinyin; write syllables such as py:chongqing, "
                            + "py:chóngqìng, py:chong2qing4 or initials such as py:cq.")
                }
                return .pinyin(text)
            }
            if word.lowercased().hasPrefix("exact:") {
                let value = quotedValue(String(word.dropFirst(6)))
                guard !value.isEmpty else {
                    throw syntax("The query '\(input)' has 'exact:' with nothing after it; write exact:word.")
                }
                return .exact(try textNode(value, column: nil))
            }
            if let colon = word.firstIndex(of: ":") {
                let field = word[..<colon].lowercased()
                if SearchQuery.columns.contains(field) {
                    let value = quotedValue(String(word[word.index(after: colon)...]))
                    guard !value.isEmpty else {
                        throw syntax("The query '\(input)' has '\(field):' with nothing after it; write \(field):word.")
                    }
                    return try textNode(value, column: field)
                }
            }
            return try textNode(word, column: nil)
        case .minus, .close, .or:
            throw syntax("The query '\(input)' could not be read at word \(position).")
        }
    }

    /// The value of a prefix (`tag:`, `title:`): the rest of its word, or the phrase right after it when the
    /// word ends at the colon (`tag:"two words"`).
    private mutating func quotedValue(_ rest: String) -> String {
        guard rest.isEmpty, position < tokens.count, case .phrase(let phrase) = tokens[position] else { return rest }
        position += 1
        return phrase
    }

    /// The value of a `py:` (or `pinyin:`) word.
    private static func pinyinValue(_ word: String) -> String? {
        let lowered = word.lowercased()
        for prefix in ["py:", "pinyin:"] where lowered.hasPrefix(prefix) {
            return String(word.dropFirst(prefix.count))
        }
        return nil
    }

    private static func tagValue(_ word: String) -> String? {
        guard word.lowercased().hasPrefix("tag:") else { return nil }
        return String(word.dropFirst(4))
    }

    private func checkedTag(_ tag: String) throws -> String {
        guard !tag.isEmpty else {
            throw syntax("The query '\(input)' has 'tag:' with no tag after it; write tag:name.")
        }
        return tag
    }

    private func textNode(_ text: String, column: String?) throws -> SearchQuery.Node {
        var tokenizer = TextTokenizer()
        guard !tokenizer.tokens(in: text, mode: .query).isEmpty else {
            throw syntax(
                "The query term '\(text)' has no searchable characters (punctuation is not searchable); "
                    + "search for words instead.")
        }
        return .text(text, column: column)
    }
}
