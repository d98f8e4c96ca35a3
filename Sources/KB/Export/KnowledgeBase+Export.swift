import Foundation
import GRDB

/// The full JSON dump: content only, in a stable order, without an export time, so that
/// export → import → export gives the identical document.
public struct Dump: Codable, Sendable, Equatable {
    public struct DumpArticle: Codable, Sendable, Equatable {
        var id: String
        var sourceID: String?
        var position: Int
        var kind: String
        var kicker: String
        var title: String
        var subtitle: String
        var byline: String
        var dateline: String
        var body: String
        var createdAt: String
        var updatedAt: String
        /// `（上接第1版）` / `（下转第2版）`; absent when the article has none.
        var continuation: String? = nil
        /// The authors set by hand (`kb edit --author`), in order, `[]` for "no author"; absent when they come
        /// from the byline.
        var authors: [String]? = nil

        enum CodingKeys: String, CodingKey {
            case id, position, kind, kicker, title, subtitle, byline, dateline, body, continuation, authors
            case sourceID = "source_id"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }
    }

    public struct DumpAnnotation: Codable, Sendable, Equatable {
        var id: String
        var articleID: String
        var quote: String
        var prefix: String
        var suffix: String
        var anchorStart: Int?
        var anchorEnd: Int?
        var start: Int?
        var end: Int?
        var state: String
        var note: String
        var color: String
        var createdAt: String
        var updatedAt: String

        enum CodingKeys: String, CodingKey {
            case id, quote, prefix, suffix, start, end, state, note, color
            case articleID = "article_id"
            case anchorStart = "anchor_start"
            case anchorEnd = "anchor_end"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }
    }

    public struct DumpSource: Codable, Sendable, Equatable {
        var id: String
        var path: String
        var sha256: String
        var kind: String
        var text: String
        var importedAt: String
        /// The page of a PDF file; absent for other sources.
        var pdfPage: Int?
        /// The encoding of a text file, when known.
        var encoding: String?
        /// What a PDF file says of itself and prints in the page's margins.
        var pdfInfo: PDFInfo?
        /// The metadata set by hand (`kb source set`), by field, `""` for a field cleared by hand; absent when
        /// none was set.
        var metadata: [ChangeField: String]? = nil

        enum CodingKeys: String, CodingKey {
            case id, path, sha256, kind, text, encoding, metadata
            case importedAt = "imported_at"
            case pdfPage = "pdf_page"
            case pdfInfo = "pdf_info"
        }
    }

    public struct DumpTag: Codable, Sendable, Equatable {
        var entity: String
        var entityID: String
        var tag: String

        enum CodingKeys: String, CodingKey {
            case entity, tag
            case entityID = "entity_id"
        }
    }

    public var format = "kb-dump"
    public var version = 1
    public var sources: [DumpSource] = []
    public var articles: [DumpArticle] = []
    public var annotations: [DumpAnnotation] = []
    public var tags: [DumpTag] = []
}

/// Export formats.
public enum ExportFormat: String, Sendable, CaseIterable {
    case markdown, w3c, json
    /// One CSL-JSON item per article (``Citation/cslItem``).
    case cslJSON = "csl-json"
    /// One BibTeX entry per article (``Citation/bibtex``).
    case bibtex
}

extension KnowledgeBase {
    // MARK: - JSON dump

    /// The full dump as pretty JSON with sorted keys.
    public func exportJSON() throws -> String {
        let dump = try read { db in try Self.makeDump(db) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(dump), as: UTF8.self) + "\n"
    }

