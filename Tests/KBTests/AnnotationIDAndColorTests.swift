import Foundation
import GRDB
import Testing

@testable import KB

/// Annotation ids that can be typed by their first characters, highlight colors, and quotes found many times.
struct AnnotationIDAndColorTests {
    // MARK: - Ids

    @Test func randomIDs_haveTheLayoutOfAUUIDv4_andVaryFromTheirFirstDigit() {
        let ids = (0..<2000).map { _ in Identifier.random() }
        for id in ids {
            let digits = Array(id)
            #expect(digits.count == 32 && id.allSatisfy { "0123456789abcdef".contains($0) }, "\(id)")
            #expect(digits[12] == "4", "version digit of \(id)")
            #expect("89ab".contains(digits[16]), "variant digit of \(id)")
            #expect(!Identifier.isTimeOrdered(id))
        }
        #expect(Set(ids).count == ids.count)
        // Each of the first four digits takes every one of its 16 values over 2000 ids (a value left out
        // has a chance of 16 × (15/16)^2000, about 10^-55).
        for position in 0..<4 {
            #expect(Set(ids.map { Array($0)[position] }).count == 16, "digit \(position + 1) is random")
        }
    }

    /// 200 random ids share 4-digit prefixes no more than the birthday bound allows.
    ///
    /// On average 19900 / 65536 ≈ 0.3 pairs do; 8 pairs or more happen with a chance below 10^-9.
    /// Time-ordered ids share them in every pair.
    @Test func randomIDs_twoHundred_shareFourDigitPrefixesNoMoreThanChanceAllows() {
        let ids = (0..<200).map { _ in Identifier.random() }
        #expect(pairsSharingPrefix(ids, length: 4) < 8)
        var seeded = SeededGenerator(seed: 12)
        let fromSeed = (0..<50).map { _ in Identifier.random(using: &seeded) }
        #expect(pairsSharingPrefix(fromSeed, length: 4) == 0, "\(fromSeed)")
        let timeOrdered = (0..<200).map { _ in Identifier.uuidV7(milliseconds: 1_764_000_000_000) }
        #expect(pairsSharingPrefix(timeOrdered, length: 4) == 200 * 199 / 2, "what random ids avoid")
    }

    /// 50 annotations made in one millisecond: their first 4 characters tell them apart (two share them
    /// with a chance of 2%, five pairs with a chance of 10^-11), and each is found by them.
    @Test func fiftyAnnotations_inOneMillisecond_areNamedByFourCharacters() throws {
        let kb = try KnowledgeBase.inMemory(clock: .fixed(1_764_000_000_000))
        let article = try kb.addArticle(title: "同一毫秒", body: String(repeating: "甲乙丙丁戊己庚辛壬癸", count: 6))
        let made = try (0..<50).map { try kb.annotate(article.id, target: .range($0, $0 + 3)) }
        #expect(Set(made.map(\.createdAt)).count == 1)
        let ids = made.map(\.id)
        #expect(pairsSharingPrefix(ids, length: 4) < 5, "\(ids.sorted())")
        let unique = ids.filter { id in ids.filter { $0.hasPrefix(id.prefix(4)) }.count == 1 }
        #expect(unique.count >= 40)
        for id in unique {
            #expect(try kb.resolveAnnotationID(String(id.prefix(4))) == id)
        }
        // kb prints 8 characters (more when they are shared).
        let shown = try kb.annotationIDPrefixes(ids)
        for id in ids {
            let prefix = try #require(shown[id])
            #expect(prefix.count >= 8 && id.hasPrefix(prefix))
            #expect(ids.filter { $0.hasPrefix(prefix) } == [id])
        }
    }

