import Crypto
import Foundation

/// Ids derived from content, and new random ids.
public enum Identifier {
    /// Lowercase hex SHA-256 of bytes.
    public static func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
        let digest = SHA256.hash(data: Array(bytes))
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A 24-hex-digit id derived from text parts: the same parts give the same id on every machine.
    ///
    /// Parts are normalized (whitespace removed, full-width ASCII folded to ASCII) so that the same
    /// page cleaned a little differently on two machines gives the same id.
    public static func contentID(_ parts: [String]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(parts.reduce(0) { $0 + $1.utf8.count } + parts.count)
        for (index, part) in parts.enumerated() {
            if index > 0 { bytes.append(0x1F) }
            for scalar in part.unicodeScalars where !CharacterClass.isWhitespace(scalar.value) {
                let folded =
                    (0xFF01...0xFF5E).contains(scalar.value) ? Unicode.Scalar(scalar.value - 0xFEE0) ?? scalar : scalar
                UTF8.encode(folded) { bytes.append($0) }
            }
        }
        return String(sha256Hex(bytes).prefix(24))
    }

    /// The part of an id shown to users, enough to tell records apart: 16 digits of a UUIDv7 (whose first
    /// digits are its creation time, the same for records made a minute apart), 8 of any other id.
    public static func short(_ id: String) -> String {
        String(id.prefix(isTimeOrdered(id) ? 16 : 8))
    }

    /// True for a UUIDv7 (32 hex digits, version digit 7): its first 12 digits are its creation time.
    ///
    /// Annotations made by earlier versions of kb have such ids; new ones are random from their first digit
    /// (``random(using:)``).
    public static func isTimeOrdered(_ id: String) -> Bool {
        let utf8 = Array(id.utf8)
        return utf8.count == 32 && utf8[12] == UInt8(ascii: "7")
    }

    /// A new random id in the layout of a UUIDv4, as 32 lowercase hex digits.
    ///
    /// Random from the first digit, so that the first 4 digits of ids made together differ (two of 50
    /// share them with a chance of about 2%, and `kb` then prints more digits), unlike a UUIDv7, whose
    /// first 12 digits are its creation time. The 13th digit is always `4`.
    ///
    /// ```swift
    /// let id = Identifier.random()  // "3f9c0a7e5b2d4c81a6f0e9d2b7c41a58"
    /// ```
    ///
    /// - Parameter generator: Where the random bits come from; the system's by default.
    /// - Returns: 32 lowercase hex digits.
    public static func random(using generator: inout some RandomNumberGenerator) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<16 { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return hex(bytes)
    }

    /// A new random id from the system's generator; see ``random(using:)``.
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A new UUIDv7 as 32 lowercase hex digits: time-ordered, random below the millisecond.
    public static func uuidV7(milliseconds: Int64) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in 0..<16 { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        let ms = UInt64(max(0, milliseconds))
        for index in 0..<6 { bytes[index] = UInt8((ms >> (8 * (5 - UInt64(index)))) & 0xFF) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return hex(bytes)
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(2 * bytes.count)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
