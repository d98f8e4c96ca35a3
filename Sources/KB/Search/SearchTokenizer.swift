import GRDB

/// kb's FTS5 tokenizer, `kb_cjk`: ``TextTokenizer`` behind SQLite's tokenizer interface.
///
/// Registered on every connection by ``AppDatabase/makeConfiguration()``. A table that uses it
/// cannot be read by tools that lack it, such as the sqlite3 shell; the plain tables stay readable.
final class SearchTokenizer: FTS5CustomTokenizer {
    static let name = "kb_cjk"

    /// One per table and connection; SQLite never calls a tokenizer from two threads at once.
    private var core = TextTokenizer()

    init(db: Database, arguments: [String]) throws {}

    func tokenize(
        context: UnsafeMutableRawPointer?,
        tokenization: FTS5Tokenization,
        pText: UnsafePointer<CChar>?,
        nText: CInt,
        tokenCallback: @escaping FTS5TokenCallback
    ) -> CInt {
        guard let pText, nText > 0 else { return Self.ok }
        let mode: TokenizationMode = tokenization.contains(.query) ? .query : .document
        var code = Self.ok
        let bytes = UnsafeRawPointer(pText).assumingMemoryBound(to: UInt8.self)
        core.tokenize(UnsafeBufferPointer(start: bytes, count: Int(nText)), mode: mode) { token, start, end, flags in
            guard let base = token.baseAddress else { return true }
            let colocated: CInt = flags.contains(.colocated) ? 1 : 0  // FTS5_TOKEN_COLOCATED
            code = base.withMemoryRebound(to: CChar.self, capacity: token.count) { pointer in
                tokenCallback(context, colocated, pointer, CInt(token.count), CInt(start), CInt(end))
            }
            return code == Self.ok
        }
        return code
    }

    /// SQLITE_OK.
    private static let ok: CInt = 0
}

/// `kb_chars`: the CJK characters of a text and how often each occurs, for the character index `articles_chars`.
///
/// Each character (in its folded form, as the text index holds it) is a token once per text. The index has no
/// positions (`detail=none`), so a character that occurs n times also writes the token `C#k` for each bit k
/// set in n − 1 (`的#0`, `的#3`…): a one-character query reads each article's count from a few short lists
/// (``CharacterCounts``) instead of reading every text. In a query, `C#k` is that token itself.
final class CharacterTokenizer: FTS5CustomTokenizer {
    static let name = "kb_chars"

    /// Separates a character from the bit of its count in a count token.
    static let countMarker = UInt8(ascii: "#")

    /// Occurrences of each BMP character in the current text (SQLite calls a tokenizer from one thread at a
    /// time); the characters beyond the BMP (𠮷) are counted in `rare`.
    private var counts = [UInt32](repeating: 0, count: 0x10000)
    private var rare: [UInt32: UInt32] = [:]
    /// The characters of the current text, in the order first seen.
    private var touched: [UInt32] = []
    private var token: [UInt8] = []

    init(db: Database, arguments: [String]) throws {}

    func tokenize(
        context: UnsafeMutableRawPointer?,
        tokenization: FTS5Tokenization,
        pText: UnsafePointer<CChar>?,
        nText: CInt,
        tokenCallback: @escaping FTS5TokenCallback
    ) -> CInt {
        guard let pText, nText > 0 else { return 0 }
        let bytes = UnsafeBufferPointer(
            start: UnsafeRawPointer(pText).assumingMemoryBound(to: UInt8.self), count: Int(nText))
        if tokenization.contains(.query), let bit = Self.countBit(bytes) {
            return emit(bit.scalar, bit: bit.bit, context: context, callback: tokenCallback)
        }
        defer {
            for scalar in touched where scalar < 0x10000 { counts[Int(scalar)] = 0 }
            touched.removeAll(keepingCapacity: true)
            rare.removeAll(keepingCapacity: true)
        }
        var index = 0
        while index < bytes.count {
            let (decoded, length) = TextTokenizer.decode(bytes, at: index)
            index += length
            guard let written = decoded, TextTokenizer.fastClass(written) == .cjk else { continue }
            let scalar = VariantFolding.fold(written)
            if scalar < 0x10000 {
                if counts[Int(scalar)] == 0 { touched.append(scalar) }
                counts[Int(scalar)] &+= 1
            } else {
                if rare[scalar] == nil { touched.append(scalar) }
                rare[scalar, default: 0] &+= 1
            }
        }
        let counting = !tokenization.contains(.query)
        for scalar in touched {
            var code = emit(scalar, bit: nil, context: context, callback: tokenCallback)
            guard counting else {
                if code != 0 { return code }
                continue
            }
            var more = (scalar < 0x10000 ? counts[Int(scalar)] : rare[scalar] ?? 1) - 1
            var bit = 0
            while more != 0 && code == 0 {
                if more & 1 != 0 { code = emit(scalar, bit: bit, context: context, callback: tokenCallback) }
                more >>= 1
                bit += 1
            }
            if code != 0 { return code }
        }
        return 0
    }

    /// Passes the token of `scalar`, or of the bit `bit` of its count, to SQLite.
    private func emit(_ scalar: UInt32, bit: Int?, context: UnsafeMutableRawPointer?, callback: FTS5TokenCallback)
        -> CInt
    {
        token.removeAll(keepingCapacity: true)
        Self.appendToken(scalar, bit: bit, to: &token)
        return token.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { characters in
                callback(context, 0, characters.baseAddress, CInt(characters.count), 0, 0)
            }
        }
    }

    /// The bytes of the token of `scalar` (UTF-8), or of the bit `bit` of its count (`的#3`).
    static func appendToken(_ scalar: UInt32, bit: Int?, to token: inout [UInt8]) {
        // UTF-8 written directly (this runs for every character of every indexed text).
        if let character = Unicode.Scalar(scalar) {
            let value = character.value
            if value < 0x80 {
                token.append(UInt8(value))
            } else if value < 0x800 {
                token.append(UInt8(0xC0 | (value >> 6)))
                token.append(UInt8(0x80 | (value & 0x3F)))
            } else if value < 0x10000 {
                token.append(UInt8(0xE0 | (value >> 12)))
                token.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
                token.append(UInt8(0x80 | (value & 0x3F)))
            } else {
                token.append(UInt8(0xF0 | (value >> 18)))
                token.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
                token.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
                token.append(UInt8(0x80 | (value & 0x3F)))
            }
        }
        guard let bit else { return }
        token.append(countMarker)
        if bit >= 0 && bit < 100 {
            if bit >= 10 { token.append(UInt8(ascii: "0") + UInt8(bit / 10)) }
            token.append(UInt8(ascii: "0") + UInt8(bit % 10))
        } else {
            token.append(contentsOf: String(bit).utf8)
        }
    }

    /// The count token written as a query (`的#3`): its character, folded, and its bit; nil for any other text.
    static func countBit(_ bytes: UnsafeBufferPointer<UInt8>) -> (scalar: UInt32, bit: Int)? {
        let (decoded, length) = TextTokenizer.decode(bytes, at: 0)
        guard let written = decoded, TextTokenizer.fastClass(written) == .cjk, length < bytes.count,
            bytes[length] == countMarker, bytes.count - length - 1 <= 2
        else { return nil }
        var bit = 0
        for byte in bytes[(length + 1)...] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            bit = bit * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard length + 1 < bytes.count, bit < 32 else { return nil }
        return (VariantFolding.fold(written), bit)
    }
}
