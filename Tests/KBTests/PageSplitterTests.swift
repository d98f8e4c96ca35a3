import Foundation
import Testing

@testable import KB

struct PageSplitterTests {
    /// What a reader sees on the seed page, item by item.
    struct Expected: Sendable {
        let kind: PageItem.Kind
        let title: String
        var kicker = ""
        var subtitle = ""
        var byline = ""
        var dateline = ""
        let bodyStart: String
        let bodyEnd: String
    }

    static let seed: [Expected] = [
        Expected(
            kind: .article, title: "长三角三省一市共促职工文旅消费", subtitle: "首场举办职工非遗技艺交流活动",
            byline: "（记者陈华）", dateline: "本报讯", bodyStart: "4月21日，“文脉薪传匠心共融”——长三角",
            bodyEnd: "沉浸式感受匠心传承。"),
        Expected(
            kind: .article, title: "江苏：摸底困难职工需求开展送温暖慰问", kicker: "工会专项服务助力外贸企业和职工应对挑战",
            byline: "（记者黄洪涛）", dateline: "本报讯", bodyStart: "近期，为帮助外贸企业", bodyEnd: "正确看待经济形势，坚定信心。"),
        Expected(
            kind: .article, title: "山东：“线上+线下”拓宽外贸产品内销渠道", byline: "（杨明清 记者张嫱 通讯员王哲）",
            dateline: "本报讯", bodyStart: "“大家看一下这款面料", bodyEnd: "实现内外贸一体化发展。"),
        Expected(
            kind: .article, title: "泉州：劳模工匠入企送技助推“优品出海”", byline: "（记者李润钊 通讯员李亮）",
            dateline: "本报讯", bodyStart: "4月23日，在福建晋工机械", bodyEnd: "推动“职企同心、共促发展”。"),
        Expected(
            kind: .caption, title: "赶制出口订单", byline: "本报通讯员徐浩儒摄", bodyStart: "日前，在江西德鑫纺织",
            bodyEnd: "一批销往海外的订单。"),
        Expected(
            kind: .article, title: "这里的“大思政课”何以在年轻人中火起来？",
            kicker: "上海杨浦区总多源、多媒、多形式开拓宣讲渠道，创新打造工会“大思政课”品牌——",
            subtitle: "工会创新实践调研行", byline: "本报记者 裴龙翔", bodyStart: "沪剧舞台上，“七一勋章”获得者",
            bodyEnd: "切实提升宣讲工作质效。"),
        Expected(kind: .column, title: "开栏的话", bodyStart: "为扩大全国工会重点工作创新案例", bodyEnd: "敬请垂注。"),
        Expected(
            kind: .article, title: "东北三省一区工会就业协作专场招聘活动举行", byline: "（记者李玉波）", dateline: "本报讯",
            bodyStart: "4月19日，由全国总工会指导", bodyEnd: "线上招聘活动将持续一个月。"),
        Expected(
            kind: .article, title: "共同续写爱我人民爱我军的时代新篇", dateline: "（新华社北京4月24日电）",
            bodyStart: "北京市海淀区", bodyEnd: "推动双拥工作不断取得新进步。"),
    ]

    @Test func seedPageHasNineItems() throws {
        let items = PageSplitter.split(try Fixtures.seedPage)
        #expect(items.count == 9)
        #expect(items.filter { $0.kind == .caption }.count == 1)
        #expect(items.filter { $0.kind == .article }.count == 7)
    }

    @Test(arguments: Array(seed.enumerated()))
    func seedPageItem(_ position: Int, _ expected: Expected) throws {
        let items = PageSplitter.split(try Fixtures.seedPage)
        let item = try #require(items.count > position ? items[position] : nil)
        #expect(item.kind == expected.kind)
        #expect(item.title == expected.title)
        #expect(item.kicker == expected.kicker)
        #expect(item.subtitle == expected.subtitle)
        #expect(item.byline == expected.byline)
        #expect(item.dateline == expected.dateline)
        #expect(item.body.hasPrefix(expected.bodyStart))
        #expect(item.body.hasSuffix(expected.bodyEnd))
    }

