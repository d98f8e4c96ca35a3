import Foundation
@_exported import KBTestSupport
import Synchronization
import Testing

// End-to-end helpers: run the built `kb` and a hub (`kb serve`) as real processes,
// capture what they print, and never leave one behind.

// MARK: - Locating things

/// Where the built binaries and the test fixtures are.
enum TestPaths {
    /// The `kb` executable built by `swift build --build-tests`, or nil.
    static let kbBinary: URL? = locateKB()

    /// The `kb` executable; fails the test with a clear message when it was not built.
    static func kb() throws -> URL {
        try #require(
            kbBinary,
            """
            The kb executable was not found next to the test bundle (\(Bundle.main.bundleURL.path)) \
            nor in .build/debug of the package; build it with 'swift build --build-tests', or set KB_BINARY.
            """)
    }

    /// `Tests/CLITests/Fixtures` as copied into the test bundle's resources.
    static func fixtures() throws -> URL {
        let url = try #require(
            Bundle.module.url(forResource: "Fixtures", withExtension: nil),
            "The Fixtures folder is missing from the CLITests resources; check Package.swift.")
        return url
    }

    /// A fixture file's URL, failing clearly when it is missing.
    static func fixture(_ name: String) throws -> URL {
        let url = try fixtures().appendingPathComponent(name)
        try #require(FileManager.default.fileExists(atPath: url.path), "The fixture '\(name)' is missing.")
        return url
    }

    /// python3, or a clear failure.
    static func python3() throws -> URL {
        // The first on PATH, as a shell would pick it (the one 'make deps' installed jsonschema into).
        let candidates =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
            + ["/usr/bin/python3", "/usr/local/bin/python3"]
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
        return try #require(
            found.map { URL(fileURLWithPath: $0) },
            "python3 is needed by the end-to-end tests and was not found on PATH.")
    }

    private static func locateKB() -> URL? {
        let fileManager = FileManager.default
        var candidates: [URL] = []
        if let path = ProcessInfo.processInfo.environment["KB_BINARY"], !path.isEmpty {
            candidates.append(URL(fileURLWithPath: path))
        }
        // The test bundle sits in the build folder next to the products (on Linux it is the
        // runner itself; on macOS a .xctest bundle whose parent is that folder).
        let bundle = Bundle.main.bundleURL
        candidates.append(bundle.appendingPathComponent("kb"))
        candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("kb"))
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("kb"))
        }
        // The package's own .build folder, found from this source file.
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/" {
            if fileManager.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                candidates.append(folder.appendingPathComponent(".build/debug/kb"))
                break
            }
            folder.deleteLastPathComponent()
        }
        return candidates.first { url in
            var isDirectory: ObjCBool = false
            return fileManager.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
                && fileManager.isExecutableFile(atPath: url.path)
        }
    }
}

// MARK: - Child process bookkeeping

/// Every child process still running, so that none outlives the test process.
enum ChildProcesses {
    private static let running = Mutex<Set<Int32>>([])
    private static let installed = Mutex(false)

    static func add(_ pid: Int32) {
        installed.withLock { done in
            if !done {
                done = true
                atexit { ChildProcesses.killAll() }
            }
        }
        running.withLock { _ = $0.insert(pid) }
    }

    static func remove(_ pid: Int32) {
        running.withLock { _ = $0.remove(pid) }
    }

    /// SIGKILLs every child still running (at exit).
    static func killAll() {
        for pid in running.withLock({ $0 }) { kill(pid, SIGKILL) }
    }
}

/// Bytes read from a child's stdout or stderr by a thread of its own, as they arrive.
final class StreamCollector: Sendable {
    private struct State {
        var data = Data()
        var isClosed = false
    }

    private let state = Mutex(State())
    private let condition = NSCondition()

