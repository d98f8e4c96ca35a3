import Foundation
import GRDB
import Hub
import KB
import Synchronization
import Testing

@testable import Sync

/// Real failures of other sync tools (see SCENARIOS.md), each as a test against the real hub
/// logic and store in this process.
@Suite(.serialized)
struct SyncScenarioTests {
    let clock = TestClock()

    func makeReplicas(_ count: Int, hub: TestHub) async throws -> [Replica] {
        let token = try await hub.token(for: "research")
        return try (0..<count).map { try Replica("r\($0)", hub: hub, token: token, clock: clock.clock) }
    }

    func firstArticleID(_ replica: Replica) throws -> String {
        try #require(try replica.kb.listArticles().first?.id)
    }

    // MARK: - Basics

    @Test func importOnOne_pulledByAnother_sameContent() async throws {
        let hub = try TestHub()
        let replicas = try await makeReplicas(2, hub: hub)
        try replicas[0].importPage(try SeedPage.text)
        let pushed = try await replicas[0].sync()
        #expect(pushed.pushed == 10)  // the source and its 9 articles
        let pulled = try await replicas[1].sync()
        #expect(pulled.pulled == 10)
        #expect(try replicas[1].kb.listArticles().count == 9)
        #expect(try replicas[0].digest == replicas[1].digest)
        // Pulled articles are searchable: the index moved in the same transaction.
        #expect(try replicas[1].kb.search("市场开拓能力").count == 1)
        // Applying pulled changes records nothing new to push.
        #expect(try replicas[1].kb.status().pending == 0)
    }

    /// Obsidian: the same thing created on two devices, one silently dropped.
    @Test func samePageImportedOnTwoMachines_oneArticleWithBothMachinesAnnotations() async throws {
        let hub = try TestHub()
        let replicas = try await makeReplicas(2, hub: hub)
        let page = try SeedPage.text
        try replicas[0].importPage(page)
        try replicas[1].importPage(page)
        let id = try firstArticleID(replicas[0])
        let mine = try replicas[0].kb.annotate(
            id, target: .quote("非遗技艺交流活动", occurrence: 1, prefix: nil, suffix: nil), note: "甲")
        let theirs = try replicas[1].kb.annotate(
            id, target: .quote("黄山脚下", occurrence: nil, prefix: nil, suffix: nil), note: "乙")
        try await syncUntilQuiet(replicas)
        for replica in replicas {
            #expect(try replica.kb.listArticles().count == 9)
            #expect(Set(try replica.kb.notes().map(\.id)) == [mine.id, theirs.id])
            #expect(try replica.conflictIDs().isEmpty)
        }
        #expect(try replicas[0].digest == replicas[1].digest)
    }

    // MARK: - Conflicts