    @Test func subheadsStayInTheirArticle() throws {
        let items = PageSplitter.split(try Fixtures.seedPage)
        let article = try #require(items.first { $0.title.hasPrefix("这里的") })
        let paragraphs = article.body.components(separatedBy: "\n\n")
        for subhead in ["将“大思政课”搬上舞台", "让UP主带动红色工运“大流量”", "把“家国事”演绎成“身边事”"] {
            #expect(paragraphs.contains(subhead))
        }
    }

    @Test func hardWrapsAreJoinedAndParagraphsKept() throws {
        let items = PageSplitter.split(try Fixtures.seedPage)
        let first = try #require(items.first)
        #expect(first.body.contains("安徽省黄山市举行"))
        #expect(first.body.components(separatedBy: "\n\n").count == 5)
        #expect(!first.body.contains(" "))
    }

    /// Every non-whitespace character of the page is in exactly one field, except the second copy
    /// of the repeated headline block.
    @Test func nothingOfThePageIsLost() throws {
        let page = try Fixtures.seedPage
        let items = PageSplitter.split(page)
        var pageCharacters = characterCounts(TextCleaner.removingWhitespace(page))
        let repeated = items.map(\.repeatedHeadline).filter { !$0.isEmpty }
        #expect(repeated == ["长三角三省一市共促职工文旅消费\n首场举办职工非遗技艺交流活动"])
        for character in TextCleaner.removingWhitespace(repeated.joined()) {
            pageCharacters[character, default: 0] -= 1
        }
        var itemCharacters: [Character: Int] = [:]
        for item in items {
            for field in item.fields {
                for character in TextCleaner.removingWhitespace(field) { itemCharacters[character, default: 0] += 1 }
            }
        }
        #expect(itemCharacters == pageCharacters.filter { $0.value != 0 })
    }

    func characterCounts(_ text: String) -> [Character: Int] {
        var counts: [Character: Int] = [:]
        for character in text { counts[character, default: 0] += 1 }
        return counts
    }

    @Test func repeatedHeadlineWithGluedKicker() {
        let (own, next) = SegmentReader.splitRepetition(["标题", "副题", "标题", "副题下一篇的引题"])
        #expect(own == ["标题", "副题"])
        #expect(next == ["下一篇的引题"])
        #expect(SegmentReader.splitRepetition(["标题", "标题"]).own == ["标题"])
        #expect(SegmentReader.splitRepetition(["引题——", "标题"]).own == ["引题——", "标题"])
    }

    @Test func markers() {
        #expect(PageLine.marker(of: "本报讯（记者陈华）4月21日") == .newsflash)
        #expect(PageLine.marker(of: "本报记者 裴龙翔") == .bylineLine)
        #expect(PageLine.marker(of: "（上接第1版）") == .continued)
        #expect(PageLine.marker(of: "新华社北京4月24日电（记者张三）") == .datelineStart)
        #expect(PageLine.marker(of: "本报北京１２月３１日电 记者") == .datelineStart)
        #expect(PageLine.marker(of: "（新华社北京4月24日电）") == .datelineEnd)
        #expect(PageLine.marker(of: "本报通讯员 徐浩儒 摄") == .none)
        #expect(PageLine.marker(of: "本报记者在现场看到，工人们") == .none)
    }

    // MARK: - Layouts beyond the seed page

    /// A page in the extraction format: every line followed by a blank line.
    static func page(_ lines: String...) -> String { page(lines: lines) }
    static func page(lines: [String]) -> String { lines.joined(separator: "\n\n") + "\n\n\n" }

    /// Splits a page and checks that every non-whitespace character is in one field of one item,
    /// or in the dropped copy of a repeated headline.
    func split(_ page: String) -> [PageItem] {
        let items = PageSplitter.split(page)
        var counts = characterCounts(TextCleaner.removingWhitespace(page))
        for item in items {
            for field in item.fields + [item.repeatedHeadline] {
                for character in TextCleaner.removingWhitespace(field) { counts[character, default: 0] -= 1 }
            }
        }
        #expect(counts.values.allSatisfy { $0 == 0 }, "characters lost or duplicated")
        return items
    }