    /// Starts reading `handle` until end of file on a thread of its own.
    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            // read(2) itself, not `availableData`, which traps on any error (EINTR, a bad descriptor).
            let descriptor = handle.fileDescriptor
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                condition.lock()
                state.withLock { state in
                    if count > 0 { state.data.append(contentsOf: buffer[0..<count]) } else { state.isClosed = true }
                }
                condition.broadcast()
                condition.unlock()
                if count <= 0 { break }
            }
            try? handle.close()
        }
        thread.start()
    }

    var data: Data { state.withLock { $0.data } }
    var text: String { String(decoding: data, as: UTF8.self) }
    var isClosed: Bool { state.withLock { $0.isClosed } }

    /// Waits until the stream is closed (the writer exited) or the deadline passes.
    @discardableResult
    func waitClosed(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !isClosed {
            if !condition.wait(until: deadline) { return isClosed }
        }
        return true
    }

    /// Waits until the text read so far satisfies `predicate`; returns its value, or nil at the deadline
    /// or when the stream closed without it.
    func wait<T>(until deadline: Date, _ predicate: (String) -> T?) -> T? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value = predicate(text) { return value }
            if isClosed { return nil }
            if !condition.wait(until: deadline) { return predicate(text) }
        }
    }
}

// MARK: - Running a process

/// What a finished process printed and how it ended.
struct ProcessResult: Sendable, CustomStringConvertible {
    var command: String
    /// The exit status, or the signal number when `wasSignaled`.
    var status: Int32
    var wasSignaled: Bool
    var timedOut: Bool
    var stdoutData: Data
    var stderr: String

    var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    /// Non-empty lines of stderr.
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
    /// True when the process exited by itself with status 0.
    var succeeded: Bool { !wasSignaled && status == 0 }

    /// The exit code; -1 when killed by a signal.
    var exitCode: Int32 { wasSignaled ? -1 : status }

    /// True when stderr is one error sentence: `kb: …` on one line, or, for a usage error found by the
    /// argument parser (exit 64), `Error: …` followed only by its usage lines.
    var hasOneSentenceError: Bool {
        let lines = stderrLines
        guard let first = lines.first else { return false }
        if first.hasPrefix("kb: ") { return lines.count == 1 && first.hasSuffix(".") }
        guard first.hasPrefix("Error: "), exitCode == 64 else { return false }
        return lines.dropFirst().allSatisfy { $0.hasPrefix("Usage: ") || $0.hasPrefix("Help: ") || $0.hasPrefix("  ") }
    }

    /// Stdout as a JSON object, or nil (recording nothing).
    var parsedObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: stdoutData)) as? [String: Any]
    }

    /// Stdout parsed as JSON.
    func json() throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: stdoutData, options: [.fragmentsAllowed])
        } catch {
            Issue.record("stdout of \(command) is not JSON:\n\(self)")
            throw error
        }
    }

    /// Stdout parsed as a JSON object.
    func object() throws -> [String: Any] {
        try #require(try json() as? [String: Any], "stdout is not a JSON object:\n\(self)")
    }

    /// Stdout parsed as a JSON array of objects.
    func array() throws -> [[String: Any]] {
        try #require(try json() as? [[String: Any]], "stdout is not a JSON array of objects:\n\(self)")
    }

    var description: String {
        let how = timedOut ? "timed out" : wasSignaled ? "killed by signal \(status)" : "exit \(status)"
        return "$ \(command)\n→ \(how)\n--- stdout\n\(stdout.prefix(4000))\n--- stderr\n\(stderr.prefix(4000))"
    }
}

