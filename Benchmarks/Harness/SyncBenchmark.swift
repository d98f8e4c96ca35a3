import Foundation
import GRDB
import KB
import Sync
import ThrowawayPostgres

/// Sync through a real hub: first push and pull, one-change syncs, resumability.
///
/// `kb-bench sync CORPUS_DIR WORK_DIR [--pages N] [--kb PATH] [--per-article 2] [--one-change-runs 50]`
///
/// A hub (`kb serve` on 127.0.0.1, port 0) and replicas using the real `SyncEngine` with `CurlTransport`:
///
/// 1. replica A imports `--pages` pages (default: half the corpus) — the time is the baseline — and
///    annotates each article `--per-article` times;
/// 2. A's first push of everything, then a fresh replica B's first pull, each timed with changes/s. A single
///    `sync` call may stop before the hub's head (it bounds its rounds by changes, pages by bytes), so the
///    pull is `sync` called until one pulls nothing, all of it timed; how far the first call got is reported;
/// 3. one-change syncs: A edits one title and syncs (push), then B syncs (pull), median of the runs;
/// 4. resumability in-process: a fresh replica's first pull cut off (the task fails as if killed) right
///    after receiving the page that crosses half of the hub's log, then run again; the hub sequence
///    numbers of both runs' pages tell which changes were fetched twice;
/// 5. resumability of the process: `kb sync` of a fresh replica killed with SIGKILL once its cursor
///    passes half the log (started again if it ends by itself before), then `kb sync --json` until it
///    pulls nothing more.
enum SyncBenchmark {
    struct Result: Encodable {
        var pages: Int
        var articles: Int
        var annotations: Int
        var changes: Int
        var importSeconds: Double
        var annotateSeconds: Double
        var push: Transfer
        var pull: Transfer
        var pushVsImport: Double
        var pullVsImport: Double
        /// Changes the fresh replica's first `sync` call pulled, and the calls it took to reach the hub's head
        /// (each call is timed in `pull`).
        var firstSyncPulled: Int
        var syncsToComplete: Int
        var replicasEqual: Bool
        var oneChange: OneChange
        var resume: Resume
        var resumeProcess: ResumeProcess?
        var pullPageSize: Int
    }

    struct Transfer: Encodable {
        var seconds: Double
        var changes: Int
        var changesPerSecond: Double
        var requests: Int
    }

    struct OneChange: Encodable {
        var runs: Int
        var push: Distribution
        var pull: Distribution
        /// Edit (local write) and push together.
        var editAndPush: Distribution
    }

    struct Resume: Encodable {
        var head: Int64
        /// Changes the first run had received when it was cut off.
        var firstRunFetched: Int
        var firstRunPages: Int
        /// The cursor the first run left (everything up to it applied).
        var cursorAfterCut: Int64
        var secondRunFetched: Int
        var secondRunPages: Int
        var changesFetchedTwice: Int
        var pagesFetchedTwice: Int
        var complete: Bool
    }

    struct ResumeProcess: Encodable {
        var head: Int64
        /// False when every `kb sync` ended by itself before the cursor passed half of the log.
        var killed: Bool
        /// `kb sync` processes run before the one that was killed.
        var runsBeforeKill: Int
        var cursorAtKill: Int64
        var killedAfterSeconds: Double
        var secondRunPulled: Int
        var secondRunDuplicates: Int
        /// `kb sync` processes run after the kill until one pulled nothing.
        var runsAfterKill: Int
        /// Changes after the cursor, which the second run had to fetch.
        var expected: Int64
        var complete: Bool
    }

    static func run(_ arguments: Arguments) async throws {
        let corpus = Corpus(directory: try arguments.value(1, "CORPUS_DIR"))
        let work = try arguments.value(2, "WORK_DIR")
        let allPages = try corpus.pageFiles()
        let files = Array(allPages.prefix(arguments.int("pages", default: max(1, allPages.count / 2))))
        let perArticle = arguments.int("per-article", default: 2)
        let oneChangeRuns = arguments.int("one-change-runs", default: 50)
        let kbBinary =
            arguments.options["kb"]
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kb")
            .path
        var random = SeededGenerator(seed: UInt64(arguments.int("seed", default: 5)))
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)

