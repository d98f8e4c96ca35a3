import Foundation

/// How the tokenizer treats the end of its input.
public enum TokenizationMode: Sendable {
    /// Text being indexed: every run of CJK characters ends with the unigram of its last character.
    case document
    /// A query phrase: a CJK run that reaches the end of the input may continue in a document,
    /// so it yields only its bigrams (or, for a lone character, its unigram, to be matched as a prefix).
    case query
}

/// What the tokenizer says about a token besides its text.
public struct TokenFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The unigram of a lone CJK character at the end of a query: matched as a prefix.
    public static let trailingLoneCJK = TokenFlags(rawValue: 1)
    /// At the same position as the token before (FTS5's colocated tokens).
    public static let colocated = TokenFlags(rawValue: 2)
}

/// One token with its byte range in the UTF-8 input.
public struct TextToken: Equatable, Sendable, CustomStringConvertible {
    /// The normalized token text (NFKC, lowercased).
    public var text: String
    /// Byte offset of the first byte of the token in the UTF-8 input.
    public var start: Int
    /// Byte offset just past the token in the UTF-8 input.
    public var end: Int
    /// True when the token is the unigram of a lone CJK character at the end of a query:
    /// such a token is matched as a prefix.
    public var isTrailingLoneCJK: Bool
    /// True when the token stands at the same position as the one before it.
    public var isColocated: Bool

    public init(text: String, start: Int, end: Int, isTrailingLoneCJK: Bool = false, isColocated: Bool = false) {
        self.text = text
        self.start = start
        self.end = end
        self.isTrailingLoneCJK = isTrailingLoneCJK
        self.isColocated = isColocated
    }

    public var description: String { text }
}

/// The tokenizer behind kb's full-text index, usable without SQLite.
///
/// - NFKC and case folding: `ＡＩ` and `ai` are the same token; traditional and variant forms of CJK
///   characters fold to simplified ones (`頭髮` and `头发` are the same tokens), unless `foldsVariants` is off.
/// - A run of Latin letters or digits is one token; punctuation separates tokens.
/// - A run of CJK characters (Han, kana, hangul) yields overlapping bigrams and the unigram of its
///   last character. Whitespace between two CJK characters does not end the run, so text broken by
///   hard wraps or spurious spaces is indexed as if it were whole.
/// - Emoji and other symbols are tokens of one character each.
/// - A Latin or digit run followed by a CJK character also yields, at the run's position, a
///   junction token of the two (`500万`), so that a query ending in a number and one character
///   (`500万`, `3个`) is one exact token rather than a prefix query over every bigram of the character.
///
/// ```swift
/// var tokenizer = TextTokenizer()
/// tokenizer.tokens(in: "AI 大模型").map(\.text)  // ["ai", "ai大", "大模", "模型", "型"]
/// ```
public struct TextTokenizer: Sendable {
    /// Normalizations of scalars outside the fast paths, computed once per tokenizer.
    private var slowPathCache: [UInt32: [UInt32]] = [:]
    /// Whether CJK characters are folded to one variant form (``VariantFolding``), as the index holds them.
    public var foldsVariants: Bool

    /// A tokenizer.
    ///
    /// - Parameter foldsVariants: Fold traditional and variant forms of CJK characters to simplified ones, as
    ///   the full-text index does (the default); false gives the characters as written, for exact matching.
    public init(foldsVariants: Bool = true) {
        self.foldsVariants = foldsVariants
    }

    /// Tokenizes a string and returns its tokens.
    public mutating func tokens(in text: String, mode: TokenizationMode = .document) -> [TextToken] {
        var result: [TextToken] = []
        var utf8 = Array(text.utf8)
        utf8.withUnsafeMutableBufferPointer { buffer in
            tokenize(UnsafeBufferPointer(buffer), mode: mode) { bytes, start, end, flags in
                result.append(
                    TextToken(
                        text: String(decoding: bytes, as: UTF8.self), start: start, end: end,
                        isTrailingLoneCJK: flags.contains(.trailingLoneCJK), isColocated: flags.contains(.colocated)))
                return true
            }
        }
        return result
    }

