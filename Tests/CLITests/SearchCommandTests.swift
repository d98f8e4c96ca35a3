import Foundation
import Testing

@testable import CLI

/// `kb search` as a user types it: exclusions without quotes, headline and tag prefixes, punctuation.
@Suite("Search command")
struct SearchCommandTests {
    @Test func exclusionWithoutQuotes_isAQueryWord_notAnOption() throws {
        // Given the seed page
        let replica = Replica("search", in: try TemporaryFolder())
        try replica.ok(["import", try TestPaths.fixture("seed_page.txt").path])
        let all = try replica.array(["search", "工会"]).compactMap { $0.string("id") }
        let withTrade = try replica.array(["search", "工会", "外贸"]).compactMap { $0.string("id") }
        #expect(!withTrade.isEmpty && withTrade.count < all.count)

        // When the user excludes a word as the help says, unquoted
        let result = try replica.run(["search", "工会", "-外贸", "--json"])

        // Then it is part of the query
        #expect(result.exitCode == 0, "\(result)")
        let ids = try result.array().compactMap { $0.string("id") }
        #expect(Set(ids) == Set(all).subtracting(withTrade))
        let human = try replica.ok(["search", "工会", "-外贸", "--limit", "3"])
        #expect(!human.stdout.contains("Unknown option"))
        let help = try replica.ok(["search", "--help"])
        #expect(help.stdout.contains("-外贸"))
    }

    @Test func numberBeforeAComma_doesNotMatchTheNumberAndTheNextCharacter() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("search", in: folder)
        let split = try replica.object(["add", "--title", "分开", try folder.write("a.txt", "今年增加500，万人参与。")])
        let joined = try replica.object(["add", "--title", "连着", try folder.write("b.txt", "投资500万元。")])
        let hits = try replica.array(["search", "500万"])
        #expect(hits.compactMap { $0.string("id") } == [try #require(joined.string("id"))])
        #expect(hits.first?.string("snippet")?.contains("**500万**") == true, "\(hits)")
        #expect(try replica.array(["search", "万人参与"]).compactMap { $0.string("id") } == [split.string("id")])
    }
}

extension SearchCommandTests {
    @Test func simplifiedAndTraditional_matchAlike_exactKeepsToTheCharactersTyped() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("search", in: folder)
        let simplified = try #require(
            try replica.object(["add", "--title", "简体", try folder.write("s.txt", "台湾的头发护理。")]).string("id"))
        let traditional = try #require(
            try replica.object(["add", "--title", "繁體", try folder.write("t.txt", "臺灣的頭髮護理。")]).string("id"))
        for query in ["头发", "頭髮", "台湾", "臺灣"] {
            let ids = try replica.array(["search", query]).compactMap { $0.string("id") }
            #expect(Set(ids) == [simplified, traditional], "\(query)")
        }
        #expect(try replica.array(["search", "--exact", "頭髮"]).compactMap { $0.string("id") } == [traditional])
        #expect(try replica.array(["search", "exact:头发"]).compactMap { $0.string("id") } == [simplified])
        // Hits on the characters as typed come first.
        #expect(try replica.array(["search", "頭髮"]).first?.string("id") == traditional)
        #expect(try replica.array(["search", "头发"]).first?.string("id") == simplified)
    }
}

extension SearchCommandTests {
    @Test func pinyin_findsTheCharactersReadThatWay_throughTheBinary() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("search", in: folder)
        let simplified = try #require(
            try replica.object(["add", "--title", "山城", try folder.write("s.txt", "重庆的火锅远近闻名。")]).string("id"))
        let traditional = try #require(
            try replica.object(["add", "--title", "山城", try folder.write("t.txt", "重慶的火鍋遠近聞名。")]).string("id"))
        let latin = try #require(
            try replica.object(["add", "--title", "Trip", try folder.write("l.txt", "A week in Chongqing.")]).string(
                "id"))
        let important = try #require(
            try replica.object(["add", "--title", "要事", try folder.write("z.txt", "这件事很重要。")]).string("id"))
        for query in ["py:chongqing", "py:chóngqìng", "py:chong2qing4", "py:cq", "py:\"chong qing\""] {
            let ids = try replica.array(["search", query]).compactMap { $0.string("id") }
            #expect(Set(ids) == [simplified, traditional], "\(query)")
        }
        #expect(try replica.array(["search", "py:zhongyao"]).compactMap { $0.string("id") } == [important])
        // --pinyin: the Latin text as written first, then what reads as it.
        let hits = try replica.array(["search", "--pinyin", "chongqing"])
        #expect(hits.compactMap { $0.string("id") }.first == latin)
        #expect(Set(hits.compactMap { $0.string("id") }) == [latin, simplified, traditional])
        #expect(hits.contains { $0.string("snippet")?.contains("**重慶**") == true }, "\(hits)")
        // Human output marks the hit; a query that is not pinyin is one clear error.
        let human = try replica.ok(["search", "py:cq"])
        #expect(human.stdout.contains("重庆") && human.stdout.contains("重慶"))
        let wrong = try replica.run(["search", "py:重庆"])
        #expect(wrong.exitCode != 0 && wrong.stderr.contains("not pinyin"), "\(wrong)")
        #expect(try replica.ok(["search", "--help"]).stdout.contains("--pinyin"))
    }
}

