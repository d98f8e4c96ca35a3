import Foundation

// Shared helpers of kb-bench: timing, statistics, a seeded random generator, the corpus files, JSON output.

/// Measures wall time with the monotonic clock.
enum Stopwatch {
    /// Runs `body` and returns its result with the elapsed seconds.
    static func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = ContinuousClock.now
        let result = try body()
        return (result, seconds(ContinuousClock.now - start))
    }

    /// Runs an async `body` and returns its result with the elapsed seconds.
    static func timeAsync<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
        let start = ContinuousClock.now
        let result = try await body()
        return (result, seconds(ContinuousClock.now - start))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Order statistics of a sample of durations, in milliseconds.
struct Distribution: Codable {
    var count: Int
    var mean: Double
    var p50: Double
    var p95: Double
    var p99: Double
    var max: Double

    /// - Parameter milliseconds: The sample; may be empty (all figures 0).
    init(_ milliseconds: [Double]) {
        let sorted = milliseconds.sorted()
        count = sorted.count
        mean = sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count)
        p50 = Self.percentile(sorted, 0.50)
        p95 = Self.percentile(sorted, 0.95)
        p99 = Self.percentile(sorted, 0.99)
        max = sorted.last ?? 0
    }

    /// The nearest-rank percentile of a sorted sample.
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank - 1))]
    }
}

/// The median of a sample (0 when empty).
func median(_ values: [Double]) -> Double {
    Distribution.percentile(values.sorted(), 0.5)
}

/// SplitMix64: a small, fast, seeded generator, so every run builds the same data.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The files of a corpus written by `Benchmarks/corpus/gen_pages.py`.
struct Corpus {
    let directory: String

    var pagesDirectory: String { directory + "/pages" }

    /// The page files in name order (the order `kb import` reads a folder in), as full paths.
    func pageFiles(limit: Int? = nil) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: pagesDirectory)
            .filter { $0.hasSuffix(".txt") }.sorted()
        return names.prefix(limit ?? names.count).map { pagesDirectory + "/" + $0 }
    }

    /// Total size of files in bytes.
    static func bytes(of files: [String]) -> Int {
        files.reduce(0) { sum, path in
            sum + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
    }

    /// One item of a page in truth.jsonl (fields with whitespace removed).
    struct TruthItem: Decodable {
        let kind: String
        let title: String
        let body: String
    }

    struct TruthPage: Decodable {
        let page: String
        let items: [TruthItem]
    }

    /// The ground truth, page by page.
    func truth() throws -> [TruthPage] {
        let text = try String(contentsOfFile: directory + "/truth.jsonl", encoding: .utf8)
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").map { try decoder.decode(TruthPage.self, from: Data($0.utf8)) }
    }

    /// Queries with their category, from queries.tsv (or queries.txt, category "all").
    func queries(file: String? = nil) throws -> [(query: String, category: String)] {
        let path = file ?? directory + "/queries.tsv"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            let query = String(parts[0]).trimmingCharacters(in: .whitespaces)
            guard !query.isEmpty else { return nil }
            return (query, parts.count > 1 ? String(parts[1]) : "all")
        }
    }

    /// Body text of the corpus's items (bodies only, in page order), for building long articles.
    func bodies() throws -> [String] {
        try truth().flatMap { $0.items.filter { $0.kind == "article" }.map(\.body) }
    }
}

/// Writes a result as JSON on stdout (the form run.py reads).
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    let data = try encoder.encode(value)
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}

/// A progress line on stderr (stdout is the JSON result).
func note(_ message: String) {
    FileHandle.standardError.write(Data("kb-bench: \(message)\n".utf8))
}

/// Removes a database file with its WAL and shared-memory companions.
func removeDatabase(at path: String) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        try? FileManager.default.removeItem(atPath: path + suffix)
    }
}

/// A failure of the harness itself (bad arguments, a peer that could not run).
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Command-line arguments: positional values and `--name value` options.
struct Arguments {
    var positional: [String] = []
    var options: [String: String] = [:]

    init(_ arguments: [String]) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument.hasPrefix("--") {
                let name = String(argument.dropFirst(2))
                if index + 1 < arguments.count && !arguments[index + 1].hasPrefix("--") {
                    options[name] = arguments[index + 1]
                    index += 2
                } else {
                    options[name] = ""
                    index += 1
                }
            } else {
                positional.append(argument)
                index += 1
            }
        }
    }

    func value(_ index: Int, _ what: String) throws -> String {
        guard index < positional.count else { throw BenchError("missing argument \(what)") }
        return positional[index]
    }

    func int(_ name: String, default value: Int) -> Int {
        options[name].flatMap { Int($0) } ?? value
    }
}
