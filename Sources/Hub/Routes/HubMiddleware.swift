import Foundation
import HTTPTypes
public import Hummingbird
import Logging
import Sync

/// The request context of the hub's routes.
public struct HubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The knowledge base the request's bearer token opens, set by ``HubAuthMiddleware`` on the sync routes.
    public var knowledgeBase: String?
    /// The request's id (``HubRequestLogMiddleware``), carried by its answer and its log lines.
    public var requestID = ""

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Bodies are accepted up to ``SyncLimits/maxBodyBytes``.
    public var maxUploadSize: Int { SyncLimits.maxBodyBytes }

    /// The knowledge base the token opened.
    ///
    /// A route reached without ``HubAuthMiddleware`` is refused as a request without a token is.
    func authenticated() throws -> String {
        guard let knowledgeBase else { throw HubError.tokenNeeded }
        return knowledgeBase
    }
}

/// Resolves the bearer token of a sync route (`/v1/kb/{kb}/…`) and puts the knowledge base it opens in the
/// request context, before the route runs and before anything reads the body.
///
/// No token or an unknown one is `401`; a token of another knowledge base than the path's is `403`, whether
/// or not a knowledge base of that name exists (docs/sync-protocol.md, section 6.2).
struct HubAuthMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    let service: HubService

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.knowledgeBase = try await authenticate(request, context)
        return try await next(request, context)
    }

    private func authenticate(_ request: Request, _ context: Context) async throws -> String {
        let name = context.parameters.get("kb") ?? ""
        guard let header = request.headers.lastValue(.authorization), header.lowercased().hasPrefix("bearer "),
            case let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces), !token.isEmpty
        else { throw HubError.tokenNeeded }
        let owner: String?
        do {
            owner = try await service.timed("token") {
                try await service.store.knowledgeBase(forTokenHash: TokenHash.hash(token))
            }
        } catch {
            if let known = HubError.known(error) { throw known }
            service.logger.error(
                "token check failed",
                metadata: ["request_id": .string(context.requestID), "error": .string("\(error)")])
            throw HubError(
                .internalServerError, HubErrorCode.internalError, "The hub could not check the token; try again.")
        }
        guard let owner else { throw HubError.unknownToken }
        guard owner == name else { throw HubError.forbidden(name) }
        return owner
    }
}

/// Gives each sync request its id, answers what the route or ``HubAuthMiddleware`` throws, counts the answer
/// in `/metrics` by route and status, and logs one line for it.
///
/// It runs first, so that refusals of the token are counted and logged as the routes' answers are.
struct HubRequestLogMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    let service: HubService

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        var context = context
        context.requestID = Self.requestID(request.headers.lastValue(.requestID))
        let route = HubService.routeName(request.method, context.endpointPath)
        var response: Response
        var errorCode = ""
        do {
            response = try await next(request, context)
        } catch {
            let failure = answer(error, route: route, requestID: context.requestID)
            errorCode = failure.code
            response = try failure.response(from: request, context: context)
        }
        if let name = HTTPField.Name.requestID { response.headers[name] = context.requestID }
        service.metrics.request(route: route, status: response.status.code)
        service.logger.info(
            "request",
            metadata: [
                "request_id": .string(context.requestID), "route": .string(route),
                "kb": .string(HubService.echo(context.parameters.get("kb") ?? "")),
                "status": .stringConvertible(response.status.code), "error": .string(errorCode),
                "ms": .string(String(format: "%.1f", HubService.seconds(ContinuousClock.now - started) * 1000)),
            ])
        return response
    }

    /// The error a request failed with, as the answer it gets; a store out of reach and unknown failures are
    /// logged.
    private func answer(_ error: any Error, route: String, requestID: String) -> HubError {
        let metadata: Logger.Metadata = [
            "route": .string(route), "request_id": .string(requestID), "error": .string("\(error)"),
        ]
        if let known = HubError.known(error) {
            if known.status == .serviceUnavailable {
                service.logger.warning("store unavailable", metadata: metadata)
            }
            return known
        }
        service.logger.error("request failed", metadata: metadata)
        return HubError(
            .internalServerError, HubErrorCode.internalError, "The hub could not complete the request; try again.")
    }

    /// The request id: the client's `X-Request-Id` when it is short and plain, else a new one.
    static func requestID(_ given: String?) -> String {
        if let given, (1...64).contains(given.utf8.count),
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
}

extension HTTPField.Name {
    /// `X-Request-Id` (a valid name: never nil).
    static let requestID = HTTPField.Name("X-Request-Id")
}

extension HTTPFields {
    /// The last value of a field sent more than once, as one sent once.
    func lastValue(_ name: HTTPField.Name?) -> String? {
        name.flatMap { self[values: $0].last }
    }
}
