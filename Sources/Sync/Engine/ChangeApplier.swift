import Foundation
public import GRDB
public import KB

/// What applying a page of pulled changes did.
public struct ApplyResult: Sendable, Equatable {
    /// Changes stored and applied.
    public var applied = 0
    /// Changes already held (an echo, or a page fetched again).
    public var known = 0
    /// Changes that could not be applied and were set aside.
    public var quarantined = 0
}

/// Applies changes pulled from a hub, in one transaction with the caller's cursor update.
///
/// Changes are stored as they are (never recorded again as local changes), the heads of their
/// fields move, and every record they touch is recomputed by ``Materializer`` — the full-text
/// index follows through triggers in the same transaction. A change that cannot be applied (an
/// unknown kind, a malformed value) is set aside in the quarantine table and the rest go on.
public enum ChangeApplier {
    /// A pulled change checked before its transaction: its stored form and the creation it carries
    /// decoded, or why it is set aside.
    ///
    /// Checking needs no database, so a page is checked while the one before it is applied.
    public struct CheckedChange: Sendable {
        public let wire: WireChange
        let outcome: Result<(change: Change, creation: Creation?), any Error>
        /// The change's value as the history keeps it (``ChangeStore/storedValue(_:)``), made while checking.
        let storedValue: DatabaseValue?
    }

    /// Checks pulled changes ahead of ``apply(_:checked:now:)``.
    public static func check(_ changes: [WireChange]) -> [CheckedChange] {
        changes.map { wire in
            let outcome = Result { try checked(wire) }
            let value = try? outcome.get().change.value
            return CheckedChange(wire: wire, outcome: outcome, storedValue: value.map(ChangeStore.storedValue))
        }
    }

    public static func apply(_ db: Database, _ changes: [WireChange], now: Int64) throws -> ApplyResult {
        try apply(db, checked: check(changes), now: now)
    }

