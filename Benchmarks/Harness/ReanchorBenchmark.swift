import Foundation
import GRDB
import KB

/// Re-anchoring the annotations of a long article when it is edited.
///
/// `kb-bench reanchor CORPUS_DIR WORK_DIR [--length 50000] [--annotations 1000] [--edits 100] [--seed 7]`
///
/// A long Chinese article built from the corpus's bodies, with annotations of 4–20 characters at random
/// places, then two edits timed through `KnowledgeBase.editArticle`: a passage inserted near the start,
/// and (on a copy of the same database) scattered small edits. Reports the time and how the annotations
/// ended, and checks each one against where it should be: an annotation no edit touched must stay
/// anchored at its old range shifted by the edits before it.
enum ReanchorBenchmark {
    struct Result: Encodable {
        var length: Int
        var annotations: Int
        var annotateSeconds: Double
        var runs: [Run]
    }

    struct Run: Encodable {
        var name: String
        var edits: Int
        var seconds: Double
        var anchored: Int
        var fuzzy: Int
        var orphaned: Int
        /// Annotations no edit overlaps.
        var untouched: Int
        /// Of those, anchored exactly where the shifted old range says.
        var untouchedInPlace: Int
        /// Annotations an edit overlaps, and the states they ended in.
        var touched: Int
        var touchedStates: [String: Int]
        /// Untouched annotations not found in place, and touched ones that ended anchored (at most 10 each).
        var surprises: [Surprise]
    }

    /// An annotation that did not end where the edit says it should.
    struct Surprise: Encodable {
        var quote: String
        var touched: Bool
        var old: [Int]
        var expected: [Int]
        var state: String
        var now: [Int]?
        /// The text at the new range.
        var text: String?
        /// Code points between the old range and the nearest edit (0 when one overlaps it).
        var nearestEdit: Int
    }

    /// One edit of the text: `delete` code points at `position` replaced by `insert`.
    struct Edit {
        var position: Int
        var delete: Int
        var insert: [UInt32]
    }

    static func run(_ arguments: Arguments) throws {
        let corpus = Corpus(directory: try arguments.value(1, "CORPUS_DIR"))
        let work = try arguments.value(2, "WORK_DIR")
        let length = arguments.int("length", default: 50_000)
        let count = arguments.int("annotations", default: 1000)
        let editCount = arguments.int("edits", default: 100)
        var random = SeededGenerator(seed: UInt64(arguments.int("seed", default: 7)))
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)

        // The article: corpus bodies, one after the other, cut to `length` code points.
        let bodies = try corpus.bodies()
        var scalars: [UInt32] = []
        var used = 0
        while scalars.count < length && used < bodies.count {
            if !scalars.isEmpty { scalars += [0x0A, 0x0A] }
            scalars += bodies[used].unicodeScalars.map(\.value)
            used += 1
        }
        scalars = Array(scalars.prefix(length))
        while let last = scalars.last, last == 0x0A { scalars.removeLast() }
        let spare = bodies.dropFirst(used).flatMap { $0.unicodeScalars.map(\.value) }.filter { $0 != 0x0A }
        guard scalars.count == length, spare.count >= 1000 else {
            throw BenchError("the corpus is too small for a \(length)-character article")
        }

        let basePath = work + "/reanchor-insert.sqlite"
        let copyPath = work + "/reanchor-scattered.sqlite"
        removeDatabase(at: basePath)
        removeDatabase(at: copyPath)
        let kb = try KnowledgeBase.open(path: basePath)
        let article = try kb.addArticle(title: "长文重锚基准", body: string(scalars))
        guard article.body.unicodeScalars.count == length else { throw BenchError("the article's text changed on add") }

        // Annotations at random places, none across a paragraph break.
        note("reanchor: \(count) annotations on a \(length)-character article")
        var ranges: [String: Range<Int>] = [:]
        let (_, annotateSeconds) = try Stopwatch.time {
            while ranges.count < count {
                let size = Int.random(in: 4...20, using: &random)
                let start = Int.random(in: 0...(length - size), using: &random)
                if scalars[start..<(start + size)].contains(0x0A) { continue }
                let annotation = try kb.annotate(article.id, target: .range(start, start + size))
                ranges[annotation.id] = start..<(start + size)
            }
        }
        try kb.database.writer.writeWithoutTransaction { db in
            try db.execute(sql: "VACUUM INTO ?", arguments: [copyPath])
        }

        // 1. A passage of 300 characters inserted near the start.
        let insertion = [Edit(position: 100, delete: 0, insert: Array(spare.prefix(300)))]
        let first = try measure(kb, article.id, scalars, insertion, ranges, name: "insert 300 chars at 100")

