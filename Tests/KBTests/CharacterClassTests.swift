import Testing

@testable import KB

/// One character classifier for the cleaner, the tokenizer, the highlighter, anchoring and hashing.
struct CharacterClassTests {
    @Test(arguments: [
        (",", CharacterClass.punctuation), ("，", .punctuation), ("、", .punctuation), ("。", .punctuation),
        ("·", .punctuation), ("・", .punctuation), ("“", .punctuation), ("—", .punctuation), ("…", .punctuation),
        (" ", .whitespace), ("\t", .whitespace), ("\n", .whitespace), ("\u{00A0}", .whitespace),
        ("\u{3000}", .whitespace), ("\u{200B}", .whitespace), ("\u{2028}", .whitespace), ("\u{FEFF}", .whitespace),
        ("😀", .symbol), ("☀", .symbol), ("𠮷", .ideograph), ("中", .ideograph), ("頭", .ideograph),
        ("〇", .ideograph), ("々", .ideograph), ("\u{F900}", .ideograph), ("㐀", .ideograph), ("ア", .kana),
        ("の", .kana), ("ㄅ", .kana), ("한", .hangul), ("A", .letter), ("z", .letter), ("Ａ", .letter),
        ("é", .letter), ("5", .digit), ("５", .digit), ("\u{FE0F}", .ignorable), ("\u{200D}", .ignorable),
        ("\u{0301}", .other),
    ])
    func everyCharacter_hasItsClass(_ character: String, _ expected: CharacterClass) throws {
        let scalar = try #require(character.unicodeScalars.first)
        #expect(CharacterClass.of(scalar) == expected, "U+\(String(scalar.value, radix: 16))")
        if let quick = CharacterClass.quick(scalar.value) { #expect(quick == expected) }
        #expect(CharacterClass.isWhitespace(scalar.value) == (expected == .whitespace))
    }

    /// What stands between two characters, and whether they are one word.
    static let junctions: [(String, Bool)] = [
        ("", true), (" ", true), ("\u{00A0}", true), ("\u{3000}", true), ("\u{2003}", true), ("\u{200B}", true),
        (",", false), ("，", false), ("、", false), ("。", false), ("·", false), ("・", false), ("😀", false),
        ("-", false), ("\u{FF0C}", false),
    ]

    @Test(arguments: junctions)
    func junction_numberAndCharacter_joinOnlyAcrossWhitespace(_ between: String, _ joined: Bool) {
        var tokenizer = TextTokenizer()
        let tokens = tokenizer.tokens(in: "增加500" + between + "万人").map(\.text)
        #expect(tokens.contains("500万") == joined, "\(tokens)")
        let letters = tokenizer.tokens(in: "AI" + between + "大模型").map(\.text)
        #expect(letters.contains("ai大") == joined, "\(letters)")
        // 𠮷 (beyond the BMP) is a CJK character like the others.
        let supplementary = tokenizer.tokens(in: "500" + between + "𠮷").map(\.text)
        #expect(supplementary.contains("500𠮷") == joined, "\(supplementary)")
    }

    @Test(arguments: junctions)
    func junction_twoCJKCharacters_agreeInTokenizerCleanerHighlighterAndHash(_ between: String, _ joined: Bool)
        throws
    {
        let text = "重" + between + "庆"
        // Tokenizer: the bigram of the two.
        var tokenizer = TextTokenizer()
        #expect(tokenizer.tokens(in: text).map(\.text).contains("重庆") == joined)
        // Cleaner: an extraction space between two CJK characters goes; anything else stays.
        if between.isEmpty || joined {
            #expect(TextCleaner.cleanLine(text) == "重庆")
        } else {
            #expect(TextCleaner.cleanLine(text) == text)
        }
        // Highlighter: the hit spans the whitespace, never punctuation.
        let snippet = KnowledgeBase.snippetOf(text, terms: ["重庆"])
        #expect(snippet.highlights == (joined ? [0..<text.unicodeScalars.count] : []))
        // Hashing: whitespace does not change a content id, anything else does.
        #expect((Identifier.contentID([text]) == Identifier.contentID(["重庆"])) == joined)
        // Search: the index finds it exactly when the tokenizer joins it.
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "题", body: "今天" + text + "很热")
        #expect(try kb.search("重庆").map(\.id) == (joined ? [article.id] : []))
        #expect(try kb.search("py:chongqing").map(\.id) == (joined ? [article.id] : []))
    }
}
