import Foundation
import Testing

@testable import KB

/// Pages as real extraction leaves them: mangled markers, headlines out of place, captions read into
/// the text, continuation markers (the classes of `gen_pages.py --perturb`).
extension PageSplitterTests {
    /// An article of the seed's layout: a full column of 16 characters, a first line indented by two.
    static func page(_ lines: [String]) -> String { page(lines: lines) }

    static let cadreArticle = [
        "本报讯 （记者王明）1月5日，全国农业",
        "工作会议在京召开。会议部署了今年的",
        "农业和农村工作，要求各地切实抓好粮",
        "食生产，保证农民收入稳定增长。",
        "全国农业工作会议召开",
    ]

    @Test(arguments: ["本报第109号讯", "本报专讯", "本报讯讯"])
    func mangledNewsflashOpensAnArticle(_ dateline: String) throws {
        let items = split(
            Self.page(
                Self.cadreArticle + [
                    "\(dateline) （记者黄洪涛）近期，为帮助外贸企",
                    "业和职工应对挑战，省总工会开展了专项服",
                    "务行动，走访企业一百二十多家，摸清了困",
                    "难职工的需求。",
                    "江苏：摸底困难职工需求开展送温暖慰问",
                ]))
        #expect(items.map(\.title) == ["全国农业工作会议召开", "江苏：摸底困难职工需求开展送温暖慰问"])
        let second = try #require(items.last)
        #expect(second.dateline == dateline)
        #expect(second.byline == "（记者黄洪涛）")
        #expect(second.body.hasPrefix("近期，为帮助外贸企业"))
    }

    @Test func xinhuaDatelineWithItsDateLost() throws {
        let items = split(
            Self.page(
                Self.cadreArticle + [
                    "新华社北京电（记者 李四）国务院新闻办",
                    "公室今天举行新闻发布会，介绍今年以来",
                    "外贸进出口的情况，并回答了记者的提问。",
                    "外贸进出口保持平稳增长",
                ]))
        #expect(items.count == 2)
        #expect(items.last?.dateline == "新华社北京电")
        #expect(items.last?.byline == "（记者 李四）")
    }

    /// `（记者 X）` opening a paragraph after another article's headline opens an article whose `本报讯`
    /// was lost.
    @Test func bracketedBylineWithoutNewsflash() throws {
        let items = split(
            Self.page(
                Self.cadreArticle + [
                    "（记者李润钊 通讯员李亮）4月23日，在福",
                    "建晋工机械有限公司的生产车间里，劳模",
                    "工匠们正在为企业职工讲解操作技巧。",
                    "泉州：劳模工匠入企送技",
                ]))
        #expect(items.map(\.title) == ["全国农业工作会议召开", "泉州：劳模工匠入企送技"])
        #expect(items.last?.dateline == "")
        #expect(items.last?.byline == "（记者李润钊 通讯员李亮）")
        #expect(items.last?.body.hasPrefix("4月23日") == true)
    }

    @Test func kickerWithoutATitle() throws {
        let items = split(
            Self.page(
                Array(Self.cadreArticle.dropLast()) + [
                    "各地认真贯彻中央农村工作会议精神——",
                    "本报讯 （记者黄洪涛）近期，为帮助外贸企",
                    "业和职工应对挑战，省总工会开展了专项服",
                    "务行动，走访企业一百二十多家。",
                    "江苏开展送温暖慰问",
                ]))
        #expect(items.count == 2)
        let first = try #require(items.first)
        #expect(first.kicker == "各地认真贯彻中央农村工作会议精神——")
        #expect(first.title == "")
    }

    @Test func titlePrintedOverTwoLinesWithASubtitle() throws {
        let items = split(
            Self.page(
                Array(Self.cadreArticle.dropLast()) + ["切实安排好群众生活——六论今", "年经济工作主要任务", "本报评论员"]))
        let item = try #require(items.first)
        #expect(item.title == "切实安排好群众生活——六论今年经济工作主要任务")
        #expect(item.subtitle == "本报评论员")
    }

    /// A page that prints every headline before its text.
    @Test func headlinesBeforeTheirText() throws {
        let items = split(Self.page(lines: Self.headlinesFirstPage))
        #expect(items.map(\.title) == ["全国农业工作会议召开", "江苏：摸底困难职工需求开展送温暖慰问"])
        #expect(items.last?.body.hasPrefix("近期，为帮助外贸企业") == true)
        #expect(items.first?.body.hasSuffix("保证农民收入稳定增长。") == true)
    }

