import Foundation

/// Where a page was published: the newspaper, the date of the issue, the page (版) and its name, the edition,
/// a URL, and free fields.
///
/// A page's metadata comes from what the page and its file name give (``MetadataExtractor``), corrected by hand
/// with `kb source set`; the articles of a page share it.
///
/// ```swift
/// var metadata = SourceMetadata()
/// metadata.publication = "工人日报"
/// metadata.issued = "2025-04-25"
/// metadata.page = 3
/// ```
public struct SourceMetadata: Sendable, Equatable, Codable {
    /// The newspaper or periodical, as it names itself: `工人日报`.
    public var publication: String?
    /// The date of the issue: `2025-04-25`, or `2025-04` or `2025` when only that much is known.
    public var issued: String?
    /// The page (版) number.
    public var page: Int?
    /// The page's name: `要闻`, `工会新闻`.
    public var pageName: String?
    /// The edition: `海外版`, `第二版`.
    public var edition: String?
    /// Where the page or article is online.
    public var url: String?
    /// Free fields, by name.
    public var extra: [String: String]

    enum CodingKeys: String, CodingKey {
        case publication, issued, page, edition, url, extra
        case pageName = "page_name"
    }

    public init(
        publication: String? = nil, issued: String? = nil, page: Int? = nil, pageName: String? = nil,
        edition: String? = nil, url: String? = nil, extra: [String: String] = [:]
    ) {
        self.publication = publication
        self.issued = issued
        self.page = page
        self.pageName = pageName
        self.edition = edition
        self.url = url
        self.extra = extra
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        publication = try container.decodeIfPresent(String.self, forKey: .publication)
        issued = try container.decodeIfPresent(String.self, forKey: .issued)
        page = try container.decodeIfPresent(Int.self, forKey: .page)
        pageName = try container.decodeIfPresent(String.self, forKey: .pageName)
        edition = try container.decodeIfPresent(String.self, forKey: .edition)
        url = try container.decodeIfPresent(String.self, forKey: .url)
        extra = try container.decodeIfPresent([String: String].self, forKey: .extra) ?? [:]
    }

    /// The change fields of a source's metadata, in the order they are shown.
    public static let fields: [ChangeField] = [.publication, .issued, .page, .pageName, .edition, .url, .extra]

    /// True when nothing is known.
    public var isEmpty: Bool {
        publication == nil && issued == nil && page == nil && pageName == nil && edition == nil && url == nil
            && extra.isEmpty
    }

    /// The value of a field as text, nil when unknown (`extra` as a JSON object).
    public func text(_ field: ChangeField) -> String? {
        switch field {
        case .publication: publication
        case .issued: issued
        case .page: page.map(String.init)
        case .pageName: pageName
        case .edition: edition
        case .url: url
        case .extra: extra.isEmpty ? nil : (try? JSONText.encode(extra))
        default: nil
        }
    }

    /// Sets a field from text; an empty text clears it.
    ///
    /// - Throws: ``KBError`` of kind ``KBError/Kind/invalidArgument`` for a page that is not a whole number, a date
    ///   not in the form `YYYY[-MM[-DD]]`, or free fields that are not a JSON object of strings.
    public mutating func set(_ field: ChangeField, text: String) throws {
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let given: String? = value.isEmpty ? nil : value
        switch field {
        case .publication: publication = given
        case .issued:
            guard let given else {
                issued = nil
                return
            }
            guard let date = Self.normalizedDate(given) else {
                throw KBError(
                    .invalidArgument, "The date '\(given)' is not a date; write it as YYYY-MM-DD (or YYYY-MM, or YYYY)."
                )
            }
            issued = date
        case .page:
            guard let given else {
                page = nil
                return
            }
            guard let number = Int(given), number > 0, number < 100_000 else {
                throw KBError(
                    .invalidArgument, "The page '\(given)' is not a page number; give a whole number such as 3.")
            }
            page = number
        case .pageName: pageName = given
        case .edition: edition = given
        case .url: url = given
        case .extra:
            guard let given else {
                extra = [:]
                return
            }
            guard let object = try? JSONText.decode([String: String].self, from: given) else {
                throw KBError(.invalidArgument, "The free fields are not a JSON object of strings.")
            }
            extra = object
        default:
            preconditionFailure("'\(field.rawValue)' is not a field of a source's metadata")
        }
    }

    /// The metadata with every field that `other` knows taken from it.
    public func overlaid(with other: SourceMetadata) -> SourceMetadata {
        var result = self
        result.publication = other.publication ?? publication
        result.issued = other.issued ?? issued
        result.page = other.page ?? page
        result.pageName = other.pageName ?? pageName
        result.edition = other.edition ?? edition
        result.url = other.url ?? url
        result.extra.merge(other.extra) { _, new in new }
        return result
    }

    /// The date parts of ``issued``: year, and month and day when known.
    public var dateParts: [Int] {
        guard let issued else { return [] }
        return issued.split(separator: "-").compactMap { Int($0) }
    }

    /// A date written `2025-04-25`, `2025-4-5`, `2025/04/25`, `2025.04.25`, `20250425`, `2025年4月25日`, `2025-04`
    /// or `2025`, as `YYYY[-MM[-DD]]`; nil when it is not a real date.
    public static func normalizedDate(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var parts: [Int]
        if trimmed.count == 8, trimmed.allSatisfy(\.isASCIIDigit) {
            let digits = Array(trimmed)
            parts = [String(digits[0..<4]), String(digits[4..<6]), String(digits[6..<8])].compactMap { Int($0) }
        } else {
            let separators: Set<Character> = ["-", "/", ".", "年", "月", "日"]
            let pieces = trimmed.split(whereSeparator: { separators.contains($0) })
            guard (1...3).contains(pieces.count), pieces.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) && $0.count <= 4 })
            else { return nil }
            parts = pieces.compactMap { Int($0) }
            guard pieces[0].count == 4, pieces.dropFirst().allSatisfy({ $0.count <= 2 }) else { return nil }
        }
        guard let year = parts.first, (1800...2200).contains(year) else { return nil }
        func padded(_ number: Int, _ width: Int) -> String {
            let digits = String(number)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var result = padded(year, 4)
        if parts.count > 1 {
            guard (1...12).contains(parts[1]) else { return nil }
            result += "-" + padded(parts[1], 2)
        }
        if parts.count > 2 {
            let days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][parts[1] - 1]
            let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            guard (1...days).contains(parts[2]), parts[1] != 2 || parts[2] < 29 || isLeap else { return nil }
            result += "-" + padded(parts[2], 2)
        }
        return result
    }
}

extension Character {
    /// True for 0 to 9 (ASCII only).
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
