import Foundation
public import GRDB

/// How `kb annotate` chooses the passage.
public enum AnnotationTarget: Sendable, Equatable {
    /// A quote, with optional disambiguation: the 1-based occurrence, or text just before/after it.
    case quote(String, occurrence: Int?, prefix: String?, suffix: String?)
    /// A code-point range of the body.
    case range(Int, Int)
    /// The whole article.
    case article
}

/// Filters of `kb notes`.
public struct NotesFilter: Sendable {
    public var articleID: String?
    public var tag: String?
    public var orphanedOnly = false

    public init(articleID: String? = nil, tag: String? = nil, orphanedOnly: Bool = false) {
        self.articleID = articleID
        self.tag = tag
        self.orphanedOnly = orphanedOnly
    }
}

extension KnowledgeBase {
    // MARK: - Create

    /// Highlights a passage (or annotates a whole article) with an optional note, tags and color.
    ///
    /// - Throws: ``KBError``: `.notFound` (article or quote), `.ambiguous` (a quote found more than
    ///   once: the count in the message, the first ``listedOccurrences`` in ``KBError/candidates``),
    ///   `.invalidArgument` (empty quote, range out of bounds).
    public func annotate(
        _ idOrPrefix: String, target: AnnotationTarget, note: String = "", tags: [String] = [],
        color: HighlightColor? = nil
    ) throws -> Annotation {
        let tags = try Self.validateTags(tags)
        let articleID = try resolveArticleID(idOrPrefix)
        return try write { db, changes in
            guard let article = try Article.fetch(db, id: articleID), !article.isDeleted else {
                throw KBError.notFound("article", articleID)
            }
            let text = CodePoints(article.body)
            let range: Range<Int>? = try Self.locate(target, in: text, articleID: articleID)
            let now = changes.timestamp
            let id = Identifier.random()
            var annotation = Annotation(
                id: id, articleID: articleID, quote: range.map { text.string($0) } ?? "",
                prefix: range.map { text.string(max(0, $0.lowerBound - AnchorSelector.contextLength)..<$0.lowerBound) }
                    ?? "",
                suffix: range.map {
                    text.string($0.upperBound..<min(text.count, $0.upperBound + AnchorSelector.contextLength))
                } ?? "",
                anchorStart: range?.lowerBound, anchorEnd: range?.upperBound, start: range?.lowerBound,
                end: range?.upperBound, state: .anchored, note: note, color: color?.name ?? "", createdAt: now,
                updatedAt: now)
            try annotation.save(db)
            try changes.create(.annotation, id: id, json: try JSONText.encode(AnnotationCreation(annotation)))
            for tag in tags {
                try Self.setTag(db, &changes, entity: .annotation, entityID: id, tag: tag, present: true)
            }
            annotation.tags = try Self.tagsByEntity(db, ids: [id])[id] ?? []
            return annotation
        }
    }

