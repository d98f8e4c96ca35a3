import Foundation
import GRDB
import Testing

@testable import KB

/// What search must find, computed by scanning the text instead of asking the index.
///
/// An article matches a query when one of its fields, with whitespace removed (and NFKC and case
/// folded, as search promises), contains the query. A Latin or digit run of the query must be a
/// whole token there: not glued to more letters or digits, and not split by a space, as DESIGN.md §4
/// says ("a Latin or digit fragment matches whole tokens").
enum SearchOracle {
    /// A text folded for matching, whitespace removed; `gapBefore[i]` tells whether whitespace stood
    /// before scalar `i`.
    struct Prepared {
        var scalars: [Unicode.Scalar] = []
        var gapBefore: [Bool] = []
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar == "\u{FEFF}" || scalar == "\u{200B}"
    }

    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return (v >= 0x30 && v <= 0x39) || (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A)
            || (v >= 0xC0 && v <= 0x24F && v != 0xD7 && v != 0xF7)
    }

    static func prepare(_ text: String) -> Prepared {
        var prepared = Prepared()
        var gap = false
        for scalar in text.precomposedStringWithCompatibilityMapping.lowercased().unicodeScalars {
            if isWhitespace(scalar) {
                gap = true
                continue
            }
            // Search folds traditional and variant forms to one (the default, not --exact).
            prepared.scalars.append(Unicode.Scalar(VariantFolding.fold(scalar.value)) ?? scalar)
            prepared.gapBefore.append(gap)
            gap = false
        }
        return prepared
    }

    /// Folds a query the way the text is folded.
    static func fold(_ query: String) -> [Unicode.Scalar] {
        prepare(query).scalars
    }

    /// True when the folded query occurs in the prepared text, Latin/digit runs as whole tokens.
    static func contains(_ text: Prepared, _ query: [Unicode.Scalar]) -> Bool {
        let n = text.scalars.count
        let m = query.count
        guard m > 0, m <= n else { return false }
        func glued(_ left: Int, _ right: Int) -> Bool {
            isWordCharacter(text.scalars[left]) && isWordCharacter(text.scalars[right]) && !text.gapBefore[right]
        }
        for start in 0...(n - m) where Array(text.scalars[start..<(start + m)]) == query {
            if start > 0, glued(start - 1, start) { continue }
            if start + m < n, glued(start + m - 1, start + m) { continue }
            let split = (start + 1..<(start + m)).contains { index in
                text.gapBefore[index] && isWordCharacter(text.scalars[index - 1])
                    && isWordCharacter(text.scalars[index])
            }
            if split { continue }
            return true
        }
        return false
    }

    /// Ids of the articles that one of whose fields contains the query.
    static func articles(_ articles: [Article], containing query: String) -> Set<String> {
        let folded = fold(query)
        return Set(
            articles.filter { article in
                Article.textFields.contains { field in contains(prepare(article.text(field) ?? ""), folded) }
            }.map(\.id))
    }

    /// The same scan over ``Article/searchableText`` (all fields run together).
    static func articles(_ articles: [Article], searchableTextContaining query: String) -> Set<String> {
        let folded = fold(query)
        return Set(articles.filter { contains(prepare($0.searchableText), folded) }.map(\.id))
    }
}

struct SearchTests {
    // MARK: - Exactness on the seed page

    /// Queries of DESIGN.md §4 and the ones users type most: words, bylines, text printed with spaces
    /// between characters, a phrase across a line wrap, Latin and digits next to Chinese, one character.
    static let seedQueries = [
        "非遗", "工会", "记者陈华", "市场开拓能力", "中国工人大思政课", "AI大模型", "UP主", "500万", "华", "开拓",
        "大思政课", "劳模工匠", "线上招聘", "4月21日", "5万次", "百年工运", "拥军", "万", "一", "AI", "ai", "young",
        "21万人次",
    ]

    /// A new knowledge base with the seed page imported, and its articles.
    static func seedKB() throws -> (KnowledgeBase, [Article]) {
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importText(try Fixtures.seedPage)
        return (kb, try kb.allArticles())
    }

    @Test(arguments: seedQueries)
    func seedPage_query_findsExactlyTheArticlesContainingIt(_ query: String) throws {
        // Given the imported seed page
        let (kb, articles) = try Self.seedKB()
        let expected = SearchOracle.articles(articles, containing: query)
        try #require(!expected.isEmpty, "the query '\(query)' should occur on the seed page")

        // When searching
        let found = Set(try kb.search(query, limit: 100).map(\.id))

        // Then exactly the articles whose text contains the query are found
        #expect(found == expected, "missing: \(expected.subtracting(found)), extra: \(found.subtracting(expected))")
        #expect(SearchOracle.articles(articles, searchableTextContaining: query) == expected)
    }

    @Test(arguments: ["量子计算", "非遗非遗", "工会工会工会", "AIGC", "5000万", "陈华记者"])
    func seedPage_queryNotOnThePage_findsNothing(_ query: String) throws {
        let (kb, articles) = try Self.seedKB()
        #expect(SearchOracle.articles(articles, containing: query).isEmpty)
        #expect(try kb.search(query, limit: 100).isEmpty)
    }

    @Test func seedPage_phraseAcrossLineWrap_isFoundAlthoughThePageBreaksIt() throws {
        // The page prints 中国工人大思 / 政课 on two lines, and 市 场 开 拓 能 力 with spaces.
        let page = try Fixtures.seedPage
        #expect(!page.contains("中国工人大思政课"))
        #expect(!page.contains("市场开拓能力"))
        let (kb, _) = try Self.seedKB()
        #expect(try kb.search("中国工人大思政课").count >= 1)
        #expect(try kb.search("市场开拓能力").count >= 1)
    }

    // MARK: - Exactness on generated text

    /// Generated text, random queries: recall and precision are both 1.0.
    ///
    /// Thirty articles of shuffled seed sentences with spaces and line breaks put between characters
    /// at random; 170 queries.
    @Test func generatedText_randomQueries_recallAndPrecisionAreOne() throws {
        // Given
        var random = SeededGenerator(seed: 20_250_421)
        let sentences = try Self.seedSentences()
        try #require(sentences.count > 50)
        let kb = try KnowledgeBase.inMemory()
        for number in 0..<30 {
            let picked = (0..<Int.random(in: 3...9, using: &random)).map { _ in
                sentences.randomElement(using: &random)!
            }
            let title = String(sentences.randomElement(using: &random)!.prefix(Int.random(in: 4...12, using: &random)))
            try kb.addArticle(
                title: Self.scatterWhitespace(title, using: &random),
                body: Self.scatterWhitespace(picked.joined(), using: &random) + "（第\(number)篇）")
        }
        let articles = try kb.allArticles()
        #expect(articles.count == 30)
        // Spaces were really inserted, so the test exercises matching across them.
        #expect(articles.filter { $0.body.contains(" ") || $0.body.contains("\n") }.count >= 25)

        var queries = Self.randomQueries(from: articles, count: 120, digits: false, using: &random)
        queries += Self.randomQueries(from: articles, count: 30, digits: true, using: &random)
        // Queries made of characters of the page in an order it may not contain: precision.
        let characters = Array(Set(sentences.joined().unicodeScalars.filter(TextCleaner.isCJKCharacter)))
            .sorted { $0.value < $1.value }
        for _ in 0..<20 {
            var query = ""
            for _ in 0..<Int.random(in: 2...4, using: &random) {
                query.unicodeScalars.append(characters.randomElement(using: &random)!)
            }
            queries.append(query)
        }

        // When / Then
        var relevant = 0
        var retrieved = 0
        var correct = 0
        var failures: [String] = []
        for query in queries {
            let expected = SearchOracle.articles(articles, containing: query)
            let found = Set(try kb.search(query, limit: 100).map(\.id))
            relevant += expected.count
            retrieved += found.count
            correct += expected.intersection(found).count
            if found != expected {
                failures.append(
                    "\(query): missing \(expected.subtracting(found).count), extra \(found.subtracting(expected).count)"
                )
            }
        }
        #expect(queries.count >= 150)
        #expect(relevant > queries.count, "most queries should find something")
        #expect(failures.isEmpty, "\(failures.prefix(20))")
        #expect(Double(correct) / Double(max(relevant, 1)) == 1.0, "recall")
        #expect(Double(correct) / Double(max(retrieved, 1)) == 1.0, "precision")
    }

