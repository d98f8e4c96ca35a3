import ArgumentParser
import Foundation
import KB

struct EditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit", abstract: "Change an article's title or body; its annotations re-anchor.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "An article id or a unique prefix.")
    var id: String

    @Option(help: "The new title.")
    var title: String?

    @Option(help: "A file with the new body, or - for stdin.", completion: .file())
    var bodyFile: String?

    @Option(name: .customLong("author"), help: "An author, set by hand (repeatable; '' for none).")
    var authors: [String] = []

    @Flag(help: "Take the authors from the byline again.")
    var bylineAuthors = false

    func validate() throws {
        if title == nil && bodyFile == nil && authors.isEmpty && !bylineAuthors {
            throw ValidationError("Give --title, --body-file, --author or --byline-authors.")
        }
        if !authors.isEmpty && bylineAuthors { throw ValidationError("Give --author or --byline-authors, not both.") }
    }

    func run() throws {
        let body = try bodyFile.map { try InputText.read($0, what: "the new body") }
        let kb = try global.open()
        var authorsSet: (id: String, authors: [Contributor])?
        if !authors.isEmpty || bylineAuthors {
            let names = authors.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            authorsSet = try kb.setAuthors(id, bylineAuthors ? nil : names)
        }
        guard title != nil || body != nil else {
            guard let authorsSet else { return }
            if global.json {
                try Terminal.printJSON([
                    "id": authorsSet.id, "authors": authorsSet.authors.map(CitationShapes.contributor),
                ])
            } else {
                print("\(Identifier.short(authorsSet.id)) authors: \(CitationShapes.authorsLine(authorsSet.authors))")
            }
            return
        }
        let (article, counts) = try kb.editArticle(id, title: title, body: body)
        if global.json {
            var object: [String: Any] = [
                "id": article.id, "reanchored": counts.reanchored, "fuzzy": counts.fuzzy, "orphaned": counts.orphaned,
            ]
            if let authorsSet { object["authors"] = authorsSet.authors.map(CitationShapes.contributor) }
            try Terminal.printJSON(object)
        } else {
            var line = "Edited \(Identifier.short(article.id)) \(Terminal.oneLine(article.title, length: 40))."
            let total = counts.reanchored + counts.fuzzy + counts.orphaned
            if total > 0 {
                line +=
                    " Annotations: \(counts.reanchored) anchored, \(counts.fuzzy) fuzzy, \(counts.orphaned) orphaned."
            }
            print(line)
        }
    }
}

struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Move an article to the trash, with its annotations ('kb restore' undoes it).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "An article id or a unique prefix.")
    var id: String

    func run() throws {
        let kb = try global.open()
        let removed = try kb.trashArticle(id)
        if global.json {
            try Terminal.printJSON(["id": removed.id, "deleted": true, "annotations": removed.annotations])
        } else {
            let short = Identifier.short(removed.id)
            let notes = "\(removed.annotations) note\(removed.annotations == 1 ? "" : "s")"
            print(
                "Moved \(short) \(Terminal.oneLine(removed.title, length: 40)) to the trash with \(notes); "
                    + "'kb restore \(short)' brings it back.")
        }
    }
}

struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Add tags to an article.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "An article id or a unique prefix.")
    var id: String

    @Argument(help: "Tags to add.")
    var tags: [String]

    func validate() throws {
        if tags.isEmpty { throw ValidationError("Give at least one tag.") }
    }

    func run() throws {
        let (articleID, current) = try global.open().tag(id, tags)
        try TagOutput.print(articleID, current, json: global.json)
    }
}

struct UntagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "untag", abstract: "Remove tags from an article.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "An article id or a unique prefix.")
    var id: String

    @Argument(help: "Tags to remove.")
    var tags: [String]

    func validate() throws {
        if tags.isEmpty { throw ValidationError("Give at least one tag.") }
    }

    func run() throws {
        let (articleID, current) = try global.open().untag(id, tags)
        try TagOutput.print(articleID, current, json: global.json)
    }
}

enum TagOutput {
    static func print(_ id: String, _ tags: [String], json: Bool) throws {
        if json {
            try Terminal.printJSON(["id": id, "tags": tags])
        } else {
            Swift.print(
                "\(Identifier.short(id)): " + (tags.isEmpty ? "no tags" : tags.map { "#" + $0 }.joined(separator: " ")))
        }
    }
}