/// A child process whose output is collected as it comes; stopped and reaped when dropped.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `process` is a Foundation Process, not Sendable; it is only touched under `lock`
    // after launch (signals, status), and the collectors are Sendable.
    private let process: Process
    private let lock = NSLock()
    private let exited = DispatchSemaphore(value: 0)
    private let outcome = Mutex<(status: Int32, signaled: Bool)?>(nil)
    let stdout: StreamCollector
    let stderr: StreamCollector
    let command: String
    let pid: Int32

    /// Launches `executable` with `arguments`.
    ///
    /// - Parameters:
    ///   - executable: The program.
    ///   - arguments: Its arguments.
    ///   - environment: The whole environment of the child.
    ///   - stdin: Bytes written to its stdin, which is then closed; nil gives it /dev/null.
    ///   - directory: Its working directory; nil for the test's.
    /// - Throws: When the program cannot be launched.
    init(
        _ executable: URL, _ arguments: [String], environment: [String: String], stdin: Data? = nil,
        directory: URL? = nil
    ) throws {
        let process = Process()
        process.executableURL = executable
        if let directory { process.currentDirectoryURL = directory }
        process.arguments = arguments
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = stdin.map { _ in Pipe() }
        process.standardInput = input ?? FileHandle.nullDevice
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        command = ([executable.lastPathComponent] + arguments).map(Self.quoted).joined(separator: " ")
        try Self.launch(process)
        self.process = process
        pid = process.processIdentifier
        ChildProcesses.add(pid)
        // The parent's copies of the write ends must close, or reading never sees end of file.
        try? out.fileHandleForWriting.close()
        try? err.fileHandleForWriting.close()
        self.stdout = StreamCollector(out.fileHandleForReading)
        self.stderr = StreamCollector(err.fileHandleForReading)
        if let input, let stdin {
            try? input.fileHandleForReading.close()
            let writer = input.fileHandleForWriting
            Thread {
                try? writer.write(contentsOf: stdin)
                try? writer.close()
            }.start()
        }
    }

    /// A process handed to the thread that launches it.
    private final class Launch: @unchecked Sendable {
        // @unchecked: written by the launching thread before it signals `done`, read after the wait.
        let process: Process
        var error: (any Error)?
        let done = DispatchSemaphore(value: 0)
        init(_ process: Process) { self.process = process }
    }

    /// Launches the process from a thread with no blocked signals.
    ///
    /// A child inherits the signal mask of the thread that spawns it, and the threads that run tests
    /// (dispatch workers) block nearly every signal: a child started from one of them never sees SIGTERM
    /// or SIGUSR1 unless it unblocks them itself (Python does not), as a child of a shell would.
    private static func launch(_ process: Process) throws {
        let launch = Launch(process)
        let thread = Thread {
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            do { try launch.process.run() } catch { launch.error = error }
            launch.done.signal()
        }
        thread.start()
        launch.done.wait()
        if let error = launch.error { throw error }
    }

    static func quoted(_ argument: String) -> String {
        argument.isEmpty || argument.contains(where: { " \"'$\\\n".contains($0) })
            ? "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'" : argument
    }

    var isRunning: Bool { lock.withLock { process.isRunning } && ended() == nil }

    /// Sends a signal (if the process still runs).
    func signal(_ number: Int32) {
        lock.withLock {
            if process.isRunning && ended() == nil { kill(pid, number) }
        }
    }

    /// How the process ended, once it has: (status or signal, signaled).
    ///
    /// Foundation learns of an exit only when every copy of a socket it gives the child is closed, so a
    /// grandchild that outlives the child (a hub started by `kb serve`) hides the exit from it, and
    /// `terminationStatus` would then trap. The exit is read here from the kernel instead, with
    /// `WNOWAIT`, which leaves the child for Foundation to reap.
    private func ended() -> (status: Int32, signaled: Bool)? {
        if let outcome = outcome.withLock({ $0 }) { return outcome }
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT | WNOHANG) == 0, info._sifields._sigchld.si_pid == pid
        else {
            return nil
        }
        let code = Int32(info.si_code)
        let status = info._sifields._sigchld.si_status
        let result = (status: status, signaled: code == CLD_KILLED || code == CLD_DUMPED)
        outcome.withLock { $0 = result }
        return result
    }

    /// Waits for the process to exit; returns false at the deadline.
    @discardableResult
    func waitForExit(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while ended() == nil {
            if exited.wait(timeout: .now() + 0.05) == .success {
                exited.signal()  // let later waits return at once
                process.waitUntilExit()  // Foundation has seen the exit: its status is final
                break
            }
            if Date() >= deadline { return false }
        }
        ChildProcesses.remove(pid)
        return true
    }

    /// Waits for the exit and for both streams, then returns the result; kills the process after `timeout`.
    func finish(timeout: TimeInterval) -> ProcessResult {
        var timedOut = false
        if !waitForExit(timeout: timeout) {
            timedOut = true
            signal(SIGKILL)
            waitForExit(timeout: 30)
        }
        // Normally the streams close with the process; a grandchild holding them cannot stall us.
        let deadline = Date().addingTimeInterval(5)
        stdout.waitClosed(until: deadline)
        stderr.waitClosed(until: deadline)
        let (status, signaled) =
            ended()
            ?? lock.withLock {
                process.isRunning
                    ? (SIGKILL, true) : (process.terminationStatus, process.terminationReason == .uncaughtSignal)
            }
        return ProcessResult(
            command: command, status: status, wasSignaled: signaled, timedOut: timedOut, stdoutData: stdout.data,
            stderr: stderr.text)
    }

    deinit {
        if process.isRunning && ended() == nil {
            kill(pid, SIGKILL)
            waitForExit(timeout: 30)
        }
        ChildProcesses.remove(pid)
    }
}

