import Foundation

/// Photo captions that the extraction read into an article, between two lines of one paragraph.
extension PageSplitter {
    /// A caption lifted out of the text it interrupted.
    struct LiftedCaption {
        /// The line of text just before the caption.
        var hostLine: String
        /// The caption's lines: its text, the line ending with the credit, and its title if printed.
        var lines: [PageLine]
    }

    /// How many characters of the end of the interrupted line find the item it belongs to.
    static let hostSuffixLengths = [12, 6, 3]
    /// The narrowest line a lifted caption may interrupt, in width units (a CJK character is 2): narrower
    /// lines are headlines more often than a column's text.
    static let hostMinWidth = 24

    /// The most lines a lifted caption may have, its title included.
    static let liftedCaptionMaxLines = 7

    /// Takes out the photo captions printed between two lines of one paragraph: the line before the
    /// caption does not end its paragraph, the caption ends with a credit (`本报记者 X 摄`) and perhaps a
    /// title line, and the line after it continues the paragraph at the width of the line before (one
    /// indent wider when that was the paragraph's first line).
    static func liftingInterleavedCaptions(_ lines: [PageLine]) -> ([PageLine], [LiftedCaption]) {
        var kept: [PageLine] = []
        var lifted: [LiftedCaption] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            kept.append(line)
            index += 1
            guard index < lines.count, line.width >= hostMinWidth, !line.endsSentence, !line.endsWithCredit,
                !line.endsWithEndMarker,
                !line.endsWithDash, !line.endsWithColon, line.marker == .none || !line.marker.standsAlone,
                let credit = (index..<min(lines.count, index + liftedCaptionMaxLines - 1)).first(where: {
                    lines[$0].endsWithCredit
                }),
                lines[index..<credit].allSatisfy({ $0.marker == .none }),
                // A caption is one paragraph: no sentence ends before its last line.
                !lines[index..<credit].dropLast().contains(where: \.endsSentence)
            else { continue }
            // The text goes on right after the credit, or after a one-line caption title.
            let previous = kept.count >= 2 ? kept[kept.count - 2] : nil
            var resumed: Int?
            for next in [credit + 1, credit + 2] where next < lines.count {
                guard next == credit + 1 || isCaptionTitle(lines[credit + 1]) else { continue }
                let after = next + 1 < lines.count ? lines[next + 1] : nil
                if continues(line, previous: previous, with: lines[next], then: after) {
                    resumed = next
                    break
                }
            }
            guard let resumed else { continue }
            lifted.append(LiftedCaption(hostLine: line.text, lines: Array(lines[index..<resumed])))
            index = resumed
        }
        return (kept, lifted)
    }

    /// True when `next` reads as the line after `line` in one paragraph: both full lines of a column
    /// (`line` as wide as the line before it), or `line` the paragraph's indented first line (or the line
    /// opening an article) and `next` a full line, one indent wider, followed by a line as wide.
    static func continues(_ line: PageLine, previous: PageLine?, with next: PageLine, then after: PageLine?) -> Bool {
        guard next.marker == .none, !next.endsWithCredit else { return false }
        let tolerance = SegmentReader.fullLineTolerance / 2
        let widening = next.width - line.width
        // A line opening an article (`本报讯 …`) is a paragraph's first line, whatever stands before it.
        if !line.marker.startsArticle, let previous, !previous.endsSentence,
            previous.marker == .none || !previous.marker.standsAlone,
            abs(previous.width - line.width) <= tolerance
        {
            return abs(widening) <= tolerance || (next.endsSentence && widening < 0)
        }
        guard SegmentReader.indentRange.contains(widening), let after, after.marker == .none else { return false }
        return abs(after.width - next.width) <= tolerance || (after.endsSentence && after.width < next.width)
    }

    /// True when a line can be a photo caption's title: short, and no sentence.
    static func isCaptionTitle(_ line: PageLine) -> Bool {
        line.marker == .none && !line.endsSentence && !line.hasInnerFullStop && line.width <= 40
    }

    /// Puts the lifted captions back as items, each after the item holding the line it interrupted.
    static func insertingLifted(_ captions: [LiftedCaption], into items: [PageItem], vocabulary: PageVocabulary)
        -> [PageItem]
    {
        var items = items
        for caption in captions.reversed() {
            // The caption's text up to its credit is one paragraph (however its lines were spaced), the
            // line after the credit its title.
            let credit = caption.lines.lastIndex(where: \.endsWithCredit) ?? caption.lines.count - 1
            var draft = ItemDraft()
            draft.paragraphs = [
                ItemDraft.Paragraph(text: TextCleaner.joinLines(caption.lines[...credit].map(\.text)), hasCredit: true)
            ]
            draft.zone = caption.lines[(credit + 1)...].map(\.text)
            let captionItems = [draft.finish(vocabulary: vocabulary)]
            // The end of the line, shorter and shorter: its start may be a dateline or byline, which are
            // not in the body; the line may hold nothing but them (`本报讯 （记者 X）`).
            let line = TextCleaner.removingWhitespace(caption.hostLine)
            let texts = items.map { TextCleaner.removingWhitespace($0.dateline + $0.byline + $0.body) }
            var at = items.count
            for length in hostSuffixLengths {
                let host = String(line.suffix(length))
                if let found = texts.lastIndex(where: { $0.contains(host) }) {
                    at = found + 1
                    break
                }
            }
            items.insert(contentsOf: captionItems, at: at)
        }
        return items
    }
}
