import HTTPTypes
public import Hub
import Hummingbird
import HummingbirdTesting
import NIOCore

/// A hub's answer to a request sent through its router in this process.
public struct RoutedResponse: Sendable {
    public let status: Int
    /// Header names in lowercase; a field sent more than once keeps its last value.
    public let headers: [String: String]
    public let body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
}

extension HubService {
    /// Sends one request through the hub's routes, middleware and errors as `kb serve` has them, with
    /// HummingbirdTesting's `.router` mode: no socket, no HTTP parsing.
    ///
    /// - Parameters:
    ///   - method: `GET`, `POST`, or any other method name.
    ///   - uri: The path and query as they would be sent (percent-encoded).
    ///   - headers: Header fields by name.
    ///   - body: The body; when given, `Content-Length` is its size.
    /// - Returns: The answer, as the router made it.
    /// - Throws: ``UnusableRequest`` for a method or header name HTTP does not allow.
    public func send(
        _ method: String, _ uri: String, headers: [String: String] = [:], body: [UInt8]? = nil
    ) async throws -> RoutedResponse {
        let method = try HTTPRequest.Method(method).unwrapped("the method '\(method)'")
        var fields = HTTPFields()
        for (name, value) in headers {
            fields.append(HTTPField(name: try HTTPField.Name(name).unwrapped("the header '\(name)'"), value: value))
        }
        let app = Application(router: router(), logger: logger)
        let requestFields = fields
        return try await app.test(.router) { client in
            try await client.execute(
                uri: uri, method: method, headers: requestFields, body: body.map { ByteBuffer(bytes: $0) }
            ) {
                response in
                var headers: [String: String] = [:]
                for field in response.headers { headers[field.name.canonicalName] = field.value }
                return RoutedResponse(
                    status: response.status.code, headers: headers, body: Array(buffer: response.body))
            }
        }
    }
}

/// A value a test request cannot be made of.
public struct UnusableRequest: Error, CustomStringConvertible {
    public let description: String
}

extension Optional {
    fileprivate func unwrapped(_ what: String) throws -> Wrapped {
        guard let self else { throw UnusableRequest(description: "\(what) is not valid in a request") }
        return self
    }
}
