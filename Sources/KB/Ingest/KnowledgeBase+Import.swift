import Foundation
public import GRDB

/// A source file as stored: one file, or one page of a PDF file.
public struct Source: Sendable, Equatable, Codable, FetchableRecord {
    public var id: String
    public var path: String
    /// SHA-256 of the file's bytes as they were read (before any conversion of their encoding, and of the
    /// whole PDF file for each of its pages): the same file imported again is recognized by it.
    public var sha256: String
    public var kind: String
    /// The text read: converted to UTF-8, or extracted from the PDF page (see ``PDFPageText``).
    public var text: String
    public var importedAt: Int64
    /// The page of the PDF file this source is (1 for the first), nil for a text file.
    public var pdfPage: Int?
    /// The encoding the file's bytes were read in (`utf-8`, `gb18030`, …), nil for a PDF file and for
    /// sources imported before kb recorded it.
    public var encoding: String?
    /// What the PDF file says of itself and what the page prints above its articles (nil for text files).
    public var pdfInfo: PDFInfo?

    enum CodingKeys: String, CodingKey {
        case id, path, sha256, kind, text, encoding
        case importedAt = "imported_at"
        case pdfPage = "pdf_page"
        case pdfInfo = "pdf_info"
    }

    public init(
        id: String, path: String, sha256: String, kind: String, text: String, importedAt: Int64, pdfPage: Int? = nil,
        encoding: String? = nil, pdfInfo: PDFInfo? = nil
    ) {
        self.id = id
        self.path = path
        self.sha256 = sha256
        self.kind = kind
        self.text = text
        self.importedAt = importedAt
        self.pdfPage = pdfPage
        self.encoding = encoding
        self.pdfInfo = pdfInfo
    }

    /// A row whose text is stored as it is or compressed on its own; a page kept as references to its articles'
    /// creations is read with ``readAll(_:sql:arguments:)`` or ``readOne(_:sql:arguments:)`` instead.
    public init(row: Row) throws {
        try self.init(row: row, text: try CompressedText.text(row["text"]))
    }

    private init(row: Row, text: String) throws {
        let info: String? = row["pdf_info"]
        self.init(
            id: row["id"], path: row["path"], sha256: row["sha256"], kind: row["kind"],
            text: text, importedAt: row["imported_at"], pdfPage: row["pdf_page"],
            encoding: row["encoding"], pdfInfo: try info.map { try JSONText.decode(PDFInfo.self, from: $0) })
    }

    /// The sources that `sql` selects (every column of `sources`), their text read back however it is kept: a
    /// page kept as references to its articles' creations reads them from the history (``PageDictionary``).
    public static func readAll(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments())
        throws -> [Source]
    {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map {
            try Source(row: $0, text: try CompressedText.text($0["text"], in: db))
        }
    }

    /// The first source that `sql` selects, read as ``readAll(_:sql:arguments:)`` reads them.
    public static func readOne(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments())
        throws -> Source?
    {
        try Row.fetchOne(db, sql: sql, arguments: arguments).map {
            try Source(row: $0, text: try CompressedText.text($0["text"], in: db))
        }
    }

    /// Inserts the row unless a source with its id is here.
    ///
    /// `storedText` is the text as ``CompressedText`` stores it, when it was made beforehand (on the thread that
    /// prepares a file); nil makes it here.
    public func insert(_ db: Database, storedText: DatabaseValue? = nil) throws {
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO sources (id, path, sha256, kind, text, imported_at, pdf_page, encoding, pdf_info)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            id, path, sha256, kind, storedText ?? CompressedText.databaseValue(text), importedAt, pdfPage, encoding,
            try pdfInfo.map { try JSONText.encode($0) },
        ])
    }
}

/// Options of an import.
public struct ImportOptions: Sendable {
    /// What to do with a file whose page was imported before (default ``ImportMode/inPlace``).
    public var mode: ImportMode
    /// How to read text files and PDF pages, whatever they look like (`--as`); nil (the default) decides
    /// from the file's name and content.
    public var readAs: ReadAs?
    /// The encoding of text files (`--encoding`); nil (the default) recognizes it.
    public var encoding: TextEncoding?

    public init(mode: ImportMode = .inPlace, readAs: ReadAs? = nil, encoding: TextEncoding? = nil) {
        self.mode = mode
        self.readAs = readAs
        self.encoding = encoding
    }
}

