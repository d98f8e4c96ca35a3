import Foundation

/// Pinyin search: a query written in pinyin (`chongqing`, `chóngqìng`, `chong2 qing4`, `cq`) read as the
/// characters it may stand for.
///
/// Nothing about pinyin is indexed. A query is parsed into a ``PinyinPattern`` (every way of cutting it into
/// syllables, each syllable a set of toned readings); the character index narrows the articles to those
/// holding, for every syllable, a character read that way; the pattern is then matched on their text, one
/// character after another, with ``PinyinTable``'s readings. A polyphonic character (重 zhòng/chóng) matches
/// each of its readings.
///
/// ```swift
/// let pattern = try #require(Pinyin.pattern("chongqing"))
/// pattern.ranges(in: "在重慶熱銷")  // [1..<3]
/// ```
public enum Pinyin {
    /// The table, parsed when first used.
    struct Table: Sendable {
        /// Toned syllables by id, as the table writes them (`zhong4`).
        var names: [String] = []
        /// The letters of each syllable without its tone.
        var bases: [String] = []
        /// The tone of each syllable: 1–4, 5 for the neutral tone.
        var tones: [UInt8] = []
        /// Syllable ids by their letters.
        var idsByBase: [String: [Int]] = [:]
        /// Characters of each syllable.
        var characters: [[UInt32]] = []
        /// Readings of the BMP's characters from U+3000: `offsets[c - 0x3000] ..< offsets[c - 0x3000 + 1]` in `flat`.
        var offsets: [UInt32] = []
        var flat: [UInt16] = []
        /// Readings of characters beyond the BMP.
        var supplementary: [UInt32: [UInt16]] = [:]
        /// The longest syllable, in letters.
        var longest = 0

        static let denseStart: UInt32 = 0x3000
        static let denseEnd: UInt32 = 0x10000

        init() {
            // Two passes over arrays (no dictionary for the BMP): this runs at the first pinyin query.
            let count = Int(Self.denseEnd - Self.denseStart)
            var counts = [UInt32](repeating: 0, count: count + 1)
            for line in PinyinTable.readings.utf8.split(separator: UInt8(ascii: "\n")) {
                guard let space = line.firstIndex(of: UInt8(ascii: " ")) else { continue }
                let name = String(decoding: line[..<space], as: UTF8.self)
                let id = names.count
                names.append(name)
                let base = String(name.dropLast())
                bases.append(base)
                tones.append(UInt8(name.last?.wholeNumberValue ?? 5))
                idsByBase[base, default: []].append(id)
                longest = max(longest, base.count)
                var list: [UInt32] = []
                for scalar in String(decoding: line[line.index(after: space)...], as: UTF8.self).unicodeScalars {
                    let value = scalar.value
                    list.append(value)
                    if value >= Self.denseStart && value < Self.denseEnd {
                        counts[Int(value - Self.denseStart) + 1] += 1
                    } else {
                        supplementary[value, default: []].append(UInt16(id))
                    }
                }
                characters.append(list)
            }
            for index in 1...count { counts[index] += counts[index - 1] }
            offsets = counts
            flat = [UInt16](repeating: 0, count: Int(counts[count]))
            var cursor = counts
            for (id, list) in characters.enumerated() {
                for value in list where value >= Self.denseStart && value < Self.denseEnd {
                    let index = Int(value - Self.denseStart)
                    flat[Int(cursor[index])] = UInt16(id)
                    cursor[index] += 1
                }
            }
        }

        /// Calls `body` with each reading of a character until it returns true; false when none did.
        @inline(__always)
        func anyReading(of character: UInt32, _ body: (Int) -> Bool) -> Bool {
            if character >= Self.denseStart && character < Self.denseEnd {
                let index = Int(character - Self.denseStart)
                let (start, end) = (Int(offsets[index]), Int(offsets[index + 1]))
                for k in start..<end where body(Int(flat[k])) { return true }
                return false
            }
            guard let ids = supplementary[character] else { return false }
            for id in ids where body(Int(id)) { return true }
            return false
        }

        func hasReading(_ character: UInt32) -> Bool {
            anyReading(of: character) { _ in true }
        }
    }

