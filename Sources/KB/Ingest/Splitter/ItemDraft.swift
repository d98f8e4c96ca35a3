import Foundation

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

    /// The item as found.
    ///
    /// The headline block is read into kicker, title and subtitle, the dateline and byline are taken from
    /// the text. `vocabulary` holds the page's words, which tell a title wrapped over two lines from a
    /// title over its subtitle.
    func finish(vocabulary: PageVocabulary) -> PageItem {
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
        // A kicker printed without a title under it.
        if zone.count == 1, zone[0].utf8HasSuffix("——"), !zone[0].utf8HasSuffix("———") {
            kickers.append(zone.removeFirst())
        }
        // A title wrapped inside a word, or with a few characters left for its second line.
        if zone.count >= 2, vocabulary.breaksWord(zone[0], zone[1]) {
            zone[0] += zone.remove(at: 1)
        }
        // Three lines under no kicker: a title printed over two lines, then its subtitle.
        if zone.count == 3, kickers.isEmpty, !zone.contains(where: { $0.utf8HasSuffix("—") }) {
            zone = [zone[0] + zone[1], zone[2]]
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
        // `（上接第1版）`, alone or run into the first paragraph, is no text of the article.
        var continuation: [String] = []
        if let first = paragraphs.first, let range = PageLine.continuedFromRange(in: first) {
            continuation.append(String(first[range]))
            let rest = String(first[range.upperBound...])
            if rest.isEmpty { paragraphs.removeFirst() } else { paragraphs[0] = rest }
        }
        if var first = paragraphs.first {
            let lead = marker == .bylineStart ? Self.bylineLeadPattern : Self.leadPattern
            if let match = first.prefixMatch(of: lead), !match.range.isEmpty {
                if let dateline = match.output[1].substring { item.dateline = String(dateline) }
                if match.output.count > 2, let byline = match.output[2].substring { item.byline = String(byline) }
                first = String(first[match.range.upperBound...])
                if first.isEmpty { paragraphs.removeFirst() } else { paragraphs[0] = first }
            }
        }
        // `（下转第2版）` closing the article.
        if let last = paragraphs.last, let range = PageLine.continuedOnRange(in: last) {
            continuation.append(String(last[range]))
            let rest = String(last[..<range.lowerBound])
            if rest.isEmpty { paragraphs.removeLast() } else { paragraphs[paragraphs.count - 1] = rest }
        }
        item.continuation = continuation.joined(separator: "\n")
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

    /// `本报讯 （记者陈华）`, `新华社北京4月24日电（记者 X）`, `本报北京4月24日电`, and the mangled forms
    /// of ``PageLine/newsflashPattern`` and ``PageLine/datelineStartPattern``: the dateline, then the
    /// byline.
    nonisolated(unsafe) static let leadPattern = NewsVocabulary.regex(
        #"((?:本报\s?(?:第?[0-9０-９]{1,4}号|专|讯)?\s?讯)|(?:(?:据)?(?:\#(PageLine.agencies))"#
            + #"(?:\p{Han}{0,12}\#(PageLine.date)(?:电|讯)|\p{Han}{0,8}?(?:[0-9０-９]{1,2}月日?)?电(?=[（(]))))"#
            + #"\s?([（(][^）)]{1,60}[）)])?\s?"#)
    /// `（记者陈华）` opening an article whose dateline was lost.
    nonisolated(unsafe) static let bylineLeadPattern = NewsVocabulary.regex(#"()([（(][^）)]{1,60}[）)])\s?"#)
}
