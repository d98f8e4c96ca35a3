import Foundation
import GRDB
import Synchronization
import Testing

@testable import KB

/// Shared helpers: an in-memory knowledge base, fixtures, and a clock that tests move by hand.
enum Fixtures {
    static func text(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
        return try String(contentsOf: url, encoding: .utf8)
    }

    static var seedPage: String {
        get throws { try text("seed_page.txt") }
    }
}

/// A clock that advances one millisecond per reading, from a fixed start.
final class TestClock: Sendable {
    private let value = Mutex<Int64>(1_764_000_000_000)

    var clock: Clock {
        Clock { self.value.withLock { $0 += 1; return $0 } }
    }

    func advance(by milliseconds: Int64) { value.withLock { $0 += milliseconds } }
}

extension KnowledgeBase {
    /// A new in-memory knowledge base.
    static func inMemory(clock: Clock = TestClock().clock) throws -> KnowledgeBase {
        KnowledgeBase(database: try AppDatabase.inMemory(), clock: clock)
    }

    /// Imports text as if it were a file with this name.
    func importText(_ text: String, name: String = "page.txt", update: Bool = false) throws -> ImportReport {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kb-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return try importFiles([url.path], options: ImportOptions(update: update))
    }

    /// Number of rows in a table.
    func count(_ table: String) throws -> Int {
        try database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }
}

/// A temporary folder removed at the end of a test.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("kb-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file.path
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }
}
