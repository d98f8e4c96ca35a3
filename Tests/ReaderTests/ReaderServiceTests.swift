import Foundation
import KB
import KBTestSupport
import Sync
import Testing

@testable import Reader

@Suite struct ReaderSecurityTests {
    @Test func everyRequest_needsTheSecret() async throws {
        let fixture = try ReaderFixture()
        #expect(await fixture.request("GET", "/api/library").status == 200)
        let missing = await fixture.request("GET", "/api/library", headers: ["cookie": ""])
        #expect(missing.status == 403)
        #expect(missing.text.contains("secret"))
        let wrong = await fixture.request(
            "GET", "/", headers: ["cookie": "\(fixture.service.cookieName)=\(String(repeating: "0", count: 64))"])
        #expect(wrong.status == 403)
        let otherPort = await fixture.request("GET", "/", headers: ["cookie": "kb_reader_1=\(fixture.service.secret)"])
        #expect(otherPort.status == 403, "the cookie of another reader's port is not this one's")
        #expect(await fixture.request("GET", "/assets/app.js", headers: ["cookie": ""]).status == 403)
    }

    @Test func theSecretInTheURL_becomesAStrictHttpOnlyCookie_andLeavesTheAddress() async throws {
        let fixture = try ReaderFixture()
        let answer = await fixture.request(
            "GET", "/read/abcd", query: ["key": fixture.service.secret, "annotation": "12ab"], headers: ["cookie": ""])
        #expect(answer.status == 303)
        #expect(answer.header("Location") == "/read/abcd?annotation=12ab")
        let cookie = try #require(answer.header("Set-Cookie"))
        #expect(cookie.hasPrefix("\(fixture.service.cookieName)=\(fixture.service.secret);"))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        let wrong = await fixture.request("GET", "/", query: ["key": "nope"], headers: ["cookie": ""])
        #expect(wrong.status == 403)
    }

    @Test(arguments: ["attacker.example:43210", "127.0.0.1:1", "localhost", "127.0.0.2:43210", ""])
    func aForeignHost_isRefused_evenWithTheSecret(host: String) async throws {
        let fixture = try ReaderFixture()
        let answer = await fixture.request("GET", "/api/library", headers: ["host": host])
        #expect(answer.status == 403)
        #expect(answer.text.contains("Host"))
    }

    @Test func crossOriginWrites_areRefused_andChangeNothing() async throws {
        let fixture = try ReaderFixture()
        let article = try fixture.kb.addArticle(title: "标题", body: "第一段文字。")
        let json = #"{"start":0,"end":2,"quote":"第一"}"#
        let path = "/api/articles/\(article.id)/annotations"
        let foreign = await fixture.request(
            "POST", path, json: json, headers: ["origin": "http://attacker.example", "sec-fetch-site": ""])
        #expect(foreign.status == 403)
        let crossSite = await fixture.request(
            "POST", path, json: json, headers: ["origin": "", "sec-fetch-site": "cross-site"])
        #expect(crossSite.status == 403)
        let sameSite = await fixture.request("POST", path, json: json, headers: ["sec-fetch-site": "same-site"])
        #expect(sameSite.status == 403)
        let bare = await fixture.request("POST", path, json: json, headers: ["origin": "", "sec-fetch-site": ""])
        #expect(bare.status == 403, "a write with neither Origin nor the secret header is refused")
        let form = await fixture.request(
            "POST", path, json: json, headers: ["content-type": "application/x-www-form-urlencoded"])
        #expect(form.status == 415)
        let noSecret = await fixture.request("POST", path, json: json, headers: ["cookie": ""])
        #expect(noSecret.status == 403)
        #expect(try fixture.kb.notes().isEmpty)
        let scripted = await fixture.request(
            "POST", path, json: json,
            headers: ["origin": "", "sec-fetch-site": "", "cookie": "", "x-kb-secret": fixture.service.secret])
        #expect(scripted.status == 201, "a client sending the secret in its header may write")
        #expect(try fixture.kb.notes().count == 1)
    }

    @Test func writes_byGET_areRefused() async throws {
        let fixture = try ReaderFixture()
        let article = try fixture.kb.addArticle(title: "标题", body: "第一段文字。")
        let made = try fixture.kb.annotate(article.id, target: .range(0, 2))
        let create = await fixture.request("GET", "/api/articles/\(article.id)/annotations", query: ["start": "0"])
        #expect(create.status == 405)
        #expect(create.header("Allow") == "POST")
        #expect(await fixture.request("GET", "/api/annotations/\(made.id)").status == 405)
        #expect(await fixture.request("GET", "/api/conflicts/abcd/resolve").status == 405)
        #expect(await fixture.request("PATCH", "/api/annotations/\(made.id)").status == 405)
        #expect(try fixture.kb.notes().count == 1)
    }

