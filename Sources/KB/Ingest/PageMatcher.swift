import Foundation

/// Pairs the items of a new version of a page with the articles of an earlier import of it.
///
/// An item pairs first with the article of the same content (same id, or the same fields), then with the
/// article whose text is most alike (character bigrams, whitespace removed), the same place on the page
/// breaking ties and lowering the bar a little. The result depends only on the two lists, so every replica
/// that imports the same version of a page pairs it the same way.
///
/// ```swift
/// let pairs = PageMatcher.match(old: articles, items: items, ids: ids)
/// // pairs[i] == (old: 3, item: 3): the fourth item is the corrected fourth article
/// ```
enum PageMatcher {
    /// Least similarity for two texts at different places on the page to be the same article.
    static let threshold = 0.6
    /// Least similarity for two texts at the same place on the page.
    static let samePlaceThreshold = 0.4

    /// One pairing: indexes into the old articles and the new items.
    struct Pair: Equatable {
        var old: Int
        var item: Int
    }

    /// Pairs items with old articles; each is used at most once.
    ///
    /// - Parameters:
    ///   - old: The articles of the earlier import.
    ///   - items: The items of the new version, in page order.
    ///   - ids: The content ids of the items.
    /// - Returns: The pairs, in the items' order.
    static func match(old: [Article], items: [PageItem], ids: [String]) -> [Pair] {
        var pairs: [Pair] = []
        var usedOld = Set<Int>()
        var usedItem = Set<Int>()
        // 1. The same content.
        let byID = Dictionary(old.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        let oldTexts = old.map { searchable([$0.kicker, $0.title, $0.subtitle, $0.dateline, $0.byline, $0.body]) }
        let itemTexts = items.map { searchable($0.fields) }
        for (index, item) in items.enumerated() {
            let same =
                byID[ids[index]]
                ?? old.indices.first {
                    !usedOld.contains($0) && oldTexts[$0] == itemTexts[index] && old[$0].kind == item.kind.rawValue
                }
            if let same, !usedOld.contains(same) {
                pairs.append(Pair(old: same, item: index))
                usedOld.insert(same)
                usedItem.insert(index)
            }
        }
        // 2. The most alike text, greedily.
        let oldGrams = old.indices.map { usedOld.contains($0) ? [:] : bigrams(oldTexts[$0]) }
        var candidates: [(score: Double, distance: Int, pair: Pair)] = []
        for item in items.indices where !usedItem.contains(item) {
            let grams = bigrams(itemTexts[item])
            for index in old.indices where !usedOld.contains(index) {
                let similarity = dice(grams, oldGrams[index])
                let distance = abs(old[index].position - item)
                let bar = distance == 0 ? samePlaceThreshold : threshold
                guard similarity >= bar else { continue }
                candidates.append((similarity, distance, Pair(old: index, item: item)))
            }
        }
        candidates.sort {
            ($0.score, -$0.distance, -$0.pair.item, -$0.pair.old) > (
                $1.score, -$1.distance, -$1.pair.item, -$1.pair.old
            )
        }
        for candidate in candidates
        where !usedOld.contains(candidate.pair.old) && !usedItem.contains(candidate.pair.item) {
            pairs.append(candidate.pair)
            usedOld.insert(candidate.pair.old)
            usedItem.insert(candidate.pair.item)
        }
        return pairs.sorted { $0.item < $1.item }
    }

    /// The text compared: every field, whitespace removed.
    static func searchable(_ fields: [String]) -> String {
        TextCleaner.removingWhitespace(fields.joined())
    }

    /// Character bigrams with their counts (a text of one character is its one unigram).
    static func bigrams(_ text: String) -> [UInt64: Int] {
        let scalars = text.unicodeScalars.map { UInt64($0.value) }
        var result: [UInt64: Int] = [:]
        if scalars.count == 1 { result[scalars[0], default: 0] += 1 }
        for index in scalars.indices.dropLast() {
            result[(scalars[index] << 32) | scalars[index + 1], default: 0] += 1
        }
        return result
    }

    /// Dice's coefficient of two bigram multisets: 0 (nothing shared) to 1 (the same).
    static func dice(_ a: [UInt64: Int], _ b: [UInt64: Int]) -> Double {
        let total = a.values.reduce(0, +) + b.values.reduce(0, +)
        guard total > 0 else { return 1 }
        let (small, large) = a.count <= b.count ? (a, b) : (b, a)
        var shared = 0
        for (gram, count) in small { shared += min(count, large[gram] ?? 0) }
        return Double(2 * shared) / Double(total)
    }

    /// The first lines of a page that say which page it is: the first two lines with text, whitespace removed.
    static func firstLines(_ text: String) -> String {
        var lines: [String] = []
        for line in text.prefix(4000).split(whereSeparator: \.isNewline) {
            let compact = TextCleaner.removingWhitespace(String(line))
            guard !compact.isEmpty else { continue }
            lines.append(compact)
            if lines.count == 2 { break }
        }
        return lines.joined(separator: "\n")
    }
}
