import Foundation

/// Finds who wrote an article in its byline and dateline.
///
/// - `本报讯（记者 陈华）` → 陈华, reporter; `（记者 陈华 王明）` → two reporters; `（杨明清 记者张嫱 通讯员王亮）` →
///   杨明清 (author), 张嫱 (reporter), 王亮 (correspondent);
/// - `本报记者 裴龙翔` → reporter; `本报通讯员 徐浩儒 摄` → photographer;
/// - `新华社北京4月24日电`, `（新华社记者 张三）` → the agency (新华社), and its reporters when named.
///
/// Names run together once spaces are gone (`记者陈华王明`) are split by length: two or three characters are one
/// name, four are two names unless they start with a two-character surname (欧阳, 司马…), six are two of three.
///
/// ```swift
/// BylineParser.contributors(byline: "本报讯（记者 陈华 通讯员 李亮）")
/// // [陈华 reporter, 李亮 correspondent]
/// ```
public enum BylineParser {
    /// The contributors an article's byline, dateline and the start and end of its body name, in order.
    public static func contributors(byline: String, dateline: String = "", body: String = "") -> [Contributor] {
        let head = String(body.prefix(80))
        let tail = String(body.suffix(40))
        var found: [Contributor] = []
        for text in [byline, dateline, head] {
            found += parse(text)
            if !found.isEmpty { break }
        }
        if found.isEmpty { found = parse(tail, agenciesOnly: true) }
        var seen: Set<String> = []
        return found.filter { seen.insert($0.name).inserted }
    }

    /// Roles as bylines write them, longest first.
    static let roleWords: [(String, Contributor.Role)] = [
        ("本报特约记者", .reporter), ("本报见习记者", .reporter), ("本报实习生", .author), ("本报通讯员", .correspondent),
        ("本报记者", .reporter), ("特约记者", .reporter), ("见习记者", .reporter), ("实习记者", .reporter),
        ("首席记者", .reporter), ("通讯员", .correspondent), ("实习生", .author), ("记者", .reporter),
        ("作者", .author), ("文/", .author), ("文／", .author),
    ]

    /// News agencies bylines name.
    static let agencies = [
        "新华社", "中新社", "中国新闻社", "人民网", "新华网", "央视新闻", "央视网", "中央广播电视总台", "中国日报网", "法新社",
        "路透社", "美联社", "共同社", "塔斯社", "综合新华社",
    ]

    /// Two-character surnames.
    static let compoundSurnames: Set<String> = [
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文", "司徒", "夏侯", "轩辕", "端木",
        "西门", "南宫", "独孤", "呼延", "万俟", "闻人", "申屠", "太史", "澹台", "公冶", "宗政", "濮阳", "淳于", "单于",
    ]

    static func parse(_ raw: String, agenciesOnly: Bool = false) -> [Contributor] {
        let text = despaced(raw.replacingOccurrences(of: "　", with: " "))
        guard !text.isEmpty else { return [] }
        var result: [Contributor] = []
        // An agency's dateline: 新华社北京4月24日电, (新华社记者 张三).
        if let agency = agencies.first(where: { text.contains($0) }),
            let range = text.range(of: agency),
            text[range.upperBound...].prefix(24).contains(where: { $0 == "电" || $0 == "讯" || $0 == "记" })
        {
            let isAgencyName = agency != "综合新华社"
            result.append(Contributor(isAgencyName ? agency : "新华社", role: .agency))
            if agenciesOnly { return result }
            // Its reporters: 新华社记者 张三 李四.
            let after = text[range.upperBound...]
            if let reporter = after.range(of: "记者"),
                after.distance(from: after.startIndex, to: reporter.lowerBound) < 10
            {
                let reporters = names(in: String(after[reporter.upperBound...].prefix { !"）)电，,".contains($0) }))
                result += reporters.map { Contributor($0, role: .reporter) }
            }
            return result
        }
        guard !agenciesOnly else { return [] }
        // The part that names people: in brackets after 本报讯, or a line of roles and names.
        var part: Substring
        if let open = text.firstIndex(where: { $0 == "（" || $0 == "(" }),
            text.distance(from: text.startIndex, to: open) < 12,
            let close = text[open...].firstIndex(where: { $0 == "）" || $0 == ")" })
        {
            part = text[text.index(after: open)..<close]
        } else if roleWords.contains(where: { text.hasPrefix($0.0) }) {
            part = Substring(text.prefix(40))
        } else {
            return []
        }
        // A photo: … 摄.
        var isPhoto = false
        let trimmed = part.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("摄") {
            isPhoto = true
            part = Substring(trimmed.dropLast())
        }
        guard roleWords.contains(where: { part.contains($0.0) }) || isPhoto || text.hasPrefix("本报讯") else { return [] }
        // Split at role words, keeping each stretch of names with the role before it.
        var role: Contributor.Role = .author
        var rest = part
        while !rest.isEmpty {
            // The nearest role word.
            var nearest: (Range<Substring.Index>, Contributor.Role)?
            for (word, wordRole) in roleWords {
                guard let range = rest.range(of: word) else { continue }
                if let current = nearest, current.0.lowerBound <= range.lowerBound { continue }
                nearest = (range, wordRole)
            }
            let stretch = nearest.map { rest[..<$0.0.lowerBound] } ?? rest
            for name in names(in: String(stretch)) {
                result.append(Contributor(name, role: isPhoto ? .photographer : role))
            }
            guard let (range, nextRole) = nearest else { break }
            role = nextRole
            rest = rest[range.upperBound...]
        }
        return result
    }

    /// The text without its spaces when they stand between single characters (`记 者 陈 华`, as PDF
    /// extraction spreads them); spaces between names (`记者 陈华 王明`) are kept.
    static func despaced(_ text: String) -> String {
        let pieces = text.split(separator: " ").map { $0.filter(\.isHan).count }.filter { $0 > 0 }
        let single = pieces.filter { $0 == 1 }.count
        guard pieces.count > 2, single * 2 > pieces.count else { return text }
        return text.split(separator: " ").joined()
    }

    /// The personal names in a stretch of a byline: separated by spaces, 、 or commas, or run together.
    static func names(in stretch: String) -> [String] {
        let pieces = stretch.split(whereSeparator: { " ,，、;；/\t".contains($0) }).map(String.init)
        var names: [String] = []
        for piece in pieces {
            let name = piece.filter { $0.isHan || $0 == "·" || $0 == "•" || $0.isLetter }
            guard !name.isEmpty else { continue }
            if name.contains("·") || name.contains("•") || !name.allSatisfy(\.isHan) {
                names.append(name)
                continue
            }
            names += split(run: name)
        }
        return names.filter { $0.count >= 2 || !$0.allSatisfy(\.isHan) }
    }

    /// A run of Chinese characters holding one or more names, split by length.
    static func split(run: String) -> [String] {
        let characters = Array(run)
        switch characters.count {
        case 0...3: return [run]
        case 4:
            return compoundSurnames.contains(String(characters[0..<2]))
                ? [run] : [String(characters[0..<2]), String(characters[2..<4])]
        case 5:
            return compoundSurnames.contains(String(characters[0..<2]))
                ? [String(characters[0..<3]), String(characters[3...])]
                : [String(characters[0..<2]), String(characters[2...])]
        case 6: return [String(characters[0..<3]), String(characters[3...])]
        default:
            // Longer runs: names of three, the last two or three characters one name.
            var result: [String] = []
            var index = 0
            while characters.count - index > 4 {
                result.append(String(characters[index..<(index + 3)]))
                index += 3
            }
            result += split(run: String(characters[index...]))
            return result
        }
    }
}
