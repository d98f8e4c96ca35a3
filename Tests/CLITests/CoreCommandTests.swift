import Foundation
import Testing

/// `kb import`, `list`, `show`, `search`, `add`, `edit`, `rm`, `tag`, `untag`, `status` as a user runs
/// them: stdout, stderr and exit codes of the built binary.
@Suite("Core commands")
struct CoreCommandTests {
    /// The text fields of an article, as `kb show --json` prints them.
    static let textFields = ["title", "subtitle", "kicker", "byline", "dateline", "body"]

    /// A knowledge base with the seed page imported.
    static func seeded() throws -> Replica {
        let replica = Replica("core", in: try TemporaryFolder())
        let page = try TestPaths.fixture("seed_page.txt")
        try replica.ok(["import", page.path])
        return replica
    }

    /// Every article of the knowledge base, as `kb show --json` prints it.
    static func articles(_ replica: Replica) throws -> [[String: Any]] {
        try replica.articleIDs().map { try replica.object(["show", $0]) }
    }

    // MARK: - Import and list

    @Test func importSeedPage_nineArticles_reimportUnchanged() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("core", in: folder)
        let page = try TestPaths.fixture("seed_page.txt")

        let first = try replica.object(["import", page.path])
        #expect(first.int("added") == 1)
        #expect(first.int("unchanged") == 0)
        #expect((first["failed"] as? [Any])?.isEmpty == true)
        let ids = try #require(first["articles"] as? [String])
        #expect(ids.count == 9)
        #expect(Set(ids).count == 9)

        let listed = try replica.array(["list"])
        #expect(listed.count == 9)
        #expect(Set(listed.compactMap { $0.string("id") }) == Set(ids))
        for article in listed {
            for key in ["id", "title", "source", "tags", "created_at", "updated_at"] {
                #expect(article[key] != nil, "kb list --json lacks '\(key)': \(article)")
            }
            #expect(article.string("source")?.hasSuffix("seed_page.txt") == true)
            #expect(article.string("title")?.isEmpty == false)
        }

        let again = try replica.object(["import", page.path])
        #expect(again.int("unchanged") == 1)
        #expect(again.int("added") == 0)
        #expect(again.int("articles_added") == 0)
        #expect(Set(try #require(again["articles"] as? [String])) == Set(ids))
        #expect(try replica.articleIDs().count == 9)