// MARK: - kb

/// Runs the built `kb`.
enum KBRunner {
    /// The environment every `kb` runs with: the test's, without settings that would change what
    /// kb does (database, token, clock, color, proxies), plus `extra`.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in [
            "KB_DB", "KB_TOKEN", "KB_CLOCK_OFFSET_MS", "NO_COLOR", "COLORTERM", "http_proxy", "https_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
        ] {
            environment[name] = nil
        }
        environment["NO_PROXY"] = "127.0.0.1,localhost"
        environment["no_proxy"] = "127.0.0.1,localhost"
        // Never the user's own knowledge base, even when a test forgets --db.
        environment["XDG_DATA_HOME"] =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("kb-e2e-xdg-\(ProcessInfo.processInfo.processIdentifier)").path
        environment["TERM"] = "xterm-256color"
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// Runs `kb arguments` to the end and returns what it printed.
    static func run(
        _ arguments: [String], environment extra: [String: String] = [:], stdin: Data? = nil,
        timeout: TimeInterval = 90, directory: URL? = nil
    ) throws -> ProcessResult {
        try start(arguments, environment: extra, stdin: stdin, directory: directory).finish(timeout: timeout)
    }

    /// Starts `kb arguments` without waiting for it.
    static func start(
        _ arguments: [String], environment extra: [String: String] = [:], stdin: Data? = nil, directory: URL? = nil
    ) throws -> ChildProcess {
        try ChildProcess(TestPaths.kb(), arguments, environment: environment(extra), stdin: stdin, directory: directory)
    }
}

/// One knowledge base file, with the environment its `kb` runs with.
struct Replica: Sendable {
    let name: String
    let dbPath: String
    /// Extra environment (a clock offset, a token).
    var environment: [String: String] = [:]
    /// The folder of the file, kept as long as the replica is used.
    let folder: TemporaryFolder

    init(_ name: String, in folder: TemporaryFolder, environment: [String: String] = [:]) {
        self.name = name
        self.folder = folder
        dbPath = folder.path("\(name).sqlite")
        self.environment = environment
    }

    /// Runs `kb` on this knowledge base (through KB_DB, which every command honours).
    func run(
        _ arguments: [String], stdin: Data? = nil, environment extra: [String: String] = [:],
        timeout: TimeInterval = 90, directory: URL? = nil
    ) throws -> ProcessResult {
        try KBRunner.run(
            arguments, environment: environment.merging(extra) { $1 }.merging(["KB_DB": dbPath]) { $1 }, stdin: stdin,
            timeout: timeout, directory: directory)
    }

    /// Starts `kb` on this knowledge base without waiting.
    func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> ChildProcess {
        try KBRunner.start(arguments, environment: environment.merging(extra) { $1 }.merging(["KB_DB": dbPath]) { $1 })
    }

    /// Runs `kb` on a terminal: a pseudo-terminal made by util-linux `script`, which copies what kb
    /// prints there to its stdout (with `\r\n` line ends).
    func runOnTerminal(_ arguments: [String], environment extra: [String: String] = [:]) throws -> ProcessResult {
        let script = URL(fileURLWithPath: "/usr/bin/script")
        try #require(
            FileManager.default.isExecutableFile(atPath: script.path),
            "util-linux 'script' is needed to give kb a terminal")
        let command = ([try TestPaths.kb().path] + arguments).map {
            "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
        let child = try ChildProcess(
            script, ["-qec", command, "/dev/null"],
            environment: KBRunner.environment(environment.merging(extra) { $1 }.merging(["KB_DB": dbPath]) { $1 }))
        return child.finish(timeout: 60)
    }

    /// Runs `kb`, expecting exit 0 and nothing alarming on stderr; returns the result.
    @discardableResult
    func ok(_ arguments: [String], stdin: Data? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> ProcessResult
    {
        let result = try run(arguments, stdin: stdin)
        try #require(
            result.succeeded, "kb \(arguments.joined(separator: " ")) failed on \(name):\n\(result)",
            sourceLocation: sourceLocation)
        return result
    }

