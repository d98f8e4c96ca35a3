import Foundation
import Testing

@testable import KB

/// Page metadata from file names and header lines, authors from bylines, and the three citation styles.
struct MetadataExtractionTests {
    struct FileNameCase: Sendable, CustomStringConvertible {
        let name: String
        let publication: String?
        let issued: String?
        let page: Int?
        var description: String { name }
    }

    @Test(arguments: [
        FileNameCase(name: "工人日报_2025-04-25_03.txt", publication: "工人日报", issued: "2025-04-25", page: 3),
        FileNameCase(name: "gongrenribao-20250425-3.pdf", publication: "工人日报", issued: "2025-04-25", page: 3),
        FileNameCase(name: "2025042503.txt", publication: nil, issued: "2025-04-25", page: 3),
        FileNameCase(name: "grrb_2025_4_5_p12.txt", publication: "工人日报", issued: "2025-04-05", page: 12),
        FileNameCase(name: "人民日报2025年4月25日第3版.txt", publication: "人民日报", issued: "2025-04-25", page: 3),
        FileNameCase(name: "光明日报-2024-02-29-第05版.txt", publication: "光明日报", issued: "2024-02-29", page: 5),
        FileNameCase(name: "RMRB 20250101 page2.txt", publication: "人民日报", issued: "2025-01-01", page: 2),
        FileNameCase(name: "南湖晚报_20250425.txt", publication: "南湖晚报", issued: "2025-04-25", page: nil),
        FileNameCase(name: "dir/sub/工人日报_20250425_3版.txt", publication: "工人日报", issued: "2025-04-25", page: 3),
        FileNameCase(name: "000_0c82636a8329b8b7.txt", publication: nil, issued: nil, page: nil),
        FileNameCase(name: "scan-20250230-3.txt", publication: nil, issued: nil, page: nil),
        FileNameCase(name: "notes 2025.md", publication: nil, issued: nil, page: nil),
    ])
    func fileName(_ example: FileNameCase) {
        let metadata = MetadataExtractor.fromFileName(example.name)
        #expect(metadata.publication == example.publication)
        #expect(metadata.issued == example.issued)
        #expect(metadata.page == example.page)
    }

    @Test func headerLine_givesPublicationDatePageAndPageName() {
        let page = """
            工人日报 2025年4月25日 星期五 第3版 工会新闻 责任编辑 张三

            本报讯（记者 陈华）4月21日，活动在黄山市举行。
            """
        let metadata = MetadataExtractor.fromHeader(page)
        #expect(metadata.publication == "工人日报")
        #expect(metadata.issued == "2025-04-25")
        #expect(metadata.page == 3)
        #expect(metadata.pageName == "工会新闻")
    }

    @Test func headerLine_spreadOutAndAtTheFoot() {
        let page = """
            本报讯（记者 陈华）4月21日，活动举行。

            2025 年 4 月 25 日   星期五     第 ３ 版
            """
        let metadata = MetadataExtractor.fromHeader(page)
        #expect(metadata.issued == "2025-04-25")
        #expect(metadata.page == 3)
        #expect(metadata.publication == nil)
    }

    @Test func bodyLineWithADate_isNoHeader() throws {
        let metadata = MetadataExtractor.fromHeader("2025年4月，全省工会开展活动，职工积极参与。\n\n下文。")
        #expect(metadata.isEmpty)
        // The seed page has no header line: nothing is made up.
        #expect(MetadataExtractor.fromHeader(try Fixtures.seedPage).isEmpty)
    }

    @Test func headerWinsOverFileName() {
        let metadata = MetadataExtractor.metadata(
            path: "/x/rmrb-20250101-2.txt", text: "工人日报 2025年4月25日 星期五 第3版\n\n正文。")
        #expect(metadata.publication == "工人日报")
        #expect(metadata.issued == "2025-04-25")
        #expect(metadata.page == 3)
    }

    @Test func pdfMasthead_onTwoLines_givesPageAndPageName_overFileNameAndPDFPage() {
        // The second page of a two-page PDF whose masthead prints 第4版 under the paper's name and date.
        let info = PDFInfo(
            title: "page.html", creationDate: "2026-12-07T07:40:40Z", pageCount: 2,
            header: ["工人日报　2025年4月22日　星期二", "第4版　地方"])
        let metadata = MetadataExtractor.metadata(
            path: "/x/rmrb-20240101-7.pdf", text: "正文。\n", pdfPage: 2, pdfInfo: info)
        #expect(metadata.publication == "工人日报")
        #expect(metadata.issued == "2025-04-22")
        #expect(metadata.page == 4)
        #expect(metadata.pageName == "地方")
    }

