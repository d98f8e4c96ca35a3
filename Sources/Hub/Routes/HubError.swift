import Foundation
public import HTTPTypes
public import Hummingbird
import NIOCore
import Sync

/// A refusal or failure of a hub route, thrown by routes and middleware and answered by Hummingbird's router
/// as `{"error": CODE, "message": SENTENCE}` JSON with sorted keys (docs/sync-protocol.md, section 6.1); a
/// `503` also carries `Retry-After`.
public struct HubError: HTTPResponseError, Sendable, Equatable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    /// The stable code programs read (``HubErrorCode``).
    public let code: String
    /// One sentence for people.
    public let message: String

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// Seconds a client is asked to wait when the store cannot be reached.
    static let retryAfterSeconds = 1

    /// The answer to a store that cannot be reached: clients retry 5xx answers.
    static let unavailable = HubError(
        .serviceUnavailable, HubErrorCode.unavailable, "The hub's database cannot be reached; try again shortly.")

    static let tokenNeeded = HubError(
        .unauthorized, HubErrorCode.unauthorized, "A bearer token is needed; create one with 'kb serve token create'.")

    static let unknownToken = HubError(
        .unauthorized, HubErrorCode.unauthorized, "The token is not known to this hub.")

    static func forbidden(_ name: String) -> HubError {
        HubError(
            .forbidden, HubErrorCode.forbidden,
            "The token is for another knowledge base than '\(HubService.echo(name))'.")
    }

    static let bodyTooLarge = HubError(
        .contentTooLarge, HubErrorCode.bodyTooLarge,
        "The request body is larger than \(SyncLimits.maxBodyBytes) bytes; send fewer changes at once.")

    /// A route that is there only when the operator enables it (`/metrics`), while it is not.
    static let noSuchRoute = HubError(
        .notFound, HubErrorCode.notFound, "There is no such route; see docs/sync-protocol.md.")

    /// What a thrown error is answered with, when the routes know it: a hub error as it is, a store that cannot
    /// be reached as ``unavailable``; nil for any other.
    static func known(_ error: any Error) -> HubError? {
        if let known = error as? HubError { return known }
        if let stored = error as? HubStoreError, case .unavailable = stored.code { return .unavailable }
        return nil
    }

    /// The JSON body.
    var body: [UInt8] {
        (try? HubService.encode(HubErrorBody(error: code, message: message))) ?? []
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if status == .serviceUnavailable { headers[.retryAfter] = "\(Self.retryAfterSeconds)" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    public var description: String { "\(status.code) \(code): \(message)" }
}
