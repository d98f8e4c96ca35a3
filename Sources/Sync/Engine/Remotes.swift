import Foundation
import GRDB
public import KB

/// A hub this replica syncs with, and where it stands there.
public struct Remote: Sendable, Equatable {
    public var name: String
    /// `http://HOST:PORT/KB`: the hub and the knowledge base on it.
    public var url: String
    public var token: String?
    /// The hub's epoch when last seen.
    public var epoch: String?
    /// The last position of the hub's log applied here.
    public var cursor: Int64
    /// The id of the change at `cursor`, to tell whether the hub's log is still the one seen.
    public var cursorID: String?
    /// The highest sequence number of this replica the hub holds.
    public var pushed: Int64
    public var lastSync: Int64?
    /// A PEM file of the CAs that vouch for an https hub (a private CA), as an absolute path; nil for the
    /// system's CAs.
    public var caFile: String? = nil

    /// The hub's base URL and the knowledge base name.
    public var endpoint: (base: String, knowledgeBase: String) {
        get throws { try Self.parse(url) }
    }

    /// True when syncing would send the token in clear to another machine: plain `http` to a host that
    /// is not a loopback address (`localhost`, `127.0.0.0/8`, `::1`).
    public var sendsTokenInClear: Bool {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "http",
            let host = components.host?.lowercased()
        else { return false }
        return !Self.isLoopback(host: host)
    }

    /// True for `localhost`, `127.0.0.0/8` and `::1`.
    public static func isLoopback(host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare.hasSuffix(".localhost") || bare == "::1" || bare == "0:0:0:0:0:0:0:1" {
            return true
        }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Splits `http://HOST:PORT/KB` into the hub and the knowledge base name.
    ///
    /// - Throws: ``SyncError`` of kind ``SyncError/Kind/configuration`` naming what is wrong.
    public static func parse(_ url: String) throws -> (base: String, knowledgeBase: String) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw SyncError(
                .configuration,
                "The remote URL '\(url)' is not http://HOST:PORT/KB; give the hub's address and the knowledge base name."
            )
        }
        let parts = components.path.split(separator: "/")
        guard parts.count == 1, let name = parts.first, Self.isValidName(String(name)) else {
            throw SyncError(
                .configuration,
                "The remote URL '\(url)' must end with the knowledge base name, as in http://HOST:PORT/research.")
        }
        var base = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host)"
        if let port = components.port { base += ":\(port)" }
        return (base, String(name))
    }

    /// Knowledge base names: letters, digits, `-`, `_` and `.`, 1 to 64 characters.
    public static func isValidName(_ name: String) -> Bool {
        WireValidator.isKnowledgeBaseName(name)
    }
}

/// The remotes of a knowledge base, kept in its file.
public enum RemoteStore {
    public static func all(_ kb: KnowledgeBase) throws -> [Remote] {
        try kb.database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM remotes ORDER BY created_at, name").map(remote)
        }
    }

    public static func get(_ kb: KnowledgeBase, name: String) throws -> Remote {
        guard let remote = try kb.database.writer.read({ db in try fetch(db, name: name) }) else {
            let names = try all(kb).map(\.name)
            throw SyncError(
                .configuration,
                names.isEmpty
                    ? "There is no remote '\(name)'; add one with 'kb remote add NAME http://HOST:PORT/KB'."
                    : "There is no remote '\(name)'; the remotes are \(names.map { "'\($0)'" }.joined(separator: ", "))."
            )
        }
        return remote
    }

    static func fetch(_ db: Database, name: String) throws -> Remote? {
        guard
            var found = try Row.fetchOne(db, sql: "SELECT * FROM remotes WHERE name = ?", arguments: [name]).map(remote)
        else { return nil }
        found.caFile = try Meta.value(db, caFileKey(name))
        return found
    }

    /// Where a remote's CA file is kept: in `meta`, beside the remote's row.
    static func caFileKey(_ name: String) -> String { "remote.\(name).ca_file" }

    /// Adds a remote.
    ///
    /// - Parameters:
    ///   - kb: The knowledge base that syncs with it.
    ///   - name: The remote's name: letters, digits, `-`, `_` and `.`.
    ///   - url: `http(s)://HOST:PORT/KB`.
    ///   - token: The hub's token for the knowledge base, or nil to use `KB_TOKEN` when syncing.
    ///   - caFile: A PEM file of the CAs that vouch for an https hub (a private CA); kept as an absolute
    ///     path. It must be readable now.
    /// - Returns: The remote as stored.
    /// - Throws: ``SyncError`` of kind ``SyncError/Kind/configuration`` naming what is wrong.
    public static func add(_ kb: KnowledgeBase, name: String, url: String, token: String?, caFile: String? = nil)
        throws -> Remote
    {
        guard Remote.isValidName(name) else {
            throw SyncError(
                .configuration, "The remote name '\(name)' may hold only letters, digits, '-', '_' and '.'.")
        }
        _ = try Remote.parse(url)
        let caPath = try caFile.map { path -> String in
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            guard let data = FileManager.default.contents(atPath: absolute),
                String(decoding: data, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----")
            else {
                throw SyncError(
                    .configuration, "The CA file '\(path)' is not a readable PEM certificate; check the path.")
            }
            guard url.lowercased().hasPrefix("https://") else {
                throw SyncError(
                    .configuration, "--ca-file is for https hubs, and '\(url)' is not one; give an https:// URL.")
            }
            return absolute
        }
        return try kb.database.writer.write { db in
            if try fetch(db, name: name) != nil {
                throw SyncError(
                    .configuration, "A remote named '\(name)' exists; remove it first with 'kb remote rm \(name)'.")
            }
            try db.execute(
                sql: "INSERT INTO remotes (name, url, token, created_at) VALUES (?, ?, ?, ?)",
                arguments: [name, url, token, kb.clock.now()])
            if let caPath { try Meta.setValue(db, caFileKey(name), caPath) }
            guard let remote = try fetch(db, name: name) else {
                throw KBError(.storage, "The remote '\(name)' was not saved.")
            }
            return remote
        }
    }

    /// Removes a remote.
    public static func remove(_ kb: KnowledgeBase, name: String) throws {
        let removed = try kb.database.writer.write { db in
            try db.execute(sql: "DELETE FROM remotes WHERE name = ?", arguments: [name])
            let removed = db.changesCount
            try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [caFileKey(name)])
            return removed
        }
        if removed == 0 { _ = try get(kb, name: name) }
    }

    static func remote(_ row: Row) -> Remote {
        Remote(
            name: row["name"], url: row["url"], token: row["token"], epoch: row["epoch"], cursor: row["cursor"],
            cursorID: row["cursor_id"], pushed: row["pushed"], lastSync: row["last_sync"])
    }
}
