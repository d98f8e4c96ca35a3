/// An error from the knowledge base: what failed, with the value involved, in one sentence.
///
/// Library code throws `KBError`; the command-line tool prints ``message`` as it is.
/// ``kind`` tells callers what happened without parsing the text.
///
/// ```swift
/// do { try kb.article(matching: "zz") } catch let error as KBError where error.kind == .notFound { ... }
/// ```
public struct KBError: Error, Sendable, CustomStringConvertible {
    /// The category of an error.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        public var description: String { raw }

        /// An id, prefix, path or quote that names nothing.
        public static let notFound = Kind("not_found")
        /// An id prefix that names more than one record, or a quote found more than once.
        public static let ambiguous = Kind("ambiguous")
        /// An argument that is malformed or out of range.
        public static let invalidArgument = Kind("invalid_argument")
        /// A search query that cannot be parsed.
        public static let querySyntax = Kind("query_syntax")
        /// A file that cannot be read or is not text kb understands.
        public static let unreadableFile = Kind("unreadable_file")
        /// A record that was changed in a way its current state does not allow.
        public static let invalidState = Kind("invalid_state")
        /// The database file could not be opened or written.
        public static let storage = Kind("storage")
        /// The database file is damaged (SQLite found a corrupt page), or was found so and not repaired.
        public static let damaged = Kind("damaged")
        /// The disk is full.
        public static let diskFull = Kind("disk_full")
        /// The database file or its folder is read-only.
        public static let readOnly = Kind("read_only")
        /// Another process holds the database.
        public static let busy = Kind("busy")
    }

    /// What happened.
    public let kind: Kind
    /// One sentence for the user: what failed, the value in single quotes, what to try.
    public let message: String
    /// For ``Kind/ambiguous``: the candidates, when the caller may want to list them.
    public let candidates: [String]

    public init(_ kind: Kind, _ message: String, candidates: [String] = []) {
        self.kind = kind
        self.message = message
        self.candidates = candidates
    }

    /// True when the error comes from how the command was called (exit code 64).
    public var isUsageError: Bool { kind == .invalidArgument || kind == .querySyntax }

    public var description: String { "KBError(\(kind))" }

    // MARK: - Common errors

    static func notFound(_ what: String, _ value: String, hint: String = "") -> KBError {
        KBError(.notFound, "No \(what) matches '\(value)'\(hint.isEmpty ? "" : "; \(hint)").")
    }

    static func invalid(_ message: String) -> KBError {
        KBError(.invalidArgument, message)
    }
}
