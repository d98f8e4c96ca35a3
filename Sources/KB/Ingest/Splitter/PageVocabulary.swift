import Foundation

/// The words of one page, as the pairs of characters its lines print side by side.
///
/// A headline wrapped over two lines breaks anywhere, often inside a word (`银行信` / `贷莫忘小企`); a
/// title and its subtitle are two phrases. The page itself is the lexicon: when the two characters
/// around a break stand together elsewhere on the page, far more often than their own frequencies
/// would put them side by side, the break is inside a word.
///
/// ```swift
/// let vocabulary = PageVocabulary(lines: lines.map(\.text))  // the page's cleaned lines
/// vocabulary.breaksWord("银行信", "贷莫忘小企")  // true when the page writes 信贷 as a word elsewhere
/// vocabulary.breaksWord("上海抽查旅", "游商品")  // true: three characters make no subtitle
/// ```
struct PageVocabulary {
    /// The page's lines: no pair of characters spans two of them.
    private let lines: [String]

    /// How much more often than chance two characters must stand together to make a word (the ratio of
    /// their pair count to the count their frequencies predict: pointwise mutual information of 2^5.3).
    static let wordAssociation = 40.0

    /// The most CJK characters the second line of a headline may have and still be the end of a wrapped
    /// title (`闻（下）`): a subtitle is a phrase, longer than that.
    static let longestTitleRemainder = 3

    init(lines: [String]) { self.lines = lines }

    /// True when two characters read as one word on this page (see ``wordAssociation``).
    ///
    /// The counts are taken when asked, for the two headline lines of a block: most pages ask a few
    /// times, and a scan costs less than a table of every pair of the page.
    func isWord(_ left: Unicode.Scalar, _ right: Unicode.Scalar) -> Bool {
        guard TextCleaner.isCJKCharacter(left), TextCleaner.isCJKCharacter(right) else { return false }
        var together = 0
        var lefts = 0
        var rights = 0
        var total = 0
        for line in lines {
            var previous: Unicode.Scalar?
            for scalar in line.unicodeScalars where !TextCleaner.isSpace(scalar) {
                total += 1
                if scalar == left { lefts += 1 }
                if scalar == right {
                    rights += 1
                    if previous == left { together += 1 }
                }
                previous = scalar
            }
        }
        guard together > 0 else { return false }
        return Double(together) * Double(total) >= Self.wordAssociation * Double(lefts) * Double(rights)
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
