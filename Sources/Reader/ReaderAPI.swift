import Foundation
import GRDB
import KB
import Sync

/// JSON as the reader sends it: snake_case keys, sorted, and `<` escaped so that a payload embedded in
/// a page cannot end its script element.
enum ReaderJSON {
    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes: [UInt8] = []
        let data = try encoder.encode(value)
        bytes.reserveCapacity(data.count + 16)
        for byte in data {
            if byte == UInt8(ascii: "<") {
                bytes.append(contentsOf: Array("\\u003c".utf8))
            } else {
                bytes.append(byte)
            }
        }
        return bytes
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(type, from: Data(body))
        } catch {
            throw ReaderError(400, "The request's JSON is not what this call takes (\(Self.describe(error))).")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "'\(key.stringValue)' is missing"
        case DecodingError.typeMismatch(_, let context):
            "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        default: "not JSON"
        }
    }
}

// MARK: - Payloads

/// An annotation as pages draw it.
struct AnnotationPayload: Encodable {
    var id: String
    var short: String
    var articleID: String
    var quote: String
    var start: Int?
    var end: Int?
    var state: String
    var note: String
    var color: String
    /// The color to draw, `#rrggbb`; empty when none is set (drawn yellow).
    var css: String
    /// The style class of a named color (`kb-yellow`), else empty.
    var colorClass: String
    var tags: [String]
    var createdAt: Int64
    var articleTitle: String?

    init(_ annotation: Annotation, articleTitle: String? = nil) {
        id = annotation.id
        short = Identifier.short(annotation.id)
        articleID = annotation.articleID
        quote = annotation.quote
        start = annotation.start
        end = annotation.end
        state = annotation.state.rawValue
        note = annotation.note
        color = annotation.color
        let color = annotation.highlightColor ?? .yellow
        css = color.css
        if case .rgb = color { colorClass = "" } else { colorClass = color.styleClass }
        tags = annotation.tags
        createdAt = annotation.createdAt
        self.articleTitle = articleTitle
    }
}

/// An article with its annotations, as the reader page draws it.
struct ArticlePayload: Encodable {
    var id: String
    var title: String
    var subtitle: String
    var kicker: String
    var byline: String
    var dateline: String
    var body: String
    var kind: String
    var source: String?
    var tags: [String]
    var createdAt: Int64
    var annotations: [AnnotationPayload]
}

struct LibraryItem: Encodable {
    var id: String
    var title: String
    var kind: String
    var source: String?
    var sourceID: String?
    var tags: [String]
    var notes: Int
    var createdAt: Int64
}

struct LibraryPage: Encodable {
    var total: Int
    var offset: Int
    var items: [LibraryItem]
}

struct Facets: Encodable {
    struct Source: Encodable {
        var id: String
        var path: String
        var articles: Int
    }
    struct Tag: Encodable {
        var tag: String
        var count: Int
    }
    var articleTags: [Tag]
    var annotationTags: [Tag]
    var sources: [Source]
}

struct SearchPayload: Encodable {
    struct Hit: Encodable {
        var id: String
        var title: String
        var field: String
        var annotationID: String?
        /// The snippet as HTML: escaped text, hits in `<mark>`.
        var snippetHTML: String
    }
    var query: String
    var hits: [Hit]
    var error: String?
    var milliseconds: Double
}

struct NotesPage: Encodable {
    var total: Int
    var offset: Int
    var items: [AnnotationPayload]
}

struct ConflictPayload: Encodable {
    var id: String
    var entity: String
    var entityID: String
    var field: String
    var kind: String
    var mine: String?
    var theirs: String?
    var base: String?
    var createdAt: Int64
}

// MARK: - Requests

struct NewAnnotation: Decodable {
    var start: Int
    var end: Int
    var quote: String
    var color: String?
    var note: String?
    var tags: [String]?
}

struct AnnotationEdit: Decodable {
    var note: String?
    var color: String?
    /// The whole set of tags after the edit.
    var tags: [String]?
}

struct Resolution: Decodable {
    var keep: String
}

// MARK: - Handlers

