import Foundation
public import GRDB

/// The one entry point to a knowledge base file: it owns the connection and its migrations.
///
/// Every connection registers kb's search tokenizer, so the full-text tables can be read and
/// written from any of them.
///
/// ```swift
/// let database = try AppDatabase.open(path: "/tmp/kb.sqlite")
/// let memory = try AppDatabase.inMemory()
/// ```
public struct AppDatabase: Sendable {
    /// The connection.
    ///
    /// Reads and writes go through GRDB's serialized access.
    public let writer: any DatabaseWriter

    /// Wraps a connection and brings its schema up to date.
    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        // Migrating takes the write lock: skip it when the file is up to date, as it almost always is,
        // so that reading commands never write.
        let migrator = Self.migrator
        let (isCurrent, isNewer, tables) = try writer.read { db in
            // One read of the applied migrations: all of kb's applied, and none that a newer kb added.
            let applied = try migrator.appliedIdentifiers(db)
            let known = migrator.migrations
            let isCurrent = known.allSatisfy(applied.contains)
            let isNewer = isCurrent && applied.count > known.count
            let tables = isCurrent ? try Meta.value(db, Self.searchTablesKey) : nil
            return (isCurrent, isNewer, tables)
        }
        if isNewer {
            // A newer kb changed the file's layout in ways this one cannot read or keep right.
            let name = writer.path.isEmpty ? "in memory" : "'\(writer.path)'"
            throw KBError(
                .storage, "The knowledge base \(name) was written by a newer version of kb; update kb to open it.")
        }
        if !isCurrent {
            try migrator.migrate(writer)
        } else if tables != VariantFolding.version {
            // The index was built with another folding table: built again, once.
            try writer.write { db in try Self.rebuildTextIndexes(db) }
        }
    }

    /// The path of the database file; empty in memory.
    public var path: String { writer.path }

    /// What opening a knowledge base may do when its file is missing.
    public enum OpenMode: Sendable {
        /// Create the file, and its folders when missing.
        case createIfMissing
        /// Only open a file that exists: a missing one is an error, and nothing is created.
        case existing
    }

    /// Opens (or creates) the knowledge base at `path`, in WAL mode.
    ///
    /// With ``OpenMode/createIfMissing`` the parent directory is created when missing, and a new file is
    /// readable by its owner only; with ``OpenMode/existing`` a missing file creates nothing. A file found
    /// damaged earlier (``StorageFailure/isMarkedDamaged(_:)``) is opened read-only unless `allowsDamaged` is
    /// true, so that nothing more is written into it before it is repaired.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - mode: Whether a missing file is created (the default) or is an error.
    ///   - allowsDamaged: Opens a file marked damaged for writing all the same.
    /// - Returns: The database, its schema up to date.
    /// - Throws: ``KBError`` of kind ``KBError/Kind/storage`` (or a finer kind: damaged, read-only…) when the
    ///   file cannot be opened, and of kind ``KBError/Kind/notFound`` when it is missing and `mode` is
    ///   ``OpenMode/existing``.
    public static func open(path: String, mode: OpenMode = .createIfMissing, allowsDamaged: Bool = false) throws
        -> AppDatabase
    {
        let fileManager = FileManager.default
        let isNew = !fileManager.fileExists(atPath: path)
        if isNew && mode == .existing {
            throw KBError(
                .notFound,
                "There is no knowledge base at '\(path)'; create one with 'kb init \(path)' or 'kb import FILE', "
                    + "or check the path given with --db or KB_DB.")
        }
        do {
            if isNew {
                let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
                try fileManager.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                // Readable by its owner only, from the start (SQLite gives the WAL files the same mode).
                guard fileManager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                    throw KBError(
                        .storage, "Cannot create the knowledge base '\(path)'; check that its folder is writable.")
                }
            }
            var configuration = makeConfiguration()
            if !isNew && !allowsDamaged && StorageFailure.isMarkedDamaged(path) { configuration.readonly = true }
            // WAL is set once, when the file is made, and stays: opening an existing file writes nothing.
            if isNew {
                configuration.journalMode = .wal
                // Set before the first table, and kept: the pages that segment merges and deletions free can
                // be given back (``KnowledgeBase/reclaimFreePages()``).
                configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL") }
            }
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            return try AppDatabase(queue)
        } catch let error as KBError {
            throw error
        } catch let error as DatabaseError {
            throw StorageFailure.error(error, path: path) ?? error
        } catch {
            throw KBError(
                .storage, "Cannot open the knowledge base '\(path)'; check that its folder is writable or pass --db.")
        }
    }

    /// An empty knowledge base in memory, for tests and previews.
    public static func inMemory() throws -> AppDatabase {
        try AppDatabase(DatabaseQueue(configuration: makeConfiguration()))
    }

    /// The connection configuration shared by every kb database.
    public static func makeConfiguration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            db.add(tokenizer: SearchTokenizer.self)
            db.add(tokenizer: CharacterTokenizer.self)
            db.add(function: SourceMetadataStore.authorsFunction)
            OccurrenceCount.register(on: db)
            try RankFunction.register(on: db)
            PhraseLists.register(on: db)
            // Checkpoints every ~16 MB of WAL rather than 4 MB: bulk imports stall on them less.
            try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 4000")
        }
        return configuration
    }
}
