public import ArgumentParser
import Foundation
public import KB

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract:
            "Export to Markdown (one file per article), W3C Web Annotation JSON-LD, a full JSON dump, CSL-JSON or BibTeX.",
        discussion: """
            A JSON dump can be imported into an empty knowledge base with 'kb import FILE.json'. Markdown export \
            writes only inside --out and keeps a list of its files there (.kb-export.json): exporting again \
            replaces them and removes those of retitled or deleted articles; files you added or edited are \
            never replaced or removed.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "markdown, w3c, json, csl-json or bibtex.")
    var format: ExportFormat

    @Option(help: "A folder for markdown (required); a file for the others (default: stdout).", completion: .file())
    var out: String?

    func validate() throws {
        if format == .markdown && out == nil {
            throw ValidationError("Markdown export writes one file per article; give a folder with --out.")
        }
    }

    func run() throws {
        let kb = try global.open()
        switch format {
        case .markdown:
            let folder = out ?? "."
            let report = try kb.exportMarkdown(to: folder)
            if global.json {
                try Terminal.printJSON(
                    [
                        "files": report.files, "out": folder, "written": report.written.count,
                        "removed": report.removed.count, "kept_edited": report.keptEdited,
                    ] as [String: Any])
            } else {
                print("Wrote \(report.files) file\(report.files == 1 ? "" : "s") to \(folder).")
                if !report.removed.isEmpty {
                    print(
                        "Removed \(report.removed.count) file\(report.removed.count == 1 ? "" : "s") of an earlier export."
                    )
                }
                for name in report.keptEdited {
                    Terminal.printErr("Kept '\(name)': it was edited after kb wrote it, so kb no longer updates it.")
                }
            }
        case .w3c, .json, .cslJSON, .bibtex:
            let text: String
            switch format {
            case .w3c: text = try kb.exportW3C()
            case .cslJSON: text = try Citation.cslJSON(kb.citations())
            case .bibtex: text = Citation.bibtex(try kb.citations())
            default: text = try kb.exportJSON()
            }
            if let out {
                do {
                    try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
                } catch {
                    throw CLIError("Cannot write '\(out)'; check the folder exists and is writable.")
                }
                if !global.json { Terminal.printErr("Wrote \(out).") }
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}
