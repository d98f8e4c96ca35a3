import Foundation

/// Reads a page's metadata from what the page gives: its file name and a header line of its text.
///
/// The rules are written down in `docs/citations.md`. In short:
/// - a header line (among the first ten or last six lines of the page, with its spaces removed) that holds a
///   date with its year (`2025年4月25日`, `2025-04-25`) and also `第N版`, `星期` or a known newspaper's name gives
///   the publication (a known name in it, or the Chinese words before the date ending in 报, 刊, 消息 or 周末),
///   the date, the page (`第3版`) and the page's name (the words after `第3版`, up to 责任编辑 or 编辑);
/// - a file name gives what its parts say: a newspaper's Chinese name or its pinyin or short form
///   (``Publications``), a date (`2025-04-25`, `2025_04_25`, `20250425`, `2025年4月25日`), a page after the date
///   (`_03`, `-3`, `p3`, `第3版`, `3版`), and ten digits `2025042503` as a date and a page;
/// - the header wins over the file name, field by field.
///
/// ```swift
/// let metadata = MetadataExtractor.metadata(path: "工人日报_2025-04-25_03.txt", text: page)
/// // publication 工人日报, issued 2025-04-25, page 3
/// ```
public enum MetadataExtractor {
    // The patterns, made once: a regex literal builds its regex again each time it is evaluated.
    nonisolated(unsafe) static let chineseDate = #/(\d{4})年(\d{1,2})月(\d{1,2})日/#
    nonisolated(unsafe) static let numericDate = #/(\d{4})[-./](\d{1,2})[-./](\d{1,2})/#
    nonisolated(unsafe) static let pageNumber = #/第([0-9０-９]{1,3})版/#
    nonisolated(unsafe) static let asciiPageNumber = #/第(\d{1,3})版/#

    /// What the file name and the text give, the header first.
    public static func metadata(path: String, text: String) -> SourceMetadata {
        fromFileName(path).overlaid(with: fromHeader(text))
    }

    /// What a page gives, strongest last: the file name, then (for a page of a PDF file) the PDF's own title and
    /// creation date, the page's header lines in its text, the PDF page number (when the file holds more than
    /// one page), and the masthead lines the PDF page prints in its margins.
    ///
    /// - Parameters:
    ///   - path: The file the page was imported from.
    ///   - text: The page's text.
    ///   - pdfPage: The page of the PDF file (1 for the first), nil for other sources.
    ///   - pdfInfo: What the PDF file says of itself and prints in the page's margins, nil for other sources.
    /// - Returns: Each field from the strongest of them that gives it.
    public static func metadata(path: String, text: String, pdfPage: Int?, pdfInfo: PDFInfo?) -> SourceMetadata {
        guard let pdfInfo else { return metadata(path: path, text: text) }
        var fromFile = SourceMetadata()
        if pdfInfo.pageCount > 1, let pdfPage, pdfPage > 0 { fromFile.page = pdfPage }
        return fromFileName(path).overlaid(with: fromPDFInfo(pdfInfo)).overlaid(with: fromHeader(text))
            .overlaid(with: fromFile).overlaid(with: fromMasthead(pdfInfo.header))
    }

    // MARK: - PDF files

    /// What a PDF file says of itself: its title read as a file name is (a newspaper's name, a date, a page),
    /// else a newspaper's name anywhere in it; the date it was made when the title gives none.
    public static func fromPDFInfo(_ info: PDFInfo) -> SourceMetadata {
        var metadata = SourceMetadata()
        if let created = info.creationDate, created.count >= 10 {
            metadata.issued = SourceMetadata.normalizedDate(String(created.prefix(10)))
        }
        if let title = info.title?.trimmingCharacters(in: .whitespaces), !title.isEmpty {
            var fromTitle = fromFileName(title)
            if fromTitle.publication == nil {
                fromTitle.publication =
                    Publications.known.filter { title.contains($0.name) }.max {
                        $0.name.count < $1.name.count
                    }?.name
            }
            metadata = metadata.overlaid(with: fromTitle)
        }
        return metadata
    }

