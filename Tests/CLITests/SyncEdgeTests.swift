import Foundation
import KB
import Sync
import Testing

/// Where a knowledge base is made, several remotes, copied files, and hubs that misbehave: the real `kb`, a
/// real `kb serve`, and a hostile hub (`Fixtures/hostile_hub.py`) on loopback.
@Suite("Sync edges end to end")
struct SyncEdgeTests {
    static func seedPage() throws -> String { try TestPaths.fixture("seed_page.txt").path }

    // MARK: - A knowledge base is made only where the user means it

    @Test func mistypedDBPath_anyReadingOrSyncingCommand_exits1AndCreatesNothing() throws {
        let folder = try TemporaryFolder("kb-typo")
        let typo = folder.path("typo/kb.sqlite")
        for arguments in [
            ["--db", typo, "list"], ["--db", typo, "status"], ["--db", typo, "search", "非遗"],
            ["--db", typo, "notes"], ["--db", typo, "sync"], ["--db", typo, "export", "--format", "json"],
            ["--db", typo, "conflicts"], ["--db", typo, "remote", "list"], ["--db", typo, "list", "--json"],
        ] {
            let result = try KBRunner.run(arguments)
            #expect(result.exitCode == 1, "\(arguments): \(result)")
            #expect(result.hasOneSentenceError, "\(arguments): \(result)")
            #expect(result.stderr.contains("no knowledge base at '\(typo)'"), "\(arguments): \(result)")
            #expect(result.stderr.contains("kb init"), "the hint names 'kb init': \(result)")
            #expect(!FileManager.default.fileExists(atPath: folder.path("typo")), "\(arguments) made the folder")
        }
        // The same through KB_DB.
        let viaEnvironment = try KBRunner.run(["list"], environment: ["KB_DB": typo])
        #expect(viaEnvironment.exitCode == 1)
        #expect(!FileManager.default.fileExists(atPath: folder.path("typo")))

        // `kb init PATH` makes it (folders included); then the same commands work, and init again changes nothing.
        let created = try KBRunner.run(["init", typo, "--json"])
        #expect(created.succeeded, "\(created)")
        #expect(try created.object()["created"] as? Bool == true)
        #expect(FileManager.default.fileExists(atPath: typo))
        let list = try KBRunner.run(["--db", typo, "list", "--json"])
        #expect(list.succeeded, "\(list)")
        #expect(try list.array().isEmpty)
        let again = try KBRunner.run(["init", typo])
        #expect(again.succeeded && again.stdout.contains("already"), "\(again)")

        // import, add and remote add make one where they are pointed.
        let imported = folder.path("new/imported.sqlite")
        #expect(try KBRunner.run(["--db", imported, "import", try Self.seedPage()]).succeeded)
        #expect(try KBRunner.run(["--db", imported, "list", "--json"]).array().count == 9)
        let added = folder.path("added/kb.sqlite")
        #expect(try KBRunner.run(["--db", added, "add", "--title", "标题"], stdin: Data("正文。".utf8)).succeeded)
        let remote = folder.path("remote/kb.sqlite")
        let badURL = try KBRunner.run(["--db", remote, "remote", "add", "origin", "ftp://hub/notes"])
        #expect(badURL.exitCode == 1 && badURL.hasOneSentenceError, "\(badURL)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("remote")), "bad input makes nothing")
        #expect(try KBRunner.run(["--db", remote, "remote", "add", "origin", "http://127.0.0.1:9/notes"]).succeeded)
        #expect(try KBRunner.run(["--db", remote, "status"]).succeeded)
    }

    // MARK: - Several remotes

