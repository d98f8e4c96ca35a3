import Foundation
public import GRDB

/// What a version of a record did to it.
public enum VersionAction: String, Sendable, CaseIterable {
    /// The record was made (imported, added, annotated).
    case create
    /// Fields changed.
    case edit
    /// The record went to the trash.
    case delete
    /// The record came back from the trash.
    case restore
}

/// One version of an article or an annotation: the changes one replica made to it in one transaction.
public struct RecordVersion: Sendable, Equatable {
    /// 1 for the oldest; the same on every replica that holds the same changes.
    public var number: Int
    /// When it was made, milliseconds since 1970 (from its hybrid clock).
    public var time: Int64
    /// The replica that made it.
    public var replica: String
    public var action: VersionAction
    /// The fields it set, in the record's field order (`deleted` is told by ``action``).
    public var fields: [String]
    /// The changes it is made of.
    public var changes: [ChangeID]
}

/// The versions of one record, oldest first.
public struct RecordHistory: Sendable, Equatable {
    /// ``EntityKind/article`` or ``EntityKind/annotation``.
    public var entity: EntityKind
    public var id: String
    public var versions: [RecordVersion]
}

/// A record as it stood at one of its versions.
public enum VersionedRecord: Sendable, Equatable {
    case article(Article)
    case annotation(Annotation)

    var isDeleted: Bool {
        switch self {
        case .article(let article): article.isDeleted
        case .annotation(let annotation): annotation.isDeleted
        }
    }
}

/// What `kb restore ID --to N` changed.
public struct VersionRestore: Sendable, Equatable {
    public var entity: EntityKind
    public var id: String
    public var version: Int
    /// The fields set back to their value at the version (`deleted` when it came back from the trash).
    public var fields: [String]
}

/// The history of a record as versions: every change kept since it was made, and the means to see and
/// bring back any of them.
///
/// Versions are ordered by their hybrid clock, then replica, so version N is the same on every replica
/// that holds the same changes. The state at version N is each field as the last change up to N set it;
/// where two replicas edited concurrently, the value current now may be a merge that no single version
/// shows.
extension KnowledgeBase {
    // MARK: - Listing

    /// The versions of an article or an annotation, live or in the trash.
    ///
    /// ```swift
    /// for version in try kb.history("dd76").versions { print(version.number, version.fields) }
    /// ```
    ///
    /// - Parameter idOrPrefix: An article or annotation id, or a unique prefix of 4+ characters.
    /// - Returns: The record's kind, id and versions, oldest first.
    /// - Throws: ``KBError`` `.notFound`, `.ambiguous`, `.invalidArgument` for the id; a database error.
    public func history(_ idOrPrefix: String) throws -> RecordHistory {
        try read { db in
            let (entity, id) = try Self.resolveAnyRecord(db, idOrPrefix)
            return RecordHistory(entity: entity, id: id, versions: try Self.versions(db, id: id).map(\.version))
        }
    }

    /// One record as it stood at version `number`.
    ///
    /// - Returns: The version, the record then and its tags then (sorted as `kb show` sorts them).
    /// - Throws: ``KBError`` `.notFound` for an unknown id or version; a database error.
    public func record(_ idOrPrefix: String, atVersion number: Int) throws -> (
        version: RecordVersion, record: VersionedRecord, tags: [String]
    ) {
        try read { db in
            let (entity, id) = try Self.resolveAnyRecord(db, idOrPrefix)
            let versions = try Self.versions(db, id: id)
            let version = try Self.version(number, of: versions, id: id)
            let record = try Self.state(entity: entity, id: id, versions: versions.prefix(number))
            let tags = try Self.tagMemberships(versions.prefix(number).flatMap(\.changes)).values
                .filter(\.present).map(\.tag).sorted { Self.normalizeTag($0) < Self.normalizeTag($1) }
            return (version.version, record, tags)
        }
    }

    // MARK: - Restoring a version

