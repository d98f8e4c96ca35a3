import Foundation

/// One item found on a newspaper page: an article, a photo caption or a column note.
public struct PageItem: Equatable, Sendable {
    public enum Kind: String, Sendable, Codable {
        case article, caption, column
    }

    public var kind: Kind = .article
    public var kicker = ""
    /// Empty when the page prints the item without a headline.
    public var title = ""
    public var subtitle = ""
    public var byline = ""
    public var dateline = ""
    /// Paragraphs separated by a blank line.
    public var body = ""
    /// The second copy of the headline block when the page prints it twice.
    ///
    /// Lines are joined by "\n". It is not part of the item's text: it repeats `kicker`, `title`
    /// and `subtitle`.
    public var repeatedHeadline = ""

    public init(
        kind: Kind = .article, kicker: String = "", title: String = "", subtitle: String = "", byline: String = "",
        dateline: String = "", body: String = ""
    ) {
        self.kind = kind
        self.kicker = kicker
        self.title = title
        self.subtitle = subtitle
        self.byline = byline
        self.dateline = dateline
        self.body = body
    }

    /// Every text field, in reading order.
    public var fields: [String] { [kicker, title, subtitle, dateline, byline, body] }
}

/// Splits the text of a newspaper page, as extracted from PDF, into its items.
///
/// The page is read line by line. Articles begin at markers (`本报讯`, a `本报记者 X` line,
/// `（上接第N版）`, `新华社…电`). Headlines stand after their body: a kicker ending in `——`, the
/// title, a subtitle; a headline block may be repeated, and its copy may run into the next
/// article's kicker. A photo caption (ending in `… 摄`) and a column note (`开栏的话`) are items
/// of their own; a short line between paragraphs of one article is a subhead and stays in it.
///
/// Every non-whitespace character of the page ends up in exactly one field of one item, except
/// for the repeated copy of a headline block.
///
/// ```swift
/// let items = PageSplitter.split(pageText)
/// items.map(\.title)  // ["长三角三省一市共促职工文旅消费", "江苏：摸底困难职工需求开展送温暖慰问", …]
/// ```
public enum PageSplitter {
    /// Splits a page into items, in page order.
    public static func split(_ text: String) -> [PageItem] {
        let lines = PageLine.lines(of: text)
        guard !lines.isEmpty else { return [] }
        var segments: [[PageLine]] = []
        for line in lines {
            if line.marker.startsArticle || segments.isEmpty {
                segments.append([line])
            } else {
                segments[segments.count - 1].append(line)
            }
        }
        var drafts: [ItemDraft] = []
        for segment in segments {
            drafts += SegmentReader(lines: segment).read()
        }
        // A kicker that ran into the previous headline belongs to the next item.
        for index in drafts.indices where !drafts[index].kickerForNext.isEmpty {
            if index + 1 < drafts.count {
                drafts[index + 1].leadingKickers.insert(contentsOf: drafts[index].kickerForNext, at: 0)
            } else {
                drafts[index].subtitleLines += drafts[index].kickerForNext
            }
            drafts[index].kickerForNext = []
        }
        return drafts.map { $0.finish() }
    }

    /// A line-by-line account of how a page is read, for diagnosing splits.
    ///
    /// It gives the column width of each segment, and for each line whether it starts a paragraph,
    /// continues one, or is a headline, its width and the column width around it (`width/column`).
    public static func explain(_ text: String) -> String {
        var out = ""
        var segment: [PageLine] = []
        func flush() {
            guard !segment.isEmpty else { return }
            let reader = SegmentReader(lines: segment)
            out += "-- segment, column width \(Int(reader.columnWidth))\n"
            for (index, role) in reader.roles().enumerated() {
                out += "\(role)\t\(segment[index].width)/\(Int(reader.columns[index]))\t\(segment[index].text)\n"
            }
            segment = []
        }
        for line in PageLine.lines(of: text) {
            if line.marker.startsArticle { flush() }
            segment.append(line)
        }
        flush()
        return out
    }

    /// Titles of column notes: items of their own, even without a marker.
    static let columnNoteTitles: Set<String> = [
        "开栏的话", "开篇的话", "编者按", "编后", "编后语", "短评", "记者手记", "编者的话", "写在前面", "结束语", "评论员文章",
    ]
}

// MARK: - Lines

/// What starts an article.
enum Marker: Equatable {
    case none
    /// `本报讯 （记者…）…`
    case newsflash
    /// A line that is only a byline: `本报记者 裴龙翔`.
    case bylineLine
    /// `（上接第1版）`
    case continued
    /// `新华社北京4月24日电（记者…）…` or `本报北京…电`.
    case datelineStart
    /// `（新华社北京 4月 24日电）` at the end of an article: not a start.
    case datelineEnd