    @Test func everyAnswer_carriesAStrictContentSecurityPolicy() async throws {
        let fixture = try ReaderFixture()
        for path in ["/", "/notes", "/conflicts", "/assets/app.js", "/api/library"] {
            let answer = await fixture.request("GET", path)
            #expect(answer.status == 200, "\(path)")
            let policy = try #require(answer.header("Content-Security-Policy"))
            #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"))
            #expect(!policy.contains("unsafe") && !policy.contains("http:") && !policy.contains("https:"))
            #expect(answer.header("Referrer-Policy") == "no-referrer")
        }
        let page = await fixture.request("GET", "/")
        #expect(!page.text.contains("<script>") && !page.text.contains("style=\""), "no inline script or style")
        #expect(!page.text.contains("http://") && !page.text.contains("https://"), "nothing loaded from elsewhere")
    }
}

@Suite struct ReaderContractTests {
    /// 𠮷 (beyond the BMP) and an emoji before the passage, full-width letters, a paragraph break inside it.
    static let body = "𠮷野家😀ＡＢＣ开头。\n\n要标注的文字在这里，\n\n跨过段落。"

    @Test func theReaderPage_marksParagraphsWithTheirCodePointOffsets() async throws {
        let fixture = try ReaderFixture()
        let article = try fixture.kb.addArticle(title: "题<目>", body: Self.body)
        let page = await fixture.request("GET", "/read/\(article.id.prefix(8))")
        #expect(page.status == 200)
        let html = page.text
        #expect(html.contains("data-kb-body"))
        #expect(html.contains("题&lt;目&gt;"))
        let points = Array(article.body.unicodeScalars)
        var starts: [Int] = []
        for (index, scalar) in points.enumerated() where scalar != "\n" && (index == 0 || points[index - 1] == "\n") {
            starts.append(index)
        }
        #expect(starts == [0, 12, 24])
        for start in starts { #expect(html.contains("<p data-start=\"\(start)\">")) }
        #expect(html.contains("<p data-start=\"12\">要标注的文字在这里，</p>"))
    }

    @Test func creatingAHighlight_checksTheQuoteAgainstTheCodePointSlice() async throws {
        let fixture = try ReaderFixture()
        let article = try fixture.kb.addArticle(title: "题目", body: Self.body)
        let path = "/api/articles/\(article.id)/annotations"
        // 要标注的文字在这里，\n\n跨过 is code points 12..<26 (UTF-16 would say 14..<28).
        let quote = "要标注的文字在这里，\\n\\n跨过"
        let utf16 = await fixture.request(
            "POST", path, json: #"{"start":14,"end":28,"quote":"\#(quote)","color":"green"}"#)
        #expect(utf16.status == 409)
        #expect(utf16.text.contains("reload"))
        #expect(try fixture.kb.notes().isEmpty)
        let made = await fixture.request(
            "POST", path, json: #"{"start":12,"end":26,"quote":"\#(quote)","color":"green"}"#)
        #expect(made.status == 201)
        let object = try fixture.object(made)
        #expect(object["start"] as? Int == 12 && object["end"] as? Int == 26)
        let stored = try #require(try fixture.kb.notes().first)
        #expect(stored.quote == "要标注的文字在这里，\n\n跨过")
        #expect(stored.start == 12 && stored.end == 26 && stored.color == "green")
        let outside = await fixture.request("POST", path, json: #"{"start":20,"end":99,"quote":"x"}"#)
        #expect(outside.status == 409)
        let badColor = await fixture.request("POST", path, json: #"{"start":0,"end":1,"quote":"𠮷","color":"red"}"#)
        #expect(badColor.status == 400)
        #expect(try fixture.kb.notes().count == 1)
    }

    @Test func editingAndDeleting_throughTheAPI() async throws {
        let fixture = try ReaderFixture()
        let article = try fixture.kb.addArticle(title: "题目", body: Self.body)
        let made = try fixture.kb.annotate(article.id, target: .range(0, 3), tags: ["旧"])
        let edited = await fixture.request(
            "PUT", "/api/annotations/\(made.id)", json: ##"{"note":"**新**\n第二行","tags":["新标签"],"color":"#A1C2E3"}"##)
        #expect(edited.status == 200)
        let stored = try #require(try fixture.kb.notes().first)
        #expect(stored.note == "**新**\n第二行")
        #expect(stored.tags == ["新标签"])
        #expect(stored.color == "#a1c2e3")
        let page = await fixture.request("GET", "/api/articles/\(article.id)")
        let annotations = try #require(try fixture.object(page)["annotations"] as? [[String: Any]])
        #expect(annotations.first?["css"] as? String == "#a1c2e3")
        let deleted = await fixture.request("DELETE", "/api/annotations/\(made.id)")
        #expect(deleted.status == 200)
        #expect(try fixture.kb.notes().isEmpty)
        #expect(await fixture.request("DELETE", "/api/annotations/\(made.id)").status == 404)
    }

    @Test func library_search_notes_andFacets() async throws {
        let fixture = try ReaderFixture()
        let first = try fixture.kb.addArticle(title: "非遗技艺", body: "非遗技艺交流活动在这里举行。")
        _ = try fixture.kb.addArticle(title: "工会", body: "工会的新闻。")
        _ = try fixture.kb.annotate(first.id, target: .range(0, 2), note: "好", tags: ["文化"])
        _ = try fixture.kb.tag(first.id, ["专题"])
        let library = try fixture.object(await fixture.request("GET", "/api/library"))
        #expect(library["total"] as? Int == 2)
        let items = try #require(library["items"] as? [[String: Any]])
        #expect(items.first { $0["id"] as? String == first.id }?["notes"] as? Int == 1)
        let tagged = try fixture.object(await fixture.request("GET", "/api/library", query: ["tag": "专题"]))
        #expect(tagged["total"] as? Int == 1)
        let search = try fixture.object(await fixture.request("GET", "/api/search", query: ["q": "交流"]))
        let hits = try #require(search["hits"] as? [[String: Any]])
        #expect(hits.first?["id"] as? String == first.id)
        let snippet = try #require(hits.first?["snippet_html"] as? String)
        #expect(snippet.contains("<mark>") && snippet.contains("交流"))
        let unfinished = try fixture.object(await fixture.request("GET", "/api/search", query: ["q": "\"交流"]))
        #expect(unfinished["hits"] as? [Any] != nil)
        let notes = try fixture.object(await fixture.request("GET", "/api/notes", query: ["tag": "文化"]))
        #expect(notes["total"] as? Int == 1)
        let orphaned = try fixture.object(await fixture.request("GET", "/api/notes", query: ["state": "orphaned"]))
        #expect(orphaned["total"] as? Int == 0)
        #expect(await fixture.request("GET", "/api/notes", query: ["state": "lost"]).status == 400)
        let facets = try fixture.object(await fixture.request("GET", "/api/facets"))
        #expect((facets["annotation_tags"] as? [[String: Any]])?.first?["tag"] as? String == "文化")
    }

    @Test func library_andFacets_countOnlyLiveArticles_perSourcePage() async throws {
        let fixture = try ReaderFixture()
        _ = try fixture.kb.importFiles([Repository.seedPageURL.path])
        let all = try fixture.kb.listArticles()
        try #require(all.count >= 2)
        func sources() async throws -> [[String: Any]] {
            try #require(try fixture.object(await fixture.request("GET", "/api/facets"))["sources"] as? [[String: Any]])
        }
        let before = try await sources()
        #expect(before.count == 1)
        #expect(before.first?["articles"] as? Int == all.count)
        let sourceID = try #require(before.first?["id"] as? String)
        _ = try fixture.kb.trashArticle(all[0].id)
        let library = try fixture.object(await fixture.request("GET", "/api/library"))
        #expect(library["total"] as? Int == all.count - 1)
        #expect((library["items"] as? [[String: Any]])?.contains { $0["id"] as? String == all[0].id } == false)
        let bySource = try fixture.object(await fixture.request("GET", "/api/library", query: ["source": sourceID]))
        #expect(bySource["total"] as? Int == all.count - 1)
        #expect(try await sources().first?["articles"] as? Int == all.count - 1)
        // Every article of the page in the trash: the page leaves the facets.
        for article in all.dropFirst() { _ = try fixture.kb.trashArticle(article.id) }
        #expect(try await sources().isEmpty)
        #expect(try fixture.object(await fixture.request("GET", "/api/library"))["total"] as? Int == 0)
    }

    @Test func theEmbeddedAssets_areTheFilesInTheRepository() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Reader/Assets")
        let css = try String(contentsOf: folder.appendingPathComponent("app.css"), encoding: .utf8)
        let javascript = try String(contentsOf: folder.appendingPathComponent("app.js"), encoding: .utf8)
        #expect(ReaderAssets.css == css, "run scripts/embed-reader-assets.py after editing Sources/Reader/Assets")
        #expect(ReaderAssets.javascript == javascript, "run scripts/embed-reader-assets.py")
    }
}

@Suite struct ReaderRuntimeTests {
    @Test func aRuntimeFile_ofAProcessThatIsGone_isIgnored() throws {
        let fixture = try ReaderFixture()
        let database = fixture.kb.database.path
        #expect(ReaderRuntime.running(database: database) == nil)
        // A process that has exited: its id names no reader.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        let gone = ReaderRuntime(pid: process.processIdentifier, url: "http://127.0.0.1:1/?key=x", startedAt: 0)
        try gone.write(database: database)
        let attributes = try FileManager.default.attributesOfItem(atPath: ReaderRuntime.path(forDatabase: database))
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "the URL holds the secret")
        #expect(ReaderRuntime.running(database: database) == nil)
        #expect(gone.url(article: "abcd") == "http://127.0.0.1:1/read/abcd?key=x")
        ReaderRuntime.remove(database: database, pid: process.processIdentifier)
        #expect(!FileManager.default.fileExists(atPath: ReaderRuntime.path(forDatabase: database)))
    }

    @Test func aRefusedPage_isAPageThatSaysWhy_theAPIStaysJSON() async throws {
        let fixture = try ReaderFixture()
        let unknown = await fixture.request("GET", "/read/ffff0000")
        #expect(unknown.status == 404)
        #expect(unknown.header("Content-Type") == "text/html; charset=utf-8")
        #expect(unknown.text.contains("ffff0000") && unknown.text.contains("href=\"/\""), "\(unknown.text)")
        let noSecret = await fixture.request("GET", "/", headers: ["cookie": ""])
        #expect(noSecret.status == 403)
        #expect(noSecret.header("Content-Type") == "text/html; charset=utf-8")
        #expect(noSecret.text.contains("open the URL that &#39;kb open&#39; printed"), "\(noSecret.text)")
        let nowhere = await fixture.request("GET", "/nowhere/<script>")
        #expect(nowhere.status == 404)
        #expect(!nowhere.text.contains("<script>") && nowhere.text.contains("&lt;script&gt;"))
        let api = await fixture.request("GET", "/api/articles/ffff0000")
        #expect(api.status == 404)
        #expect(api.header("Content-Type") == "application/json; charset=utf-8")
        #expect((try fixture.object(api)["error"] as? String)?.contains("ffff0000") == true)
        let post = await fixture.request("POST", "/read/ffff0000")
        #expect(post.status == 405)
        #expect(post.header("Content-Type") == "application/json; charset=utf-8")
    }

    @Test func conflictsAndSync_withoutARemote() async throws {
        let fixture = try ReaderFixture()
        let conflicts = await fixture.request("GET", "/api/conflicts")
        #expect(conflicts.status == 200 && conflicts.text.hasPrefix("["))
        let remotes = try fixture.object(await fixture.request("GET", "/api/sync"))
        #expect((remotes["remotes"] as? [String]) == [])
        let sync = await fixture.request("POST", "/api/sync")
        #expect(sync.status == 409)
        #expect(sync.text.contains("kb remote add"))
        let resolve = await fixture.request("POST", "/api/conflicts/abcd/resolve", json: #"{"keep":"sideways"}"#)
        #expect(resolve.status == 400)
    }

    @Test func sync_runsInTheBackground_reportsEachStep_andOneSentenceWhenTheHubIsAway() async throws {
        let fixture = try ReaderFixture()
        // A port where nothing listens: the real transport (libcurl, with its retries) is refused.
        let closed = try Self.closedPort()
        _ = try RemoteStore.add(
            fixture.kb, name: "origin", url: "http://127.0.0.1:\(closed)/notes", token: "secret-token")
        let started = await fixture.request("POST", "/api/sync")
        #expect(started.status == 202, "\(started.text)")
        #expect((try fixture.object(started)["running"] as? Bool) == true)
        // A second press while it runs starts nothing new.
        let again = await fixture.request("POST", "/api/sync")
        #expect(again.status == 202)
        var state: [String: Any] = [:]
        // The sync itself ends within seconds (three retries, 1.4 s of waits), but it runs on the
        // cooperative threads, which the other suites of a full test run keep busy for long stretches.
        let deadline = Date().addingTimeInterval(300)
        repeat {
            try await Task.sleep(for: .milliseconds(50))
            state = try fixture.object(await fixture.request("GET", "/api/sync"))
        } while state["running"] as? Bool == true && Date() < deadline
        #expect(state["running"] as? Bool == false)
        #expect((state["remotes"] as? [String]) == ["origin"])
        let steps = try #require(state["steps"] as? [String])
        #expect(steps.first == "origin: connecting", "\(steps)")
        #expect(steps.filter { $0 == "origin: connecting" }.count == 1, "one sync ran: \(steps)")
        let result = try #require(state["result"] as? [String: Any])
        #expect(result["ok"] as? Bool == false)
        #expect((result["failed"] as? [String]) == ["origin"])
        let message = try #require(result["message"] as? String)
        #expect(message.hasPrefix("The sync failed. origin: "), "\(message)")
        #expect(steps.last.map { message.hasSuffix($0.dropFirst("origin: ".count)) } == true, "\(steps) / \(message)")
        #expect(state["step"] as? String == message)
    }

    /// A loopback port where nothing listens (bound, then closed).
    static func closedPort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socket >= 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
