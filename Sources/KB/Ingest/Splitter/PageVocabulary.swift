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

    /// The fewest characters of a title printed over a subtitle: a title says what the subtitle explains, and
    /// a first headline line of four characters or fewer (`驻港`, `说“泡`) is the start of a wrapped title.
    static let shortestTitleOverASubtitle = 5

    /// How many characters a run printed elsewhere on the page must have, across the break between two
    /// headline lines, to show that the two lines are one title: the page's text quotes the title's words.
    static let quotedRunLength = 5

    /// How many characters of the run each line gives at least: one character may end or begin any word.
    static let sideOfQuotedRun = 2

    init(lines: [String]) { self.lines = lines }

    /// True when the page's text quotes a run of the two headline lines across their break.
    ///
    /// The run has ``quotedRunLength`` characters, at least ``sideOfQuotedRun`` from each line, and stands in
    /// another line of the page: `驻港部队` / `举行开放日活动` with `部队举行开` in the body is one title. A
    /// subtitle is another phrase, which the text does not run into the title.
    func quotesAcross(_ first: String, _ second: String) -> Bool {
        let left = Array(first.unicodeScalars.filter { !TextCleaner.isSpace($0) })
        let right = Array(second.unicodeScalars.filter { !TextCleaner.isSpace($0) })
        let n = Self.quotedRunLength
        var runs: [String] = []
        for fromLeft in Self.sideOfQuotedRun...(n - Self.sideOfQuotedRun)
        where fromLeft <= left.count && n - fromLeft <= right.count {
            var run = String.UnicodeScalarView()
            run.append(contentsOf: left[(left.count - fromLeft)...])
            run.append(contentsOf: right[..<(n - fromLeft)])
            guard run.allSatisfy(TextCleaner.isCJKCharacter) else { continue }
            runs.append(String(run))
        }
        guard !runs.isEmpty else { return false }
        return lines.contains { line in runs.contains { line.contains($0) } }
    }

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
    /// inside a word of the page or inside a dash, the page's text quotes a run across the break, the first
    /// line is too short to be a title over a subtitle, or the second too short to be a subtitle.
    func breaksWord(_ first: String, _ second: String) -> Bool {
        let rest = second.unicodeScalars.filter { !TextCleaner.isSpace($0) }
        guard let last = first.unicodeScalars.last(where: { !TextCleaner.isSpace($0) }), let next = rest.first
        else { return false }
        // A dash `——` cut in two: `何处是家乡？—` / `—流动中的乡情`.
        if last == "—" && next == "—" { return !first.utf8HasSuffix("——") }
        guard next != "—" else { return false }
        let characters = rest.filter(TextCleaner.isCJKCharacter).count
        let firstLength = first.unicodeScalars.filter { !TextCleaner.isSpace($0) }.count
        if firstLength < Self.shortestTitleOverASubtitle && TextCleaner.isCJKCharacter(next) { return true }
        if characters <= Self.longestTitleRemainder && TextCleaner.isCJKCharacter(next) { return true }
        return isWord(last, next) || quotesAcross(first, second)
    }
}