    static let table = Table()

    /// Names the reading table in use.
    public static var version: String { PinyinTable.version }

    /// How many ways of cutting a query into syllables are kept at most.
    static let maximumAlternatives = 64

    /// The longest run of letters read as initials when it can also be cut into syllables.
    static let maximumInitials = 4

    /// The readings of a character, as toned syllables (`["zhong4", "chong2", "tong2"]`).
    public static func readings(of character: Unicode.Scalar) -> [String] {
        var names: [String] = []
        _ = table.anyReading(of: character.value) { id in
            names.append(table.names[id])
            return false
        }
        return names
    }

    /// The pattern a pinyin query stands for, or nil when the query is not pinyin.
    ///
    /// Letters may carry tone marks (`chóngqìng`) or be followed by a tone digit (`chong2qing4`, 5 or 0 for
    /// the neutral tone); `ü` may be written `v`; spaces, apostrophes and hyphens separate syllables. A run
    /// of letters is cut into syllables in every way the table allows (`xian` is 先 as well as 西安); a run
    /// without tones that cannot be cut into syllables, or of at most ``maximumInitials`` letters, is read
    /// as initials too, one letter per character (`cq`; `mm` is 妈妈 as well as 呣呣; `zh`, `ch`, `sh` as one).
    public static func pattern(_ query: String) -> PinyinPattern? {
        struct Chunk {
            var letters: [Character] = []
            var marks: [Int: UInt8] = [:]
            var tone: UInt8?
        }
        var chunks: [Chunk] = []
        var current = Chunk()
        func close() {
            if !current.letters.isEmpty { chunks.append(current) }
            current = Chunk()
        }
        let toneMarks: [UInt32: UInt8] = [0x304: 1, 0x301: 2, 0x30C: 3, 0x300: 4]
        for scalar in query.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
            let value = scalar.value
            if value >= 0x61 && value <= 0x7A {
                current.letters.append(Character(scalar))
            } else if let tone = toneMarks[value] {
                guard !current.letters.isEmpty else { return nil }
                current.marks[current.letters.count - 1] = tone
            } else if value == 0x308 {  // ü
                guard current.letters.last == "u" else { return nil }
                current.letters[current.letters.count - 1] = "v"
            } else if value == 0x302 {  // ê
                guard current.letters.last == "e" else { return nil }
            } else if value >= 0x30 && value <= 0x35 {
                guard !current.letters.isEmpty, current.tone == nil else { return nil }
                current.tone = value == 0x30 ? 5 : UInt8(value - 0x30)
                close()
            } else if scalar == " " || scalar == "'" || scalar == "’" || scalar == "-" || scalar == "\u{3000}" {
                close()
            } else {
                return nil
            }
        }
        close()
        guard !chunks.isEmpty else { return nil }
        var alternatives: [[PinyinPiece]] = [[]]
        for chunk in chunks {
            let options = cuts(chunk.letters, marks: chunk.marks, tone: chunk.tone)
            guard !options.isEmpty else { return nil }
            var next: [[PinyinPiece]] = []
            for prefix in alternatives {
                for option in options where next.count < maximumAlternatives { next.append(prefix + option) }
            }
            alternatives = next
        }
        return PinyinPattern(alternatives: alternatives)
    }

    /// Every way of cutting letters into syllables, with their tones; initials when there is none.
    private static func cuts(_ letters: [Character], marks: [Int: UInt8], tone: UInt8?) -> [[PinyinPiece]] {
        let table = self.table
        var results: [[PinyinPiece]] = []
        var pieces: [PinyinPiece] = []
        func walk(_ start: Int) {
            guard results.count < maximumAlternatives else { return }
            if start == letters.count {
                results.append(pieces)
                return
            }
            for length in stride(from: min(table.longest, letters.count - start), through: 1, by: -1) {
                var base = String(letters[start..<(start + length)])
                if table.idsByBase[base] == nil, base == "lue" || base == "nue" { base = String(base.prefix(1)) + "ve" }
                guard let ids = table.idsByBase[base] else { continue }
                var pieceTone: UInt8?
                var conflict = false
                for index in start..<(start + length) {
                    if let mark = marks[index] {
                        if pieceTone != nil && pieceTone != mark { conflict = true }
                        pieceTone = mark
                    }
                }
                if start + length == letters.count, let tone {
                    if pieceTone != nil && pieceTone != tone { conflict = true }
                    pieceTone = tone
                }
                if conflict { continue }
                let wanted = ids.filter { pieceTone == nil || table.tones[$0] == pieceTone }
                guard !wanted.isEmpty else { continue }
                pieces.append(PinyinPiece(ids: wanted, isInitial: false))
                walk(start + length)
                pieces.removeLast()
            }
        }
        walk(0)
        // A run with a tone is syllables. A run of syllables is also read as initials when short enough to be
        // a word's (`mm` is 呣呣 and 妈妈, `om` 欧盟); a longer one (`zhongyao`) only as syllables.
        if !marks.isEmpty || tone != nil { return results }
        if !results.isEmpty && letters.count > maximumInitials { return results }
        // Initials: each letter (or zh, ch, sh) the first letters of one character's reading.
        func initials(_ prefix: String) -> PinyinPiece? {
            let ids = table.bases.indices.filter { table.bases[$0].hasPrefix(prefix) }
            return ids.isEmpty ? nil : PinyinPiece(ids: ids, isInitial: true)
        }
        var single: [PinyinPiece] = []
        for letter in letters {
            guard let piece = initials(String(letter)) else { return results }
            single.append(piece)
        }
        results.append(single)
        var joined: [PinyinPiece] = []
        var index = 0
        while index < letters.count {
            if index + 1 < letters.count, letters[index + 1] == "h", "zcs".contains(letters[index]),
                let digraph = initials(String(letters[index...(index + 1)]))
            {
                joined.append(digraph)
                index += 2
            } else {
                joined.append(single[index])
                index += 1
            }
        }
        if joined.count != single.count { results.append(joined) }
        return results
    }
}