    var startsArticle: Bool {
        switch self {
        case .newsflash, .bylineLine, .continued, .datelineStart: return true
        case .none, .datelineEnd: return false
        }
    }

    /// True when the marker line is a paragraph of its own.
    var standsAlone: Bool { self == .bylineLine || self == .continued || self == .datelineEnd }
}

/// One non-empty line of the page, cleaned, with what the splitter needs to know about it.
struct PageLine {
    let text: String
    let width: Int
    var marker: Marker
    let endsSentence: Bool
    let endsWithQuestionOrExclamation: Bool
    /// Ends with ？, ！ or …: a title may, as a sentence does.
    var mayEndATitle: Bool { endsWithQuestionOrExclamation || endsWithEllipsis }
    let endsWithEllipsis: Bool
    /// The line ends with `——`, as a kicker does; a single `—` there is a dash wrapped inside
    /// the text (`扎耶尼—` / `伊拜尔公路`).
    let endsWithDash: Bool
    let endsWithCredit: Bool
    /// The width of the photo credit that ends the line, 0 without one.
    let creditWidth: Int
    let endsWithComma: Bool
    let endsWithColon: Bool
    /// A 。 before the end: a headline never has one.
    let hasInnerFullStop: Bool
    /// The line ends with a dateline in brackets, standing alone or run into the last paragraph,
    /// perhaps begun on the line before: `…上水平。”（新` / `华社北京7月9日电）`.
    var endsWithDateline = false
    /// The line holds digits or Latin letters, which take half the width of a CJK character.
    let hasHalfWidth: Bool

    init(raw: Substring, text: String) {
        self.text = text
        width = TextCleaner.width(text)
        hasHalfWidth = text.unicodeScalars.contains { $0.isASCII && TextCleaner.isASCIIAlnum($0) }
        marker = Self.marker(of: text)
        let scalars = Array(text.unicodeScalars)
        // The last character before closing quotes and brackets.
        var last = scalars.count - 1
        while last >= 0, Self.closers.contains(scalars[last].value) { last -= 1 }
        let final = last >= 0 ? scalars[last].value : 0
        endsSentence = Self.sentenceEnds.contains(final)
        endsWithQuestionOrExclamation = [0xFF1F, 0xFF01, 0x3F, 0x21].contains(final)
        endsWithEllipsis = final == 0x2026
        hasInnerFullStop = scalars[..<max(0, last)].contains { $0.value == 0x3002 }
        endsWithDash = text.utf8HasSuffix("——")
        let spacedCredit = raw.last == "摄" && raw.dropLast().last?.unicodeScalars.first.map(TextCleaner.isSpace) == true
        let credit = Self.creditRange(in: text, spacedInSource: spacedCredit)
        endsWithCredit = credit != nil
        creditWidth = credit.map { TextCleaner.width(String(text[$0])) } ?? 0
        let end = scalars.last?.value ?? 0
        endsWithComma = [0xFF0C, 0x3001, 0xFF1B, 0x2C, 0x3B].contains(end)
        endsWithColon = end == 0xFF1A || end == 0x3A
    }

    /// True when the line's last character before closing quotes and brackets ends a sentence.
    static func endsSentence(_ text: String) -> Bool {
        for scalar in text.unicodeScalars.reversed() where !closers.contains(scalar.value) {
            return sentenceEnds.contains(scalar.value)
        }
        return false
    }

    static func lines(of text: String) -> [PageLine] {
        // Lines split on the bytes: Character-wise splitting is many times slower on long pages.
        var lines = text.utf8.split(omittingEmptySubsequences: true, whereSeparator: { $0 == 0x0A || $0 == 0x0D })
            .compactMap { bytes -> PageLine? in
                let raw = Substring(bytes)
                let text = TextCleaner.cleanLine(raw)
                return text.isEmpty ? nil : PageLine(raw: TextCleaner.trimmed(raw), text: text)
            }
        // Datelines closing an article end with `电）` or `讯）`.
        for index in lines.indices
        where ["电）", "讯）", "电)", "讯)"].contains(where: { lines[index].text.utf8HasSuffix($0) }) {
            let before = index > 0 && !lines[index - 1].endsSentence ? String(lines[index - 1].text.suffix(30)) : ""
            let joined = before + lines[index].text
            guard let range = datelineEndRange(in: joined) else { continue }
            lines[index].endsWithDateline = true
            // `新华社长沙9月7日电）` under `…（据` closes an article: it opens none.
            if joined.distance(from: joined.startIndex, to: range.lowerBound) < before.count {
                lines[index].marker = .none
            }
        }
        return lines
    }

