import Foundation
import GRDB

// MARK: - Re-import in place

extension KnowledgeBase {
    /// An earlier import of the page a file holds, with its articles paired to the file's items.
    struct EarlierImport {
        var source: Source
        var identity: PageIdentity
        /// Its articles, deleted ones included (those stay in the trash).
        var old: [Article]
        var pairs: [PageMatcher.Pair]
        /// Items of the new version.
        var itemCount: Int

        /// True when at least half of the smaller side pairs: a path or a name reused for another page
        /// that shares an item or two with the earlier one is a new page, not a new version.
        var isSamePage: Bool {
            !pairs.isEmpty && 2 * pairs.count >= min(old.count, itemCount)
        }
    }

    /// The earlier import of the same page, if any.
    ///
    /// The same path comes first; then an import under the same file name or with the same first lines,
    /// found among the sources of the file's unchanged articles and the sources of that name. A
    /// candidate is the same page only when at least half of the smaller side pairs (two pages named
    /// `page.txt`, or a path reused for another day's page, are not one page).
    ///
    /// - Parameters:
    ///   - db: The database, in the import's transaction.
    ///   - prepared: The file.
    ///   - names: The file names of the sources held.
    /// - Returns: The earlier import, or nil when the file is a new page.
    /// - Throws: A database error.
    static func earlierImport(_ db: Database, of prepared: PreparedFile, names: SourceNames) throws -> EarlierImport? {
        guard !prepared.items.isEmpty else { return nil }
        var seen: Set<String> = []
        // The same page of a PDF file first.
        let samePath = try Source.readAll(
            db, sql: "SELECT * FROM sources WHERE path = ? ORDER BY imported_at DESC, id",
            arguments: [prepared.absolute])
        for source in samePath.filter({ $0.pdfPage == prepared.page })
            + samePath.filter({ $0.pdfPage != prepared.page })
        {
            seen.insert(source.id)
            if let found = try pairing(db, source, identity: .path, prepared), found.isSamePage { return found }
        }
        // Sources of the same name, then those of the unchanged articles.
        let name = (prepared.absolute as NSString).lastPathComponent
        var candidates: [String] = []
        for rowid in try names.rowids(named: name, db) {
            if let id = try String.fetchOne(db, sql: "SELECT id FROM sources WHERE rowid = ?", arguments: [rowid]) {
                candidates.append(id)
            }
        }
        for id in prepared.ids {
            if let sourceID = try String.fetchOne(
                db.cachedStatement(sql: "SELECT source_id FROM articles WHERE id = ? AND deleted = 0"), arguments: [id])
            {
                candidates.append(sourceID)
            }
        }
        // Read only when there is a candidate to compare with (most new pages have none).
        guard candidates.contains(where: { !seen.contains($0) }) else { return nil }
        let firstLines = PageMatcher.firstLines(prepared.text)
        var best: EarlierImport?
        for id in candidates where seen.insert(id).inserted {
            guard let source = try Source.readOne(db, sql: "SELECT * FROM sources WHERE id = ?", arguments: [id])
            else { continue }
            let identity: PageIdentity
            if (source.path as NSString).lastPathComponent == name {
                identity = .fileName
            } else if !firstLines.isEmpty, PageMatcher.firstLines(source.text) == firstLines {
                identity = .firstLines
            } else {
                continue
            }
            guard let found = try pairing(db, source, identity: identity, prepared), found.isSamePage else { continue }
            let isBetter =
                best.map {
                    (found.pairs.count, found.source.importedAt, found.source.id)
                        > ($0.pairs.count, $0.source.importedAt, $0.source.id)
                } ?? true
            if isBetter { best = found }
        }
        return best
    }

