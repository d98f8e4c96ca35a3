import Crypto
import Foundation

/// Bearer tokens: made once, shown once, kept only as a SHA-256 hash.
public enum TokenHash {
    /// A new token: `kbt_` and 64 random hex digits (256 bits).
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "kbt_" + bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// The hash stored for a token.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Compares two strings in time that depends only on their lengths.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
