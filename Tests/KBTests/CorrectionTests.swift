import Foundation
import GRDB
import Testing

@testable import KB

/// `kb merge`, `kb split` and `kb retitle`: corrections of a page's split, as changes.
struct CorrectionTests {
    /// The seed page imported, its articles in page order.
    func seeded() throws -> (KnowledgeBase, [Article]) {
        let kb = try KnowledgeBase.inMemory()
        _ = try kb.importText(try Fixtures.seedPage, name: "seed.txt")
        let articles = try kb.allArticles().sorted { $0.position < $1.position }
        return (kb, articles)
    }

    @Test func mergeJoinsItemsInPageOrderAndAnnotationsFollow() throws {
        let (kb, articles) = try seeded()
        let jiangsu = articles[1]
        let shandong = articles[2]
        let note = try kb.annotate(
            shandong.id, target: .quote("实现内外贸一体化发展", occurrence: nil, prefix: nil, suffix: nil), note: "内外贸")
        // Given in any order, the first in page order keeps its id.
        let result = try kb.mergeArticles([shandong.id, jiangsu.id])
        #expect(result.articles.map(\.id) == [jiangsu.id])
        #expect(result.trashed == [shandong.id])
        #expect(result.annotationsMoved == 1)
        let merged = try #require(try kb.allArticles().first { $0.id == jiangsu.id })
        #expect(merged.body.hasPrefix(jiangsu.body))
        // The other item's headline stays as a paragraph, its dateline and byline run into its text.
        #expect(merged.body.contains("\n\n山东：“线上+线下”拓宽外贸产品内销渠道\n\n本报讯（杨明清 记者张嫱 通讯员王哲）“大家看一下"))
        #expect(merged.body.hasSuffix(shandong.body))
        #expect(try kb.allArticles().contains { $0.id == shandong.id } == false)
        #expect(try kb.trash().map(\.id) == [shandong.id])
        let moved = try #require(try kb.storedAnnotation(note.id))
        #expect(moved.articleID == jiangsu.id)
        #expect(moved.state == .anchored)
        #expect(try kb.article(jiangsu.id).annotations.map(\.quote) == ["实现内外贸一体化发展"])
        // Nothing of the text is lost.
        let before = TextCleaner.removingWhitespace(jiangsu.searchableText + shandong.searchableText)
        #expect(before.sorted() == TextCleaner.removingWhitespace(merged.searchableText).sorted())
    }

    @Test func mergeRefusesItemsOfTwoPages() throws {
        let (kb, articles) = try seeded()
        _ = try kb.importText(PageSplitterTests.page(lines: PageSplitterTests.cadreArticle), name: "other.txt")
        let other = try #require(try kb.allArticles().first { $0.title == "全国农业工作会议召开" })
        #expect(throws: KBError.self) { try kb.mergeArticles([articles[0].id, other.id]) }
        #expect(throws: KBError.self) { try kb.mergeArticles([articles[0].id, articles[0].id]) }
        #expect(try kb.trash().isEmpty)
    }

    @Test func splitBeforeTextMakesTheNextItemAndMovesItsAnnotations() throws {
        let (kb, articles) = try seeded()
        let first = articles[0]
        let cut = "活动分为舞台展演"
        #expect(first.body.contains(cut))
        let early = try kb.annotate(first.id, target: .quote("文脉薪传", occurrence: nil, prefix: nil, suffix: nil))
        let late = try kb.annotate(
            first.id, target: .quote("沉浸式感受匠心传承", occurrence: nil, prefix: nil, suffix: nil), note: "后半")
        let result = try kb.splitArticle(first.id, at: .before(cut))
        #expect(result.articles.count == 2)
        let (kept, made) = (result.articles[0], result.articles[1])
        #expect(kept.id == first.id)
        #expect(made.body.hasPrefix(cut))
        #expect(made.position == first.position + 1)
        #expect(made.sourceID == first.sourceID)
        #expect(kept.body + made.body == first.body.replacingOccurrences(of: "\n\n" + cut, with: cut))
        #expect(result.annotationsMoved == 1)
        #expect(try kb.storedAnnotation(early.id)?.articleID == first.id)
        let moved = try #require(try kb.storedAnnotation(late.id))
        #expect(moved.articleID == made.id)
        #expect(moved.state == .anchored)
        // The items after it moved down one place: page order holds.
        let positions = try kb.allArticles().filter { $0.sourceID == first.sourceID }.sorted {
            $0.position < $1.position
        }
        #expect(positions.map(\.id).prefix(3) == [first.id, made.id, articles[1].id])
        #expect(Set(positions.map(\.position)).count == positions.count)
    }

