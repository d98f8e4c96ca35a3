import Foundation
import KB
import Testing

@testable import Sync

/// The documented forms of what crosses the wire.
struct WireValidatorTests {
    static let good = WireChange(
        replica: "9f2c41d07be85a13", seq: 12, hlc: 114_391_908_352_000_000, entity: "article",
        id: "5d0b6c1e9a7f42c3b8e1d290", field: "title", op: "set", value: "\"三省一市共促职工文化旅游消费\"",
        base: ["9f2c41d07be85a13:10", "c81e7a5f30d2b694:2"])

    @Test func changesKbMakes_areInForm() throws {
        try WireValidator.check(Self.good)
        var annotation = Self.good
        annotation.entity = "annotation"
        annotation.id = "019666cf8c0074a18b3c5d2e9f401a67"
        annotation.field = "*"
        annotation.op = "create"
        try WireValidator.check(annotation)
        var uuidArticle = Self.good
        uuidArticle.id = "019666cf8c0074a18b3c5d2e9f401a67"
        try WireValidator.check(uuidArticle)
        var unknownEntity = Self.good
        unknownEntity.entity = "bookmark"
        try WireValidator.check(unknownEntity)  // the hub stores kinds it does not know; replicas set them aside
    }

    @Test(arguments: [
        ("replica", "9F2C41D07BE85A13"), ("replica", "9f2c41d07be85a1"), ("replica", "9f2c41d07be85a13a"),
        ("replica", "../../../../etc/x"), ("replica", "a" + String(repeating: "\u{0301}", count: 15)),
        ("replica", "９f2c41d07be85a13"), ("replica", ""), ("id", "zzzzzzzzzzzzzzzz/../../../../elsewhere/OVERWRITTEN"),
        ("id", "Archives/../../../x"), ("id", "5d0b6c1e9a7f42c3b8e1d29"), ("id", "5D0B6C1E9A7F42C3B8E1D290"),
        ("id", "非遗技艺交流活动非遗技艺交流活动非遗技艺交流活动"), ("id", "😀😀😀😀😀😀"), ("entity", "article/.."),
        ("entity", ""), ("entity", "ＡＲＴＩＣＬＥ"), ("field", "title\u{0}"), ("field", String(repeating: "a", count: 33)),
        ("op", "SET"), ("base", "9f2c41d07be85a13"), ("base", "9f2c41d07be85a13:0"), ("base", "9f2c41d07be85a13:-1"),
        ("base", "9f2c41d07be85a13:1:2"), ("base", "../x:1"), ("base", "9f2c41d07be85a13:９"),
    ])
    func partOutOfForm_isRefused_withAReasonThatDoesNotEchoIt(part: String, value: String) {
        var change = Self.good
        switch part {
        case "replica": change.replica = value
        case "id": change.id = value
        case "entity": change.entity = value
        case "field": change.field = value
        case "op": change.op = value
        default: change.base = [value]
        }
        let error = #expect(throws: WireViolation.self) { try WireValidator.check(change) }
        #expect(error.map { !$0.reason.contains(value) || value.isEmpty } == true)
    }

    @Test func annotationWithAContentID_articleTooLong_andLimits_areRefused() {
        var annotation = Self.good
        annotation.entity = "annotation"
        #expect(throws: WireViolation.self) { try WireValidator.check(annotation) }  // 24 digits: not a UUIDv7
        var seq = Self.good
        seq.seq = WireValidator.maxSequence + 1
        #expect(throws: WireViolation.self) { try WireValidator.check(seq) }
        seq.seq = 0
        #expect(throws: WireViolation.self) { try WireValidator.check(seq) }
        var base = Self.good
        base.base = Array(repeating: "9f2c41d07be85a13:1", count: WireValidator.maxBaseCount + 1)
        #expect(throws: WireViolation.self) { try WireValidator.check(base) }
        var value = Self.good
        value.value = JSONText.string(String(repeating: "a", count: WireValidator.maxValueBytes))
        #expect(throws: WireViolation.self) { try WireValidator.check(value) }
        value.value = JSONText.string(String(repeating: "a", count: WireValidator.maxValueBytes - 2))
        #expect(throws: Never.self) { try WireValidator.check(value) }
    }

    @Test(arguments: [
        ("research", true), ("kb-1_2.x", true), (String(repeating: "a", count: 64), true), ("", false), (".", false),
        ("..", false), ("a/b", false), ("研究", false), ("ｒｅｓｅａｒｃｈ", false), (String(repeating: "a", count: 65), false),
        ("a b", false), ("a\u{0301}", false),
    ])
    func knowledgeBaseNames(name: String, isValid: Bool) {
        #expect(WireValidator.isKnowledgeBaseName(name) == isValid)
    }
}