    @Test func pdfWithoutMasthead_pageNumberThenTitleAndCreationDate_overFileName() {
        let info = PDFInfo(title: "南方日报 第2版", creationDate: "2025-03-01T08:00:00+08:00", pageCount: 8, header: [])
        let metadata = MetadataExtractor.metadata(
            path: "/x/rmrb-20240101-7.pdf", text: "正文。\n", pdfPage: 5, pdfInfo: info)
        #expect(metadata.publication == "南方日报", "the title names the paper")
        #expect(metadata.issued == "2025-03-01", "the date the file was made, over the file name's")
        #expect(metadata.page == 5, "the PDF page of a file of several pages, over the title's")
        // A file of one page says nothing of which page of the paper it is: the file name does.
        let single = MetadataExtractor.metadata(
            path: "/x/rmrb-20240101-7.pdf", text: "正文。\n", pdfPage: 1,
            pdfInfo: PDFInfo(title: "page.html", pageCount: 1))
        #expect(single.publication == "人民日报")
        #expect(single.issued == "2024-01-01")
        #expect(single.page == 7)
    }

    @Test func pdfMasthead_pageLineFirst_andNoMastheadDate_keepTheWeakerDate() {
        let metadata = MetadataExtractor.fromMasthead(["第3版　要闻", "工人日报　2025年4月22日　星期二"])
        #expect(metadata.publication == "工人日报")
        #expect(metadata.issued == "2025-04-22")
        #expect(metadata.page == 3)
        #expect(metadata.pageName == "要闻")
        let pageOnly = MetadataExtractor.metadata(
            path: "/x/scan.pdf", text: "正文。\n", pdfPage: 1,
            pdfInfo: PDFInfo(creationDate: "2025-04-22T07:35:32Z", pageCount: 1, header: ["第3版　要闻"]))
        #expect(pageOnly.issued == "2025-04-22")
        #expect(pageOnly.page == 3)
        #expect(pageOnly.publication == nil)
    }

    @Test(arguments: [
        ("2025-04-25", "2025-04-25"), ("2025-4-5", "2025-04-05"), ("2025/04/25", "2025-04-25"),
        ("20250425", "2025-04-25"), ("2025年4月25日", "2025-04-25"), ("2025-04", "2025-04"), ("2025", "2025"),
        ("2024-02-29", "2024-02-29"),
    ])
    func normalizedDate(_ input: String, _ expected: String) {
        #expect(SourceMetadata.normalizedDate(input) == expected)
    }

    @Test(arguments: ["2025-02-29", "2025-13-01", "25-04-25", "April 25", "", "2025-04-25-01"])
    func notADate(_ input: String) {
        #expect(SourceMetadata.normalizedDate(input) == nil)
    }
}

struct BylineTests {
    static func described(_ contributors: [Contributor]) -> [String] {
        contributors.map { "\($0.name)/\($0.role.rawValue)" }
    }

    @Test(arguments: [
        ("本报讯（记者 陈华）", ["陈华/reporter"]),
        ("本报讯 （记 者 陈 华）", ["陈华/reporter"]),
        ("本报讯（记者陈华）", ["陈华/reporter"]),
        ("本报讯（记者 陈华 王明）", ["陈华/reporter", "王明/reporter"]),
        ("本报讯（记者陈华王明）", ["陈华/reporter", "王明/reporter"]),
        ("本报讯（记者 欧阳明 王华）", ["欧阳明/reporter", "王华/reporter"]),
        ("本报讯（记者李润钊 通讯员李亮）", ["李润钊/reporter", "李亮/correspondent"]),
        ("本报讯（杨明清 记者张嫱 通讯员王亮）", ["杨明清/author", "张嫱/reporter", "王亮/correspondent"]),
        ("本报记者 裴龙翔", ["裴龙翔/reporter"]),
        ("本报通讯员 徐浩儒 摄", ["徐浩儒/photographer"]),
        ("新华社北京4月24日电", ["新华社/agency"]),
        ("（新华社北京 4月24日电）", ["新华社/agency"]),
        ("新华社北京4月24日电（记者 张三 李四）", ["新华社/agency", "张三/reporter", "李四/reporter"]),
        ("中新社上海4月24日电", ["中新社/agency"]),
        ("本报讯（记者 阿依古丽·买买提）", ["阿依古丽·买买提/reporter"]),
        ("", [String]()),
    ])
    func byline(_ byline: String, _ expected: [String]) {
        #expect(Self.described(BylineParser.contributors(byline: byline)) == expected)
    }

    @Test func agencyDatelineAtTheEndOfTheBody() {
        let found = BylineParser.contributors(byline: "", body: "正文一段。\n\n正文二段。（新华社北京4月24日电）")
        #expect(Self.described(found) == ["新华社/agency"])
    }

    @Test func bodyThatMentionsAReporter_isNoByline() {
        let found = BylineParser.contributors(byline: "", body: "工会主席郑前远告诉记者，为了应对当前的形势……")
        #expect(found.isEmpty)
    }

