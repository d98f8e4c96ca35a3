import ArgumentParser
import Foundation
import KB

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List articles, newest first.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only articles with this tag.")
    var tag: String?

    @Option(help: "At most this many articles.")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more, not \(limit).") }
    }

    func run() throws {
        let kb = try global.open()
        let articles = try kb.listArticles(tag: tag, limit: limit)
        let metadata = try kb.articleMetadata(ids: articles.map(\.id))
        if global.json {
            try Terminal.printJSON(
                articles.map {
                    JSONShapes.summary($0).merging(CitationShapes.articleFields(metadata[$0.id])) { _, new in new }
                })
            return
        }
        if articles.isEmpty {
            print(tag.map { "No articles tagged '\($0)'." } ?? "No articles yet; add some with 'kb import PATH'.")
            return
        }
        for article in articles {
            var tags =
                article.tags.isEmpty ? "" : "  " + Terminal.dim(article.tags.map { "#" + $0 }.joined(separator: " "))
            if let summary = metadata[article.id].map({ CitationShapes.summary($0.metadata) }), !summary.isEmpty {
                tags += "  " + Terminal.dim(summary)
            }
            print(
                "\(Terminal.yellow(Identifier.short(article.id)))  \(Terminal.oneLine(Terminal.title(article.title)))\(tags)"
            )
        }
    }
}
