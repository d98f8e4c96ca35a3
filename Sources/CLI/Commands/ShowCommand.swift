import ArgumentParser
import Foundation
import KB

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show an article with its highlights and numbered notes.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "An article id or a unique prefix of 4+ characters (with --at, an annotation's too).")
    var id: String

    @Option(name: .customLong("at"), help: "Show version N (see 'kb history ID'), of an article or an annotation.")
    var version: Int?

    @Flag(help: "Show the whole article when it is printed over several pages: its parts joined in reading order.")
    var whole = false

    func run() throws {
        let kb = try global.open()
        if let version {
            try showVersion(kb, version)
            return
        }
        if whole, version != nil {
            throw CLIError.usage("--whole shows the article as it is now; leave out --at.")
        }
        let parts = whole ? try kb.continuedParts(of: id) : [try kb.article(id)]
        let detail = ArticleRenderer.joined(parts)
        let metadata = try kb.articleMetadata(ids: [detail.article.id])[detail.article.id]
        if global.json {
            var shape = JSONShapes.article(detail).merging(CitationShapes.articleFields(metadata)) { _, new in new }
            if whole {
                shape["parts"] = parts.map(\.article.id)
                shape["source"] = JSONShapes.orNull(parts[0].sourcePath)
            }
            try Terminal.printJSON(shape)
            return
        }
        print(
            ArticleRenderer.render(
                detail, shownIDs: try kb.annotationIDPrefixes(detail.annotations.map(\.id)),
                metadataLine: metadata.map(CitationShapes.showLine)))
    }

    /// Prints a record as it stood at one of its versions.
    private func showVersion(_ kb: KnowledgeBase, _ number: Int) throws {
        let (version, record, tags) = try kb.record(id, atVersion: number)
        switch record {
        case .article(let article):
            let detail = ArticleDetail(article: article, sourcePath: nil, tags: tags, annotations: [])
            if global.json {
                var shape = JSONShapes.article(detail)
                shape["annotations"] = nil
                shape["source"] = nil
                shape["version"] = version.number
                shape["deleted"] = article.isDeleted
                try Terminal.printJSON(shape)
                return
            }
            print(Terminal.dim(Self.versionLine(version, deleted: article.isDeleted)))
            print(ArticleRenderer.render(detail))
        case .annotation(var annotation):
            annotation.tags = tags
            if global.json {
                var shape = JSONShapes.annotation(annotation)
                shape["version"] = version.number
                shape["deleted"] = annotation.isDeleted
                try Terminal.printJSON(shape)
                return
            }
            print(Terminal.dim(Self.versionLine(version, deleted: annotation.isDeleted)))
            print("annotation \(annotation.id) on \(Identifier.short(annotation.articleID))")
            if !annotation.quote.isEmpty { print("“\(annotation.quote)”") }
            if !annotation.note.isEmpty { print(annotation.note) }
            if !annotation.color.isEmpty { print(Terminal.dim("color \(annotation.color)")) }
            if !annotation.tags.isEmpty { print(annotation.tags.map { "#" + $0 }.joined(separator: " ")) }
        }
    }

    static func versionLine(_ version: RecordVersion, deleted: Bool) -> String {
        "version \(version.number) · \(Timestamp.iso(version.time)) · \(version.action.rawValue) · replica "
            + version.replica + (deleted ? " · in the trash" : "")
    }
}

