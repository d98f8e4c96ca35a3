import Foundation
import Testing

@testable import KB

/// The rules added for the split evaluation's perturbations, each on a page written by hand.
extension PageSplitterTests {
    /// `第162号` inserted into a line of text by the extraction makes it wider than its column; it stays a
    /// line of its paragraph, not a headline cutting the article in two.
    @Test func charactersInsertedIntoALineKeepItInItsParagraph() throws {
        let items = split(
            Self.page(
                "本报讯 （记者王明）今天，全国农业工作会议",
                "在京召开。会议部署了今年的农业和农村工作，",
                "要求各地切实抓好粮食生产，保证农民收入稳定",
                "增长，推动农村改革深化，第162号促进农业农村现代化，",
                "确保粮食安全和重要农产品稳定供给，持续推进",
                "乡村振兴。",
                "全国农业工作会议召开"))
        #expect(items.map(\.title) == ["全国农业工作会议召开"])
        let item = try #require(items.first)
        #expect(item.body.contains("推动农村改革深化，第162号促进农业农村现代化，确保粮食安全"))
        #expect(item.body.hasSuffix("持续推进乡村振兴。"))
    }

    /// Only running text is widened by an insertion: a line as wide without a pause inside (a headline
    /// of another column) is not, nor is one more than a few characters wider than its column.
    @Test func onlyRunningTextIsWidenedByInsertion() {
        let lines = PageLine.lines(
            of: Self.page(
                "本报讯 （记者王明）今天，全国农业工作会议",
                "在京召开。会议部署了今年的农业和农村工作，",
                "要求各地切实抓好粮食生产，保证农民收入稳定",
                "增长，推动农村改革深化，第162号促进农业农村现代化，",
                "确保粮食安全和重要农产品稳定供给，持续推进",
                "全国农业工作会议在京召开部署今年农业农村工作重点任务",
                "乡村振兴，促进农民增收，推动农村改革深化，农业农村现代化建设",
                "确保粮食安全和重要农产品稳定供给，持续推进",
                "乡村振兴。"))
        let reader = SegmentReader(lines: lines)
        #expect(reader.isWide(3) && reader.widenedByInsertion(3))
        #expect(reader.isWide(5) && !reader.widenedByInsertion(5))
        #expect(reader.isWide(6) && !reader.widenedByInsertion(6))
    }

    /// A headline line ending with a comma goes on on the next line: one title, no subtitle.
    @Test func headlineLineEndingWithACommaGoesOn() throws {
        let items = split(Self.page(Array(Self.cadreArticle.dropLast()) + ["“输血”，", "更需“造血”"]))
        let item = try #require(items.first)
        #expect(item.title == "“输血”，更需“造血”")
        #expect(item.subtitle == "")
    }

    /// A title over a subtitle is still two lines when the title ends without a pause.
    @Test func titleOverSubtitleStaysTwoLines() throws {
        let items = split(Self.page(Array(Self.cadreArticle.dropLast()) + ["更需“造血”", "农村扶贫的新路子"]))
        let item = try #require(items.first)
        #expect(item.title == "更需“造血”")
        #expect(item.subtitle == "农村扶贫的新路子")
    }

    /// The indented first line of a paragraph may end with a dash that the next line's text follows:
    /// it is text, not a kicker.
    @Test func paragraphOpeningWithADashIsNoKicker() throws {
        let items = split(
            Self.page(
                Array(Self.cadreArticle.dropLast()) + [
                    "会议提出了今年工作的重点——",
                    "稳定粮食生产，深化农村改革，促进农民",
                    "增收，推动乡村振兴取得新的进展。",
                    "全国农业工作会议召开",
                ]))
        #expect(items.count == 1)
        let item = try #require(items.first)
        #expect(item.kicker == "")
        #expect(item.title == "全国农业工作会议召开")
        #expect(item.body.contains("会议提出了今年工作的重点——稳定粮食生产"))
    }

