import ArgumentParser
import Foundation
import KB

struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add one article from a file or from stdin.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "The article's title.")
    var title: String

    @Argument(help: "A text file, or - (or nothing) for stdin.", completion: .file())
    var file: String?

    func run() throws {
        let body = try InputText.read(file, what: "the article text")
        let kb = try global.openOrCreate()
        let article = try kb.addArticle(title: title, body: body)
        if global.json {
            try Terminal.printJSON(JSONShapes.article(try kb.article(article.id)))
        } else {
            print("Added \(Identifier.short(article.id)) \(article.title)")
        }
    }
}

/// Text from a file, or from stdin for `-` or no file.
enum InputText {
    /// A note from stdin, without the line break that ends the input (`echo`, editors and heredocs add one).
    static func readNote() throws -> String {
        var scalars = try read("-", what: "the note").unicodeScalars[...]
        while let last = scalars.last, last == "\n" || last == "\r" { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }

    static func read(_ path: String?, what: String) throws -> String {
        if let path, path != "-" {
            // A FileHandle reads pipes and process substitutions too.
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw CLIError("Cannot read '\(path)'; check the path and its permissions.")
            }
            defer { try? handle.close() }
            let data = handle.readDataToEndOfFile()
            if data.isEmpty { throw CLIError("'\(path)' is empty; give text with at least one character.") }
            return try DocumentReader.decode([UInt8](data), path: path)
        }
        if isatty(STDIN_FILENO) == 1 {
            throw CLIError.usage("Give \(what) as a file, or pipe it on stdin.")
        }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIError("The text on stdin is not valid UTF-8; convert it to UTF-8.")
        }
        return text
    }
}
