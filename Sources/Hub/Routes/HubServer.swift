import Foundation
import HTTPTypes
public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import KB
public import Logging
import NIOCore
import NIOSSL
import Sync

/// The request context of the hub: it accepts bodies up to ``SyncLimits/maxBodyBytes``.
public struct HubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { SyncLimits.maxBodyBytes }
}

/// `kb serve`: ``HubService`` over HTTP with Hummingbird.
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

    /// Every request goes to the service.
    public func router() -> Router<HubRequestContext> {
        let router = Router(context: HubRequestContext.self)
        let service = self.service
        let forward: @Sendable (Request, HubRequestContext) async throws -> Response = { request, _ in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            // The token is checked before the body is read: no one without one makes the hub hold 16 MB.
            if let refusal = await service.precheck(
                method: request.method.rawValue, path: request.uri.path, headers: headers)
            {
                return Self.response(refusal)
            }
            // A body announced larger than the hub takes is refused from its header, before any of it is read.
            if let length = request.headers[.contentLength],
                Int(length).map({ $0 > SyncLimits.maxBodyBytes }) ?? true
            {
                return Self.response(HubService.bodyTooLarge())
            }
            let body: [UInt8]
            do {
                var buffer = try await request.body.collect(upTo: SyncLimits.maxBodyBytes)
                body = buffer.readBytes(length: buffer.readableBytes) ?? []
            } catch {
                return Self.response(HubService.bodyTooLarge())
            }
            let answer = await service.respond(
                HubServiceRequest(
                    method: request.method.rawValue, path: request.uri.path, query: query, headers: headers, body: body)
            )
            return Self.response(answer)
        }
        router.get("/health", use: forward)
        router.get("/health/ready", use: forward)
        router.get("/metrics", use: forward)
        router.get("/v1/kb/:kb/replicas", use: forward)
        router.get("/v1/kb/:kb/changes", use: forward)
        router.post("/v1/kb/:kb/changes", use: forward)
        return router
    }

    static func response(_ answer: HubServiceResponse) -> Response {
        var headers = HTTPFields()
        if let type = answer.headers["content-type"] { headers[.contentType] = type }
        if let encoding = answer.headers["content-encoding"] { headers[.contentEncoding] = encoding }
        if let wait = answer.headers["retry-after"] { headers[.retryAfter] = wait }
        if let id = answer.headers["x-request-id"], let name = HTTPField.Name("X-Request-Id") { headers[name] = id }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
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
            router: router(),
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