/// How `kb import --as` reads a file.
public enum ReadAs: String, Sendable, CaseIterable, Codable {
    /// A newspaper page: cleaned and split into items.
    case page
    /// Plain text, kept as written: one article.
    case text
    /// Markdown: one article, its first `# ` heading the title.
    case markdown
}

extension KnowledgeBase {
    /// File name endings that `kb import` reads from folders.
    public static let importableExtensions = ["txt", "md", "markdown", "pdf"]

    /// Imports files and folders (recursively).
    ///
    /// A file that fails changes nothing and is listed in ``ImportReport/failed``; the others go on. Files are
    /// stored a batch at a time (``batchFiles`` files or ``batchBytes`` of text, whichever comes first), in one
    /// transaction with a savepoint for each file, and their full-text entries are written together at the
    /// end of the batch: the text indexes get a few large segments instead of one per file, as an index built
    /// in one transaction does. Work interrupted (a crash, a kill) loses at most the batch being stored.
    ///
    /// - Parameters:
    ///   - paths: Files and folders.
    ///   - options: See ``ImportOptions``.
    ///   - progress: Called after each file with (files done, files in all, path), once its batch is stored.
    /// - Returns: What was done.
    /// - Throws: Nothing at present: the error of a file is listed in ``ImportReport/failed`` instead.
    public func importFiles(
        _ paths: [String], options: ImportOptions = ImportOptions(),
        progress: ((Int, Int, String) -> Void)? = nil
    ) throws -> ImportReport {
        var report = ImportReport()
        let files = Self.expand(paths, report: &report)
        // Reading, decoding, cleaning and splitting run on a second thread, a few files ahead of the
        // transactions that store them: the two halves of the work overlap on two cores.
        let pipeline = PreparePipeline(files: files, options: options, depth: 4)
        let names = SourceNames()
        var done = 0
        while done < files.count {
            let outcomes = storeBatch(files, from: done, pipeline: pipeline, options: options, names: names)
            for (offset, outcome) in outcomes.enumerated() {
                let file = files[done + offset]
                switch outcome {
                case .success(let (result, ids)):
                    report.append(result, ids: ids)
                case .failure(let error as KBError):
                    report.fail(file, error: error.message)
                case .failure(let error):
                    report.fail(file, error: "Importing '\(file)' failed: \(error).")
                }
                progress?(done + offset + 1, files.count, file)
            }
            done += outcomes.count
        }
        if report.added > 0 || report.updated > 0 { reclaimFreePages() }
        return report
    }

    /// Files stored in one transaction by ``importFiles(_:options:progress:)``, at most.
    static let batchFiles = 100
    /// Text (UTF-8 bytes of the files as read) after which a batch of ``importFiles(_:options:progress:)`` ends.
    static let batchBytes = 4_000_000

    /// Stores the next files of the pipeline in one transaction, each in a savepoint of its own: the outcome of
    /// each file taken, in order.
    ///
    /// A file whose preparation failed, or whose savepoint was rolled back, fails alone. A dump (a backup) ends
    /// the batch and is restored after it, in its own transaction. When the batch itself cannot be written
    /// (its commit fails), every file of it fails with that error.
    private func storeBatch(
        _ files: [String], from start: Int, pipeline: PreparePipeline, options: ImportOptions, names: SourceNames
    ) -> [Result<(ImportReport.FileResult, [String]), any Error>] {
        var outcomes: [Result<(ImportReport.FileResult, [String]), any Error>] = []
        var dump: [PreparedFile]?
        do {
            try database.writer.write { db in
                var pending = PendingIndex()
                var bytes = 0
                while start + outcomes.count < files.count, outcomes.count < Self.batchFiles, bytes < Self.batchBytes {
                    let prepared: [PreparedFile]
                    do {
                        prepared = try pipeline.next().get()
                    } catch {
                        outcomes.append(.failure(error))
                        continue
                    }
                    if prepared.first?.kind == .dump {
                        dump = prepared
                        break
                    }
                    bytes += prepared.reduce(0) { $0 + $1.text.utf8.count }
                    let before = pending
                    do {
                        var stored: (ImportReport.FileResult, [String])?
                        try db.inSavepoint {
                            var changes = try ChangeWriter(db, clock: clock)
                            stored = try store(
                                prepared, db, &changes, options: options, names: names, pending: &pending)
                            try changes.finish()
                            return .commit
                        }
                        if let stored { outcomes.append(.success(stored)) }
                    } catch {
                        // The savepoint is rolled back: so are the rows whose entries were waiting.
                        pending = before
                        outcomes.append(.failure(StorageFailure.error(error, path: database.path) ?? error))
                    }
                }
                try pending.writeArticles(db)
            }
        } catch {
            // Nothing of the batch was written: the files it held fail with its error.
            let failure = StorageFailure.error(error, path: database.path) ?? error
            outcomes = outcomes.map { outcome in
                if case .success = outcome { return .failure(failure) }
                return outcome
            }
        }
        if let dump { outcomes.append(Result { try store(dump, options: options, names: names) }) }
        return outcomes
    }

