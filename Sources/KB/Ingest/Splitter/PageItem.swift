import Foundation

/// One item found on a newspaper page: an article, a photo caption or a column note.
public struct PageItem: Equatable, Sendable {
    public enum Kind: String, Sendable, Codable {
        case article, caption, column
    }

    public var kind: Kind = .article
    public var kicker = ""
    /// Empty when the page prints the item without a headline.
    public var title = ""
    public var subtitle = ""
    public var byline = ""
    public var dateline = ""
    /// Paragraphs separated by a blank line.
    public var body = ""
    /// The second copy of the headline block when the page prints it twice.
    ///
    /// Lines are joined by "\n". It is not part of the item's text: it repeats `kicker`, `title`
    /// and `subtitle`.
    public var repeatedHeadline = ""
    /// The continuation markers, `（上接第1版）` and `（下转第2版）`, as printed.
    ///
    /// Joined by "\n": where the article comes from and goes on. Not part of the body.
    public var continuation = ""

    public init(
        kind: Kind = .article, kicker: String = "", title: String = "", subtitle: String = "", byline: String = "",
        dateline: String = "", body: String = ""
    ) {
        self.kind = kind
        self.kicker = kicker
        self.title = title
        self.subtitle = subtitle
        self.byline = byline
        self.dateline = dateline
        self.body = body
    }

    /// Every text field, in reading order, and the continuation markers.
    public var fields: [String] { textFields + [continuation] }

    /// The fields an article's text has: every field but the continuation markers.
    public var textFields: [String] { [kicker, title, subtitle, dateline, byline, body] }

    /// What an imported item's id is derived from: its text fields, and its continuation markers when
    /// it has any (an item without them keeps the id it had before they were read).
    public var identityFields: [String] { continuation.isEmpty ? textFields : fields }
}