/// `kb search`'s plain forms are read without swift-argument-parser (a shorter start-up); the rest as before.
@Suite("Search command line")
struct SearchRequestTests {
    @Test(arguments: [
        (
            ["search", "工会"],
            SearchRequest(
                db: nil, json: false, allowDamaged: false, limit: 20, exact: false, pinyin: false, query: ["工会"])
        ),
        (
            ["search", "工会", "-外贸", "--limit", "3", "--json", "--db", "a.sqlite"],
            SearchRequest(
                db: "a.sqlite", json: true, allowDamaged: false, limit: 3, exact: false, pinyin: false,
                query: ["工会", "-外贸"])
        ),
        (
            ["search", "--limit=5", "--exact", "--pinyin", "--allow-damaged", "--db=b c.sqlite", "py:cq", "title:首场"],
            SearchRequest(
                db: "b c.sqlite", json: false, allowDamaged: true, limit: 5, exact: true, pinyin: true,
                query: ["py:cq", "title:首场"])
        ),
        (
            ["search", "--json", "--", "--limit", "-外贸"],
            SearchRequest(
                db: nil, json: true, allowDamaged: false, limit: 20, exact: false, pinyin: false,
                query: ["--limit", "-外贸"])
        ),
    ])
    func plainForms_areReadDirectly(_ arguments: [String], _ expected: SearchRequest) {
        #expect(SearchRequest(arguments: arguments) == expected)
    }

    @Test(arguments: [
        ["search"], ["search", "--help"], ["search", "-h", "x"], ["search", "--"], ["search", "x", "--limit"],
        ["search", "x", "--limit", "0"], ["search", "x", "--limit", "ten"], ["search", "x", "--json", "--json"],
        ["search", "x", "--frobnicate"], ["search", "x", "-n"], ["search", "x", "--db"], ["search", "x", "--json=1"],
        ["list", "x"], ["search", "x", "--db", "--json"],
    ])
    func otherForms_goToTheArgumentParser(_ arguments: [String]) {
        #expect(SearchRequest(arguments: arguments) == nil)
    }

    @Test func bothReadings_printTheSame_andErrorsStayTheParsers() throws {
        // Given the seed page
        let replica = Replica("search", in: try TemporaryFolder())
        try replica.ok(["import", try TestPaths.fixture("seed_page.txt").path])

        // When the same search is read directly and by swift-argument-parser (which a repeated --db sends
        // it to), with and without `--` before the query
        for options in [["--limit", "3"], ["--json"], ["--exact", "--json"], ["--pinyin"]] {
            let direct = try replica.ok(["search"] + options + ["工会", "-外贸"])
            let parsed = try replica.ok(
                ["search", "--db", replica.dbPath] + options + ["--db", replica.dbPath, "--", "工会", "-外贸"])
            let afterDashes = try replica.ok(["search"] + options + ["--", "工会", "-外贸"])
            // Then the output is the same
            #expect(direct.stdout == parsed.stdout, "\(options)")
            #expect(afterDashes.stdout == direct.stdout, "\(options)")
            #expect(!direct.stdout.isEmpty)
        }
        let leading = try replica.ok(["--db", replica.dbPath, "search", "工会"])
        #expect(leading.stdout == (try replica.ok(["search", "工会"])).stdout)

        // And the forms left to the parser keep its messages and exit codes
        let noQuery = try replica.run(["search"])
        #expect(noQuery.exitCode == 64 && noQuery.stderr.contains("Missing expected argument"), "\(noQuery)")
        let zero = try replica.run(["search", "工会", "--limit", "0"])
        #expect(zero.exitCode == 64 && zero.stderr.contains("--limit must be 1 or more"), "\(zero)")
        let missing = try replica.run(["search", "工会", "--db", replica.dbPath + ".missing"])
        #expect(missing.exitCode == 1 && missing.stderr.contains("There is no knowledge base"), "\(missing)")
        #expect(try replica.ok(["search", "--help"]).stdout.contains("--limit"))
    }
}
