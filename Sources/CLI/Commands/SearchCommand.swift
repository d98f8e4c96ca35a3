import ArgumentParser
import Foundation
import KB

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search articles, notes and highlights.",
        discussion: """
            Words are ANDed; "a phrase" keeps words together; OR between two parts; -word excludes \
            (kb search 工会 -外贸); title:word searches the headline (title, subtitle, kicker); tag:name keeps \
            articles that carry the tag or hold an annotation that does ('tag:"two words"' for a tag with a \
            space: the shell must keep the double quotes); a full-width －word excludes too. Chinese needs no \
            spaces: 市场开拓能力 finds the text across line wraps and spurious spaces. \
            Simplified and traditional forms match alike (头发 finds 頭髮, 台湾 finds 臺灣), hits on the \
            characters as typed first; --exact or exact:word keeps to the characters typed. py:chongqing finds \
            the characters read that way (重庆, 重慶), with or without tones (py:chóngqìng, py:chong2qing4), \
            by initials (py:cq), syllables spaced or not (py:"chong qing"); --pinyin reads every Latin word \
            of the query as pinyin too, hits on the text as written first.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "At most this many results.")
    var limit = 20

    @Flag(
        help:
            "Match the characters as typed only; by default 头发 also finds 頭髮 (exact: in the query does this per word).")
    var exact = false

    @Flag(
        help: "Also read every word in Latin letters as pinyin: chongqing or cq finds 重庆 (py:word does this per word).")
    var pinyin = false

    // Words that start with '-' are exclusions, not options: every argument that is not one of this
    // command's options belongs to the query.
    @Argument(parsing: .allUnrecognized, help: "The query; -word excludes a word.")
    var query: [String]

    func validate() throws {
        if query.isEmpty { throw ValidationError("Give a query, for example: kb search 非遗") }
        if limit < 1 { throw ValidationError("--limit must be 1 or more, not \(limit).") }
    }

    func run() throws {
        // The parser keeps the `--` that ends the options among the query's words.
        var words = query
        if let end = words.firstIndex(of: "--") { words.remove(at: end) }
        try Self.run(
            SearchRequest(
                db: global.db, json: global.json, allowDamaged: global.allowDamaged, limit: limit, exact: exact,
                pinyin: pinyin, query: words))
    }

    /// Searches and prints the hits: the work of `kb search`, however its arguments were read.
    ///
    /// - Returns: The knowledge base searched, already closed: a process that ends now holds it until then,
    ///   so that none of its teardown runs.
    @discardableResult
    static func run(_ request: SearchRequest) throws -> KnowledgeBase {
        let kb = try GlobalOptions.open(db: request.db, allowDamaged: request.allowDamaged)
        defer { try? kb.close() }
        try kb.readThroughMemoryMap()
        try printHits(kb, request)
        return kb
    }

    private static func printHits(_ kb: KnowledgeBase, _ request: SearchRequest) throws {
        let text = request.query.joined(separator: " ")
        let hits = try kb.search(text, limit: request.limit, exact: request.exact, pinyin: request.pinyin)
        if request.json {
            try Terminal.printJSON(
                hits.map { hit -> [String: Any] in
                    var object: [String: Any] = [
                        "id": hit.id, "title": hit.title,
                        "score": Double(String(format: "%.6g", hit.score)) ?? hit.score,
                        "snippet": hit.snippet.rendered(open: "**", close: "**"), "field": hit.field,
                    ]
                    if let annotationID = hit.annotationID { object["annotation_id"] = annotationID }
                    return object
                })
            return
        }
        if hits.isEmpty {
            print("No results for '\(text)'.")
            return
        }
        let (open, close) = Terminal.hitMarks
        let shown = try kb.annotationIDPrefixes(hits.compactMap(\.annotationID))
        for (index, hit) in hits.enumerated() {
            let whereFound = hit.annotationID.map { " " + Terminal.dim("(in annotation \(shown[$0] ?? $0))") } ?? ""
            print(
                "\(index + 1). \(Terminal.bold(Terminal.oneLine(Terminal.title(hit.title)))) \(Terminal.yellow(String(hit.id.prefix(8))))\(whereFound)"
            )
            print("   " + hit.snippet.rendered(open: open, close: close))
        }
    }
}

/// The values of `kb search`'s options and its query.
struct SearchRequest: Equatable {
    var db: String?
    var json = false
    var allowDamaged = false
    var limit = 20
    var exact = false
    var pinyin = false
    var query: [String] = []

    /// Reads `search …` (the global options already moved behind the command) without swift-argument-parser,
    /// whose reflection of the command tree is most of a short command's start-up; nil for anything but the
    /// plain forms (`--help`, an option it does not know, a value it cannot read, no query), which
    /// swift-argument-parser reads as before, with its messages.
    init?(arguments: [String]) {
        guard arguments.first == "search" else { return nil }
        var seen: Set<String> = []
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            // Everything after `--` is the query.
            if argument == "--" {
                query += arguments[index...]
                break
            }
            guard argument.hasPrefix("-") else {
                query.append(argument)
                continue
            }
            // A word after '-' that is not ASCII is an exclusion (-外贸), as swift-argument-parser reads it too.
            if let first = argument.unicodeScalars.dropFirst().first, !first.isASCII {
                query.append(argument)
                continue
            }
            var name = argument
            var value: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            }
            // A repeated option is left to swift-argument-parser.
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "--json", "--allow-damaged", "--exact", "--pinyin":
                guard value == nil else { return nil }
                switch name {
                case "--json": json = true
                case "--allow-damaged": allowDamaged = true
                case "--exact": exact = true
                default: pinyin = true
                }
            case "--db", "--limit":
                if value == nil {
                    guard index < arguments.count, !arguments[index].hasPrefix("-") else { return nil }
                    value = arguments[index]
                    index += 1
                }
                guard let value, !value.isEmpty else { return nil }
                if name == "--db" {
                    db = value
                } else {
                    guard let number = Int(value), number >= 1 else { return nil }
                    limit = number
                }
            default:
                return nil
            }
        }
        guard !query.isEmpty else { return nil }
    }

    init(
        db: String?, json: Bool, allowDamaged: Bool, limit: Int, exact: Bool, pinyin: Bool, query: [String]
    ) {
        self.db = db
        self.json = json
        self.allowDamaged = allowDamaged
        self.limit = limit
        self.exact = exact
        self.pinyin = pinyin
        self.query = query
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Counts, pending changes, the last sync and open conflicts.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let kb = try global.open()
        let status = try kb.status()
        let health = try kb.health()
        if global.json {
            try Terminal.printJSON([
                "articles": status.articles,
                "annotations": status.annotations,
                "pending": status.pending,
                "last_sync": status.lastSync.map { Timestamp.iso($0) as Any } ?? NSNull(),
                "conflicts": status.conflicts,
                "orphaned": status.orphaned,
                "replica": status.replica as Any? ?? NSNull(),
                "quarantined": status.quarantined,
                "digest": health.digest,
                "gaps": health.gaps,
            ])
            return
        }
        print("\(status.articles) articles, \(status.annotations) annotations (\(status.orphaned) orphaned)")
        print(
            "\(status.pending) change\(status.pending == 1 ? "" : "s") not yet synced; "
                + "last sync: \(status.lastSync.map { Timestamp.iso($0) } ?? "never")")
        if status.conflicts > 0 {
            print(
                Terminal.red(
                    "\(status.conflicts) open conflict\(status.conflicts == 1 ? "" : "s"); see 'kb conflicts'."))
        } else {
            print("No open conflicts.")
        }
        if status.quarantined > 0 {
            print(Terminal.red("\(status.quarantined) pulled change(s) could not be applied and are set aside."))
        }
        if health.gaps > 0 {
            print(
                Terminal.red(
                    "The history misses \(health.gaps) change(s) of other replicas; "
                        + "'kb sync' fetches them when a hub has them."
                ))
        }
        print(Terminal.dim("content digest \(health.digest)"))
    }
}
