import Foundation
public import KB
public import Logging
import Sync

/// A request to the hub, independent of the HTTP server that carries it.
public struct HubServiceRequest: Sendable {
    public var method: String
    /// The path, without the query.
    public var path: String
    public var query: [String: String]
    /// Header names in lowercase.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// The hub's answer.
public struct HubServiceResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
}

/// The hub's HTTP API as a function from requests to responses: the routes of `kb serve`,
/// usable in-process by tests and by anything that carries HTTP.
///
/// ```
/// GET  /health                  liveness: the process answers
/// GET  /health/ready            readiness: the store answers too (503 when not)
/// GET  /metrics                 Prometheus text, when enabled, with its own token
/// GET  /v1/kb/{kb}/replicas
/// GET  /v1/kb/{kb}/changes?after=N&limit=M[&exclude=REPLICA][&expect=REPLICA:SEQ]
/// POST /v1/kb/{kb}/changes        {"replica": …, "changes": [ … ]}
/// ```
/// Every route but `/health` needs `Authorization: Bearer TOKEN` for that knowledge base: no
/// token or an unknown one is 401, a token of another knowledge base is 403. Errors are JSON
/// `{"error": CODE, "message": SENTENCE}`. See docs/sync-protocol.md.
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

    /// Answers a request.
    public func respond(_ request: HubServiceRequest) async -> HubServiceResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        if parts == ["health"] && request.method == "GET" {
            return Self.json(200, Array(#"{"status":"ok"}"#.utf8))
        }
        if parts == ["health", "ready"] && request.method == "GET" {
            return await ready()
        }
        if parts == ["metrics"] && request.method == "GET" && metricsTokenHash != nil {
            return scrape(request)
        }
        guard parts.count == 4, parts[0] == "v1", parts[1] == "kb" else {
            return Self.error(404, HubErrorCode.notFound, "There is no such route; see docs/sync-protocol.md.")
        }
        let name = parts[2]
        switch (request.method, parts[3]) {
        case ("GET", "replicas"):
            return await handle(request, name, route: "replicas") { try await self.replicas(name) }
        case ("GET", "changes"):
            return await handle(request, name, route: "pull") { try await self.pull(name, request) }
        case ("POST", "changes"):
            return await handle(request, name, route: "push") { try await self.push(name, request) }
        default:
            return Self.error(404, HubErrorCode.notFound, "There is no such route; see docs/sync-protocol.md.")
        }
    }

    /// Checks the token of a request before its body is read: the answer to send at once, or nil.
    ///
    /// A refusal is counted in `/metrics` and logged as ``respond(_:)`` counts and logs the requests it answers.
    public func precheck(method: String, path: String, headers: [String: String]) async -> HubServiceResponse? {
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count == 4, parts[0] == "v1", parts[1] == "kb" else { return nil }
        let started = ContinuousClock.now
        let request = HubServiceRequest(method: method, path: path, headers: headers)
        var response: HubServiceResponse
        var code: String
        do {
            try await authorize(request, knowledgeBase: parts[2])
            return nil
        } catch {
            if let failure = Self.failure(of: error) {
                response = Self.answer(failure)
                code = failure.code
            } else {
                response = Self.error(500, HubErrorCode.internalError, "The hub could not check the token; try again.")
                code = HubErrorCode.internalError
            }
        }
        let requestID = Self.requestID(request)
        response.headers["x-request-id"] = requestID
        let route = Self.route(method: method, last: parts[3])
        metrics.request(route: route, status: response.status)
        logger.info(
            "request",
            metadata: [
                "request_id": .string(requestID), "route": .string(route), "kb": .string(Self.echo(parts[2])),
                "status": .stringConvertible(response.status), "error": .string(code),
                "ms": .string(String(format: "%.1f", Self.seconds(ContinuousClock.now - started) * 1000)),
            ])
        return response
    }

    /// The name a sync route has in `/metrics` and in the logs.
    static func route(method: String, last: String) -> String {
        switch (method, last) {
        case ("GET", "changes"): "pull"
        case ("POST", "changes"): "push"
        case (_, "replicas"): "replicas"
        default: "other"
        }
    }

    /// The answer to a body larger than the hub accepts.
    public static func bodyTooLarge() -> HubServiceResponse {
        error(
            413, HubErrorCode.bodyTooLarge,
            "The request body is larger than \(SyncLimits.maxBodyBytes) bytes; send fewer changes at once.")
    }

    // MARK: - Routes

    /// A failure with its HTTP answer.
    struct Failure: Error {
        let status: Int
        let code: String
        let message: String

        /// The answer to a store that cannot be reached: clients retry 5xx answers.
        static let unavailable = Failure(
            status: 503, code: HubErrorCode.unavailable,
            message: "The hub's database cannot be reached; try again shortly.")
    }

    /// Seconds a client is asked to wait when the store cannot be reached.
    static let retryAfterSeconds = 1

    /// A store failure as the answer it gets, or nil for one the routes do not know.
    static func failure(of error: any Error) -> Failure? {
        if let failure = error as? Failure { return failure }
        if let stored = error as? HubStoreError, case .unavailable = stored.code { return .unavailable }
        return nil
    }

    static func answer(_ failure: Failure) -> HubServiceResponse {
        var response = error(failure.status, failure.code, failure.message)
        if failure.status == 503 { response.headers["retry-after"] = "\(retryAfterSeconds)" }
        return response
    }

    private func ready() async -> HubServiceResponse {
        do {
            try await store.checkReady()
            return Self.json(200, Array(#"{"status":"ready"}"#.utf8))
        } catch {
            logger.warning("store not ready", metadata: ["error": .string("\(error)")])
            return Self.answer(.unavailable)
        }
    }

    private func scrape(_ request: HubServiceRequest) -> HubServiceResponse {
        guard let expected = metricsTokenHash, let header = request.headers["authorization"],
            header.lowercased().hasPrefix("bearer "),
            TokenHash.constantTimeEquals(
                TokenHash.hash(header.dropFirst(7).trimmingCharacters(in: .whitespaces)), expected)
        else {
            metrics.request(route: "metrics", status: 401)
            return Self.error(
                401, HubErrorCode.unauthorized,
                "The metrics need the bearer token given to the hub with --metrics-token-file.")
        }
        metrics.request(route: "metrics", status: 200)
        return HubServiceResponse(
            status: 200, headers: ["content-type": "text/plain; version=0.0.4; charset=utf-8"],
            body: Array(metrics.render().utf8))
    }

    /// Authenticates, runs a route, and turns failures into JSON errors; logs one line per request.
    private func handle(
        _ request: HubServiceRequest, _ name: String, route: String, _ body: () async throws -> [UInt8]
    ) async -> HubServiceResponse {
        let started = ContinuousClock.now
        var status = 200
        var errorCode = ""
        var response: HubServiceResponse
        let requestID = Self.requestID(request)
        do {
            try await authorize(request, knowledgeBase: name)
            response = Self.json(200, try await body(), compress: Self.acceptsGzip(request))
        } catch let error where Self.failure(of: error) != nil {
            let failure = Self.failure(of: error) ?? .unavailable
            status = failure.status
            errorCode = failure.code
            response = Self.answer(failure)
            if status == 503 {
                logger.warning(
                    "store unavailable",
                    metadata: ["route": .string(route), "request_id": .string(requestID), "error": .string("\(error)")])
            }
        } catch {
            status = 500
            errorCode = HubErrorCode.internalError
            logger.error(
                "request failed",
                metadata: ["route": .string(route), "request_id": .string(requestID), "error": .string("\(error)")])
            response = Self.error(500, HubErrorCode.internalError, "The hub could not complete the request; try again.")
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        response.headers["x-request-id"] = requestID
        metrics.request(route: route, status: status)
        logger.info(
            "request",
            metadata: [
                "request_id": .string(requestID), "route": .string(route), "kb": .string(Self.echo(name)),
                "status": .stringConvertible(status), "error": .string(errorCode),
                "ms": .string(String(format: "%.1f", milliseconds)),
            ])
        return response
    }

    /// The request id: the client's `X-Request-Id` when it is short and plain, else a new one.
    static func requestID(_ request: HubServiceRequest) -> String {
        if let given = request.headers["x-request-id"], (1...64).contains(given.utf8.count),
            given.utf8.allSatisfy({
                $0 == 45 || $0 == 95 || $0 == 46 || (48...57).contains($0) || (65...90).contains($0)
                    || (97...122).contains($0)
            })
        {
            return given
        }
        var generator = SystemRandomNumberGenerator()
        return String(format: "%016llx", generator.next() as UInt64)
    }

    /// Times a store operation for `/metrics`.
    private func timed<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        defer { metrics.storeLatency(operation: operation, seconds: Self.seconds(ContinuousClock.now - started)) }
        return try await body()
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func authorize(_ request: HubServiceRequest, knowledgeBase name: String) async throws {
        guard let header = request.headers["authorization"], header.lowercased().hasPrefix("bearer "),
            case let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces), !token.isEmpty
        else {
            throw Failure(
                status: 401, code: HubErrorCode.unauthorized,
                message: "A bearer token is needed; create one with 'kb serve token create'.")
        }
        guard
            let owner = try await timed("token", { try await store.knowledgeBase(forTokenHash: TokenHash.hash(token)) })
        else {
            throw Failure(
                status: 401, code: HubErrorCode.unauthorized, message: "The token is not known to this hub.")
        }
        guard owner == name else {
            throw Failure(
                status: 403, code: HubErrorCode.forbidden,
                message: "The token is for another knowledge base than '\(Self.echo(name))'.")
        }
    }

    private func replicas(_ name: String) async throws -> [UInt8] {
        let knowledgeBase = try await existing(name)
        let replicas = try await timed("replicas") { try await store.replicas(in: name) }
        return try Self.encode(
            ReplicasResponse(epoch: knowledgeBase.epoch, head: knowledgeBase.head, replicas: replicas))
    }

    private func pull(_ name: String, _ request: HubServiceRequest) async throws -> [UInt8] {
        let knowledgeBase = try await existing(name)
        let query = request.query
        guard let after = Int64(query["after"] ?? "0"), after >= 0 else {
            throw Failure(
                status: 400, code: HubErrorCode.badRequest, message: "'after' must be a whole number of 0 or more.")
        }
        guard let limit = Int(query["limit"] ?? "1000"), (1...10_000).contains(limit) else {
            throw Failure(status: 400, code: HubErrorCode.badRequest, message: "'limit' must be between 1 and 10000.")
        }
        if after > knowledgeBase.head {
            throw Failure(
                status: 409, code: HubErrorCode.historyChanged,
                message: "The hub's log ends at \(knowledgeBase.head), before \(after); reconcile from the start.")
        }
        if let expected = query["expect"], after > 0 {
            let actual = try await store.changeID(in: name, at: after)
            guard actual == expected else {
                throw Failure(
                    status: 409, code: HubErrorCode.historyChanged,
                    message: "The hub's log at \(after) is not the one this replica saw; reconcile from the start.")
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
        return out
    }

    private func push(_ name: String, _ request: HubServiceRequest) async throws -> [UInt8] {
        let knowledgeBase = try await existing(name)
        if request.body.count > SyncLimits.maxBodyBytes {
            throw Failure(
                status: 413, code: HubErrorCode.bodyTooLarge,
                message: "The request body is larger than \(SyncLimits.maxBodyBytes) bytes; send fewer changes at once."
            )
        }
        // Inflation and decoding are bounded in bytes, nesting and changes (docs/threat_model.md).
        let pushed: PushRequest
        do {
            pushed = try WireDecoding.push(
                request.body, gzip: request.headers["content-encoding"]?.lowercased() == "gzip")
        } catch {
            throw Failure(
                status: error.isSizeLimit ? 413 : 400,
                code: error.isSizeLimit ? HubErrorCode.bodyTooLarge : HubErrorCode.malformedBody,
                message: error.reason == .badJSON
                    ? "The body is not a push of changes: {\"replica\": …, \"changes\": [ … ]}." : error.message)
        }
        let limit = clock.now() + SyncLimits.maxClockAheadMilliseconds
        var incoming: [IncomingChange] = []
        incoming.reserveCapacity(pushed.changes.count)
        guard WireValidator.isReplicaID(pushed.replica) else {
            throw Failure(
                status: 422, code: HubErrorCode.invalidChange,
                message: "The push's sender is not a replica id of 16 lowercase hex digits.")
        }
        for (index, change) in pushed.changes.enumerated() {
            do {
                try WireValidator.check(change)
            } catch {
                // The reason names the part, never the value: what was sent may be large or hostile.
                throw Failure(
                    status: 422, code: HubErrorCode.invalidChange,
                    message: "Change \(index + 1) of the push is refused: \(error.reason).")
            }
            let stamped = HybridTimestamp(rawValue: change.hlc).milliseconds
            if stamped > limit {
                let minutes = (stamped - clock.now()) / 60_000
                throw Failure(
                    status: 422, code: HubErrorCode.clockAhead,
                    message:
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
            metrics.pushed(changes: outcome.accepted, bytes: request.body.count)
            return try Self.encode(
                PushResponse(
                    accepted: outcome.accepted, duplicates: outcome.duplicates, head: outcome.head,
                    epoch: knowledgeBase.epoch))
        } catch let error as HubStoreError {
            if case .sequenceGap(let replica, let expected, let got) = error.code {
                throw Failure(
                    status: 409, code: HubErrorCode.sequenceGap,
                    message:
                        "Changes of replica \(Self.echo(replica)) must arrive in order: expected \(expected), got \(got)."
                )
            }
            if case .sequenceReused(let replica, let seq) = error.code {
                throw Failure(
                    status: 409, code: HubErrorCode.sequenceReused,
                    message:
                        "The hub holds another change \(Self.echo(replica)):\(seq); this replica's file was probably "
                        + "restored from an older copy.")
            }
            throw error
        }
    }

    private func existing(_ name: String) async throws -> HubKnowledgeBase {
        guard let knowledgeBase = try await timed("knowledge_base", { try await store.knowledgeBase(name) }) else {
            throw Failure(
                status: 404, code: HubErrorCode.notFound, message: "There is no knowledge base '\(Self.echo(name))'.")
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

    static func acceptsGzip(_ request: HubServiceRequest) -> Bool {
        request.headers["accept-encoding"]?.lowercased().contains("gzip") ?? false
    }

    static func json(_ status: Int, _ bytes: [UInt8], compress: Bool = false) -> HubServiceResponse {
        var headers = ["content-type": "application/json"]
        var body = bytes
        if compress && bytes.count > 1024 {
            if let compressed = try? Gzip.compress(bytes) {
                body = compressed
                headers["content-encoding"] = "gzip"
            }
        }
        return HubServiceResponse(status: status, headers: headers, body: body)
    }

    static func error(_ status: Int, _ code: String, _ message: String) -> HubServiceResponse {
        json(status, (try? encode(HubErrorBody(error: code, message: message))) ?? [])
    }
}
