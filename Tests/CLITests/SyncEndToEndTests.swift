import Foundation
import Testing

/// `kb sync` between replicas (separate files) through a real `kb serve` process.
///
/// Tests are named after the situations in SCENARIOS.md.
@Suite("Sync end to end")
struct SyncEndToEndTests {
    static func seedPage() throws -> String { try TestPaths.fixture("seed_page.txt").path }

    /// The id of the seed page's article that contains `text`.
    static func article(containing text: String, on replica: Replica) throws -> String {
        let hits = try replica.array(["search", text])
        return try #require(hits.first?.string("id"), "no article contains '\(text)' on \(replica.name)")
    }

    static func note(_ id: String, on replica: Replica) throws -> [String: Any]? {
        try replica.array(["notes"]).first { $0.string("id") == id }
    }

    // MARK: - Same content on two machines

    @Test func samePageImportedOnTwoReplicas_mergesWithoutDuplicates_andCarriesBothAnnotations() throws {
        let world = try SyncWorld(replicas: 3)
        let (r1, r2, r3) = (world[0], world[1], world[2])
        // Offline: both import the page and annotate the same article.
        let ids1 = try #require(try r1.object(["import", try Self.seedPage()])["articles"] as? [String])
        let ids2 = try #require(try r2.object(["import", try Self.seedPage()])["articles"] as? [String])
        #expect(ids1 == ids2, "content ids are the same on both machines")
        let article = try Self.article(containing: "记者陈华", on: r1)
        let a1 = try r1.object(["annotate", article, "--quote", "非遗技艺交流活动", "--note", "来自一号机"])
        let a2 = try r2.object(["annotate", article, "--quote", "三省一市总工会", "--occurrence", "1", "--note", "来自二号机"])

        let rounds = try world.converge()
        #expect(rounds <= 3)
        for replica in world.replicas {
            #expect(try replica.articleIDs() == ids1.sorted(), "9 articles, the same ids, on \(replica.name)")
            let notes = try replica.array(["notes", article])
            #expect(Set(notes.compactMap { $0.string("id") }) == Set([a1, a2].compactMap { $0.string("id") }))
            #expect(notes.allSatisfy { $0.string("state") == "anchored" })
            #expect(try replica.status().int("articles") == 9)
        }
        try world.expectConverged()
        #expect(try r3.conflictIDs().isEmpty)
    }

    @Test func freshReplica_getsEverything_andAStaleReplicaWithoutEditsChangesNothing() throws {
        let world = try SyncWorld(replicas: 3)
        let (r1, r2, r3) = (world[0], world[1], world[2])
        try r3.ok(["sync"])  // r3 syncs once, while the hub is empty, then sleeps
        try r1.ok(["import", try Self.seedPage()])
        let article = try Self.article(containing: "中国工人大思政课", on: r1)
        try r1.ok(["annotate", article, "--quote", "中国工人大思政课", "--note", "n"])
        try world.converge([r1, r2])
        try r2.ok(["edit", article, "--title", "二号机改的标题"])
        try world.converge([r1, r2])
        let before = try r1.digest()

        try world.converge()
        #expect(try r1.digest() == before, "a replica that only slept changes nothing")
        #expect(try r3.object(["show", article]).string("title") == "二号机改的标题")
        try world.expectConverged()
    }

