import Foundation
import Testing

/// `kb import` of what researchers have: files in GB18030, Big5 and UTF-16, plain text that is no newspaper
/// page, and newspaper pages as PDF, through the built binary.
@Suite("Import formats")
struct ImportFormatsTests {
    /// The seed page's text.
    static func seedText() throws -> String {
        try String(contentsOf: try TestPaths.fixture("seed_page.txt"), encoding: .utf8)
    }

    /// The one file result of an import report.
    static func fileResult(_ report: [String: Any]) throws -> [String: Any] {
        let files = try #require(report["files"] as? [[String: Any]])
        try #require(files.count == 1, "one file in \(report)")
        return files[0]
    }

    /// The sources of a knowledge base, as `kb export --format json` writes them.
    static func sources(_ replica: Replica) throws -> [[String: Any]] {
        let dump = try replica.ok(["export", "--format", "json"]).object()
        return try #require(dump["sources"] as? [[String: Any]])
    }

    // MARK: - Encodings

    @Test func gb18030SeedPage_readAsPage_sameArticlesAsUTF8_originalBytesHashed() throws {
        let folder = try TemporaryFolder()
        let seed = try Self.seedText()
        let bytes = try SystemTools.iconv(seed, to: "GB18030")
        #expect(String(data: bytes, encoding: .utf8) == nil, "the GB18030 bytes are no UTF-8")
        let path = try folder.write("page-gb.txt", bytes)

        let replica = Replica("gb", in: folder)
        let report = try replica.object(["import", path])
        let file = try Self.fileResult(report)
        #expect(file.string("read_as") == "page")
        #expect(file.string("encoding") == "gb18030")
        let ids = try #require(report["articles"] as? [String])

        let reference = Replica("utf8", in: folder)
        let expected = try #require(
            try reference.object(["import", try TestPaths.fixture("seed_page.txt").path])["articles"] as? [String])
        #expect(ids == expected, "the same articles as from the UTF-8 page")
        let titles = try ids.map { try replica.object(["show", $0]).string("title") ?? "" }
        #expect(titles.contains("长三角三省一市共促职工文旅消费"))

        let source = try #require(try Self.sources(replica).first)
        #expect(source.string("sha256") == (try SystemTools.sha256(ofFile: path)), "the hash of the bytes as read")
        #expect(source.string("encoding") == "gb18030")
        #expect(source.string("text")?.contains("本报讯") == true, "the text is stored converted")