    static func makeDump(_ db: Database) throws -> Dump {
        var dump = Dump()
        dump.articles = try Article.fetchAll(db, sql: "SELECT * FROM articles WHERE deleted = 0 ORDER BY id").map {
            Dump.DumpArticle(
                id: $0.id, sourceID: $0.sourceID, position: $0.position, kind: $0.kind, kicker: $0.kicker,
                title: $0.title, subtitle: $0.subtitle, byline: $0.byline, dateline: $0.dateline, body: $0.body,
                createdAt: Timestamp.iso($0.createdAt), updatedAt: Timestamp.iso($0.updatedAt),
                continuation: $0.continuation.isEmpty ? nil : $0.continuation)
        }
        let handAuthors = try Row.fetchAll(db, sql: "SELECT article_id, authors FROM article_authors")
        let authorsByArticle = Dictionary(
            handAuthors.map { row -> (String, [String]) in
                let names: String = row["authors"]
                return (
                    row["article_id"],
                    names.split(separator: Character(SourceMetadataStore.nameSeparator)).map(String.init)
                )
            }, uniquingKeysWith: { first, _ in first })
        for index in dump.articles.indices {
            dump.articles[index].authors = authorsByArticle[dump.articles[index].id]
        }
        let sourceIDs = Set(dump.articles.compactMap(\.sourceID))
        dump.sources = try Source.readAll(db, sql: "SELECT * FROM sources ORDER BY id").filter {
            sourceIDs.contains($0.id)
        }.map {
            Dump.DumpSource(
                id: $0.id, path: $0.path, sha256: $0.sha256, kind: $0.kind, text: $0.text,
                importedAt: Timestamp.iso($0.importedAt), pdfPage: $0.pdfPage, encoding: $0.encoding,
                pdfInfo: $0.pdfInfo)
        }
        for index in dump.sources.indices {
            let values = try SourceMetadataStore.handSetValues(db, sourceID: dump.sources[index].id)
            dump.sources[index].metadata = values.isEmpty ? nil : values
        }
        dump.annotations = try Annotation.fetchAll(
            db,
            sql: """
                SELECT n.* FROM annotations n JOIN articles a ON a.id = n.article_id
                WHERE n.deleted = 0 AND a.deleted = 0 ORDER BY n.id
                """
        ).map {
            Dump.DumpAnnotation(
                id: $0.id, articleID: $0.articleID, quote: $0.quote, prefix: $0.prefix, suffix: $0.suffix,
                anchorStart: $0.anchorStart, anchorEnd: $0.anchorEnd, start: $0.start, end: $0.end,
                state: $0.state.rawValue, note: $0.note, color: $0.color, createdAt: Timestamp.iso($0.createdAt),
                updatedAt: Timestamp.iso($0.updatedAt))
        }
        let live = Set(dump.articles.map(\.id)).union(dump.annotations.map(\.id))
        dump.tags = try Row.fetchAll(
            db, sql: "SELECT entity, entity_id, tag FROM tags WHERE present = 1 ORDER BY entity_id, norm"
        ).filter { live.contains($0["entity_id"]) }.map {
            Dump.DumpTag(entity: $0["entity"], entityID: $0["entity_id"], tag: $0["tag"])
        }
        return dump
    }