        // The hub.
        let hubData = work + "/hub"
        try? FileManager.default.removeItem(atPath: hubData)
        let token = try runProcess(kbBinary, ["serve", "token", "create", "--data", hubData, "--kb", "bench"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let hub = try Hub(kb: kbBinary, data: hubData, log: work + "/hub.log")
        defer { hub.stop() }
        let url = hub.url + "/bench"
        note("sync: hub at \(hub.url)")

        // Replica A: the import (the baseline), then annotations.
        let pathA = work + "/replica-a.sqlite"
        removeDatabase(at: pathA)
        let replicaA = try KnowledgeBase.open(path: pathA)
        note("sync: replica A imports \(files.count) pages")
        let (imported, importSeconds) = try Stopwatch.time { try replicaA.importFiles(files) }
        guard imported.failed.isEmpty else { throw BenchError("import failed: \(imported.failed[0].error)") }
        let articles = try await replicaA.database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, length(body) FROM articles WHERE deleted = 0 ORDER BY rowid")
                .map { (id: $0[0] as String, length: $0[1] as Int) }
        }
        note("sync: replica A annotates \(articles.count) articles \(perArticle) times each")
        let (annotationCount, annotateSeconds) = try Stopwatch.time { () throws -> Int in
            var made = 0
            for (index, article) in articles.enumerated() where article.length >= 8 {
                for round in 0..<perArticle {
                    let size = Int.random(in: 4...min(20, article.length), using: &random)
                    let start = Int.random(in: 0...(article.length - size), using: &random)
                    _ = try replicaA.annotate(
                        article.id, target: .range(start, start + size),
                        note: round == 0 && index % 4 == 0 ? "要点\(index)：回头核对数字。" : "",
                        tags: round == 0 && index % 10 == 0 ? ["待查"] : [])
                    made += 1
                }
            }
            return made
        }
        let changeCount = try await replicaA.database.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes") ?? 0
        }
        _ = try RemoteStore.add(replicaA, name: "hub", url: url, token: token)
        let engineA = SyncEngine(kb: replicaA)

        // First push.
        note("sync: A pushes \(changeCount) changes")
        let (pushed, pushSeconds) = try await Stopwatch.timeAsync { try await engineA.sync(remote: "hub") }

        // First pull by a fresh replica.
        let replicaB = try freshReplica(work + "/replica-b.sqlite", url: url, token: token)
        // `--fts-config automerge=8,…`: FTS5 options on the pulling replica's indexes, to measure them.
        let ftsConfig = try ImportBenchmark.parseFTSConfig(arguments.options["fts-config"] ?? "")
        try ImportBenchmark.setFTSConfig(ftsConfig, on: replicaB)
        try ImportBenchmark.setCacheSize(arguments.options["cache-kib"].flatMap { Int($0) }, on: replicaB)
        let engineB = SyncEngine(kb: replicaB)
        note("sync: B pulls")
        let ((pulled, syncs), pullSeconds) = try await Stopwatch.timeAsync { try await syncToHead(engineB) }
        let equal = try fingerprint(replicaA) == fingerprint(replicaB)

        // One change at a time.
        note("sync: \(oneChangeRuns) one-change syncs")
        var pushTimes: [Double] = []
        var pullTimes: [Double] = []
        var editPushTimes: [Double] = []
        let edited = articles[articles.count / 2].id
        for run in 0..<oneChangeRuns {
            let (_, editSeconds) = try Stopwatch.time {
                try replicaA.editArticle(edited, title: "同步基准标题 \(run)")
            }
            let (report, seconds) = try await Stopwatch.timeAsync { try await engineA.sync(remote: "hub") }
            guard report.pushed >= 1 else { throw BenchError("the one-change sync pushed nothing") }
            pushTimes.append(seconds * 1000)
            editPushTimes.append((seconds + editSeconds) * 1000)
            let (received, pullTime) = try await Stopwatch.timeAsync { try await engineB.sync(remote: "hub") }
            guard received.pulled >= 1 else { throw BenchError("the one-change sync pulled nothing") }
            pullTimes.append(pullTime * 1000)
        }
        let head = try RemoteStore.get(replicaB, name: "hub").cursor

