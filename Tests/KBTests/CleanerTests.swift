import Foundation
import Testing

@testable import KB

struct CleanerTests {
    @Test(arguments: [
        ("（记 者 陈 华）4 月 21 日 ，“ 文 脉 薪 传", "（记者陈华）4月21日，“文脉薪传"),
        ("市 场 开 拓 能 力 ，打 通 出 口 产 品 内 销“ 堵", "市场开拓能力，打通出口产品内销“堵"),
        ("出口金额超过 500 万", "出口金额超过500万"),
        ("多位拥有百万粉丝的 UP 主以百年工运", "多位拥有百万粉丝的UP主以百年工运"),
        ("深度融合 AI 大模型", "深度融合AI大模型"),
        ("直达 HR 系统", "直达HR系统"),
        ("（上接第 1版）", "（上接第1版）"),
        ("Hello  world", "Hello world"),
        ("用工需求 1 2 7 1 1 个 ，线 上 招 聘", "用工需求12711个，线上招聘"),
        ("本报讯 （杨明清 记者张嫱 通讯员王", "本报讯（杨明清 记者张嫱 通讯员王"),
        ("　全角空格　", "全角空格"),
    ])
    func cleanLine(_ raw: String, _ expected: String) {
        #expect(TextCleaner.cleanLine(raw) == expected)
    }

    @Test func cleaningRemovesOnlyWhitespace() throws {
        let page = try Fixtures.seedPage
        for line in page.split(separator: "\n") {
            #expect(TextCleaner.removingWhitespace(TextCleaner.cleanLine(line)) == TextCleaner.removingWhitespace(line))
        }
    }
}

extension CleanerTests {
    /// The byte-level whitespace test agrees with the character classes on every kind of space.
    @Test func byteLevelSpaceTestAgreesWithCharacterClasses() {
        let pieces = [
            "中", "文", "A", "1", "，", "“", "—", "…", " ", "\t", "\u{00A0}", "\u{2003}", "\u{200B}", "\u{202F}",
            "\u{205F}", "\u{3000}", "\u{FEFF}", "\u{2010}", "\u{3001}", "\u{FF0C}", "😀", "𠮷", "\u{2028}",
            "\u{2029}", "\u{0085}", "丨", "\u{2027}", "\u{00A9}",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let text = (0..<Int.random(in: 0...8, using: &generator)).map { _ in
                pieces.randomElement(using: &generator)!
            }
            .joined()
            #expect(
                TextCleaner.containsSpace(text.utf8) == text.unicodeScalars.contains(where: TextCleaner.isSpace),
                "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }
}
