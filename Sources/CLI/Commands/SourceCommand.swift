import ArgumentParser
import Foundation
import KB

/// `kb source`: where pages were published.
struct SourceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source", abstract: "Show or set where a page was published (newspaper, date, page).",
        subcommands: [SourceShowCommand.self, SourceSetCommand.self])
}

struct SourceShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a page's metadata.",
        discussion: "ID is a source id or an article id (then its page), or a unique prefix of either.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A source or article id, or a unique prefix.")
    var id: String

    func run() throws {
        let kb = try global.open()
        let (sourceID, metadata) = try kb.sourceMetadata(id)
        if global.json {
            try Terminal.printJSON(["source_id": sourceID, "metadata": CitationShapes.metadata(metadata)])
        } else {
            print("source \(Identifier.short(sourceID))")
            for line in CitationShapes.lines(metadata) { print("  " + line) }
        }
    }
}

struct SourceSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Set or correct a page's metadata; the change syncs like any edit.",
        discussion: """
            ID is a source id or an article id (then its page), or a unique prefix of either; or give \
            --all-from-folder DIR for every page imported from DIR. An empty value clears a field \
            (--page-name ''). --author sets the authors of the article ID names (repeat it for several; \
            --author '' for none).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A source or article id, or a unique prefix.")
    var id: String?

    @Option(help: "Every page imported from this folder (or below it).", completion: .directory)
    var allFromFolder: String?

    @Option(help: "The newspaper: 工人日报.")
    var publication: String?

    @Option(help: "The date of the issue: 2025-04-25 (or 2025-04, 2025).")
    var date: String?

    @Option(help: "The page (版) number.")
    var page: String?

    @Option(help: "The page's name: 要闻.")
    var pageName: String?

    @Option(help: "The edition: 海外版.")
    var edition: String?

    @Option(help: "Where it is online.")
    var url: String?

    @Option(name: .customLong("field"), help: "A free field NAME=VALUE (repeatable; NAME= removes it).")
    var fields: [String] = []

    @Option(name: .customLong("author"), help: "An author of the article ID names (repeatable).")
    var authors: [String] = []

    func validate() throws {
        if (id == nil) == (allFromFolder == nil) {
            throw ValidationError("Give an ID or --all-from-folder DIR (one of them).")
        }
        if allFromFolder != nil && !authors.isEmpty {
            throw ValidationError("--author names the authors of one article; give its ID instead of a folder.")
        }
        for field in fields where !field.contains("=") || field.hasPrefix("=") {
            throw ValidationError("--field takes NAME=VALUE, not '\(field)'.")
        }
        if values.isEmpty && authors.isEmpty {
            throw ValidationError(
                "Nothing to set; give --publication, --date, --page, --page-name, --edition, --url, --field or --author."
            )
        }
        if let date, !date.isEmpty, SourceMetadata.normalizedDate(date) == nil {
            throw ValidationError("The date '\(date)' is not a date; write it as YYYY-MM-DD (or YYYY-MM, or YYYY).")
        }
        if let page, !page.isEmpty, Int(page).map({ $0 > 0 }) != true {
            throw ValidationError("The page '\(page)' is not a page number; give a whole number such as 3.")
        }
    }

    var values: [ChangeField: String] {
        var values: [ChangeField: String] = [:]
        values[.publication] = publication
        values[.issued] = date
        values[.page] = page
        values[.pageName] = pageName
        values[.edition] = edition
        values[.url] = url
        if !fields.isEmpty {
            var extra: [String: String] = [:]
            for field in fields {
                let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                extra[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            values[.extra] = (try? JSONText.encode(extra)) ?? "{}"
        }
        return values
    }

    func run() throws {
        let kb = try global.open()
        if let folder = allFromFolder {
            let results = try kb.setSourceMetadata(folder: folder, values)
            if global.json {
                try Terminal.printJSON(
                    results.map {
                        ["source_id": $0.sourceID, "path": $0.path, "metadata": CitationShapes.metadata($0.metadata)]
                            as [String: Any]
                    })
            } else {
                for result in results {
                    print("\(Identifier.short(result.sourceID))  \(result.path)")
                    for line in CitationShapes.lines(result.metadata) { print("  " + line) }
                }
                print("Set \(results.count) page\(results.count == 1 ? "" : "s").")
            }
            return
        }
        guard let id else { return }
        // Check the id before writing anything: a failed command changes nothing.
        let (sourceID, _) = try kb.sourceMetadata(id)
        var authorsSet: [Contributor]?
        if !authors.isEmpty {
            let articleID = try kb.resolveArticleID(id)
            let names = authors.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            authorsSet = try kb.setAuthors(articleID, names).authors
        }
        let metadata =
            try values.isEmpty ? kb.sourceMetadata(sourceID).metadata : kb.setSourceMetadata(sourceID, values).metadata
        if global.json {
            var object: [String: Any] = ["source_id": sourceID, "metadata": CitationShapes.metadata(metadata)]
            if let authorsSet { object["authors"] = authorsSet.map(CitationShapes.contributor) }
            try Terminal.printJSON(object)
        } else {
            print("source \(Identifier.short(sourceID))")
            for line in CitationShapes.lines(metadata) { print("  " + line) }
            if let authorsSet { print("  authors: " + CitationShapes.authorsLine(authorsSet)) }
        }
    }
}
