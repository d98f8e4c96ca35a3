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
            A file imported before, byte for byte, is reported unchanged. A new version of a page imported \
            before (the same path, or the same file name or first lines) updates that page's articles in \
            place: changed fields become edits, annotations re-anchor, new items are added and items the \
            page no longer holds go to the trash. --as-new imports it as new articles instead.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Import a new version of a page as new articles, leaving the earlier ones as they are.")
    var asNew = false

    @Flag(help: "Accepted for older scripts: a new version of a page updates it in place by default.")
    var update = false

    @Argument(help: "Files and folders.", completion: .file())
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("Give at least one file or folder to import.") }
        if asNew && update {
            throw ValidationError("'--as-new' and '--update' contradict each other; give one of them.")
        }
    }

    func run() throws {
        let kb = try global.openOrCreate()
        let options = ImportOptions(mode: asNew ? .asNew : .inPlace)
        let report = try kb.importFiles(paths, options: options) { done, total, path in
            if total > 1 { Terminal.progress("Importing \(done)/\(total) \((path as NSString).lastPathComponent)") }
        }
        Terminal.endProgress()
        for failure in report.failed { Terminal.printError(failure.error) }
        if global.json {
            try Terminal.printJSON(JSONShapes.importReport(report))
        } else {
            printHuman(report)
        }
        if !report.failed.isEmpty { throw ExitCode.failure }
    }

    private func printHuman(_ report: ImportReport) {
        var output = TextOutput()
        for file in report.files where file.status == .updated {
            output.line(Self.fileLine(file))
            for change in file.changes { output.line("  " + Self.changeLine(change)) }
            for review in file.review {
                output.line(
                    "  \(review.outcome.rawValue) annotation \(Terminal.yellow(Identifier.short(review.id))) "
                        + "on \(Identifier.short(review.articleID)): “\(Terminal.oneLine(review.quote))”")
            }
        }
        var parts: [String] = []
        if report.added > 0 { parts.append("\(report.added) added") }
        if report.updated > 0 { parts.append("\(report.updated) updated") }
        if report.unchanged > 0 { parts.append("\(report.unchanged) unchanged") }
        if !report.failed.isEmpty { parts.append("\(report.failed.count) failed") }
        let files = report.files.count
        output.line(
            "Imported \(files) file\(files == 1 ? "" : "s")"
                + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))")
                + ": \(report.articlesAdded) new article\(report.articlesAdded == 1 ? "" : "s")"
                + (report.articlesUpdated > 0 ? ", \(report.articlesUpdated) updated" : "")
                + (report.articlesRemoved > 0 ? ", \(report.articlesRemoved) removed (to the trash)" : "")
                + ", \(report.articles.count) in these files.")
        output.flush()
        if !report.skipped.isEmpty {
            Terminal.printErr(
                "Skipped \(report.skipped.count) file\(report.skipped.count == 1 ? "" : "s") kb does not read: "
                    + report.skipped.prefix(5).joined(separator: ", ") + (report.skipped.count > 5 ? ", …" : ""))
        }
    }

    /// The line of a file updated in place: why, and the counts.
    static func fileLine(_ file: ImportReport.FileResult) -> String {
        let why =
            switch file.identity {
            case .path, nil: "same path"
            case .fileName: "same file name as '\(file.previous ?? "")'"
            case .firstLines: "same first lines as '\(file.previous ?? "")'"
            }
        let tally = file.annotations
        return "\(file.path): updated in place (\(why)): updated \(file.articlesUpdated), "
            + "added \(file.articlesAdded), removed \(file.articlesRemoved) (to the trash), "
            + "annotations anchored \(tally.anchored) / fuzzy \(tally.fuzzy) / orphaned \(tally.orphaned)"
            + (tally.trashed > 0 ? " / in the trash \(tally.trashed)" : "")
    }

    /// One article of a re-import.
    static func changeLine(_ change: ArticleChange) -> String {
        let head =
            "\(change.kind.rawValue) \(Terminal.yellow(Identifier.short(change.id))) "
            + Terminal.oneLine(Terminal.title(change.title), length: 30)
        let tally = change.annotations
        let kept =
            change.kept.isEmpty
            ? "" : "; your edits of \(change.kept.joined(separator: ", ")) kept over the page's changes"
        switch change.kind {
        case .updated:
            return head
                + " (\(change.fields.joined(separator: ", "))\(kept)): annotations anchored \(tally.anchored) / "
                + "fuzzy \(tally.fuzzy) / orphaned \(tally.orphaned)"
        case .added:
            return head
        case .removed:
            return head + " (to the trash, with \(tally.trashed) annotation\(tally.trashed == 1 ? "" : "s"))"
        case .kept:
            return head + " (\(kept.dropFirst(2)))"
        }
    }
}

// MARK: - JSON

extension JSONShapes {
    /// `kb import --json`.
    static func importReport(_ report: ImportReport) -> [String: Any] {
        [
            "added": report.added,
            "unchanged": report.unchanged,
            "updated": report.updated,
            "failed": report.failed.map { ["path": $0.path, "error": $0.error] },
            "articles": report.articles,
            "skipped": report.skipped,
            "articles_added": report.articlesAdded,
            "articles_updated": report.articlesUpdated,
            "articles_removed": report.articlesRemoved,
            "annotations": annotationTally(report.annotations, review: report.review),
            "files": report.files.map(importFile),
        ]
    }

    static func importFile(_ file: ImportReport.FileResult) -> [String: Any] {
        [
            "path": file.path,
            "status": file.status.rawValue,
            "articles": file.articles,
            "previous": orNull(file.previous),
            "identity": orNull(file.identity?.rawValue),
            "updated": file.articlesUpdated,
            "added": file.articlesAdded,
            "removed": file.articlesRemoved,
            "annotations": annotationTally(file.annotations, review: file.review),
            "changes": file.changes.map { change in
                [
                    "id": change.id,
                    "title": change.title,
                    "change": change.kind.rawValue,
                    "fields": change.fields,
                    "kept": change.kept,
                    "annotations": annotationTally(change.annotations, review: nil),
                ] as [String: Any]
            },
        ]
    }

    /// `{"anchored","fuzzy","orphaned","trashed"}`, with `"review": [{"id","article_id","quote","outcome"}]`.
    static func annotationTally(_ tally: AnnotationTally, review: [AnnotationReview]?) -> [String: Any] {
        var result: [String: Any] = [
            "anchored": tally.anchored, "fuzzy": tally.fuzzy, "orphaned": tally.orphaned, "trashed": tally.trashed,
        ]
        if let review {
            result["review"] = review.map {
                ["id": $0.id, "article_id": $0.articleID, "quote": $0.quote, "outcome": $0.outcome.rawValue]
            }
        }
        return result
    }
}
