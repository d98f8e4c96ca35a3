import Foundation

/// The runtime file of a running reader (`kb open`): beside the knowledge base, it tells a second
/// `kb open` on the same file where the first one runs, so that it reuses it.
///
/// The file (`kb.sqlite.reader`, mode 0600) holds the reader's process id and URL, secret included:
/// only the file's owner can read it, as only they can read the knowledge base.
public struct ReaderRuntime: Codable, Sendable, Equatable {
    /// The process that serves the reader.
    public var pid: Int32
    /// The URL to open, with the secret: `http://127.0.0.1:PORT/?key=SECRET`.
    public var url: String
    /// When it started, in milliseconds since 1970.
    public var startedAt: Int64

    public init(pid: Int32, url: String, startedAt: Int64) {
        self.pid = pid
        self.url = url
        self.startedAt = startedAt
    }

    /// The runtime file of a knowledge base file.
    public static func path(forDatabase database: String) -> String {
        database + ".reader"
    }

    /// The reader running for a knowledge base file, or nil when none runs (no file, or its process is gone).
    public static func running(database: String) -> ReaderRuntime? {
        let path = path(forDatabase: database)
        guard let data = FileManager.default.contents(atPath: path),
            let runtime = try? JSONDecoder().decode(ReaderRuntime.self, from: data)
        else { return nil }
        return runtime.isAlive ? runtime : nil
    }

    /// True while its process runs and is a reader (not another program that got the same id since).
    public var isAlive: Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return true }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return arguments.contains("open")
    }

    /// Writes the runtime file, readable by its owner only.
    public func write(database: String) throws {
        let path = Self.path(forDatabase: database)
        let data = try JSONEncoder().encode(self)
        let temporary = path + ".\(pid).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600])
        else {
            throw KBError(
                .storage, "Cannot write the reader's runtime file '\(path)'; check that its folder is writable.")
        }
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw KBError(
                .storage, "Cannot write the reader's runtime file '\(path)'; check that its folder is writable.")
        }
    }

    /// Removes the runtime file if it is still this process's.
    public static func remove(database: String, pid: Int32) {
        let path = path(forDatabase: database)
        guard let data = FileManager.default.contents(atPath: path),
            let runtime = try? JSONDecoder().decode(ReaderRuntime.self, from: data), runtime.pid == pid
        else { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The URL of one article in this reader: `http://127.0.0.1:PORT/read/ID?key=SECRET`.
    public func url(article: String?) -> String {
        guard let article, let components = URLComponents(string: url) else { return url }
        var copy = components
        copy.path = "/read/" + article
        return copy.string ?? url
    }
}