    /// A photo caption read into an article between two lines of one paragraph is an item of its own,
    /// after the article, and the paragraph is whole.
    @Test func captionReadIntoAParagraph() throws {
        let items = split(
            Self.page(
                "本报讯 （记者王明）1月5日，全国农业",
                "工作会议在京召开。会议部署了今年的",
                "日前，在江西德鑫纺织有限公司，工人正在赶制一批销往海外的订单。 本报通讯员 徐浩儒 摄",
                "赶制出口订单",
                "农业和农村工作，要求各地切实抓好粮",
                "食生产，保证农民收入稳定增长。",
                "全国农业工作会议召开"))
        #expect(items.map(\.kind) == [.article, .caption])
        #expect(items.first?.body.contains("部署了今年的农业和农村工作") == true)
        #expect(items.last?.title == "赶制出口订单")
        #expect(items.last?.byline == "本报通讯员徐浩儒摄")
    }

    /// `（上接第N版）` and `（下转第N版）`, in any of their forms, are continuation metadata, not text.
    @Test(arguments: [
        ("（上接第 1版）", "（上接第1版）"), ("(接第２版)", "(接第２版)"), ("（续第十二版）", "（续第十二版）"),
    ])
    func continuedFromIsNotText(_ printed: String, _ stored: String) throws {
        let items = split(Self.page([printed] + Array(Self.cadreArticle.dropFirst())))
        let item = try #require(items.first)
        #expect(item.continuation == stored)
        #expect(item.body.hasPrefix("工作会议在京召开"))
    }

    @Test(arguments: [true, false])
    func continuedOnIsNotText(_ runIn: Bool) throws {
        var lines = Array(Self.cadreArticle.dropLast())
        if runIn { lines[lines.count - 1] += "（下转第2版）" } else { lines.append("（下转第2版）") }
        let items = split(Self.page(lines + ["全国农业工作会议召开"] + Array(Self.cadreArticle.dropLast()) + ["又一篇"]))
        #expect(items.map(\.title) == ["全国农业工作会议召开", "又一篇"])
        let item = try #require(items.first)
        #expect(item.continuation == "（下转第2版）")
        #expect(item.body.hasSuffix("保证农民收入稳定增长。"))
    }

    /// A title wrapped over two lines inside a word of the page (`信` / `贷`, the page writes 信贷), or
    /// with three characters left for its second line, is one title; a title over its subtitle stays two.
    @Test func titleWrappedInsideAWord() throws {
        let items = split(
            Self.page(
                "本报讯 （记者王明）中国人民银行近日召开",
                "会议，要求各商业银行改进信贷服务，简化",
                "审批手续，加大对小企业的信贷支持，切实",
                "缓解小企业融资难的问题。",
                "银行信",
                "贷莫忘小企业",
                "本报讯 （记者黄洪涛）全国农业工作会议今",
                "天在京召开，会议部署了今年的农业和农村",
                "工作，要求各地切实抓好粮食生产。",
                "全国农业工作会议召开",
                "部署今年农业和农村工作",
                "本报讯 （记者李玉波）入冬以来，各级工会",
                "走访慰问困难职工家庭，送去米面油和慰",
                "问金，帮助他们安度寒冬。",
                "各地积极开展冬季",
                "送温暖"))
        #expect(items.map(\.title) == ["银行信贷莫忘小企业", "全国农业工作会议召开", "各地积极开展冬季送温暖"])
        #expect(items.map(\.subtitle) == ["", "部署今年农业和农村工作", ""])
    }

    /// A title wrapped between two words (`驻港部队` / `举行开放日活动`) is one title when the page's text
    /// quotes a run of it across the break (`部队举行开`); a title over its subtitle stays two.
    @Test func titleWrappedBetweenWordsTheTextQuotes() throws {
        let items = split(
            Self.page(
                "本报讯 （记者王明）昨天，驻港部队举行开",
                "放日活动，市民踊跃参观军营，观看了",
                "官兵的训练表演，场面热烈。",
                "驻港部队",
                "举行开放日活动",
                "本报讯 （记者黄洪涛）全国农业工作会议今",
                "天在京召开，会议部署了今年的农业和农村",
                "工作，要求各地切实抓好粮食生产。",
                "全国农业工作会议召开",
                "部署今年农业和农村工作"))
        #expect(items.map(\.title) == ["驻港部队举行开放日活动", "全国农业工作会议召开"])
        #expect(items.map(\.subtitle) == ["", "部署今年农业和农村工作"])
    }

