import Foundation
import GRDB
import Testing

@testable import KB

/// The character index holds how often each character occurs in each article (`CharacterCounts`), which
/// one-character queries rank by.
struct CharacterCountTests {
    /// Every CJK character of the live articles, folded, and how often it occurs in each, counted in the text.
    static func textCounts(_ kb: KnowledgeBase) throws -> [String: [Int64: Int]] {
        let rows = try kb.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT rowid, body || title || subtitle || kicker || byline || dateline AS text FROM articles WHERE deleted = 0"
            )
        }
        var counts: [String: [Int64: Int]] = [:]
        for row in rows {
            let rowid: Int64 = row["rowid"]
            let text: String = row["text"]
            for scalar in text.unicodeScalars where TextTokenizer.fastClass(scalar.value) == .cjk {
                guard let folded = Unicode.Scalar(VariantFolding.fold(scalar.value)) else { continue }
                counts[String(Character(folded)), default: [:]][rowid, default: 0] += 1
            }
        }
        return counts
    }

    /// Checks the index's counts of every character against the text's.
    static func expectIndexCountsMatchText(_ kb: KnowledgeBase, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let expected = try textCounts(kb)
        #expect(!expected.isEmpty, sourceLocation: sourceLocation)
        let mismatches = try kb.read { db in
            try expected.compactMap { character, counts in
                let indexed = try CharacterCounts.counts(db, of: character).byRowid
                return indexed == counts ? nil : character
            }
        }
        #expect(mismatches.isEmpty, "counts differ for \(mismatches.prefix(10))", sourceLocation: sourceLocation)
    }

    static let mixed =
        "𠮷野家的𠮷，𠮷！头发和頭髮，臺灣与台湾。🙂的🙂 Swift 6 的ＡＢＣ全角，" + String(repeating: "的", count: 300)

    @Test func indexCounts_equalTheTextsCounts_seedPageAndMixedText() throws {
        // Given the seed page and an article with 𠮷, emoji, traditional forms, full-width forms and 304 的 in all
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importText(try Fixtures.seedPage)
        let mixed = try kb.addArticle(title: "頭條的標題", body: Self.mixed)

        // Then every character's count per article is the text's (all variant forms together)
        try Self.expectIndexCountsMatchText(kb)
        let counts = try kb.read { db in
            (
                try CharacterCounts.counts(db, of: "的").byRowid, try CharacterCounts.counts(db, of: "𠮷").byRowid,
                try CharacterCounts.counts(db, of: "髮").byRowid, try CharacterCounts.counts(db, of: "湾").byRowid
            )
        }
        let rowid = try kb.read { db in
            try Int64.fetchOne(db, sql: "SELECT rowid FROM articles WHERE id = ?", arguments: [mixed.id])
        }
        let mixedRow = try #require(rowid)
        #expect(counts.0[mixedRow] == 304)
        #expect(counts.1[mixedRow] == 3)
        #expect(counts.2[mixedRow] == 2)
        #expect(counts.3[mixedRow] == 2)
    }

    @Test func indexCounts_followEditsAndTheTrash() throws {
        // Given two articles
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.addArticle(title: "水", body: String(repeating: "水，", count: 9))
        let second = try kb.addArticle(title: "山", body: "山水。")
        try Self.expectIndexCountsMatchText(kb)

        // When one is edited (fewer and more occurrences) and the other moved to the trash and back
        _ = try kb.editArticle(first.id, body: String(repeating: "水，", count: 2) + String(repeating: "山", count: 17))
        try Self.expectIndexCountsMatchText(kb)
        _ = try kb.trashArticle(second.id)

        // Then the counts are the text's at every step, and a trashed article holds no count token
        try Self.expectIndexCountsMatchText(kb)
        let rowid = try #require(
            try kb.read { db in
                try Int64.fetchOne(db, sql: "SELECT rowid FROM articles WHERE id = ?", arguments: [second.id])
            })
        let lists = try kb.read { db in
            try (0..<CharacterCounts.bits).flatMap { try CharacterCounts.articles(db, holding: "山#\($0)") }
                + CharacterCounts.articles(db, holding: "山")
        }
        #expect(!lists.contains(rowid))
        #expect(try kb.search("山").map(\.id) == [first.id])
    }

    @Test func mergedLists_addEachBitOnce_andGiveUpOnListsOutOfOrder() {
        // Given the articles 3, 5, 9 that hold a character, with bit 0 set for 3 and 9 and bit 2 for 9
        let holding: [Int64] = [3, 5, 9]

        // Then walking the lists side by side gives each count, as counting them one by one does
        #expect(CharacterCounts.merged(holding, [[3, 9], [], [9]]) == [2, 1, 6])
        #expect(CharacterCounts.merged(holding, Array(repeating: [], count: 3)) == [1, 1, 1])
        // And a list out of rowid order, or naming an article the character's list lacks, is left to the caller
        #expect(CharacterCounts.merged(holding, [[9, 3]]) == nil)
        #expect(CharacterCounts.merged(holding, [[4]]) == nil)
        #expect(CharacterCounts.merged([5, 3], [[]]) == nil)
    }

    @Test func formsOfEveryCharacter_areTheTablesInItsOrder() {
        // Given the folding table's pairs, grouped by the form they fold to (that form first, then the table's order)
        var expected: [UInt32: [UInt32]] = [:]
        VariantFolding.forEachPair { from, to in expected[to, default: [to]].append(from) }
        var characters: Set<UInt32> = [0x41]
        VariantFolding.forEachPair { from, to in characters.formUnion([from, to]) }

        // Then the forms of every character of the table (and of one without other forms) are those
        let differing = characters.filter { character in
            let folded = VariantFolding.fold(character)
            return VariantFolding.forms(of: character) != (expected[folded] ?? [folded])
        }
        #expect(differing.isEmpty, "forms differ for \(differing.prefix(10))")
        #expect(VariantFolding.forms(of: 0x41) == [0x41])
    }

    @Test(arguments: ["的#", "的#x", "的#123", "#3", "a#3", "的 #3"])
    func queryThatIsNoCountToken_findsTheCharactersOnly(_ query: String) throws {
        // Given an article that holds 的 three times (the token 的#1 is in the index)
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.addArticle(title: "甲", body: "的的的")

        // When the character index is asked for text that only looks like a count token
        let hits = try kb.read { db in try CharacterCounts.articles(db, holding: query) }
        let countToken = try kb.read { db in try CharacterCounts.articles(db, holding: "的#1") }

        // Then it finds what its characters find (的 alone), never through the count token's bits
        let characters = query.unicodeScalars.contains { TextTokenizer.fastClass($0.value) == .cjk }
        #expect(hits.count == (characters ? 1 : 0))
        #expect(countToken.count == 1)
    }

    @Test func migration_buildsTheCountsOfAnIndexWithoutThem() throws {
        // Given a file as it was before the counts: its character index emptied, no index of the headings,
        // the migration marked as not run
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kb-counts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("kb.sqlite").path
        do {
            let kb = KnowledgeBase(database: try AppDatabase.open(path: path), clock: TestClock().clock)
            _ = try kb.importText(try Fixtures.seedPage)
            try kb.database.writer.write { db in
                try db.execute(sql: "INSERT INTO articles_chars(articles_chars) VALUES ('delete-all')")
                try db.execute(sql: "DROP INDEX articles_headings")
                try db.execute(
                    sql: "DELETE FROM grdb_migrations WHERE identifier = ?",
                    arguments: [AppDatabase.characterCountsMigration])
            }
            #expect(try kb.read { db in try CharacterCounts.articles(db, holding: "的") }.isEmpty)
        }

        // When it is opened again
        let kb = KnowledgeBase(database: try AppDatabase.open(path: path), clock: TestClock().clock)

        // Then the migration built the index again, counts and all
        try Self.expectIndexCountsMatchText(kb)
        #expect(try kb.check().problems.isEmpty)
    }
}
