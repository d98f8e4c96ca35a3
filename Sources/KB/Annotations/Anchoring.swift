/// Where an annotation stands in an article's text.
public enum AnchorState: String, Sendable, Codable, CaseIterable {
    /// The exact quote, found by position or by quote and context.
    case anchored
    /// Moved by an approximate match: the text changed a little; the original quote is kept.
    case fuzzy
    /// Not found: kept with its note, and listed by `kb notes --orphaned`.
    case orphaned
}

/// An anchor as it was made: the W3C TextQuoteSelector and TextPositionSelector.
public struct AnchorSelector: Sendable, Equatable {
    /// The exact text highlighted.
    public var quote: String
    /// Up to ``contextLength`` code points before the quote.
    public var prefix: String
    /// Up to ``contextLength`` code points after the quote.
    public var suffix: String
    /// Start in code points when it was made.
    public var start: Int

    public init(quote: String, prefix: String, suffix: String, start: Int) {
        self.quote = quote
        self.prefix = prefix
        self.suffix = suffix
        self.start = start
    }

    /// Code points of context kept on each side.
    public static let contextLength = 32
}

/// The result of anchoring: a code-point range and a state.
public struct AnchorResult: Sendable, Equatable {
    public var state: AnchorState
    /// Half-open code-point range; nil when orphaned.
    public var range: Range<Int>?
}

/// Anchors annotations in text, the way researchers' annotation tools learned to:
/// position, then exact quote with context, then a bounded approximate match, else orphaned.
///
/// The result depends only on the text and the selector as made, so every replica that holds the
/// same text anchors the same way. An annotation is never moved to a look-alike: an approximate
/// match needs at most a quarter of the quote's characters changed and the prefix or suffix intact,
/// and a short exact quote stays anchored only at its old place or next to its own context.
///
/// ```swift
/// let text = CodePoints("在展演环节，劳动模范带来非遗盛宴。")
/// let result = Anchoring.anchor(AnchorSelector(quote: "劳动模范", prefix: "在展演环节，", suffix: "带来", start: 6), in: text)
/// // result.state == .anchored, result.range == 6..<10
/// ```
public enum Anchoring {
    /// Quotes at least this long may move to a unique exact match anywhere.
    static let longQuote = 16
    /// Quotes shorter than this need their context to move: their old place nearby is not enough,
    /// since a word of two or three characters recurs in unrelated text ("Linus" in "chines").
    static let shortQuote = 5
    /// Context characters compared next to an approximate match.
    static let contextProbe = 8

    /// Anchors one selector in a text.
    public static func anchor(_ selector: AnchorSelector, in text: CodePoints) -> AnchorResult {
        let quote = CodePoints(selector.quote)
        guard !quote.isEmpty else { return AnchorResult(state: .anchored, range: nil) }
        let prefix = CodePoints(selector.prefix)
        let suffix = CodePoints(selector.suffix)
        let m = quote.count
        let n = text.count

        // 1. The old position still holds the quote, with its context around it.
        let hint = selector.start
        if hint >= 0, hint + m <= n, text.matches(quote, at: hint),
            contextScore(text, start: hint, end: hint + m, prefix: prefix, suffix: suffix) >= 1.0
                || occurrences(of: quote, in: text, limit: 2).count == 1
        {
            return AnchorResult(state: .anchored, range: hint..<(hint + m))
        }

        // 2. The exact quote elsewhere: the occurrence whose context fits best, nearest the old place.
        let found = occurrences(of: quote, in: text, limit: 10_000)
        if !found.isEmpty {
            // Occurrences with one side of their context intact are ranked by how much of the whole
            // context survives around them, edits beside the quote allowed: a passage repeated
            // elsewhere with its context intact does not win over the quote where it was, whose
            // context an edit two characters away broke.
            let contexts = found.map { contextScore(text, start: $0, end: $0 + m, prefix: prefix, suffix: suffix) }
            let supported = contexts.contains { $0 >= 1.0 }
            var best: (score: Double, start: Int)?
            for (start, context) in zip(found, contexts) {
                if supported && context < 1.0 { continue }
                let fit =
                    supported
                    ? looseContextScore(text, start: start, end: start + m, prefix: prefix, suffix: suffix) : context
                let distance = Double(abs(start - hint)) / Double(max(n, 1))
                let score = fit * 2 - distance
                if best.map({ score > $0.score }) ?? true { best = (score, start) }
            }
            if let best {
                let context = contextScore(
                    text, start: best.start, end: best.start + m, prefix: prefix, suffix: suffix)
                // The same words with the same context: the passage moved.
                if context >= 1.0 { return AnchorResult(state: .anchored, range: best.start..<(best.start + m)) }
                // The same words in other context lose to the passage still in its own context with a
                // character or two changed: a highlight is not moved to a look-alike.
                if let range = approximateMatch(quote, prefix: prefix, suffix: suffix, in: text, hint: hint) {
                    return approximate(range, quote: quote, in: text)
                }
                let near = m >= shortQuote && abs(best.start - hint) <= 2 * m + AnchorSelector.contextLength
                if m >= longQuote || context >= 0.5 || near {
                    return AnchorResult(state: .anchored, range: best.start..<(best.start + m))
                }
                return AnchorResult(state: .orphaned, range: nil)
            }
        }

        // 3. An approximate match next to intact context.
        if let range = approximateMatch(quote, prefix: prefix, suffix: suffix, in: text, hint: hint) {
            return approximate(range, quote: quote, in: text)
        }
        return AnchorResult(state: .orphaned, range: nil)
    }

