import ArgumentParser
import Foundation
import KB

// MARK: - kb trash

struct TrashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trash", abstract: "List deleted articles and annotations, or purge them.",
        subcommands: [TrashListCommand.self, TrashEmptyCommand.self], defaultSubcommand: TrashListCommand.self)
}

struct TrashListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List deleted articles and annotations, most recently deleted first.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let kb = try global.open()
        let items = try kb.trash()
        if global.json {
            try Terminal.printJSON(items.map(JSONShapes.trashItem))
            return
        }
        guard !items.isEmpty else {
            print("The trash is empty.")
            return
        }
        let me = try kb.status().replica
        for item in items {
            var line = Identifier.short(item.id) + "  "
            switch item.entity {
            case .article:
                line += Terminal.title(Terminal.oneLine(item.title, length: 40))
                line += Terminal.dim(" · \(item.annotations) note\(item.annotations == 1 ? "" : "s")")
            default:
                line += "note “\(Terminal.oneLine(item.title, length: 30))”"
                if let article = item.articleID { line += Terminal.dim(" on \(Identifier.short(article))") }
            }
            if let time = item.deletedAt { line += Terminal.dim(" · deleted \(Timestamp.iso(time))") }
            if let replica = item.deletedBy {
                line += Terminal.dim(" by \(replica == me ? "this replica" : replica)")
            }
            print(line)
        }
        print(Terminal.dim("'kb restore ID' brings one back; 'kb trash empty' purges them on this replica."))
    }
}

struct TrashEmptyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "empty",
        abstract: "Purge the trash on this replica (other replicas keep their copies).",
        discussion: """
            Purged records leave this knowledge base; nothing is sent to other replicas. Their history \
            stays, so that a later sync never brings them back deleted, while a restore made on another \
            replica brings them back here.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only what was deleted at least this long ago: 30d, 12h, 2w, 90s.")
    var olderThan: String?

    func run() throws {
        let age = try olderThan.map(KnowledgeBase.parseAge)
        let report = try global.open().emptyTrash(olderThan: age)
        if global.json {
            try Terminal.printJSON(["articles": report.articles, "annotations": report.annotations])
        } else {
            print(
                "Purged \(report.articles) article\(report.articles == 1 ? "" : "s") and \(report.annotations) "
                    + "annotation\(report.annotations == 1 ? "" : "s") from the trash on this replica.")
        }
    }
}

// MARK: - kb restore

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Bring an article or annotation back from the trash, or back to an earlier version.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "An article or annotation id, or a unique prefix.")
    var id: String

    @Option(name: .customLong("to"), help: "Make version N (see 'kb history ID') current again.")
    var version: Int?

    func run() throws {
        let kb = try global.open()
        if let version {
            let restored = try kb.restore(id, toVersion: version)
            if global.json {
                try Terminal.printJSON([
                    "id": restored.id, "entity": restored.entity.rawValue, "version": restored.version,
                    "fields": restored.fields,
                ])
            } else if restored.fields.isEmpty {
                print("\(Identifier.short(restored.id)) already holds version \(version); nothing changed.")
            } else {
                print(
                    "Restored \(Identifier.short(restored.id)) to version \(version) "
                        + "(\(restored.fields.joined(separator: ", "))).")
            }
            return
        }
        let restored = try kb.restore(id)
        if global.json {
            try Terminal.printJSON([
                "id": restored.id, "entity": restored.entity.rawValue, "restored": true,
                "annotations": restored.annotations,
            ])
        } else if restored.entity == .article {
            print(
                "Restored \(Identifier.short(restored.id)) \(Terminal.oneLine(restored.title, length: 40)) "
                    + "with \(restored.annotations) note\(restored.annotations == 1 ? "" : "s").")
        } else {
            print(
                "Restored annotation \(Identifier.short(restored.id)) “\(Terminal.oneLine(restored.title, length: 30))”."
            )
        }
    }
}

// MARK: - kb history

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List the versions of an article or an annotation.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "An article or annotation id (live or in the trash), or a unique prefix.")
    var id: String

    func run() throws {
        let kb = try global.open()
        let history = try kb.history(id)
        if global.json {
            try Terminal.printJSON(history.versions.map(JSONShapes.version))
            return
        }
        let me = try kb.status().replica
        print(Terminal.bold("\(history.entity.rawValue) \(history.id)"))
        for version in history.versions {
            var line = String(format: "%3d  ", version.number) + Timestamp.iso(version.time) + "  "
            line += version.action.rawValue
            if !version.fields.isEmpty { line += " " + version.fields.joined(separator: ", ") }
            line += Terminal.dim("  by \(version.replica == me ? "this replica" : version.replica)")
            print(line)
        }
        let short = Identifier.short(history.id)
        print(Terminal.dim("'kb show \(short) --at N' shows a version; 'kb restore \(short) --to N' brings it back."))
    }
}
