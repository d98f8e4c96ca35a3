import Foundation
import GRDB
import Testing

@testable import KB

/// A short article in four paragraphs, after the first item of the seed page.
enum Passage {
    static let p1 = "4月21日，长三角三省一市职工非遗技艺交流活动在安徽省黄山市举行。三省一市总工会负责同志共同签署意向书。"
    static let p2 = "活动分为舞台展演和市集互动两个部分，涉及54个非遗项目，涵盖传统技艺、音乐、舞蹈、戏剧、美术等10个类型。"
    static let p3 = "在展演环节，劳动模范、非遗大师带来一场美不胜收的非遗盛宴。一幅《百年工运匠心共融》剪纸长卷为百年工运献礼。"
    static let p4 = "市集互动区设置了锦艺华章、古方拾遗、匠心传世等8大展区，汇集上千个长三角非遗特色产品，参观者流连忘返。"

    static func body(_ paragraphs: [String]) -> String { paragraphs.joined(separator: "\n\n") }
    static var body: String { body([p1, p2, p3, p4]) }
}

extension Annotation {
    /// The code-point range where it stands now.
    var range: Range<Int>? {
        guard let start, let end else { return nil }
        return start..<end
    }
}

struct AnnotationTests {
    static func quote(
        _ text: String, occurrence: Int? = nil, prefix: String? = nil, suffix: String? = nil
    ) -> AnnotationTarget {
        .quote(text, occurrence: occurrence, prefix: prefix, suffix: suffix)
    }

    /// The text an annotation selects in the article's current body.
    static func selected(_ annotation: Annotation, in kb: KnowledgeBase) throws -> String? {
        let body = try kb.article(annotation.articleID).article.body
        return annotation.range.map { CodePoints(body).string($0) }
    }

    // MARK: - Offsets

    @Test(arguments: [0, 1, 2, 7, 500])
    func sortByCreation_ordersByTimeThenId_asASortWould(count: Int) {
        var random = SeededGenerator(seed: UInt64(count) + 3)
        let annotations = (0..<count).map { index in
            Annotation(
                id: String(format: "%08x", UInt32.random(in: 0...UInt32.max, using: &random)),
                articleID: "a\(index % 3)",
                quote: "引文\(index)", prefix: "", suffix: "", anchorStart: index, anchorEnd: index + 1, start: index,
                end: index + 1, state: .anchored, note: index % 2 == 0 ? "笔记 😀" : "", color: "",
                createdAt: Int64.random(in: 0...5, using: &random), updatedAt: 0)
        }
        var sorted = annotations
        KnowledgeBase.sortByCreation(&sorted)
        #expect(sorted == annotations.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) })
        var again = sorted
        KnowledgeBase.sortByCreation(&again)
        #expect(again == sorted)
    }

    @Test func offsets_areCodePoints_afterEmojiAndSupplementaryCharacters() throws {
        // Given text where code points, UTF-16 units and characters all count differently
        let kb = try KnowledgeBase.inMemory()
        let body = "开头😀𠮷👍🏽，这是一段测试文字，重点在这里。后面还有文字。"
        let article = try kb.addArticle(title: "偏移", body: body)

        // When
        let annotation = try kb.annotate(article.id, target: Self.quote("重点在这里"))

        // Then start and end count code points
        let prefixText = try #require(body.components(separatedBy: "重点在这里").first)
        let expected = prefixText.unicodeScalars.count
        #expect(expected != prefixText.utf16.count)
        #expect(expected != prefixText.count)
        #expect(annotation.start == expected)
        #expect(annotation.end == expected + 5)
        #expect(CodePoints(body).string(try #require(annotation.range)) == "重点在这里")
        #expect(annotation.quote == "重点在这里")
        #expect(annotation.prefix == prefixText)
        #expect(annotation.suffix == "。后面还有文字。")
        #expect(annotation.state == .anchored)
    }

    @Test func annotateByRange_takesTheQuoteOfThoseCodePoints() throws {
        let kb = try KnowledgeBase.inMemory()
        let body = "😀𠮷开头，这是一段测试文字。"
        let article = try kb.addArticle(title: "范围", body: body)
        let points = CodePoints(body)

        let annotation = try kb.annotate(article.id, target: .range(1, 6), note: "含补充平面字符")

        #expect(annotation.quote == "𠮷开头，这")
        #expect(annotation.quote == points.string(1..<6))
        #expect(annotation.range == 1..<6)
        #expect(annotation.prefix == "😀")
        #expect(annotation.suffix == points.string(6..<points.count))
        #expect(annotation.note == "含补充平面字符")
    }

