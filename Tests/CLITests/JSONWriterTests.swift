import Foundation
import KB
import Testing

@testable import CLI

/// The JSON the CLI prints: the streamed annotation list is the same text as the general writer's.
@Suite("JSON writer")
struct JSONWriterTests {
    static let awkward = [
        "", "非遗", "𠮷野家 😀 ＡＢＣ１２３", "quote \" and \\ backslash", "line\nbreak\ttab\rreturn",
        "control \u{01}\u{1F} end", "slash / and </script>", "\u{2028}separator",
    ]

    static func annotations(count: Int) -> [Annotation] {
        (0..<count).map { index in
            let text = awkward[index % awkward.count]
            return Annotation(
                id: String(format: "%032x", index * 7919), articleID: String(format: "%032x", index % 5),
                quote: text, prefix: awkward[(index + 1) % awkward.count], suffix: awkward[(index + 2) % awkward.count],
                anchorStart: index, anchorEnd: index + 3, start: index % 3 == 0 ? nil : index,
                end: index % 3 == 0 ? nil : index + 3, state: AnchorState.allCases[index % 3],
                note: index % 2 == 0 ? text : "", color: index % 4 == 0 ? "yellow" : "",
                tags: Array(awkward.prefix(index % 3)).filter { !$0.isEmpty },
                createdAt: 1_700_000_000_000 + Int64(index), updatedAt: 1_700_000_000_500 + Int64(index))
        }
    }

    /// Writes through a pipe as the CLI writes to stdout.
    static func printed(_ write: (FileHandle) -> Void) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kb-json-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: url) }
        let handle = try FileHandle(forWritingTo: url)
        write(handle)
        try handle.close()
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test(arguments: [0, 1, 9, 3000])
    func streamedAnnotations_equalTheGeneralWriter(count: Int) throws {
        let list = Self.annotations(count: count)
        let streamed = try Self.printed { JSONWriter.printAnnotations(list, to: $0) }
        let general = JSONWriter.write(list.map(JSONShapes.annotation)) + "\n"
        #expect(streamed == general)
    }

    @Test func output_isValidJSON_andKeepsEveryCharacter() throws {
        let list = Self.annotations(count: Self.awkward.count * 2)
        let text = try Self.printed { JSONWriter.printAnnotations(list, to: $0) }
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        #expect(parsed.count == list.count)
        for (object, annotation) in zip(parsed, list) {
            #expect(object["quote"] as? String == annotation.quote)
            #expect(object["prefix"] as? String == annotation.prefix)
            #expect(object["note"] as? String == annotation.note)
            #expect(object["tags"] as? [String] == annotation.tags)
            #expect(object["start"] as? Int == annotation.start)
            #expect((object["start"] is NSNull) == (annotation.start == nil))
            #expect(object["created_at"] as? String == Timestamp.iso(annotation.createdAt))
        }
        // Non-ASCII and slashes are written as they are, control characters as \u00XX.
        #expect(text.contains("𠮷野家 😀 ＡＢＣ１２３"))
        #expect(text.contains("slash / and </script>"))
        #expect(text.contains("control \\u0001\\u001f end"))
        #expect(text.contains("line\\nbreak\\ttab\\rreturn"))
    }

    @Test func generalWriter_sortsKeys_andIndentsByTwo() {
        let text = JSONWriter.write(
            ["b": [1, "二"], "a": ["z": NSNull(), "y": true, "x": 2.5], "c": [String]()] as [String: Any])
        #expect(
            text == """
                {
                  "a" : {
                    "x" : 2.5,
                    "y" : true,
                    "z" : null
                  },
                  "b" : [
                    1,
                    "二"
                  ],
                  "c" : []
                }
                """)
    }
}