    /// A kicker over a title an indent wider that ends with a question mark is still a kicker: the title
    /// ends where a paragraph's first line would go on.
    @Test func kickerOverATitleAnIndentWider() throws {
        let items = split(
            Self.page(
                Array(Self.cadreArticle.dropLast()) + [
                    "各地认真贯彻会议精神——", "国家自然科学奖一等奖为何空缺？",
                    "本报讯 （记者黄洪涛）近期，为帮助外贸企", "业和职工应对挑战，省总工会开展了专项服",
                    "务行动，走访企业一百二十多家，摸清了困", "难职工的需求。", "江苏开展送温暖慰问",
                ]))
        #expect(items.map(\.title) == ["国家自然科学奖一等奖为何空缺？", "江苏开展送温暖慰问"])
        #expect(items.first?.kicker == "各地认真贯彻会议精神——")
    }

    /// `（转第2版）` closes the article it is in: a subhead above it does not end the article, as a closing
    /// dateline under an article that opened with one would.
    @Test func continuedOnDoesNotMakeASubheadATitle() throws {
        let items = split(
            Self.page(
                "本报讯 （记者王明）1月5日，全国农业", "工作会议在京召开。会议部署了今年的", "农业和农村工作。", "粮食生产",
                "会议要求各地切实抓好粮食生产，保证", "农民收入稳定增长，推动农村改革。", "（转第2版）", "全国农业工作会议召开"))
        #expect(items.map(\.title) == ["全国农业工作会议召开"])
        let item = try #require(items.first)
        #expect(item.continuation == "（转第2版）")
        #expect(item.body.contains("粮食生产"))
        #expect(item.body.hasSuffix("推动农村改革。"))
    }

    static let headlinesFirstPage = [
        "全国农业工作会议召开",
        "本报讯 （记者王明）1月5日，全国农业",
        "工作会议在京召开。会议部署了今年的",
        "农业和农村工作，要求各地切实抓好粮",
        "食生产，保证农民收入稳定增长。",
        "江苏：摸底困难职工需求开展送温暖慰问",
        "本报讯 （记者黄洪涛）近期，为帮助外贸企",
        "业和职工应对挑战，省总工会开展了专项服",
        "务行动，走访企业一百二十多家，摸清了困",
        "难职工的需求。",
    ]

    /// ``headlinesFirstPage`` with `lines` between its two articles.
    static func headlinesFirstPage(inserting lines: [String]) -> [String] {
        Array(headlinesFirstPage.prefix(5)) + lines + headlinesFirstPage.suffix(5)
    }

    /// On a page printing headlines before their text, a photo caption keeps its title after it: the
    /// page is still read headlines first.
    @Test func headlinesFirstPageEndingWithACaptionTitle() throws {
        let items = split(
            Self.page(
                Self.headlinesFirstPage + [
                    "日前，在江西德鑫纺织有限公司，工人正在赶制一批销往海外的订单。 本报通讯员 徐浩儒 摄", "赶制出口订单",
                ]))
        #expect(items.map(\.title) == ["全国农业工作会议召开", "江苏：摸底困难职工需求开展送温暖慰问", "赶制出口订单"])
        #expect(items.map(\.kind) == [.article, .article, .caption])
        #expect(items[1].body.hasSuffix("摸清了困难职工的需求。"))
    }

    /// On a page printing headlines before their text, a credit on a line of its own closes the caption
    /// printed in the paragraph above it, which is not the article's text.
    @Test func headlinesFirstCaptionWithItsCreditOnALineOfItsOwn() throws {
        let items = split(
            Self.page(
                Self.headlinesFirstPage + [
                    "日前，在江西德鑫纺织有限公司，工人正在赶制一批销往海外的订单。", "本报通讯员 徐浩儒 摄", "赶制出口订单",
                ]))
        #expect(items.map(\.kind) == [.article, .article, .caption])
        #expect(items[1].body.hasSuffix("摸清了困难职工的需求。"))
        let caption = try #require(items.last)
        #expect(caption.title == "赶制出口订单")
        #expect(caption.body == "日前，在江西德鑫纺织有限公司，工人正在赶制一批销往海外的订单。")
        #expect(TextCleaner.removingWhitespace(caption.byline) == "本报通讯员徐浩儒摄")
    }
    /// A page printing headlines before their text may open with a photo caption: its title, then the
    /// first article's headline, stand over the first article's marker.
    @Test func headlinesFirstPageOpeningWithACaption() throws {
        let items = split(
            Self.page(
                [
                    "日前，在江西德鑫纺织有限公司，工人正在赶制一批销往海外的订单。 本报通讯员 徐浩儒 摄", "赶制出口订单",
                ] + Self.headlinesFirstPage))
        #expect(items.map(\.title) == ["赶制出口订单", "全国农业工作会议召开", "江苏：摸底困难职工需求开展送温暖慰问"])
        #expect(items.map(\.kind) == [.caption, .article, .article])
        #expect(items[1].body.hasSuffix("保证农民收入稳定增长。"))
        #expect(items[2].body.hasSuffix("摸清了困难职工的需求。"))
    }

