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
    ///
    /// Works on the UTF-8 bytes: those of a multi-byte character are all 0x80 or above, so only ASCII
    /// bytes are ever escaped and the rest are copied as they are.
    public static func string(_ value: String) -> String {
        var value = value
        return value.withUTF8 { source in
            var length = 2
            for byte in source {
                switch byte {
                case 0x22, 0x5C, 0x0A, 0x0D, 0x09: length += 2
                case 0..<0x20: length += 6
                default: length += 1
                }
            }
            return String(unsafeUninitializedCapacity: length) { out in
                var index = 0
                func put(_ first: UInt8, _ second: UInt8) {
                    out[index] = first
                    out[index + 1] = second
                    index += 2
                }
                out[0] = 0x22
                index = 1
                for byte in source {
                    switch byte {
                    case 0x22: put(0x5C, 0x22)
                    case 0x5C: put(0x5C, 0x5C)
                    case 0x0A: put(0x5C, 0x6E)
                    case 0x0D: put(0x5C, 0x72)
                    case 0x09: put(0x5C, 0x74)
                    case 0..<0x20:
                        put(0x5C, 0x75)
                        put(0x30, 0x30)
                        put(hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)])
                    default:
                        out[index] = byte
                        index += 1
                    }
                }
                out[index] = 0x22
                return index + 1
            }
        }
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
