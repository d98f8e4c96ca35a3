import GRDB
import Testing

@testable import KB

/// `kb_count`, the SQL function that one-character queries rank by.
struct OccurrenceCountTests {
    @Test(arguments: [
        ("工会工会工", ["工"], 3),
        ("工会工会工", ["会"], 2),
        ("工会工会工", ["工", "会"], 5),
        ("𠮷野家的𠮷", ["𠮷"], 2),
        ("🙂的🙂的", ["的"], 2),
        ("🙂的🙂的", ["🙂"], 2),
        ("臺灣台湾", ["台", "臺"], 2),
        ("ＡＢＣＡ", ["Ａ"], 2),
        ("没有", ["的"], 0),
        ("", ["的"], 0),
        // 的 is E7 9A 84; 皀 is E7 9A 80: a shared first part is no occurrence.
        ("皀皀的", ["的"], 1),
    ])
    func counts_everyOccurrenceOfAnyCharacter(text: String, characters: [String], expected: Int) throws {
        let database = try AppDatabase.inMemory()
        let placeholders = Array(repeating: "?", count: characters.count).joined(separator: ", ")
        let count = try database.writer.read { db in
            try Int.fetchOne(
                db, sql: "SELECT kb_count(?, \(placeholders))", arguments: StatementArguments([text] + characters))
        }
        #expect(count == expected)
    }

    @Test func null_countsNothing() throws {
        let database = try AppDatabase.inMemory()
        let count = try database.writer.read { db in try Int.fetchOne(db, sql: "SELECT kb_count(NULL, '的')") }
        #expect(count == 0)
    }
}
