import Foundation

/// One non-empty line of the page, cleaned, with what the splitter needs to know about it.
struct PageLine {
    let text: String
    let width: Int
    var marker: Marker
    let endsSentence: Bool
    let endsWithQuestionOrExclamation: Bool
    /// Ends with ？, ！ or …: a title may, as a sentence does.
    var mayEndATitle: Bool { endsWithQuestionOrExclamation || endsWithEllipsis }
    let endsWithEllipsis: Bool
    /// The line ends with `——`, as a kicker does; a single `—` there is a dash wrapped inside
    /// the text (`扎耶尼—` / `伊拜尔公路`).
    let endsWithDash: Bool
    let endsWithCredit: Bool
    /// The width of the photo credit that ends the line, 0 without one.
    let creditWidth: Int
    let endsWithComma: Bool
    let endsWithColon: Bool
    /// A 。 before the end: a headline never has one.
    let hasInnerFullStop: Bool
    /// The line ends with a dateline in brackets, standing alone or run into the last paragraph,
    /// perhaps begun on the line before: `…上水平。”（新` / `华社北京7月9日电）`.
    var endsWithDateline = false
    /// The line ends with `（下转第2版）`: the article goes on on another page.
    var endsWithContinuation: Bool
    /// The line ends an article: with a closing dateline or a continuation marker.
    var endsWithEndMarker: Bool { endsWithDateline || endsWithContinuation }
    /// The line holds digits or Latin letters, which take half the width of a CJK character.
    let hasHalfWidth: Bool

    init(raw: Substring, text: String) {
        self.text = text
        width = TextCleaner.width(text)
        hasHalfWidth = text.unicodeScalars.contains { $0.isASCII && TextCleaner.isASCIIAlnum($0) }
        marker = Self.marker(of: text)
        let scalars = Array(text.unicodeScalars)
        // The last character before closing quotes and brackets.
        var last = scalars.count - 1
        while last >= 0, Self.closers.contains(scalars[last].value) { last -= 1 }
        let final = last >= 0 ? scalars[last].value : 0
        endsSentence = Self.sentenceEnds.contains(final)
        endsWithQuestionOrExclamation = [0xFF1F, 0xFF01, 0x3F, 0x21].contains(final)
        endsWithEllipsis = final == 0x2026
        hasInnerFullStop = scalars[..<max(0, last)].contains { $0.value == 0x3002 }
        endsWithDash = text.utf8HasSuffix("——")
        let spacedCredit = raw.last == "摄" && raw.dropLast().last?.unicodeScalars.first.map(TextCleaner.isSpace) == true
        let credit = Self.creditRange(in: text, spacedInSource: spacedCredit)
        endsWithCredit = credit != nil
        creditWidth = credit.map { TextCleaner.width(String(text[$0])) } ?? 0
        let end = scalars.last?.value ?? 0
        endsWithComma = Self.pauses.contains(end)
        endsWithColon = end == 0xFF1A || end == 0x3A
        endsWithContinuation = (end == 0xFF09 || end == 0x29) && Self.continuedOnRange(in: text) != nil
    }

    /// The range of `（下转第2版）` closing the text.
    static func continuedOnRange(in text: String) -> Range<String.Index>? {
        guard text.utf8HasSuffix("版）") || text.utf8HasSuffix("版)") else { return nil }
        return text.firstMatch(of: continuedOnSuffixPattern)?.range
    }

    /// The range of `（上接第1版）` opening the text.
    static func continuedFromRange(in text: String) -> Range<String.Index>? {
        guard text.utf8HasPrefix("（") || text.utf8HasPrefix("(") else { return nil }
        return text.prefixMatch(of: continuedFromPattern)?.range
    }

    /// True when the line's last character before closing quotes and brackets ends a sentence.
    static func endsSentence(_ text: String) -> Bool {
        for scalar in text.unicodeScalars.reversed() where !closers.contains(scalar.value) {
            return sentenceEnds.contains(scalar.value)
        }
        return false
    }

