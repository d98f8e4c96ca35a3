import Foundation
import HTTPTypes
public import Hummingbird
public import KB
public import Logging
import NIOCore
import Sync

/// The hub's HTTP API: the routes of `kb serve` on Hummingbird's router, and what they share (the store,
/// the clock, the logger, the metrics).
///
/// ```
/// GET  /health                  liveness: the process answers
/// GET  /health/ready            readiness: the store answers too (503 when not)
/// GET  /metrics                 Prometheus text, when enabled, with its own token
/// GET  /v1/kb/{kb}/replicas
/// GET  /v1/kb/{kb}/changes?after=N&limit=M[&exclude=REPLICA][&expect=REPLICA:SEQ]
/// POST /v1/kb/{kb}/changes        {"replica": …, "changes": [ … ]}
/// ```
/// Every route but `/health` needs `Authorization: Bearer TOKEN` for that knowledge base, checked by
/// ``HubAuthMiddleware`` before the route runs: no token or an unknown one is 401, a token of another
/// knowledge base is 403. Errors are ``HubError``s, answered as JSON `{"error": CODE, "message": SENTENCE}`;
/// a path or method outside these routes is the router's own 404 with an empty body. See
/// docs/sync-protocol.md.
public struct HubService: Sendable {
    public let store: any HubStore
    public let clock: Clock
    public let logger: Logger
    /// Counters for `/metrics`, served only when ``metricsTokenHash`` is set.
    public let metrics: HubMetrics
    /// The SHA-256 hash of the token that opens `/metrics`; nil keeps the route closed (404).
    public let metricsTokenHash: String?

