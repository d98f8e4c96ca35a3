import Foundation

/// The words of one page, as the pairs of characters its lines print side by side.
///
/// A headline wrapped over two lines breaks anywhere, often inside a word (`银行信` / `贷莫忘小企`); a
/// title and its subtitle are two phrases. The page itself is the lexicon: when the two characters
/// around a break stand together elsewhere on the page, far more often than their own frequencies
/// would put them side by side, the break is inside a word.
///
/// ```swift
/// let vocabulary = PageVocabulary(lines: ["中国人民银行加强信贷管理", "扩大信贷规模"])
/// vocabulary.breaksWord("银行信", "贷莫忘小企")  // true: 信贷 is a word of the page
/// ```
struct PageVocabulary {
    private var pairs: [UInt64: Int] = [:]
    private var characters: [UInt32: Int] = [:]
    private var total = 0

    /// How much more often than chance two characters must stand together to make a word (the ratio of
    /// their pair count to the count their frequencies predict: pointwise mutual information of 2^5.3).
    static let wordAssociation = 40.0

    /// The most CJK characters the second line of a headline may have and still be the end of a wrapped
    /// title (`闻（下）`): a subtitle is a phrase, longer than that.
    static let longestTitleRemainder = 3

    init(lines: some Sequence<String>) {
        for line in lines {
            var previous: UInt32?
            for scalar in line.unicodeScalars where !TextCleaner.isSpace(scalar) {
                characters[scalar.value, default: 0] += 1
                total += 1
                if let previous { pairs[Self.key(previous, scalar.value), default: 0] += 1 }
                previous = scalar.value
            }
        }
    }

    private static func key(_ left: UInt32, _ right: UInt32) -> UInt64 { UInt64(left) << 32 | UInt64(right) }

    /// True when two characters read as one word on this page (see ``wordAssociation``).
    func isWord(_ left: Unicode.Scalar, _ right: Unicode.Scalar) -> Bool {
        guard TextCleaner.isCJKCharacter(left), TextCleaner.isCJKCharacter(right),
            let together = pairs[Self.key(left.value, right.value)], total > 0
        else { return false }
        let expected =
            Double(characters[left.value, default: 0]) * Double(characters[right.value, default: 0]) / Double(total)
        return Double(together) >= Self.wordAssociation * expected
    }

    /// True when the second headline line is the end of a title wrapped after the first: the break is
    /// inside a word of the page or inside a dash, or the line is too short to be a subtitle.
    func breaksWord(_ first: String, _ second: String) -> Bool {
        let rest = second.unicodeScalars.filter { !TextCleaner.isSpace($0) }
        guard let last = first.unicodeScalars.last(where: { !TextCleaner.isSpace($0) }), let next = rest.first
        else { return false }
        // A dash `——` cut in two: `何处是家乡？—` / `—流动中的乡情`.
        if last == "—" && next == "—" { return !first.utf8HasSuffix("——") }
        guard next != "—" else { return false }
        let characters = rest.filter(TextCleaner.isCJKCharacter).count
        if characters <= Self.longestTitleRemainder && TextCleaner.isCJKCharacter(next) { return true }
        return isWord(last, next)
    }
}
