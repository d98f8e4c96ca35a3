import Foundation
import Hub
import Testing

/// Tokens: made at random, kept only as a SHA-256 hash, compared in constant time.
struct TokenTests {
    @Test func newToken_isKbtAnd64LowercaseHexDigits_andNeverRepeats() {
        let tokens = (0..<64).map { _ in TokenHash.newToken() }
        for token in tokens {
            #expect(token.hasPrefix("kbt_"))
            let digits = token.dropFirst(4)
            #expect(digits.count == 64)
            #expect(digits.allSatisfy { "0123456789abcdef".contains($0) })
        }
        #expect(Set(tokens).count == tokens.count)
    }

    @Test func hash_isTheHexSHA256OfTheTokensUTF8() {
        // Known SHA-256 values, so that `sha256sum` on the operator's side finds the same row (threat model T11).
        #expect(TokenHash.hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(TokenHash.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            TokenHash.hash("The quick brown fox jumps over the lazy dog")
                == "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592")
        #expect(TokenHash.hash("非遗") != TokenHash.hash("非遺"))
    }

    @Test(arguments: [
        ("kbt_abc", "kbt_abc", true),
        ("", "", true),
        ("非遗𠮷", "非遗𠮷", true),
        ("kbt_abc", "kbt_abd", false),
        ("kbt_abc", "kbt_ab", false),
        ("kbt_ab", "kbt_abc", false),
        ("Kbt_abc", "kbt_abc", false),
        ("a", "", false),
        // Canonically equivalent strings are still different tokens: bytes are compared, not characters.
        ("\u{E9}", "e\u{301}", false),
    ])
    func constantTimeEquals_comparesBytes(a: String, b: String, equal: Bool) {
        #expect(TokenHash.constantTimeEquals(a, b) == equal)
        #expect(TokenHash.constantTimeEquals(b, a) == equal)
    }

    @Test func store_findsATokenByItsHashOnly() async throws {
        let folder = TempHubFolder()
        defer { withExtendedLifetime(folder) {} }
        let store = try folder.open()
        let token = try await TestHub.addToken(store, for: "research")
        let other = try await TestHub.addToken(store, for: "archive")
        #expect(try await store.knowledgeBase(forTokenHash: TokenHash.hash(token)) == "research")
        #expect(try await store.knowledgeBase(forTokenHash: TokenHash.hash(other)) == "archive")
        // The token itself is not a key, nor is a hash with one digit changed or in capitals.
        #expect(try await store.knowledgeBase(forTokenHash: token) == nil)
        var wrong = Array(TokenHash.hash(token))
        wrong[0] = wrong[0] == "0" ? "1" : "0"
        #expect(try await store.knowledgeBase(forTokenHash: String(wrong)) == nil)
        #expect(try await store.knowledgeBase(forTokenHash: TokenHash.hash(token).uppercased()) == nil)
        #expect(try await store.knowledgeBase(forTokenHash: TokenHash.hash(TokenHash.newToken())) == nil)
    }

    @Test func hubFiles_holdTheHashButNeverTheToken() async throws {
        let folder = TempHubFolder()
        let token: String
        do {
            let store = try folder.open()
            token = try await TestHub.addToken(store, for: "research")
        }
        let bytes = Data(try folder.allBytes())
        func contains(_ needle: String) -> Bool { bytes.range(of: Data(needle.utf8)) != nil }
        #expect(contains(TokenHash.hash(token)))
        #expect(!contains(token))
        #expect(!contains(String(token.dropFirst(4))))
    }
}