    /// `kb ARGS --json` parsed as an object (exit 0 expected).
    func object(_ arguments: [String], stdin: Data? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> [String: Any]
    {
        try ok(arguments + ["--json"], stdin: stdin, sourceLocation: sourceLocation).object()
    }

    /// `kb ARGS --json` parsed as an array of objects (exit 0 expected).
    func array(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        try ok(arguments + ["--json"], sourceLocation: sourceLocation).array()
    }

    /// `kb status --json`.
    func status(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try object(["status"], sourceLocation: sourceLocation)
    }

    /// The content digest from `kb status --json`.
    func digest(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(try status(sourceLocation: sourceLocation)["digest"] as? String, sourceLocation: sourceLocation)
    }

    /// Ids of the open conflicts, sorted.
    func conflictIDs(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        try array(["conflicts"], sourceLocation: sourceLocation).compactMap { $0["id"] as? String }.sorted()
    }

    /// Article ids from `kb list --json`, sorted.
    func articleIDs(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        try array(["list"], sourceLocation: sourceLocation).compactMap { $0["id"] as? String }.sorted()
    }

    /// `kb sync --json`: the result, whatever the exit code.
    func sync(environment extra: [String: String] = [:]) throws -> ProcessResult {
        try run(["sync", "--json"], environment: extra)
    }

    /// Adds the remote `origin`.
    func addRemote(_ url: String, tokenFile: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try ok(["remote", "add", "origin", url, "--token-file", tokenFile], sourceLocation: sourceLocation)
    }
}

// MARK: - The hub

/// A `kb serve` process on 127.0.0.1 with its own data folder.
///
/// ```swift
/// let hub = try Hub()                  // port 0: the first stdout line says which port
/// let token = try hub.makeToken(kb: "notes")
/// try hub.kill(); try hub.start()      // SIGKILL, then the same data and port again
/// #expect(try hub.stop().succeeded)    // SIGTERM: a clean exit with status 0
/// ```
final class Hub: @unchecked Sendable {
    // @unchecked: `process` and `port` are touched only from the test that owns the hub (one thread at a time).
    let folder: TemporaryFolder
    private(set) var port: Int = 0
    private(set) var process: ChildProcess?
    /// What earlier runs printed on stderr (for diagnostics).
    private(set) var earlierLogs = ""

    /// Options given to every start (limits, TLS files).
    let options: [String]
    /// A PostgreSQL URL given with `--store` instead of the data folder.
    let storeURL: String?
    /// `--data DIR` or `--store URL`, for `kb serve` and its token commands.
    var storeArguments: [String] { storeURL.map { ["--store", $0] } ?? ["--data", dataPath] }
    /// `https` when the hub serves TLS (`--tls-cert` among the options).
    var scheme: String { options.contains("--tls-cert") ? "https" : "http" }

    /// Creates the data folder and starts the hub on a free port, with `options` added to `kb serve`.
    init(options: [String] = [], store storeURL: String? = nil, port: Int = 0) throws {
        folder = try TemporaryFolder("kb-hub")
        self.options = options
        self.storeURL = storeURL
        self.port = port
        try start()
    }

    var dataPath: String { folder.path("data") }
    var baseURL: String { "\(scheme)://127.0.0.1:\(port)" }

    /// The URL of a knowledge base on this hub.
    func url(_ kb: String) -> String { "\(baseURL)/\(kb)" }

    /// Starts `kb serve`: on a free port the first time, on the same port after a stop or kill.
    func start() throws {
        precondition(process == nil || process?.isRunning == false, "the hub is already running")
        if let process { earlierLogs += process.stderr.text }
        var lastFailure = ""
        for attempt in 1...20 {
            let child = try KBRunner.start(["serve", "--listen", "127.0.0.1:\(port)"] + storeArguments + options)
            let deadline = Date().addingTimeInterval(60)
            let line = child.stdout.wait(until: deadline) { text in
                text.firstIndex(of: "\n").map { String(text[..<$0]) }
            }
            if let line, let found = Self.port(fromFirstLine: line) {
                let place = storeURL == nil ? "data \(dataPath)" : "store postgresql://"
                #expect(
                    line.hasPrefix("kb hub listening on \(scheme)://127.0.0.1:\(found) (\(place)"),
                    "unexpected first line of kb serve: \(line)")
                if port != 0 { #expect(found == port, "the hub came back on another port") }
                port = found
                process = child
                return
            }
            // The old port may still be held for a moment after a kill: try again.
            child.signal(SIGKILL)
            let result = child.finish(timeout: 10)
            lastFailure = "attempt \(attempt): first line \(line ?? "(none)")\n\(result)"
            Thread.sleep(forTimeInterval: 0.25)
        }
        Issue.record("kb serve did not start:\n\(lastFailure)")
        throw HubError.notStarted
    }

