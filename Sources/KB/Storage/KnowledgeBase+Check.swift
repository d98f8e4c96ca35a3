import Foundation
public import GRDB

/// What `kb check` found.
public struct CheckReport: Sendable, Equatable {
    /// The part of the knowledge base a problem is in.
    public enum Area: String, Sendable, CaseIterable {
        /// SQLite's own structure: pages, b-trees, indexes (`PRAGMA integrity_check`).
        case integrity
        /// The full-text index (FTS5's `integrity-check`, and the live records it should hold).
        case fullText = "fts"
        /// The history of changes: heads, creations, records derivable from their changes.
        case history
    }

    /// One thing that is wrong.
    public struct Problem: Sendable, Equatable {
        public var area: Area
        /// One sentence.
        public var detail: String

        public init(_ area: Area, _ detail: String) {
            self.area = area
            self.detail = detail
        }
    }

    /// Everything found, in the order of the checks; empty when the knowledge base is sound.
    public var problems: [Problem] = []

    /// True when nothing is wrong.
    public var isOK: Bool { problems.isEmpty }

    /// True when SQLite itself found damage (then writing commands refuse until repaired).
    public var isDamaged: Bool { problems.contains { $0.area == .integrity } }

    public init(problems: [Problem] = []) { self.problems = problems }
}

/// What `kb check --repair` did.
public struct RepairReport: Sendable, Equatable {
    /// The knowledge base, now the recovered file.
    public var path: String
    /// Where the damaged file was kept.
    public var damagedCopy: String
    /// Rows per table in the recovered file (copied, or made again from the history).
    public var recovered: [String: Int]
    /// Articles, annotations and tags lost with a damaged page and made again from their changes.
    public var rederived: Int
    /// Tables of which some rows could not be read.
    public var incomplete: [String]
    /// The check of the recovered file.
    public var check: CheckReport
}

extension KnowledgeBase {
    // MARK: - Check

    /// Checks SQLite's structure, the full-text index and the history, changing nothing.
    ///
    /// The history is sound when every head points to a change of its own record and field, every live
    /// record has its creation in the history, every creation its record, and every article, annotation and
    /// tag holds what ``Materializer`` derives from its changes. The derivations run in a transaction that
    /// is rolled back.
    ///
    /// A file SQLite finds damaged is marked so (``StorageFailure``); a sound one loses an earlier mark.
    ///
    /// ```swift
    /// let report = try kb.check()
    /// for problem in report.problems { print(problem.area, problem.detail) }
    /// ```
    ///
    /// - Returns: The problems found.
    /// - Throws: ``KBError`` when the file cannot be read at all.
    public func check() throws -> CheckReport {
        var report = CheckReport()
        do {
            try database.writer.writeWithoutTransaction { db in
                report.problems += Self.integrityProblems(db)
                try db.inTransaction(.deferred) {
                    report.problems += Self.fullTextProblems(db)
                    report.problems += Self.historyProblems(db, now: clock.now())
                    return .rollback
                }
            }
        } catch let error as DatabaseError {
            let mapped = StorageFailure.error(error, path: database.path)
            if mapped?.kind != .damaged { throw mapped ?? error }
            report.problems.append(.init(.integrity, "SQLite cannot read the file: \(error.message ?? "corrupt")."))
        }
        let path = database.path
        if report.isDamaged {
            StorageFailure.markDamaged(
                path, reason: report.problems.first { $0.area == .integrity }?.detail ?? "integrity check failed")
        } else if !path.isEmpty {
            StorageFailure.clearDamaged(path)
        }
        return report
    }

    static func integrityProblems(_ db: Database) -> [CheckReport.Problem] {
        do {
            let lines = try String.fetchAll(db, sql: "PRAGMA integrity_check(20)")
            guard lines != ["ok"] else { return [] }
            return lines.map { .init(.integrity, $0.hasSuffix(".") ? $0 : $0 + ".") }
        } catch {
            return [.init(.integrity, "SQLite's integrity check failed: \(Self.reason(error)).")]
        }
    }