    /// The sentences of the seed page's articles, ending with their punctuation.
    static func seedSentences() throws -> [String] {
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importText(try Fixtures.seedPage)
        var sentences: [String] = []
        for article in try kb.allArticles() {
            var current = ""
            for character in article.body.replacingOccurrences(of: "\n", with: "") {
                current.append(character)
                if "。！？；".contains(character) {
                    sentences.append(current)
                    current = ""
                }
            }
            if !current.isEmpty { sentences.append(current) }
        }
        return sentences
    }

    /// Puts spaces and line breaks between characters, as PDF extraction does, but never inside a
    /// run of Latin letters or digits (which would make two words of one).
    static func scatterWhitespace(_ text: String, using random: inout SeededGenerator) -> String {
        let gaps = [" ", "\n", "  ", "\n\n", "\u{3000}", " \n"]
        var out = String.UnicodeScalarView()
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            if let previous, !(SearchOracle.isWordCharacter(previous) && SearchOracle.isWordCharacter(scalar)),
                Int.random(in: 0..<100, using: &random) < 20
            {
                out.append(contentsOf: (gaps.randomElement(using: &random) ?? " ").unicodeScalars)
            }
            out.append(scalar)
            previous = scalar
        }
        return String(out)
    }

    /// Substrings of 1–6 CJK characters (with a whole number in them when `digits`) of the articles'
    /// text with whitespace removed.
    static func randomQueries(
        from articles: [Article], count: Int, digits: Bool, using random: inout SeededGenerator
    ) -> [String] {
        let texts = articles.map { SearchOracle.prepare($0.title + "\n" + $0.body).scalars }
        func isDigit(_ s: Unicode.Scalar) -> Bool { s.value >= 0x30 && s.value <= 0x39 }
        var queries: [String] = []
        var attempts = 0
        while queries.count < count && attempts < 100_000 {
            attempts += 1
            guard let text = texts.randomElement(using: &random), !text.isEmpty else { continue }
            let start = Int.random(in: 0..<text.count, using: &random)
            let length = Int.random(in: 1...(digits ? 8 : 6), using: &random)
            guard start + length <= text.count else { continue }
            let piece = Array(text[start..<(start + length)])
            let cjk = piece.filter(TextCleaner.isCJKCharacter).count
            guard cjk >= 1, cjk <= 6, piece.allSatisfy({ TextCleaner.isCJKCharacter($0) || isDigit($0) }) else {
                continue
            }
            let hasDigit = piece.contains(where: isDigit)
            guard hasDigit == digits else { continue }
            // A number is taken whole, as users type it.
            if digits {
                if start > 0, isDigit(text[start - 1]), isDigit(piece[0]) { continue }
                if start + length < text.count, isDigit(text[start + length]), isDigit(piece[length - 1]) { continue }
            }
            var query = ""
            query.unicodeScalars.append(contentsOf: piece)
            queries.append(query)
        }
        return queries
    }

    // MARK: - Query parser

    static func term(_ text: String, _ column: String? = nil) -> SearchQuery.Node { .text(text, column: column) }

    struct ParseCase: Sendable, CustomTestStringConvertible {
        let input: String
        let root: SearchQuery.Node?
        var required: [String] = []
        var excluded: [String] = []
        var testDescription: String { input }
    }

    @Test(arguments: [
        ParseCase(input: "非遗", root: term("非遗")),
        ParseCase(input: "工会 非遗", root: .and([term("工会"), term("非遗")])),
        ParseCase(input: "  工会   非遗  上海 ", root: .and([term("工会"), term("非遗"), term("上海")])),
        ParseCase(input: "\"文旅 消费\"", root: term("文旅 消费")),
        ParseCase(input: "“文旅消费”", root: term("文旅消费")),
        ParseCase(input: "非遗 OR 工会", root: .or([term("非遗"), term("工会")])),
        ParseCase(input: "非遗 | 工会", root: .or([term("非遗"), term("工会")])),
        ParseCase(input: "非遗 or 工会", root: .and([term("非遗"), term("or"), term("工会")])),
        ParseCase(input: "非遗 -上海", root: .and([term("非遗"), .not(term("上海"))])),
        ParseCase(input: "COVID-19", root: term("COVID-19")),
        ParseCase(input: "title:非遗", root: term("非遗", "title")),
        ParseCase(input: "TITLE:非遗", root: term("非遗", "title")),
        ParseCase(input: "title:\"文旅 消费\"", root: term("文旅 消费", "title")),
        ParseCase(input: "body:工会 非遗", root: .and([term("工会", "body"), term("非遗")])),
        ParseCase(input: "foo:非遗", root: term("foo:非遗")),
        ParseCase(input: "tag:调研 非遗", root: term("非遗"), required: ["调研"]),
        ParseCase(input: "tag:调研", root: nil, required: ["调研"]),
        ParseCase(input: "非遗 -tag:旧闻", root: term("非遗"), excluded: ["旧闻"]),
        ParseCase(input: "tag:a tag:b -tag:c 工会", root: term("工会"), required: ["a", "b"], excluded: ["c"]),
        ParseCase(input: "(非遗 OR 工会) 上海", root: .and([.or([term("非遗"), term("工会")]), term("上海")])),
        ParseCase(input: "（非遗 OR 工会）", root: .or([term("非遗"), term("工会")])),
        ParseCase(input: "非遗 -(上海 OR 江苏)", root: .and([term("非遗"), .not(.or([term("上海"), term("江苏")]))])),
        ParseCase(
            input: "非遗 工会 OR 上海", root: .or([.and([term("非遗"), term("工会")]), term("上海")])),
    ])
    func queryParser_validQuery_parsesToItsTree(_ item: ParseCase) throws {
        let query = try SearchQuery.parse(item.input)
        #expect(query.root == item.root)
        #expect(query.requiredTags == item.required)
        #expect(query.excludedTags == item.excluded)
    }

    @Test(arguments: [
        "", "   ", "\"非遗", "“非遗", "非遗\"", "(非遗", "非遗)", "(非遗 OR 工会", "()", "\"\"", "\"  \"",
        "非遗 OR", "OR 非遗", "非遗 OR OR 工会", "非遗 OR )", "-", "非遗 -", "-非遗", "-非遗 -工会", "-(非遗)",
        "tag:", "非遗 tag:", "-tag:", "-tag:旧闻", "，。", "！！？", "非遗 ……", "title:", "title:，",
        "(tag:调研 非遗)", "tag:调研 OR 非遗", "非遗 OR -上海",
    ])
    func queryParser_malformedQuery_throwsQuerySyntax(_ input: String) throws {
        let error = #expect(throws: KBError.self) { try SearchQuery.parse(input) }
        #expect(error?.kind == .querySyntax)
        #expect(error?.isUsageError == true)
        #expect(error?.message.hasSuffix(".") == true)
        #expect(error?.message.contains("\n") == false)
        // The search entry point reports the same, without touching the index.
        let kb = try KnowledgeBase.inMemory()
        let searchError = #expect(throws: KBError.self) { try kb.search(input) }
        #expect(searchError?.kind == .querySyntax)
    }

    /// FTS5 operators typed by a user are words, never syntax: no query reaches MATCH raw.
    @Test(arguments: [
        "非遗 AND", "NOT 非遗", "非遗 NEAR 工会", "非遗*", "*", "非遗^", "{title}: 非遗", "title : 非遗", "非遗 + 工会",
        "col:非遗", "'非遗'", "非遗;DROP TABLE articles", "NEAR/3",
    ])
    func ftsSyntaxInQuery_isTreatedAsText_neverAnSQLiteError(_ input: String) throws {
        let (kb, _) = try Self.seedKB()
        do {
            _ = try kb.search(input)
        } catch let error as KBError {
            #expect(error.kind == .querySyntax, "\(error.message)")
        }
        #expect(try kb.count("articles") == 9)
    }

    // MARK: - Ranking, filters, normalization

    @Test func titleHit_ranksAboveBodyOnlyHit() throws {
        // Given one article with the word in its body twice and one with it in its title only
        let kb = try KnowledgeBase.inMemory()
        let bodyOnly = try kb.addArticle(
            title: "一篇综述", body: "本文介绍量子通信的发展。量子通信正在走向应用。其他内容若干。")
        let inTitle = try kb.addArticle(title: "量子通信研究进展", body: "本文讨论一些别的问题，与标题呼应。")
        _ = try kb.addArticle(title: "无关文章", body: "今天天气很好。")

        // When
        let hits = try kb.search("量子通信")

        // Then
        #expect(hits.map(\.id) == [inTitle.id, bodyOnly.id])
        #expect(hits[0].score > hits[1].score)
        #expect(hits[0].field == "title")
    }

    @Test func tagFilter_keepsOnlyTaggedArticles() throws {
        // Given three articles about the same thing, two tagged 调研, one of those also 旧闻
        let kb = try KnowledgeBase.inMemory()
        let a = try kb.addArticle(title: "甲", body: "非遗展演在黄山举行。")
        let b = try kb.addArticle(title: "乙", body: "非遗市集吸引职工。")
        let c = try kb.addArticle(title: "丙", body: "非遗传承人交流。")
        _ = try kb.tag(a.id, ["调研"])
        _ = try kb.tag(b.id, ["调研", "旧闻"])
        _ = try kb.tag(c.id, ["Report"])

        // Then
        #expect(Set(try kb.search("非遗").map(\.id)) == [a.id, b.id, c.id])
        #expect(Set(try kb.search("非遗 tag:调研").map(\.id)) == [a.id, b.id])
        #expect(Set(try kb.search("非遗 tag:调研 -tag:旧闻").map(\.id)) == [a.id])
        #expect(Set(try kb.search("tag:调研").map(\.id)) == [a.id, b.id])
        #expect(Set(try kb.search("非遗 -tag:调研").map(\.id)) == [c.id])
        #expect(Set(try kb.search("tag:report").map(\.id)) == [c.id])
        #expect(try kb.search("市集 tag:调研 -tag:旧闻").isEmpty)
        // A removed tag no longer filters in.
        _ = try kb.untag(b.id, ["调研"])
        #expect(Set(try kb.search("非遗 tag:调研").map(\.id)) == [a.id])
    }

    @Test func titleColumn_searchesTitlesOnly() throws {
        let kb = try KnowledgeBase.inMemory()
        let titled = try kb.addArticle(title: "非遗保护", body: "文章内容。")
        let body = try kb.addArticle(title: "别的题目", body: "说到非遗保护的问题。")
        #expect(try kb.search("title:非遗").map(\.id) == [titled.id])
        #expect(Set(try kb.search("非遗").map(\.id)) == [titled.id, body.id])
        #expect(try kb.search("非遗 -title:非遗").map(\.id) == [body.id])
    }

    @Test(arguments: [
        ("ＡＩ", "AI 大模型"), ("ai", "ＡＩ大模型"), ("ＡＩ大模型", "AI大模型"), ("Ａｉ", "ai"), ("２０２５年", "2025年"), ("2025年", "２０２５年"),
    ])
    func fullWidthAndCase_matchHalfWidth(_ query: String, _ text: String) throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "测试", body: "据悉，\(text)的应用。")
        _ = try kb.addArticle(title: "对照", body: "据悉，没有这些字的文章。")
        #expect(try kb.search(query).map(\.id) == [article.id])
    }

    @Test(arguments: ["😀", "𠮷", "𠮷野家", "野家", "吃饭😀", "😀很"])
    func emojiAndSupplementaryCharacters_areSearchable(_ query: String) throws {
        // Given an article with an emoji and a character outside the BMP
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "日记", body: "今天去𠮷野家吃饭😀很开心。")
        _ = try kb.addArticle(title: "对照", body: "今天去食堂吃饭，很开心。")

        // When / Then
        let hits = try kb.search(query)
        #expect(hits.map(\.id) == [article.id])
        let highlighted = hits.first.map { hit in
            hit.snippet.highlights.map { CodePoints(hit.snippet.text).string($0) }
        }
        #expect(highlighted == [query])
    }

    @Test func wordOnlyInANote_findsTheArticleThroughTheAnnotation() throws {
        // Given an article and a note on it with a word the article does not contain
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "招聘会", body: "本次招聘会深度融合大模型技术。")
        _ = try kb.addArticle(title: "对照", body: "另一篇文章。")
        let annotation = try kb.annotate(
            article.id, target: .quote("大模型", occurrence: nil, prefix: nil, suffix: nil), note: "值得跟进：独角兽企业")

        // When
        let hits = try kb.search("独角兽")

        // Then
        let hit = try #require(hits.first)
        #expect(hits.count == 1)
        #expect(hit.id == article.id)
        #expect(hit.annotationID == annotation.id)
        #expect(hit.field == "annotation")
        #expect(hit.snippet.highlights.map { CodePoints(hit.snippet.text).string($0) } == ["独角兽"])
        // A hit in the article itself carries no annotation id.
        #expect(try kb.search("招聘会").first?.annotationID == nil)
        // A removed note is no longer found.
        _ = try kb.removeAnnotation(annotation.id)
        #expect(try kb.search("独角兽").isEmpty)
    }

    @Test func deletedArticle_isNotFound_norThroughItsNotes() throws {
        // Given two articles, one with a note, then deleted
        let kb = try KnowledgeBase.inMemory()
        let kept = try kb.addArticle(title: "保留", body: "职工文旅消费活动。")
        let removed = try kb.addArticle(title: "删除", body: "职工文旅消费调研，另有黄梅戏。")
        _ = try kb.annotate(removed.id, target: .article, note: "批注里的词：剪纸长卷")
        #expect(Set(try kb.search("文旅消费").map(\.id)) == [kept.id, removed.id])

        // When
        _ = try kb.removeArticle(removed.id)

        // Then
        #expect(try kb.search("文旅消费").map(\.id) == [kept.id])
        #expect(try kb.search("黄梅戏").isEmpty)
        #expect(try kb.search("剪纸长卷").isEmpty)
        #expect(try kb.search("title:删除").isEmpty)
    }

    @Test func editedArticle_isFoundByItsNewTextOnly() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "标题", body: "旧的正文提到昆曲。")
        _ = try kb.editArticle(article.id, title: "新标题", body: "新的正文提到评弹。")
        #expect(try kb.search("昆曲").isEmpty)
        #expect(try kb.search("评弹").map(\.id) == [article.id])
        #expect(try kb.search("新标题").map(\.id) == [article.id])
    }

    // MARK: - Snippets

    @Test(arguments: ["非遗", "记者陈华", "市场开拓能力", "中国工人大思政课", "AI大模型", "UP主", "500万", "华", "思政课"])
    func snippet_highlightsSelectExactlyTheQuery(_ query: String) throws {
        // Given the seed page
        let (kb, _) = try Self.seedKB()

        // When
        let hits = try kb.search(query, limit: 100)

        // Then every hit shows the query, and every highlight is the query (whitespace ignored)
        try #require(!hits.isEmpty)
        let folded = String(String.UnicodeScalarView(SearchOracle.fold(query)))
        for hit in hits {
            let points = CodePoints(hit.snippet.text)
            #expect(!hit.snippet.highlights.isEmpty, "no highlight in \(hit.snippet.text)")
            #expect(!hit.snippet.text.contains("\n"))
            var previousEnd = 0
            for range in hit.snippet.highlights {
                #expect(range.lowerBound >= previousEnd && range.upperBound <= points.count)
                previousEnd = range.upperBound
                let marked = String(String.UnicodeScalarView(SearchOracle.fold(points.string(range))))
                #expect(marked == folded, "highlight '\(points.string(range))' in \(hit.snippet.text)")
            }
            let rendered = TextCleaner.removingWhitespace(hit.snippet.rendered(open: "[", close: "]"))
            #expect(rendered.lowercased().contains("[" + folded + "]"))
        }
    }

    /// A second hit that straddles the end of the snippet window is shown whole or not marked, never
    /// marked in part.
    @Test(arguments: 50...70)
    func snippet_hitAtTheEdgeOfTheWindow_isNeverMarkedInPart(_ gap: Int) throws {
        // Given two hits, the second `gap` characters after the first
        let kb = try KnowledgeBase.inMemory()
        let filler = "这是与主题无关的填充文字"
        let before = String(repeating: filler, count: 5)
        let between = String(String(repeating: filler, count: 8).prefix(gap))
        _ = try kb.addArticle(title: "边缘", body: before + "剪纸长卷" + between + "剪纸长卷" + before)

        // When
        let hit = try #require(try kb.search("剪纸长卷").first)

        // Then
        let points = CodePoints(hit.snippet.text)
        for range in hit.snippet.highlights {
            #expect(points.string(range) == "剪纸长卷", "\(hit.snippet.text) \(hit.snippet.highlights)")
        }
    }

    /// A term of letters or digits is marked where it is a whole word, as the index matches it, and never
    /// inside a longer word or number; `word*` marks the whole word.
    @Test(arguments: [
        ("AI", ["AI"]),
        ("ai", ["AI"]),
        ("ＡＩ大模型", ["AI大模型"]),
        ("500万", ["500万"]),
        ("Swift", ["Swift"]),
        ("swif*", ["SwiftUI", "Swifty", "Swift"]),
        ("2024年", ["2024年"]),
        ("𠮷野家", ["𠮷野家"]),
    ])
    func snippet_marksWholeWordsOnly(_ query: String, _ expected: [String]) throws {
        // Given an article where each term also stands inside a longer word or number
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.addArticle(
            title: "词界", body: "SwiftUI 与 Swifty 工具，AIGC 与 AI大模型😀。1500万人，500万元，12024年，2024年。Swift 6 发布。𠮷野家")

        // When
        let hit = try #require(try kb.search(query).first)

        // Then only the whole words are marked
        let points = CodePoints(hit.snippet.text)
        #expect(hit.snippet.highlights.map { points.string($0) } == expected, "\(hit.snippet.text)")
    }

    /// Whitespace ends a word: a term is not marked across a space that splits its letters or digits, or a
    /// letter or digit from a CJK character; between two CJK characters a space is an extraction artefact.
    @Test(arguments: [
        ("AI GC 测试", "aigc", [String]()),
        ("增加500 万人", "500万", []),
        ("记 者 陈 华", "记者陈华", ["记 者 陈 华"]),
        ("AIGC，AI 大模型", "ai", ["AI"]),
        ("ＡＩＧＣ与ＡＩ", "ai", ["ＡＩ"]),
        ("café 与 cafe", "cafe", ["cafe"]),
    ])
    func hitRanges_respectWordBoundaries(_ text: String, _ term: String, _ expected: [String]) {
        let points = CodePoints(text)
        let marked = KnowledgeBase.hitRanges(in: points, terms: [term]).map { points.string($0) }
        #expect(marked == expected)
    }

    @Test func snippet_ofLongArticle_isAWindowAroundTheHit() throws {
        // Given a long article whose only hit is far from the start
        let kb = try KnowledgeBase.inMemory()
        let filler = String(repeating: "这是与主题无关的填充文字。", count: 40)
        _ = try kb.addArticle(title: "长文", body: filler + "关键段落写到剪纸长卷为百年工运献礼。" + filler)

        // When
        let hit = try #require(try kb.search("剪纸长卷").first)

        // Then
        #expect(hit.snippet.text.hasPrefix("…"))
        #expect(hit.snippet.text.hasSuffix("…"))
        #expect(CodePoints(hit.snippet.text).count <= KnowledgeBase.snippetLength + 2)
        #expect(hit.snippet.highlights.map { CodePoints(hit.snippet.text).string($0) } == ["剪纸长卷"])
    }
}