    /// A match found next to intact context: anchored when none of the quote's characters changed.
    static func approximate(_ range: Range<Int>, quote: CodePoints, in text: CodePoints) -> AnchorResult {
        let exact = range.count == quote.count && text.matches(quote, at: range.lowerBound)
        return AnchorResult(state: exact ? .anchored : .fuzzy, range: range)
    }

    /// How well the text around a range agrees with the stored context: 0 (not at all) to 2 (both sides).
    static func contextScore(_ text: CodePoints, start: Int, end: Int, prefix: CodePoints, suffix: CodePoints)
        -> Double
    {
        var score = 0.0
        if prefix.isEmpty {
            score += start == 0 ? 1 : 0.5
        } else {
            var agree = 0
            while agree < prefix.count, start - agree - 1 >= 0,
                text[start - agree - 1] == prefix[prefix.count - agree - 1]
            {
                agree += 1
            }
            score += Double(agree) / Double(prefix.count)
        }
        if suffix.isEmpty {
            score += end == text.count ? 1 : 0.5
        } else {
            var agree = 0
            while agree < suffix.count, end + agree < text.count, text[end + agree] == suffix[agree] { agree += 1 }
            score += Double(agree) / Double(suffix.count)
        }
        return score
    }

    /// Like ``contextScore(_:start:end:prefix:suffix:)``, but counting the context's characters found in
    /// order near the quote (their longest common subsequence), so that a few characters inserted, removed
    /// or replaced beside the quote cost only those characters.
    static func looseContextScore(
        _ text: CodePoints, start: Int, end: Int, prefix: CodePoints, suffix: CodePoints
    ) -> Double {
        var score = 0.0
        if prefix.isEmpty {
            score += start == 0 ? 1 : 0.5
        } else {
            let from = max(0, start - prefix.count - contextSlack)
            score += Double(commonSubsequence(prefix.scalars[...], text.scalars[from..<start])) / Double(prefix.count)
        }
        if suffix.isEmpty {
            score += end == text.count ? 1 : 0.5
        } else {
            let to = min(text.count, end + suffix.count + contextSlack)
            score += Double(commonSubsequence(suffix.scalars[...], text.scalars[end..<to])) / Double(suffix.count)
        }
        return score
    }

    /// Characters an edit beside the quote may add to its context for ``looseContextScore``.
    static let contextSlack = 16

