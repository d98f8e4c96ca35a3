import Foundation
import GRDB

/// A continuation marker of an article: `（上接第1版）` (it comes from page 1) or `（下转第2版）` (it goes
/// on on page 2).
public struct ContinuationMarker: Sendable, Equatable {
    public enum Direction: String, Sendable {
        /// `（上接第N版）`, `（接第N版）`, `（续第N版）`: the article began on page N.
        case from
        /// `（下转第N版）`, `（转第N版）`: the article goes on on page N.
        case on
    }

    public var direction: Direction
    /// The page number printed, nil when it cannot be read.
    public var page: Int?
    /// The marker as printed.
    public var text: String

    /// The markers of an article's `continuation` field, one a line.
    public static func markers(in continuation: String) -> [ContinuationMarker] {
        continuation.split(separator: "\n").compactMap { line in
            let text = String(line)
            let inner = TextCleaner.removingWhitespace(text).dropFirst()
            let direction: Direction
            if NewsVocabulary.continuedOnWords.contains(where: { inner.hasPrefix($0) }) {
                direction = .on
            } else if NewsVocabulary.continuedFromWords.contains(where: { inner.hasPrefix($0) }) {
                direction = .from
            } else {
                return nil
            }
            return ContinuationMarker(direction: direction, page: pageNumber(in: inner), text: text)
        }
    }

    /// The page number in `上接第１２版`: Arabic or full-width digits, or Chinese numerals up to 99.
    static func pageNumber(in text: Substring) -> Int? {
        let numerals: [Character: Int] = ["一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9]
        var digits = ""
        var chinese: [Character] = []
        for character in text {
            let isDigit = character.isASCII || ("０"..."９").contains(character)
            if isDigit, let value = character.wholeNumberValue {
                digits.append(String(value))
            } else if numerals[character] != nil || character == "十" {
                chinese.append(character)
            }
        }
        if let number = Int(digits) { return number }
        guard !chinese.isEmpty else { return nil }
        // 十二 = 12, 二十 = 20, 二十一 = 21, 三 = 3.
        if let ten = chinese.firstIndex(of: "十") {
            let tens = ten == 0 ? 1 : numerals[chinese[ten - 1]] ?? 1
            let ones = ten + 1 < chinese.count ? numerals[chinese[ten + 1]] ?? 0 : 0
            return tens * 10 + ones
        }
        return numerals[chinese[0]]
    }
}

/// The other parts of an article printed over two pages, when the knowledge base holds them.
public struct ContinuationLinks: Sendable, Equatable {
    /// The part this article continues (it printed `（上接第N版）`).
    public var from: Article?
    /// The part that continues this article (it printed `（下转第N版）`).
    public var on: Article?

    public init(from: Article? = nil, on: Article? = nil) {
        self.from = from
        self.on = on
    }
}

extension KnowledgeBase {
    /// The parts an article's continuation markers point to.
    ///
    /// An article that printed `（上接第N版）` continues a live article that printed `（下转第M版）`
    /// under the same headline (whitespace aside; newspapers repeat it on the continuation page),
    /// and the other way round. When several match, the one stored last wins.
    static func continuationLinks(_ db: Database, of article: Article) throws -> ContinuationLinks {
        let markers = ContinuationMarker.markers(in: article.continuation)
        guard !markers.isEmpty, !article.title.isEmpty else { return ContinuationLinks() }
        let title = TextCleaner.removingWhitespace(article.title)
        let candidates = try Article.fetchAll(
            db,
            sql: """
                SELECT * FROM articles WHERE continuation != '' AND deleted = 0 AND id != ?
                ORDER BY rowid DESC
                """, arguments: [article.id]
        ).filter { TextCleaner.removingWhitespace($0.title) == title }
        func part(_ direction: ContinuationMarker.Direction) -> Article? {
            guard markers.contains(where: { $0.direction == direction }) else { return nil }
            let wanted: ContinuationMarker.Direction = direction == .from ? .on : .from
            return candidates.first { candidate in
                ContinuationMarker.markers(in: candidate.continuation).contains { $0.direction == wanted }
            }
        }
        return ContinuationLinks(from: part(.from), on: part(.on))
    }

    /// The parts an article's continuation markers point to (see ``continuationLinks(_:of:)``).
    public func continuationLinks(of idOrPrefix: String) throws -> ContinuationLinks {
        let id = try resolveArticleID(idOrPrefix)
        return try read { db in
            guard let article = try Article.fetch(db, id: id) else { throw KBError.notFound("article", id) }
            return try Self.continuationLinks(db, of: article)
        }
    }

    /// The whole article an article is part of: its parts in reading order, following continuation
    /// links both ways (at most 20 parts).
    public func continuedParts(of idOrPrefix: String) throws -> [ArticleDetail] {
        let id = try resolveArticleID(idOrPrefix)
        var parts = [try article(id)]
        var seen: Set<String> = [id]
        while parts.count < 20, let previous = try continuationLinks(of: parts[0].article.id).from,
            seen.insert(previous.id).inserted
        {
            parts.insert(try article(previous.id), at: 0)
        }
        while parts.count < 20, let next = try continuationLinks(of: parts[parts.count - 1].article.id).on,
            seen.insert(next.id).inserted
        {
            parts.append(try article(next.id))
        }
        return parts
    }
}
