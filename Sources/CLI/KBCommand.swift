import ArgumentParser
import CSQLiteConfig
import Foundation
import KB

/// `kb`: a local-first knowledge base for Chinese newspaper articles and notes.
@main
struct KBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kb",
        abstract: "A local-first knowledge base: import newspaper pages, search them, annotate, sync.",
        discussion: """
            The knowledge base is one SQLite file: --db PATH, else $KB_DB, else \
            $XDG_DATA_HOME/kb/kb.sqlite (~/.local/share/kb/kb.sqlite).
            """,
        version: "0.1.0",
        subcommands: [
            InitCommand.self, ImportCommand.self, AddCommand.self, ListCommand.self, ShowCommand.self, EditCommand.self,
            MergeCommand.self, SplitCommand.self, RetitleCommand.self,
            RemoveCommand.self, TagCommand.self, UntagCommand.self, SearchCommand.self, AnnotateCommand.self,
            NotesCommand.self, AnnotationCommand.self, ExportCommand.self, StatusCommand.self, CheckCommand.self,
            RemoteCommand.self, SyncCommand.self, ConflictsCommand.self, ResolveCommand.self, ServeCommand.self,
            TrashCommand.self, RestoreCommand.self, HistoryCommand.self, SourceCommand.self, CiteCommand.self,
            OpenCommand.self,
        ]
    )

    /// Runs the command; library errors become one sentence on stderr and an exit code.
    static func main() async {
        do {
            let arguments = GlobalOptions.movingLeadingOptions(Array(CommandLine.arguments.dropFirst()))
            // `kb search` is a whole process per query: its plain forms skip swift-argument-parser.
            if let request = SearchRequest(arguments: arguments) {
                _ = kb_sqlite_configure_short_process()
                let searched = try SearchCommand.run(request)
                // Everything is printed and the file closed: the process ends without releasing what it holds.
                withExtendedLifetime(searched) { Foundation.exit(0) }
            }
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as KBError {
            Terminal.printError(error.message)
            for candidate in error.candidates { Terminal.printError("  " + candidate, prefixed: false) }
            Foundation.exit(error.isUsageError ? ExitCode.validationFailure.rawValue : ExitCode.failure.rawValue)
        } catch let error as CLIError {
            Terminal.printError(error.message)
            Foundation.exit(error.exitCode)
        } catch {
            // SQLite's failures met outside the library's own mapping (as in sync), as one sentence.
            let path = GlobalOptions.databasePath(in: Array(CommandLine.arguments.dropFirst()))
            if let mapped = StorageFailure.error(error, path: path) {
                Terminal.printError(mapped.message)
                Foundation.exit(ExitCode.failure.rawValue)
            }
            exit(withError: error)
        }
    }
}