    /// The range of a bracketed dateline closing the text: `…上水平。”（新华社北京7月9日电）`.
    static func datelineEndRange(in text: String) -> Range<String.Index>? {
        guard text.utf8HasSuffix("）") || text.utf8HasSuffix(")") else { return nil }
        return text.firstMatch(of: datelineEndSuffixPattern)?.range
    }

    /// Characters that end a sentence: `。！？!?…` and `．`.
    static let sentenceEnds: Set<UInt32> = [0x3002, 0xFF01, 0xFF1F, 0x21, 0x3F, 0x2026, 0xFF0E]
    /// Closing quotes and brackets that may follow the end of a sentence.
    static let closers: Set<UInt32> = [0x201D, 0x2019, 0x300D, 0x300F, 0xFF09, 0x29, 0x3011, 0x300B, 0x22]

    /// The quotes and brackets left open at the end of the text.
    ///
    /// A closing one with none open is not counted: `’97` uses a quote as an apostrophe.
    static func bracketDepth(_ text: String) -> Int {
        var depth = 0
        for scalar in text.unicodeScalars {
            switch scalar {
            case "“", "‘", "『", "「", "《", "（", "(", "【", "〈": depth += 1
            case "”", "’", "』", "」", "》", "）", ")", "】", "〉": depth = max(0, depth - 1)
            default: break
            }
        }
        return depth
    }

    static func marker(of text: String) -> Marker {
        if text.utf8HasPrefix("本报讯") { return .newsflash }
        if text.utf8HasPrefix("（上接第") || text.utf8HasPrefix("(上接第") || text.utf8HasPrefix("（接第") { return .continued }
        // Cheap tests first: most lines are running text, and these patterns are costly to try.
        let first = text.unicodeScalars.first?.value ?? 0
        let short = text.utf8.count <= 150
        if short, !text.utf8HasSuffix("摄"), text.utf8Contains("记者") || text.utf8Contains("通讯员"),
            text.wholeMatch(of: bylineLinePattern) != nil
        {
            return .bylineLine
        }
        if Self.datelineInitials.contains(first), text.prefix(30).contains(where: { $0 == "电" || $0 == "讯" }),
            text.prefixMatch(of: datelineStartPattern) != nil
        {
            return .datelineStart
        }
        if short, first == 0xFF08 || first == 0x28, text.utf8HasSuffix("）") || text.utf8HasSuffix(")"),
            text.wholeMatch(of: datelineEndPattern) != nil
        {
            return .datelineEnd
        }
        return .none
    }

    /// First characters of a dateline that opens an article: 据, 新(华社), 本(报), 中(新社), 人(民日报), 央(视).
    static let datelineInitials: Set<UInt32> = [0x636E, 0x65B0, 0x672C, 0x4E2D, 0x4EBA, 0x592E]

    nonisolated(unsafe) static let bylineLinePattern =
        /(本报(特约)?(记者|通讯员)|(新华社|人民日报)(特约)?记者)\s?[\p{Han}·]{2,4}((、|，|\s)(本报)?(特约)?(记者|通讯员)?\s?[\p{Han}·]{2,4}){0,4}/
    nonisolated(unsafe) static let datelineStartPattern =
        /(据)?(新华社|本报|中新社|人民日报|央视)[\p{Han}]{0,12}[0-9０-９]{1,2}月[0-9０-９]{1,2}日(电|讯)/
    nonisolated(unsafe) static let datelineEndPattern =
        /[（(](据)?(新华社|本报|中新社|人民日报|央视)[^）)]{0,24}(电|讯)[）)]/
    nonisolated(unsafe) static let datelineEndSuffixPattern =
        /[（(](据)?(新华社|本报|中新社|人民日报|央视)[^（(）)]{0,24}(电|讯)[）)]$/

    nonisolated(unsafe) static let rolePattern = /(本报|新华社|人民日报|中新社)(特约)?(摄影记者|记者|通讯员)/
    nonisolated(unsafe) static let namesPattern = /[\p{Han}·、，\s]{2,20}摄/
    nonisolated(unsafe) static let creditPattern =
        /(((本报|新华社|人民日报|中新社)?(特约)?(记者|通讯员|摄影记者)?\s?)?[\p{Han}·]{2,5}((、|，|\s)[\p{Han}·]{2,5}){0,3}\s?摄)$/

    /// The range of a photo credit (`本报通讯员 徐浩儒 摄`) at the end of the text.
    ///
    /// A credit names a role (记者, 通讯员, 摄影) unless the source set `摄` apart with a space:
    /// "…等拍摄" at the end of a line is not a credit.
    static func creditRange(in text: String, spacedInSource: Bool) -> Range<String.Index>? {
        guard text.utf8HasSuffix("摄") else { return nil }
        // The credit follows the caption's last sentence.
        let searchStart =
            text.lastIndex(where: { "。！？）”".contains($0) }).map { text.index(after: $0) } ?? text.startIndex
        let tail = text[searchStart...]
        // A credit that names its role takes all the names after it, however they were spaced
        // (`本报记者冯彬昊叶英伟摄` from a letter-spaced line).
        if let start = tail.firstIndex(where: { !$0.isWhitespace }),
            let role = tail[start...].prefixMatch(of: rolePattern),
            tail[role.range.upperBound...].wholeMatch(of: namesPattern) != nil
        {
            return start..<text.endIndex
        }
        guard let match = tail.firstMatch(of: creditPattern) else { return nil }
        let credit = tail[match.range]
        guard spacedInSource || credit.utf8Contains("记者") || credit.utf8Contains("通讯员") || credit.utf8Contains("摄影")
        else {
            return nil
        }
        return match.range
    }
}