        // Resumability, in process.
        note("sync: resumability (in-process cut at half of \(head))")
        let replicaC = try freshReplica(work + "/replica-c.sqlite", url: url, token: token)
        let firstRecorder = PullRecorder(cutAfter: Int(head / 2))
        let cut = SyncEngine(kb: replicaC, transport: RecordingTransport(recorder: firstRecorder))
        do {
            _ = try await syncToHead(cut)
            note("sync: warning: the pull was not cut off")
        } catch is CutOff {}
        let cursorAfterCut = try RemoteStore.get(replicaC, name: "hub").cursor
        let secondRecorder = PullRecorder(cutAfter: nil)
        _ = try await syncToHead(SyncEngine(kb: replicaC, transport: RecordingTransport(recorder: secondRecorder)))
        let first = firstRecorder.pages.filter { !$0.isEmpty }
        let second = secondRecorder.pages.filter { !$0.isEmpty }
        let firstSet = Set(first.joined())
        let resume = Resume(
            head: head, firstRunFetched: first.joined().count, firstRunPages: first.count,
            cursorAfterCut: cursorAfterCut, secondRunFetched: second.joined().count, secondRunPages: second.count,
            changesFetchedTwice: second.joined().filter { firstSet.contains($0) }.count,
            pagesFetchedTwice: second.filter { $0.contains(where: firstSet.contains) }.count,
            complete: try fingerprint(replicaC) == fingerprint(replicaB))

        // Resumability of the process.
        note("sync: resumability (kb sync killed at half)")
        let resumeProcess = try? killedSync(
            kb: kbBinary, path: work + "/replica-d.sqlite", url: url, token: token, work: work, head: head,
            reference: fingerprint(replicaB))

        try printJSON(
            Result(
                pages: files.count, articles: articles.count, annotations: annotationCount, changes: changeCount,
                importSeconds: importSeconds, annotateSeconds: annotateSeconds,
                push: Transfer(
                    seconds: pushSeconds, changes: pushed.pushed, changesPerSecond: Double(pushed.pushed) / pushSeconds,
                    requests: pushed.requests),
                pull: Transfer(
                    seconds: pullSeconds, changes: pulled.pulled, changesPerSecond: Double(pulled.pulled) / pullSeconds,
                    requests: pulled.requests),
                pushVsImport: pushSeconds / importSeconds, pullVsImport: pullSeconds / importSeconds,
                firstSyncPulled: syncs.first?.pulled ?? 0, syncsToComplete: syncs.filter { $0.pulled > 0 }.count,
                replicasEqual: equal,
                oneChange: OneChange(
                    runs: oneChangeRuns, push: Distribution(pushTimes), pull: Distribution(pullTimes),
                    editAndPush: Distribution(editPushTimes)),
                resume: resume, resumeProcess: resumeProcess, pullPageSize: engineB.pageSize))
    }

    /// Syncs until a call pulls nothing more, since a single `sync` may stop before the hub's head.
    ///
    /// - Returns: The reports summed, and each call's report.
    static func syncToHead(_ engine: SyncEngine) async throws -> (SyncReport, [SyncReport]) {
        var total = SyncReport()
        var reports: [SyncReport] = []
        while true {
            let report = try await engine.sync(remote: "hub")
            reports.append(report)
            total.pushed += report.pushed
            total.pulled += report.pulled
            total.duplicates += report.duplicates
            total.requests += report.requests
            if report.pulled == 0 && report.duplicates == 0 || reports.count >= 100 { return (total, reports) }
        }
    }

    /// An empty knowledge base with the hub as its remote.
    static func freshReplica(_ path: String, url: String, token: String) throws -> KnowledgeBase {
        removeDatabase(at: path)
        let kb = try KnowledgeBase.open(path: path)
        _ = try RemoteStore.add(kb, name: "hub", url: url, token: token)
        return kb
    }

    /// What two converged replicas must agree on: live articles and annotations with their text.
    static func fingerprint(_ kb: KnowledgeBase) throws -> String {
        try kb.database.writer.read { db in
            let articles = try String.fetchAll(
                db, sql: "SELECT id || title || length(body) FROM articles WHERE deleted = 0 ORDER BY id")
            let annotations = try String.fetchAll(
                db,
                sql: "SELECT id || quote || note || COALESCE(start, '') FROM annotations WHERE deleted = 0 ORDER BY id")
            return "\(articles.count)/\(annotations.count)/"
                + Identifier.sha256Hex(Array((articles + annotations).joined(separator: "\n").utf8))
        }
    }

    /// `kb sync` of a fresh replica, killed with SIGKILL once its cursor passes half of the log, then run again
    /// until it pulls nothing more.
    static func killedSync(
        kb: String, path: String, url: String, token: String, work: String, head: Int64, reference: String
    ) throws -> ResumeProcess {
        removeDatabase(at: path)
        let tokenFile = work + "/token"
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        _ = try runProcess(kb, ["remote", "add", "hub", url, "--token-file", tokenFile, "--db", path])
        var configuration = AppDatabase.makeConfiguration()
        configuration.readonly = true
        let reader = try DatabaseQueue(path: path, configuration: configuration)
        func cursor() -> Int64 {
            (try? reader.read { db in try Int64.fetchOne(db, sql: "SELECT cursor FROM remotes") ?? 0 }) ?? 0
        }
        var killed = false
        var runsBeforeKill = 0
        var started = ContinuousClock.now
        // A `kb sync` may end by itself before half of the log: run it again until one is killed.
        while !killed && cursor() < head && runsBeforeKill < 20 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: kb)
            process.arguments = ["sync", "--db", path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            started = ContinuousClock.now
            try process.run()
            while process.isRunning {
                if cursor() >= head / 2 {
                    kill(process.processIdentifier, SIGKILL)
                    killed = true
                    break
                }
                usleep(2000)
            }
            process.waitUntilExit()
            if !killed { runsBeforeKill += 1 }
        }
        let killedAfter = Stopwatch.seconds(ContinuousClock.now - started)
        let cursorAtKill = cursor()
        var pulled = 0
        var duplicates = 0
        var runsAfterKill = 0
        while runsAfterKill < 20 {
            let output = try runProcess(kb, ["sync", "--db", path, "--json"])
            let report = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
            runsAfterKill += 1
            let more = (report["pulled"] as? Int ?? 0) + (report["duplicates"] as? Int ?? 0)
            pulled += report["pulled"] as? Int ?? 0
            duplicates += report["duplicates"] as? Int ?? 0
            if more == 0 { break }
        }
        let replica = try KnowledgeBase.open(path: path)
        return ResumeProcess(
            head: head, killed: killed, runsBeforeKill: runsBeforeKill, cursorAtKill: cursorAtKill,
            killedAfterSeconds: killedAfter, secondRunPulled: pulled, secondRunDuplicates: duplicates,
            runsAfterKill: runsAfterKill, expected: head - cursorAtKill,
            complete: try fingerprint(replica) == reference)
    }
}

