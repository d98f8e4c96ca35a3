import Foundation

/// JSON text for change values: stable key order, no escaped slashes.
public enum JSONText {
    /// Encodes a value as compact JSON with sorted keys.
    public static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes JSON text.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// A JSON string literal: `"`, `\\` and control characters escaped, everything else as it is.
    public static func string(_ value: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.utf8.count + 2)
        appendString(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends a JSON string literal's UTF-8 bytes, escaped as ``string(_:)`` escapes them.
    ///
    /// Works on the UTF-8 bytes: those of a multi-byte character are all 0x80 or above, so only ASCII
    /// bytes are ever escaped, and the runs between them are copied as they are.
    public static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(0x22)
        var value = value
        value.withUTF8 { utf8 in
            var from = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte == 0x22 || byte == 0x5C || byte < 0x20 else { continue }
                bytes.append(contentsOf: utf8[from..<index])
                from = index + 1
                switch byte {
                case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
                case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
                case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
                case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
                default:
                    bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30])
                    bytes.append(hexDigits[Int(byte >> 4)])
                    bytes.append(hexDigits[Int(byte & 0x0F)])
                }
            }
            bytes.append(contentsOf: utf8[from...])
        }
        bytes.append(0x22)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Decodes a JSON string literal.
    public static func decodeString(_ text: String) throws -> String {
        try decode(String.self, from: text)
    }

    /// Decodes a JSON boolean.
    public static func decodeBool(_ text: String) throws -> Bool {
        try decode(Bool.self, from: text)
    }
}
