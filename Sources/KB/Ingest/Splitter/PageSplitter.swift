import Foundation

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
        let (lines, lifted) = liftingInterleavedCaptions(PageLine.lines(of: text))
        guard !lines.isEmpty else { return [] }
        let vocabulary = PageVocabulary(lines: lines.map(\.text) + lifted.flatMap { $0.lines.map(\.text) })
        var segments: [[PageLine]] = []
        for line in lines {
            if line.marker.startsArticle || segments.isEmpty {
                segments.append([line])
            } else {
                segments[segments.count - 1].append(line)
            }
        }
        let headlinesFirst = printsHeadlinesFirst(segments)
        var drafts: [ItemDraft] = []
        for segment in segments {
            drafts += SegmentReader(lines: segment, headlinesFirst: headlinesFirst).read()
        }
        if headlinesFirst, drafts.count > 1, drafts[0].paragraphs.isEmpty {
            // The first headline block heads the first article.
            drafts[0].kickerForNext = drafts[0].leadingKickers + drafts[0].zone + drafts[0].kickerForNext
            drafts[0].leadingKickers = []
            drafts[0].zone = []
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
        if headlinesFirst {
            drafts.removeAll { $0.paragraphs.isEmpty && $0.leadingKickers.isEmpty && $0.zone.isEmpty }
            // A headline block that stood before its item is the item's headline.
            for index in drafts.indices where drafts[index].zone.isEmpty {
                drafts[index].zone = drafts[index].leadingKickers
                drafts[index].leadingKickers = []
            }
        }
        let items = drafts.map { $0.finish(vocabulary: vocabulary) }
        return lifted.isEmpty ? items : insertingLifted(lifted, into: items, vocabulary: vocabulary)
    }

    /// True when the page prints headlines before their text: it opens with a headline block (perhaps
    /// after a photo caption and its title, the headline then printed under the caption's title), and
    /// its last segment ends with text, not a headline (but for the title of a photo caption or of a
    /// column note, which stays after their text on such pages too).
    static func printsHeadlinesFirst(_ segments: [[PageLine]]) -> Bool {
        guard segments.count >= 2, let first = segments.first, !(first.first?.marker.startsArticle ?? true),
            let last = segments.last
        else { return false }
        var opening = SegmentReader(lines: first).blocks()
        if case .paragraph(let lines, _) = opening.first {
            // A caption, then its title and the first article's headline; the caption's credit may stand
            // on a line of its own.
            if !(lines.last?.endsWithCredit ?? false), opening.count == 3,
                case .paragraph(let credit, _) = opening[1], SegmentReader.isCreditOnly(credit)
            {
                opening.remove(at: 0)
            }
            guard case .paragraph(let captionLines, _) = opening.first, captionLines.last?.endsWithCredit == true,
                opening.count == 2, case .zone(let zone) = opening[1], zone.count >= 2
            else { return false }
        }
        var closing = SegmentReader(lines: last).blocks()
        if case .zone(let title) = closing.last, closing.count >= 2 {
            let isColumnNote = title.first.map { columnNoteTitles.contains($0) } ?? false
            guard case .paragraph(let lines, _) = closing[closing.count - 2],
                isColumnNote || lines.last?.endsWithCredit == true
            else { return false }
            closing.removeLast()
        }
        guard case .paragraph = closing.last else { return false }
        return true
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