    /// The full-text tables and the live rows each should index.
    static let fullTextTables: [(table: String, source: String)] = [
        ("articles_fts", "articles"), ("articles_chars", "articles"), ("annotations_fts", "annotations"),
    ]

    static func fullTextProblems(_ db: Database) -> [CheckReport.Problem] {
        var problems: [CheckReport.Problem] = []
        for (table, source) in fullTextTables {
            do {
                try db.execute(sql: "INSERT INTO \(table)(\(table)) VALUES ('integrity-check')")
            } catch {
                problems.append(.init(.fullText, "The search index '\(table)' is damaged: \(Self.reason(error))."))
                continue
            }
            do {
                let missing =
                    try Int.fetchOne(
                        db,
                        sql: """
                            SELECT COUNT(*) FROM \(source)
                            WHERE deleted = 0 AND rowid NOT IN (SELECT id FROM \(table)_docsize)
                            """) ?? 0
                let extra =
                    try Int.fetchOne(
                        db,
                        sql: """
                            SELECT COUNT(*) FROM \(table)_docsize
                            WHERE id NOT IN (SELECT rowid FROM \(source) WHERE deleted = 0)
                            """) ?? 0
                if missing > 0 {
                    problems.append(
                        .init(.fullText, "The search index '\(table)' lacks \(missing) of the live \(source)."))
                }
                if extra > 0 {
                    problems.append(
                        .init(.fullText, "The search index '\(table)' holds \(extra) rows of \(source) that are gone."))
                }
            } catch {
                problems.append(.init(.fullText, "The search index '\(table)' cannot be read: \(Self.reason(error))."))
            }
        }
        return problems
    }

    static func historyProblems(_ db: Database, now: Int64) -> [CheckReport.Problem] {
        var problems: [CheckReport.Problem] = []
        func count(_ sql: String, _ describe: (Int) -> String) {
            do {
                let number = try Int.fetchOne(db, sql: sql) ?? 0
                if number > 0 { problems.append(.init(.history, describe(number))) }
            } catch {
                problems.append(.init(.history, "The history cannot be read: \(Self.reason(error))."))
            }
        }
        count("SELECT COUNT(*) FROM heads WHERE change NOT IN (SELECT rowid FROM changes)") {
            "\($0) head\($0 == 1 ? "" : "s") of fields point to changes missing from the history."
        }
        count(
            """
            SELECT COUNT(*) FROM heads h JOIN changes c ON c.rowid = h.change
            WHERE c.entity_id != h.entity_id OR c.field != h.field
            """
        ) { "\($0) head\($0 == 1 ? "" : "s") of fields point to a change of another record or field." }
        for (table, entity) in [("articles", "article"), ("annotations", "annotation"), ("tags", "tag")] {
            count(
                """
                SELECT COUNT(*) FROM \(table)
                WHERE id NOT IN (SELECT entity_id FROM changes WHERE field = '*' AND entity = '\(entity)')
                """
            ) { "\($0) \(entity)\($0 == 1 ? " has" : "s have") no creation in the history." }
            count(
                """
                SELECT COUNT(DISTINCT entity_id) FROM changes
                WHERE field = '*' AND entity = '\(entity)' AND entity_id NOT IN (SELECT id FROM \(table))
                AND entity_id NOT IN (SELECT id FROM purged)
                """
            ) { "\($0) \(entity)\($0 == 1 ? " is" : "s are") created in the history but missing." }
        }
        // A page kept compressed is the value of its creation when it is pushed: each must read back. A page kept
        // as references to its articles' creations reads them: a damaged creation is reported twice, as the
        // record it no longer gives and as the page.
        var pages: [CheckReport.Problem] = []
        do {
            var unreadable = 0
            let texts = try DatabaseValue.fetchCursor(db, sql: "SELECT text FROM sources WHERE typeof(text) = 'blob'")
            while let text = try texts.next() {
                if (try? CompressedText.text(text, in: db)) == nil { unreadable += 1 }
            }
            if unreadable > 0 {
                pages.append(
                    .init(
                        .history,
                        "\(unreadable) imported page\(unreadable == 1 ? "'s" : "s'") compressed text cannot be read back."
                    ))
            }
        } catch {
            pages.append(.init(.history, "The imported pages cannot be read: \(Self.reason(error))."))
        }
        guard problems.isEmpty else { return problems + pages }
        do {
            problems += try derivationProblems(db, now: now)
        } catch {
            problems.append(.init(.history, "Records cannot be derived from the history: \(Self.reason(error))."))
        }
        return problems + pages
    }

