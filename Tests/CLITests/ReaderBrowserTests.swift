import Foundation
import Testing

/// `kb open` in a real browser: Debian's chromium, chromedriver and python3-selenium (installed by
/// `make deps`) drive Tests/Browser/reader_test.py against the real `kb open` process.
@Suite(.serialized) struct ReaderBrowserTests {
    /// An article whose passage follows 𠮷 and an emoji and crosses a paragraph break.
    static let fixtureBody = """
        开头有𠮷字和表情😀，还有全角ＡＢＣ与Latin混排。然后是要标注的段落的前半部分，它在这里继续。

        这是第二段的开头，标注在这里结束。后面还有一些文字，用来检验重新定位。
        """

    /// The passage: from 要标注 in the first paragraph to 结束 in the second, as code points.
    static var passage: (Int, Int) {
        let points = Array(fixtureBody.unicodeScalars)
        let text = points.map(String.init)
        func find(_ needle: String) -> Int {
            let wanted = Array(needle.unicodeScalars).map(String.init)
            for start in 0...(text.count - wanted.count) where Array(text[start..<start + wanted.count]) == wanted {
                return start
            }
            return -1
        }
        return (find("要标注"), find("结束") + 2)
    }

    /// Starts `kb open --no-browser` and returns the process and the URL it printed first.
    static func open(_ replica: Replica, _ arguments: [String] = []) throws -> (ChildProcess, String) {
        let child = try replica.start(["open", "--no-browser"] + arguments)
        let line = child.stdout.wait(until: Date().addingTimeInterval(60)) { text in
            text.firstIndex(of: "\n").map { String(text[..<$0]) }
        }
        let url = try #require(line, "kb open printed no URL:\n\(child.stderr.text)")
        return (child, url)
    }

