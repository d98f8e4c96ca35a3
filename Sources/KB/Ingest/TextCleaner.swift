/// Cleaning of text extracted from PDF newspaper pages.
///
/// The extraction puts spaces between CJK characters ("记 者 陈 华") and around numbers and Latin
/// words ("4 月 21 日", "UP 主"), and breaks paragraphs into column-wide lines. Cleaning removes
/// those spaces and joins the lines back, and never removes anything but whitespace.
///
/// ```swift
/// TextCleaner.cleanLine("（记 者 陈 华）4 月 21 日 ，“ 文 脉")  // "（记者陈华）4月21日，“文脉"
/// ```
public enum TextCleaner {
    /// Removes extraction spaces from one line.
    ///
    /// Whitespace between two CJK characters or CJK punctuation goes, and so does whitespace
    /// between CJK and a digit, a Latin letter or ASCII punctuation. Whitespace between two Latin
    /// or digit runs is kept as one space, except in a letter-spaced line, where runs of single
    /// letters or digits ("1 2 7 1 1") are joined back.
    public static func cleanLine(_ line: some StringProtocol) -> String {
        // Most lines hold no whitespace at all: nothing to do.
        if !containsSpace(line.utf8) { return String(line) }
        let scalars = Array(line.unicodeScalars)
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        var index = 0
        var removedBetweenCJK = 0
        var keptGaps = 0
        var wordGaps: [Int] = []
        while index < scalars.count {
            let scalar = scalars[index]
            guard isSpace(scalar) else {
                out.append(scalar)
                index += 1
                continue
            }
            var end = index
            while end < scalars.count && isSpace(scalars[end]) { end += 1 }
            defer { index = end }
            guard let before = out.last, end < scalars.count else { continue }  // leading or trailing
            let after = scalars[end]
            let cjkBefore = isCJKContext(before)
            let cjkAfter = isCJKContext(after)
            if cjkBefore && cjkAfter {
                removedBetweenCJK += 1
                if isWordGap(scalars, gapStart: index, gapEnd: end) { wordGaps.append(out.count) }
            } else if cjkBefore || cjkAfter {
                continue
            } else {
                out.append(" ")
                keptGaps += 1
            }
        }
        if keptGaps >= 2 && removedBetweenCJK >= 3 {
            out = joiningLetterSpacedRuns(out)
        } else if !wordGaps.isEmpty && removedBetweenCJK <= 4 && wordGaps.count * 2 >= removedBetweenCJK {
            // Not a letter-spaced line: a space between two words of two or more characters, as
            // between the names of a byline ("杨明清 记者张嫱"), is a real one.
            for position in wordGaps.reversed() { out.insert(" ", at: position) }
        }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: out)
        return String(result)
    }

    /// True when the gap separates two CJK words of at least two characters each.
    private static func isWordGap(_ scalars: [Unicode.Scalar], gapStart: Int, gapEnd: Int) -> Bool {
        guard gapStart >= 2, gapEnd + 1 < scalars.count, gapEnd - gapStart == 1 else { return false }
        return isCJKCharacter(scalars[gapStart - 1]) && isCJKCharacter(scalars[gapStart - 2])
            && isCJKCharacter(scalars[gapEnd]) && isCJKCharacter(scalars[gapEnd + 1])
    }

    /// True when UTF-8 bytes hold one of the whitespace characters ``isSpace(_:)`` knows.
    static func containsSpace(_ bytes: some Collection<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        var previous: (UInt8, UInt8) = (0, 0)
        while let byte = iterator.next() {
            switch byte {
            case 0x20, 0x09, 0x0B, 0x0C, 0x0D: return true
            case 0xA0 where previous.1 == 0xC2: return true  // U+00A0
            case 0x85 where previous.1 == 0xC2: return true  // U+0085
            case 0x80...0x8B where previous == (0xE2, 0x80): return true  // U+2000–U+200B
            case 0xA8...0xA9 where previous == (0xE2, 0x80): return true  // U+2028, U+2029
            case 0xAF where previous == (0xE2, 0x80): return true  // U+202F
            case 0x9F where previous == (0xE2, 0x81): return true  // U+205F
            case 0x80 where previous == (0xE3, 0x80): return true  // U+3000
            case 0xBF where previous == (0xEF, 0xBB): return true  // U+FEFF
            default: break
            }
            previous = (previous.1, byte)
        }
        return false
    }

    /// Joins runs of three or more single letters or digits separated by single spaces.
    private static func joiningLetterSpacedRuns(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        var index = 0
        while index < scalars.count {
            // A run: x␠y␠z… where each x is one alphanumeric scalar standing alone.
            var end = index
            var singles = 0
            while end < scalars.count, isASCIIAlnum(scalars[end]),
                end + 1 == scalars.count || !isASCIIAlnum(scalars[end + 1]),
                end == 0 || !isASCIIAlnum(scalars[end - 1])
            {
                singles += 1
                if end + 2 < scalars.count, scalars[end + 1] == " ", isASCIIAlnum(scalars[end + 2]) {
                    end += 2
                } else {
                    end += 1
                    break
                }
            }
            if singles >= 3 {
                for position in index..<end where scalars[position] != " " { out.append(scalars[position]) }
                index = end
            } else {
                out.append(scalars[index])
                index += 1
            }
        }
        return out
    }

    /// The text without leading and trailing whitespace (spaces, tabs, ideographic spaces).
    static func trimmed(_ text: Substring) -> Substring {
        var start = text.startIndex
        var end = text.endIndex
        while start < end, let scalar = text[start].unicodeScalars.first, isSpace(scalar) {
            start = text.index(after: start)
        }
        while end > start, let scalar = text[text.index(before: end)].unicodeScalars.first, isSpace(scalar) {
            end = text.index(before: end)
        }
        return text[start..<end]
    }

    /// Joins the cleaned lines of one paragraph.
    ///
    /// Lines are joined without a space: newspaper columns wrap Chinese text anywhere, numbers
    /// and Latin words included ("50" / "0万"), and a space there would split what was one token.
    public static func joinLines(_ lines: [String]) -> String {
        lines.joined()
    }

    // MARK: - Character classes

    /// Whitespace within a line (``CharacterClass/isSpaceInLine(_:)``).
    @inline(__always)
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        CharacterClass.isSpaceInLine(s.value)
    }

    /// True for a CJK character, CJK or full-width punctuation, or the typographic quotes,
    /// dashes and ellipsis that Chinese text uses (``CharacterClass/isWide(_:)``).
    @inline(__always)
    static func isCJKContext(_ s: Unicode.Scalar) -> Bool {
        CharacterClass.isWide(s.value)
    }

    /// True for Han, kana and hangul characters (``CharacterClass/isCJK``).
    @inline(__always)
    public static func isCJKCharacter(_ s: Unicode.Scalar) -> Bool {
        CharacterClass.isCJK(s.value)
    }

    @inline(__always)
    static func isASCIIAlnum(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
    }

    @inline(__always)
    static func isASCIILetter(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
    }

    /// Display width of cleaned text: CJK and full-width characters count 2, others 1.
    static func width(_ text: String) -> Int {
        var total = 0
        for s in text.unicodeScalars {
            if isSpace(s) { continue }
            total += isCJKContext(s) ? 2 : 1
        }
        return total
    }

    /// The text without any whitespace: what "nothing lost" is measured on.
    public static func removingWhitespace(_ text: some StringProtocol) -> String {
        var view = String.UnicodeScalarView()
        for s in text.unicodeScalars where !CharacterClass.isWhitespace(s.value) { view.append(s) }
        return String(view)
    }
}

