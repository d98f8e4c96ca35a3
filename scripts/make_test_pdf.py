#!/usr/bin/env python3
"""Makes the newspaper-like PDF pages that the PDF import tests read, and the items each page holds.

Each page is HTML laid out like a Chinese newspaper page (a masthead line, a large headline over three
columns with a kicker and a subtitle, articles in two columns, a photo with its caption, a byline line,
a dateline, CJK text with 𠮷, digits and Latin words) printed to PDF by headless Chromium with the Noto CJK
fonts. Beside each PDF goes NAME.json: the text put on each page, item by item, for the tests to compare
with what `kb import` makes of the PDF.

    apt-get install chromium fonts-noto-cjk
    python3 scripts/make_test_pdf.py Tests/CLITests/Fixtures/pdf

The PDFs are committed with the JSON files, so the tests need only pdftotext (poppler-utils), not
Chromium. The text comes from the seed page (seeds/), lightly edited.
"""

import html
import json
import os
import shutil
import subprocess
import sys
import tempfile

# One page: a masthead and rows of boxes; a box is an article or a photo with its caption.
# Article fields are those of kb's items: kicker, title, subtitle, byline, dateline, body (paragraphs).

ARTICLE_A = {
    "kicker": "劳模工匠齐聚黄山脚下",
    "title": "长三角三省一市共促职工文旅消费",
    "subtitle": "首场举办职工非遗技艺交流活动",
    "byline": "（记者陈华）",
    "dateline": "本报讯",
    "body": [
        "4月21日，“文脉薪传·匠心共融”——长三角三省一市职工非遗技艺交流活动在安徽省黄山市举行。"
        "三省一市总工会负责同志共同签署《长三角三省一市总工会促进职工文化旅游消费一体化发展意向书》。",
        "本次活动由安徽省总工会、上海市总工会、江苏省总工会、浙江省总工会和安徽省文旅厅联合主办，"
        "来自沪苏浙皖的劳模工匠、非遗代表性传承人齐聚黄山脚下，共话非遗匠心。",
        "活动分为舞台展演和市集互动两个部分，涉及54个非遗项目，涵盖传统技艺、音乐、舞蹈、戏剧、美术等10个类型，"
        "邀请19位非遗代表性传承人劳模与现场职工交流互动，进一步深化长三角职工文化交流与协作。",
        "现场还展示了用Swift 6编写的AI导览程序，游客扫码即可查看“𠮷”等生僻字的写法和读音。",
        "市集互动区设置了锦艺华章、古方拾遗、匠心传世、味载千秋、墨韵流芳、雕刻徽州等8大展区，"
        "汇集上千个长三角非遗特色产品。参观者流连于各个非遗展位间，沉浸式感受匠心传承。",
    ],
}

ARTICLE_B = {
    "title": "工会专项服务助力外贸企业和职工应对挑战",
    "dateline": "本报讯",
    "byline": "（记者黄洪涛）",
    "body": [
        "近期，为帮助外贸企业和职工积极应对当前紧张的国际贸易局势，江苏各级工会纷纷行动。"
        "江苏省总工会研究制定若干措施，引导全省各级工会结合实际采取有针对性的举措。",
        "在关爱职工方面，江苏省总将推动实行专项厂务公开，督促企业及时向职工公开企业的经营状况、订单变化等重要信息，"
        "让职工了解企业面临的形势和应对措施，帮助职工理性应对。",
        "在江苏省总带动下，南通海安市总工会以开展“劳模工匠助企行”专项行动为契机，邀请劳模工匠深入外贸企业一线，"
        "帮助企业解决技术难题，使其对欧洲国家的出口金额超过500万美元。",
    ],
}

CAPTION_A = {
    "kind": "caption",
    "body": ["4月21日，参加交流活动的职工在市集互动区体验传统木版水印技艺。"],
    "byline": "本报记者 冯彬昊 摄",
}

ARTICLE_C = {
    "kicker": "一线传真",
    "title": "山东：“线上+线下”拓宽外贸产品内销渠道",
    "byline": "本报记者 裴龙翔",
    "body": [
        "“大家看一下这款面料，是出口的高支纱纯棉，比普通的32支更加细腻柔软，99元的价格绝对超值……”"
        "近日，在山东省外经贸工会组织的外贸名品展销会上，一家家用纺织品公司的销售人员向顾客介绍自家产品。",
        "这是山东省外经贸工会通过一系列惠工“组合拳”，助力外贸企业和职工应对挑战的实例之一。"
        "作为拥有43个直属外贸企（事）业单位工会的产业工会，山东省外经贸工会持续探索如何助力外贸企业转型发展。",
        "前期，山东省外经贸工会精心推出电商数据运营、短视频制作及直播运营等系列培训课程，"
        "物美价廉的商品一经上线就受到职工热捧，线上点击量累计超过5万次。",
    ],
}

ARTICLE_D = {
    "title": "劳模工匠服务团队助企拓展海外市场",
    "dateline": "新华社福州4月23日电",
    "byline": "（记者李润钊）",
    "body": [
        "在福建晋工机械有限公司厂房内，福建省五一劳动奖章获得者张达斌正在向工友推介他的新发明。",
        "泉州市总工会实施了“一企一策”，帮助该企业组建由张达斌领衔、全市76名“数字工匠”组成的劳模工匠服务团队，"
        "通过开展技术宣讲等形式，助力企业提升产能、降本增效。",
    ],
}