// MARK: - Processes

/// Runs a process to completion and returns its stdout; throws when it fails.
func runProcess(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.standardError
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw BenchError("\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }
    return String(decoding: data, as: UTF8.self)
}

/// A `kb serve` process on 127.0.0.1 and a free port.
final class Hub {
    let process: Process
    let url: String

    convenience init(kb: String, data: String, log: String) throws {
        try self.init(kb: kb, store: ["--data", data], log: log)
    }

    /// `store`: `--data DIR` or `--store URL`.
    init(kb: String, store: [String], log: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: kb)
        process.arguments = ["serve", "--listen", "127.0.0.1:0"] + store
        let output = Pipe()
        process.standardOutput = output
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        // The first line: "kb hub listening on http://127.0.0.1:PORT (data …)".
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw BenchError("kb serve exited before listening; see \(log)") }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: #"http://[0-9.]+:[0-9]+"#, options: .regularExpression) else {
            process.terminate()
            throw BenchError("kb serve printed '\(text)', not its address")
        }
        self.process = process
        self.url = String(text[range])
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

// MARK: - A transport that records pulled pages

/// Thrown to cut a pull off, as if the process had been killed after receiving a page.
struct CutOff: Error {}

/// The hub sequence numbers of every pulled page, and where to cut the pull off.
final class PullRecorder: @unchecked Sendable {
    // @unchecked Sendable: `pages` is guarded by `lock`.
    private let lock = NSLock()
    private var recorded: [[Int64]] = []
    let cutAfter: Int?

    init(cutAfter: Int?) { self.cutAfter = cutAfter }

    var pages: [[Int64]] { lock.withLock { recorded } }

    /// Records a page; true when the pull should now be cut off.
    func record(_ sequence: [Int64]) -> Bool {
        lock.withLock {
            recorded.append(sequence)
            guard let cutAfter else { return false }
            return recorded.joined().count >= cutAfter
        }
    }
}

/// The real transport (libcurl, with retries), recording the pages pulled.
struct RecordingTransport: HubTransport {
    let base: any HubTransport = RetryingTransport(CurlTransport())
    let recorder: PullRecorder

    func send(_ request: HubRequest) async throws -> HubResponse {
        let response = try await base.send(request)
        guard request.method == .get, request.url.contains("/changes?"), response.status == 200 else { return response }
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let changes = object?["changes"] as? [[String: Any]] ?? []
        let sequence = changes.compactMap { ($0["hub_seq"] as? NSNumber)?.int64Value }
        if recorder.record(sequence) { throw CutOff() }
        return response
    }
}

// MARK: - Hub throughput: SQLite and PostgreSQL side by side