    /// A first headline line of four characters or fewer (`春运`) over a longer one is the start of a wrapped
    /// title, not a title over its subtitle; a longer first line keeps its subtitle.
    @Test func titleWrappedAfterFewCharacters() throws {
        let items = split(
            Self.page(
                "本报讯 （记者王明）春节临近，铁路部门加开",
                "临时客车，车站为旅客准备了热水和药品，志",
                "愿者帮助老人和孩子上车，旅客们感到温暖。",
                "春运",
                "返乡路上暖意浓",
                "本报讯 （记者黄洪涛）全国农业工作会议今",
                "天在京召开，会议部署了今年的农业和农村",
                "工作，要求各地切实抓好粮食生产。",
                "全国农业工作会议召开",
                "部署今年农业和农村工作"))
        #expect(items.map(\.title) == ["春运返乡路上暖意浓", "全国农业工作会议召开"])
        #expect(items.map(\.subtitle) == ["", "部署今年农业和农村工作"])
    }

    /// A one-line headline between two runs of text that quotes the paragraph under it (`造成巨额损失`) is a
    /// subhead of the article, even when a dateline in brackets closes the text after it; without the quote it
    /// is the title of an article of its own.
    @Test(arguments: [true, false])
    func subheadQuotingTheParagraphUnderIt(_ quoted: Bool) throws {
        let subhead = quoted ? "造成巨额损失" : "大和银行事件始末"
        let items = split(
            Self.page(
                "本报讯 （记者韦强）在新的一年到来之际，当",
                "韩国经济新闻社、住宅银行等民间团体发起收集",
                "民间黄金换取外汇，以缓解外汇短缺危机之际，",
                "韩国民众不仅积极响应，而且实实在在地用自己",
                "的一份行动，表达对国家的热爱和赤诚。",
                subhead,
                "日本大和银行纽约分行交易员兼内部业务负",
                "责人井口俊英为弥补损失，私自交易，造成巨额",
                "损失。这是继巴林银行事件之后，又一起由于业",
                "务人员严重违章操作造成的银行巨额损失事件。",
                "专家们认为，日本金融机构要恢复原来的信",
                "誉，还需要一定的时间。（据新华社东京1月5日电）",
                "韩国民众捐金救国"))
        if quoted {
            #expect(items.map(\.title) == ["韩国民众捐金救国"])
            #expect(items.first?.body.contains("造成巨额损失\n\n日本大和银行") == true)
        } else {
            #expect(items.map(\.title) == [subhead, "韩国民众捐金救国"])
        }
    }

    /// On a page printing headlines first, a headline between two runs of text that quotes the paragraph under
    /// it is a subhead too, even when that paragraph is set wider (the last paragraphs of a long article may be).
    @Test func subheadQuotingTheParagraphUnderItOnAHeadlinesFirstPage() throws {
        let items = split(
            Self.page(
                Self.headlinesFirstPage(inserting: [
                    "稳定播种面积提高单产",
                    "会议要求，各地要稳定播种面积提高单产，加快",
                    "农业科技推广，增加农民收入，保证粮食生产稳",
                    "定增长，做好今年的春耕备耕工作。",
                ])))
        #expect(items.map(\.title) == ["全国农业工作会议召开", "江苏：摸底困难职工需求开展送温暖慰问"])
        #expect(items.first?.body.contains("稳定播种面积提高单产\n\n会议要求") == true)
    }

