import Foundation
import KB

/// Compares the page splitter with a corpus's ground truth (truth.jsonl of gen_pages.py).
enum SplitEvaluation {
    struct TruthItem: Decodable {
        let kind: String
        let kicker: String
        let title: String
        let subtitle: String
        let byline: String
        let dateline: String
        let body: String
        /// Absent from corpora made before continuation markers were read.
        let continuation: String?
    }

    struct TruthPage: Decodable {
        let page: String
        let items: [TruthItem]
        /// The perturbation of the page (gen_pages.py --perturb), nil on an unperturbed corpus.
        let perturbation: String?
    }

    /// Counts for one class of pages.
    struct Tally {
        var pages = 0
        var pagesRight = 0
        var items = 0
        var itemsRight = 0
        /// Items right in every field and found in page order, whatever items were found around them.
        var itemsFound = 0
        var invariantFailures = 0

        mutating func add(_ other: Tally) {
            pages += other.pages
            pagesRight += other.pagesRight
            items += other.items
            itemsRight += other.itemsRight
            itemsFound += other.itemsFound
            invariantFailures += other.invariantFailures
        }
    }

    /// The number of true items found right in every field, in page order.
    ///
    /// It is the length of the longest common subsequence of the two lists: an item cut in two, or an
    /// extra item, costs the items it touches, not every item after it as a comparison by position does.
    static func itemsFoundInOrder(_ found: [[String]], _ truth: [[String]]) -> Int {
        guard !found.isEmpty, !truth.isEmpty else { return 0 }
        var next = [Int](repeating: 0, count: truth.count + 1)
        for item in found.reversed() {
            var row = [Int](repeating: 0, count: truth.count + 1)
            for index in truth.indices.reversed() {
                row[index] = item == truth[index] ? next[index + 1] + 1 : max(next[index], row[index + 1])
            }
            next = row
        }
        return next[0]
    }

    /// Checks that nothing of the page is lost or invented: every non-whitespace character of the
    /// page is in exactly one field of one item, or in the dropped second copy of a headline block,
    /// and that copy only repeats characters of its item's kicker, title and subtitle.
    static func keepsEverything(page: String, items: [PageItem]) -> Bool {
        var counts: [Unicode.Scalar: Int] = [:]
        for scalar in TextCleaner.removingWhitespace(page).unicodeScalars { counts[scalar, default: 0] += 1 }
        for item in items {
            var headline: [Unicode.Scalar: Int] = [:]
            for field in [item.kicker, item.title, item.subtitle] {
                for scalar in TextCleaner.removingWhitespace(field).unicodeScalars { headline[scalar, default: 0] += 1 }
            }
            for scalar in TextCleaner.removingWhitespace(item.repeatedHeadline).unicodeScalars {
                let left = headline[scalar, default: 0] - 1
                if left < 0 { return false }
                headline[scalar] = left
            }
            for field in item.fields + [item.repeatedHeadline] {
                for scalar in TextCleaner.removingWhitespace(field).unicodeScalars { counts[scalar, default: 0] -= 1 }
            }
        }
        return counts.values.allSatisfy { $0 == 0 }
    }