// MARK: - Segments

/// An item being assembled.
struct ItemDraft {
    /// A paragraph of the item, and whether it ends with a photo credit.
    struct Paragraph {
        var text: String
        var hasCredit = false
    }

    var paragraphs: [Paragraph] = []
    var leadingKickers: [String] = []
    var zone: [String] = []
    var marker: Marker = .none
    var markerLine = ""
    var kickerForNext: [String] = []
    var subtitleLines: [String] = []
    /// The headline lines printed a second time, when they were.
    var repeatedHeadline: [String] = []
    var isClosed = false

    var lastParagraphHasCredit: Bool { paragraphs.last?.hasCredit ?? false }

    func finish() -> PageItem {
        var item = PageItem()
        item.repeatedHeadline = repeatedHeadline.joined(separator: "\n")
        var paragraphs = self.paragraphs.map(\.text)
        let hasCredit = lastParagraphHasCredit

        // Headline block: kicker(s) ending in ——, the title, subtitles.
        var zone = zone
        var kickers = leadingKickers
        while zone.count > 1, zone[0].utf8HasSuffix("——") {
            kickers.append(zone.removeFirst())
        }
        if let title = zone.first {
            item.title = title
            item.subtitle = (Array(zone.dropFirst()) + subtitleLines).joined(separator: "\n")
        } else {
            item.subtitle = subtitleLines.joined(separator: "\n")
        }
        item.kicker = kickers.joined(separator: "\n")

        // Where the article starts: a dateline and byline before the text.
        if marker == .bylineLine, !paragraphs.isEmpty {
            item.byline = paragraphs.removeFirst()
        }
        if var first = paragraphs.first {
            if let match = first.prefixMatch(of: Self.leadPattern) {
                item.dateline = String(match.output.1)
                if let byline = match.output.2 { item.byline = String(byline) }
                first = String(first[match.range.upperBound...])
                if first.isEmpty { paragraphs.removeFirst() } else { paragraphs[0] = first }
            }
        }
        // A dateline in brackets closing the article, on its own line or run into the last paragraph.
        if let last = paragraphs.last, let range = PageLine.datelineEndRange(in: last) {
            let dateline = String(last[range])
            item.dateline = item.dateline.isEmpty ? dateline : item.dateline + "\n" + dateline
            let rest = String(last[..<range.lowerBound])
            if rest.isEmpty { paragraphs.removeLast() } else { paragraphs[paragraphs.count - 1] = rest }
        }
        // A photo caption: its credit is its byline.
        if hasCredit, let last = paragraphs.last, let credit = PageLine.creditRange(in: last, spacedInSource: true) {
            item.kind = .caption
            let credited = String(last[credit]).trimmingCharacters(in: .whitespaces)
            item.byline = item.byline.isEmpty ? credited : item.byline + " " + credited
            let rest = String(last[..<credit.lowerBound]).trimmingCharacters(in: .whitespaces)
            if rest.isEmpty { paragraphs.removeLast() } else { paragraphs[paragraphs.count - 1] = rest }
        }
        if PageSplitter.columnNoteTitles.contains(item.title) { item.kind = .column }
        item.body = paragraphs.joined(separator: "\n\n")
        // An item printed without a headline keeps an empty title: a title made up from the body
        // would hold some of its characters twice.
        return item
    }

