import Foundation
import GRDB
import KB

// kb-bench: the in-process measurements of Benchmarks/run.py. Each subcommand prints one JSON object on
// stdout (progress goes to stderr). See Benchmarks/README.md for what each one measures.
let usage = """
    usage: kb-bench COMMAND ...
      import CORPUS_DIR DB_PATH [--peer-db PATH] [--pages N]
      search DB_PATH QUERIES_FILE [--passes N] [--limit N]
      search-variants DB_COPY QUERIES_FILE [--articles N] [--seed S] [--pinyin-queries N] [--passes N]
      reanchor CORPUS_DIR WORK_DIR [--length N] [--annotations N] [--edits N] [--seed S]
      notes DB_PATH [--annotations N] [--runs N] [--seed S]
      reader DB_PATH CORPUS_DIR WORK_DIR [--runs N] [--queries N] [--length N] [--annotations N]
      sync CORPUS_DIR WORK_DIR [--pages N] [--kb PATH] [--per-article N] [--one-change-runs N] [--seed S]
      hub-throughput WORK_DIR [--kb PATH] [--changes N] [--batch N]
      split-eval CORPUS_DIR [-v] [--dump FOUND.jsonl] [--json]
      split-explain PAGE_FILE

    """
let arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
guard let command = arguments.positional.first else {
    FileHandle.standardError.write(Data(usage.utf8))
    exit(64)
}
do {
    switch command {
    case "import": try ImportBenchmark.run(arguments)
    case "search": try SearchBenchmark.run(arguments)
    case "search-variants": try VariantSearchBenchmark.run(arguments)
    case "reanchor": try ReanchorBenchmark.run(arguments)
    case "notes": try NotesBenchmark.run(arguments)
    case "reader": try await ReaderBenchmark.run(arguments)
    case "sql":
        // sql DB_PATH STATEMENT [RUNS]: times a statement (the kb tokenizer is registered).
        let database = try AppDatabase.open(path: try arguments.value(1, "DB_PATH"))
        let sql = try arguments.value(2, "STATEMENT")
        let runs = Int(CommandLine.arguments.count > 4 ? CommandLine.arguments[4] : "5") ?? 5
        var rows = 0
        var times: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            rows = try database.writer.read { db in try Row.fetchAll(db, sql: sql).count }
            let elapsed = ContinuousClock.now - start
            times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        }
        print("{\"rows\": \(rows), \"ms\": \(times.sorted()[times.count / 2])}")
    case "optimize":
        // optimize DB_PATH: merges the full-text index into one segment, timed.
        let database = try AppDatabase.open(path: try arguments.value(1, "DB_PATH"))
        let start = ContinuousClock.now
        try database.writer.write { db in
            try db.execute(sql: "INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
        }
        print("{\"seconds\": \((ContinuousClock.now - start).components.seconds)}")
    case "sync": try await SyncBenchmark.run(arguments)
    case "hub-throughput": try await HubThroughputBenchmark.run(arguments)
    case "split-eval":
        let all = CommandLine.arguments
        let dump = all.firstIndex(of: "--dump").flatMap { $0 + 1 < all.count ? all[$0 + 1] : nil }
        try SplitEvaluation.run(
            corpus: try arguments.value(1, "CORPUS_DIR"), verbose: all.contains("-v"), dump: dump,
            json: all.contains("--json"))
    case "split-explain":
        print(PageSplitter.explain(try String(contentsOfFile: try arguments.value(1, "PAGE_FILE"), encoding: .utf8)))
    default:
        FileHandle.standardError.write(Data("kb-bench: unknown command '\(command)'\n\(usage)".utf8))
        exit(64)
    }
} catch {
    FileHandle.standardError.write(Data("kb-bench \(command): \(error)\n".utf8))
    exit(1)
}
