import ArgumentParser
import Foundation
import KB

/// Prints what a correction of a page's split left, as text or JSON.
enum CorrectionOutput {
    static func print(_ result: CorrectionResult, verb: String, json: Bool) throws {
        if json {
            try Terminal.printJSON([
                "articles": result.articles.map { article -> [String: Any] in
                    [
                        "id": article.id, "title": article.title, "position": article.position,
                        "characters": article.body.unicodeScalars.count,
                    ]
                },
                "trashed": result.trashed, "annotations_moved": result.annotationsMoved,
                "reanchored": result.counts.reanchored, "fuzzy": result.counts.fuzzy,
                "orphaned": result.counts.orphaned,
            ])
            return
        }
        var lines: [String] = ["\(verb):"]
        for article in result.articles {
            let title = article.title.isEmpty ? "(no title)" : Terminal.oneLine(article.title, length: 40)
            lines.append("  \(Identifier.short(article.id))  \(title)  \(article.body.unicodeScalars.count) characters")
        }
        if !result.trashed.isEmpty {
            let shown = result.trashed.map(Identifier.short).joined(separator: ", ")
            lines.append("Moved \(shown) to the trash ('kb restore ID' brings one back).")
        }
        let counts = result.counts
        if counts.reanchored + counts.fuzzy + counts.orphaned > 0 {
            lines.append(
                "Annotations: \(result.annotationsMoved) moved with their text; \(counts.reanchored) anchored, "
                    + "\(counts.fuzzy) fuzzy, \(counts.orphaned) orphaned.")
        }
        Swift.print(lines.joined(separator: "\n"))
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join items of one page that the import split apart, in page order.",
        discussion: """
            The first item in page order keeps its id and gets the others' text after its own; the others go
            to the trash, and their annotations and tags move to the joined article. A headline field the first
            item lacks is taken from the next one that has it; other headline lines stay as paragraphs.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Two or more article ids (or unique prefixes), items of one imported page.")
    var ids: [String]

    func validate() throws {
        if ids.count < 2 { throw ValidationError("Give two or more articles to merge.") }
    }

    func run() throws {
        let result = try global.open().mergeArticles(ids)
        try CorrectionOutput.print(result, verb: "Merged into", json: global.json)
    }
}

struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Split an article in two where the import joined two items.",
        discussion: """
            The article keeps the text before the cut; a new article of the same page, placed just after it, gets
            the rest, with the annotations on that text. With --title-line the first line after the cut becomes
            the new article's title (a headline the import left inside the body).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "An article id or a unique prefix.")
    var id: String

    @Option(help: "Cut before this text (it must occur once in the body).")
    var before: String?

    @Option(help: "Cut at this offset in the body, in characters (Unicode code points).")
    var at: Int?

    @Flag(help: "The first line after the cut is the new article's title.")
    var titleLine = false

    func validate() throws {
        if (before == nil) == (at == nil) { throw ValidationError("Give one of --before TEXT or --at OFFSET.") }
    }

    func run() throws {
        let point: SplitPoint = before.map { .before($0) } ?? .offset(at ?? 0)
        let result = try global.open().splitArticle(id, at: point, titleLine: titleLine)
        try CorrectionOutput.print(result, verb: "Split into", json: global.json)
    }
}

struct RetitleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retitle",
        abstract: "Move a headline that the import gave to the wrong item.",
        discussion: """
            The headline (kicker, title, subtitle) of the item given with --from goes to ID; the headline ID had,
            if any, goes the other way. To set a title by hand, use 'kb edit ID --title TEXT'.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The article that gets the headline.")
    var id: String

    @Option(help: "The article that holds the headline now.")
    var from: String

    func run() throws {
        let result = try global.open().moveHeadline(to: id, from: from)
        try CorrectionOutput.print(result, verb: "Moved the headline", json: global.json)
    }
}