    /// Restores a dump: every record not present yet is created with its id and timestamps,
    /// and its creation is recorded so that sync carries it; the page metadata and the authors set by hand on
    /// the pages and articles it creates are set again, as changes.
    ///
    /// - Returns: The ids of the dump's articles that are live here, how many of them were created,
    ///   and whether anything at all (a source, article, annotation or tag) was created.
    /// - Throws: ``KBError`` `.unreadableFile` when the JSON is not a kb dump.
    func restoreDump(_ text: String, path: String) throws -> (articles: [String], added: Int, changed: Bool) {
        let dump: Dump
        do {
            dump = try JSONText.decode(Dump.self, from: text)
        } catch {
            throw KBError(
                .unreadableFile,
                "'\(path)' is not a kb dump (JSON written by 'kb export --format json'); kb imports .txt, .md and dumps."
            )
        }
        guard dump.format == "kb-dump" else {
            throw KBError(.unreadableFile, "'\(path)' is JSON but not a kb dump; its format is '\(dump.format)'.")
        }
        guard dump.version == 1 else {
            throw KBError(
                .unreadableFile, "'\(path)' is a kb dump of version \(dump.version), which this kb cannot read.")
        }
        return try write { db, changes in
            let recorded = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes") ?? 0
            for source in dump.sources where try !Self.exists(db, "sources", source.id) {
                let record = Source(
                    id: source.id, path: source.path, sha256: source.sha256, kind: source.kind, text: source.text,
                    importedAt: try Timestamp.parse(source.importedAt, path: path), pdfPage: source.pdfPage,
                    encoding: source.encoding, pdfInfo: source.pdfInfo)
                try record.insert(db)
                try changes.create(.source, id: source.id, json: nil)
                // The values set by hand, as changes of their own so that sync carries them.
                for (field, value) in (source.metadata ?? [:]).sorted(by: { $0.key < $1.key })
                where SourceMetadata.fields.contains(field) {
                    try changes.set(.source, id: source.id, field: field, json: JSONText.string(value))
                }
                try SourceMetadataStore.refresh(db, sourceID: source.id, now: changes.timestamp)
            }
            var restored: [String] = []
            for item in dump.articles where try !Self.exists(db, "articles", item.id) {
                let article = Article(
                    id: item.id, sourceID: item.sourceID, position: item.position, kind: item.kind, title: item.title,
                    subtitle: item.subtitle, kicker: item.kicker, byline: item.byline, dateline: item.dateline,
                    body: item.body, continuation: item.continuation ?? "",
                    createdAt: try Timestamp.parse(item.createdAt, path: path),
                    updatedAt: try Timestamp.parse(item.updatedAt, path: path))
                try article.save(db)
                try changes.create(.article, id: article.id, json: try JSONText.encode(ArticleCreation(article)))
                if let names = item.authors {
                    // As `kb edit --author` writes them: `;` alone for "no author".
                    let value = names.isEmpty ? ";" : names.joined(separator: "; ")
                    try changes.set(.article, id: article.id, field: .authors, json: JSONText.string(value))
                    try SourceMetadataStore.refreshAuthors(db, articleID: article.id, now: changes.timestamp)
                }
                restored.append(article.id)
            }
            var touched: Set<String> = []
            for item in dump.annotations where try !Self.exists(db, "annotations", item.id) {
                let annotation = Annotation(
                    id: item.id, articleID: item.articleID, quote: item.quote, prefix: item.prefix, suffix: item.suffix,
                    anchorStart: item.anchorStart, anchorEnd: item.anchorEnd, start: item.start, end: item.end,
                    state: AnchorState(rawValue: item.state) ?? .anchored, note: item.note, color: item.color,
                    createdAt: try Timestamp.parse(item.createdAt, path: path),
                    updatedAt: try Timestamp.parse(item.updatedAt, path: path))
                try annotation.save(db)
                try changes.create(
                    .annotation, id: annotation.id, json: try JSONText.encode(AnnotationCreation(annotation)))
                touched.insert(annotation.articleID)
            }
            for articleID in touched {
                if let article = try Article.fetch(db, id: articleID) {
                    try Self.reanchorAnnotations(db, articleID: articleID, body: article.body)
                }
            }
            for tag in dump.tags {
                guard let entity = EntityKind(rawValue: tag.entity), entity == .article || entity == .annotation else {
                    continue
                }
                try Self.setTag(db, &changes, entity: entity, entityID: tag.entityID, tag: tag.tag, present: true)
            }
            let live = try dump.articles.map(\.id).filter { id in
                try Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM articles WHERE id = ? AND deleted = 0)", arguments: [id])
                    == true
            }
            let changed = (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes") ?? 0) > recorded
            return (live, restored.count, changed)
        }
    }

