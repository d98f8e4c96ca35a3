import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL cluster of its own for tests and benchmarks: `initdb` into a temporary folder as an
/// unprivileged user (`nobody` when run as root, since PostgreSQL refuses to run as root), started with
/// `pg_ctl` on a unix socket in that folder and a free port on 127.0.0.1, stopped and removed when the
/// value goes away or the process exits.
///
/// ```swift
/// let cluster = try ThrowawayPostgres.shared()       // one per test process
/// let url = try cluster.newDatabase()                 // postgresql://kb@127.0.0.1:PORT/kb_…?sslmode=disable
/// ```
public final class ThrowawayPostgres: @unchecked Sendable {
    // @unchecked: `running` is changed only by `start`/`stop`, which callers do not race.
    public let folder: String
    public private(set) var port = 0
    public let user = "kb"
    public let binaries: String
    private let owner: (uid: uid_t, gid: gid_t)?
    private var running = false

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The data directory, the socket directory and the server log are inside ``folder``.
    public var dataDirectory: String { folder + "/data" }
    public var socketDirectory: String { folder }
    public var logFile: String { folder + "/server.log" }

    /// Creates and starts a cluster.
    ///
    /// `durable: false` turns fsync off (fine for tests, not for measurements).
    public init(durable: Bool = false) throws {
        guard let binaries = Self.findBinaries() else {
            throw Failure(
                description: "PostgreSQL's server programs are missing (no /usr/lib/postgresql/*/bin/initdb); "
                    + "install Debian's postgresql (make deps).")
        }
        self.binaries = binaries
        self.durable = durable
        // Short: the socket path must fit in 107 bytes.
        let template = "/tmp/kbpg-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard mkdtemp(&bytes) != nil else { throw Failure(description: "cannot create a temporary folder") }
        folder = String(cString: bytes)
        if geteuid() == 0 {
            guard let entry = getpwnam("nobody") else {
                throw Failure(description: "running as root, and there is no user 'nobody' to run PostgreSQL as")
            }
            owner = (entry.pointee.pw_uid, entry.pointee.pw_gid)
            chown(folder, entry.pointee.pw_uid, entry.pointee.pw_gid)
        } else {
            owner = nil
        }
        chmod(folder, 0o700)
        var lastError = ""
        var chosen = 0
        for _ in 1...5 {
            let candidate = try Self.freePort()
            do {
                if !FileManager.default.fileExists(atPath: dataDirectory) {
                    try runServerTool(
                        "initdb",
                        ["-D", dataDirectory, "-U", user, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N"])
                }
                try startServer(port: candidate, durable: durable)
                chosen = candidate
                break
            } catch {
                lastError = "\(error)"
            }
        }
        guard chosen != 0 else {
            try? FileManager.default.removeItem(atPath: folder)
            throw Failure(description: "the throwaway PostgreSQL did not start: \(lastError)")
        }
        port = chosen
        running = true
        Self.registry.withLock { $0[folder] = self.stopCommand }
    }

    private var durable = false

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: folder)
        _ = Self.registry.withLock { $0.removeValue(forKey: folder) }
    }

    // MARK: - The shared cluster

    private static let sharedCluster = Locked<Result<ThrowawayPostgres, Failure>?>(nil)

    /// The cluster of this process, started on first use and removed when the process exits.
    public static func shared() throws -> ThrowawayPostgres {
        try sharedCluster.withLock { slot in
            if let slot { return try slot.get() }
            let made: Result<ThrowawayPostgres, Failure>
            do {
                made = .success(try ThrowawayPostgres())
                atexit { ThrowawayPostgres.stopAllAtExit() }
            } catch {
                made = .failure(error as? Failure ?? Failure(description: "\(error)"))
            }
            slot = made
            return try made.get()
        }
    }

    /// Clusters still running, with the command that stops them and the folder to remove.
    private static let registry = Locked<[String: [String]]>([:])

    private static func stopAllAtExit() {
        for (folder, command) in registry.withLock({ $0 }) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            if (try? launch(process)) != nil {
                var status: Int32 = 0
                while waitpid(process.processIdentifier, &status, 0) == -1 && errno == EINTR {}
            }
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    // MARK: - Databases

    /// A new empty database; returns its URL over TCP on 127.0.0.1.
    public func newDatabase(prefix: String = "kb") throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
        try psql("CREATE DATABASE \(name)")
        return url(database: name)
    }

