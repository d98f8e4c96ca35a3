import Foundation
import GRDB
import Testing

@testable import KB

/// `kb rm`, `kb trash`, `kb restore` and `kb history` on one knowledge base.
@Suite("Trash and history")
struct TrashTests {
    /// A knowledge base with the seed page imported, and the article that holds `记者陈华`.
    static func seeded(clock: Clock = TestClock().clock) throws -> (KnowledgeBase, String) {
        let kb = try KnowledgeBase.inMemory(clock: clock)
        _ = try kb.importText(try Fixtures.seedPage, name: "seed_page.txt")
        let article = try #require(try kb.search("记者陈华").first?.id)
        return (kb, article)
    }

    static func replica(_ kb: KnowledgeBase) throws -> String {
        try #require(try kb.status().replica)
    }

    // MARK: - Trash and restore

    @Test func notes_leaveOutTheTrashedArticlesNotes_inLongListingsAsInShortOnes() throws {
        // Given more annotations than the short path checks one by one, over every article of the seed page
        let (kb, trashed) = try Self.seeded()
        let articles = try kb.listArticles().map { try kb.article($0.id).article }
            .filter { $0.body.unicodeScalars.count >= 8 }
        try #require(articles.count >= 3)
        var random = SeededGenerator(seed: 7)
        for index in 0..<2100 {
            let article = articles[index % articles.count]
            let length = article.body.unicodeScalars.count
            let start = Int.random(in: 0...(length - 4), using: &random)
            _ = try kb.annotate(article.id, target: .range(start, start + 4), note: index % 7 == 0 ? "第\(index)条" : "")
        }
        let before = try kb.notes()
        #expect(before.count == 2100)
        let onTrashed = before.filter { $0.articleID == trashed }.count
        try #require(onTrashed > 0)
        // When one article goes to the trash
        _ = try kb.trashArticle(trashed)
        // Then the long listing leaves out its annotations and keeps every other one, in the same order
        let after = try kb.notes()
        #expect(after.map(\.id) == before.filter { $0.articleID != trashed }.map(\.id))
        #expect(after == before.filter { $0.articleID != trashed })
        // And a short listing (one article's) agrees
        let one = try #require(articles.first { $0.id != trashed })
        #expect(try kb.notes(NotesFilter(articleID: one.id)) == after.filter { $0.articleID == one.id })
        #expect(throws: KBError.self) { try kb.notes(NotesFilter(articleID: trashed)) }
    }

    @Test func rm_movesArticleWithNotesToTrash_restoreBringsThemBack_butNotANoteDeletedBefore() throws {
        // Given an article with three notes, one of which was deleted on its own
        let (kb, article) = try Self.seeded()
        let kept = try kb.annotate(
            article, target: .quote("非遗技艺交流活动", occurrence: nil, prefix: nil, suffix: nil),
            note: "𠮷野家的笔记 😀")
        let whole = try kb.annotate(article, target: .article, note: "全文的ＡＩ笔记")
        let earlier = try kb.annotate(article, target: .article, note: "先删的")
        _ = try kb.removeAnnotation(earlier.id)

        // When the article goes to the trash
        let receipt = try kb.trashArticle(String(article.prefix(6)))

        // Then it says how many notes went with it, and the trash lists it with them
        #expect(receipt.id == article)
        #expect(receipt.annotations == 2)
        #expect(try kb.listArticles().allSatisfy { $0.id != article })
        #expect(try kb.notes().isEmpty)
        let trash = try kb.trash()
        let item = try #require(trash.first { $0.id == article })
        #expect(item.entity == .article)
        #expect(item.annotations == 2)
        #expect(item.deletedBy == (try Self.replica(kb)))
        #expect(item.deletedAt != nil)
        #expect(item.title == (try kb.read { db in try Article.fetch(db, id: article)?.title }))
        let note = try #require(trash.first { $0.id == earlier.id })
        #expect(note.entity == .annotation)
        #expect(note.articleID == article)
        #expect(note.title == "先删的")
        #expect(trash.count == 2)

        // And removing it again says where it is
        let again = #expect(throws: KBError.self) { try kb.trashArticle(article) }
        #expect(again?.message.contains("'\(Identifier.short(article))' is already in the trash") == true)

        // When it is restored
        let restored = try kb.restore(String(article.prefix(6)))

        // Then the article and the two notes are back; the note deleted before stays in the trash
        #expect(restored.entity == .article)
        #expect(restored.annotations == 2)
        #expect(try kb.listArticles().contains { $0.id == article })
        #expect(Set(try kb.notes(NotesFilter(articleID: article)).map(\.id)) == [kept.id, whole.id])
        #expect(try kb.trash().map(\.id) == [earlier.id])
        #expect(try kb.search("记者陈华").contains { $0.id == article })
    }

