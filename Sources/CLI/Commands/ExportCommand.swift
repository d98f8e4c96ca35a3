public import ArgumentParser
import Foundation
public import KB

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export to Markdown (one file per article), W3C Web Annotation JSON-LD, or a full JSON dump.",
        discussion: "A JSON dump can be imported into an empty knowledge base with 'kb import FILE.json'.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "markdown, w3c or json.")
    var format: ExportFormat

    @Option(help: "A folder for markdown (required); a file for w3c and json (default: stdout).", completion: .file())
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
            let files = try kb.exportMarkdown()
            let folder = out ?? "."
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                for file in files {
                    try Data(file.content.utf8).write(
                        to: URL(fileURLWithPath: folder).appendingPathComponent(file.name), options: .atomic)
                }
            } catch {
                throw CLIError("Cannot write to the folder '\(folder)'; check that it is writable.")
            }
            if global.json {
                try Terminal.printJSON(["files": files.count, "out": folder])
            } else {
                print("Wrote \(files.count) file\(files.count == 1 ? "" : "s") to \(folder).")
            }
        case .w3c, .json:
            let text = format == .w3c ? try kb.exportW3C() : try kb.exportJSON()
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