    /// `postgresql://kb@127.0.0.1:PORT/NAME?sslmode=disable`.
    public func url(database: String) -> String {
        "postgresql://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// The same database through the unix socket: `postgresql://kb@/NAME?host=DIR&port=PORT`.
    public func socketURL(database: String) -> String {
        "postgresql://\(user)@/\(database)?host=\(socketDirectory)&port=\(port)"
    }

    /// Runs SQL with psql over the socket; returns its unaligned, tuples-only output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        try run(
            binaries + "/psql",
            [
                "-h", socketDirectory, "-p", "\(port)", "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", "-Atq",
                "-c", sql,
            ],
            asOwner: false)
    }

    // MARK: - Starting and stopping

    /// Stops the server (fast shutdown); the data stays.
    public func stop() {
        guard running else { return }
        _ = try? run(binaries + "/pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "stop"], asOwner: true)
        running = false
    }

    /// Starts it again on the same port.
    public func start() throws {
        guard !running else { return }
        try startServer(port: port, durable: durable)
        running = true
    }

    private var stopCommand: [String] {
        var command = [binaries + "/pg_ctl", "-D", dataDirectory, "-m", "immediate", "-w", "stop"]
        if let owner { command = Self.setpriv(owner) + command }
        return command
    }

    private func startServer(port: Int, durable: Bool) throws {
        var settings = "-k \(socketDirectory) -p \(port) -c listen_addresses=127.0.0.1 -c max_connections=200"
        if !durable { settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" }
        try runServerTool("pg_ctl", ["-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "-o", settings, "start"])
    }

    private func runServerTool(_ tool: String, _ arguments: [String]) throws {
        try run(binaries + "/" + tool, arguments, asOwner: true)
    }

    /// Everything `handle` gives until end of file or an error, read with read(2) itself:
    /// `readDataToEndOfFile` traps on any error (EINTR, a bad descriptor).
    static func readToEnd(_ handle: FileHandle) -> Data {
        let descriptor = handle.fileDescriptor
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return data }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    static func setpriv(_ owner: (uid: uid_t, gid: gid_t)) -> [String] {
        ["/usr/bin/setpriv", "--reuid=\(owner.uid)", "--regid=\(owner.gid)", "--clear-groups", "--"]
    }

    @discardableResult
    private func run(_ program: String, _ arguments: [String], asOwner: Bool) throws -> String {
        var command = [program] + arguments
        if asOwner, let owner { command = Self.setpriv(owner) + command }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try Self.launch(process)
        // pg_ctl leaves the server holding its own output: read until the program ends, not until EOF.
        let collected = Locked<(Data, Data)>((Data(), Data()))
        let group = DispatchGroup()
        for (index, handle) in [output.fileHandleForReading, errors.fileHandleForReading].enumerated() {
            group.enter()
            DispatchQueue.global().async {
                let data = Self.readToEnd(handle)
                collected.withLock {
                    if index == 0 { $0.0 = data } else { $0.1 = data }
                }
                group.leave()
            }
        }
        // Reaped here: test threads block SIGCHLD, so Foundation may never notice that the child ended.
        var status: Int32 = 0
        while waitpid(process.processIdentifier, &status, 0) == -1 && errno == EINTR {}
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        _ = group.wait(timeout: .now() + 5)
        let (out, err) = collected.withLock { $0 }
        guard exitCode == 0 else {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)).map { String($0.suffix(2000)) } ?? ""
            throw Failure(
                description: "\((program as NSString).lastPathComponent) failed (\(exitCode)): "
                    + String(decoding: err, as: UTF8.self) + String(decoding: out, as: UTF8.self) + log)
        }
        return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts a process from a thread with no blocked signals, so that the server it may start gets them.
    static func launch(_ process: Process) throws {
        let failure = Locked<(any Error)?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            do { try process.run() } catch { failure.withLock { $0 = error } }
            done.signal()
        }
        thread.start()
        done.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }

    static func findBinaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).sorted(by: >).map { "\(root)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    /// A port that was free a moment ago on 127.0.0.1.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "cannot open a socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw Failure(description: "cannot bind a socket on 127.0.0.1") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw Failure(description: "cannot read the socket's port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A value behind an NSLock.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
