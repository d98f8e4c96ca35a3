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
}

/// Turns file bytes into text and text into items.
public enum DocumentReader {
    /// Decodes UTF-8 (with or without a byte-order mark).
    ///
    /// - Throws: ``KBError`` `.unreadableFile` for empty, binary, UTF-16 or invalid UTF-8 input,
    ///   naming the file.
    public static func decode(_ bytes: [UInt8], path: String) throws -> String {
        var bytes = bytes[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            throw KBError(.unreadableFile, "'\(path)' is UTF-16 text; save it as UTF-8 and import it again.")
        }
        if let nul = bytes.firstIndex(of: 0) {
            throw KBError(
                .unreadableFile,
                "'\(path)' is a binary file (a NUL byte at offset \(nul)), not text; kb imports UTF-8 .txt and .md files."
            )
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let offset = firstInvalidUTF8Offset(Array(bytes)) + (bytes.startIndex)
            throw KBError(
                .unreadableFile,
                "'\(path)' is not valid UTF-8 (a bad byte at offset \(offset)); convert it to UTF-8 and import it again."
            )
        }
        if text.allSatisfy({ $0.isWhitespace }) {
            throw KBError(.unreadableFile, "'\(path)' is empty; there is nothing to import.")
        }
        return text
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
    public static func detectKind(path: String, text: String) -> DocumentKind {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".md") || lowered.hasSuffix(".markdown") { return .markdown }
        if lowered.hasSuffix(".json") { return .dump }
        return looksLikeNewspaperPage(text) ? .newspaper : .text
    }

    /// A page of mostly CJK text in short wrapped lines, or with article markers.
    static func looksLikeNewspaperPage(_ text: String) -> Bool {
        var cjk = 0
        var other = 0
        for scalar in text.unicodeScalars where !TextCleaner.isSpace(scalar) && scalar != "\n" {
            if TextCleaner.isCJKCharacter(scalar) { cjk += 1 } else { other += 1 }
        }
        guard cjk > 0, Double(cjk) / Double(cjk + other) >= 0.5 else { return false }
        // A light look at the first lines: the splitter reads them all afterwards.
        var widths: [Int] = []
        var unterminated = 0
        for bytes in text.utf8.split(whereSeparator: { $0 == 0x0A || $0 == 0x0D }).prefix(120) {
            let raw = Substring(bytes)
            let line = TextCleaner.cleanLine(raw)
            guard !line.isEmpty else { continue }
            if line.hasPrefix("本报讯") || line.hasPrefix("（上接第") || line.hasPrefix("新华社") { return true }
            widths.append(TextCleaner.width(line))
            if !PageLine.endsSentence(line) { unterminated += 1 }
        }
        guard widths.count >= 6 else { return false }
        widths.sort()
        return widths[widths.count / 2] <= 100 && Double(unterminated) / Double(widths.count) >= 0.5
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

    /// Plain text: a short first line followed by a blank line is the title; paragraphs are
    /// separated by blank lines and their lines are joined.
    static func plainItem(_ text: String, fallbackTitle: String) -> PageItem {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        var paragraphs = normalized.components(separatedBy: "\n\n")
            .map { paragraph in
                joinPlainLines(
                    paragraph.components(separatedBy: "\n").map { TextCleaner.cleanLine($0) }.filter { !$0.isEmpty })
            }
            .filter { !$0.isEmpty }
        var title = fallbackTitle
        if paragraphs.count > 1, let first = paragraphs.first, first.count <= 80,
            !first.contains("\n")
        {
            title = first
            paragraphs.removeFirst()
        }
        return PageItem(kind: .article, title: title, body: paragraphs.joined(separator: "\n\n"))
    }

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