        let again = try replica.object(["import", path])
        #expect(again.int("unchanged") == 1, "the same bytes are recognized: \(again)")
        #expect(again.int("articles_added") == 0)
    }

    @Test(arguments: [("UTF-16LE", [UInt8](arrayLiteral: 0xFF, 0xFE)), ("UTF-16BE", [0xFE, 0xFF])])
    func utf16WithByteOrderMark_decoded(encoding: String, mark: [UInt8]) throws {
        let folder = try TemporaryFolder()
        let text = "笔记 𠮷野家 😀\n\nSwift 6 发布于 2024 年 9 月，ＡＩ 全角。\n"
        let path = try folder.write("note.txt", Data(mark) + (try SystemTools.iconv(text, to: encoding)))
        let replica = Replica("utf16", in: folder)
        let report = try replica.object(["import", path])
        let file = try Self.fileResult(report)
        #expect(file.string("encoding") == encoding.lowercased())
        #expect(file.string("read_as") == "text")
        let id = try #require((report["articles"] as? [String])?.first)
        let article = try replica.object(["show", id])
        #expect(article.string("title") == "笔记 𠮷野家 😀")
        #expect(article.string("body") == "Swift 6 发布于 2024 年 9 月，ＡＩ 全角。")
    }

    @Test func utf8WithByteOrderMark_markLeftOut() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("bom.txt", Data([0xEF, 0xBB, 0xBF]) + Data("一行字：𠮷\n".utf8))
        let replica = Replica("bom", in: folder)
        let report = try replica.object(["import", path])
        #expect(try Self.fileResult(report).string("encoding") == "utf-8")
        let id = try #require((report["articles"] as? [String])?.first)
        #expect(try replica.object(["show", id]).string("body") == "一行字：𠮷")
    }

    @Test func big5TraditionalText_decoded() throws {
        let folder = try TemporaryFolder()
        let text = "臺灣工會新聞\n\n臺灣各地工會舉辦勞動節活動，表揚優秀勞工。\n許多企業也響應政府政策，提供員工進修補助。\n"
        let path = try folder.write("big5.txt", try SystemTools.iconv(text, to: "BIG5"))
        let replica = Replica("big5", in: folder)
        let report = try replica.object(["import", path])
        #expect(try Self.fileResult(report).string("encoding") == "big5")
        let id = try #require((report["articles"] as? [String])?.first)
        let article = try replica.object(["show", id])
        #expect(article.string("title") == "臺灣工會新聞")
        #expect(article.string("body") == "臺灣各地工會舉辦勞動節活動，表揚優秀勞工。\n許多企業也響應政府政策，提供員工進修補助。")
    }

    @Test func gbkTraditionalText_validOnlyAsGB18030_decoded() throws {
        let folder = try TemporaryFolder()
        let text = "臺灣各地工會舉辦勞動節活動，表揚優秀勞工。\n"
        let path = try folder.write("gbk.txt", try SystemTools.iconv(text, to: "GBK"))
        let replica = Replica("gbk", in: folder)
        let report = try replica.object(["import", path])
        #expect(try Self.fileResult(report).string("encoding") == "gb18030")
        let id = try #require((report["articles"] as? [String])?.first)
        #expect(try replica.object(["show", id]).string("body") == "臺灣各地工會舉辦勞動節活動，表揚優秀勞工。")
    }

    @Test func bytesOfNoEncoding_oneSentenceNamesWhatWasTried_encodingFlagReadsThem() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("latin1.txt", try SystemTools.iconv("café crème brûlée\n", to: "LATIN1"))
        let replica = Replica("none", in: folder)
        let result = try replica.run(["import", path])
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.hasOneSentenceError, "\(result)")
        for word in ["UTF-8", "UTF-16", "GB18030", "Big5", "--encoding"] {
            #expect(result.stderr.contains(word), "the sentence names \(word):\n\(result)")
        }
        #expect(try replica.articleIDs().isEmpty, "nothing imported")

        let forced = try replica.object(["import", "--encoding", "latin1", path])
        #expect(try Self.fileResult(forced).string("encoding") == "latin1")
        let id = try #require((forced["articles"] as? [String])?.first)
        #expect(try replica.object(["show", id]).string("body") == "café crème brûlée")
    }

    @Test func bytesFittingGB18030AndBig5_oneSentenceNamesBoth_encodingFlagChooses() throws {
        let folder = try TemporaryFolder()
        // Punctuation only: the same bytes are common punctuation in both encodings.
        let path = try folder.write("both.txt", try SystemTools.iconv("【一】、【二】。\n", to: "GB18030"))
        let replica = Replica("both", in: folder)
        let result = try replica.run(["import", path])
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.hasOneSentenceError, "\(result)")
        for word in ["GB18030", "Big5", "--encoding gb18030"] {
            #expect(result.stderr.contains(word), "the sentence names \(word):\n\(result)")
        }
        let forced = try replica.object(["import", "--encoding", "gb18030", path])
        let id = try #require((forced["articles"] as? [String])?.first)
        #expect(try replica.object(["show", id]).string("body") == "【一】、【二】。")
    }

    @Test func bytesNotValidInTheForcedEncoding_oneSentence() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("gb.txt", try SystemTools.iconv("中文的段落。\n", to: "GB18030"))
        let replica = Replica("forced", in: folder)
        let result = try replica.run(["import", "--encoding", "utf-8", path])
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.hasOneSentenceError, "\(result)")
        #expect(result.stderr.contains("utf-8") && result.stderr.contains("offset 0"), "\(result)")

        let unknown = try replica.run(["import", "--encoding", "klingon-8", path])
        #expect(unknown.exitCode == 64, "\(unknown)")
        #expect(unknown.stderr.contains("klingon-8"), "\(unknown)")
    }

    // MARK: - Kinds of text

    @Test func prose_keptAsWritten() throws {
        let folder = try TemporaryFolder()
        let text = """
            Swift 6 发布于 2024 年 9 月

            Swift 6 发布于 2024 年 9 月，带来了完整的数据竞争安全检查。
            这一行是同一段落的第二行，  两个空格保留。

            第二段：新的 Swift Testing 框架取代了 XCTest 的许多用法。

            """
        let path = try folder.write("release-notes.txt", text)
        let replica = Replica("prose", in: folder)
        let report = try replica.object(["import", path])
        #expect(try Self.fileResult(report).string("read_as") == "text")
        let id = try #require((report["articles"] as? [String])?.first)
        let article = try replica.object(["show", id])
        #expect(article.string("title") == "Swift 6 发布于 2024 年 9 月")
        #expect(
            article.string("body")
                == "Swift 6 发布于 2024 年 9 月，带来了完整的数据竞争安全检查。\n这一行是同一段落的第二行，  两个空格保留。\n\n"
                + "第二段：新的 Swift Testing 框架取代了 XCTest 的许多用法。")
    }

    @Test func codeLikeText_keptAsWritten() throws {
        let folder = try TemporaryFolder()
        let code = "func 问候(_ 名字: String) -> String {\n    return \"你好，\\(名字)\"\n}\n\nprint(问候(\"世界\"))\n"
        let path = try folder.write("snippet.txt", code)
        let replica = Replica("code", in: folder)
        let report = try replica.object(["import", path])
        #expect(try Self.fileResult(report).string("read_as") == "text")
        let id = try #require((report["articles"] as? [String])?.first)
        let article = try replica.object(["show", id])
        #expect(article.string("title") == "snippet")
        #expect(article.string("body") == code.trimmingCharacters(in: .newlines))
    }

    @Test func shortNotes_readAsText() throws {
        let folder = try TemporaryFolder()
        let notes = "周三 开会\n带上 4 月 的报表\n问 记者 陈华 采访安排\n"
        let path = try folder.write("todo.txt", notes)
        let replica = Replica("notes", in: folder)
        let report = try replica.object(["import", path])
        #expect(try Self.fileResult(report).string("read_as") == "text")
        let id = try #require((report["articles"] as? [String])?.first)
        #expect(try replica.object(["show", id]).string("body") == notes.trimmingCharacters(in: .newlines))
    }

    @Test func seedAndPageOfFewLines_readAsPages() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("pages", in: folder)
        let seed = try replica.object(["import", try TestPaths.fixture("seed_page.txt").path])
        #expect(try Self.fileResult(seed).string("read_as") == "page")
        #expect((seed["articles"] as? [String])?.count == 9)

        // The first article of the seed and its headline: a dozen lines.
        let lines = try Self.seedText().split(separator: "\n", omittingEmptySubsequences: false)
        let end = try #require(lines.firstIndex { $0.hasPrefix("首场举办职工非遗技艺交流活动") })
        let few = lines[...end].joined(separator: "\n") + "\n"
        let path = try folder.write("clip.txt", few)
        let other = Replica("clip", in: folder)
        let report = try other.object(["import", path])
        #expect(try Self.fileResult(report).string("read_as") == "page")
        let id = try #require((report["articles"] as? [String])?.first)
        let article = try other.object(["show", id])
        #expect(article.string("title") == "长三角三省一市共促职工文旅消费")
        #expect(article.string("dateline") == "本报讯")
    }

    @Test func asFlag_forcesTheKind_reportSaysIt() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("as", in: folder)
        let seedPath = try TestPaths.fixture("seed_page.txt").path
        let asText = try replica.object(["import", "--as", "text", seedPath])
        #expect(try Self.fileResult(asText).string("read_as") == "text")
        let id = try #require((asText["articles"] as? [String])?.first)
        #expect((asText["articles"] as? [String])?.count == 1)
        let body = try #require(try replica.object(["show", id]).string("body"))
        #expect(body.contains("涉及 54个非遗"), "kept as written")

        let prose = try folder.write("spaced.txt", "记 者 陈 华 报 道\n\n今 天 天 气 很 好 。\n")
        let asPage = try Replica("as-page", in: folder).object(["import", "--as", "page", prose])
        #expect(try Self.fileResult(asPage).string("read_as") == "page")

        let markdown = try folder.write("note.txt", "# 标题 𠮷\n\n正文 **加粗**。\n")
        let other = Replica("as-md", in: folder)
        let asMarkdown = try other.object(["import", "--as", "markdown", markdown])
        #expect(try Self.fileResult(asMarkdown).string("read_as") == "markdown")
        let mdID = try #require((asMarkdown["articles"] as? [String])?.first)
        #expect(try other.object(["show", mdID]).string("title") == "标题 𠮷")

        let human = try Replica("human", in: folder).ok(["import", seedPath, markdown])
        #expect(human.stdout.contains("\(seedPath): read as page, 9 articles"), "\(human)")
        #expect(human.stdout.contains("\(markdown): read as text, 1 article"), "\(human)")

        let bad = try replica.run(["import", "--as", "poem", seedPath])
        #expect(bad.exitCode == 64, "\(bad)")
    }

    // MARK: - PDF

    /// The items a generated PDF was made from (`scripts/make_test_pdf.py`), page by page.
    static func expectedPages(_ name: String) throws -> [(masthead: [String], items: [[String: String]])] {
        let data = try Data(contentsOf: try TestPaths.fixture("pdf/\(name).json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let pages = try #require(object["pages"] as? [[String: Any]])
        return try pages.map { page in
            (
                try #require(page["masthead"] as? [String]),
                try #require(page["items"] as? [[String: String]])
            )
        }
    }

    /// Text without whitespace: how the cleaning of a page may space it is not compared.
    static func squeezed(_ text: String?) -> String {
        String((text ?? "").unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init))
    }

    /// Compares the articles of one PDF page with the items put on it.
    static func expectItems(_ articles: [[String: Any]], _ expected: [[String: String]], page: Int) {
        #expect(articles.count == expected.count, "page \(page): \(articles.map { $0.string("title") ?? "" })")
        for (article, item) in zip(articles, expected) {
            for field in ["kicker", "title", "subtitle", "byline", "dateline", "body"] {
                #expect(
                    squeezed(article.string(field)) == squeezed(item[field]),
                    "page \(page), '\(item["title"] ?? "")', \(field): \(article.string(field) ?? "nil")")
            }
            #expect(article.string("kind") == item["kind"], "page \(page), '\(item["title"] ?? "")'")
            let paragraphs = (article.string("body") ?? "").components(separatedBy: "\n\n").count
            #expect(
                paragraphs == (item["body"] ?? "").components(separatedBy: "\n\n").count,
                "page \(page), '\(item["title"] ?? "")': the paragraphs as set")
        }
    }

    @Test func onePagePDF_articlesAsPutOnThePage() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("pdf1", in: folder)
        let path = try TestPaths.fixture("pdf/one_page.pdf").path
        let report = try replica.object(["import", path])
        let file = try Self.fileResult(report)
        #expect(file.string("read_as") == "page")
        #expect(file.int("pages") == 1)
        let ids = try #require(report["articles"] as? [String])
        let articles = try ids.map { try replica.object(["show", $0]) }
        let expected = try Self.expectedPages("one_page")
        Self.expectItems(articles, expected[0].items, page: 1)
        let first = try #require(articles.first)
        #expect(first.string("body")?.contains("用Swift 6编写的AI导览程序，游客扫码即可查看“𠮷”等") == true)
        #expect(first.int("source_page") == 1)

        let source = try #require(try Self.sources(replica).first)
        #expect(source.int("pdf_page") == 1)
        let info = try #require(source["pdf_info"] as? [String: Any])
        let header = try #require(info["header"] as? [String])
        #expect(header.map(Self.squeezed) == expected[0].masthead.map(Self.squeezed))
        #expect(source.string("sha256") == (try SystemTools.sha256(ofFile: path)))

        let again = try replica.object(["import", path])
        #expect(again.int("unchanged") == 1, "\(again)")
        #expect(again.int("articles_added") == 0)
    }

    @Test func twoPagePDF_oneSourcePerPage_pageNumbersKept() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("pdf2", in: folder)
        let path = try TestPaths.fixture("pdf/two_pages.pdf").path
        let report = try replica.object(["import", path])
        let file = try Self.fileResult(report)
        #expect(file.int("pages") == 2)
        let ids = try #require(report["articles"] as? [String])
        let articles = try ids.map { try replica.object(["show", $0]) }
        let expected = try Self.expectedPages("two_pages")
        for page in 1...2 {
            Self.expectItems(articles.filter { $0.int("source_page") == page }, expected[page - 1].items, page: page)
        }
        let sources = try Self.sources(replica)
        #expect(Set(sources.compactMap { $0.int("pdf_page") }) == [1, 2])
        #expect(Set(sources.compactMap { $0.string("sha256") }).count == 1, "both pages keep the file's hash")

        let human = try replica.ok(["import", path])
        #expect(human.stdout.contains("read as page, 2 PDF pages"), "\(human)")
        #expect(human.stdout.contains("unchanged"), "\(human)")
    }

    @Test func pdfWithoutPdftotext_saysHowToInstall_importsNothing() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("nopoppler", in: folder)
        let empty = folder.path("bin")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let result = try replica.run(
            ["import", try TestPaths.fixture("pdf/one_page.pdf").path], environment: ["PATH": empty])
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.hasOneSentenceError, "\(result)")
        #expect(result.stderr.contains("apt-get install poppler-utils"), "\(result)")
        #expect(try replica.articleIDs().isEmpty)
    }

    @Test func notAPDF_oneSentence() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("broken.pdf", Data("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n".utf8))
        let replica = Replica("broken", in: folder)
        let result = try replica.run(["import", path])
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.hasOneSentenceError, "\(result)")
        #expect(result.stderr.contains("'\(path)'"), "\(result)")
    }
}
