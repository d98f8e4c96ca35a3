import Foundation
import Hub
import HubTestClient
import KB
import Sync
import Testing

/// The hub's routes as docs/sync-protocol.md (section 6) describes them, over a real store: every request goes
/// through Hummingbird's router, middleware and error answers in this process (HummingbirdTesting's `.router`
/// mode, no socket).
struct HubServiceTests {
    typealias F = HubFixtures

    static let tokenNeeded = "A bearer token is needed; create one with 'kb serve token create'."

    /// Three changes with text outside the Basic Multilingual Plane and joined emoji.
    static let changes = [
        F.change(F.laptop, 1, title: "长三角三省一市共促职工文旅消费"),
        F.change(F.laptop, 2, title: "𠮷野家的非遗 🧑‍🎨"),
        F.change(F.desktop, 1, title: "“文脉薪传 匠心共融”"),
    ]

    // MARK: - Health and routes

    @Test(arguments: StoreKind.allCases) func health_isOkWithoutAToken(_ kind: StoreKind) async throws {
        let hub = try await TestHub(kind)
        let answer = try await hub.service.send("GET", "/health", headers: ["accept-encoding": "gzip"])
        #expect(answer.status == 200)
        #expect(answer.headers == ["content-type": "application/json", "content-length": "15"])
        #expect(Answer.text(answer) == #"{"status":"ok"}"#)
    }

    /// Paths and methods outside the routes get the router's own 404, with an empty body, whatever the token.
    @Test(arguments: [
        ("POST", "/health"),
        ("HEAD", "/health"),
        ("GET", "/"),
        ("GET", "/v1/kb/research"),
        ("GET", "/v1/kb/research/history"),
        ("DELETE", "/v1/kb/research/changes"),
        ("PUT", "/v1/kb/research/changes"),
        ("POST", "/v1/kb/research/replicas"),
        ("GET", "/v2/kb/research/changes"),
        ("GET", "/v1/kb/research/changes/extra"),
    ])
    func otherRoutes_areNotFound_withAnEmptyBody(method: String, path: String) async throws {
        let hub = try await TestHub()
        for headers in [hub.headers(), [:]] {
            let answer = try await hub.service.send(method, path, headers: headers)
            #expect(answer.status == 404)
            #expect(answer.body.isEmpty)
            #expect(answer.headers["x-request-id"] == nil)
        }
        // They are not sync requests: neither counted nor refused for their token.
        #expect(!hub.service.metrics.render().contains("kb_hub_requests_total{"))
    }

    @Test func emptySegments_andATrailingSlash_reachTheSameRoute() async throws {
        let hub = try await TestHub()
        for path in ["/v1/kb//research/replicas", "/v1/kb/research/replicas/"] {
            let answer = try await hub.service.send("GET", path, headers: hub.headers())
            #expect(answer.status == 200)
            #expect(try Answer.decode(ReplicasResponse.self, answer).head == 0)
        }
    }

    // MARK: - Authentication

    static let withoutBearerToken: [String?] = [
        nil, "", "Basic a2I6a2I=", "Bearer", "Bearer ", "Bearer \t ", "Token kbt_00", "Bearerkbt_00",
    ]

    @Test(arguments: withoutBearerToken)
    func withoutABearerToken_everyRouteIs401(authorization: String?) async throws {
        let hub = try await TestHub()
        var headers: [String: String] = [:]
        headers["authorization"] = authorization
        for (method, route) in [("GET", "replicas"), ("GET", "changes"), ("POST", "changes")] {
            let answer = try await hub.service.send(
                method, "/v1/kb/research/\(route)", headers: headers,
                body: PushRequest(replica: F.laptop, changes: Self.changes).jsonBytes)
            let message = try Answer.expectError(answer, 401, HubErrorCode.unauthorized)
            #expect(message == Self.tokenNeeded)
        }
        #expect(try await hub.store.knowledgeBase(TestHub.name)?.head == 0)
    }

    @Test(arguments: ["bearer", "BEARER", "Bearer", "bEaReR"])
    func schemeName_inAnyCase_isAccepted(scheme: String) async throws {
        let hub = try await TestHub()
        let answer = try await hub.service.send(
            "GET", "/v1/kb/research/replicas", headers: ["authorization": "\(scheme)  \(hub.token) "]
        )
        #expect(answer.status == 200)
    }