        let human = try replica.ok(["import", page.path])
        #expect(human.stdout.contains("unchanged"), "\(human)")
        #expect(human.stderr.isEmpty)
    }

    @Test func importSeedPage_everyCharacterOfTheFieldsComesFromThePage() throws {
        let replica = try Self.seeded()
        let page = try String(contentsOf: try TestPaths.fixture("seed_page.txt"), encoding: .utf8)
        var pageCounts: [Unicode.Scalar: Int] = [:]
        for scalar in removingWhitespace(page).unicodeScalars { pageCounts[scalar, default: 0] += 1 }
        var fieldCounts: [Unicode.Scalar: Int] = [:]
        for article in try Self.articles(replica) {
            let text = Self.textFields.compactMap { article.string($0) }.joined()
            for scalar in removingWhitespace(text).unicodeScalars { fieldCounts[scalar, default: 0] += 1 }
            // `show` prints the article's own text, never the whole page.
            #expect((article.string("body")?.count ?? 0) < page.count / 2)
        }
        let invented = fieldCounts.filter { $0.value > pageCounts[$0.key, default: 0] }
        #expect(invented.isEmpty, "characters in the articles that the page lacks: \(invented)")
        let pageTotal = pageCounts.values.reduce(0, +)
        let fieldTotal = fieldCounts.values.reduce(0, +)
        // Only a duplicated headline may be dropped.
        #expect(fieldTotal >= pageTotal * 98 / 100, "\(fieldTotal) of \(pageTotal) characters kept")
    }

    @Test func globalDatabaseOption_beforeOrAfterTheCommand_andKBDB() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("global.sqlite")
        let page = try TestPaths.fixture("seed_page.txt").path
        let before = try KBRunner.run(["--db", path, "import", page])
        #expect(before.succeeded, "\(before)")
        let after = try KBRunner.run(["list", "--db", path, "--json"])
        #expect(after.succeeded, "\(after)")
        #expect(try after.array().count == 9)
        let equals = try KBRunner.run(["--db=\(path)", "--json", "list"])
        #expect(equals.succeeded, "\(equals)")
        #expect(try equals.array().count == 9)
        let environment = try KBRunner.run(["status", "--json"], environment: ["KB_DB": path])
        #expect(try environment.object().int("articles") == 9)
        // The flag wins over the environment.
        let other = folder.path("other.sqlite")
        let flagWins = try KBRunner.run(["--db", other, "status", "--json"], environment: ["KB_DB": path])
        #expect(flagWins.exitCode == 1, "a missing file is not made by status:\n\(flagWins)")
        #expect(flagWins.stderr.contains("'\(other)'"), "\(flagWins)")
        #expect(try KBRunner.run(["init", "--db", other], environment: ["KB_DB": path]).succeeded)
        let created = try KBRunner.run(["--db", other, "status", "--json"], environment: ["KB_DB": path])
        #expect(try created.object().int("articles") == 0)
    }

    // MARK: - Search

    static let searchQueries = ["非遗", "工会", "记者陈华", "市场开拓能力", "中国工人大思政课", "AI大模型", "UP主", "500万"]

    @Test(arguments: searchQueries)
    func search_findsExactlyTheArticlesContainingTheQuery(query: String) throws {
        let replica = try Self.seeded()
        var expected: Set<String> = []
        for article in try Self.articles(replica) {
            let text = removingWhitespace(Self.textFields.compactMap { article.string($0) }.joined(separator: "\n"))
            if text.contains(query), let id = article.string("id") { expected.insert(id) }
        }
        #expect(!expected.isEmpty, "the seed page should contain '\(query)'")

        let hits = try replica.array(["search", query, "--limit", "100"])
        #expect(Set(hits.compactMap { $0.string("id") }) == expected, "kb search \(query)")
        #expect(hits.count == expected.count, "one hit per article: \(hits)")
        for hit in hits {
            #expect(hit.string("title")?.isEmpty == false)
            #expect(hit["score"] is NSNumber)
            let snippet = try #require(hit.string("snippet"))
            #expect(snippet.contains("**"), "the snippet marks the hit: \(snippet)")
        }
        // Best first.
        let scores = hits.compactMap { ($0["score"] as? NSNumber)?.doubleValue }
        #expect(scores == scores.sorted(by: >))
    }

    @Test func search_snippetsMarkHitsWithStars_withoutATerminal() throws {
        let replica = try Self.seeded()
        let json = try replica.array(["search", "非遗"])
        #expect(json.first?.string("snippet")?.contains("**非遗**") == true, "\(json)")
        let human = try replica.ok(["search", "非遗"])
        #expect(human.stdout.contains("**非遗**"), "\(human)")
        #expect(!hasANSIEscape(human.stdout))
        let none = try replica.ok(["search", "没有这个词语的文章"])
        #expect(none.stdout.contains("No results"), "\(none)")
        #expect(try replica.array(["search", "没有这个词语的文章"]).isEmpty)
    }

    static let badQueries = ["\"市场", "工会 OR", "OR 工会", "(工会", "工会)", "工会 -", "tag:", "title:", "\"\""]

    @Test(arguments: badQueries)
    func search_syntaxError_exits64_withOneLineOnStderr(query: String) throws {
        let replica = try Self.seeded()
        let result = try replica.run(["search", query])
        #expect(result.exitCode == 64, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(result.stderrLines.count == 1, "one line on stderr:\n\(result)")
        #expect(result.stderr.hasPrefix("kb: "), "\(result)")
    }

    // MARK: - Show

    @Test func show_json_hasTheArticleFieldsAndMetadata() throws {
        let replica = try Self.seeded()
        let articles = try Self.articles(replica)
        #expect(articles.count == 9)
        for article in articles {
            for key in Self.textFields + [
                "id", "source", "source_id", "tags", "annotations", "created_at", "updated_at",
            ] {
                #expect(article[key] != nil, "kb show --json lacks '\(key)'")
            }
            #expect(article["tags"] is [Any])
            #expect(article["annotations"] is [Any])
            #expect(article.string("source")?.hasSuffix("seed_page.txt") == true)
            #expect(article.string("body")?.isEmpty == false)
        }
        // The page's first article, found by its text (ids are never hard-coded).
        let first = try #require(articles.first { $0.string("body")?.contains("文脉薪传匠心共融") == true })
        #expect(first.string("title") == "长三角三省一市共促职工文旅消费")
        #expect(first.string("byline")?.contains("记者陈华") == true)
        // Cleaning removed the spaces between CJK characters and digits.
        #expect(first.string("body")?.hasPrefix("4月21日") == true)
        // The body keeps paragraph breaks.
        #expect(first.string("body")?.contains("\n\n") == true)

        let human = try replica.ok(["show", try #require(first.string("id"))])
        #expect(human.stdout.contains("长三角三省一市共促职工文旅消费"))
        #expect(human.stdout.contains("id \(try #require(first.string("id")))"))
        #expect(!hasANSIEscape(human.stdout))
    }

    // MARK: - Add, edit, remove, tags, status

    @Test func add_edit_remove_tags_list_status() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("core", in: folder)
        try replica.ok(["init"])
        let fresh = try replica.status()
        #expect(fresh.int("articles") == 0)
        #expect(fresh.int("annotations") == 0)
        #expect(fresh.int("conflicts") == 0)
        #expect(fresh["last_sync"] is NSNull)

        // From stdin and from a file.
        let added = try replica.object(
            ["add", "--title", "读书笔记"], stdin: Data("第一段文字。\n\n第二段文字。\n".utf8))
        let id = try #require(added.string("id"))
        #expect(added.string("title") == "读书笔记")
        #expect(added.string("body") == "第一段文字。\n\n第二段文字。")
        #expect(added["annotations"] is [Any])
        let file = try folder.write("second.txt", "Plain English text for the second article.")
        let second = try replica.object(["add", "--title", "Second", file])
        let secondID = try #require(second.string("id"))
        #expect(second.string("body") == "Plain English text for the second article.")
        let human = try replica.ok(["add", "--title", "Third", "-"], stdin: Data("第三篇。".utf8))
        #expect(human.stdout.hasPrefix("Added "), "\(human)")
        #expect(try replica.articleIDs().count == 3)

        // Edit the title and the body.
        let body = try folder.write("body.txt", "改过的正文。")
        let edited = try replica.object(["edit", id, "--title", "新标题", "--body-file", body])
        #expect(edited.string("id") == id)
        #expect(edited.int("reanchored") == 0 && edited.int("fuzzy") == 0 && edited.int("orphaned") == 0)
        let shown = try replica.object(["show", id])
        #expect(shown.string("title") == "新标题")
        #expect(shown.string("body") == "改过的正文。")
        let noChange = try replica.run(["edit", id])
        #expect(noChange.exitCode == 64, "\(noChange)")
        #expect(noChange.hasOneSentenceError, "\(noChange)")

        // Tags.
        let tagged = try replica.object(["tag", id, "历史", "Reading/2025"])
        #expect(tagged.string("id") == id)
        #expect(Set(tagged["tags"] as? [String] ?? []) == ["历史", "Reading/2025"])
        try replica.ok(["tag", secondID, "历史"])
        #expect(Set(try replica.array(["list", "--tag", "历史"]).compactMap { $0.string("id") }) == [id, secondID])
        #expect(try replica.array(["list", "--tag", "reading/2025"]).compactMap { $0.string("id") } == [id])
        #expect(Set(try replica.object(["show", id])["tags"] as? [String] ?? []) == ["Reading/2025", "历史"])
        let untagged = try replica.object(["untag", id, "历史"])
        #expect(untagged["tags"] as? [String] == ["Reading/2025"])
        #expect(try replica.array(["list", "--tag", "历史"]).compactMap { $0.string("id") } == [secondID])
        let emptyTag = try replica.ok(["list", "--tag", "无此标签"])
        #expect(emptyTag.stdout.contains("No articles tagged"), "\(emptyTag)")
        #expect(try replica.array(["list", "--tag", "无此标签"]).isEmpty)
        #expect(try replica.array(["list", "--limit", "2"]).count == 2)

        // Remove.
        let removed = try replica.object(["rm", secondID])
        #expect(removed.string("id") == secondID)
        #expect(try !replica.articleIDs().contains(secondID))
        let gone = try replica.run(["show", secondID])
        #expect(gone.exitCode == 1, "\(gone)")
        #expect(gone.stderr.contains(secondID))

        let status = try replica.status()
        #expect(status.int("articles") == 2)
        #expect(status.int("annotations") == 0)
        #expect(status.int("conflicts") == 0)
        #expect(status.int("pending") ?? 0 > 0, "local changes are pending until a sync: \(status)")
        #expect(status.string("digest")?.count ?? 0 >= 16)
        #expect(status.int("gaps") == 0)
    }

    @Test func add_withoutText_orTitle_isRefused() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("core", in: folder)
        let empty = try replica.run(["add", "--title", "Empty"], stdin: Data())
        #expect(empty.exitCode != 0, "\(empty)")
        #expect(empty.hasOneSentenceError, "\(empty)")
        let noTitle = try replica.run(["add", "--title", "  "], stdin: Data("text".utf8))
        #expect(noTitle.exitCode != 0, "\(noTitle)")
        #expect(noTitle.hasOneSentenceError, "\(noTitle)")
        #expect(try replica.articleIDs().isEmpty)
    }

    // MARK: - Ids

    static let unknownID = "ffffffff"

    static let commandsWithAnArticleID: [[String]] = [
        ["show", unknownID], ["edit", unknownID, "--title", "x"], ["rm", unknownID], ["tag", unknownID, "x"],
        ["untag", unknownID, "x"], ["annotate", unknownID, "--note", "x"], ["notes", unknownID],
    ]

    @Test(arguments: commandsWithAnArticleID)
    func unknownID_exits1_withOneSentenceNamingIt(arguments: [String]) throws {
        let replica = try Self.seeded()
        let result = try replica.run(arguments)
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.hasOneSentenceError, "one sentence:\n\(result)")
        #expect(result.stderr.contains("'\(Self.unknownID)'"), "names the id:\n\(result)")
        #expect(result.stderr.hasSuffix(".\n"), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test func idPrefixes_fourCharactersWork_shortOrAmbiguousAreRefused() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("core", in: folder)
        // Enough small documents that two ids share their first four characters (ids are content hashes:
        // the documents are always the same, so this holds on every run).
        for index in 0..<1200 {
            try folder.write("docs/doc\(index).md", "# 文档 \(index)\n\n第\(index)号文档的正文。\n")
        }
        let imported = try replica.object(["import", folder.path("docs")])
        let ids = try #require(imported["articles"] as? [String])
        #expect(ids.count == 1200)
        let byPrefix = Dictionary(grouping: ids) { String($0.prefix(4)) }
        let (shared, sharing) = try #require(byPrefix.first { $0.value.count > 1 }, "no two ids share 4 characters")
        let unique = try #require(ids.first { byPrefix[String($0.prefix(4))]?.count == 1 })

        let shown = try replica.object(["show", String(unique.prefix(4))])
        #expect(shown.string("id") == unique)
        let upper = try replica.object(["show", String(unique.prefix(6)).uppercased()])
        #expect(upper.string("id") == unique)

        let ambiguous = try replica.run(["show", shared])
        #expect(ambiguous.exitCode == 1, "\(ambiguous)")
        let lines = ambiguous.stderrLines
        #expect(lines.first?.contains("'\(shared)'") == true, "\(ambiguous)")
        for id in sharing { #expect(ambiguous.stderr.contains(id), "lists the candidates:\n\(ambiguous)") }

        let short = try replica.run(["show", String(unique.prefix(3))])
        #expect(short.exitCode == 64, "\(short)")
        #expect(short.hasOneSentenceError, "\(short)")
        #expect(short.stderr.contains("too short"), "\(short)")
    }

    // MARK: - Bad files

    @Test func importBadFiles_eachOneClearLine_goodFilesImported() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("core", in: folder)
        let binary = try folder.write("photo.txt", Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00]))
        let latin1 = try folder.write("latin1.txt", Data([0x63, 0x61, 0x66, 0xE9, 0x20, 0x63, 0x72, 0xE8, 0x6D, 0x65]))
        let empty = try folder.write("empty.txt", Data())
        let missing = folder.path("missing.txt")
        let markdown = try folder.write("good.md", "# Good note\n\nA body with 中文 text.\n")
        let page = try TestPaths.fixture("seed_page.txt").path

        let result = try replica.run(["import", binary, latin1, markdown, empty, missing, page])
        #expect(result.exitCode == 1, "\(result)")
        let lines = result.stderrLines
        #expect(lines.count == 4, "one line per bad file:\n\(result)")
        for (path, word) in [(binary, "binary"), (latin1, "UTF-8"), (empty, "empty"), (missing, "does not exist")] {
            let line = lines.first { $0.contains("'\(path)'") }
            #expect(line?.contains(word) == true, "the line about \(path) says '\(word)':\n\(result)")
        }
        // The good files of the same call are in.
        let titles = try replica.array(["list"]).compactMap { $0.string("title") }
        #expect(titles.count == 10)
        #expect(titles.contains("Good note"))

        let json = try replica.run(["import", binary, latin1, empty, missing, "--json"])
        #expect(json.exitCode == 1)
        let report = try json.object()
        let failed = try #require(report["failed"] as? [[String: Any]])
        #expect(Set(failed.compactMap { $0.string("path") }) == [binary, latin1, empty, missing])
        #expect(failed.allSatisfy { $0.string("error")?.isEmpty == false })
        #expect(report.int("added") == 0)
        #expect(try replica.articleIDs().count == 10)
    }

    // MARK: - Terminal output

    static let humanCommands: [[String]] = [
        ["list"], ["search", "工会"], ["status"], ["notes"], ["conflicts"], ["list", "--tag", "none"],
    ]

    @Test func humanOutput_withoutATerminal_orWithNoColor_hasNoEscapes() throws {
        let replica = try Self.seeded()
        let id = try #require(try replica.articleIDs().first)
        try replica.ok(["annotate", id, "--range", "0:4", "--note", "a note"])
        for arguments in Self.humanCommands + [["show", id]] {
            for environment in [[:], ["NO_COLOR": "1"]] {
                let result = try replica.run(arguments, environment: environment)
                #expect(result.succeeded, "\(result)")
                #expect(!hasANSIEscape(result.stdout), "escapes in the output of \(arguments):\n\(result)")
                #expect(!hasANSIEscape(result.stderr))
            }
        }
        // An error with no terminal either.
        let failure = try replica.run(["show", "ffffffff"])
        #expect(!hasANSIEscape(failure.stderr))
    }

    #if os(Linux)
    /// On a terminal (a pseudo-terminal made by `script`), colors are on unless NO_COLOR is set.
    @Test func humanOutput_onATerminal_hasColorsUnlessNoColor() throws {
        let replica = try Self.seeded()
        let script = URL(fileURLWithPath: "/usr/bin/script")
        try #require(
            FileManager.default.isExecutableFile(atPath: script.path),
            "util-linux 'script' is needed to give kb a terminal")
        let kb = try TestPaths.kb().path
        func onTerminal(_ environment: [String: String]) throws -> ProcessResult {
            let child = try ChildProcess(
                script, ["-qec", "\(kb) search 非遗", "/dev/null"],
                environment: KBRunner.environment(environment.merging(["KB_DB": replica.dbPath]) { $1 }))
            return child.finish(timeout: 60)
        }
        let colored = try onTerminal([:])
        #expect(colored.succeeded, "\(colored)")
        #expect(hasANSIEscape(colored.stdout), "a terminal gets colors:\n\(colored)")
        let plain = try onTerminal(["NO_COLOR": "1"])
        #expect(plain.succeeded, "\(plain)")
        #expect(!hasANSIEscape(plain.stdout), "NO_COLOR turns colors off:\n\(plain)")
        #expect(plain.stdout.contains("**非遗**"))
    }
    #endif
}