    static func run(corpus: String, verbose: Bool, dump: String? = nil, json: Bool = false) throws {
        let truthText = try String(contentsOfFile: corpus + "/truth.jsonl", encoding: .utf8)
        var pages = 0
        var pagesRight = 0
        var items = 0
        var itemsRight = 0
        var itemsFound = 0
        var fieldErrors: [String: Int] = [:]
        var countErrors = 0
        var shown = 0
        var invariantFailures = 0
        var dumped = ""
        var classes: [String] = []
        var tallies: [String: Tally] = [:]
        for line in truthText.split(separator: "\n") {
            let truth = try JSONDecoder().decode(TruthPage.self, from: Data(line.utf8))
            let perturbation = truth.perturbation ?? "none"
            if tallies[perturbation] == nil { classes.append(perturbation) }
            var tally = Tally(pages: 1, items: truth.items.count)
            defer { tallies[perturbation, default: Tally()].add(tally) }
            let text = try String(contentsOfFile: corpus + "/pages/" + truth.page, encoding: .utf8)
            let found = PageSplitter.split(text)
            if !keepsEverything(page: text, items: found) {
                invariantFailures += 1
                tally.invariantFailures = 1
                if verbose { print("\(truth.page): characters lost or duplicated") }
            }
            if dump != nil {
                let rows = found.map { item -> [String: String] in
                    [
                        "kind": item.kind.rawValue, "kicker": item.kicker, "title": item.title,
                        "subtitle": item.subtitle, "byline": item.byline, "dateline": item.dateline,
                        "body": item.body, "repeated": item.repeatedHeadline,
                    ]
                }
                let object: [String: Any] = ["page": truth.page, "items": rows]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                dumped += String(decoding: data, as: UTF8.self) + "\n"
            }
            pages += 1
            items += truth.items.count
            let foundKeys = found.map { item in
                [
                    item.kind.rawValue, item.kicker, item.title, item.subtitle, item.byline, item.dateline, item.body,
                    item.continuation,
                ].map(TextCleaner.removingWhitespace)
            }
            let truthKeys = truth.items.map { item in
                [
                    item.kind, item.kicker, item.title, item.subtitle, item.byline, item.dateline, item.body,
                    item.continuation ?? "",
                ].map(TextCleaner.removingWhitespace)
            }
            let inOrder = itemsFoundInOrder(foundKeys, truthKeys)
            itemsFound += inOrder
            tally.itemsFound = inOrder
            var pageRight = found.count == truth.items.count
            if found.count != truth.items.count {
                countErrors += 1
                if verbose && shown < 30 {
                    shown += 1
                    print("\(truth.page) (\(perturbation)): \(found.count) items, truth \(truth.items.count)")
                    print("  found: " + found.map { TextCleaner.removingWhitespace($0.title) }.joined(separator: " | "))
                    print("  truth: " + truth.items.map(\.title).joined(separator: " | "))
                }
            }
            for (item, expected) in zip(found, truth.items) {
                var right = true
                let pairs: [(String, String, String)] = [
                    ("kind", item.kind.rawValue, expected.kind),
                    ("title", TextCleaner.removingWhitespace(item.title), expected.title),
                    ("kicker", TextCleaner.removingWhitespace(item.kicker), expected.kicker),
                    ("subtitle", TextCleaner.removingWhitespace(item.subtitle), expected.subtitle),
                    ("byline", TextCleaner.removingWhitespace(item.byline), expected.byline),
                    ("dateline", TextCleaner.removingWhitespace(item.dateline), expected.dateline),
                    ("body", TextCleaner.removingWhitespace(item.body), TextCleaner.removingWhitespace(expected.body)),
                    ("continuation", TextCleaner.removingWhitespace(item.continuation), expected.continuation ?? ""),
                ]
                for (name, got, want) in pairs where got != want {
                    right = false
                    fieldErrors[name, default: 0] += 1
                    if verbose && shown < 0 && found.count == truth.items.count {
                        shown += 1
                        print("\(truth.page) \(name): got '\(got.prefix(60))' want '\(want.prefix(60))'")
                    }
                }
                if right {
                    itemsRight += 1
                    tally.itemsRight += 1
                } else {
                    pageRight = false
                }
            }
            if pageRight {
                pagesRight += 1
                tally.pagesRight = 1
            }
        }
        if json {
            // One JSON object for Benchmarks/run.py: the counts of every class of pages.
            let rows = classes.map { name -> [String: Any] in
                let tally = tallies[name, default: Tally()]
                return [
                    "perturbation": name, "pages": tally.pages, "pages_exact": tally.pagesRight, "items": tally.items,
                    "items_right": tally.itemsRight, "items_found": tally.itemsFound,
                    "pages_losing_characters": tally.invariantFailures,
                ]
            }
            let object: [String: Any] = ["classes": rows, "field_errors": fieldErrors]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        if classes.count > 1 {
            print("perturbation\tpages\texact\titems\tfound\tby position\tlost/duplicated")
            var perturbed = Tally()
            for name in classes {
                let tally = tallies[name, default: Tally()]
                if name != "none" { perturbed.add(tally) }
                print(row(name, tally))
            }
            print(row("all perturbed", perturbed))
        }
        print("pages \(pages), split exactly right \(pagesRight) (\(percent(pagesRight, pages)))")
        print("items \(items), found right in every field \(itemsFound) (\(percent(itemsFound, items)))")
        print("items right in every field at their position \(itemsRight) (\(percent(itemsRight, items)))")
        print("pages with a wrong item count: \(countErrors)")
        print("pages losing or duplicating characters: \(invariantFailures)")
        print(
            "field errors: "
                + fieldErrors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if let dump { try dumped.write(toFile: dump, atomically: true, encoding: .utf8) }
    }

    static func row(_ name: String, _ tally: Tally) -> String {
        "\(name)\t\(tally.pages)\t\(percent(tally.pagesRight, tally.pages))\t\(tally.items)\t"
            + "\(percent(tally.itemsFound, tally.items))\t\(percent(tally.itemsRight, tally.items))\t"
            + "\(tally.invariantFailures)"
    }

    static func percent(_ part: Int, _ whole: Int) -> String {
        String(format: "%.2f%%", whole == 0 ? 0 : 100 * Double(part) / Double(whole))
    }
}