    /// Finds the code-point range a target names in the text.
    static func locate(_ target: AnnotationTarget, in text: CodePoints, articleID: String) throws -> Range<Int>? {
        switch target {
        case .article:
            return nil
        case .range(let start, let end):
            guard start < end else {
                throw KBError.invalid(
                    "The range '\(start):\(end)' is empty or reversed; give START:END with START < END, as in "
                        + "'\(end):\(start == end ? start + 1 : start)'.")
            }
            guard start >= 0, end <= text.count else {
                throw KBError.invalid(
                    "The range '\(start):\(end)' is outside the article's text, which has \(text.count) code points; "
                        + "give START:END with 0 <= START < END <= \(text.count).")
            }
            guard !text.string(start..<end).allSatisfy({ $0.isWhitespace }) else {
                throw KBError.invalid("The range '\(start):\(end)' holds only whitespace; choose a passage with text.")
            }
            return start..<end
        case .quote(let quote, let occurrence, let prefix, let suffix):
            let cleaned = cleanQuote(quote)
            guard !cleaned.isEmpty else {
                throw KBError.invalid("The quote is empty; give the text to highlight with --quote.")
            }
            var matches = findIgnoringWhitespace(cleaned, in: text)
            guard !matches.isEmpty else {
                throw KBError.notFound(
                    "passage of the article", String(quote.prefix(40)),
                    hint: "copy the text from 'kb show \(articleID.prefix(8))'")
            }
            if let prefix, !prefix.isEmpty {
                let wanted = TextCleaner.removingWhitespace(prefix)
                matches = matches.filter { range in
                    TextCleaner.removingWhitespace(
                        text.string(max(0, range.lowerBound - 4 * wanted.count)..<range.lowerBound)
                    )
                    .hasSuffix(wanted)
                }
            }
            if let suffix, !suffix.isEmpty {
                let wanted = TextCleaner.removingWhitespace(suffix)
                matches = matches.filter { range in
                    TextCleaner.removingWhitespace(
                        text.string(range.upperBound..<min(text.count, range.upperBound + 4 * wanted.count))
                    ).hasPrefix(wanted)
                }
            }
            if let occurrence {
                guard occurrence >= 1, occurrence <= matches.count else {
                    throw KBError.invalid(
                        "The quote occurs \(matches.count) time\(matches.count == 1 ? "" : "s"); "
                            + "--occurrence must be between 1 and \(matches.count), not \(occurrence).")
                }
                return matches[occurrence - 1]
            }
            guard matches.count == 1 else {
                if matches.isEmpty {
                    throw KBError.notFound(
                        "occurrence of the quote with that context", String(quote.prefix(40)),
                        hint: "check --prefix and --suffix")
                }
                let listed = matches.prefix(listedOccurrences).enumerated().map { index, range in
                    let before = text.string(max(0, range.lowerBound - 8)..<range.lowerBound)
                    let after = text.string(range.upperBound..<min(text.count, range.upperBound + 8))
                    return
                        "\(index + 1): \(range.lowerBound):\(range.upperBound) …\(before)[\(text.string(range))]\(after)…"
                        .replacingOccurrences(of: "\n", with: " ")
                }
                let shown = matches.count > listed.count ? " (the first \(listed.count) below)" : ""
                let hasContext = prefix?.isEmpty == false || suffix?.isEmpty == false
                throw KBError(
                    .ambiguous,
                    "The quote '\(quote.prefix(40))' occurs \(matches.count) times"
                        + (hasContext ? " with that context" : "") + "\(shown); choose one with "
                        + "--occurrence N (1-\(matches.count)) or with \(hasContext ? "a longer " : "")--prefix/--suffix.",
                    candidates: listed)
            }
            return matches[0]
        }
    }

    /// How many occurrences of an ambiguous quote an error lists, with their context.
    public static let listedOccurrences = 10

    /// A quote as typed or pasted: cleaned the way imported text is, so that spaces and line breaks
    /// from a PDF do not keep it from matching.
    static func cleanQuote(_ quote: String) -> String {
        quote.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
            .map { TextCleaner.cleanLine($0) }.filter { !$0.isEmpty }.joined(separator: "\n")
    }

    /// Ranges of the text that equal the needle once whitespace is ignored on both sides.
    static func findIgnoringWhitespace(_ needle: String, in text: CodePoints) -> [Range<Int>] {
        let pattern = CodePoints(TextCleaner.removingWhitespace(needle))
        guard !pattern.isEmpty else { return [] }
        var compact: [UInt32] = []
        var positions: [Int] = []
        compact.reserveCapacity(text.count)
        positions.reserveCapacity(text.count)
        for index in 0..<text.count {
            let value = text[index]
            if CharacterClass.isWhitespace(value) { continue }
            compact.append(value)
            positions.append(index)
        }
        // Every occurrence, however many: `--occurrence N` may name any, and errors give the true count.
        let starts = Anchoring.occurrences(of: pattern, in: CodePoints(scalars: compact), limit: .max)
        return starts.map { positions[$0]..<(positions[$0 + pattern.count - 1] + 1) }
    }

    // MARK: - Read