    @Test func offlineAnnotationsOnEachReplica_meetEverywhere() throws {
        let world = try SyncWorld(replicas: 3)
        try world[0].ok(["import", try Self.seedPage()])
        try world.converge()
        let article = try Self.article(containing: "市场开拓能力", on: world[0])
        var made: [String] = []
        for (index, replica) in world.replicas.enumerated() {
            let annotation = try replica.object(
                [
                    "annotate", article, "--range", "\(index * 10):\(index * 10 + 5)", "--note", "离线笔记 \(index)",
                    "--tag", "离线",
                ])
            made.append(try #require(annotation.string("id")))
            try replica.ok(["annotate", article, "--note", "整篇笔记 \(index)"])
        }
        try world.converge()
        for replica in world.replicas {
            let tagged = try replica.array(["notes", "--tag", "离线"])
            #expect(Set(tagged.compactMap { $0.string("id") }) == Set(made), "on \(replica.name)")
            #expect(try replica.array(["notes", article]).count == 6)
        }
        try world.expectConverged()
    }

    // MARK: - Concurrent edits of one note

    static let original = "第一句话是开头。第二句话在中间。第三句话是结尾。"

    /// A note made on r1 and synced everywhere.
    static func sharedNote(_ world: SyncWorld) throws -> String {
        let r1 = world[0]
        try r1.ok(["import", try seedPage()])
        let article = try Self.article(containing: "UP主", on: r1)
        let annotation = try r1.object(["annotate", article, "--quote", "UP主", "--occurrence", "1", "--note", original])
        try world.converge()
        return try #require(annotation.string("id"))
    }

    @Test func noteEditedInDifferentSentences_mergesWithoutConflict() throws {
        let world = try SyncWorld(replicas: 3)
        let id = try Self.sharedNote(world)
        try world[0].ok(["annotation", "edit", id, "--note", "第一句话改过了。第二句话在中间。第三句话是结尾。"])
        try world[1].ok(["annotation", "edit", id, "--note", "第一句话是开头。第二句话在中间。第三句话也改了😀。"])
        try world.converge()
        for replica in world.replicas {
            #expect(
                try Self.note(id, on: replica)?.string("note") == "第一句话改过了。第二句话在中间。第三句话也改了😀。",
                "both edits on \(replica.name)")
            #expect(try replica.conflictIDs().isEmpty)
            #expect(try replica.run(["sync"]).succeeded)
        }
        try world.expectConverged()
    }