    /// Tokenizes UTF-8 bytes, calling `emit` with each token's normalized bytes and byte range.
    ///
    /// - Parameters:
    ///   - text: UTF-8 input. Invalid sequences are treated as separators.
    ///   - mode: ``TokenizationMode/document`` or ``TokenizationMode/query``.
    ///   - emit: Receives the token bytes, start, end, and its ``TokenFlags``. Returns false to stop.
    public mutating func tokenize(
        _ text: UnsafeBufferPointer<UInt8>,
        mode: TokenizationMode,
        emit: (UnsafeBufferPointer<UInt8>, Int, Int, TokenFlags) -> Bool
    ) {
        var state = RunState()
        var stopped = false
        var index = 0
        let count = text.count
        while index < count && !stopped {
            let start = index
            let (scalar, length) = Self.decode(text, at: index)
            index += length
            guard let scalar else {
                stopped =
                    !state.endRun(endOfInput: false, mode: mode, emit: emit)
                    || !state.flushWord(mode: mode, emit: emit) || !state.breakJunction(mode: mode, emit: emit)
                continue
            }
            stopped = !feed(scalar, start: start, end: index, state: &state, mode: mode, emit: emit)
        }
        if !stopped {
            _ =
                state.flushWord(mode: mode, emit: emit) && state.endRun(endOfInput: true, mode: mode, emit: emit)
                && state.breakJunction(mode: mode, emit: emit)
        }
    }

    // MARK: - Classification

    private mutating func feed(
        _ scalar: UInt32, start: Int, end: Int, state: inout RunState, mode: TokenizationMode,
        emit: (UnsafeBufferPointer<UInt8>, Int, Int, TokenFlags) -> Bool
    ) -> Bool {
        // Full-width ASCII (ＡＩ，（）) is NFKC-equivalent to ASCII: map it without the slow path.
        let scalar = (scalar >= 0xFF01 && scalar <= 0xFF5E) ? scalar - 0xFEE0 : scalar
        switch Self.fastClass(scalar) {
        case .space:
            return state.flushWord(mode: mode, emit: emit)
        case .cjk:
            let character = foldsVariants ? VariantFolding.fold(scalar) : scalar
            return state.flushWord(mode: mode, emit: emit)
                && state.addCJK(character, start: start, end: end, mode: mode, emit: emit)
        case .alnum:
            guard state.endRun(endOfInput: false, mode: mode, emit: emit) else { return false }
            return state.appendWord(Self.lowercasedASCIIOrSelf(scalar), start: start, end: end, mode: mode, emit: emit)
        case .separator:
            // Punctuation of any width ends the word and any junction: `500，万` is not `500万`.
            return state.endRun(endOfInput: false, mode: mode, emit: emit) && state.flushWord(mode: mode, emit: emit)
                && state.breakJunction(mode: mode, emit: emit)
        case .ignorable:
            return true
        case .symbol:
            guard state.endRun(endOfInput: false, mode: mode, emit: emit), state.flushWord(mode: mode, emit: emit)
            else {
                return false
            }
            return state.emitSingle(scalar, start: start, end: end, mode: mode, emit: emit)
        case .slow:
            let mapped = slowPathMapping(scalar)
            for value in mapped {
                let ok: Bool
                switch Self.fastClass(value) {
                case .space: ok = state.flushWord(mode: mode, emit: emit)
                case .cjk:
                    let character = foldsVariants ? VariantFolding.fold(value) : value
                    ok =
                        state.flushWord(mode: mode, emit: emit)
                        && state.addCJK(character, start: start, end: end, mode: mode, emit: emit)
                case .alnum, .slow:
                    // A letter or digit of another script (or a combining mark after one).
                    if Self.isCombiningMark(value) && !state.inWord {
                        ok = true
                        break
                    }
                    ok =
                        state.endRun(endOfInput: false, mode: mode, emit: emit)
                        && state.appendWord(
                            Self.lowercasedASCIIOrSelf(value), start: start, end: end, mode: mode, emit: emit)
                case .separator:
                    ok =
                        state.endRun(endOfInput: false, mode: mode, emit: emit)
                        && state.flushWord(mode: mode, emit: emit)
                        && state.breakJunction(mode: mode, emit: emit)
                case .ignorable: ok = true
                case .symbol:
                    ok =
                        state.endRun(endOfInput: false, mode: mode, emit: emit)
                        && state.flushWord(mode: mode, emit: emit)
                        && state.emitSingle(value, start: start, end: end, mode: mode, emit: emit)
                }
                if !ok { return false }
            }
            return true
        }
    }

