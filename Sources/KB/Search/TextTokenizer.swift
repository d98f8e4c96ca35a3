import Foundation

/// How the tokenizer treats the end of its input.
public enum TokenizationMode: Sendable {
    /// Text being indexed: every run of CJK characters ends with the unigram of its last character.
    case document
    /// A query phrase: a CJK run that reaches the end of the input may continue in a document,
    /// so it yields only its bigrams (or, for a lone character, its unigram, to be matched as a prefix).
    case query
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

    public init(text: String, start: Int, end: Int, isTrailingLoneCJK: Bool = false) {
        self.text = text
        self.start = start
        self.end = end
        self.isTrailingLoneCJK = isTrailingLoneCJK
    }

    public var description: String { text }
}

/// The tokenizer behind kb's full-text index, usable without SQLite.
///
/// - NFKC and case folding: `ＡＩ` and `ai` are the same token.
/// - A run of Latin letters or digits is one token; punctuation separates tokens.
/// - A run of CJK characters (Han, kana, hangul) yields overlapping bigrams and the unigram of its
///   last character. Whitespace between two CJK characters does not end the run, so text broken by
///   hard wraps or spurious spaces is indexed as if it were whole.
/// - Emoji and other symbols are tokens of one character each.
///
/// ```swift
/// var tokenizer = TextTokenizer()
/// tokenizer.tokens(in: "AI 大模型").map(\.text)  // ["ai", "大模", "模型", "型"]
/// ```
public struct TextTokenizer: Sendable {
    /// Normalizations of scalars outside the fast paths, computed once per tokenizer.
    private var slowPathCache: [UInt32: [UInt32]] = [:]

    public init() {}

    /// Tokenizes a string and returns its tokens.
    public mutating func tokens(in text: String, mode: TokenizationMode = .document) -> [TextToken] {
        var result: [TextToken] = []
        var utf8 = Array(text.utf8)
        utf8.withUnsafeMutableBufferPointer { buffer in
            tokenize(UnsafeBufferPointer(buffer), mode: mode) { bytes, start, end, lone in
                result.append(
                    TextToken(
                        text: String(decoding: bytes, as: UTF8.self), start: start, end: end,
                        isTrailingLoneCJK: lone))
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
    ///   - emit: Receives the token bytes, start, end, and whether the token is a trailing lone CJK
    ///     unigram. Returns false to stop.
    public mutating func tokenize(
        _ text: UnsafeBufferPointer<UInt8>,
        mode: TokenizationMode,
        emit: (UnsafeBufferPointer<UInt8>, Int, Int, Bool) -> Bool
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
                stopped = !state.endRun(endOfInput: false, mode: mode, emit: emit)
                    || !state.flushWord(emit: emit)
                continue
            }
            stopped = !feed(scalar, start: start, end: index, state: &state, mode: mode, emit: emit)
        }
        if !stopped {
            _ = state.flushWord(emit: emit) && state.endRun(endOfInput: true, mode: mode, emit: emit)
        }
    }

    // MARK: - Classification

    private mutating func feed(
        _ scalar: UInt32, start: Int, end: Int, state: inout RunState, mode: TokenizationMode,
        emit: (UnsafeBufferPointer<UInt8>, Int, Int, Bool) -> Bool
    ) -> Bool {
        // Full-width ASCII (ＡＩ，（）) is NFKC-equivalent to ASCII: map it without the slow path.
        let scalar = (scalar >= 0xFF01 && scalar <= 0xFF5E) ? scalar - 0xFEE0 : scalar
        switch Self.fastClass(scalar) {
        case .space:
            return state.flushWord(emit: emit)
        case .cjk:
            return state.flushWord(emit: emit) && state.addCJK(scalar, start: start, end: end, emit: emit)
        case .alnum:
            guard state.endRun(endOfInput: false, mode: mode, emit: emit) else { return false }
            state.appendWord(Self.lowercasedASCIIOrSelf(scalar), start: start, end: end)
            return true
        case .separator:
            return state.endRun(endOfInput: false, mode: mode, emit: emit) && state.flushWord(emit: emit)
        case .ignorable:
            return true
        case .symbol:
            guard state.endRun(endOfInput: false, mode: mode, emit: emit), state.flushWord(emit: emit) else {
                return false
            }
            return state.emitSingle(scalar, start: start, end: end, emit: emit)
        case .slow:
            let mapped = slowPathMapping(scalar)
            for value in mapped {
                let ok: Bool
                switch Self.fastClass(value) {
                case .space: ok = state.flushWord(emit: emit)
                case .cjk: ok = state.flushWord(emit: emit) && state.addCJK(value, start: start, end: end, emit: emit)
                case .alnum, .slow:
                    // A letter or digit of another script (or a combining mark after one).
                    if Self.isCombiningMark(value) && !state.inWord { ok = true; break }
                    ok = state.endRun(endOfInput: false, mode: mode, emit: emit)
                    if ok { state.appendWord(Self.lowercasedASCIIOrSelf(value), start: start, end: end) }
                case .separator:
                    ok = state.endRun(endOfInput: false, mode: mode, emit: emit) && state.flushWord(emit: emit)
                case .ignorable: ok = true
                case .symbol:
                    ok = state.endRun(endOfInput: false, mode: mode, emit: emit) && state.flushWord(emit: emit)
                        && state.emitSingle(value, start: start, end: end, emit: emit)
                }
                if !ok { return false }
            }
            return true
        }
    }

    /// NFKC and lowercase for a scalar outside the fast paths, as a list of scalars whose
    /// fast classes decide what they are. Letters and digits of other scripts come back with
    /// the `.slow` class preserved by ``fastClass(_:)``, and are treated as word characters.
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
                } else if s.properties.generalCategory == .otherSymbol || s.properties.isEmoji
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