    static func exists(_ db: Database, _ table: String, _ id: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE id = ?)", arguments: [id]) ?? false
    }

    // MARK: - W3C Web Annotation

    /// Every annotation as a W3C Web Annotation `AnnotationCollection` in JSON-LD.
    ///
    /// Targets are `urn:kb:article:ID`; positions count Unicode code points of the article body.
    public func exportW3C() throws -> String {
        let (annotations, _) = try read { db -> ([Annotation], Void) in
            var annotations = try Annotation.fetchAll(
                db,
                sql: """
                    SELECT n.* FROM annotations n JOIN articles a ON a.id = n.article_id
                    WHERE n.deleted = 0 AND a.deleted = 0 ORDER BY n.created_at, n.id
                    """)
            let tags = try Self.tagsByEntity(db, ids: annotations.map(\.id))
            for index in annotations.indices { annotations[index].tags = tags[annotations[index].id] ?? [] }
            return (annotations, ())
        }
        let bodies = try read { db -> [String: String] in
            var result: [String: String] = [:]
            for id in Set(annotations.map(\.articleID)) {
                result[id] = try String.fetchOne(db, sql: "SELECT body FROM articles WHERE id = ?", arguments: [id])
            }
            return result
        }
        let items: [[String: Any]] = annotations.map { annotation in
            W3C.annotation(annotation, body: bodies[annotation.articleID] ?? "")
        }
        let collection: [String: Any] = [
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "id": "urn:kb:collection:annotations",
            "type": "AnnotationCollection",
            "label": "kb annotations",
            "total": items.count,
            "first": [
                "id": "urn:kb:collection:annotations:page:1",
                "type": "AnnotationPage",
                "startIndex": 0,
                "items": items,
            ] as [String: Any],
        ]
        let data = try JSONSerialization.data(
            withJSONObject: collection, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: - Markdown

    /// One Markdown file per article: front matter, the text, and each highlight as a block quote
    /// with its note, tags and a `kb://` link back.
    ///
    /// File names come from ``ExportFileName``: a slug of the title and a short id, never the id as it is;
    /// two articles whose names would be the same get `NAME 2.md`, `NAME 3.md`…
    ///
    /// - Returns: For each article: its file name, the file's content, the article's id and title.
    public func exportMarkdown() throws -> [(name: String, content: String, id: String, title: String)] {
        try read { db in
            let articles = try Article.fetchAll(
                db, sql: "SELECT * FROM articles WHERE deleted = 0 ORDER BY created_at, source_id, position, id")
            let tags = try Self.tagsByEntity(db, ids: articles.map(\.id))
            var used: Set<String> = []
            return try articles.map { article in
                let path = try String.fetchOne(
                    db, sql: "SELECT path FROM sources WHERE id = ?", arguments: [article.sourceID])
                let annotations = try Self.annotations(db, articleID: article.id)
                var copy = 1
                var name = ExportFileName.make(title: article.title, id: article.id)
                while used.contains(name) {
                    copy += 1
                    name = ExportFileName.make(title: article.title, id: article.id, copy: copy)
                }
                used.insert(name)
                return (
                    name,
                    MarkdownExport.render(
                        article, source: path, tags: tags[article.id] ?? [], annotations: annotations,
                        citation: try Self.citation(db, article: article)),
                    article.id, article.title
                )
            }
        }
    }
}

// MARK: - Formats

/// Timestamps as users and tools see them: ISO 8601 UTC with milliseconds.
public enum Timestamp {
    public static func iso(_ milliseconds: Int64) -> String {
        // Civil date from days since 1970 (Howard Hinnant's algorithm): no formatter, no locale.
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let millis = milliseconds - seconds * 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        if (1000...9999).contains(year) {
            // The usual case, written as bytes: long listings print two of these per annotation.
            return String(unsafeUninitializedCapacity: 24) { out in
                var index = 0
                func digits(_ value: Int64, _ count: Int, then separator: UInt8) {
                    var rest = value
                    for position in (0..<count).reversed() {
                        out[index + position] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                        rest /= 10
                    }
                    out[index + count] = separator
                    index += count + 1
                }
                digits(year, 4, then: 0x2D)  // -
                digits(month, 2, then: 0x2D)
                digits(day, 2, then: 0x54)  // T
                digits(secondOfDay / 3600, 2, then: 0x3A)  // :
                digits(secondOfDay % 3600 / 60, 2, then: 0x3A)
                digits(secondOfDay % 60, 2, then: 0x2E)  // .
                digits(millis, 3, then: 0x5A)  // Z
                return index
            }
        }
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let milli = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):"
            + "\(two(secondOfDay % 60)).\(milli)Z"
    }

    static func parse(_ text: String, path: String) throws -> Int64 {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text) else {
            throw KBError(.unreadableFile, "'\(path)' holds a timestamp '\(text)' that is not ISO 8601.")
        }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}