extension SearchTests {
    /// One-character terms come from the character index; combined with other terms and exclusions
    /// they give exactly the sets a scan gives, and after an edit or a delete the index follows.
    @Test(arguments: [
        ("华 工会", ["华", "工会"], [String]()), ("工会 -华", ["工会"], ["华"]), ("华 万", ["华", "万"], []),
        ("-非 工", ["工"], ["非"]), ("华", ["华"], []),
    ])
    func oneCharacterTerms_combineExactly(_ query: String, _ required: [String], _ excluded: [String]) throws {
        let (kb, articles) = try Self.seedKB()
        var expected = Set(articles.map(\.id))
        for term in required { expected.formIntersection(SearchOracle.articles(articles, containing: term)) }
        for term in excluded { expected.subtract(SearchOracle.articles(articles, containing: term)) }
        #expect(Set(try kb.search(query, limit: 100).map(\.id)) == expected)
    }

    @Test func characterIndex_followsEditsAndDeletes() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "标题", body: "这里有一个罕见字：龘。")
        #expect(try kb.search("龘").map(\.id) == [article.id])
        _ = try kb.editArticle(article.id, body: "这里没有那个字了。")
        #expect(try kb.search("龘").isEmpty)
        #expect(try kb.search("没").map(\.id) == [article.id])
        _ = try kb.removeArticle(article.id)
        #expect(try kb.search("没").isEmpty)
    }
}

