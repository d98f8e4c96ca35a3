import Foundation

/// The styles `kb cite` writes a reference in.
public enum CitationStyle: String, Sendable, CaseIterable, Codable {
    /// GB/T 7714-2015, the Chinese national standard: `陈华. 题名[N]. 工人日报, 2025-04-25(3).`
    case gb7714
    /// APA, 7th edition: `陈华. (2025, April 25). 题名. 工人日报, 3.`
    case apa
    /// The Chicago Manual of Style, 17th edition, bibliography entry: `陈华. “题名.” 工人日报, April 25, 2025.`
    case chicago
}

/// The forms `kb cite` and `kb export` write citations in.
public enum CitationFormat: String, Sendable, CaseIterable, Codable {
    /// A reference in a style, one per line.
    case text
    /// CSL-JSON, read by Zotero, pandoc, citeproc-js and citeproc-py.
    case cslJSON = "csl-json"
    /// BibTeX (`@article`, journal = the newspaper), read by BibTeX, biber and bibtexparser.
    case bibtex
}

extension Citation {
    // MARK: - Styles

    /// The reference in a style, as plain text.
    ///
    /// - GB/T 7714-2015 (§8 and its example for newspapers): `主要责任者. 题名[N]. 报纸名, 出版日期(版次).`; more
    ///   than three authors: the first three and `等`; no author: the title first; online (a URL): `[N/OL]` and
    ///   the URL at the end.
    /// - APA 7 (§10.1, newspaper articles): `Author, & Author. (Year, Month Day). Title. Newspaper, page.`; no
    ///   date: `(n.d.)`; no author: the title first.
    /// - Chicago 17 (14.89, newspaper articles, bibliography): `Author, and Author. “Title.” Newspaper, Month
    ///   Day, Year.`; page numbers are left out, as 14.89 advises.
    ///
    /// Chinese names are written whole (陈华, not Chen, H.), as the styles do for names without a Latin form.
    public func formatted(_ style: CitationStyle) -> String {
        switch style {
        case .gb7714: gb7714()
        case .apa: apa()
        case .chicago: chicago()
        }
    }

    func gb7714() -> String {
        var parts: [String] = []
        let names = self.names
        if !names.isEmpty {
            let listed =
                names.count > 3 ? names.prefix(3).joined(separator: ", ") + ", 等" : names.joined(separator: ", ")
            parts.append(Self.ending(listed, with: "."))
        }
        // GB/T 7714-2015 appendix B: N a newspaper, Z a document of another kind; /OL online.
        let type = "[" + (kind == .newspaperArticle ? "N" : "Z") + (metadata.url == nil ? "]" : "/OL]")
        parts.append(Self.ending(title + type, with: "."))
        var container = metadata.publication ?? ""
        if let issued = metadata.issued { container += container.isEmpty ? issued : ", " + issued }
        if let page = metadata.page { container += "(\(page))" }
        if !container.isEmpty { parts.append(container + ".") }
        if let url = metadata.url { parts.append(url + ".") }
        return parts.joined(separator: " ")
    }

    func apa() -> String {
        let names = self.names
        var authorPart: String?
        switch names.count {
        case 0: authorPart = nil
        case 1: authorPart = names[0]
        case 2: authorPart = names[0] + ", & " + names[1]
        case 3...20: authorPart = names.dropLast().joined(separator: ", ") + ", & " + names[names.count - 1]
        default: authorPart = names.prefix(19).joined(separator: ", ") + ", . . . " + names[names.count - 1]
        }
        let date = "(" + apaDate + ")."
        var parts: [String]
        if let authorPart {
            parts = [Self.ending(authorPart, with: "."), date, Self.ending(title, with: ".")]
        } else {
            parts = [Self.ending(title, with: "."), date]
        }
        var container = metadata.publication ?? ""
        if let page = metadata.page { container += container.isEmpty ? "\(page)" : ", \(page)" }
        if !container.isEmpty { parts.append(container + ".") }
        if let url = metadata.url { parts.append(url) }
        return parts.joined(separator: " ")
    }

    func chicago() -> String {
        let names = self.names
        var parts: [String] = []
        switch names.count {
        case 0: break
        case 1: parts.append(Self.ending(names[0], with: "."))
        case 2: parts.append(Self.ending(names[0] + ", and " + names[1], with: "."))
        case 3...10:
            parts.append(
                Self.ending(names.dropLast().joined(separator: ", ") + ", and " + names[names.count - 1], with: "."))
        default: parts.append(Self.ending(names.prefix(7).joined(separator: ", ") + ", et al.", with: "."))
        }
        parts.append("“" + Self.ending(title, with: ".") + "”")
        var container = metadata.publication ?? ""
        let date = chicagoDate
        container += container.isEmpty ? date : ", " + date
        parts.append(Self.ending(container, with: "."))
        if let url = metadata.url { parts.append(url + ".") }
        return parts.joined(separator: " ")
    }

