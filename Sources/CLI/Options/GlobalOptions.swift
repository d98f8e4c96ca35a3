import ArgumentParser
import Foundation
import KB

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The knowledge base file (default: $KB_DB, else ~/.local/share/kb/kb.sqlite).")
    var db: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    /// The path of the knowledge base.
    var databasePath: String {
        DatabaseLocation.resolve(flag: db, environment: ProcessInfo.processInfo.environment)
    }

    /// The clock: the system's, shifted by $KB_CLOCK_OFFSET_MS (for testing clock skew).
    var clock: Clock {
        if let text = ProcessInfo.processInfo.environment["KB_CLOCK_OFFSET_MS"], let offset = Int64(text) {
            return Clock.system.offset(by: offset)
        }
        return .system
    }

    /// Opens the knowledge base.
    func open() throws -> KnowledgeBase {
        try KnowledgeBase.open(path: databasePath, clock: clock)
    }
}