extension ReaderService {
    func articlePayload(_ idOrPrefix: String) throws -> ArticlePayload {
        let detail = try kb.article(idOrPrefix)
        let article = detail.article
        guard !article.isDeleted else { throw ReaderError(404, "The article '\(idOrPrefix)' is in the trash.") }
        return ArticlePayload(
            id: article.id, title: article.title, subtitle: article.subtitle, kicker: article.kicker,
            byline: article.byline, dateline: article.dateline, body: article.body, kind: article.kind,
            source: detail.sourcePath, tags: detail.tags, createdAt: article.createdAt,
            annotations: Self.textOrder(detail.annotations).map { AnnotationPayload($0) })
    }

    /// Annotations in text order: placed ones by position, then notes on the whole article and orphans.
    static func textOrder(_ annotations: [Annotation]) -> [Annotation] {
        annotations.sorted { a, b in
            switch (a.start, b.start) {
            case (let x?, let y?): (x, a.end ?? x, a.createdAt, a.id) < (y, b.end ?? y, b.createdAt, b.id)
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): (a.createdAt, a.id) < (b.createdAt, b.id)
            }
        }
    }

    func createAnnotation(article idOrPrefix: String, body: [UInt8]) throws -> AnnotationPayload {
        let wanted = try ReaderJSON.decode(NewAnnotation.self, body)
        let color = try wanted.color.nonEmpty.map { try HighlightColor.parse($0) }
        let articleID = try kb.resolveArticleID(idOrPrefix)
        let current = try kb.article(articleID).article.body
        let slice = Self.slice(current, wanted.start, wanted.end)
        guard let slice, slice == wanted.quote else {
            throw ReaderError(
                409,
                slice == nil
                    ? "The range \(wanted.start):\(wanted.end) is outside the article's text; reload the page."
                    : "The quote does not match the article's text at \(wanted.start):\(wanted.end) (the article "
                        + "changed, or the page counted offsets otherwise); reload the page and select again.")
        }
        let annotation = try kb.annotate(
            articleID, target: .range(wanted.start, wanted.end), note: wanted.note ?? "", tags: wanted.tags ?? [],
            color: color)
        if annotation.quote != wanted.quote {
            // The article changed between the check and the write: undo, and say so.
            _ = try? kb.removeAnnotation(annotation.id)
            throw ReaderError(
                409, "The article changed while the highlight was made; reload the page and select again.")
        }
        return AnnotationPayload(annotation)
    }

    /// The code points `start..<end` of a text, or nil when the range is outside it.
    static func slice(_ text: String, _ start: Int, _ end: Int) -> String? {
        guard start >= 0, start < end else { return nil }
        var scalars = String.UnicodeScalarView()
        var index = 0
        for scalar in text.unicodeScalars {
            if index >= end { break }
            if index >= start { scalars.append(scalar) }
            index += 1
        }
        return index >= end ? String(scalars) : nil
    }

    func editAnnotation(_ idOrPrefix: String, body: [UInt8]) throws -> AnnotationPayload {
        let edit = try ReaderJSON.decode(AnnotationEdit.self, body)
        let id = try kb.resolveAnnotationID(idOrPrefix)
        let color = try edit.color.nonEmpty.map { try HighlightColor.parse($0) }
        var addTags: [String] = []
        var removeTags: [String] = []
        if let tags = edit.tags {
            let current = try kb.readDatabase { db in
                try String.fetchAll(
                    db, sql: "SELECT norm FROM tags WHERE entity_id = ? AND present = 1", arguments: [id])
            }
            let wanted = tags.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let wantedNorms = Set(wanted.map { KnowledgeBase.normalizeTag($0) })
            addTags = wanted.filter { !current.contains(KnowledgeBase.normalizeTag($0)) }
            removeTags = current.filter { !wantedNorms.contains($0) }
        }
        if edit.note == nil && color == nil && addTags.isEmpty && removeTags.isEmpty {
            let annotation = try kb.notes(NotesFilter()).first { $0.id == id }
            guard let annotation else { throw ReaderError(404, "No annotation matches '\(idOrPrefix)'.") }
            return AnnotationPayload(annotation)
        }
        return AnnotationPayload(
            try kb.editAnnotation(id, note: edit.note, color: color, addTags: addTags, removeTags: removeTags))
    }

    func library(tag: String?, source: String?, offset: Int, limit: Int) throws -> LibraryPage {
        let offset = max(0, offset)
        let limit = min(max(1, limit), 1000)
        return try kb.readDatabase { db in
            var filters: [String] = []
            var arguments: StatementArguments = []
            if let tag {
                filters.append(
                    "a.id IN (SELECT entity_id FROM tags WHERE norm = ? AND present = 1 AND entity = 'article')")
                arguments += [KnowledgeBase.normalizeTag(tag)]
            }
            if let source {
                filters.append("a.source_id = ?")
                arguments += [source]
            }
            let filter = (["a.deleted = 0"] + filters).joined(separator: " AND ")
            // Counted from the indexes: every article less those in the trash (reading `deleted` of every row
            // would walk each long body's overflow pages).
            let every = (["1"] + filters).joined(separator: " AND ")
            let trashed = (["a.deleted != 0"] + filters).joined(separator: " AND ")
            let total = try Int.fetchOne(
                db,
                sql: """
                    SELECT (SELECT count(*) FROM articles a WHERE \(every))
                        - (SELECT count(*) FROM articles a WHERE \(trashed))
                    """, arguments: arguments + arguments)
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, a.title, a.kind, a.created_at, a.source_id, s.path FROM articles a
                    LEFT JOIN sources s ON s.id = a.source_id WHERE \(filter)
                    ORDER BY a.created_at DESC, a.source_id, a.position LIMIT \(limit) OFFSET \(offset)
                    """, arguments: arguments)
            let ids: [String] = rows.map { $0[0] }
            var counts: [String: Int] = [:]
            var tags: [String: [String]] = [:]
            if !ids.isEmpty {
                let marks = databaseQuestionMarks(count: ids.count)
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT article_id, count(*) FROM annotations WHERE deleted = 0 AND article_id IN (\(marks))
                        GROUP BY article_id
                        """, arguments: StatementArguments(ids))
                {
                    counts[row[0]] = row[1]
                }
                for row in try Row.fetchAll(
                    db,
                    sql: "SELECT entity_id, tag FROM tags WHERE present = 1 AND entity_id IN (\(marks)) ORDER BY norm",
                    arguments: StatementArguments(ids))
                {
                    tags[row[0], default: []].append(row[1])
                }
            }
            return LibraryPage(
                total: total ?? 0, offset: offset,
                items: rows.map { row in
                    let id: String = row[0]
                    return LibraryItem(
                        id: id, title: row[1], kind: row[2], source: row[5], sourceID: row[4], tags: tags[id] ?? [],
                        notes: counts[id] ?? 0, createdAt: row[3])
                })
        }
    }

    func facets() throws -> Facets {
        try kb.readDatabase { db in
            func tags(_ entity: String) throws -> [Facets.Tag] {
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT min(tag), count(*) FROM tags WHERE present = 1 AND entity = ? GROUP BY norm ORDER BY norm
                        """, arguments: [entity]
                ).map { Facets.Tag(tag: $0[0], count: $0[1]) }
            }
            // Source pages with their live articles: every article by the index on `source_id`, less those in
            // the trash (`articles_trashed`), without reading the rows.
            let sources = try Row.fetchAll(
                db,
                sql: """
                    SELECT s.id, s.path, every.n - coalesce(trashed.n, 0) FROM sources s
                    JOIN (SELECT source_id, count(*) AS n FROM articles GROUP BY source_id) every
                        ON every.source_id = s.id
                    LEFT JOIN (SELECT source_id, count(*) AS n FROM articles WHERE deleted != 0 GROUP BY source_id) trashed
                        ON trashed.source_id = s.id
                    WHERE every.n - coalesce(trashed.n, 0) > 0
                    ORDER BY s.path
                    """
            ).map { Facets.Source(id: $0[0], path: $0[1], articles: $0[2]) }
            return Facets(articleTags: try tags("article"), annotationTags: try tags("annotation"), sources: sources)
        }
    }

    func search(_ query: String, limit: Int) throws -> SearchPayload {
        let started = ContinuousClock.now
        let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return SearchPayload(query: query, hits: [], error: nil, milliseconds: 0) }
        do {
            let hits = try kb.search(trimmed, limit: min(max(1, limit), 100))
            let elapsed = ContinuousClock.now - started
            return SearchPayload(
                query: query,
                hits: hits.map { hit in
                    SearchPayload.Hit(
                        id: hit.id, title: hit.title, field: hit.field, annotationID: hit.annotationID,
                        snippetHTML: Self.snippetHTML(hit.snippet))
                }, error: nil,
                milliseconds: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        } catch let error as KBError where error.kind == .querySyntax {
            // Typing goes through unfinished queries (an open quote); they answer with the reason, not a failure.
            return SearchPayload(query: query, hits: [], error: error.message, milliseconds: 0)
        }
    }

    static func snippetHTML(_ snippet: Snippet) -> String {
        let points = CodePoints(snippet.text)
        var out = ""
        var cursor = 0
        for range in snippet.highlights where range.lowerBound >= cursor && range.upperBound <= points.count {
            out += ReaderPages.escape(points.string(cursor..<range.lowerBound))
            out += "<mark>" + ReaderPages.escape(points.string(range)) + "</mark>"
            cursor = range.upperBound
        }
        return out + ReaderPages.escape(points.string(cursor..<points.count))
    }

    func notes(tag: String?, state: String?, offset: Int, limit: Int) throws -> NotesPage {
        let offset = max(0, offset)
        let limit = min(max(1, limit), 1000)
        if let state, AnchorState(rawValue: state) == nil {
            throw ReaderError(400, "The state '\(state)' is not one of anchored, fuzzy or orphaned.")
        }
        var all = try kb.notes(NotesFilter(tag: tag, orphanedOnly: state == AnchorState.orphaned.rawValue))
        if let state { all.removeAll { $0.state.rawValue != state } }
        all.reverse()  // newest first
        let page = Array(all.dropFirst(offset).prefix(limit))
        let articleIDs = Array(Set(page.map(\.articleID)))
        let titles: [String: String] = try kb.readDatabase { db in
            guard !articleIDs.isEmpty else { return [:] }
            var result: [String: String] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT id, title FROM articles WHERE id IN (\(databaseQuestionMarks(count: articleIDs.count)))",
                arguments: StatementArguments(articleIDs))
            {
                result[row[0]] = row[1]
            }
            return result
        }
        return NotesPage(
            total: all.count, offset: offset,
            items: page.map { AnnotationPayload($0, articleTitle: titles[$0.articleID] ?? "") })
    }

    func conflicts() throws -> [ConflictPayload] {
        try Conflicts.list(kb).map {
            ConflictPayload(
                id: $0.id, entity: $0.entity, entityID: $0.entityID, field: $0.field, kind: $0.kind.rawValue,
                mine: $0.mine, theirs: $0.theirs, base: $0.base, createdAt: $0.createdAt)
        }
    }

    func resolve(_ id: String, body: [UInt8]) throws -> ConflictPayload {
        let wanted = try ReaderJSON.decode(Resolution.self, body)
        guard let choice = ConflictChoice(rawValue: wanted.keep) else {
            throw ReaderError(400, "Keep 'mine', 'theirs' or 'both', not '\(wanted.keep)'.")
        }
        let conflict: ConflictInfo
        do {
            conflict = try Conflicts.resolve(kb, id, keep: choice)
        } catch let error as SyncError {
            throw ReaderError(409, error.message)
        }
        return ConflictPayload(
            id: conflict.id, entity: conflict.entity, entityID: conflict.entityID, field: conflict.field,
            kind: conflict.kind.rawValue, mine: conflict.mine, theirs: conflict.theirs, base: conflict.base,
            createdAt: conflict.createdAt)
    }

    /// The remotes, and the sync running or last run.
    func syncStatus() throws -> SyncStatusPayload {
        syncJob.status(remotes: try RemoteStore.all(kb).map(\.name))
    }

    /// Starts syncing every remote, as `kb sync` does, unless a sync runs already; the page follows
    /// its steps with `GET /api/sync`.
    func startSync() throws -> SyncStatusPayload {
        let remotes = try RemoteStore.all(kb).map(\.name)
        guard !remotes.isEmpty else {
            throw ReaderError(
                409, "There is no remote to sync with; add one with 'kb remote add NAME http://HOST:PORT/KB'.")
        }
        _ = syncJob.start(kb: kb, remotes: remotes)
        return syncJob.status(remotes: remotes)
    }
}

extension KnowledgeBase {
    /// A read on the knowledge base's database.
    func readDatabase<T>(_ body: (Database) throws -> T) throws -> T {
        try database.writer.read(body)
    }
}
