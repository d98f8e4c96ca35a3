import Foundation
import KB
public import Logging

/// How `kb serve` writes its log lines on stderr.
public enum HubLogFormat: String, Sendable, CaseIterable {
    /// `2026-12-07T08:00:00+0000 info kb.hub : route=push status=200 request`
    case text
    /// One JSON object a line: `{"time":…,"level":"info","message":"request","request_id":…,"route":…}`.
    case json
}

/// A log handler that writes one JSON object per line, metadata as top-level string fields.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let explicit { fields.merge(explicit) { $1 } }
        let time = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        var out = "{\"time\":\(JSONText.string(time)),\"level\":\(JSONText.string(level.rawValue))"
        out += ",\"logger\":\(JSONText.string(label)),\"message\":\(JSONText.string(message.description))"
        for (key, value) in fields.sorted(by: { $0.key < $1.key })
        where !["time", "level", "logger", "message"].contains(key) {
            out += ",\(JSONText.string(key)):\(JSONText.string(value.description))"
        }
        write(out + "}\n")
    }
}
