/// Three-way merge of long text (notes, article bodies) against the common base.
///
/// The texts are cut into sentences (after 。！？!?; and line breaks); each side's changes to the
/// base are found with a longest-common-subsequence diff. Changes to different sentences merge;
/// two different changes to the same sentences — or two different insertions at the same place —
/// are a conflict: the winner's version is kept there and the caller records a conflict holding
/// the other text. Work is on whole Unicode scalars, so no merge can split 😀 or 𠮷, and without a
/// common base two texts are never glued together: they conflict.
///
/// ```swift
/// let result = TextMerge.merge(base: "甲。乙。丙。", winner: "甲一。乙。丙。", other: "甲。乙。丙二。")
/// // result.text == "甲一。乙。丙二。", result.hasConflict == false
/// ```
public enum TextMerge {
    /// The merged text and whether some change of the other side could not be kept.
    public struct Result: Sendable, Equatable {
        public var text: String
        public var hasConflict: Bool
    }

    /// Merges `other` into `winner`, both made from `base`.
    public static func merge(base: String?, winner: String, other: String) -> Result {
        if winner == other { return Result(text: winner, hasConflict: false) }
        guard let base else { return Result(text: winner, hasConflict: true) }
        if other == base { return Result(text: winner, hasConflict: false) }
        if winner == base { return Result(text: other, hasConflict: false) }
        let b = sentences(base)
        let w = sentences(winner)
        let o = sentences(other)
        let winnerHunks = hunks(from: b, to: w)
        let otherHunks = hunks(from: b, to: o)

        var output: [Substring] = []
        var conflict = false
        var position = 0  // in base
        var wi = 0
        var oi = 0
        while wi < winnerHunks.count || oi < otherHunks.count {
            // The next hunk by position in the base; overlapping hunks of both sides form one region.
            let nextW = wi < winnerHunks.count ? winnerHunks[wi] : nil
            let nextO = oi < otherHunks.count ? otherHunks[oi] : nil
            var start = min(nextW?.baseRange.lowerBound ?? Int.max, nextO?.baseRange.lowerBound ?? Int.max)
            output += b[position..<start]
            var end = start
            var wParts: [Hunk] = []
            var oParts: [Hunk] = []
            var grew = true
            while grew {
                grew = false
                while wi < winnerHunks.count, overlaps(winnerHunks[wi].baseRange, start..<end) {
                    let hunk = winnerHunks[wi]
                    wParts.append(hunk)
                    start = min(start, hunk.baseRange.lowerBound)
                    end = max(end, hunk.baseRange.upperBound)
                    wi += 1
                    grew = true
                }
                while oi < otherHunks.count, overlaps(otherHunks[oi].baseRange, start..<end) {
                    let hunk = otherHunks[oi]
                    oParts.append(hunk)
                    start = min(start, hunk.baseRange.lowerBound)
                    end = max(end, hunk.baseRange.upperBound)
                    oi += 1
                    grew = true
                }
            }
            let winnerRegion = region(b, start..<end, wParts)
            let otherRegion = region(b, start..<end, oParts)
            if oParts.isEmpty {
                output += winnerRegion
            } else if wParts.isEmpty {
                output += otherRegion
            } else if winnerRegion == otherRegion {
                output += winnerRegion
            } else {
                conflict = true
                output += winnerRegion
            }
            position = end
        }
        output += b[position...]
        return Result(text: output.joined(), hasConflict: conflict)
    }

    /// A change of one side: base sentences `baseRange` replaced by `replacement`.
    struct Hunk: Equatable {
        var baseRange: Range<Int>
        var replacement: ArraySlice<Substring>
    }

    /// Two ranges touch: they overlap, or an insertion stands at the edge of or inside the other.
    static func overlaps(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        if a.isEmpty || b.isEmpty {
            return a.lowerBound >= b.lowerBound && a.lowerBound <= b.upperBound
                || b.lowerBound >= a.lowerBound && b.lowerBound <= a.upperBound
        }
        return a.lowerBound < b.upperBound && b.lowerBound < a.upperBound
    }

    /// The base region with one side's hunks applied.
    static func region(_ base: [Substring], _ range: Range<Int>, _ hunks: [Hunk]) -> [Substring] {
        var out: [Substring] = []
        var position = range.lowerBound
        for hunk in hunks {
            out += base[position..<hunk.baseRange.lowerBound]
            out += hunk.replacement
            position = hunk.baseRange.upperBound
        }
        out += base[position..<range.upperBound]
        return out
    }

    /// The differences from `base` to `text` as hunks, in base order.
    static func hunks(from base: [Substring], to text: [Substring]) -> [Hunk] {
        // Common prefix and suffix first: most edits touch a small part of a long text.
        var prefix = 0
        while prefix < base.count, prefix < text.count, base[prefix] == text[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < base.count - prefix, suffix < text.count - prefix,
            base[base.count - 1 - suffix] == text[text.count - 1 - suffix]
        {
            suffix += 1
        }
        let baseMiddle = Array(base[prefix..<(base.count - suffix)])
        let textMiddle = Array(text[prefix..<(text.count - suffix)])
        // A very large rewrite is one hunk: the table would not fit in memory, and such an edit
        // concurrent with any other is a conflict anyway.
        let pairs = baseMiddle.count * textMiddle.count > maxTableCells ? [] : lcs(baseMiddle, textMiddle)
        var hunks: [Hunk] = []
        var bi = 0
        var ti = 0
        for (pb, pt) in pairs + [(baseMiddle.count, textMiddle.count)] {
            if bi < pb || ti < pt {
                hunks.append(
                    Hunk(
                        baseRange: (prefix + bi)..<(prefix + pb),
                        replacement: ArraySlice(textMiddle[ti..<pt])))
            }
            bi = pb + 1
            ti = pt + 1
        }
        return hunks
    }

    /// The largest diff table computed (cells): about 16 MB.
    static let maxTableCells = 4_000_000

    /// Index pairs of a longest common subsequence.
    static func lcs(_ a: [Substring], _ b: [Substring]) -> [(Int, Int)] {
        guard !a.isEmpty, !b.isEmpty else { return [] }
        let n = a.count
        let m = b.count
        var table = [[Int32]](repeating: [Int32](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var pairs: [(Int, Int)] = []
        var i = 0
        var j = 0
        while i < n && j < m {
            if a[i] == b[j] {
                pairs.append((i, j))
                i += 1
                j += 1
            } else if table[i + 1][j] >= table[i][j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        return pairs
    }

    /// Sentences with their closing punctuation and following whitespace; together they are the text.
    static func sentences(_ text: String) -> [Substring] {
        var result: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        let enders: Set<Character> = ["。", "！", "？", "!", "?", "；", ";", "\n", "…"]
        let closers: Set<Character> = ["”", "’", "」", "』", "）", ")", "\"", "'", "】", "》"]
        while index < text.endIndex {
            let character = text[index]
            index = text.index(after: index)
            if enders.contains(character) || (character == "." && (index == text.endIndex || text[index] == " ")) {
                while index < text.endIndex, enders.contains(text[index]) || closers.contains(text[index]) {
                    index = text.index(after: index)
                }
                while index < text.endIndex, text[index] == " " || text[index] == "\n" {
                    index = text.index(after: index)
                }
                result.append(text[start..<index])
                start = index
            }
        }
        if start < text.endIndex { result.append(text[start...]) }
        return result
    }
}
