import Foundation
import GRDB
import Synchronization
import Testing

@testable import KB

/// A knowledge base with one article, tagged, with one tagged highlight: what the mutations act on.
struct HistoryFixture: Sendable {
    let kb: KnowledgeBase
    let article: Article
    let annotation: Annotation

    init(clock: Clock = TestClock().clock) throws {
        kb = try KnowledgeBase.inMemory(clock: clock)
        article = try kb.addArticle(title: "历史", body: Passage.body)
        _ = try kb.tag(article.id, ["已有"])
        annotation = try kb.annotate(
            article.id, target: .quote("剪纸长卷", occurrence: nil, prefix: nil, suffix: nil), note: "旧笔记",
            tags: ["旧"])
    }
}

/// One kind of mutation, and the change rows it must write: (entity, field, op).
enum Mutation: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case importPage, addArticle, editTitle, editBody, editTitleAndBody, removeArticle, tag, untag, annotate,
        editAnnotationNote, editAnnotationColor, editAnnotationTags, removeAnnotation

    var testDescription: String { rawValue }

    typealias Expected = [String]

    static func row(_ entity: EntityKind, _ field: String, _ op: String) -> String {
        "\(entity.rawValue).\(field).\(op)"
    }

    /// Performs the mutation and returns the change rows it must have written.
    @discardableResult
    func perform(on fixture: HistoryFixture) throws -> Expected {
        let kb = fixture.kb
        let id = fixture.article.id
        let note = fixture.annotation.id
        switch self {
        case .importPage:
            let report = try kb.importText(try Fixtures.seedPage)
            if let failure = report.failed.first { throw KBError(.unreadableFile, failure.error) }
            return [Self.row(.source, "*", "create")] + Array(repeating: Self.row(.article, "*", "create"), count: 9)
        case .addArticle:
            _ = try kb.addArticle(title: "新文章", body: "新的正文。")
            return [Self.row(.article, "*", "create")]
        case .editTitle:
            _ = try kb.editArticle(id, title: "新标题")
            return [Self.row(.article, "title", "set")]
        case .editBody:
            _ = try kb.editArticle(id, body: "导语。\n\n" + Passage.body)
            return [Self.row(.article, "body", "set")]
        case .editTitleAndBody:
            _ = try kb.editArticle(id, title: "新标题", body: "全新正文。")
            return [Self.row(.article, "title", "set"), Self.row(.article, "body", "set")]
        case .removeArticle:
            _ = try kb.removeArticle(id)
            return [Self.row(.article, "deleted", "set")]
        case .tag:
            _ = try kb.tag(id, ["新标签", "另一个"])
            return [Self.row(.tag, "*", "create"), Self.row(.tag, "*", "create")]
        case .untag:
            _ = try kb.untag(id, ["已有"])
            return [Self.row(.tag, "present", "set")]
        case .annotate:
            _ = try kb.annotate(id, target: .range(0, 5), note: "新笔记", tags: ["标"])
            return [Self.row(.annotation, "*", "create"), Self.row(.tag, "*", "create")]
        case .editAnnotationNote:
            _ = try kb.editAnnotation(note, note: "新笔记")
            return [Self.row(.annotation, "note", "set")]
        case .editAnnotationColor:
            _ = try kb.editAnnotation(note, color: .green)
            return [Self.row(.annotation, "color", "set")]
        case .editAnnotationTags:
            _ = try kb.editAnnotation(note, addTags: ["新"], removeTags: ["旧"])
            return [Self.row(.tag, "*", "create"), Self.row(.tag, "present", "set")]
        case .removeAnnotation:
            _ = try kb.removeAnnotation(note)
            return [Self.row(.annotation, "deleted", "set")]
        }
    }
}

struct HistoryTests {
    // MARK: - Every mutation is recorded

    @Test(arguments: Mutation.allCases)
    func mutation_writesItsChangeRows(_ mutation: Mutation) throws {
        // Given
        let fixture = try HistoryFixture()
        let before = try fixture.kb.allChanges()

        // When
        let expected = try mutation.perform(on: fixture)

        // Then exactly the expected rows were added
        let after = try fixture.kb.allChanges()
        #expect(Array(after.prefix(before.count)) == before)
        let added = after.dropFirst(before.count)
        #expect(added.map { Mutation.row($0.entity, $0.field.rawValue, $0.op.rawValue) }.sorted() == expected.sorted())
        #expect(try fixture.kb.count("changes") == before.count + expected.count)
    }