    @Test func threeRemotes_oneWithABadToken_theOtherTwoSync_andTheExitCodeIs1() throws {
        let world = try SyncWorld(replicas: 0)
        let hub = world.hub
        let r1 = Replica("r1", in: world.folder)
        try r1.ok(["import", try Self.seedPage()])
        let badToken = try world.folder.write(
            "bad-token", "kbt_0000000000000000000000000000000000000000000000000000000000000000\n")
        try r1.ok(["remote", "add", "first", hub.url("first"), "--token-file", try hub.makeTokenFile(kb: "first")])
        try r1.ok(["remote", "add", "broken", hub.url("broken"), "--token-file", badToken])
        try r1.ok(["remote", "add", "third", hub.url("third"), "--token-file", try hub.makeTokenFile(kb: "third")])

        let human = try r1.run(["sync"])
        #expect(human.exitCode == 1, "\(human)")
        #expect(human.stdout.contains("first: pushed"), "\(human)")
        #expect(human.stdout.contains("third: pushed"), "the remote after the failed one synced:\n\(human)")
        #expect(human.stderr.contains("broken: "), "names the failed remote:\n\(human)")
        #expect(human.stderr.contains("token"), "says what failed:\n\(human)")
        #expect(human.stderr.contains("1 of 3 remotes failed"), "\(human)")

        let json = try r1.sync()
        #expect(json.exitCode == 1, "\(json)")
        let report = try json.object()
        let remotes = try #require(report["remotes"] as? [[String: Any]])
        #expect(remotes.map { $0.string("name") } == ["first", "broken", "third"])
        #expect(remotes.map { $0["ok"] as? Bool } == [true, false, true])
        #expect(remotes[1].string("error")?.contains("token") == true)
        for key in ["pushed", "pulled", "conflicts", "duplicates", "quarantined"] {
            #expect(remotes[0][key] != nil && remotes[2][key] != nil && report[key] != nil, "'\(key)' kept")
        }
        #expect(report["failed"] as? [String] == ["broken"])

        // Both good knowledge bases got everything.
        for name in ["first", "third"] {
            let other = Replica("reader-\(name)", in: world.folder)
            try other.ok(["remote", "add", "origin", hub.url(name), "--token-file", try hub.makeTokenFile(kb: name)])
            try world.sync(other)
            #expect(try other.articleIDs() == r1.articleIDs(), "\(name) has the page")
        }
        // Naming one remote syncs that one alone.
        let one = try r1.run(["sync", "third", "--json"])
        #expect(one.succeeded, "\(one)")
        #expect((try one.object()["remotes"] as? [[String: Any]])?.count == 1)
    }

    // MARK: - A copied file

    @Test func copiedFile_becomesANewReplica_andItsPendingChangesReachAnotherReplicaOnce() throws {
        let world = try SyncWorld(replicas: 2)
        let (r1, r2) = (world[0], world[1])
        try r1.ok(["import", try Self.seedPage()])
        try world.converge()
        let article = try #require(try r1.array(["search", "记者陈华"]).first?.string("id"))
        // Pending on r1 when the file is copied: a note and a tag.
        try r1.ok(["annotate", article, "--quote", "非遗技艺交流活动", "--note", "复制之前 😀 𠮷"])
        try r1.ok(["tag", article, "复制之前"])
        let original = try #require(try r1.status().string("replica"))

        // cp (with the WAL, as copying the folder would) to another file.
        let copy = Replica("copy", in: world.folder)
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: r1.dbPath + suffix) {
            try FileManager.default.copyItem(atPath: r1.dbPath + suffix, toPath: copy.dbPath + suffix)
        }
        let first = try copy.run(["status", "--json"])
        #expect(first.succeeded, "\(first)")
        #expect(first.stderr.contains("copy") && first.stderr.contains("new replica"), "says so:\n\(first)")
        let renamed = try #require(try first.object().string("replica"))
        #expect(renamed != original, "the copy has a replica id of its own")
        #expect(try r1.status().string("replica") == original, "the original keeps its id")
        #expect(try copy.run(["status"]).stderr.isEmpty, "said once")

