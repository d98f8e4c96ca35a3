/// What a character is, as the cleaner, the tokenizer, the snippet highlighter, anchoring and hashing all
/// see it: one definition of whitespace and of CJK characters for all of them.
///
/// - Whitespace: ASCII spaces and controls `\t \n \v \f \r`, NEL, no-break space, the spaces
///   U+2000–U+200A, zero-width space, line and paragraph separators, narrow no-break space, medium
///   mathematical space, ideographic space U+3000 and the byte-order mark.
/// - CJK: ideographs (unified, extensions A to H, compatibility ideographs, 々 〆 〇), kana, bopomofo and
///   hangul syllables.
/// - Punctuation of any width (`,` `，` `、` `。` `·` `・` quotes, dashes) separates; emoji and other symbols
///   stand alone.
///
/// ```swift
/// CharacterClass.of("，")        // .punctuation
/// CharacterClass.of("\u{3000}")  // .whitespace
/// CharacterClass.of("𠮷")        // .ideograph
/// ```
public enum CharacterClass: Sendable, Equatable, CaseIterable {
    case whitespace
    case ideograph
    case kana
    case hangul
    case letter
    case digit
    case punctuation
    case symbol
    /// Characters that change how a neighbour looks and nothing else: variation selectors, joiners,
    /// the soft hyphen.
    case ignorable
    /// Combining marks and whatever else none of the above covers.
    case other

    /// True for ideographs, kana (and bopomofo) and hangul.
    public var isCJK: Bool { self == .ideograph || self == .kana || self == .hangul }

    /// The class of a scalar.
    public static func of(_ scalar: Unicode.Scalar) -> CharacterClass {
        if let known = quick(scalar.value) { return known }
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .digit
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return .punctuation
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: return .symbol
        case .format: return .ignorable
        default: return properties.isEmoji ? .symbol : .other
        }
    }

    /// The class of a code point from the ranges that text in kb mostly holds, without Unicode's property
    /// tables; nil elsewhere (then ``of(_:)`` asks the properties).
    @inline(__always)
    public static func quick(_ v: UInt32) -> CharacterClass? {
        if v < 0x80 {
            if (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) { return .letter }
            if v >= 0x30 && v <= 0x39 { return .digit }
            if v == 0x20 || (v >= 0x09 && v <= 0x0D) { return .whitespace }
            return v < 0x20 || v == 0x7F ? .other : .punctuation
        }
        if v >= 0x4E00 && v <= 0x9FFF { return .ideograph }
        if v >= 0x3400 && v <= 0x4DBF { return .ideograph }
        if v >= 0x20000 && v <= 0x323AF { return .ideograph }
        if v >= 0x3000 && v <= 0x303F {
            if v == 0x3000 { return .whitespace }
            if v == 0x3005 || v == 0x3006 || v == 0x3007 { return .ideograph }
            return .punctuation
        }
        if v >= 0x3040 && v <= 0x30FF {
            if v == 0x30FB || v == 0x30A0 { return .punctuation }
            return .kana
        }
        if v >= 0xAC00 && v <= 0xD7A3 { return .hangul }
        if v >= 0x31F0 && v <= 0x31FF { return .kana }
        if v >= 0x3100 && v <= 0x312F { return .kana }  // bopomofo
        if v >= 0xF900 && v <= 0xFAFF { return .ideograph }  // compatibility ideographs
        if v >= 0xFE00 && v <= 0xFE0F { return .ignorable }
        if v == 0x200D || v == 0x200C || v == 0x00AD { return .ignorable }
        if isWhitespace(v) { return .whitespace }
        if v >= 0x2010 && v <= 0x205E { return .punctuation }  // general punctuation: dashes, quotes, ellipsis
        if v >= 0xFF5F && v <= 0xFF65 { return .punctuation }
        if v >= 0xFF01 && v <= 0xFF5E { return quick(v - 0xFEE0) }  // full-width ASCII
        if v == 0x00B7 { return .punctuation }
        if (v >= 0x1F000 && v <= 0x1FAFF) || (v >= 0x2600 && v <= 0x27BF) { return .symbol }
        return nil
    }

    /// True for whitespace, line breaks included.
    @inline(__always)
    public static func isWhitespace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x2000...0x200B, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
        default: false
        }
    }

    /// True for whitespace within a line: whitespace other than a line feed.
    @inline(__always)
    public static func isSpaceInLine(_ v: UInt32) -> Bool { v != 0x0A && isWhitespace(v) }

    /// True for a CJK character (``isCJK``), read from the quick ranges only.
    @inline(__always)
    public static func isCJK(_ v: UInt32) -> Bool { quick(v)?.isCJK ?? false }

    /// True for what Chinese text sets full-width.
    ///
    /// CJK characters, CJK and full-width punctuation and forms, the typographic quotes, dashes and ellipsis,
    /// the middle dots, radicals and the circles of lists. Spaces
    /// next to them are extraction artefacts (``TextCleaner``), and they count twice in a display width.
    @inline(__always)
    public static func isWide(_ v: UInt32) -> Bool {
        if v < 0x80 { return false }
        return isCJK(v) || (v >= 0x3000 && v <= 0x303F) || v == 0x30A0 || v == 0x30FB
            || (v >= 0xFF00 && v <= 0xFFEF) || (v >= 0x2010 && v <= 0x2027) || v == 0x00B7
            || (v >= 0x2E80 && v <= 0x2FDF) || (v >= 0xFE30 && v <= 0xFE4F) || v == 0x25CB || v == 0x25CF
    }
}
