import Foundation

/// What `kb import` did.
public struct ImportReport: Sendable, Codable, Equatable {
    /// A file that could not be imported, and why.
    public struct Failure: Sendable, Codable, Equatable {
        public var path: String
        public var error: String
    }

    /// One file and what happened to it.
    public struct FileResult: Sendable, Codable, Equatable {
        public var path: String
        public var status: ImportStatus
        /// Articles of the file, as it now stands in the knowledge base.
        public var articles: Int
        /// The earlier import this file updated in place, if any: its path.
        public var previous: String?
        /// Why the earlier import was taken for the same page.
        public var identity: PageIdentity?
        public var articlesUpdated = 0
        public var articlesAdded = 0
        /// Articles of the earlier import that the file no longer holds, moved to the trash.
        public var articlesRemoved = 0
        /// How the annotations of the articles updated or removed stand.
        public var annotations = AnnotationTally()
        /// Every annotation that became fuzzy, orphaned, or went to the trash with its article.
        public var review: [AnnotationReview] = []
        /// What changed, article by article, in page order (articles left as they were are not listed).
        public var changes: [ArticleChange] = []
        /// How the file was read: a newspaper page, plain text, Markdown or a dump (nil when it failed).
        public var kind: DocumentKind?
        /// The encoding of a text file.
        public var encoding: TextEncoding?
        /// The pages of a PDF file.
        public var pages: Int?

        public init(path: String, status: ImportStatus, articles: Int) {
            self.path = path
            self.status = status
            self.articles = articles
        }

        enum CodingKeys: String, CodingKey {
            case path, status, articles, previous, identity, annotations, review, changes, encoding, pages
            case kind = "read_as"
            case articlesUpdated = "updated"
            case articlesAdded = "added"
            case articlesRemoved = "removed"
        }
    }

    /// Files imported for the first time (or as a new copy, with `--as-new`).
    public var added = 0
    /// Files already in the knowledge base, byte for byte.
    public var unchanged = 0
    /// Files that updated an earlier import of the same page in place.
    public var updated = 0
    public var failed: [Failure] = []
    /// Ids of the articles of every imported file, in order.
    public var articles: [String] = []
    /// Files that were not imported because kb does not read their kind (in folders only).
    public var skipped: [String] = []
    /// Articles created.
    public var articlesAdded = 0
    /// Articles whose fields a re-import changed.
    public var articlesUpdated = 0
    /// Articles a re-import moved to the trash because the page no longer holds them.
    public var articlesRemoved = 0
    /// How the annotations of the articles updated or removed stand, over every file.
    public var annotations = AnnotationTally()
    /// Every annotation that became fuzzy, orphaned, or went to the trash, over every file.
    public var review: [AnnotationReview] = []
    public var files: [FileResult] = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case added, unchanged, updated, failed, articles, skipped, files, annotations, review
        case articlesAdded = "articles_added"
        case articlesUpdated = "articles_updated"
        case articlesRemoved = "articles_removed"
    }

    /// Adds the result of one file.
    mutating func append(_ file: FileResult, ids: [String]) {
        switch file.status {
        case .added: added += 1
        case .updated: updated += 1
        case .unchanged: unchanged += 1
        case .failed: preconditionFailure("A failed file is recorded with fail(_:error:).")
        }
        articles += ids
        articlesAdded += file.articlesAdded
        articlesUpdated += file.articlesUpdated
        articlesRemoved += file.articlesRemoved
        annotations.add(file.annotations)
        review += file.review
        files.append(file)
    }

    /// Records a file that failed.
    mutating func fail(_ path: String, error: String) {
        failed.append(.init(path: path, error: error))
        files.append(.init(path: path, status: .failed, articles: 0))
    }
}

