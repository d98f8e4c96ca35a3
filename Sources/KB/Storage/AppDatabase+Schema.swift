import Foundation
import GRDB

// MARK: - Migrations

extension AppDatabase {
    /// Every migration of the knowledge base file, in order.
    ///
    /// A shipped migration never changes.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try createSchemaV1(db)
        }
        // Punctuation between a word and a CJK character no longer makes a junction token (`500，万` is not
        // `500万`), and CJK characters are indexed in their folded form (頭髮 as 头发): the text indexes are
        // built again with the tokenizer as it is now.
        migrator.registerMigration("v2") { db in
            try rebuildTextIndexes(db)
        }
        // The trash: what `kb trash empty` purged, kept out while its history says it is deleted.
        migrator.registerMigration("v3") { db in
            try createPurgedTable(db)
        }
        // A source remembers the page of the PDF file it is, the encoding its file was read in, and what
        // a PDF file says of itself.
        migrator.registerMigration("v4-import-formats") { db in
            try db.execute(
                sql: """
                    ALTER TABLE sources ADD COLUMN pdf_page INTEGER;
                    ALTER TABLE sources ADD COLUMN encoding TEXT;
                    ALTER TABLE sources ADD COLUMN pdf_info TEXT;
                    """)
        }
        // Where each page was published, and authors set by hand (docs/citations.md).
        migrator.registerMigration("v4-source-metadata") { db in
            try SourceMetadataStore.createTables(db)
        }
        // Continuation markers (`（上接第1版）`, `（下转第2版）`) are metadata of an article, not its text.
        migrator.registerMigration("v4-corrections") { db in
            try db.execute(sql: "ALTER TABLE articles ADD COLUMN continuation TEXT NOT NULL DEFAULT ''")
        }
        // A PDF page's metadata from its masthead and the file's own metadata (docs/citations.md).
        migrator.registerMigration("v4-pdf-metadata") { db in
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            for id in try String.fetchAll(db, sql: "SELECT id FROM sources WHERE pdf_info IS NOT NULL") {
                try SourceMetadataStore.refresh(db, sourceID: id, now: now)
            }
        }
        // The articles in the trash, by source page. `deleted` comes after the body in a row, so reading it
        // for every article walks each long body's overflow pages; listings that need only the live ids and
        // counts take every article from the indexes on `id` and `source_id` and subtract these few.
        migrator.registerMigration("v5-articles-trashed") { db in
            try db.execute(sql: "CREATE INDEX articles_trashed ON articles(source_id) WHERE deleted != 0")
        }
        // The character index also says how often each character occurs in each article (count tokens, see
        // `CharacterTokenizer`), so that one-character queries rank without reading the texts: built again
        // with the tokenizer that writes them. Their short fields are read from an index of their own.
        migrator.registerMigration(characterCountsMigration) { db in
            try rebuildCharacterIndex(db)
            try db.execute(sql: "CREATE INDEX articles_headings ON articles(title, subtitle, kicker, byline)")
        }
        // FTS5 writes a transaction's pending entries out as a segment each time they pass `hashsize` (1 MB by
        // default), and merges those segments again: an import batch or a pull of several megabytes wrote a
        // dozen segments and merged them. Held up to 64 MB, they go out once, at commit (the import's batches
        // hold at most 4 MB of text, so no more memory than that is used in practice): about 10 % off an import.
        migrator.registerMigration("v7-fts-hashsize") { db in
            for table in ["articles_fts", "articles_chars"] {
                try db.execute(
                    sql: "INSERT INTO \(table)(\(table), rank) VALUES ('hashsize', ?)", arguments: [ftsHashSize])
            }
        }
        return migrator
    }

    /// The most bytes of pending full-text entries FTS5 holds before writing them out (its `hashsize`).
    static let ftsHashSize = 64 << 20

    /// Builds the full-text indexes of articles and annotations again from their rows.
    ///
    /// The indexes hold the tokens of the tokenizer that wrote them; a migration that changes what the
    /// tokenizer emits calls this, so that later deletes remove exactly what was inserted.
    static func rebuildTextIndexes(_ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO articles_fts(articles_fts) VALUES ('delete-all');
                INSERT INTO articles_fts(rowid, body, title, subtitle, kicker, byline, dateline)
                SELECT rowid, body, title, subtitle, kicker, byline, dateline FROM articles WHERE deleted = 0;
                INSERT INTO annotations_fts(annotations_fts) VALUES ('delete-all');
                INSERT INTO annotations_fts(rowid, note, quote)
                SELECT rowid, note, quote FROM annotations WHERE deleted = 0;
                """)
        try rebuildCharacterIndex(db)
        try db.execute(
            sql: """
                INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value
                """, arguments: [searchTablesKey, VariantFolding.version])
    }

    /// Builds the character index `articles_chars` again from the live articles, with the tokenizer as it is.
    static func rebuildCharacterIndex(_ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO articles_chars(articles_chars) VALUES ('delete-all');
                INSERT INTO articles_chars(rowid, text)
                SELECT rowid, body || title || subtitle || kicker || byline || dateline FROM articles WHERE deleted = 0;
                """)
    }

    /// The key in `meta` naming the folding table the text indexes were built with.
    static let searchTablesKey = "search_tables"

    /// The migration that adds occurrence counts to the character index.
    static let characterCountsMigration = "v6-character-counts"

    // swiftlint:disable:next function_body_length
    private static func createSchemaV1(_ db: Database) throws {
        // Replica identity, clock and other small state.
        try db.execute(
            sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;

                -- Every imported file, as it was read: nothing of the input is thrown away.
                CREATE TABLE sources (
                    id TEXT PRIMARY KEY NOT NULL,
                    path TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    text TEXT NOT NULL,
                    imported_at INTEGER NOT NULL
                );
                CREATE INDEX sources_path ON sources(path);

                CREATE TABLE articles (
                    rowid INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    source_id TEXT,
                    position INTEGER NOT NULL DEFAULT 0,
                    kind TEXT NOT NULL DEFAULT 'article',
                    title TEXT NOT NULL DEFAULT '',
                    subtitle TEXT NOT NULL DEFAULT '',
                    kicker TEXT NOT NULL DEFAULT '',
                    byline TEXT NOT NULL DEFAULT '',
                    dateline TEXT NOT NULL DEFAULT '',
                    body TEXT NOT NULL DEFAULT '',
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    deleted INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX articles_source ON articles(source_id, position);
                CREATE INDEX articles_created ON articles(created_at);

                -- The body is the first column: most tokens are in it, and FTS5 writes no column
                -- marker for column 0, which keeps the index small. Rows are added to the index by
                -- the code that inserts articles (in bulk, one index segment per transaction);
                -- updates and deletes follow through triggers.
                CREATE VIRTUAL TABLE articles_fts USING fts5(
                    body, title, subtitle, kicker, byline, dateline,
                    content='articles', content_rowid='rowid', tokenize='kb_cjk'
                );
                -- Which articles hold each CJK character, without positions: a one-character query
                -- reads one short list here instead of merging every bigram that starts with it.
                CREATE VIRTUAL TABLE articles_chars USING fts5(
                    text, content='', detail=none, tokenize='kb_chars'
                );
                CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles WHEN old.deleted = 0 BEGIN
                    INSERT INTO articles_fts(articles_fts, rowid, body, title, subtitle, kicker, byline, dateline)
                    VALUES ('delete', old.rowid, old.body, old.title, old.subtitle, old.kicker, old.byline, old.dateline);
                    INSERT INTO articles_chars(articles_chars, rowid, text)
                    VALUES ('delete', old.rowid, old.body || old.title || old.subtitle || old.kicker || old.byline || old.dateline);
                END;
                CREATE TRIGGER articles_fts_update
                AFTER UPDATE OF title, subtitle, kicker, byline, dateline, body, deleted ON articles BEGIN
                    INSERT INTO articles_fts(articles_fts, rowid, body, title, subtitle, kicker, byline, dateline)
                    SELECT 'delete', old.rowid, old.body, old.title, old.subtitle, old.kicker, old.byline, old.dateline
                    WHERE old.deleted = 0;
                    INSERT INTO articles_chars(articles_chars, rowid, text)
                    SELECT 'delete', old.rowid, old.body || old.title || old.subtitle || old.kicker || old.byline || old.dateline
                    WHERE old.deleted = 0;
                    INSERT INTO articles_fts(rowid, body, title, subtitle, kicker, byline, dateline)
                    SELECT new.rowid, new.body, new.title, new.subtitle, new.kicker, new.byline, new.dateline
                    WHERE new.deleted = 0;
                    INSERT INTO articles_chars(rowid, text)
                    SELECT new.rowid, new.body || new.title || new.subtitle || new.kicker || new.byline || new.dateline
                    WHERE new.deleted = 0;
                END;

                -- Highlights and notes. quote/prefix/suffix/anchor_* are the anchor as made;
                -- start/end/state are where it stands in the article's current text.
                CREATE TABLE annotations (
                    rowid INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    article_id TEXT NOT NULL,
                    quote TEXT NOT NULL DEFAULT '',
                    prefix TEXT NOT NULL DEFAULT '',
                    suffix TEXT NOT NULL DEFAULT '',
                    anchor_start INTEGER,
                    anchor_end INTEGER,
                    start INTEGER,
                    "end" INTEGER,
                    state TEXT NOT NULL DEFAULT 'anchored',
                    note TEXT NOT NULL DEFAULT '',
                    color TEXT NOT NULL DEFAULT '',
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    deleted INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX annotations_article ON annotations(article_id);
                CREATE INDEX annotations_created ON annotations(created_at);

                CREATE VIRTUAL TABLE annotations_fts USING fts5(
                    note, quote, content='annotations', content_rowid='rowid', tokenize='kb_cjk'
                );
                CREATE TRIGGER annotations_fts_delete AFTER DELETE ON annotations WHEN old.deleted = 0 BEGIN
                    INSERT INTO annotations_fts(annotations_fts, rowid, note, quote)
                    VALUES ('delete', old.rowid, old.note, old.quote);
                END;
                CREATE TRIGGER annotations_fts_update AFTER UPDATE OF quote, note, deleted ON annotations BEGIN
                    INSERT INTO annotations_fts(annotations_fts, rowid, note, quote)
                    SELECT 'delete', old.rowid, old.note, old.quote WHERE old.deleted = 0;
                    INSERT INTO annotations_fts(rowid, note, quote)
                    SELECT new.rowid, new.note, new.quote WHERE new.deleted = 0;
                END;

                -- Tag membership of an article or an annotation.
                CREATE TABLE tags (
                    id TEXT PRIMARY KEY NOT NULL,
                    entity TEXT NOT NULL,
                    entity_id TEXT NOT NULL,
                    tag TEXT NOT NULL,
                    norm TEXT NOT NULL,
                    present INTEGER NOT NULL DEFAULT 1,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX tags_entity ON tags(entity_id);
                CREATE INDEX tags_norm ON tags(norm);

                -- The history of changes, local and pulled, in the order they were applied here.
                -- A change of this replica not yet acknowledged by the hub is pending.
                CREATE TABLE changes (
                    rowid INTEGER PRIMARY KEY,
                    replica TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    hlc INTEGER NOT NULL,
                    entity TEXT NOT NULL,
                    entity_id TEXT NOT NULL,
                    field TEXT NOT NULL,
                    op TEXT NOT NULL,
                    value TEXT,
                    base TEXT NOT NULL DEFAULT '[]',
                    UNIQUE (replica, seq)
                );
                CREATE INDEX changes_entity ON changes(entity_id);

                -- The latest changes of each field: more than one when edits were concurrent.
                CREATE TABLE heads (
                    entity_id TEXT NOT NULL,
                    field TEXT NOT NULL,
                    change INTEGER NOT NULL,
                    PRIMARY KEY (entity_id, field, change)
                ) WITHOUT ROWID;

                -- What a merge could not reconcile: kept until the user resolves it.
                CREATE TABLE conflicts (
                    id TEXT PRIMARY KEY NOT NULL,
                    entity TEXT NOT NULL,
                    entity_id TEXT NOT NULL,
                    field TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    winner TEXT NOT NULL,
                    loser TEXT NOT NULL,
                    winner_value TEXT,
                    loser_value TEXT,
                    base_value TEXT,
                    created_at INTEGER NOT NULL,
                    resolved_at INTEGER,
                    resolution TEXT
                );
                CREATE INDEX conflicts_open ON conflicts(entity_id) WHERE resolved_at IS NULL;

                -- Hubs this replica syncs with: where it stands in each hub's log (cursor, and the id of
                -- the change there), and the highest sequence number of its own the hub holds (pushed).
                CREATE TABLE remotes (
                    name TEXT PRIMARY KEY NOT NULL,
                    url TEXT NOT NULL,
                    token TEXT,
                    epoch TEXT,
                    cursor INTEGER NOT NULL DEFAULT 0,
                    cursor_id TEXT,
                    pushed INTEGER NOT NULL DEFAULT 0,
                    last_sync INTEGER,
                    created_at INTEGER NOT NULL
                );

                -- Pulled changes that could not be applied, set aside so the rest go on.
                CREATE TABLE quarantine (
                    replica TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    payload TEXT NOT NULL,
                    error TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    PRIMARY KEY (replica, seq)
                ) WITHOUT ROWID;
                """)
    }

    /// Records purged from the trash (`kb trash empty`): their rows are gone, their history stays.
    ///
    /// A purged record stays out while the history says it is deleted: a pulled change that recomputes it
    /// as deleted writes nothing. When the history brings it back to life (restored on another replica),
    /// its row is written again and the tombstone goes.
    private static func createPurgedTable(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE purged (
                    id TEXT PRIMARY KEY NOT NULL,
                    entity TEXT NOT NULL,
                    purged_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TRIGGER articles_purged_stay BEFORE INSERT ON articles
                WHEN new.deleted = 1 AND EXISTS (SELECT 1 FROM purged WHERE id = new.id) BEGIN
                    SELECT RAISE(IGNORE);
                END;
                CREATE TRIGGER articles_purged_back AFTER INSERT ON articles
                WHEN new.deleted = 0 AND EXISTS (SELECT 1 FROM purged WHERE id = new.id) BEGIN
                    DELETE FROM purged WHERE id = new.id;
                END;
                CREATE TRIGGER annotations_purged_stay BEFORE INSERT ON annotations
                WHEN new.deleted = 1 AND EXISTS (SELECT 1 FROM purged WHERE id = new.id) BEGIN
                    SELECT RAISE(IGNORE);
                END;
                CREATE TRIGGER annotations_purged_back AFTER INSERT ON annotations
                WHEN new.deleted = 0 AND EXISTS (SELECT 1 FROM purged WHERE id = new.id) BEGIN
                    DELETE FROM purged WHERE id = new.id;
                END;
                """)
    }
}