    /// Applies changes checked by ``check(_:)``.
    public static func apply(_ db: Database, checked changes: [CheckedChange], now: Int64) throws -> ApplyResult {
        var result = ApplyResult()
        var touched: [EntityKind: [String]] = [:]
        var seen: [EntityKind: Set<String>] = [:]
        var last = try Meta.lastTimestamp(db)
        var resolutions: [Change] = []
        // Records whose only change in this page is their creation, with it as decoded when checked: such a
        // record is written straight from it.
        var articleCreations: [String: ArticleCreation] = [:]
        var annotationCreations: [String: AnnotationCreation] = [:]
        // Sources this page wrote, with the metadata read from them when they were checked: it is theirs when
        // nothing else is held of them.
        var sourceCreations: [String: SourceMetadata] = [:]
        // What was held of the records this page creates, read for the whole page before it is stored: one
        // statement instead of one per record.
        let created = changes.compactMap { entry -> String? in
            guard case .success(let checked) = entry.outcome, checked.creation != nil else { return nil }
            return checked.change.entityID
        }
        let heldBefore = try PageLookup.ids(
            db, "SELECT DISTINCT entity_id FROM changes WHERE entity_id IN (SELECT value FROM json_each(?))", created)
        // Changes stored by this page, by record id.
        var storedOf: [String: Int] = [:]
        for checkedChange in changes {
            let wire = checkedChange.wire
            let change: Change
            let creation: Creation?
            do {
                (change, creation) = try checkedChange.outcome.get()
            } catch {
                if try ChangeStore.contains(db, id: wire.changeID) {
                    result.known += 1
                } else {
                    try quarantine(db, wire, reason: "\(error)", now: now)
                    result.quarantined += 1
                }
                continue
            }
            guard try ChangeStore.appendIfAbsent(db, change, storedValue: checkedChange.storedValue) != nil else {
                result.known += 1
                continue
            }
            storedOf[change.entityID, default: 0] += 1
            // A source row already here (the same page imported on this replica too) is kept as it was.
            var sourceInserted = false
            if case .source(let source, _, let storedText) = creation {
                try source.insert(db, storedText: storedText)
                sourceInserted = db.changesCount > 0 && source.id == change.entityID
            }
            result.applied += 1
            // The clock follows pulled stamps, but never more than the hub's allowance ahead of this
            // machine's wall clock: one bad stamp cannot push every later local change into the future.
            let ceiling = HybridTimestamp(milliseconds: now + SyncLimits.maxClockAheadMilliseconds)
            let adopted = min(change.hlc, ceiling)
            if adopted > last { last = adopted }
            if change.entity == .conflict {
                resolutions.append(change)
                continue
            }
            let isFirstOfRecord = seen[change.entity, default: []].insert(change.entityID).inserted
            if isFirstOfRecord { touched[change.entity, default: []].append(change.entityID) }
            switch (creation, isFirstOfRecord) {
            case (.article(let value), true): articleCreations[change.entityID] = value
            case (.annotation(let value), true): annotationCreations[change.entityID] = value
            case (.source(_, let metadata, _), true): if sourceInserted { sourceCreations[change.entityID] = metadata }
            case (_, false):
                // A second change of the record in this page: the general merge decides.
                if change.entity == .article { articleCreations[change.entityID] = nil }
                if change.entity == .annotation { annotationCreations[change.entityID] = nil }
                if change.entity == .source { sourceCreations[change.entityID] = nil }
            default: break
            }
        }
        try Meta.setLastTimestamp(db, last)
        // The one change held of a record is its creation when nothing was held of it before this page and this
        // page stored one change of it (what `Materializer.isOnlyCreation` counts, without a statement each).
        func isOnlyCreation(_ id: String) -> Bool { !heldBefore.contains(id) && storedOf[id] == 1 }
        // Articles created here: those already written, and those annotations wait for, read at once. (Writing
        // one article writes no other article's row and moves no annotation.)
        let articleIDs = touched[.article] ?? []
        let createdArticles = articleIDs.filter { articleCreations[$0] != nil && isOnlyCreation($0) }
        let writtenArticles = try PageLookup.ids(
            db, "SELECT id FROM articles WHERE id IN (SELECT value FROM json_each(?))", createdArticles)
        let annotatedArticles = try PageLookup.ids(
            db, "SELECT DISTINCT article_id FROM annotations WHERE article_id IN (SELECT value FROM json_each(?))",
            createdArticles)
        // Articles are written first: their bodies can be shared by the annotations anchored in them. The rows
        // written straight get their full-text entries together after them (see `PendingIndex`), before
        // anything else can change them.
        var bodies = Materializer.BodyCache()
        var index = PendingIndex()
        for id in articleIDs {
            if let creation = articleCreations[id] {
                let straight = try Materializer.createdArticle(
                    db, id: id, creation: creation, now: now,
                    isOnlyCreation: isOnlyCreation(id) && !writtenArticles.contains(id),
                    mayHaveAnnotations: annotatedArticles.contains(id), index: &index)
                if straight { bodies.remember(articleID: id, body: creation.body) }
            } else {
                try Materializer.article(db, id: id, now: now)
            }
        }
        try index.writeArticles(db)
        let annotationIDs = touched[.annotation] ?? []
        let writtenAnnotations = try PageLookup.ids(
            db, "SELECT id FROM annotations WHERE id IN (SELECT value FROM json_each(?))",
            annotationIDs.filter { annotationCreations[$0] != nil && isOnlyCreation($0) })
        var createdAnnotations: [String] = []
        for id in annotationIDs {
            if let creation = annotationCreations[id] {
                try Materializer.createdAnnotation(
                    db, id: id, creation: creation, now: now, bodies: &bodies,
                    isOnlyCreation: isOnlyCreation(id) && !writtenAnnotations.contains(id), index: &index)
                createdAnnotations.append(id)
            } else {
                try Materializer.annotation(db, id: id, now: now)
            }
        }
        try index.writeAnnotations(db)
        for id in touched[.tag] ?? [] { try Materializer.tag(db, id: id, now: now) }
        // Page metadata: read from a new page, or set by hand.
        for id in touched[.source] ?? [] {
            if let extracted = sourceCreations[id] {
                try SourceMetadataStore.refreshCreated(
                    db, sourceID: id, extracted: extracted, now: now, isOnlyCreation: isOnlyCreation(id))
            } else {
                try SourceMetadataStore.refresh(db, sourceID: id, now: now)
            }
        }
        // An annotation created on an article deleted elsewhere: the delete may not have known of it. (The
        // other annotations and the tags were recomputed through the general merge, which sees to it.)
        try RelatedRecords.recomputeDeletedArticles(db, annotations: createdAnnotations, now: now)
        for change in resolutions { try Materializer.resolution(db, conflictID: change.entityID, change: change) }
        return result
    }

    /// Looks up many ids in one statement.
    enum PageLookup {
        /// The ids `sql` returns for `ids`, passed as one JSON array (`json_each(?)`).
        static func ids(_ db: Database, _ sql: String, _ ids: [String]) throws -> Set<String> {
            guard !ids.isEmpty else { return [] }
            var array: [UInt8] = [UInt8(ascii: "[")]
            for (index, id) in ids.enumerated() {
                if index > 0 { array.append(UInt8(ascii: ",")) }
                JSONText.appendString(id, to: &array)
            }
            array.append(UInt8(ascii: "]"))
            return Set(
                try String.fetchAll(db.cachedStatement(sql: sql), arguments: [String(decoding: array, as: UTF8.self)]))
        }
    }