    /// Lists the files to import: given files as they are, folders walked in name order.
    static func expand(_ paths: [String], report: inout ImportReport) -> [String] {
        let fileManager = FileManager.default
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                report.fail(path, error: "'\(path)' does not exist; check the path.")
                continue
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            guard let enumerator = fileManager.enumerator(atPath: path) else {
                report.fail(path, error: "The folder '\(path)' cannot be read; check its permissions.")
                continue
            }
            var found: [String] = []
            while let relative = enumerator.nextObject() as? String {
                let full = (path as NSString).appendingPathComponent(relative)
                var isSubdirectory: ObjCBool = false
                guard fileManager.fileExists(atPath: full, isDirectory: &isSubdirectory), !isSubdirectory.boolValue
                else { continue }
                let name = (relative as NSString).lastPathComponent
                if name.hasPrefix(".") { continue }
                if importableExtensions.contains((name as NSString).pathExtension.lowercased()) {
                    found.append(full)
                } else {
                    report.skipped.append(full)
                }
            }
            files += found.sorted()
        }
        return files
    }

    /// A file read, decoded and split, ready to be stored: one text file, or one page of a PDF file.
    struct PreparedFile: Sendable {
        var path: String
        var absolute: String
        var text: String
        /// SHA-256 of the file's bytes, as read.
        var sha: String
        var kind: DocumentKind
        var fallbackTitle: String
        /// The items of the document (none for a dump).
        var items: [PageItem]
        /// Their content ids.
        var ids: [String]
        /// The encoding of a text file.
        var encoding: TextEncoding?
        /// The page of a PDF file (1 for the first).
        var page: Int?
        /// What a PDF file says of itself, and what the page prints above its articles.
        var pdfInfo: PDFInfo?
        /// The page's metadata as read from its path and text (``MetadataExtractor``), for a text file: read
        /// here, on the thread that prepares, rather than in the transaction.
        var metadata: SourceMetadata?
        /// The text as the `sources` table keeps it (``CompressedText``), made here rather than in the transaction;
        /// nil for a dump, and for a page kept as references to its articles (``pageDictionary``).
        var storedText: DatabaseValue?
        /// The page compressed against its items' texts (``PageDictionary``): stored so when every item is
        /// created with the page, else the transaction compresses the page on its own.
        var pageDictionary: PageDictionary.Prepared?
        /// For each item, the start of its creation's value compressed (``ArticleCreation/jsonHead(body:byline:continuation:)``):
        /// the transaction adds the rest, from the time it stamps.
        var creationHeads: [CompressedText.Head?] = []

        /// The source's id: from the file's hash, and for a PDF page from the hash and the page.
        var sourceID: String {
            guard let page else { return String(sha.prefix(24)) }
            return String(Identifier.sha256Hex(Array("\(sha) page \(page)".utf8)).prefix(24))
        }
    }

    /// Reads, decodes and splits a file: everything that needs no database.
    ///
    /// - Returns: One prepared source for a text file, one per page for a PDF file.
    static func prepare(_ path: String, options: ImportOptions = ImportOptions()) throws -> [PreparedFile] {
        try readAndSplit(path, options: options).map { file in
            var file = file
            file.creationHeads = file.items.map { item in
                CompressedText.head(
                    ArticleCreation.jsonHead(body: item.body, byline: item.byline, continuation: item.continuation))
            }
            if file.kind != .dump {
                file.pageDictionary = PageDictionary.prepare(
                    file.text,
                    articles: file.items.map {
                        PageDictionary.fields(
                            kicker: $0.kicker, title: $0.title, subtitle: $0.subtitle, byline: $0.byline,
                            dateline: $0.dateline, body: $0.body)
                    })
                if file.pageDictionary == nil { file.storedText = CompressedText.databaseValue(file.text) }
            }
            return file
        }
    }

    /// True for the bytes of a PDF file: its header `%PDF-` within the first 1,024 bytes, where readers look
    /// for it (some writers put bytes before it).
    static func isPDF(_ bytes: [UInt8]) -> Bool {
        let header = Array("%PDF-".utf8)
        let window = bytes.prefix(1024)
        guard window.count >= header.count else { return false }
        for start in window.startIndex...(window.endIndex - header.count)
        where window[start] == header[0] && window[start..<(start + header.count)].elementsEqual(header) {
            return true
        }
        return false
    }

    /// Reads, decodes and splits a file, as ``prepare(_:options:)`` does before compressing.
    private static func readAndSplit(_ path: String, options: ImportOptions) throws -> [PreparedFile] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KBError(.unreadableFile, "'\(path)' cannot be read; check that it is a file you may read.")
        }
        let bytes = [UInt8](data)
        if bytes.isEmpty { throw KBError(.unreadableFile, "'\(path)' is empty; there is nothing to import.") }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let fallbackTitle = ((absolute as NSString).lastPathComponent as NSString).deletingPathExtension
        let sha = Identifier.sha256Hex(bytes)
        if isPDF(bytes) {
            let document = try PDFReader.read(path: path)
            return document.pages.map { page in
                let (text, kind) = page.text(readAs: options.readAs)
                let pageTitle = document.pages.count > 1 ? "\(fallbackTitle) p. \(page.number)" : fallbackTitle
                let items = DocumentReader.items(of: text, kind: kind, fallbackTitle: pageTitle)
                return PreparedFile(
                    path: path, absolute: absolute, text: text, sha: sha, kind: kind, fallbackTitle: pageTitle,
                    items: items, ids: itemIDs(items), page: page.number, pdfInfo: document.info(of: page))
            }
        }
        if (absolute as NSString).pathExtension.lowercased() == "pdf" {
            throw KBError(
                .unreadableFile,
                "'\(path)' is named .pdf but is not a PDF file (no '%PDF-' header in its first 1,024 bytes); "
                    + "it may be damaged or mislabelled.")
        }
        let decoded = try TextDecoder.decode(bytes, path: path, forced: options.encoding)
        let text = decoded.text
        let detected = DocumentReader.detectKind(path: path, text: text)
        let kind = detected == .dump ? .dump : options.readAs.map { DocumentKind($0) } ?? detected
        let items = kind == .dump ? [] : DocumentReader.items(of: text, kind: kind, fallbackTitle: fallbackTitle)
        return [
            PreparedFile(
                path: path, absolute: absolute, text: text, sha: sha, kind: kind, fallbackTitle: fallbackTitle,
                items: items, ids: itemIDs(items), encoding: decoded.encoding,
                metadata: kind == .dump ? nil : MetadataExtractor.metadata(path: absolute, text: text))
        ]
    }

    /// Imports one file in one transaction.
    func importFile(_ path: String, options: ImportOptions) throws -> (ImportReport.FileResult, [String]) {
        try store(try Self.prepare(path, options: options), options: options)
    }

    /// Stores the sources of a prepared file in one transaction: the result and the ids of the file's
    /// articles.
    func store(_ prepared: [PreparedFile], options: ImportOptions, names: SourceNames = SourceNames()) throws -> (
        ImportReport.FileResult, [String]
    ) {
        guard let first = prepared.first else {
            throw KBError(.unreadableFile, "The PDF file holds no page; there is nothing to import.")
        }
        if first.kind == .dump {
            let restored = try restoreDump(first.text, path: first.path)
            var result = ImportReport.FileResult(
                path: first.path, status: restored.changed ? .added : .unchanged, articles: restored.articles.count)
            result.articlesAdded = restored.added
            result.kind = .dump
            result.encoding = first.encoding
            return (result, restored.articles)
        }
        return try write { db, changes in
            var pending = PendingIndex()
            let stored = try store(prepared, db, &changes, options: options, names: names, pending: &pending)
            try pending.writeArticles(db)
            return stored
        }
    }

    /// Stores the sources of a prepared file (not a dump) in the caller's transaction; the full-text entries of
    /// the articles created wait in `pending` for the caller to write them.
    private func store(
        _ prepared: [PreparedFile], _ db: Database, _ changes: inout ChangeWriter, options: ImportOptions,
        names: SourceNames, pending: inout PendingIndex
    ) throws -> (ImportReport.FileResult, [String]) {
        guard let first = prepared.first else {
            throw KBError(.unreadableFile, "The PDF file holds no page; there is nothing to import.")
        }
        let results = try prepared.map {
            try store($0, db, &changes, options: options, names: names, pending: &pending)
        }
        var result = ImportReport.FileResult.combining(results.map(\.0), path: first.path)
        result.kind = first.kind
        result.encoding = first.encoding
        result.pages = first.page == nil ? nil : prepared.count
        return (result, results.flatMap(\.1))
    }

    /// Stores one source, in the transaction of its file.
    private func store(
        _ prepared: PreparedFile, _ db: Database, _ changes: inout ChangeWriter, options: ImportOptions,
        names: SourceNames, pending: inout PendingIndex
    ) throws -> (ImportReport.FileResult, [String]) {
        let (path, absolute, text, kind, items) =
            (prepared.path, prepared.absolute, prepared.text, prepared.kind, prepared.items)
        let sha = prepared.sha
        let sourceID = prepared.sourceID
        if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM sources WHERE id = ?)", arguments: [sourceID])
            == true
        {
            // The articles of its items (some may have come first from another file with the
            // same text), then any other article that this file brought.
            let own = try Row.fetchAll(
                db, sql: "SELECT id, position FROM articles WHERE source_id = ? AND deleted = 0 ORDER BY position",
                arguments: [sourceID]
            ).map { (id: $0["id"] as String, position: $0["position"] as Int) }
            var ids: [String] = []
            for (position, id) in prepared.ids.enumerated() {
                if try Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM articles WHERE id = ? AND deleted = 0)", arguments: [id])
                    == true
                {
                    ids.append(id)
                } else if let article = own.first(where: { $0.position == position }), !ids.contains(article.id) {
                    ids.append(article.id)
                }
            }
            ids += own.map(\.id).filter { !ids.contains($0) }
            return (ImportReport.FileResult(path: path, status: .unchanged, articles: ids.count), ids)
        }
        let now = changes.timestamp
        let source = Source(
            id: sourceID, path: absolute, sha256: sha, kind: kind.rawValue, text: text, importedAt: now,
            pdfPage: prepared.page, encoding: prepared.encoding?.description, pdfInfo: prepared.pdfInfo)
        let earlier =
            options.mode == .inPlace ? try Self.earlierImport(db, of: prepared, names: names) : nil
        if let earlier {
            try source.insert(db, storedText: prepared.storedText)
            names.add(path: absolute, rowid: db.lastInsertedRowID)
            try changes.create(.source, id: sourceID, json: nil)
            try Self.carryMetadata(db, &changes, from: earlier.source.id, to: sourceID, extracted: prepared.metadata)
            // The update changes rows that may be waiting for their entries: they are written first.
            try pending.writeArticles(db)
            return try updateInPlace(db, &changes, earlier, to: source, prepared: prepared)
        }
        // A new page is stored after its articles: kept as references to their creations, it names them
        // (a page whose articles were not all created here is compressed on its own).
        try changes.create(.source, id: sourceID, json: nil)
        var creations: [ChangeID] = []
        let ids = try insertItems(
            db, &changes, items: items, sourceID: sourceID, now: now, ids: prepared.ids,
            creationHeads: prepared.creationHeads, pending: &pending, creations: &creations)
        let stored = prepared.pageDictionary.flatMap { PageDictionary.databaseValue($0, creations: creations) }
        try source.insert(db, storedText: stored ?? prepared.storedText)
        names.add(path: absolute, rowid: db.lastInsertedRowID)
        try Self.carryMetadata(db, &changes, from: nil, to: sourceID, extracted: prepared.metadata)
        var result = ImportReport.FileResult(path: path, status: .added, articles: ids.count)
        result.articlesAdded = ids.filter(\.isNew).count
        return (result, ids.map(\.id))
    }

    /// Creates the articles of a new source; an article already present (same content) is kept as it is.
    ///
    /// The place of each item on its page is `positions`, by default its index in `items`. The rows are
    /// inserted first and their full-text entries after them (``PendingIndex``): the index gets one segment
    /// for the page rather than one for each article.
    func insertItems(
        _ db: Database, _ changes: inout ChangeWriter, items: [PageItem], sourceID: String?, now: Int64,
        positions: [Int]? = nil, ids: [String]? = nil
    ) throws -> [(id: String, isNew: Bool)] {
        var pending = PendingIndex()
        let result = try insertItems(
            db, &changes, items: items, sourceID: sourceID, now: now, positions: positions, ids: ids,
            pending: &pending)
        try pending.writeArticles(db)
        return result
    }

    /// Creates the articles of a new source as ``insertItems(_:_:items:sourceID:now:positions:ids:)`` does, their
    /// full-text entries left in `pending` for the caller to write before anything changes the rows.
    func insertItems(
        _ db: Database, _ changes: inout ChangeWriter, items: [PageItem], sourceID: String?, now: Int64,
        positions: [Int]? = nil, ids: [String]? = nil, creationHeads: [CompressedText.Head?] = [],
        pending: inout PendingIndex
    ) throws -> [(id: String, isNew: Bool)] {
        var creations: [ChangeID] = []
        return try insertItems(
            db, &changes, items: items, sourceID: sourceID, now: now, positions: positions, ids: ids,
            creationHeads: creationHeads, pending: &pending, creations: &creations)
    }

    /// Creates the articles of a new source as ``insertItems(_:_:items:sourceID:now:positions:ids:)`` does, the
    /// ids of their creations appended to `creations` (none for an item whose article was here).
    func insertItems(
        _ db: Database, _ changes: inout ChangeWriter, items: [PageItem], sourceID: String?, now: Int64,
        positions: [Int]? = nil, ids: [String]? = nil, creationHeads: [CompressedText.Head?] = [],
        pending: inout PendingIndex, creations: inout [ChangeID]
    ) throws -> [(id: String, isNew: Bool)] {
        var result: [(id: String, isNew: Bool)] = []
        let positions = positions ?? Array(items.indices)
        let ids = ids ?? Self.itemIDs(items, positions: positions)
        for (index, item) in items.enumerated() {
            let id = ids[index]
            let position = positions[index]
            // A purged article counts as present: its history says it is deleted (kb trash empty).
            if try Bool.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM articles WHERE id = ?)
                            OR EXISTS (SELECT 1 FROM purged WHERE id = ?)
                        """), arguments: [id, id]) == true
            {
                result.append((id, false))
                continue
            }
            let article = Article(
                id: id, sourceID: sourceID, position: position, kind: item.kind.rawValue,
                title: item.title, subtitle: item.subtitle, kicker: item.kicker, byline: item.byline,
                dateline: item.dateline, body: item.body, continuation: item.continuation, createdAt: now)
            try pending.insert(db, article)
            let creation = ArticleCreation(article)
            let head = creationHeads.indices.contains(index) ? creationHeads[index] : nil
            let created = try changes.create(
                .article, id: id, json: creation.jsonText,
                storedValue: head.map { CompressedText.databaseValue($0, then: creation.jsonTail) })
            creations.append(created.id)
            result.append((id, true))
        }
        return result
    }

    /// The content-derived ids of a page's items; a repeated item gets its position mixed in.
    static func itemIDs(_ items: [PageItem], positions: [Int]? = nil) -> [String] {
        var used: Set<String> = []
        return zip(items, positions ?? Array(items.indices)).map { item, position in
            var id = Identifier.contentID(item.identityFields)
            if used.contains(id) { id = Identifier.contentID(item.identityFields + ["#\(position)"]) }
            used.insert(id)
            return id
        }
    }
}

/// Prepares files on a second thread, at most `depth` ahead of the one that stores them.
final class PreparePipeline: @unchecked Sendable {
    // @unchecked Sendable: `results` and `next` are only touched under `condition`.
    private let files: [String]
    private let options: ImportOptions
    private let depth: Int
    private let condition = NSCondition()
    private var results: [Int: Result<[KnowledgeBase.PreparedFile], any Error>] = [:]
    private var consumed = 0

    init(files: [String], options: ImportOptions, depth: Int) {
        self.files = files
        self.options = options
        self.depth = depth
        guard !files.isEmpty else { return }
        let thread = Thread { [self] in self.produce() }
        thread.start()
    }

    private func produce() {
        for (index, file) in files.enumerated() {
            condition.lock()
            while index - consumed >= depth { condition.wait() }
            condition.unlock()
            let result = Result { try KnowledgeBase.prepare(file, options: options) }
            condition.lock()
            results[index] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next file, in order; waits for it if needed.
    func next() -> Result<[KnowledgeBase.PreparedFile], any Error> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result = results.removeValue(forKey: consumed) {
                consumed += 1
                condition.broadcast()
                return result
            }
            condition.wait()
        }
    }
}
