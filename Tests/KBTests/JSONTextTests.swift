import Foundation
import Testing

@testable import KB

@Suite("JSON text of change values")
struct JSONTextTests {
    static let samples: [String] = [
        "",
        "记者陈华报道：长三角三省一市共促职工文旅消费。",
        "引号\"与反斜杠\\，换行\n回车\r制表\t",
        "控制字符\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}与\u{7f}",
        "𠮷野家 😀 ＡＩ大模型 UP主 500万 /斜杠/",
        "é\u{301} 组合字符 👩‍👩‍👧",
    ]

    @Test("string literals decode back to the same text", arguments: samples)
    func roundTrip(text: String) throws {
        let literal = JSONText.string(text)
        #expect(try JSONText.decodeString(literal) == text)
        #expect(try JSONDecoder().decode(String.self, from: Data(literal.utf8)) == text)
    }

    @Test("only quotes, backslashes and control characters are escaped, in the short forms where JSON has one")
    func escapes() {
        #expect(JSONText.string("a\"b\\c") == #""a\"b\\c""#)
        #expect(JSONText.string("\n\r\t") == #""\n\r\t""#)
        #expect(JSONText.string("\u{0}\u{1f}\u{8}") == #""\u0000\u001f\u0008""#)
        #expect(JSONText.string("𠮷/😀\u{7f}") == "\"𠮷/😀\u{7f}\"")
    }

    @Test("the literal is what JSONEncoder writes for the same string, without escaped slashes")
    func matchesEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        for text in Self.samples
        where !text.unicodeScalars.contains(where: { $0.value < 0x20 && !"\n\r\t".unicodeScalars.contains($0) }) {
            let encoded = String(decoding: try encoder.encode(text), as: UTF8.self)
            #expect(JSONText.string(text) == encoded)
        }
    }
}