    /// NFKC and lowercase for a scalar outside the fast paths, as a list of scalars whose
    /// fast classes decide what they are.
    ///
    /// Letters and digits of other scripts come back with the `.slow` class preserved by
    /// ``fastClass(_:)``, and are treated as word characters.
    private mutating func slowPathMapping(_ scalar: UInt32) -> [UInt32] {
        if let cached = slowPathCache[scalar] { return cached }
        var mapped: [UInt32] = []
        if let unicodeScalar = Unicode.Scalar(scalar) {
            let normalized = String(Character(unicodeScalar)).precomposedStringWithCompatibilityMapping.lowercased()
            for s in normalized.unicodeScalars {
                let value = s.value
                if Self.fastClass(value) != .slow {
                    mapped.append(value)
                } else if s.properties.isAlphabetic || s.properties.numericType != nil
                    || s.properties.generalCategory == .nonspacingMark
                    || s.properties.generalCategory == .spacingMark
                {
                    mapped.append(value)  // stays .slow: a word character
                } else if s.properties.isWhitespace {
                    mapped.append(0x20)
                } else if s.properties.generalCategory == .otherSymbol
                    || s.properties.isEmoji
                        && s.properties.generalCategory != .otherPunctuation
                {
                    mapped.append(Self.symbolMarker | value)
                } else {
                    mapped.append(0x2C)  // a separator
                }
            }
        }
        slowPathCache[scalar] = mapped
        return mapped
    }

    /// Marks a scalar that the slow path decided is a symbol (bit 31 is never set in a scalar).
    static let symbolMarker: UInt32 = 0x8000_0000

    enum CharClass: Equatable { case space, cjk, alnum, separator, ignorable, symbol, slow }

    /// The tokenizer's view of a code point, from ``CharacterClass``: letters and digits of ASCII make words,
    /// CJK characters runs, whitespace nothing, punctuation of any width a break; compatibility ideographs and
    /// everything outside ``CharacterClass/quick(_:)``'s ranges go through NFKC first (`.slow`).
    @inline(__always)
    static func fastClass(_ v: UInt32) -> CharClass {
        if v & symbolMarker != 0 { return .symbol }
        if v >= 0xF900 && v <= 0xFAFF { return .slow }  // NFKC maps them to unified ideographs
        guard let known = CharacterClass.quick(v) else { return .slow }
        switch known {
        case .whitespace: return .space
        case .ideograph, .kana, .hangul: return .cjk
        case .letter, .digit: return v < 0x80 ? .alnum : .slow
        case .punctuation: return .separator
        case .symbol: return .symbol
        case .ignorable: return .ignorable
        case .other: return v < 0x80 ? .separator : .slow
        }
    }

    @inline(__always)
    static func lowercasedASCIIOrSelf(_ v: UInt32) -> UInt32 {
        (v >= 0x41 && v <= 0x5A) ? v + 0x20 : v
    }

    static func isCombiningMark(_ v: UInt32) -> Bool {
        guard let s = Unicode.Scalar(v) else { return false }
        let category = s.properties.generalCategory
        return category == .nonspacingMark || category == .spacingMark || category == .enclosingMark
    }

