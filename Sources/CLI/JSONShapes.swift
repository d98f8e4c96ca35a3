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
            "source": orNull(detail.sourcePath),
            "source_id": orNull(article.sourceID),
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
}
