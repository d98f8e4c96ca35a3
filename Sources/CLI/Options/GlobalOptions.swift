import ArgumentParser
import Foundation
import KB

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The knowledge base file (default: $KB_DB, else ~/.local/share/kb/kb.sqlite).")
    var db: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Flag(name: .long, help: "Write to a knowledge base that kb found damaged, before 'kb check --repair'.")
    var allowDamaged = false

    /// The path of the knowledge base.
    var databasePath: String { Self.databasePath(flag: db) }

    /// The path of the knowledge base that `--db` names, else the environment's.
    static func databasePath(flag: String?) -> String {
        var environment: [String: String] = [:]
        for name in ["KB_DB", "XDG_DATA_HOME", "HOME"] { environment[name] = Terminal.environment(name) }
        return DatabaseLocation.resolve(flag: flag, environment: environment)
    }

    /// The clock: the system's, shifted by $KB_CLOCK_OFFSET_MS (for testing clock skew).
    var clock: Clock { Self.clock }

    static var clock: Clock {
        if let text = Terminal.environment("KB_CLOCK_OFFSET_MS"), let offset = Int64(text) {
            return Clock.system.offset(by: offset)
        }
        return .system
    }

    /// The arguments with the global options given before the command (`kb --db PATH list`) moved
    /// behind it, where each subcommand's ``GlobalOptions`` parses them (`kb list --db PATH`).
    ///
    /// ```swift
    /// GlobalOptions.movingLeadingOptions(["--db", "a.sqlite", "--json", "list"])
    /// // ["list", "--db", "a.sqlite", "--json"]
    /// ```
    static func movingLeadingOptions(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--db", index + 1 < arguments.count {
                leading += [argument, arguments[index + 1]]
                index += 2
            } else if argument.hasPrefix("--db=") || argument == "--json" || argument == "--allow-damaged" {
                leading.append(argument)
                index += 1
            } else {
                break
            }
        }
        guard !leading.isEmpty, index < arguments.count else { return arguments }
        var rest = Array(arguments[index...])
        // Options go before a `--` that ends them.
        let end = rest.firstIndex(of: "--") ?? rest.endIndex
        rest.insert(contentsOf: leading, at: end)
        return rest
    }

    /// Opens the knowledge base, which must exist: a missing file is an error that creates nothing.
    func open() throws -> KnowledgeBase {
        try open(mode: .existing)
    }

    /// Opens the knowledge base, creating it (and its folders) when missing: for the commands that make one
    /// (`init`, `import`, `add`, `remote add`).
    func openOrCreate() throws -> KnowledgeBase {
        try open(mode: .createIfMissing)
    }

    private func open(mode: AppDatabase.OpenMode) throws -> KnowledgeBase {
        try Self.open(db: db, allowDamaged: allowDamaged, mode: mode)
    }

    /// Opens the knowledge base that `--db` (or the environment) names, as ``open()`` does, from the option
    /// values themselves (for `kb search` read without swift-argument-parser, ``SearchRequest``).
    static func open(db: String?, allowDamaged: Bool, mode: AppDatabase.OpenMode = .existing) throws
        -> KnowledgeBase
    {
        let kb = try KnowledgeBase.open(
            path: databasePath(flag: db), clock: clock, mode: mode, allowsDamaged: allowDamaged)
        if let copy = try kb.claimFile() {
            Terminal.printErr(
                "This knowledge base file is a copy of replica \(copy.previousReplicaID) (made at "
                    + "'\(copy.previousPath)'), so it is now a new replica, \(copy.replicaID); its changes not yet "
                    + "synced still reach the hub once.")
        }
        return kb
    }

    /// The knowledge base path that the command line names, read without parsing it (for errors raised
    /// where the parsed options are out of reach).
    static func databasePath(in arguments: [String]) -> String {
        var flag: String?
        var index = 0
        while index < arguments.count, arguments[index] != "--" {
            if arguments[index] == "--db", index + 1 < arguments.count {
                flag = arguments[index + 1]
                index += 1
            } else if arguments[index].hasPrefix("--db=") {
                flag = String(arguments[index].dropFirst(5))
            }
            index += 1
        }
        return databasePath(flag: flag)
    }
}