    /// `本报讯 （记者陈华）`, `新华社北京4月24日电（记者 X）`, `本报北京4月24日电`.
    nonisolated(unsafe) static let leadPattern =
        /((?:本报讯)|(?:(?:据)?(?:新华社|本报|中新社|人民日报|央视)[\p{Han}]{0,12}[0-9０-９]{1,2}月[0-9０-９]{1,2}日(?:电|讯)))\s?([（(][^）)]{1,60}[）)])?\s?/
}

/// Reads one segment: the lines from one article marker to the next.
struct SegmentReader {
    let lines: [PageLine]
    /// The typical width of the segment's body lines.
    let columnWidth: Double
    /// The column width around each line: segments can hold items set in different columns.
    let columns: [Double]

    init(lines: [PageLine]) {
        self.lines = lines
        func typical(_ widths: [Int]) -> Double? {
            guard !widths.isEmpty else { return nil }
            let sorted = widths.sorted()
            return Double(sorted[sorted.count / 2])
        }
        let bodyLike = lines.map { $0.marker == .none && !$0.endsSentence && !$0.endsWithDash }
        columnWidth =
            typical(zip(lines, bodyLike).filter(\.1).map(\.0.width)) ?? typical(lines.map(\.width)) ?? 40
        var columns: [Double] = []
        let radius = 8
        for index in lines.indices {
            let window = max(0, index - radius)...min(lines.count - 1, index + radius)
            let widths = window.filter { bodyLike[$0] }.map { lines[$0].width }
            columns.append(typical(widths) ?? columnWidth)
        }
        self.columns = columns
    }

    func isWide(_ index: Int) -> Bool {
        let width = Double(lines[index].width)
        return width > columns[index] * 1.2 && width > columns[index] + 8
    }

    func isShort(_ index: Int) -> Bool { Double(lines[index].width) < columns[index] * 0.8 }

    func endsParagraph(_ index: Int) -> Bool {
        let line = lines[index]
        return line.endsSentence || line.endsWithCredit || line.endsWithDateline
            || (line.endsWithColon && Double(line.width) < columns[index] - 4)
    }

    /// True when the text that runs on after `index` cannot continue it in one paragraph: a
    /// paragraph's full lines all have the column's width and its first line is two cells shorter,
    /// so the next two lines are not both clearly narrower, and the next line is not a first line
    /// (shorter than the line after it) narrower than this one.
    func narrowerTextFollows(_ index: Int) -> Bool {
        guard index + 2 < lines.count else { return false }
        let width = lines[index].width
        let next = lines[index + 1].width
        let afterNext = lines[index + 2].width
        guard !lines[index + 1].marker.startsArticle, !endsParagraph(index + 1) else { return false }
        let limit = width - max(6, width / 8)
        if next <= limit && (endsParagraph(index + 2) || afterNext <= limit + 2) { return true }
        // Digits and Latin letters are half as wide and make full lines uneven: widths compare
        // closely only for lines without them.
        guard !lines[index + 1].hasHalfWidth, !lines[index + 2].hasHalfWidth else { return false }
        return next <= width - 3 && afterNext >= next + 2
    }

    /// True when the text that runs on after `index` is set clearly wider than it: the first line
    /// of a paragraph is only two cells shorter than the next.
    func widerTextFollows(_ index: Int) -> Bool {
        guard index + 2 < lines.count, !lines[index].hasHalfWidth else { return false }
        let limit = lines[index].width + max(10, lines[index].width / 4)
        guard !lines[index + 1].marker.startsArticle, !endsParagraph(index + 1), lines[index + 1].width >= limit
        else { return false }
        return endsParagraph(index + 2) || lines[index + 2].width >= limit
    }

    /// True when the line after `index` ends a caption that `index` begins: the last line of a
    /// caption is no wider than the first, but for the credit it carries.
    func captionGoesOn(_ index: Int) -> Bool {
        guard index + 1 < lines.count, lines[index + 1].endsWithCredit else { return false }
        return lines[index + 1].width - lines[index + 1].creditWidth <= lines[index].width + 4
    }

    enum Role: Equatable { case paragraphStart, continuation, headline }

    /// The role of every line.
    func roles() -> [Role] {
        var roles: [Role] = []
        var inParagraph = false
        for (index, line) in lines.enumerated() {
            if line.marker.startsArticle && index == 0 {
                roles.append(.paragraphStart)
                inParagraph = !line.marker.standsAlone && !endsParagraph(index)
                continue
            }
            if inParagraph && !(isWide(index) && !isWide(index - 1)) {
                roles.append(.continuation)
                inParagraph = !endsParagraph(index)
                continue
            }
            let role = blockStartRole(index)
            roles.append(role)
            inParagraph = role == .paragraphStart && !endsParagraph(index) && !line.marker.standsAlone
        }
        for index in roles.indices.dropLast() where isTitleOverSubtitle(index, roles: roles) {
            roles[index] = .headline
        }
        return roles
    }