DOCUMENTS = {
    "one_page": {
        "pages": [
            {
                "masthead": ("工人日报　2025年4月22日　星期二", "第3版　要闻"),
                "rows": [[("full", ARTICLE_A)], [("wide", ARTICLE_B), ("narrow", CAPTION_A)]],
            }
        ]
    },
    "two_pages": {
        "pages": [
            {
                "masthead": ("工人日报　2025年4月22日　星期二", "第3版　要闻"),
                "rows": [[("full", ARTICLE_A)], [("wide", ARTICLE_B), ("narrow", CAPTION_A)]],
            },
            {
                "masthead": ("工人日报　2025年4月22日　星期二", "第4版　地方"),
                "rows": [[("wide", ARTICLE_C), ("narrow", ARTICLE_D)]],
            },
        ]
    },
}

CSS = """
@page { size: A4; margin: 0; }
body { margin: 0; font-family: 'Noto Sans CJK SC', sans-serif; color: #000; }
.page { width: 794px; height: 1123px; padding: 28px 36px; box-sizing: border-box; page-break-after: always; }
.masthead { display: flex; justify-content: space-between; font-size: 11px; border-bottom: 2px solid #000;
  padding-bottom: 4px; margin-bottom: 14px; font-family: 'Noto Sans CJK SC', sans-serif; }
.row { display: flex; gap: 22px; margin-bottom: 22px; border-bottom: 1px solid #888; padding-bottom: 14px; }
.full { flex: 1; } .wide { flex: 2; } .narrow { flex: 1; }
.kicker { font-size: 16px; margin: 0 0 4px 0; font-family: 'Noto Sans CJK SC', sans-serif; }
.title { font-size: 30px; font-weight: bold; margin: 0 0 4px 0; line-height: 1.25;
  font-family: 'Noto Sans CJK SC', sans-serif; }
.wide .title, .narrow .title { font-size: 22px; }
.subtitle { font-size: 18px; margin: 0 0 10px 0; font-family: 'Noto Sans CJK SC', sans-serif; }
.bylineline { font-size: 13px; margin: 0 0 6px 0; }
.body { font-size: 13px; line-height: 1.6; text-align: justify; }
.full .body { column-count: 3; column-gap: 20px; }
.wide .body { column-count: 2; column-gap: 20px; }
.body p { margin: 0; text-indent: 2em; }
.photo { height: 150px; background: #ccc; margin-bottom: 6px; }
.caption { font-size: 12px; line-height: 1.5; font-family: 'Noto Sans CJK SC', sans-serif; }
"""


def article_html(article):
    out = []
    if article.get("kind") == "caption":
        out.append('<div class="photo"></div>')
        text = article["body"][0] + "　" + article["byline"]
        out.append('<div class="caption">%s</div>' % html.escape(text))
        return "".join(out)
    if article.get("kicker"):
        out.append('<div class="kicker">%s</div>' % html.escape(article["kicker"]))
    out.append('<div class="title">%s</div>' % html.escape(article["title"]))
    if article.get("subtitle"):
        out.append('<div class="subtitle">%s</div>' % html.escape(article["subtitle"]))
    paragraphs = list(article["body"])
    lead = ""
    if article.get("dateline"):
        lead = article["dateline"] + (" " if article["dateline"] == "本报讯" else "") + article.get("byline", "")
    elif article.get("byline"):
        out.append('<div class="bylineline">%s</div>' % html.escape(article["byline"]))
    if lead:
        paragraphs[0] = lead + paragraphs[0]
    out.append('<div class="body">%s</div>' % "".join("<p>%s</p>" % html.escape(p) for p in paragraphs))
    return "".join(out)


def expected_item(article):
    item = {key: "" for key in ("kicker", "title", "subtitle", "byline", "dateline", "body")}
    item["kind"] = article.get("kind", "article")
    for key in ("kicker", "title", "subtitle", "byline", "dateline"):
        item[key] = article.get(key, "")
    item["body"] = "\n\n".join(article["body"])
    return item


def page_html(page):
    left, right = page["masthead"]
    rows = []
    for row in page["rows"]:
        boxes = "".join('<div class="%s">%s</div>' % (width, article_html(a)) for width, a in row)
        rows.append('<div class="row">%s</div>' % boxes)
    masthead = '<div class="masthead"><span>%s</span><span>%s</span></div>' % (html.escape(left), html.escape(right))
    return '<div class="page">%s%s</div>' % (masthead, "".join(rows))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "Tests/CLITests/Fixtures/pdf"
    os.makedirs(out_dir, exist_ok=True)
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not browser:
        sys.exit("Chromium is needed: apt-get install chromium fonts-noto-cjk")
    for name, document in DOCUMENTS.items():
        body = "".join(page_html(page) for page in document["pages"])
        text = '<!DOCTYPE html><html><head><meta charset="utf-8"><style>%s</style></head><body>%s</body></html>' % (
            CSS,
            body,
        )
        with tempfile.TemporaryDirectory() as work:
            source = os.path.join(work, "page.html")
            with open(source, "w", encoding="utf-8") as handle:
                handle.write(text)
            target = os.path.abspath(os.path.join(out_dir, name + ".pdf"))
            subprocess.run(
                [
                    browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    "--user-data-dir=" + os.path.join(work, "profile"), "--print-to-pdf=" + target, source,
                ],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        expected = {
            "pages": [
                {
                    "masthead": list(page["masthead"]),
                    "items": [expected_item(a) for row in page["rows"] for _, a in row],
                }
                for page in document["pages"]
            ]
        }
        with open(os.path.join(out_dir, name + ".json"), "w", encoding="utf-8") as handle:
            json.dump(expected, handle, ensure_ascii=False, indent=1)
            handle.write("\n")
        print("wrote", target)


if __name__ == "__main__":
    main()
