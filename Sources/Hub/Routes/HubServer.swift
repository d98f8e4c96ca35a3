import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import KB
public import Logging
import NIOCore
import NIOSSL
import Sync

/// `kb serve`: ``HubService``'s routes over HTTP with Hummingbird, behind a ``ConnectionLimiter``.
public struct HubServer: Sendable {
    /// How the hub's connections are bounded, and its TLS identity.
    public struct Configuration: Sendable {
        /// A connection that has not completed a request within this time is closed, as is one idle this
        /// long after its last answer (default 30 s).
        public var idleTimeout: Duration = .seconds(30)
        /// Connections open at once, from everyone (default 512); beyond it, 503.
        public var maxConnections = 512
        /// Connections open at once from one address (default 64); beyond it, 503.
        public var maxConnectionsPerAddress = 64
        /// The certificate chain and key (PEM files) to serve HTTPS with; nil for plain HTTP (default).
        public var tls: TLSFiles?

        public init() {}
    }

    /// A TLS certificate chain and its private key, as PEM files.
    public struct TLSFiles: Sendable, Equatable {
        public var certificatePath: String
        public var keyPath: String

        public init(certificatePath: String, keyPath: String) {
            self.certificatePath = certificatePath
            self.keyPath = keyPath
        }
    }

    public let service: HubService
    public let configuration: Configuration

    public init(
        store: any HubStore, clock: Clock = .system, logger: Logger = Logger(label: "kb.hub"),
        configuration: Configuration = Configuration()
    ) {
        service = HubService(store: store, clock: clock, logger: logger)
        self.configuration = configuration
    }

    /// A server for a service made by the caller (with metrics, say).
    public init(service: HubService, configuration: Configuration = Configuration()) {
        self.service = service
        self.configuration = configuration
    }

    /// Runs the hub until SIGTERM or SIGINT, then shuts down cleanly.
    ///
    /// - Parameters:
    ///   - host: The address to listen on.
    ///   - port: The port to listen on; 0 lets the system choose one.
    ///   - onRunning: Called with the port once the hub listens (useful with port 0).
    /// - Throws: ``HubStartError`` when it cannot start, as when the port is taken or a TLS file is unusable.
    public func run(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        let (seconds, attoseconds) = configuration.idleTimeout.components
        let http1 = HTTP1Channel.Configuration(
            idleTimeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
        let limiter = ConnectionLimiter(
            maxConnections: configuration.maxConnections,
            maxConnectionsPerAddress: configuration.maxConnectionsPerAddress)
        let limited = HTTPServerBuilder { responder in
            LimitedChannel(base: HTTP1Channel(responder: responder, configuration: http1), limiter: limiter)
        }
        let server: HTTPServerBuilder
        if let tls = configuration.tls {
            server = try .tls(limited, tlsConfiguration: try Self.tlsConfiguration(tls))
        } else {
            server = limited
        }
        let app = Application(
            router: service.router(),
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "kb-hub"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: service.logger)
        do {
            try await app.runService()  // SIGTERM and SIGINT shut the hub down gracefully
        } catch {
            throw HubStartError(error, host: host, port: port)
        }
    }

    /// Loads the certificate chain and key, and checks that they belong together.
    static func tlsConfiguration(_ files: TLSFiles) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath)
        } catch {
            throw HubStartError(
                "cannot read the TLS certificate '\(files.certificatePath)'; give a PEM file with --tls-cert.")
        }
        guard !chain.isEmpty else {
            throw HubStartError(
                "the file '\(files.certificatePath)' holds no PEM certificate; give one with --tls-cert.")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.keyPath, format: .pem)
        } catch {
            throw HubStartError(
                "cannot read the TLS private key '\(files.keyPath)'; give an unencrypted PEM key with --tls-key.")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw HubStartError(
                "the TLS key '\(files.keyPath)' does not match the certificate '\(files.certificatePath)'; "
                    + "give the key made with that certificate.")
        }
        return configuration
    }
}

/// Why the hub could not start, in one sentence.
public struct HubStartError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    /// Names the failure of a server that did not start.
    init(_ error: any Error, host: String, port: Int) {
        if let known = error as? HubStartError {
            self = known
            return
        }
        let place = "port \(port) on \(host)"
        switch Self.systemError(of: error) {
        case EADDRINUSE:
            message = "\(place) is in use; choose another with --listen."
        case EACCES:
            message = "\(place) needs privileges this user lacks; choose a port above 1023 with --listen."
        case EADDRNOTAVAIL:
            message = "the address '\(host)' is not one of this machine's; choose another with --listen."
        default:
            if error is SocketAddressError {
                message = "the host '\(host)' could not be resolved; give an address such as 127.0.0.1 with --listen."
            } else {
                message = "the hub could not start on \(place) (\(type(of: error))); check --listen and --data."
            }
        }
    }

    /// The `errno` of a system call failure, if that is what the error is.
    static func systemError(of error: any Error) -> Int32? {
        if let failure = error as? IOError { return failure.errnoCode }
        return nil
    }

    public var description: String { message }
}
