public import GRDB

/// Rows inserted without their full-text entries, indexed together later in the same transaction.
///
/// Before a statement that may have to be undone on its own — an insert into a table with triggers, such as
/// `articles` and `annotations` — SQLite asks every full-text table already written in the transaction to
/// save its pending entries, and FTS5 writes them out as a new index segment (then merges segments). Inserting
/// one article's entries after its row makes the next article's insert write them out: one segment per
/// article. Inserting the rows first and every entry after keeps the entries in memory until the transaction
/// ends, so each table gets one segment for the whole batch.
///
/// The entries must be written (``writeArticles(_:)``, ``writeAnnotations(_:)``) before any of the rows
/// changes or is deleted: the triggers that follow an update take the old entries out of the index.
public struct PendingIndex {
    private var articles: [(rowid: Int64, article: Article)] = []
    private var annotations: [(rowid: Int64, annotation: Annotation)] = []

    public init() {}

    /// Inserts an article's row, its entries to be written by ``writeArticles(_:)``.
    public mutating func insert(_ db: Database, _ article: Article) throws {
        if let rowid = try article.insertRow(db) { articles.append((rowid, article)) }
    }

    /// Inserts an annotation's row (the caller knows there is none with its id), its entry to be written by
    /// ``writeAnnotations(_:)``.
    public mutating func insert(_ db: Database, _ annotation: Annotation) throws {
        if let rowid = try annotation.insertRow(db) { annotations.append((rowid, annotation)) }
    }

    /// Writes the entries of the articles inserted since the last call, in the order of their rows.
    public mutating func writeArticles(_ db: Database) throws {
        for (rowid, article) in articles.sorted(by: { $0.rowid < $1.rowid }) { try article.index(db, rowid: rowid) }
        articles.removeAll()
    }

    /// Writes the entries of the annotations inserted since the last call, in the order of their rows.
    public mutating func writeAnnotations(_ db: Database) throws {
        for (rowid, annotation) in annotations.sorted(by: { $0.rowid < $1.rowid }) {
            try annotation.index(db, rowid: rowid)
        }
        annotations.removeAll()
    }
}