        // Both go on editing, and both sync: the copy first.
        try copy.ok(["tag", article, "复制品的标签"])
        try r1.ok(["tag", article, "原件的标签"])
        for replica in [copy, r1] {
            let sync = try replica.run(["sync"])
            #expect(sync.succeeded, "\(sync)")
            #expect(!sync.stderr.contains("restored"), "no talk of a restored hub:\n\(sync)")
        }
        try world.converge([r1, r2, copy])
        let notes = try r2.array(["notes", article]).filter { $0.string("note") == "复制之前 😀 𠮷" }
        #expect(notes.count == 1, "the note arrives once: \(notes)")
        for tag in ["复制之前", "复制品的标签", "原件的标签"] {
            #expect(try r2.array(["list", "--tag", tag]).count == 1, "'\(tag)' reached r2")
        }
        try world.expectConverged([r1, r2, copy])
    }

    // MARK: - Hostile hubs (issue 9.2)

    /// A replica whose only remote is the hostile hub, with the seed page imported.
    static func victim(of hostile: HostileHub, in folder: TemporaryFolder, importing: Bool = true) throws -> Replica {
        let replica = Replica("victim", in: folder)
        if importing { try replica.ok(["import", try Self.seedPage()]) }
        let token = try folder.write("token", "kbt_" + String(repeating: "ab", count: 32))
        try replica.ok(["remote", "add", "evil", hostile.url("notes"), "--token-file", token])
        return replica
    }

    @Test func pulledChangeClaimingThisReplicasIDAtSeq1000000_isRefused_andPushesToAnHonestHubGoOn() throws {
        let hostile = try HostileHub(mode: "own-seq")
        defer { hostile.stop() }
        let world = try SyncWorld(replicas: 1)
        let victim = try Self.victim(of: hostile, in: world.folder)
        try victim.addRemote(world.hub.url(world.kbName), tokenFile: world.tokenFile)
        try victim.ok(["sync", "origin"])

        let attacked = try victim.run(["sync", "evil", "--json"])
        #expect(attacked.succeeded, "\(attacked)")
        let remote = try #require((try attacked.object()["remotes"] as? [[String: Any]])?.first)
        #expect(remote.int("refused") == 1, "\(attacked)")
        #expect(remote.int("pulled") == 0)

        // Later edits reach the honest hub and another replica.
        let article = try #require(try victim.array(["search", "记者陈华"]).first?.string("id"))
        try victim.ok(["tag", article, "攻击之后"])
        try victim.ok(["edit", article, "--title", "攻击之后的标题"])
        let report = try victim.run(["sync", "origin", "--json"])
        #expect(report.succeeded, "\(report)")
        #expect(try report.object().int("pushed") ?? 0 >= 2, "\(report)")
        let other = try world.addReplica("other")
        try world.sync(other)
        #expect(try other.object(["show", article]).string("title") == "攻击之后的标题")
        #expect(try other.array(["list", "--tag", "攻击之后"]).count == 1)
    }

    @Test func holeInAnotherReplicasSequence_isRecordedOnce_laterSyncsDoNotRereadTheLog() throws {
        let hostile = try HostileHub(mode: "hole")
        defer { hostile.stop() }
        let folder = try TemporaryFolder("kb-hole")
        let victim = try Self.victim(of: hostile, in: folder, importing: false)
        let first = try victim.run(["sync", "--json"])
        #expect(first.succeeded, "\(first)")
        #expect(try first.object().int("pulled") == 2501)
        #expect(first.stderr.isEmpty, "no notes in JSON mode on stdout:\n\(first)")
        let holes = try #require((try first.object()["remotes"] as? [[String: Any]])?.first?["holes"] as? [String])
        #expect(holes == ["abcdefabcdef0001:2-2"])
        #expect(try victim.status().int("gaps") == 1, "the hole is real and still shown")

        for _ in 0..<2 {
            let before = hostile.requests
            let again = try victim.run(["sync", "--json"])
            #expect(again.succeeded, "\(again)")
            let report = try again.object()
            #expect(report.int("duplicates") == 0, "the log is not read again: \(report)")
            #expect(hostile.requests - before == 2, "one look at the hub and one page: \(hostile.process.stderr.text)")
        }
    }

    @Test(arguments: [
        ("cycle", "goes back"), ("stall", "does not move"), ("beyond", "beyond its head"),
        ("huge-head", "more than any kb hub holds"),
    ])
    func pullThatMakesNoProgress_endsWithANamedError(mode: String, words: String) throws {
        let hostile = try HostileHub(mode: mode)
        defer { hostile.stop() }
        let folder = try TemporaryFolder("kb-\(mode)")
        let victim = try Self.victim(of: hostile, in: folder, importing: false)
        let started = Date()
        let result = try victim.run(["sync"], timeout: 60)
        #expect(result.exitCode == 1, "\(mode): \(result)")
        #expect(result.stderr.contains(words), "\(mode): \(result)")
        #expect(result.hasOneSentenceError, "\(mode): \(result)")
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(hostile.requests < 10, "\(mode): \(hostile.requests) requests")
    }

    @Test func gzipPageInflatingTo100MiB_isRefusedWhileInflating_andNothingIsStored() throws {
        let hostile = try HostileHub(mode: "bomb")
        defer { hostile.stop() }
        let folder = try TemporaryFolder("kb-bomb")
        let victim = try Self.victim(of: hostile, in: folder, importing: false)
        let result = try victim.run(["sync"], timeout: 120)
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.stderr.contains("larger than \(SyncLimits.maxResponseBytes) bytes"), "\(result)")
        #expect(result.hasOneSentenceError, "\(result)")
        let status = try victim.status()
        #expect(status.int("pending") == 0 && status.int("quarantined") == 0)
        let size = try FileManager.default.attributesOfItem(atPath: victim.dbPath)[.size] as? Int ?? 0
        #expect(size < 10 * 1024 * 1024, "nothing of the page was stored: \(size) bytes")
    }

    @Test func valueOf20MiB_isQuarantinedWithItsReason_notStored() throws {
        let hostile = try HostileHub(mode: "big-value")
        defer { hostile.stop() }
        let folder = try TemporaryFolder("kb-big")
        let victim = try Self.victim(of: hostile, in: folder, importing: false)
        let result = try victim.run(["sync", "--json"], timeout: 120)
        #expect(result.succeeded, "\(result)")
        #expect(try result.object().int("quarantined") == 1)
        #expect(try result.object().int("pulled") == 0)
        #expect(try victim.status().int("quarantined") == 1)
        let size = try FileManager.default.attributesOfItem(atPath: victim.dbPath)[.size] as? Int ?? 0
        let wal = (try? FileManager.default.attributesOfItem(atPath: victim.dbPath + "-wal")[.size] as? Int) ?? 0
        #expect(size + wal < 10 * 1024 * 1024, "the value was not kept: \(size) + \(wal) bytes")
    }

    // MARK: - Forms of ids (issue 9.1)

    @Test func pulledChangesWithAPathForAnIdOrAReplicaIDOfCombiningMarks_areQuarantined_theRestApplies() throws {
        let hostile = try HostileHub(mode: "bad-ids")
        defer { hostile.stop() }
        let folder = try TemporaryFolder("kb-bad-ids")
        let victim = try Self.victim(of: hostile, in: folder, importing: false)
        let result = try victim.run(["sync", "--json"])
        #expect(result.succeeded, "\(result)")
        let report = try result.object()
        #expect(report.int("quarantined") == 2, "\(report)")
        #expect(report.int("pulled") == 1, "\(report)")
        let again = try victim.run(["sync", "--json"])
        #expect(try again.object().int("duplicates") == 0, "set aside once, not fetched again: \(again)")
    }

    @Test func hostilePushesToARealHub_areRefusedWith422_andNothingIsStored() async throws {
        let world = try SyncWorld(replicas: 1)
        let token = try String(contentsOfFile: world.tokenFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let transport = CurlTransport()
        let url = "\(world.hub.baseURL)/v1/kb/\(world.kbName)/changes"
        let headers = [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")]
        let good = WireChange(
            replica: "9f2c41d07be85a13", seq: 1, hlc: Int64(Date().timeIntervalSince1970 * 1000) << 16,
            entity: "article", id: "5d0b6c1e9a7f42c3b8e1d290", field: "title", op: "set",
            value: JSONText.string("长三角职工文旅消费"), base: [])
        var path = good
        path.id = "zzzzzzzzzzzzzzzz/../../../../elsewhere/OVERWRITTEN"
        var archives = good
        archives.id = "Archives/../../../etc"
        var marks = good
        marks.replica = "a" + String(repeating: "\u{0301}", count: 3300)
        var upper = good
        upper.replica = "9F2C41D07BE85A13"
        var base = good
        base.base = ["../x:1"]
        var entity = good
        entity.entity = "article/../x"
        var seq = good
        seq.seq = 1_000_000_000_000_000
        var huge = good
        huge.value = JSONText.string(String(repeating: "大", count: WireValidator.maxValueBytes / 3 + 10))
        for (name, change) in [
            ("path id", path), ("archives id", archives), ("combining marks", marks), ("upper case", upper),
            ("base", base), ("entity", entity), ("seq", seq), ("17 MiB value", huge),
        ] {
            var body = PushRequest(replica: good.replica, changes: [good, change]).jsonBytes
            var sent = headers
            if body.count > 8192 {
                body = try Gzip.compress(body)
                sent.append(("Content-Encoding", "gzip"))
            }
            let answer = try await transport.send(HubRequest(method: .post, url: url, headers: sent, body: body))
            let error = try JSONDecoder().decode(HubErrorBody.self, from: Data(answer.body))
            if name == "17 MiB value" {
                // Larger than a whole push may be: refused while it inflates, before any change is read.
                #expect(answer.status == 413, "\(name): \(answer.status)")
                #expect(error.error == HubErrorCode.bodyTooLarge, "\(name)")
            } else {
                #expect(answer.status == 422, "\(name): \(answer.status)")
                #expect(error.error == HubErrorCode.invalidChange, "\(name)")
                #expect(error.message.contains("Change 2"), "\(name): \(error.message)")
            }
            #expect(error.message.count < 120, "\(name): a short message, the value not echoed")
        }
        // A push sent by a replica id out of form is refused too.
        let sender = PushRequest(replica: "../../x", changes: [good]).jsonBytes
        let refused = try await transport.send(HubRequest(method: .post, url: url, headers: headers, body: sender))
        #expect(refused.status == 422)
        // Nothing was stored: the hub's log is empty.
        let replicas = try await transport.send(
            HubRequest(method: .get, url: "\(world.hub.baseURL)/v1/kb/\(world.kbName)/replicas", headers: headers))
        #expect(try JSONDecoder().decode(ReplicasResponse.self, from: Data(replicas.body)).head == 0)
        // The good change alone is taken.
        let fine = PushRequest(replica: good.replica, changes: [good]).jsonBytes
        #expect(
            try await transport.send(HubRequest(method: .post, url: url, headers: headers, body: fine)).status == 200)
    }
}