    /// Annotations, filtered, oldest first.
    public func notes(_ filter: NotesFilter = NotesFilter()) throws -> [Annotation] {
        let articleID = try filter.articleID.map { try resolveArticleID($0) }
        return try read { db in
            var sql = "SELECT \(Annotation.columns), rowid FROM annotations WHERE deleted = 0"
            var arguments: StatementArguments = []
            if let articleID {
                sql += " AND article_id = ?"
                arguments += [articleID]
            }
            if let tag = filter.tag {
                sql += " AND id IN (SELECT entity_id FROM tags WHERE norm = ? AND present = 1)"
                arguments += [Self.normalizeTag(tag)]
            }
            if filter.orphanedOnly { sql += " AND state = 'orphaned'" }
            // Read in table order and sorted here: cheaper than visiting the rows in index order.
            // The highest rowid bounds the count (in one index lookup): the array is allocated once.
            var expected = 0
            if articleID == nil && filter.tag == nil {
                expected = min(try Int.fetchOne(db, sql: "SELECT max(rowid) FROM annotations") ?? 0, 1 << 22)
            }
            var articleIDs = TextInterner()
            var readKeys: [ListingKey]? = []
            var annotations = try Annotation.fetchByColumns(
                db, sql: sql, arguments: arguments, expected: expected, articleIDs: &articleIDs, keys: &readKeys)
            var keys = readKeys ?? []
            // Only annotations whose article is here and live (one may arrive by sync before its article):
            // checked here on the few distinct articles, cheaper than joining every annotation to its article.
            let read = articleIDs.values
            let live = try Self.liveArticles(db, of: read)
            let gone = Set(read.filter { !live.contains($0) })
            if !gone.isEmpty {
                let kept = annotations.indices.filter { !gone.contains(annotations[$0].articleID) }
                annotations = kept.map { annotations[$0] }
                keys = kept.map { keys[$0] }
            }
            try Self.attachTags(db, to: &annotations, rowids: keys.map(\.rowid))
            // Table order is creation order, unless sync brought older annotations later or several were made
            // in the same millisecond (then their ids order them).
            Self.sortByCreation(&annotations, keys: keys)
            return annotations
        }
    }

