import Foundation
import Testing

/// `kb rm`, `kb trash`, `kb restore`, `kb history` and `kb show --at` with the built binary, on one
/// replica and across replicas through a real hub.
@Suite("Trash and history end to end")
struct TrashEndToEndTests {
    /// A replica with the seed page imported, and the article that holds `记者陈华`.
    static func seeded(_ replica: Replica) throws -> String {
        try replica.ok(["import", try TestPaths.fixture("seed_page.txt").path])
        return try #require(try replica.array(["search", "记者陈华"]).first?.string("id"))
    }

    static func noteIDs(_ replica: Replica, _ article: String) throws -> Set<String> {
        Set(try replica.array(["notes", article]).compactMap { $0.string("id") })
    }

    // MARK: - One replica

    @Test func rm_trashListsItWithItsNotes_restoreBringsArticleAndNotesBack() throws {
        let replica = Replica("trash", in: try TemporaryFolder())
        let article = try Self.seeded(replica)
        let prefix = String(article.prefix(6))
        let quoted = try replica.object(["annotate", article, "--quote", "非遗技艺交流活动", "--note", "𠮷野家 😀 笔记"])
        let whole = try replica.object(["annotate", article, "--note", "全文的ＡＩ笔记"])
        let notes = Set([quoted.string("id"), whole.string("id")].compactMap { $0 })
        #expect(notes.count == 2)
        let replicaID = try #require(try replica.status().string("replica"))

        // kb rm says how many notes went with the article.
        let removed = try replica.ok(["rm", prefix])
        #expect(removed.stdout.contains("to the trash with 2 notes"), "\(removed)")
        #expect(removed.stdout.contains("kb restore \(article.prefix(8))"), "\(removed)")
        #expect(try !replica.articleIDs().contains(article))
        #expect(try replica.array(["notes"]).isEmpty)

        // kb trash lists it, with its notes, when and by whom.
        let trash = try replica.array(["trash"])
        #expect(trash.count == 1, "\(trash)")
        let item = try #require(trash.first)
        #expect(
            Set(item.keys) == ["entity", "id", "title", "article_id", "deleted_at", "deleted_by", "annotations"])
        #expect(item.string("entity") == "article")
        #expect(item.string("id") == article)
        #expect(item.int("annotations") == 2)
        #expect(item.string("deleted_by") == replicaID)
        #expect(item.string("deleted_at")?.hasSuffix("Z") == true)
        #expect(item["article_id"] is NSNull)
        #expect(item.string("title")?.isEmpty == false)
        let human = try replica.ok(["trash"]).stdout
        #expect(human.contains(String(article.prefix(8))) && human.contains("2 notes"), "\(human)")
        #expect(human.contains("this replica"), "\(human)")

        // kb restore brings the article back with both notes.
        let restored = try replica.object(["restore", prefix])
        #expect(restored.string("id") == article)
        #expect(restored.string("entity") == "article")
        #expect(restored["restored"] as? Bool == true)
        #expect(restored.int("annotations") == 2)
        #expect(try replica.articleIDs().contains(article))
        #expect(try Self.noteIDs(replica, article) == notes)
        #expect(try replica.array(["trash"]).isEmpty)
        #expect(try replica.ok(["trash"]).stdout.contains("The trash is empty."))

