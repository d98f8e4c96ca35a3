import Foundation
import Testing

@testable import KB

/// Recognizing encodings and kinds of text, and the stored form of a PDF page, without the binary.
@Suite("Import format recognition")
struct ImportFormatTests {
    // MARK: - Kinds of text

    static let notPages: [(String, String)] = [
        ("prose", "Swift 6 发布于 2024 年 9 月，带来了完整的数据竞争安全检查。\n\n第二段也是完整的句子。\n\n第三段结束。\n"),
        ("code", "let 名字 = \"世界\"\nprint(\"你好，\\(名字)\")\nfor i in 0..<3 { print(i) }\n"),
        ("notes", "周三 开会\n带上 4 月 的报表\n问 记者 陈华 采访安排\n"),
        ("one line", "Swift 6 发布于 2024 年 9 月"),
        ("English", "Meeting notes\n\nThe quarterly report is due on Friday.\nAsk about the budget.\n"),
    ]

    @Test(arguments: notPages)
    func textThatIsNoPage_readAsText(name: String, text: String) {
        let evidence = PageEvidence(text)
        #expect(!evidence.isPage, "\(name): \(evidence)")
        #expect(DocumentReader.detectKind(path: "\(name).txt", text: text) == .text)
    }

    @Test func seedPage_showsEverySign() throws {
        let evidence = PageEvidence(try Fixtures.seedPage)
        #expect(evidence.isPage)
        #expect(evidence.markers > 0)
        #expect(evidence.hasEqualWraps)
        #expect(evidence.spacedCJK >= PageEvidence.minimumSpacedCJK)
    }

    @Test func plainText_keepsLinesAndSpaces() {
        let item = DocumentReader.plainItem("标题\n\nSwift 6 发布于 2024 年 9 月\r\n第二行  两个空格\n\n", fallbackTitle: "f")
        #expect(item.title == "标题")
        #expect(item.body == "Swift 6 发布于 2024 年 9 月\n第二行  两个空格")
        let untitled = DocumentReader.plainItem("Swift 6 发布于 2024 年 9 月\n", fallbackTitle: "f")
        #expect(untitled.title == "f")
        #expect(untitled.body == "Swift 6 发布于 2024 年 9 月")
    }

    // MARK: - PDF or not

    @Test(arguments: [
        ("%PDF-1.7\n", true),
        ("\u{FEFF}junk before the header %PDF-1.4\n", true),
        (String(repeating: "x", count: 1019) + "%PDF-", true),
        (String(repeating: "x", count: 1020) + "%PDF-", false),
        ("%PDF", false),
        ("工人日报 %PD F-1.7", false),
    ])
    func pdfHeader_isLookedForInTheFirst1024Bytes(_ text: String, _ isPDF: Bool) {
        #expect(KnowledgeBase.isPDF(Array(text.utf8)) == isPDF)
    }

    @Test func fileNamedPDF_thatIsNoPDF_isRefusedInOneSentence_andNothingIsImported() throws {
        let kb = try KnowledgeBase.inMemory()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kb-notpdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("报纸.PDF").path
        try Data("工人日报 第3版\n记 者 陈 华 报 道\n".utf8).write(to: URL(fileURLWithPath: path))

        let report = try kb.importFiles([path])

        #expect(report.failed.count == 1)
        let message = try #require(report.failed.first?.error)
        #expect(message.contains("is named .pdf but is not a PDF file"), "\(message)")
        #expect(message.filter { $0 == ";" }.count == 1 && message.hasSuffix("."), "\(message)")
        #expect(try kb.listArticles().isEmpty)
    }

    // MARK: - Encodings

    @Test func encodingNames_mapToTheEncodingsKbRecognizes() {
        #expect(TextEncoding(name: "GBK") == .gb18030)
        #expect(TextEncoding(name: "gb2312") == .gb18030)
        #expect(TextEncoding(name: "cp950") == .big5)
        #expect(TextEncoding(name: "UTF8") == .utf8)
        #expect(TextEncoding(name: "latin1") == .named("LATIN1"))
        #expect(TextEncoding(name: "latin1").isAvailable)
        #expect(!TextEncoding(name: "klingon-8").isAvailable)
    }

    @Test func gb18030FourByteCharacter_decoded() throws {
        // 𠮷 is four bytes in GB18030: 0x95 0x34 0xB2 0x35.
        let bytes: [UInt8] = [0xD6, 0xD0, 0x95, 0x34, 0xB2, 0x35, 0xCE, 0xC4]
        let decoded = try TextDecoder.decode(bytes, path: "x.txt")
        #expect(decoded.encoding == .gb18030)
        #expect(decoded.text == "中𠮷文")
    }

    @Test func incompleteSequenceAtTheEnd_isInvalid() throws {
        let conversion = try TextDecoder.convert([0xD6, 0xD0, 0xD6][...], from: .gb18030)
        #expect(conversion.text == nil)
    }

    // MARK: - PDF page text

    @Test func pdfPageText_roundTrips_marksEscaped() {
        var chunk = PDFPageText.Chunk()
        chunk.kicker = ["引题"]
        chunk.title = ["主标题 𠮷"]
        chunk.subtitle = ["副题"]
        chunk.lines = ["\u{3000}\u{3000}本报讯 正文第一行", "# 不是标题", "---", "@ 不是页眉"]
        let caption = PDFPageText.Chunk(lines: ["图片说明。 本报记者 张三 摄"])
        let page = PDFPageText(number: 2, header: ["工人日报 第2版"], chunks: [chunk, caption])
        let parsed = PDFPageText.parse(page.text)
        #expect(parsed.header == page.header)
        #expect(parsed.chunks == page.chunks)
    }

    @Test func pdfPageText_headlineGoesToTheFirstItem_paragraphsWhereSetIn() {
        var chunk = PDFPageText.Chunk()
        chunk.title = ["长三角三省一市共促", "职工文旅消费"]
        chunk.lines = [
            "\u{3000}\u{3000}本报讯 （记者陈华）4月21日，活动在",
            "黄山市举行。", "\u{3000}\u{3000}第二段从这里开始，一句话在行末结束。",
            "同一段的下一句。",
        ]
        let page = PDFPageText(number: 1, header: [], chunks: [chunk])
        let items = PDFPageText.items(of: page.text, fallbackTitle: "x")
        #expect(items.count == 1)
        #expect(items.first?.title == "长三角三省一市共促职工文旅消费")
        #expect(items.first?.dateline == "本报讯")
        #expect(items.first?.byline == "（记者陈华）")
        #expect(items.first?.body == "4月21日，活动在黄山市举行。\n\n第二段从这里开始，一句话在行末结束。同一段的下一句。")
    }
}
