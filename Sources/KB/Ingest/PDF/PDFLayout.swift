import Foundation

/// Finds the articles of a PDF page from the boxes of its words: headlines by their glyph height, columns by
/// their position.
///
/// 1. pdftotext's lines are cut where a gap wider than a character stands between two words: a line that
///    runs across two columns set at the same height is two lines.
/// 2. The body glyph height is the one most characters have. Lines at least ``headlineRatio`` times as high
///    are headline lines; lines stacked over each other form a headline block, whose highest lines are the
///    title, the lines above them the kicker and those below the subtitle.
/// 3. Body lines stacked in one column at the page's line pitch form a column run. A run that starts just
///    under a headline block (within ``runStartPitches`` line pitches) belongs to it, the nearest block
///    first; runs whose text ends with a photo credit (`… 摄`) are captions, items of their own; other runs
///    side by side at one height form an article without a headline.
/// 4. Lines in the top or bottom margin above or below every article (a masthead, the page's name) are the
///    page's header (``PDFInfo/header``), not articles.
/// 5. Articles are read row by row, left to right; the lines of an article column by column.
enum PDFLayout {
    /// A line at least this many times the body glyph height is a headline line.
    static let headlineRatio = 1.12
    /// A gap between two words of a line wider than this many character widths cuts it in two.
    static let columnGap = 1.0
    /// Two lines farther apart than this many line pitches are not in one run.
    static let runGapPitches = 1.7
    /// A run that starts within this many line pitches under a headline block belongs to it.
    static let runStartPitches = 3.0
    /// Margins where the header and footer lines stand, as a share of the page's height.
    static let topMargin = 0.12
    static let bottomMargin = 0.08

    /// A piece of a line: words side by side with no column gap.
    struct Segment {
        var text: String
        var box: PDFBox
        /// The width of one CJK character (the font size), estimated from the words.
        var em: Double
    }