/// One syllable of a pinyin query: the toned readings a character may have to match it.
public struct PinyinPiece: Sendable, Equatable {
    /// A bit per syllable id of ``PinyinTable``.
    var bits: [UInt64]
    /// Syllable ids, ascending.
    var ids: [Int]
    /// True when the piece stands for initials only (`c` of `cq`).
    var isInitial: Bool

    init(ids: [Int], isInitial: Bool) {
        self.ids = ids
        self.isInitial = isInitial
        bits = [UInt64](repeating: 0, count: (Pinyin.table.names.count + 63) / 64)
        for id in ids { bits[id >> 6] |= 1 << UInt64(id & 63) }
    }

    /// True when a reading of the character is one of the piece's.
    @inline(__always)
    func matches(_ character: UInt32) -> Bool {
        let table = Pinyin.table
        if table.anyReading(of: character, { id in bits[id >> 6] & (1 << UInt64(id & 63)) != 0 }) { return true }
        // A form without a reading of its own is read as the form it folds to.
        let folded = VariantFolding.fold(character)
        guard folded != character, !table.hasReading(character) else { return false }
        return table.anyReading(of: folded) { id in bits[id >> 6] & (1 << UInt64(id & 63)) != 0 }
    }

    /// The characters read this way, folded as the character index holds them.
    var foldedCharacters: Set<UInt32> {
        var result: Set<UInt32> = []
        for id in ids {
            for character in Pinyin.table.characters[id] { result.insert(VariantFolding.fold(character)) }
        }
        return result
    }
}

/// A pinyin query: the ways of reading it, each a sequence of syllables matched by consecutive characters.
public struct PinyinPattern: Sendable, Equatable {
    /// Every way of cutting the query into syllables.
    public let alternatives: [[PinyinPiece]]
    /// What each piece accepts, as bits: made once per pattern, read for every character of every text.
    private let accepted: AcceptedCharacters

    init(alternatives: [[PinyinPiece]]) {
        self.alternatives = alternatives
        accepted = AcceptedCharacters(alternatives)
    }

    public static func == (left: PinyinPattern, right: PinyinPattern) -> Bool {
        left.alternatives == right.alternatives
    }