    @Test func noteEditedInTheSameSentence_conflictOnEveryReplica_resolveOnOneClearsItEverywhere() throws {
        let world = try SyncWorld(replicas: 3)
        let (r1, r2, r3) = (world[0], world[1], world[2])
        let id = try Self.sharedNote(world)
        let mine1 = "第一句话是开头。第二句话被一号机改了。第三句话是结尾。"
        let mine2 = "第一句话是开头。第二句话被二号机改了。第三句话是结尾。"
        try r1.ok(["annotation", "edit", id, "--note", mine1])
        try r2.ok(["annotation", "edit", id, "--note", mine2])
        try world.converge()

        let ids = try r1.conflictIDs()
        #expect(ids.count == 1, "one conflict: \(ids)")
        for replica in world.replicas {
            #expect(try replica.conflictIDs() == ids, "the same conflict id on \(replica.name)")
            let blocked = try replica.sync()
            #expect(blocked.exitCode == 1, "kb sync exits 1 while a conflict is open:\n\(blocked)")
            #expect(try blocked.object().int("conflicts") == 1)
            let human = try replica.run(["sync"])
            #expect(human.exitCode == 1)
            #expect(human.stdout.contains("1 open conflict"), "\(human)")
            #expect(human.stderrLines.count == 1, "\(human)")
            #expect(try replica.status().int("conflicts") == 1)
        }
        // The same text on every replica (the winner), and each side sees its own edit as "mine".
        let winner = try #require(try Self.note(id, on: r1)?.string("note"))
        #expect([mine1, mine2].contains(winner))
        for replica in world.replicas { #expect(try Self.note(id, on: replica)?.string("note") == winner) }
        let c1 = try #require(try r1.array(["conflicts"]).first)
        let c2 = try #require(try r2.array(["conflicts"]).first)
        for key in ["id", "entity", "entity_id", "field", "mine", "theirs", "base"] {
            #expect(c1[key] != nil, "kb conflicts --json lacks '\(key)'")
        }
        #expect(c1.string("entity") == "annotation")
        #expect(c1.string("entity_id") == id)
        #expect(c1.string("field") == "note")
        #expect(c1.string("mine") == mine1)
        #expect(c1.string("theirs") == mine2)
        #expect(c1.string("base") == Self.original)
        #expect(c2.string("mine") == mine2)
        #expect(c2.string("theirs") == mine1)

        // r2 keeps its own text; after syncs the conflict is gone everywhere and r2's text is everywhere.
        let resolved = try r2.object(["resolve", try #require(ids.first), "--keep", "mine"])
        #expect(resolved.string("id") == ids.first)
        try world.converge()
        for replica in world.replicas {
            #expect(try replica.conflictIDs().isEmpty, "no open conflict on \(replica.name)")
            #expect(try Self.note(id, on: replica)?.string("note") == mine2)
            let sync = try replica.run(["sync"])
            #expect(sync.succeeded, "\(sync)")
        }
        #expect(try r3.status().int("conflicts") == 0)
        let again = try r1.run(["resolve", try #require(ids.first), "--keep", "theirs"])
        #expect(again.exitCode == 1, "a resolved conflict cannot be resolved again:\n\(again)")
        #expect(again.hasOneSentenceError, "\(again)")
        try world.expectConverged()
    }

    /// An edit made on a replica that holds both sides of an open conflict is made on both: after it,
    /// every replica must agree on whether that conflict is open, whatever order the three edits
    /// reached it in (SCENARIOS, sync 5).
    @Test func conflictEditedAwayOnOneReplica_everyReplicaAgreesOnTheOpenConflicts() throws {
        let world = try SyncWorld(replicas: 3)
        let (r1, r2) = (world[0], world[1])
        let id = try Self.sharedNote(world)
        try r1.ok(["annotation", "edit", id, "--note", "第一句话是开头。第二句话一号机改。第三句话是结尾。"])
        try r2.ok(["annotation", "edit", id, "--note", "第一句话是开头。第二句话二号机改。第三句话是结尾。"])
        try world.sync(r1)
        try world.sync(r2)  // r2 holds both sides: it records the conflict
        #expect(try r2.conflictIDs().count == 1)
        let merged = "第一句话是开头。第二句话两边合在一起𠮷。第三句话是结尾。"
        try r2.ok(["annotation", "edit", id, "--note", merged])
        try world.converge()

        for replica in world.replicas {
            #expect(try Self.note(id, on: replica)?.string("note") == merged, "on \(replica.name)")
        }
        // Fails today (sync engine, Materializer.resolve): a conflict is recorded only while its field has
        // two heads. r1 and r2 saw both sides before r2's third edit and keep the conflict open for ever
        // (no resolution will come); r3 received the three edits in one pull and never records it.
        let open = Dictionary(uniqueKeysWithValues: try world.replicas.map { ($0.name, try $0.conflictIDs()) })
        #expect(Set(open.values).count == 1, "open conflicts differ between replicas: \(open)")
        try world.expectConverged()
    }

    /// A delete that a resolution on one replica undid must not leave another replica with an open
    /// conflict about it (SCENARIOS, sync 3 and 5).
    @Test func deleteUndoneByAResolutionOnOneReplica_leavesNoConflictOpenElsewhere() throws {
        let world = try SyncWorld(replicas: 3)
        let (r1, r2, r3) = (world[0], world[1], world[2])
        let id = try Self.sharedNote(world)
        try r1.ok(["annotation", "rm", id])
        try world.sync(r1)
        try r2.ok(["annotation", "edit", id, "--note", "第一句话是开头。第二句话二号机改。第三句话是结尾。"])
        try world.sync(r2)  // r2: its edit against the delete
        try r3.ok(["annotation", "edit", id, "--note", "第一句话三号机改。第二句话在中间。第三句话是结尾。"])
        try world.sync(r3)  // r3: both edits against the delete
        let onR2 = try #require(try r2.array(["conflicts"]).first, "r2 has the delete conflict")
        #expect(onR2.string("mine") == "第一句话是开头。第二句话二号机改。第三句话是结尾。")
        try r2.ok(["resolve", try #require(onR2.string("id")), "--keep", "mine"])
        try world.converge()

        for replica in world.replicas {
            #expect(try Self.note(id, on: replica) != nil, "restored on \(replica.name)")
        }
        // Fails today (sync engine, Materializer.resolveDeleted and Conflicts.resolve): r2's resolution
        // settles the conflicts of that delete that r2 knew of. The conflict between the delete and r3's
        // edit was recorded by r1 and r3 (they saw both before the undelete) and stays open there for
        // ever, although the annotation is restored with that edit; r2 never records it.
        let open = Dictionary(uniqueKeysWithValues: try world.replicas.map { ($0.name, try $0.conflictIDs()) })
        #expect(Set(open.values).count == 1, "open conflicts differ between replicas: \(open)")
        try world.expectConverged()
    }

    /// A `kb` command run while `kb sync` runs on the same file is recorded once and reaches everyone
    /// (SCENARIOS, sync 12 and 24).
    @Test func editsDuringARunningSync_areRecordedOnce_andSurvive() throws {
        let world = try SyncWorld(replicas: 2)
        let (r1, r2) = (world[0], world[1])
        try r2.ok(["import", try Self.seedPage()])
        for index in 0..<40 {
            try r2.ok(["add", "--title", "笔记\(index)"], stdin: Data("第\(index)条笔记的正文。".utf8))
        }
        try world.sync(r2)
        try r1.ok(["import", try Self.seedPage()])
        let article = try Self.article(containing: "AI大模型", on: r1)
        let running = try r1.start(["sync", "--json"])
        var notes: [String] = []
        for index in 0..<5 {
            let made = try r1.object([
                "annotate", article, "--quote", "AI大模型", "--occurrence", "1", "--note", "同步时写的\(index)",
            ])
            notes.append(try #require(made.string("id")))
        }
        try r1.ok(["tag", article, "同步时"])
        let first = running.finish(timeout: 120)
        #expect(first.succeeded, "\(first)")
        try world.converge()
        for replica in world.replicas {
            let here = try replica.array(["notes", article]).compactMap { $0.string("id") }
            #expect(Set(here) == Set(notes), "on \(replica.name)")
            #expect(try replica.array(["list", "--tag", "同步时"]).count == 1)
            #expect(try replica.articleIDs().count == 49)
        }
        try world.expectConverged()
    }

    // MARK: - Delete against edit

    @Test func articleDeletedOnOne_editedOfflineOnAnother_deleteWinsEverywhere_keepTheirsRestoresTheEdit() throws {
        let world = try SyncWorld(replicas: 3)
        let (r1, r2, r3) = (world[0], world[1], world[2])
        try r1.ok(["import", try Self.seedPage()])
        try world.converge()
        let article = try Self.article(containing: "AI大模型", on: r1)
        let body = try #require(try r2.object(["show", article]).string("body"))
        let editedBody = body + "\n\n二号机离线时加的一段。"
        try r1.ok(["rm", article])
        try world.sync(r1)
        try r2.ok(["edit", article, "--title", "离线改的标题", "--body-file", try r2.folder.write("body.txt", editedBody)])
        try world.converge()

        for replica in world.replicas {
            #expect(try !replica.articleIDs().contains(article), "deleted on \(replica.name)")
            #expect(try replica.run(["show", article]).exitCode == 1)
        }
        let ids = try r1.conflictIDs()
        #expect(!ids.isEmpty)
        for replica in world.replicas { #expect(try replica.conflictIDs() == ids) }
        let conflicts = try r1.array(["conflicts"])
        #expect(conflicts.allSatisfy { $0.string("entity_id") == article })
        let bodyConflict = try #require(conflicts.first { $0.string("field") == "body" }, "\(conflicts)")
        #expect(bodyConflict.string("mine") == "(deleted)", "on the deleting replica, mine is the delete")
        #expect(bodyConflict.string("theirs") == editedBody)
        let onEditor = try #require(try r2.array(["conflicts"]).first { $0.string("field") == "body" })
        #expect(onEditor.string("mine") == editedBody)

        try r1.ok(["resolve", try #require(bodyConflict.string("id")), "--keep", "theirs"])
        try world.converge()
        for replica in world.replicas {
            let shown = try replica.object(["show", article])
            #expect(shown.string("body") == editedBody, "the edit is restored on \(replica.name)")
            #expect(shown.string("title") == "离线改的标题")
            #expect(try replica.conflictIDs().isEmpty, "one resolution settles the delete on \(replica.name)")
        }
        try world.expectConverged()
        #expect(try r3.status().int("articles") == 9)
    }

    // MARK: - Tags

    @Test func concurrentTagsOnTwoReplicas_bothEndUpPresent() throws {
        let world = try SyncWorld(replicas: 3)
        let (r1, r2, r3) = (world[0], world[1], world[2])
        try r1.ok(["import", try Self.seedPage()])
        try world.converge()
        let article = try Self.article(containing: "500万", on: r1)
        try r1.ok(["tag", article, "经济", "共同"])
        try r2.ok(["tag", article, "外贸", "共同"])
        try r3.ok(["tag", article, "临时"])
        try world.converge()
        try r3.ok(["untag", article, "临时"])
        try world.converge()
        for replica in world.replicas {
            let tags = Set(try replica.object(["show", article])["tags"] as? [String] ?? [])
            #expect(tags == ["经济", "外贸", "共同"], "on \(replica.name)")
            #expect(try replica.array(["list", "--tag", "外贸"]).compactMap { $0.string("id") } == [article])
            #expect(try replica.conflictIDs().isEmpty)
        }
        try world.expectConverged()
    }

    // MARK: - Authentication

    @Test func tokens_missingUnknownOrOfAnotherKnowledgeBase_exit1WithAClearMessage() throws {
        let world = try SyncWorld(replicas: 1)
        let hub = world.hub
        try world[0].ok(["import", try Self.seedPage()])
        try world.sync(world[0])

        let noToken = Replica("no-token", in: world.folder)
        try noToken.ok(["remote", "add", "origin", hub.url(world.kbName)])
        let missing = try noToken.run(["sync"])
        #expect(missing.exitCode == 1, "\(missing)")
        #expect(missing.hasOneSentenceError, "\(missing)")
        #expect(missing.stderr.contains("token"), "\(missing)")

        let unknown = Replica("unknown-token", in: world.folder)
        try unknown.ok(
            [
                "remote", "add", "origin", hub.url(world.kbName), "--token-file",
                try world.folder.write(
                    "bad-token", "kbt_0000000000000000000000000000000000000000000000000000000000000000\n"),
            ])
        let refused = try unknown.run(["sync"])
        #expect(refused.exitCode == 1, "\(refused)")
        #expect(refused.hasOneSentenceError, "\(refused)")
        #expect(refused.stderr.contains("token"), "\(refused)")

        let otherTokenFile = try hub.makeTokenFile(kb: "other")
        let other = Replica("other-token", in: world.folder)
        try other.ok(["remote", "add", "origin", hub.url(world.kbName), "--token-file", otherTokenFile])
        let forbidden = try other.run(["sync"])
        #expect(forbidden.exitCode == 1, "\(forbidden)")
        #expect(forbidden.hasOneSentenceError, "\(forbidden)")
        #expect(forbidden.stderr.contains("'\(world.kbName)'"), "names the knowledge base:\n\(forbidden)")
        #expect(forbidden.stderr.contains("token"), "\(forbidden)")
        // KB_TOKEN works when the remote has none.
        let fromEnvironment = try noToken.run(
            ["sync", "--json"],
            environment: [
                "KB_TOKEN": try String(contentsOfFile: world.tokenFile, encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            ])
        #expect(fromEnvironment.succeeded, "\(fromEnvironment)")
        #expect(try noToken.articleIDs().count == 9)
        // Nothing of the refused replicas reached the hub.
        #expect(try unknown.articleIDs().isEmpty && other.articleIDs().isEmpty)
    }

    @Test func hubErrors_areJSON_401WithoutOrWithAnUnknownToken_403ForAnotherKnowledgeBase() throws {
        let curl = "/usr/bin/curl"
        let world = try SyncWorld(replicas: 1)
        let token = try String(contentsOfFile: world.tokenFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let otherToken = try world.hub.makeToken(kb: "other")
        guard FileManager.default.isExecutableFile(atPath: curl) else {
            // Without curl, the same answers seen through kb's exit codes.
            let other = Replica("other", in: world.folder)
            try other.ok(
                [
                    "remote", "add", "origin", world.hub.url(world.kbName), "--token-file",
                    try world.folder.write("other-token", otherToken),
                ])
            #expect(try other.run(["sync"]).exitCode == 1)
            #expect(try world[0].run(["sync"]).exitCode == 0)
            return
        }
        func get(_ path: String, token: String?) throws -> (Int, [String: Any]?) {
            var arguments = ["-s", "-o", "-", "-w", "\n%{http_code}", "\(world.hub.baseURL)\(path)"]
            if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
            let result = try ChildProcess(
                URL(fileURLWithPath: curl), arguments, environment: KBRunner.environment()
            ).finish(timeout: 30)
            #expect(result.succeeded, "\(result)")
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            let status = Int(lines.last ?? "") ?? 0
            let body = lines.dropLast().joined(separator: "\n")
            let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            return (status, json)
        }
        let path = "/v1/kb/\(world.kbName)/replicas"
        let (health, _) = try get("/health", token: nil)
        #expect(health == 200)
        let (ok, replicas) = try get(path, token: token)
        #expect(ok == 200)
        #expect(replicas?["epoch"] != nil && replicas?["head"] != nil, "\(String(describing: replicas))")
        for (label, candidate) in [("no token", nil), ("an unknown token", "kbt_not_a_token")] as [(String, String?)] {
            let (status, body) = try get(path, token: candidate)
            #expect(status == 401, "\(label) → 401")
            #expect(body?["error"] is String && body?["message"] is String, "\(label): a JSON error body")
        }
        let (forbidden, body) = try get(path, token: otherToken)
        #expect(forbidden == 403)
        #expect(body?["error"] is String, "a JSON error body")
        #expect((body?["message"] as? String)?.contains(world.kbName) == true, "\(String(describing: body))")
        // The hub's log never shows tokens.
        #expect(!world.hub.logs.contains(token))
        #expect(!world.hub.logs.contains(otherToken))
    }

    // MARK: - Hub failures

    @Test func hubKilledAndRestarted_losesNothing_andStopsCleanlyOnSIGTERM() throws {
        let world = try SyncWorld(replicas: 3)
        let (r1, r2, r3) = (world[0], world[1], world[2])
        try r1.ok(["import", try Self.seedPage()])
        try world.converge()
        let article = try Self.article(containing: "工会", on: r2)
        try r2.ok(["annotate", article, "--quote", "工会", "--occurrence", "1", "--note", "杀掉之前"])
        try world.sync(r2)

        world.hub.kill()
        #expect(!world.hub.isRunning)
        try r3.ok(["tag", article, "离线时加的"])
        try world.hub.start()
        try r1.ok(["edit", article, "--title", "重启之后"])
        let rounds = try world.converge()
        #expect(rounds <= 4)
        try world.expectConverged()
        for replica in world.replicas {
            #expect(try replica.array(["notes", article]).first?.string("note") == "杀掉之前")
            #expect(try replica.object(["show", article])["tags"] as? [String] == ["离线时加的"])
            #expect(try replica.object(["show", article]).string("title") == "重启之后")
        }
        // A new replica gets it all from the restarted hub.
        let late = try world.addReplica("late")
        try world.sync(late)
        #expect(try late.digest() == r1.digest())

        let stopped = try #require(world.hub.stop())
        #expect(stopped.succeeded, "SIGTERM stops the hub with exit 0:\n\(stopped)")
        #expect(!stopped.stderr.contains("Fatal error"), "\(stopped)")
        #expect(!stopped.stderr.lowercased().contains("crash"), "\(stopped)")
    }

    @Test func hubDown_syncExits1_withOneSentenceNamingTheHub_andKeepsChangesPending() throws {
        let world = try SyncWorld(replicas: 2)
        let (r1, r2) = (world[0], world[1])
        try r1.ok(["import", try Self.seedPage()])
        try world.converge()
        try #require(world.hub.stop()?.succeeded == true)
        try r1.ok(["tag", try Self.article(containing: "工会", on: r1), "停机时"])
        let pending = try #require(try r1.status().int("pending"))
        #expect(pending > 0)

        let down = try r1.run(["sync"])
        #expect(down.exitCode == 1, "\(down)")
        #expect(down.hasOneSentenceError, "\(down)")
        #expect(down.stderr.contains("127.0.0.1:\(world.hub.port)"), "names the hub:\n\(down)")
        #expect(try r1.status().int("pending") == pending, "nothing is lost or marked sent")
        let json = try r1.run(["sync", "--json"])
        #expect(json.exitCode == 1)

        try world.hub.start()
        try world.converge()
        #expect(try r2.array(["list", "--tag", "停机时"]).count == 1)
        try world.expectConverged()
    }

    @Test func hubRestoredFromAnOlderBackup_replicasNoticeAndUploadWhatItLost() throws {
        let world = try SyncWorld(replicas: 2)
        let (r1, r2) = (world[0], world[1])
        try r1.ok(["import", try Self.seedPage()])
        try world.converge()
        // Back up the hub's data while it is stopped.
        try #require(world.hub.stop()?.succeeded == true)
        let backup = world.hub.folder.path("backup")
        try FileManager.default.copyItem(atPath: world.hub.dataPath, toPath: backup)
        try world.hub.start()
        let article = try Self.article(containing: "记者陈华", on: r1)
        try r1.ok(["annotate", article, "--quote", "非遗技艺交流活动", "--note", "备份之后"])
        try r2.ok(["tag", article, "备份之后"])
        try world.converge()
        // Restore the older backup.
        try #require(world.hub.stop()?.succeeded == true)
        try FileManager.default.removeItem(atPath: world.hub.dataPath)
        try FileManager.default.copyItem(atPath: backup, toPath: world.hub.dataPath)
        try world.hub.start()

        try world.converge(maxRounds: 5)
        let fresh = try world.addReplica("fresh")
        try world.sync(fresh)
        #expect(try fresh.array(["notes", article]).first?.string("note") == "备份之后")
        #expect(try fresh.array(["list", "--tag", "备份之后"]).count == 1)
        try world.expectConverged()
        #expect(try r1.articleIDs().count == 9, "nothing deleted")
    }

    @Test func syncToANewEmptyHub_deletesNothing_andUploadsEverything() throws {
        let world = try SyncWorld(replicas: 1)
        let r1 = world[0]
        try r1.ok(["import", try Self.seedPage()])
        try r1.ok(["annotate", try Self.article(containing: "UP主", on: r1), "--quote", "UP主", "--occurrence", "2"])
        try world.sync(r1)
        let before = try r1.digest()

        let other = try Hub()
        let tokenFile = try other.makeTokenFile(kb: "moved")
        try r1.ok(["remote", "rm", "origin"])
        try r1.ok(["remote", "add", "origin", other.url("moved"), "--token-file", tokenFile])
        let report = try world.sync(r1)
        #expect(report.int("pushed") ?? 0 > 0)
        #expect(try r1.digest() == before, "an empty hub is not a delete")
        let copy = Replica("copy", in: world.folder)
        try copy.ok(["remote", "add", "origin", other.url("moved"), "--token-file", tokenFile])
        try copy.ok(["sync"])
        #expect(try copy.digest() == before)
    }

    // MARK: - Clocks

    @Test func clockAnHourAhead_isRefusedNamingTheClock_othersUnaffected_twoMinutesAheadConverges() throws {
        let world = try SyncWorld(replicas: 2)
        let (r1, r2) = (world[0], world[1])
        try r1.ok(["import", try Self.seedPage()])
        try world.converge()
        let article = try Self.article(containing: "记者陈华", on: r1)

        let ahead = try world.addReplica("ahead", environment: ["KB_CLOCK_OFFSET_MS": "3600000"])
        try world.sync(ahead)  // nothing of its own to push yet: it pulls the page
        try ahead.ok(["edit", article, "--title", "来自未来的标题"])
        let refused = try ahead.run(["sync"])
        #expect(refused.exitCode == 1, "\(refused)")
        #expect(refused.hasOneSentenceError, "\(refused)")
        #expect(refused.stderr.lowercased().contains("clock"), "the message is about the clock:\n\(refused)")
        // The others go on, and the future title reaches nobody.
        try r2.ok(["edit", article, "--title", "现在的标题"])
        try world.converge([r1, r2])
        for replica in [r1, r2] {
            #expect(try replica.object(["show", article]).string("title") == "现在的标题")
        }
        try world.expectConverged([r1, r2])

        let slightly = try world.addReplica("slightly", environment: ["KB_CLOCK_OFFSET_MS": "120000"])
        try world.sync(slightly)
        try slightly.ok(["tag", article, "两分钟之前"])
        try slightly.ok(["edit", article, "--title", "稍快的时钟"])
        try world.converge([r1, r2, slightly])
        #expect(try r1.object(["show", article]).string("title") == "稍快的时钟")
        #expect(try r2.array(["list", "--tag", "两分钟之前"]).count == 1)
        try world.expectConverged([r1, r2, slightly])
    }
}