    static func lines(of text: String) -> [PageLine] {
        // Lines split on the bytes: Character-wise splitting is many times slower on long pages.
        var lines = text.utf8.split(omittingEmptySubsequences: true, whereSeparator: { $0 == 0x0A || $0 == 0x0D })
            .compactMap { bytes -> PageLine? in
                let raw = Substring(bytes)
                let text = TextCleaner.cleanLine(raw)
                return text.isEmpty ? nil : PageLine(raw: TextCleaner.trimmed(raw), text: text)
            }
        // A bracketed byline alone on its line under a headline opens the article whose `本报讯` was lost
        // (after a sentence it may be the signature closing an article).
        for index in lines.indices.dropFirst().dropLast()
        where lines[index].marker == .none
            && (lines[index].text.utf8HasSuffix("）") || lines[index].text.utf8HasSuffix(")"))
            && !lines[index - 1].endsSentence && !lines[index - 1].endsWithCredit
            && !lines[index + 1].marker.startsArticle && lines[index].text.wholeMatch(of: bracketedBylinePattern) != nil
        {
            lines[index].marker = .bylineStart
        }
        // `（下转第6版）` wrapped after its first characters: `…器材。（下转第` / `6版）`.
        for index in lines.indices.dropFirst()
        where !lines[index].endsWithContinuation && !lines[index - 1].endsSentence
            && (lines[index].text.utf8HasSuffix("版）") || lines[index].text.utf8HasSuffix("版)"))
        {
            let before = String(lines[index - 1].text.suffix(8))
            if let range = continuedOnRange(in: before + lines[index].text),
                range.lowerBound
                    < (before + lines[index].text).index(
                        (before + lines[index].text).startIndex, offsetBy: before.count)
            {
                lines[index].endsWithContinuation = true
            }
        }
        // Datelines closing an article end with `电）` or `讯）`.
        for index in lines.indices
        where ["电）", "讯）", "电)", "讯)"].contains(where: { lines[index].text.utf8HasSuffix($0) }) {
            let before = index > 0 && !lines[index - 1].endsSentence ? String(lines[index - 1].text.suffix(30)) : ""
            let joined = before + lines[index].text
            guard let range = datelineEndRange(in: joined) else { continue }
            lines[index].endsWithDateline = true
            // `新华社长沙9月7日电）` under `…（据` closes an article: it opens none.
            if joined.distance(from: joined.startIndex, to: range.lowerBound) < before.count {
                lines[index].marker = .none
            }
        }
        return lines
    }

    /// The range of a bracketed dateline closing the text: `…上水平。”（新华社北京7月9日电）`.
    static func datelineEndRange(in text: String) -> Range<String.Index>? {
        guard text.utf8HasSuffix("）") || text.utf8HasSuffix(")") else { return nil }
        return text.firstMatch(of: datelineEndSuffixPattern)?.range
    }

    /// Characters that end a sentence: `。！？!?…` and `．`.
    static let sentenceEnds: Set<UInt32> = [0x3002, 0xFF01, 0xFF1F, 0x21, 0x3F, 0x2026, 0xFF0E]
    /// Pauses inside a sentence: `，`, `、`, `；` and their ASCII forms.
    static let pauses: Set<UInt32> = [0xFF0C, 0x3001, 0xFF1B, 0x2C, 0x3B]
    /// Closing quotes and brackets that may follow the end of a sentence.
    static let closers: Set<UInt32> = [0x201D, 0x2019, 0x300D, 0x300F, 0xFF09, 0x29, 0x3011, 0x300B, 0x22]

    /// The quotes and brackets left open at the end of the text.
    ///
    /// A closing one with none open is not counted: `’97` uses a quote as an apostrophe.
    static func bracketDepth(_ text: String) -> Int {
        var depth = 0
        for scalar in text.unicodeScalars {
            switch scalar {
            case "“", "‘", "『", "「", "《", "（", "(", "【", "〈": depth += 1
            case "”", "’", "』", "」", "》", "）", ")", "】", "〉": depth = max(0, depth - 1)
            default: break
            }
        }
        return depth
    }

    static func marker(of text: String) -> Marker {
        if text.utf8HasPrefix("本报"), text.prefixMatch(of: newsflashPattern) != nil { return .newsflash }
        if let range = continuedFromRange(in: text) {
            return range.upperBound == text.endIndex ? .continued : .continuedRunIn
        }
        // Cheap tests first: most lines are running text, and these patterns are costly to try.
        let first = text.unicodeScalars.first?.value ?? 0
        let short = text.utf8.count <= 150
        if short, !text.utf8HasSuffix("摄"), text.utf8Contains("记者") || text.utf8Contains("通讯员"),
            text.wholeMatch(of: bylineLinePattern) != nil
        {
            return .bylineLine
        }
        if NewsVocabulary.datelineInitials.contains(first),
            text.prefix(30).contains(where: { $0 == "电" || $0 == "讯" }),
            text.prefixMatch(of: datelineStartPattern) != nil
        {
            return .datelineStart
        }
        if first == 0xFF08 || first == 0x28 {
            if short, text.utf8HasSuffix("）") || text.utf8HasSuffix(")") {
                if text.wholeMatch(of: datelineEndPattern) != nil { return .datelineEnd }
                if let range = continuedOnRange(in: text), range.lowerBound == text.startIndex { return .continuedOn }
            }
            // Text follows the byline on its line: a bracket alone is no opening.
            if text.prefix(40).contains(where: { $0 == "记" || $0 == "通" }),
                let match = text.prefixMatch(of: bracketedBylinePattern), match.range.upperBound != text.endIndex
            {
                return .bylineStart
            }
        }
        return .none
    }