    @Test(arguments: StoreKind.allCases) func unknownToken_is401_andNoAnswerRepeatsIt(_ kind: StoreKind) async throws {
        let hub = try await TestHub(kind)
        var nearMiss = Array(hub.token)
        nearMiss[nearMiss.count - 1] = nearMiss.last == "0" ? "1" : "0"
        for token in [TokenHash.newToken(), String(nearMiss), hub.token.uppercased(), TokenHash.hash(hub.token)] {
            let answer = try await hub.service.send(
                "POST", "/v1/kb/research/changes", headers: ["authorization": "Bearer \(token)"],
                body: PushRequest(replica: F.laptop, changes: Self.changes).jsonBytes)
            let message = try Answer.expectError(answer, 401, HubErrorCode.unauthorized)
            #expect(message == "The token is not known to this hub.")
            #expect(!Answer.text(answer).contains(token))
        }
        #expect(try await hub.store.knowledgeBase(TestHub.name)?.head == 0)
    }

    @Test(arguments: StoreKind.allCases) func tokenOfAnotherKnowledgeBase_is403_whetherOrNotTheNameExists(
        _ kind: StoreKind
    ) async throws {
        let hub = try await TestHub(kind)
        let archiveToken = try await TestHub.addToken(hub.store, for: "archive")
        var answers: [String: String] = [:]
        for name in ["research", "no-such-kb"] {
            let answer = try await hub.service.send(
                "GET", "/v1/kb/\(name)/replicas", headers: ["authorization": "Bearer \(archiveToken)"]
            )
            answers[name] = try Answer.expectError(answer, 403, HubErrorCode.forbidden)
        }
        #expect(answers["research"] == "The token is for another knowledge base than 'research'.")
        #expect(answers["no-such-kb"] == "The token is for another knowledge base than 'no-such-kb'.")
        // Each token opens its own knowledge base.
        let own = try await hub.service.send(
            "GET", "/v1/kb/archive/replicas", headers: ["authorization": "Bearer \(archiveToken)"])
        #expect(own.status == 200)
    }

    @Test(arguments: StoreKind.allCases) func tokenIsChecked_beforeTheBody(_ kind: StoreKind) async throws {
        let hub = try await TestHub(kind)
        let otherToken = try await TestHub.addToken(hub.store, for: "archive")
        let oversized = [UInt8](repeating: UInt8(ascii: "x"), count: SyncLimits.maxBodyBytes + 1)
        for body in [oversized, Array("{not json".utf8)] {
            let anonymous = try await hub.service.send("POST", "/v1/kb/research/changes", body: body)
            try Answer.expectError(anonymous, 401, HubErrorCode.unauthorized)
            let foreign = try await hub.service.send(
                "POST", "/v1/kb/research/changes", headers: ["authorization": "Bearer \(otherToken)"],
                body: body)
            try Answer.expectError(foreign, 403, HubErrorCode.forbidden)
        }
    }

    @Test(arguments: StoreKind.allCases) func refusalsOfTheToken_areCountedByRoute_andCarryARequestID(
        _ kind: StoreKind
    ) async throws {
        let hub = try await TestHub(kind)
        let otherToken = try await TestHub.addToken(hub.store, for: "archive")
        let body = PushRequest(replica: F.laptop, changes: Self.changes).jsonBytes
        let refusals: [([String: String], Int, String)] = [
            ([:], 401, HubErrorCode.unauthorized),
            (["authorization": "Bearer \(TokenHash.newToken())"], 401, HubErrorCode.unauthorized),
            (["authorization": "Bearer \(otherToken)"], 403, HubErrorCode.forbidden),
        ]
        for (headers, status, code) in refusals {
            let answer = try await hub.service.send("POST", "/v1/kb/research/changes", headers: headers, body: body)
            try Answer.expectError(answer, status, code)
            #expect(answer.headers["x-request-id"]?.count == 16)
        }
        let pull = try await hub.service.send(
            "GET", "/v1/kb/research/changes", headers: ["authorization": "Bearer \(otherToken)"])
        try Answer.expectError(pull, 403, HubErrorCode.forbidden)
        let replicas = try await hub.service.send("GET", "/v1/kb/research/replicas")
        try Answer.expectError(replicas, 401, HubErrorCode.unauthorized)
        // Refusals are counted as the routes count their answers.
        let samples = try PrometheusText.parse(hub.service.metrics.render())
        #expect(samples[#"kb_hub_requests_total{route="push",status="401"}"#] == 2)
        #expect(samples[#"kb_hub_requests_total{route="push",status="403"}"#] == 1)
        #expect(samples[#"kb_hub_requests_total{route="pull",status="403"}"#] == 1)
        #expect(samples[#"kb_hub_requests_total{route="replicas",status="401"}"#] == 1)
        #expect(samples[#"kb_hub_requests_total{route="push",status="200"}"#] == nil)
        #expect(try await hub.store.knowledgeBase(TestHub.name)?.head == 0)
    }

