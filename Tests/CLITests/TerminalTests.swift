import Foundation
import Testing

@testable import CLI

/// Texts shortened to one line for listings: counted in characters, never cut inside one.
@Suite("One-line texts")
struct TerminalTests {
    /// The plain definition: newlines become spaces, then at most `length` characters and an ellipsis.
    static func expected(_ text: String, _ length: Int) -> String {
        let flat = String(text.map { $0 == "\n" ? " " : $0 })
        return flat.count > length ? String(flat.prefix(length)) + "…" : flat
    }

    static let texts = [
        "", "非遗", "长三角三省一市共促职工文旅消费", "第一行\n第二行", "windows\r\nline", "👩‍👩‍👧👩‍👩‍👧👩‍👩‍👧👩‍👩‍👧",
        "𠮷野家😀ＡＩ大模型UP主500万", "e\u{301}e\u{301}e\u{301}e\u{301}e\u{301}", "\n\n\n", String(repeating: "字", count: 60),
    ]

    @Test("the same as the plain definition, for every length", arguments: texts)
    func matchesDefinition(text: String) {
        for length in 0...12 {
            #expect(Terminal.oneLine(text, length: length) == Self.expected(text, length), "length \(length)")
        }
        #expect(Terminal.oneLine(text, length: 40) == Self.expected(text, 40))
    }

    @Test func cutsByCharactersNotCodePoints() {
        // Four family emoji are 4 characters and 20 code points: nothing to cut at 4.
        #expect(Terminal.oneLine("👩‍👩‍👧👩‍👩‍👧👩‍👩‍👧👩‍👩‍👧", length: 4) == "👩‍👩‍👧👩‍👩‍👧👩‍👩‍👧👩‍👩‍👧")
        #expect(Terminal.oneLine("非遗盛宴", length: 2) == "非遗…")
        #expect(Terminal.oneLine("a\nb", length: 5) == "a b")
    }

    @Test(arguments: [
        ("一行", ["    一行"]), ("第一行\n第二行", ["    第一行", "    第二行"]),
        ("# 标题\n\n- 𠮷😀\r\n最后", ["    # 标题", "", "    - 𠮷😀", "    最后"]), ("", [""]),
    ])
    func indented_keepsEveryLine_blankLinesBlank(_ text: String, _ lines: [String]) {
        #expect(Terminal.indented(text) == lines)
    }
}