    @Test func annotationsDeletedWithTheirArticleOrAfterIt_areListedWithIt_andComeBackWithIt() throws {
        // Given an article whose notes were deleted in the same transaction as the article, and after it
        // (as a resolution that confirms the delete does), and one deleted before it on its own
        let clock = TestClock()
        let (kb, article) = try Self.seeded(clock: clock.clock)
        let live = try kb.annotate(article, target: .article, note: "留着的")
        let together = try kb.annotate(article, target: .article, note: "一起删的")
        let after = try kb.annotate(article, target: .article, note: "之后删的")
        let before = try kb.annotate(article, target: .article, note: "之前删的")
        _ = try kb.removeAnnotation(before.id)
        clock.advance(by: 60_000)
        try kb.write { db, changes in
            try changes.set(.annotation, id: together.id, field: Change.deletedField, json: "true")
            try changes.set(.article, id: article, field: Change.deletedField, json: "true")
            try Materializer.annotation(db, id: together.id, now: changes.timestamp)
            try Materializer.article(db, id: article, now: changes.timestamp)
        }
        clock.advance(by: 60_000)
        try kb.write { db, changes in
            try changes.set(.annotation, id: after.id, field: Change.deletedField, json: "true")
            try Materializer.annotation(db, id: after.id, now: changes.timestamp)
        }

        // Then the trash shows the article carrying three notes, and the note deleted before on its own
        let trash = try kb.trash()
        #expect(Set(trash.map(\.id)) == [article, before.id])
        #expect(trash.first { $0.id == article }?.annotations == 3)

        // And restoring the article brings its three notes back, not the one deleted before
        #expect(try kb.restore(article).annotations == 3)
        #expect(Set(try kb.notes(NotesFilter(articleID: article)).map(\.id)) == [live.id, together.id, after.id])
        #expect(try kb.trash().map(\.id) == [before.id])
    }

    @Test func restoreAnnotation_onArticleInTrash_isRefused_untilTheArticleIsBack() throws {
        let (kb, article) = try Self.seeded()
        let annotation = try kb.annotate(article, target: .article, note: "笔记")
        _ = try kb.removeAnnotation(annotation.id)
        _ = try kb.trashArticle(article)

        let error = #expect(throws: KBError.self) { try kb.restore(annotation.id) }
        #expect(error?.kind == .invalidState)
        #expect(error?.message.contains("kb restore \(Identifier.short(article))") == true)
        #expect(try kb.storedAnnotation(annotation.id)?.isDeleted == true)

        _ = try kb.restore(article)
        #expect(try kb.notes().isEmpty, "a note deleted on its own stays deleted")
        let back = try kb.restore(String(annotation.id.prefix(16)))
        #expect(back.entity == .annotation)
        #expect(try kb.notes().map(\.id) == [annotation.id])
    }

    @Test func restore_ofLiveRecord_unknownId_orShortPrefix_isOneSentenceError_andChangesNothing() throws {
        let (kb, article) = try Self.seeded()
        let before = try kb.rowCounts()
        let live = #expect(throws: KBError.self) { try kb.restore(article) }
        #expect(live?.kind == .invalidState)
        #expect(live?.message.contains("'\(Identifier.short(article))' is not in the trash") == true)
        let unknown = #expect(throws: KBError.self) { try kb.restore("ffffffff") }
        #expect(unknown?.kind == .notFound)
        #expect(unknown?.message.contains("'ffffffff'") == true)
        let short = #expect(throws: KBError.self) { try kb.restore("ab") }
        #expect(short?.kind == .invalidArgument)
        for error in [live, unknown, short] {
            let message = try #require(error?.message)
            #expect(message.hasSuffix(".") && !message.dropLast().contains(". "), "one sentence: \(message)")
        }
        #expect(try kb.rowCounts() == before)
    }

    // MARK: - History