    /// A page printing headlines first whose first article opens with no marker (its dateline closes it).
    @Test func headlinesFirstWithAnUnmarkedFirstArticle() throws {
        let items = split(
            Self.page(
                "全国农业工作会议召开",
                "全国农业工作会议今天在京召开。会",
                "议部署了今年的农业和农村工作，要求各",
                "地切实抓好粮食生产，保证农民收入稳定",
                "增长。",
                "（新华社北京1月5日电）",
                "江苏：摸底困难职工需求开展送温暖慰问",
                "本报讯 （记者黄洪涛）近期，为帮助外贸企",
                "业和职工应对挑战，省总工会开展了专项服",
                "务行动，走访企业一百二十多家，摸清了困",
                "难职工的需求。"))
        #expect(items.map(\.title) == ["全国农业工作会议召开", "江苏：摸底困难职工需求开展送温暖慰问"])
        #expect(items.first?.dateline == "（新华社北京1月5日电）")
        #expect(items.first?.body.hasPrefix("全国农业工作会议今天") == true)
        #expect(items.last?.body.hasPrefix("近期，为帮助外贸企业") == true)
    }

    /// A title between two articles, the second opening with no marker: the line after the title is
    /// the indented first line of a paragraph, so the title does not run into it.
    @Test func titleBeforeAnUnmarkedArticle() throws {
        let items = split(
            Self.page(
                Array(Self.cadreArticle.dropLast()) + [
                    "农业部部署春季农业生产和准备工作",
                    "农业部日前召开电视电话会议，要",
                    "求各地抓紧做好春耕备耕准备工作，确",
                    "保种子、化肥、农药等农资供应充足，",
                    "价格基本稳定，质量可靠。",
                    "（新华社北京1月6日电）",
                    "春耕备耕工作全面展开",
                ]))
        #expect(items.map(\.title) == ["农业部部署春季农业生产和准备工作", "春耕备耕工作全面展开"])
        #expect(items.first?.body.hasSuffix("保证农民收入稳定增长。") == true)
        #expect(items.last?.dateline == "（新华社北京1月6日电）")
        #expect(items.last?.body.hasPrefix("农业部日前召开") == true)
    }

    /// On a page printing headlines first, a column note still has its title after its text: the note
    /// is the last paragraph before `开栏的话`, not the end of the article above it.
    @Test func columnNoteAfterAnArticleOnAHeadlinesFirstPage() throws {
        let items = split(
            Self.page(
                "全国农业工作会议召开",
                "本报讯 （记者王明）1月5日，全国农业",
                "工作会议在京召开。会议部署了今年的",
                "农业和农村工作。",
                "会议要求各地切实抓好粮食生产，保证",
                "农民收入稳定增长。",
                "为扩大全国工会重点工作创新案例的影响，从今天起，本",
                "报开设“工会创新实践调研行”专栏，敬请垂注。",
                "开栏的话"))
        #expect(items.map(\.kind) == [.article, .column])
        #expect(items.map(\.title) == ["全国农业工作会议召开", "开栏的话"])
        #expect(items.first?.body.hasSuffix("保证农民收入稳定增长。") == true)
        #expect(items.last?.body.hasPrefix("为扩大全国工会重点工作") == true)
    }

    /// A photo caption printed without a title between two articles ends with its credit.
    ///
    /// The text after it opens the next article, here one without a marker, closed by its dateline. The caption
    /// is not taken for one read into a paragraph: the lines before it hold the end of a paragraph.
    @Test func untitledCaptionBeforeAnUnmarkedArticle() throws {
        let items = split(
            Self.page(
                Self.cadreArticle + [
                    "日前，在江西德鑫纺织有限公司，工人正在赶制",
                    "一批销往海外的订单。",
                    "本报通讯员 徐浩儒 摄",
                    "国务院新闻办公室今天举行新闻发布",
                    "会，介绍今年以来外贸进出口的情况，",
                    "并回答了记者的提问。",
                    "（新华社北京1月6日电）",
                    "外贸进出口保持平稳增长",
                ]))
        #expect(items.map(\.kind) == [.article, .caption, .article])
        #expect(items.map(\.title) == ["全国农业工作会议召开", "", "外贸进出口保持平稳增长"])
        #expect(items[1].byline == "本报通讯员 徐浩儒摄")
        #expect(items[1].body == "日前，在江西德鑫纺织有限公司，工人正在赶制一批销往海外的订单。")
        #expect(items.last?.body.hasPrefix("国务院新闻办公室") == true)
    }