/// Punctuation between a number and a CJK character, headline prefixes, annotation tags and quoted tags.
struct SearchSyntaxTests {
    @Test(arguments: ["增加500，万人参与", "增加500,万人参与", "增加500、万人参与", "增加500😀万人参与"])
    func numberAndCharacterSplitByPunctuation_areNotAJunction(_ text: String) throws {
        // Given one article where punctuation stands between 500 and 万, and one where nothing does
        let kb = try KnowledgeBase.inMemory()
        let split = try kb.addArticle(title: "分开", body: text)
        let joined = try kb.addArticle(title: "连着", body: "投资500万元建设。")

        // When / Then
        #expect(try kb.search("500万").map(\.id) == [joined.id])
        #expect(try kb.search("\"500万\"").map(\.id) == [joined.id])
        #expect(try kb.search("万人").map(\.id) == [split.id])
        #expect(try kb.search("500").map(\.id).sorted() == [split.id, joined.id].sorted())
    }

    @Test func textIndexesBuiltAgain_searchesAndLaterEditsStayConsistent() throws {
        // Given a knowledge base with an article and an annotation
        let queue = try DatabaseQueue(configuration: AppDatabase.makeConfiguration())
        let kbOld = KnowledgeBase(database: try AppDatabase(queue))
        let article = try kbOld.addArticle(title: "增加", body: "增加500，万人参与。𠮷😀")
        _ = try kbOld.annotate(
            article.id, target: .quote("万人参与", occurrence: nil, prefix: nil, suffix: nil), note: "笔记500，万")

        // When the indexes are built again (as the v2 migration does) and the article is edited afterwards
        try queue.write { db in try AppDatabase.rebuildTextIndexes(db) }
        _ = try kbOld.editArticle(article.id, body: "投资500万元。")

        // Then FTS5's own check passes, and search sees the new text only
        try queue.write { db in
            try db.execute(sql: "INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
            try db.execute(sql: "INSERT INTO annotations_fts(annotations_fts, rank) VALUES ('integrity-check', 1)")
        }
        #expect(try kbOld.search("500万").map(\.id) == [article.id])
        // The old words stay findable only through the annotation's quote.
        let old = try kbOld.search("万人参与")
        #expect(old.count == 1 && old.allSatisfy { $0.annotationID != nil })
    }

    @Test(arguments: ["工会 -外贸", "工会 －外贸", "工会　－外贸", "（工会） －外贸", "－外贸 工会"])
    func fullWidthMinus_excludesAsTheASCIIOne(_ query: String) throws {
        // Given one article with both words and one with the first only
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.addArticle(title: "甲", body: "工会与外贸企业座谈。")
        let only = try kb.addArticle(title: "乙", body: "工会举办活动。")

        // When / Then: a Chinese input method's minus (U+FF0D) before a word excludes it too
        #expect(try kb.search(query).map(\.id) == [only.id])
    }

    @Test func titlePrefix_searchesTitleSubtitleAndKicker() throws {
        // Given an article whose subtitle, and another whose kicker, hold the words, and one with them in the body
        let kb = try KnowledgeBase.inMemory()
        let inSubtitle = try kb.addArticle(title: "长三角职工非遗技艺交流", body: "正文没有那几个字。")
        try kb.write { db, _ in
            try db.execute(
                sql: "UPDATE articles SET subtitle = '首场举办职工非遗技艺交流活动' WHERE id = ?", arguments: [inSubtitle.id])
        }
        let inKicker = try kb.addArticle(title: "另一篇", body: "正文。")
        try kb.write { db, _ in
            try db.execute(sql: "UPDATE articles SET kicker = '首场发布' WHERE id = ?", arguments: [inKicker.id])
        }
        _ = try kb.addArticle(title: "正文里有", body: "这是首场活动。")

        // When / Then
        #expect(try kb.search("title:首场").map(\.id).sorted() == [inSubtitle.id, inKicker.id].sorted())
        #expect(try kb.search("subtitle:首场").map(\.id) == [inSubtitle.id])
        #expect(try kb.search("首场").count == 3)
    }

    @Test func tagPrefix_findsArticlesThroughTheirAnnotationsTags_andQuotedTags() throws {
        // Given one article tagged directly, one whose annotation carries the tag, and one with neither
        let kb = try KnowledgeBase.inMemory()
        let direct = try kb.addArticle(title: "甲", body: "非遗展演在黄山举行。")
        let viaNote = try kb.addArticle(title: "乙", body: "非遗传承人走进课堂。")
        let neither = try kb.addArticle(title: "丙", body: "非遗工坊开张。")
        _ = try kb.tag(direct.id, ["比较"])
        _ = try kb.annotate(
            viaNote.id, target: .quote("传承人", occurrence: nil, prefix: nil, suffix: nil), tags: ["比较", "with space"])

        // When / Then
        #expect(try kb.search("非遗 tag:比较").map(\.id).sorted() == [direct.id, viaNote.id].sorted())
        #expect(try kb.search("非遗 -tag:比较").map(\.id) == [neither.id])
        #expect(try kb.search("tag:\"with space\"").map(\.id) == [viaNote.id])
        #expect(try kb.search("非遗 -tag:\"with space\"").map(\.id).sorted() == [direct.id, neither.id].sorted())
    }
}

/// Simplified and traditional forms match alike by default; `--exact` and `exact:` keep to the characters typed.
struct VariantSearchTests {
    @Test func foldingTable_isIdempotent_andKeepsCodePointCounts() {
        for scalar in VariantTable.pairs.unicodeScalars {
            let folded = VariantFolding.fold(scalar.value)
            #expect(VariantFolding.fold(folded) == folded, "\(scalar) folds twice")
        }
        #expect(VariantFolding.fold("頭髮臺灣裡裏後") == "头发台湾里里后")
        #expect(VariantFolding.fold("头发😀𠮷ＡＩ").unicodeScalars.count == "头发😀𠮷ＡＩ".unicodeScalars.count)
    }