    @Test func sameFieldBothEdited_conflictOnEveryReplica_resolutionSyncs() async throws {
        let hub = try TestHub()
        let replicas = try await makeReplicas(3, hub: hub)
        try replicas[0].importPage(try SeedPage.text)
        try await syncUntilQuiet(replicas)
        let id = try firstArticleID(replicas[0])
        _ = try replicas[0].kb.editArticle(id, title: "甲的标题")
        clock.advance(by: 10)
        _ = try replicas[1].kb.editArticle(id, title: "乙的标题")
        try await syncUntilQuiet(replicas)
        let conflicts = try replicas.map { try $0.conflictIDs() }
        #expect(conflicts[0].count == 1)
        #expect(conflicts.allSatisfy { $0 == conflicts[0] })
        // The later edit wins everywhere; the other is kept in the conflict.
        for replica in replicas { #expect(try replica.article(id)?.title == "乙的标题") }
        let seenByFirst = try #require(try Conflicts.list(replicas[0].kb).first)
        #expect(seenByFirst.mine == "甲的标题")
        #expect(seenByFirst.theirs == "乙的标题")
        #expect(seenByFirst.base == "长三角三省一市共促职工文旅消费")
        // The first replica keeps its own title; the resolution reaches everyone.
        try Conflicts.resolve(replicas[0].kb, String(conflicts[0][0].prefix(6)), keep: .mine)
        try await syncUntilQuiet(replicas)
        for replica in replicas {
            #expect(try replica.conflictIDs().isEmpty)
            #expect(try replica.article(id)?.title == "甲的标题")
        }
        #expect(Set(try replicas.map { try $0.digest }).count == 1)
    }

    @Test func differentSentencesOfOneNote_mergeWithoutConflict() async throws {
        let hub = try TestHub()
        let replicas = try await makeReplicas(2, hub: hub)
        try replicas[0].importPage(try SeedPage.text)
        let id = try firstArticleID(replicas[0])
        let note = try replicas[0].kb.annotate(id, target: .article, note: "第一句。第二句。第三句。")
        try await syncUntilQuiet(replicas)
        _ = try replicas[0].kb.editAnnotation(note.id, note: "第一句改。第二句。第三句。")
        _ = try replicas[1].kb.editAnnotation(note.id, note: "第一句。第二句。第三句改。")
        try await syncUntilQuiet(replicas)
        for replica in replicas {
            #expect(try replica.annotation(note.id)?.note == "第一句改。第二句。第三句改。")
            #expect(try replica.conflictIDs().isEmpty)
        }
    }

    @Test func sameSentenceOfOneNote_conflictWithTheOtherText() async throws {
        let hub = try TestHub()
        let replicas = try await makeReplicas(2, hub: hub)
        try replicas[0].importPage(try SeedPage.text)
        let id = try firstArticleID(replicas[0])
        let note = try replicas[0].kb.annotate(id, target: .article, note: "第一句。第二句。")
        try await syncUntilQuiet(replicas)
        _ = try replicas[0].kb.editAnnotation(note.id, note: "第一句甲。第二句。")
        clock.advance(by: 5)
        _ = try replicas[1].kb.editAnnotation(note.id, note: "第一句乙。第二句。")
        try await syncUntilQuiet(replicas)
        for replica in replicas {
            #expect(try replica.annotation(note.id)?.note == "第一句乙。第二句。")
            let conflict = try #require(try Conflicts.list(replica.kb).first)
            #expect(Set([conflict.mine, conflict.theirs]) == ["第一句甲。第二句。", "第一句乙。第二句。"])
        }
        #expect(try replicas[0].conflictIDs() == replicas[1].conflictIDs())
        // Keeping both puts the other text after the kept one.
        try Conflicts.resolve(replicas[1].kb, try replicas[1].conflictIDs()[0], keep: .both)
        try await syncUntilQuiet(replicas)
        #expect(try replicas[0].annotation(note.id)?.note == "第一句乙。第二句。\n\n第一句甲。第二句。")
    }

    /// PouchDB, Joplin, Zotero: a delete and an offline edit.
    @Test(arguments: [true, false])
    func deleteOnline_editOffline_deleteWinsEditRestorable(deleteSyncsFirst: Bool) async throws {
        let hub = try TestHub()
        let replicas = try await makeReplicas(3, hub: hub)
        try replicas[0].importPage(try SeedPage.text)
        try await syncUntilQuiet(replicas)
        let id = try firstArticleID(replicas[0])
        _ = try replicas[0].kb.removeArticle(id)
        _ = try replicas[1].kb.editArticle(id, body: "离线时改写的正文。")
        if deleteSyncsFirst {
            try await replicas[0].sync()
            try await replicas[1].sync()
        } else {
            try await replicas[1].sync()
            try await replicas[0].sync()
        }
        try await syncUntilQuiet(replicas)
        for replica in replicas {
            #expect(try replica.article(id)?.isDeleted == true)
            #expect(try replica.kb.search("离线时改写").isEmpty)
        }
        let conflicts = try replicas.map { try $0.conflictIDs() }
        #expect(conflicts.allSatisfy { $0 == conflicts[0] && $0.count == 1 })
        let onDeleter = try #require(try Conflicts.list(replicas[0].kb).first)
        #expect(onDeleter.kind == .delete)
        #expect(onDeleter.mine == "(deleted)")
        #expect(onDeleter.theirs == "离线时改写的正文。")
        try Conflicts.resolve(replicas[0].kb, onDeleter.id, keep: .theirs)
        try await syncUntilQuiet(replicas)
        for replica in replicas {
            #expect(try replica.article(id)?.isDeleted == false)
            #expect(try replica.article(id)?.body == "离线时改写的正文。")
            #expect(try replica.conflictIDs().isEmpty)
        }
        #expect(Set(try replicas.map { try $0.digest }).count == 1)
    }

    @Test func concurrentTags_converge() async throws {
        let hub = try TestHub()
        let replicas = try await makeReplicas(2, hub: hub)
        try replicas[0].importPage(try SeedPage.text)
        try await syncUntilQuiet(replicas)
        let id = try firstArticleID(replicas[0])
        _ = try replicas[0].kb.tag(id, ["非遗", "工会"])
        _ = try replicas[1].kb.tag(id, ["长三角"])
        try await syncUntilQuiet(replicas)
        for replica in replicas {
            #expect(Set(try replica.kb.article(id).tags) == ["非遗", "工会", "长三角"])
            #expect(try replica.conflictIDs().isEmpty)
        }
        // The same tag added on both: one membership. Concurrent remove and add of others: both hold.
        _ = try replicas[0].kb.tag(id, ["同时"])
        _ = try replicas[1].kb.tag(id, ["同时"])
        _ = try replicas[0].kb.untag(id, ["工会"])
        _ = try replicas[1].kb.untag(id, ["非遗"])
        _ = try replicas[1].kb.tag(id, ["新"])
        try await syncUntilQuiet(replicas)
        for replica in replicas {
            #expect(Set(try replica.kb.article(id).tags) == ["长三角", "同时", "新"])
            #expect(try replica.conflictIDs().isEmpty)
        }
        // Removed on one, removed and added again later on the other: the later change wins.
        _ = try replicas[0].kb.untag(id, ["同时"])
        clock.advance(by: 5)
        _ = try replicas[1].kb.untag(id, ["同时"])
        _ = try replicas[1].kb.tag(id, ["同时"])
        try await syncUntilQuiet(replicas)
        for replica in replicas { #expect(try replica.kb.article(id).tags.contains("同时")) }
        #expect(try replicas[0].digest == replicas[1].digest)
    }

    // MARK: - Faults

    /// Joplin: a retried create showed up four to six times.
    @Test func repeatedRequests_neverDuplicate() async throws {
        let hub = try TestHub()
        let token = try await hub.token(for: "research")
        let repeating = FaultyTransport(InProcessTransport(service: hub.service), seed: 1, duplicate: 1.0)
        let a = try Replica("a", hub: hub, token: token, clock: clock.clock, transport: repeating)
        let b = try Replica("b", hub: hub, token: token, clock: clock.clock, transport: repeating)
        try a.importPage(try SeedPage.text)
        try await a.sync()
        try await b.sync()
        #expect(try b.kb.listArticles().count == 9)
        #expect(try await hub.store.replicas(in: "research").values.reduce(0, +) == 10)
        #expect(try await hub.store.knowledgeBase("research")?.head == 10)
        #expect(try a.digest == b.digest)
    }

    /// Joplin: a flaky connection left items never synced.
    ///
    /// Every step can be repeated.
    @Test func lostRequestsAndResponses_everythingArrives() async throws {
        let hub = try TestHub()
        let token = try await hub.token(for: "research")
        var replicas: [Replica] = []
        for index in 0..<3 {
            let flaky = FaultyTransport(
                InProcessTransport(service: hub.service), seed: UInt64(index + 7), dropRequest: 0.2, dropResponse: 0.2,
                duplicate: 0.1, unavailable: 0.1)
            replicas.append(try Replica("r\(index)", hub: hub, token: token, clock: clock.clock, transport: flaky))
        }
        func settle() async throws -> Bool {
            for _ in 0..<60 {
                var moved = 0
                var failed = false
                for replica in replicas {
                    do {
                        let report = try await replica.sync()
                        moved += report.pushed + report.pulled
                    } catch is SyncError {
                        failed = true
                    }
                }
                if !failed && moved == 0 { return true }
            }
            return false
        }
        try replicas[0].importPage(try SeedPage.text)
        #expect(try await settle())
        let id = try firstArticleID(replicas[0])
        for (index, replica) in replicas.enumerated() {
            for note in 0..<5 {
                _ = try replica.kb.annotate(id, target: .article, note: "第\(index)台机器的第\(note)条笔记")
            }
        }
        #expect(try await settle())
        for replica in replicas { #expect(try replica.kb.notes().count == 15) }
        #expect(Set(try replicas.map { try $0.digest }).count == 1)
    }

    /// PouchDB: the cursor written past what was applied; Joplin: a first sync that restarts
    /// from zero after every interruption.
    ///
    /// A page and the cursor are committed together.
    @Test func firstPullInterrupted_resumesAndRefetchesAtMostOnePage() async throws {
        let hub = try TestHub()
        let token = try await hub.token(for: "research")
        let writer = try Replica("writer", hub: hub, token: token, clock: clock.clock)
        for index in 0..<120 {
            _ = try writer.kb.addArticle(title: "文章\(index)", body: "正文第\(index)篇。")
        }
        try await writer.sync()

        let cutting = CuttingTransport(InProcessTransport(service: hub.service), failAfter: 3)
        let reader = try Replica("reader", hub: hub, token: token, clock: clock.clock, transport: cutting)
        await #expect(throws: SyncError.self) { try await reader.sync() }
        let halfway = try reader.kb.listArticles().count
        #expect(halfway == 100)  // two pages of 50 were applied before the cut
        let report = try await reader.withTransport(InProcessTransport(service: hub.service)).sync()
        #expect(report.duplicates == 0)  // nothing fetched twice
        #expect(report.pulled == 20)
        #expect(try reader.kb.listArticles().count == 120)
        #expect(try reader.digest == writer.digest)
    }

    /// Zotero: the hub restored from an older backup; its history goes backwards.
    @Test func hubRestoredFromOlderBackup_replicasUploadWhatItLost() async throws {
        let hub = try TestHub()
        let token = try await hub.token(for: "research")
        let a = try Replica("a", hub: hub, token: token, clock: clock.clock)
        let b = try Replica("b", hub: hub, token: token, clock: clock.clock)
        try a.importPage(try SeedPage.text)
        try await syncUntilQuiet([a, b])
        // Back up the hub, then make more changes on both replicas and sync them.
        let backup = FileManager.default.temporaryDirectory.appendingPathComponent("kb-backup-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: hub.directory, to: backup)
        defer { try? FileManager.default.removeItem(at: backup) }
        let id = try firstArticleID(a)
        _ = try a.kb.tag(id, ["备份后"])
        _ = try b.kb.annotate(id, target: .article, note: "备份后的笔记")
        try await syncUntilQuiet([a, b])
        // Restore the backup into a new hub: it lost the last changes.
        let restored = try SQLiteHubStore(directory: backup.path)
        let service = HubService(store: restored, clock: clock.clock, logger: hub.service.logger)
        let restoredA = try a.withTransport(InProcessTransport(service: service))
        let restoredB = try b.withTransport(InProcessTransport(service: service))
        _ = try b.kb.editAnnotation(try #require(try b.kb.notes().first?.id), note: "恢复后又改")
        try await syncUntilQuiet([restoredA, restoredB])
        // A fresh replica gets everything from the restored hub.
        let fresh = try Replica(
            "fresh", hub: hub, token: token, clock: clock.clock, transport: InProcessTransport(service: service))
        try await fresh.sync()
        #expect(try fresh.kb.article(id).tags == ["备份后"])
        #expect(try fresh.kb.notes().map(\.note) == ["恢复后又改"])
        #expect(Set([try a.digest, try b.digest, try fresh.digest]).count == 1)
    }

    /// A laptop restored from an older backup reuses sequence numbers the hub holds: its new edits
    /// must neither be dropped as duplicates nor hide the changes the hub got before.
    @Test func fileRestoredFromOlderCopy_newEditsAndOldOnesBothKept() async throws {
        let hub = try TestHub()
        let token = try await hub.token(for: "research")
        let a = try Replica("a", hub: hub, token: token, clock: clock.clock)
        let b = try Replica("b", hub: hub, token: token, clock: clock.clock)
        let article = try a.kb.addArticle(title: "原题", body: "正文。")
        try await syncUntilQuiet([a, b])
        let backup = try DatabaseQueue(configuration: AppDatabase.makeConfiguration())
        try a.kb.database.writer.backup(to: backup)
        _ = try a.kb.editArticle(article.id, title: "备份之后的标题")
        try await a.sync()
        // The laptop comes back from the backup and is edited before it syncs.
        let restored = Replica(
            kb: KnowledgeBase(database: try AppDatabase(backup), clock: clock.clock),
            transport: InProcessTransport(service: hub.service), name: "restored", hub: hub)
        _ = try restored.kb.editArticle(article.id, title: "恢复之后的标题")
        let report = try await restored.sync()
        #expect(report.reidentified)
        try await syncUntilQuiet([restored, b])
        for replica in [restored, b] {
            let conflict = try #require(try Conflicts.list(replica.kb).first)
            #expect(Set([conflict.mine, conflict.theirs]) == ["备份之后的标题", "恢复之后的标题"])
        }
        #expect(try restored.digest == b.digest)
        #expect(try restored.kb.health().gaps == 0)
    }

    /// A page imported on a file restored from an older copy is kept as references to its articles' creations;
    /// when those take a new replica id and new numbers, the page is stored on its own and reads back the same,
    /// there and on the replicas it reaches.
    @Test func pageImportedOnAFileRestoredFromOlderCopy_readsBackAfterItsCreationsAreRenumbered() async throws {
        let hub = try TestHub()
        let token = try await hub.token(for: "research")
        let a = try Replica("a", hub: hub, token: token, clock: clock.clock)
        let b = try Replica("b", hub: hub, token: token, clock: clock.clock)
        _ = try a.kb.addArticle(title: "原题", body: "正文。")
        try await syncUntilQuiet([a, b])
        let backup = try DatabaseQueue(configuration: AppDatabase.makeConfiguration())
        try a.kb.database.writer.backup(to: backup)
        _ = try a.kb.addArticle(title: "备份之后", body: "又一篇。")
        try await a.sync()
        let restored = Replica(
            kb: KnowledgeBase(database: try AppDatabase(backup), clock: clock.clock),
            transport: InProcessTransport(service: hub.service), name: "restored", hub: hub)
        let page = try SeedPage.text
        try restored.importPage(page)
        let pageText = { (replica: Replica) in
            try replica.kb.database.writer.read { db in
                try Source.readAll(db, sql: "SELECT * FROM sources").map(\.text)
            }
        }
        let format = try await restored.kb.database.writer.read { db in
            try Data.fetchOne(db, sql: "SELECT substr(text, 1, 1) FROM sources")
        }
        #expect(format == Data([2]))
        let report = try await restored.sync()
        #expect(report.reidentified)
        try await syncUntilQuiet([restored, b])
        for replica in [restored, b] {
            #expect(try pageText(replica) == [page])
            #expect(try replica.kb.check().isOK)
        }
    }

    /// Joplin: an empty or switched sync target made the client think everything was deleted.
    @Test func switchedToAnEmptyHub_nothingIsDeleted() async throws {
        let hub = try TestHub()
        let replicas = try await makeReplicas(2, hub: hub)
        try replicas[0].importPage(try SeedPage.text)
        try await syncUntilQuiet(replicas)
        let empty = try TestHub()
        let token = try await empty.token(for: "research")
        try replicas[1].kb.writeNow { db in
            try db.execute(sql: "UPDATE remotes SET token = ?", arguments: [token])
        }
        let moved = try replicas[1].withTransport(InProcessTransport(service: empty.service))
        let report = try await moved.sync()
        #expect(report.reconciled)
        #expect(try replicas[1].kb.listArticles().count == 9)
        #expect(try replicas[1].count("SELECT COUNT(*) FROM articles WHERE deleted = 1") == 0)
        // It uploaded what the new hub lacked, including the other replica's changes.
        #expect(try await empty.store.knowledgeBase("research")?.head == 10)
    }

    /// Joplin: a laptop unused for weeks synced and reverted everyone's work.
    @Test func staleReplicaWithoutEdits_changesNothingOnOthers() async throws {
        let hub = try TestHub()
        let replicas = try await makeReplicas(2, hub: hub)
        try replicas[0].importPage(try SeedPage.text)
        try await syncUntilQuiet(replicas)
        let id = try firstArticleID(replicas[0])
        for round in 0..<5 { _ = try replicas[0].kb.editArticle(id, title: "第\(round)版") }
        try await replicas[0].sync()
        let before = try replicas[0].digest
        let report = try await replicas[1].sync()
        #expect(report.pushed == 0)
        try await replicas[0].sync()
        #expect(try replicas[0].digest == before)
        #expect(try replicas[1].article(id)?.title == "第4版")
    }

    /// Joplin, Zotero: typing while a sync runs, the echo from the hub overwrote the newer text.
    @Test func editBetweenPushAndPull_survivesWithoutFalseConflict() async throws {
        let hub = try TestHub()
        let token = try await hub.token(for: "research")
        let a = try Replica("a", hub: hub, token: token, clock: clock.clock)
        try a.importPage(try SeedPage.text)
        let id = try firstArticleID(a)
        _ = try a.kb.editArticle(id, title: "推送的标题")
        let kb = a.kb
        let hook = EditingTransport(InProcessTransport(service: hub.service)) {
            _ = try? kb.editArticle(id, title: "同步时改的标题")
        }
        let during = try a.withTransport(hook)
        try await during.sync()
        try await a.sync()
        #expect(try a.article(id)?.title == "同步时改的标题")
        #expect(try a.conflictIDs().isEmpty)
    }

    /// Actual: one device's clock far ahead made everyone's edits lose to it.
    @Test func clockOneHourAhead_refused_othersUnaffected() async throws {
        let hub = try TestHub(clock: clock.clock)
        let token = try await hub.token(for: "research")
        let fast = try Replica("fast", hub: hub, token: token, clock: clock.clock.offset(by: 3_600_000))
        let normal = try Replica("normal", hub: hub, token: token, clock: clock.clock)
        _ = try fast.kb.addArticle(title: "快钟", body: "时钟快了一个小时。")
        _ = try normal.kb.addArticle(title: "正常", body: "时钟正常。")
        do {
            try await fast.sync()
            Issue.record("a replica one hour ahead was not refused")
        } catch let error as SyncError {
            #expect(error.kind == .clockAhead)
            #expect(error.message.contains("ahead"))
        }
        try await normal.sync()
        #expect(try await hub.store.knowledgeBase("research")?.head == 1)
        let other = try Replica("other", hub: hub, token: token, clock: clock.clock)
        try await other.sync()
        #expect(try other.kb.listArticles().map(\.title) == ["正常"])
    }

    @Test func clockTwoMinutesAhead_converges() async throws {
        let hub = try TestHub(clock: clock.clock)
        let token = try await hub.token(for: "research")
        let fast = try Replica("fast", hub: hub, token: token, clock: clock.clock.offset(by: 120_000))
        let normal = try Replica("normal", hub: hub, token: token, clock: clock.clock)
        _ = try fast.kb.addArticle(title: "快钟", body: "快两分钟。")
        _ = try normal.kb.addArticle(title: "正常", body: "时钟正常。")
        try await syncUntilQuiet([fast, normal])
        #expect(try fast.digest == normal.digest)
        #expect(try normal.kb.listArticles().count == 2)
    }

    /// Actual: a large first upload failed with 413 forever.
    ///
    /// Batches are bounded.
    @Test func fiftyThousandChanges_goThroughInBoundedBatches() async throws {
        let hub = try TestHub()
        let token = try await hub.token(for: "research")
        let counting = CountingTransport(InProcessTransport(service: hub.service))
        let a = try Replica("a", hub: hub, token: token, clock: clock.clock, transport: counting)
        try a.kb.writeNow { db in
            var changes = try ChangeWriter(db, clock: clock.clock)
            for index in 0..<50_000 {
                let id = String(format: "%024x", index)
                let article = Article(id: id, title: "第\(index)篇", body: "正文\(index)。", createdAt: 1)
                try article.save(db)
                try changes.create(.article, id: id, json: try JSONText.encode(ArticleCreation(article)))
            }
            try changes.finish()
        }
        let report = try await a.sync()
        #expect(report.pushed == 50_000)
        #expect(counting.largestBody <= SyncLimits.maxBodyBytes)
        #expect(counting.pushes >= 25)  // at most 2,000 changes per push
    }

    /// any-sync: one bad item made the hub resend forever.
    ///
    /// It is set aside; the rest go on.
    @Test func changeThatCannotBeApplied_setAside_restApplies() async throws {
        let hub = try TestHub()
        let token = try await hub.token(for: "research")
        let bad = WireChange(
            replica: "badbadbadbadbad0", seq: 1, hlc: 1, entity: "article", id: "5d0b6c1e9a7f42c3b8e1d290",
            field: "title", op: "set",
            value: "42", base: [])
        let body = PushRequest(replica: "badbadbadbadbad0", changes: [bad]).jsonBytes
        let answer = try await hub.service.send(
            "POST", "/v1/kb/research/changes", headers: ["authorization": "Bearer \(token)"],
            body: Array(body))
        #expect(answer.status == 200)
        let a = try Replica("a", hub: hub, token: token, clock: clock.clock)
        let b = try Replica("b", hub: hub, token: token, clock: clock.clock)
        _ = try a.kb.addArticle(title: "好的", body: "正常的文章。")
        try await a.sync()
        let report = try await b.sync()
        #expect(report.quarantined == 1)
        #expect(report.pulled == 1)
        #expect(try b.kb.status().quarantined == 1)
        // Syncing again neither re-applies nor loops.
        let again = try await b.sync()
        #expect(again.pulled == 0 && again.quarantined == 0)
        #expect(try b.kb.health().gaps == 0)
    }

    @Test func annotationArrivingBeforeItsArticle_waitsThenAnchors() async throws {
        let hub = try TestHub()
        let token = try await hub.token(for: "research")
        let a = try Replica("a", hub: hub, token: token, clock: clock.clock)
        let article = try a.kb.addArticle(title: "标题", body: "这是一段用来划线的中文正文。")
        let note = try a.kb.annotate(
            article.id, target: .quote("划线", occurrence: nil, prefix: nil, suffix: nil), note: "先到的笔记")
        // Send the annotation's changes first, the article after (as a relay of another hub could).
        let wires = try a.kb.readNow { db in
            try Row.fetchAll(db, sql: "SELECT * FROM changes ORDER BY rowid").map {
                try ChangeApplier.wire(db, try ChangeStore.change(from: $0))
            }
        }
        let b = try Replica("b", hub: hub, token: token, clock: clock.clock)
        let annotationFirst = wires.filter { $0.entity == "annotation" }
        _ = try b.kb.writeNow { db in try ChangeApplier.apply(db, annotationFirst, now: 1) }
        #expect(try b.kb.notes().isEmpty)  // waiting: its article is not here
        _ = try b.kb.writeNow { db in
            try ChangeApplier.apply(db, wires.filter { $0.entity == "article" }, now: 2)
        }
        let arrived = try #require(try b.kb.notes().first)
        #expect(arrived.id == note.id)
        #expect(arrived.state == .anchored)
        #expect(arrived.start == note.start)
    }

    /// Records whose only change is their creation are written straight from it: the result must be the
    /// one the general merge gives, whatever the page holds and in whatever order.
    @Test func freshRecordsInOnePage_sameAsOneChangeAtATime() async throws {
        let hub = try TestHub()
        let token = try await hub.token(for: "research")
        let a = try Replica("a", hub: hub, token: token, clock: clock.clock)
        let body = "😀𠮷开头。这是一段用来划线的中文正文，划线的地方有两处：划线。"
        let untouched = try a.kb.addArticle(title: "只创建", body: body)
        let edited = try a.kb.addArticle(title: "会改", body: body)
        for article in [untouched, edited] {
            _ = try a.kb.annotate(
                article.id, target: .quote("划线", occurrence: 2, prefix: nil, suffix: nil), note: "第二处")
            _ = try a.kb.annotate(article.id, target: .range(0, 3), note: "开头", tags: ["标"])
        }
        _ = try a.kb.editArticle(edited.id, body: "插入一句。" + body)
        let wires = try a.kb.readNow { db in
            try Row.fetchAll(db, sql: "SELECT * FROM changes ORDER BY rowid").map {
                try ChangeApplier.wire(db, try ChangeStore.change(from: $0))
            }
        }
        func annotations(_ kb: KnowledgeBase) throws -> [String] {
            try kb.readNow { db in
                try Row.fetchAll(db, sql: "SELECT id, start, \"end\", state, note FROM annotations ORDER BY id")
                    .map {
                        "\($0[0] as String) \($0[1] as Int?) \($0[2] as Int?) \($0[3] as String) \($0[4] as String)"
                    }
            }
        }
        var results: Set<[String]> = []
        var digests: Set<String> = [try a.digest]
        let orders = [
            wires, wires.reversed(), wires.filter { $0.entity != "article" } + wires.filter { $0.entity == "article" },
        ]
        for order in orders {
            let page = KnowledgeBase(database: try AppDatabase.inMemory(), clock: clock.clock)
            _ = try page.writeNow { db in try ChangeApplier.apply(db, order, now: 1) }
            let single = KnowledgeBase(database: try AppDatabase.inMemory(), clock: clock.clock)
            for change in order { _ = try single.writeNow { db in try ChangeApplier.apply(db, [change], now: 1) } }
            for kb in [page, single] {
                digests.insert(try kb.health().digest)
                results.insert(try annotations(kb))
            }
        }
        #expect(digests.count == 1)
        #expect(results.count == 1)
        #expect(results.first == (try annotations(a.kb)))
    }

    /// cr-sqlite: delete, re-insert and update arriving in different orders gave different results.
    @Test func everyArrivalOrder_givesTheSameState() async throws {
        let hub = try TestHub()
        let replicas = try await makeReplicas(3, hub: hub)
        let article = try replicas[0].kb.addArticle(title: "原题", body: "原文。")
        try await syncUntilQuiet(replicas)
        _ = try replicas[0].kb.editArticle(article.id, title: "甲改")
        _ = try replicas[1].kb.removeArticle(article.id)
        _ = try replicas[2].kb.editArticle(article.id, body: "丙改的正文。")
        _ = try replicas[2].kb.tag(article.id, ["丙"])
        for replica in replicas { try await replica.sync() }
        let all = try replicas[0].kb.readNow { db in
            try Row.fetchAll(db, sql: "SELECT * FROM changes ORDER BY rowid").map {
                try ChangeApplier.wire(db, try ChangeStore.change(from: $0))
            }
        }
        try await syncUntilQuiet(replicas)
        let all2 = try replicas[0].kb.readNow { db in
            try Row.fetchAll(db, sql: "SELECT * FROM changes ORDER BY rowid").map {
                try ChangeApplier.wire(db, try ChangeStore.change(from: $0))
            }
        }
        #expect(all2.count >= all.count)
        var digests: Set<String> = []
        var generator = SeededGenerator(seed: 99)
        for _ in 0..<8 {
            let fresh = KnowledgeBase(database: try AppDatabase.inMemory(), clock: clock.clock)
            let shuffled = all2.shuffled(using: &generator)
            for change in shuffled {
                _ = try fresh.writeNow { db in try ChangeApplier.apply(db, [change], now: 1) }
            }
            digests.insert(try fresh.health().digest)
        }
        #expect(digests.count == 1)
        #expect(digests.first == (try replicas[0].digest))
    }

    /// An Actual fork trusted a received digest and never noticed a missed change: kb checks its own history.
    @Test func missedChange_gapFoundLocally_andHealed() async throws {
        let hub = try TestHub()
        let replicas = try await makeReplicas(2, hub: hub)
        for index in 0..<5 { _ = try replicas[0].kb.addArticle(title: "第\(index)篇", body: "正文\(index)。") }
        try await syncUntilQuiet(replicas)
        // Lose one pulled change on the second replica, as a bad disk or a bug would.
        try replicas[1].kb.writeNow { db in
            let rowid = try Int64.fetchOne(db, sql: "SELECT rowid FROM changes ORDER BY rowid LIMIT 1 OFFSET 2")!
            try db.execute(sql: "DELETE FROM heads WHERE change = ?", arguments: [rowid])
            try db.execute(sql: "DELETE FROM changes WHERE rowid = ?", arguments: [rowid])
        }
        #expect(try replicas[1].kb.health().gaps == 1)
        let report = try await replicas[1].sync()
        #expect(report.reconciled)
        #expect(try replicas[1].kb.health().gaps == 0)
    }

    /// Automerge: dropped messages left peers syncing forever.
    ///
    /// Every sync ends in bounded rounds.
    @Test func syncEndsInBoundedRounds() async throws {
        let hub = try TestHub()
        let replicas = try await makeReplicas(3, hub: hub)
        for (index, replica) in replicas.enumerated() {
            for note in 0..<30 { _ = try replica.kb.addArticle(title: "\(index)-\(note)", body: "正文。\(index)\(note)") }
        }
        let rounds = try await syncUntilQuiet(replicas, maxRounds: 3)
        #expect(rounds <= 3)
        for replica in replicas {
            let report = try await replica.sync()
            #expect(report.requests <= 3)  // replicas, then one pull: nothing to push
        }
    }

    /// cr-sqlite: two processes writing one database overwrote each other's versions.
    @Test func localWritesDuringApply_everyChangeRecordedOnce() async throws {
        let hub = try TestHub()
        let replicas = try await makeReplicas(2, hub: hub)
        for index in 0..<40 { _ = try replicas[0].kb.addArticle(title: "\(index)", body: "正文\(index)。") }
        try await replicas[0].sync()
        async let pulling = replicas[1].sync()
        for index in 0..<20 { _ = try replicas[1].kb.addArticle(title: "本地\(index)", body: "本地正文\(index)。") }
        _ = try await pulling
        try await syncUntilQuiet(replicas)
        let seqs = try replicas[1].kb.readNow { db in
            try Int64.fetchAll(
                db, sql: "SELECT seq FROM changes WHERE replica = ? ORDER BY seq", arguments: [try Meta.replicaID(db)])
        }
        #expect(seqs == Array(1...20))
        #expect(try replicas[0].digest == replicas[1].digest)
    }
}

// MARK: - Helpers

extension Replica {
    /// The same knowledge base with another way to the hub.
    func withTransport(_ transport: any HubTransport) throws -> Replica {
        Replica(kb: kb, transport: transport, name: name, hub: hub)
    }

    init(kb: KnowledgeBase, transport: any HubTransport, name: String, hub: TestHub) {
        self.kb = kb
        var engine = SyncEngine(kb: kb, transport: transport)
        engine.pageSize = 50
        self.engine = engine
        self.name = name
        self.hub = hub
    }
}

/// Fails every request after a number of them, as a dropped connection would.
final class CuttingTransport: HubTransport, Sendable {
    let base: any HubTransport
    let failAfter: Int
    private let sent = Mutex<Int>(0)

    init(_ base: any HubTransport, failAfter: Int) {
        self.base = base
        self.failAfter = failAfter
    }

    func send(_ request: HubRequest) async throws -> HubResponse {
        let count = sent.withLock {
            $0 += 1
            return $0
        }
        if count > failAfter { throw SyncError(.unreachable, "cut (injected)") }
        return try await base.send(request)
    }
}

/// Counts requests and the largest body.
final class CountingTransport: HubTransport, Sendable {
    let base: any HubTransport
    private let state = Mutex<(pushes: Int, largest: Int)>((0, 0))

    init(_ base: any HubTransport) { self.base = base }

    var pushes: Int { state.withLock { $0.pushes } }
    var largestBody: Int { state.withLock { $0.largest } }

    func send(_ request: HubRequest) async throws -> HubResponse {
        if request.method == .post {
            state.withLock {
                $0.pushes += 1
                $0.largest = max($0.largest, request.body?.count ?? 0)
            }
        }
        return try await base.send(request)
    }
}

/// Runs an edit right after the push, before the pull: a user typing while a sync runs.
final class EditingTransport: HubTransport, @unchecked Sendable {
    // @unchecked Sendable: `edited` is only read and written under `lock`.
    let base: any HubTransport
    let edit: @Sendable () -> Void
    private let lock = NSLock()
    private var edited = false

    init(_ base: any HubTransport, edit: @escaping @Sendable () -> Void) {
        self.base = base
        self.edit = edit
    }

    func send(_ request: HubRequest) async throws -> HubResponse {
        let response = try await base.send(request)
        let shouldEdit = lock.withLock { () -> Bool in
            guard request.method == .post && !edited else { return false }
            edited = true
            return true
        }
        if shouldEdit { edit() }
        return response
    }
}
