import Foundation
import GRDB
import Testing

@testable import KB

/// Page metadata stored with the sources, set by hand as changes, and searched with pub:, date:, page:, author:.
struct SourceMetadataTests {
    /// The seed page imported under a file name that names the paper, the date and the page.
    static func seeded(name: String = "工人日报_2025-04-25_03.txt") throws -> (KnowledgeBase, [String]) {
        let kb = try KnowledgeBase.inMemory()
        let report = try kb.importText(try Fixtures.seedPage, name: name)
        return (kb, report.articles)
    }

    static func firstArticle(_ kb: KnowledgeBase) throws -> Citation {
        try #require(try kb.citations().first { $0.names == ["陈华"] })
    }

    @Test func seedPage_metadataFromFileNameAndAuthorsFromBylines() throws {
        let (kb, ids) = try Self.seeded()
        let citations = try kb.citations(ids)
        #expect(citations.count == ids.count)
        for citation in citations {
            #expect(citation.metadata.publication == "工人日报")
            #expect(citation.metadata.issued == "2025-04-25")
            #expect(citation.metadata.page == 3)
        }
        let first = try Self.firstArticle(kb)
        #expect(first.title.hasPrefix("长三角三省一市共促职工文旅消费"))
        #expect(first.formatted(.gb7714) == "陈华. \(first.title)[N]. 工人日报, 2025-04-25(3).")
        // Several names and a second role on the same page.
        let byNames = Set(citations.map(\.names))
        #expect(byNames.contains(["李润钊", "李亮"]))
        #expect(byNames.contains(["黄洪涛"]))
        let roles = citations.flatMap(\.authors).filter { $0.name == "李亮" }.map(\.role)
        #expect(roles == [.correspondent])
    }

    @Test func setByHand_overridesClearsAndIsRecordedAsChanges() throws {
        let (kb, _) = try Self.seeded(name: "seed.txt")
        let first = try Self.firstArticle(kb)
        #expect(first.metadata.isEmpty)
        let changesBefore = try kb.count("changes")
        let (sourceID, metadata) = try kb.setSourceMetadata(
            String(first.articleID.prefix(8)),
            [.publication: "工人日报", .issued: "2025/4/25", .page: "3", .pageName: "工会新闻"])
        #expect(sourceID == first.sourceID)
        #expect(metadata == SourceMetadata(publication: "工人日报", issued: "2025-04-25", page: 3, pageName: "工会新闻"))
        #expect(try kb.count("changes") == changesBefore + 4)
        // Every article of the page shares it.
        #expect(try kb.citations().allSatisfy { $0.metadata.publication == "工人日报" })
        // An empty value clears a field; setting the same value again records nothing.
        let cleared = try kb.setSourceMetadata(sourceID, [.pageName: "", .page: "3"]).metadata
        #expect(cleared.pageName == nil && cleared.page == 3)
        #expect(try kb.count("changes") == changesBefore + 5)
    }

    @Test func clearingAFieldTheFileNameGave_keepsItCleared() throws {
        let (kb, _) = try Self.seeded()
        let first = try Self.firstArticle(kb)
        let sourceID = try #require(first.sourceID)
        #expect(try kb.setSourceMetadata(sourceID, [.page: ""]).metadata.page == nil)
        #expect(try kb.sourceMetadata(sourceID).metadata.publication == "工人日报")
        #expect(try kb.sourceMetadata(sourceID).metadata.page == nil)
    }

    @Test func badValues_changeNothing() throws {
        let (kb, _) = try Self.seeded()
        let first = try Self.firstArticle(kb)
        let before = try kb.count("changes")
        #expect(throws: KBError.self) { try kb.setSourceMetadata(first.articleID, [.issued: "2025-02-30"]) }
        #expect(throws: KBError.self) { try kb.setSourceMetadata(first.articleID, [.page: "三"]) }
        #expect(throws: KBError.self) { try kb.setSourceMetadata("ffffffff", [.page: "3"]) }
        #expect(try kb.count("changes") == before)
    }

    @Test func authorsSetByHand_thenBackToTheByline() throws {
        let (kb, _) = try Self.seeded()
        let first = try Self.firstArticle(kb)
        let set = try kb.setAuthors(first.articleID, ["陈华", "𠮷田 ＡＩ"])
        #expect(set.authors.map(\.name) == ["陈华", "𠮷田 ＡＩ"])
        #expect(try kb.citations([first.articleID])[0].formatted(.gb7714).hasPrefix("陈华, 𠮷田 ＡＩ. "))
        #expect(try kb.setAuthors(first.articleID, []).authors.isEmpty)
        #expect(try kb.setAuthors(first.articleID, nil).authors.map(\.name) == ["陈华"])
    }