    @Test(arguments: [
        ("頭髮", true, ["头发", "发"]), ("頭髮", false, ["頭髮", "髮"]), ("臺灣", true, ["台湾", "湾"]),
        ("AI臺", true, ["ai", "ai台", "台"]),
    ])
    func tokens_foldUnlessExact(_ text: String, _ folds: Bool, _ expected: [String]) {
        var tokenizer = TextTokenizer(foldsVariants: folds)
        #expect(tokenizer.tokens(in: text).map(\.text) == expected)
    }

    /// Three articles: one in simplified, one in traditional, one in mixed text.
    static func corpus() throws -> (KnowledgeBase, simplified: Article, traditional: Article, mixed: Article) {
        let kb = try KnowledgeBase.inMemory()
        let simplified = try kb.addArticle(title: "简体", body: "台湾的头发护理产品在重庆热销。")
        let traditional = try kb.addArticle(title: "繁體", body: "臺灣的頭髮護理產品在重慶熱銷。")
        let mixed = try kb.addArticle(title: "混合 mixed", body: "AI公司說：頭发和臺湾都有😀𠮷。")
        return (kb, simplified, traditional, mixed)
    }

    @Test(arguments: ["头发", "頭髮", "台湾", "臺灣", "重庆", "重慶", "头髮"])
    func anyForm_findsEveryForm_exactOnesFirst(_ query: String) throws {
        let (kb, simplified, traditional, mixed) = try Self.corpus()
        let hits = try kb.search(query)
        let ids = Set(hits.map(\.id))
        let expectsMixed = query.hasPrefix("头") || query.hasPrefix("頭") || query.hasPrefix("台") || query.hasPrefix("臺")
        #expect(ids == Set([simplified.id, traditional.id] + (expectsMixed ? [mixed.id] : [])))
        // What holds the characters as typed comes first.
        let exact = try kb.search(query, exact: true).map(\.id)
        #expect(Array(hits.prefix(exact.count)).map(\.id).sorted() == exact.sorted())
        // The snippet marks the hit in whichever form the text has.
        for hit in hits { #expect(!hit.snippet.highlights.isEmpty, "\(query): \(hit.title)") }
    }

    @Test func exact_keepsToTheCharactersTyped_inTheFlagAndInTheQuery() throws {
        let (kb, simplified, traditional, mixed) = try Self.corpus()
        #expect(try kb.search("头发", exact: true).map(\.id) == [simplified.id])
        #expect(try kb.search("頭髮", exact: true).map(\.id) == [traditional.id])
        #expect(try kb.search("exact:頭髮").map(\.id) == [traditional.id])
        #expect(try kb.search("exact:\"頭发\"").map(\.id) == [mixed.id])
        #expect(try kb.search("产品 exact:重慶").map(\.id) == [traditional.id])
        #expect(try kb.search("產品 exact:重庆").map(\.id) == [simplified.id])
        // An excluded exact word removes only the articles that hold it as written.
        #expect(
            Set(try kb.search("头发 -exact:頭髮").map(\.id)) == [simplified.id, mixed.id])
        // One character, both ways.
        #expect(Set(try kb.search("髮").map(\.id)) == [simplified.id, traditional.id, mixed.id])
        #expect(try kb.search("髮", exact: true).map(\.id) == [traditional.id])
    }

