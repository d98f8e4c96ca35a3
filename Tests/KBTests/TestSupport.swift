import Foundation
import GRDB
import Synchronization
import Testing

@_exported import KBTestSupport

@testable import KB

/// Shared helpers: an in-memory knowledge base, fixtures, and a clock that tests move by hand.
enum Fixtures {
    static func text(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
        return try String(contentsOf: url, encoding: .utf8)
    }

    static var seedPage: String {
        get throws { try Repository.seedPage }
    }
}

extension KnowledgeBase {
    /// A new in-memory knowledge base.
    static func inMemory(clock: Clock = TestClock().clock) throws -> KnowledgeBase {
        KnowledgeBase(database: try AppDatabase.inMemory(), clock: clock)
    }

    /// Imports text as if it were a file with this name.
    func importText(_ text: String, name: String = "page.txt", mode: ImportMode = .inPlace) throws -> ImportReport {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kb-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return try importFiles([url.path], options: ImportOptions(mode: mode))
    }

    /// Number of rows in a table.
    func count(_ table: String) throws -> Int {
        try database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }
}

// MARK: - Table counts

extension KnowledgeBase {
    /// The tables a mutation writes to.
    static let mutableTables = ["meta", "sources", "articles", "annotations", "tags", "changes", "heads"]

    /// Number of rows of every table a mutation may write to.
    func rowCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in Self.mutableTables { counts[table] = try count(table) }
        return counts
    }

    /// Every live article with all its fields.
    func allArticles() throws -> [Article] {
        try read { db in try Article.fetchAll(db, sql: "SELECT * FROM articles WHERE deleted = 0 ORDER BY id") }
    }

    /// Every stored change, oldest first.
    func allChanges() throws -> [Change] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM changes ORDER BY rowid").map(ChangeStore.change(from:))
        }
    }

    /// One annotation as stored, deleted or not.
    func storedAnnotation(_ id: String) throws -> Annotation? {
        try read { db in try Annotation.fetch(db, id: id) }
    }
}

// MARK: - Code points

extension CodePoints {
    /// The code-point offset of the first occurrence of `needle`, if any.
    func firstOffset(of needle: String) -> Int? {
        let pattern = CodePoints(needle)
        guard !pattern.isEmpty, pattern.count <= count else { return nil }
        for start in 0...(count - pattern.count) where matches(pattern, at: start) { return start }
        return nil
    }

    /// Code-point offsets of every occurrence of `needle`.
    func offsets(of needle: String) -> [Int] {
        let pattern = CodePoints(needle)
        guard !pattern.isEmpty, pattern.count <= count else { return [] }
        return (0...(count - pattern.count)).filter { matches(pattern, at: $0) }
    }
}

/// How many pairs of ids share their first `length` characters.
func pairsSharingPrefix(_ ids: [String], length: Int) -> Int {
    Dictionary(grouping: ids) { $0.prefix(length) }.values.reduce(0) { $0 + $1.count * ($1.count - 1) / 2 }
}
