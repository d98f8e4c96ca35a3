import Foundation

/// Decodes pushes and pull pages with bounds on what hostile bytes can cost.
///
/// Before a body reaches `JSONDecoder`, it is inflated with a cap on its size (checked while inflating)
/// and scanned once without allocating: nesting deeper than ``Limits/maxDepth``, more than
/// ``Limits/maxChanges`` changes or more than ``Limits/maxValues`` JSON values are refused. So the
/// memory a body costs is bounded by a small multiple of ``Limits/maxInflatedBytes``, whatever the
/// compression ratio, and nothing recurses deeper than the limit.
///
/// ```swift
/// let push = try WireDecoding.push(body, gzip: true)
/// let page = try WireDecoding.pullPage(response.body)
/// ```
public enum WireDecoding {
    /// Bounds on a decoded body.
    public struct Limits: Sendable, Equatable {
        /// Bytes of JSON after decompression (default ``SyncLimits/maxBodyBytes``, 16 MiB).
        public var maxInflatedBytes = SyncLimits.maxBodyBytes
        /// Nesting of objects and arrays (default 16; a change nests 3 deep in a push, 4 in a page).
        public var maxDepth = 16
        /// Changes in one push or page (default ``SyncLimits/maxChangesPerRequest``).
        public var maxChanges = SyncLimits.maxChangesPerRequest
        /// JSON values of any kind (default 1,000,000: some fifty per change at the change limit).
        public var maxValues = 1_000_000

        public init() {}
    }

    /// Inflates (when `gzip`) and decodes a push request.
    ///
    /// - Parameters:
    ///   - body: The request body as received.
    ///   - gzip: True when the body came with `Content-Encoding: gzip`.
    ///   - limits: The bounds to enforce.
    /// - Returns: The push request.
    /// - Throws: ``WireDecodingError`` naming the bound crossed or the malformed part.
    public static func push(_ body: [UInt8], gzip: Bool, limits: Limits = Limits()) throws(WireDecodingError)
        -> PushRequest
    {
        try decode(PushRequest.self, body, gzip: gzip, limits: limits)
    }

    /// Inflates (when `gzip`) and decodes one page of the hub's log.
    ///
    /// - Parameters:
    ///   - body: The response body as received.
    ///   - gzip: True when the body is still gzip-compressed.
    ///   - limits: The bounds to enforce.
    /// - Returns: The page.
    /// - Throws: ``WireDecodingError`` naming the bound crossed or the malformed part.
    public static func pullPage(_ body: [UInt8], gzip: Bool = false, limits: Limits = Limits())
        throws(WireDecodingError) -> PullResponse
    {
        try decode(PullResponse.self, body, gzip: gzip, limits: limits)
    }

    /// Inflates (when `gzip`), scans and decodes any answer or request of the protocol.
    ///
    /// - Throws: ``WireDecodingError``.
    public static func decode<T: Decodable>(
        _ type: T.Type, _ body: [UInt8], gzip: Bool = false, limits: Limits = Limits()
    ) throws(WireDecodingError) -> T {
        var bytes = body
        if gzip {
            do {
                bytes = try Gzip.decompress(body, limit: limits.maxInflatedBytes)
            } catch let error as SyncError where error.message == Gzip.error("size limit").message {
                throw WireDecodingError(.tooLarge(limit: limits.maxInflatedBytes))
            } catch {
                throw WireDecodingError(.badGzip)
            }
        }
        if bytes.count > limits.maxInflatedBytes { throw WireDecodingError(.tooLarge(limit: limits.maxInflatedBytes)) }
        try scan(bytes, limits: limits)
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw WireDecodingError(.badJSON)
        }
    }

    /// Walks the JSON structure once, counting and bounding it, without building anything.
    ///
    /// Objects that open at depth 3 inside an array are counted as changes: the changes of a push
    /// (`{"changes":[{…}]}`) and the entries of a page (`{"changes":[{"hub_seq":…,"change":{…}}]}`).
    static func scan(_ bytes: [UInt8], limits: Limits) throws(WireDecodingError) {
        // One bit per level: 1 for an array. 64 levels fit; the limit is checked before that.
        var arrays: UInt64 = 0
        var depth = 0
        var values = 0
        var changes = 0
        var inString = false
        var escaped = false
        try bytes.withUnsafeBufferPointer { (buffer) throws(WireDecodingError) in
            for byte in buffer {
                if inString {
                    if escaped {
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""):
                    inString = true
                    values += 1
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    values += 1
                    if depth > min(limits.maxDepth, 63) { throw WireDecodingError(.tooDeep(limit: limits.maxDepth)) }
                    let isArray = byte == UInt8(ascii: "[")
                    if isArray {
                        arrays |= 1 << UInt64(depth)
                    } else {
                        arrays &= ~(1 << UInt64(depth))
                        if depth == 3 && arrays & (1 << 2) != 0 {
                            changes += 1
                            if changes > limits.maxChanges {
                                throw WireDecodingError(.tooManyChanges(limit: limits.maxChanges))
                            }
                        }
                    }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard depth > 0 else { throw WireDecodingError(.badJSON) }
                    depth -= 1
                case UInt8(ascii: ","):
                    values += 1
                default:
                    continue
                }
                if values > limits.maxValues { throw WireDecodingError(.tooManyValues(limit: limits.maxValues)) }
            }
        }
    }
}

/// Why a push or a page was refused before or while decoding it.
public struct WireDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bound crossed, or what is malformed.
    public enum Reason: Sendable, Equatable {
        /// Larger than this many bytes once inflated.
        case tooLarge(limit: Int)
        /// Nested deeper than this.
        case tooDeep(limit: Int)
        /// More changes than this.
        case tooManyChanges(limit: Int)
        /// More JSON values than this.
        case tooManyValues(limit: Int)
        /// Not a complete gzip member.
        case badGzip
        /// Not JSON of the expected shape.
        case badJSON
    }

    public let reason: Reason

    public init(_ reason: Reason) { self.reason = reason }

    /// True for bounds on size (HTTP 413), false for malformed input (HTTP 400).
    public var isSizeLimit: Bool {
        switch reason {
        case .tooLarge, .tooManyChanges, .tooManyValues: true
        case .tooDeep, .badGzip, .badJSON: false
        }
    }

    /// One sentence: what was refused and what to do.
    public var message: String {
        switch reason {
        case .tooLarge(let limit):
            "The body inflates to more than \(limit) bytes; send fewer changes at once."
        case .tooDeep(let limit):
            "The body nests JSON more than \(limit) levels deep; send changes as the protocol shapes them."
        case .tooManyChanges(let limit):
            "The body holds more than \(limit) changes; send fewer changes at once."
        case .tooManyValues(let limit):
            "The body holds more than \(limit) JSON values; send fewer changes at once."
        case .badGzip:
            "The gzip body could not be decompressed; send a complete gzip member."
        case .badJSON:
            "The body is not JSON of the protocol's shape; see docs/sync-protocol.md."
        }
    }

    public var description: String { "WireDecodingError(\(reason))" }
}
