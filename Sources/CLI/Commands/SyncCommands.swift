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
        // Bad input changes nothing: the name and URL are checked before a knowledge base is opened or made.
        try SyncCLI.run {
            guard Remote.isValidName(name) else {
                throw SyncError(
                    .configuration, "The remote name '\(name)' may hold only letters, digits, '-', '_' and '.'.")
            }
            _ = try Remote.parse(url)
        }
        let remote = try SyncCLI.run {
            try RemoteStore.add(try global.openOrCreate(), name: name, url: url, token: token, caFile: caFile)
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
        var outcomes: [[String: Any]] = []
        var failed: [String] = []
        // Each remote is synced whatever happened to the ones before it.
        for remote in names {
            // Once per remote and sync: a token sent over plain HTTP to another machine can be read on the way.
            if let found = try? RemoteStore.get(kb, name: remote), found.sendsTokenInClear {
                Terminal.printErr(
                    "kb: warning: the remote '\(remote)' sends its token over plain HTTP to '\(found.url)'; "
                        + "serve the hub with --tls-cert and use an https:// URL.")
            }
            let report: SyncReport
            do {
                report = try await engine.sync(remote: remote) { progress in
                    switch progress {
                    case .pushing(let done, let count): Terminal.progress("\(remote): pushing \(done)/\(count)")
                    case .applying(let changes, _, _): Terminal.progress("\(remote): applying \(changes) changes")
                    case .pulling(let position, let head): Terminal.progress("\(remote): pulling \(position)/\(head)")
                    }
                }
            } catch {
                Terminal.endProgress()
                let message = Self.message(of: error)
                failed.append(remote)
                outcomes.append(["name": remote, "ok": false, "error": message])
                Terminal.printError("\(remote): \(message)")
                continue
            }
            Terminal.endProgress()
            total.pushed += report.pushed
            total.pulled += report.pulled
            total.duplicates += report.duplicates
            total.quarantined += report.quarantined
            total.conflicts = report.conflicts
            outcomes.append([
                "name": remote, "ok": true, "pushed": report.pushed, "pulled": report.pulled,
                "conflicts": report.conflicts, "duplicates": report.duplicates, "quarantined": report.quarantined,
                "refused": report.refusedOwn, "holes": report.holes,
            ])
            if global.json { continue }
            print(
                "\(remote): pushed \(report.pushed), pulled \(report.pulled) change\(report.pulled == 1 ? "" : "s").")
            if report.reidentified {
                Terminal.printErr(
                    "\(remote): the hub held other changes under this replica's id (this file was restored from an "
                        + "older copy, or copied); its changes the hub lacked went on under a new replica id.")
            } else if report.reconciled {
                Terminal.printErr("\(remote): the hub's log changed (restored or replaced); reconciled from the start.")
            }
            if report.refusedOwn > 0 {
                Terminal.printErr(
                    "\(remote): refused \(report.refusedOwn) pulled change(s) claiming this replica's id beyond what it "
                        + "wrote.")
            }
            if !report.holes.isEmpty {
                Terminal.printErr(
                    "\(remote): the hub's log lacks changes of other replicas (\(report.holes.prefix(3).joined(separator: ", "))"
                        + "\(report.holes.count > 3 ? ", …" : "")); noted, so later syncs do not read the log again for them."
                )
            }
        }
        if global.json {
            try Terminal.printJSON([
                "pushed": total.pushed, "pulled": total.pulled, "conflicts": total.conflicts,
                "duplicates": total.duplicates, "quarantined": total.quarantined, "remotes": outcomes,
                "failed": failed,
            ])
        } else {
            if total.conflicts > 0 {
                print("\(total.conflicts) open conflict\(total.conflicts == 1 ? "" : "s"): see 'kb conflicts'.")
            }
            if total.quarantined > 0 {
                Terminal.printErr(
                    "\(total.quarantined) pulled change(s) could not be applied and were set aside; see 'kb status'.")
            }
        }
        if !failed.isEmpty {
            if names.count > 1 {
                Terminal.printError(
                    "\(failed.count) of \(names.count) remotes failed: "
                        + failed.map { "'\($0)'" }.joined(separator: ", ") + "; the others synced.")
            }
            throw ExitCode.failure
        }
        if total.conflicts > 0 {
            if !global.json {
                Terminal.printError("conflicts remain; resolve them with 'kb resolve ID --keep mine|theirs|both'.")
            }
            throw ExitCode.failure
        }
    }

    /// The one sentence for a failed remote.
    static func message(of error: any Error) -> String {
        switch error {
        case let error as SyncError: error.message
        case let error as KBError: error.message
        case let error as CLIError: error.message
        default: "The sync failed (\(error)); run it again."
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
                        "id": $0.id, "entity": $0.entity, "entity_id": $0.entityID, "field": $0.field,
                        "kind": $0.kind.rawValue,
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
                    + Self.describe(conflict))
            print("  mine:   " + Terminal.oneLine(conflict.mine ?? "(none)", length: 100))
            print("  theirs: " + Terminal.oneLine(conflict.theirs ?? "(none)", length: 100))
            if let base = conflict.base { print("  base:   " + Terminal.oneLine(base, length: 100)) }
        }
        print("Resolve with 'kb resolve ID --keep mine|theirs|both'.")
    }
}

extension ConflictsCommand {
    /// What the two sides did, in words.
    static func describe(_ conflict: ConflictInfo) -> String {
        guard conflict.kind == .delete else { return "" }
        switch conflict.field {
        case EntityKind.annotation.rawValue: return " · deleted on one side, annotated on the other"
        case EntityKind.tag.rawValue: return " · deleted on one side, tagged on the other"
        default: return " · deleted on one side, edited on the other"
        }
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
