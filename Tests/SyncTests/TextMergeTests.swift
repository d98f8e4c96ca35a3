import Testing

@testable import KB

struct TextMergeTests {
    let base = "第一句。第二句。第三句。"

    @Test func editsToDifferentSentencesMerge() {
        let result = TextMerge.merge(base: base, winner: "第一句改。第二句。第三句。", other: "第一句。第二句。第三句改。")
        #expect(result == .init(text: "第一句改。第二句。第三句改。", hasConflict: false))
    }

    @Test func editsToTheSameSentenceConflictAndKeepTheWinner() {
        let result = TextMerge.merge(base: base, winner: "第一句。第二句甲。第三句。", other: "第一句。第二句乙。第三句。")
        #expect(result == .init(text: "第一句。第二句甲。第三句。", hasConflict: true))
    }

    @Test func sameEditOnBothSidesIsNoConflict() {
        let edited = "第一句。第二句同。第三句。"
        #expect(TextMerge.merge(base: base, winner: edited, other: edited) == .init(text: edited, hasConflict: false))
    }

    @Test func deleteVersusUnchangedDeletes() {
        let result = TextMerge.merge(base: base, winner: base, other: "第一句。第三句。")
        #expect(result == .init(text: "第一句。第三句。", hasConflict: false))
    }

    @Test func deleteOnOneSideEditElsewhereMerges() {
        let result = TextMerge.merge(base: base, winner: "第一句。第三句。", other: "第一句改。第二句。第三句。")
        #expect(result == .init(text: "第一句改。第三句。", hasConflict: false))
    }

    @Test func deleteVersusEditOfTheSameSentenceConflicts() {
        let result = TextMerge.merge(base: base, winner: "第一句。第三句。", other: "第一句。第二句改。第三句。")
        #expect(result.hasConflict)
        #expect(result.text == "第一句。第三句。")
    }

    @Test func insertionsAtTheSamePlaceConflict() {
        let result = TextMerge.merge(base: base, winner: "第一句。甲插入。第二句。第三句。", other: "第一句。乙插入。第二句。第三句。")
        #expect(result.hasConflict)
        #expect(result.text == "第一句。甲插入。第二句。第三句。")
    }

    @Test func insertionsAtDifferentPlacesMerge() {
        let result = TextMerge.merge(base: base, winner: "甲。第一句。第二句。第三句。", other: "第一句。第二句。第三句。乙。")
        #expect(result == .init(text: "甲。第一句。第二句。第三句。乙。", hasConflict: false))
    }

    /// An Obsidian sync plugin glued two Chinese documents together when it merged without a base.
    @Test func noCommonBaseNeverGluesTwoTexts() {
        let a = String(repeating: "长三角三省一市共促职工文旅消费。", count: 20)
        let b = String(repeating: "东北三省一区工会就业协作专场招聘活动举行。", count: 20)
        let result = TextMerge.merge(base: nil, winner: a, other: b)
        #expect(result == .init(text: a, hasConflict: true))
    }

    /// diff-match-patch split surrogate pairs; kb works on whole characters.
    @Test func emojiAndExtensionBSurviveMerges() {
        let base = "😀开头。中间有𠮷字。👨‍👩‍👧结尾。"
        let winner = "😀开头改。中间有𠮷字。👨‍👩‍👧结尾。"
        let other = "😀开头。中间有𠮷字。👨‍👩‍👧结尾，𠮷😀。"
        let result = TextMerge.merge(base: base, winner: winner, other: other)
        #expect(result == .init(text: "😀开头改。中间有𠮷字。👨‍👩‍👧结尾，𠮷😀。", hasConflict: false))
        #expect(result.text.unicodeScalars.contains("𠮷"))
    }

    @Test func lineDeletedOnOneSideStaysDeleted() {
        let base = "甲\n乙\n丙\n"
        let result = TextMerge.merge(base: base, winner: "甲\n丙\n", other: "甲\n乙\n丙\n丁\n")
        #expect(result == .init(text: "甲\n丙\n丁\n", hasConflict: false))
    }

    @Test(arguments: [
        ("一。二！三？", ["一。", "二！", "三？"]),
        ("他说：“好。”然后走了。", ["他说：“好。”", "然后走了。"]),
        ("No end", ["No end"]),
        ("First. Second.", ["First. ", "Second."]),
        ("段一。\n\n段二。", ["段一。\n\n", "段二。"]),
    ])
    func sentences(_ text: String, _ expected: [String]) {
        #expect(TextMerge.sentences(text).map(String.init) == expected)
        #expect(TextMerge.sentences(text).joined() == text)
    }
}