/// Push and pull throughput of `kb serve` with 1, 4 and 8 concurrent clients, on the SQLite hub
/// (`--data`) and the PostgreSQL hub (`--store`, a throwaway cluster of its own with fsync on), in one run.
///
/// Each client is a replica of its own pushing `--changes` title edits (Chinese text, about 300 bytes of
/// JSON each) in batches of `--batch` through libcurl, then pulling the whole log page by page (1,000 a
/// page). Throughput is changes stored (or served) per second of wall time, all clients together.
enum HubThroughputBenchmark {
    struct Row: Encodable {
        let store: String
        let clients: Int
        let changes: Int
        let pushSeconds: Double
        let pushPerSecond: Double
        let pullSeconds: Double
        let pullPerSecond: Double
    }

    static func run(_ arguments: Arguments) async throws {
        let work = try arguments.value(1, "WORK_DIR")
        let perClient = arguments.int("changes", default: 4000)
        let batch = arguments.int("batch", default: 500)
        let kbBinary =
            arguments.options["kb"]
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kb")
            .path
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        note("hub-throughput: starting a throwaway PostgreSQL cluster")
        let cluster = try ThrowawayPostgres(durable: true)
        let postgresURL = try cluster.newDatabase(prefix: "bench")
        var rows: [Row] = []
        for (store, storeArguments) in [
            ("sqlite", ["--data", work + "/hub"]), ("postgresql", ["--store", postgresURL]),
        ] {
            let hub = try Hub(kb: kbBinary, store: storeArguments, log: work + "/hub-\(store).log")
            defer { hub.stop() }
            for clients in [1, 4, 8] {
                let name = "tp\(clients)"
                let token = try runProcess(kbBinary, ["serve", "token", "create"] + storeArguments + ["--kb", name])
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                let url = hub.url + "/v1/kb/" + name + "/changes"
                let headers = [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")]
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let push = try await Stopwatch.timeAsync {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for client in 0..<clients {
                            group.addTask {
                                let replica = String(
                                    format: "%016llx", 0x5eed_0000_0000_0000 as UInt64 + UInt64(client))
                                let transport = CurlTransport()
                                for start in stride(from: 1, through: perClient, by: batch) {
                                    let changes = (start..<min(start + batch, perClient + 1)).map { seq in
                                        WireChange(
                                            replica: replica, seq: Int64(seq),
                                            hlc: HybridTimestamp(milliseconds: now, counter: 0).rawValue,
                                            entity: "article",
                                            id: String(format: "%024llx", UInt64(client * 1_000_000 + seq)),
                                            field: "title", op: "set",
                                            value: JSONText.string("长三角职工文旅消费 第\(seq)条 非遗传承人同台展示技艺"),
                                            base: [])
                                    }
                                    let response = try await transport.send(
                                        HubRequest(
                                            method: .post, url: url, headers: headers,
                                            body: PushRequest(replica: replica, changes: changes).jsonBytes))
                                    guard response.status == 200 else {
                                        throw BenchError(
                                            "push answered \(response.status): \(String(decoding: response.body, as: UTF8.self))"
                                        )
                                    }
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                let total = perClient * clients
                let pull = try await Stopwatch.timeAsync {
                    try await withThrowingTaskGroup(of: Int.self) { group in
                        for _ in 0..<clients {
                            group.addTask {
                                let transport = CurlTransport()
                                var after: Int64 = 0
                                var received = 0
                                while true {
                                    let response = try await transport.send(
                                        HubRequest(
                                            method: .get, url: url + "?after=\(after)&limit=1000", headers: headers))
                                    guard response.status == 200,
                                        let page = try JSONSerialization.jsonObject(with: Data(response.body))
                                            as? [String: Any],
                                        let next = (page["next"] as? NSNumber)?.int64Value
                                    else { throw BenchError("pull answered \(response.status)") }
                                    received += (page["changes"] as? [Any])?.count ?? 0
                                    if next == after { break }
                                    after = next
                                }
                                return received
                            }
                        }
                        for try await received in group where received != total {
                            throw BenchError("a client pulled \(received) changes of \(total)")
                        }
                    }
                }
                let row = Row(
                    store: store, clients: clients, changes: total, pushSeconds: push.1,
                    pushPerSecond: Double(total) / push.1, pullSeconds: pull.1,
                    pullPerSecond: Double(total * clients) / pull.1)
                note(
                    "hub-throughput: \(store) \(clients) clients: push \(Int(row.pushPerSecond))/s, "
                        + "pull \(Int(row.pullPerSecond))/s")
                rows.append(row)
            }
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(["rows": rows]), as: UTF8.self))
    }
}
