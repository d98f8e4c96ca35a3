import Foundation
import KB
import Reader

/// A reader over a fresh knowledge base in a temporary folder, answering in process.
final class ReaderFixture: Sendable {
    let folder: URL
    let kb: KnowledgeBase
    let service: ReaderService
    static let port = 43210

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kb-reader-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        kb = try KnowledgeBase.open(path: folder.appendingPathComponent("kb.sqlite").path)
        service = ReaderService(kb: kb, port: Self.port)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    var host: String { "127.0.0.1:\(Self.port)" }
    var cookie: String { "\(service.cookieName)=\(service.secret)" }

    /// A request as the reader's own page sends it: the right Host, the cookie, and for writes its Origin.
    func request(
        _ method: String, _ path: String, query: [String: String] = [:], json: String? = nil,
        headers extra: [String: String] = [:]
    ) async -> ReaderResponse {
        var headers = ["host": host, "cookie": cookie]
        if method != "GET" {
            headers["origin"] = "http://\(host)"
            headers["sec-fetch-site"] = "same-origin"
        }
        if json != nil { headers["content-type"] = "application/json" }
        for (name, value) in extra { headers[name] = value.isEmpty ? nil : value }
        return await service.respond(
            ReaderRequest(method: method, path: path, query: query, headers: headers, body: Array((json ?? "").utf8)))
    }

    func object(_ response: ReaderResponse) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }
}