    /// Decodes one scalar; returns nil (and a length of 1) for an invalid sequence.
    @inline(__always)
    static func decode(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32?, Int) {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return (b0, 1) }
        let n = p.count
        if b0 & 0xE0 == 0xC0, i + 1 < n {
            let b1 = UInt32(p[i + 1])
            guard b1 & 0xC0 == 0x80 else { return (nil, 1) }
            let v = (b0 & 0x1F) << 6 | (b1 & 0x3F)
            return v >= 0x80 ? (v, 2) : (nil, 1)
        }
        if b0 & 0xF0 == 0xE0, i + 2 < n {
            let b1 = UInt32(p[i + 1])
            let b2 = UInt32(p[i + 2])
            guard b1 & 0xC0 == 0x80, b2 & 0xC0 == 0x80 else { return (nil, 1) }
            let v = (b0 & 0x0F) << 12 | (b1 & 0x3F) << 6 | (b2 & 0x3F)
            return (v >= 0x800 && !(v >= 0xD800 && v <= 0xDFFF)) ? (v, 3) : (nil, 1)
        }
        if b0 & 0xF8 == 0xF0, i + 3 < n {
            let b1 = UInt32(p[i + 1])
            let b2 = UInt32(p[i + 2])
            let b3 = UInt32(p[i + 3])
            guard b1 & 0xC0 == 0x80, b2 & 0xC0 == 0x80, b3 & 0xC0 == 0x80 else { return (nil, 1) }
            let v = (b0 & 0x07) << 18 | (b1 & 0x3F) << 12 | (b2 & 0x3F) << 6 | (b3 & 0x3F)
            return (v >= 0x10000 && v <= 0x10FFFF) ? (v, 4) : (nil, 1)
        }
        return (nil, 1)
    }
}

// MARK: - Run state

/// The word and CJK run being built, with a fixed scratch buffer for token bytes.
private struct RunState {
    var word: [UInt8] = []
    var wordStart = 0
    var wordEnd = 0
    var inWord = false

    var previous: UInt32 = 0
    var previousStart = 0
    var previousEnd = 0
    var hasPrevious = false
    var runLength = 0

    var scratch: [UInt8] = []

    init() {
        word.reserveCapacity(64)
        scratch.reserveCapacity(16)
    }

    /// Longest word token kept; longer runs are cut (base64 blobs and the like).
    static let maxWordBytes = 128

    // The last word and, once one follows it, the CJK character after it: a junction (`500万`).
    var junction: [UInt8] = []
    /// How many bytes of `junction` are the word.
    var wordLength = 0
    var junctionStart = 0
    /// A word just ended and nothing but whitespace followed: a CJK character now makes a junction.
    var hasJunction = false
    /// The junction holds its CJK character.
    var juncted = false
    /// In a query the word is held back until it is known whether the query ends with that word and
    /// one CJK character: then the junction token alone stands for both.
    var heldWord = false
    var heldStart = 0
    var heldEnd = 0

    mutating func appendWord(
        _ scalar: UInt32, start: Int, end: Int, mode: TokenizationMode,
        emit: (UnsafeBufferPointer<UInt8>, Int, Int, TokenFlags) -> Bool
    ) -> Bool {
        if !inWord {
            guard breakJunction(mode: mode, emit: emit) else { return false }
            inWord = true
            wordStart = start
            word.removeAll(keepingCapacity: true)
        }
        wordEnd = end
        if word.count < Self.maxWordBytes { Self.appendUTF8(scalar, to: &word) }
        return true
    }

    mutating func flushWord(mode: TokenizationMode, emit: (UnsafeBufferPointer<UInt8>, Int, Int, TokenFlags) -> Bool)
        -> Bool
    {
        guard inWord else { return true }
        inWord = false
        guard breakJunction(mode: mode, emit: emit) else { return false }
        junction.removeAll(keepingCapacity: true)
        junction.append(contentsOf: word)
        wordLength = word.count
        junctionStart = wordStart
        hasJunction = true
        if mode == .query {
            heldWord = true
            heldStart = wordStart
            heldEnd = wordEnd
            return true
        }
        return word.withUnsafeBufferPointer { emit($0, wordStart, wordEnd, []) }
    }