    /// Lays out one page.
    static func lay(_ page: PDFPageWords) -> PDFPageText {
        let segments = page.lines.flatMap(cut)
        guard !segments.isEmpty else { return PDFPageText(number: page.number, header: [], chunks: []) }
        let bodyHeight = typicalHeight(segments)
        let isHeadline = segments.map { $0.box.height >= bodyHeight * headlineRatio }
        let pitch = linePitch(segments.indices.filter { !isHeadline[$0] }.map { segments[$0] }) ?? bodyHeight

        // Headline blocks.
        var blocks: [[Segment]] = []
        for segment in segments.indices.filter({ isHeadline[$0] }).map({ segments[$0] })
            .sorted(by: { ($0.box.centerY, $0.box.xMin) < ($1.box.centerY, $1.box.xMin) })
        {
            if let index = blocks.lastIndex(where: { block in
                guard let last = block.last else { return false }
                return segment.box.yMin <= last.box.yMax + 0.5 * segment.box.height
                    && (segment.box.horizontalOverlap(last.box) > 0
                        || abs(segment.box.xMin - last.box.xMin) < 2 * last.em)
            }) {
                blocks[index].append(segment)
            } else {
                blocks.append([segment])
            }
        }

        blocks = mergingStacked(blocks, pageWidth: page.width)

        // Column runs of the other lines.
        var runs: [[Segment]] = []
        for segment in segments.indices.filter({ !isHeadline[$0] }).map({ segments[$0] })
            .sorted(by: { ($0.box.centerY, $0.box.xMin) < ($1.box.centerY, $1.box.xMin) })
        {
            let candidates = runs.indices.filter { index in
                guard let last = runs[index].last else { return false }
                let overlap = segment.box.horizontalOverlap(last.box)
                let dy = segment.box.centerY - last.box.centerY
                return overlap >= 0.5 * min(segment.box.width, last.box.width) && dy > 0.3 * pitch
                    && dy <= runGapPitches * pitch && abs(segment.box.height - last.box.height) <= 0.1 * bodyHeight
            }
            let nearest = candidates.min { first, second in
                (runs[first].last?.box.centerY ?? 0) > (runs[second].last?.box.centerY ?? 0)
            }
            if let index = nearest {
                runs[index].append(segment)
            } else {
                runs.append([segment])
            }
        }

        // Header and footer: runs in the margins above or below everything else.
        let headlineTop = blocks.map { $0.map(\.box.yMin).min() ?? .infinity }.min() ?? .infinity
        let mainRuns = runs.filter { $0.count >= 3 }
        let contentTop = min(headlineTop, mainRuns.map { $0.first?.box.yMin ?? .infinity }.min() ?? .infinity)
        let contentBottom =
            mainRuns.map { $0.last?.box.yMax ?? 0 }.max() ?? (contentTop.isFinite ? contentTop : .infinity)
        var header: [Segment] = []
        var footer: [Segment] = []
        runs.removeAll { run in
            guard run.count <= 2, let first = run.first, let last = run.last else { return false }
            if contentTop.isFinite,
                last.box.yMax <= contentTop + 0.25 * pitch && first.box.centerY <= page.height * topMargin
            {
                header += run
                return true
            }
            if contentBottom.isFinite,
                first.box.yMin >= contentBottom - 0.25 * pitch && first.box.centerY >= page.height * (1 - bottomMargin)
            {
                footer += run
                return true
            }
            return false
        }

        // Captions, then the runs under each headline block.
        var chunks: [(anchor: PDFBox, chunk: PDFPageText.Chunk)] = []
        var articleRuns: [[[Segment]]] = Array(repeating: [], count: blocks.count)
        var orphans: [[Segment]] = []
        let blockBoxes = blocks.map { $0.dropFirst().reduce($0[0].box) { $0.union($1.box) } }
        for run in runs.sorted(by: { ($0[0].box.yMin, $0[0].box.xMin) < ($1[0].box.yMin, $1[0].box.xMin) }) {
            let joined = DocumentReader.joinPlainLines(run.map(\.text))
            let cleaned = TextCleaner.cleanLine(joined)
            if PageLine.creditRange(in: cleaned, spacedInSource: joined.hasSuffix(" 摄")) != nil {
                chunks.append((runBox(run), PDFPageText.Chunk(lines: [joined])))
                continue
            }
            let top = run[0].box
            let owner = blockBoxes.indices.filter { index in
                let block = blockBoxes[index]
                let distance = top.yMin - block.yMax
                return block.centerY < top.centerY && distance >= -pitch - 0.5 * top.height
                    && distance <= runStartPitches * pitch && block.horizontalGap(top) <= page.width / 3
            }.min { first, second in
                score(blockBoxes[first], top) < score(blockBoxes[second], top)
            }
            if let owner {
                articleRuns[owner].append(run)
            } else if let index = articleRuns.indices.first(where: { index in
                articleRuns[index].contains { continues($0, with: run, pitch: pitch) }
            }) {
                articleRuns[index].append(run)
            } else {
                orphans.append(run)
            }
        }
        for (index, block) in blocks.enumerated() {
            let highest = block.map(\.box.height).max() ?? 0
            let titleIndexes = block.indices.filter { block[$0].box.height >= 0.9 * highest }
            guard let firstTitle = titleIndexes.first, let lastTitle = titleIndexes.last else { continue }
            var chunk = PDFPageText.Chunk()
            chunk.kicker = block[..<firstTitle].map(\.text)
            chunk.title = block[firstTitle...lastTitle].map(\.text)
            chunk.subtitle = block[(lastTitle + 1)...].map(\.text)
            chunk.lines = bodyLines(articleRuns[index])
            chunks.append((blockBoxes[index], chunk))
        }
        // Runs without a headline, side by side at one height, are one article.
        var groups: [[[Segment]]] = []
        for run in orphans.sorted(by: { $0[0].box.xMin < $1[0].box.xMin }) {
            if let index = groups.firstIndex(where: { group in
                group.contains { abs($0[0].box.centerY - run[0].box.centerY) <= pitch }
            }) {
                groups[index].append(run)
            } else {
                groups.append([run])
            }
        }
        for group in groups {
            let segments = group.flatMap { $0 }
            chunks.append(
                (
                    segments.dropFirst().reduce(segments[0].box) { $0.union($1.box) },
                    PDFPageText.Chunk(lines: bodyLines(group))
                ))
        }
        let margins =
            (header.sorted { ($0.box.yMin, $0.box.xMin) < ($1.box.yMin, $1.box.xMin) }
            + footer.sorted { ($0.box.yMin, $0.box.xMin) < ($1.box.yMin, $1.box.xMin) }).map(\.text)
        return PDFPageText(number: page.number, header: margins, chunks: rowOrder(chunks, pitch: pitch))
    }

