import Foundation
import KB

/// The JSON documents the CLI prints: names and fields that users and tools rely on.
enum JSONShapes {
    static func orNull(_ value: Any?) -> Any { value ?? NSNull() }

    static func annotation(_ annotation: Annotation) -> [String: Any] {
        [
            "id": annotation.id,
            "article_id": annotation.articleID,
            "quote": annotation.quote,
            "prefix": annotation.prefix,
            "suffix": annotation.suffix,
            "start": orNull(annotation.start),
            "end": orNull(annotation.end),
            "note": annotation.note,
            "tags": annotation.tags,
            "state": annotation.state.rawValue,
            "color": annotation.color,
            "created_at": Timestamp.iso(annotation.createdAt),
            "updated_at": Timestamp.iso(annotation.updatedAt),
        ]
    }

    static func article(_ detail: ArticleDetail) -> [String: Any] {
        let article = detail.article
        return [
            "id": article.id,
            "title": article.title,
            "subtitle": article.subtitle,
            "kicker": article.kicker,
            "byline": article.byline,
            "dateline": article.dateline,
            "body": article.body,
            "kind": article.kind,
            "continuation": article.continuation,
            "continued_from": orNull(detail.continuedFrom),
            "continued_on": orNull(detail.continuedOn),
            "source": orNull(detail.sourcePath),
            "source_id": orNull(article.sourceID),
            "source_page": orNull(detail.sourcePage),
            "tags": detail.tags,
            "annotations": detail.annotations.map(annotation),
            "created_at": Timestamp.iso(article.createdAt),
            "updated_at": Timestamp.iso(article.updatedAt),
        ]
    }

    static func summary(_ summary: ArticleSummary) -> [String: Any] {
        [
            "id": summary.id,
            "title": summary.title,
            "kind": summary.kind,
            "source": orNull(summary.source),
            "tags": summary.tags,
            "created_at": Timestamp.iso(summary.createdAt),
            "updated_at": Timestamp.iso(summary.updatedAt),
        ]
    }

    // MARK: - Trash and history

    static func trashItem(_ item: TrashItem) -> [String: Any] {
        [
            "entity": item.entity.rawValue,
            "id": item.id,
            "title": item.title,
            "article_id": orNull(item.articleID),
            "deleted_at": orNull(item.deletedAt.map(Timestamp.iso)),
            "deleted_by": orNull(item.deletedBy),
            "annotations": item.annotations,
        ]
    }

    static func version(_ version: RecordVersion) -> [String: Any] {
        [
            "version": version.number,
            "time": Timestamp.iso(version.time),
            "replica": version.replica,
            "action": version.action.rawValue,
            "fields": version.fields,
            "changes": version.changes.map(\.description),
        ]
    }
}