    @Test func contextIsAtMost32CodePointsOnEachSide() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "上下文", body: Passage.body)
        let annotation = try kb.annotate(article.id, target: Self.quote("剪纸长卷"))
        let points = CodePoints(Passage.body)
        let start = try #require(annotation.start)
        #expect(annotation.prefix == points.string((start - 32)..<start))
        #expect(annotation.suffix == points.string((start + 4)..<(start + 4 + 32)))
    }

    @Test func quoteWithSpacesAndLineBreaksFromAPDF_isStoredCleaned() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "PDF", body: Passage.body)
        let annotation = try kb.annotate(article.id, target: Self.quote("剪 纸 长\n卷 为百年\r\n工运"))
        #expect(annotation.quote == "剪纸长卷为百年工运")
        #expect(try Self.selected(annotation, in: kb) == "剪纸长卷为百年工运")
    }

    // MARK: - Repeated quotes

    static let repeated = Passage.body([
        "甲段：会议强调要坚持问题导向。", "乙段：报告指出要坚持问题导向，推动工作。", "丙段：专家认为要坚持问题导向。",
    ])

    @Test func quoteRepeated_withoutChoice_isAmbiguousListingOccurrences_andWritesNothing() throws {
        // Given
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "重复", body: Self.repeated)
        let before = try kb.rowCounts()
        let offsets = CodePoints(Self.repeated).offsets(of: "坚持问题导向")
        try #require(offsets.count == 3)

        // When
        let error = #expect(throws: KBError.self) { try kb.annotate(article.id, target: Self.quote("坚持问题导向")) }

        // Then
        #expect(error?.kind == .ambiguous)
        #expect(error?.candidates.count == 3)
        for (index, offset) in offsets.enumerated() {
            #expect(error?.candidates[index].contains("\(offset):\(offset + 6)") == true, "\(error?.candidates ?? [])")
        }
        #expect(error?.message.contains("--occurrence") == true)
        #expect(try kb.rowCounts() == before)
    }

    @Test(arguments: [
        (AnnotationTarget.quote("坚持问题导向", occurrence: 1, prefix: nil, suffix: nil), 0),
        (.quote("坚持问题导向", occurrence: 2, prefix: nil, suffix: nil), 1),
        (.quote("坚持问题导向", occurrence: 3, prefix: nil, suffix: nil), 2),
        (.quote("坚持问题导向", occurrence: nil, prefix: "报告指出要", suffix: nil), 1),
        (.quote("坚持问题导向", occurrence: nil, prefix: "专 家 认\n为 要", suffix: nil), 2),
        (.quote("坚持问题导向", occurrence: nil, prefix: nil, suffix: "，推动"), 1),
        (.quote("坚持问题导向", occurrence: 2, prefix: "要", suffix: "。"), 2),
    ])
    func quoteRepeated_occurrenceOrContext_choosesOne(_ target: AnnotationTarget, _ index: Int) throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "重复", body: Self.repeated)
        let offsets = CodePoints(Self.repeated).offsets(of: "坚持问题导向")
        let annotation = try kb.annotate(article.id, target: target)
        #expect(annotation.start == offsets[index])
        #expect(annotation.quote == "坚持问题导向")
    }

    // MARK: - Bad input

    struct BadInput: Sendable, CustomTestStringConvertible {
        let name: String
        let article: String?
        let target: AnnotationTarget
        var tags: [String] = []
        let kind: KBError.Kind
        var testDescription: String { name }
    }

    @Test(arguments: [
        BadInput(
            name: "unknown article id", article: "ffffffffffff",
            target: .quote("剪纸", occurrence: nil, prefix: nil, suffix: nil), kind: .notFound),
        BadInput(name: "not an id", article: "no-such-article", target: .article, kind: .notFound),
        BadInput(
            name: "quote not found", article: nil, target: .quote("量子计算", occurrence: nil, prefix: nil, suffix: nil),
            kind: .notFound),
        BadInput(
            name: "empty quote", article: nil, target: .quote("", occurrence: nil, prefix: nil, suffix: nil),
            kind: .invalidArgument),
        BadInput(
            name: "whitespace quote", article: nil,
            target: .quote(" \n\u{3000} ", occurrence: nil, prefix: nil, suffix: nil), kind: .invalidArgument),
        BadInput(name: "range past the end", article: nil, target: .range(10, 100_000), kind: .invalidArgument),
        BadInput(name: "negative range", article: nil, target: .range(-1, 3), kind: .invalidArgument),
        BadInput(name: "reversed range", article: nil, target: .range(8, 3), kind: .invalidArgument),
        BadInput(name: "empty range", article: nil, target: .range(5, 5), kind: .invalidArgument),
        BadInput(
            name: "whitespace-only range", article: nil,
            target: .range(CodePoints(Passage.p1).count, CodePoints(Passage.p1).count + 2), kind: .invalidArgument),
        BadInput(
            name: "occurrence out of range", article: nil,
            target: .quote("非遗", occurrence: 9, prefix: nil, suffix: nil), kind: .invalidArgument),
        BadInput(
            name: "occurrence zero", article: nil, target: .quote("非遗", occurrence: 0, prefix: nil, suffix: nil),
            kind: .invalidArgument),
        BadInput(
            name: "context that never occurs", article: nil,
            target: .quote("非遗", occurrence: nil, prefix: "不存在的", suffix: nil), kind: .notFound),
        BadInput(
            name: "empty tag", article: nil, target: .quote("剪纸", occurrence: nil, prefix: nil, suffix: nil),
            tags: ["  "], kind: .invalidArgument),
    ])
    func badInput_throwsKBError_andWritesNothing(_ input: BadInput) throws {
        // Given
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "文章", body: Passage.body)
        let before = try kb.rowCounts()

        // When
        let error = #expect(throws: KBError.self) {
            try kb.annotate(input.article ?? article.id, target: input.target, note: "笔记", tags: input.tags)
        }

        // Then
        #expect(error?.kind == input.kind, "\(error?.message ?? "")")
        #expect(error?.message.hasSuffix(".") == true)
        #expect(try kb.rowCounts() == before)
        #expect(try kb.notes().isEmpty)
    }

    /// A reversed or empty range is named as such, with the range it may have meant; a range past the end
    /// says how long the text is.
    @Test(arguments: [
        (8, 3, "is empty or reversed", "'3:8'"),
        (5, 5, "is empty or reversed", "'5:6'"),
        (10, 100_000, "is outside the article's text", "code points"),
    ])
    func badRange_saysWhatIsWrong(_ start: Int, _ end: Int, _ says: String, _ hint: String) throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "文章", body: Passage.body)
        let error = #expect(throws: KBError.self) { try kb.annotate(article.id, target: .range(start, end), note: "x") }
        #expect(error?.message.contains(says) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(hint) == true, "\(error?.message ?? "")")
    }

    @Test func deletedArticle_cannotBeAnnotated() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "文章", body: Passage.body)
        _ = try kb.removeArticle(article.id)
        let before = try kb.rowCounts()
        let error = #expect(throws: KBError.self) { try kb.annotate(article.id, target: .article, note: "x") }
        #expect(error?.kind == .notFound)
        #expect(try kb.rowCounts() == before)
    }

    // MARK: - Re-anchoring

    @Test func textInsertedBefore_staysAnchored_withNewOffsets() throws {
        // Given
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "文章", body: Passage.body)
        let annotation = try kb.annotate(article.id, target: Self.quote("剪纸长卷为百年工运献礼"), note: "好")
        let inserted = "据新华社报道，😀𠮷活动吸引了大批游客。\n\n"

        // When
        let (_, counts) = try kb.editArticle(article.id, body: inserted + Passage.body)

        // Then
        #expect(counts == ReanchorCounts(reanchored: 1, fuzzy: 0, orphaned: 0))
        let moved = try #require(try kb.notes().first)
        #expect(moved.state == .anchored)
        #expect(moved.start == annotation.start! + CodePoints(inserted).count)
        #expect(try Self.selected(moved, in: kb) == "剪纸长卷为百年工运献礼")
        #expect(moved.quote == annotation.quote)
        #expect(moved.anchorStart == annotation.start)
    }

    @Test func textChangedElsewhere_positionUnchanged_staysPut() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "文章", body: Passage.body)
        let annotation = try kb.annotate(article.id, target: Self.quote("剪纸长卷"))
        let (_, counts) = try kb.editArticle(
            article.id, body: Passage.body.replacingOccurrences(of: "流连忘返", with: "赞不绝口"))
        #expect(counts == ReanchorCounts(reanchored: 1))
        #expect(try kb.notes().first?.range == annotation.range)
    }

    /// One character of a quote of 11 or more characters changed: found approximately, original quote kept.
    @Test(arguments: [
        ("一场美不胜收的非遗盛宴", "一台美不胜收的非遗盛宴"),  // 11 characters, the second changed
        ("一场美不胜收的非遗盛宴", "另场美不胜收的非遗盛宴"),  // the first
        ("一场美不胜收的非遗盛宴", "一场美不胜收的非遗盛会"),  // the last
        ("一场美不胜收的非遗盛宴", "一场美不胜收非遗盛宴"),  // one deleted
        ("一场美不胜收的非遗盛宴", "一场美不胜收的的非遗盛宴"),  // one inserted
        ("劳动模范、非遗大师带来一场美不胜收的非遗盛宴", "劳动模范、非遗大师带来一场美仑美奂的非遗盛宴"),  // 22, two changed
    ])
    func oneCharacterChangedInLongQuote_isFuzzy_originalQuoteKept(_ original: String, _ changed: String) throws {
        // Given
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "文章", body: Passage.body)
        let annotation = try kb.annotate(article.id, target: Self.quote(original), note: "笔记")

        // When
        let (_, counts) = try kb.editArticle(
            article.id, body: "前言一句。\n\n" + Passage.body.replacingOccurrences(of: original, with: changed))

        // Then
        #expect(counts == ReanchorCounts(reanchored: 0, fuzzy: 1, orphaned: 0))
        let moved = try #require(try kb.notes().first)
        #expect(moved.state == .fuzzy)
        #expect(moved.quote == original)
        #expect(moved.note == "笔记")
        #expect(try Self.selected(moved, in: kb) == changed)
        #expect(moved.anchorStart == annotation.start)
    }

    /// The second of three identical quotes, after edits that move the occurrences around it.
    @Test(arguments: [
        // A paragraph as long as the first inserted before it: the old place now holds the first occurrence.
        (["前言：以下是本次会议全部纪要。", "甲段：会议强调要坚持问题导向。", "乙段：报告指出要坚持问题导向，推动工作。", "丙段：专家认为要坚持问题导向。"], true),
        // The first paragraph deleted: the third occurrence moves next to the old place.
        (["乙段：报告指出要坚持问题导向，推动工作。", "丙段：专家认为要坚持问题导向。"], false),
        // The paragraphs reordered: the old place holds the first occurrence.
        (["丙段：专家认为要坚持问题导向。", "甲段：会议强调要坚持问题导向。", "乙段：报告指出要坚持问题导向，推动工作。"], true),
        // A fourth occurrence added before, with other context: the old place holds the first.
        (["丁段：大家都说要坚持问题导向。", "甲段：会议强调要坚持问题导向。", "乙段：报告指出要坚持问题导向，推动工作。", "丙段：专家认为要坚持问题导向。"], true),
    ])
    func quoteRepeatedThreeTimes_editAround_rightOccurrenceKept(_ paragraphs: [String], _ otherAtOldPlace: Bool) throws
    {
        // Given a highlight of the second occurrence
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "重复", body: Self.repeated)
        let annotation = try kb.annotate(article.id, target: Self.quote("坚持问题导向", occurrence: 2), note: "乙")
        let edited = Passage.body(paragraphs)
        let expectedStart = try #require(CodePoints(edited).firstOffset(of: "报告指出要坚持问题导向")) + 5
        let oldStart = try #require(annotation.start)
        #expect(CodePoints(edited).offsets(of: "坚持问题导向").contains(oldStart) == otherAtOldPlace)

        // When
        let (_, counts) = try kb.editArticle(article.id, body: edited)

        // Then
        #expect(counts == ReanchorCounts(reanchored: 1))
        let moved = try #require(try kb.notes().first)
        #expect(moved.state == .anchored)
        #expect(moved.start == expectedStart)
        #expect(try Self.selected(moved, in: kb) == "坚持问题导向")
    }

    /// The quote's paragraph deleted, a look-alike left elsewhere: orphaned, not moved.
    ///
    /// The look-alike has three characters changed and other context.
    @Test(arguments: [11, 12, 16, 22])
    func paragraphDeleted_onlyLookAlikeLeft_isOrphaned_noteKept(_ length: Int) throws {
        // Given a quote of `length` characters in the third paragraph, and a look-alike in a fifth
        let quote = String("劳动模范、非遗大师带来一场美不胜收的非遗盛宴".prefix(length))
        var lookAlike = Array(quote)
        for (index, replacement) in zip([1, length / 2, length - 2], ["甲", "乙", "丙"] as [Character]) {
            lookAlike[index] = replacement
        }
        let p5 = "另据报道，周末社区" + String(lookAlike) + "，吸引众多居民参与。"
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(
            title: "文章", body: Passage.body([Passage.p1, Passage.p2, Passage.p3, Passage.p4, p5]))
        let annotation = try kb.annotate(article.id, target: Self.quote(quote), note: "要保留的笔记", tags: ["展演"])

        // When the third paragraph is deleted
        let (_, counts) = try kb.editArticle(
            article.id, body: Passage.body([Passage.p1, Passage.p2, Passage.p4, p5]))

        // Then
        #expect(counts == ReanchorCounts(reanchored: 0, fuzzy: 0, orphaned: 1))
        let orphan = try #require(try kb.storedAnnotation(annotation.id))
        #expect(orphan.state == .orphaned)
        #expect(orphan.range == nil)
        #expect(orphan.note == "要保留的笔记")
        #expect(orphan.quote == quote)
        #expect(!orphan.isDeleted)
        #expect(try kb.notes(NotesFilter(orphanedOnly: true)).map(\.id) == [annotation.id])
        #expect(try kb.notes(NotesFilter(orphanedOnly: true)).first?.tags == ["展演"])
        #expect(try kb.status().orphaned == 1)

        // And when the paragraph comes back, so does the annotation
        let (_, restored) = try kb.editArticle(
            article.id, body: Passage.body([Passage.p1, Passage.p2, Passage.p3, Passage.p4, p5]))
        #expect(restored == ReanchorCounts(reanchored: 1))
        #expect(try kb.storedAnnotation(annotation.id)?.range == annotation.range)
        #expect(try kb.notes(NotesFilter(orphanedOnly: true)).isEmpty)
    }

    /// A quote right after a quotation mark at the start of the text (its prefix is one character):
    /// a look-alike with three characters changed that also stands after a quotation mark is not it.
    @Test func quoteAfterOneCharacterPrefix_lookAlikeAfterTheSameCharacter_isOrphaned() throws {
        // Given
        let kb = try KnowledgeBase.inMemory()
        let first = "“文脉薪传匠心共融劳模工匠齐聚黄山”主题活动举行。"
        let other = "另一场活动名为“文脉相传匠心共筑劳模工匠齐聚江南”，同样精彩。"
        let article = try kb.addArticle(title: "引号", body: Passage.body([first, Passage.p2, other]))
        let annotation = try kb.annotate(article.id, target: Self.quote("文脉薪传匠心共融劳模工匠齐聚黄山"))
        #expect(annotation.prefix == "“")

        // When the first paragraph is deleted
        let (_, counts) = try kb.editArticle(article.id, body: Passage.body([Passage.p2, other]))

        // Then
        #expect(counts == ReanchorCounts(orphaned: 1))
        #expect(try kb.storedAnnotation(annotation.id)?.state == .orphaned)
    }

    @Test func quoteAfterOneCharacterPrefix_oneCharacterChanged_isStillFuzzy() throws {
        let kb = try KnowledgeBase.inMemory()
        let first = "“文脉薪传匠心共融劳模工匠齐聚黄山”主题活动举行。"
        let article = try kb.addArticle(title: "引号", body: Passage.body([first, Passage.p2]))
        let annotation = try kb.annotate(article.id, target: Self.quote("文脉薪传匠心共融劳模工匠齐聚黄山"))
        let changed = first.replacingOccurrences(of: "齐聚黄山", with: "齐聚皖南")
        let (_, counts) = try kb.editArticle(article.id, body: Passage.body([changed, Passage.p2]))
        #expect(counts == ReanchorCounts(fuzzy: 1))
        let moved = try #require(try kb.storedAnnotation(annotation.id))
        #expect(try Self.selected(moved, in: kb) == "文脉薪传匠心共融劳模工匠齐聚皖南")
    }

    @Test func quoteAtTheEnd_lookAlikeBeforeTheSameLastCharacter_isOrphaned() throws {
        // Given a quote whose suffix is the final "。", and a look-alike elsewhere before a "。"
        let kb = try KnowledgeBase.inMemory()
        let last = "活动最后，全体劳模工匠合唱《咱们工人有力量》。"
        let other = "晚会上，全体职工工匠合唱《我们工人有力量》。大家深受鼓舞。"
        let article = try kb.addArticle(title: "结尾", body: Passage.body([other, Passage.p2, last]))
        let annotation = try kb.annotate(article.id, target: Self.quote("全体劳模工匠合唱《咱们工人有力量》"))
        #expect(annotation.suffix == "。")

        // When the last paragraph is deleted
        let (_, counts) = try kb.editArticle(article.id, body: Passage.body([other, Passage.p2]))

        // Then
        #expect(counts == ReanchorCounts(orphaned: 1))
    }

    struct ShortQuoteCase: Sendable, CustomTestStringConvertible {
        let name: String
        let quote: String
        let occurrence: Int?
        let paragraphs: [String]
        /// Whether the unrelated occurrence ends up within a few characters of the old place.
        let near: Bool
        var testDescription: String { name }
    }

    /// A two-character quote whose paragraph is deleted; the same two characters stand elsewhere in
    /// unrelated text (inside another word, as "Linus" in "chines"), far from or near the old place.
    @Test(arguments: [
        ShortQuoteCase(
            name: "剪纸, far", quote: "剪纸", occurrence: nil,
            paragraphs: ["另外，学生们学习剪纸技艺，作品在校园展出。", Passage.p1, Passage.p2, Passage.p4], near: false),
        ShortQuoteCase(
            name: "工运 inside 加工运输, far", quote: "工运", occurrence: 2,
            paragraphs: ["港口物流发展迅速，加工运输一体化。", Passage.p1, Passage.p2, Passage.p4], near: false),
        ShortQuoteCase(
            name: "工运 inside 加工运输, near", quote: "工运", occurrence: 2,
            paragraphs: [Passage.p1, Passage.p2, "港口物流行业近年来发展迅速，多家企业扩大了仓储规模，推进加工运输一体化。", Passage.p4],
            near: true),
    ])
    func shortQuote_contextGone_isNotMovedToUnrelatedOccurrence(_ item: ShortQuoteCase) throws {
        // Given
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "文章", body: Passage.body)
        let annotation = try kb.annotate(
            article.id, target: Self.quote(item.quote, occurrence: item.occurrence), note: "短")
        let edited = Passage.body(item.paragraphs)
        let other = try #require(CodePoints(edited).firstOffset(of: item.quote))
        #expect((abs(other - annotation.start!) <= 20) == item.near)

        // When
        let (_, counts) = try kb.editArticle(article.id, body: edited)

        // Then
        #expect(counts == ReanchorCounts(reanchored: 0, fuzzy: 0, orphaned: 1))
        let stored = try #require(try kb.storedAnnotation(annotation.id))
        #expect(stored.state == .orphaned)
        #expect(stored.range == nil)
    }

    @Test func shortQuote_contextKept_movesWithItsText() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "文章", body: Passage.body)
        let annotation = try kb.annotate(article.id, target: Self.quote("剪纸"))
        let inserted = String(repeating: "新增的背景介绍段落。", count: 12) + "\n\n"
        let (_, counts) = try kb.editArticle(article.id, body: inserted + Passage.body)
        #expect(counts == ReanchorCounts(reanchored: 1))
        let moved = try #require(try kb.storedAnnotation(annotation.id))
        #expect(moved.start == annotation.start! + CodePoints(inserted).count)
    }

    @Test func rangesAtVeryStartAndEnd_anchor_andSurviveEdits() throws {
        // Given highlights of the first and the last characters of the text
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "边界", body: Passage.body)
        let count = CodePoints(Passage.body).count
        let first = try kb.annotate(article.id, target: .range(0, 6))
        let last = try kb.annotate(article.id, target: .range(count - 6, count))
        let lastByQuote = try kb.annotate(article.id, target: Self.quote("参观者流连忘返。"))
        let firstCharacter = try kb.annotate(article.id, target: .range(0, 1))
        let lastCharacter = try kb.annotate(article.id, target: .range(count - 1, count))
        #expect(first.quote == "4月21日，")
        #expect(last.quote == "者流连忘返。")
        #expect(lastByQuote.end == count)
        #expect(lastByQuote.suffix == "")
        #expect(first.prefix == "")
        #expect(firstCharacter.quote == "4")
        #expect(lastCharacter.quote == "。")

        // When the middle changes
        let middle = Passage.body([Passage.p1, Passage.p2, "中间一段改写了。", Passage.p4])
        let (_, counts) = try kb.editArticle(article.id, body: middle)

        // Then all stay exactly where they are relative to the ends
        #expect(counts == ReanchorCounts(reanchored: 5))
        let newCount = CodePoints(middle).count
        #expect(try kb.storedAnnotation(first.id)?.range == 0..<6)
        #expect(try kb.storedAnnotation(firstCharacter.id)?.range == 0..<1)
        #expect(try kb.storedAnnotation(last.id)?.range == (newCount - 6)..<newCount)
        #expect(try kb.storedAnnotation(lastCharacter.id)?.range == (newCount - 1)..<newCount)
        #expect(try kb.storedAnnotation(lastByQuote.id)?.end == newCount)

        // When text is added at both ends
        let padded = "导语。\n\n" + middle + "\n\n（完）"
        let (_, again) = try kb.editArticle(article.id, body: padded)
        #expect(again == ReanchorCounts(reanchored: 5))
        for annotation in try kb.notes() {
            #expect(annotation.state == .anchored)
            #expect(try Self.selected(annotation, in: kb) == annotation.quote)
        }
    }

    /// After every kind of edit, each annotation is in exactly one state, consistent with its range,
    /// the counts add up, and the orphans are the ones listed.
    @Test func everyAnnotation_isInExactlyOneState_afterEveryEdit() throws {
        // Given an article with highlights of several kinds and a whole-article note
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "状态", body: Passage.body)
        for quote in ["4月21日", "涉及54个非遗项目", "一场美不胜收的非遗盛宴", "剪纸", "汇集上千个长三角非遗特色产品", "流连忘返。"] {
            _ = try kb.annotate(article.id, target: Self.quote(quote))
        }
        _ = try kb.annotate(article.id, target: .article, note: "整篇")
        let edits = [
            "开头😀。\n\n" + Passage.body,
            Passage.body.replacingOccurrences(of: "一场美不胜收", with: "一台美不胜收"),
            Passage.body([Passage.p1, Passage.p4]),
            Passage.body([Passage.p4, Passage.p3, Passage.p2, Passage.p1]),
            "完全不同的一篇文章。",
            Passage.body,
        ]
        for edit in edits {
            // When
            let (_, counts) = try kb.editArticle(article.id, body: edit)

            // Then
            let annotations = try kb.notes(NotesFilter(articleID: article.id))
            #expect(annotations.count == 7)
            #expect(counts.reanchored + counts.fuzzy + counts.orphaned == annotations.count)
            #expect(counts.fuzzy == annotations.filter { $0.state == .fuzzy }.count)
            #expect(counts.orphaned == annotations.filter { $0.state == .orphaned }.count)
            let points = CodePoints(edit)
            for annotation in annotations where !annotation.quote.isEmpty {
                switch annotation.state {
                case .anchored:
                    let range = try #require(annotation.range)
                    #expect(range.upperBound <= points.count)
                    #expect(points.string(range) == annotation.quote)
                case .fuzzy:
                    let range = try #require(annotation.range)
                    #expect(range.upperBound <= points.count && !range.isEmpty)
                case .orphaned:
                    #expect(annotation.start == nil && annotation.end == nil)
                }
            }
            let orphans = try kb.notes(NotesFilter(articleID: article.id, orphanedOnly: true))
            #expect(Set(orphans.map(\.id)) == Set(annotations.filter { $0.state == .orphaned }.map(\.id)))
        }
        // Back to the original text, everything is anchored where it was made.
        for annotation in try kb.notes() where !annotation.quote.isEmpty {
            #expect(annotation.state == .anchored)
            #expect(annotation.start == annotation.anchorStart)
        }
    }

    // MARK: - Whole-article notes

    @Test func wholeArticleNote_hasNoRange_andSurvivesAnyEdit() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "整篇", body: Passage.body)
        let note = try kb.annotate(article.id, target: .article, note: "这篇值得**重读**", tags: ["待读"])
        #expect(note.quote == "")
        #expect(note.range == nil)
        #expect(note.state == .anchored)
        #expect(note.tags == ["待读"])

        _ = try kb.editArticle(article.id, body: "完全改写后的正文。")

        let stored = try #require(try kb.article(article.id).annotations.first)
        #expect(stored.id == note.id)
        #expect(stored.state == .anchored)
        #expect(stored.note == "这篇值得**重读**")
        #expect(try kb.notes(NotesFilter(orphanedOnly: true)).isEmpty)
    }

    // MARK: - Editing and removing

    @Test func editAnnotation_changesNoteColorAndTags() throws {
        // Given
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "编辑", body: Passage.body)
        let annotation = try kb.annotate(article.id, target: Self.quote("剪纸长卷"), note: "旧笔记", tags: ["重点"])

        // When
        let edited = try kb.editAnnotation(
            String(annotation.id.prefix(10)), note: "新笔记", color: .yellow, addTags: ["工会/职工", "非遗"],
            removeTags: ["重点", "从未有过"])

        // Then
        #expect(edited.note == "新笔记")
        #expect(edited.color == "yellow")
        #expect(edited.tags == ["工会/职工", "非遗"])
        let stored = try #require(try kb.notes().first)
        #expect(stored.note == "新笔记")
        #expect(stored.color == "yellow")
        #expect(Set(stored.tags) == ["工会/职工", "非遗"])
        #expect(stored.quote == "剪纸长卷")
        #expect(stored.range == annotation.range)

        // A tag added twice, in another case, is one tag.
        let again = try kb.editAnnotation(annotation.id, addTags: ["非遗", " 非遗 "])
        #expect(again.tags.count == 2)
        // Clearing the note.
        #expect(try kb.editAnnotation(annotation.id, note: "").note == "")
    }

    @Test func editAnnotation_withNothingToChange_isAnError() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "编辑", body: Passage.body)
        let annotation = try kb.annotate(article.id, target: Self.quote("剪纸长卷"))
        let before = try kb.rowCounts()
        #expect(throws: KBError.self) { try kb.editAnnotation(annotation.id) }
        #expect(throws: KBError.self) { try kb.editAnnotation(annotation.id, addTags: [""]) }
        #expect(throws: KBError.self) { try kb.editAnnotation("ffffffffffff", note: "x") }
        #expect(try kb.rowCounts() == before)
    }

    @Test func removeAnnotation_hidesItEverywhere() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "删除", body: Passage.body)
        let kept = try kb.annotate(article.id, target: Self.quote("剪纸长卷"))
        let removed = try kb.annotate(article.id, target: Self.quote("非遗盛宴"), note: "删掉")

        #expect(try kb.removeAnnotation(String(removed.id.prefix(12))) == removed.id)

        #expect(try kb.notes().map(\.id) == [kept.id])
        #expect(try kb.article(article.id).annotations.map(\.id) == [kept.id])
        #expect(try kb.storedAnnotation(removed.id)?.isDeleted == true)
        let error = #expect(throws: KBError.self) { try kb.removeAnnotation(removed.id) }
        #expect(error?.kind == .notFound)
        #expect(throws: KBError.self) { try kb.editAnnotation(removed.id, note: "复活") }
    }

    // MARK: - Notes filters

    @Test func notesFilters_byArticleTagAndOrphaned() throws {
        // Given two articles with tagged highlights, one orphaned, and a deleted third article
        let kb = try KnowledgeBase.inMemory()
        let one = try kb.addArticle(title: "一", body: Passage.body)
        let two = try kb.addArticle(title: "二", body: Passage.body([Passage.p2, Passage.p3]))
        let gone = try kb.addArticle(title: "三", body: Passage.p4)
        let a = try kb.annotate(one.id, target: Self.quote("剪纸长卷"), tags: ["Report"])
        let b = try kb.annotate(one.id, target: Self.quote("锦艺华章"), tags: ["report", "工会/职工"])
        let c = try kb.annotate(two.id, target: Self.quote("剪纸长卷"), tags: ["工会/职工"])
        let d = try kb.annotate(two.id, target: .article, note: "整篇")
        _ = try kb.annotate(gone.id, target: Self.quote("锦艺华章"), tags: ["report"])
        _ = try kb.removeArticle(gone.id)
        _ = try kb.editArticle(one.id, body: Passage.body([Passage.p1, Passage.p2, Passage.p3]))

        // Then
        #expect(try kb.notes().map(\.id) == [a.id, b.id, c.id, d.id])
        #expect(try kb.notes(NotesFilter(articleID: String(one.id.prefix(6)))).map(\.id) == [a.id, b.id])
        #expect(try kb.notes(NotesFilter(articleID: two.id)).map(\.id) == [c.id, d.id])
        #expect(try kb.notes(NotesFilter(tag: "REPORT")).map(\.id) == [a.id, b.id])
        #expect(try kb.notes(NotesFilter(tag: "工会/职工")).map(\.id) == [b.id, c.id])
        #expect(try kb.notes(NotesFilter(articleID: two.id, tag: "工会/职工")).map(\.id) == [c.id])
        #expect(try kb.notes(NotesFilter(orphanedOnly: true)).map(\.id) == [b.id])
        #expect(try kb.notes(NotesFilter(tag: "report", orphanedOnly: true)).map(\.id) == [b.id])
        #expect(try kb.notes(NotesFilter(articleID: two.id, orphanedOnly: true)).isEmpty)
        #expect(try kb.notes(NotesFilter(tag: "没有这个标签")).isEmpty)
        let error = #expect(throws: KBError.self) { try kb.notes(NotesFilter(articleID: gone.id)) }
        #expect(error?.kind == .notFound)
    }
}

