import Foundation
import Testing

/// What the real `kb` does with a damaged, full or read-only knowledge base file, `kb check` and its
/// repair, and Markdown exports that stay inside `--out`.
@Suite("Storage failures, check and export confinement")
struct StorageFailureTests {
    /// A knowledge base with the seed page imported, in its own folder.
    static func seeded(in folder: TemporaryFolder? = nil) throws -> Replica {
        let replica = Replica("store", in: try folder ?? TemporaryFolder())
        try replica.ok(["import", try TestPaths.fixture("seed_page.txt").path])
        return replica
    }

    /// Folds the WAL into the file and gives the page size and the first page of a table or index.
    static func page(of name: String, in path: String) throws -> (size: Int, page: Int) {
        let script = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            size = c.execute("PRAGMA page_size").fetchone()[0]
            root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (sys.argv[2],)).fetchone()[0]
            print(size, root)
            """
        let result = try SystemTool.run(try TestPaths.python3().path, ["-c", script, path, name])
        try #require(result.succeeded, "\(result)")
        let numbers = result.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        try #require(numbers.count == 2, "\(result)")
        return (numbers[0], numbers[1])
    }

    /// Overwrites one page of a real knowledge base file with garbage, as a bad sector or a stray write would.
    static func corrupt(page: Int, size: Int, of path: String) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64((page - 1) * size))
        try handle.write(contentsOf: Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 0xA5) }))
        try handle.synchronize()
    }

    /// True when stderr is one sentence and shows nothing of SQLite's SQL.
    static func expectOneSentence(_ result: ProcessResult, mentioning words: [String], _ note: String = "") {
        #expect(result.exitCode == 1, "\(note)\n\(result)")
        #expect(result.hasOneSentenceError, "\(note)\n\(result)")
        for word in words { #expect(result.stderr.contains(word), "'\(word)' in \(note)\n\(result)") }
        for sql in ["SELECT", "INSERT", "UPDATE", "SQLite error", "DatabaseError"] {
            #expect(!result.stderr.contains(sql), "no SQL in \(note)\n\(result)")
        }
    }

    // MARK: - kb check

    @Test func check_soundKnowledgeBase_printsOk_exit0_andJSON() throws {
        let replica = try Self.seeded()
        let id = try #require(try replica.articleIDs().first)
        try replica.ok(["annotate", id, "--range", "0:2", "--note", "非遗😀𠮷", "--tag", "ＡＩ"])
        try replica.ok(["tag", id, "非遗"])
        let text = try replica.ok(["check"])
        #expect(text.stdout == "ok\n")
        #expect(try replica.ok(["check", "--repair"]).stdout == "ok\n", "nothing to repair: the file stays")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: replica.folder.path).filter {
                $0.contains("damaged")
            }.isEmpty)
        let json = try replica.object(["check"])
        #expect(json["ok"] as? Bool == true)
        #expect((json["problems"] as? [Any])?.isEmpty == true)
        let missing = try replica.run(["check", "--db", replica.folder.path("typo/kb.sqlite")])
        Self.expectOneSentence(missing, mentioning: ["typo/kb.sqlite"])
        #expect(!FileManager.default.fileExists(atPath: replica.folder.path("typo")))
    }

    @Test func check_historyThatNoLongerGivesTheRecord_isReported() throws {
        let replica = try Self.seeded()
        let id = try #require(try replica.articleIDs().first)
        // A field changed behind kb's back: the record no longer follows from its changes.
        let script = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            c.execute("UPDATE articles SET position = 99 WHERE id = ?", (sys.argv[2],))
            c.commit()
            """
        let result = try SystemTool.run(try TestPaths.python3().path, ["-c", script, replica.dbPath, id])
        try #require(result.succeeded, "\(result)")
        let check = try replica.run(["check", "--json"])
        #expect(check.exitCode == 1, "\(check)")
        let problems = try #require(check.parsedObject?["problems"] as? [[String: Any]], "\(check)")
        #expect(problems.contains { $0.string("check") == "history" && $0.string("detail")?.contains(id) == true })
        #expect(check.parsedObject?["ok"] as? Bool == false)
    }

    @Test func check_afterEditsOfEveryKind_andASyncWithConflicts_isOkOnEveryReplica() throws {
        // Given two replicas that edit the same records offline, then sync through a real hub
        let world = try SyncWorld(replicas: 2)
        let (r1, r2) = (world[0], world[1])
        try r1.ok(["import", try TestPaths.fixture("seed_page.txt").path])
        try world.converge()
        let ids = try r1.articleIDs()
        let note = try #require(try r1.object(["annotate", ids[0], "--range", "0:2", "--note", "一号机😀"]).string("id"))
        try r1.ok(["tag", ids[0], "非遗", "ＡＩ"])
        try world.converge()
        try r1.ok(["edit", ids[0], "--title", "一号机的标题 𠮷"])
        try r2.ok(["edit", ids[0], "--title", "二号机的标题"])
        try r1.ok(["rm", ids[1]])
        try r2.ok(["edit", ids[1], "--title", "删除时在改"])
        try r2.ok(["annotation", "edit", note, "--note", "二号机改了笔记"])
        try r1.ok(["untag", ids[0], "ＡＩ"])
        try r2.ok(["annotate", ids[2], "--range", "1:3", "--tag", "重点"])
        try world.converge()
        #expect(try !r1.conflictIDs().isEmpty, "the concurrent titles are a conflict")

        // Then the history accounts for every record on both replicas
        for replica in world.replicas {
            let check = try replica.run(["check"])
            #expect(check.succeeded && check.stdout == "ok\n", "\(replica.name):\n\(check)")
        }
        try r2.ok(["resolve", try #require(try r2.conflictIDs().first), "--keep", "theirs"])
        try world.converge()
        for replica in world.replicas {
            #expect(try replica.ok(["check"]).stdout == "ok\n")
        }
    }

    // MARK: - A damaged file

    @Test func corruptPage_oneSentence_writesRefused_untilRepair_thenAllBack() throws {
        // Given a real knowledge base whose search index has a page of garbage
        let replica = try Self.seeded()
        let ids = try replica.articleIDs()
        let before = try replica.array(["search", "非遗"]).count
        #expect(before > 0)
        let (size, page) = try Self.page(of: "articles_fts_data", in: replica.dbPath)
        try Self.corrupt(page: page, size: size, of: replica.dbPath)

        // When a command reads the damaged page
        let search = try replica.run(["search", "非遗"])
        Self.expectOneSentence(search, mentioning: ["damaged", "kb check"], "search")

        // Then writing commands refuse, and change nothing, although what they write is elsewhere
        let modified = try FileManager.default.attributesOfItem(atPath: replica.dbPath)[.modificationDate] as? Date
        let annotate = try replica.run(["annotate", ids[0], "--range", "0:1", "--note", "不该写入"])
        Self.expectOneSentence(annotate, mentioning: ["damaged", "kb check --repair", "--allow-damaged"], "annotate")
        let other = try replica.folder.write("other.txt", "本报讯 另一篇文章的正文，讲非遗技艺交流活动。\n")
        let importing = try replica.run(["import", other])
        #expect(importing.exitCode == 1, "\(importing)")
        #expect(importing.stderr.contains("damaged") || importing.stdout.contains("damaged"), "\(importing)")
        #expect(try replica.array(["notes"]).isEmpty)
        #expect(try replica.articleIDs() == ids, "reading still works")
        #expect(
            try FileManager.default.attributesOfItem(atPath: replica.dbPath)[.modificationDate] as? Date == modified)

        // And kb check says what is wrong
        let check = try replica.run(["check"])
        #expect(check.exitCode == 1, "\(check)")
        #expect(check.stdout.contains("integrity: "), "\(check)")
        #expect(check.hasOneSentenceError, "\(check)")
        #expect(check.stderr.contains("kb check --repair"))
        let json = try replica.run(["check", "--json"])
        #expect(json.parsedObject?["ok"] as? Bool == false, "\(json)")

        // When repaired
        let repair = try replica.run(["check", "--repair"])
        #expect(repair.succeeded, "\(repair)")
        #expect(repair.stdout.contains("Recovered \(ids.count) articles"), "\(repair)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: replica.folder.path).filter {
            $0.hasPrefix("store.sqlite.damaged-") && !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm")
        }
        #expect(kept.count == 1, "the damaged file is kept beside it")
        #expect(repair.stdout.contains(kept.first ?? "?"), "and the output says where")

        // Then everything works again
        #expect(try replica.ok(["check"]).stdout == "ok\n")
        #expect(try replica.array(["search", "非遗"]).count == before)
        #expect(try replica.articleIDs() == ids)
        try replica.ok(["annotate", ids[0], "--range", "0:1", "--note", "修好了"])
        #expect(try replica.array(["notes"]).count == 1)
    }

    @Test func corruptArticlesPage_listFailsInOneSentence_repairRederivesArticlesFromHistory() throws {
        let replica = try Self.seeded()
        let ids = try replica.articleIDs()
        let (size, page) = try Self.page(of: "articles", in: replica.dbPath)
        try Self.corrupt(page: page, size: size, of: replica.dbPath)

        let list = try replica.run(["list"])
        Self.expectOneSentence(list, mentioning: ["damaged", "kb check"], "list")
        let override = try replica.run(["--allow-damaged", "tag", ids[0], "x"])
        #expect(override.exitCode == 1, "the override lets kb try, and SQLite still refuses the damaged page")
        #expect(override.hasOneSentenceError, "\(override)")

        let repair = try replica.run(["check", "--repair", "--json"])
        #expect(repair.succeeded, "\(repair)")
        let report = try #require(repair.parsedObject, "\(repair)")
        #expect((report["incomplete"] as? [String])?.contains("articles") == true, "\(repair)")
        #expect(try replica.articleIDs() == ids, "every article derived again from its changes")
        #expect(try replica.ok(["check"]).stdout == "ok\n")
        #expect(try !replica.array(["search", "非遗"]).isEmpty)
    }

    // MARK: - Full disk, read-only file

    @Test func fullDisk_importFailsInOneSentence_andChangesNothing() throws {
        let folder = try TemporaryFolder()
        let mountPoint = folder.path("disk")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let disk = SmallDisk(at: mountPoint, size: "1m")
        let replica = Replica("full", in: folder)
        let path = mountPoint + "/kb.sqlite"
        try replica.ok(["import", try TestPaths.fixture("seed_page.txt").path, "--db", path])
        let ids = try replica.array(["list", "--db", path]).count
        // About 3 MB of new text, more than the disk holds.
        let paragraph = "本报讯 非遗技艺交流活动在黄山举行，来自各地的选手参加比赛，😀𠮷。\n\n"
        let big = try folder.write("big.txt", String(repeating: paragraph, count: 30_000))

        let result: ProcessResult
        if disk != nil {
            result = try replica.run(["import", big, "--db", path])
        } else {
            // Not root: a file size limit makes writes fail as a full disk would (SIGXFSZ ignored, so
            // write(2) returns EFBIG).
            let shell = "trap '' XFSZ; ulimit -f 2048; exec \"$0\" \"$@\""
            result = try SystemTool.run(
                "/bin/sh", ["-c", shell, try TestPaths.kb().path, "import", big, "--db", path],
                environment: KBRunner.environment())
        }
        Self.expectOneSentence(result, mentioning: ["full", path], "import on a full disk")
        _ = disk
        #expect(try replica.array(["list", "--db", path]).count == ids, "nothing changed")
        #expect(try replica.ok(["check", "--db", path]).stdout == "ok\n")
    }

    @Test func exportMarkdown_ontoAFullDisk_failsInOneSentence() throws {
        let replica = try Self.seeded()
        let mountPoint = replica.folder.path("disk")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let disk = SmallDisk(at: mountPoint, size: "16k")
        let result: ProcessResult
        if disk != nil {
            result = try replica.run(["export", "--format", "markdown", "--out", mountPoint + "/notes"])
        } else {
            let shell = "trap '' XFSZ; ulimit -f 8; exec \"$0\" \"$@\""
            result = try SystemTool.run(
                "/bin/sh",
                [
                    "-c", shell, try TestPaths.kb().path, "export", "--format", "markdown", "--out",
                    mountPoint + "/notes", "--db", replica.dbPath,
                ], environment: KBRunner.environment())
        }
        _ = disk
        Self.expectOneSentence(result, mentioning: ["disk is full", mountPoint + "/notes/"], "export on a full disk")
        let left = try FileManager.default.contentsOfDirectory(atPath: mountPoint + "/notes")
        #expect(!left.contains { $0.hasSuffix(".tmp") }, "no temporary file left behind: \(left)")
    }

    @Test func readOnlyFile_writeFailsInOneSentence_readsWork() throws {
        // Given a knowledge base file made read-only (its folder stays writable, as after 'chmod a-w kb.sqlite')
        let folder = try TemporaryFolder()
        let replica = Replica("ro", in: folder)
        let directory = folder.path("ro")
        let path = directory + "/kb.sqlite"
        try replica.ok(["import", try TestPaths.fixture("seed_page.txt").path, "--db", path])
        let ids = try replica.array(["list", "--db", path]).map { $0.string("id") ?? "" }
        _ = try Self.page(of: "articles", in: path)  // folds the WAL in: the file alone holds everything
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        // Root writes whatever the mode bits say: kb then runs as 'nobody', as a user would.
        var prefix: [String] = []
        if geteuid() == 0 {
            try FileManager.default.setAttributes([.ownerAccountID: 65534], ofItemAtPath: path)
            prefix = ["--reuid=65534", "--regid=65534", "--clear-groups", try TestPaths.kb().path]
        }
        func kb(_ arguments: [String]) throws -> ProcessResult {
            let environment = KBRunner.environment(["HOME": directory])
            if prefix.isEmpty {
                return try SystemTool.run(try TestPaths.kb().path, arguments, environment: environment)
            }
            return try SystemTool.run("/usr/bin/setpriv", prefix + arguments, environment: environment)
        }

        // When
        let result = try kb(["tag", ids[0], "非遗", "--db", path])

        // Then
        Self.expectOneSentence(result, mentioning: ["read-only", path], "tag on a read-only file")
        let list = try kb(["list", "--db", path, "--json"])
        #expect(list.succeeded, "reading works: \(list)")
        #expect((try? list.array())?.count == ids.count)
    }

    // MARK: - Markdown export

    @Test func exportMarkdown_hostileIDs_neverWriteOutsideOut() throws {
        // Given a knowledge base holding the articles a token holder could push: two creations titled 'T'
        // whose short ids are the same, the second with an id that is a path.
        let folder = try TemporaryFolder()
        let replica = Replica("victim", in: folder)
        func article(_ id: String, _ title: String, created: String) -> String {
            """
            {"id":"\(id)","source_id":null,"position":0,"kind":"note","kicker":"","title":"\(title)","subtitle":"",\
            "byline":"","dateline":"","body":"正文😀𠮷。","created_at":"\(created)","updated_at":"\(created)"}
            """
        }
        let dump = """
            {"format":"kb-dump","version":1,"sources":[],"annotations":[],"tags":[],"articles":[\
            \(article(String(repeating: "z", count: 32), "T", created: "2025-01-01T00:00:00.000Z")),\
            \(article("zzzzzzzzzzzzzzzz/../../../../elsewhere/OVERWRITTEN", "T", created: "2026-01-01T00:00:00.000Z"))]}
            """
        try replica.ok(["import", try folder.write("shared.json", dump)])
        #expect(try replica.articleIDs().count == 2)
        let victim = try folder.write("elsewhere/OVERWRITTEN.md", "the user's own file\n")
        let out = folder.path("w/x/exp5")
        try FileManager.default.createDirectory(atPath: folder.path("w/x"), withIntermediateDirectories: true)

        // When the victim exports into a relative folder, as the README shows
        let result = try replica.run(
            ["export", "--format", "markdown", "--out", "exp5"], directory: folder.url.appendingPathComponent("w/x"))
        #expect(result.succeeded, "\(result)")

        // Then
        #expect(result.stdout.contains("Wrote 2 files"), "\(result)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "the user's own file\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("elsewhere")) == ["OVERWRITTEN.md"])
        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(names.count == 3, "two articles and the manifest: \(names)")
        #expect(names.allSatisfy { !$0.contains("zzz") && !$0.contains("..") })
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("w/x")) == ["exp5"])
    }

    @Test func exportMarkdown_again_afterTwoRetitles_leavesNoStaleFile_andUserFilesAlone() throws {
        let replica = try Self.seeded()
        let ids = try replica.articleIDs()
        let out = replica.folder.path("vault")
        try replica.ok(["export", "--format", "markdown", "--out", out])
        let mine = try replica.folder.write("vault/读书笔记.md", "# 我的文件\n")
        try replica.ok(["edit", ids[0], "--title", "第一次改名 ＡＩ"])
        try replica.ok(["export", "--format", "markdown", "--out", out])
        try replica.ok(["edit", ids[0], "--title", "第二次改名 𠮷😀"])
        let last = try replica.object(["export", "--format", "markdown", "--out", out])
        #expect(last.int("removed") == 1, "\(last)")

        let names = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".md") }
        #expect(names.count == ids.count + 1, "one file per article and the user's: \(names)")
        #expect(names.contains { $0.hasPrefix("第二次改名 𠮷😀 (") })
        #expect(!names.contains { $0.hasPrefix("第一次改名") })
        #expect(try String(contentsOfFile: mine, encoding: .utf8) == "# 我的文件\n")
    }
}
