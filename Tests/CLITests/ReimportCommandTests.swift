import Foundation
import Testing

/// `kb import` of a new version of a page imported before: in place by default, a copy with `--as-new`,
/// and the same on two replicas through a real hub.
@Suite("Re-import in place")
struct ReimportCommandTests {
    static func seedPage() throws -> String {
        try String(contentsOf: TestPaths.fixture("seed_page.txt"), encoding: .utf8)
    }

    /// The seed page with one character fixed in its first article ("流连" → "留连").
    static func fixedPage() throws -> String {
        try seedPage().replacing("参观者流连于", with: "参观者留连于", expectedCount: 1)
    }

    /// The seed page without its Shandong article, and with a new article at its end.
    static func pageWithAnArticleRemovedAndOneAdded() throws -> String {
        let page = try seedPage()
        let start = try #require(page.range(of: "本报讯 （杨明清"))
        let end = try #require(page.range(of: "本报讯 （记者李润钊"))
        return String(page[..<start.lowerBound] + page[end.lowerBound...])
            + "\n本报讯 （记者王芳）近日，安徽省总工会举办“𠮷祥非遗进校园”活动😀，ＡＩ讲解员向学生介绍徽州\n\n"
            + "木雕与剪纸技艺，现场气氛热烈。\n\n安徽：非遗技艺走进校园\n"
    }

    /// The id of the only article that contains `text`.
    static func article(containing text: String, on replica: Replica) throws -> String {
        let hits = try replica.array(["search", text])
        try #require(hits.count == 1, "'\(text)' on \(replica.name): \(hits)")
        return try #require(hits.first?.string("id"))
    }

