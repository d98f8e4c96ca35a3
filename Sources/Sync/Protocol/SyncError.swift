/// A sync failure: what went wrong, in one sentence a user can act on.
public struct SyncError: Error, Sendable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        public var description: String { raw }

        /// The hub could not be reached (connection refused, timeout, DNS).
        public static let unreachable = Kind("unreachable")
        /// The hub refused the token (401) or the token is for another knowledge base (403).
        public static let unauthorized = Kind("unauthorized")
        /// The hub refused changes stamped too far ahead of its clock.
        public static let clockAhead = Kind("clock_ahead")
        /// The hub answered with an error.
        public static let hub = Kind("hub")
        /// The hub's answer could not be understood.
        public static let protocolMismatch = Kind("protocol")
        /// The remote is not configured right.
        public static let configuration = Kind("configuration")
    }

    public let kind: Kind
    public let message: String
    /// The HTTP status, when the hub answered.
    public let status: Int?
    /// The hub's error code, when it gave one.
    public let code: String?

    public init(_ kind: Kind, _ message: String, status: Int? = nil, code: String? = nil) {
        self.kind = kind
        self.message = message
        self.status = status
        self.code = code
    }

    public var description: String { "SyncError(\(kind), status: \(status.map(String.init) ?? "-"))" }
}