    /// A headline block as wide as the column, printed twice, is a headline from its first copy on: the
    /// text under it is the next article's.
    @Test func repeatedHeadlineAsWideAsTheColumn() throws {
        let items = split(
            Self.page(
                Array(Self.cadreArticle.dropLast()) + [
                    "全国农业工作会议在京召开部署", "今年农业和农村工作重点任务", "全国农业工作会议在京召开部署", "今年农业和农村工作重点任务",
                    "近期，为帮助外贸企业和职工应对挑", "战，省总工会开展了专项服务行动，走", "访企业一百二十多家，摸清了困难职工", "的需求。",
                    "江苏开展送温暖慰问",
                ]))
        #expect(items.map(\.title) == ["全国农业工作会议在京召开部署", "江苏开展送温暖慰问"])
        #expect(items.first?.subtitle == "今年农业和农村工作重点任务")
        #expect(items.first?.repeatedHeadline == "全国农业工作会议在京召开部署\n今年农业和农村工作重点任务")
        #expect(items.last?.body.hasPrefix("近期，为帮助外贸企业") == true)
    }

    /// A photo caption read into an article right after its lead line (`本报讯 （通讯员 X 记者 Y）`
    /// alone on its line) goes after that article, not at the end of the page.
    @Test func captionReadInAfterALeadLine() {
        let items = split(
            Self.page(
                Self.cadreArticle + [
                    "本报讯 （通讯员龙晶蕾 记者陈兰蕾）",
                    "日前，在江西德鑫纺织有限公司，工人正在赶制一批销往海外的订单。 本报通讯员 徐浩儒 摄", "赶制出口订单",
                    "近几年，随着下岗职工的增多，全国各地", "人才中介市场发展迅速，职业介绍机构和", "人才中介机构越来越多。",
                    "人才中介市场需要规范",
                    "本报讯 （记者黄洪涛）近期，为帮助外贸企", "业和职工应对挑战，省总工会开展了专项服", "务行动，走访企业一百二十多家，摸清了困",
                    "难职工的需求。", "江苏开展送温暖慰问",
                ]))
        #expect(items.map(\.title) == ["全国农业工作会议召开", "人才中介市场需要规范", "赶制出口订单", "江苏开展送温暖慰问"])
        #expect(items.map(\.kind) == [.article, .article, .caption, .article])
        #expect(items[1].byline == "（通讯员龙晶蕾 记者陈兰蕾）")
    }

    /// A kicker printed without a title, then a photo caption of two lines: the caption's first line is
    /// not the kicker's title.
    @Test func kickerWithoutATitleOverACaption() throws {
        let items = split(
            Self.page(
                Array(Self.cadreArticle.dropLast()) + [
                    "各地认真贯彻中央农村工作会议精神——", "日前，在江西德鑫纺织有限公司，工人正在赶制一批销往海外的订",
                    "单。 本报通讯员 徐浩儒 摄", "赶制出口订单",
                ]))
        #expect(items.map(\.kind) == [.article, .caption])
        #expect(items.first?.kicker == "各地认真贯彻中央农村工作会议精神——")
        #expect(items.first?.title == "")
        let caption = try #require(items.last)
        #expect(caption.title == "赶制出口订单")
        #expect(caption.body == "日前，在江西德鑫纺织有限公司，工人正在赶制一批销往海外的订单。")
    }
}