extension AnnotationTests {
    /// A passage changed by one character stays where it is (fuzzy) even when its exact old words
    /// stand elsewhere in other context.
    @Test func oneCharacterChanged_exactWordsElsewhereInOtherContext_staysFuzzyInPlace() throws {
        let kb = try KnowledgeBase.inMemory()
        let quote = "职工非遗技艺交流活动在黄山举行并取得圆满成功"
        let body = "开头的一段文字。本报讯近日，长三角三省一市" + quote + "，各方代表出席。另外一段完全不同的内容放在这里。"
        let article = try kb.addArticle(title: "标题", body: body)
        let annotation = try kb.annotate(article.id, target: .quote(quote, occurrence: nil, prefix: nil, suffix: nil))
        let changed = quote.replacingOccurrences(of: "黄山", with: "黄岳")
        let edited = body.replacingOccurrences(of: quote, with: changed) + "引用：“" + quote + "”出现在评论里。"
        _ = try kb.editArticle(article.id, body: edited)
        let after = try #require(try kb.notes().first { $0.id == annotation.id })
        #expect(after.state == .fuzzy)
        let text = CodePoints(edited)
        let start = try #require(after.start)
        let end = try #require(after.end)
        #expect(text.string(start..<end) == changed)
    }
}

extension AnnotationTests {
    /// A paragraph printed twice in one article: the reader highlights it in the first copy, then an edit two
    /// characters before the highlight breaks the first copy's context.
    ///
    /// The highlight stays on the first copy, anchored, instead of jumping to the second copy whose context
    /// is still intact.
    @Test(arguments: [
        ("上来，做到", "上来插入了几个字，做到"),
        ("部署上来，做到", "部署，做到"),
        ("决策部署上来", "决策安排上来"),
    ])
    func repeatedParagraph_editBesideTheQuote_staysOnItsOwnCopy(old: String, new: String) throws {
        let kb = try KnowledgeBase.inMemory()
        let paragraph =
            "会议强调，今年是承上启下的关键一年。会议指出，各地要把思想统一到中央的决策部署上来，做到认识到位、责任到位、措施到位，"
            + "确保各项任务落实，以优异成绩迎接新中国成立五十周年，同时要加强督促检查。"
        let filler = String(repeating: Passage.p2 + Passage.p3, count: 6)
        let body = Passage.p1 + "\n\n" + paragraph + "\n\n" + filler + "\n\n" + paragraph + "\n\n" + Passage.p4
        let article = try kb.addArticle(title: "重复段落", body: body)
        let quote = "认识到位、责任到位"
        let annotation = try kb.annotate(article.id, target: .quote(quote, occurrence: 1, prefix: nil, suffix: nil))
        #expect(annotation.state == .anchored)
        let firstStart = try #require(body.range(of: quote))
        #expect(annotation.start == body.unicodeScalars[..<firstStart.lowerBound].count)

        // Two characters before the quote ("做到" stays), the words before them change in the first copy.
        let firstCopy = try #require(body.range(of: paragraph))
        var edited = body
        edited.replaceSubrange(firstCopy, with: paragraph.replacingOccurrences(of: old, with: new))
        #expect(edited != body)
        _ = try kb.editArticle(article.id, body: edited)

        let after = try #require(try kb.notes().first { $0.id == annotation.id })
        #expect(after.state == .anchored)
        let firstQuote = try #require(edited.range(of: quote))
        #expect(after.start == edited.unicodeScalars[..<firstQuote.lowerBound].count)
        #expect(try Self.selected(after, in: kb) == quote)
    }

