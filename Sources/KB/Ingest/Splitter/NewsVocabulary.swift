import Foundation

/// The words of a Chinese newspaper page that the splitter reads.
///
/// News agencies, reporters' roles, and the markers of a continued article: every pattern of the
/// splitter is built from these lists.
enum NewsVocabulary {
    /// Who a dateline or a byline names: `新华社北京4月24日电`, `本报记者 X`.
    static let agencies = ["新华社", "本报", "中新社", "人民日报", "央视", "光明日报", "经济日报", "中国日报"]

    /// The roles a byline gives, longest first: `本报记者 X`, `本报通讯员 X`, `新华社特约记者 X`.
    static let reporterRoles = ["摄影记者", "记者", "通讯员"]

    /// `（上接第1版）`: the article began on another page.
    static let continuedFromWords = ["上接", "接", "续"]
    /// `（下转第2版）`: the article goes on on another page.
    static let continuedOnWords = ["下转", "转"]

    static var agencyAlternation: String { agencies.joined(separator: "|") }
    static var roleAlternation: String { reporterRoles.joined(separator: "|") }

    /// First characters of a dateline that opens an article: 据 and each agency's first character.
    static let datelineInitials: Set<UInt32> = Set(
        (agencies.compactMap { $0.unicodeScalars.first?.value }) + [0x636E])  // 据

    /// A date as datelines print it, `4月24日`, full-width digits too.
    static let date = "[0-9０-９]{1,2}月[0-9０-９]{1,2}日"
    /// The page number of a continuation, `1`, `１２`, `十二`.
    static let pageNumber = "[0-9０-９一二三四五六七八九十]{1,3}"

    /// Builds a pattern from the lists above; the patterns are fixed, so a failure is a bug here.
    static func regex(_ pattern: String) -> Regex<AnyRegexOutput> {
        do {
            return try Regex(pattern)
        } catch {
            preconditionFailure("Invalid splitter pattern \(pattern): \(error)")
        }
    }
}