// MARK: - Byte-level tests

extension StringProtocol {
    /// `hasPrefix` on the UTF-8 bytes: exact, and much faster than the Unicode-aware comparison.
    @inline(__always)
    func utf8HasPrefix(_ prefix: String) -> Bool { utf8.starts(with: prefix.utf8) }

    /// `hasSuffix` on the UTF-8 bytes.
    @inline(__always)
    func utf8HasSuffix(_ suffix: String) -> Bool {
        let bytes = Array(suffix.utf8)
        guard utf8.count >= bytes.count else { return false }
        return utf8.suffix(bytes.count).elementsEqual(bytes)
    }

    /// `contains` on the UTF-8 bytes.
    func utf8Contains(_ needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        guard let first = pattern.first else { return true }
        let haystack = Array(utf8)
        guard haystack.count >= pattern.count else { return false }
        var index = 0
        while index <= haystack.count - pattern.count {
            if haystack[index] == first {
                var offset = 1
                while offset < pattern.count && haystack[index + offset] == pattern[offset] { offset += 1 }
                if offset == pattern.count { return true }
            }
            index += 1
        }
        return false
    }
}

extension String {
    /// `hasSuffix` on the UTF-8 bytes, compared from the end without copying either side (the splitter
    /// asks it of every line several times).
    @inline(__always)
    func utf8HasSuffix(_ suffix: String) -> Bool { utf8.hasSuffixBytes(suffix.utf8) }
}

extension Substring {
    /// `hasSuffix` on the UTF-8 bytes (see `String.utf8HasSuffix`).
    @inline(__always)
    func utf8HasSuffix(_ suffix: String) -> Bool { utf8.hasSuffixBytes(suffix.utf8) }
}

extension BidirectionalCollection where Element == UInt8 {
    /// True when the collection ends with the bytes.
    @inline(__always)
    func hasSuffixBytes(_ suffix: String.UTF8View) -> Bool {
        var index = endIndex
        for byte in suffix.reversed() {
            guard index > startIndex else { return false }
            index = self.index(before: index)
            if self[index] != byte { return false }
        }
        return true
    }
}
