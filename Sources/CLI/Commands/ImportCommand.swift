import ArgumentParser
import Foundation
import KB

/// `--as`: how to read every file.
enum ReadAsOption: String, CaseIterable, ExpressibleByArgument {
    case page, text, markdown

    var readAs: ReadAs {
        switch self {
        case .page: .page
        case .text: .text
        case .markdown: .markdown
        }
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract:
            "Import files and folders: newspaper pages (.txt, .pdf), Markdown (.md), text, or a kb JSON dump.",
        discussion: """
            Folders are read recursively; files other than .txt, .md and .pdf are skipped and listed. \
            A .txt file is read as a newspaper page when it looks like one (hard wraps of nearly equal width, \
            article markers, spaces between CJK characters, blank-line spacing), else as text kept as written; \
            --as forces one. Text in UTF-8, UTF-16 (with a byte-order mark), GB18030/GBK/GB2312 or Big5 is \
            recognized; --encoding names another. A PDF file is read with pdftotext (poppler-utils), one \
            source per page. \
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

    @Option(name: .customLong("as"), help: "Read every file as a newspaper page, text kept as written, or Markdown.")
    var readAs: ReadAsOption?

    @Option(help: "The encoding of the text files (utf-8, gb18030, gbk, big5, utf-16le, … any name 'iconv -l' lists).")
    var encoding: String?

    @Argument(help: "Files and folders.", completion: .file())
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("Give at least one file or folder to import.") }
        if let encoding, encoding.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("'--encoding' needs a name, such as gb18030, big5 or utf-16le.")
        }
        if let encoding, !TextEncoding(name: encoding).isAvailable {
            throw ValidationError(
                "The encoding '\(encoding)' is not known to this system; try utf-8, gb18030, big5, utf-16le, "
                    + "utf-16be, or a name 'iconv -l' lists.")
        }
        if asNew && update {
            throw ValidationError("'--as-new' and '--update' contradict each other; give one of them.")
        }
    }

    func run() throws {
        let kb = try global.openOrCreate()
        let options = ImportOptions(
            mode: asNew ? .asNew : .inPlace, readAs: readAs?.readAs, encoding: encoding.map(TextEncoding.init(name:)))
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
        for line in Self.readAsLines(report) { output.line(line) }
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

    /// How each file was read: a line per file for a few files, else the count of each kind, naming the files
    /// read otherwise than as pages.
    static func readAsLines(_ report: ImportReport) -> [String] {
        let read = report.files.filter { $0.kind != nil }
        guard !read.isEmpty else { return [] }
        if read.count <= 10 {
            return read.map { file in
                var details = [file.kind?.readAsName ?? "text"]
                if let encoding = file.encoding, encoding != .utf8 { details.append(encoding.description) }
                if let pages = file.pages { details.append("\(pages) PDF page\(pages == 1 ? "" : "s")") }
                return "\(file.path): read as \(details.joined(separator: ", ")), \(file.articles) "
                    + "article\(file.articles == 1 ? "" : "s")"
            }
        }
        var counts: [String: [String]] = [:]
        for file in read { counts[file.kind?.readAsName ?? "text", default: []].append(file.path) }
        let parts = counts.keys.sorted().map { name -> String in
            let paths = counts[name] ?? []
            let named =
                name == "page"
                ? "" : " (" + paths.prefix(3).joined(separator: ", ") + (paths.count > 3 ? ", …" : "") + ")"
            return "\(paths.count) as \(name)\(named)"
        }
        return ["Read " + parts.joined(separator: "; ") + "."]
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
            "read_as": orNull(file.kind?.readAsName),
            "encoding": orNull(file.encoding?.description),
            "pages": orNull(file.pages),
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