    /// `（新华社…电）` run into the article's last paragraph ends the article: the title after it
    /// is a headline, not more text.
    @Test func datelineRunIntoTheLastParagraph() throws {
        let items = split(
            Self.page(
                "（上接第1版）",
                "冬日的青岛，美丽、整洁而又多了一",
                "份宁静。记者特地选个周末赶赴岛城。",
                "青岛要建成国际化城市，物质文明和精",
                "神文明都要上台阶、上水平。”（新",
                "华社北京7月9日电）",
                "志愿服务的生命力所在",
                "本报讯 （记者王明）1月5日，全国农业",
                "工作会议在京召开。会议部署了今年的",
                "任务。",
                "全国农业工作会议召开"))
        #expect(items.map(\.title) == ["志愿服务的生命力所在", "全国农业工作会议召开"])
        let first = try #require(items.first)
        #expect(first.dateline == "（新华社北京7月9日电）")
        #expect(first.body.hasSuffix("都要上台阶、上水平。”"))
    }

    /// An unmarked article set in a narrower column starts under a one-line title as wide as the
    /// column before it.
    @Test func titleAboveANarrowerColumn() {
        let items = split(
            Self.page(
                "本报讯 （记者李华）叙利亚总统阿萨德今天在大马士革会见了",
                "来访的埃及总统穆巴拉克，双方就中东和平进程和地区形势交换了意",
                "见。双方认为，以色列政府应对和平进程陷入僵局负有责任。双方还",
                "强调，在当前严峻形势下加强阿拉伯团结和两国合作与协调的重要性。",
                "人们注意到，穆巴拉克总统是在以色列总理内塔尼亚胡和巴勒斯坦",
                "自治政府主席阿拉法特行将前往华盛顿，与美国总统就重启和谈进",
                "程举行会谈的前夕来叙与阿萨德协调立场的。",
                "华盛顿会谈前夕美国对巴以提出建议阿拉法特称这是最后机会",
                "每逢佳节倍思亲，重洋阻隔心相",
                "连。在新春佳节到来之际，国务委员",
                "兼国家科委主任宋健今天与有关部局",
                "的负责同志一道，通过越洋电话，向",
                "远在南极的中国第十四次南极考察队",
                "全体队员表示亲切的慰问。宋健说，",
                "你们远离祖国和亲人，在冰天雪地里",
                "为人类和平利用南极做出新的贡献。",
                "越洋电话传乡情"))
        #expect(items.map(\.title) == ["华盛顿会谈前夕美国对巴以提出建议阿拉法特称这是最后机会", "越洋电话传乡情"])
        #expect(items.last?.body.hasPrefix("每逢佳节倍思亲") == true)
    }

    /// `新华社…电）` at the start of a line can be the end of a dateline begun on the line before:
    /// it closes an article and opens none.
    @Test func datelineBrokenBeforeTheAgency() {
        let items = split(
            Self.page(
                "（上接第1版）",
                "这也使我们深感人民日报作为中共中央机关报，在",
                "促进中国传统媒体高科技化，促进更多的中文信息",
                "上因特网，搞好对内对外宣传上责无旁贷。（据",
                "新华社长沙9月7日电）",
                "人民日报网络版受欢迎"))
        #expect(items.count == 1)
        #expect(items.first?.title == "人民日报网络版受欢迎")
        #expect(items.first?.dateline == "（据新华社长沙9月7日电）")
    }