    static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ]

    /// `2025, April 25`, `2025, April`, `2025`, or `n.d.`.
    var apaDate: String {
        let parts = metadata.dateParts
        guard let year = parts.first else { return "n.d." }
        var text = "\(year)"
        if parts.count > 1 { text += ", " + Self.months[parts[1] - 1] }
        if parts.count > 2 { text += " \(parts[2])" }
        return text
    }

    /// `April 25, 2025`, `April 2025`, `2025`, or `n.d.`.
    var chicagoDate: String {
        let parts = metadata.dateParts
        guard let year = parts.first else { return "n.d." }
        switch parts.count {
        case 1: return "\(year)"
        case 2: return Self.months[parts[1] - 1] + " \(year)"
        default: return Self.months[parts[1] - 1] + " \(parts[2]), \(year)"
        }
    }

    /// The text with a closing mark, unless it already ends with one (a title ending in ？ keeps it).
    static func ending(_ text: String, with mark: String) -> String {
        guard let last = text.last else { return text }
        return ".。？！?!…".contains(last) ? text : text + mark
    }

    // MARK: - CSL-JSON

    /// The article as a CSL-JSON item (type `article-newspaper`, or `document` for text from no page), keys as
    /// CSL names them.
    ///
    /// Names are `{"literal": "陈华"}`: Chinese names are not split into family and given parts.
    public var cslItem: [String: Any] {
        var item: [String: Any] = [
            "id": key, "type": kind == .newspaperArticle ? "article-newspaper" : "document", "title": title,
        ]
        if !names.isEmpty { item["author"] = names.map { ["literal": $0] } }
        let correspondents = authors.filter { $0.role == .correspondent }.map(\.name)
        if !correspondents.isEmpty { item["contributor"] = correspondents.map { ["literal": $0] } }
        if let publication = metadata.publication { item["container-title"] = publication }
        let parts = metadata.dateParts
        if !parts.isEmpty { item["issued"] = ["date-parts": [parts]] }
        if let page = metadata.page { item["page"] = String(page) }
        if let pageName = metadata.pageName { item["section"] = pageName }
        if let edition = metadata.edition { item["edition"] = edition }
        if let url = metadata.url { item["URL"] = url }
        if let language { item["language"] = language }
        if !metadata.extra.isEmpty {
            item["note"] = metadata.extra.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(
                separator: "\n")
        }
        return item
    }

    /// Citations as a CSL-JSON array, keys sorted, pretty-printed.
    public static func cslJSON(_ citations: [Citation]) throws -> String {
        let data = try JSONSerialization.data(
            withJSONObject: citations.map(\.cslItem), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: - BibTeX

    /// The article as a BibTeX entry: `@article` with `journal` = the newspaper (`@misc` for text from no page),
    /// and `date` for biblatex.
    ///
    /// Fields: `author` (names joined by `and`; an agency in braces, so it stays one name), `title`, `journal`,
    /// `year`, `month` (a number), `day`, `date` (ISO, as biblatex reads it), `pages`, `edition`, `note` (the
    /// page's name and free fields), `url`, `langid`. Characters BibTeX treats specially are escaped.
    public var bibtex: String {
        var fields: [(String, String)] = []
        if !names.isEmpty {
            let agencies = Set(authors.filter { $0.role == .agency }.map(\.name))
            fields.append(
                (
                    "author",
                    names.map { agencies.contains($0) ? "{" + Self.escaped($0) + "}" : Self.escaped($0) }
                        .joined(separator: " and ")
                ))
        }
        fields.append(("title", Self.escaped(title)))
        if let publication = metadata.publication { fields.append(("journal", Self.escaped(publication))) }
        let parts = metadata.dateParts
        if let year = parts.first { fields.append(("year", "\(year)")) }
        if parts.count > 1 { fields.append(("month", "\(parts[1])")) }
        if parts.count > 2 { fields.append(("day", "\(parts[2])")) }
        if let issued = metadata.issued { fields.append(("date", issued)) }
        if let page = metadata.page { fields.append(("pages", "\(page)")) }
        if let edition = metadata.edition { fields.append(("edition", Self.escaped(edition))) }
        var notes: [String] = []
        if let pageName = metadata.pageName { notes.append(pageName) }
        notes += metadata.extra.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        if !notes.isEmpty { fields.append(("note", Self.escaped(notes.joined(separator: "; ")))) }
        if let url = metadata.url { fields.append(("url", url.replacingOccurrences(of: "}", with: "%7D"))) }
        if language == "zh-CN" { fields.append(("langid", "chinese")) }
        let body = fields.map { "  \($0.0) = {\($0.1)}" }.joined(separator: ",\n")
        return "@\(kind == .newspaperArticle ? "article" : "misc"){\(key),\n\(body)\n}\n"
    }

    /// Citations as a BibTeX file, entries separated by a blank line.
    public static func bibtex(_ citations: [Citation]) -> String {
        citations.map(\.bibtex).joined(separator: "\n")
    }

    /// Text with BibTeX's special characters escaped.
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\textbackslash{}"
            case "{", "}", "&", "%", "$", "#", "_": out += "\\" + String(character)
            case "~": out += "\\textasciitilde{}"
            case "^": out += "\\textasciicircum{}"
            case "\n", "\r": out += " "
            default: out.append(character)
            }
        }
        return out
    }
}
