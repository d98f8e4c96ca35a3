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
        core.tokenize(UnsafeBufferPointer(start: bytes, count: Int(nText)), mode: mode) { token, start, end, _ in
            guard let base = token.baseAddress else { return true }
            code = base.withMemoryRebound(to: CChar.self, capacity: token.count) { pointer in
                tokenCallback(context, 0, pointer, CInt(token.count), CInt(start), CInt(end))
            }
            return code == Self.ok
        }
        return code
    }

    /// SQLITE_OK.
    private static let ok: CInt = 0
}
