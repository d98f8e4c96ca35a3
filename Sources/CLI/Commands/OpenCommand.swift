import ArgumentParser
import Foundation
import KB

/// `kb open [ID]` runs `kb-hub open`, installed beside `kb`: the reader's server lives there, with the hub's.
struct OpenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Read and annotate in a browser: a local reader on 127.0.0.1 over this knowledge base.",
        discussion: """
            Prints the reader's URL (with its secret) on one line, opens the browser when there is one, and \
            serves until Ctrl-C. A second 'kb open' on the same file prints the URL of the reader already \
            running. See docs/reader.md.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "The port to listen on (default: a free one).")
    var port: Int?

    @Flag(help: "Print the URL without opening a browser.")
    var noBrowser = false

    @Argument(help: "An article to open at once (id or unique prefix; default: the library).")
    var id: String?

    func run() throws {
        let path = global.databasePath
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError(
                "No knowledge base at '\(path)'; create one with 'kb import FILES' or 'kb init', or give --db PATH.")
        }
        let program = try ServeCommand.hubProgram(for: "kb open")
        var arguments = [program, "open", "--db", path]
        if let port { arguments += ["--port", String(port)] }
        if noBrowser { arguments.append("--no-browser") }
        if let id { arguments += ["--", id] }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        execv(program, argv)
        throw CLIError("Cannot run the reader program '\(program)': \(String(cString: strerror(errno))).")
    }
}
