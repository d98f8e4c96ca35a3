public import ArgumentParser
import Foundation
import KB
public import Sync

struct RemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote", abstract: "Manage the hubs this knowledge base syncs with.",
        subcommands: [RemoteAddCommand.self, RemoteListCommand.self, RemoteRemoveCommand.self])
}

struct RemoteAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a hub: http://HOST:PORT/KB (the token from --token-file or $KB_TOKEN).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A name for the remote, such as origin.")
    var name: String

    @Argument(help: "http://HOST:PORT/KB")
    var url: String

    @Option(help: "A file holding the token made by 'kb serve token create'.", completion: .file())
    var tokenFile: String?

    @Option(help: "A PEM file of the private CA that signed an https hub's certificate.", completion: .file())
    var caFile: String?

    func run() throws {
        var token = ProcessInfo.processInfo.environment["KB_TOKEN"]
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile),
                let text = String(data: data, encoding: .utf8)
            else {
                throw CLIError("Cannot read the token file '\(tokenFile)'; check the path.")
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let remote = try SyncCLI.run {
            try RemoteStore.add(try global.open(), name: name, url: url, token: token, caFile: caFile)
        }
        if global.json {
            try Terminal.printJSON(["name": remote.name, "url": remote.url, "token": remote.token != nil])
        } else {
            print(
                "Added remote '\(remote.name)' → \(remote.url)"
                    + (remote.token == nil ? " (no token yet: set KB_TOKEN)" : ""))
        }
    }
}

struct RemoteListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List remotes.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let remotes = try SyncCLI.run { try RemoteStore.all(try global.open()) }
        if global.json {
            try Terminal.printJSON(
                remotes.map {
                    [
                        "name": $0.name, "url": $0.url, "token": $0.token != nil,
                        "last_sync": $0.lastSync.map { Timestamp.iso($0) as Any } ?? NSNull(),
                    ] as [String: Any]
                })
            return
        }
        if remotes.isEmpty { print("No remotes; add one with 'kb remote add NAME http://HOST:PORT/KB'.") }
        for remote in remotes {
            print(
                "\(remote.name)\t\(remote.url)\t"
                    + (remote.lastSync.map { "last sync " + Timestamp.iso($0) } ?? "never synced"))
        }
    }
}

struct RemoteRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a remote.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The remote's name.")
    var name: String

    func run() throws {
        try SyncCLI.run { try RemoteStore.remove(try global.open(), name: name) }
        if global.json {
            try Terminal.printJSON(["name": name, "removed": true])
        } else {
            print("Removed remote '\(name)'.")
        }
    }
}

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Push this machine's changes to the hub and pull everyone else's.",
        discussion: """
            Without a name, every remote is synced. Exits 1 when a hub cannot be reached or refuses, \
            and when conflicts remain open (see 'kb conflicts'); running it again is always safe.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The remote to sync with (default: all).")
    var name: String?

    func run() async throws {
        let kb = try global.open()
        let names = try SyncCLI.run { try name.map { [$0] } ?? RemoteStore.all(kb).map(\.name) }
        guard !names.isEmpty else {
            throw CLIError("There is no remote to sync with; add one with 'kb remote add NAME http://HOST:PORT/KB'.")
        }
        let engine = SyncEngine(kb: kb)
        var total = SyncReport()
        for remote in names {
            // Once per remote and sync: a token sent over plain HTTP to another machine can be read on the way.
            if let found = try? RemoteStore.get(kb, name: remote), found.sendsTokenInClear {
                Terminal.printErr(
                    "kb: warning: the remote '\(remote)' sends its token over plain HTTP to '\(found.url)'; "
                        + "serve the hub with --tls-cert and use an https:// URL.")
            }
            let report = try await SyncCLI.run {
                try await engine.sync(remote: remote) { progress in
                    switch progress {
                    case .pushing(let done, let count): Terminal.progress("\(remote): pushing \(done)/\(count)")
                    case .pulling(let position, let head): Terminal.progress("\(remote): pulling \(position)/\(head)")
                    }
                }
            }
            Terminal.endProgress()
            total.pushed += report.pushed
            total.pulled += report.pulled
            total.duplicates += report.duplicates
            total.quarantined += report.quarantined
            total.conflicts = report.conflicts
            if report.reconciled && !global.json {
                Terminal.printErr("\(remote): the hub's log changed (restored or replaced); reconciled from the start.")
            }
        }
        if global.json {
            try Terminal.printJSON([
                "pushed": total.pushed, "pulled": total.pulled, "conflicts": total.conflicts,
                "duplicates": total.duplicates, "quarantined": total.quarantined,
            ])
        } else {
            print(
                "Pushed \(total.pushed), pulled \(total.pulled) change\(total.pulled == 1 ? "" : "s")."
                    + (total.conflicts > 0
                        ? " \(total.conflicts) open conflict\(total.conflicts == 1 ? "" : "s"): see 'kb conflicts'."
                        : ""))
            if total.quarantined > 0 {
                Terminal.printErr(
                    "\(total.quarantined) pulled change(s) could not be applied and were set aside; see 'kb status'.")
            }
        }
        if total.conflicts > 0 {
            if !global.json {
                Terminal.printError("conflicts remain; resolve them with 'kb resolve ID --keep mine|theirs|both'.")
            }
            throw ExitCode.failure
        }
    }
}

struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts", abstract: "List open conflicts: both values, and their common base.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let conflicts = try SyncCLI.run { try Conflicts.list(try global.open()) }
        if global.json {
            try Terminal.printJSON(
                conflicts.map {
                    [
                        "id": $0.id, "entity": $0.entity, "entity_id": $0.entityID, "field": $0.field, "kind": $0.kind,
                        "mine": $0.mine as Any? ?? NSNull(), "theirs": $0.theirs as Any? ?? NSNull(),
                        "base": $0.base as Any? ?? NSNull(), "created_at": Timestamp.iso($0.createdAt),
                    ] as [String: Any]
                })
            return
        }
        if conflicts.isEmpty {
            print("No open conflicts.")
            return
        }
        for conflict in conflicts {
            print(
                Terminal.bold("\(Identifier.short(conflict.id))")
                    + "  \(conflict.entity) \(Identifier.short(conflict.entityID)) · \(conflict.field)"
                    + (conflict.kind == "delete" ? " · deleted on one side, edited on the other" : ""))
            print("  mine:   " + Terminal.oneLine(conflict.mine ?? "(none)", length: 100))
            print("  theirs: " + Terminal.oneLine(conflict.theirs ?? "(none)", length: 100))
        }
        print("Resolve with 'kb resolve ID --keep mine|theirs|both'.")
    }
}

extension ConflictChoice: ExpressibleByArgument {}

struct ResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve", abstract: "Resolve a conflict; the resolution syncs to every machine.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The conflict id or a unique prefix.")
    var id: String

    @Option(help: "mine, theirs or both.")
    var keep: ConflictChoice

    func run() throws {
        let conflict = try SyncCLI.run { try Conflicts.resolve(try global.open(), id, keep: keep) }
        if global.json {
            try Terminal.printJSON(["id": conflict.id, "resolved": true, "keep": keep.rawValue])
        } else {
            print(
                "Resolved \(Identifier.short(conflict.id)) keeping \(keep.rawValue); 'kb sync' carries it to your other machines."
            )
        }
    }
}

/// Turns sync errors into CLI errors.
enum SyncCLI {
    static func run<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as SyncError { throw CLIError(error.message) }
    }

    static func run<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as SyncError { throw CLIError(error.message) }
    }
}