    @Test func snippet_marksTheTraditionalText_forASimplifiedQuery() throws {
        let (kb, _, traditional, _) = try Self.corpus()
        let hit = try #require(try kb.search("头发护理").first { $0.id == traditional.id })
        #expect(hit.snippet.rendered(open: "[", close: "]").contains("[頭髮護理]"))
    }

    /// A hit holding none of the other forms of the query's characters (nor a character NFKC maps) is ranked
    /// as exact without tokenizing it: that shortcut must agree with matching it exactly, on every text.
    @Test(arguments: ["头发", "頭髮", "头髮", "台湾 -护理", "里面 OR 裡面", "工会", "重庆 exact:火锅", "发展 -exact:發展", "AI公司"])
    func exactShortcut_agreesWithExactMatching(_ query: String) throws {
        let texts = [
            "台湾的头发护理。", "臺灣的頭髮護理。", "頭发和臺湾", "工会在里面开会", "工會在裡面開會", "工会在裏面", "重庆火锅",
            "重慶火鍋", "发展和發展", "AI公司說", "ai公司说😀𠮷", "兼容\u{F900}字头发", "⼯会（康熙部首）", "頭髮 髮", "",
        ]
        let root = try #require(try SearchQuery.parse(query).root)
        let otherForms = ExactMatcher.otherForms(of: root)
        for text in texts {
            var matcher = ExactMatcher(fields: [("body", text), ("title", "标题")])
            guard matcher.holdsNone(of: otherForms), matcher.matches(root, exact: false) else { continue }
            let exact = matcher.matches(root, exact: true)
            #expect(exact, "\(query) on \(text)")
        }
        // The other forms of 头发 hold 頭, 髮 and 發, and not 头 or 发.
        let forms = Set(ExactMatcher.otherForms(of: try SearchQuery.parse("头发").root))
        #expect(forms.isSuperset(of: [0x982D, 0x9AEE, 0x767C]) && forms.isDisjoint(with: [0x5934, 0x53D1]))
        #expect(ExactMatcher.otherForms(of: try SearchQuery.parse("AI").root).isEmpty)
    }
}

/// Pinyin: `py:` and `--pinyin` find the characters read that way, tones or not, initials, polyphones.
struct PinyinSearchTests {
    /// Articles in simplified and traditional text, with polyphonic characters and a Latin name.
    static func corpus() throws -> (KnowledgeBase, [String: Article]) {
        let kb = try KnowledgeBase.inMemory()
        var articles: [String: Article] = [:]
        articles["重庆"] = try kb.addArticle(title: "山城", body: "重庆的火锅远近闻名。")
        articles["重慶"] = try kb.addArticle(title: "山城繁體", body: "重慶的火鍋遠近聞名。")
        articles["重要"] = try kb.addArticle(title: "要事", body: "这件事很重要，不可轻视。")
        articles["银行"] = try kb.addArticle(title: "金融", body: "银行今天开门。")
        articles["行动"] = try kb.addArticle(title: "行动", body: "大家立即行动起来。")
        articles["西安"] = try kb.addArticle(title: "古都", body: "西安有城墙。")
        articles["先"] = try kb.addArticle(title: "次序", body: "先来后到。")
        articles["latin"] = try kb.addArticle(title: "Trip", body: "A week in Chongqing with friends.")
        articles["wrap"] = try kb.addArticle(title: "换行", body: "到了重\n庆，又去成都。")
        articles["comma"] = try kb.addArticle(title: "标点", body: "分量很重，庆幸没事。")
        return (kb, articles)
    }

    static func ids(_ kb: KnowledgeBase, _ query: String, pinyin: Bool = false) throws -> Set<String> {
        Set(try kb.search(query, limit: 50, pinyin: pinyin).map(\.id))
    }