    public init(
        store: any HubStore, clock: Clock = .system, logger: Logger = Logger(label: "kb.hub"),
        metrics: HubMetrics = HubMetrics(), metricsTokenHash: String? = nil
    ) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
        self.metricsTokenHash = metricsTokenHash
    }

    /// The paths of the sync routes, as the router names them in ``HubRequestContext/endpointPath``.
    enum SyncPath {
        static let replicas = "/v1/kb/{kb}/replicas"
        static let changes = "/v1/kb/{kb}/changes"
    }

    /// The routes.
    ///
    /// The sync routes run ``HubRequestLogMiddleware`` and then ``HubAuthMiddleware``.
    public func router() -> Router<HubRequestContext> {
        let router = Router(context: HubRequestContext.self)
        router.get("/health") { _, _ in Self.json(Array(#"{"status":"ok"}"#.utf8)) }
        router.get("/health/ready") { _, _ in try await self.ready() }
        router.get("/metrics") { request, _ in try self.scrape(request) }
        let sync = router.group()
            .add(middleware: HubRequestLogMiddleware(service: self))
            .add(middleware: HubAuthMiddleware(service: self))
        sync.get(RouterPath(SyncPath.replicas)) { request, context in
            try await self.replicas(request, context.authenticated())
        }
        sync.get(RouterPath(SyncPath.changes)) { request, context in
            try await self.pull(request, context.authenticated())
        }
        sync.post(RouterPath(SyncPath.changes)) { request, context in
            try await self.push(request, context.authenticated())
        }
        return router
    }

    /// The name a sync route has in `/metrics` and in the logs.
    static func routeName(_ method: HTTPRequest.Method, _ endpoint: String?) -> String {
        switch (method, endpoint) {
        case (.get, SyncPath.replicas): "replicas"
        case (.get, SyncPath.changes): "pull"
        case (.post, SyncPath.changes): "push"
        default: "other"
        }
    }

    // MARK: - Routes

    private func ready() async throws -> Response {
        do {
            try await store.checkReady()
        } catch {
            logger.warning("store not ready", metadata: ["error": .string("\(error)")])
            throw HubError.unavailable
        }
        return Self.json(Array(#"{"status":"ready"}"#.utf8))
    }

    private func scrape(_ request: Request) throws -> Response {
        guard let expected = metricsTokenHash else { throw HubError.noSuchRoute }
        guard let header = request.headers.lastValue(.authorization), header.lowercased().hasPrefix("bearer "),
            TokenHash.constantTimeEquals(
                TokenHash.hash(header.dropFirst(7).trimmingCharacters(in: .whitespaces)), expected)
        else {
            metrics.request(route: "metrics", status: 401)
            throw HubError(
                .unauthorized, HubErrorCode.unauthorized,
                "The metrics need the bearer token given to the hub with --metrics-token-file.")
        }
        metrics.request(route: "metrics", status: 200)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
    }

    /// Times a store operation for `/metrics`.
    func timed<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        defer { metrics.storeLatency(operation: operation, seconds: Self.seconds(ContinuousClock.now - started)) }
        return try await body()
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func replicas(_ request: Request, _ name: String) async throws -> Response {
        let knowledgeBase = try await existing(name)
        let replicas = try await timed("replicas") { try await store.replicas(in: name) }
        return Self.json(
            try Self.encode(ReplicasResponse(epoch: knowledgeBase.epoch, head: knowledgeBase.head, replicas: replicas)),
            compress: Self.acceptsGzip(request))
    }

    private func pull(_ request: Request, _ name: String) async throws -> Response {
        let knowledgeBase = try await existing(name)
        // A parameter given twice counts with its last value.
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        guard let after = Int64(query["after"] ?? "0"), after >= 0 else {
            throw HubError(.badRequest, HubErrorCode.badRequest, "'after' must be a whole number of 0 or more.")
        }
        guard let limit = Int(query["limit"] ?? "1000"), (1...10_000).contains(limit) else {
            throw HubError(.badRequest, HubErrorCode.badRequest, "'limit' must be between 1 and 10000.")
        }
        if after > knowledgeBase.head {
            throw HubError(
                .conflict, HubErrorCode.historyChanged,
                "The hub's log ends at \(knowledgeBase.head), before \(after); reconcile from the start.")
        }
        if let expected = query["expect"], after > 0 {
            let actual = try await store.changeID(in: name, at: after)
            guard actual == expected else {
                throw HubError(
                    .conflict, HubErrorCode.historyChanged,
                    "The hub's log at \(after) is not the one this replica saw; reconcile from the start.")
            }
        }
        let page = try await timed("pull") {
            try await store.changes(
                in: name, after: after, limit: limit, maxBytes: SyncLimits.batchBytes,
                excluding: query["exclude"])
        }
        metrics.pulled(changes: page.changes.count, bytes: page.changes.reduce(0) { $0 + $1.payload.count })
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
        return Self.json(out, compress: Self.acceptsGzip(request))
    }

    /// The body of a push, read only now that the token is checked: a body announced larger than the hub takes is
    /// refused from its `Content-Length`, before any of it is read, and reading stops at the limit.
    private func body(of request: Request) async throws -> [UInt8] {
        if let length = request.headers[.contentLength], Int(length).map({ $0 > SyncLimits.maxBodyBytes }) ?? true {
            throw HubError.bodyTooLarge
        }
        var buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: SyncLimits.maxBodyBytes)
        } catch {
            throw HubError.bodyTooLarge
        }
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    private func push(_ request: Request, _ name: String) async throws -> Response {
        let body = try await body(of: request)
        let knowledgeBase = try await existing(name)
        // Inflation and decoding are bounded in bytes, nesting and changes (docs/threat_model.md).
        let pushed: PushRequest
        do {
            pushed = try WireDecoding.push(
                body, gzip: request.headers.lastValue(.contentEncoding)?.lowercased() == "gzip")
        } catch {
            throw HubError(
                error.isSizeLimit ? .contentTooLarge : .badRequest,
                error.isSizeLimit ? HubErrorCode.bodyTooLarge : HubErrorCode.malformedBody,
                error.reason == .badJSON
                    ? "The body is not a push of changes: {\"replica\": …, \"changes\": [ … ]}." : error.message)
        }
        let limit = clock.now() + SyncLimits.maxClockAheadMilliseconds
        var incoming: [IncomingChange] = []
        incoming.reserveCapacity(pushed.changes.count)
        guard WireValidator.isReplicaID(pushed.replica) else {
            throw HubError(
                .unprocessableContent, HubErrorCode.invalidChange,
                "The push's sender is not a replica id of 16 lowercase hex digits.")
        }
        for (index, change) in pushed.changes.enumerated() {
            do {
                try WireValidator.check(change)
            } catch {
                // The reason names the part, never the value: what was sent may be large or hostile.
                throw HubError(
                    .unprocessableContent, HubErrorCode.invalidChange,
                    "Change \(index + 1) of the push is refused: \(error.reason).")
            }
            let stamped = HybridTimestamp(rawValue: change.hlc).milliseconds
            if stamped > limit {
                let minutes = (stamped - clock.now()) / 60_000
                throw HubError(
                    .unprocessableContent, HubErrorCode.clockAhead,
                    "The hub refused changes stamped \(minutes) minutes ahead of its clock (more than 5 allowed); "
                        + "set this machine's clock right: changes made from then on sync at once, and those already "
                        + "stamped ahead are taken when the hub's clock reaches them.")
            }
            incoming.append(
                IncomingChange(
                    replica: change.replica, seq: change.seq, hlc: change.hlc, payload: change.jsonBytes))
        }
        do {
            let outcome = try await timed("push") {
                try await store.append(incoming, to: name, receivedAt: clock.now())
            }
            metrics.pushed(changes: outcome.accepted, bytes: body.count)
            return Self.json(
                try Self.encode(
                    PushResponse(
                        accepted: outcome.accepted, duplicates: outcome.duplicates, head: outcome.head,
                        epoch: knowledgeBase.epoch)),
                compress: Self.acceptsGzip(request))
        } catch let error as HubStoreError {
            if case .sequenceGap(let replica, let expected, let got) = error.code {
                throw HubError(
                    .conflict, HubErrorCode.sequenceGap,
                    "Changes of replica \(Self.echo(replica)) must arrive in order: expected \(expected), got \(got).")
            }
            if case .sequenceReused(let replica, let seq) = error.code {
                throw HubError(
                    .conflict, HubErrorCode.sequenceReused,
                    "The hub holds another change \(Self.echo(replica)):\(seq); this replica's file was probably "
                        + "restored from an older copy.")
            }
            throw error
        }
    }

    private func existing(_ name: String) async throws -> HubKnowledgeBase {
        guard let knowledgeBase = try await timed("knowledge_base", { try await store.knowledgeBase(name) }) else {
            throw HubError(.notFound, HubErrorCode.notFound, "There is no knowledge base '\(Self.echo(name))'.")
        }
        return knowledgeBase
    }

    // MARK: - Responses

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// Names echoed in messages keep at most this many code points.
    static let maxEchoedCodePoints = 64

    /// A name from a request, as a message may echo it: cut to ``maxEchoedCodePoints`` code points (not
    /// characters: one character may hold thousands of combining marks), followed by `…` when cut.
    static func echo(_ name: String) -> String {
        guard name.unicodeScalars.count > maxEchoedCodePoints else { return name }
        return String(String.UnicodeScalarView(name.unicodeScalars.prefix(maxEchoedCodePoints))) + "…"
    }

    static func jsonString(_ text: String) -> String {
        JSONText.string(text)
    }

    static func acceptsGzip(_ request: Request) -> Bool {
        request.headers.lastValue(.acceptEncoding)?.lowercased().contains("gzip") ?? false
    }

    /// A `200` JSON answer, gzipped when the client takes gzip and it is larger than 1024 bytes.
    static func json(_ bytes: [UInt8], compress: Bool = false) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        var body = bytes
        if compress && bytes.count > 1024, let compressed = try? Gzip.compress(bytes) {
            body = compressed
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