    @inline(__always)
    static func fastClass(_ v: UInt32) -> CharClass {
        if v & symbolMarker != 0 { return .symbol }
        if v < 0x80 {
            if (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) || (v >= 0x30 && v <= 0x39) { return .alnum }
            if v == 0x20 || (v >= 0x09 && v <= 0x0D) { return .space }
            return .separator
        }
        if v >= 0x4E00 && v <= 0x9FFF { return .cjk }
        if v >= 0x3400 && v <= 0x4DBF { return .cjk }
        if v >= 0x20000 && v <= 0x323AF { return .cjk }
        if v >= 0x3000 && v <= 0x303F {
            if v == 0x3000 { return .space }
            if v == 0x3005 || v == 0x3006 || v == 0x3007 { return .cjk }
            return .separator
        }
        if v >= 0x3040 && v <= 0x30FF {
            if v == 0x30FB || v == 0x30A0 { return .separator }
            return .cjk
        }
        if v >= 0xAC00 && v <= 0xD7A3 { return .cjk }
        if v >= 0x31F0 && v <= 0x31FF { return .cjk }
        if v >= 0x3100 && v <= 0x312F { return .cjk }
        if v >= 0xFE00 && v <= 0xFE0F { return .ignorable }
        if v == 0x200D || v == 0x200C || v == 0x00AD { return .ignorable }
        if v == 0x00A0 || v == 0xFEFF || v == 0x200B || v == 0x202F || v == 0x205F || (v >= 0x2000 && v <= 0x200A)
            || v == 0x2028 || v == 0x2029 || v == 0x0085
        {
            return .space
        }
        if v >= 0x2010 && v <= 0x205E { return .separator }  // general punctuation: dashes, quotes, ellipsis
        if v >= 0xFF5F && v <= 0xFF65 { return .separator }
        if (v >= 0x1F000 && v <= 0x1FAFF) || (v >= 0x2600 && v <= 0x27BF) { return .symbol }
        return .slow
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

    mutating func appendWord(_ scalar: UInt32, start: Int, end: Int) {
        if !inWord {
            inWord = true
            wordStart = start
            word.removeAll(keepingCapacity: true)
        }
        wordEnd = end
        if word.count < Self.maxWordBytes { Self.appendUTF8(scalar, to: &word) }
    }

    mutating func flushWord(emit: (UnsafeBufferPointer<UInt8>, Int, Int, Bool) -> Bool) -> Bool {
        guard inWord else { return true }
        inWord = false
        return word.withUnsafeBufferPointer { emit($0, wordStart, wordEnd, false) }
    }

    mutating func addCJK(
        _ scalar: UInt32, start: Int, end: Int, emit: (UnsafeBufferPointer<UInt8>, Int, Int, Bool) -> Bool
    ) -> Bool {
        defer {
            previous = scalar
            previousStart = start
            previousEnd = end
            hasPrevious = true
            runLength += 1
        }
        guard hasPrevious else { return true }
        scratch.removeAll(keepingCapacity: true)
        Self.appendUTF8(previous, to: &scratch)
        Self.appendUTF8(scalar, to: &scratch)
        return scratch.withUnsafeBufferPointer { emit($0, previousStart, end, false) }
    }

    /// Ends the current CJK run. In a document, and in a query when something follows the run,
    /// the last character is emitted as a unigram. At the end of a query only a lone character is.
    mutating func endRun(
        endOfInput: Bool, mode: TokenizationMode, emit: (UnsafeBufferPointer<UInt8>, Int, Int, Bool) -> Bool
    ) -> Bool {
        guard hasPrevious else { return true }
        defer {
            hasPrevious = false
            runLength = 0
        }
        let lone = runLength == 1
        if mode == .query && endOfInput && !lone { return true }
        scratch.removeAll(keepingCapacity: true)
        Self.appendUTF8(previous, to: &scratch)
        let trailingLone = mode == .query && endOfInput && lone
        return scratch.withUnsafeBufferPointer { emit($0, previousStart, previousEnd, trailingLone) }
    }

    mutating func emitSingle(
        _ scalar: UInt32, start: Int, end: Int, emit: (UnsafeBufferPointer<UInt8>, Int, Int, Bool) -> Bool
    ) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        Self.appendUTF8(scalar & ~TextTokenizer.symbolMarker, to: &scratch)
        return scratch.withUnsafeBufferPointer { emit($0, start, end, false) }
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
