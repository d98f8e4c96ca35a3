import ArgumentParser
import Foundation
import KB

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import files and folders: newspaper pages (.txt), Markdown (.md), text, or a kb JSON dump.",
        discussion: """
            Folders are read recursively; files other than .txt and .md are skipped and listed. \
            Each file is imported in one transaction: a file that fails changes nothing, and the others go on. \
            A file imported before is reported unchanged.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Re-import a corrected version of a file over the articles imported from the same path.")
    var update = false

    @Argument(help: "Files and folders.", completion: .file())
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("Give at least one file or folder to import.") }
    }

    func run() throws {
        let kb = try global.openOrCreate()
        let report = try kb.importFiles(paths, options: ImportOptions(update: update)) { done, total, path in
            if total > 1 { Terminal.progress("Importing \(done)/\(total) \((path as NSString).lastPathComponent)") }
        }
        Terminal.endProgress()
        for failure in report.failed { Terminal.printError(failure.error) }
        if global.json {
            try Terminal.printJSON([
                "added": report.added,
                "unchanged": report.unchanged,
                "updated": report.updated,
                "failed": report.failed.map { ["path": $0.path, "error": $0.error] },
                "articles": report.articles,
                "skipped": report.skipped,
                "articles_added": report.articlesAdded,
                "articles_updated": report.articlesUpdated,
                "files": report.files.map { ["path": $0.path, "status": $0.status, "articles": $0.articles] },
            ])
        } else {
            var parts: [String] = []
            if report.added > 0 { parts.append("\(report.added) added") }
            if report.updated > 0 { parts.append("\(report.updated) updated") }
            if report.unchanged > 0 { parts.append("\(report.unchanged) unchanged") }
            if !report.failed.isEmpty { parts.append("\(report.failed.count) failed") }
            let files = report.files.count
            print(
                "Imported \(files) file\(files == 1 ? "" : "s")"
                    + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))")
                    + ": \(report.articlesAdded) new article\(report.articlesAdded == 1 ? "" : "s")"
                    + (report.articlesUpdated > 0 ? ", \(report.articlesUpdated) updated" : "")
                    + ", \(report.articles.count) in these files.")
            if !report.skipped.isEmpty {
                Terminal.printErr(
                    "Skipped \(report.skipped.count) file\(report.skipped.count == 1 ? "" : "s") kb does not read: "
                        + report.skipped.prefix(5).joined(separator: ", ") + (report.skipped.count > 5 ? ", …" : ""))
            }
        }
        if !report.failed.isEmpty { throw ExitCode.failure }
    }
}
