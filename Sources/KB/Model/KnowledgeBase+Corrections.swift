import Foundation
import GRDB

/// Where `kb split` cuts an article's body.
public enum SplitPoint: Sendable, Equatable {
    /// Before the only occurrence of this text in the body.
    case before(String)
    /// At this many Unicode code points into the body.
    case offset(Int)
}

/// What a correction of a page's split (merge, split, headline move) left.
public struct CorrectionResult: Sendable, Equatable {
    /// The articles the correction wrote, in page order.
    public var articles: [Article]
    /// Articles moved to the trash (the parts a merge joined into the first).
    public var trashed: [String] = []
    /// Annotations that moved to another article with their text.
    public var annotationsMoved = 0
    /// How the annotations of the written articles stand now.
    public var counts = ReanchorCounts()
}

// MARK: - Corrections of a page's split

extension KnowledgeBase {
    /// Joins items of one page into the first of them in page order: its body followed by theirs.
    ///
    /// The others go to the trash; their annotations and tags move to the joined article with their
    /// text. A headline field the first item lacks is taken from the next that has it; any other
    /// headline line stays as a paragraph before its part's text, and a dateline or byline runs into
    /// its part's first paragraph, so that no text is lost.
    ///
    /// - Parameter idsOrPrefixes: Two or more article ids (or unique prefixes).
    /// - Returns: The joined article, the trashed ids and the annotations moved.
    /// - Throws: `KBError` when fewer than two distinct articles are given, one is missing or in the
    ///   trash, or they are not items of one imported page.
    public func mergeArticles(_ idsOrPrefixes: [String]) throws -> CorrectionResult {
        var ids: [String] = []
        for value in idsOrPrefixes {
            let id = try resolveArticleID(value)
            if !ids.contains(id) { ids.append(id) }
        }
        guard ids.count >= 2 else {
            throw KBError.invalid("Give two or more different articles to merge, e.g. 'kb merge ID ID'.")
        }
        return try write { db, changes in
            var parts: [Article] = []
            for id in ids {
                guard let article = try Article.fetch(db, id: id), !article.isDeleted else {
                    throw KBError.notFound("article", id)
                }
                parts.append(article)
            }
            guard let sourceID = parts[0].sourceID, parts.allSatisfy({ $0.sourceID == sourceID }) else {
                throw KBError.invalid(
                    "Only items of one imported page can be merged; "
                        + "'kb show ID' gives each article's source.")
            }
            parts.sort { ($0.position, $0.id) < ($1.position, $1.id) }
            let first = parts[0]
            let merged = Self.joined(parts)
            var result = CorrectionResult(articles: [])
            let now = changes.timestamp
            for part in parts.dropFirst() {
                for annotation in try Self.annotations(db, articleID: part.id) {
                    try changes.set(.annotation, id: annotation.id, field: .articleID, json: JSONText.string(first.id))
                    try Materializer.annotation(db, id: annotation.id, now: now)
                    result.annotationsMoved += 1
                }
                for tag in try Self.tagsByEntity(db, ids: [part.id])[part.id] ?? [] {
                    try Self.setTag(db, &changes, entity: .article, entityID: first.id, tag: tag, present: true)
                }
                try changes.set(.article, id: part.id, field: Change.deletedField, json: "true")
                try Materializer.article(db, id: part.id, now: now)
                result.trashed.append(part.id)
            }
            if merged.continuation != first.continuation {
                try changes.set(
                    .article, id: first.id, field: .continuation, json: JSONText.string(merged.continuation))
            }
            result.counts = try applyArticleEdit(db, &changes, from: first, to: merged)
            result.articles = [try Article.fetch(db, id: first.id) ?? merged]
            return result
        }
    }