    /// Code-point ranges of the text read as the pattern, in order, not overlapping.
    ///
    /// Characters are consecutive across whitespace (a line wrap inside a name), never across punctuation,
    /// as in the text index.
    public func ranges(in text: String, limit: Int = Int.max) -> [Range<Int>] {
        var scalars: [UInt32] = []
        scalars.reserveCapacity(text.utf8.count / 3)
        for scalar in text.unicodeScalars { scalars.append(scalar.value) }
        return ranges(in: scalars, limit: limit)
    }

    /// True when some part of the text reads as the pattern.
    public func matches(_ text: String) -> Bool {
        !ranges(in: text, limit: 1).isEmpty
    }

    /// Code-point ranges of the text (given as scalars) read as the pattern.
    func ranges(in scalars: [UInt32], limit: Int = Int.max) -> [Range<Int>] {
        // The text's CJK characters with their positions; a break where something other than whitespace stands.
        var characters: [UInt32] = []
        var positions: [Int] = []
        characters.reserveCapacity(scalars.count)
        positions.reserveCapacity(scalars.count)
        let breakMark = UInt32.max
        for (index, value) in scalars.enumerated() {
            switch TextTokenizer.fastClass(value) {
            case .cjk:
                characters.append(value)
                positions.append(index)
            case .space, .ignorable:
                continue
            default:
                if characters.last != breakMark {
                    characters.append(breakMark)
                    positions.append(index)
                }
            }
        }
        var found: [Range<Int>] = []
        var start = 0
        let accepted = self.accepted
        while start < characters.count && found.count < limit {
            let matchedLength = accepted.longestMatch(in: characters, at: start)
            if matchedLength > 0 {
                found.append(positions[start]..<(positions[start + matchedLength - 1] + 1))
                start += matchedLength
            } else {
                start += 1
            }
        }
        return found
    }

    /// FTS5 expressions that every article read as the pattern matches, or nil when they would not narrow
    /// anything (initials stand for thousands of characters).
    ///
    /// Only the characters that `isPresent` says some article holds are asked for (most of a syllable's are
    /// rare). An alternative of two syllables or more asks the text index (`articles_fts`) for the bigrams its
    /// neighbouring syllables may make (重庆 for `chongqing`, which finds 重慶 too: the index holds folded
    /// text); another asks the character index (`articles_chars`) for a character of each syllable. An
    /// article matches when it matches either expression; when both are nil, no article can.
    func indexExpressions(
        maximumCharacters: Int = 400, maximumBigrams: Int = 4000, isPresent: (UInt32) throws -> Bool
    ) rethrows -> (text: String?, characters: String?)? {
        var bigramAlternatives: [String] = []
        var characterAlternatives: [String] = []
        var cache: [[Int]: [UInt32]?] = [:]
        for pieces in alternatives {
            // The characters of each syllable as the indexes hold them; nil for one that does not narrow.
            var sets: [[UInt32]?] = []
            for piece in pieces {
                if let known = cache[piece.ids] {
                    sets.append(known)
                    continue
                }
                var characters: [UInt32]? = nil
                let all = piece.foldedCharacters
                // Initials, or a character the index does not hold as itself (a compatibility form): this
                // syllable does not narrow.
                if !piece.isInitial && all.count <= 2_500 && all.allSatisfy({ TextTokenizer.fastClass($0) == .cjk }) {
                    let present = try all.sorted().filter(isPresent)
                    if present.count <= maximumCharacters { characters = present }
                }
                cache[piece.ids] = characters
                sets.append(characters)
            }
            // A syllable no article holds a character of: this alternative matches nothing.
            if sets.contains(where: { $0?.isEmpty == true }) { continue }
            func quoted(_ values: [UInt32]) -> String {
                "\"" + String(String.UnicodeScalarView(values.compactMap(Unicode.Scalar.init))) + "\""
            }
            let narrowing = sets.compactMap { $0 }
            if pieces.count >= 2, narrowing.count == sets.count,
                zip(narrowing, narrowing.dropFirst()).allSatisfy({ $0.count * $1.count <= maximumBigrams })
            {
                let pairs = zip(narrowing, narrowing.dropFirst()).map { left, right in
                    "(" + left.flatMap { a in right.map { b in quoted([a, b]) } }.joined(separator: " OR ") + ")"
                }
                bigramAlternatives.append("(" + pairs.joined(separator: " AND ") + ")")
                continue
            }
            let required = narrowing.map { "(" + $0.map { quoted([$0]) }.joined(separator: " OR ") + ")" }
            guard !required.isEmpty else { return nil }
            characterAlternatives.append("(" + required.joined(separator: " AND ") + ")")
        }
        func joined(_ parts: [String]) -> String? { parts.isEmpty ? nil : parts.joined(separator: " OR ") }
        return (joined(bigramAlternatives), joined(characterAlternatives))
    }
}

