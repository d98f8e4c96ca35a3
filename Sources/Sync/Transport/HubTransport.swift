import Foundation

/// An HTTP request to the hub.
public struct HubRequest: Sendable, Equatable {
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
    }

    public var method: Method
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// A PEM file of the CAs that vouch for an https hub, instead of the system's (a private CA); nil for
    /// the system's.
    public var caFile: String?

    public init(
        method: Method, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil, caFile: String? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.caFile = caFile
    }

    public static func == (lhs: HubRequest, rhs: HubRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body && lhs.caFile == rhs.caFile
            && lhs.headers.map { $0.0 + ":" + $0.1 } == rhs.headers.map { $0.0 + ":" + $0.1 }
    }
}

/// The hub's answer.
public struct HubResponse: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// How requests reach the hub.
///
/// The real one is ``CurlTransport``; tests may use a fake.
public protocol HubTransport: Sendable {
    /// Sends a request and returns the response, whatever its status.
    ///
    /// - Throws: ``SyncError`` of kind ``SyncError/Kind/unreachable`` when no response arrived.
    func send(_ request: HubRequest) async throws -> HubResponse
}

/// When and how often to try again.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included (default 4).
    public var attempts = 4
    /// Wait before the first retry, doubled each time (default 0.2 s).
    public var initialDelay: Duration = .milliseconds(200)

    public init(attempts: Int = 4, initialDelay: Duration = .milliseconds(200)) {
        self.attempts = attempts
        self.initialDelay = initialDelay
    }
}

/// Retries requests that failed to connect, were cut off, or got a 5xx, with exponential backoff.
///
/// Every hub request is safe to repeat: pushes are idempotent by change id, pulls only read.
public struct RetryingTransport: HubTransport {
    public let base: any HubTransport
    public let policy: RetryPolicy

    public init(_ base: any HubTransport, policy: RetryPolicy = RetryPolicy()) {
        self.base = base
        self.policy = policy
    }

    public func send(_ request: HubRequest) async throws -> HubResponse {
        var delay = policy.initialDelay
        var attempt = 1
        while true {
            do {
                let response = try await base.send(request)
                if response.status >= 500 && attempt < policy.attempts {
                    attempt += 1
                    try await Task.sleep(for: delay)
                    delay *= 2
                    continue
                }
                return response
            } catch let error as SyncError where error.kind == .unreachable && attempt < policy.attempts {
                attempt += 1
                try await Task.sleep(for: delay)
                delay *= 2
            }
        }
    }
}