    @Test func jsonDump_carriesMetadataAndAuthorsSetByHand_includingClearedOnes() throws {
        let (kb, ids) = try Self.seeded()
        let first = try Self.firstArticle(kb)
        let other = try #require(try kb.citations().first { $0.names == ["黄洪涛"] })
        try kb.setSourceMetadata(first.articleID, [.page: "", .pageName: "要闻", .extra: #"{"archive":"CNKI"}"#])
        try kb.setAuthors(first.articleID, ["陈华", "王五"])
        try kb.setAuthors(other.articleID, [])
        let before = try kb.citations(ids)
        #expect(before.contains { $0.metadata.page == nil && $0.metadata.pageName == "要闻" })

        let dump = try kb.exportJSON()
        let restored = try KnowledgeBase.inMemory()
        _ = try restored.restoreDump(dump, path: "backup.json")
        let after = try restored.citations(ids)
        #expect(after.map(\.metadata) == before.map(\.metadata))
        #expect(after.map(\.authors) == before.map(\.authors))
        #expect(after.map(\.authorsSetByHand) == before.map(\.authorsSetByHand))
        #expect(after.first { $0.articleID == first.articleID }?.names == ["陈华", "王五"])
        #expect(after.first { $0.articleID == other.articleID }?.authors.isEmpty == true)
        // What was set by hand stays set by hand: a later change syncs over it, the byline can take it back.
        #expect(try restored.setAuthors(first.articleID, nil).authors.map(\.name) == ["陈华"])
        #expect(try restored.exportJSON() != dump)
    }

    @Test func reimportOfTheSameFile_keepsMetadataSetByHand() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("page.txt", try Fixtures.seedPage)
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importFiles([path])
        let first = try Self.firstArticle(kb)
        try kb.setSourceMetadata(first.articleID, [.publication: "工人日报", .issued: "2025-04-25"])
        try folder.write("page.txt", try Fixtures.seedPage.replacingOccurrences(of: "黄山脚下", with: "黄山山下"))
        _ = try kb.importFiles([path])
        let after = try kb.citations([first.articleID])[0]
        #expect(after.sourceID != first.sourceID)
        #expect(after.metadata.publication == "工人日报")
        #expect(after.metadata.issued == "2025-04-25")
    }

    @Test func allFromFolder_setsEveryPageThere() throws {
        let folder = try TemporaryFolder()
        let page = try Fixtures.seedPage
        let a = try folder.write("in/a.txt", page)
        let b = try folder.write("in/deeper/b.txt", "本报讯（记者 李强）另一页的正文写在这里。\n\n另一页的标题\n")
        let c = try folder.write("out/c.txt", "本报讯（记者 王明）独立的一页正文。\n\n独立标题\n")
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importFiles([a, b, c])
        let results = try kb.setSourceMetadata(
            folder: folder.url.appendingPathComponent("in").path, [.publication: "工人日报"])
        #expect(results.count == 2)
        let other = try #require(try kb.citations().first { $0.names == ["王明"] })
        #expect(other.metadata.publication == nil)
        #expect(throws: KBError.self) { try kb.setSourceMetadata(folder: "/nowhere/at/all", [.page: "1"]) }
    }

    // MARK: - Search filters

    @Test func searchFilters_onPublicationDatePageAndAuthor() throws {
        let (kb, ids) = try Self.seeded()
        let other = try kb.importText("本报讯（记者 王明）职工文化活动在上海举行。\n\n上海职工活动\n", name: "rmrb-20250301-5.txt")
        #expect(try kb.search("pub:工人日报", limit: 100).count == ids.count)
        #expect(try kb.search("pub:人民", limit: 100).map(\.id) == other.articles)
        #expect(try kb.search("date:2025-04", limit: 100).count == ids.count)
        #expect(try kb.search("date:2025-04-25", limit: 100).count == ids.count)
        #expect(try kb.search("date:2025-04-01..2025-04-30", limit: 100).count == ids.count)
        #expect(try kb.search("date:2025-03..2025-03", limit: 100).map(\.id) == other.articles)
        #expect(try kb.search("date:..2025-03-31", limit: 100).map(\.id) == other.articles)
        #expect(try kb.search("date:2025", limit: 100).count == ids.count + other.articles.count)
        #expect(try kb.search("page:3", limit: 100).count == ids.count)
        #expect(try kb.search("page:5 职工", limit: 100).map(\.id) == other.articles)
        let chen = try kb.search("author:陈华", limit: 100)
        #expect(chen.count == 1 && chen[0].title.hasPrefix("长三角三省一市共促职工文旅消费"))
        #expect(try kb.search("author:李亮 工会", limit: 100).count == 1)
        #expect(try kb.search("工会 -pub:工人日报", limit: 100).isEmpty)
        #expect(try kb.search("职工 -author:王明", limit: 100).allSatisfy { !other.articles.contains($0.id) })
        // Authors set by hand are searched instead of the byline.
        let first = try Self.firstArticle(kb)
        try kb.setAuthors(first.articleID, ["张三"])
        #expect(try kb.search("author:陈华", limit: 100).isEmpty)
        #expect(try kb.search("author:张三", limit: 100).map(\.id) == [first.articleID])
    }

    @Test(arguments: ["date:2025-13", "date:soon", "page:three", "pub:", "(pub:工人日报 OR 工会)", "date:..", "-pub:工人日报"])
    func searchFilters_refuseWhatTheyCannotRead(_ query: String) throws {
        let (kb, _) = try Self.seeded()
        #expect(throws: KBError.self) { try kb.search(query) }
    }

    @Test func migration_fillsMetadataOfPagesImportedBefore() throws {
        let (kb, _) = try Self.seeded()
        try kb.database.writer.write { db in
            try db.execute(sql: "DELETE FROM source_metadata")
            let now: Int64 = 1_764_000_000_000
            for id in try String.fetchAll(db, sql: "SELECT id FROM sources") {
                try SourceMetadataStore.refresh(db, sourceID: id, now: now)
            }
        }
        #expect(try Self.firstArticle(kb).metadata.publication == "工人日报")
    }

    @Test func markdownExport_carriesTheCitation() throws {
        let (kb, _) = try Self.seeded()
        let first = try Self.firstArticle(kb)
        let file = try #require(try kb.exportMarkdown().first { $0.id == first.articleID })
        #expect(file.content.contains("publication: \"工人日报\"\n"))
        #expect(file.content.contains("citation_key: \"gongrenribao2025-04-25-3-\(first.articleID.prefix(6))\"\n"))
        #expect(file.content.contains("Cite: 陈华. \(first.title)[N]. 工人日报, 2025-04-25(3).\n"))
    }
}
