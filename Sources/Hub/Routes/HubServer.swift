import CompressNIO
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

/// The sync hub behind `kb serve`: an HTTP API over an append-only log per knowledge base.
///
/// ```
/// GET  /health
/// GET  /v1/kb/{kb}/replicas
/// GET  /v1/kb/{kb}/changes?after=N&limit=M[&exclude=REPLICA][&expect=REPLICA:SEQ]
/// POST /v1/kb/{kb}/changes        {"replica": …, "changes": [ … ]}
/// ```
/// Every route but `/health` needs `Authorization: Bearer TOKEN` for that knowledge base: no
/// token or an unknown one is 401, a token of another knowledge base is 403. Errors are JSON
/// `{"error": CODE, "message": SENTENCE}`. See docs/sync-protocol.md.
public struct HubServer: Sendable {
    public let store: any HubStore
    public let clock: Clock
    public let logger: Logger

    public init(store: any HubStore, clock: Clock = .system, logger: Logger = Logger(label: "kb.hub")) {
        self.store = store
        self.clock = clock
        self.logger = logger
    }

    /// The routes.
    public func router() -> Router<HubRequestContext> {
        let router = Router(context: HubRequestContext.self)
        router.get("/health") { _, _ in
            Self.json(.ok, Array(#"{"status":"ok"}"#.utf8))
        }
        router.get("/v1/kb/:kb/replicas") { request, context in
            await self.handle(request, context, route: "replicas") { name in try await self.replicas(name) }
        }
        router.get("/v1/kb/:kb/changes") { request, context in
            await self.handle(request, context, route: "pull") { name in try await self.pull(name, request) }
        }
        router.post("/v1/kb/:kb/changes") { request, context in
            await self.handle(request, context, route: "push") { name in try await self.push(name, request) }
        }
        return router
    }

    /// Runs the hub until SIGTERM or SIGINT, then shuts down cleanly.
    ///
    /// - Parameters:
    ///   - onRunning: Called with the port once the hub listens (useful with port 0).
    public func run(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "kb-hub"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.runService()  // SIGTERM and SIGINT shut the hub down gracefully
    }

    // MARK: - Routes

    /// A failure with its HTTP answer.
    struct Failure: Error {
        let status: HTTPResponse.Status
        let code: String
        let message: String
    }

    /// Authenticates, runs a route, and turns failures into JSON errors; logs one line per request.
    private func handle(
        _ request: Request, _ context: HubRequestContext, route: String,
        _ body: (String) async throws -> [UInt8]
    ) async -> Response {
        let started = ContinuousClock.now
        let name = context.parameters.get("kb") ?? ""
        var status: HTTPResponse.Status = .ok
        var errorCode = ""
        let response: Response
        do {
            try await authorize(request, knowledgeBase: name)
            response = Self.json(.ok, try await body(name), compress: Self.acceptsGzip(request))
        } catch let failure as Failure {
            status = failure.status
            errorCode = failure.code
            response = Self.error(failure.status, failure.code, failure.message)
        } catch {
            status = .internalServerError
            errorCode = HubErrorCode.internalError
            logger.error("request failed", metadata: ["route": .string(route), "error": .string("\(error)")])
            response = Self.error(
                .internalServerError, HubErrorCode.internalError, "The hub could not complete the request; try again.")
        }
        let elapsed = ContinuousClock.now - started
        logger.info(
            "request",
            metadata: [
                "route": .string(route), "kb": .string(name), "status": .stringConvertible(status.code),
                "error": .string(errorCode),
                "ms": .stringConvertible(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000),
            ])
        return response
    }

    private func authorize(_ request: Request, knowledgeBase name: String) async throws {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
            case let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces), !token.isEmpty
        else {
            throw Failure(
                status: .unauthorized, code: HubErrorCode.unauthorized,
                message: "A bearer token is needed; create one with 'kb serve token create'.")
        }
        guard let owner = try await store.knowledgeBase(forTokenHash: TokenHash.hash(token)) else {
            throw Failure(
                status: .unauthorized, code: HubErrorCode.unauthorized, message: "The token is not known to this hub.")
        }
        guard owner == name else {
            throw Failure(
                status: .forbidden, code: HubErrorCode.forbidden,
                message: "The token is for another knowledge base than '\(name)'.")
        }
    }

    private func replicas(_ name: String) async throws -> [UInt8] {
        let knowledgeBase = try await existing(name)
        let replicas = try await store.replicas(in: name)
        return try Self.encode(ReplicasResponse(epoch: knowledgeBase.epoch, head: knowledgeBase.head, replicas: replicas))
    }

    private func pull(_ name: String, _ request: Request) async throws -> [UInt8] {
        let knowledgeBase = try await existing(name)
        let query = request.uri.queryParameters
        guard let after = Int64(query["after"].map(String.init) ?? "0"), after >= 0 else {
            throw Failure(status: .badRequest, code: HubErrorCode.badRequest, message: "'after' must be a whole number of 0 or more.")
        }
        guard let limit = Int(query["limit"].map(String.init) ?? "1000"), (1...10_000).contains(limit) else {
            throw Failure(status: .badRequest, code: HubErrorCode.badRequest, message: "'limit' must be between 1 and 10000.")
        }
        if after > knowledgeBase.head {
            throw Failure(
                status: .conflict, code: HubErrorCode.historyChanged,
                message: "The hub's log ends at \(knowledgeBase.head), before \(after); reconcile from the start.")
        }
        if let expected = query["expect"].map(String.init), after > 0 {
            let actual = try await store.changeID(in: name, at: after)
            guard actual == expected else {
                throw Failure(
                    status: .conflict, code: HubErrorCode.historyChanged,
                    message: "The hub's log at \(after) is not the one this replica saw; reconcile from the start.")
            }
        }
        let page = try await store.changes(
            in: name, after: after, limit: limit, maxBytes: SyncLimits.batchBytes,
            excluding: query["exclude"].map(String.init))
        // The stored JSON of each change goes out as it is.
        var out = Array(#"{"epoch":"#.utf8) + Array(Self.jsonString(knowledgeBase.epoch).utf8)
        out += Array(#","head":\#(page.head),"next":\#(page.next),"next_id":"#.utf8)
        out += Array((page.nextID.map(Self.jsonString) ?? "null").utf8)
        out += Array(#","changes":["#.utf8)
        for (index, change) in page.changes.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"hub_seq":\#(change.hubSeq),"change":"#.utf8)
            out += change.payload
            out.append(UInt8(ascii: "}"))
        }
        out += Array("]}".utf8)
        return out
    }

    private func push(_ name: String, _ request: Request) async throws -> [UInt8] {
        let knowledgeBase = try await existing(name)
        var bytes: [UInt8]
        do {
            var body = try await request.body.collect(upTo: SyncLimits.maxBodyBytes)
            bytes = body.readBytes(length: body.readableBytes) ?? []
        } catch {
            throw Failure(
                status: .contentTooLarge, code: HubErrorCode.bodyTooLarge,
                message: "The request body is larger than \(SyncLimits.maxBodyBytes) bytes; send fewer changes at once.")
        }
        if request.headers[.contentEncoding]?.lowercased() == "gzip" {
            do {
                var buffer = ByteBuffer(bytes: bytes)
                let output = try buffer.decompress(with: .gzip(), maxSize: SyncLimits.maxBodyBytes * 4)
                bytes = Array(output.readableBytesView)
            } catch {
                throw Failure(
                    status: .badRequest, code: HubErrorCode.malformedBody,
                    message: "The gzip body could not be decompressed, or is larger than allowed.")
            }
        }
        let pushed: PushRequest
        do {
            pushed = try JSONDecoder().decode(PushRequest.self, from: Data(bytes))
        } catch {
            throw Failure(
                status: .badRequest, code: HubErrorCode.malformedBody,
                message: "The body is not a push of changes: {\"replica\": …, \"changes\": [ … ]}.")
        }
        let limit = clock.now() + SyncLimits.maxClockAheadMilliseconds
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var incoming: [IncomingChange] = []
        incoming.reserveCapacity(pushed.changes.count)
        for change in pushed.changes {
            guard !change.replica.isEmpty, change.replica.count <= 64, change.seq > 0, !change.entity.isEmpty,
                !change.id.isEmpty
            else {
                throw Failure(
                    status: .unprocessableContent, code: HubErrorCode.invalidChange,
                    message: "A change lacks its replica, sequence number, entity or id.")
            }
            let stamped = HybridTimestamp(rawValue: change.hlc).milliseconds
            if stamped > limit {
                let minutes = (stamped - clock.now()) / 60_000
                throw Failure(
                    status: .unprocessableContent, code: HubErrorCode.clockAhead,
                    message: "The hub refused changes stamped \(minutes) minutes ahead of its clock (more than 5); "
                        + "set this machine's clock right and run kb sync again.")
            }
            incoming.append(
                IncomingChange(
                    replica: change.replica, seq: change.seq, hlc: change.hlc, payload: Array(try encoder.encode(change))))
        }
        do {
            let outcome = try await store.append(incoming, to: name, receivedAt: clock.now())
            return try Self.encode(
                PushResponse(
                    accepted: outcome.accepted, duplicates: outcome.duplicates, head: outcome.head,
                    epoch: knowledgeBase.epoch))
        } catch let error as HubStoreError {
            if case .sequenceGap(let replica, let expected, let got) = error.code {
                throw Failure(
                    status: .conflict, code: HubErrorCode.sequenceGap,
                    message: "Changes of replica \(replica) must arrive in order: expected \(expected), got \(got).")
            }
            throw error
        }
    }

    private func existing(_ name: String) async throws -> HubKnowledgeBase {
        guard let knowledgeBase = try await store.knowledgeBase(name) else {
            throw Failure(status: .notFound, code: HubErrorCode.notFound, message: "There is no knowledge base '\(name)'.")
        }
        return knowledgeBase
    }

    // MARK: - Responses

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func jsonString(_ text: String) -> String {
        JSONText.string(text)
    }

    static func acceptsGzip(_ request: Request) -> Bool {
        request.headers[.acceptEncoding]?.lowercased().contains("gzip") ?? false
    }

    static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8], compress: Bool = false) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        var buffer = ByteBuffer(bytes: bytes)
        if compress && bytes.count > 1024, let compressed = try? buffer.compress(with: .gzip()) {
            buffer = compressed
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        let body = (try? encode(HubErrorBody(error: code, message: message))) ?? []
        return json(status, body)
    }
}
