import Foundation
import Testing

@testable import KB

struct TokenizerTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let input: String
        let mode: TokenizationMode
        let expected: [String]
        var testDescription: String { "\(input) (\(mode))" }
    }

    @Test(arguments: [
        // 1-char and 2-char runs.
        Case(input: "华", mode: .document, expected: ["华"]),
        Case(input: "华", mode: .query, expected: ["华"]),
        Case(input: "记者", mode: .document, expected: ["记者", "者"]),
        Case(input: "记者", mode: .query, expected: ["记者"]),
        Case(input: "大模型", mode: .query, expected: ["大模", "模型"]),
        // Whitespace between CJK characters does not end a run.
        Case(input: "记 者 陈 华", mode: .document, expected: ["记者", "者陈", "陈华", "华"]),
        Case(input: "中国工人大思\n\n政课", mode: .document, expected: ["中国", "国工", "工人", "人大", "大思", "思政", "政课", "课"]),
        // Mixed Latin and digits.
        Case(input: "AI 大模型", mode: .document, expected: ["ai", "ai大", "大模", "模型", "型"]),
        Case(input: "AI大模型", mode: .query, expected: ["ai", "大模", "模型"]),
        Case(input: "500 万", mode: .document, expected: ["500", "500万", "万"]),
        Case(input: "500万", mode: .query, expected: ["500万"]),
        Case(input: "500万人", mode: .query, expected: ["500", "万人"]),
        Case(input: "500万，", mode: .query, expected: ["500", "万"]),
        Case(input: "500", mode: .query, expected: ["500"]),
        Case(input: "ab cd", mode: .query, expected: ["ab", "cd"]),
        Case(input: "UP主", mode: .query, expected: ["up主"]),
        Case(input: "2025年“工会帮就业”", mode: .document, expected: ["2025", "2025年", "年", "工会", "会帮", "帮就", "就业", "业"]),
        Case(input: "Hello, World! COVID-19", mode: .document, expected: ["hello", "world", "covid", "19"]),
        // Full-width forms are their ASCII counterparts.
        Case(input: "ＡＩ大模型", mode: .document, expected: ["ai", "ai大", "大模", "模型", "型"]),
        Case(input: "２０２５年", mode: .document, expected: ["2025", "2025年", "年"]),
        Case(input: "ＨＲ系统", mode: .query, expected: ["hr", "系统"]),
        // Emoji are tokens of their own; characters outside the BMP work like any other.
        Case(input: "😀你好", mode: .document, expected: ["😀", "你好", "好"]),
        Case(input: "𠮷野家", mode: .document, expected: ["𠮷野", "野家", "家"]),
        Case(input: "吃𠮷", mode: .query, expected: ["吃𠮷"]),
        Case(input: "👍🏽好", mode: .document, expected: ["👍", "🏽", "好"]),
        // Punctuation separates and is not searchable.
        Case(input: "线上+线下", mode: .query, expected: ["线上", "上", "线下"]),
        Case(input: "，。！？“”", mode: .document, expected: []),
        // Compatibility characters fold (a Kangxi radical from a PDF, a circled number).
        Case(input: "⼀", mode: .document, expected: ["一"]),
        Case(input: "①号", mode: .document, expected: ["1", "1号", "号"]),
        // Accented Latin stays a letter.
        Case(input: "Café crème", mode: .document, expected: ["café", "crème"]),
        // Junctions: a word and the CJK character after it are joined only when nothing but whitespace stands
        // between them; punctuation of any width and symbols always break.
        Case(input: "增加500，万人参与", mode: .document, expected: ["增加", "加", "500", "万人", "人参", "参与", "与"]),
        Case(input: "500,万", mode: .document, expected: ["500", "万"]),
        Case(input: "500、万", mode: .document, expected: ["500", "万"]),
        Case(input: "500。万", mode: .document, expected: ["500", "万"]),
        Case(input: "500·万", mode: .document, expected: ["500", "万"]),
        Case(input: "500😀万", mode: .document, expected: ["500", "😀", "万"]),
        Case(input: "500\u{00A0}万", mode: .document, expected: ["500", "500万", "万"]),
        Case(input: "500\u{3000}万", mode: .document, expected: ["500", "500万", "万"]),
        Case(input: "500𠮷", mode: .document, expected: ["500", "500𠮷", "𠮷"]),
        Case(input: "𠮷500", mode: .document, expected: ["𠮷", "500"]),
        Case(input: "ＡＩ，大模型", mode: .document, expected: ["ai", "大模", "模型", "型"]),
        Case(input: "500，万", mode: .query, expected: ["500", "万"]),
        Case(input: "500 万", mode: .query, expected: ["500万"]),
    ])
    func tokens(_ item: Case) {
        var tokenizer = TextTokenizer()
        #expect(tokenizer.tokens(in: item.input, mode: item.mode).map(\.text) == item.expected)
    }

    @Test func offsetsAreUTF8ByteRangesOfTheOriginal() {
        var tokenizer = TextTokenizer()
        let tokens = tokenizer.tokens(in: "AI 大模型")
        #expect(tokens.map(\.start) == [0, 0, 3, 6, 9])
        #expect(tokens.map(\.end) == [2, 6, 9, 12, 12])
        #expect(tokens.map(\.isColocated) == [false, true, false, false, false])
    }

    @Test func loneTrailingCharacterIsMarkedForPrefixMatching() {
        var tokenizer = TextTokenizer()
        #expect(tokenizer.tokens(in: "华", mode: .query).last?.isTrailingLoneCJK == true)
        // A word and one character at the end of a query are one junction token instead: no prefix.
        #expect(tokenizer.tokens(in: "AI大", mode: .query).map(\.text) == ["ai大"])
        #expect(tokenizer.tokens(in: "AI大", mode: .query).last?.isTrailingLoneCJK == false)
        #expect(tokenizer.tokens(in: "的大", mode: .query).last?.isTrailingLoneCJK == false)
        #expect(tokenizer.tokens(in: "大模型", mode: .query).last?.isTrailingLoneCJK == false)
        #expect(tokenizer.tokens(in: "华", mode: .document).last?.isTrailingLoneCJK == false)
    }

    @Test func invalidUTF8IsASeparatorNotACrash() {
        var tokenizer = TextTokenizer()
        let bytes: [UInt8] = [0xE4, 0xB8, 0xAD, 0xFF, 0xE5, 0x9B, 0xBD]  // 中 <bad> 国
        var tokens: [String] = []
        bytes.withUnsafeBufferPointer { buffer in
            tokenizer.tokenize(buffer, mode: .document) { token, _, _, _ in
                tokens.append(String(decoding: token, as: UTF8.self))
                return true
            }
        }
        #expect(tokens == ["中", "国"])
    }

    @Test func traditionalAndSimplified_areOneToken_unlessExact() {
        // By default 國 and 国 are one character to search; exact tokens keep them apart.
        var folding = TextTokenizer()
        #expect(folding.tokens(in: "中國").map(\.text) == folding.tokens(in: "中国").map(\.text))
        var exact = TextTokenizer(foldsVariants: false)
        #expect(exact.tokens(in: "中國").map(\.text) != exact.tokens(in: "中国").map(\.text))
    }
}
