public import ArgumentParser
import Foundation
public import KB

extension CitationStyle: ExpressibleByArgument {}
extension CitationFormat: ExpressibleByArgument {}

/// `kb cite ID…`: references to articles, in a style or as CSL-JSON or BibTeX.
struct CiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cite", abstract: "Cite articles: GB/T 7714, APA or Chicago, or CSL-JSON or BibTeX.",
        discussion: """
            Metadata comes from each article's page (see 'kb source set') and its byline. Citation keys \
            (CSL-JSON id, BibTeX key) are the newspaper's pinyin, the date, the page and the first six digits \
            of the article id: gongrenribao2025-04-25-3-dd76a1.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Article ids or unique prefixes.")
    var ids: [String]

    @Option(help: "gb7714, apa or chicago (for --format text).")
    var style: CitationStyle = .gb7714

    @Option(help: "text, csl-json or bibtex.")
    var format: CitationFormat = .text

    func validate() throws {
        if ids.isEmpty { throw ValidationError("Give at least one article id.") }
    }

    func run() throws {
        let citations = try global.open().citations(ids)
        switch format {
        case .text:
            if global.json {
                try Terminal.printJSON(
                    citations.map {
                        ["id": $0.articleID, "key": $0.key, "style": style.rawValue, "text": $0.formatted(style)]
                    })
            } else {
                for citation in citations { print(citation.formatted(style)) }
            }
        case .cslJSON:
            FileHandle.standardOutput.write(Data(try Citation.cslJSON(citations).utf8))
        case .bibtex:
            FileHandle.standardOutput.write(Data(Citation.bibtex(citations).utf8))
        }
    }
}

/// How the CLI prints metadata and authors.
enum CitationShapes {
    static func metadata(_ metadata: SourceMetadata) -> [String: Any] {
        [
            "publication": JSONShapes.orNull(metadata.publication),
            "date": JSONShapes.orNull(metadata.issued),
            "page": JSONShapes.orNull(metadata.page),
            "page_name": JSONShapes.orNull(metadata.pageName),
            "edition": JSONShapes.orNull(metadata.edition),
            "url": JSONShapes.orNull(metadata.url),
            "fields": metadata.extra,
        ]
    }

    static func contributor(_ contributor: Contributor) -> [String: Any] {
        ["name": contributor.name, "role": contributor.role.rawValue]
    }

    /// The fields `kb show --json` and `kb list --json` add for an article.
    static func articleFields(_ metadata: ArticleMetadata?) -> [String: Any] {
        guard let metadata else { return ["metadata": NSNull(), "authors": [Any]()] }
        return [
            "metadata": CitationShapes.metadata(metadata.metadata),
            "authors": metadata.authors.map(contributor),
        ]
    }

    /// One line per known field: `publication: 工人日报`.
    static func lines(_ metadata: SourceMetadata) -> [String] {
        var lines: [String] = []
        if let value = metadata.publication { lines.append("publication: \(value)") }
        if let value = metadata.issued { lines.append("date: \(value)") }
        if let value = metadata.page { lines.append("page: \(value)") }
        if let value = metadata.pageName { lines.append("page name: \(value)") }
        if let value = metadata.edition { lines.append("edition: \(value)") }
        if let value = metadata.url { lines.append("url: \(value)") }
        for (name, value) in metadata.extra.sorted(by: { $0.key < $1.key }) { lines.append("\(name): \(value)") }
        return lines.isEmpty ? ["(no metadata; set it with 'kb source set')"] : lines
    }

    /// `陈华 (reporter), 李亮 (correspondent)`.
    static func authorsLine(_ authors: [Contributor]) -> String {
        authors.isEmpty
            ? "none"
            : authors.map { $0.role == .author ? $0.name : "\($0.name) (\($0.role.rawValue))" }.joined(separator: ", ")
    }

    /// `工人日报 2025-04-25 第3版 · 陈华 (reporter)`: what `kb show` prints under the byline.
    static func showLine(_ metadata: ArticleMetadata) -> String {
        let place = summary(metadata.metadata)
        let who = metadata.authors.isEmpty ? "" : authorsLine(metadata.authors)
        return [place, who].filter { !$0.isEmpty }.joined(separator: " · ")
    }

    /// `工人日报 2025-04-25 第3版`: the short form `kb list` and `kb show` print.
    static func summary(_ metadata: SourceMetadata) -> String {
        var parts: [String] = []
        if let value = metadata.publication { parts.append(value) }
        if let value = metadata.edition { parts.append(value) }
        if let value = metadata.issued { parts.append(value) }
        if let value = metadata.page { parts.append("第\(value)版") }
        if let value = metadata.pageName { parts.append(value) }
        return parts.joined(separator: " ")
    }
}
