import Foundation
import KB

// kb-bench: figures for kb beside its peers. Subcommands are added as benchmarks grow.
let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    FileHandle.standardError.write(Data("usage: kb-bench split-eval CORPUS_DIR\n".utf8))
    exit(64)
}
switch command {
case "split-eval":
    try SplitEvaluation.run(corpus: arguments[1], verbose: arguments.contains("-v"))
case "split-explain":
    print(PageSplitter.explain(try String(contentsOfFile: arguments[1], encoding: .utf8)))
default:
    FileHandle.standardError.write(Data("kb-bench: unknown command '\(command)'\n".utf8))
    exit(64)
}
