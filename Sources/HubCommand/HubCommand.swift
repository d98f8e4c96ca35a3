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
        subcommands: [RunCommand.self, TokenCommand.self, OpenCommand.self],
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
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the hub (the default).")

    @Option(help: "HOST:PORT to listen on; port 0 picks a free one.")
    var listen = "127.0.0.1:8765"

    @Option(help: "The hub's data folder.", completion: .directory)
    var data: String

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

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
        let store = try HubCommand.openStore(data)
        var logger = Logger(label: "kb.hub")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let server = HubServer(store: store, logger: logger, configuration: configuration)
        let dataFolder = data
        let scheme = configuration.tls == nil ? "http" : "https"
        let warnsOfCleartext = configuration.tls == nil && !Self.isLoopback(host)
        do {
            try await server.run(host: host, port: port) { actualPort in
                // The first line on stdout, for scripts that start a hub on port 0.
                FileHandle.standardOutput.write(
                    Data("kb hub listening on \(scheme)://\(host):\(actualPort) (data \(dataFolder))\n".utf8))
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
        commandName: "token", abstract: "Manage the hub's tokens.", subcommands: [TokenCreateCommand.self])
}

struct TokenCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a token for a knowledge base (created if new); it is printed once and kept only as a hash.")

    @Option(help: "The hub's data folder.", completion: .directory)
    var data: String

    @Option(help: "The knowledge base the token opens.")
    var kb: String

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        guard Self.isValidName(kb) else {
            throw HubCommand.Failure(
                message: "The knowledge base name '\(kb)' may hold only letters, digits, '-', '_' and '.'.", code: 64)
        }
        let store = try HubCommand.openStore(data)
        _ = try await store.ensureKnowledgeBase(kb)
        let token = TokenHash.newToken()
        try await store.addToken(
            hash: TokenHash.hash(token), knowledgeBase: kb, createdAt: Int64(Date().timeIntervalSince1970 * 1000))
        print(json ? "{\n  \"token\" : \(JSONText.string(token))\n}" : token)
    }

    static func isValidName(_ name: String) -> Bool {
        WireValidator.isKnowledgeBaseName(name)
    }
}