    @Test func history_listsEveryVersion_showAtN_andRestoreToN_withChineseAndAstralText() throws {
        // Given an article made, retitled, tagged, rewritten, deleted, restored and untagged
        let kb = try KnowledgeBase.inMemory()
        let original = try kb.addArticle(title: "非遗技艺交流活动", body: "第一段𠮷野家。\n\n第二段😀ＡＩ大模型。")
        _ = try kb.editArticle(original.id, title: "ＡＩ大模型𠮷😀")
        _ = try kb.tag(original.id, ["非遗", "长三角"])
        _ = try kb.editArticle(original.id, body: "改写的正文。")
        _ = try kb.trashArticle(original.id)
        _ = try kb.restore(original.id)
        _ = try kb.untag(original.id, ["长三角"])

        // Then history lists seven versions, oldest first, with the fields each changed
        let history = try kb.history(String(original.id.prefix(5)))
        #expect(history.entity == .article)
        #expect(history.versions.map(\.number) == Array(1...7))
        #expect(history.versions.map(\.action) == [.create, .edit, .edit, .edit, .delete, .restore, .edit])
        #expect(history.versions.map(\.fields) == [[], ["title"], ["tags"], ["body"], [], [], ["tags"]])
        let me = try Self.replica(kb)
        #expect(history.versions.allSatisfy { $0.replica == me })
        #expect(zip(history.versions, history.versions.dropFirst()).allSatisfy { $0.time <= $1.time })

        // And version 2 shows the new title with the old body, version 3 its tags then
        let (version, record, tags) = try kb.record(original.id, atVersion: 2)
        #expect(version.number == 2)
        #expect(tags.isEmpty)
        guard case .article(let atTwo) = record else {
            Issue.record("version 2 is not an article: \(record)")
            return
        }
        #expect(atTwo.title == "ＡＩ大模型𠮷😀")
        #expect(atTwo.body == original.body)
        #expect(try kb.record(original.id, atVersion: 3).tags == ["长三角", "非遗"])
        #expect(try kb.record(original.id, atVersion: 7).tags == ["非遗"])

        // When version 1 is made current again
        let restored = try kb.restore(original.id, toVersion: 1)

        // Then the changed fields and tags go back, as a new version
        #expect(restored.fields == ["title", "body", "tags"])
        let now = try kb.article(original.id)
        #expect(now.article.title == "非遗技艺交流活动")
        #expect(now.article.body == original.body)
        #expect(now.tags.isEmpty)
        let after = try kb.history(original.id).versions
        #expect(after.count == 8)
        #expect(after.last?.action == .edit)
        #expect(after.last?.fields == ["title", "body", "tags"])
        #expect(try kb.restore(original.id, toVersion: 1).fields.isEmpty, "already there: nothing to record")
        #expect(try kb.history(original.id).versions.count == 8)

        // And version 3's tags come back with it
        #expect(try kb.restore(original.id, toVersion: 3).fields == ["title", "tags"])
        #expect(try kb.article(original.id).tags == ["长三角", "非遗"])
    }

    @Test func history_ofAnnotation_andRestoreToBringsADeletedNoteBack() throws {
        let (kb, article) = try Self.seeded()
        let annotation = try kb.annotate(article, target: .article, note: "第一稿")
        _ = try kb.editAnnotation(annotation.id, note: "第二稿𠮷", color: .yellow, addTags: ["重要"])
        _ = try kb.removeAnnotation(annotation.id)

        let versions = try kb.history(annotation.id).versions
        #expect(versions.map(\.action) == [.create, .edit, .delete])
        #expect(versions[1].fields == ["note", "color", "tags"])
        #expect(try kb.record(annotation.id, atVersion: 2).tags == ["重要"])

        let restored = try kb.restore(annotation.id, toVersion: 1)
        #expect(restored.fields == ["note", "color", "deleted", "tags"])
        let back = try #require(try kb.notes().first { $0.id == annotation.id })
        #expect(back.note == "第一稿")
        #expect(back.color == "")
        #expect(back.tags.isEmpty)
    }