    enum HubError: Error { case notStarted }

    /// The port in `kb hub listening on http://127.0.0.1:PORT (data DIR)` (or `https://`).
    static func port(fromFirstLine line: String) -> Int? {
        for prefix in ["kb hub listening on http://127.0.0.1:", "kb hub listening on https://127.0.0.1:"]
        where line.hasPrefix(prefix) {
            return Int(line.dropFirst(prefix.count).prefix { $0.isNumber })
        }
        return nil
    }

    /// The hub's peak resident memory (`VmHWM` of /proc/PID/status), in KiB.
    func peakMemoryKiB() throws -> Int {
        let pid = try #require(process?.pid)
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }

    /// Stops the hub with SIGTERM and returns how it ended (it should exit 0 by itself).
    @discardableResult
    func stop(timeout: TimeInterval = 30) -> ProcessResult? {
        guard let process else { return nil }
        process.signal(SIGTERM)
        let result = process.finish(timeout: timeout)
        return result
    }

    /// Kills the hub with SIGKILL, as a crash or a power cut would.
    func kill() {
        guard let process else { return }
        process.signal(SIGKILL)
        _ = process.finish(timeout: 30)
    }

    var isRunning: Bool { process?.isRunning ?? false }

    /// Logs of this run and the earlier ones.
    var logs: String { earlierLogs + (process?.stderr.text ?? "") }

    /// `kb serve token create --data DIR --kb NAME`: the token alone on stdout.
    func makeToken(kb: String) throws -> String {
        let result = try KBRunner.run(["serve", "token", "create"] + storeArguments + ["--kb", kb])
        try #require(result.succeeded, "kb serve token create failed:\n\(result)")
        let token = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(result.stdout == token + "\n", "the token is not alone on stdout: \(result.stdout)")
        #expect(!token.isEmpty && !token.contains(where: \.isWhitespace))
        return token
    }

    /// Writes a new token for `kb` into a file of the hub's folder and returns the path.
    func makeTokenFile(kb: String) throws -> String {
        try folder.write("token-\(kb)-\(UUID().uuidString.prefix(6))", try makeToken(kb: kb) + "\n")
    }

    deinit {
        if let process, process.isRunning {
            process.signal(SIGKILL)
            _ = process.finish(timeout: 30)
        }
    }
}

// MARK: - Raw sockets

/// A TCP connection to a port on a loopback address, for what an HTTP client would not do: stay idle,
/// send headers without their body, hold many connections.
///
/// ```swift
/// let socket = try LoopbackSocket(port: hub.port)            // from 127.0.0.1
/// try socket.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
/// let answer = socket.receive(until: Date().addingTimeInterval(5))
/// ```
final class LoopbackSocket: @unchecked Sendable {
    // @unchecked: the descriptor is used by the one test that owns the socket.
    private var descriptor: Int32

    /// Connects to 127.0.0.1:`port` from `source` (any 127.x.y.z address; each is a different client).
    init(port: Int, from source: String = "127.0.0.1") throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError(step: "socket", code: errno) }
        var local = Self.address(source, port: 0)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close()
            throw SocketError(step: "bind", code: code)
        }
        var remote = Self.address("127.0.0.1", port: port)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            close()
            throw SocketError(step: "connect", code: code)
        }
    }

    struct SocketError: Error, CustomStringConvertible {
        let step: String
        let code: Int32
        var description: String { "\(step) failed: \(String(cString: strerror(code)))" }
    }

    private static func address(_ text: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, text, &address.sin_addr)
        return address
    }

    /// Sends every byte (or throws when the connection is gone).
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw SocketError(step: "send", code: errno) }
            offset += sent
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// What arrives until the peer closes, `deadline` passes, or `enough` says the bytes so far suffice;
    /// with whether the peer closed.
    func receive(until deadline: Date, enough: ([UInt8]) -> Bool = { _ in false }) -> (bytes: [UInt8], closed: Bool) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !enough(received) {
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            if left == 0 { return (received, false) }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, left)
            if ready == 0 { return (received, false) }
            if ready < 0 { if errno == EINTR { continue } else { return (received, true) } }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return (received, true) }
            received += buffer[..<count]
        }
        return (received, false)
    }

    /// The first response's status line and headers (up to the blank line), as text.
    func receiveHead(until deadline: Date) -> String? {
        let (bytes, _) = receive(until: deadline) { $0.count >= 4 && Self.headEnd($0) != nil }
        guard let end = Self.headEnd(bytes) else { return nil }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index..<(index + 4)].elementsEqual([13, 10, 13, 10]) {
            return index
        }
        return nil
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    deinit { close() }

    /// One HTTP/1.1 request with `Connection: close`; the status, the head and the body of the answer.
    static func exchange(
        port: Int, _ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = [],
        timeout: TimeInterval = 30
    ) throws -> (status: Int, head: String, body: [UInt8]) {
        let socket = try LoopbackSocket(port: port)
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { request += "\(name): \(value)\r\n" }
        request += "Content-Length: \(body.count)\r\n\r\n"
        try socket.send(Array(request.utf8) + body)
        let (bytes, _) = socket.receive(until: Date().addingTimeInterval(timeout))
        guard let end = headEnd(bytes) else { throw SocketError(step: "receive", code: ETIMEDOUT) }
        let head = String(decoding: bytes[..<end], as: UTF8.self)
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, head, Array(bytes[(end + 4)...]))
    }
}