    /// The parts of a page joined into the first, in the order given (see ``mergeArticles(_:)``).
    static func joined(_ parts: [Article]) -> Article {
        var merged = parts[0]
        let headlineFields: [ChangeField] = [.kicker, .title, .subtitle]
        for part in parts.dropFirst() {
            var paragraphs: [String] = []
            for field in headlineFields {
                let value = part.text(field) ?? ""
                if value.isEmpty { continue }
                if merged.text(field)?.isEmpty == true {
                    merged.setText(field, value)
                } else {
                    paragraphs.append(value)
                }
            }
            var lead = ""
            for field in [ChangeField.dateline, .byline] {
                let value = part.text(field) ?? ""
                if value.isEmpty { continue }
                if merged.text(field)?.isEmpty == true { merged.setText(field, value) } else { lead += value }
            }
            // A closing dateline (`（新华社…电）`) stays at the end of its part's text.
            let body = lead.hasPrefix("（") || lead.hasPrefix("(") ? part.body + lead : lead + part.body
            paragraphs.append(body)
            let text = paragraphs.filter { !$0.isEmpty }.joined(separator: "\n\n")
            merged.body = [merged.body, text].filter { !$0.isEmpty }.joined(separator: "\n\n")
            let markers = (merged.continuation.split(separator: "\n") + part.continuation.split(separator: "\n"))
                .map(String.init)
            merged.continuation = markers.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
                .joined(separator: "\n")
        }
        return merged
    }