    /// Records whose stored fields differ from what their changes give; the caller rolls back.
    static func derivationProblems(_ db: Database, now: Int64) throws -> [CheckReport.Problem] {
        var articles: [String] = []
        for stored in try Article.fetchAll(db, sql: "SELECT * FROM articles ORDER BY id") {
            try Materializer.article(db, id: stored.id, now: now)
            guard let derived = try Article.fetch(db, id: stored.id) else { continue }
            let same =
                Article.textFields.allSatisfy { stored.text($0) == derived.text($0) }
                && stored.isDeleted == derived.isDeleted && stored.sourceID == derived.sourceID
                && stored.position == derived.position && stored.continuation == derived.continuation
            if !same { articles.append(stored.id) }
        }
        var annotations: [String] = []
        for stored in try Annotation.fetchAll(db, sql: "SELECT * FROM annotations ORDER BY id") {
            try Materializer.annotation(db, id: stored.id, now: now)
            guard let derived = try Annotation.fetch(db, id: stored.id) else { continue }
            if stored.note != derived.note || stored.color != derived.color || stored.quote != derived.quote
                || stored.articleID != derived.articleID || stored.isDeleted != derived.isDeleted
            {
                annotations.append(stored.id)
            }
        }
        var tags: [String] = []
        for row in try Row.fetchAll(db, sql: "SELECT id, present FROM tags ORDER BY id") {
            let id: String = row["id"]
            try Materializer.tag(db, id: id, now: now)
            let present = try Bool.fetchOne(db, sql: "SELECT present FROM tags WHERE id = ?", arguments: [id])
            if present != row["present"] { tags.append(id) }
        }
        var problems: [CheckReport.Problem] = []
        for (what, ids) in [("article", articles), ("annotation", annotations), ("tag", tags)] where !ids.isEmpty {
            let listed = ids.prefix(3).map { "'\($0)'" }.joined(separator: ", ") + (ids.count > 3 ? "…" : "")
            problems.append(
                .init(
                    .history,
                    "\(ids.count) \(what)\(ids.count == 1 ? " differs" : "s differ") from what the history gives "
                        + "(\(listed))."))
        }
        return problems
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "SQLite error \(error.resultCode.rawValue)" }
        if let error = error as? KBError { return error.message }
        return "\(error)"
    }
}

extension KnowledgeBase {
    // MARK: - Repair