    /// Makes version `number` of a record current again, as new changes that sync and merge like any edit.
    ///
    /// Every field whose value differs from the version's is set back, and so is each tag; a record in the
    /// trash comes back (an article with the annotations deleted together with it).
    ///
    /// - Returns: The fields set.
    /// - Throws: ``KBError`` `.notFound` for an unknown id or version, `.invalidArgument` for a version that
    ///   is the record's deletion, `.invalidState` for an annotation whose article is in the trash.
    public func restore(_ idOrPrefix: String, toVersion number: Int) throws -> VersionRestore {
        try write { db, changes in
            let (entity, id) = try Self.resolveAnyRecord(db, idOrPrefix)
            let versions = try Self.versions(db, id: id)
            _ = try Self.version(number, of: versions, id: id)
            let target = try Self.state(entity: entity, id: id, versions: versions.prefix(number))
            guard !target.isDeleted else {
                throw KBError.invalid(
                    "Version \(number) of '\(Identifier.short(id))' is in the trash; pick a version before it "
                        + "(see 'kb history \(Identifier.short(id))').")
            }
            var fields: [String] = []
            switch target {
            case .article(let old):
                guard let current = try Article.fetch(db, id: id) else { throw KBError.notFound("article", id) }
                for field in Article.textFields where current.text(field) != old.text(field) {
                    try changes.set(.article, id: id, field: field, json: JSONText.string(old.text(field) ?? ""))
                    fields.append(field.rawValue)
                }
                if current.isDeleted {
                    try Self.restoreArticle(db, &changes, id: id)
                    fields.append(Change.deletedField.rawValue)
                } else {
                    try Materializer.article(db, id: id, now: changes.timestamp)
                }
            case .annotation(let old):
                guard let current = try Annotation.fetch(db, id: id) else {
                    throw KBError.notFound("annotation", id)
                }
                if current.note != old.note {
                    try changes.set(.annotation, id: id, field: .note, json: JSONText.string(old.note))
                    fields.append("note")
                }
                if current.color != old.color {
                    try changes.set(.annotation, id: id, field: .color, json: JSONText.string(old.color))
                    fields.append("color")
                }
                if current.isDeleted {
                    _ = try Self.restoreAnnotation(db, &changes, id: id)
                    fields.append(Change.deletedField.rawValue)
                } else {
                    try Materializer.annotation(db, id: id, now: changes.timestamp)
                }
            }
            let memberships = try Self.tagMemberships(versions.prefix(number).flatMap(\.changes))
            var tagsChanged = false
            for row in try Row.fetchAll(
                db, sql: "SELECT id, tag, present FROM tags WHERE entity_id = ? ORDER BY norm", arguments: [id])
            {
                let wanted = memberships[row["id"] as String]?.present ?? false
                guard wanted != row["present"] as Bool else { continue }
                try Self.setTag(db, &changes, entity: entity, entityID: id, tag: row["tag"], present: wanted)
                tagsChanged = true
            }
            if tagsChanged { fields.append("tags") }
            return VersionRestore(entity: entity, id: id, version: number, fields: fields)
        }
    }

    // MARK: - Versions from the history

    /// The article or annotation that `prefix` names, live or in the trash.
    static func resolveAnyRecord(_ db: Database, _ prefix: String) throws -> (EntityKind, String) {
        do {
            return try resolveRecord(
                db, prefix, condition: "1", what: "article or annotation", hint: "see 'kb list' or 'kb trash'")
        } catch let error as KBError where error.kind == .notFound {
            try throwIfPurged(db, prefix)
            throw error
        }
    }