    /// True when the line at `index`, read as a one-line paragraph ending with ？, ！ or …, is the
    /// title over a subtitle: a one-line headline that is no kicker follows, and the line does not
    /// read as speech closing an article (a colon, or several clauses).
    private func isTitleOverSubtitle(_ index: Int, roles: [Role]) -> Bool {
        let line = lines[index]
        guard roles[index] == .paragraphStart, roles[index + 1] == .headline, line.mayEndATitle,
            !line.hasInnerFullStop, !line.marker.startsArticle, !lines[index + 1].endsWithDash,
            index + 2 == roles.count || roles[index + 2] != .headline
        else { return false }
        let pauses = line.text.unicodeScalars.filter { $0 == "，" || $0 == "；" }.count
        return pauses <= 1 && !line.text.utf8Contains("：")
    }

    /// Whether a line at the start of a block begins a paragraph or is a headline.
    private func blockStartRole(_ index: Int) -> Role {
        let line = lines[index]
        let next: PageLine? = index + 1 < lines.count ? lines[index + 1] : nil
        if line.marker == .datelineEnd || line.hasInnerFullStop || line.endsWithColon { return .paragraphStart }
        // A kicker ends with a dash; a dash run on into the next line (`…的前身——` / `—正规的…`) is text.
        let dashRunsOn = next?.text.utf8HasPrefix("—") == true
        if line.endsWithDash && !dashRunsOn { return .headline }
        // A headline printed twice: a line of a block and its copy.
        if let next, next.text == line.text { return .headline }
        for back in 1...4 where index >= back && lines[index - back].text == line.text { return .headline }
        if index > 0, lines[index - 1].endsWithDash, !lines[index - 1].endsSentence, !line.text.utf8HasPrefix("—") {
            // The title under a kicker.
            return .headline
        }
        // A line wider than the text that runs on after it cannot be one of its full lines: it is
        // the title of an item set in another column, and a new item starts under it.
        if !endsParagraph(index), !line.endsWithComma, narrowerTextFollows(index) || widerTextFollows(index) {
            return .headline
        }
        if isWide(index) {
            if line.endsWithCredit { return .paragraphStart }
            guard let next, !next.marker.startsArticle else { return .headline }
            if (isWide(index + 1) && (abs(next.width - line.width) <= 10 || captionGoesOn(index)))
                || (endsParagraph(index + 1) && next.width < line.width && !line.endsSentence)
            {
                return .paragraphStart
            }
            return line.endsSentence ? .paragraphStart : .headline
        }
        if line.endsSentence {
            // A title may end with ？ or ！; a line of body text alone in its paragraph rarely does.
            if line.endsWithQuestionOrExclamation,
                next.map({ $0.marker.startsArticle || isShort(index) || isWide(index + 1) || $0.endsWithCredit })
                    ?? true
            {
                return .headline
            }
            return .paragraphStart
        }
        if line.endsWithCredit || line.endsWithComma { return .paragraphStart }
        if isShort(index) { return .headline }
        guard let next, !next.marker.startsArticle else { return .headline }
        // A wider line after it is another item's text, unless it runs on as the next line of a
        // paragraph does (as wide, or two cells wider than an indented first line) where the column
        // estimate changes between them.
        if isWide(index + 1),
            endsParagraph(index + 1) || next.width < line.width - 1 || next.width > line.width + 4
        {
            return .headline
        }
        if isShort(index + 1) && !endsParagraph(index + 1) && !next.endsWithComma { return .headline }
        return .paragraphStart
    }

    enum Block {
        case paragraph(lines: [PageLine], wide: Bool)
        case zone([String])
    }

    func blocks() -> [Block] {
        var blocks: [Block] = []
        for (index, (line, role)) in zip(lines, roles()).enumerated() {
            switch role {
            case .paragraphStart:
                blocks.append(.paragraph(lines: [line], wide: isWide(index)))
            case .continuation:
                if case .paragraph(var paragraphLines, let wide) = blocks.last {
                    paragraphLines.append(line)
                    blocks[blocks.count - 1] = .paragraph(lines: paragraphLines, wide: wide)
                } else {
                    blocks.append(.paragraph(lines: [line], wide: isWide(index)))
                }
            case .headline:
                if case .zone(var zoneLines) = blocks.last {
                    zoneLines.append(line.text)
                    blocks[blocks.count - 1] = .zone(zoneLines)
                } else {
                    blocks.append(.zone([line.text]))
                }
            }
        }
        return Self.reclassifyingUnterminated(blocks) {
            $0.endsSentence || $0.endsWithCredit || $0.endsWithDateline || $0.endsWithColon
        }
    }

