import Foundation

/// What kind of document a file holds.
public enum DocumentKind: String, Sendable, Codable {
    /// Text extracted from a newspaper page: cleaned and split into items.
    case newspaper
    /// A Markdown document: one article.
    case markdown
    /// Plain text: one article.
    case text
    /// A JSON dump written by `kb export --format json`.
    case dump
    /// Text added by hand with `kb add`.
    case manual
    /// A page of a PDF file, as ``PDFPageText`` writes it: headlines marked, articles apart.
    case pdfPage = "pdf_page"

    /// The kind `kb import --as` names.
    public init(_ readAs: ReadAs) {
        switch readAs {
        case .page: self = .newspaper
        case .text: self = .text
        case .markdown: self = .markdown
        }
    }

    /// How the import report names it: `page`, `text`, `markdown`, `dump` (as `--as` does).
    public var readAsName: String {
        switch self {
        case .newspaper, .pdfPage: "page"
        case .text, .manual: "text"
        case .markdown: "markdown"
        case .dump: "dump"
        }
    }
}

/// Turns file bytes into text and text into items.
public enum DocumentReader {
    /// Decodes text: UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark, GB18030 or
    /// Big5 (see ``TextDecoder``).
    ///
    /// - Throws: ``KBError`` `.unreadableFile` for empty or binary input, or bytes of no encoding kb
    ///   recognizes, naming the file.
    public static func decode(_ bytes: [UInt8], path: String) throws -> String {
        try TextDecoder.decode(bytes, path: path).text
    }

    static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int {
        var index = 0
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
                index = offset
            case .emptyInput: return index
            case .error: return offset
            }
        }
    }

    /// Decides what a text is, from its file name and content.
    ///
    /// `.md` and `.markdown` files are Markdown and `.json` files dumps; other text is a newspaper page
    /// only when it looks like one (``PageEvidence``), else plain text, kept as written.
    public static func detectKind(path: String, text: String) -> DocumentKind {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".md") || lowered.hasSuffix(".markdown") { return .markdown }
        if lowered.hasSuffix(".json") { return .dump }
        return PageEvidence(text).isPage ? .newspaper : .text
    }

    /// The items of a document of a given kind.
    ///
    /// - Parameters:
    ///   - text: The document's text.
    ///   - kind: How to read it.
    ///   - fallbackTitle: The title of a document that has none of its own (the file name).
    /// - Returns: The items a newspaper page is split into, or the one item of any other document.
    public static func items(of text: String, kind: DocumentKind, fallbackTitle: String) -> [PageItem] {
        switch kind {
        case .newspaper:
            return PageSplitter.split(text)
        case .pdfPage:
            return PDFPageText.items(of: text, fallbackTitle: fallbackTitle)
        case .markdown:
            return [markdownItem(text, fallbackTitle: fallbackTitle)]
        case .text, .manual, .dump:
            return [plainItem(text, fallbackTitle: fallbackTitle)]
        }
    }

    /// A Markdown document: the first `# ` heading is the title, the rest is the body as written.
    static func markdownItem(_ text: String, fallbackTitle: String) -> PageItem {
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        var title = ""
        if let index = lines.firstIndex(where: { $0.hasPrefix("# ") }),
            lines[..<index].allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty })
        {
            title = lines[index].dropFirst(2).trimmingCharacters(in: .whitespaces)
            lines.removeSubrange(...index)
        }
        let body = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return PageItem(kind: .article, title: title.isEmpty ? fallbackTitle : title, body: body)
    }

    /// Plain text, kept as written: a short first line followed by a blank line is the title; the body is
    /// the rest, its lines and spaces as they are (only line ends are made `\n`, and blank lines around
    /// it dropped).
    static func plainItem(_ text: String, fallbackTitle: String) -> PageItem {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var lines = normalized.components(separatedBy: "\n")
        func isBlank(_ line: String) -> Bool { line.allSatisfy(\.isWhitespace) }
        while let first = lines.first, isBlank(first) { lines.removeFirst() }
        while let last = lines.last, isBlank(last) { lines.removeLast() }
        var title = fallbackTitle
        if lines.count > 2, isBlank(lines[1]), lines[0].count <= 80, lines[2...].contains(where: { !isBlank($0) }) {
            title = lines[0].trimmingCharacters(in: .whitespaces)
            lines.removeFirst(2)
            while let first = lines.first, isBlank(first) { lines.removeFirst() }
        }
        return PageItem(kind: .article, title: title, body: lines.joined(separator: "\n"))
    }

    /// Joins lines: with a space between two that end and begin with Latin letters or digits, without one
    /// where either side is CJK.
    static func joinPlainLines(_ lines: [String]) -> String {
        var result = ""
        for line in lines {
            if let last = result.unicodeScalars.last, let first = line.unicodeScalars.first,
                !TextCleaner.isCJKContext(last) && !TextCleaner.isCJKContext(first)
            {
                result += " "
            }
            result += line
        }
        return result
    }
}
