import Foundation

/// Newspapers known by name, with the Latin names their files and citation keys use.
///
/// A file named `gongrenribao-20250425-3.pdf` or `grrb_2025-04-25_03.txt` is a page of 工人日报; a citation key
/// starts with the full pinyin (`gongrenribao2025-04-25-3-…`). Papers not listed keep the name a file gives.
public enum Publications {
    /// One newspaper: its name, its name in pinyin without spaces, and the short forms files use.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let pinyin: String
        public let aliases: [String]
    }

    /// The newspapers known by name.
    public static let known: [Entry] = [
        Entry(name: "人民日报", pinyin: "renminribao", aliases: ["rmrb", "peoplesdaily", "people"]),
        Entry(name: "人民日报海外版", pinyin: "renminribaohaiwaiban", aliases: ["rmrbhwb"]),
        Entry(name: "工人日报", pinyin: "gongrenribao", aliases: ["grrb", "workersdaily"]),
        Entry(name: "光明日报", pinyin: "guangmingribao", aliases: ["gmrb", "gmw"]),
        Entry(name: "经济日报", pinyin: "jingjiribao", aliases: ["jjrb"]),
        Entry(name: "解放军报", pinyin: "jiefangjunbao", aliases: ["jfjb"]),
        Entry(name: "解放日报", pinyin: "jiefangribao", aliases: ["jfrb"]),
        Entry(name: "文汇报", pinyin: "wenhuibao", aliases: ["whb"]),
        Entry(name: "新民晚报", pinyin: "xinminwanbao", aliases: ["xmwb"]),
        Entry(name: "新华日报", pinyin: "xinhuaribao", aliases: ["xhrb"]),
        Entry(name: "中国青年报", pinyin: "zhongguoqingnianbao", aliases: ["zgqnb", "cyol"]),
        Entry(name: "中国妇女报", pinyin: "zhongguofunübao", aliases: ["zgfnb"]),
        Entry(name: "科技日报", pinyin: "kejiribao", aliases: ["kjrb"]),
        Entry(name: "法治日报", pinyin: "fazhiribao", aliases: ["fzrb"]),
        Entry(name: "农民日报", pinyin: "nongminribao", aliases: ["nmrb"]),
        Entry(name: "中国日报", pinyin: "zhongguoribao", aliases: ["chinadaily"]),
        Entry(name: "北京日报", pinyin: "beijingribao", aliases: ["bjrb"]),
        Entry(name: "北京晚报", pinyin: "beijingwanbao", aliases: ["bjwb"]),
        Entry(name: "南方日报", pinyin: "nanfangribao", aliases: ["nfrb"]),
        Entry(name: "南方周末", pinyin: "nanfangzhoumo", aliases: ["nfzm"]),
        Entry(name: "参考消息", pinyin: "cankaoxiaoxi", aliases: ["ckxx"]),
        Entry(name: "环球时报", pinyin: "huanqiushibao", aliases: ["hqsb"]),
        Entry(name: "学习时报", pinyin: "xuexishibao", aliases: ["xxsb"]),
        Entry(name: "浙江日报", pinyin: "zhejiangribao", aliases: ["zjrb"]),
        Entry(name: "安徽日报", pinyin: "anhuiribao", aliases: ["ahrb"]),
        Entry(name: "四川日报", pinyin: "sichuanribao", aliases: ["scrb"]),
        Entry(name: "湖北日报", pinyin: "hubeiribao", aliases: ["hbrb"]),
        Entry(name: "大公报", pinyin: "dagongbao", aliases: ["tkp"]),
    ]

    /// The newspaper a Latin name or short form in a file name stands for.
    public static func name(forLatin latin: String) -> String? {
        let folded = latin.lowercased()
        return known.first { $0.pinyin == folded || $0.aliases.contains(folded) }?.name
    }

    /// The Latin name of a newspaper for citation keys: its pinyin when known, else its ASCII letters and digits
    /// in lower case, else nil.
    public static func latinName(for publication: String) -> String? {
        if let entry = known.first(where: { $0.name == publication }) {
            return entry.pinyin.replacingOccurrences(of: "ü", with: "v")
        }
        let ascii = String(
            publication.lowercased().unicodeScalars.filter {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))
            }.map(Character.init))
        return ascii.isEmpty ? nil : ascii
    }
}