    @Test func splitAtAnOffsetInCodePointsWithATitleLine() throws {
        let kb = try KnowledgeBase.inMemory()
        let note = try kb.addArticle(title: "笔记", body: "𠮷野家🍚第一段。\n\n新标题\n第二段的正文。")
        let offset = "𠮷野家🍚第一段。\n\n".unicodeScalars.count
        let result = try kb.splitArticle(note.id, at: .offset(offset), titleLine: true)
        #expect(result.articles.map(\.title) == ["笔记", "新标题"])
        #expect(result.articles.map(\.body) == ["𠮷野家🍚第一段。", "第二段的正文。"])
    }

    @Test func splitRefusesACutOutsideOrAmbiguous() throws {
        let (kb, articles) = try seeded()
        let first = articles[0]
        #expect(throws: KBError.self) { try kb.splitArticle(first.id, at: .offset(0)) }
        #expect(throws: KBError.self) { try kb.splitArticle(first.id, at: .before("不在正文里的字")) }
        #expect(throws: KBError.self) { try kb.splitArticle(first.id, at: .before("，")) }
        #expect(try kb.allArticles().count == articles.count)
    }

    @Test func retitleMovesAHeadlineAndSwapsTheOther() throws {
        let (kb, articles) = try seeded()
        let result = try kb.moveHeadline(to: articles[0].id, from: articles[1].id)
        #expect(result.articles.map(\.title) == [articles[1].title, articles[0].title])
        #expect(result.articles[0].kicker == articles[1].kicker)
        #expect(result.articles[1].subtitle == articles[0].subtitle)
    }

    /// A re-import of the page keeps what the corrections did.
    @Test func reimportKeepsCorrections() throws {
        let (kb, articles) = try seeded()
        _ = try kb.mergeArticles([articles[1].id, articles[2].id])
        _ = try kb.splitArticle(articles[0].id, at: .before("活动分为舞台展演"))
        let after = try kb.allArticles().filter { !$0.isDeleted }.map(\.id).sorted()
        _ = try kb.importText(try Fixtures.seedPage, name: "seed.txt")
        #expect(try kb.allArticles().filter { !$0.isDeleted }.map(\.id).sorted() == after)
        // A new version of the page (one article edited on paper) keeps them too.
        let changed = try Fixtures.seedPage.replacingOccurrences(of: "沉浸式感受匠心传承", with: "沉浸式感受匠心的传承")
        _ = try kb.importText(changed, name: "seed.txt")
        let live = try kb.allArticles().filter { !$0.isDeleted }
        #expect(live.first { $0.id == articles[2].id } == nil)
        let merged = try #require(live.first { $0.id == articles[1].id })
        #expect(merged.body.contains("实现内外贸一体化发展"))
        #expect(live.contains { $0.body.hasPrefix("活动分为舞台展演") })
    }

    /// Two pages of one article: the markers link them both ways.
    @Test func continuedArticlesAreLinkedAcrossTwoPages() throws {
        let kb = try KnowledgeBase.inMemory()
        var first = Array(PageSplitterTests.cadreArticle.dropLast())
        first[first.count - 1] += "（下转第2版）"
        _ = try kb.importText(PageSplitterTests.page(lines: first + ["全国农业工作会议召开"]), name: "p1.txt")
        _ = try kb.importText(
            PageSplitterTests.page(
                lines: ["（上接第 1版）", "会议强调，要稳定粮食播种面积，", "确保谷物基本自给。", "全国农业工作会议召开"]),
            name: "p2.txt")
        let parts = try kb.allArticles()
        #expect(parts.count == 2)
        let on = try #require(parts.first { $0.continuation == "（下转第2版）" })
        let from = try #require(parts.first { $0.continuation == "（上接第1版）" })
        #expect(!from.body.contains("上接"))
        #expect(try kb.article(on.id).continuedOn == from.id)
        #expect(try kb.article(from.id).continuedFrom == on.id)
        #expect(try kb.continuedParts(of: from.id).map(\.article.id) == [on.id, from.id])
    }
}
