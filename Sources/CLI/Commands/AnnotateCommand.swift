import ArgumentParser
import Foundation
import KB

struct AnnotateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotate",
        abstract: "Highlight a passage by its quote or code-point range, with a note, tags and a color.",
        discussion: """
            Without --quote or --range, the note is on the whole article. Offsets are Unicode code points \
            of the article's body, as `kb show --json` prints it.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "An article id or a unique prefix.")
    var id: String

    @Option(help: "The text to highlight.")
    var quote: String?

    @Option(help: "Which occurrence of the quote, from 1.")
    var occurrence: Int?

    @Option(help: "Text just before the quote, to choose among occurrences.")
    var prefix: String?

    @Option(help: "Text just after the quote, to choose among occurrences.")
    var suffix: String?

    @Option(help: "START:END in code points of the body.")
    var range: String?

    @Option(help: "The note (Markdown), or - to read it from stdin.")
    var note: String?

    @Option(name: .customLong("tag"), help: "A tag (repeatable).")
    var tags: [String] = []

    @Option(help: "The highlight's color: \(HighlightColor.choices).")
    var color: String?

    func validate() throws {
        if let color, HighlightColor(color) == nil { throw ValidationError(HighlightColor.unknownMessage(color)) }
        if quote != nil && range != nil { throw ValidationError("Give --quote or --range, not both.") }
        if quote == nil && (occurrence != nil || prefix != nil || suffix != nil) {
            throw ValidationError(
                "--occurrence, --prefix and --suffix choose among occurrences of --quote; give --quote.")
        }
        if quote == nil && range == nil && note == nil {
            throw ValidationError("Give --quote or --range to highlight, or --note for a note on the whole article.")
        }
        if let range, Self.parseRange(range) == nil {
            throw ValidationError("The range '\(range)' is not START:END with two whole numbers, for example 10:24.")
        }
    }

    static func parseRange(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Int(parts[0]), let end = Int(parts[1]) else { return nil }
        return (start, end)
    }

    func run() throws {
        let noteText = try note.map { $0 == "-" ? try InputText.readNote() : $0 } ?? ""
        let target: AnnotationTarget
        if let quote {
            target = .quote(quote, occurrence: occurrence, prefix: prefix, suffix: suffix)
        } else if let range, let (start, end) = Self.parseRange(range) {
            target = .range(start, end)
        } else {
            target = .article
        }
        let kb = try global.open()
        let annotation = try kb.annotate(
            id, target: target, note: noteText, tags: tags, color: color.flatMap(HighlightColor.init))
        if global.json {
            try Terminal.printJSON(JSONShapes.annotation(annotation))
        } else {
            let place = annotation.start.map { "\($0):\(annotation.end ?? $0)" } ?? "the whole article"
            let shown = try kb.annotationIDPrefixes([annotation.id])[annotation.id] ?? annotation.id
            print("Annotated \(annotation.articleID.prefix(8)) at \(place): \(shown)")
        }
    }
}

struct NotesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notes", abstract: "List annotations: of one article, with a tag, or orphaned.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this article's annotations.")
    var id: String?

    @Option(help: "Only annotations with this tag.")
    var tag: String?

    @Flag(help: "Only annotations whose text could not be found after an edit.")
    var orphaned = false

    func run() throws {
        let kb = try global.open()
        let annotations = try kb.notes(NotesFilter(articleID: id, tag: tag, orphanedOnly: orphaned))
        if global.json {
            JSONWriter.printAnnotations(annotations, to: .standardOutput)
            return
        }
        if annotations.isEmpty {
            print(orphaned ? "No orphaned annotations." : "No annotations.")
            return
        }
        let shown = try kb.annotationIDPrefixes(annotations.map(\.id))
        var output = TextOutput()
        for annotation in annotations {
            let id = shown[annotation.id] ?? annotation.id
            var line =
                Terminal.marker(annotation.highlightColor)
                + "\(Terminal.yellow(id)) on \(annotation.articleID.prefix(8))"
            if annotation.state != .anchored { line += " " + Terminal.red("(\(annotation.state.rawValue))") }
            if !annotation.quote.isEmpty { line += "  “\(Terminal.oneLine(annotation.quote, length: 40))”" }
            output.line(line)
            for line in Terminal.indented(annotation.note) where !annotation.note.isEmpty { output.line(line) }
            if !annotation.tags.isEmpty {
                output.line("    " + annotation.tags.map { "#" + $0 }.joined(separator: " "))
            }
        }
        output.flush()
    }
}

struct AnnotationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotation", abstract: "Edit or delete an annotation.",
        subcommands: [AnnotationEditCommand.self, AnnotationRemoveCommand.self])
}

struct AnnotationEditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "edit", abstract: "Change a note, tags or color.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "An annotation id or a unique prefix.")
    var id: String

    @Option(help: "The new note, or - to read it from stdin.")
    var note: String?

    @Option(name: .customLong("tag"), help: "A tag to add (repeatable).")
    var tags: [String] = []

    @Option(name: .customLong("untag"), help: "A tag to remove (repeatable).")
    var untags: [String] = []

    @Option(help: "The highlight's new color: \(HighlightColor.choices).")
    var color: String?

    func validate() throws {
        if let color, HighlightColor(color) == nil { throw ValidationError(HighlightColor.unknownMessage(color)) }
    }

    func run() throws {
        let noteText = try note.map { $0 == "-" ? try InputText.readNote() : $0 }
        let kb = try global.open()
        let annotation = try kb.editAnnotation(
            id, note: noteText, color: color.flatMap(HighlightColor.init), addTags: tags, removeTags: untags)
        if global.json {
            try Terminal.printJSON(JSONShapes.annotation(annotation))
        } else {
            print("Edited annotation \(try kb.annotationIDPrefixes([annotation.id])[annotation.id] ?? annotation.id).")
        }
    }
}

struct AnnotationRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Move an annotation to the trash ('kb restore' undoes it).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "An annotation id or a unique prefix.")
    var id: String

    func run() throws {
        let kb = try global.open()
        let removed = try kb.removeAnnotation(id)
        if global.json {
            try Terminal.printJSON(["id": removed, "deleted": true])
        } else {
            print(
                "Moved annotation \(Identifier.short(removed)) to the trash; 'kb restore \(Identifier.short(removed))' "
                    + "brings it back.")
        }
    }
}