    /// Annotates the article that holds `quote`; returns the annotation's id.
    static func annotate(_ quote: String, note: String, on replica: Replica) throws -> String {
        let article = try article(containing: quote, on: replica)
        return try #require(
            try replica.object(["annotate", article, "--quote", quote, "--note", note]).string("id"))
    }

    static func notes(_ replica: Replica) throws -> [String: [String: Any]] {
        Dictionary(
            uniqueKeysWithValues: try replica.array(["notes"]).compactMap { note in
                note.string("id").map { ($0, note) }
            })
    }

    // MARK: - One replica

    @Test func correctedPage_updatesInPlace_reanchorsTheNotes_andSaysSo() throws {
        // Given the seed page with a note away from the typo and a note on it
        let folder = try TemporaryFolder()
        let replica = Replica("reimport", in: folder)
        let page = try folder.write("pages/第6版.txt", try Self.seedPage())
        let first = try replica.object(["import", page])
        let ids = try #require(first["articles"] as? [String])
        let untouched = try Self.annotate("长三角三省一市职工非遗技艺交流活动", note: "活动名称", on: replica)
        let onTheFix = try Self.annotate("参观者流连于各个非遗展位间", note: "观众", on: replica)
        let article = try Self.article(containing: "参观者流连于各个非遗展位间", on: replica)

        // When the page with one character fixed is imported again from the same path, without any flag
        try folder.write("pages/第6版.txt", try Self.fixedPage())
        let result = try replica.ok(["import", page])

        // Then one copy remains, its notes re-anchored, and the report says what changed and names the fuzzy note
        #expect(result.stdout.contains("updated 1, added 0, removed 0 (to the trash)"), "\(result)")
        #expect(result.stdout.contains("annotations anchored 1 / fuzzy 1 / orphaned 0"), "\(result)")
        #expect(result.stdout.contains("fuzzy annotation \(onTheFix.prefix(8))"), "\(result)")
        #expect(result.stdout.contains("参观者流连于各个非遗展位间"), "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")
        #expect(try replica.articleIDs() == ids.sorted())
        let shown = try replica.object(["show", article])
        #expect(shown.string("body")?.contains("参观者留连于各个非遗展位间") == true)
        let notes = try Self.notes(replica)
        #expect(notes[untouched]?.string("state") == "anchored")
        #expect(notes[onTheFix]?.string("state") == "fuzzy")
        #expect(notes[onTheFix]?.string("note") == "观众")
        #expect(try replica.status().int("articles") == 9)

        // And the same bytes again change nothing, with or without the old flag
        let digest = try replica.digest()
        let again = try replica.object(["import", page])
        #expect(again.int("unchanged") == 1 && again.int("updated") == 0)
        let legacy = try replica.ok(["import", "--update", page])
        #expect(legacy.stdout.contains("unchanged"), "\(legacy)")
        #expect(try replica.digest() == digest)
    }

    @Test func pageWithAnArticleRemovedAndOneAdded_json_namesEveryChange() throws {
        // Given the seed page with a note on the article that will vanish and one on an article that stays
        let folder = try TemporaryFolder()
        let replica = Replica("reimport", in: folder)
        let page = try folder.write("page.txt", try Self.seedPage())
        try replica.ok(["import", page])
        let vanishing = try Self.article(containing: "出口转内销", on: replica)
        let trashed = try Self.annotate("出口转内销", note: "内销", on: replica)
        let kept = try Self.annotate("长三角三省一市职工非遗技艺交流活动", note: "活动名称", on: replica)

        // When the new version is imported
        try folder.write("page.txt", try Self.pageWithAnArticleRemovedAndOneAdded())
        let report = try replica.object(["import", page])

        // Then the top-level keys stay, and the new ones say what happened
        #expect(report.int("updated") == 1 && report.int("added") == 0 && report.int("unchanged") == 0)
        #expect((report["failed"] as? [Any])?.isEmpty == true)
        #expect(report.int("articles_added") == 1)
        #expect(report.int("articles_updated") == 0)
        #expect(report.int("articles_removed") == 1)
        let annotations = try #require(report["annotations"] as? [String: Any])
        #expect(annotations.int("trashed") == 1 && annotations.int("fuzzy") == 0 && annotations.int("orphaned") == 0)
        let review = try #require(annotations["review"] as? [[String: Any]])
        #expect(review.count == 1)
        #expect(review.first?.string("id") == trashed)
        #expect(review.first?.string("quote") == "出口转内销")
        #expect(review.first?.string("outcome") == "trashed")
        #expect(review.first?.string("article_id") == vanishing)
        let file = try #require((report["files"] as? [[String: Any]])?.first)
        #expect(file.string("status") == "updated")
        #expect(file.string("identity") == "path")
        #expect(file.int("updated") == 0 && file.int("added") == 1 && file.int("removed") == 1)
        let changes = try #require(file["changes"] as? [[String: Any]])
        #expect(changes.compactMap { $0.string("change") }.sorted() == ["added", "removed"])
        #expect(changes.first { $0.string("change") == "removed" }?.string("id") == vanishing)
        #expect(changes.allSatisfy { $0["fields"] is [String] && $0["kept"] is [String] })
        let ids = try #require(report["articles"] as? [String])
        #expect(ids.count == 9 && !ids.contains(vanishing))

        // The vanished article is gone from the list, its note from the live notes; the other note stays
        #expect(try replica.articleIDs() == ids.sorted())
        #expect(try Self.notes(replica).keys.sorted() == [kept])
        #expect(try replica.status().int("articles") == 9)
    }

    @Test func asNew_makesACopy_andTheNoteStaysOnTheOld() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("reimport", in: folder)
        let page = try folder.write("page.txt", try Self.seedPage())
        try replica.ok(["import", page])
        let note = try Self.annotate("参观者流连于各个非遗展位间", note: "观众", on: replica)
        try folder.write("page.txt", try Self.fixedPage())

        let both = try replica.run(["import", "--as-new", "--update", page])
        #expect(both.exitCode == 64, "\(both)")
        #expect(both.stderr.contains("'--as-new'"), "\(both)")
        #expect(try replica.status().int("articles") == 9)

        let report = try replica.object(["import", "--as-new", page])
        #expect(report.int("added") == 1 && report.int("updated") == 0)
        #expect(report.int("articles_added") == 1)
        #expect(try replica.status().int("articles") == 10)
        #expect(try Self.notes(replica)[note]?.string("state") == "anchored")
    }

    @Test func renamedFile_sameFirstLines_updatesInPlace() throws {
        let folder = try TemporaryFolder()
        let replica = Replica("reimport", in: folder)
        let ids = try #require(
            try replica.object(["import", try folder.write("a/page.txt", try Self.seedPage())])["articles"] as? [String]
        )

        let report = try replica.object(["import", try folder.write("b/第6版-更正.txt", try Self.fixedPage())])

        #expect(report.int("updated") == 1 && report.int("articles_updated") == 1 && report.int("articles_added") == 0)
        let file = try #require((report["files"] as? [[String: Any]])?.first)
        #expect(file.string("identity") == "first_lines")
        #expect(file.string("previous")?.hasSuffix("a/page.txt") == true)
        #expect(try replica.articleIDs() == ids.sorted())
    }

    @Test func brokenNewVersion_failsWithOneSentence_andChangesNothing() throws {
        // Given the seed page with a note
        let folder = try TemporaryFolder()
        let replica = Replica("reimport", in: folder)
        let page = try folder.write("page.txt", try Self.seedPage())
        try replica.ok(["import", page])
        _ = try Self.annotate("参观者流连于各个非遗展位间", note: "观众", on: replica)
        let digest = try replica.digest()

        // When the new version of the file is cut in the middle of a character
        try folder.write("page.txt", Data(try Self.fixedPage().utf8.prefix(4000)) + Data([0xE8, 0xAE]))
        let result = try replica.run(["import", page])

        // Then the import fails with one sentence naming the file, and nothing changed
        #expect(result.exitCode == 1, "\(result)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.contains("'\(page)'") == true, "\(result)")
        #expect(try replica.digest() == digest)
        #expect(try Self.notes(replica).values.allSatisfy { $0.string("state") == "anchored" })
    }

    // MARK: - Two replicas

    @Test func correctedPage_reimportedOnOneReplica_reachesTheOtherAsEditsOfTheSameArticles() throws {
        // Given the seed page imported on both replicas offline (the same ids), synced, with a note from r2
        let world = try SyncWorld(replicas: 2)
        let (r1, r2) = (world[0], world[1])
        let folder = try TemporaryFolder()
        let page1 = try folder.write("r1/page.txt", try Self.seedPage())
        let page2 = try folder.write("r2/第6版.txt", try Self.seedPage())
        let ids1 = try #require(try r1.object(["import", page1])["articles"] as? [String])
        let ids2 = try #require(try r2.object(["import", page2])["articles"] as? [String])
        #expect(ids1 == ids2)
        try world.converge()
        let note = try Self.annotate("参观者流连于各个非遗展位间", note: "观众", on: r2)
        try world.converge()

        // When r1 imports the new version of its file (one fix, one article removed, one added)
        try folder.write(
            "r1/page.txt",
            try Self.pageWithAnArticleRemovedAndOneAdded().replacing(
                "参观者流连于", with: "参观者留连于", expectedCount: 1))
        let report = try r1.object(["import", page1])
        #expect(report.int("articles_updated") == 1 && report.int("articles_added") == 1)
        #expect(report.int("articles_removed") == 1)
        let ids = try #require(report["articles"] as? [String])
        try world.converge()

        // Then r2 holds the same nine articles, the fixed one edited in place, the note on it fuzzy
        try world.expectConverged()
        #expect(try r2.articleIDs() == ids.sorted())
        #expect(try r2.status().int("articles") == 9)
        let notes = try Self.notes(r2)
        #expect(notes[note]?.string("state") == "fuzzy")
        let article = try #require(notes[note]?.string("article_id"))
        #expect(ids.contains(article))
        #expect(try r2.object(["show", article]).string("body")?.contains("参观者留连于") == true)
        #expect(try r2.conflictIDs().isEmpty)

        // And when r2 imports the same new version from its own file, nothing more changes
        try folder.write("r2/第6版.txt", try String(contentsOfFile: page1, encoding: .utf8))
        let second = try r2.object(["import", page2])
        #expect(second.int("unchanged") == 1, "\(second)")
        #expect(try world.converge() == 1)
        try world.expectConverged()
    }

    @Test func samePageReimportedOnBothReplicasOffline_convergesWithoutCopiesOrConflicts() throws {
        // Given the seed page on both replicas, synced
        let world = try SyncWorld(replicas: 2)
        let (r1, r2) = (world[0], world[1])
        let folder = try TemporaryFolder()
        let page1 = try folder.write("r1/page.txt", try Self.seedPage())
        let page2 = try folder.write("r2/page.txt", try Self.seedPage())
        try r1.ok(["import", page1])
        try r2.ok(["import", page2])
        let note = try Self.annotate("长三角三省一市职工非遗技艺交流活动", note: "活动名称", on: r1)
        try world.converge()

        // When both import the same new version offline
        let next = try Self.pageWithAnArticleRemovedAndOneAdded().replacing(
            "参观者流连于", with: "参观者留连于", expectedCount: 1)
        try folder.write("r1/page.txt", next)
        try folder.write("r2/page.txt", next)
        let ids1 = try #require(try r1.object(["import", page1])["articles"] as? [String])
        let ids2 = try #require(try r2.object(["import", page2])["articles"] as? [String])
        #expect(ids1 == ids2)
        try world.converge()

        // Then both hold the nine articles once, with no conflict, and the note anchored
        try world.expectConverged()
        for replica in world.replicas {
            #expect(try replica.articleIDs() == ids1.sorted(), "on \(replica.name)")
            #expect(try replica.conflictIDs().isEmpty, "on \(replica.name)")
            #expect(try Self.notes(replica)[note]?.string("state") == "anchored", "on \(replica.name)")
        }
    }

    @Test(arguments: [false, true])
    func pageImportedOnBothOffline_correctedOnOneBeforeAnySync_reachesTheOtherWithoutConflict(r1Last: Bool) throws {
        // Given the seed page imported on r1, and on r2 offline, where a corrected version follows at once
        // (r1's import before r2's, or after r2's correction)
        let world = try SyncWorld(replicas: 2)
        let (r1, r2) = (world[0], world[1])
        let folder = try TemporaryFolder()
        let page1 = try folder.write("r1/page.txt", try Self.seedPage())
        if !r1Last { try r1.ok(["import", page1]) }
        let page2 = try folder.write("r2/page.txt", try Self.seedPage())
        try r2.ok(["import", page2])
        try folder.write("r2/page.txt", try Self.fixedPage())
        let report = try r2.object(["import", page2])
        if r1Last { try r1.ok(["import", page1]) }
        #expect(report.int("articles_updated") == 1)

        // When they sync
        try world.converge()

        // Then r1 holds the corrected article too, once, with no conflict
        try world.expectConverged()
        let article = try Self.article(containing: "参观者留连于各个非遗展位间", on: r1)
        #expect(try r1.articleIDs() == (report["articles"] as? [String])?.sorted())
        #expect(try r1.object(["show", article]).string("body")?.contains("参观者流连于") == false)
        #expect(try r1.conflictIDs().isEmpty)
    }
}
