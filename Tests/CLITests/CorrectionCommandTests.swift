import Foundation
import Testing

/// `kb merge`, `kb split`, `kb retitle` and continued articles, with the real binary; the corrections
/// reach a second replica through a real `kb serve` hub.
@Suite("Corrections end to end")
struct CorrectionCommandTests {
    static func seedPage() throws -> String { try TestPaths.fixture("seed_page.txt").path }

    static func article(containing text: String, on replica: Replica) throws -> String {
        let hits = try replica.array(["search", text])
        try #require(hits.count == 1, "'\(text)' on \(replica.name): \(hits)")
        return try #require(hits.first?.string("id"))
    }

    @Test func mergeSplitAndRetitleSyncThroughTheHubWithTheirAnnotations() throws {
        let world = try SyncWorld(replicas: 2)
        let (r1, r2) = (world[0], world[1])
        try r1.ok(["import", try Self.seedPage()])
        let jiangsu = try Self.article(containing: "江苏省总工会研究制定", on: r1)
        let shandong = try Self.article(containing: "大家看一下这款面料", on: r1)
        let first = try Self.article(containing: "沉浸式感受匠心传承", on: r1)
        let note = try r1.object(["annotate", shandong, "--quote", "实现内外贸一体化发展", "--note", "山东"])
        let late = try r1.object(["annotate", first, "--quote", "沉浸式感受匠心传承", "--note", "后半"])
        try world.converge()

        let merged = try r2.object(["merge", shandong, jiangsu])
        #expect((merged["articles"] as? [[String: Any]])?.first?.string("id") == jiangsu)
        #expect(merged["trashed"] as? [String] == [shandong])
        #expect(merged.int("annotations_moved") == 1)
        let split = try r2.object(["split", first, "--before", "活动分为舞台展演"])
        let parts = try #require(split["articles"] as? [[String: Any]])
        let made = try #require(parts.last?.string("id"))
        #expect(parts.count == 2)
        // Nothing to cut before: one sentence, exit 64, nothing changed.
        let missing = try r2.run(["split", first, "--before", "不在正文里"])
        #expect(missing.exitCode == 64)
        #expect(missing.stderr.contains("does not contain"))
        try world.converge()

        for replica in world.replicas {
            let shown = try replica.object(["show", jiangsu])
            #expect(shown.string("body")?.contains("实现内外贸一体化发展") == true)
            let notes = try replica.array(["notes", jiangsu])
            #expect(notes.compactMap { $0.string("id") } == [note.string("id")].compactMap { $0 })
            #expect(notes.allSatisfy { $0.string("state") == "anchored" })
            let moved = try replica.array(["notes", made])
            #expect(moved.compactMap { $0.string("id") } == [late.string("id")].compactMap { $0 })
            #expect(try replica.articleIDs().contains(shandong) == false)
        }
        // The same articles, annotations and open conflicts on both.
        try world.expectConverged()

        // A headline moved on one replica reaches the other.
        try r1.ok(["retitle", made, "--from", first])
        try world.converge()
        #expect(try r2.object(["show", made]).string("title") == "长三角三省一市共促职工文旅消费")
        #expect(try r2.object(["show", first]).string("title") == "")

        // Re-importing the page keeps every correction.
        let before = try r2.articleIDs()
        try r2.ok(["import", try Self.seedPage()])
        #expect(try r2.articleIDs() == before)
        #expect(try r2.object(["show", made]).string("title") == "长三角三省一市共促职工文旅消费")
    }

    @Test func continuedArticleLinksBothParts() throws {
        let folder = try TemporaryFolder("kb-continued")
        let replica = Replica("solo", in: folder)
        let lines = [
            "本报讯 （记者王明）1月5日，全国农业", "工作会议在京召开。会议部署了今年的", "农业和农村工作，要求各地切实抓好粮",
            "食生产，保证农民收入稳定增长。（下转第2版）", "全国农业工作会议召开",
        ]
        let page1 = folder.url.appendingPathComponent("p1.txt")
        let page2 = folder.url.appendingPathComponent("p2.txt")
        try Data((lines.joined(separator: "\n\n") + "\n\n\n").utf8).write(to: page1)
        let rest = ["（上接第 1版）", "会议强调，要稳定粮食播种面积，", "确保谷物基本自给。", "全国农业工作会议召开"]
        try Data((rest.joined(separator: "\n\n") + "\n\n\n").utf8).write(to: page2)
        try replica.ok(["import", page1.path, page2.path])
        let on = try Self.article(containing: "保证农民收入稳定增长", on: replica)
        let from = try Self.article(containing: "确保谷物基本自给", on: replica)
        let shown = try replica.object(["show", from])
        #expect(shown.string("continuation") == "（上接第1版）")
        #expect(shown.string("continued_from") == on)
        #expect(shown.string("body")?.contains("上接") == false)
        #expect(try replica.object(["show", on]).string("continued_on") == from)
        let text = try replica.ok(["show", on]).stdout
        #expect(text.contains("continued on \(from)"))
        let whole = try replica.object(["show", from, "--whole"])
        #expect(whole["parts"] as? [String] == [on, from])
        #expect(whole.string("body")?.hasSuffix("确保谷物基本自给。") == true)
        #expect(whole.string("body")?.hasPrefix("1月5日") == true)
    }
}
