import Foundation

/// The text of one PDF page as kb stores it: the page's articles apart, in reading order, their headlines marked.
///
/// This is the text of a source of kind ``DocumentKind/pdfPage``, and what its items are made from again (a
/// re-import, a re-split). Each article, caption or other block of text found on the page (a *chunk*) is
/// written as its headline lines, then its body lines as the page wraps them; chunks are apart by a line
/// `---`. The lines the page prints in its margins (masthead, page name) come first.
///
/// ```text
/// @ 工人日报　2025年4月22日　星期二
/// @ 第3版　要闻
///
/// ## 劳模工匠齐聚黄山脚下            ← a smaller headline line above the title: the kicker
/// # 长三角三省一市共促职工文旅消费   ← the largest lines: the title
/// ## 首场举办职工非遗技艺交流活动    ← a smaller one below it: the subtitle
/// 本报讯 （记者陈华）4月21日，“文
/// 脉薪传·匠心共融”——长三角三省一市
/// …
/// ---
/// ```
///
/// A body line that begins a paragraph (its first line set in by about two characters) is written after two
/// ideographic spaces (`　　`), as Chinese text sets a paragraph in. A body line that would begin like a mark (`#`, `@`, `\`, or a line `---`) is written with a `\` before it.
/// Body lines go through ``PageSplitter``, as the lines of a page extracted as text do (paragraphs joined,
/// datelines, bylines and photo credits found); the headline comes from the marks.
public struct PDFPageText: Sendable, Equatable {
    /// One article, caption or other block of text of the page.
    public struct Chunk: Sendable, Equatable {
        public var kicker: [String] = []
        public var title: [String] = []
        public var subtitle: [String] = []
        /// Body lines, as the page wraps them; a line that begins a paragraph starts with ``paragraphIndent``.
        public var lines: [String] = []

        var hasHeadline: Bool { !title.isEmpty || !kicker.isEmpty || !subtitle.isEmpty }
    }

    /// The page of the PDF file (1 for the first).
    public var number: Int
    /// Lines printed in the margins, outside the articles.
    public var header: [String]
    /// Articles and other blocks, in reading order.
    public var chunks: [Chunk]

    /// The mark of a margin line.
    static let headerMark = "@ "
    /// The mark of a title line.
    static let titleMark = "# "
    /// The mark of a kicker or subtitle line.
    static let smallHeadlineMark = "## "
    /// The line between two chunks.
    static let separator = "---"
    /// What sets in the first line of a paragraph.
    public static let paragraphIndent = "\u{3000}\u{3000}"