        // 2. Scattered edits: replacements, deletions and insertions of a few characters.
        var positions: Set<Int> = []
        while positions.count < editCount { positions.insert(Int.random(in: 0..<(length - 10), using: &random)) }
        var edits: [Edit] = []
        var lastEnd = -1
        for position in positions.sorted() where position > lastEnd {
            var edit: Edit
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                let size = Int.random(in: 1...3, using: &random)
                let from = Int.random(in: 0..<(spare.count - size), using: &random)
                edit = Edit(position: position, delete: size, insert: Array(spare[from..<(from + size)]))
            case 1:
                edit = Edit(position: position, delete: Int.random(in: 1...5, using: &random), insert: [])
            default:
                let size = Int.random(in: 1...10, using: &random)
                let from = Int.random(in: 0..<(spare.count - size), using: &random)
                edit = Edit(position: position, delete: 0, insert: Array(spare[from..<(from + size)]))
            }
            // Keep the paragraph structure: never delete a line break.
            while edit.delete > 0 && scalars[position..<(position + edit.delete)].contains(0x0A) { edit.delete -= 1 }
            if edit.delete == 0 && edit.insert.isEmpty { continue }
            edits.append(edit)
            lastEnd = position + edit.delete
        }
        let copy = try KnowledgeBase.open(path: copyPath)
        let second = try measure(copy, article.id, scalars, edits, ranges, name: "\(edits.count) scattered edits")

        try printJSON(
            Result(length: length, annotations: count, annotateSeconds: annotateSeconds, runs: [first, second]))
    }

    /// Applies the edits through `editArticle`, timed, and checks every annotation.
    static func measure(
        _ kb: KnowledgeBase, _ id: String, _ old: [UInt32], _ edits: [Edit], _ ranges: [String: Range<Int>],
        name: String
    ) throws -> Run {
        var text = old
        for edit in edits.sorted(by: { $0.position > $1.position }) {
            text.replaceSubrange(edit.position..<(edit.position + edit.delete), with: edit.insert)
        }
        note("reanchor: \(name)")
        let ((_, counts), seconds) = try Stopwatch.time { try kb.editArticle(id, body: string(text)) }

        // Where each old position goes: shifted by every edit before it. Text inserted exactly at the end
        // of a quote comes after it, at its start before it.
        func shifted(_ position: Int, isEnd: Bool) -> Int {
            position
                + edits.filter { $0.position + $0.delete < position || $0.position + $0.delete == position && !isEnd }
                .reduce(0) { $0 + $1.insert.count - $1.delete }
        }
        func touches(_ edit: Edit, _ range: Range<Int>) -> Bool {
            if edit.delete == 0 { return edit.position > range.lowerBound && edit.position < range.upperBound }
            return edit.position < range.upperBound && edit.position + edit.delete > range.lowerBound
        }
        var run = Run(
            name: name, edits: edits.count, seconds: seconds, anchored: counts.reanchored, fuzzy: counts.fuzzy,
            orphaned: counts.orphaned, untouched: 0, untouchedInPlace: 0, touched: 0, touchedStates: [:],
            surprises: [])
        func surprise(_ annotation: Annotation, _ range: Range<Int>, touched: Bool) -> Surprise {
            let now = annotation.start.flatMap { start in annotation.end.map { start..<$0 } }
            return Surprise(
                quote: annotation.quote, touched: touched, old: [range.lowerBound, range.upperBound],
                expected: [shifted(range.lowerBound, isEnd: false), shifted(range.upperBound, isEnd: true)],
                state: annotation.state.rawValue, now: now.map { [$0.lowerBound, $0.upperBound] },
                text: now.flatMap { $0.upperBound <= text.count ? string(Array(text[$0])) : nil },
                nearestEdit: edits.map { edit in
                    max(0, edit.position - range.upperBound, range.lowerBound - (edit.position + edit.delete))
                }.min() ?? 0)
        }
        for annotation in try kb.notes(NotesFilter(articleID: id)) {
            guard let range = ranges[annotation.id] else { continue }
            if edits.contains(where: { touches($0, range) }) {
                run.touched += 1
                run.touchedStates[annotation.state.rawValue, default: 0] += 1
                if annotation.state == .anchored && run.surprises.filter(\.touched).count < 10 {
                    run.surprises.append(surprise(annotation, range, touched: true))
                }
            } else {
                run.untouched += 1
                if annotation.state == .anchored && annotation.start == shifted(range.lowerBound, isEnd: false)
                    && annotation.end == shifted(range.upperBound, isEnd: true)
                {
                    run.untouchedInPlace += 1
                } else if run.surprises.filter({ !$0.touched }).count < 10 {
                    run.surprises.append(surprise(annotation, range, touched: false))
                }
            }
        }
        return run
    }

    static func string(_ scalars: [UInt32]) -> String {
        var view = String.UnicodeScalarView()
        for value in scalars { if let scalar = Unicode.Scalar(value) { view.append(scalar) } }
        return String(view)
    }
}