    /// Recovers what can be read of a damaged knowledge base into a new file that takes its place, and keeps
    /// the damaged file beside it.
    ///
    /// A new file is made with the current schema; every row of every plain table that SQLite can still
    /// read is copied into it (table by table, then row by row around damaged pages, never through an
    /// index); the full-text index is rebuilt from the articles and annotations; the new file is checked.
    /// Then the damaged file (with its `-wal` and `-shm`) moves to `PATH.damaged-TIME` and the new one to
    /// `PATH`.
    ///
    /// ```swift
    /// let report = try KnowledgeBase.repair(path: "kb.sqlite")
    /// print(report.recovered["articles"] ?? 0, report.damagedCopy)
    /// ```
    ///
    /// - Parameters:
    ///   - path: The damaged file.
    ///   - clock: Gives the time in the name of the kept copy.
    /// - Returns: What was recovered and where the damaged file is.
    /// - Throws: ``KBError`` `.storage` when nothing can be read or the files cannot be moved.
    public static func repair(path: String, clock: Clock = .system) throws -> RepairReport {
        let fileManager = FileManager.default
        guard fileManager.fileExists(atPath: path) else {
            throw KBError(.notFound, "No knowledge base at '\(path)'; check the path or pass --db.")
        }
        let recovering = path + ".recovering"
        for suffix in ["", "-wal", "-shm"] { try? fileManager.removeItem(atPath: recovering + suffix) }
        var recovered: [String: Int] = [:]
        var incomplete: [String] = []
        var rederived = 0
        let check: CheckReport
        do {
            let fresh = try AppDatabase.open(path: recovering, allowsDamaged: true)
            try fresh.writer.writeWithoutTransaction { db in
                do {
                    try db.execute(sql: "ATTACH DATABASE ? AS damaged", arguments: [path])
                    _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM damaged.sqlite_master")
                } catch {
                    throw KBError(
                        .storage,
                        "Cannot recover anything from '\(path)': SQLite cannot read its schema (\(reason(error))); "
                            + "restore it from a backup.")
                }
                for table in try plainTables(db) {
                    let (count, isComplete) = try copyTable(db, table)
                    recovered[table] = count
                    if !isComplete { incomplete.append(table) }
                }
                try db.execute(sql: "DETACH DATABASE damaged")
                try db.inTransaction {
                    rederived = try rederiveMissingRecords(db, now: clock.now())
                    try rebuildSearchIndex(db)
                    return .commit
                }
                for table in recovered.keys {
                    recovered[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(table)\"") ?? 0
                }
            }
            check = try KnowledgeBase(database: fresh, clock: clock).check()
            try fresh.writer.close()
        } catch {
            for suffix in ["", "-wal", "-shm"] { try? fileManager.removeItem(atPath: recovering + suffix) }
            throw StorageFailure.error(error, path: path) ?? error
        }
        let stamp = Timestamp.iso(clock.now()).replacingOccurrences(of: ":", with: "").prefix(17)
        let kept = "\(path).damaged-\(stamp)"
        do {
            for suffix in ["", "-wal", "-shm"] where fileManager.fileExists(atPath: path + suffix) {
                try fileManager.moveItem(atPath: path + suffix, toPath: kept + suffix)
            }
            try fileManager.moveItem(atPath: recovering, toPath: path)
        } catch {
            throw KBError(
                .storage,
                "Cannot put the recovered knowledge base in place of '\(path)'; it is at '\(recovering)', move it "
                    + "there by hand.")
        }
        StorageFailure.clearDamaged(path)
        return RepairReport(
            path: path, damagedCopy: kept, recovered: recovered, rederived: rederived, incomplete: incomplete.sorted(),
            check: check)
    }

    /// The tables of the schema that hold data: neither SQLite's nor GRDB's own, nor full-text tables.
    static func plainTables(_ db: Database) throws -> [String] {
        let virtual = try String.fetchAll(
            db, sql: "SELECT name FROM main.sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")
        return try String.fetchAll(
            db,
            sql: """
                SELECT name FROM main.sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'
                AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations' ORDER BY name
                """
        ).filter { name in !virtual.contains { name.hasPrefix($0 + "_") } }
    }

