import ArgumentParser
import Foundation
import Hub
import KB
import Logging
import Reader
import Sync

/// `kb-hub`, run by `kb serve`: the sync hub, and its tokens.
@main
struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kb serve",
        abstract: "Run the sync hub: many knowledge bases, each with its own tokens.",
        discussion: "Stops cleanly on SIGTERM or SIGINT. Logs go to stderr as structured lines, never with tokens.",
        subcommands: [RunCommand.self, TokenCommand.self, MigrateCommand.self, OpenCommand.self],
        defaultSubcommand: RunCommand.self)

    /// One sentence on stderr and exit 1 for a failure, 64 for a usage error.
    struct Failure: Error {
        let message: String
        let code: Int32
    }

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as Failure {
            FileHandle.standardError.write(Data("kb: \(failure.message)\n".utf8))
            Foundation.exit(failure.code)
        } catch {
            exit(withError: error)
        }
    }

    static func openStore(_ data: String) throws -> SQLiteHubStore {
        do {
            return try SQLiteHubStore(directory: data)
        } catch {
            throw Failure(message: "Cannot open the hub's data folder '\(data)'; check that it is writable.", code: 1)
        }
    }

    static func openPostgres(_ url: String, logger: Logger = quietLogger) async throws -> PostgresHubStore {
        let parsed: PostgresURL
        do {
            parsed = try PostgresURL(url)
        } catch let error as PostgresURL.ParseError {
            throw Failure(message: error.message, code: 64)
        }
        do {
            return try await PostgresHubStore(url: parsed, logger: logger)
        } catch let error as HubStoreError {
            switch error.code {
            case .unavailable(let why), .databaseRefused(let why):
                throw Failure(message: "Cannot open the hub's store: \(why).", code: 1)
            default:
                throw Failure(message: "Cannot open the hub's store at \(parsed.redacted).", code: 1)
            }
        }
    }

    static let quietLogger = Logger(label: "kb.hub.store") { _ in SwiftLogNoOpLogHandler() }
}

/// `--data DIR` (SQLite, the default) or `--store postgresql://…`.
struct StoreOptions: ParsableArguments {
    @Option(help: "The hub's data folder (a SQLite file in it).", completion: .directory)
    var data: String?

    @Option(
        help: ArgumentHelp(
            "A PostgreSQL database instead of --data: postgresql://USER[:PASSWORD]@HOST:PORT/DB, "
                + "or postgresql://USER@/DB?host=/socket/dir.",
            valueName: "url"))
    var store: String?

    /// Where the store is, for the first line of `kb serve`.
    var place: String {
        if let data { return "data \(data)" }
        return "store " + ((try? PostgresURL(store ?? "").redacted) ?? "")
    }

    func check() throws {
        switch (data, store) {
        case (nil, nil):
            throw HubCommand.Failure(
                message: "Give the hub's data folder with --data DIR, or --store postgresql://….", code: 64)
        case (.some, .some):
            throw HubCommand.Failure(message: "Give either --data or --store, not both.", code: 64)
        default:
            break
        }
    }

