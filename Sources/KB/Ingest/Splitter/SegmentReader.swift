import Foundation

/// Reads one segment: the lines from one article marker to the next.
struct SegmentReader {
    let lines: [PageLine]
    /// The typical width of the segment's body lines.
    let columnWidth: Double
    /// The column width around each line: segments can hold items set in different columns.
    let columns: [Double]

    /// The page prints every headline block before its body (see ``PageSplitter/printsHeadlinesFirst(_:)``):
    /// a headline block after text belongs to the next item.
    var headlinesFirst = false

    init(lines: [PageLine], headlinesFirst: Bool = false) {
        self.lines = lines
        self.headlinesFirst = headlinesFirst
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
        return line.endsSentence || line.endsWithCredit || line.endsWithEndMarker
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

    /// True when the line is the first of a photo caption of two lines: running text (a pause inside it)
    /// that the next line, ending with the credit, closes (see ``captionGoesOn(_:)``).
    func opensCaption(_ index: Int) -> Bool {
        captionGoesOn(index)
            && lines[index].text.unicodeScalars.dropLast().contains { PageLine.pauses.contains($0.value) }
    }

    /// How much narrower than the next line a paragraph's indented first line is, in width units
    /// (a CJK character is 2): its two-cell indent, give or take a punctuation mark.
    static let indentRange = 2...8
    /// How much the full lines of a paragraph differ in width, in width units.
    static let fullLineTolerance = 4

    /// True when the line reads as the indented first line of a paragraph whose next lines are full:
    /// the next line is an indent wider, and the one after as wide or the paragraph's last.
    func opensParagraph(_ index: Int) -> Bool {
        guard index + 1 < lines.count, !lines[index + 1].marker.startsArticle, !lines[index].endsSentence else {
            return false
        }
        let line = lines[index]
        let next = lines[index + 1]
        guard Self.indentRange.contains(next.width - line.width) else { return false }
        guard !endsParagraph(index + 1), index + 2 < lines.count else { return endsParagraph(index + 1) }
        // The line after is as wide, or the paragraph's last line, no wider.
        let after = lines[index + 2]
        return abs(after.width - next.width) <= Self.fullLineTolerance
            || (endsParagraph(index + 2) && !after.marker.startsArticle && after.width <= next.width)
    }

    /// How much narrower than the next line an indented first line is at least, in width units, when
    /// nothing else tells a paragraph's start: a full two-cell indent.
    static let clearIndent = 4

    /// How many full lines after a paragraph's first line give the width it is indented from.
    static let indentEvidenceLines = 4

    /// True when the line is clearly the indented first line of a paragraph.
    ///
    /// At least two full lines follow it in the paragraph, and their median width is a full indent
    /// (``clearIndent``) wider. Lines with digits or Latin letters, whose half widths make full lines
    /// uneven, tell nothing.
    func opensIndentedParagraph(_ index: Int) -> Bool {
        let line = lines[index]
        guard !line.marker.startsArticle, !line.hasHalfWidth, !endsParagraph(index) else { return false }
        var widths: [Int] = []
        var next = index + 1
        while next < lines.count, widths.count < Self.indentEvidenceLines, !lines[next].marker.startsArticle,
            !endsParagraph(next), !lines[next].hasHalfWidth
        {
            widths.append(lines[next].width)
            next += 1
        }
        guard widths.count >= 2 else { return false }
        let full = widths.sorted()[widths.count / 2]
        return (Self.clearIndent...Self.indentRange.upperBound).contains(full - line.width)
    }

    /// How much wider than its column a line of text may be when the extraction inserted a few characters
    /// into it (`第68号`, a page number, a symbol), in width units (a CJK character is 2).
    static let insertionWidthLimit = 12

    /// True when a line inside a paragraph is wider than its column only because of inserted characters.
    ///
    /// It is running text (a pause inside it, no sentence or dash at its end, at most
    /// ``insertionWidthLimit`` wider than the column) and the line after it goes on at the column's width
    /// or ends the paragraph. A headline of another column has no pause inside.
    func widenedByInsertion(_ index: Int) -> Bool {
        let line = lines[index]
        guard index + 1 < lines.count, !line.endsSentence, !line.endsWithDash, !line.endsWithCredit,
            Double(line.width) <= columns[index] + Double(Self.insertionWidthLimit),
            line.text.unicodeScalars.dropLast().contains(where: { PageLine.pauses.contains($0.value) })
        else { return false }
        let next = lines[index + 1]
        guard !next.marker.startsArticle, !next.endsWithCredit, !isWide(index + 1) else { return false }
        return endsParagraph(index + 1) || !isShort(index + 1)
    }

    /// How much wider than the full lines of its paragraph a line may be: a punctuation mark hanging past the
    /// column, in width units.
    static let hangingWidth = 2

    /// True when the line after `index` is the indented first line of a paragraph (an indent narrower than
    /// the full lines after it), at least a full indent narrower than `index`, and `index` holds no pause: a
    /// line of text runs on into a line of its own width, so `index` is no text of that paragraph.
    func paragraphOpensNarrower(after index: Int) -> Bool {
        let next = index + 1
        guard index + 2 < lines.count, lines[next].width <= lines[index].width - Self.clearIndent,
            !lines[next].marker.startsArticle, !endsParagraph(next),
            !lines[index].text.unicodeScalars.contains(where: { PageLine.pauses.contains($0.value) })
        else { return false }
        return opensParagraph(next) || opensIndentedParagraph(next)
    }

    /// True when the line, running text (a pause inside it), reads as the indented first line of a paragraph
    /// whose next lines are full: the next line an indent wider and as wide as the column, the line after it
    /// as wide (but for a hanging punctuation mark) or the paragraph's last line.
    func opensParagraphBeforeFullLines(_ index: Int) -> Bool {
        let line = lines[index]
        guard index + 2 < lines.count, !line.endsSentence,
            line.text.unicodeScalars.dropLast().contains(where: { PageLine.pauses.contains($0.value) })
        else { return false }
        let next = lines[index + 1]
        let after = lines[index + 2]
        guard !next.marker.startsArticle, !after.marker.startsArticle, !endsParagraph(index + 1),
            Self.indentRange.contains(next.width - line.width),
            Double(next.width) >= columns[index + 1] - Double(Self.hangingWidth)
        else { return false }
        return abs(after.width - next.width) <= Self.hangingWidth
            || (endsParagraph(index + 2) && after.width <= next.width)
    }

    enum Role: Equatable { case paragraphStart, continuation, headline }

    /// How many lines apart a headline line and its printed copy may be: a block of kicker, title
    /// and two subtitle lines.
    static let repeatedHeadlineDistance = 4

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
            if inParagraph && !(isWide(index) && !isWide(index - 1) && !widenedByInsertion(index)) {
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
        if line.marker.endsArticle || line.hasInnerFullStop || line.endsWithColon { return .paragraphStart }
        // A dateline in brackets closes its article: a line after it that holds no pause and ends no sentence
        // is the article's headline.
        if index > 0, lines[index - 1].endsWithDateline, !line.endsSentence, !line.endsWithCredit,
            !line.text.unicodeScalars.contains(where: { PageLine.pauses.contains($0.value) })
        {
            return .headline
        }
        // A kicker ends with a dash; a dash run on into the next line (`…的前身——` / `—正规的…`) is text.
        let dashRunsOn = next?.text.utf8HasPrefix("—") == true
        // A line ending with a dash that opens a paragraph (the next two lines are an indent wider and
        // full) is text: `1991年，依多金企业集团公司的前身———` / `湖州练市针织制衣厂已濒临倒闭。…`; a
        // title under a kicker may be an indent wider too, but ends there.
        let opensLongParagraph = opensParagraph(index) && index + 1 < lines.count && !endsParagraph(index + 1)
        if line.endsWithDash && !dashRunsOn && !opensLongParagraph { return .headline }
        // A headline printed twice: a line of a block and its copy, before or after it.
        for distance in 1...Self.repeatedHeadlineDistance {
            if index >= distance && lines[index - distance].text == line.text { return .headline }
            if index + distance < lines.count && lines[index + distance].text == line.text { return .headline }
        }
        if index > 0, lines[index - 1].endsWithDash, !lines[index - 1].endsSentence, !line.text.utf8HasPrefix("—"),
            !opensParagraph(index), !opensCaption(index)
        {
            // The title under a kicker (a kicker printed without a title has the text under it).
            return .headline
        }
        // A line wider than the text that runs on after it cannot be one of its full lines: it is
        // the title of an item set in another column, and a new item starts under it.
        if !endsParagraph(index), !line.endsWithComma, narrowerTextFollows(index) || widerTextFollows(index) {
            return .headline
        }
        // A paragraph's first line is at most an indent narrower than its second: a line holding no pause
        // before a clearly wider line of text is a headline over it (an article's title over a caption).
        if !endsParagraph(index), !line.endsWithComma, !line.hasHalfWidth, let next, !next.marker.startsArticle,
            next.width - line.width > Self.indentRange.upperBound + Self.fullLineTolerance,
            !line.text.unicodeScalars.contains(where: { PageLine.pauses.contains($0.value) })
        {
            return .headline
        }
        // A line that ends no sentence cannot run on into the indented first line of a paragraph set
        // narrower than it: it is a headline over that paragraph.
        if !endsParagraph(index), !line.endsWithComma, paragraphOpensNarrower(after: index) { return .headline }
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
        // Digits and Latin letters make a paragraph's first line short of its indent: a run of them is never
        // split, so it may wrap to the next line and leave its width empty.
        if line.hasHalfWidth, opensParagraphBeforeFullLines(index) { return .paragraphStart }
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
        // The next line opens a paragraph of its own, and this line, which ends no sentence, is no
        // indented first line before it: a headline.
        if !Self.indentRange.contains(next.width - line.width), opensIndentedParagraph(index + 1) { return .headline }
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
            $0.endsSentence || $0.endsWithCredit || $0.endsWithEndMarker || $0.endsWithColon
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
                // Headlines first, a photo caption follows the text of the article before it directly.
                let isCaption = paragraphLines.last?.endsWithCredit ?? false
                // A credit on a line of its own under the only paragraph of an item that opened without a
                // marker or a headline closes that paragraph's caption.
                let closesOwnCaption =
                    Self.isCreditOnly(paragraphLines) && current.paragraphs.count == 1 && !current.marker.startsArticle
                    && current.leadingKickers.isEmpty && current.zone.isEmpty
                let captionAfterText =
                    headlinesFirst && isCaption && !current.paragraphs.isEmpty && !current.lastParagraphHasCredit
                    && !closesOwnCaption
                // A photo caption printed without a title ends with its credit: text after it is another item's.
                let textAfterCaption = !isCaption && current.lastParagraphHasCredit
                if current.isClosed || captionAfterText || textAfterCaption {
                    // A credit on a line of its own closes the caption printed in the paragraph before it.
                    let captionText =
                        captionAfterText && current.paragraphs.count >= 2 && Self.isCreditOnly(paragraphLines)
                        ? [current.paragraphs.removeLast()] : []
                    items.append(current)
                    current = ItemDraft()
                    current.paragraphs = captionText
                }
                current.paragraphs.append(
                    ItemDraft.Paragraph(
                        text: TextCleaner.joinLines(paragraphLines.map(\.text)),
                        hasCredit: paragraphLines.last?.endsWithCredit ?? false))
            case .zone(let printedLines):
                let zoneLines = Self.joiningWrapped(printedLines)
                if current.isClosed {
                    // Two headline blocks in a row: the second continues the first.
                    if headlinesFirst { current.kickerForNext += zoneLines } else { current.zone += zoneLines }
                    continue
                }
                if headlinesFirst, !current.paragraphs.isEmpty {
                    // A column note keeps its title after its text, and has no headline before it: after an
                    // article (its headline before it, or its marker), the note is the last paragraph.
                    if PageSplitter.columnNoteTitles.contains(zoneLines[0]), !current.lastParagraphHasCredit,
                        current.paragraphs.count >= 2, current.marker.startsArticle || !current.leadingKickers.isEmpty
                    {
                        let note = current.paragraphs.removeLast()
                        items.append(current)
                        current = ItemDraft()
                        current.paragraphs = [note]
                    }
                    // The block heads the next item, but for the title of a caption or a column note.
                    let ownsFirst =
                        current.lastParagraphHasCredit || PageSplitter.columnNoteTitles.contains(zoneLines[0])
                    let rest = blocks[(index + 1)...]
                    let followingParagraphs = rest.prefix { if case .paragraph = $0 { true } else { false } }
                    let preceding = blocks[..<index].reversed().prefix {
                        if case .paragraph = $0 { true } else { false }
                    }
                    if ownsFirst || followingParagraphs.isEmpty
                        || endsItem(
                            zoneLines, printed: printedLines, current: current, preceding: preceding,
                            following: followingParagraphs)
                    {
                        current.zone = ownsFirst ? [zoneLines[0]] : []
                        current.kickerForNext = Array(zoneLines.dropFirst(ownsFirst ? 1 : 0))
                        current.isClosed = true
                    } else {
                        current.paragraphs.append(ItemDraft.Paragraph(text: zoneLines.joined()))
                    }
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

    /// True when the paragraph is a photo credit alone on its line: `本报通讯员 潘志梅摄`.
    static func isCreditOnly(_ lines: [PageLine]) -> Bool {
        guard lines.count == 1, let line = lines.first, line.endsWithCredit,
            let credit = PageLine.creditRange(in: line.text, spacedInSource: true)
        else { return false }
        return line.text[..<credit.lowerBound].allSatisfy(\.isWhitespace)
    }

    /// A headline wrapped inside quotes or brackets (`“人民是我们的衣食父母，孝敬父母是` /
    /// `做儿女的本分”`), or after a comma (`“输血”，` / `更需“造血”`), is one line: no headline line
    /// ends with a pause.
    static func joiningWrapped(_ zone: [String]) -> [String] {
        var joined: [String] = []
        for line in zone {
            if let last = joined.last,
                (PageLine.bracketDepth(last) > 0 && PageLine.bracketDepth(last + line) <= 0)
                    || endsWithPause(last)
            {
                joined[joined.count - 1] = last + line
            } else {
                joined.append(line)
            }
        }
        return joined
    }

    /// True when the text ends with a pause inside a sentence: `，`, `、` or `；`.
    static func endsWithPause(_ text: String) -> Bool {
        guard let last = text.unicodeScalars.last else { return false }
        return PageLine.pauses.contains(last.value)
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
        // A dateline in brackets closes its article: the headline after it is that article's, no subhead.
        if case .paragraph(let lines, _)? = preceding.first(where: { _ in true }), lines.last?.endsWithDateline == true
        {
            return true
        }
        // A subhead quotes the paragraph under it; a title seldom quotes the first paragraph of its article
        // (about 1 in 100), so the rule holds on pages printing headlines first too.
        if Self.quotesTextBelow(zone, following) { return false }
        // A dateline in brackets closes an article that opened without one (no marker, or
        // `（上接第N版）`): after an opening with a dateline or a byline line, text closed by such a
        // dateline is another article. `（下转第2版）` closes the article it is in: no other opened.
        if [.newsflash, .datelineStart, .bylineLine, .bylineStart].contains(current.marker),
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

    /// The fewest characters of a subhead's quote of the paragraph under it.
    static let shortestSubheadQuote = 5

    /// True when the headline, on its own, is a run of the first paragraph under it: a subhead takes its words
    /// from the text it heads (`推动产业结构优化升级` over `…，推动产业结构优化升级，…`); the title of another
    /// article does not.
    static func quotesTextBelow(_ zone: [String], _ following: ArraySlice<Block>) -> Bool {
        let heading = zone.joined()
        guard heading.unicodeScalars.filter(TextCleaner.isCJKCharacter).count >= shortestSubheadQuote,
            case .paragraph(let lines, _)? = following.first
        else { return false }
        return TextCleaner.joinLines(lines.map(\.text)).contains(heading)
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