extension ImportReport.FileResult {
    /// The result of a file of several sources (the pages of a PDF file): added when one of them was added,
    /// updated when one of them updated an earlier import (and none was added), else unchanged; the counts
    /// are summed.
    static func combining(_ results: [Self], path: String) -> Self {
        guard results.count > 1, let first = results.first else {
            return results.first ?? Self(path: path, status: .unchanged, articles: 0)
        }
        let status: ImportStatus =
            results.contains { $0.status == .added }
            ? .added : results.contains { $0.status == .updated } ? .updated : .unchanged
        var combined = Self(path: path, status: status, articles: 0)
        let updated = results.first { $0.status == .updated }
        combined.previous = updated?.previous ?? first.previous
        combined.identity = updated?.identity ?? first.identity
        for result in results {
            combined.articles += result.articles
            combined.articlesUpdated += result.articlesUpdated
            combined.articlesAdded += result.articlesAdded
            combined.articlesRemoved += result.articlesRemoved
            combined.annotations.add(result.annotations)
            combined.review += result.review
            combined.changes += result.changes
        }
        return combined
    }
}

/// What happened to one file of an import.
public enum ImportStatus: String, Sendable, Codable {
    /// Imported for the first time, or as a new copy (`--as-new`).
    case added
    /// The same bytes were imported before: nothing changed.
    case unchanged
    /// A new version of a page imported before: its articles were updated in place.
    case updated
    /// Not imported; the knowledge base is as it was.
    case failed
}

/// How `kb import` treats a file whose page was imported before.
public enum ImportMode: Sendable {
    /// Update the articles of the earlier import in place: the default.
    case inPlace
    /// Make the file's articles anew, leaving the earlier ones as they are (`--as-new`).
    case asNew
}

/// Why an earlier import was taken for the same page as the file being imported.
public enum PageIdentity: String, Sendable, Codable {
    /// The same path.
    case path
    /// The same file name, in another folder.
    case fileName = "file_name"
    /// The same first lines, under another name.
    case firstLines = "first_lines"
}

/// Counts of annotations after a re-import.
public struct AnnotationTally: Sendable, Codable, Equatable {
    /// Found exactly in the new text (moved or not).
    public var anchored = 0
    /// Found by an approximate match: the quoted text itself changed.
    public var fuzzy = 0
    /// Not found in the new text: kept with their notes, listed by `kb notes --orphaned`.
    public var orphaned = 0
    /// Moved to the trash with an article the page no longer holds.
    public var trashed = 0

    public init(anchored: Int = 0, fuzzy: Int = 0, orphaned: Int = 0, trashed: Int = 0) {
        self.anchored = anchored
        self.fuzzy = fuzzy
        self.orphaned = orphaned
        self.trashed = trashed
    }

    mutating func add(_ other: AnnotationTally) {
        anchored += other.anchored
        fuzzy += other.fuzzy
        orphaned += other.orphaned
        trashed += other.trashed
    }

    mutating func count(_ state: AnchorState) {
        switch state {
        case .anchored: anchored += 1
        case .fuzzy: fuzzy += 1
        case .orphaned: orphaned += 1
        }
    }
}

/// An annotation that a re-import left for the user to look at.
public struct AnnotationReview: Sendable, Codable, Equatable {
    /// What happened to it.
    public enum Outcome: String, Sendable, Codable {
        /// Anchored by an approximate match: the quoted text changed.
        case fuzzy
        /// Not found in the new text.
        case orphaned
        /// In the trash with its article, which the page no longer holds.
        case trashed
    }

    public var id: String
    public var articleID: String
    /// The quote as it was made.
    public var quote: String
    public var outcome: Outcome

    enum CodingKeys: String, CodingKey {
        case id, quote, outcome
        case articleID = "article_id"
    }
}

/// What a re-import did to one article.
public struct ArticleChange: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// Fields changed, written as edits.
        case updated
        /// New on the page.
        case added
        /// No longer on the page: moved to the trash.
        case removed
        /// The page changed fields that had been edited since its earlier import: the edits stay.
        case kept
    }

    public var id: String
    public var title: String
    public var kind: Kind
    /// The text fields that changed (for `updated`).
    public var fields: [String] = []
    /// The text fields the page changed where an edit made since was kept instead.
    public var kept: [String] = []
    /// How its annotations stand (for `updated` and `removed`).
    public var annotations = AnnotationTally()

    public init(
        id: String, title: String, kind: Kind, fields: [String] = [], kept: [String] = [],
        annotations: AnnotationTally = AnnotationTally()
    ) {
        self.id = id
        self.title = title
        self.kind = kind
        self.fields = fields
        self.kept = kept
        self.annotations = annotations
    }
}