    /// The articles of a source paired with the file's items; nil when the source has no articles.
    private static func pairing(_ db: Database, _ source: Source, identity: PageIdentity, _ prepared: PreparedFile)
        throws -> EarlierImport?
    {
        let old = try Article.fetchAll(
            db, sql: "SELECT * FROM articles WHERE source_id = ? ORDER BY position, id", arguments: [source.id])
        guard !old.isEmpty else { return nil }
        let pairs = PageMatcher.match(old: old, items: prepared.items, ids: prepared.ids)
        return EarlierImport(
            source: source, identity: identity, old: old, pairs: pairs, itemCount: prepared.items.count)
    }

    /// Updates the articles of an earlier import of the page to a new version of it.
    ///
    /// Paired articles get their changed fields as ordinary edits (so they sync and merge like any
    /// edit) and their annotations re-anchored; they now come from the new source, at their new place.
    /// Articles the page no longer holds go to the trash (a `deleted` change, with their annotations);
    /// new items become new articles. An article that was deleted before stays in the trash.
    ///
    /// - Returns: What changed, and the ids of the file's articles in page order.
    func updateInPlace(
        _ db: Database, _ changes: inout ChangeWriter, _ earlier: EarlierImport, to source: Source,
        prepared: PreparedFile
    ) throws -> (ImportReport.FileResult, [String]) {
        let now = changes.timestamp
        var result = ImportReport.FileResult(path: prepared.path, status: .updated, articles: 0)
        result.previous = earlier.source.path
        result.identity = earlier.identity
        var placed: [(position: Int, id: String)] = []
        var listed: [(position: Int, change: ArticleChange)] = []
        // The earlier version's items, as its import made them: the base of a three-way update, so that
        // an article edited since keeps the edit where the page did not change.
        let earlierKind = DocumentKind(rawValue: earlier.source.kind) ?? .text
        let earlierItems =
            earlierKind == .dump
            ? []
            : DocumentReader.items(
                of: earlier.source.text, kind: earlierKind,
                fallbackTitle: ((earlier.source.path as NSString).lastPathComponent as NSString)
                    .deletingPathExtension)

        for pair in earlier.pairs {
            let article = earlier.old[pair.old]
            guard !article.isDeleted else { continue }
            let item = prepared.items[pair.item]
            let base = earlierItems.indices.contains(article.position) ? earlierItems[article.position] : nil
            let (edited, kept) = Self.updated(article, to: item, base: base)
            let fields = Article.textFields.filter { article.text($0) != edited.text($0) }
            var isWritten = false
            if article.sourceID != source.id {
                try changes.set(.article, id: article.id, field: .sourceID, json: JSONText.string(source.id))
                isWritten = true
            }
            if article.position != pair.item {
                try changes.set(.article, id: article.id, field: .position, json: String(pair.item))
                isWritten = true
            }
            if article.continuation != item.continuation {
                try changes.set(
                    .article, id: article.id, field: .continuation, json: JSONText.string(item.continuation))
                isWritten = true
            }
            var change = ArticleChange(id: article.id, title: edited.title, kind: .kept, kept: kept)
            if !fields.isEmpty {
                try applyArticleEdit(db, &changes, from: article, to: edited)
                for annotation in try Self.annotations(db, articleID: article.id) {
                    change.annotations.count(annotation.state)
                    let outcome: AnnotationReview.Outcome? =
                        switch annotation.state {
                        case .anchored: nil
                        case .fuzzy: .fuzzy
                        case .orphaned: .orphaned
                        }
                    if let outcome {
                        result.review.append(
                            AnnotationReview(
                                id: annotation.id, articleID: article.id, quote: annotation.quote, outcome: outcome))
                    }
                }
                result.annotations.add(change.annotations)
                result.articlesUpdated += 1
                change.kind = .updated
                change.fields = fields.map(\.rawValue)
            } else if isWritten {
                try Materializer.article(db, id: article.id, now: now)
            }
            if !fields.isEmpty || !kept.isEmpty { listed.append((pair.item, change)) }
            placed.append((pair.item, article.id))
        }

        let pairedOld = Set(earlier.pairs.map(\.old))
        for (index, article) in earlier.old.enumerated() where !pairedOld.contains(index) && !article.isDeleted {
            let annotations = try Self.annotations(db, articleID: article.id)
            try changes.set(.article, id: article.id, field: Change.deletedField, json: "true")
            try Materializer.article(db, id: article.id, now: now)
            let tally = AnnotationTally(trashed: annotations.count)
            result.annotations.add(tally)
            result.review += annotations.map {
                AnnotationReview(id: $0.id, articleID: article.id, quote: $0.quote, outcome: .trashed)
            }
            result.articlesRemoved += 1
            listed.append(
                (
                    article.position,
                    ArticleChange(id: article.id, title: article.title, kind: .removed, annotations: tally)
                ))
        }

        let pairedItems = Set(earlier.pairs.map(\.item))
        let fresh = prepared.items.indices.filter { !pairedItems.contains($0) }
        let inserted = try insertItems(
            db, &changes, items: fresh.map { prepared.items[$0] }, sourceID: source.id, now: now, positions: fresh,
            ids: fresh.map { prepared.ids[$0] })
        for (position, (id, isNew)) in zip(fresh, inserted) {
            if isNew {
                result.articlesAdded += 1
                listed.append(
                    (position, ArticleChange(id: id, title: prepared.items[position].title, kind: .added)))
            } else if try Bool.fetchOne(
                db, sql: "SELECT deleted FROM articles WHERE id = ?", arguments: [id]) == true
            {
                // The same text as an article in the trash: it stays there.
                continue
            }
            placed.append((position, id))
        }

        let ids = placed.sorted { $0.position < $1.position }.map(\.id)
        result.articles = ids.count
        result.changes = listed.sorted { $0.position < $1.position }.map(\.change)
        return (result, ids)
    }

