import Foundation
import Testing

/// A note, a highlight or a tag made offline on an article that another replica deleted, through real `kb`
/// processes and a real hub: never silently lost, shown as a conflict on every replica, and either restored
/// with the article or confirmed with the delete.
@Suite("Delete against annotate, end to end")
struct DeleteVersusAnnotateEndToEndTests {
    enum Edit: String, CaseIterable, Sendable {
        case note, highlight, tag

        func arguments(article: String) -> [String] {
            switch self {
            case .note: ["annotate", article, "--quote", "非遗技艺交流活动", "--note", "离线时写的笔记"]
            case .highlight: ["annotate", article, "--quote", "非遗技艺交流活动"]
            case .tag: ["tag", article, "离线标签"]
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var edit: Edit
        var deleteSyncsFirst: Bool
        var keep: String
        var testDescription: String { "\(edit.rawValue), delete first \(deleteSyncsFirst), keep \(keep)" }
    }

    static let cases: [Case] = Edit.allCases.flatMap { edit in
        [true, false].flatMap { first in ["mine", "theirs"].map { Case(edit: edit, deleteSyncsFirst: first, keep: $0) }
        }
    }

    @Test(arguments: cases)
    func annotateOffline_whileDeletedElsewhere_conflictEverywhere_resolvedOnTheAnnotator(_ test: Case) throws {
        // Given two replicas with the seed page
        let world = try SyncWorld(replicas: 2)
        let (deleter, annotator) = (world[0], world[1])
        try deleter.ok(["import", try TestPaths.fixture("seed_page.txt").path])
        try world.converge()
        let article = try #require(try deleter.array(["search", "非遗技艺交流活动"]).first?.string("id"))

        // When one deletes the article and the other, offline, annotates it
        try deleter.ok(["rm", article])
        try annotator.ok(test.edit.arguments(article: article))
        let order =
            test.deleteSyncsFirst
            ? [deleter, annotator, deleter, annotator] : [annotator, deleter, annotator, deleter]
        for replica in order { _ = try world.sync(replica) }

        // Then the delete wins for now, and both show the same conflict naming both sides
        for replica in world.replicas {
            #expect(try !replica.articleIDs().contains(article), "deleted on \(replica.name)")
            #expect(try replica.array(["notes"]).allSatisfy { $0.string("article_id") != article })
        }
        let ids = try annotator.conflictIDs()
        #expect(ids.count == 1, "\(ids)")
        #expect(try deleter.conflictIDs() == ids)
        let conflict = try #require(try annotator.array(["conflicts"]).first)
        #expect(conflict.string("kind") == "delete")
        #expect(conflict.string("entity_id") == article)
        #expect(conflict.string("theirs") == "(deleted)")
        let shown = test.edit == .tag ? "离线标签" : test.edit == .note ? "离线时写的笔记" : "非遗技艺交流活动"
        #expect(conflict.string("mine")?.contains(shown) == true, "\(conflict)")
        let listing = try annotator.run(["conflicts"])
        #expect(listing.stdout.contains("deleted on one side"), "\(listing.stdout)")

        // When the annotator resolves it
        try annotator.ok(["resolve", try #require(conflict.string("id")), "--keep", test.keep])
        try world.converge()

        // Then, everywhere, the article is back with the annotation or tag, or the delete is confirmed
        for replica in world.replicas {
            #expect(try replica.conflictIDs().isEmpty)
            if test.keep == "mine" {
                let shownArticle = try replica.object(["show", article])
                switch test.edit {
                case .tag:
                    #expect((shownArticle["tags"] as? [String]) == ["离线标签"], "on \(replica.name)")
                case .note, .highlight:
                    let notes = try replica.array(["notes", article])
                    #expect(notes.count == 1, "on \(replica.name)")
                    #expect(notes.first?.string("quote") == "非遗技艺交流活动")
                    #expect(notes.first?.string("note") == (test.edit == .note ? "离线时写的笔记" : ""))
                }
            } else {
                #expect(try !replica.articleIDs().contains(article), "still deleted on \(replica.name)")
            }
        }
        try world.expectConverged()
    }
}