        // An annotation goes to the trash on its own and comes back the same way.
        let noteID = try #require(quoted.string("id"))
        let removedNote = try replica.ok(["annotation", "rm", noteID])
        #expect(removedNote.stdout.contains("to the trash"), "\(removedNote)")
        let noteItem = try #require(try replica.array(["trash"]).first)
        #expect(noteItem.string("entity") == "annotation")
        #expect(noteItem.string("title") == "非遗技艺交流活动")
        #expect(noteItem.string("article_id") == article)
        try replica.ok(["restore", String(noteID.prefix(16))])
        #expect(try Self.noteIDs(replica, article) == notes)
    }

    @Test func history_listsVersionsWithChineseTitles_showAt_andRestoreTo() throws {
        let replica = Replica("history", in: try TemporaryFolder())
        let added = try replica.object(["add", "--title", "非遗技艺交流活动"], stdin: Data("第一段𠮷野家。\n\n第二段😀。".utf8))
        let article = try #require(added.string("id"))
        try replica.ok(["edit", article, "--title", "ＡＩ大模型𠮷😀"])
        try replica.ok(["tag", article, "非遗"])
        try replica.ok(["rm", article])
        try replica.ok(["restore", article])

        let versions = try replica.array(["history", String(article.prefix(6))])
        #expect(versions.map { $0.int("version") } == [1, 2, 3, 4, 5])
        #expect(versions.map { $0.string("action") } == ["create", "edit", "edit", "delete", "restore"])
        #expect(versions.map { $0["fields"] as? [String] } == [[], ["title"], ["tags"], [], []])
        let first = try #require(versions.first)
        #expect(Set(first.keys) == ["version", "time", "replica", "action", "fields", "changes"])
        #expect(first.string("replica") == (try replica.status().string("replica")))
        let human = try replica.ok(["history", article]).stdout
        #expect(human.contains("edit title") && human.contains("this replica"), "\(human)")

        let atOne = try replica.object(["show", article, "--at", "1"])
        #expect(atOne.string("title") == "非遗技艺交流活动")
        #expect(atOne.int("version") == 1)
        let atTwo = try replica.object(["show", article, "--at", "2"])
        #expect(atTwo.string("title") == "ＡＩ大模型𠮷😀")
        #expect(atTwo["tags"] as? [String] == [])
        #expect(try replica.object(["show", article, "--at", "3"])["tags"] as? [String] == ["非遗"])
        #expect(try replica.ok(["show", article, "--at", "1"]).stdout.contains("非遗技艺交流活动"))

        let restored = try replica.object(["restore", article, "--to", "1"])
        #expect(restored.int("version") == 1)
        #expect(restored["fields"] as? [String] == ["title", "tags"])
        let now = try replica.object(["show", article])
        #expect(now.string("title") == "非遗技艺交流活动")
        #expect(now["tags"] as? [String] == [])
        #expect(try replica.array(["history", article]).count == 6)
    }

    @Test(arguments: [
        ["restore", "ffffffff"], ["history", "ffffffff"], ["show", "ffffffff", "--at", "1"],
        ["restore", "ffffffff", "--to", "1"],
    ])
    func unknownID_exits1_withOneSentenceNamingIt(arguments: [String]) throws {
        let replica = Replica("errors", in: try TemporaryFolder())
        _ = try Self.seeded(replica)
        let before = try replica.status()
        let result = try replica.run(arguments)
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.hasOneSentenceError, "\(result)")
        #expect(result.stderr.contains("'ffffffff'"), "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(try replica.status().string("digest") == before.string("digest"))
    }

    @Test func unknownVersion_liveRecord_andBadAge_areOneSentenceErrors_thatChangeNothing() throws {
        let replica = Replica("errors", in: try TemporaryFolder())
        let article = try Self.seeded(replica)
        let before = try replica.status()
        let cases: [([String], Int32, String)] = [
            (["show", article, "--at", "9"], 1, "No version 9 of '\(article.prefix(8))'"),
            (["restore", article, "--to", "0"], 1, "No version 0 of '\(article.prefix(8))'"),
            (["restore", article], 1, "'\(article.prefix(8))' is not in the trash"),
            (["trash", "empty", "--older-than", "30x"], 64, "'30x'"),
        ]
        for (arguments, code, text) in cases {
            let result = try replica.run(arguments)
            #expect(result.exitCode == code, "\(result)")
            #expect(result.hasOneSentenceError, "\(result)")
            #expect(result.stderr.contains(text), "\(result)")
        }
        let after = try replica.status()
        #expect(after.string("digest") == before.string("digest"))
        #expect(after.int("pending") == before.int("pending"))
    }

    // MARK: - Across replicas

    @Test func trashAndRestoreOnOneReplica_showUpOnTheOther() throws {
        let world = try SyncWorld(replicas: 2)
        let (r1, r2) = (world[0], world[1])
        let article = try Self.seeded(r1)
        let note = try r1.object(["annotate", article, "--quote", "非遗技艺交流活动", "--note", "一号机的笔记"])
        try world.converge()
        let r1ID = try #require(try r1.status().string("replica"))

        try r1.ok(["rm", article])
        try world.converge()
        #expect(try !r2.articleIDs().contains(article))
        let onR2 = try #require(try r2.array(["trash"]).first)
        #expect(onR2.string("id") == article)
        #expect(onR2.string("deleted_by") == r1ID)
        #expect(onR2.int("annotations") == 1)

        try r1.ok(["restore", article])
        try world.converge()
        #expect(try r2.articleIDs().contains(article))
        #expect(try Self.noteIDs(r2, article) == [try #require(note.string("id"))])
        #expect(try r2.array(["trash"]).isEmpty)
        #expect(try r2.array(["history", article]).map { $0.string("action") } == ["create", "delete", "restore"])
        try world.expectConverged()
    }

    @Test func restoreToVersion_syncsToTheOtherReplica_andBothListTheSameHistory() throws {
        let world = try SyncWorld(replicas: 2)
        let (r1, r2) = (world[0], world[1])
        let added = try r1.object(["add", "--title", "三省一市总工会"], stdin: Data("正文𠮷。".utf8))
        let article = try #require(added.string("id"))
        try world.converge()
        try r2.ok(["edit", article, "--title", "二号机改的标题😀"])
        try world.converge()
        #expect(try r1.object(["show", article]).string("title") == "二号机改的标题😀")

        let restored = try r1.object(["restore", article, "--to", "1"])
        #expect(restored["fields"] as? [String] == ["title"])
        try world.converge()
        #expect(try r2.object(["show", article]).string("title") == "三省一市总工会")
        let history1 = try r1.array(["history", article])
        let history2 = try r2.array(["history", article])
        #expect(history1.count == 3)
        #expect(history1.map { $0.string("replica") } == history2.map { $0.string("replica") })
        #expect(history1.map { $0["changes"] as? [String] } == history2.map { $0["changes"] as? [String] })
        #expect(try r2.object(["show", article, "--at", "2"]).string("title") == "二号机改的标题😀")
        try world.expectConverged()
    }

    @Test func trashEmptied_thenOldChangesAndAFullRepull_doNotBringItBack_butARestoreElsewhereDoes() throws {
        let world = try SyncWorld(replicas: 3)
        let (r1, r2, r3) = (world[0], world[1], world[2])
        let article = try Self.seeded(r1)
        let note = try r1.object(["annotate", article, "--note", "随文章走的笔记"])
        try world.converge()
        // r3, offline, edits the article before it hears of the delete.
        try r3.ok(["edit", article, "--title", "三号机离线改的标题"])
        try r1.ok(["rm", article])
        try world.converge([r1, r2])

        let purged = try r1.object(["trash", "empty"])
        #expect(purged.int("articles") == 1)
        #expect(purged.int("annotations") == 0)
        #expect(try r1.array(["trash"]).isEmpty)
        #expect(try r1.status().int("pending") == 0, "purging sends nothing")
        try world.converge([r1, r2])
        #expect(try r2.array(["trash"]).map { $0.string("id") } == [article], "the other replica keeps its copy")

        // r3's old edit arrives: the delete still wins, and the purged article stays out of r1.
        try world.converge()
        #expect(try r1.array(["trash"]).isEmpty, "an old change pulled later does not bring it back")
        #expect(try !r1.articleIDs().contains(article))
        let conflicts = try r1.conflictIDs()
        #expect(try !conflicts.isEmpty && conflicts == r3.conflictIDs(), "the delete-vs-edit conflict is listed")

        // Every change pulled again from the start of the hub's log.
        try r1.ok(["remote", "rm", "origin"])
        try r1.addRemote(world.hub.url(world.kbName), tokenFile: world.tokenFile)
        try world.sync(r1)
        #expect(try r1.array(["trash"]).isEmpty, "old changes pulled again do not bring it back")
        #expect(try !r1.articleIDs().contains(article))

        // Restored on a replica that kept it: back here too, with its note and r3's edit.
        try r2.ok(["restore", article])
        try world.converge()
        #expect(try r1.articleIDs().contains(article))
        #expect(try r1.object(["show", article]).string("title") == "三号机离线改的标题")
        #expect(try Self.noteIDs(r1, article) == [try #require(note.string("id"))])
        try world.expectConverged()
    }
}
