/// Something with an article's text fields: an article, its creation, an item of a page.
public protocol ArticleText {
    var title: String { get }
    var subtitle: String { get }
    var kicker: String { get }
    var byline: String { get }
    var dateline: String { get }
    var body: String { get }
}

extension ArticleText {
    /// The value of a text field, nil for a field that is not one of the text fields.
    public func text(_ field: ChangeField) -> String? {
        switch field {
        case .title: title
        case .subtitle: subtitle
        case .kicker: kicker
        case .byline: byline
        case .dateline: dateline
        case .body: body
        default: nil
        }
    }
}

extension Article: ArticleText {}
extension ArticleCreation: ArticleText {}
extension PageItem: ArticleText {}