/// An article as text, highlights marked in the body and notes listed after it.
enum ArticleRenderer {
    /// Renders an article with its annotations.
    ///
    /// - Parameters:
    ///   - detail: The article, its annotations, tags and source.
    ///   - shownIDs: The id prefix printed for each annotation (the whole id when missing).
    ///   - metadataLine: Where it was published and who wrote it, printed under the byline.
    /// - Returns: The text to print.
    static func render(
        _ detail: ArticleDetail, shownIDs: [String: String] = [:], metadataLine: String? = nil
    ) -> String {
        let article = detail.article
        var out = ""
        if !article.kicker.isEmpty { out += Terminal.dim(article.kicker) + "\n" }
        out += Terminal.bold(Terminal.title(article.title)) + "\n"
        if !article.subtitle.isEmpty { out += article.subtitle + "\n" }
        let meta = [article.dateline, article.byline].filter { !$0.isEmpty }.joined(separator: " ")
        if !meta.isEmpty { out += Terminal.dim(meta) + "\n" }
        if let metadataLine, !metadataLine.isEmpty { out += Terminal.dim(metadataLine) + "\n" }
        var info = "id \(article.id)"
        if let source = detail.sourcePath { info += " · \(source)" + (detail.sourcePage.map { " p. \($0)" } ?? "") }
        for (label, other) in [("continued from", detail.continuedFrom), ("continued on", detail.continuedOn)] {
            if let other { info += " · \(label) \(other)" }
        }
        let unlinked = ContinuationMarker.markers(in: article.continuation).filter {
            ($0.direction == .from ? detail.continuedFrom : detail.continuedOn) == nil
        }
        for marker in unlinked { info += " · \(marker.text) (not in the knowledge base)" }
        if !detail.tags.isEmpty { info += " · " + detail.tags.map { "#" + $0 }.joined(separator: " ") }
        out += Terminal.dim(info) + "\n\n"

        let numbered = detail.annotations.enumerated().map { ($0.offset + 1, $0.element) }
        out +=
            highlighted(
                article.body,
                numbered.compactMap { number, annotation in
                    guard let start = annotation.start, let end = annotation.end else { return nil }
                    return (number, start..<end, annotation.highlightColor)
                }) + "\n"
        guard !numbered.isEmpty else { return out }
        out += "\n" + Terminal.bold("Notes") + "\n"
        for (number, annotation) in numbered {
            var line = Terminal.marker(annotation.highlightColor) + "[\(number)] "
            if annotation.quote.isEmpty {
                line += "(on the whole article)"
            } else {
                line += "“\(Terminal.oneLine(annotation.quote, length: 40))”"
            }
            if annotation.state != .anchored { line += " " + Terminal.red("(\(annotation.state.rawValue))") }
            line += Terminal.dim("  \(shownIDs[annotation.id] ?? annotation.id)")
            out += line + "\n"
            if !annotation.note.isEmpty {
                out +=
                    annotation.note.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
                    .joined(separator: "\n") + "\n"
            }
            if !annotation.tags.isEmpty {
                out += "    " + annotation.tags.map { "#" + $0 }.joined(separator: " ") + "\n"
            }
        }
        return out
    }

    /// The parts of an article printed over several pages as one article: the first part's headline,
    /// the bodies joined in reading order, every part's annotations moved to where its body now stands.
    static func joined(_ parts: [ArticleDetail]) -> ArticleDetail {
        guard var whole = parts.first, parts.count > 1 else { return parts.first! }
        whole.continuedOn = parts.last?.continuedOn
        for part in parts.dropFirst() {
            let shift = whole.article.body.unicodeScalars.count + 2
            whole.article.body += "\n\n" + part.article.body
            whole.annotations += part.annotations.map { annotation in
                var moved = annotation
                moved.start = annotation.start.map { $0 + shift }
                moved.end = annotation.end.map { $0 + shift }
                return moved
            }
            whole.tags += part.tags.filter { !whole.tags.contains($0) }
        }
        whole.continuedFrom = nil
        whole.continuedOn = nil
        whole.article.continuation = ""
        whole.sourcePath = "parts " + parts.map(\.article.id).joined(separator: " + ")
        return whole
    }

    /// The text with each range marked: on a terminal, drawn in its highlight's color (yellow when it has
    /// none), `[…][n]` otherwise.
    static func highlighted(_ text: String, _ ranges: [(Int, Range<Int>, HighlightColor?)]) -> String {
        guard !ranges.isEmpty else { return text }
        let points = CodePoints(text)
        // Opening and closing marks at each offset; overlapping ranges nest by start.
        var opens: [Int: [Int]] = [:]
        var closes: [Int: [Int]] = [:]
        var colors: [Int: HighlightColor?] = [:]
        for (number, range, color) in ranges where range.upperBound <= points.count {
            opens[range.lowerBound, default: []].append(number)
            closes[range.upperBound, default: []].append(number)
            colors[number] = color
        }
        var out = ""
        // The highlights open at this point, innermost last: after one closes, the one around it shows again.
        var open: [Int] = []
        for index in 0...points.count {
            if let numbers = closes[index] {
                for number in numbers {
                    open.removeAll { $0 == number }
                    out += Terminal.useColor ? "\u{1B}[0m" + Terminal.dim("[\(number)]") : "][\(number)]"
                    if let outer = open.last, Terminal.useColor { out += Terminal.highlightStart(colors[outer] ?? nil) }
                }
            }
            if let numbers = opens[index] {
                for number in numbers {
                    open.append(number)
                    out += Terminal.useColor ? Terminal.highlightStart(colors[number] ?? nil) : "["
                }
            }
            if index < points.count { out += points.string(index..<(index + 1)) }
        }
        return out
    }
}
