import Foundation

/// A search filter on where an article was published or who wrote it: `pub:工人日报`, `date:2025-04`,
/// `date:2025-04-01..2025-04-30`, `page:3`, `author:陈华`; `-pub:…` excludes.
///
/// Filters stand at the top level of a query, like `tag:`; a query may be filters alone.
///
/// ```swift
/// let query = try SearchQuery.parse("工会 pub:工人日报 date:2025-04")
/// query.metadataFilters.count   // 2
/// ```
public struct MetadataFilter: Sendable, Equatable {
    /// What a filter looks at.
    public enum Kind: String, Sendable, CaseIterable {
        /// The newspaper's name contains the value (case folded).
        case publication = "pub"
        /// The date of the issue: a year, a month, a day, or a range `FROM..TO` (either end may be left out).
        case date
        /// The page (版) number.
        case page
        /// An author's name contains the value (set by hand, or read from the byline).
        case author
    }

    public var kind: Kind
    public var value: String
    public var isExcluded: Bool

    public init(kind: Kind, value: String, isExcluded: Bool = false) {
        self.kind = kind
        self.value = value
        self.isExcluded = isExcluded
    }

    /// The kind a word's prefix names (`pub:`, `date:`, `page:`, `author:`), with the rest of the word.
    static func prefix(of word: String) -> (Kind, String)? {
        guard let colon = word.firstIndex(of: ":") else { return nil }
        let name = word[..<colon].lowercased()
        let kind: Kind? =
            switch name {
            case "pub", "publication": .publication
            case "date": .date
            case "page": .page
            case "author": .author
            default: nil
            }
        return kind.map { ($0, String(word[word.index(after: colon)...])) }
    }

    /// Checks a filter's value.
    ///
    /// - Throws: ``KBError`` of kind ``KBError/Kind/querySyntax`` for an empty value, a date that is not one, or a
    ///   page that is not a whole number.
    static func checked(_ kind: Kind, _ value: String, excluded: Bool, query: String) throws -> MetadataFilter {
        let value = value.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty else {
            throw KBError(
                .querySyntax,
                "The query '\(query)' has '\(kind.rawValue):' with nothing after it; write \(kind.example).")
        }
        switch kind {
        case .date:
            guard let range = dateRange(value) else {
                throw KBError(
                    .querySyntax,
                    "The query '\(query)' has the date '\(value)', which is not one; write date:2025-04, "
                        + "date:2025-04-25 or date:2025-04-01..2025-04-30.")
            }
            return MetadataFilter(
                kind: kind, value: range.from == range.to ? range.from ?? "" : "\(range.from ?? "")..\(range.to ?? "")",
                isExcluded: excluded)
        case .page:
            guard let page = Int(value), page > 0 else {
                throw KBError(
                    .querySyntax, "The query '\(query)' has the page '\(value)', which is not a number; write page:3.")
            }
            return MetadataFilter(kind: kind, value: String(page), isExcluded: excluded)
        case .publication, .author:
            return MetadataFilter(kind: kind, value: value, isExcluded: excluded)
        }
    }

    /// The dates a value spans: one date (`2025-04`) or a range (`2025-04-01..2025-04-30`, `2025-04..`), each end
    /// normalized; nil when an end is not a date or both are missing.
    static func dateRange(_ value: String) -> (from: String?, to: String?)? {
        guard let dots = value.range(of: "..") else {
            guard let date = SourceMetadata.normalizedDate(value) else { return nil }
            return (date, date)
        }
        let fromText = String(value[..<dots.lowerBound])
        let toText = String(value[dots.upperBound...])
        let from = fromText.isEmpty ? nil : SourceMetadata.normalizedDate(fromText)
        let to = toText.isEmpty ? nil : SourceMetadata.normalizedDate(toText)
        guard fromText.isEmpty || from != nil, toText.isEmpty || to != nil, from != nil || to != nil else { return nil }
        return (from, to)
    }

    /// The SQL condition on an article `a`, with its arguments.
    func condition() -> (sql: String, arguments: [String]) {
        let inSources = "a.source_id IN (SELECT source_id FROM source_metadata WHERE "
        var sql: String
        var arguments: [String] = []
        switch kind {
        case .publication:
            sql = inSources + "instr(lower(publication), lower(?)) > 0)"
            arguments = [value]
        case .page:
            sql = inSources + "page = CAST(? AS INTEGER))"
            arguments = [value]
        case .date:
            let (from, to) = Self.dateRange(value) ?? (nil, nil)
            var parts: [String] = []
            // A date matches a shorter one it falls in: 2025-04-25 is in 2025-04; the other way round does not.
            if let from, from == to {
                parts.append("substr(issued, 1, \(from.count)) = ?")
                arguments.append(from)
            } else {
                if let from {
                    parts.append("issued >= ?")
                    arguments.append(from)
                }
                if let to {
                    parts.append("substr(issued, 1, \(to.count)) <= ?")
                    arguments.append(to)
                }
            }
            sql = inSources + "issued IS NOT NULL AND " + parts.joined(separator: " AND ") + ")"
        case .author:
            sql = """
                (a.id IN (SELECT article_id FROM article_authors WHERE instr(authors, ?) > 0)
                 OR (a.id NOT IN (SELECT article_id FROM article_authors)
                     AND instr(kb_authors(a.byline, a.dateline, a.body), ?) > 0))
                """
            arguments = [value, value]
        }
        return (isExcluded ? "NOT COALESCE(\(sql), 0)" : sql, arguments)
    }
}

extension MetadataFilter.Kind {
    var example: String {
        switch self {
        case .publication: "pub:工人日报"
        case .date: "date:2025-04"
        case .page: "page:3"
        case .author: "author:陈华"
        }
    }
}
