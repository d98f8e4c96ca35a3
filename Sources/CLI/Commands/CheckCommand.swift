public import ArgumentParser
import Foundation
import KB

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the knowledge base file: SQLite's integrity, the search index and the history.",
        discussion: """
            Prints 'ok' and exits 0 when nothing is wrong; otherwise prints one line per problem and exits 1. \
            Once SQLite finds the file damaged, commands that write refuse until 'kb check --repair' (or \
            --allow-damaged). --repair, when the check finds problems, copies what can still be read into a new \
            file that takes the place of the damaged one, makes lost records again from their history, rebuilds \
            the search index, and keeps the damaged file beside it.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Recover what can be read into a new file in place of this one; the damaged file is kept beside it.")
    var repair = false

    func run() throws {
        let path = global.databasePath
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("No knowledge base at '\(path)'; check the path or pass --db.")
        }
        let report: CheckReport
        do {
            report = try KnowledgeBase.open(path: path, clock: global.clock, allowsDamaged: true).check()
        } catch let error as KBError where error.kind == .damaged {
            report = CheckReport(problems: [.init(.integrity, "SQLite cannot read the file at all.")])
        }
        if repair && !report.isOK {
            try runRepair(path)
            return
        }
        try printReport(report)
        guard report.isOK else {
            let advice =
                report.isDamaged || report.problems.contains { $0.area == .fullText }
                ? "run 'kb check --repair' to recover it" : "sync it again or restore it from a backup"
            Terminal.printError(
                "The knowledge base '\(path)' has \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s"); "
                    + "\(advice).")
            throw ExitCode.failure
        }
    }

    private func printReport(_ report: CheckReport) throws {
        if global.json {
            try Terminal.printJSON(Self.json(report))
        } else if report.isOK {
            print("ok")
        } else {
            for problem in report.problems { print("\(problem.area.rawValue): \(problem.detail)") }
        }
    }

    static func json(_ report: CheckReport) -> [String: Any] {
        [
            "ok": report.isOK,
            "problems": report.problems.map { ["check": $0.area.rawValue, "detail": $0.detail] },
        ]
    }

    private func runRepair(_ path: String) throws {
        let report = try KnowledgeBase.repair(path: path, clock: global.clock)
        if global.json {
            var object = Self.json(report.check)
            object["path"] = report.path
            object["damaged_copy"] = report.damagedCopy
            object["recovered"] = report.recovered
            object["incomplete"] = report.incomplete
            object["rederived"] = report.rederived
            try Terminal.printJSON(object)
        } else {
            let counts = ["articles", "annotations", "tags", "changes"].map { "\(report.recovered[$0] ?? 0) \($0)" }
            print(
                "Recovered \(counts.joined(separator: ", ")) into \(report.path); the damaged file is kept as "
                    + "\(report.damagedCopy).")
            if !report.incomplete.isEmpty {
                print(
                    "Some rows could not be read from: \(report.incomplete.joined(separator: ", ")); "
                        + "\(report.rederived) records were made again from their history.")
            }
            for problem in report.check.problems { print("\(problem.area.rawValue): \(problem.detail)") }
        }
        guard report.check.isOK else {
            Terminal.printError(
                "The recovered knowledge base '\(path)' still has problems; sync it again or restore it from a backup.")
            throw ExitCode.failure
        }
    }
}