enum W3C {
    static func annotation(_ annotation: Annotation, body text: String) -> [String: Any] {
        var result: [String: Any] = [
            "id": "urn:kb:annotation:\(annotation.id)",
            "type": "Annotation",
            "created": Timestamp.iso(annotation.createdAt),
            "modified": Timestamp.iso(annotation.updatedAt),
        ]
        var bodies: [[String: Any]] = []
        if !annotation.note.isEmpty {
            bodies.append([
                "type": "TextualBody", "value": annotation.note, "format": "text/markdown", "purpose": "commenting",
            ])
        }
        for tag in annotation.tags {
            bodies.append(["type": "TextualBody", "value": tag, "purpose": "tagging"])
        }
        if !bodies.isEmpty { result["body"] = bodies.count == 1 ? bodies[0] : bodies }
        result["motivation"] = annotation.quote.isEmpty || !annotation.note.isEmpty ? "commenting" : "highlighting"
        let source = "urn:kb:article:\(annotation.articleID)"
        // The color as the model styles a target: a class on the SpecificResource, defined by a CSS
        // style sheet embedded in the annotation. A color kb does not know is left out.
        let color = annotation.highlightColor
        if let color {
            result["stylesheet"] = [
                "type": "CssStylesheet", "value": ".\(color.styleClass) { background-color: \(color.css); }",
            ]
        }
        if annotation.quote.isEmpty {
            if let color {
                result["target"] = ["source": source, "styleClass": color.styleClass]
            } else {
                result["target"] = source
            }
            return result
        }
        var selectors: [[String: Any]] = []
        let points = CodePoints(text)
        if let start = annotation.start, let end = annotation.end, end <= points.count, start < end {
            // The quote of the current range, so that both selectors select the same text.
            let exact = annotation.state == .anchored ? annotation.quote : points.string(start..<end)
            selectors.append([
                "type": "TextQuoteSelector", "exact": exact,
                "prefix": points.string(max(0, start - AnchorSelector.contextLength)..<start),
                "suffix": points.string(end..<min(points.count, end + AnchorSelector.contextLength)),
            ])
            selectors.append(["type": "TextPositionSelector", "start": start, "end": end])
        } else {
            selectors.append([
                "type": "TextQuoteSelector", "exact": annotation.quote, "prefix": annotation.prefix,
                "suffix": annotation.suffix,
            ])
        }
        var target: [String: Any] = ["source": source, "selector": selectors]
        if let color { target["styleClass"] = color.styleClass }
        result["target"] = target
        return result
    }
}

enum MarkdownExport {
    static func yamlString(_ text: String) -> String { JSONText.string(text) }

    /// An id as it may stand in a link: kb's ids as they are, anything else percent-encoded, so that an id
    /// from elsewhere cannot end the link or the line.
    static func linkID(_ id: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~")
        return id.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    static func render(
        _ article: Article, source: String?, tags: [String], annotations: [Annotation], citation: Citation? = nil
    ) -> String {
        var out = "---\n"
        out += "id: \(yamlString(article.id))\n"
        out += "title: \(yamlString(article.title))\n"
        if !article.subtitle.isEmpty { out += "subtitle: \(yamlString(article.subtitle))\n" }
        if !article.byline.isEmpty { out += "byline: \(yamlString(article.byline))\n" }
        if !article.dateline.isEmpty { out += "dateline: \(yamlString(article.dateline))\n" }
        out += "source: \(yamlString(source ?? ""))\n"
        out += "tags: [" + tags.map(yamlString).joined(separator: ", ") + "]\n"
        out += "created: \(Timestamp.iso(article.createdAt))\n"
        out += "updated: \(Timestamp.iso(article.updatedAt))\n"
        if let citation { out += MarkdownExport.frontMatter(citation) }
        out += "---\n\n"
        if !article.kicker.isEmpty { out += article.kicker + "\n\n" }
        out += "# \(article.title.replacingOccurrences(of: "\n", with: " "))\n\n"
        if !article.subtitle.isEmpty { out += "## \(article.subtitle.replacingOccurrences(of: "\n", with: " "))\n\n" }
        let meta = [article.dateline, article.byline].filter { !$0.isEmpty }.joined(separator: " ")
        if !meta.isEmpty { out += "*\(meta)*\n\n" }
        if let citation { out += "Cite: \(citation.formatted(.gb7714))\n\n" }
        out += article.body + "\n"
        guard !annotations.isEmpty else { return out }
        out += "\n## Highlights and notes\n"
        for annotation in annotations {
            out += "\n"
            if annotation.quote.isEmpty {
                out += "**Note on the article**\n\n"
            } else {
                for line in annotation.quote.components(separatedBy: "\n") { out += "> \(line)\n" }
                out += "\n"
            }
            if !annotation.note.isEmpty { out += annotation.note + "\n\n" }
            if !annotation.tags.isEmpty { out += annotation.tags.map { "#" + $0 }.joined(separator: " ") + "\n\n" }
            var link = "kb://article/\(linkID(article.id))"
            if let start = annotation.start, let end = annotation.end { link += "#cp=\(start)-\(end)" }
            let state = annotation.state == .anchored ? "" : " (\(annotation.state.rawValue))"
            let color = annotation.highlightColor.map { " · " + $0.marker } ?? ""
            out += "[\(ExportFileName.shortID(annotation.id))\(state)](\(link))\(color)\n"
        }
        return out
    }
}