    /// An article updated to a new version of its page item, three-way against the earlier version.
    ///
    /// A field the page did not change keeps the article's value (an edit made since stays); a field the
    /// article did not change takes the page's; a field both changed takes the page's when the article's
    /// body merges with it cleanly, else keeps the article's and is named in `kept`.
    ///
    /// - Parameters:
    ///   - article: The article as it stands.
    ///   - item: The item of the new version of the page.
    ///   - base: The item of the earlier version, when it could be made again from the earlier source.
    /// - Returns: The article with its new fields, and the fields where an edit was kept over the page.
    static func updated(_ article: Article, to item: PageItem, base: PageItem?) -> (Article, kept: [String]) {
        var edited = article
        var kept: [String] = []
        for field in Article.textFields {
            let current = article.text(field) ?? ""
            let page = item.text(field) ?? ""
            guard current != page else { continue }
            guard let was = base.map({ $0.text(field) ?? "" }), was != current else {
                edited.setText(field, page)
                continue
            }
            if was == page { continue }
            if field == .body {
                let merged = TextMerge.merge(base: was, winner: page, other: current)
                if !merged.hasConflict {
                    edited.setText(field, merged.text)
                    continue
                }
            }
            kept.append(field.rawValue)
        }
        return (edited, kept)
    }
}

/// The file names of the sources held, read once per import from the path index: which earlier imports
/// share a file's name, without a scan per file.
///
/// Filled on first use, then kept up to date with the sources the import adds. A name it holds is only a
/// candidate: the source is read again and checked.
final class SourceNames {
    private var rowids: [String: [Int64]]?

    init() {}

    /// Row ids of the sources whose file name is `name`.
    func rowids(named name: String, _ db: Database) throws -> [Int64] {
        if let rowids { return rowids[name] ?? [] }
        var loaded: [String: [Int64]] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT rowid, path FROM sources INDEXED BY sources_path")
        while let row = try rows.next() {
            let path: String = row[1]
            loaded[(path as NSString).lastPathComponent, default: []].append(row[0])
        }
        rowids = loaded
        return loaded[name] ?? []
    }

    /// Notes a source just stored.
    func add(path: String, rowid: Int64) {
        rowids?[(path as NSString).lastPathComponent, default: []].append(rowid)
    }
}