    /// Copies the rows of `table` from the attached damaged file that can be read.
    ///
    /// - Returns: How many rows were copied, and whether the whole table could be read.
    static func copyTable(_ db: Database, _ table: String) throws -> (Int, Bool) {
        let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?, 'main')", arguments: [table])
        let found = Set(
            (try? String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?, 'damaged')", arguments: [table]))
                ?? [])
        let shared = columns.filter(found.contains).map { "\"\($0)\"" }
        guard !shared.isEmpty else { return (0, found.isEmpty) }
        let list = shared.joined(separator: ", ")
        let insert = "INSERT OR IGNORE INTO main.\"\(table)\" (\(list)) "
        // The whole table at once, when it reads.
        do {
            try db.inSavepoint {
                try db.execute(sql: insert + "SELECT \(list) FROM damaged.\"\(table)\" NOT INDEXED")
                return .commit
            }
            return (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM main.\"\(table)\"") ?? 0, true)
        } catch {}
        // Row by row: by rowid, skipping ahead past what cannot be read.
        let schema = try String.fetchOne(
            db, sql: "SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = ?", arguments: [table])
        let hasRowid = !(schema ?? "").uppercased().contains("WITHOUT ROWID")
        var copied = 0
        guard hasRowid else {
            // Without rowid: in order, as far as it reads.
            let cursor = try Row.fetchCursor(db, sql: "SELECT \(list) FROM damaged.\"\(table)\" NOT INDEXED")
            let statement = try db.makeStatement(
                sql: insert + "VALUES (" + shared.map { _ in "?" }.joined(separator: ", ") + ")")
            do {
                while let row = try cursor.next() {
                    try statement.execute(arguments: StatementArguments(row.databaseValues))
                    copied += 1
                }
                return (copied, true)
            } catch {
                return (copied, false)
            }
        }
        let statement = try db.makeStatement(
            sql: insert + "VALUES (" + shared.map { _ in "?" }.joined(separator: ", ") + ")")
        var after: Int64 = Int64.min
        var isComplete = true
        var skip: Int64 = 1
        while true {
            var last: Int64?
            do {
                let cursor = try Row.fetchCursor(
                    db,
                    sql: "SELECT rowid, \(list) FROM damaged.\"\(table)\" NOT INDEXED WHERE rowid > ? ORDER BY rowid",
                    arguments: [after])
                while let row = try cursor.next() {
                    last = row[0]
                    try statement.execute(arguments: StatementArguments(Array(row.databaseValues.dropFirst())))
                    copied += 1
                    skip = 1
                }
                return (copied, isComplete)
            } catch {
                isComplete = false
                after = (last ?? after) == Int64.min ? 0 : (last ?? after)
                guard after < Int64.max - skip, skip < 1 << 40 else { return (copied, false) }
                after += skip
                skip *= 2
            }
        }
    }

    /// Makes again, from the history, the records whose creation is held but whose row was lost.
    ///
    /// - Returns: How many records were made.
    static func rederiveMissingRecords(_ db: Database, now: Int64) throws -> Int {
        var count = 0
        for (entity, table) in [(EntityKind.article, "articles"), (.annotation, "annotations"), (.tag, "tags")] {
            let ids = try String.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT entity_id FROM changes WHERE field = '*' AND entity = ?
                    AND entity_id NOT IN (SELECT id FROM \(table)) ORDER BY entity_id
                    """, arguments: [entity.rawValue])
            for id in ids {
                switch entity {
                case .article: try Materializer.article(db, id: id, now: now)
                case .annotation: try Materializer.annotation(db, id: id, now: now)
                default: try Materializer.tag(db, id: id, now: now)
                }
                count += 1
            }
        }
        return count
    }

    /// Rebuilds the full-text tables from the live articles and annotations.
    static func rebuildSearchIndex(_ db: Database) throws {
        for (table, _) in fullTextTables {
            try db.execute(sql: "INSERT INTO \(table)(\(table)) VALUES ('delete-all')")
        }
        try db.execute(
            sql: """
                INSERT INTO articles_fts (rowid, body, title, subtitle, kicker, byline, dateline)
                SELECT rowid, body, title, subtitle, kicker, byline, dateline FROM articles WHERE deleted = 0;
                INSERT INTO articles_chars (rowid, text)
                SELECT rowid, body || title || subtitle || kicker || byline || dateline FROM articles WHERE deleted = 0;
                INSERT INTO annotations_fts (rowid, note, quote)
                SELECT rowid, note, quote FROM annotations WHERE deleted = 0;
                """)
    }
}
