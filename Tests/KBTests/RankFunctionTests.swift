import Foundation
import GRDB
import Testing

@testable import KB

/// `kb_bm25`, FTS5's `bm25()` with each row's size read from the joined `docsize` record, and the search path's
/// cheaper checks (snippets, exact hits) that must give what the slower ones gave.
struct RankFunctionTests {
    /// Articles whose sizes, fields and characters differ: CJK, traditional forms, emoji, 𠮷, full-width, Latin.
    static func corpus() throws -> KnowledgeBase {
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.addArticle(title: "工会首场活动", body: "工会举办首场职工非遗技艺交流活动，工会主席致辞。")
        _ = try kb.addArticle(title: "重庆火锅", body: "重庆的火锅远近闻名，游客在重庆吃火锅。😀")
        _ = try kb.addArticle(title: "重慶火鍋", body: "重慶的火鍋遠近聞名。")
        _ = try kb.addArticle(title: "𠮷野家", body: "𠮷野家在日本很有名，𠮷野家的牛肉饭。𠮷")
        _ = try kb.addArticle(title: "AI公司", body: "ＡＩ公司发布新产品，ai 公司的股价上涨。２０２４年")
        _ = try kb.addArticle(
            title: "长文", body: String(repeating: "市场经济的发展需要工会参与。", count: 40) + "火锅")
        _ = try kb.addArticle(title: "短", body: "工会")
        return kb
    }

    @Test(arguments: [
        "工会", "火锅", "重庆 火锅", "工会 OR 𠮷野", "title:首场", "ai 公司", "\"市场 经济\"", "火锅 -重庆", "２０２４", "牛肉饭",
    ])
    func scores_areBm25sToTheLastBit(_ query: String) throws {
        let kb = try Self.corpus()
        let match = try #require(try SearchQuery.parse(query).matchExpression())
        for weights in [KnowledgeBase.rankWeights, "1.0, 10.0", ""] {
            let extra = weights.isEmpty ? "" : ", " + weights
            let rows = try kb.database.writer.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT articles_fts.rowid AS id, bm25(articles_fts\(extra)) AS fts5,
                            kb_bm25(articles_fts, d.sz\(extra)) AS kb
                        FROM articles_fts LEFT JOIN articles_fts_docsize d ON d.id = articles_fts.rowid
                        WHERE articles_fts MATCH ?
                        """, arguments: [match])
            }
            #expect(!rows.isEmpty, "\(query) finds something")
            for row in rows {
                let (fts5, kb): (Double, Double) = (row["fts5"], row["kb"])
                #expect(fts5.bitPattern == kb.bitPattern, "\(query) [\(weights)] row \(row["id"] as Int64)")
            }
        }
    }

    @Test func sizeMissing_isAskedOfFTS5_asBm25Does() throws {
        let kb = try Self.corpus()
        let ranks = try kb.database.writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT bm25(articles_fts) AS fts5, kb_bm25(articles_fts, NULL) AS kb FROM articles_fts
                    WHERE articles_fts MATCH ?
                    """, arguments: ["工会"])
        }
        #expect(ranks.count == 3)
        for row in ranks { #expect((row["fts5"] as Double) == (row["kb"] as Double)) }
    }