    /// Articles end with a sentence, a dateline or a photo credit: lines after the last such line,
    /// before a headline block or the end of the segment, are headlines.
    ///
    /// A segment whose text ends with a one-line question or exclamation and has no headline after it
    /// has that line as its title.
    static func reclassifyingUnterminated(_ blocks: [Block], endsParagraph: (PageLine) -> Bool) -> [Block] {
        var result: [Block] = []
        for (index, block) in blocks.enumerated() {
            guard case .paragraph(let lines, _) = block, let last = lines.last, !endsParagraph(last),
                !lines.contains(where: { $0.hasInnerFullStop || $0.marker.startsArticle })
            else {
                result.append(block)
                continue
            }
            let nextIsZoneOrEnd: Bool
            if index + 1 == blocks.count {
                nextIsZoneOrEnd = true
            } else if case .zone = blocks[index + 1] {
                nextIsZoneOrEnd = true
            } else if case .paragraph(let next, true) = blocks[index + 1],
                next.last?.endsWithCredit == true || Self.isColumnNote(blocks, at: index + 2),
                let nextWidth = next.first?.width, lines.allSatisfy({ Double($0.width) * 1.2 < Double(nextWidth) })
            {
                // A caption or column note set clearly wider than the lines before it.
                nextIsZoneOrEnd = true
            } else {
                nextIsZoneOrEnd = false
            }
            guard nextIsZoneOrEnd else {
                result.append(block)
                continue
            }
            let texts = lines.map(\.text)
            if case .zone(let previous) = result.last {
                result[result.count - 1] = .zone(previous + texts)
            } else {
                result.append(.zone(texts))
            }
        }
        // Merge a zone with the zone that follows it.
        var merged: [Block] = []
        for block in result {
            if case .zone(let lines) = block, case .zone(let previous) = merged.last {
                merged[merged.count - 1] = .zone(previous + lines)
            } else {
                merged.append(block)
            }
        }
        if case .paragraph(let lines, _) = merged.last, lines.count == 1, let line = lines.first,
            line.mayEndATitle, !line.hasInnerFullStop, !line.marker.startsArticle,
            merged.count > 1
        {
            merged[merged.count - 1] = .zone([line.text])
        }
        return merged
    }

    /// True when the block at `index` is the title of a column note (`开栏的话`).
    static func isColumnNote(_ blocks: [Block], at index: Int) -> Bool {
        guard index < blocks.count, case .zone(let lines) = blocks[index], let first = lines.first else { return false }
        return PageSplitter.columnNoteTitles.contains(first)
    }

    /// Assembles the items of the segment.
    func read() -> [ItemDraft] {
        let blocks = blocks()
        var items: [ItemDraft] = []
        var current = ItemDraft()
        current.marker = lines.first?.marker ?? .none
        for (index, block) in blocks.enumerated() {
            switch block {
            case .paragraph(let paragraphLines, _):
                if current.isClosed {
                    items.append(current)
                    current = ItemDraft()
                }
                current.paragraphs.append(
                    ItemDraft.Paragraph(
                        text: TextCleaner.joinLines(paragraphLines.map(\.text)),
                        hasCredit: paragraphLines.last?.endsWithCredit ?? false))
            case .zone(let printedLines):
                let zoneLines = Self.joiningWrapped(printedLines)
                if current.isClosed {
                    // Two headline blocks in a row: the second continues the first.
                    current.zone += zoneLines
                    continue
                }
                if current.paragraphs.isEmpty {
                    current.leadingKickers += zoneLines
                    continue
                }
                let rest = blocks[(index + 1)...]
                let followingParagraphs = rest.prefix { if case .paragraph = $0 { true } else { false } }
                let preceding = blocks[..<index].reversed().prefix { if case .paragraph = $0 { true } else { false } }
                // A column note is an item of its own: its text does not continue an article.
                if followingParagraphs.isEmpty || Self.isColumnNote(blocks, at: index + 1 + followingParagraphs.count)
                    || endsItem(
                        zoneLines, printed: printedLines, current: current, preceding: preceding,
                        following: followingParagraphs)
                {
                    let (own, forNext) = Self.splitRepetition(zoneLines)
                    current.zone = own
                    current.repeatedHeadline = own.count < zoneLines.count ? own : []
                    current.kickerForNext = forNext
                    current.isClosed = true
                } else {
                    // A subhead inside the article, perhaps wrapped.
                    current.paragraphs.append(ItemDraft.Paragraph(text: zoneLines.joined()))
                }
            }
        }
        items.append(current)
        return items
    }