    func open(logger: Logger = HubCommand.quietLogger) async throws -> any HubStore {
        try check()
        if let store { return try await HubCommand.openPostgres(store, logger: logger) }
        return try HubCommand.openStore(data ?? "")
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the hub (the default).")

    @Option(help: "HOST:PORT to listen on; port 0 picks a free one.")
    var listen = "127.0.0.1:8765"

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    @Option(help: "Log lines as text or json (one object a line, with a request id).")
    var logFormat = HubLogFormat.text.rawValue

    @Option(
        help: "A file holding the bearer token that opens GET /metrics; without it there is no /metrics.",
        completion: .file())
    var metricsTokenFile: String?

    @Option(help: "A PEM certificate chain: serve HTTPS (with --tls-key).", completion: .file())
    var tlsCert: String?

    @Option(help: "The PEM private key of --tls-cert.", completion: .file())
    var tlsKey: String?

    @Option(help: "Seconds a connection may stay without a complete request, or idle after an answer.")
    var idleTimeout = 30

    @Option(help: "Connections open at once, in all; beyond it the hub answers 503.")
    var maxConnections = 512

    @Option(help: "Connections open at once from one address; beyond it the hub answers 503.")
    var maxConnectionsPerAddress = 64

    func run() async throws {
        let (host, port) = try Self.parseListen(listen)
        var configuration = HubServer.Configuration()
        switch (tlsCert, tlsKey) {
        case (let certificate?, let key?):
            configuration.tls = HubServer.TLSFiles(certificatePath: certificate, keyPath: key)
        case (nil, nil):
            break
        case (let certificate?, nil):
            throw HubCommand.Failure(
                message: "--tls-cert '\(certificate)' needs its private key; add --tls-key KEY.pem.", code: 64)
        case (nil, let key?):
            throw HubCommand.Failure(
                message: "--tls-key '\(key)' needs its certificate; add --tls-cert CERT.pem.", code: 64)
        }
        for (flag, value, range) in [
            ("--idle-timeout", idleTimeout, 1...86_400), ("--max-connections", maxConnections, 1...1_000_000),
            ("--max-connections-per-address", maxConnectionsPerAddress, 1...1_000_000),
        ] where !range.contains(value) {
            throw HubCommand.Failure(
                message: "\(flag) '\(value)' must be between \(range.lowerBound) and \(range.upperBound).", code: 64)
        }
        configuration.idleTimeout = .seconds(idleTimeout)
        configuration.maxConnections = maxConnections
        configuration.maxConnectionsPerAddress = maxConnectionsPerAddress
        var metricsTokenHash: String?
        if let metricsTokenFile {
            guard let text = try? String(contentsOfFile: metricsTokenFile, encoding: .utf8),
                case let token = text.trimmingCharacters(in: .whitespacesAndNewlines), token.utf8.count >= 16
            else {
                throw HubCommand.Failure(
                    message: "--metrics-token-file '\(metricsTokenFile)' must hold a token of 16 characters or more.",
                    code: 64)
            }
            metricsTokenHash = TokenHash.hash(token)
        }
        let level = Logger.Level(rawValue: logLevel) ?? .info
        guard let format = HubLogFormat(rawValue: logFormat) else {
            throw HubCommand.Failure(message: "--log-format '\(logFormat)' must be text or json.", code: 64)
        }
        func makeLogger(_ label: String) -> Logger {
            var logger =
                format == .json
                ? Logger(label: label) { JSONLogHandler(label: $0) } : Logger(label: label)
            logger.logLevel = level
            return logger
        }
        let logger = makeLogger("kb.hub")
        let store = try await storeOptions.open(logger: makeLogger("kb.hub.store"))
        let service = HubService(store: store, logger: logger, metricsTokenHash: metricsTokenHash)
        let server = HubServer(service: service, configuration: configuration)
        let dataFolder = storeOptions.place
        let scheme = configuration.tls == nil ? "http" : "https"
        let warnsOfCleartext = configuration.tls == nil && !Self.isLoopback(host)
        do {
            try await server.run(host: host, port: port) { actualPort in
                // The first line on stdout, for scripts that start a hub on port 0.
                FileHandle.standardOutput.write(
                    Data("kb hub listening on \(scheme)://\(host):\(actualPort) (\(dataFolder))\n".utf8))
                if warnsOfCleartext {
                    FileHandle.standardError.write(
                        Data(
                            ("kb: warning: the hub listens on '\(host)' without TLS, so tokens cross the network "
                                + "in clear; add --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS proxy.\n")
                                .utf8))
                }
            }
        } catch let error as HubStartError {
            throw HubCommand.Failure(message: error.message, code: 1)
        }
    }

    /// True for `localhost`, `127.0.0.0/8` and `::1`: addresses no other machine reaches.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.lowercased()
        if bare == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    static func parseListen(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port), colon > text.startIndex
        else {
            throw HubCommand.Failure(
                message: "--listen '\(text)' is not HOST:PORT, for example 127.0.0.1:8765.", code: 64)
        }
        return (String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage the hub's tokens.",
        subcommands: [TokenCreateCommand.self, TokenListCommand.self, TokenRevokeCommand.self])
}

struct TokenCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a token for a knowledge base (created if new); it is printed once and kept only as a hash.")

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "The knowledge base the token opens.")
    var kb: String

    @Option(help: "A name for the token, shown by 'kb serve token list' (a person, a machine).")
    var name: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        guard Self.isValidName(kb) else {
            throw HubCommand.Failure(
                message: "The knowledge base name '\(kb)' may hold only letters, digits, '-', '_' and '.'.", code: 64)
        }
        if let name,
            name.isEmpty || name.unicodeScalars.count > 200
                || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        {
            throw HubCommand.Failure(
                message: "--name must be 1 to 200 characters without control characters.", code: 64)
        }
        let store = try await storeOptions.open()
        _ = try await store.ensureKnowledgeBase(kb)
        let token = TokenHash.newToken()
        try await store.addToken(
            hash: TokenHash.hash(token), knowledgeBase: kb, createdAt: Int64(Date().timeIntervalSince1970 * 1000),
            name: name)
        print(json ? "{\n  \"token\" : \(JSONText.string(token))\n}" : token)
    }

    static func isValidName(_ name: String) -> Bool {
        WireValidator.isKnowledgeBaseName(name)
    }
}