    @Test func citedNames_leaveOutPhotographersUnlessAlone() {
        let both = [Contributor("陈华", role: .reporter), Contributor("徐浩儒", role: .photographer)]
        #expect(both.citedNames == ["陈华"])
        #expect([Contributor("徐浩儒", role: .photographer)].citedNames == ["徐浩儒"])
    }
}

struct CitationStyleTests {
    static func citation(
        authors: [Contributor] = [Contributor("陈华", role: .reporter)], title: String = "长三角职工非遗技艺交流活动举行",
        publication: String? = "工人日报", issued: String? = "2025-04-25", page: Int? = 3, url: String? = nil
    ) -> Citation {
        Citation(
            articleID: "dd76a1b2c3d4e5f6a7b8c9d0", title: title, authors: authors,
            metadata: SourceMetadata(publication: publication, issued: issued, page: page, url: url))
    }

    static let two = [Contributor("陈华", role: .reporter), Contributor("王明", role: .correspondent)]
    static let three = two + [Contributor("李亮")]
    static let four = three + [Contributor("张嫱", role: .reporter)]
    static let agency = [Contributor("新华社", role: .agency)]

    // GB/T 7714-2015 §8.1 and its newspaper examples: 主要责任者. 题名[N]. 报纸名, 出版日期(版次).
    @Test func gb7714() {
        #expect(Self.citation().formatted(.gb7714) == "陈华. 长三角职工非遗技艺交流活动举行[N]. 工人日报, 2025-04-25(3).")
        #expect(
            Self.citation(authors: Self.two).formatted(.gb7714)
                == "陈华, 王明. 长三角职工非遗技艺交流活动举行[N]. 工人日报, 2025-04-25(3).")
        #expect(
            Self.citation(authors: Self.four).formatted(.gb7714)
                == "陈华, 王明, 李亮, 等. 长三角职工非遗技艺交流活动举行[N]. 工人日报, 2025-04-25(3).")
        #expect(
            Self.citation(authors: Self.agency, title: "国务院常务会议召开", publication: "人民日报", issued: "2025-04-24", page: 1)
                .formatted(.gb7714) == "新华社. 国务院常务会议召开[N]. 人民日报, 2025-04-24(1).")
        #expect(Self.citation(issued: nil).formatted(.gb7714) == "陈华. 长三角职工非遗技艺交流活动举行[N]. 工人日报(3).")
        #expect(Self.citation(page: nil).formatted(.gb7714) == "陈华. 长三角职工非遗技艺交流活动举行[N]. 工人日报, 2025-04-25.")
        #expect(Self.citation(authors: []).formatted(.gb7714) == "长三角职工非遗技艺交流活动举行[N]. 工人日报, 2025-04-25(3).")
        #expect(
            Self.citation(url: "https://example.org/a").formatted(.gb7714)
                == "陈华. 长三角职工非遗技艺交流活动举行[N/OL]. 工人日报, 2025-04-25(3). https://example.org/a.")
    }

    // APA 7 §10.1 (newspaper article, print): Author. (Year, Month Day). Title. Newspaper, page.
    @Test func apa() {
        #expect(Self.citation().formatted(.apa) == "陈华. (2025, April 25). 长三角职工非遗技艺交流活动举行. 工人日报, 3.")
        #expect(
            Self.citation(authors: Self.two).formatted(.apa)
                == "陈华, & 王明. (2025, April 25). 长三角职工非遗技艺交流活动举行. 工人日报, 3.")
        #expect(
            Self.citation(authors: Self.three).formatted(.apa)
                == "陈华, 王明, & 李亮. (2025, April 25). 长三角职工非遗技艺交流活动举行. 工人日报, 3.")
        #expect(
            Self.citation(authors: Self.agency, title: "国务院常务会议召开", publication: "人民日报", issued: "2025-04-24", page: 1)
                .formatted(.apa) == "新华社. (2025, April 24). 国务院常务会议召开. 人民日报, 1.")
        #expect(Self.citation(issued: nil).formatted(.apa) == "陈华. (n.d.). 长三角职工非遗技艺交流活动举行. 工人日报, 3.")
        #expect(Self.citation(issued: "2025-04").formatted(.apa) == "陈华. (2025, April). 长三角职工非遗技艺交流活动举行. 工人日报, 3.")
        #expect(Self.citation(page: nil).formatted(.apa) == "陈华. (2025, April 25). 长三角职工非遗技艺交流活动举行. 工人日报.")
        #expect(Self.citation(authors: []).formatted(.apa) == "长三角职工非遗技艺交流活动举行. (2025, April 25). 工人日报, 3.")
        #expect(
            Self.citation(title: "What next?", publication: "The Guardian").formatted(.apa)
                == "陈华. (2025, April 25). What next? The Guardian, 3.")
    }

    // Chicago 17 §14.89 (newspaper, bibliography; page numbers omitted): Author. “Title.” Newspaper, Month Day, Year.
    @Test func chicago() {
        #expect(Self.citation().formatted(.chicago) == "陈华. “长三角职工非遗技艺交流活动举行.” 工人日报, April 25, 2025.")
        #expect(
            Self.citation(authors: Self.two).formatted(.chicago)
                == "陈华, and 王明. “长三角职工非遗技艺交流活动举行.” 工人日报, April 25, 2025.")
        #expect(
            Self.citation(authors: Self.three).formatted(.chicago)
                == "陈华, 王明, and 李亮. “长三角职工非遗技艺交流活动举行.” 工人日报, April 25, 2025.")
        #expect(
            Self.citation(authors: Self.agency, title: "国务院常务会议召开", publication: "人民日报", issued: "2025-04-24", page: 1)
                .formatted(.chicago) == "新华社. “国务院常务会议召开.” 人民日报, April 24, 2025.")
        #expect(Self.citation(issued: nil).formatted(.chicago) == "陈华. “长三角职工非遗技艺交流活动举行.” 工人日报, n.d.")
        #expect(Self.citation(authors: []).formatted(.chicago) == "“长三角职工非遗技艺交流活动举行.” 工人日报, April 25, 2025.")
    }

    /// Text from no page that names no publication (a note made with `kb add`) is cited as a document, not
    /// as a newspaper article: GB/T 7714's [Z], CSL's `document`, BibTeX's `@misc`.
    @Test func textFromNoPage_isCitedAsADocument() throws {
        let note = Self.citation(publication: nil, issued: nil, page: nil)
        #expect(note.kind == .document)
        #expect(note.formatted(.gb7714) == "陈华. 长三角职工非遗技艺交流活动举行[Z].")
        #expect(
            Self.citation(publication: nil, issued: nil, page: nil, url: "https://example.org/n").formatted(.gb7714)
                == "陈华. 长三角职工非遗技艺交流活动举行[Z/OL]. https://example.org/n.")
        #expect(note.cslItem["type"] as? String == "document")
        #expect(note.bibtex.hasPrefix("@misc{kb-dd76a1,\n"))
        // From a page, even one whose publication is unknown, it stays a newspaper article.
        var fromPage = note
        fromPage.sourceID = "0c82636a8329b8b7"
        #expect(fromPage.kind == .newspaperArticle)
        #expect(fromPage.formatted(.gb7714) == "陈华. 长三角职工非遗技艺交流活动举行[N].")
        #expect(fromPage.cslItem["type"] as? String == "article-newspaper")
        #expect(fromPage.bibtex.hasPrefix("@article{"))
    }

    @Test func keys_areStableAndASCII() {
        #expect(Self.citation().key == "gongrenribao2025-04-25-3-dd76a1")
        #expect(Self.citation(publication: "南湖晚报", issued: nil, page: nil).key == "kb-dd76a1")
        #expect(Self.citation(publication: "The Guardian", page: nil).key == "theguardian2025-04-25-dd76a1")
    }

    @Test func cslItem_hasNewspaperFields() throws {
        var citation = Self.citation(authors: Self.two + Self.agency)
        citation.metadata.pageName = "工会新闻"
        citation.metadata.extra = ["archive": "CNKI"]
        let item = citation.cslItem
        #expect(item["type"] as? String == "article-newspaper")
        #expect(item["container-title"] as? String == "工人日报")
        #expect(item["page"] as? String == "3")
        #expect(item["section"] as? String == "工会新闻")
        #expect(item["note"] as? String == "archive: CNKI")
        #expect((item["author"] as? [[String: String]])?.map { $0["literal"] } == ["陈华", "王明", "新华社"])
        #expect((item["contributor"] as? [[String: String]])?.map { $0["literal"] } == ["王明"])
        let issued = try #require(item["issued"] as? [String: [[Int]]])
        #expect(issued["date-parts"] == [[2025, 4, 25]])
        // Valid JSON.
        let text = try Citation.cslJSON([citation])
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [Any])
    }

    @Test func bibtex_escapesAndBracesAgencies() {
        let citation = Self.citation(authors: Self.agency + [Contributor("陈华")], title: "增长50% & 创新_#1 {新}")
        let entry = citation.bibtex
        #expect(entry.hasPrefix("@article{gongrenribao2025-04-25-3-dd76a1,\n"))
        #expect(entry.contains("  author = {{新华社} and 陈华},\n"))
        #expect(entry.contains("  title = {增长50\\% \\& 创新\\_\\#1 \\{新\\}},\n"))
        #expect(entry.contains("  journal = {工人日报},\n"))
        #expect(entry.contains("  date = {2025-04-25},\n"))
        #expect(entry.contains("  pages = {3},\n"))
        #expect(entry.hasSuffix("}\n"))
    }
}
