import Foundation
import NIOSSL
import PostgresNIO

/// A libpq-style connection URL: `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?host=/socket/dir&sslmode=…]`.
///
/// `?host=/path` (or a percent-encoded path as the host) connects through the unix socket
/// `/path/.s.PGSQL.PORT`. `sslmode` is `disable`, `prefer` (the default over TCP) or `require`.
/// Without a password in the URL, `PGPASSWORD` is used when set.
public struct PostgresURL: Sendable, Equatable {
    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
    }

    public var user: String
    public var password: String?
    /// A host name or address, or nil with ``socketDirectory``.
    public var host: String?
    public var socketDirectory: String?
    public var port: Int
    public var database: String
    public var tls: TLSMode

    /// Why a URL was refused, in one sentence.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Parses a URL.
    ///
    /// - Parameters:
    ///   - text: The URL.
    ///   - environment: Where `PGPASSWORD` is looked up; nil for this process's environment.
    /// - Throws: ``ParseError`` naming what is wrong, with any password hidden.
    public init(_ text: String, environment: [String: String]? = nil) throws {
        let environment = environment ?? ProcessInfo.processInfo.environment
        func fail(_ why: String) -> ParseError {
            ParseError(
                message:
                    "--store '\(Self.redact(text))' \(why); give postgresql://USER@HOST:PORT/DATABASE "
                    + "or postgresql://USER@/DATABASE?host=/socket/dir.")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "postgresql" || scheme == "postgres"
        else { throw fail("is not a postgresql:// URL") }
        guard let user = components.user, !user.isEmpty else {
            throw fail("names no user")
        }
        self.user = user
        password = components.password ?? environment["PGPASSWORD"]
        var database = components.path
        if database.hasPrefix("/") { database.removeFirst() }
        guard !database.isEmpty else { throw fail("names no database") }
        self.database = database
        port = components.port ?? 5432
        tls = .prefer
        var host = components.host.flatMap { $0.isEmpty ? nil : $0 }
        for item in components.queryItems ?? [] {
            switch item.name {
            case "host":
                host = item.value
            case "port":
                guard let value = item.value.flatMap(Int.init) else { throw fail("has a port that is not a number") }
                port = value
            case "sslmode":
                switch item.value {
                case "disable", "allow": tls = .disable
                case "prefer": tls = .prefer
                case "require", "verify-ca", "verify-full": tls = .require
                default: throw fail("has an sslmode other than disable, prefer or require")
                }
            case "user":
                if let value = item.value, !value.isEmpty { self.user = value }
            case "password":
                password = item.value
            case "dbname":
                if let value = item.value, !value.isEmpty { self.database = value }
            case "application_name", "connect_timeout":
                break
            default:
                throw fail("has the parameter '\(item.name)', which the hub does not know")
            }
        }
        guard (1...65535).contains(port) else { throw fail("has a port outside 1–65535") }
        if let found = host, found.hasPrefix("/") {
            socketDirectory = found
            self.host = nil
        } else {
            guard let found = host else { throw fail("names no host (give one, or ?host=/socket/dir)") }
            self.host = found
            socketDirectory = nil
        }
    }

    /// The URL without its password, for logs and messages.
    public var redacted: String {
        var text = "postgresql://\(user)@"
        if let host { text += host.contains(":") ? "[\(host)]" : host }
        text += ":\(port)/\(database)"
        if let socketDirectory { text += "?host=\(socketDirectory)" }
        return text
    }

    /// Any URL with its password replaced by `***`, for messages about URLs that did not parse.
    static func redact(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), let scheme = text.range(of: "://"), scheme.upperBound < at,
            let colon = text[scheme.upperBound..<at].firstIndex(of: ":")
        else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }

    var clientConfiguration: PostgresClient.Configuration {
        if let socketDirectory {
            let path = (socketDirectory as NSString).appendingPathComponent(".s.PGSQL.\(port)")
            return PostgresClient.Configuration(
                unixSocketPath: path, username: user, password: password, database: database)
        }
        let mode: PostgresClient.Configuration.TLS
        switch tls {
        case .disable: mode = .disable
        case .prefer: mode = .prefer(.makeClientConfiguration())
        case .require: mode = .require(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(
            host: host ?? "localhost", port: port, username: user, password: password, database: database, tls: mode)
    }
}