    // MARK: - Push

    @Test(arguments: StoreKind.allCases) func push_storesChanges_andPullServesThemAsStored(_ kind: StoreKind)
        async throws
    {
        let hub = try await TestHub(kind)
        let epoch = try #require(try await hub.store.knowledgeBase(TestHub.name)).epoch
        let pushed = try await hub.push(Self.changes)
        #expect(pushed.status == 200)
        #expect(Answer.text(pushed) == #"{"accepted":3,"duplicates":0,"epoch":"\#(epoch)","head":3}"#)

        let pulled = try await hub.pull()
        #expect(pulled.status == 200)
        let page = try Answer.decode(PullResponse.self, pulled)
        #expect(
            page
                == PullResponse(
                    epoch: epoch,
                    changes: Self.changes.enumerated().map { PulledChange(hubSeq: Int64($0 + 1), change: $1) },
                    next: 3, nextID: "\(F.desktop):1", head: 3))
        // Each change goes out as the JSON stored, non-ASCII text unescaped.
        let text = Answer.text(pulled)
        for (index, change) in Self.changes.enumerated() {
            let json = String(decoding: change.jsonBytes, as: UTF8.self)
            #expect(text.contains(#"{"hub_seq":\#(index + 1),"change":\#(json)}"#))
        }
        #expect(text.contains("𠮷野家的非遗 🧑‍🎨"))
    }

    @Test(arguments: StoreKind.allCases) func samePushTwice_isCountedAsDuplicates(_ kind: StoreKind) async throws {
        let hub = try await TestHub(kind)
        _ = try await hub.push(Self.changes)
        let again = try await hub.push(Self.changes)
        #expect(again.status == 200)
        let answer = try Answer.decode(PushResponse.self, again)
        #expect((answer.accepted, answer.duplicates, answer.head) == (0, 3, 3))
        #expect(try Answer.decode(PullResponse.self, try await hub.pull()).changes.count == 3)
    }

    @Test(arguments: StoreKind.allCases) func resentChange_withOtherKeyOrderEscapesAndExtraKeys_isTheSameChange(
        _ kind: StoreKind
    ) async throws {
        let hub = try await TestHub(kind)
        let change = F.change(F.laptop, 1, title: "非遗")
        _ = try await hub.push([change])
        // The same change as another client might write it: keys in another order, \u escapes, an unknown key.
        let body = #"""
            {"changes":[{"base":[],"value":"\"\u975e\u9057\"","op":"set","field":"title","id":"\#(F.article)",
            "entity":"article","hlc":\#(change.hlc),"seq":1,"replica":"\#(F.laptop)","extra":"dropped"}],
            "replica":"\#(F.laptop)"}
            """#
        let answer = try await hub.pushBody(Array(body.utf8))
        #expect(answer.status == 200)
        let outcome = try Answer.decode(PushResponse.self, answer)
        #expect((outcome.accepted, outcome.duplicates, outcome.head) == (0, 1, 1))
        // Unknown keys are not stored.
        let pulled = Answer.text(try await hub.pull())
        #expect(!pulled.contains("extra"))
        #expect(pulled.contains(String(decoding: change.jsonBytes, as: UTF8.self)))
    }

    @Test(arguments: StoreKind.allCases) func otherChangeUnderAHeldID_is409SequenceReused_andNothingOfThePushIsStored(
        _ kind: StoreKind
    ) async throws {
        let hub = try await TestHub(kind)
        _ = try await hub.push([F.change(F.laptop, 1, title: "甲的标题")])
        let answer = try await hub.push([F.change(F.desktop, 1), F.change(F.laptop, 1, title: "乙的标题")])
        let message = try Answer.expectError(answer, 409, HubErrorCode.sequenceReused)
        #expect(message.contains("\(F.laptop):1"))
        let page = try Answer.decode(PullResponse.self, try await hub.pull())
        #expect(page.changes.map(\.change) == [F.change(F.laptop, 1, title: "甲的标题")])
    }

    @Test(arguments: StoreKind.allCases) func holeInAReplicasSequence_is409SequenceGap_andNothingOfThePushIsStored(
        _ kind: StoreKind
    ) async throws {
        let hub = try await TestHub(kind)
        _ = try await hub.push((Int64(1)...8).map { F.change(F.desktop, $0) }, sender: F.desktop)
        let answer = try await hub.push([F.change(F.laptop, 1), F.change(F.desktop, 11)], sender: F.desktop)
        let message = try Answer.expectError(answer, 409, HubErrorCode.sequenceGap)
        #expect(message == "Changes of replica c81e7a5f30d2b694 must arrive in order: expected 9, got 11.")
        let replicas = try Answer.decode(ReplicasResponse.self, try await hub.replicas())
        #expect(replicas.head == 8)
        #expect(replicas.replicas == [F.desktop: 8])
    }

    @Test(arguments: StoreKind.allCases) func pushMayCarryChangesOfSeveralReplicas_inRequestOrder(_ kind: StoreKind)
        async throws
    {
        let hub = try await TestHub(kind)
        let changes = [F.change(F.desktop, 1), F.change(F.laptop, 1), F.change(F.desktop, 2), F.change(F.laptop, 2)]
        let answer = try await hub.push(changes, sender: F.laptop)
        #expect(try Answer.decode(PushResponse.self, answer).accepted == 4)
        let page = try Answer.decode(PullResponse.self, try await hub.pull())
        #expect(page.changes.map(\.change) == changes)
        #expect(page.changes.map(\.hubSeq) == [1, 2, 3, 4])
    }

    @Test(arguments: StoreKind.allCases) func emptyPush_storesNothing(_ kind: StoreKind) async throws {
        let hub = try await TestHub(kind)
        let answer = try await hub.push([])
        #expect(answer.status == 200)
        let outcome = try Answer.decode(PushResponse.self, answer)
        #expect((outcome.accepted, outcome.duplicates, outcome.head) == (0, 0, 0))
    }

    @Test(arguments: StoreKind.allCases) func bodyOver16MiB_is413_andOneOf16MiBIsRead(_ kind: StoreKind) async throws {
        let hub = try await TestHub(kind)
        let over = try await hub.pushBody([UInt8](repeating: UInt8(ascii: " "), count: SyncLimits.maxBodyBytes + 1))
        let message = try Answer.expectError(over, 413, HubErrorCode.bodyTooLarge)
        #expect(message.contains("16777216"))
        // At the limit the body is read, and found not to be a push.
        let at = try await hub.pushBody([UInt8](repeating: UInt8(ascii: " "), count: SyncLimits.maxBodyBytes))
        try Answer.expectError(at, 400, HubErrorCode.malformedBody)
        // Both are push answers, with their request id.
        #expect(over.headers["x-request-id"]?.count == 16)
        let samples = try PrometheusText.parse(hub.service.metrics.render())
        #expect(samples[#"kb_hub_requests_total{route="push",status="413"}"#] == 1)
        #expect(samples[#"kb_hub_requests_total{route="push",status="400"}"#] == 1)
    }

    @Test(arguments: [
        "",
        "not json",
        "[]",
        "{\"replica\":\"9f2c41d07be85a13\",\"changes\":[",
        "{\"changes\":[]}",
        "{\"replica\":\"9f2c41d07be85a13\"}",
        "{\"replica\":\"9f2c41d07be85a13\",\"changes\":{}}",
        "{\"replica\":\"9f2c41d07be85a13\",\"changes\":[{\"replica\":\"9f2c41d07be85a13\",\"seq\":1}]}",
        """
        {"replica":"r","changes":[{"replica":"r","seq":"1","hlc":1,"entity":"article","id":"a","field":"title",\
        "op":"set","value":"\\"非遗\\"","base":[]}]}
        """,
    ])
    func bodyThatIsNotAPush_is400MalformedBody(body: String) async throws {
        let hub = try await TestHub()
        let answer = try await hub.pushBody(Array(body.utf8), headers: ["accept-encoding": "gzip"])
        try Answer.expectError(answer, 400, HubErrorCode.malformedBody)
    }

    @Test(arguments: ["gzip", "GZIP"])
    func gzipBody_isDecompressed(encoding: String) async throws {
        let hub = try await TestHub()
        let body = try Gzip.compress(PushRequest(replica: F.laptop, changes: Self.changes).jsonBytes)
        let answer = try await hub.pushBody(body, headers: ["content-encoding": encoding])
        #expect(answer.status == 200)
        #expect(try Answer.decode(PushResponse.self, answer).accepted == 3)
        #expect(try Answer.decode(PullResponse.self, try await hub.pull()).changes.map(\.change) == Self.changes)
    }

    @Test(arguments: StoreKind.allCases) func gzipBody_thatDoesNotDecompress_is400MalformedBody(_ kind: StoreKind)
        async throws
    {
        let hub = try await TestHub(kind)
        let plain = PushRequest(replica: F.laptop, changes: Self.changes).jsonBytes
        var truncated = try Gzip.compress(plain)
        truncated.removeLast(truncated.count / 2)
        for body in [plain, truncated] {
            let answer = try await hub.pushBody(body, headers: ["content-encoding": "gzip"])
            try Answer.expectError(answer, 400, HubErrorCode.malformedBody)
        }
        #expect(try await hub.store.knowledgeBase(TestHub.name)?.head == 0)
    }

    @Test(arguments: StoreKind.allCases) func gzipBody_over16MiBDecompressed_is413_whileInflating(_ kind: StoreKind)
        async throws
    {
        let hub = try await TestHub(kind)
        let bomb = try Gzip.compress([UInt8](repeating: UInt8(ascii: " "), count: SyncLimits.maxBodyBytes * 4 + 1))
        #expect(bomb.count < SyncLimits.maxBodyBytes)
        let answer = try await hub.pushBody(bomb, headers: ["content-encoding": "gzip"])
        let message = try Answer.expectError(answer, 413, HubErrorCode.bodyTooLarge)
        #expect(message.contains("inflates to more than \(SyncLimits.maxBodyBytes) bytes"))
    }

    @Test(arguments: StoreKind.allCases) func pushOfMoreChangesThanTheLimit_is413_andNothingIsStored(_ kind: StoreKind)
        async throws
    {
        let hub = try await TestHub(kind)
        let count = SyncLimits.maxChangesPerRequest + 1
        let changes = (1...Int64(count)).map { F.change(F.laptop, $0, title: "炸弹 𠮷") }
        let body = PushRequest(replica: F.laptop, changes: changes).jsonBytes
        #expect(body.count < SyncLimits.maxBodyBytes)
        for compressed in [false, true] {
            let answer = try await hub.pushBody(
                compressed ? try Gzip.compress(body) : body, headers: compressed ? ["content-encoding": "gzip"] : [:])
            let message = try Answer.expectError(answer, 413, HubErrorCode.bodyTooLarge)
            #expect(message.contains("more than \(SyncLimits.maxChangesPerRequest) changes"))
        }
        #expect(try await hub.store.knowledgeBase(TestHub.name)?.head == 0)
    }

    @Test(arguments: [
        String(repeating: "[", count: 100_000),
        #"{"replica":"9f2c41d07be85a13","changes":[{"replica":"9f2c41d07be85a13","base":"#
            + String(repeating: "[", count: 40) + "]",
    ])
    func deeplyNestedBody_is400_withoutRecursingIntoIt(body: String) async throws {
        let hub = try await TestHub()
        let answer = try await hub.pushBody(Array(body.utf8))
        let message = try Answer.expectError(answer, 400, HubErrorCode.malformedBody)
        #expect(message.contains("levels deep"))
    }

    @Test(arguments: [
        String(repeating: "知", count: 10_000),
        "a" + String(repeating: "\u{301}", count: 3_300),  // one character of 6.6 KB: combining marks
        String(repeating: "🎭", count: 5_000),
    ])
    func longNamesInRequests_areEchoedCutShort(name: String) async throws {
        let hub = try await TestHub()
        for path in ["/v1/kb/\(name)/changes", "/v1/kb/\(name)/replicas"] {
            let forbidden = try await hub.service.send("GET", path, headers: hub.headers())
            let message = try Answer.expectError(forbidden, 403, HubErrorCode.forbidden)
            #expect(message.unicodeScalars.count < 200, "echoed \(message.unicodeScalars.count) code points")
            #expect(message.contains(String(String.UnicodeScalarView(name.unicodeScalars.prefix(64))) + "…"))
        }
    }

    static let invalidChanges: [WireChange] = {
        var noReplica = F.change(F.laptop, 1)
        noReplica.replica = ""
        let longReplica = F.change(String(repeating: "a", count: 65), 1)
        let seqZero = F.change(F.laptop, 0)
        let seqNegative = F.change(F.laptop, -1)
        var noEntity = F.change(F.laptop, 1)
        noEntity.entity = ""
        var noID = F.change(F.laptop, 1)
        noID.id = ""
        let marks = F.change("a" + String(repeating: "\u{0301}", count: 3300), 1)
        var pathID = F.change(F.laptop, 1)
        pathID.id = "zzzzzzzzzzzzzzzz/../../../../elsewhere/OVERWRITTEN"
        return [noReplica, longReplica, seqZero, seqNegative, noEntity, noID, marks, pathID]
    }()

    @Test(arguments: invalidChanges)
    func changeOutOfItsDocumentedForm_is422InvalidChange_andNothingOfThePushIsStored(change: WireChange) async throws {
        let hub = try await TestHub()
        let answer = try await hub.push([F.change(F.desktop, 1), change])
        let message = try Answer.expectError(answer, 422, HubErrorCode.invalidChange)
        #expect(message.hasPrefix("Change 2 of the push is refused: the "))
        #expect(message.count < 120, "the value is not echoed: \(message.count) characters")
        #expect(try await hub.store.knowledgeBase(TestHub.name)?.head == 0)
    }

    @Test(arguments: StoreKind.allCases) func replicaIDsOtherThan16LowercaseHexDigits_areRefused_evenOf64Characters(
        _ kind: StoreKind
    ) async throws {
        let hub = try await TestHub(kind)
        let ascii = String(repeating: "a", count: 64)
        let chinese = String(repeating: "非", count: 16)
        for replica in [ascii, chinese, F.laptop.uppercased()] {
            try Answer.expectError(try await hub.push([F.change(replica, 1)]), 422, HubErrorCode.invalidChange)
        }
        #expect(try await hub.push([F.change(F.laptop, 1)]).status == 200)
        let replicas = try Answer.decode(ReplicasResponse.self, try await hub.replicas())
        #expect(replicas.replicas == [F.laptop: 1])
    }

    // MARK: - The clock rule

    @Test(arguments: StoreKind.allCases)
    func changeStampedOver5MinutesAhead_is422ClockAhead_andNothingOfThePushIsStored(_ kind: StoreKind) async throws {
        let hub = try await TestHub(kind)
        let ahead = [F.change(F.laptop, 1), F.change(F.laptop, 2, millisecondsAhead: 300_001)]
        let answer = try await hub.push(ahead)
        try Answer.expectError(answer, 422, HubErrorCode.clockAhead)
        #expect(try await hub.store.knowledgeBase(TestHub.name)?.head == 0)
        // Exactly 5 minutes ahead is allowed.
        let atLimit = try await hub.push([F.change(F.laptop, 1), F.change(F.laptop, 2, millisecondsAhead: 300_000)])
        #expect(atLimit.status == 200)
        #expect(try Answer.decode(PushResponse.self, atLimit).accepted == 2)
    }

    @Test(arguments: StoreKind.allCases)
    func clockAheadMessage_givesTheMinutes_andThePushIsTakenOnceTheHubsClockGetsThere(_ kind: StoreKind) async throws {
        let hub = try await TestHub(kind)
        let hourAhead = [F.change(F.laptop, 1, title: "未来的标题", millisecondsAhead: 60 * 60_000)]
        let answer = try await hub.push(hourAhead)
        let message = try Answer.expectError(answer, 422, HubErrorCode.clockAhead)
        #expect(message.contains("60 minutes ahead"))
        let later = hub.service(clock: .fixed(F.now + 56 * 60_000))
        let accepted = try await hub.push(hourAhead, via: later)
        #expect(accepted.status == 200)
        #expect(try Answer.decode(PushResponse.self, accepted).accepted == 1)
    }

    @Test(arguments: StoreKind.allCases) func stampsInThePast_areNotChecked(_ kind: StoreKind) async throws {
        let hub = try await TestHub(kind)
        var old = F.change(F.laptop, 1)
        old.hlc = HybridTimestamp(milliseconds: 86_400_000).rawValue  // 1970-01-02
        let answer = try await hub.push([old])
        #expect(answer.status == 200)
    }

    // MARK: - Pull

    @Test(arguments: [
        ["after": "-1"], ["after": "abc"], ["after": ""], ["after": "1.5"], ["limit": "0"], ["limit": "10001"],
        ["limit": "-5"], ["limit": "many"],
    ])
    func pullParameterOutOfRange_is400BadRequest(query: [String: String]) async throws {
        let hub = try await TestHub()
        let answer = try await hub.pull(query)
        try Answer.expectError(answer, 400, HubErrorCode.badRequest)
    }

    @Test(arguments: StoreKind.allCases) func pullLimit_defaultsTo1000_andAccepts1To10000(_ kind: StoreKind)
        async throws
    {
        let hub = try await TestHub(kind)
        let changes = (Int64(1)...1001).map { F.change(F.laptop, $0, title: "第\($0)条") }
        #expect(try await hub.push(changes).status == 200)
        let page = try Answer.decode(PullResponse.self, try await hub.pull())
        #expect(page.changes.count == 1000)
        #expect(page.next == 1000)
        #expect(page.head == 1001)
        #expect(try Answer.decode(PullResponse.self, try await hub.pull(["limit": "1"])).changes.count == 1)
        #expect(try Answer.decode(PullResponse.self, try await hub.pull(["limit": "10000"])).changes.count == 1001)
    }

    @Test(arguments: StoreKind.allCases) func pullingPageByPage_withExpect_reachesTheHead(_ kind: StoreKind)
        async throws
    {
        let hub = try await TestHub(kind)
        var changes: [WireChange] = []
        for seq in Int64(1)...5 { changes += [F.change(F.laptop, seq), F.change(F.desktop, seq, title: "🀄\(seq)")] }
        _ = try await hub.push(changes)
        var cursor: Int64 = 0
        var cursorID: String?
        var received: [WireChange] = []
        for _ in 0..<10 {
            var query = ["after": "\(cursor)", "limit": "3"]
            query["expect"] = cursorID
            let answer = try await hub.pull(query)
            #expect(answer.status == 200)
            let page = try Answer.decode(PullResponse.self, answer)
            received += page.changes.map(\.change)
            if page.next == cursor { break }
            cursor = page.next
            cursorID = page.nextID
        }
        #expect(received == changes)
        #expect(cursor == 10)
        #expect(cursorID == "\(F.desktop):5")
    }

    @Test(arguments: StoreKind.allCases) func pullExcludingAReplica_leavesItsChangesOut_andMovesPastThem(
        _ kind: StoreKind
    ) async throws {
        let hub = try await TestHub(kind)
        _ = try await hub.push([F.change(F.laptop, 1), F.change(F.desktop, 1), F.change(F.laptop, 2)])
        let page = try Answer.decode(PullResponse.self, try await hub.pull(["exclude": F.laptop]))
        #expect(page.changes == [PulledChange(hubSeq: 2, change: F.change(F.desktop, 1))])
        #expect(page.next == 3)
        #expect(page.nextID == "\(F.laptop):2")
    }

    @Test(arguments: StoreKind.allCases) func pullPage_stopsAfterTheChangeThatReaches1MB(_ kind: StoreKind) async throws
    {
        let hub = try await TestHub(kind)
        let title = String(repeating: "非遗技艺交流", count: 5_000)  // 90,000 bytes of UTF-8
        let changes = (Int64(1)...15).map { F.change(F.laptop, $0, title: title) }
        #expect(try await hub.push(changes).status == 200)
        let size = changes[0].jsonBytes.count
        let expected = (SyncLimits.batchBytes + size - 1) / size
        #expect(expected < 15)
        let page = try Answer.decode(PullResponse.self, try await hub.pull())
        #expect(page.changes.count == expected)
        #expect(page.next == Int64(expected))
        let rest = try Answer.decode(PullResponse.self, try await hub.pull(["after": "\(page.next)"]))
        #expect(rest.changes.count == 15 - expected)
    }

    @Test(arguments: StoreKind.allCases) func pullWithAnEmptyLog_hasNullNextID(_ kind: StoreKind) async throws {
        let hub = try await TestHub(kind)
        let answer = try await hub.pull()
        #expect(answer.status == 200)
        let epoch = try #require(try await hub.store.knowledgeBase(TestHub.name)).epoch
        #expect(Answer.text(answer) == #"{"epoch":"\#(epoch)","head":0,"next":0,"next_id":null,"changes":[]}"#)
    }

    @Test(arguments: StoreKind.allCases) func pullAfterTheHead_is409HistoryChanged(_ kind: StoreKind) async throws {
        let hub = try await TestHub(kind)
        _ = try await hub.push(Self.changes)
        let beyond = try await hub.pull(["after": "4"])
        let message = try Answer.expectError(beyond, 409, HubErrorCode.historyChanged)
        #expect(message.contains("ends at 3"))
        let atHead = try Answer.decode(PullResponse.self, try await hub.pull(["after": "3"]))
        #expect(atHead.changes.isEmpty)
        #expect((atHead.next, atHead.nextID, atHead.head) == (3, "\(F.desktop):1", 3))
    }

    @Test(arguments: StoreKind.allCases) func pullExpectingAnotherChangeAtTheCursor_is409HistoryChanged(
        _ kind: StoreKind
    ) async throws {
        let hub = try await TestHub(kind)
        _ = try await hub.push(Self.changes)
        let seen = try await hub.pull(["after": "2", "expect": "\(F.laptop):2"])
        #expect(seen.status == 200)
        for expect in ["\(F.laptop):1", "\(F.desktop):2", "", "garbage"] {
            let answer = try await hub.pull(["after": "2", "expect": expect])
            try Answer.expectError(answer, 409, HubErrorCode.historyChanged)
        }
        // At 0 there is no change to expect.
        #expect(try await hub.pull(["after": "0", "expect": "garbage"]).status == 200)
    }

    @Test(arguments: StoreKind.allCases) func largeAnswers_areGzipped_onlyWhenAskedFor(_ kind: StoreKind) async throws {
        let hub = try await TestHub(kind)
        _ = try await hub.push((Int64(1)...20).map { F.change(F.laptop, $0, title: "非遗技艺交流活动第\($0)场") })
        let plain = try await hub.pull()
        #expect(plain.headers["content-encoding"] == nil)
        #expect(plain.body.count > 1024)
        let compressed = try await hub.pull(headers: ["accept-encoding": "deflate, GZIP;q=0.5"])
        #expect(compressed.status == 200)
        #expect(compressed.headers["content-encoding"] == "gzip")
        #expect(compressed.body.count < plain.body.count)
        #expect(try Gzip.decompress(compressed.body, limit: 1 << 20) == plain.body)
        // Small answers go as they are.
        let small = try await hub.service.send(
            "GET", "/v1/kb/research/replicas", headers: hub.headers(["accept-encoding": "gzip"]))
        #expect(small.status == 200)
        #expect(small.headers["content-encoding"] == nil)
        // Errors are never compressed (checked by Answer.error).
        let error = try await hub.pull(["after": "999"], headers: ["accept-encoding": "gzip"])
        try Answer.expectError(error, 409, HubErrorCode.historyChanged)
    }

    // MARK: - Replicas

    @Test(arguments: StoreKind.allCases) func replicas_giveEpochHeadAndTheHighestSequencePerReplica_withSortedKeys(
        _ kind: StoreKind
    ) async throws {
        let hub = try await TestHub(kind)
        let empty = try await hub.replicas()
        #expect(empty.status == 200)
        let epoch = try #require(try await hub.store.knowledgeBase(TestHub.name)).epoch
        #expect(Answer.text(empty) == #"{"epoch":"\#(epoch)","head":0,"replicas":{}}"#)
        let pushed = try Answer.decode(PushResponse.self, try await hub.push(Self.changes))
        #expect(pushed.epoch == epoch)
        let answer = try await hub.replicas()
        #expect(
            Answer.text(answer)
                == #"{"epoch":"\#(epoch)","head":3,"replicas":{"9f2c41d07be85a13":2,"c81e7a5f30d2b694":1}}"#)
    }
}