    /// Length of the longest common subsequence of two short runs of code points.
    static func commonSubsequence(_ a: ArraySlice<UInt32>, _ b: ArraySlice<UInt32>) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var previous = [Int](repeating: 0, count: b.count + 1)
        var current = previous
        for x in a {
            for (j, y) in b.enumerated() {
                current[j + 1] = x == y ? previous[j] + 1 : max(previous[j + 1], current[j])
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// Start offsets of a pattern in a text.
    static func occurrences(of pattern: CodePoints, in text: CodePoints, limit: Int) -> [Int] {
        var result: [Int] = []
        let m = pattern.count
        let n = text.count
        guard m > 0, m <= n else { return result }
        let first = pattern[0]
        var index = 0
        while index <= n - m {
            if text[index] == first && text.matches(pattern, at: index) {
                result.append(index)
                if result.count >= limit { break }
            }
            index += 1
        }
        return result
    }

    /// The best match with at most a quarter of the quote's characters changed, starting right after an
    /// intact prefix or ending right before an intact suffix.
    static func approximateMatch(
        _ quote: CodePoints, prefix: CodePoints, suffix: CodePoints, in text: CodePoints, hint: Int
    ) -> Range<Int>? {
        let m = quote.count
        let maxErrors = m / 4
        guard maxErrors >= 1 else { return nil }
        var best: (distance: Int, gap: Int, range: Range<Int>)?
        func consider(_ distance: Int, _ range: Range<Int>) {
            guard distance <= maxErrors, !range.isEmpty else { return }
            let gap = abs(range.lowerBound - hint)
            if best.map({ (distance, gap) < ($0.distance, $0.gap) }) ?? true { best = (distance, gap, range) }
        }
        // Starts right after the prefix. A prefix shorter than the probe is all the text that stood
        // before the quote ("“", or nothing): a match of it elsewhere proves nothing, so it must
        // still open the text.
        let prefixTail = prefix.suffix(contextProbe)
        let starts: [Int] =
            prefix.count < contextProbe
            ? (text.matches(prefix, at: 0) ? [prefix.count] : [])
            : occurrences(of: prefixTail, in: text, limit: 1000).map { $0 + prefixTail.count }
        for start in starts {
            if let (distance, end) = alignFromStart(quote, text: text, start: start, maxErrors: maxErrors) {
                consider(distance, start..<end)
            }
        }
        // Ends right before the suffix; a suffix shorter than the probe must still close the text.
        let suffixHead = suffix.prefix(contextProbe)
        let ends: [Int] =
            suffix.count < contextProbe
            ? (text.matches(suffix, at: text.count - suffix.count) ? [text.count - suffix.count] : [])
            : occurrences(of: suffixHead, in: text, limit: 1000)
        for end in ends {
            if let (distance, start) = alignToEnd(quote, text: text, end: end, maxErrors: maxErrors) {
                consider(distance, start..<end)
            }
        }
        return best?.range
    }

    /// Edit distance of the quote against text starting at `start`, free end: (distance, end).
    static func alignFromStart(_ quote: CodePoints, text: CodePoints, start: Int, maxErrors: Int) -> (Int, Int)? {
        let m = quote.count
        let window = min(text.count - start, m + maxErrors)
        guard window > 0 else { return nil }
        // previous[j]: distance between quote[0..<i] and text[start..<start+j].
        var previous = Array(0...window)
        var current = [Int](repeating: 0, count: window + 1)
        for i in 1...m {
            current[0] = i
            for j in 1...window {
                let cost = quote[i - 1] == text[start + j - 1] ? 0 : 1
                current[j] = min(previous[j - 1] + cost, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        var bestJ = -1
        var bestDistance = Int.max
        for j in 0...window
        where previous[j] < bestDistance || (previous[j] == bestDistance && abs(j - m) < abs(bestJ - m)) {
            bestDistance = previous[j]
            bestJ = j
        }
        return bestDistance <= maxErrors ? (bestDistance, start + bestJ) : nil
    }

    /// Edit distance of the quote against text ending at `end`, free start: (distance, start).
    static func alignToEnd(_ quote: CodePoints, text: CodePoints, end: Int, maxErrors: Int) -> (Int, Int)? {
        let reversedQuote = CodePoints(scalars: quote.scalars.reversed())
        let windowStart = max(0, end - quote.count - maxErrors)
        let reversedText = CodePoints(scalars: text.scalars[windowStart..<end].reversed())
        guard let (distance, length) = alignFromStart(reversedQuote, text: reversedText, start: 0, maxErrors: maxErrors)
        else { return nil }
        return (distance, end - length)
    }
}

/// Text as an array of Unicode code points: the unit of every offset users and tools see.
public struct CodePoints: Sendable, Equatable {
    public var scalars: [UInt32]

    public init(_ text: some StringProtocol) {
        scalars = text.unicodeScalars.map(\.value)
    }

    public init(scalars: some Sequence<UInt32>) {
        self.scalars = Array(scalars)
    }

    /// Code points already in an array, kept as they are.
    public init(scalars: [UInt32]) {
        self.scalars = scalars
    }

    public var count: Int { scalars.count }
    public var isEmpty: Bool { scalars.isEmpty }

    public subscript(index: Int) -> UInt32 { scalars[index] }

    /// The text of a code-point range.
    public func string(_ range: Range<Int>) -> String {
        // Encoded straight into the string's storage: appending scalar by scalar costs several times more.
        String(unsafeUninitializedCapacity: range.count * 4) { buffer in
            var end = 0
            for value in scalars[range] {
                switch value {
                case 0..<0x80:
                    buffer[end] = UInt8(value)
                    end += 1
                case 0x80..<0x800:
                    buffer[end] = UInt8(0xC0 | value >> 6)
                    buffer[end + 1] = UInt8(0x80 | value & 0x3F)
                    end += 2
                case 0xD800..<0xE000:
                    continue  // a lone surrogate is no scalar: left out
                case 0x800..<0x10000:
                    buffer[end] = UInt8(0xE0 | value >> 12)
                    buffer[end + 1] = UInt8(0x80 | value >> 6 & 0x3F)
                    buffer[end + 2] = UInt8(0x80 | value & 0x3F)
                    end += 3
                case 0x10000..<0x110000:
                    buffer[end] = UInt8(0xF0 | value >> 18)
                    buffer[end + 1] = UInt8(0x80 | value >> 12 & 0x3F)
                    buffer[end + 2] = UInt8(0x80 | value >> 6 & 0x3F)
                    buffer[end + 3] = UInt8(0x80 | value & 0x3F)
                    end += 4
                default:
                    continue  // past Unicode's last code point: left out
                }
            }
            return end
        }
    }

    func matches(_ pattern: CodePoints, at index: Int) -> Bool {
        guard index >= 0, index + pattern.count <= count else { return false }
        var offset = 0
        while offset < pattern.count {
            if scalars[index + offset] != pattern.scalars[offset] { return false }
            offset += 1
        }
        return true
    }

    func suffix(_ length: Int) -> CodePoints { CodePoints(scalars: scalars.suffix(length)) }
    func prefix(_ length: Int) -> CodePoints { CodePoints(scalars: scalars.prefix(length)) }
}