    /// A creation as decoded when its change was checked.
    enum Creation: Sendable {
        case article(ArticleCreation)
        case annotation(AnnotationCreation)
        /// A page with the metadata read from it (``MetadataExtractor``) and its text as stored
        /// (``CompressedText``): the work of checking.
        case source(Source, SourceMetadata, DatabaseValue)
    }

    /// Checks a pulled change and turns it into a stored change, with the creation it carries decoded.
    static func checked(_ wire: WireChange) throws -> (change: Change, creation: Creation?) {
        // The documented forms first (ids, names, sizes): the same check the hub makes on a push.
        do { try WireValidator.check(wire) } catch { throw Invalid(error.reason) }
        guard let entity = EntityKind(rawValue: wire.entity) else { throw Invalid("unknown entity '\(wire.entity)'") }
        guard !wire.replica.isEmpty, wire.seq > 0, !wire.id.isEmpty else { throw Invalid("missing id") }
        guard let op = ChangeOperation(rawValue: wire.op) else {
            throw Invalid("unknown operation '\(wire.op)' on \(entity.rawValue)")
        }
        guard let field = ChangeField(rawValue: wire.field) else {
            throw Invalid("unknown field '\(wire.field)' of \(entity.rawValue)")
        }
        let base = wire.base.compactMap(ChangeID.init)
        guard base.count == wire.base.count else { throw Invalid("malformed base") }
        guard (op == .create) == (field == .create) else { throw Invalid("creation of a field") }
        let json = wire.value
        var creation: Creation?
        switch (entity, op) {
        case (.source, .create):
            guard let json else { throw Invalid("source without value") }
            let source = try JSONText.decode(Source.self, from: json)
            let change = Change(
                id: wire.changeID, hlc: HybridTimestamp(rawValue: wire.hlc), entity: entity, entityID: wire.id,
                field: .create, op: .create, value: nil, base: base)
            let metadata = MetadataExtractor.metadata(
                path: source.path, text: source.text, pdfPage: source.pdfPage, pdfInfo: source.pdfInfo)
            return (change, .source(source, metadata, CompressedText.databaseValue(source.text)))
        case (.article, .create):
            creation = .article(try JSONText.decode(ArticleCreation.self, from: json ?? ""))
        case (.annotation, .create):
            creation = .annotation(try JSONText.decode(AnnotationCreation.self, from: json ?? ""))
        case (.tag, .create):
            _ = try JSONText.decode(TagCreation.self, from: json ?? "")
        case (.article, .set), (.annotation, .set), (.tag, .set), (.source, .set), (.conflict, .resolve):
            guard ChangeField.settable(on: entity).contains(field) else {
                throw Invalid("unknown field '\(wire.field)' of \(entity.rawValue)")
            }
            try checkValue(json, of: field)
        default:
            throw Invalid("unknown operation '\(wire.op)' on \(entity.rawValue)")
        }
        let change = Change(
            id: wire.changeID, hlc: HybridTimestamp(rawValue: wire.hlc), entity: entity, entityID: wire.id,
            field: field, op: op, value: json, base: base)
        return (change, creation)
    }

    /// Checks that a set change's value has the type of its field.
    static func checkValue(_ json: String?, of field: ChangeField) throws {
        switch field {
        case .deleted, .present:
            guard json == "true" || json == "false" else { throw Invalid("'\(field.rawValue)' must be true or false") }
        case .position:
            guard let json, Int(json) != nil else { throw Invalid("'position' must be a whole number") }
        case .resolution:
            guard let json, (try? JSONText.decodeString(json)) != nil else {
                throw Invalid("a resolution must be text")
            }
        default:
            guard let json, (try? JSONText.decodeString(json)) != nil else {
                throw Invalid("'\(field.rawValue)' must be text")
            }
        }
    }

    struct Invalid: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func quarantine(_ db: Database, _ wire: WireChange, reason: String, now: Int64) throws {
        // A value over the limit is not kept: the reason says what it was.
        var kept = wire
        if let value = wire.value, value.utf8.count > WireValidator.maxValueBytes { kept.value = nil }
        let payload = (try? JSONText.encode(kept)) ?? "{}"
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO quarantine (replica, seq, payload, error, received_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [wire.replica, wire.seq, payload, reason, now])
    }

    /// The wire form of a stored change (sources are stored without their value and are read back).
    public static func wire(_ db: Database, _ change: Change) throws -> WireChange {
        if change.entity == .source && change.op == .create {
            let source = try Source.readOne(
                db, sql: "SELECT * FROM sources WHERE id = ?", arguments: [change.entityID])
            return WireChange(change, value: try source.map { try JSONText.encode($0) })
        }
        return WireChange(change, value: change.value)
    }
}