    @Test func searchRanks_asBeforeWithBm25() throws {
        let kb = try Self.corpus()
        for query in ["工会", "火锅", "重庆", "市场 OR 𠮷野"] {
            let expected = try kb.database.writer.read { db in
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT a.id FROM articles_fts f JOIN articles a ON a.rowid = f.rowid
                        WHERE articles_fts MATCH ? ORDER BY bm25(articles_fts, \(KnowledgeBase.rankWeights)), a.rowid
                        """, arguments: [try #require(try SearchQuery.parse(query).matchExpression())])
            }
            let found = try kb.search(query, limit: 50).map(\.id)
            #expect(Set(found) == Set(expected), "\(query)")
            #expect(found.count == expected.count, "\(query)")
        }
    }

    /// The first look for the characters as written never turns away a text that holds the term as written.
    @Test(arguments: ["头发", "頭髮", "工会", "重庆火锅", "AI公司", "𠮷野", "火*", "发展"])
    func presenceCheck_neverTurnsAwayAnExactHolder(_ term: String) throws {
        let texts = [
            "台湾的头发护理。", "臺灣的頭髮護理。", "頭发和臺湾", "工会在里面开会", "工會在裡面開會", "重庆 火锅", "重慶火鍋",
            "发展和發展", "AI公司說", "ＡＩ公司２０２４年", "ai公司说😀𠮷野", "兼容\u{F900}字头发", "⼯会（康熙部首）", "",
        ]
        var tokenizer = TextTokenizer(foldsVariants: false)
        let isPrefix = term.hasSuffix("*")
        let tokens = tokenizer.tokens(in: isPrefix ? String(term.dropLast()) : term, mode: .query)
        let lastIsPrefix = isPrefix || tokens.last?.isTrailingLoneCJK == true
        for text in texts {
            var matcher = ExactMatcher(fields: [("body", text)])
            let holds = ExactMatcher.contains(
                matcher.stream(folds: false)[0], tokens.map(\.text), lastIsPrefix: lastIsPrefix)
            if holds { #expect(matcher.mayHoldAsWritten(tokens.map(\.text)), "\(term) in \(text)") }
            #expect(matcher.matches(.text(term, column: nil), exact: true) == holds, "\(term) in \(text)")
        }
    }

    @Test func memoryMappedReads_findTheSameHits_andCloseCleanly() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("kb.sqlite")
        let kb = try KnowledgeBase.open(path: path)
        _ = try kb.addArticle(title: "工会首场活动", body: "工会举办首场职工非遗技艺交流活动。𠮷")
        _ = try kb.addArticle(title: "重庆火锅", body: "重庆的火锅远近闻名。")
        let before = try kb.search("工会").map(\.id)
        try kb.readThroughMemoryMap()
        let size = try kb.database.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA mmap_size") }
        #expect(size == 1 << 30)
        #expect(try kb.search("工会").map(\.id) == before)
        #expect(try kb.search("𠮷").count == 1)
        try kb.close()
        // Closed: the last connection's WAL is folded back into the file, which another opens whole.
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(try KnowledgeBase.open(path: path).search("火锅").count == 1)
    }

    @Test func variantPairs_areTheTableAsWritten() {
        var decoded: [UInt32] = []
        VariantFolding.forEachPair { from, to in decoded += [from, to] }
        #expect(decoded == VariantTable.pairs.unicodeScalars.map(\.value))
        #expect(decoded.contains(0x2_0BB7) || decoded.contains { $0 > 0xFFFF }, "pairs past the BMP are read too")
        // Every character folds as its pair says, and one without a pair stays as it is.
        var table: [UInt32: UInt32] = [:]
        VariantFolding.forEachPair { from, to in table[from] = to }
        for value in UInt32(0x3000)..<0xFC00 where VariantFolding.fold(value) != table[value, default: value] {
            Issue.record("U+\(String(value, radix: 16)) folds to \(VariantFolding.fold(value))")
        }
        #expect(VariantFolding.fold(0x982D) == 0x5934)
        #expect(VariantFolding.fold(0x2_0BB7) == 0x2_0BB7)
    }

    @Test func codePointText_isTheScalarsAsWritten() {
        let text = "a\u{301}é𠮷😀，Ａ中\u{10FFFF}"
        let points = CodePoints(text)
        #expect(points.string(0..<points.count) == text)
        for start in 0..<points.count {
            for end in start...points.count {
                let expected = String(
                    String.UnicodeScalarView(text.unicodeScalars.dropFirst(start).prefix(end - start)))
                #expect(points.string(start..<end) == expected)
            }
        }
        // What is no scalar is left out: a lone surrogate, and past the last code point.
        #expect(CodePoints(scalars: [0x41, 0xD800, 0x42, 0x110000, 0x20BB7]).string(0..<5) == "AB𠮷")
    }

    @Test func rendered_marksCodePointRanges() {
        let snippet = Snippet(text: "…a\u{301}𠮷野家😀的牛肉饭", highlights: [2..<3, 3..<6, 9..<11])
        #expect(snippet.rendered(open: "[", close: "]") == "…a[\u{301}][𠮷野家]😀的牛[肉饭]")
        #expect(Snippet(text: "无", highlights: []).rendered(open: "[", close: "]") == "无")
        #expect(Snippet(text: "𠮷", highlights: [0..<1]).rendered(open: "<b>", close: "</b>") == "<b>𠮷</b>")
    }
}