    @Test func restoreTo_unknownVersion_orTheDeletion_isRefused() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "标题", body: "正文。")
        _ = try kb.trashArticle(article.id)
        let before = try kb.rowCounts()
        for number in [0, 3, 99] {
            let error = #expect(throws: KBError.self) { try kb.restore(article.id, toVersion: number) }
            #expect(error?.kind == .notFound)
            #expect(error?.message.contains("No version \(number) of '\(Identifier.short(article.id))'") == true)
        }
        let deletion = #expect(throws: KBError.self) { try kb.restore(article.id, toVersion: 2) }
        #expect(deletion?.kind == .invalidArgument)
        let missing = #expect(throws: KBError.self) { try kb.record(article.id, atVersion: 7) }
        #expect(missing?.kind == .notFound)
        #expect(try kb.rowCounts() == before)
    }

    // MARK: - Emptying the trash

    @Test func emptyTrash_purgesLocally_keepsItOutWhileDeleted_andARestoreChangeBringsItBack() throws {
        // Given an article in the trash with a note that went with it
        let (kb, article) = try Self.seeded()
        let note = try kb.annotate(article, target: .article, note: "随文章走的笔记")
        _ = try kb.trashArticle(article)
        let changes = try kb.count("changes")

        // When the trash is emptied
        let report = try kb.emptyTrash()

        // Then the article is gone from this replica, no change was recorded, and the trash is empty
        #expect(report == PurgeReport(articles: 1, annotations: 0))
        #expect(try kb.count("changes") == changes)
        #expect(try kb.trash().isEmpty)
        #expect(try kb.read { db in try Article.fetch(db, id: article) } == nil)
        for attempt in [{ _ = try kb.history(article) }, { _ = try kb.restore(String(article.prefix(6))) }] {
            let error = #expect(throws: KBError.self) { try attempt() }
            #expect(error?.kind == .notFound)
            #expect(error?.message.contains("'\(Identifier.short(article))' was purged from the trash") == true)
        }

        // And recomputing it from its history (as a pulled change does) leaves it out
        try kb.write { db, changes in try Materializer.article(db, id: article, now: changes.timestamp) }
        #expect(try kb.read { db in try Article.fetch(db, id: article) } == nil)
        #expect(try kb.trash().isEmpty)

        // When a restore arrives (made on a replica that still had it)
        try kb.write { db, changes in
            try changes.set(.article, id: article, field: Change.deletedField, json: "false")
            try Materializer.article(db, id: article, now: changes.timestamp)
        }

        // Then it is back with its note, and no tombstone is left
        #expect(try kb.listArticles().contains { $0.id == article })
        #expect(try kb.notes(NotesFilter(articleID: article)).map(\.id) == [note.id])
        #expect(try kb.count("purged") == 0)
    }

    @Test func addingTheSameTextAfterPurging_makesANewArticle_andLeavesThePurgedOneOut() throws {
        let kb = try KnowledgeBase.inMemory()
        let first = try kb.addArticle(title: "同一篇", body: "同样的正文𠮷。")
        _ = try kb.trashArticle(first.id)
        _ = try kb.emptyTrash()

        let again = try kb.addArticle(title: "同一篇", body: "同样的正文𠮷。")

        #expect(again.id != first.id, "the purged id stays with its history")
        #expect(try kb.listArticles().map(\.id) == [again.id])
        #expect(try kb.read { db in try Article.fetch(db, id: first.id) } == nil)
    }

    @Test func emptyTrash_olderThan_purgesOnlyWhatWasDeletedLongEnoughAgo() throws {
        let clock = TestClock()
        let kb = try KnowledgeBase.inMemory(clock: clock.clock)
        let old = try kb.addArticle(title: "旧的", body: "很久以前删的。")
        let recent = try kb.addArticle(title: "新的", body: "刚删的。")
        let note = try kb.annotate(recent.id, target: .article, note: "单独删的笔记")
        _ = try kb.trashArticle(old.id)
        clock.advance(by: 40 * 86_400_000)
        _ = try kb.removeAnnotation(note.id)
        _ = try kb.trashArticle(recent.id)
        clock.advance(by: 86_400_000)

        let report = try kb.emptyTrash(olderThan: try KnowledgeBase.parseAge("30d"))

        #expect(report == PurgeReport(articles: 1, annotations: 0))
        #expect(Set(try kb.trash().map(\.id)) == [recent.id, note.id])
        #expect(try kb.emptyTrash() == PurgeReport(articles: 1, annotations: 1))
        #expect(try kb.trash().isEmpty)
    }

    static let ages: [(String, Int64)] = [
        ("30d", 30 * 86_400_000), ("12h", 12 * 3_600_000), ("2w", 14 * 86_400_000), ("90s", 90_000),
    ]

    @Test(arguments: ages)
    func parseAge_acceptsWholeNumbersWithAUnit(text: String, milliseconds: Int64) throws {
        #expect(try KnowledgeBase.parseAge(text) == milliseconds)
    }

    @Test(arguments: ["30", "d", "-1d", "1.5d", "３０d", "30 days", ""])
    func parseAge_refusesAnythingElse(text: String) throws {
        let error = #expect(throws: KBError.self) { try KnowledgeBase.parseAge(text) }
        #expect(error?.kind == .invalidArgument)
        #expect(error?.message.contains("'\(text)'") == true)
    }
}
