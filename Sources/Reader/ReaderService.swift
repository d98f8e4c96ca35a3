import Crypto
import Foundation
public import KB
public import Sync
import Synchronization

/// One HTTP request as the reader sees it: header names in lowercase, the Host header as `host`.
public struct ReaderRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var headers: [String: String]
    public var body: [UInt8]

    public init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
        body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// One HTTP answer of the reader.
public struct ReaderResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of a header, by name in any case.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// The HTTP methods the reader answers; writes are POST, PUT and DELETE only.
public enum ReaderMethod: String, Sendable {
    case get = "GET"
    case head = "HEAD"
    case post = "POST"
    case put = "PUT"
    case delete = "DELETE"

    public var isWrite: Bool { self == .post || self == .put || self == .delete }
}

/// The reader behind `kb open`: pages and a JSON API over one local knowledge base, with the
/// checks of docs/reader.md (a per-launch secret, the Host header, same-origin writes).
///
/// Independent of the HTTP server: ``respond(_:)`` takes a request and gives the answer.
public final class ReaderService: Sendable {
    public let kb: KnowledgeBase
    /// The per-launch secret: 32 random bytes in hex.
    public let secret: String
    /// The sync that `POST /api/sync` starts and `GET /api/sync` follows.
    let syncJob: ReaderSyncJob
    private let portValue = Mutex(0)

    /// A reader of `kb`; `transport` is how its sync button reaches the hubs of the remotes (libcurl, as
    /// `kb sync`).
    public init(
        kb: KnowledgeBase, secret: String = ReaderService.newSecret(),
        transport: any HubTransport = RetryingTransport(CurlTransport()), port: Int = 0
    ) {
        self.kb = kb
        self.secret = secret
        self.syncJob = ReaderSyncJob(transport: transport)
        portValue.withLock { $0 = port }
    }

    /// The port the reader listens on; set once it is known.
    public var port: Int {
        get { portValue.withLock { $0 } }
        set { portValue.withLock { $0 = newValue } }
    }