    /// A headline wrapped inside quotes or brackets (`“人民是我们的衣食父母，孝敬父母是` /
    /// `做儿女的本分”`) is one line.
    static func joiningWrapped(_ zone: [String]) -> [String] {
        var joined: [String] = []
        for line in zone {
            if let last = joined.last, PageLine.bracketDepth(last) > 0, PageLine.bracketDepth(last + line) <= 0 {
                joined[joined.count - 1] = last + line
            } else {
                joined.append(line)
            }
        }
        return joined
    }

    /// Whether a headline block (its lines, wrapped ones joined, and its lines as printed) followed by
    /// more text closes the item (else it is a subhead).
    private func endsItem(
        _ zone: [String], printed: [String], current: ItemDraft, preceding: some Sequence<Block>,
        following: ArraySlice<Block>
    ) -> Bool {
        let before = Self.typicalWidth(preceding.prefix(3))
        let after = Self.typicalWidth(following.prefix(3))
        // A subhead too long for the column wraps like text: a line as wide as the column (or as
        // a paragraph's indented first line), then a shorter one.
        var wrapped = false
        if zone.count == 2, printed.count == 2, let column = after ?? before {
            let first = Double(TextCleaner.width(printed[0]))
            wrapped = first >= column - 5 && first <= column + 2 && TextCleaner.width(printed[1]) < Int(first) - 4
        }
        if zone.count >= 2 && !wrapped { return true }
        // A dateline in brackets closes an article that opened without one (no marker, or
        // `（上接第N版）`): after an opening with a dateline or a byline line, text closed by such a
        // dateline is another article.
        if current.marker == .newsflash || current.marker == .datelineStart || current.marker == .bylineLine,
            following.contains(where: {
                if case .paragraph(let lines, _) = $0 { lines.last?.endsWithDateline == true } else { false }
            })
        {
            return true
        }
        // Text set in another column width after the headline belongs to another item.
        if let before, let after, abs(before - after) > max(4, 0.12 * before) {
            return true
        }
        if zone.contains(where: { PageSplitter.columnNoteTitles.contains($0) }) { return true }
        if current.lastParagraphHasCredit { return true }
        if printed.contains(where: { Double(TextCleaner.width($0)) > columnWidth * 1.2 }) { return true }
        var paragraphs = 0
        for block in following {
            guard case .paragraph(let paragraphLines, let wide) = block else { continue }
            if wide { return true }
            paragraphs += 1
            if paragraphLines.last?.endsWithCredit == true && paragraphs <= 2 { return true }
        }
        return false
    }

    /// The median width of the full lines (all but each paragraph's last) of some paragraphs; when
    /// all of them have two lines, their first lines count with the two cells of their indent.
    static func typicalWidth(_ blocks: some Sequence<Block>) -> Double? {
        var widths: [Int] = []
        var allTwoLines = true
        for block in blocks {
            guard case .paragraph(let lines, _) = block, lines.count >= 2 else { continue }
            widths += lines.dropLast().map(\.width)
            allTwoLines = allTwoLines && lines.count == 2
        }
        if allTwoLines { widths = widths.map { $0 + 4 } }
        guard widths.count >= 2 else { return nil }
        return Double(widths.sorted()[widths.count / 2])
    }

    /// Finds a repeated headline block: `T S T S+K` is `T S`, with `K` (the next item's kicker)
    /// glued to the copy.
    static func splitRepetition(_ zone: [String]) -> (own: [String], forNext: [String]) {
        guard zone.count >= 2 else { return (zone, []) }
        for size in 1...(zone.count / 2) {
            let first = zone[0..<size]
            let copy = zone[size..<(2 * size)]
            let matchesExceptLast = zip(first.dropLast(), copy.dropLast()).allSatisfy { $0 == $1 }
            guard matchesExceptLast, let lastCopy = copy.last, let lastFirst = first.last,
                lastCopy.hasPrefix(lastFirst)
            else { continue }
            var forNext: [String] = []
            let glued = String(lastCopy.dropFirst(lastFirst.count))
            if !glued.isEmpty { forNext.append(glued) }
            forNext += zone[(2 * size)...]
            return (Array(first), forNext)
        }
        return (zone, [])
    }
}