    /// Headline blocks joined where one stands right over another of another size, whatever their
    /// horizontal places: a kicker set flush left over a centred title, a subtitle under it.
    static func mergingStacked(_ blocks: [[Segment]], pageWidth: Double) -> [[Segment]] {
        var blocks = blocks
        var merged = true
        while merged {
            merged = false
            search: for upper in blocks.indices {
                for lower in blocks.indices where lower != upper {
                    let top = blocks[upper].reduce(blocks[upper][0].box) { $0.union($1.box) }
                    let bottom = blocks[lower].reduce(blocks[lower][0].box) { $0.union($1.box) }
                    let upperHeight = blocks[upper].map(\.box.height).max() ?? 0
                    let lowerHeight = blocks[lower].map(\.box.height).max() ?? 0
                    guard top.centerY < bottom.centerY,
                        abs(upperHeight - lowerHeight) > 0.1 * min(upperHeight, lowerHeight),
                        bottom.yMin - top.yMax <= 0.6 * min(upperHeight, lowerHeight),
                        top.horizontalGap(bottom) <= pageWidth / 4
                    else { continue }
                    blocks[upper] += blocks[lower]
                    blocks.remove(at: lower)
                    merged = true
                    break search
                }
            }
        }
        return blocks
    }

    // MARK: - Lines

    /// Cuts a pdftotext line where a gap wider than ``columnGap`` characters stands between two words.
    static func cut(_ words: [PDFWord]) -> [Segment] {
        let words = words.sorted { $0.box.xMin < $1.box.xMin }
        let em = characterWidth(words)
        var segments: [Segment] = []
        var current: [PDFWord] = []
        func flush() {
            guard let first = current.first else { return }
            let box = current.dropFirst().reduce(first.box) { $0.union($1.box) }
            segments.append(Segment(text: current.map(\.text).joined(separator: " "), box: box, em: em))
            current = []
        }
        for word in words {
            if let last = current.last, word.box.xMin - last.box.xMax > columnGap * em { flush() }
            current.append(word)
        }
        flush()
        return segments
    }

    /// The width of a CJK character in the words (their font size): the median over words of their width
    /// per character, a CJK or full-width character counting 1 and any other about half.
    static func characterWidth(_ words: [PDFWord]) -> Double {
        var estimates: [Double] = []
        for word in words {
            var units = 0.0
            for scalar in word.text.unicodeScalars { units += TextCleaner.isCJKContext(scalar) ? 1 : 0.55 }
            if units >= 2 { estimates.append(word.box.width / units) }
        }
        guard !estimates.isEmpty else { return (words.map(\.box.height).max() ?? 10) * 0.5 }
        return estimates.sorted()[estimates.count / 2]
    }

    /// The glyph height most characters have, to a quarter point.
    static func typicalHeight(_ segments: [Segment]) -> Double {
        var weights: [Int: Int] = [:]
        for segment in segments {
            weights[Int((segment.box.height * 4).rounded()), default: 0] += segment.text.unicodeScalars.count
        }
        let best = weights.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key ?? 40
        return Double(best) / 4
    }

