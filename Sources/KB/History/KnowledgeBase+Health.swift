import Crypto
import Foundation
public import GRDB

/// The health of a replica, computed from its own data only.
public struct ReplicaHealth: Sendable, Equatable {
    /// SHA-256 over the content (articles, annotations, tags, open conflicts) in a canonical order:
    /// two replicas that hold the same content have the same digest.
    public var digest: String
    /// Changes of other replicas missing from the history (their sequence numbers have holes).
    public var gaps: Int
}

extension KnowledgeBase {
    /// Computes the content digest and looks for holes in the history.
    public func health() throws -> ReplicaHealth {
        try read { db in
            ReplicaHealth(digest: try Self.contentDigest(db), gaps: try Self.historyGaps(db))
        }
    }

    /// Changes missing from the history: for each replica, its highest sequence number minus the
    /// changes held (applied or set aside).
    public static func historyGaps(_ db: Database) throws -> Int {
        try Int.fetchOne(
            db,
            sql: """
                SELECT COALESCE(SUM(missing), 0) FROM (
                    SELECT c.replica, MAX(c.top) - SUM(c.n) AS missing FROM (
                        SELECT replica, MAX(seq) AS top, COUNT(*) AS n FROM changes GROUP BY replica
                        UNION ALL
                        SELECT replica, MAX(seq) AS top, COUNT(*) AS n FROM quarantine GROUP BY replica
                    ) c GROUP BY c.replica
                )
                """) ?? 0
    }

    /// The canonical content digest.
    ///
    /// Two things a replica derives from the order in which changes reached it stay out:
    /// - where a deleted annotation stands: re-anchoring follows the article's body only for live
    ///   annotations, so a deleted one keeps the place it had when the delete arrived (a restore
    ///   anchors it again);
    /// - resolved conflicts: a replica that receives a conflict's two sides together with its
    ///   resolution never records it, while one that saw the two sides first does. A resolution
    ///   that a replica lacks leaves its conflict open, which the digest shows.
    public static func contentDigest(_ db: Database) throws -> String {
        var hasher = ContentHasher()
        let articles = try Row.fetchCursor(
            db,
            sql: """
                SELECT id, kind, source_id, position, title, subtitle, kicker, byline, dateline, body, deleted
                FROM articles ORDER BY id
                """)
        while let row = try articles.next() {
            hasher.add("article")
            for index in 0..<row.count { hasher.add(row[index] as DatabaseValue) }
        }
        let annotations = try Row.fetchCursor(
            db,
            sql: """
                SELECT id, article_id, quote, prefix, suffix, anchor_start, anchor_end,
                       CASE WHEN deleted = 0 THEN start END, CASE WHEN deleted = 0 THEN "end" END,
                       CASE WHEN deleted = 0 THEN state END, note, color, deleted
                FROM annotations ORDER BY id
                """)
        while let row = try annotations.next() {
            hasher.add("annotation")
            for index in 0..<row.count { hasher.add(row[index] as DatabaseValue) }
        }
        let tags = try Row.fetchCursor(db, sql: "SELECT id, entity_id, norm, present FROM tags ORDER BY id")
        while let row = try tags.next() {
            hasher.add("tag")
            for index in 0..<row.count { hasher.add(row[index] as DatabaseValue) }
        }
        let conflicts = try Row.fetchCursor(
            db, sql: "SELECT id, 1 FROM conflicts WHERE resolved_at IS NULL ORDER BY id")
        while let row = try conflicts.next() {
            hasher.add("conflict")
            for index in 0..<row.count { hasher.add(row[index] as DatabaseValue) }
        }
        return hasher.finish()
    }
}

/// Feeds values to SHA-256 with unambiguous separators.
struct ContentHasher {
    private var hash = SHA256()

    mutating func add(_ text: String) {
        hash.update(data: Array(text.utf8) + [0x1F])
    }

    mutating func add(_ value: DatabaseValue) {
        switch value.storage {
        case .null: hash.update(data: [0x00])
        case .int64(let number): add(String(number))
        case .double(let number): add(String(number))
        case .string(let text): add(text)
        case .blob(let data): hash.update(data: data)
        }
        hash.update(data: [0x1E])
    }

    func finish() -> String {
        String(hash.finalize().map { String(format: "%02x", $0) }.joined().prefix(32))
    }
}