    /// What the masthead lines of a PDF page say: a line with a date as a header line does (publication, date,
    /// page, page name), and a line of its own with the page (`第3版　要闻`) the page and its name.
    public static func fromMasthead(_ lines: [String]) -> SourceMetadata {
        var metadata = SourceMetadata()
        for line in lines.map({ String($0.filter { !$0.isWhitespace }) }) where !line.isEmpty && line.count <= 80 {
            if let found = header(line) {
                metadata = found.overlaid(with: metadata)
            } else if let found = pageAndName(in: line) {
                if metadata.page == nil { metadata.page = found.page }
                if metadata.pageName == nil { metadata.pageName = found.name }
            }
        }
        return metadata
    }

    // MARK: - File names

    /// What a file name says: publication, date and page.
    public static func fromFileName(_ path: String) -> SourceMetadata {
        var name = (path as NSString).lastPathComponent
        for _ in 0..<2 where name.contains(".") {
            let ext = (name as NSString).pathExtension
            guard !ext.isEmpty, ext.count <= 5, !ext.allSatisfy(\.isASCIIDigit) else { break }
            name = (name as NSString).deletingPathExtension
        }
        var metadata = SourceMetadata()
        let compact = name.filter { !$0.isWhitespace }
        // Written out in Chinese: 2025年4月25日, 第3版.
        if let match = compact.firstMatch(of: Self.chineseDate) {
            metadata.issued = SourceMetadata.normalizedDate("\(match.1)-\(match.2)-\(match.3)")
        }
        if let match = compact.firstMatch(of: Self.asciiPageNumber) { metadata.page = Int(match.1) }
        let tokens = name.split(whereSeparator: { "_-. +,;()[]（）【】".contains($0) }).map(String.init)
        var index = 0
        var dateEnd: Int?
        while index < tokens.count {
            let token = tokens[index]
            if metadata.publication == nil, let publication = publicationName(in: token) {
                metadata.publication = publication
            } else if metadata.issued == nil, token.count == 8, token.allSatisfy(\.isASCIIDigit),
                let date = SourceMetadata.normalizedDate(token)
            {
                metadata.issued = date
                dateEnd = index
            } else if metadata.issued == nil, token.count == 10, token.allSatisfy(\.isASCIIDigit),
                let date = SourceMetadata.normalizedDate(String(token.prefix(8))),
                let page = Int(token.suffix(2)), page > 0
            {
                metadata.issued = date
                metadata.page = metadata.page ?? page
            } else if metadata.issued == nil, token.count == 4, token.allSatisfy(\.isASCIIDigit),
                index + 2 < tokens.count,
                [tokens[index + 1], tokens[index + 2]].allSatisfy({
                    (1...2).contains($0.count) && $0.allSatisfy(\.isASCIIDigit)
                }),
                let date = SourceMetadata.normalizedDate("\(token)-\(tokens[index + 1])-\(tokens[index + 2])")
            {
                metadata.issued = date
                index += 2
                dateEnd = index
            } else if let end = dateEnd, index == end + 1, metadata.page == nil, let page = pageNumber(in: token) {
                metadata.page = page
            }
            index += 1
        }
        return metadata
    }

    /// A newspaper's name in a part of a file name: a known Latin name or short form, a known Chinese name, or
    /// Chinese words ending as newspapers' names do.
    static func publicationName(in token: String) -> String? {
        if let name = Publications.name(forLatin: token) { return name }
        // The Chinese words it starts with: 工人日报, or 人民日报 in 人民日报2025年4月25日第3版.
        let han = String(token.prefix(while: \.isHan))
        guard han.count >= 2 else { return nil }
        if let known = Publications.known.filter({ han.hasPrefix($0.name) }).max(by: { $0.name.count < $1.name.count })
        {
            return known.name
        }
        return looksLikePublication(han) ? han : nil
    }

    /// True for Chinese words that end as newspapers' names do: 报, 刊, 消息, 周末.
    static func looksLikePublication(_ text: String) -> Bool {
        (2...12).contains(text.count) && text.allSatisfy(\.isHan)
            && (text.hasSuffix("报") || text.hasSuffix("刊") || text.hasSuffix("消息") || text.hasSuffix("周末"))
    }