    @Test func reader_highlightNoteReloadEditDelete_inChromium() throws {
        let python = URL(fileURLWithPath: "/usr/bin/python3")
        for needed in ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/python3"] {
            try #require(
                FileManager.default.isExecutableFile(atPath: needed),
                "'\(needed)' is missing; 'make deps' installs chromium, chromium-driver and python3-selenium.")
        }
        let folder = try TemporaryFolder("kb-reader")
        let replica = Replica("reader", in: folder)
        try replica.ok(["import", try TestPaths.fixture("seed_page.txt").path])
        let added = try replica.object(["add", "--title", "𠮷字测试 😀"], stdin: Data(Self.fixtureBody.utf8))
        let article = try #require(added["id"] as? String)
        let (server, url) = try Self.open(replica)
        defer { server.signal(SIGTERM) }
        #expect(url.hasPrefix("http://127.0.0.1:") && url.contains("?key="))

        // A second `kb open` on the same file reuses the running reader.
        let second = try replica.run(["open", "--no-browser"])
        #expect(second.succeeded)
        #expect(second.stdout.trimmingCharacters(in: .newlines) == url)
        #expect(second.stderr.contains("already runs"))

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Browser/reader_test.py")
        let screenshot = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kb-reader-\(ProcessInfo.processInfo.processIdentifier).png"
        ).path
        let (start, end) = Self.passage
        let run = try ChildProcess(
            python,
            [
                script.path, "--url", url, "--kb", try TestPaths.kb().path, "--db", replica.dbPath, "--article",
                article,
                "--passage", String(start), String(end), "--screenshot", screenshot,
            ], environment: KBRunner.environment()
        ).finish(timeout: 300)
        print(run.stdout)
        #expect(run.succeeded, "the browser scenario failed:\n\(run)")
        #expect(run.stdout.contains("PASS"))
        let png = try #require(FileManager.default.contents(atPath: screenshot), "no screenshot at \(screenshot)")
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        print("reader screenshot: \(screenshot)")

        server.signal(SIGTERM)
        #expect(server.waitForExit(timeout: 30))
        #expect(!FileManager.default.fileExists(atPath: replica.dbPath + ".reader"), "the runtime file is removed")
    }

    /// The browser scripts beside this suite (Tests/Browser).
    static func browserScript(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Browser/\(name)").path
    }

    static func requireBrowser() throws {
        for needed in ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/python3"] {
            try #require(
                FileManager.default.isExecutableFile(atPath: needed),
                "'\(needed)' is missing; 'make deps' installs chromium, chromium-driver and python3-selenium.")
        }
    }

    /// Runs Tests/Browser/sync_test.py on a running reader: the lines it printed with each prefix.
    static func clickSync(_ url: String, expectFailure: Bool = false) throws -> (
        run: ProcessResult, steps: [String], result: String
    ) {
        let run = try ChildProcess(
            URL(fileURLWithPath: "/usr/bin/python3"),
            [browserScript("sync_test.py"), "--url", url] + (expectFailure ? ["--expect-failure"] : []),
            environment: KBRunner.environment()
        ).finish(timeout: 300)
        print(run.stdout)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let steps = lines.filter { $0.hasPrefix("step: ") }.map { String($0.dropFirst(6)) }
        let result = lines.last { $0.hasPrefix("result: ") }.map { String($0.dropFirst(8)) } ?? ""
        return (run, steps, result)
    }

    @Test func conflictsPage_syncButton_showsEachStep_andTheResult() throws {
        try Self.requireBrowser()
        let world = try SyncWorld(replicas: 2)
        let (first, second) = (world[0], world[1])
        try first.ok(["import", try TestPaths.fixture("seed_page.txt").path])
        let pushedByFirst = try #require(try world.sync(first)["pushed"] as? Int)
        #expect(pushedByFirst > 0)
        let added = try second.object(["add", "--title", "同步测试"], stdin: Data("本机写的一段文字，等待推送。".utf8))
        let article = try #require(added["id"] as? String)
        try second.ok(["annotate", article, "--quote", "本机写的", "--note", "推送"])
        let pending = try #require(try second.status()["pending"] as? Int)
        #expect(pending >= 2)

        let (server, url) = try Self.open(second)
        defer { server.signal(SIGTERM) }
        let synced = try Self.clickSync(url)
        #expect(
            synced.run.succeeded,
            "the sync in the browser failed:\n\(synced.run)\nhub log:\n\(world.hub.logs.suffix(2000))")
        // Step by step: connecting, every change pushed, the pulled page applied, pulled to the head.
        #expect(synced.steps.first == "origin: connecting")
        #expect(synced.steps.contains("origin: pushing \(pending)/\(pending)"), "steps: \(synced.steps)")
        #expect(synced.steps.contains("origin: applying \(pushedByFirst) changes"), "steps: \(synced.steps)")
        let pulls = synced.steps.filter { $0.hasPrefix("origin: pulling ") }
        let last = try #require(pulls.last, "no pulling step in \(synced.steps)").dropFirst("origin: pulling ".count)
            .split(separator: "/")
        #expect(last.count == 2 && last[0] == last[1], "the last pull reaches the hub's head: \(pulls)")
        #expect(synced.steps.last == "origin: pushed \(pending), pulled \(pushedByFirst)")
        #expect(
            synced.result == "Synced: pushed \(pending), pulled \(pushedByFirst) changes; no open conflicts.",
            "result: \(synced.result)")
        // The CLI sees what the reader pulled, and the hub has what it pushed.
        #expect(Set(try second.articleIDs()).isSuperset(of: try first.articleIDs()))
        #expect((try second.status()["pending"] as? Int) == 0)
        try world.sync(first)
        #expect(try first.articleIDs().contains(article))

        // The hub is gone: the page says so in one sentence per remote.
        _ = world.hub.stop()
        let failed = try Self.clickSync(url, expectFailure: true)
        #expect(failed.run.succeeded, "\(failed.run)")
        #expect(failed.result.hasPrefix("The sync failed. origin: "), "result: \(failed.result)")
        #expect(failed.steps.first == "origin: connecting")
    }

    @Test func open_withoutAKnowledgeBase_saysSo_andStartsNothing() throws {
        let folder = try TemporaryFolder("kb-reader")
        let result = try KBRunner.run(["open", "--no-browser", "--db", folder.path("none.sqlite")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("No knowledge base at"))
        #expect(!FileManager.default.fileExists(atPath: folder.path("none.sqlite")))
    }

    @Test func open_unknownArticle_failsWithOneSentence() throws {
        let folder = try TemporaryFolder("kb-reader")
        let replica = Replica("reader", in: folder)
        try replica.ok(["import", try TestPaths.fixture("seed_page.txt").path])
        let result = try replica.run(["open", "--no-browser", "ffff0000"])
        #expect(!result.succeeded)
        #expect(result.stderr.contains("ffff0000"))
        #expect(!FileManager.default.fileExists(atPath: replica.dbPath + ".reader"))
    }
}
