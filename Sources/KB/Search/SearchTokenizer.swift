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

/// `kb_chars`: every CJK character of a text once, for the character index `articles_chars`.
final class CharacterTokenizer: FTS5CustomTokenizer {
    static let name = "kb_chars"

    /// Characters of the BMP seen in the current text (SQLite calls a tokenizer from one thread at a time).
    private var seen = [UInt64](repeating: 0, count: 1024)
    private var touched: [UInt32] = []

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
        var index = 0
        defer {
            for scalar in touched { seen[Int(scalar >> 6)] = 0 }
            touched.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let start = index
            let (decoded, length) = TextTokenizer.decode(bytes, at: index)
            index += length
            guard let written = decoded, TextTokenizer.fastClass(written) == .cjk else { continue }
            // Indexed in its folded form, as the text index holds it.
            let scalar = VariantFolding.fold(written)
            if scalar < 0x10000 {
                // Each character once per text: a bitmap over the BMP, cleared after the call.
                let bit: UInt64 = 1 << (scalar & 63)
                if seen[Int(scalar >> 6)] & bit != 0 { continue }
                seen[Int(scalar >> 6)] |= bit
                touched.append(scalar)
            }
            let code: CInt
            if scalar == written {
                code = pText.advanced(by: start).withMemoryRebound(to: CChar.self, capacity: length) { token in
                    tokenCallback(context, 0, token, CInt(length), CInt(start), CInt(start + length))
                }
            } else {
                var folded: [CChar] = []
                for byte in String(Unicode.Scalar(scalar).map(Character.init) ?? " ").utf8 {
                    folded.append(CChar(bitPattern: byte))
                }
                code = folded.withUnsafeBufferPointer { token in
                    tokenCallback(
                        context, 0, token.baseAddress, CInt(token.count), CInt(start), CInt(start + length))
                }
            }
            if code != 0 { return code }
        }
        return 0
    }
}