    /// A bracketed byline alone on its line under a headline (its `本报讯` lost, the names filling the
    /// line, no separator between roles) opens the next article.
    @Test func bracketedBylineAloneOnItsLine() throws {
        let items = split(
            Self.page(
                Self.cadreArticle + [
                    "（方亮 记者邓冬晶 通讯员姚浩）",
                    "今年以来，各地物价部门加强市场监测，",
                    "主要农产品和日用品价格总体平稳，群众",
                    "生活必需品供应充足。",
                    "各地价格总水平保持基本稳定",
                ]))
        #expect(items.map(\.title) == ["全国农业工作会议召开", "各地价格总水平保持基本稳定"])
        #expect(items.last?.byline == "（方亮 记者邓冬晶 通讯员姚浩）")
        #expect(items.last?.body.hasPrefix("今年以来，各地物价部门") == true)
    }

    /// A caption read in right after the line opening an article (`本报讯 …`, indented as a first line):
    /// the text goes on an indent wider after it, whatever the width of the headline above.
    @Test func captionReadInAfterTheOpeningLine() throws {
        let items = split(
            Self.page(
                Array(Self.cadreArticle.dropLast()) + [
                    "全国农业工作会议召开部署农村工作",
                    "本报讯 （记者李玉波）近年来，河南",
                    "春节前夕，市民在花卉市场选购年宵花，节日气氛渐浓。 新华社记者 顾薇凯 摄",
                    "年宵花俏销",
                    "省开封市把帮助下岗职工再就业作为大事",
                    "来抓，市总工会开办技能培训班，联系用",
                    "工企业，帮助下岗职工重新走上工作岗位",
                    "，三千多人已经找到新的工作。",
                    "开封帮助下岗职工再就业",
                ]))
        #expect(items.map(\.kind) == [.article, .article, .caption])
        #expect(items.map(\.title) == ["全国农业工作会议召开部署农村工作", "开封帮助下岗职工再就业", "年宵花俏销"])
        #expect(items[1].byline == "（记者李玉波）")
        #expect(items[1].body.hasPrefix("近年来，河南省开封市"))
        #expect(items[2].byline == "新华社记者顾薇凯摄")
    }

    /// A caption read into a paragraph keeps all its text however its lines were spaced: a
    /// letter-spaced first line is no headline of it.
    @Test func liftedCaptionWithALetterSpacedLine() throws {
        let items = split(
            Self.page(
                "新华社南宁６月１４日电（记者 王林）为期３",
                "１ ２ 月 ２ ０ 日 ，南 宁 市 民 在 邕 江 边 观 看 龙 舟 表 演 ，两 岸 人 头 攒 动 ，欢 声 笑 语",
                "不断，岸边还有不少市民自发组织了舞狮和腰鼓表演，节日气氛十分浓厚。 本报通讯员 熊英钊 摄",
                "邕江龙舟",
                "天的全国少年足球邀请赛今天在南宁市体育场落",
                "幕，广西队以三比一战胜上海队，夺得冠军；北",
                "京队和辽宁队分获二、三名。",
                "全国少年足球邀请赛落幕"))
        #expect(items.map(\.kind) == [.article, .caption])
        #expect(items.map(\.title) == ["全国少年足球邀请赛落幕", "邕江龙舟"])
        let caption = try #require(items.last)
        #expect(caption.kicker == "")
        #expect(caption.body.hasPrefix("１２月２０日，南宁市民"))
        #expect(caption.byline == "本报通讯员熊英钊摄")
    }

    /// `（下转第2版）` wrapped after its first characters still closes the article: the kicker under it
    /// heads the next item.
    @Test func continuedOnWrappedOverTwoLines() throws {
        let items = split(
            Self.page(
                "本报讯 （记者王明）1月5日，全国农业",
                "工作会议在京召开。会议部署了今年的",
                "农业和农村工作，要求各地切实抓好粮",
                "食生产，保证农民收入稳定增长。（下转第",
                "２版）",
                "各地认真贯彻中央农村工作会议精神——",
                "全国农业工作会议召开",
                "本报记者 黄洪涛",
                "入冬以来，各级工会走访慰问困难职",
                "工家庭，送去米面油和慰问金，帮助他",
                "们安度寒冬。",
                "工会送温暖"))
        #expect(items.map(\.title) == ["全国农业工作会议召开", "工会送温暖"])
        let first = try #require(items.first)
        #expect(first.kicker == "各地认真贯彻中央农村工作会议精神——")
        #expect(first.continuation == "（下转第２版）")
        #expect(first.body.hasSuffix("保证农民收入稳定增长。"))
    }

