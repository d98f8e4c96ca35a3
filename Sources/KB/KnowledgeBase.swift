import Foundation
import GRDB

/// A knowledge base: articles, their sources, annotations and tags, with the history of every change.
///
/// All reads and writes go through here; every write records its changes in the same transaction.
///
/// ```swift
/// let kb = KnowledgeBase(database: try AppDatabase.open(path: path))
/// let report = try kb.importFiles(["seeds/"])
/// let hits = try kb.search("非遗")
/// ```
public struct KnowledgeBase: Sendable {
    public let database: AppDatabase
    public let clock: Clock

    public init(database: AppDatabase, clock: Clock = .system) {
        self.database = database
        self.clock = clock
    }

    /// Opens the knowledge base at a path.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - clock: The clock changes are stamped with.
    ///   - mode: Whether a missing file is created (the default) or is an error that creates nothing.
    ///   - allowsDamaged: Writes to a file found damaged all the same (see ``StorageFailure``).
    /// - Returns: The knowledge base.
    /// - Throws: ``KBError``: `.notFound` for a missing file with ``AppDatabase/OpenMode/existing``,
    ///   `.storage` (or a finer kind) when the file cannot be opened.
    public static func open(
        path: String, clock: Clock = .system, mode: AppDatabase.OpenMode = .createIfMissing,
        allowsDamaged: Bool = false
    ) throws -> KnowledgeBase {
        KnowledgeBase(
            database: try AppDatabase.open(path: path, mode: mode, allowsDamaged: allowsDamaged), clock: clock)
    }

    /// Closes the connection to the file; nothing can be read or written through this value afterwards.
    ///
    /// Closing is what releasing the last copy does; a process that ends right after can close first and
    /// skip the rest of the teardown.
    ///
    /// - Throws: A database error when the connection cannot be closed (a statement still running).
    public func close() throws {
        try database.writer.close()
    }

    /// Lets SQLite read the file through a memory map (up to 1 GiB of it) on this connection: the pages read
    /// then need no buffer and no copy of their own, which is most of what a process that runs one query and
    /// ends touches for the first time.
    ///
    /// - Throws: A database error when the setting cannot be changed.
    public func readThroughMemoryMap() throws {
        try database.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA mmap_size = 1073741824") }
    }

    /// Gives the file's free pages back to the file system.
    ///
    /// Those are the pages that the full-text index's segment merges and deletions left. Only a file made with
    /// incremental auto-vacuum (as kb makes them) can; an older file is left as it is. Nothing is reported: a
    /// file that keeps its free pages reads and writes the same.
    package func reclaimFreePages() {
        try? database.writer.writeWithoutTransaction { db in
            guard try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 2,
                try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0 > 0
            else { return }
            try db.execute(sql: "PRAGMA incremental_vacuum")
        }
    }

    /// Runs a write transaction with a change writer; the clock is saved before commit.
    ///
    /// SQLite's failures become one-sentence ``KBError``s (``StorageFailure``).
    func write<T>(_ body: (Database, inout ChangeWriter) throws -> T) throws -> T {
        do {
            return try database.writer.write { db in
                var changes = try ChangeWriter(db, clock: clock)
                let result = try body(db, &changes)
                try changes.finish()
                return result
            }
        } catch let error as DatabaseError {
            throw StorageFailure.error(error, path: database.path) ?? error
        }
    }

    /// Runs a read; SQLite's failures become one-sentence ``KBError``s.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.writer.read(body)
        } catch let error as DatabaseError {
            throw StorageFailure.error(error, path: database.path) ?? error
        }
    }

    // MARK: - Ids

    /// The id of the live article that `prefix` names: the whole id or a unique prefix of 4+ characters.
    ///
    /// - Throws: ``KBError`` `.notFound`, `.ambiguous` (listing candidates) or `.invalidArgument`.
    public func resolveArticleID(_ prefix: String) throws -> String {
        try read { db in try Self.resolveID(db, prefix, table: "articles", what: "article") }
    }

    static func resolveID(_ db: Database, _ prefix: String, table: String, what: String) throws -> String {
        let prefix = prefix.trimmingCharacters(in: .whitespaces).lowercased()
        if try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE id = ? AND deleted = 0)", arguments: [prefix])
            == true
        {
            return prefix
        }
        guard prefix.count >= 4, prefix.allSatisfy({ $0.isHexDigit }) else {
            if prefix.count < 4 && prefix.allSatisfy({ $0.isHexDigit }) && !prefix.isEmpty {
                throw KBError.invalid(
                    "The \(what) id '\(prefix)' is too short; give at least 4 characters of it (\(listHint(what))).")
            }
            throw KBError.notFound(what, prefix, hint: listHint(what))
        }
        let matches = try String.fetchAll(
            db, sql: "SELECT id FROM \(table) WHERE id GLOB ? AND deleted = 0 ORDER BY id LIMIT 6",
            arguments: [prefix + "*"])
        switch matches.count {
        case 0: throw KBError.notFound(what, prefix, hint: listHint(what))
        case 1: return matches[0]
        default:
            throw KBError(
                .ambiguous,
                "The id prefix '\(prefix)' matches \(matches.count > 5 ? "more than 5" : "\(matches.count)") \(what)s; "
                    + "give more characters.", candidates: Array(matches.prefix(5)))
        }
    }

    /// Where the user finds the ids of a kind of record.
    static func listHint(_ what: String) -> String {
        what == "annotation" ? "see 'kb notes' for ids" : "see 'kb list' for ids"
    }

    /// The shortest prefix of each annotation id that names it alone among the live annotations, 8
    /// characters at least (16 for a time-ordered id from earlier versions): the id `kb` prints for users to type back.
    ///
    /// Annotation ids are random from their first digit (``Identifier/random(using:)``), so a prefix
    /// unique today stays unique, with a high chance, after the next annotations. Ids made by earlier versions
    /// are UUIDv7: their first 12 characters are the creation time in milliseconds, and annotations made
    /// within a minute of each other share their first 8 characters; 16 characters reach three random ones.
    ///
    /// - Parameter ids: Annotation ids.
    /// - Returns: Each id's prefix.
    /// - Throws: A database error.
    public func annotationIDPrefixes(_ ids: [String]) throws -> [String: String] {
        try read { db in
            try Self.uniquePrefixes(db, ids, table: "annotations") { Identifier.isTimeOrdered($0) ? 16 : 8 }
        }
    }

    static func uniquePrefixes(_ db: Database, _ ids: [String], table: String, minimum: (String) -> Int) throws
        -> [String: String]
    {
        guard !ids.isEmpty else { return [:] }
        let all = try String.fetchAll(db, sql: "SELECT id FROM \(table) WHERE deleted = 0 ORDER BY id")
        func common(_ a: String, _ b: String) -> Int {
            zip(a.utf8, b.utf8).prefix { $0 == $1 }.count
        }
        var result: [String: String] = [:]
        result.reserveCapacity(ids.count)
        for id in ids {
            // The ids sorted next to this one share the longest prefixes with it.
            var low = 0
            var high = all.count
            while low < high {
                let middle = (low + high) / 2
                if all[middle] < id { low = middle + 1 } else { high = middle }
            }
            var shared = 0
            if low > 0 { shared = max(shared, common(all[low - 1], id)) }
            var next = low
            if next < all.count && all[next] == id { next += 1 }
            if next < all.count { shared = max(shared, common(all[next], id)) }
            result[id] = String(id.prefix(max(minimum(id), shared + 1)))
        }
        return result
    }
}