    /// A page number in a part of a file name: `03`, `3`, `p3`, `page3`, `3版`, `第3版`.
    static func pageNumber(in token: String) -> Int? {
        let lowered = token.lowercased()
        var digits = lowered
        for prefix in ["page", "p", "第"] where digits.hasPrefix(prefix) {
            digits = String(digits.dropFirst(prefix.count))
            break
        }
        if digits.hasSuffix("版") { digits = String(digits.dropLast()) }
        guard (1...3).contains(digits.count), digits.allSatisfy(\.isASCIIDigit), let page = Int(digits), page > 0
        else { return nil }
        return page
    }

    // MARK: - Header lines

    /// What a header line of the page says: publication, date, page and the page's name.
    public static func fromHeader(_ text: String) -> SourceMetadata {
        // The first ten and the last six lines with something on them, spaces removed: only those lines are
        // cleaned, not the whole page.
        let raw = text.split(whereSeparator: \.isNewline)
        var first: [String] = []
        var firstEnd = 0
        while firstEnd < raw.count, first.count < 10 {
            let line = raw[firstEnd].filter { !$0.isWhitespace }
            if !line.isEmpty { first.append(line) }
            firstEnd += 1
        }
        var last: [String] = []
        var lastStart = raw.count
        while lastStart > firstEnd, last.count < 6 {
            lastStart -= 1
            let line = raw[lastStart].filter { !$0.isWhitespace }
            if !line.isEmpty { last.insert(line, at: 0) }
        }
        // Fewer than six after the first ten: the last six reach back into them.
        if last.count < 6 { last = Array(first.suffix(6 - last.count)) + last }
        let candidates = first + last
        for line in candidates where line.count <= 80 {
            if let metadata = header(String(line)) { return metadata }
        }
        return SourceMetadata()
    }

    /// The metadata of one line (spaces removed) if it is a header line.
    static func header(_ line: String) -> SourceMetadata? {
        let date: String
        let dateRange: Range<String.Index>
        if let match = line.firstMatch(of: Self.chineseDate) {
            date = "\(match.1)-\(match.2)-\(match.3)"
            dateRange = match.range
        } else if let match = line.firstMatch(of: Self.numericDate) {
            date = "\(match.1)-\(match.2)-\(match.3)"
            dateRange = match.range
        } else {
            return nil
        }
        guard let issued = SourceMetadata.normalizedDate(String(date)) else { return nil }
        let pageMatch = line.firstMatch(of: Self.pageNumber)
        let known = Publications.known.filter { line.contains($0.name) }.max { $0.name.count < $1.name.count }?.name
        guard pageMatch != nil || line.contains("星期") || line.contains("周") || known != nil else { return nil }
        var metadata = SourceMetadata(issued: issued)
        if let known {
            metadata.publication = known
        } else {
            // The Chinese words just before the date.
            let before = line[..<dateRange.lowerBound]
            let run = String(before.reversed().prefix { $0.isHan }.reversed())
            if looksLikePublication(run) { metadata.publication = run }
        }
        if let found = pageAndName(in: line) {
            metadata.page = found.page
            metadata.pageName = found.name
        }
        return metadata
    }

    /// The page (`第3版`) a line (spaces removed) names, and the page's name after it (up to 责任编辑 or 编辑).
    static func pageAndName(in line: String) -> (page: Int, name: String?)? {
        guard let pageMatch = line.firstMatch(of: Self.pageNumber) else { return nil }
        // Full-width digits (０-９) as ASCII.
        let digits = String(
            String.UnicodeScalarView(
                pageMatch.1.unicodeScalars.map {
                    (0xFF10...0xFF19).contains($0.value) ? Unicode.Scalar($0.value - 0xFF10 + 0x30) ?? $0 : $0
                }))
        guard let page = Int(digits), page > 0 else { return nil }
        var rest = line[pageMatch.range.upperBound...]
        rest = rest.drop(while: { "：:·|丨/-—（(".contains($0) })
        var name = String(rest.prefix { $0.isHan })
        for stop in ["责任编辑", "本版编辑", "编辑", "版式", "美编", "校对"] {
            if let range = name.range(of: stop) { name = String(name[..<range.lowerBound]) }
        }
        return (page, (2...10).contains(name.count) && !looksLikePublication(name) ? name : nil)
    }
}

extension Character {
    /// True for a CJK ideograph (the unified blocks and their extensions).
    var isHan: Bool {
        unicodeScalars.count == 1
            && unicodeScalars.first.map { scalar in
                switch scalar.value {
                case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x3134F: true
                default: false
                }
            } == true
    }
}