    static let agencies = NewsVocabulary.agencyAlternation
    static let roles = NewsVocabulary.roleAlternation
    static let date = NewsVocabulary.date

    /// `本报讯`, and the forms extraction mangles it into: `本报第109号讯`, `本报专讯`, `本报讯讯`.
    nonisolated(unsafe) static let newsflashPattern = NewsVocabulary.regex(
        #"本报\s?(?:第?[0-9０-９]{1,4}号|专|讯)?\s?讯"#)
    nonisolated(unsafe) static let bylineLinePattern = NewsVocabulary.regex(
        #"(?:(?:\#(agencies))(?:特约)?(?:\#(roles)))\s?[\p{Han}·]{2,4}"#
            + #"(?:(?:、|，|\s)(?:\#(agencies))?(?:特约)?(?:\#(roles))?\s?[\p{Han}·]{2,4}){0,4}"#)
    /// `（记者 陈华 通讯员 王哲）`, `（方亮记者邓冬晶通讯员姚浩）` opening a line of text.
    nonisolated(unsafe) static let bracketedBylinePattern = NewsVocabulary.regex(
        #"[（(][\p{Han}·\s]{0,12}(?:特约)?(?:\#(roles))\s?[\p{Han}·][\p{Han}·、，\s]{1,30}[）)]"#)
    /// A dateline opening an article, dated, or with its date lost (then followed by a bracket).
    nonisolated(unsafe) static let datelineStartPattern = NewsVocabulary.regex(
        #"(?:据)?(?:\#(agencies))(?:\p{Han}{0,12}\#(date)(?:电|讯)|\p{Han}{0,8}?(?:[0-9０-９]{1,2}月日?)?电(?=[（(]))"#)
    nonisolated(unsafe) static let datelineEndPattern = NewsVocabulary.regex(
        #"[（(](?:据)?(?:\#(agencies))[^）)]{0,24}(?:电|讯)[）)]"#)
    nonisolated(unsafe) static let datelineEndSuffixPattern = NewsVocabulary.regex(
        #"[（(](?:据)?(?:\#(agencies))[^（(）)]{0,24}(?:电|讯)[）)]$"#)
    nonisolated(unsafe) static let continuedFromPattern = NewsVocabulary.regex(
        #"[（(](?:\#(NewsVocabulary.continuedFromWords.joined(separator: "|")))第?\s?\#(NewsVocabulary.pageNumber)\s?版[）)]"#
    )
    nonisolated(unsafe) static let continuedOnSuffixPattern = NewsVocabulary.regex(
        #"[（(](?:\#(NewsVocabulary.continuedOnWords.joined(separator: "|")))第?\s?\#(NewsVocabulary.pageNumber)\s?版[）)]$"#
    )

    nonisolated(unsafe) static let rolePattern = NewsVocabulary.regex(#"(?:\#(agencies))(?:特约)?(?:摄影记者|记者|通讯员)"#)
    nonisolated(unsafe) static let namesPattern = /[\p{Han}·、，\s]{2,20}摄/
    nonisolated(unsafe) static let creditPattern = NewsVocabulary.regex(
        #"(?:(?:(?:\#(agencies))?(?:特约)?(?:\#(roles))?\s?)?[\p{Han}·]{2,5}(?:(?:、|，|\s)[\p{Han}·]{2,5}){0,3}\s?摄)$"#)

    /// The range of a photo credit (`本报通讯员 徐浩儒 摄`) at the end of the text.
    ///
    /// A credit names a role (记者, 通讯员, 摄影) unless the source set `摄` apart with a space:
    /// "…等拍摄" at the end of a line is not a credit.
    static func creditRange(in text: String, spacedInSource: Bool) -> Range<String.Index>? {
        guard text.utf8HasSuffix("摄") else { return nil }
        // The credit follows the caption's last sentence.
        let searchStart =
            text.lastIndex(where: { "。！？）”".contains($0) }).map { text.index(after: $0) } ?? text.startIndex
        let tail = text[searchStart...]
        // A credit that names its role takes all the names after it, however they were spaced
        // (`本报记者冯彬昊叶英伟摄` from a letter-spaced line).
        if let start = tail.firstIndex(where: { !$0.isWhitespace }),
            let role = tail[start...].prefixMatch(of: rolePattern),
            tail[role.range.upperBound...].wholeMatch(of: namesPattern) != nil
        {
            return start..<text.endIndex
        }
        guard let match = tail.firstMatch(of: creditPattern) else { return nil }
        let credit = tail[match.range]
        guard spacedInSource || credit.utf8Contains("记者") || credit.utf8Contains("通讯员") || credit.utf8Contains("摄影")
        else {
            return nil
        }
        return match.range
    }
}
