import Foundation
public import Hummingbird
public import KB
public import Logging
import NIOCore
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
    public let service: HubService

    public init(store: any HubStore, clock: Clock = .system, logger: Logger = Logger(label: "kb.hub")) {
        service = HubService(store: store, clock: clock, logger: logger)
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
            if let refusal = await service.precheck(path: request.uri.path, headers: headers) {
                return Self.response(refusal)
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
        router.get("/v1/kb/:kb/replicas", use: forward)
        router.get("/v1/kb/:kb/changes", use: forward)
        router.post("/v1/kb/:kb/changes", use: forward)
        return router
    }

    static func response(_ answer: HubServiceResponse) -> Response {
        var headers = HTTPFields()
        if let type = answer.headers["content-type"] { headers[.contentType] = type }
        if let encoding = answer.headers["content-encoding"] { headers[.contentEncoding] = encoding }
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
    /// - Throws: The server's error when it cannot start, as when the port is taken.
    public func run(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "kb-hub"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: service.logger)
        try await app.runService()  // SIGTERM and SIGINT shut the hub down gracefully
    }
}
