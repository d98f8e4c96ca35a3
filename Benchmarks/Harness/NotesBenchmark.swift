import Foundation
import GRDB
import KB

/// Listing every annotation of a large knowledge base.
///
/// `kb-bench notes DB_PATH [--annotations 100000] [--runs 5] [--seed 11]`
///
/// Brings a knowledge base that holds articles (a copy of the import benchmark's) to `--annotations`
/// annotations through `KnowledgeBase.annotate` (quotes of 4–20 characters at random places of random
/// articles, one in ten with a note, one in twenty with a tag), then times `notes()` listing them all.
/// The database is left in place for the process-level `kb notes --json` measurement of run.py.
enum NotesBenchmark {
    struct Result: Encodable {
        var database: String
        var articles: Int
        var annotations: Int
        var created: Int
        var createSeconds: Double
        var annotationsPerSecond: Double
        var listed: Int
        /// The first call, then `runs` more.
        var firstMs: Double
        var runsMs: [Double]
        var medianMs: Double
        var minMs: Double
    }

    static func run(_ arguments: Arguments) throws {
        let path = try arguments.value(1, "DB_PATH")
        let wanted = arguments.int("annotations", default: 100_000)
        let runs = arguments.int("runs", default: 5)
        var random = SeededGenerator(seed: UInt64(arguments.int("seed", default: 11)))
        let kb = try KnowledgeBase.open(path: path)
        let (articles, existing) = try kb.database.writer.read { db in
            (
                try Row.fetchAll(
                    db,
                    sql: "SELECT id, length(body) FROM articles WHERE deleted = 0 AND length(body) >= 24 ORDER BY id"
                ).map { (id: $0[0] as String, length: $0[1] as Int) },
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM annotations WHERE deleted = 0") ?? 0
            )
        }
        guard !articles.isEmpty else { throw BenchError("the knowledge base at \(path) has no articles") }

        let toCreate = max(0, wanted - existing)
        note("notes: creating \(toCreate) annotations over \(articles.count) articles")
        let (_, createSeconds) = try Stopwatch.time {
            for index in 0..<toCreate {
                let article = articles[Int.random(in: 0..<articles.count, using: &random)]
                let size = Int.random(in: 4...20, using: &random)
                let start = Int.random(in: 0...(article.length - size), using: &random)
                _ = try kb.annotate(
                    article.id, target: .range(start, start + size),
                    note: index % 10 == 0 ? "批注\(index)：这一段值得再读，和前文对照。" : "",
                    tags: index % 20 == 0 ? ["bench"] : [])
                if index % 10_000 == 9_999 { note("notes: \(index + 1) created") }
            }
        }

        note("notes: listing")
        let (first, firstSeconds) = try Stopwatch.time { try kb.notes() }
        var times: [Double] = []
        for _ in 0..<runs {
            let (_, seconds) = try Stopwatch.time { try kb.notes() }
            times.append(seconds * 1000)
        }
        try printJSON(
            Result(
                database: path, articles: articles.count, annotations: existing + toCreate, created: toCreate,
                createSeconds: createSeconds, annotationsPerSecond: Double(toCreate) / max(createSeconds, 1e-9),
                listed: first.count, firstMs: firstSeconds * 1000, runsMs: times, medianMs: median(times),
                minMs: times.min() ?? 0))
    }
}