/// The characters each piece of a pattern's alternatives accepts.
///
/// A bit per code point of the BMP for each distinct piece, a set beyond it. A character matches a piece when one of its readings is the piece's, or,
/// having no reading of its own, when the form it folds to has one (as ``PinyinPiece/matches(_:)`` says).
final class AcceptedCharacters: Sendable {
    /// Words per piece: one bit per code point below U+10000.
    static let words = 0x10000 / 64
    /// The pieces' bits, one after another.
    private let bits: [UInt64]
    /// Characters beyond the BMP, by piece.
    private let beyond: [Set<UInt32>]
    /// The pieces (indices into the bits) of alternative k: `pieces[starts[k] ..< starts[k + 1]]`.
    private let pieces: [Int]
    private let starts: [Int]

    init(_ alternatives: [[PinyinPiece]]) {
        let table = Pinyin.table
        var indexOfIDs: [[Int]: Int] = [:]
        var bits: [UInt64] = []
        var beyond: [Set<UInt32>] = []
        var pieces: [Int] = []
        var starts: [Int] = [0]
        for alternative in alternatives {
            for piece in alternative {
                if let known = indexOfIDs[piece.ids] {
                    pieces.append(known)
                    continue
                }
                let index = beyond.count
                indexOfIDs[piece.ids] = index
                pieces.append(index)
                var own = [UInt64](repeating: 0, count: Self.words)
                var far: Set<UInt32> = []
                for id in piece.ids {
                    for character in table.characters[id] {
                        if character < 0x10000 {
                            own[Int(character >> 6)] |= 1 << UInt64(character & 63)
                        } else {
                            far.insert(character)
                        }
                    }
                }
                // Forms without a reading of their own, read as the form they fold to.
                var added: [UInt32] = []
                VariantFolding.forEachPair { from, to in
                    let readsSo =
                        to < 0x10000 ? own[Int(to >> 6)] & (1 << UInt64(to & 63)) != 0 : far.contains(to)
                    if readsSo && !table.hasReading(from) { added.append(from) }
                }
                for character in added {
                    if character < 0x10000 {
                        own[Int(character >> 6)] |= 1 << UInt64(character & 63)
                    } else {
                        far.insert(character)
                    }
                }
                bits += own
                beyond.append(far)
            }
            starts.append(pieces.count)
        }
        self.bits = bits
        self.beyond = beyond
        self.pieces = pieces
        self.starts = starts
    }

    /// The length of the longest alternative read by the characters from `start` (0 when none is).
    ///
    /// `UInt32.max` marks a break that nothing matches.
    func longestMatch(in characters: [UInt32], at start: Int) -> Int {
        var longest = 0
        bits.withUnsafeBufferPointer { bits in
            pieces.withUnsafeBufferPointer { pieces in
                for alternative in 0..<(starts.count - 1) {
                    let (first, end) = (starts[alternative], starts[alternative + 1])
                    let count = end - first
                    guard count > longest, start + count <= characters.count else { continue }
                    var ok = true
                    for offset in 0..<count {
                        let character = characters[start + offset]
                        let piece = pieces[first + offset]
                        let accepted =
                            character < 0x10000
                            ? bits[piece &* Self.words &+ Int(character >> 6)] & (1 << UInt64(character & 63)) != 0
                            : beyond[piece].contains(character)
                        if !accepted {
                            ok = false
                            break
                        }
                    }
                    if ok { longest = count }
                }
            }
        }
        return longest
    }
}
