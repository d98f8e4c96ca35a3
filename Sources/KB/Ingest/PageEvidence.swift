/// What a text shows of being a newspaper page as extracted from PDF, and whether that is enough.
///
/// A page is mostly CJK text, and shows signs of weight 3 or more (the first two weigh 2, the first 3 when the
/// text opens with a marker, the others 1):
/// - article markers: `本报讯`, a `本报记者 X` line, `新华社…电`, `（上接第N版）`, a photo credit `… 摄`, a closing
///   `（新华社…电）`;
/// - hard wraps of nearly equal, column-like width: most lines stop in mid-sentence, and most of those
///   are within a few cells of their median width;
/// - spaces the extraction put between CJK characters (`记 者 陈 华`, `4 月 21 日`);
/// - a blank line after most lines;
/// - headline-like lines: short lines that end no sentence, standing after a line that does.
///
/// Prose, notes and code show one sign at most: their lines end sentences, or vary in width, or are few.
///
/// ```swift
/// PageEvidence(seedPage).isPage                      // true
/// PageEvidence("Swift 6 发布于 2024 年 9 月").isPage  // false
/// ```
public struct PageEvidence: Sendable, Equatable {
    /// Share of CJK characters among the characters that are not whitespace.
    public var cjkShare = 0.0
    /// Non-empty lines looked at.
    public var lines = 0
    /// Lines that start or close an article, or end with a photo credit.
    public var markers = 0
    /// True when the lines are hard-wrapped to a nearly equal, column-like width.
    public var hasEqualWraps = false
    /// Places where a space stands between two CJK characters.
    public var spacedCJK = 0
    /// Share of non-empty lines followed by a blank line.
    public var blankSpacedShare = 0.0
    /// Short lines ending no sentence after a line that ends one.
    public var headlineLikeLines = 0
    /// True when the first line opens an article (`本报讯`, `新华社…电`, a byline line, `（上接第N版）`): a news
    /// item, however short.
    public var opensWithMarker = false

    // MARK: - Thresholds

    /// The least share of CJK characters a page has.
    static let minimumCJKShare = 0.5
    /// The lines looked at: the start of a page tells enough.
    static let linesLookedAt = 120
    /// The least share of wrapped lines (ending in mid-sentence) of a page set in columns.
    static let minimumWrappedShare = 0.5
    /// How far from the median width a wrapped line may be and still count as of equal width, as a
    /// share of the median.
    static let equalWidthTolerance = 0.15
    /// The least share of wrapped lines of equal width.
    static let minimumEqualShare = 0.6
    /// The widest median column, in cells (a CJK character is two): wider wraps are a text editor's.
    static let widestColumn = 90
    /// The narrowest median column, in cells.
    static let narrowestColumn = 12
    /// The spaces between CJK characters that count as a sign.
    static let minimumSpacedCJK = 3
    /// The share of lines followed by a blank line that counts as a sign.
    static let minimumBlankSpacedShare = 0.6
    /// The headline-like lines that count as a sign.
    static let minimumHeadlineLikeLines = 2
    /// The weight of signs a page must show.
    static let requiredWeight = 3

    /// The weight of the signs shown: 2 for markers (3 when the text opens with one), 2 for equal wraps, 1 for
    /// each other sign.
    public var weight: Int {
        (markers > 0 ? 2 : 0) + (opensWithMarker ? 1 : 0) + (hasEqualWraps ? 2 : 0)
            + (spacedCJK >= Self.minimumSpacedCJK ? 1 : 0)
            + (blankSpacedShare >= Self.minimumBlankSpacedShare ? 1 : 0)
            + (headlineLikeLines >= Self.minimumHeadlineLikeLines ? 1 : 0)
    }

    /// True when the text reads as a newspaper page.
    public var isPage: Bool { cjkShare >= Self.minimumCJKShare && weight >= Self.requiredWeight }

    /// Looks at a text.
    public init(_ text: String) {
        var cjk = 0
        var other = 0
        var previous: Unicode.Scalar = "\n"
        var spaceAfterCJK = false
        var looked = 0
        for scalar in text.unicodeScalars {
            looked += 1
            if looked > 40_000 { break }
            if TextCleaner.isSpace(scalar) {
                if TextCleaner.isCJKCharacter(previous) { spaceAfterCJK = true }
                continue
            }
            if scalar == "\n" {
                spaceAfterCJK = false
                previous = scalar
                continue
            }
            if TextCleaner.isCJKCharacter(scalar) {
                cjk += 1
                if spaceAfterCJK { spacedCJK += 1 }
            } else {
                other += 1
            }
            spaceAfterCJK = false
            previous = scalar
        }
        cjkShare = cjk + other == 0 ? 0 : Double(cjk) / Double(cjk + other)
        guard cjkShare >= Self.minimumCJKShare else { return }

        var wrappedWidths: [Int] = []
        var followedByBlank = 0
        var lastWasBlank = false
        var lastEndedSentence = false
        var seen: [(width: Int, endsSentence: Bool, afterSentence: Bool)] = []
        for bytes in text.utf8.split(omittingEmptySubsequences: false, whereSeparator: { $0 == 0x0A }) {
            let raw = Substring(bytes)
            let line = TextCleaner.cleanLine(TextCleaner.trimmed(raw))
            guard !line.isEmpty else {
                if lines > 0 && !lastWasBlank { followedByBlank += 1 }
                lastWasBlank = true
                continue
            }
            lastWasBlank = false
            lines += 1
            if lines > Self.linesLookedAt { break }
            let endsSentence = PageLine.endsSentence(line)
            if lines == 1 { opensWithMarker = PageLine.marker(of: line).startsArticle }
            if PageLine.marker(of: line) != .none || PageLine.creditRange(in: line, spacedInSource: false) != nil {
                markers += 1
            }
            let width = TextCleaner.width(line)
            if !endsSentence { wrappedWidths.append(width) }
            seen.append((width, endsSentence, lastEndedSentence))
            lastEndedSentence = endsSentence
        }
        lines = min(lines, Self.linesLookedAt)
        blankSpacedShare = lines == 0 ? 0 : Double(followedByBlank) / Double(lines)
        guard wrappedWidths.count >= 2 else { return }
        let sorted = wrappedWidths.sorted()
        let median = sorted[sorted.count / 2]
        let tolerance = max(2.0, Double(median) * Self.equalWidthTolerance)
        let equal = wrappedWidths.filter { abs(Double($0 - median)) <= tolerance }.count
        hasEqualWraps =
            Double(wrappedWidths.count) >= Double(lines) * Self.minimumWrappedShare
            && Double(equal) >= Double(wrappedWidths.count) * Self.minimumEqualShare
            && (Self.narrowestColumn...Self.widestColumn).contains(median)
        // A headline under the end of an article: short, ending no sentence, after a line that ends one.
        headlineLikeLines =
            seen.dropFirst().filter {
                $0.afterSentence && !$0.endsSentence && Double($0.width) < Double(median) * 0.8
            }.count
    }
}
