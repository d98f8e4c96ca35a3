import Foundation
import Testing

/// Citations of PDF pages (metadata from the masthead each page prints) and of a knowledge base restored from a
/// JSON backup (metadata and authors set by hand kept), through the built `kb`.
@Suite("Citations of PDF pages and restored backups")
struct CitationPDFAndBackupTests {
    /// What a masthead in a fixture's JSON says, read here on its own: the paper, the date and the page.
    static func mastheadSays(_ lines: [String]) throws -> (publication: String, date: String, page: Int, name: String) {
        let joined = lines.joined(separator: "　")
        let date = try #require(joined.firstMatch(of: #/(\d{4})年(\d{1,2})月(\d{1,2})日/#))
        let page = try #require(joined.firstMatch(of: #/第(\d+)版[　 ]*(\p{Han}+)/#))
        let publication = try #require(joined.firstMatch(of: #/^(\p{Han}+)[　 ]/#))
        return (
            String(publication.1),
            String(format: "%04d-%02d-%02d", Int(date.1) ?? 0, Int(date.2) ?? 0, Int(date.3) ?? 0),
            try #require(Int(page.1)), String(page.2)
        )
    }

    /// The CSL-JSON items `kb cite` gives for articles, by id.
    static func cslItems(_ replica: Replica, _ ids: [String]) throws -> [[String: Any]] {
        let output = try replica.ok(["cite", "--format", "csl-json"] + ids).stdoutData
        return try #require(try JSONSerialization.jsonObject(with: output) as? [[String: Any]])
    }

    @Test func twoPagePDF_citesThePaperDateAndPageItsMastheadsPrint() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("pdfcite", in: folder)
        // A file name that says otherwise (another paper, date and page): the masthead wins over it, and over
        // the PDF page numbers (1 and 2) and the date the file was made.
        let path = try folder.write(
            "rmrb_2024-01-01_07.pdf", try Data(contentsOf: try TestPaths.fixture("pdf/two_pages.pdf")))
        let ids = try #require(try replica.object(["import", path])["articles"] as? [String])
        let pages = try ImportFormatsTests.expectedPages("two_pages")
        try #require(pages.count == 2)
        var checked = 0
        for id in ids {
            let shown = try replica.object(["show", id])
            let pdfPage = try #require(shown.int("source_page"))
            let says = try Self.mastheadSays(pages[pdfPage - 1].masthead)
            let metadata = try #require(shown["metadata"] as? [String: Any], "\(shown)")
            #expect(metadata.string("publication") == says.publication, "\(id): \(metadata)")
            #expect(metadata.string("date") == says.date, "\(id): \(metadata)")
            #expect(metadata.int("page") == says.page, "\(id): \(metadata)")
            #expect(metadata.string("page_name") == says.name, "\(id): \(metadata)")

            let item = try #require(try Self.cslItems(replica, [id]).first)
            #expect(item.string("container-title") == says.publication)
            #expect(item.string("page") == String(says.page))
            #expect(item.string("section") == says.name)
            let parts = (item["issued"] as? [String: Any])?["date-parts"] as? [[Int]]
            #expect(parts?.first.map { String(format: "%04d-%02d-%02d", $0[0], $0[1], $0[2]) } == says.date)
            checked += 1
        }
        #expect(checked == ids.count && Set(pages.map(\.masthead)).count == 2)
        // Page 3 and page 4 in a text citation (GB/T 7714: paper, date(page)).
        let first = try #require(try replica.array(["search", "记者陈华"]).first?.string("id"))
        let says = try Self.mastheadSays(pages[0].masthead)
        let cited = try replica.ok(["cite", first]).stdout
        #expect(cited.contains("\(says.publication), \(says.date)(\(says.page))."), "\(cited)")
        #expect(says.page == 3 && pages[1].masthead.joined().contains("第4版"), "the fixture as it was made")
        // `kb source set` still wins over the masthead.
        try replica.ok(["source", "set", String(first.prefix(8)), "--page", "9"])
        #expect((try replica.object(["show", first])["metadata"] as? [String: Any])?.int("page") == 9)
    }

    @Test func jsonBackup_keepsMetadataAndAuthorsSetByHand() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("backup", in: folder)
        let ids = try #require(
            try replica.object(["import", try TestPaths.fixture("seed_page.txt").path])["articles"] as? [String])
        let chen = try #require(try replica.array(["search", "记者陈华"]).first?.string("id"))
        let huang = try #require(try replica.array(["search", "记者黄洪涛"]).first?.string("id"))
        try replica.ok([
            "source", "set", String(chen.prefix(8)), "--publication", "工人日报", "--date", "2025-04-25", "--page", "3",
            "--page-name", "要闻", "--edition", "全国版", "--url", "https://example.org/grrb/3",
            "--field", "译者=无",
        ])
        try replica.ok(["edit", chen, "--author", "陈华", "--author", "王五"])
        try replica.ok(["edit", huang, "--author", ""])
        let before = try Self.cslItems(replica, ids)
        let chenItem = try #require(
            before.first { ($0["author"] as? [[String: Any]])?.compactMap { $0.string("literal") } == ["陈华", "王五"] })
        #expect(chenItem.string("edition") == "全国版")

        let backup = try replica.ok(["export", "--format", "json"]).stdout
        let dumpFile = try folder.write("backup.json", backup)
        let restored = Replica("restored", in: folder)
        try restored.ok(["import", dumpFile])
        let after = try Self.cslItems(restored, ids)
        #expect(after.count == before.count)
        for (old, new) in zip(before, after) {
            #expect(NSDictionary(dictionary: old).isEqual(to: new), "\(old)\n≠\n\(new)")
        }
        let huangAuthors = try restored.object(["show", huang])["authors"] as? [[String: Any]]
        #expect(huangAuthors?.isEmpty == true, "no author, as set by hand")
        // Export → import → export gives the same document.
        #expect(try restored.ok(["export", "--format", "json"]).stdout == backup)
    }
}