    /// A kicker printed without a title after its article, over an article that opens with no marker:
    /// the line under the kicker is the indented first line of a short paragraph, text, not a title.
    @Test func kickerWithoutATitleOverAShortParagraph() throws {
        let items = split(
            Self.page(
                Array(Self.cadreArticle.dropLast()) + [
                    "各地认真贯彻中央农村工作会议精神——",
                    "农业部日前召开电视电话会议，要",
                    "求各地做好春耕备耕准备工作，确保",
                    "农资供应。",
                    "各地农资价格保持基本稳定，种子、",
                    "化肥、农药供应充足。",
                    "（新华社北京1月6日电）",
                    "春耕备耕工作全面展开",
                ]))
        #expect(items.map(\.title) == ["", "春耕备耕工作全面展开"])
        #expect(items.map(\.kicker) == ["各地认真贯彻中央农村工作会议精神——", ""])
        #expect(items.last?.body.hasPrefix("农业部日前召开") == true)
    }

    /// A title wrapped inside its dash (`…家乡？—` / `—流动中的乡情`) is one title.
    @Test func titleWrappedInsideItsDash() throws {
        let items = split(
            Self.page(Array(Self.cadreArticle.dropLast()) + ["现代人，何处是家乡？—", "—流动中的乡情和亲情"]))
        #expect(items.first?.title == "现代人，何处是家乡？——流动中的乡情和亲情")
        #expect(items.first?.subtitle == "")
    }