    /// A new secret: 32 random bytes in lowercase hex.
    public static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }

    /// The URL printed by `kb open`: it carries the secret once; the reader moves it into a cookie.
    public func url(article: String? = nil) -> String {
        "http://127.0.0.1:\(port)" + (article.map { "/read/\($0)" } ?? "/") + "?key=\(secret)"
    }

    /// The cookie that holds the secret; named after the port, as browsers share cookies across the ports of a host.
    public var cookieName: String { "kb_reader_\(port)" }

    /// The Host header values this reader answers: its loopback address and port, by number or as `localhost`.
    var allowedHosts: Set<String> {
        let port = self.port
        return ["127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)"]
    }

    // MARK: - Answering

    /// Checks the request, then routes it.
    ///
    /// A refusal of a page opened in the browser is a page that says why; the API's are JSON
    /// (`{"error": "…"}`).
    public func respond(_ request: ReaderRequest) async -> ReaderResponse {
        let answer = await checkAndRoute(request)
        guard answer.status >= 400, request.method == "GET" || request.method == "HEAD",
            !request.path.hasPrefix("/api/"), !request.path.hasPrefix("/assets/"),
            let object = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any],
            let message = object["error"] as? String
        else { return answer }
        var headers = Self.commonHeaders + [("Content-Type", "text/html; charset=utf-8")]
        if let allow = answer.header("Allow") { headers.append(("Allow", allow)) }
        return ReaderResponse(
            status: answer.status, headers: headers, body: Array(ReaderPages.error(answer.status, message).utf8))
    }

    func checkAndRoute(_ request: ReaderRequest) async -> ReaderResponse {
        if let refusal = check(request) { return refusal }
        do {
            return try await route(request)
        } catch let error as KBError {
            return Self.error(Self.status(of: error), error.message)
        } catch let error as ReaderError {
            return Self.error(error.status, error.message, allow: error.allow)
        } catch {
            return Self.error(500, "The reader could not answer (\(error)); try again.")
        }
    }

    /// The refusal of a request that fails a check, or nil when it passes them all.
    func check(_ request: ReaderRequest) -> ReaderResponse? {
        // DNS rebinding: a page of another site that made its name point at 127.0.0.1 sends its own name.
        guard let host = request.headers["host"], allowedHosts.contains(host.lowercased()) else {
            return Self.error(
                403, "The Host '\(request.headers["host"] ?? "")' is not this reader's; open the URL 'kb open' printed."
            )
        }
        guard let method = ReaderMethod(rawValue: request.method) else {
            return Self.error(405, "The method '\(request.method)' is not one the reader answers.")
        }
        let fromQuery = request.query["key"]
        let fromHeader = request.headers["x-kb-secret"]
        let fromCookie = Self.cookie(cookieName, in: request.headers["cookie"] ?? "")
        let given = fromHeader ?? fromCookie ?? (method.isWrite ? nil : fromQuery)
        guard let given, Self.equalInConstantTime(given, secret) else {
            return Self.error(
                403,
                given == nil
                    ? "This reader needs its secret; open the URL that 'kb open' printed."
                    : "The reader's secret is wrong; open the URL that 'kb open' printed.")
        }
        if method.isWrite {
            // Cross-site request forgery: a write comes from this reader's own pages, or from a client that
            // sends the secret in a header (which no other site's page can without a preflight).
            let origin = request.headers["origin"]
            let site = request.headers["sec-fetch-site"]
            let ownOrigin = "http://" + host.lowercased()
            if let origin, origin.lowercased() != ownOrigin {
                return Self.error(403, "A write from the origin '\(origin)' is refused; use the reader's own pages.")
            }
            if let site, site != "same-origin" {
                return Self.error(403, "A write from another site ('\(site)') is refused; use the reader's own pages.")
            }
            if origin == nil && site == nil && fromHeader == nil {
                return Self.error(
                    403, "A write needs an Origin header or the X-KB-Secret header; use the reader's own pages.")
            }
            let type = request.headers["content-type"]?.lowercased() ?? ""
            if !request.body.isEmpty && !type.hasPrefix("application/json") {
                return Self.error(415, "A write sends JSON (Content-Type: application/json).")
            }
        } else if method == .get, fromQuery != nil, !request.path.hasPrefix("/api/") {
            // The secret moves from the URL into a cookie, and the address bar loses it.
            var query = request.query
            query["key"] = nil
            let rest = query.sorted { $0.key < $1.key }.map {
                "\(Self.percentEncoded($0.key))=\(Self.percentEncoded($0.value))"
            }
            let location = request.path + (rest.isEmpty ? "" : "?" + rest.joined(separator: "&"))
            return ReaderResponse(
                status: 303,
                headers: Self.commonHeaders + [
                    ("Location", location),
                    ("Set-Cookie", "\(cookieName)=\(secret); Path=/; HttpOnly; SameSite=Strict"),
                ])
        }
        return nil
    }

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? text
    }

    /// A cookie's value in a Cookie header.
    static func cookie(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(name + "=") { return String(pair.dropFirst(name.count + 1)) }
        }
        return nil
    }

    static func equalInConstantTime(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    // MARK: - Routes

    func route(_ request: ReaderRequest) async throws -> ReaderResponse {
        let method = ReaderMethod(rawValue: request.method) ?? .get
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        func allow(_ methods: ReaderMethod...) throws {
            let allowed = methods.contains(.get) ? methods + [.head] : methods
            guard allowed.contains(method) else {
                throw ReaderError(
                    405,
                    "'\(request.path)' takes \(methods.map(\.rawValue).joined(separator: " or ")), not \(method.rawValue).",
                    allow: methods.map(\.rawValue).joined(separator: ", "))
            }
        }
        switch parts.first {
        case nil:
            try allow(.get)
            return Self.html(ReaderPages.library())
        case "read" where parts.count == 2:
            try allow(.get)
            return Self.html(try ReaderPages.reader(try articlePayload(parts[1])))
        case "notes" where parts.count == 1:
            try allow(.get)
            return Self.html(ReaderPages.notes())
        case "conflicts" where parts.count == 1:
            try allow(.get)
            return Self.html(ReaderPages.conflicts())
        case "assets" where parts.count == 2:
            try allow(.get)
            switch parts[1] {
            case "app.css": return Self.asset(ReaderAssets.css, type: "text/css; charset=utf-8")
            case "app.js": return Self.asset(ReaderAssets.javascript, type: "text/javascript; charset=utf-8")
            default: throw ReaderError(404, "No asset '\(parts[1])'.")
            }
        case "api":
            return try await api(Array(parts.dropFirst()), method: method, request: request, allow: allow)
        default:
            throw ReaderError(404, "No page at '\(request.path)'; the library is at '/'.")
        }
    }

    func api(
        _ parts: [String], method: ReaderMethod, request: ReaderRequest, allow: (ReaderMethod...) throws -> Void
    ) async throws -> ReaderResponse {
        let query = request.query
        switch (parts.first, parts.count) {
        case ("library", 1):
            try allow(.get)
            return try Self.json(
                library(
                    tag: query["tag"].nonEmpty, source: query["source"].nonEmpty,
                    offset: Int(query["offset"] ?? "") ?? 0,
                    limit: Int(query["limit"] ?? "") ?? 200))
        case ("facets", 1):
            try allow(.get)
            return try Self.json(facets())
        case ("search", 1):
            try allow(.get)
            return try Self.json(search(query["q"] ?? "", limit: Int(query["limit"] ?? "") ?? 20))
        case ("articles", 2):
            try allow(.get)
            return try Self.json(articlePayload(parts[1]))
        case ("articles", 3) where parts[2] == "annotations":
            try allow(.post)
            return try Self.json(createAnnotation(article: parts[1], body: request.body), status: 201)
        case ("annotations", 2):
            try allow(.put, .delete)
            if method == .delete {
                let id = try kb.removeAnnotation(parts[1])
                return try Self.json(["id": id, "deleted": "true"])
            }
            return try Self.json(editAnnotation(parts[1], body: request.body))
        case ("notes", 1):
            try allow(.get)
            return try Self.json(
                notes(
                    tag: query["tag"].nonEmpty, state: query["state"].nonEmpty, offset: Int(query["offset"] ?? "") ?? 0,
                    limit: Int(query["limit"] ?? "") ?? 200))
        case ("conflicts", 1):
            try allow(.get)
            return try Self.json(conflicts())
        case ("conflicts", 3) where parts[2] == "resolve":
            try allow(.post)
            return try Self.json(resolve(parts[1], body: request.body))
        case ("sync", 1):
            try allow(.get, .post)
            if method == .post { return try Self.json(startSync(), status: 202) }
            return try Self.json(syncStatus())
        default:
            throw ReaderError(404, "No API at '/api/\(parts.joined(separator: "/"))'.")
        }
    }

    // MARK: - Answers

    /// Headers on every answer: nothing from elsewhere runs, nothing is cached, no address leaks out.
    static let commonHeaders: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
                + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Cache-Control", "no-store"),
    ]

    static func html(_ text: String) -> ReaderResponse {
        ReaderResponse(
            status: 200, headers: commonHeaders + [("Content-Type", "text/html; charset=utf-8")], body: Array(text.utf8)
        )
    }

    static func asset(_ text: String, type: String) -> ReaderResponse {
        ReaderResponse(status: 200, headers: commonHeaders + [("Content-Type", type)], body: Array(text.utf8))
    }

    static func json(_ value: some Encodable, status: Int = 200) throws -> ReaderResponse {
        ReaderResponse(
            status: status, headers: commonHeaders + [("Content-Type", "application/json; charset=utf-8")],
            body: Array(try ReaderJSON.encode(value)))
    }

    static func error(_ status: Int, _ message: String, allow: String? = nil) -> ReaderResponse {
        var headers = commonHeaders + [("Content-Type", "application/json; charset=utf-8")]
        if let allow { headers.append(("Allow", allow)) }
        return ReaderResponse(
            status: status, headers: headers, body: Array("{\"error\":\(JSONText.string(message))}\n".utf8))
    }

    static func status(of error: KBError) -> Int {
        switch error.kind {
        case .notFound: 404
        case .ambiguous, .invalidState: 409
        case .invalidArgument, .querySyntax: 400
        case .busy: 503
        default: 500
        }
    }
}

/// A refusal with its HTTP status.
struct ReaderError: Error {
    let status: Int
    let message: String
    let allow: String?

    init(_ status: Int, _ message: String, allow: String? = nil) {
        self.status = status
        self.message = message
        self.allow = allow
    }
}

extension Optional where Wrapped == String {
    /// nil for nil or an empty string.
    var nonEmpty: String? {
        switch self {
        case .some(let value) where !value.isEmpty: value
        default: nil
        }
    }
}
