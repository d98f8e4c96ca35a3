internal import CCurl
import Foundation

/// Sends hub requests through libcurl.
///
/// One easy handle is kept and reused, so connections stay open between requests. Transfers run
/// on the transport's own serial queue behind a checked continuation: the cooperative thread
/// pool never blocks on network I/O. Bodies are gzip-compressed by the caller when large;
/// responses may come compressed (libcurl decodes them). `Expect: 100-continue` is suppressed,
/// proxies from the environment are honoured, and https certificates are verified.
public final class CurlTransport: HubTransport, @unchecked Sendable {
    // @unchecked Sendable: `handle` is only touched on `queue`, a serial queue.
    private let queue = DispatchQueue(label: "kb.curl")
    private var handle: CurlEasyHandle?

    /// Seconds allowed to connect (default 10).
    public let connectTimeout: Int
    /// Seconds allowed for a whole request (default 120).
    public let timeout: Int

    /// Bytes an answer may hold once decoded (default 64 MiB, ``SyncLimits/maxResponseBytes``): counted as
    /// libcurl inflates it, so a small compressed answer that would inflate beyond it is cut off on the way.
    public let maxResponseBytes: Int

    public init(connectTimeout: Int = 10, timeout: Int = 120, maxResponseBytes: Int = SyncLimits.maxResponseBytes) {
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    public func send(_ request: HubRequest) async throws -> HubResponse {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HubResponse, any Error>) in
            queue.async {
                continuation.resume(with: Result { try self.perform(request) })
            }
        }
    }

    /// Collects response bytes; passed to libcurl through `Unmanaged`.
    private final class Sink {
        var bytes: [UInt8] = []
        /// True once the blank line that ends the last header block arrived.
        var headersEnded = false
        /// The most decoded bytes taken.
        let limit: Int
        /// True when the answer grew beyond `limit` and the transfer was stopped.
        var isOverLimit = false

        init(limit: Int) {
            self.limit = limit
        }
    }

    private func perform(_ request: HubRequest) throws -> HubResponse {
        let easy: CurlEasyHandle
        if let existing = handle {
            existing.reset()
            easy = existing
        } else {
            easy = try CurlEasyHandle()
            handle = easy
        }
        try easy.set(CURLOPT_URL, request.url)
        try easy.set(CURLOPT_NOSIGNAL, 1)
        try easy.set(CURLOPT_CONNECTTIMEOUT, connectTimeout)
        try easy.set(CURLOPT_TIMEOUT, timeout)
        try easy.set(CURLOPT_SSL_VERIFYPEER, 1)
        try easy.set(CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile = request.caFile { try easy.set(CURLOPT_CAINFO, caFile) }
        try easy.set(CURLOPT_ACCEPT_ENCODING, "")  // every encoding libcurl can decode
        try easy.set(CURLOPT_FOLLOWLOCATION, 0)
        try easy.set(CURLOPT_USERAGENT, "kb/0.1")
        switch request.method {
        case .get:
            try easy.set(CURLOPT_HTTPGET, 1)
        case .post:
            try easy.set(CURLOPT_POST, 1)
            try easy.setBody(request.body ?? [])
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers { list = kb_curl_slist_append(list, "\(name): \(value)") }
        list = kb_curl_slist_append(list, "Expect:")
        defer { kb_curl_slist_free_all(list) }
        try easy.set(headers: list)

        let sink = Sink(limit: maxResponseBytes)
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        try easy.set(CURLOPT_WRITEDATA, pointer: unmanaged.toOpaque())
        try easy.setWriteFunction { data, size, count, context in
            guard let data, let context else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            // Decoded bytes arrive here as libcurl inflates them: stop as soon as the answer is too large
            // (returning less than `length` makes libcurl abort the transfer).
            guard sink.bytes.count + length <= sink.limit else {
                sink.isOverLimit = true
                return 0
            }
            data.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                sink.bytes.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
            }
            return length
        }
        // libcurl reports success when the connection closes right after the status line or in the
        // headers (it then reads the answer as one without a length), so the end of the headers is
        // watched here: an answer cut before it is a failed request, to be repeated, not an empty body.
        try easy.set(CURLOPT_HEADERDATA, pointer: unmanaged.toOpaque())
        try easy.setHeaderFunction { data, size, count, context in
            guard let data, let context else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            data.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                let line = UnsafeBufferPointer(start: bytes, count: length)
                if line.starts(with: Array("HTTP/".utf8)) {
                    sink.headersEnded = false  // a new block (after a 1xx answer)
                } else if line.elementsEqual([13, 10]) || line.elementsEqual([10]) {
                    sink.headersEnded = true
                }
            }
            return length
        }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        try easy.set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))

        let (code, detail) = easy.perform(errorBuffer: errorBuffer)
        if sink.isOverLimit {
            handle = nil
            // Not a connection error: asking again would get the same answer.
            throw SyncError(
                .protocolMismatch,
                "the answer is larger than \(maxResponseBytes) bytes once decompressed", code: "answer_too_large")
        }
        if code != CURLE_OK {
            // A failed transfer may leave the connection in a bad state: start afresh next time.
            handle = nil
            if let refusal = Self.certificateRefusal(code, detail: detail, request: request) { throw refusal }
            throw SyncError(.unreachable, detail ?? "the request failed", code: "curl_\(code.rawValue)")
        }
        guard sink.headersEnded else {
            handle = nil
            throw SyncError(
                .unreachable, "the connection closed before the end of the answer's headers", code: "truncated")
        }
        return HubResponse(status: easy.responseCode(), body: sink.bytes)
    }

    /// A hub whose certificate cannot be verified, or a CA file that cannot be read: not a passing network
    /// failure, so not retried.
    static func certificateRefusal(_ code: CURLcode, detail: String?, request: HubRequest) -> SyncError? {
        var origin = request.url
        if let components = URLComponents(string: request.url), let scheme = components.scheme,
            let host = components.host
        {
            origin = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host)" + (components.port.map { ":\($0)" } ?? "")
        }
        switch code {
        case CURLE_PEER_FAILED_VERIFICATION:
            let vouching = request.caFile.map { "the CA file '\($0)'" } ?? "this system's CAs"
            return SyncError(
                .configuration,
                "The certificate of the hub at '\(origin)' is not vouched for by \(vouching) "
                    + "(\(detail ?? "verification failed")); give the CA that signed it with --ca-file.",
                code: "curl_\(code.rawValue)")
        case CURLE_SSL_CACERT_BADFILE:
            return SyncError(
                .configuration,
                "The CA file '\(request.caFile ?? "")' cannot be read as PEM certificates; check the path given "
                    + "with --ca-file.",
                code: "curl_\(code.rawValue)")
        default:
            return nil
        }
    }
}
