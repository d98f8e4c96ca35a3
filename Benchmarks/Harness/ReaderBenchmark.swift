import Foundation
import GRDB
import KB
import Reader

/// The reader's answers (`kb open`), in process: what the server spends on each request.
///
/// `kb-bench reader DB_PATH CORPUS_DIR WORK_DIR [--runs 20] [--queries 40] [--length 50000] [--annotations 1000]`
///
/// - the library (`GET /`, `GET /api/library`, `GET /api/facets`) over the import benchmark's knowledge base;
/// - search as you type: `GET /api/search?q=…` for every prefix of the first `--queries` queries;
/// - the reader page (`GET /read/ID`) of a `--length`-character article with `--annotations` highlights,
///   made in `WORK_DIR/reader.sqlite` (left in place for the browser measurement of run.py).
enum ReaderBenchmark {
    struct Result: Encodable {
        var articles: Int
        var libraryPage: Distribution
        var libraryAPI: Distribution
        var facets: Distribution
        var search: Distribution
        var searchRequests: Int
        var readerPage: Distribution
        var readerPageBytes: Int
        var readerAPI: Distribution
        var readerDatabase: String
        var readerArticle: String
        var length: Int
        var annotations: Int
    }

    static func run(_ arguments: Arguments) async throws {
        let path = try arguments.value(1, "DB_PATH")
        let corpus = Corpus(directory: try arguments.value(2, "CORPUS_DIR"))
        let work = try arguments.value(3, "WORK_DIR")
        let runs = arguments.int("runs", default: 20)
        let queryCount = arguments.int("queries", default: 40)
        let length = arguments.int("length", default: 50_000)
        let count = arguments.int("annotations", default: 1000)

        let kb = try KnowledgeBase.open(path: path, mode: .existing)
        let service = ReaderService(kb: kb, port: 1)
        let articles = try Self.liveArticles(kb)
        note("reader: library over \(articles) articles")
        let libraryPage = try await times(service, "/", runs: runs)
        let libraryAPI = try await times(service, "/api/library", runs: runs)
        let facets = try await times(service, "/api/facets", runs: runs)

        var searchTimes: [Double] = []
        for (query, _) in try corpus.queries().prefix(queryCount) {
            var prefix = ""
            for character in query {
                prefix.append(character)
                searchTimes += try await times(service, "/api/search", query: ["q": prefix], runs: 1).samples
            }
        }
        note("reader: \(searchTimes.count) search-as-you-type requests")

        // The long article with its highlights, as the reanchor benchmark builds it.
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let readerPath = work + "/reader.sqlite"
        removeDatabase(at: readerPath)
        let readerKB = try KnowledgeBase.open(path: readerPath)
        var scalars: [UInt32] = []
        for body in try corpus.bodies() where scalars.count < length {
            if !scalars.isEmpty { scalars += [0x0A, 0x0A] }
            scalars += body.unicodeScalars.map(\.value)
        }
        scalars = Array(scalars.prefix(length))
        while let last = scalars.last, last == 0x0A { scalars.removeLast() }
        let text = String(String.UnicodeScalarView(scalars.compactMap { Unicode.Scalar($0) }))
        let article = try readerKB.addArticle(title: "长文阅读基准", body: text)
        var random = SeededGenerator(seed: 5)
        let colors = HighlightColor.named
        var made = 0
        note("reader: \(count) highlights on a \(scalars.count)-character article")
        while made < count {
            let size = Int.random(in: 4...20, using: &random)
            let start = Int.random(in: 0...(scalars.count - size), using: &random)
            if scalars[start..<(start + size)].contains(0x0A) { continue }
            _ = try readerKB.annotate(
                article.id, target: .range(start, start + size), note: made % 5 == 0 ? "**批注** \(made)" : "",
                color: colors[made % colors.count])
            made += 1
        }
        let readerService = ReaderService(kb: readerKB, port: 1)
        let page = try await times(readerService, "/read/\(article.id)", runs: runs)
        let api = try await times(readerService, "/api/articles/\(article.id)", runs: runs)
        try printJSON(
            Result(
                articles: articles, libraryPage: Distribution(libraryPage.samples),
                libraryAPI: Distribution(libraryAPI.samples), facets: Distribution(facets.samples),
                search: Distribution(searchTimes), searchRequests: searchTimes.count,
                readerPage: Distribution(page.samples), readerPageBytes: page.bytes,
                readerAPI: Distribution(api.samples), readerDatabase: readerPath, readerArticle: article.id,
                length: scalars.count, annotations: made))
    }

    /// Live articles.
    static func liveArticles(_ kb: KnowledgeBase) throws -> Int {
        try kb.database.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM articles WHERE deleted = 0") ?? 0
        }
    }

    /// Times `runs` GETs of a path (after one warm-up), in milliseconds; fails on an answer other than 200.
    static func times(_ service: ReaderService, _ path: String, query: [String: String] = [:], runs: Int) async throws
        -> (samples: [Double], bytes: Int)
    {
        let request = ReaderRequest(
            method: "GET", path: path, query: query,
            headers: ["host": "127.0.0.1:1", "cookie": "\(service.cookieName)=\(service.secret)"])
        let warm = await service.respond(request)
        guard warm.status == 200 else { throw BenchError("GET \(path) answered \(warm.status): \(warm.text)") }
        var samples: [Double] = []
        for _ in 0..<runs {
            let (_, seconds) = await Stopwatch.timeAsync { await service.respond(request) }
            samples.append(seconds * 1000)
        }
        return (samples, warm.body.count)
    }
}