    @Test func changeValues_carryTheNewValues() throws {
        let fixture = try HistoryFixture()
        let kb = fixture.kb
        _ = try kb.editArticle(fixture.article.id, title: "新标题 \"引号\"", body: "正文😀𠮷\n\n第二段。")
        _ = try kb.editAnnotation(fixture.annotation.id, note: "笔记\n换行", color: .pink)
        let changes = try kb.allChanges()
        func value(_ entityID: String, _ field: ChangeField) -> String? {
            changes.last { $0.entityID == entityID && $0.field == field }?.value
        }
        #expect(try value(fixture.article.id, .title).map(JSONText.decodeString) == "新标题 \"引号\"")
        #expect(try value(fixture.article.id, .body).map(JSONText.decodeString) == "正文😀𠮷\n\n第二段。")
        #expect(try value(fixture.annotation.id, .note).map(JSONText.decodeString) == "笔记\n换行")
        #expect(try value(fixture.annotation.id, .color).map(JSONText.decodeString) == "pink")
        let creation = try #require(changes.first { $0.entityID == fixture.article.id && $0.op == .create })
        let created = try JSONText.decode(ArticleCreation.self, from: try #require(creation.value))
        #expect(created.title == "历史")
        #expect(created.body == Passage.body)
        let annotationCreation = try #require(
            changes.first { $0.entityID == fixture.annotation.id && $0.op == .create })
        let made = try JSONText.decode(AnnotationCreation.self, from: try #require(annotationCreation.value))
        #expect(made.quote == "剪纸长卷")
        #expect(made.start == fixture.annotation.start)
    }

    /// A mutation whose history row cannot be written does not happen: record and change are one
    /// transaction.
    @Test(arguments: Mutation.allCases)
    func historyWriteFails_mutationLeavesNoTrace(_ mutation: Mutation) throws {
        // Given a database that refuses new change rows
        let fixture = try HistoryFixture()
        let kb = fixture.kb
        let before = try kb.rowCounts()
        let articles = try kb.allArticles()
        let notes = try kb.notes()
        try kb.database.writer.write { db in
            try db.execute(
                sql: "CREATE TEMP TRIGGER refuse BEFORE INSERT ON changes BEGIN SELECT RAISE(ABORT, 'refused'); END")
        }

        // When
        #expect(throws: (any Error).self) { try mutation.perform(on: fixture) }

        // Then nothing changed
        #expect(try kb.rowCounts() == before)
        #expect(try kb.allArticles() == articles)
        #expect(try kb.notes() == notes)
        #expect(try kb.listArticles().first { $0.id == fixture.article.id }?.tags == ["已有"])
    }

    /// The other way round: a record write that fails after its change was recorded leaves no change.
    @Test(arguments: ["articles", "annotations", "tags"])
    func recordWriteFails_noChangeIsLeft(_ table: String) throws {
        let fixture = try HistoryFixture()
        let kb = fixture.kb
        try kb.database.writer.write { db in
            try db.execute(
                sql: """
                    CREATE TEMP TRIGGER refuse_update BEFORE UPDATE ON \(table) BEGIN SELECT RAISE(ABORT, 'refused'); END;
                    CREATE TEMP TRIGGER refuse_insert BEFORE INSERT ON \(table) BEGIN SELECT RAISE(ABORT, 'refused'); END;
                    """)
        }
        let before = try kb.rowCounts()
        let mutations: [Mutation] =
            switch table {
            case "articles": [.addArticle, .editTitle, .removeArticle]
            case "annotations": [.annotate, .editAnnotationNote, .removeAnnotation]
            default: [.tag, .untag, .editAnnotationTags]
            }
        for mutation in mutations {
            #expect(throws: (any Error).self) { try mutation.perform(on: fixture) }
            #expect(try kb.rowCounts() == before, "\(mutation)")
        }
    }

    struct Refused: Sendable, CustomTestStringConvertible {
        let name: String
        let action: @Sendable (HistoryFixture) throws -> Void
        var testDescription: String { name }
    }

    @Test(arguments: [
        Refused(name: "edit with nothing") { _ = try $0.kb.editArticle($0.article.id) },
        Refused(name: "edit to an empty title") { _ = try $0.kb.editArticle($0.article.id, title: "  ") },
        Refused(name: "edit an unknown article") { _ = try $0.kb.editArticle("ffffffffffff", title: "x") },
        Refused(name: "add with empty body") { _ = try $0.kb.addArticle(title: "标题", body: " \n ") },
        Refused(name: "add with empty title") { _ = try $0.kb.addArticle(title: "", body: "正文") },
        Refused(name: "remove an unknown article") { _ = try $0.kb.removeArticle("ffffffffffff") },
        Refused(name: "tag with an empty tag") { _ = try $0.kb.tag($0.article.id, ["好", ""]) },
        Refused(name: "tag with a line break") { _ = try $0.kb.tag($0.article.id, ["一\n二"]) },
        Refused(name: "annotate a missing quote") {
            _ = try $0.kb.annotate($0.article.id, target: .quote("不存在", occurrence: nil, prefix: nil, suffix: nil))
        },
        Refused(name: "edit an unknown annotation") { _ = try $0.kb.editAnnotation("ffffffffffff", note: "x") },
        Refused(name: "remove an annotation twice") {
            _ = try $0.kb.removeAnnotation($0.annotation.id)
            _ = try $0.kb.removeAnnotation($0.annotation.id)
        },
    ])
    func failedMutation_writesNoChange(_ refused: Refused) throws {
        let fixture = try HistoryFixture()
        let before = try fixture.kb.count("changes")
        let removesFirst = refused.name == "remove an annotation twice"
        #expect(throws: KBError.self) { try refused.action(fixture) }
        #expect(try fixture.kb.count("changes") == before + (removesFirst ? 1 : 0))
    }

    @Test func mutationThatChangesNothing_writesNoChange() throws {
        let fixture = try HistoryFixture()
        let kb = fixture.kb
        let before = try kb.count("changes")
        _ = try kb.tag(fixture.article.id, ["已有", " 已有 "])
        _ = try kb.untag(fixture.article.id, ["从未有过"])
        _ = try kb.editAnnotation(fixture.annotation.id, note: "旧笔记", addTags: ["旧"])
        _ = try kb.editArticle(fixture.article.id, title: "历史")
        #expect(try kb.count("changes") == before)
    }

    // MARK: - Change ids and clock

    @Test func changeIDs_areReplicaAndSequence_increasingByOne() throws {
        // Given a history of many kinds of changes
        let fixture = try HistoryFixture()
        for mutation in Mutation.allCases where mutation != .removeArticle && mutation != .removeAnnotation {
            try mutation.perform(on: fixture)
        }

        // Then
        let changes = try fixture.kb.allChanges()
        #expect(changes.count > 20)
        let replica = try #require(changes.first?.id.replica)
        #expect(replica.count == 16 && replica.allSatisfy(\.isHexDigit))
        #expect(changes.allSatisfy { $0.id.replica == replica })
        #expect(changes.map(\.id.seq) == Array(1...Int64(changes.count)))
        #expect(try fixture.kb.status().replica == replica)
        #expect(try fixture.kb.status().pending == changes.count)
        #expect(ChangeID(changes[4].id.description) == changes[4].id)
    }

    /// A clock that goes backwards a second at every reading.
    final class BackwardsClock: Sendable {
        private let value = Mutex<Int64>(1_800_000_000_000)
        var clock: Clock {
            Clock {
                self.value.withLock {
                    $0 -= 1000
                    return $0
                }
            }
        }
    }

    @Test(arguments: ["fixed", "backwards", "forwards"])
    func hlcStamps_strictlyIncrease_whateverTheClockDoes(_ kind: String) throws {
        // Given
        let clock: Clock =
            switch kind {
            case "fixed": .fixed(1_800_000_000_000)
            case "backwards": BackwardsClock().clock
            default: TestClock().clock
            }
        let fixture = try HistoryFixture(clock: clock)

        // When many changes are made, some several in one transaction
        for mutation in Mutation.allCases where mutation != .removeArticle && mutation != .removeAnnotation {
            try mutation.perform(on: fixture)
        }

        // Then
        let stamps = try fixture.kb.allChanges().map(\.hlc)
        #expect(stamps.count > 20)
        for (earlier, later) in zip(stamps, stamps.dropFirst()) {
            #expect(earlier < later)
        }
        #expect(stamps.first!.milliseconds >= 1_764_000_000_000)
        // The stored clock is the last stamp issued.
        let stored = try fixture.kb.read { db in try Meta.lastTimestamp(db) }
        #expect(stored == stamps.last)
    }

    @Test func hlcStamp_followsTheWallClockWhenItIsAhead() throws {
        let clock = TestClock()
        let kb = try KnowledgeBase.inMemory(clock: clock.clock)
        _ = try kb.addArticle(title: "一", body: "正文一。")
        clock.advance(by: 60_000)
        _ = try kb.addArticle(title: "二", body: "正文二。")
        let stamps = try kb.allChanges().map(\.hlc)
        #expect(stamps[1].milliseconds - stamps[0].milliseconds >= 60_000)
        #expect(stamps[1].counter == 0)
    }

    @Test(arguments: [
        (Int64(100), Int64(0), Int64(101)), (100, 0, 100), (100, 5, 50), (100, 5, 100), (100, 0xFFFF, 100), (0, 0, 1),
    ])
    func hybridTimestamp_next_isAboveTheLastAndTheWallClock(_ lastMS: Int64, _ lastCounter: Int64, _ now: Int64) {
        let last = HybridTimestamp(milliseconds: lastMS, counter: lastCounter)
        let next = HybridTimestamp.next(after: last, now: now)
        #expect(next > last)
        #expect(next >= HybridTimestamp(milliseconds: now))
        #expect(next.rawValue - max(last.rawValue, HybridTimestamp(milliseconds: now).rawValue) <= 1)
    }

    // MARK: - Heads

    @Test func heads_holdOneHeadPerEditedField() throws {
        // Given an article edited several times
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "一", body: "正文。")
        for title in ["二", "三", "四"] { _ = try kb.editArticle(article.id, title: title) }
        for body in ["正文二。", "正文三。"] { _ = try kb.editArticle(article.id, body: body) }
        _ = try kb.editArticle(article.id, title: "五", body: "正文四。")

        // Then each field has exactly one head: its latest change
        let heads = try kb.read { db in try ChangeStore.allHeads(db, entityID: article.id) }
        #expect(heads.map(\.field.rawValue).sorted() == ["*", "body", "title"])
        let changes = try kb.allChanges().filter { $0.entityID == article.id }
        for field in [ChangeField.create, .title, .body] {
            let head = try #require(heads.first { $0.field == field })
            #expect(head.id == changes.last { $0.field == field }?.id)
        }
        // Each change was made on the previous head of its field.
        let titles = changes.filter { $0.field == .title }
        #expect(titles.first?.base == [changes.first { $0.op == .create }!.id])
        for (previous, next) in zip(titles, titles.dropFirst()) { #expect(next.base == [previous.id]) }

        // When it is deleted, the delete is made on every head
        _ = try kb.removeArticle(article.id)
        let delete = try #require(try kb.allChanges().last)
        #expect(Set(delete.base) == Set(heads.map(\.id)))
        let after = try kb.read { db in try ChangeStore.allHeads(db, entityID: article.id) }
        #expect(after.map(\.field.rawValue).sorted() == ["*", "body", "deleted", "title"])
        #expect(
            try kb.count("heads")
                == kb.read { db in
                    try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT entity_id || '/' || field) FROM heads") ?? 0
                })
    }

    @Test func heads_ofATagMembership_followAddAndRemove() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "一", body: "正文。")
        _ = try kb.tag(article.id, ["甲"])
        _ = try kb.untag(article.id, ["甲"])
        _ = try kb.tag(article.id, ["甲"])
        let membership = Identifier.contentID([article.id, "甲"])
        let heads = try kb.read { db in try ChangeStore.allHeads(db, entityID: membership) }
        #expect(heads.map(\.field.rawValue).sorted() == ["*", "present"])
        let presents = try kb.allChanges().filter { $0.entityID == membership && $0.field == .present }
        #expect(presents.map(\.value) == ["false", "true"])
        #expect(heads.first { $0.field == .present }?.id == presents.last?.id)
    }

    // MARK: - Health

    @Test func healthDigest_sameContentImportedInDifferentOrders_isEqual() throws {
        // Given the same files imported in two orders, at different times, with tags
        let folder = try TemporaryFolder()
        let page = try folder.write("page.txt", try Fixtures.seedPage)
        let notes = try folder.write("notes.md", "# 调研笔记\n\n职工非遗技艺交流活动。")
        let plain = try folder.write("plain.txt", "Title\n\nSome plain text.")
        let one = try KnowledgeBase.inMemory()
        let two = try KnowledgeBase.inMemory(clock: .fixed(1_900_000_000_000))
        let first = try one.importFiles([page, notes, plain])
        _ = try two.importFiles([plain])
        _ = try two.importFiles([notes, page])
        for kb in [one, two] {
            _ = try kb.tag(first.articles[0], ["工会", "非遗"])
            _ = try kb.tag(first.articles[9], ["笔记"])
        }

        // Then
        let a = try one.health()
        let b = try two.health()
        #expect(a.digest == b.digest)
        #expect(a.gaps == 0 && b.gaps == 0)
        #expect(a.digest.count == 32)
    }

    @Test(arguments: ["title", "body", "tag", "untag", "delete", "annotation", "extra article"])
    func healthDigest_differentContent_differs(_ difference: String) throws {
        // Given two knowledge bases with the same content
        let page = try Fixtures.seedPage
        let one = try KnowledgeBase.inMemory()
        let two = try KnowledgeBase.inMemory()
        let ids = try one.importText(page).articles
        _ = try two.importText(page)
        for kb in [one, two] { _ = try kb.tag(ids[2], ["工会"]) }
        try #require(try one.health().digest == two.health().digest)

        // When one of them changes
        switch difference {
        case "title": _ = try two.editArticle(ids[0], title: "改过的标题")
        case "body": _ = try two.editArticle(ids[0], body: "改过的正文。")
        case "tag": _ = try two.tag(ids[1], ["新"])
        case "untag": _ = try two.untag(ids[2], ["工会"])
        case "delete": _ = try two.removeArticle(ids[3])
        case "annotation": _ = try two.annotate(ids[4], target: .article, note: "笔记")
        default: _ = try two.addArticle(title: "多一篇", body: "正文。")
        }

        // Then
        #expect(try one.health().digest != two.health().digest)
    }

    @Test func healthDigest_ofADumpRestoredElsewhere_isEqual() throws {
        // Annotations have random ids: a dump carries them, so a restored copy has the same content.
        let fixture = try HistoryFixture()
        _ = try fixture.kb.importText(try Fixtures.seedPage)
        let restored = try KnowledgeBase.inMemory(clock: .fixed(1_900_000_000_000))
        _ = try restored.importText(try fixture.kb.exportJSON(), name: "dump.json")
        #expect(try restored.health().digest == fixture.kb.health().digest)
    }

    @Test func healthGaps_countMissingChangesOfAReplica() throws {
        let fixture = try HistoryFixture()
        #expect(try fixture.kb.health().gaps == 0)
        try fixture.kb.database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO changes (replica, seq, hlc, entity, entity_id, field, op, value)
                    VALUES ('00000000000000aa', 1, 1, 'article', 'x', 'title', 'set', '"a"'),
                           ('00000000000000aa', 4, 2, 'article', 'x', 'title', 'set', '"b"')
                    """)
        }
        #expect(try fixture.kb.health().gaps == 2)
    }

    // MARK: - Database location

    struct LocationCase: Sendable, CustomTestStringConvertible {
        let name: String
        let flag: String?
        let environment: [String: String]
        let expected: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        LocationCase(
            name: "flag first", flag: "/flag/kb.sqlite",
            environment: ["KB_DB": "/env/kb.sqlite", "XDG_DATA_HOME": "/xdg", "HOME": "/home/ana"],
            expected: "/flag/kb.sqlite"),
        LocationCase(
            name: "relative flag", flag: "kb.sqlite", environment: ["HOME": "/home/ana"], expected: "kb.sqlite"),
        LocationCase(
            name: "empty flag", flag: "", environment: ["KB_DB": "/env/kb.sqlite", "HOME": "/home/ana"],
            expected: "/env/kb.sqlite"),
        LocationCase(
            name: "KB_DB", flag: nil,
            environment: ["KB_DB": "/env/kb.sqlite", "XDG_DATA_HOME": "/xdg", "HOME": "/home/ana"],
            expected: "/env/kb.sqlite"),
        LocationCase(
            name: "empty KB_DB", flag: nil, environment: ["KB_DB": "", "XDG_DATA_HOME": "/xdg", "HOME": "/home/ana"],
            expected: "/xdg/kb/kb.sqlite"),
        LocationCase(
            name: "XDG_DATA_HOME", flag: nil, environment: ["XDG_DATA_HOME": "/data/ana", "HOME": "/home/ana"],
            expected: "/data/ana/kb/kb.sqlite"),
        LocationCase(
            name: "empty XDG_DATA_HOME", flag: nil, environment: ["XDG_DATA_HOME": "", "HOME": "/home/ana"],
            expected: "/home/ana/.local/share/kb/kb.sqlite"),
        LocationCase(
            name: "relative XDG_DATA_HOME is ignored", flag: nil,
            environment: ["XDG_DATA_HOME": "data", "HOME": "/home/ana"], expected: "/home/ana/.local/share/kb/kb.sqlite"
        ),
        LocationCase(
            name: "no XDG_DATA_HOME", flag: nil, environment: ["HOME": "/home/ana"],
            expected: "/home/ana/.local/share/kb/kb.sqlite"),
        LocationCase(
            name: "Chinese home", flag: nil, environment: ["HOME": "/home/王芳"],
            expected: "/home/王芳/.local/share/kb/kb.sqlite"),
    ])
    func databaseLocation_resolvesFlagThenEnvironmentThenXDG(_ item: LocationCase) {
        #expect(DatabaseLocation.resolve(flag: item.flag, environment: item.environment) == item.expected)
    }

    @Test func databaseLocation_withoutHome_usesTheUsersHomeDirectory() {
        let path = DatabaseLocation.resolve(flag: nil, environment: [:])
        #expect(path.hasPrefix("/"))
        #expect(path.hasSuffix("/.local/share/kb/kb.sqlite"))
    }

    @Test func databaseFile_isCreatedWithItsFolder_ownerOnly_inWALMode() throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("a/b/kb.sqlite").path
        let kb = try KnowledgeBase.open(path: path)
        _ = try kb.addArticle(title: "一", body: "正文。")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let mode = try kb.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        // Reopened, it holds the article and searches it (the tokenizer is registered again).
        let reopened = try KnowledgeBase.open(path: path)
        #expect(try reopened.search("正文").count == 1)
    }

    @Test func databaseFile_inAFolderThatCannotBeCreated_isAStorageError() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("file", "not a folder")
        let error = #expect(throws: KBError.self) { try KnowledgeBase.open(path: file + "/kb.sqlite") }
        #expect(error?.kind == .storage)
        #expect(error?.message.contains(file) == true)
    }
}

extension HistoryTests {
    /// The creation JSON written by hand decodes to the same creation and matches the encoder's.
    @Test func articleCreationJSON_roundTrips() throws {
        let article = Article(
            id: "a", sourceID: "s\"1", position: 3, kind: "caption", title: "标题\n二", subtitle: "“副”",
            kicker: "\\引\t", byline: "（记者）", dateline: "", body: "😀𠮷\u{1}正文", createdAt: 1_764_000_000_123)
        let creation = ArticleCreation(article)
        #expect(try JSONText.decode(ArticleCreation.self, from: creation.jsonText) == creation)
        #expect(creation.jsonText == (try JSONText.encode(creation)))
        var noSource = creation
        noSource.sourceID = nil
        #expect(try JSONText.decode(ArticleCreation.self, from: noSource.jsonText) == noSource)
    }
}