    /// Splits an article's body in two: the article keeps the text before the cut, a new article of the
    /// same page, just after it, gets the rest.
    ///
    /// Annotations on the text after the cut move to the new article; one that spans the cut stays and
    /// anchors on what is left of its text. With `titleLine`, the first line of the text after the cut
    /// is the new article's title (a headline the page split left inside the body).
    ///
    /// - Returns: Both articles, in page order, and the annotations moved.
    /// - Throws: `KBError` when the cut is at the start or end of the body, the text is not found or
    ///   found more than once, or the article is missing.
    public func splitArticle(_ idOrPrefix: String, at point: SplitPoint, titleLine: Bool = false) throws
        -> CorrectionResult
    {
        let id = try resolveArticleID(idOrPrefix)
        return try write { db, changes in
            guard let article = try Article.fetch(db, id: id), !article.isDeleted else {
                throw KBError.notFound("article", id)
            }
            let scalars = Array(article.body.unicodeScalars)
            let cut = try Self.cutOffset(point, in: article.body, count: scalars.count)
            let before = String(String.UnicodeScalarView(scalars[..<cut]))
                .trimmingCharacters(in: .whitespacesAndNewlines)
            var after = String(String.UnicodeScalarView(scalars[cut...])).trimmingCharacters(
                in: .whitespacesAndNewlines)
            guard !before.isEmpty, !after.isEmpty else {
                throw KBError.invalid(
                    "The cut leaves one part empty; cut inside the text (the body has \(scalars.count) characters).")
            }
            var title = ""
            if titleLine {
                let end = after.firstIndex(of: "\n") ?? after.endIndex
                title = String(after[..<end]).trimmingCharacters(in: .whitespaces)
                after = String(after[end...]).trimmingCharacters(in: .whitespacesAndNewlines)
                guard !after.isEmpty else {
                    throw KBError.invalid(
                        "With --title-line the text after the cut needs a line for the title and text under it.")
                }
            }
            let now = changes.timestamp
            // Later items of the page move down one place (not those in the trash: a change made after a delete
            // would stand as a conflict with it).
            if let sourceID = article.sourceID {
                for later in try Article.fetchAll(
                    db,
                    sql: "SELECT * FROM articles WHERE source_id = ? AND position > ? AND deleted = 0 ORDER BY position DESC",
                    arguments: [sourceID, article.position])
                {
                    try changes.set(.article, id: later.id, field: .position, json: String(later.position + 1))
                    try Materializer.article(db, id: later.id, now: now)
                }
            }
            var item = PageItem(kind: PageItem.Kind(rawValue: article.kind) ?? .article, title: title, body: after)
            // `（下转第N版）` printed at the end goes with the text it ends.
            let markers = ContinuationMarker.markers(in: article.continuation)
            item.continuation = markers.filter { $0.direction == .on }.map(\.text).joined(separator: "\n")
            var newID = Identifier.contentID(item.identityFields)
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM articles WHERE id = ?)", arguments: [newID])
                == true
            {
                newID = Identifier.contentID(item.identityFields + ["split", article.id, String(now)])
            }
            let second = Article(
                id: newID, sourceID: article.sourceID, position: article.position + 1, kind: article.kind, title: title,
                body: after, continuation: item.continuation, createdAt: now)
            try changes.create(.article, id: newID, json: ArticleCreation(second).jsonText)
            try Materializer.article(db, id: newID, now: now)
            var result = CorrectionResult(articles: [])
            for annotation in try Self.annotations(db, articleID: id) {
                guard let start = annotation.start, start >= cut else { continue }
                try changes.set(.annotation, id: annotation.id, field: .articleID, json: JSONText.string(newID))
                try Materializer.annotation(db, id: annotation.id, now: now)
                result.annotationsMoved += 1
            }
            var first = article
            first.body = before
            let kept = markers.filter { $0.direction == .from }.map(\.text).joined(separator: "\n")
            if kept != article.continuation {
                try changes.set(.article, id: id, field: .continuation, json: JSONText.string(kept))
            }
            result.counts = try applyArticleEdit(db, &changes, from: article, to: first)
            let secondCounts = try Self.anchorCounts(db, articleID: newID)
            result.counts.reanchored += secondCounts.reanchored
            result.counts.fuzzy += secondCounts.fuzzy
            result.counts.orphaned += secondCounts.orphaned
            result.articles = try [id, newID].compactMap { try Article.fetch(db, id: $0) }
            return result
        }
    }

    /// The code point offset of a cut, checked.
    static func cutOffset(_ point: SplitPoint, in body: String, count: Int) throws -> Int {
        switch point {
        case .offset(let offset):
            guard offset > 0, offset < count else {
                throw KBError.invalid(
                    "The offset \(offset) is not inside the body; give 1 to \(max(1, count - 1)) (code points).")
            }
            return offset
        case .before(let text):
            let needle = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !needle.isEmpty else { throw KBError.invalid("Give the text to cut before, e.g. --before 江苏.") }
            let haystack = Array(body.unicodeScalars)
            let pattern = Array(needle.unicodeScalars)
            var found: [Int] = []
            if pattern.count <= haystack.count {
                for start in 0...(haystack.count - pattern.count)
                where haystack[start] == pattern[0] && Array(haystack[start..<(start + pattern.count)]) == pattern {
                    found.append(start)
                }
            }
            guard let first = found.first else {
                throw KBError.invalid("The body does not contain '\(needle)'; 'kb show ID' prints it.")
            }
            guard found.count == 1 else {
                throw KBError.invalid(
                    "'\(needle)' occurs \(found.count) times in the body; give more of the text, or --at OFFSET.")
            }
            return first
        }
    }

    /// Moves the headline (kicker, title, subtitle) of one item to another item; the receiving item's
    /// own headline, when it has one, goes the other way, so that nothing is lost.
    ///
    /// - Returns: Both articles, the receiving one first.
    public func moveHeadline(to idOrPrefix: String, from otherOrPrefix: String) throws -> CorrectionResult {
        let id = try resolveArticleID(idOrPrefix)
        let other = try resolveArticleID(otherOrPrefix)
        guard id != other else {
            throw KBError.invalid("Give two different articles: the headline moves between them.")
        }
        return try write { db, changes in
            guard let target = try Article.fetch(db, id: id), !target.isDeleted else {
                throw KBError.notFound("article", id)
            }
            guard let giver = try Article.fetch(db, id: other), !giver.isDeleted else {
                throw KBError.notFound("article", other)
            }
            guard !giver.title.isEmpty || !giver.kicker.isEmpty || !giver.subtitle.isEmpty else {
                throw KBError.invalid("'\(Identifier.short(other))' has no headline to move.")
            }
            var newTarget = target
            var newGiver = giver
            for field in [ChangeField.kicker, .title, .subtitle] {
                newTarget.setText(field, giver.text(field) ?? "")
                newGiver.setText(field, target.text(field) ?? "")
            }
            var result = CorrectionResult(articles: [])
            result.counts = try applyArticleEdit(db, &changes, from: target, to: newTarget)
            try applyArticleEdit(db, &changes, from: giver, to: newGiver)
            result.articles = try [id, other].compactMap { try Article.fetch(db, id: $0) }
            return result
        }
    }
}