    /// An exact quote found only beside an intact piece of its context (both sides touched by edits, a
    /// copy elsewhere in other context) is anchored, not fuzzy: none of its characters changed.
    @Test func exactQuote_contextTouchedOnBothSides_isAnchoredInPlace() throws {
        let kb = try KnowledgeBase.inMemory()
        let quote = "诸多小党的合纵连横使日本政局"
        let before = "，这次选举结束以后的日子里"
        let body = Passage.p1 + "评论认为" + before + quote + "更加扑朔迷离，各方都在观望。" + Passage.p2
        let article = try kb.addArticle(title: "政局", body: body)
        let annotation = try kb.annotate(article.id, target: .quote(quote, occurrence: nil, prefix: nil, suffix: nil))
        // Thirteen characters before the quote and two after it stay; the rest of its context changes.
        let edited =
            Passage.p1 + "社论指出" + before + quote + "更加难测，大家都在观望。" + Passage.p2 + "另据报道，" + quote + "。"
        _ = try kb.editArticle(article.id, body: edited)
        let after = try #require(try kb.notes().first { $0.id == annotation.id })
        let expected = CodePoints(Passage.p1 + "社论指出" + before).count
        #expect(after.range == expected..<(expected + CodePoints(quote).count))
        #expect(after.state == .anchored)
    }