    /// The text as stored (see the type's description).
    public var text: String {
        var lines = header.map { Self.headerMark + $0 }
        if !lines.isEmpty { lines.append("") }
        for (index, chunk) in chunks.enumerated() {
            if index > 0 { lines += [Self.separator] }
            lines += chunk.kicker.map { Self.smallHeadlineMark + $0 }
            lines += chunk.title.map { Self.titleMark + $0 }
            lines += chunk.subtitle.map { Self.smallHeadlineMark + $0 }
            lines += chunk.lines.map(Self.escaped)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The text to store and how to read it, for `kb import --as` (nil: as a page).
    ///
    /// As text or Markdown, the page is its chunks in reading order, headlines first, apart by blank lines
    /// (Markdown marks the titles with `#`); the margin lines are left out.
    func text(readAs: ReadAs?) -> (text: String, kind: DocumentKind) {
        switch readAs {
        case nil, .page?:
            return (text, .pdfPage)
        case .text?, .markdown?:
            let markdown = readAs == .markdown
            let blocks = chunks.map { chunk in
                (chunk.kicker + chunk.title.map { markdown ? "# " + $0 : $0 } + chunk.subtitle + chunk.lines)
                    .joined(separator: "\n")
            }
            return (blocks.joined(separator: "\n\n") + "\n", markdown ? .markdown : .text)
        }
    }

    private static func escaped(_ line: String) -> String {
        if line == separator || line.hasPrefix("#") || line.hasPrefix("@") || line.hasPrefix("\\") {
            return "\\" + line
        }
        return line
    }

    /// Reads a stored text back into its margin lines and chunks.
    static func parse(_ text: String) -> (header: [String], chunks: [Chunk]) {
        var header: [String] = []
        var chunks: [Chunk] = []
        var chunk = Chunk()
        var seenTitle = false
        func flush() {
            if chunk.hasHeadline || !chunk.lines.isEmpty { chunks.append(chunk) }
            chunk = Chunk()
            seenTitle = false
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = String(raw)
            if line == separator {
                flush()
            } else if line.hasPrefix(headerMark) {
                header.append(String(line.dropFirst(headerMark.count)))
            } else if line.hasPrefix(smallHeadlineMark) {
                let text = String(line.dropFirst(smallHeadlineMark.count))
                if seenTitle { chunk.subtitle.append(text) } else { chunk.kicker.append(text) }
            } else if line.hasPrefix(titleMark) {
                chunk.title.append(String(line.dropFirst(titleMark.count)))
                seenTitle = true
            } else if line.hasPrefix("\\") {
                chunk.lines.append(String(line.dropFirst()))
            } else {
                chunk.lines.append(line)
            }
        }
        flush()
        return (header, chunks)
    }

    /// The items of a stored page text.
    ///
    /// The body lines of each chunk are split as a page's lines are (``PageSplitter``); the chunk's headline
    /// goes to the first item. Should the splitter find a headline of its own in those lines (text that ends
    /// in mid-sentence), that text stays in the body, after the rest.
    ///
    /// - Parameters:
    ///   - text: A page as ``text`` writes it.
    ///   - fallbackTitle: Not used: an item printed without a headline keeps an empty title, as on a page
    ///     read from text.
    /// - Returns: The items, in reading order.
    static func items(of text: String, fallbackTitle: String) -> [PageItem] {
        var items: [PageItem] = []
        for chunk in parse(text).chunks {
            let lines = chunk.lines.map { line in
                line.hasPrefix(paragraphIndent) ? String(line.dropFirst(paragraphIndent.count)) : line
            }
            var found = lines.isEmpty ? [] : PageSplitter.split(lines.joined(separator: "\n"))
            if chunk.lines.contains(where: { $0.hasPrefix(paragraphIndent) }) {
                found = reparagraphed(found, lines: chunk.lines)
            }
            guard chunk.hasHeadline else {
                items += found
                continue
            }
            if found.isEmpty { found = [PageItem()] }
            var first = found[0]
            let ownHeadline = [first.kicker, first.title, first.subtitle].filter { !$0.isEmpty }
            if !ownHeadline.isEmpty {
                first.body = ([first.body] + ownHeadline).filter { !$0.isEmpty }.joined(separator: "\n\n")
            }
            first.kicker = chunk.kicker.map { TextCleaner.cleanLine($0) }.joined(separator: "\n")
            first.title = DocumentReader.joinPlainLines(chunk.title.map { TextCleaner.cleanLine($0) })
            first.subtitle = chunk.subtitle.map { TextCleaner.cleanLine($0) }.joined(separator: "\n")
            found[0] = first
            items += found
        }
        return items
    }

    /// The items with their bodies' paragraphs where the page sets them in, rather than where the splitter
    /// guessed from the lines' widths and endings (a sentence that happens to end at the end of a line ends
    /// no paragraph).
    ///
    /// Only paragraph breaks move: a body whose text is not found, as it is, in the chunk's lines keeps its own.
    static func reparagraphed(_ items: [PageItem], lines: [String]) -> [PageItem] {
        // The chunk's text as the splitter joins it, and where each set-in line starts in it.
        var stream: [Unicode.Scalar] = []
        var starts: Set<Int> = []
        for line in lines {
            let isStart = line.hasPrefix(paragraphIndent)
            let cleaned = TextCleaner.cleanLine(isStart ? String(line.dropFirst(paragraphIndent.count)) : line)
            if isStart { starts.insert(stream.count) }
            stream += cleaned.unicodeScalars
        }
        var searchFrom = 0
        return items.map { item in
            var item = item
            let paragraphs = item.body.components(separatedBy: "\n\n")
            let flat = Array(paragraphs.joined().unicodeScalars)
            guard !flat.isEmpty, let start = firstIndex(of: flat, in: stream, from: searchFrom) else { return item }
            searchFrom = start + flat.count
            var body = String.UnicodeScalarView()
            for (offset, scalar) in flat.enumerated() {
                if offset > 0 && starts.contains(start + offset) { body.append(contentsOf: "\n\n".unicodeScalars) }
                body.append(scalar)
            }
            item.body = String(body)
            return item
        }
    }

    private static func firstIndex(of needle: [Unicode.Scalar], in haystack: [Unicode.Scalar], from: Int) -> Int? {
        guard needle.count <= haystack.count - from else { return nil }
        var index = from
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) {
                return index
            }
            index += 1
        }
        return nil
    }
}