    /// Gives each annotation its tags; `rowids` are the annotations' rows, in the same order.
    static func attachTags(_ db: Database, to annotations: inout [Annotation], rowids: [Int64]) throws {
        guard annotations.count > 2000 else {
            let tags = try Self.tagsByEntity(db, ids: annotations.map(\.id))
            for index in annotations.indices { annotations[index].tags = tags[annotations[index].id] ?? [] }
            return
        }
        // Many annotations: every present tag of an annotation, by the annotation's row, so that no id is
        // hashed (an id is a string on the heap: reading 100,000 of them is most of the cost).
        var position: [Int64: Int] = [:]
        position.reserveCapacity(annotations.count)
        for (index, rowid) in rowids.enumerated() { position[rowid] = index }
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT a.rowid, t.tag FROM tags t JOIN annotations a ON a.id = t.entity_id
                WHERE t.entity = 'annotation' AND t.present = 1 ORDER BY t.norm
                """)
        while let row = try rows.next() {
            if let index = position[row[0]] { annotations[index].tags.append(row[1]) }
        }
    }

    /// Sorts by (created, id): the order is worked out on keys (``ListingKey``, made from the annotations
    /// when not given), then the annotations are moved into it, so that no annotation (seven strings and a
    /// list) is copied.
    static func sortByCreation(_ annotations: inout [Annotation], keys given: [ListingKey]? = nil) {
        let keys = given ?? annotations.map { ListingKey($0) }
        precondition(keys.count == annotations.count)
        annotations.withUnsafeMutableBufferPointer { items in
            guard let base = items.baseAddress else { return }
            var order: [Int]? = nil
            keys.withUnsafeBufferPointer { keys in
                func before(_ a: Int, _ b: Int) -> Bool {
                    if keys[a].createdAt != keys[b].createdAt { return keys[a].createdAt < keys[b].createdAt }
                    if keys[a].idHead != keys[b].idHead { return keys[a].idHead < keys[b].idHead }
                    return (base + a).pointee.id < (base + b).pointee.id
                }
                if items.indices.dropFirst().contains(where: { before($0, $0 - 1) }) {
                    order = items.indices.sorted(by: before)
                }
            }
            guard var order else { return }
            // Position k takes the annotation at order[k], cycle by cycle, by moves.
            for start in order.indices where order[start] != start {
                let held = (base + start).move()
                var current = start
                while order[current] != start {
                    let next = order[current]
                    (base + current).moveInitialize(from: base + next, count: 1)
                    order[current] = current
                    current = next
                }
                (base + current).initialize(to: held)
                order[current] = current
            }
        }
    }

    /// Which of the articles are here and not deleted (perhaps others too).
    static func liveArticles(_ db: Database, of articleIDs: [String]) throws -> Set<String> {
        guard articleIDs.count <= 2000 else {
            // Every id from the index on `id`, less the few in the trash (the index `articles_trashed`):
            // `WHERE deleted = 0` would read each article's row to its end, past its body.
            var live = try Set(String.fetchAll(db, sql: "SELECT id FROM articles"))
            live.subtract(try String.fetchAll(db, sql: "SELECT id FROM articles WHERE deleted != 0"))
            return live
        }
        var live: Set<String> = []
        let list = Array(Set(articleIDs))
        for chunk in stride(from: 0, to: list.count, by: 500) {
            let part = Array(list[chunk..<min(list.count, chunk + 500)])
            live.formUnion(
                try String.fetchAll(
                    db,
                    sql:
                        "SELECT id FROM articles WHERE deleted = 0 AND id IN (\(databaseQuestionMarks(count: part.count)))",
                    arguments: StatementArguments(part)))
        }
        return live
    }

    static func annotations(_ db: Database, articleID: String) throws -> [Annotation] {
        var annotations = try Annotation.fetchByColumns(
            db,
            sql: """
                SELECT \(Annotation.columns) FROM annotations WHERE article_id = ? AND deleted = 0
                ORDER BY start IS NULL, start, created_at, id
                """, arguments: [articleID])
        let tags = try tagsByEntity(db, ids: annotations.map(\.id))
        for index in annotations.indices { annotations[index].tags = tags[annotations[index].id] ?? [] }
        return annotations
    }

    /// The id of the live annotation that `prefix` names.
    public func resolveAnnotationID(_ prefix: String) throws -> String {
        try read { db in try Self.resolveID(db, prefix, table: "annotations", what: "annotation") }
    }

    // MARK: - Edit

    /// Changes an annotation's note, color, and adds or removes tags.
    public func editAnnotation(
        _ idOrPrefix: String, note: String? = nil, color: HighlightColor? = nil, addTags: [String] = [],
        removeTags: [String] = []
    ) throws -> Annotation {
        if note == nil && color == nil && addTags.isEmpty && removeTags.isEmpty {
            throw KBError.invalid("Nothing to change; give --note, --color, --tag or --untag.")
        }
        let addTags = try Self.validateTags(addTags)
        let removeTags = try Self.validateTags(removeTags)
        let id = try resolveAnnotationID(idOrPrefix)
        return try write { db, changes in
            guard var annotation = try Annotation.fetch(db, id: id), !annotation.isDeleted else {
                throw KBError.notFound("annotation", id)
            }
            if let note, note != annotation.note {
                try changes.set(.annotation, id: id, field: .note, json: JSONText.string(note))
            }
            if let color, color.name != annotation.color {
                try changes.set(.annotation, id: id, field: .color, json: JSONText.string(color.name))
            }
            try Materializer.annotation(db, id: id, now: changes.timestamp)
            annotation = try Annotation.fetch(db, id: id) ?? annotation
            for tag in addTags {
                try Self.setTag(db, &changes, entity: .annotation, entityID: id, tag: tag, present: true)
            }
            for tag in removeTags {
                try Self.setTag(db, &changes, entity: .annotation, entityID: id, tag: tag, present: false)
            }
            annotation.tags = try Self.tagsByEntity(db, ids: [id])[id] ?? []
            return annotation
        }
    }

    /// Deletes an annotation.
    public func removeAnnotation(_ idOrPrefix: String) throws -> String {
        let id = try resolveAnnotationID(idOrPrefix)
        try write { db, changes in
            try changes.set(.annotation, id: id, field: Change.deletedField, json: "true")
            try Materializer.annotation(db, id: id, now: changes.timestamp)
        }
        return id
    }

    // MARK: - Re-anchoring

    /// Re-anchors every annotation of an article in its (new) body and stores where each stands now.
    ///
    /// Public for the sync engine, which calls it in the transaction that applies a pulled body.
    @discardableResult
    public static func reanchorAnnotations(_ db: Database, articleID: String, body: String) throws -> ReanchorCounts {
        // Deleted annotations move too: one may be restored, and every replica must hold the same.
        let annotations = try Annotation.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM annotations WHERE article_id = ?"), arguments: [articleID])
        var counts = ReanchorCounts()
        guard !annotations.isEmpty else { return counts }
        let text = CodePoints(body)
        for annotation in annotations {
            let result = Anchoring.anchor(annotation.selector, in: text)
            if !annotation.isDeleted {
                switch result.state {
                case .anchored: counts.reanchored += 1
                case .fuzzy: counts.fuzzy += 1
                case .orphaned: counts.orphaned += 1
                }
            }
            if result.state != annotation.state || result.range?.lowerBound != annotation.start
                || result.range?.upperBound != annotation.end
            {
                if annotation.quote.isEmpty { continue }
                try db.execute(
                    sql: "UPDATE annotations SET start = ?, \"end\" = ?, state = ? WHERE id = ?",
                    arguments: [
                        result.range?.lowerBound, result.range?.upperBound, result.state.rawValue, annotation.id,
                    ])
            }
        }
        return counts
    }
}