    /// Listings are in creation order, by id among annotations made in the same millisecond, and an
    /// annotation stored later with an earlier time (as sync brings them) takes its place by time.
    @Test func notesListing_ordersByTimeThenID_withinOneMillisecondToo() throws {
        let kb = try KnowledgeBase.inMemory(clock: Clock { 1_764_000_000_000 })
        let article = try kb.addArticle(title: "同一毫秒", body: String(repeating: "甲乙丙丁戊己庚辛壬癸", count: 3))
        var made: [Annotation] = []
        for start in 0..<12 {
            made.append(try kb.annotate(article.id, target: .range(start, start + 2), note: "第\(start)条"))
        }
        #expect(Set(made.map(\.createdAt)).count == 1)
        let byID = made.map(\.id).sorted()
        #expect(byID != made.map(\.id), "ids in creation order would not test the ordering")
        #expect(try kb.notes().map(\.id) == byID)
        try kb.database.writer.write { db in
            try db.execute(
                sql: "UPDATE annotations SET created_at = created_at - 5 WHERE id = ?", arguments: [made[7].id])
        }
        #expect(try kb.notes().map(\.id) == [made[7].id] + byID.filter { $0 != made[7].id })
    }

    @Test func notesListing_ofThousands_keepsEachTagOrderAndOnlyLiveArticles() throws {
        // Over 2,000 annotations take the listing's bulk path: tags joined by row, articles checked once each.
        let kb = try KnowledgeBase.inMemory(clock: Clock { 1_764_000_000_000 })
        let body = String(repeating: "甲乙丙丁戊己庚辛壬癸𠮷😀", count: 30)
        let kept = try kb.addArticle(title: "留下", body: body)
        let removed = try kb.addArticle(title: "删去", body: body)
        var expectedTags: [String: [String]] = [:]
        for index in 0..<2_100 {
            let article = index % 5 == 0 ? removed : kept
            let tags = index % 7 == 0 ? ["甲\(index % 3)", "乙"] : []
            let annotation = try kb.annotate(article.id, target: .range(index % 300, index % 300 + 3), tags: tags)
            if article.id == kept.id {
                expectedTags[annotation.id] = tags.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            }
        }
        // One that arrived before its article (as a pull may bring it), and the trash.
        try kb.database.writer.write { db in
            try Annotation(
                id: "0000000000000000000000000A", articleID: "no-such-article", quote: "甲乙", prefix: "", suffix: "",
                anchorStart: 0, anchorEnd: 2, start: 0, end: 2, state: .anchored, note: "", color: "yellow",
                createdAt: 1, updatedAt: 1
            ).insert(db)
        }
        _ = try kb.removeArticle(removed.id)

        let listing = try kb.notes()

        #expect(listing.count == expectedTags.count)
        #expect(listing.map(\.id) == expectedTags.keys.sorted())
        #expect(listing.allSatisfy { $0.articleID == kept.id && $0.tags == expectedTags[$0.id] })
        #expect(listing.filter { !$0.tags.isEmpty }.count == expectedTags.values.filter { !$0.isEmpty }.count)
    }
}