    /// Emits the word held back in a query.
    mutating func releaseHeldWord(emit: (UnsafeBufferPointer<UInt8>, Int, Int, TokenFlags) -> Bool) -> Bool {
        guard heldWord else { return true }
        heldWord = false
        return junction.withUnsafeBufferPointer { buffer in
            emit(UnsafeBufferPointer(rebasing: buffer[0..<wordLength]), heldStart, heldEnd, [])
        }
    }

    /// Something other than whitespace or a CJK character follows: no junction, and a held word goes out.
    mutating func breakJunction(
        mode: TokenizationMode, emit: (UnsafeBufferPointer<UInt8>, Int, Int, TokenFlags) -> Bool
    )
        -> Bool
    {
        hasJunction = false
        juncted = false
        return releaseHeldWord(emit: emit)
    }

    mutating func addCJK(
        _ scalar: UInt32, start: Int, end: Int, mode: TokenizationMode,
        emit: (UnsafeBufferPointer<UInt8>, Int, Int, TokenFlags) -> Bool
    ) -> Bool {
        defer {
            previous = scalar
            previousStart = start
            previousEnd = end
            hasPrevious = true
            runLength += 1
        }
        if hasJunction && !hasPrevious {
            // A word, then this character: the junction token, at the word's position.
            Self.appendUTF8(scalar, to: &junction)
            hasJunction = false
            juncted = true
            if mode == .document {
                return junction.withUnsafeBufferPointer { emit($0, junctionStart, end, [.colocated]) }
            }
            return true
        }
        // The run goes on past the junction's character: a held word goes out as it is.
        juncted = false
        guard releaseHeldWord(emit: emit) else { return false }
        guard hasPrevious else { return true }
        scratch.removeAll(keepingCapacity: true)
        Self.appendUTF8(previous, to: &scratch)
        Self.appendUTF8(scalar, to: &scratch)
        return scratch.withUnsafeBufferPointer { emit($0, previousStart, end, []) }
    }

    /// Ends the current CJK run.
    ///
    /// In a document, and in a query when something follows the run, the last character is emitted
    /// as a unigram. At the end of a query only a lone character is, and a query that ends with a word
    /// and one character ends with their junction token instead.
    mutating func endRun(
        endOfInput: Bool, mode: TokenizationMode, emit: (UnsafeBufferPointer<UInt8>, Int, Int, TokenFlags) -> Bool
    ) -> Bool {
        guard hasPrevious else { return true }
        defer {
            hasPrevious = false
            runLength = 0
        }
        let lone = runLength == 1
        if mode == .query && endOfInput && heldWord && juncted && lone {
            heldWord = false
            juncted = false
            return junction.withUnsafeBufferPointer { emit($0, heldStart, previousEnd, []) }
        }
        juncted = false
        guard releaseHeldWord(emit: emit) else { return false }
        if mode == .query && endOfInput && !lone { return true }
        scratch.removeAll(keepingCapacity: true)
        Self.appendUTF8(previous, to: &scratch)
        let flags: TokenFlags = mode == .query && endOfInput && lone ? [.trailingLoneCJK] : []
        return scratch.withUnsafeBufferPointer { emit($0, previousStart, previousEnd, flags) }
    }

    mutating func emitSingle(
        _ scalar: UInt32, start: Int, end: Int, mode: TokenizationMode,
        emit: (UnsafeBufferPointer<UInt8>, Int, Int, TokenFlags) -> Bool
    ) -> Bool {
        guard breakJunction(mode: mode, emit: emit) else { return false }
        scratch.removeAll(keepingCapacity: true)
        Self.appendUTF8(scalar & ~TextTokenizer.symbolMarker, to: &scratch)
        return scratch.withUnsafeBufferPointer { emit($0, start, end, []) }
    }

    @inline(__always)
    static func appendUTF8(_ v: UInt32, to bytes: inout [UInt8]) {
        if v < 0x80 {
            bytes.append(UInt8(v))
        } else if v < 0x800 {
            bytes.append(UInt8(0xC0 | (v >> 6)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            bytes.append(UInt8(0xE0 | (v >> 12)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        } else {
            bytes.append(UInt8(0xF0 | (v >> 18)))
            bytes.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}
