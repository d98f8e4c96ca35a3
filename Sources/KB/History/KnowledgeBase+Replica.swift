import Foundation
import GRDB

/// A knowledge base file found to be a copy of another replica's file, which took a new replica id.
public struct ReplicaCopy: Sendable, Equatable {
    /// The id the file had, which stays with the file it was copied from.
    public var previousReplicaID: String
    /// The id the copy has from now on.
    public var replicaID: String
    /// Where the file the id belongs to was, as recorded when it was bound.
    public var previousPath: String
}

extension KnowledgeBase {
    /// Binds this replica's id to the file it lives in, and gives a copied file a replica id of its own.
    ///
    /// A replica id must be used by one file only: two files writing changes under one id would number
    /// different changes alike, and the hub would refuse one of them. So the id is bound to the file's device,
    /// inode and absolute path, which a copy (`cp`, `rsync`, a restored backup, another machine) cannot keep.
    /// When they differ from the binding, this file takes a new id for the changes it makes from now on. The
    /// changes it holds keep their ids: those it had not synced yet are the other file's changes too, and
    /// reach the hub once whichever file syncs first, since the hub stores a change once by its id. A file
    /// that was moved rather than copied also takes a new id, which costs nothing.
    ///
    /// ```swift
    /// if let copy = try kb.claimFile() { print("now replica \(copy.replicaID)") }
    /// ```
    ///
    /// A file without a replica id yet, one in memory, or one that cannot be written is left as it is.
    /// - Returns: The new identity when the file was found to be a copy, else nil.
    /// - Throws: A database error other than a read-only file.
    public func claimFile() throws -> ReplicaCopy? {
        guard let identity = Self.fileIdentity(database.writer.path) else { return nil }
        let (replica, bound) = try read { db in
            (try Meta.existingReplicaID(db), try Meta.value(db, Self.replicaFileKey))
        }
        guard replica != nil, bound != identity else { return nil }
        do {
            return try database.writer.write { db -> ReplicaCopy? in
                guard let replica = try Meta.existingReplicaID(db) else { return nil }
                let bound = try Meta.value(db, Self.replicaFileKey)
                guard bound != identity else { return nil }
                try Meta.setValue(db, Self.replicaFileKey, identity)
                // A file bound for the first time (made before bindings existed) keeps its id.
                guard let bound else { return nil }
                var generator = SystemRandomNumberGenerator()
                let new = String(format: "%016llx", generator.next() as UInt64)
                try Meta.setValue(db, "replica_id", new)
                // What each hub holds of this file's own changes: none yet under the new id.
                try db.execute(sql: "UPDATE remotes SET pushed = 0")
                let previousPath = bound.split(separator: ":", maxSplits: 2).dropFirst(2).first.map(String.init) ?? ""
                return ReplicaCopy(previousReplicaID: replica, replicaID: new, previousPath: previousPath)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY {
            return nil
        }
    }

    static let replicaFileKey = "replica_file"

    /// `DEVICE:INODE:ABSOLUTE_PATH` of a file, or nil for a database in memory or a file that cannot be read.
    static func fileIdentity(_ path: String) -> String? {
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else { return nil }
        let url = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
        // stat(2) itself: Foundation's attributes also look up the owner's name, which reads the user database.
        var info = stat()
        guard stat(url.path, &info) == 0 else { return nil }
        return "\(UInt64(info.st_dev)):\(UInt64(info.st_ino)):\(url.path)"
    }
}