    @Test(arguments: [
        "py:chongqing", "py:chóngqìng", "py:chong2qing4", "py:\"chong qing\"", "py:chong'qing", "py:CHONGQING",
        "py:\"Chóng Qìng\"", "pinyin:chongqing", "py:cq",
    ])
    func pinyin_findsSimplifiedTraditionalAndWrappedText_neverAcrossPunctuation(_ query: String) throws {
        let (kb, a) = try Self.corpus()
        let found = try Self.ids(kb, query)
        #expect(found.isSuperset(of: [a["重庆"]!.id, a["重慶"]!.id, a["wrap"]!.id]), "\(query)")
        #expect(!found.contains(a["comma"]!.id), "\(query): 重，庆 is not one word")
        #expect(!found.contains(a["latin"]!.id), "\(query): py: reads characters only")
        // Every hit is marked in its snippet.
        for hit in try kb.search(query, limit: 50) { #expect(!hit.snippet.highlights.isEmpty, "\(query)") }
    }

    @Test func wrongTone_findsNothing_rightTonesFindIt() throws {
        let (kb, a) = try Self.corpus()
        #expect(try Self.ids(kb, "py:chong4qing4").isEmpty)
        #expect(try Self.ids(kb, "py:chòngqìng").isEmpty)
        #expect(try Self.ids(kb, "py:chong2qing4") == [a["重庆"]!.id, a["重慶"]!.id, a["wrap"]!.id])
    }

    @Test func polyphonicCharacters_matchEachReading() throws {
        let (kb, a) = try Self.corpus()
        // 重 is chóng in 重庆 and zhòng in 重要; 行 is háng in 银行 and xíng in 行动.
        #expect(try Self.ids(kb, "py:zhongyao") == [a["重要"]!.id])
        #expect(try Self.ids(kb, "py:yinhang") == [a["银行"]!.id])
        #expect(try Self.ids(kb, "py:xingdong").contains(a["行动"]!.id))
        #expect(try Self.ids(kb, "py:hang2").contains(a["行动"]!.id))
        #expect(try Self.ids(kb, "py:xing2").contains(a["银行"]!.id))
        #expect(Pinyin.readings(of: "重").contains("zhong4") && Pinyin.readings(of: "重").contains("chong2"))
    }

    @Test func unspacedSyllables_areCutEveryWay() throws {
        let (kb, a) = try Self.corpus()
        // xian: 先 as one syllable, 西安 as xi + an.
        let found = try Self.ids(kb, "py:xian")
        #expect(found.isSuperset(of: [a["西安"]!.id, a["先"]!.id]))
        #expect(try Self.ids(kb, "py:xi'an").contains(a["西安"]!.id))
        #expect(!(try Self.ids(kb, "py:xi'an")).contains(a["先"]!.id))
        let pattern = try #require(Pinyin.pattern("xian"))
        // xian, xi an, xia n, xi a n: every cut the table allows.
        #expect(Set(pattern.alternatives.map(\.count)).isSuperset(of: [1, 2]))
    }

    @Test func initials_findTheCharacters_andNotOthers() throws {
        let (kb, a) = try Self.corpus()
        #expect(try Self.ids(kb, "py:xa").contains(a["西安"]!.id))
        #expect(try Self.ids(kb, "py:yh").contains(a["银行"]!.id))
        #expect(!(try Self.ids(kb, "py:yh")).contains(a["行动"]!.id))
        #expect(try Self.ids(kb, "py:zhy").contains(a["重要"]!.id))
    }

    @Test func shortRunThatIsAlsoSyllables_isReadAsInitialsToo_aLongOneIsNot() throws {
        let kb = try KnowledgeBase.inMemory()
        let mother = try kb.addArticle(title: "家", body: "妈妈做了晚饭。")
        let union = try kb.addArticle(title: "外交", body: "欧盟发表声明。")
        let medicine = try kb.addArticle(title: "药", body: "这味中药很苦。")
        // m and o are syllables (呣, 哦): mm and om are read both ways.
        #expect(try Self.ids(kb, "py:mm") == [mother.id])
        #expect(try Self.ids(kb, "py:om") == [union.id])
        #expect(try Self.ids(kb, "py:mama") == [mother.id])
        // With a tone, or longer than a word's initials, only syllables.
        #expect(try Self.ids(kb, "py:m2m2").isEmpty)
        #expect(try Self.ids(kb, "py:zhongyao") == [medicine.id])
        let long = try #require(Pinyin.pattern("zhongyao"))
        #expect(long.alternatives.allSatisfy { $0.allSatisfy { !$0.isInitial } })
        let short = try #require(Pinyin.pattern("mm"))
        #expect(short.alternatives.contains { $0.allSatisfy(\.isInitial) })
        #expect(short.alternatives.contains { $0.allSatisfy { !$0.isInitial } })
    }

    @Test func pinyinFlag_ranksTheTextAsWrittenFirst_thenPinyin() throws {
        let (kb, a) = try Self.corpus()
        let hits = try kb.search("chongqing", limit: 50, pinyin: true)
        #expect(hits.first?.id == a["latin"]!.id)
        #expect(Set(hits.map(\.id)) == [a["latin"]!.id, a["重庆"]!.id, a["重慶"]!.id, a["wrap"]!.id])
        #expect(try kb.search("chongqing").map(\.id) == [a["latin"]!.id])
        // Folded and exact words rank above the pinyin-only ones in a mixed query.
        let mixed = try kb.search("重庆 OR py:xian", limit: 50).map(\.id)
        #expect(mixed.count == 5)
        #expect(Set(mixed.prefix(2)) == [a["重庆"]!.id, a["wrap"]!.id])
        #expect(mixed.dropFirst(2).first == a["重慶"]!.id)
        #expect(Set(mixed.suffix(2)) == [a["西安"]!.id, a["先"]!.id])
        // Pinyin combines with words, exclusions and tags.
        #expect(try Self.ids(kb, "py:chongqing 火锅") == [a["重庆"]!.id, a["重慶"]!.id])
        #expect(try Self.ids(kb, "py:chongqing -火锅") == [a["wrap"]!.id])
        _ = try kb.tag(a["重慶"]!.id, ["繁体"])
        #expect(try Self.ids(kb, "py:cq tag:繁体") == [a["重慶"]!.id])
    }

    @Test(arguments: ["py:", "py:重庆", "py:chong@qing", "py:xq7"])
    func notPinyin_isASyntaxError(_ query: String) throws {
        let (kb, _) = try Self.corpus()
        #expect(throws: KBError.self) { try kb.search(query) }
    }

    @Test(arguments: ["chongqing", "xian", "cq", "zh", "lv", "nue", "shang4hai3"])
    func patternBits_acceptExactlyTheCharactersEachSyllableReads(_ query: String) throws {
        // Every character of the BMP's ideographs and extension B's first block, one at a time: the bits a
        // pattern matches with say what `PinyinPiece.matches` says, variant forms without a reading included.
        let pattern = try #require(Pinyin.pattern(query))
        let characters = Array(UInt32(0x3400)...0x9FFF) + Array(UInt32(0x20000)...0x20FFF) + [0xF900, 0xFA10, 0x20BB7]
        for pieces in pattern.alternatives where pieces.count == 1 {
            let piece = pieces[0]
            for character in characters where pattern.ranges(in: [character]).isEmpty == piece.matches(character) {
                Issue.record("\(query): U+\(String(character, radix: 16, uppercase: true))")
            }
        }
        // Longer alternatives: a two-character text matches when both characters do, in order.
        var pairs = 0
        for pieces in pattern.alternatives where pieces.count == 2 {
            for first in ["重", "西", "上", "中"] {
                for second in ["庆", "慶", "安", "海", "国"] {
                    let text = [first.unicodeScalars.first!.value, second.unicodeScalars.first!.value]
                    let both = pieces[0].matches(text[0]) && pieces[1].matches(text[1])
                    // (Another alternative may match one of them alone: only this way is checked.)
                    if both { #expect(pattern.ranges(in: text) == [0..<2], "\(query) \(first)\(second)") }
                    pairs += both ? 1 : 0
                }
            }
        }
        #expect(pairs > 0 || !["chongqing", "xian", "shang4hai3"].contains(query), "no pair of \(query) was tried")
    }

    @Test func syllableNoArticleHolds_findsNothing_andOtherCutsStillFind() throws {
        let (kb, a) = try Self.corpus()
        // No article holds a character read zhōngguó, nor one read qióng.
        #expect(try Self.ids(kb, "py:zhongguo").isEmpty)
        #expect(try Self.ids(kb, "py:qiong").isEmpty)
        #expect(try Self.ids(kb, "py:qiong OR py:chongqing") == [a["重庆"]!.id, a["重慶"]!.id, a["wrap"]!.id])
        // xian: 先 as one syllable, 西安 as xi + an, although no article holds a character read xia.
        #expect(try Self.ids(kb, "py:xian").isSuperset(of: [a["先"]!.id, a["西安"]!.id]))
    }

    @Test func annotationNote_isFoundByPinyin() throws {
        let (kb, a) = try Self.corpus()
        let note = try kb.addArticle(title: "无关", body: "今天下雨。")
        _ = try kb.annotate(note.id, target: .quote("下雨", occurrence: nil, prefix: nil, suffix: nil), note: "想去成都")
        let hits = try kb.search("py:chengdu", limit: 50)
        #expect(Set(hits.map(\.id)) == [note.id, a["wrap"]!.id])
        #expect(hits.first { $0.id == note.id }?.annotationID != nil)
    }
}

/// One-character queries are ranked by how often the articles hold the character, like the others.
struct OneCharacterRankingTests {
    @Test func moreOccurrences_rankHigher_andScoresAreNotZero() throws {
        // Given an article with 水 eleven times, a newer one with it once, one with it in the title, one without
        let kb = try KnowledgeBase.inMemory()
        let many = try kb.addArticle(title: "甲", body: String(repeating: "水，", count: 11) + "又多又清。")
        let once = try kb.addArticle(title: "乙", body: "今天喝了一杯水，然后去上班了。")
        let titled = try kb.addArticle(title: "水", body: "标题里有这个字。")
        _ = try kb.addArticle(title: "丙", body: "没有那个字。")

        // When
        let hits = try kb.search("水")

        // Then the eleven rank above the one, the title counts more than the body, every score is above zero
        let order = hits.map(\.id)
        #expect(Set(order) == [many.id, once.id, titled.id])
        #expect(order.last == once.id, "\(hits)")
        #expect(hits.allSatisfy { $0.score > 0 }, "\(hits.map(\.score))")
        #expect(hits[0].score > hits[2].score)
        // Traditional forms are found too, below the characters as typed; --exact keeps to the ones typed.
        let traditional = try kb.addArticle(title: "丁", body: String(repeating: "頭髮，", count: 5))
        let single = try kb.addArticle(title: "戊", body: "头发。")
        let often = try kb.addArticle(title: "庚", body: String(repeating: "头发，", count: 5))
        #expect(try kb.search("发").map(\.id) == [often.id, single.id, traditional.id])
        #expect(try kb.search("髮", exact: true).map(\.id) == [traditional.id])
        // Several one-character terms together: the article holding both most often first.
        let both = try kb.addArticle(title: "己", body: String(repeating: "山水，", count: 6))
        #expect(try kb.search("山 水").map(\.id) == [both.id])
        #expect(try kb.search("水 -山").map(\.id).sorted() == [many.id, once.id, titled.id].sorted())
    }
}

/// The ranking of one-character queries read from the character index is BM25 over the articles' text:
/// the same articles, ranks and order (ties by the later article first) as counting every field of every
/// article and sorting them all.
struct OneCharacterRankingMatchesTextTests {
    typealias Ranked = (rowid: Int64, rank: Double)

    /// A knowledge base of articles that hold 水 and 山 various times in their body and short fields,
    /// several of them alike (equal counts and sizes, so equal ranks), and `others` articles without them.
    static func corpus(others: Int) throws -> KnowledgeBase {
        let kb = try KnowledgeBase.inMemory()
        for index in 0..<others {
            _ = try kb.addArticle(title: "云\(index)", body: String(repeating: "风。", count: index % 3 + 1))
        }
        let titles: [Character] = Array("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥")
        for (index, title) in titles.enumerated() {
            let water = String(repeating: "水，", count: index % 6)
            let hills = String(repeating: "山。", count: index % 4)
            let heading = String(title) + (index % 7 == 0 ? "水" : "")
            let article = try kb.addArticle(title: heading, body: water + hills + "云。")
            guard index % 5 == 1 else { continue }
            let subtitle = String(repeating: "水山", count: index % 3 + 1)
            try kb.database.writer.write { db in
                try db.execute(
                    sql: "UPDATE articles SET subtitle = ?, kicker = ?, byline = ? WHERE id = ?",
                    arguments: [subtitle, "水", "记者水明", article.id])
            }
        }
        return kb
    }

    /// How many times `character` (any of its variant forms) occurs in `text`.
    static func occurrences(of character: String, in text: String) -> Int {
        let forms = Set(character.unicodeScalars.first.map { VariantFolding.forms(of: $0.value) } ?? [])
        return text.unicodeScalars.filter { forms.contains($0.value) }.count
    }

    /// Each article's size in the text index: the tokens of all its columns, from the varints of `docsize`.
    static func sizes(_ db: Database) throws -> [Int64: Double] {
        var sizes: [Int64: Double] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, sz FROM articles_fts_docsize") {
            var total = 0
            var value = 0
            let record: Data = row["sz"]
            for byte in record {
                value = value << 7 | Int(byte & 0x7f)
                if byte & 0x80 == 0 {
                    total += value
                    value = 0
                }
            }
            let rowid: Int64 = row["id"]
            sizes[rowid] = Double(total)
        }
        return sizes
    }

    /// The best `limit` articles holding every one of `required` and none of `excluded`, with their ranks, by
    /// counting the characters in each field and sorting every article.
    static func rankedByText(_ db: Database, required: [String], excluded: [String], limit: Int) throws -> [Ranked] {
        let sizes = try Self.sizes(db)
        var scored: [(rowid: Int64, frequency: Double, size: Double)] = []
        let rows = try Row.fetchAll(db, sql: "SELECT rowid, * FROM articles WHERE deleted = 0 ORDER BY rowid")
        for row in rows {
            let rowid: Int64 = row["rowid"]
            var texts: [String] = []
            for field in KnowledgeBase.rankedFields {
                let text: String? = row[field.name]
                texts.append(text ?? "")
            }
            let whole = texts.joined()
            let holdsAll = required.allSatisfy { Self.occurrences(of: $0, in: whole) > 0 }
            let holdsAny = excluded.contains { Self.occurrences(of: $0, in: whole) > 0 }
            guard holdsAll && !holdsAny else { continue }
            var frequency = 0.0
            for (field, text) in zip(KnowledgeBase.rankedFields, texts) {
                for character in required {
                    frequency += field.weight * Double(Self.occurrences(of: character, in: text))
                }
            }
            scored.append((rowid, frequency, try #require(sizes[rowid])))
        }
        let (k1, b) = (1.2, 0.75)
        let held = Double(scored.count)
        let idf = log(1 + (Double(sizes.count) - held + 0.5) / (held + 0.5))
        let average = max(1.0, scored.reduce(0.0) { $0 + $1.size } / held)
        var ranks: [Ranked] = []
        for article in scored {
            let (frequency, size) = (article.frequency, article.size)
            let rank = -idf * frequency * (k1 + 1) / (frequency + k1 * (1 - b + b * size / average))
            ranks.append((article.rowid, rank))
        }
        ranks.sort { $0.rank != $1.rank ? $0.rank < $1.rank : $0.rowid > $1.rowid }
        return Array(ranks.prefix(limit))
    }

    /// The best `limit` articles as one-character search ranks them from the character index.
    static func rankedByIndex(_ db: Database, required: [String], excluded: [String], limit: Int) throws -> [Ranked] {
        let ranked = try KnowledgeBase.rankedByCharacters(
            db, required: required, excluded: excluded, asTyped: false, filter: "", arguments: [], limit: limit)
        var result: [Ranked] = []
        for (article, rank) in ranked {
            let rowid = try Int64.fetchOne(db, sql: "SELECT rowid FROM articles WHERE id = ?", arguments: [article.id])
            result.append((try #require(rowid), rank))
        }
        return result
    }

    /// Every limit, those that fall between articles alike included.
    ///
    /// With no other articles, most hold the characters and every article is read; with 60 others, those
    /// that hold them are looked up one by one.
    @Test(arguments: [0, 60])
    func ranksFromTheIndex_equalTheTextsRanks_tiesIncluded(others: Int) throws {
        // Given articles holding 水 and 山 in their bodies and short fields, several alike, and others without
        let kb = try Self.corpus(others: others)
        let queries: [(required: [String], excluded: [String])] = [
            (["水"], []), (["水", "山"], []), (["水"], ["山"]), (["山"], ["甲"]),
        ]
        var tiesCut = 0

        for (required, excluded) in queries {
            let all = try kb.read { db in
                try Self.rankedByText(db, required: required, excluded: excluded, limit: .max)
            }
            #expect(!all.isEmpty)
            for limit in 1...(all.count + 1) {
                // When they are ranked from the character index, and by counting the text
                let ranked = try kb.read { db in
                    try Self.rankedByIndex(db, required: required, excluded: excluded, limit: limit)
                }
                let expected = Array(all.prefix(limit))

                // Then both give the same articles in the same order with the same ranks, to the last bit
                let query = "\(required) -\(excluded) limit \(limit)"
                #expect(ranked.map { $0.rowid } == expected.map { $0.rowid }, "\(query)")
                #expect(ranked.map { $0.rank } == expected.map { $0.rank }, "\(query)")
                if limit < all.count && all[limit - 1].rank == all[limit].rank { tiesCut += 1 }
            }
        }
        // (Some limits fall between articles alike: which of them are kept is the tie-break's.)
        #expect(tiesCut > 0)
    }

    @Test func bestOfTheRanks_areTheFirstOfThemSorted() {
        // Given ranks with many ties, in no order
        var ranks: [Ranked] = []
        for index in 0..<300 {
            ranks.append((Int64((index * 7919) % 300), -Double((index * 37) % 11) / 4))
        }
        let sorted = ranks.sorted { $0.rank != $1.rank ? $0.rank < $1.rank : $0.rowid > $1.rowid }

        // Then the best of them, however many are asked for, are the first of them sorted
        for limit in [0, 1, 2, 20, 37, 299, 300, 301] {
            let best = KnowledgeBase.best(limit, of: ranks)
            #expect(best.map { $0.rowid } == sorted.prefix(limit).map { $0.rowid }, "limit \(limit)")
            #expect(best.map { $0.rank } == sorted.prefix(limit).map { $0.rank }, "limit \(limit)")
        }
    }
}
