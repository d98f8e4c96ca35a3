import Foundation
public import Hummingbird
public import KB
import Logging
import NIOCore

/// `kb open`: ``ReaderService`` over HTTP with Hummingbird, on 127.0.0.1 only.
public struct ReaderServer: Sendable {
    public let service: ReaderService
    /// The largest request body the reader reads (a note is far smaller).
    public static let maxBodyBytes = 1 << 20

    public init(service: ReaderService) {
        self.service = service
    }

    /// The Hummingbird responder: every request goes to the service.
    public func responder() -> CallbackResponder<BasicRequestContext> {
        let service = self.service
        return CallbackResponder { request, _ in
            var headers: [String: String] = [:]
            for field in request.headers {
                let name = field.name.canonicalName
                // Repeated fields (Cookie) are joined as HTTP allows.
                headers[name] = headers[name].map { $0 + (name == "cookie" ? "; " : ", ") + field.value } ?? field.value
            }
            if let authority = request.head.authority { headers["host"] = authority }
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            var body: [UInt8] = []
            if request.method == .post || request.method == .put || request.method == .delete {
                if let length = request.headers[.contentLength], (Int(length) ?? 0) > Self.maxBodyBytes {
                    return Self.response(
                        ReaderService.error(413, "The request is larger than the reader takes (1 MB)."))
                }
                do {
                    var buffer = try await request.body.collect(upTo: Self.maxBodyBytes)
                    body = buffer.readBytes(length: buffer.readableBytes) ?? []
                } catch {
                    return Self.response(
                        ReaderService.error(413, "The request is larger than the reader takes (1 MB)."))
                }
            }
            let answer = await service.respond(
                ReaderRequest(
                    method: request.method.rawValue, path: request.uri.path, query: query, headers: headers, body: body)
            )
            return Self.response(answer, head: request.method == .head)
        }
    }

    static func response(_ answer: ReaderResponse, head: Bool = false) -> Response {
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPFields.Element.Name(name) {
                headers.append(HTTPFields.Element(name: field, value: value))
            }
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: headers,
            body: head ? .init() : .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    /// Serves on 127.0.0.1 until SIGINT or SIGTERM.
    ///
    /// - Parameters:
    ///   - port: The port; 0 picks a free one.
    ///   - onRunning: Called once it listens, with the port.
    /// - Throws: ``ReaderStartError`` when it cannot listen.
    public func run(port: Int, onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        var logger = Logger(label: "kb.reader")
        logger.logLevel = .error
        let service = self.service
        let app = Application(
            responder: responder(),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "kb-reader"),
            onServerRunning: { channel in
                let actual = channel.localAddress?.port ?? port
                service.port = actual
                await onRunning(actual)
            },
            logger: logger)
        do {
            try await app.runService()
        } catch {
            throw ReaderStartError(error, port: port)
        }
    }
}

/// Why the reader could not start, in one sentence.
public struct ReaderStartError: Error, Sendable {
    public let message: String

    init(_ error: any Error, port: Int) {
        let text = "\(error)"
        if text.contains("Address already in use") || text.contains("EADDRINUSE") || text.contains("errno: 98") {
            message = "Port \(port) on 127.0.0.1 is in use; choose another with --port, or leave it out for a free one."
        } else if text.contains("Permission denied") || text.contains("errno: 13") {
            message = "Port \(port) needs privileges this user lacks; choose one above 1023 with --port."
        } else {
            message = "The reader could not listen on 127.0.0.1:\(port) (\(text))."
        }
    }
}
