import Foundation
import Hub
import KB
import Testing

@testable import Sync

/// A seeded, structure-aware fuzzer over the two decoders that read bytes from the network: the hub's
/// push decoder and the replica's pull page decoder.
///
/// Inputs start from valid pushes and pages (Chinese text, emoji, 𠮷, full-width forms, escapes) and
/// are mutated: bytes flipped, inserted, deleted and repeated, truncated, numbers made huge or negative,
/// values given the wrong type, structure nested thousands deep, arrays of more changes than allowed,
/// gzip compressed and then truncated or damaged. Each input must decode or be refused with a
/// ``WireDecodingError`` (typed: nothing else can escape), quickly; no input may crash or hang. A decoded
/// push is also sent to a real ``HubService``, which must answer it with a 4xx or a 200, never a 500.
///
/// `KB_FUZZ_ITERATIONS=N` runs N inputs per decoder (default 1500, some 10 s in a debug build);
/// `KB_FUZZ_SEED=S` replays a run. Each run prints its count of inputs.
@Suite(.timeLimit(.minutes(10)))
struct WireDecoderFuzzTests {
    static var iterations: Int {
        ProcessInfo.processInfo.environment["KB_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 1500
    }

    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["KB_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x6B62_7775_7A7A
    }

    /// Time allowed for one input; far above what a valid input of the same size takes.
    static let slowInput: Duration = .seconds(5)

    @Test func pushDecoder_neverCrashesOrHangs_andRefusesCleanly() async throws {
        var random = SeededGenerator(seed: Self.seed)
        let hub = try TestHub()
        let token = try await hub.token(for: "fuzz")
        var tally = Tally()
        for index in 0..<Self.iterations {
            let (bytes, gzip) = FuzzInput.push(&random)
            // Only decoding is timed: the hub's answer includes a durable write, whose time is the disk's.
            let started = ContinuousClock.now
            var decoded: PushRequest?
            do {
                decoded = try WireDecoding.push(bytes, gzip: gzip)
            } catch {
                tally.refused[Tally.name(error.reason), default: 0] += 1
                #expect(Self.isOneSentence(error.message), "input \(index): \(error.message)")
            }
            let elapsed = ContinuousClock.now - started
            tally.slowest = max(tally.slowest, elapsed)
            #expect(
                elapsed < Self.slowInput, "input \(index) (seed \(Self.seed), \(bytes.count) bytes) took \(elapsed)")
            guard let push = decoded else { continue }
            tally.decoded += 1
            // What decodes survives the trip back: encoded again, it decodes to the same request.
            let again = try WireDecoding.push(push.jsonBytes, gzip: false)
            #expect(again.changes == push.changes && again.replica == push.replica, "input \(index)")
            if index % 4 == 0 {
                let answer = try await hub.service.send(
                    "POST", "/v1/kb/fuzz/changes",
                    headers: ["authorization": "Bearer \(token)"].merging(
                        gzip ? ["content-encoding": "gzip"] : [:]
                    ) { $1 },
                    body: bytes)
                tally.sentToHub += 1
                #expect(
                    answer.status == 200 || (400..<500).contains(answer.status),
                    "input \(index) (seed \(Self.seed)): the hub answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self))"
                )
            }
        }
        print("fuzz: push decoder: \(Self.iterations) inputs (seed \(Self.seed)): \(tally)")
        #expect(tally.decoded > 0 && tally.refused.values.reduce(0, +) > 0, "the inputs explore both outcomes")
        #expect(tally.refused.count >= 4, "the inputs reach several refusals: \(tally)")
    }

    @Test func pullPageDecoder_neverCrashesOrHangs_andRefusesCleanly() async throws {
        var random = SeededGenerator(seed: Self.seed &+ 1)
        var tally = Tally()
        for index in 0..<Self.iterations {
            let (bytes, gzip) = FuzzInput.page(&random)
            let started = ContinuousClock.now
            do {
                let page = try WireDecoding.pullPage(bytes, gzip: gzip)
                tally.decoded += 1
                #expect(page.changes.count <= SyncLimits.maxChangesPerRequest)
            } catch {
                tally.refused[Tally.name(error.reason), default: 0] += 1
                #expect(Self.isOneSentence(error.message), "input \(index): \(error.message)")
            }
            // The replica's own path: the client reads the page as an answer of the hub.
            if !gzip {
                let client = HubClient(
                    transport: FixedAnswer(body: bytes), base: "http://127.0.0.1:1", knowledgeBase: "fuzz",
                    token: "t")
                do {
                    _ = try await client.pull(after: 0, limit: 1000, exclude: nil, expect: nil)
                } catch let error as SyncError {
                    #expect(error.kind == .protocolMismatch, "input \(index): \(error.message)")
                }
            }
            let elapsed = ContinuousClock.now - started
            tally.slowest = max(tally.slowest, elapsed)
            #expect(
                elapsed < Self.slowInput,
                "input \(index) (seed \(Self.seed &+ 1), \(bytes.count) bytes) took \(elapsed)")
        }
        print("fuzz: pull page decoder: \(Self.iterations) inputs (seed \(Self.seed &+ 1)): \(tally)")
        #expect(tally.decoded > 0 && tally.refused.values.reduce(0, +) > 0, "the inputs explore both outcomes")
        #expect(tally.refused.count >= 4, "the inputs reach several refusals: \(tally)")
    }

    // MARK: - Regressions found by the fuzzer, and the bounds it relies on

    /// Bodies that once needed care, or that bound what the fuzzer relies on; built by the test, so that
    /// the test's name stays short.
    static let hostileBodies: [(body: String, gzip: Bool)] = [
        ("[" + String(repeating: "{\"a\":[", count: 50_000), false),  // nesting 100,000 deep
        (#"{"epoch":"e","head":1,"next":1,"next_id":null,"changes":[{"hub_seq":1,"change":"# + "\"\\", false),
        (#"{"replica":"r","changes":[]}"#, true),  // plain JSON announced as gzip
        ("", true),
        (#"{"epoch":"e","head":-1,"next":9223372036854775807,"next_id":7,"changes":[]}"#, false),
        (#"{"epoch":"e","head":1e400,"next":1,"next_id":null,"changes":[]}"#, false),
        (#"{"epoch":"e","head":1,"next":1,"next_id":null}"#, false),
    ]

    @Test(arguments: hostileBodies.indices)
    func hostileBodies_areRefusedCleanly(index: Int) throws {
        let (body, gzip) = Self.hostileBodies[index]
        #expect(throws: WireDecodingError.self) { try WireDecoding.pullPage(Array(body.utf8), gzip: gzip) }
    }

    @Test func scan_countsChangesOfPushesAndPages_atDepthThree() throws {
        var limits = WireDecoding.Limits()
        limits.maxChanges = 2
        let change =
            #"{"replica":"r","seq":1,"hlc":1,"entity":"article","id":"知","field":"title","op":"set","value":null,"base":["r:1"]}"#
        let push = #"{"replica":"r","changes":[\#(change),\#(change)]}"#
        #expect(try WireDecoding.push(Array(push.utf8), gzip: false, limits: limits).changes.count == 2)
        let three = #"{"replica":"r","changes":[\#(change),\#(change),\#(change)]}"#
        #expect(throws: WireDecodingError(.tooManyChanges(limit: 2))) {
            try WireDecoding.push(Array(three.utf8), gzip: false, limits: limits)
        }
        let entries = (1...3).map { #"{"hub_seq":\#($0),"change":\#(change)}"# }.joined(separator: ",")
        let page = #"{"epoch":"e","head":3,"next":3,"next_id":"r:1","changes":[\#(entries)]}"#
        #expect(throws: WireDecodingError(.tooManyChanges(limit: 2))) {
            try WireDecoding.pullPage(Array(page.utf8), limits: limits)
        }
        // Brackets and braces inside strings are text, not structure.
        let quoted = #"{"replica":"r","changes":[\#(change.replacingOccurrences(of: "知", with: "[{[{\\\"}]"))]}"#
        #expect(try WireDecoding.push(Array(quoted.utf8), gzip: false, limits: limits).changes.first?.id == "[{[{\"}]")
    }

    static func isOneSentence(_ message: String) -> Bool {
        !message.isEmpty && !message.contains("\n") && message.hasSuffix(".") && message.first?.isUppercase == true
    }
}

/// Counts of outcomes, printed at the end of a run.
struct Tally: CustomStringConvertible {
    var decoded = 0
    var sentToHub = 0
    var refused: [String: Int] = [:]
    var slowest: Duration = .zero

    static func name(_ reason: WireDecodingError.Reason) -> String {
        switch reason {
        case .tooLarge: "too large"
        case .tooDeep: "too deep"
        case .tooManyChanges: "too many changes"
        case .tooManyValues: "too many values"
        case .badGzip: "bad gzip"
        case .badJSON: "bad JSON"
        }
    }

    var description: String {
        "\(decoded) decoded (\(sentToHub) sent to the hub), refused "
            + refused.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            + ", slowest \(slowest)"
    }
}

/// Answers every request with the same 200 body.
struct FixedAnswer: HubTransport {
    let body: [UInt8]

    func send(_ request: HubRequest) async throws -> HubResponse { HubResponse(status: 200, body: body) }
}

/// Valid inputs, and the mutations applied to them.
enum FuzzInput {
    static let texts = [
        "非遗技艺", "长三角职工文旅消费", "𠮷野家", "🎭🧧", "ＡＩ大模型５００万", "line\nbreak\ttab", "quote \" and \\ slash",
        "\u{0}\u{1F}", "e\u{301}", "", String(repeating: "知", count: 300),
    ]

    static func pick<T>(_ values: [T], _ random: inout SeededGenerator) -> T {
        values[Int(random.next() % UInt64(values.count))]
    }

    static func change(_ random: inout SeededGenerator, seq: Int64) -> WireChange {
        WireChange(
            replica: pick(["9f2c41d07be85a13", "c81e7a5f30d2b694", "r"], &random), seq: seq,
            hlc: Int64(random.next() % (1 << 62)),
            entity: pick(["article", "annotation", "tag", "source", "?"], &random),
            id: pick(texts, &random), field: pick(["title", "body", "note", "deleted", ""], &random),
            op: pick(["set", "delete", "add"], &random),
            value: random.next() % 4 == 0 ? nil : JSONText.string(pick(texts, &random)),
            base: (0..<Int(random.next() % 3)).map { "9f2c41d07be85a13:\($0 + 1)" })
    }

    static func push(_ random: inout SeededGenerator) -> ([UInt8], Bool) {
        let count = Int(random.next() % 12)
        let request = PushRequest(
            replica: "9f2c41d07be85a13", changes: (0..<count).map { change(&random, seq: Int64($0 + 1)) })
        return finish(request.jsonBytes, &random)
    }

    static func page(_ random: inout SeededGenerator) -> ([UInt8], Bool) {
        let count = Int(random.next() % 12)
        let page = PullResponse(
            epoch: "e-\(random.next() % 100)",
            changes: (0..<count).map {
                PulledChange(hubSeq: Int64($0 + 1), change: change(&random, seq: Int64($0 + 1)))
            },
            next: Int64(count), nextID: count > 0 ? "r:\(count)" : nil, head: Int64(count + Int(random.next() % 3)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let bytes = (try? encoder.encode(page)).map { [UInt8]($0) } ?? []
        return finish(bytes, &random)
    }

    /// Leaves a valid body as it is (a quarter of the time), or mutates it; then maybe compresses it.
    static func finish(_ valid: [UInt8], _ random: inout SeededGenerator) -> ([UInt8], Bool) {
        var bytes = valid
        if random.next() % 4 != 0 {
            for _ in 0...(random.next() % 3) { bytes = mutate(bytes, &random) }
        }
        guard random.next() % 3 == 0, var compressed = try? Gzip.compress(bytes) else { return (bytes, false) }
        switch random.next() % 4 {
        case 0: compressed.removeLast(Int(random.next() % UInt64(compressed.count)))
        case 1 where !compressed.isEmpty:
            compressed[Int(random.next() % UInt64(compressed.count))] ^= UInt8(truncatingIfNeeded: random.next() | 1)
        default: break
        }
        return (compressed, true)
    }

    static func mutate(_ input: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        let position = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count))
        switch random.next() % 12 {
        case 0 where !bytes.isEmpty:  // flip a byte
            bytes[position] ^= UInt8(truncatingIfNeeded: random.next() | 1)
        case 1:  // insert a structural or odd byte
            bytes.insert(pick(Array("{}[]\",:\\0-e".utf8) + [0x00, 0xFF, 0xC3], &random), at: position)
        case 2 where !bytes.isEmpty:  // delete a range
            bytes.removeSubrange(position..<min(bytes.count, position + 1 + Int(random.next() % 16)))
        case 3:  // truncate
            bytes = Array(bytes.prefix(position))
        case 4 where !bytes.isEmpty:  // repeat a range
            let end = min(bytes.count, position + 1 + Int(random.next() % 64))
            bytes.insert(contentsOf: bytes[position..<end], at: position)
        case 5:  // nest deep
            let depth = Int(random.next() % 5000)
            bytes.insert(contentsOf: Array(repeating: pick(Array("[{".utf8), &random), count: depth), at: position)
        case 6:  // a number made huge, negative, fractional or exponential
            bytes = replacingNumber(
                bytes, with: pick(["-1", "1e309", "99999999999999999999", "0.5", "-0", "1E2"], &random), &random)
        case 7:  // a value of the wrong type
            bytes = replacingNumber(bytes, with: pick(["\"7\"", "null", "[]", "{}", "true"], &random), &random)
        case 8:  // odd escapes
            bytes.insert(
                contentsOf: Array(pick(["\\ud800", "\\u0000", "\\uZZZZ", "\\", "\u{1F4A9}"], &random).utf8),
                at: position)
        case 9 where random.next() % 4 == 0:  // many changes: more than a request may hold
            let change = #"{"hub_seq":1,"change":{}},"#
            let many = String(repeating: change, count: SyncLimits.maxChangesPerRequest + 1)
            bytes = Array(#"{"replica":"r","changes":["#.utf8) + Array(many.utf8) + Array("{}]}".utf8)
        case 10 where random.next() % 4 == 0:  // many values: some, or just more than allowed
            let count = random.next() % 2 == 0 ? Int(random.next() % 5000) : WireDecoding.Limits().maxValues
            let values = String(repeating: "1,", count: count)
            bytes = Array(#"{"replica":"r","changes":[],"x":["#.utf8) + Array(values.utf8) + Array("1]}".utf8)
        default:  // random bytes
            bytes = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        return bytes
    }

    /// Replaces the first run of digits after a random position.
    static func replacingNumber(_ bytes: [UInt8], with text: String, _ random: inout SeededGenerator) -> [UInt8] {
        guard !bytes.isEmpty else { return Array(text.utf8) }
        let from = Int(random.next() % UInt64(bytes.count))
        guard let start = bytes[from...].firstIndex(where: { (48...57).contains($0) }) else { return bytes }
        let end = bytes[start...].firstIndex { !(48...57).contains($0) } ?? bytes.count
        var out = bytes
        out.replaceSubrange(start..<end, with: Array(text.utf8))
        return out
    }
}