    /// A paragraph's indented first line that holds a date is short of its indent when a run of digits
    /// wrapped to the next line: under a subhead, it is still text (the next lines are full), and the
    /// subhead stays in its article.
    @Test func shortFirstLineWithDigitsUnderASubhead() throws {
        let items = split(
            Self.page(
                Array(Self.cadreArticle.dropLast()) + [
                    "把农村工作推向新世纪",
                    "1997年5月29日，农业部负责",
                    "人在会上发表讲话，要求各地抓紧做",
                    "好春耕备耕准备工作，确保种子、化",
                    "肥等农资供应充足，价格基本稳定。",
                    "全国农业工作会议召开",
                ]))
        #expect(items.map(\.title) == ["全国农业工作会议召开"])
        #expect(items.first?.subtitle == "")
        #expect(
            items.first?.body.hasSuffix(
                "把农村工作推向新世纪\n\n1997年5月29日，农业部负责人在会上发表讲话，要求各地抓紧做好春耕备耕准备工作，确保种子、化肥等农资供应充足，价格基本稳定。")
                == true)
    }

    /// On a page printing headlines first, a title set wider than the indented first line under it (which
    /// holds digits) is no line of that paragraph: text runs on into a line of its own width.
    @Test func titleOverANarrowerFirstLine() throws {
        let items = split(
            Self.page(
                Self.headlinesFirstPage(inserting: [
                    "农业部部署春季农业生产和准备工作",
                    "1998年春耕备耕工作会议今天在",
                    "京召开。农业部负责人在会上要求各地",
                    "抓紧做好春耕备耕准备工作，确保种子",
                    "和化肥供应充足。",
                    "（新华社北京1月6日电）",
                ])))
        #expect(items.map(\.title) == ["全国农业工作会议召开", "农业部部署春季农业生产和准备工作", "江苏：摸底困难职工需求开展送温暖慰问"])
        #expect(items[1].dateline == "（新华社北京1月6日电）")
        #expect(items[1].body.hasPrefix("1998年春耕备耕") == true)
    }

    /// A page printing headlines first may open with a photo caption whose credit stands on a line of its
    /// own, then the caption's title and the first article's headline: the caption is one item, and the
    /// headlines stand before their text.
    @Test func headlinesFirstUnderACaptionWithItsCreditAlone() throws {
        let items = split(
            Self.page(
                lines: ["图为江西德鑫纺织有限公司的工人正在赶制一批销往海外的订单。", "本报通讯员 徐浩儒摄", "外贸订单回暖"]
                    + Self.headlinesFirstPage))
        #expect(items.map(\.kind) == [.caption, .article, .article])
        #expect(items.map(\.title) == ["外贸订单回暖", "全国农业工作会议召开", "江苏：摸底困难职工需求开展送温暖慰问"])
        #expect(items.first?.body == "图为江西德鑫纺织有限公司的工人正在赶制一批销往海外的订单。")
        #expect(items[1].body.hasPrefix("1月5日，全国农业工作会议") == true)
    }

    /// A dateline in brackets closes its article: the headline after it is that article's title, not a
    /// subhead, even when the next article opens with no marker and runs on at the same width.
    @Test func closingDatelineEndsTheArticleBeforeItsHeadline() throws {
        let items = split(
            Self.page(
                Self.cadreArticle + [
                    "日本最大的在野党民主党十八日",
                    "在冲绳县那霸市举行定期党代表大会",
                    "，会议通过了今年的政治方针。",
                    "（新华社东京3月10日电）",
                    "日本民主党举行党代表大会",
                    "人认识自我，不仅力求发现那些",
                    "使人成为人的东西，而且要追溯人何",
                    "以会具有那些属人的东西。",
                    "（新华社北京3月10日电）",
                    "略论人的自我认识",
                ]))
        #expect(items.map(\.title) == ["全国农业工作会议召开", "日本民主党举行党代表大会", "略论人的自我认识"])
        #expect(items[1].dateline == "（新华社东京3月10日电）")
        #expect(items[2].body == "人认识自我，不仅力求发现那些使人成为人的东西，而且要追溯人何以会具有那些属人的东西。")
    }

    /// A line after a closing dateline that holds no pause and ends no sentence is the article's title, not
    /// the first line of the photo caption under it.
    @Test func titleAfterAClosingDatelineOverACaption() throws {
        let items = split(
            Self.page(
                Self.cadreArticle + [
                    "一九九五年二月，具有两百多年",
                    "历史的英国巴林银行宣布倒闭，这一",
                    "消息在国际金融界引起了强烈震动，",
                    "各国纷纷检讨期货交易的监管。",
                    "（据新华社北京3月18日电）",
                    "越权违规里森炒期货巴林银行告终结",
                    "开发以公司形式出现，名叫“高大”。",
                    "本报记者 陆博永摄",
                    "花样游泳赛新潮流",
                ]))
        #expect(items.map(\.kind) == [.article, .article, .caption])
        #expect(items.map(\.title) == ["全国农业工作会议召开", "越权违规里森炒期货巴林银行告终结", "花样游泳赛新潮流"])
        #expect(items[2].body == "开发以公司形式出现，名叫“高大”。")
    }

    /// A paragraph's first line is at most an indent narrower than its second (but for a punctuation mark
    /// carried over on each): a line holding no pause over a clearly wider line is a headline, here an
    /// article's title over a photo caption.
    @Test func titleOverAClearlyWiderCaption() throws {
        let items = split(
            Self.page([
                "本报讯 （记者付宁）被誉为“扶贫司令”的湖南吉首军分区司令员",
                "彭楚政，今天上午在人民大会堂向首都军民汇报了他扶贫济困、热心为民",
                "的先进事迹。这次报告会由中共中央宣传部、国务院扶贫开发领导小组联",
                "合举办。",
                "中宣部总政治部湖南省委联合举办的报告会彭楚政先进事迹感人至深",
                "共青团宜昌市委的干部职工自发为王国栋捐款九百元，宜昌市委机要局和市直机关也",
                "捐款一千元。",
                "新华社记者 陶楠摄",
                "过节不忘贫困山区乡亲",
            ]))
        #expect(items.map(\.kind) == [.article, .caption])
        #expect(items.map(\.title) == ["中宣部总政治部湖南省委联合举办的报告会彭楚政先进事迹感人至深", "过节不忘贫困山区乡亲"])
        #expect(items[1].body == "共青团宜昌市委的干部职工自发为王国栋捐款九百元，宜昌市委机要局和市直机关也捐款一千元。")
    }

    @Test func continuationMarkersParse() {
        let markers = ContinuationMarker.markers(in: "（上接第 1版）\n(下转第１２版)\n（转第二十一版）")
        #expect(markers.map(\.direction) == [.from, .on, .on])
        #expect(markers.map(\.page) == [1, 12, 21])
    }
}
