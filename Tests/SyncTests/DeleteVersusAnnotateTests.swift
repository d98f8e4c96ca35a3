import Foundation
import GRDB
import Hub
import KB
import Testing

@testable import Sync

/// An annotation, a note, a highlight or a tag made on a replica that did not know its article was deleted
/// is an edit of that article: the delete wins for now, a conflict on every replica keeps the edit, and
/// resolving it restores the article with everything on it, or confirms the delete.
@Suite(.serialized)
struct DeleteVersusAnnotateTests {
    let clock = TestClock()

    /// What the offline replica does to the article that was deleted elsewhere.
    enum OfflineEdit: String, CaseIterable, Sendable {
        case note, highlight, tagArticle, editNote, tagAnnotation, colorAnnotation

        /// Text that the conflict shows for the edit.
        var shown: String {
            switch self {
            case .note: "离线笔记"
            case .highlight: "黄山脚下"
            case .tagArticle: "离线标签"
            case .editNote: "改过的笔记"
            case .tagAnnotation: "笔记标签"
            case .colorAnnotation: "green"
            }
        }

        /// True when the edit needs an annotation made (and synced) before the delete.
        var needsAnnotation: Bool { self == .editNote || self == .tagAnnotation || self == .colorAnnotation }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var edit: OfflineEdit
        var deleteSyncsFirst: Bool
        var keep: ConflictChoice
        var testDescription: String { "\(edit.rawValue), delete first \(deleteSyncsFirst), keep \(keep.rawValue)" }
    }

    static let cases: [Case] = OfflineEdit.allCases.flatMap { edit in
        [true, false].flatMap { first in
            [ConflictChoice.mine, .theirs].map { Case(edit: edit, deleteSyncsFirst: first, keep: $0) }
        }
    }

    func makeReplicas(_ count: Int, hub: TestHub) async throws -> [Replica] {
        let token = try await hub.token(for: "research")
        return try (0..<count).map { try Replica("r\($0)", hub: hub, token: token, clock: clock.clock) }
    }