struct TokenListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the tokens: id, name, knowledge base, created, last used (never the token).")

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let store = try await storeOptions.open()
        let tokens = try await store.tokens()
        if json {
            let items = tokens.map { token in
                "  {\"id\": \(JSONText.string(token.id)), \"name\": \(token.name.map(JSONText.string) ?? "null"), "
                    + "\"kb\": \(JSONText.string(token.knowledgeBase)), \"created\": \(JSONText.string(Self.time(token.createdAt))), "
                    + "\"last_used\": \(token.lastUsedAt.map { JSONText.string(Self.time($0)) } ?? "null")}"
            }
            print(items.isEmpty ? "[]" : "[\n" + items.joined(separator: ",\n") + "\n]")
            return
        }
        if tokens.isEmpty {
            print("No tokens; create one with 'kb serve token create --kb NAME'.")
            return
        }
        let rows =
            [["ID", "NAME", "KB", "CREATED", "LAST USED"]]
            + tokens.map {
                [
                    $0.id, $0.name ?? "-", $0.knowledgeBase, Self.time($0.createdAt),
                    $0.lastUsedAt.map(Self.time) ?? "never",
                ]
            }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(
                row.enumerated().map { index, cell in
                    index == 4 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
                }.joined(separator: "  "))
        }
    }

    static func time(_ milliseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(Date.ISO8601FormatStyle())
    }
}

struct TokenRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a token by the id 'kb serve token list' shows; every hub process refuses it at once.")

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: "The token's id (12 hex digits).")
    var id: String

    func run() async throws {
        guard HubTokenRecord.isTokenID(id) else {
            throw HubCommand.Failure(
                message: "'\(id)' is not a token id; ids are the 12 hex digits 'kb serve token list' shows.", code: 64)
        }
        let store = try await storeOptions.open()
        let revoked = try await store.revokeToken(id: id)
        guard revoked > 0 else {
            throw HubCommand.Failure(message: "No token has the id '\(id)'; see 'kb serve token list'.", code: 1)
        }
        print("Revoked token \(id).")
    }
}

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy a SQLite hub (knowledge bases, epochs, tokens, log) into an empty PostgreSQL database.",
        discussion:
            "Stop the hub first. Prints what was copied and a digest of the source and of the copy, which must agree.")

    @Option(help: "The SQLite hub's data folder.", completion: .directory)
    var from: String

    @Option(help: "The PostgreSQL database: postgresql://USER@HOST:PORT/DB.")
    var to: String

    func run() async throws {
        guard FileManager.default.fileExists(atPath: (from as NSString).appendingPathComponent("hub.sqlite")) else {
            throw HubCommand.Failure(
                message: "'\(from)' holds no hub (no hub.sqlite); give the folder of --data.", code: 1)
        }
        let source = try HubCommand.openStore(from)
        let target = try await HubCommand.openPostgres(to)
        let result: (source: HubInventory, copy: HubInventory)
        do {
            result = try await HubCopy.copy(from: source, to: target)
        } catch let error as HubCopy.Failure {
            throw HubCommand.Failure(message: "Cannot migrate: \(error.message)", code: 1)
        }
        for (label, inventory) in [("source", result.source), ("copy", result.copy)] {
            print(
                "\(label): \(inventory.knowledgeBases) knowledge bases, \(inventory.tokens) tokens, "
                    + "\(inventory.changes) changes, digest \(inventory.digest)")
        }
        guard result.source == result.copy else {
            throw HubCommand.Failure(message: "The copy differs from the source; do not use it.", code: 1)
        }
        print("Migrated; start the hub with --store \(target.location).")
    }
}