    /// The versions of a record with the changes of each (its tag memberships' included), oldest first.
    static func versions(_ db: Database, id: String) throws -> [(version: RecordVersion, changes: [Change])] {
        let changes = try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM changes WHERE entity_id = ? AND entity IN ('article', 'annotation')
                UNION ALL
                SELECT * FROM changes WHERE entity = 'tag' AND entity_id IN (SELECT id FROM tags WHERE entity_id = ?)
                ORDER BY hlc, replica, seq
                """, arguments: [id, id]
        ).map(ChangeStore.change(from:))
        // One transaction of one replica: consecutive sequence numbers stamped in the same millisecond.
        var groups: [[Change]] = []
        for change in changes {
            if let previous = groups.last?.last, previous.id.replica == change.id.replica,
                previous.id.seq + 1 == change.id.seq, previous.hlc.milliseconds == change.hlc.milliseconds
            {
                groups[groups.count - 1].append(change)
            } else {
                groups.append([change])
            }
        }
        let isArticle = changes.contains { $0.entity == .article }
        return groups.enumerated().map { index, group in
            let first = group[0]
            let own = group.filter { $0.entity != .tag }
            let action: VersionAction
            if own.contains(where: { $0.op == .create }) {
                action = .create
            } else if let delete = own.last(where: { $0.field == Change.deletedField }) {
                action = delete.value == "true" ? .delete : .restore
            } else {
                action = .edit
            }
            let order: [ChangeField] = isArticle ? Article.textFields + Article.placeFields : [.note, .color]
            let set = Set(own.filter { $0.op != .create }.map(\.field))
            var fields = (order.filter(set.contains) + set.subtracting(order).subtracting([.deleted]).sorted())
                .map(\.rawValue)
            if own.count < group.count { fields.append("tags") }
            return (
                RecordVersion(
                    number: index + 1, time: first.hlc.milliseconds, replica: first.id.replica, action: action,
                    fields: fields, changes: group.map(\.id)),
                group
            )
        }
    }

    /// The version numbered `number`, or an error that says how many there are.
    static func version(_ number: Int, of versions: [(version: RecordVersion, changes: [Change])], id: String) throws
        -> (version: RecordVersion, changes: [Change])
    {
        guard number >= 1, number <= versions.count else {
            throw KBError(
                .notFound,
                "No version \(number) of '\(Identifier.short(id))'; it has \(versions.count) "
                    + "(see 'kb history \(Identifier.short(id))').")
        }
        return versions[number - 1]
    }

    /// The record as its first versions leave it: each field as the last change among them set it.
    static func state(
        entity: EntityKind, id: String, versions: ArraySlice<(version: RecordVersion, changes: [Change])>
    ) throws -> VersionedRecord {
        let changes = versions.flatMap(\.changes).filter { $0.entity == entity }
        switch entity {
        case .article:
            var article: Article?
            for change in changes {
                if change.op == .create {
                    // A second creation (the same page imported elsewhere) is not an edit.
                    guard article == nil, let value = change.value else { continue }
                    article = try JSONText.decode(ArticleCreation.self, from: value)
                        .article(id: id, updatedAt: change.hlc.milliseconds)
                    continue
                }
                guard var current = article, let value = change.value else { continue }
                if Article.textFields.contains(change.field) {
                    current.setText(change.field, try JSONText.decodeString(value))
                } else if change.field == .sourceID {
                    current.sourceID = try JSONText.decodeString(value)
                } else if change.field == .continuation {
                    current.continuation = try JSONText.decodeString(value)
                } else if change.field == .position, let position = Int(value) {
                    current.position = position
                } else if change.field == Change.deletedField {
                    current.isDeleted = try JSONText.decodeBool(value)
                }
                current.updatedAt = change.hlc.milliseconds
                article = current
            }
            guard let article else {
                throw KBError(.invalidState, "The history of '\(Identifier.short(id))' holds no creation of it.")
            }
            return .article(article)
        default:
            var annotation: Annotation?
            for change in changes {
                if change.op == .create {
                    guard annotation == nil, let value = change.value else { continue }
                    annotation = try JSONText.decode(AnnotationCreation.self, from: value)
                        .annotation(id: id, updatedAt: change.hlc.milliseconds)
                    continue
                }
                guard var current = annotation, let value = change.value else { continue }
                switch change.field {
                case .note: current.note = try JSONText.decodeString(value)
                case .color: current.color = try JSONText.decodeString(value)
                case .articleID: current.articleID = try JSONText.decodeString(value)
                case Change.deletedField: current.isDeleted = try JSONText.decodeBool(value)
                default: break
                }
                current.updatedAt = change.hlc.milliseconds
                annotation = current
            }
            guard let annotation else {
                throw KBError(.invalidState, "The history of '\(Identifier.short(id))' holds no creation of it.")
            }
            return .annotation(annotation)
        }
    }

    /// Each tag membership as the changes leave it, by membership id: its tag as typed and whether it holds.
    static func tagMemberships(_ changes: [Change]) throws -> [String: (tag: String, present: Bool)] {
        var memberships: [String: (tag: String, present: Bool)] = [:]
        for change in changes where change.entity == .tag {
            guard let value = change.value else { continue }
            if change.op == .create {
                let creation = try JSONText.decode(TagCreation.self, from: value)
                if memberships[change.entityID] == nil {
                    memberships[change.entityID] = (creation.tag, creation.present)
                }
            } else if change.field == .present {
                memberships[change.entityID]?.present = try JSONText.decodeBool(value)
            }
        }
        return memberships
    }
}