    /// The distance between the centres of two lines that follow each other in a column: the median over
    /// lines of the distance to the nearest line under them that overlaps them.
    static func linePitch(_ segments: [Segment]) -> Double? {
        let sorted = segments.sorted { $0.box.centerY < $1.box.centerY }
        var distances: [Double] = []
        for (index, segment) in sorted.enumerated() {
            for next in sorted[(index + 1)...] {
                let dy = next.box.centerY - segment.box.centerY
                if dy > 4 * segment.box.height { break }
                if dy > 0.3 * segment.box.height,
                    next.box.horizontalOverlap(segment.box) >= 0.5 * min(next.box.width, segment.box.width)
                {
                    distances.append(dy)
                    break
                }
            }
        }
        guard !distances.isEmpty else { return nil }
        return distances.sorted()[distances.count / 2]
    }

    // MARK: - Order

    static func runBox(_ run: [Segment]) -> PDFBox {
        run.dropFirst().reduce(run[0].box) { $0.union($1.box) }
    }

    /// How near a headline block is to a run that starts under it: the vertical distance plus the horizontal
    /// gap (0 when they overlap).
    static func score(_ block: PDFBox, _ top: PDFBox) -> Double {
        abs(top.yMin - block.yMax) + 2 * block.horizontalGap(top)
    }

    /// True when `run` goes on in the column of `earlier`, right under it.
    static func continues(_ earlier: [Segment], with run: [Segment], pitch: Double) -> Bool {
        guard let last = earlier.last, let first = run.first else { return false }
        let dy = first.box.centerY - last.box.centerY
        return dy > 0 && dy <= 2.5 * pitch && first.box.horizontalOverlap(last.box) > 0
    }

    /// The lines of an article's runs in reading order, a line set in by one to four characters from its
    /// column's left edge marked as the start of a paragraph.
    static func bodyLines(_ runs: [[Segment]]) -> [String] {
        var lines: [String] = []
        for column in columns(runs) {
            let segments = column.flatMap { $0 }
            let left = segments.map(\.box.xMin).min() ?? 0
            let edge = segments.filter { $0.box.xMin - left < 0.5 * $0.em }.count
            for segment in segments {
                let inset = (segment.box.xMin - left) / segment.em
                let isStart = edge > 0 && inset >= 1.2 && inset <= 4.5
                lines.append((isStart ? PDFPageText.paragraphIndent : "") + segment.text)
            }
        }
        return lines
    }

    /// Runs column by column, left to right; runs of one column from top to bottom.
    static func readingOrder(_ runs: [[Segment]]) -> [[Segment]] {
        columns(runs).flatMap { $0 }
    }

    /// Runs by column, left to right; the runs of a column from top to bottom.
    static func columns(_ runs: [[Segment]]) -> [[[Segment]]] {
        var columns: [[[Segment]]] = []
        for run in runs.sorted(by: { $0[0].box.xMin < $1[0].box.xMin }) {
            let box = runBox(run)
            if let index = columns.firstIndex(where: { column in
                column.contains { runBox($0).horizontalOverlap(box) >= 0.5 * min(runBox($0).width, box.width) }
            }) {
                columns[index].append(run)
            } else {
                columns.append([run])
            }
        }
        return columns.map { $0.sorted { $0[0].box.yMin < $1[0].box.yMin } }
    }

    /// Chunks row by row (a chunk starting within two line pitches of a row's first is in that row), each row
    /// left to right.
    static func rowOrder(_ chunks: [(anchor: PDFBox, chunk: PDFPageText.Chunk)], pitch: Double)
        -> [PDFPageText.Chunk]
    {
        var rows: [[(anchor: PDFBox, chunk: PDFPageText.Chunk)]] = []
        for item in chunks.sorted(by: { ($0.anchor.yMin, $0.anchor.xMin) < ($1.anchor.yMin, $1.anchor.xMin) }) {
            if let first = rows.last?.first, item.anchor.yMin - first.anchor.yMin <= 2 * pitch {
                rows[rows.count - 1].append(item)
            } else {
                rows.append([item])
            }
        }
        return rows.flatMap { $0.sorted { $0.anchor.xMin < $1.anchor.xMin }.map(\.chunk) }
    }
}