    /// Time-ordered ids made by earlier versions are still found by any unique prefix, and shown with 16
    /// characters, which reach their random part.
    @Test func timeOrderedIDs_fromEarlierVersions_stillResolve_andShowSixteenCharacters() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "旧编号", body: Passage.body)
        let made = try kb.annotate(article.id, target: .quote("剪纸长卷", occurrence: nil, prefix: nil, suffix: nil))
        let old = Identifier.uuidV7(milliseconds: 1_700_000_000_000)
        #expect(Identifier.isTimeOrdered(old))
        // Stored with its creation, as kb did then.
        try kb.write { db, changes in
            var copy = made
            copy.id = old
            try copy.save(db)
            try changes.create(.annotation, id: old, json: try JSONText.encode(AnnotationCreation(copy)))
        }
        #expect(try kb.resolveAnnotationID(String(old.prefix(14))) == old)
        #expect(try kb.annotationIDPrefixes([old])[old] == String(old.prefix(16)))
        #expect(try kb.annotationIDPrefixes([made.id])[made.id] == String(made.id.prefix(8)))
        #expect(try kb.editAnnotation(String(old.prefix(14)), note: "旧的").note == "旧的")
    }

    // MARK: - Colors

    @Test(arguments: [
        ("yellow", "yellow"), ("Blue", "blue"), (" PINK ", "pink"), ("Ｇｒｅｅｎ", "green"), ("purple", "purple"),
        ("#FFAA00", "#ffaa00"), ("＃ａ１ｃ２ｅ３", "#a1c2e3"), ("#000000", "#000000"),
    ])
    func color_namesAndHex_areReadInAnyCaseAndWidth_andStoredNormalized(_ text: String, _ stored: String) throws {
        let color = try #require(HighlightColor(text))
        #expect(color.name == stored)
        #expect(HighlightColor(color.name) == color, "the stored form reads back")
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "颜色", body: Passage.body)
        let annotation = try kb.annotate(
            article.id, target: .quote("剪纸长卷", occurrence: nil, prefix: nil, suffix: nil), color: color)
        #expect(annotation.color == stored)
        #expect(try kb.notes().first?.color == stored)
    }

    @Test(arguments: ["red", "not a color", "#fff", "#ggg000", "#+abcde", "#ffaa001", "黄色", "", "ffaa00"])
    func color_unknown_isRefusedInOneSentenceListingTheChoices(_ text: String) {
        #expect(HighlightColor(text) == nil)
        let error = #expect(throws: KBError.self) { try HighlightColor.parse(text) }
        #expect(error?.kind == .invalidArgument)
        #expect(
            error?.message
                == "The color '\(text)' is not one kb knows; choose yellow, green, blue, pink, purple or #rrggbb.")
    }

    @Test func editAnnotation_color_isStoredNormalized_andRecordedOnceForTheSameColor() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "颜色", body: Passage.body)
        let annotation = try kb.annotate(article.id, target: .quote("剪纸长卷", occurrence: nil, prefix: nil, suffix: nil))
        #expect(annotation.color == "")
        #expect(annotation.highlightColor == nil)
        let edited = try kb.editAnnotation(annotation.id, color: try HighlightColor.parse("#A1C2E3"))
        #expect(edited.color == "#a1c2e3")
        #expect(edited.highlightColor == .rgb(red: 0xA1, green: 0xC2, blue: 0xE3))
        let changes = try kb.count("changes")
        _ = try kb.editAnnotation(annotation.id, color: HighlightColor("#a1c2e3"), addTags: ["色"])
        #expect(try kb.count("changes") == changes + 1, "the same color is no change; the tag is one")
    }

    /// A color made by another tool arrives by sync as it is: kept, but no known color (shown plainly),
    /// and left out of the W3C export's styles.
    @Test func colorFromElsewhere_isKept_butHasNoHighlightColor_norStyle() throws {
        let kb = try KnowledgeBase.inMemory()
        let article = try kb.addArticle(title: "颜色", body: Passage.body)
        let known = try kb.annotate(
            article.id, target: .quote("剪纸长卷", occurrence: nil, prefix: nil, suffix: nil), color: .purple)
        let other = try kb.annotate(article.id, target: .quote("非遗盛宴", occurrence: nil, prefix: nil, suffix: nil))
        try kb.database.writer.write { db in
            try db.execute(sql: "UPDATE annotations SET color = 'chartreuse' WHERE id = ?", arguments: [other.id])
        }
        let notes = try kb.notes()
        #expect(notes.first { $0.id == other.id }?.color == "chartreuse")
        #expect(notes.first { $0.id == other.id }?.highlightColor == nil)
        #expect(notes.first { $0.id == known.id }?.highlightColor == .purple)

        let collection = try #require(
            try JSONSerialization.jsonObject(with: Data(kb.exportW3C().utf8)) as? [String: Any])
        let items = try #require((collection["first"] as? [String: Any])?["items"] as? [[String: Any]])
        let byID = Dictionary(uniqueKeysWithValues: items.map { ($0["id"] as? String ?? "", $0) })
        let purple = try #require(byID["urn:kb:annotation:\(known.id)"])
        #expect((purple["target"] as? [String: Any])?["styleClass"] as? String == "kb-purple")
        let sheet = try #require(purple["stylesheet"] as? [String: Any])
        #expect(sheet["type"] as? String == "CssStylesheet")
        #expect(sheet["value"] as? String == ".kb-purple { background-color: #ce93d8; }")
        let plain = try #require(byID["urn:kb:annotation:\(other.id)"])
        #expect(plain["stylesheet"] == nil)
        #expect((plain["target"] as? [String: Any])?["styleClass"] == nil)
        #expect(!(try kb.exportW3C()).contains("chartreuse"))

        let markdown = try #require(try kb.exportMarkdown().first?.content)
        #expect(markdown.contains("#cp=\(try #require(known.start))-\(try #require(known.end))) · 🟪 purple\n"))
        #expect(!markdown.contains("chartreuse"))
    }

    // MARK: - A quote found many times

    /// A 1,000,000-code-point article where the quote stands 200,000 times, among 𠮷, emoji and
    /// full-width forms: the error gives the true count and lists the first 10 with context.
    @Test func quoteFoundTwoHundredThousandTimes_listsTenWithContext_andTheTrueCount() throws {
        let unit = "𠮷测试😀Ａ"
        let body = String(repeating: unit, count: 200_000)
        let text = CodePoints(body)
        #expect(text.count == 1_000_000)
        let started = ContinuousClock.now
        let error = #expect(throws: KBError.self) {
            try KnowledgeBase.locate(
                .quote("测试", occurrence: nil, prefix: nil, suffix: nil), in: text, articleID: "0123456789ab")
        }
        let elapsed = ContinuousClock.now - started
        #expect(error?.kind == .ambiguous)
        #expect(error?.message.contains("occurs 200000 times (the first 10 below)") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("--occurrence N (1-200000)") == true)
        #expect(error?.candidates.count == 10)
        #expect(error?.candidates.first == "1: 1:3 …𠮷[测试]😀Ａ𠮷测试😀Ａ𠮷…")
        #expect(error?.candidates.last == "10: 46:48 …😀Ａ𠮷测试😀Ａ𠮷[测试]😀Ａ𠮷测试😀Ａ𠮷…")
        #expect(elapsed < .seconds(10), "took \(elapsed)")

        // Context that all of them share: the same count, said so.
        let withContext = #expect(throws: KBError.self) {
            try KnowledgeBase.locate(
                .quote("测试", occurrence: nil, prefix: "𠮷", suffix: "😀"), in: text, articleID: "0123456789ab")
        }
        #expect(
            withContext?.message.contains("occurs 200000 times with that context (the first 10 below)") == true,
            "\(withContext?.message ?? "")")
        #expect(withContext?.message.contains("or with a longer --prefix/--suffix.") == true)

        // Every occurrence can be chosen, the last one too.
        let last = try KnowledgeBase.locate(
            .quote("测试", occurrence: 200_000, prefix: nil, suffix: nil), in: text, articleID: "0123456789ab")
        #expect(last == 999_996..<999_998)
    }

    @Test func quoteFoundTenTimesOrFewer_listsThemAll() throws {
        let text = CodePoints(String(repeating: "前面的字测试后面的字。", count: 10))
        let error = #expect(throws: KBError.self) {
            try KnowledgeBase.locate(
                .quote("测试", occurrence: nil, prefix: nil, suffix: nil), in: text, articleID: "0123456789ab")
        }
        #expect(
            error?.message.hasPrefix("The quote '测试' occurs 10 times; choose one") == true, "\(error?.message ?? "")")
        #expect(error?.candidates.count == 10)
    }
}