    /// Tags on the article and on its annotations, on one replica.
    func presentTags(_ replica: Replica, articleID: String) throws -> Set<String> {
        try replica.kb.readNow { db in
            Set(
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT t.tag FROM tags t LEFT JOIN annotations n ON n.id = t.entity_id
                        WHERE t.present = 1 AND (t.entity_id = ? OR n.article_id = ?)
                        """, arguments: [articleID, articleID]))
        }
    }

    @Test(arguments: cases)
    func offlineAnnotation_onArticleDeletedElsewhere_isAConflictThatRestoresOrConfirms(_ test: Case) async throws {
        // Given three replicas holding the seed page, one annotation made before the delete when the case needs it
        let hub = try TestHub()
        let replicas = try await makeReplicas(3, hub: hub)
        try replicas[0].importPage(try SeedPage.text)
        let id = try #require(try replicas[0].kb.listArticles().first?.id)
        var earlier: Annotation?
        if test.edit.needsAnnotation {
            earlier = try replicas[0].kb.annotate(
                id, target: .quote("非遗技艺交流活动", occurrence: 1, prefix: nil, suffix: nil), note: "最初的笔记")
        }
        try await syncUntilQuiet(replicas)

        // When one deletes the article while another, offline, annotates it
        clock.advance(by: 10)
        _ = try replicas[0].kb.removeArticle(id)
        clock.advance(by: 10)
        switch test.edit {
        case .note:
            _ = try replicas[1].kb.annotate(
                id, target: .quote("非遗技艺交流活动", occurrence: 1, prefix: nil, suffix: nil), note: "离线笔记")
        case .highlight:
            _ = try replicas[1].kb.annotate(id, target: .quote("黄山脚下", occurrence: nil, prefix: nil, suffix: nil))
        case .tagArticle:
            _ = try replicas[1].kb.tag(id, ["离线标签"])
        case .editNote:
            _ = try replicas[1].kb.editAnnotation(try #require(earlier).id, note: "改过的笔记")
        case .tagAnnotation:
            _ = try replicas[1].kb.editAnnotation(try #require(earlier).id, addTags: ["笔记标签"])
        case .colorAnnotation:
            _ = try replicas[1].kb.editAnnotation(try #require(earlier).id, color: .green)
        }
        if test.deleteSyncsFirst {
            try await replicas[0].sync()
            try await replicas[1].sync()
        } else {
            try await replicas[1].sync()
            try await replicas[0].sync()
        }
        try await syncUntilQuiet(replicas)

        // Then the delete wins for now, and every replica shows the same conflict naming both sides
        let conflicts = try replicas.map { try $0.conflictIDs() }
        #expect(conflicts.allSatisfy { $0 == conflicts[0] })
        #expect(conflicts[0].count == 1, "\(test): \(conflicts[0])")
        for replica in replicas {
            #expect(try replica.article(id)?.isDeleted == true)
            #expect(try replica.kb.notes().allSatisfy { $0.articleID != id })
        }
        let onAnnotator = try #require(try Conflicts.list(replicas[1].kb).first)
        #expect(onAnnotator.kind == .delete)
        #expect(onAnnotator.mine?.contains(test.edit.shown) == true, "\(onAnnotator.mine ?? "")")
        #expect(onAnnotator.theirs == "(deleted)")
        let onDeleter = try #require(try Conflicts.list(replicas[0].kb).first)
        #expect(onDeleter.mine == "(deleted)")
        #expect(onDeleter.theirs?.contains(test.edit.shown) == true)

        // When the annotating side resolves it
        try Conflicts.resolve(replicas[1].kb, onAnnotator.id, keep: test.keep)
        try await syncUntilQuiet(replicas)

        // Then the article comes back with everything on it, or stays deleted with its annotations kept
        let restored = test.keep == .mine
        for replica in replicas {
            #expect(try replica.conflictIDs().isEmpty)
            #expect(try replica.article(id)?.isDeleted == !restored)
            let notes = try replica.kb.notes().filter { $0.articleID == id }
            let tags = try presentTags(replica, articleID: id)
            if restored {
                switch test.edit {
                case .note: #expect(notes.map(\.note) == ["离线笔记"])
                case .highlight: #expect(notes.map(\.quote) == ["黄山脚下"])
                case .tagArticle: #expect(tags == ["离线标签"])
                case .editNote: #expect(notes.map(\.note) == ["改过的笔记"])
                case .tagAnnotation: #expect(tags == ["笔记标签"])
                case .colorAnnotation: #expect(notes.map(\.color) == ["green"])
                }
            } else {
                #expect(notes.isEmpty)
                // Kept with the deleted article, so that restoring it later brings them back.
                let kept = try replica.count(
                    "SELECT COUNT(*) FROM annotations WHERE article_id = '\(id)' AND deleted = 0")
                #expect(kept == (test.edit == .tagArticle ? 0 : 1))
            }
        }
        #expect(Set(try replicas.map { try $0.digest }).count == 1)
    }

    @Test func annotationsKnownToTheDelete_raiseNoConflict() async throws {
        // Given an article annotated and tagged on one replica, synced everywhere
        let hub = try TestHub()
        let replicas = try await makeReplicas(2, hub: hub)
        try replicas[0].importPage(try SeedPage.text)
        let id = try #require(try replicas[0].kb.listArticles().first?.id)
        let note = try replicas[0].kb.annotate(
            id, target: .quote("黄山脚下", occurrence: nil, prefix: nil, suffix: nil), note: "已同步", tags: ["甲"])
        _ = try replicas[0].kb.tag(id, ["乙"])
        try await syncUntilQuiet(replicas)

        // When the other replica, knowing all of it, deletes the article
        _ = try replicas[1].kb.removeArticle(id)
        try await syncUntilQuiet(replicas)

        // Then nothing conflicts: the delete was made knowing the annotation and the tags
        for replica in replicas {
            #expect(try replica.conflictIDs().isEmpty)
            #expect(try replica.article(id)?.isDeleted == true)
            #expect(try replica.annotation(note.id)?.note == "已同步")
        }
    }

    @Test(arguments: [ConflictChoice.mine, .theirs], [false, true])
    func annotationDeletedOnOne_editedOnOther_isAConflict(keep: ConflictChoice, byTag: Bool) async throws {
        // Given an annotation synced to two replicas
        let hub = try TestHub()
        let replicas = try await makeReplicas(2, hub: hub)
        try replicas[0].importPage(try SeedPage.text)
        let id = try #require(try replicas[0].kb.listArticles().first?.id)
        let note = try replicas[0].kb.annotate(
            id, target: .quote("黄山脚下", occurrence: nil, prefix: nil, suffix: nil), note: "原来的笔记")
        try await syncUntilQuiet(replicas)

        // When one deletes it and the other edits its note offline
        _ = try replicas[0].kb.removeAnnotation(note.id)
        clock.advance(by: 5)
        if byTag {
            _ = try replicas[1].kb.editAnnotation(note.id, addTags: ["离线标签𠮷"])
        } else {
            _ = try replicas[1].kb.editAnnotation(note.id, note: "离线改写😀𠮷")
        }
        try await syncUntilQuiet(replicas)

        // Then the delete wins for now and both replicas show the conflict
        let conflicts = try replicas.map { try $0.conflictIDs() }
        #expect(conflicts[0].count == 1 && conflicts[0] == conflicts[1])
        let onEditor = try #require(try Conflicts.list(replicas[1].kb).first)
        #expect(onEditor.kind == .delete)
        #expect(onEditor.mine?.contains(byTag ? "离线标签𠮷" : "离线改写😀𠮷") == true, "\(onEditor.mine ?? "")")
        for replica in replicas { #expect(try replica.annotation(note.id)?.isDeleted == true) }

        // When the editor resolves it
        try Conflicts.resolve(replicas[1].kb, onEditor.id, keep: keep)
        try await syncUntilQuiet(replicas)

        // Then the edit is back, or the delete confirmed, everywhere
        for replica in replicas {
            #expect(try replica.conflictIDs().isEmpty)
            let annotation = try #require(try replica.annotation(note.id))
            #expect(annotation.isDeleted == (keep == .theirs))
            if byTag {
                let tags = try replica.kb.readNow { db in
                    try String.fetchAll(
                        db, sql: "SELECT tag FROM tags WHERE entity_id = ? AND present = 1", arguments: [note.id])
                }
                #expect(tags == ["离线标签𠮷"])
            } else {
                #expect(annotation.note == "离线改写😀𠮷")
            }
        }
        #expect(try replicas[0].digest == replicas[1].digest)
    }

    @Test func editConflictResolvedOnAnAnnotationOfADeletedArticle_sameConflictsEverywhere() async throws {
        // Given an annotation synced to three replicas
        let hub = try TestHub()
        let replicas = try await makeReplicas(3, hub: hub)
        try replicas[0].importPage(try SeedPage.text)
        let id = try #require(try replicas[0].kb.listArticles().first?.id)
        let note = try replicas[0].kb.annotate(
            id, target: .quote("黄山脚下", occurrence: nil, prefix: nil, suffix: nil), note: "原来的笔记。")
        try await syncUntilQuiet(replicas)

        // When two replicas edit the note's one sentence concurrently, and the third deletes the article
        _ = try replicas[1].kb.editAnnotation(note.id, note: "一号改的。")
        clock.advance(by: 3)
        _ = try replicas[2].kb.editAnnotation(note.id, note: "二号改的。")
        clock.advance(by: 3)
        _ = try replicas[0].kb.removeArticle(id)
        try await syncUntilQuiet(replicas)
        let before = try replicas.map { try $0.conflictIDs() }
        #expect(before.allSatisfy { $0 == before[0] })
        let edit = try #require(try Conflicts.list(replicas[1].kb).first { $0.kind == .edit })

        // And one of them resolves the edit conflict, which writes a new note the delete did not know of
        try Conflicts.resolve(replicas[1].kb, edit.id, keep: .mine)
        let onResolver = try replicas[1].conflictIDs()
        try await syncUntilQuiet(replicas)

        // Then the resolver already showed what every replica shows: the delete against the new note
        let after = try replicas.map { try $0.conflictIDs() }
        #expect(after.allSatisfy { $0 == after[0] }, "\(after)")
        #expect(onResolver == after[0])
        let open = try Conflicts.list(replicas[0].kb)
        #expect(open.count == 1 && open.first?.kind == .delete && open.first?.theirs?.contains("一号改的") == true)
        #expect(Set(try replicas.map { try $0.digest }).count == 1)
    }
}
