import Foundation
import KB

// kb-bench: figures for kb beside its peers. Subcommands are added as benchmarks grow.
let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    FileHandle.standardError.write(
        Data("usage: kb-bench split-eval CORPUS_DIR [-v] [--dump FILE] | split-explain PAGE\n".utf8))
    exit(64)
}
switch command {
case "split-eval":
    // split-eval CORPUS_DIR [-v] [--dump FOUND.jsonl]
    let dump = arguments.firstIndex(of: "--dump").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
    try SplitEvaluation.run(corpus: arguments[1], verbose: arguments.contains("-v"), dump: dump)
case "split-explain":
    print(PageSplitter.explain(try String(contentsOfFile: arguments[1], encoding: .utf8)))
default:
    FileHandle.standardError.write(Data("kb-bench: unknown command '\(command)'\n".utf8))
    exit(64)
}