    /// A subhead wrapped inside its quotes is one line, and stays in its article.
    @Test func subheadWrappedInsideQuotes() throws {
        let items = split(
            Self.page(
                "本报记者 王刚",
                "彭楚政善于交“穷朋友”，和他长期保",
                "持来往的贫困户有二十多家。他说，这",
                "些年，“穷朋友”帮了我的大忙，是他们",
                "教导我，不论地位怎么变，环境怎么变，",
                "为人民服务的思想不能变。",
                "“人民是我们的衣食父母，孝敬父母是",
                "做儿女的本分”",
                "我和老伴都是贫苦出生，都是共产",
                "党员，在对待贫困群众的态度上，我们",
                "是一致的。我每次下乡时，妻子总是在",
                "衣服里装上几百元钱。",
                "“穷朋友”的贴心人"))
        #expect(items.map(\.title) == ["“穷朋友”的贴心人"])
        let paragraphs = try #require(items.first).body.components(separatedBy: "\n\n")
        #expect(paragraphs.contains("“人民是我们的衣食父母，孝敬父母是做儿女的本分”"))
        // An apostrophe closes no quote.
        #expect(
            SegmentReader.joiningWrapped(["’97中国足球最佳中场球员评选揭晓申思当选“珀金", "斯中场发动机”"]).count == 1)
    }

    /// A dash at the end of a line that goes on at the start of the next (`———` wrapped) is text,
    /// not the end of a kicker.
    @Test func dashRunOnIntoTheNextLine() {
        let items = split(
            Self.page(
                "本报记者 袁柏华",
                "福州漆器素有盛名。然而记者在福州",
                "看到的却是另一番景象。",
                "尽管已有心理准备，福州漆器的龙头企业——",
                "—第一脱胎漆器厂的破旧与逼仄，仍让记者吃",
                "惊。该厂副厂长坦承，企业效益不好，困难重",
                "重，但福州漆器重现辉煌应有时。",
                "积极探索传统艺术与当代审美意识间的最佳结合点"))
        #expect(items.count == 1)
        #expect(items.first?.title == "积极探索传统艺术与当代审美意识间的最佳结合点")
        #expect(items.first?.kicker == "")
        #expect(items.first?.body.contains("龙头企业———第一脱胎漆器厂") == true)
    }

    /// A caption set wider than the column, after a headline: its last line is longer than the
    /// first only by the credit it carries.
    @Test func wideCaptionAfterAHeadline() {
        let items = split(
            Self.page(
                "本报讯 （记者郑波）我们中华民族的传统",
                "文化源远流长、博大精深，有许多值得发扬",
                "光大的东西。",
                "企业增效的重要途径",
                "地处潮汕平原小北山下的潮阳市谷饶镇，崛起了一座“桂光工业城”，12条崭新的大型进口电脑刺绣",
                "生产线飞梭唧唧，一幅幅丝光布如色彩缤纷的“瀑布”，从机器上倾泻而下。本报记者 严逸国 摄",
                "桂光工业城",
                "本报讯 （记者李萍）一九九五年以来，全省",
                "各地积极探索农村经济发展的新路子。",
                "探索农村经济发展新路子"))
        #expect(items.map(\.title) == ["企业增效的重要途径", "桂光工业城", "探索农村经济发展新路子"])
        #expect(items.map(\.kind) == [.article, .caption, .article])
        #expect(items.count > 1 && TextCleaner.removingWhitespace(items[1].byline) == "本报记者严逸国摄")
    }

    /// A two-line headline printed twice is recognised by its copy, even when the next item starts
    /// with a line as wide as the copy's last line.
    @Test func twoLineHeadlinePrintedTwice() {
        let items = split(
            Self.page(
                "本报讯 （记者韩俊）日本经济今年将有所",
                "好转，大部分大型银行将会摆脱不良债",
                "权的阴影。",
                "东亚经济传真",
                "吴作栋赴印尼商讨金融危机对策苏哈托强调有信心克服金融危机",
                "东亚经济传真",
                "吴作栋赴印尼商讨金融危机对策苏哈托强调有信心克服金融危机",
                "武汉市第四十一中学教师张青（左一）高兴地搬进新居。本报记者 韩俊 摄",
                "喜迁新居"))
        #expect(items.map(\.title) == ["东亚经济传真", "喜迁新居"])
        #expect(items.first?.subtitle == "吴作栋赴印尼商讨金融危机对策苏哈托强调有信心克服金融危机")
        #expect(items.first?.repeatedHeadline.isEmpty == false)
        #expect(items.last?.kind == .caption)
    }

    /// A subtitle is not the first line of the wider text under it.
    @Test func subtitleAboveAWiderColumn() {
        let items = split(
            Self.page(
                "本报讯 （记者王平）今年以来，全省石",
                "油系统认真贯彻党的十五大精神，深化",
                "改革，加强管理，依靠科技进步，油气",
                "勘探开发取得了显著成绩。全年新增探",
                "明石油地质储量一亿多吨，新建原油生",
                "产能力二百多万吨，超额完成了全年各",
                "项生产经营任务，经济效益明显提高，",
                "油勘探取得了重大突破。",
                "单程运行5小时以内列车“朝发夕归”——",
                "二、百年大计教育先行",
                "以许中田副社长为团长的人民日报代表团",
                "“只有经济、政治、文化协调发展，只有两个文明都搞好，才是有中国",
                "特色社会主义。”江泽民同志在十五大报告中的这一论述，深刻表明了精神",
                "文明建设在经济、政治、文化的总体格局中的重要地位。值得注意的是，十",
                "五大报告把精神文明建设同经济建设、政治建设并列，作为建设有中国特",
                "色社会主义的基本纲领的重要内容，这在党的历史上是第一次。我们一定",
                "要像小平同志指出的，要狠狠地抓，一天不放松地抓，从具体事件抓起，",
                "把精神文明建设的各项任务落到实处，使之成为推动经济发展和社会全面",
                "进步的强大动力，为跨世纪的宏伟事业提供有力的思想保证和精神支持，",
                "这是第一次。",
                "精神文明建设的重要地位"))
        #expect(items.map(\.title) == ["二、百年大计教育先行", "精神文明建设的重要地位"])
        #expect(items.first?.subtitle == "以许中田副社长为团长的人民日报代表团")
        #expect(items.last?.body.hasPrefix("“只有经济") == true)
        // Where the column estimate around the subtitle is its own width, its width alone tells.
        let reader = SegmentReader(
            lines: PageLine.lines(
                of: Self.page(
                    "以许中田副社长为团长的人民日报代表团",
                    "“只有经济、政治、文化协调发展，只有两个文明都搞好，才是有中国",
                    "特色社会主义。”江泽民同志在十五大报告中的这一论述，深刻表明了精神")))
        #expect(reader.widerTextFollows(0))
        #expect(!reader.widerTextFollows(1))
    }

    /// Under a subhead, paragraphs of two lines show only indented first lines: they are no sign
    /// of another column, and the subhead stays in its article.
    @Test func subheadOverShortParagraphs() throws {
        let items = split(
            Self.page(
                "本报讯 （记者邱彬）我在西藏多年，知道",
                "雪山上的期盼，最是绵长。便对朋友说，既是送",
                "客户的，也许有人并不使用，只是随手搁置一边。",
                "请帮我留心，要是你从什么人那里碰巧找到了，",
                "还请速寄来。哪怕过了元旦，我也不在乎。",
                "让我回收自家的赠品送你",
                "朋友愤愤说，让我回收自家的赠品送你，",
                "亏你想得出。",
                "我说，你公司的记事簿受到如此欢迎，该",
                "自豪才是啊。",
                "一本记事簿"))
        #expect(items.map(\.title) == ["一本记事簿"])
        let paragraphs = try #require(items.first).body.components(separatedBy: "\n\n")
        #expect(paragraphs.contains("让我回收自家的赠品送你"))
    }

    /// A single dash at the end of a line is wrapped text; a kicker ends with two.
    @Test func singleDashAtTheEndOfALine() {
        let items = split(
            Self.page(
                "本报讯 （记者李明）据黎巴嫩电台报道，当",
                "天早7点，以色列士兵炮击位于以占领区边界",
                "的曼苏里村，炸毁了一些房屋。",
                "下午两点多钟，在以占领区内的扎耶尼—",
                "伊拜尔公路上，一支以色列和南黎巴嫩军巡逻",
                "队遭到了黎游击队的袭击。游击队引爆了一枚",
                "事先埋好的炸弹，四名士兵被当场炸伤。",
                "黎南部局势骤然恶化"))
        #expect(items.map(\.title) == ["黎南部局势骤然恶化"])
        #expect(items.first?.kicker == "")
        #expect(items.first?.body.contains("扎耶尼—伊拜尔公路") == true)
    }

    /// A subhead too long for the column wraps like text, and stays in its article as one line.
    @Test func subheadWrappedAtTheColumn() throws {
        let items = split(
            Self.page(
                "本报记者 赵巍",
                "盛云龙是从部队复员回乡的退伍兵。他",
                "怀揣着650元复员费，办起了一家针织",
                "厂，如今已是拥有几亿资产的企业集团。",
                "从投资1000万扶持老区办企业，到筹资",
                "1亿帮助国家“背包袱”",
                "1997年9月8日，丝都湖州传出一条爆",
                "炸性新闻：全市纺织系统头号国有企业人民",
                "布厂被两家乡镇企业兼并，其中之一，便是",
                "盛云龙的依多金集团。",
                "优秀退伍兵盛云龙"))
        #expect(items.map(\.title) == ["优秀退伍兵盛云龙"])
        let paragraphs = try #require(items.first).body.components(separatedBy: "\n\n")
        #expect(paragraphs.contains("从投资1000万扶持老区办企业，到筹资1亿帮助国家“背包袱”"))
    }

    /// Text never stops mid-sentence before a caption: unpunctuated lines between an article's
    /// last sentence and a wide caption are the article's headline.
    @Test func headlineBeforeAWideCaption() {
        let items = split(
            Self.page(
                "本报讯 （记者何平）国家体委今天通",
                "报两大赛事的备战情况。一年来，国",
                "家队先后请专家、学者讲学，同时派",
                "出队伍赴国外训练和比赛，队员们的",
                "技术水平和比赛能力有了明显的提高，",
                "备战工作进展顺利，成绩令人满意，",
                "达20多次。",
                "国家体委通报两大赛事备战情况",
                "亚运会设项对我不利冬奥会力争夺取金牌",
                "近日，杭州市颇具名望的皮塑老店“广合顺”，日前被全体职工出资买断，成为杭州市属流通",
                "领域首家全部资本由职工个人出资组成的股份合作制企业。本报记者 夏洪秀 摄",
                "老店新生"))
        #expect(items.map(\.title) == ["国家体委通报两大赛事备战情况", "老店新生"])
        #expect(items.first?.subtitle == "亚运会设项对我不利冬奥会力争夺取金牌")
        #expect(items.last?.kind == .caption)
    }

    /// A title may end with ！, ？ or …: above its subtitle, or at the end of a page.
    @Test func titlesEndingLikeSentences() {
        let items = split(
            Self.page(
                "本报讯 （记者王磊）话剧在我国生根已经九",
                "十年了。有了深厚生活根底的剧作家、导演、",
                "演员，也就有了产生话剧精品的源头活水。",
                "祝愿我们的话剧事业更加辉煌！",
                "继承我国话剧的光荣传统",
                "本报讯 （记者李刚）游子对于家乡，自然有",
                "着一种特殊的感情。作为一个游子，我期盼着",
                "这一天。",
                "郑州我怎么对你说……"))
        #expect(items.map(\.title) == ["祝愿我们的话剧事业更加辉煌！", "郑州我怎么对你说……"])
        #expect(items.first?.subtitle == "继承我国话剧的光荣传统")
        #expect(items.last?.body.hasSuffix("我期盼着这一天。") == true)
    }

    /// A column note is an item of its own: the one-line headline above its text closes the
    /// article before, even in the same column.
    @Test func columnNoteAfterAOneLineTitle() {
        let items = split(
            Self.page(
                "本报讯 （记者周平）纳扎尔巴耶夫建议，就新都的总",
                "体设计方案再进行一次国际招标，以吸引世界最优秀的",
                "建筑师设计出最理想的城市布局。",
                "阿克莫拉建设新都",
                "名牌是产品高质量的标志。从今天起，本报开设",
                "“名牌之路”专栏，陆续刊发记者采写的报道，敬",
                "请读者关注。",
                "开篇的话"))
        #expect(items.map(\.title) == ["阿克莫拉建设新都", "开篇的话"])
        #expect(items.map(\.kind) == [.article, .column])
        #expect(items.last?.body.hasPrefix("名牌是产品高质量的标志") == true)
    }

    /// A photo credit in a letter-spaced line keeps its role and every name.
    @Test func creditInALetterSpacedLine() {
        let items = split(
            Self.page(
                "2 月 8 日 ，中 国 体 育 事 业 的 发 展 ，离 不 开 体 育 器 材 的 国 产 化 。 本报记者 冯彬昊 叶英伟 摄",
                "体育器材国产化"))
        #expect(items.count == 1)
        #expect(items.first?.kind == .caption)
        #expect(items.first?.byline == "本报记者冯彬昊叶英伟摄")
        #expect(items.first?.body == "2月8日，中国体育事业的发展，离不开体育器材的国产化。")
    }

    /// A title exactly as wide as the column of the article under it: the article's indented first
    /// line is narrower than the title, so the title is not part of its paragraph.
    @Test func titleAsWideAsTheColumnBelow() {
        let items = split(
            Self.page(
                "本报讯 （记者赵明）全国“菜篮子”工作会议今天在京召开。会议要求，",
                "各地要继续深化改革，建立科技面向生产、面向农村的新机制，加快农业",
                "科技成果转化速度，提高“菜篮子”产品的科技含量，健全社会化服务体",
                "系，加强宏观调控体系。",
                "中国民乐除夕回荡维也纳中奥两国元首题词",
                "在一些国家体育产业运作的成功经验",
                "中，合理利用电视转播权、着力开发体育",
                "无形资产始终是其最耀眼的闪光点。而在",
                "我国，电视转播权长期处于无偿使用状态，",
                "体育无形资产的开发刚刚起步，亟待与",
                "国际惯例接轨。这些问题已成为制约我国",
                "体育产业发展的重要因素，必须认真研究。",
                "体育产业发展应与国际接轨"))
        #expect(items.map(\.title) == ["中国民乐除夕回荡维也纳中奥两国元首题词", "体育产业发展应与国际接轨"])
    }

    /// An article opened by `本报讯` carries no dateline at its end: an unmarked article in the
    /// same column that ends with `（新华社…电）` starts after the one-line title before it.
    @Test func unmarkedArticleClosedByADateline() {
        let items = split(
            Self.page(
                "本报讯 （记者张红）由人民日报文艺",
                "部、光明日报文艺部、求是杂志文教部",
                "共同主办的研讨会今天在京举行，与会",
                "者在研讨会上先后发言。",
                "研讨会由人民日报文艺部、光明",
                "日报文艺部、求是杂志文教部共同主",
                "办。",
                "经常微调避免大修",
                "当去年7月2日泰国宣布放弃泰铢",
                "固定汇率时，很少有人预测到泰国的金",
                "融危机会迅速蔓延到印尼、菲律宾。",
                "（新华社太原4月6日电）",
                "重新审视经济全球化"))
        #expect(items.map(\.title) == ["经常微调避免大修", "重新审视经济全球化"])
        #expect(items.last?.dateline == "（新华社太原4月6日电）")
        #expect(items.last?.body.hasPrefix("当去年7月2日") == true)
    }

    @Test func emptyPageHasNoItems() {
        #expect(PageSplitter.split("").isEmpty)
        #expect(PageSplitter.split("\n\n   \n").isEmpty)
    }
}
