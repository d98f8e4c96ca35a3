/// The fields that changes set, as stored in the history and sent on the wire.
public enum ChangeField: String, Sendable, Codable, CaseIterable, Comparable {
    /// The creation of a record, which holds every field.
    case create = "*"
    /// Whether the record is deleted; a change of it is made on every field's heads.
    case deleted
    // Articles: the text a user edits.
    case title, subtitle, kicker, byline, dateline, body
    // Articles: where they stand.
    case sourceID = "source_id"
    case position
    /// `（上接第1版）` / `（下转第2版）`: the pages an article comes from and goes on to.
    case continuation
    // Annotations.
    case note, color
    /// The article an annotation is on: moved by `kb merge` and `kb split` with the text it marks.
    case articleID = "article_id"
    // Tag membership.
    case present
    // Conflicts.
    case resolution
    // Sources: where a page was published (``SourceMetadata``), each a JSON string, "" when cleared.
    case publication, issued, page, edition, url, extra
    case pageName = "page_name"
    // Articles: who wrote them, when set by hand (``ArticleAuthors``).
    case authors

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The fields of an entity that a set change may name.
    public static func settable(on entity: EntityKind) -> Set<ChangeField> {
        switch entity {
        case .article: Set(Article.textFields + Article.placeFields + [.deleted, .authors])
        case .annotation: [.note, .color, .articleID, .deleted]
        case .tag: [.present]
        case .conflict: [.resolution]
        case .source: Set(SourceMetadata.fields)
        }
    }
}

/// Fields as the keys of a JSON object (the metadata set by hand in a dump).
extension ChangeField: CodingKeyRepresentable {}
