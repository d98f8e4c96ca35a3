import Foundation
public import GRDB

/// Turns SQLite's failures into one sentence each, and remembers a damaged file.
///
/// SQLite's own messages name the SQL that failed and say nothing about what to do; users see instead
/// which file failed, why (the disk is full, the file or its folder is read-only, the file is damaged,
/// another process holds it) and what to try.
///
/// Once SQLite reports a damaged file (`SQLITE_CORRUPT`, `SQLITE_NOTADB`), a marker file is written beside
/// it (``markerPath(for:)``): from then on ``AppDatabase/open(path:allowsDamaged:)`` opens it read-only, so
/// that no command writes more into a damaged file, until `kb check --repair` recovers it (or `kb check`
/// finds it sound again).
///
/// ```swift
/// do { try kb.importFiles(paths) } catch {
///     throw StorageFailure.error(error, path: path) ?? error
/// }
/// ```
public enum StorageFailure {
    /// The marker of a file found damaged: `PATH.damaged`.
    public static func markerPath(for path: String) -> String { path + ".damaged" }

    /// True when the file at `path` was found damaged and not repaired since.
    public static func isMarkedDamaged(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: markerPath(for: path))
    }

    /// Marks the file damaged, with SQLite's message, so that later commands refuse to write to it.
    public static func markDamaged(_ path: String, reason: String) {
        guard !path.isEmpty, path != ":memory:" else { return }
        let text = "kb found this knowledge base damaged: \(reason)\nRun 'kb check --repair' to recover it.\n"
        FileManager.default.createFile(atPath: markerPath(for: path), contents: Data(text.utf8))
    }

    /// Removes the marker, after a repair or a check that found the file sound.
    public static func clearDamaged(_ path: String) {
        try? FileManager.default.removeItem(atPath: markerPath(for: path))
    }

    /// The error to show for a failure of the database at `path`; nil when `error` is not SQLite's.
    ///
    /// A damaged file is marked (``markDamaged(_:reason:)``) as a side effect.
    ///
    /// - Parameters:
    ///   - error: What a database operation threw.
    ///   - path: The knowledge base file.
    /// - Returns: A ``KBError`` whose message is one sentence, or nil.
    public static func error(_ error: any Error, path: String) -> KBError? {
        if let error = error as? KBError { return error }
        guard let error = error as? DatabaseError else { return nil }
        return self.error(
            code: error.resultCode, extended: error.extendedResultCode, message: error.message, path: path)
    }

    static func error(code: ResultCode, extended: ResultCode, message: String?, path: String) -> KBError {
        switch code {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            markDamaged(path, reason: message ?? "SQLite error \(extended.rawValue)")
            let what = code == .SQLITE_NOTADB ? "is not a kb file or its first page is damaged" : "is damaged"
            return KBError(
                .damaged,
                "The knowledge base '\(path)' \(what) (SQLite found a corrupt page); run 'kb check' to see what is "
                    + "wrong and 'kb check --repair' to recover what can be recovered.")
        case .SQLITE_FULL:
            return KBError(
                .diskFull,
                "Cannot write to the knowledge base '\(path)': the disk is full; free some space and run the command "
                    + "again (nothing was changed).")
        case .SQLITE_READONLY:
            if isMarkedDamaged(path) {
                return KBError(
                    .damaged,
                    "The knowledge base '\(path)' was found damaged, so kb does not write to it; run 'kb check "
                        + "--repair' to recover it, or pass --allow-damaged to write anyway.")
            }
            return KBError(
                .readOnly,
                "Cannot write to the knowledge base '\(path)': the file or its folder is read-only; make both "
                    + "writable (chmod u+w) or pass another --db.")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return KBError(
                .busy,
                "The knowledge base '\(path)' is busy: another kb process is writing to it; wait for it to finish "
                    + "and try again.")
        case .SQLITE_IOERR:
            return KBError(
                .storage,
                "Cannot read or write the knowledge base '\(path)' (a disk I/O error): the disk may be full, over a "
                    + "file size limit or failing; free some space, check the disk and try again.")
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
            let folder = (path as NSString).deletingLastPathComponent
            if FileManager.default.fileExists(atPath: path),
                !FileManager.default.isWritableFile(atPath: path)
                    || !FileManager.default.isWritableFile(atPath: folder.isEmpty ? "." : folder)
            {
                return KBError(
                    .readOnly,
                    "Cannot open the knowledge base '\(path)': the file or its folder is read-only (SQLite needs to "
                        + "write its -wal and -shm files beside it); make both writable or pass another --db.")
            }
            return KBError(
                .storage,
                "Cannot open the knowledge base '\(path)'; check that the file and its folder exist and are "
                    + "readable and writable, or pass another --db.")
        default:
            return KBError(
                .storage,
                "The knowledge base '\(path)' failed with SQLite error \(extended.rawValue); run 'kb check' to "
                    + "look for damage, then try again.")
        }
    }
}