// MARK: - JSON and text helpers

extension Dictionary where Key == String, Value == Any {
    func string(_ key: String) -> String? { self[key] as? String }
    func int(_ key: String) -> Int? { (self[key] as? NSNumber)?.intValue }
}

/// Text without any whitespace (what search and quotes compare).
func removingWhitespace(_ text: String) -> String {
    String(String.UnicodeScalarView(text.unicodeScalars.filter { !$0.properties.isWhitespace }))
}

/// The code points `start..<end` of a text.
func codePoints(_ text: String, _ range: Range<Int>) -> String {
    let scalars = Array(text.unicodeScalars)
    return String(String.UnicodeScalarView(scalars[range]))
}

/// True when a text holds an ANSI escape sequence.
func hasANSIEscape(_ text: String) -> Bool { text.contains("\u{1B}[") }

// MARK: - Other programs

/// Runs a program of the system (mount, python3…) to the end.
enum SystemTool {
    static func run(
        _ executable: String, _ arguments: [String], environment extra: [String: String] = [:],
        timeout: TimeInterval = 60
    ) throws -> ProcessResult {
        let environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        return try ChildProcess(URL(fileURLWithPath: executable), arguments, environment: environment)
            .finish(timeout: timeout)
    }
}

/// A small tmpfs mounted on a folder for one test, unmounted when dropped; nil where mounting is not
/// allowed (not root).
final class SmallDisk: Sendable {
    let path: String

    init?(at path: String, size: String) {
        guard geteuid() == 0,
            let result = try? SystemTool.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path]),
            result.succeeded
        else { return nil }
        self.path = path
    }

    deinit {
        _ = try? SystemTool.run("/bin/umount", ["-l", path])
    }
}

// MARK: - Other programs

/// System programs the end-to-end tests use to make their input: iconv, sha256sum.
enum SystemTools {
    /// The full path of a program on PATH (or in /usr/bin), or a clear failure.
    static func locate(_ name: String) throws -> URL {
        let folders =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/bin", "/bin"]
        let found = folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        return try #require(found.map { URL(fileURLWithPath: $0) }, "'\(name)' is needed by this test and is missing.")
    }

    /// Runs a program to the end: its stdout, failing the test when it does not exit 0.
    static func run(_ name: String, _ arguments: [String], stdin: Data? = nil) throws -> Data {
        let child = try ChildProcess(
            try locate(name), arguments, environment: ProcessInfo.processInfo.environment, stdin: stdin)
        let result = child.finish(timeout: 60)
        try #require(result.succeeded, "\(name) failed:\n\(result)")
        return result.stdoutData
    }

    /// The bytes of `text` in `encoding`, as the iconv command converts it.
    static func iconv(_ text: String, to encoding: String) throws -> Data {
        try run("iconv", ["-f", "UTF-8", "-t", encoding], stdin: Data(text.utf8))
    }

    /// The lowercase hex SHA-256 of a file, as sha256sum prints it.
    static func sha256(ofFile path: String) throws -> String {
        String(String(decoding: try run("sha256sum", [path]), as: UTF8.self).prefix(64))
    }
}
