import Foundation
import GRDB
public import KB

/// What one `kb sync` did.
public struct SyncReport: Sendable, Equatable {
    /// Changes the hub stored from this push.
    public var pushed = 0
    /// Changes pulled and applied here.
    public var pulled = 0
    /// Changes sent that the hub already had, and changes pulled that were already here.
    public var duplicates = 0
    /// Pulled changes that could not be applied and were set aside.
    public var quarantined = 0
    /// Open conflicts after the sync.
    public var conflicts = 0
    /// Requests made.
    public var requests = 0
    /// True when the hub's log was not the one seen before (restored or replaced) and this
    /// replica reconciled from the start.
    public var reconciled = false
    /// True when the hub held other changes under this replica's id (the file was restored from an older
    /// copy, or copied and used elsewhere): its changes the hub lacked went on under a new replica id.
    public var reidentified = false
    /// Pulled changes refused because they claim this replica's id beyond what it has written.
    public var refusedOwn = 0
    /// Holes in other replicas' sequence numbers found after reading the hub's whole log, recorded so
    /// that later syncs do not read it again for them (each `REPLICA:FROM-TO`).
    public var holes: [String] = []

    public init() {}
}

/// Progress of a sync, for a progress line.
public enum SyncProgress: Sendable {
    /// `done` of the `total` changes to push are sent.
    case pushing(done: Int, total: Int)
    /// A pulled page of `changes` changes is being applied; it ends at `position` of the hub's log.
    case applying(changes: Int, position: Int64, head: Int64)
    /// Pulled and applied up to `position` of the hub's log, which ends at `head`.
    case pulling(position: Int64, head: Int64)
}

/// Pushes this replica's changes to a hub and pulls everyone else's.
///
/// Every step can be repeated: pushes are idempotent by change id, a pulled page and the cursor
/// are committed together, and what the hub lacks is computed from what it reports holding. So a
/// sync cut off anywhere is repaired by running it again, and a hub restored from an older backup
/// gets back what it lost from the replicas that have it.
public struct SyncEngine: Sendable {
    public let kb: KnowledgeBase
    public let transport: any HubTransport
    /// Changes per pull request (default 1000).
    public var pageSize = 1000
    /// The most requests one sync of one remote makes (default ``SyncLimits/maxRequestsPerSync``).
    public var maxRequests = SyncLimits.maxRequestsPerSync
    /// The longest one sync of one remote runs (default ``SyncLimits/maxSyncDuration``).
    public var maxDuration = SyncLimits.maxSyncDuration

    public init(kb: KnowledgeBase, transport: any HubTransport = RetryingTransport(CurlTransport())) {
        self.kb = kb
        self.transport = transport
    }

    /// Syncs with one remote.
    ///
    /// - Throws: ``SyncError`` when the hub cannot be reached or refuses the request; what was
    ///   pushed and pulled before the failure stays done.
    public func sync(remote name: String, progress: (@Sendable (SyncProgress) -> Void)? = nil) async throws
        -> SyncReport
    {
        do {
            return try await syncOnce(remote: name, progress: progress)
        } catch let error as SyncError where error.code == HubErrorCode.sequenceReused {
            // This file was restored from an older copy and reused sequence numbers the hub holds:
            // its unacknowledged changes take a new replica id, and the sync starts again.
            let pushed = try RemoteStore.get(kb, name: name).pushed
            try database { db in try Self.reidentify(db, keepingThrough: pushed) }
            var report = try await syncOnce(remote: name, progress: progress)
            report.reidentified = true
            return report
        }
    }

    /// Gives this replica a new id, moving its changes after `seq` to it (renumbered from 1) and
    /// rewriting every reference to them.
    static func reidentify(_ db: Database, keepingThrough seq: Int64) throws {
        let old = try Meta.replicaID(db)
        // Pages kept as references to their articles' creations name them by replica and number.
        try PageDictionary.storeOnTheirOwn(db, referringTo: old, after: seq)
        var generator = SystemRandomNumberGenerator()
        let new = String(format: "%016llx", generator.next() as UInt64)
        let moved = try Row.fetchAll(
            db, sql: "SELECT rowid, seq FROM changes WHERE replica = ? AND seq > ? ORDER BY seq", arguments: [old, seq])
        var renamed: [String: String] = [:]
        for (index, row) in moved.enumerated() {
            let oldSeq: Int64 = row["seq"]
            renamed["\(old):\(oldSeq)"] = "\(new):\(index + 1)"
            try db.execute(
                sql: "UPDATE changes SET replica = ?, seq = ? WHERE rowid = ?",
                arguments: [new, index + 1, row["rowid"] as Int64])
        }
        if !renamed.isEmpty {
            let rows = try Row.fetchAll(
                db, sql: "SELECT rowid, base FROM changes WHERE base LIKE ?", arguments: ["%\(old):%"])
            for row in rows {
                let base: String = row["base"]
                let rewritten = ChangeStore.decodeBase(base).map {
                    renamed[$0.description].flatMap(ChangeID.init) ?? $0
                }
                try db.execute(
                    sql: "UPDATE changes SET base = ? WHERE rowid = ?",
                    arguments: [ChangeStore.encodeBase(rewritten), row["rowid"] as Int64])
            }
            // Conflicts are named after the changes they hold: compute the touched records again.
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let touched = try Row.fetchAll(
                db,
                sql:
                    "SELECT DISTINCT entity, entity_id FROM changes WHERE rowid IN (\(moved.map { "\($0["rowid"] as Int64)" }.joined(separator: ",")))"
            )
            for row in touched {
                let id: String = row["entity_id"]
                switch EntityKind(rawValue: row["entity"]) {
                case .article: try Materializer.article(db, id: id, now: now)
                case .annotation: try Materializer.annotation(db, id: id, now: now)
                case .tag: try Materializer.tag(db, id: id, now: now)
                case .source: try SourceMetadataStore.refresh(db, sourceID: id, now: now)
                default: break
                }
            }
        }
        try Meta.setValue(db, "replica_id", new)
        try db.execute(sql: "UPDATE remotes SET pushed = 0")
    }

    private func syncOnce(remote name: String, progress: (@Sendable (SyncProgress) -> Void)?) async throws
        -> SyncReport
    {
        var remote = try RemoteStore.get(kb, name: name)
        let endpoint = try remote.endpoint
        guard let token = remote.token ?? ProcessInfo.processInfo.environment["KB_TOKEN"], !token.isEmpty else {
            throw SyncError(
                .configuration,
                "The remote '\(name)' has no token; add it again with --token-file, or set KB_TOKEN.")
        }
        let client = HubClient(
            transport: transport, base: endpoint.base, knowledgeBase: endpoint.knowledgeBase, token: token,
            caFile: remote.caFile)
        var report = SyncReport()
        let me = try database { db in try Meta.replicaID(db) }

        // 1. What the hub holds.
        let holdings = try await client.replicas()
        report.requests += 1
        if remote.epoch != nil && remote.epoch != holdings.epoch || remote.cursor > holdings.head {
            // Another hub, or this one restored from an older backup: read its log from the start.
            remote.cursor = 0
            remote.cursorID = nil
            report.reconciled = true
        }

        try Self.checkHead(holdings.head, base: endpoint.base)
        let started = ContinuousClock.now

        // A hole in the history (a change of another replica missing here) is healed by reading the
        // log again from the start: what is here already is skipped. Holes still there after such a read
        // are recorded, and only a new hole makes a later sync read the log again.
        let holesKey = "holes_seen:\(name)"
        var readsWholeLog = remote.cursor == 0
        if try database({ db in try KnowledgeBase.historyGaps(db) }) > 0 {
            let newHoles = try database { db in
                let seen = Set((try Meta.value(db, holesKey) ?? "").split(separator: " ").map(String.init))
                return try Self.holes(db).filter { !seen.contains($0) }
            }
            if !newHoles.isEmpty {
                remote.cursor = 0
                remote.cursorID = nil
                report.reconciled = true
                readsWholeLog = true
            }
        }

        // 2. Push what it lacks, in the order the changes were applied here.
        let localMaxima = try database { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(
                    db, sql: "SELECT replica, MAX(seq) FROM changes GROUP BY replica"
                )
                .map { ($0[0] as String, $0[1] as Int64) })
        }
        // Other replicas' changes are relayed only as far as they run without a hole here: the hub
        // takes each replica's changes in order.
        // This replica's own changes are sent from its acknowledged mark, even under numbers the hub
        // holds: the hub takes an identical change as a duplicate and refuses a different one (a file
        // restored from an older copy), which gives this replica a new id.
        var hubHolds = holdings.replicas
        if let held = hubHolds[me], remote.pushed < held { hubHolds[me] = remote.pushed }
        let lacking = try database { db in
            try localMaxima.filter { $0.value > hubHolds[$0.key] ?? 0 }.reduce(into: [String: Int64]()) {
                result, entry in
                let held = hubHolds[entry.key] ?? 0
                let seqs = try Int64.fetchAll(
                    db, sql: "SELECT seq FROM changes WHERE replica = ? AND seq > ? ORDER BY seq",
                    arguments: [entry.key, held])
                var end = held
                for seq in seqs where seq == end + 1 { end = seq }
                if end > held { result[entry.key] = end }
            }
        }
        if !lacking.isEmpty {
            try await push(
                client, lacking: lacking, hubHolds: hubHolds, me: me, remote: name, report: &report,
                progress: progress)
        } else if let held = holdings.replicas[me] {
            try database { db in
                try db.execute(sql: "UPDATE remotes SET pushed = ? WHERE name = ?", arguments: [held, name])
            }
        }

        // 3. Pull until the head. Own changes are skipped unless the hub holds some this file lacks
        //    (the file was restored from an older copy).
        let excludeOwn = (holdings.replicas[me] ?? 0) <= (localMaxima[me] ?? 0)
        var cursor = remote.cursor
        var cursorID = remote.cursorID
        // Every page moves the cursor forward, so this ends: at the head, or a few pages past the head
        // the hub had when the sync began if others keep pushing meanwhile.
        var pagesPastStartingHead = 0
        var resets = 0
        // The next page is fetched and decoded while this one is applied. A page fetched for nothing (the
        // apply failed, or the loop ends) is dropped: the cursor only moves with what was applied.
        let exclude = excludeOwn ? me : nil
        let pageSize = self.pageSize
        // A page is checked (its creations decoded) as soon as it arrives, off the thread that applies.
        var prefetched: Task<(PullResponse, [ChangeApplier.CheckedChange]), any Error>?
        defer { prefetched?.cancel() }
        // Positions a page may cover without carrying them are those of this replica's own changes, left out
        // by `exclude`: a hub that skips more is not sending its log.
        // Read after the push: changes written here while this sync ran may have gone with it.
        let localTop = try database { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM changes WHERE replica = ?", arguments: [me]) ?? 0
        }
        let ownHeld = max(holdings.replicas[me] ?? 0, localMaxima[me] ?? 0, localTop)
        var skipped: Int64 = 0
        while pagesPastStartingHead < 5 {
            guard report.requests < maxRequests, ContinuousClock.now - started < maxDuration else {
                prefetched?.cancel()
                throw SyncError(
                    .hub,
                    "The sync with '\(endpoint.base)' stopped after \(report.requests) requests at position "
                        + "\(cursor), the most one sync makes (\(maxRequests) requests or \(maxDuration)); "
                        + "run 'kb sync' again to go on.",
                    code: "sync_bound")
            }
            let page: PullResponse
            var checkedChanges: [ChangeApplier.CheckedChange]?
            do {
                if let next = prefetched {
                    prefetched = nil
                    (page, checkedChanges) = try await next.value
                } else {
                    page = try await client.pull(after: cursor, limit: pageSize, exclude: exclude, expect: cursorID)
                }
                report.requests += 1
                if page.next < page.head && page.next != cursor {
                    let (after, expect) = (page.next, page.nextID)
                    prefetched = Task {
                        let next = try await client.pull(
                            after: after, limit: pageSize, exclude: exclude, expect: expect)
                        return (next, ChangeApplier.check(next.changes.map(\.change)))
                    }
                }
            } catch let error as SyncError where error.code == HubErrorCode.historyChanged {
                report.requests += 1
                cursor = 0
                cursorID = nil
                skipped = 0
                readsWholeLog = true
                report.reconciled = true
                resets += 1
                if resets > 2 {
                    throw SyncError(.hub, "The hub's log keeps changing under this sync; try again later.")
                }
                continue
            }
            try Self.checkPage(page, after: cursor, base: endpoint.base)
            skipped += (page.next - cursor) - Int64(page.changes.count)
            if skipped > ownHeld {
                throw SyncError(
                    .protocolMismatch,
                    "The hub at '\(endpoint.base)' skipped \(skipped) positions of its log up to \(page.next) without "
                        + "sending them; the sync stopped, check that the remote is a kb hub you trust.",
                    code: "pull_no_progress")
            }
            if !page.changes.isEmpty {
                progress?(.applying(changes: page.changes.count, position: page.next, head: page.head))
            }
            let now = kb.clock.now()
            let applied = try database { db -> ApplyResult in
                // A change under this replica's id that it has not written is refused, unless it is the very
                // next one (a file restored from an older copy gets back what it had pushed): a forged
                // number beyond it would block this replica's own pushes for good.
                var ownTop =
                    try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM changes WHERE replica = ?", arguments: [me]) ?? 0
                let checked = checkedChanges ?? ChangeApplier.check(page.changes.map(\.change))
                var accepted: [ChangeApplier.CheckedChange] = []
                accepted.reserveCapacity(page.changes.count)
                for entry in checked {
                    let change = entry.wire
                    if change.replica == me && change.seq > ownTop {
                        guard change.seq == ownTop + 1, change.seq <= holdings.replicas[me] ?? 0 else {
                            report.refusedOwn += 1
                            continue
                        }
                        ownTop = change.seq
                    }
                    accepted.append(entry)
                }
                let result = try ChangeApplier.apply(db, checked: accepted, now: now)
                try db.execute(
                    sql: "UPDATE remotes SET cursor = ?, cursor_id = ?, epoch = ? WHERE name = ?",
                    arguments: [page.next, page.nextID, page.epoch, name])
                return result
            }
            report.pulled += applied.applied
            report.duplicates += applied.known
            report.quarantined += applied.quarantined
            progress?(.pulling(position: page.next, head: page.head))
            cursor = page.next
            cursorID = page.nextID
            if page.next >= page.head { break }
            if page.next >= holdings.head { pagesPastStartingHead += 1 }
        }

        // Holes left after reading the whole log are recorded: the hub does not have those changes either.
        if readsWholeLog {
            let left = try database { db -> [String] in
                let holes = try KnowledgeBase.historyGaps(db) > 0 ? try Self.holes(db) : []
                try Meta.setValue(db, holesKey, holes.joined(separator: " "))
                return holes
            }
            report.holes = left
        }

        // 4. Done: note the time and count what is left to the user.
        let finished = kb.clock.now()
        report.conflicts = try database { db in
            try db.execute(
                sql: "UPDATE remotes SET last_sync = ?, epoch = ? WHERE name = ?",
                arguments: [finished, holdings.epoch, name])
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conflicts WHERE resolved_at IS NULL") ?? 0
        }
        // The index's merges of the pulled entries leave free pages: a file made with auto-vacuum gives them back.
        if report.pulled > 0 { kb.reclaimFreePages() }
        return report
    }

    // MARK: - Checks of what the hub sends

    /// Refuses a head no kb hub can have.
    static func checkHead(_ head: Int64, base: String) throws {
        guard (0...WireValidator.maxSequence).contains(head) else {
            throw SyncError(
                .protocolMismatch,
                "The hub at '\(base)' reports a log of \(head) positions, more than any kb hub holds; the sync "
                    + "stopped, check that the remote is a kb hub you trust.",
                code: "absurd_head")
        }
    }

    /// Refuses a page that does not move forward through the log: every page starts after the cursor, ends
    /// at or before the head, and carries changes whose positions lie in between, in order.
    static func checkPage(_ page: PullResponse, after cursor: Int64, base: String) throws {
        try checkHead(page.head, base: base)
        func refuse(_ what: String, _ code: String) -> SyncError {
            SyncError(
                .protocolMismatch,
                "The hub at '\(base)' sent a page after position \(cursor) that \(what); the sync stopped, check "
                    + "that the remote is a kb hub you trust.",
                code: code)
        }
        if page.next > page.head {
            throw refuse("ends at \(page.next), beyond its head \(page.head)", "pull_beyond_head")
        }
        if page.next < cursor { throw refuse("goes back to \(page.next)", "pull_went_back") }
        if page.next == cursor && page.next < page.head {
            throw refuse("does not move toward its head \(page.head)", "pull_no_progress")
        }
        var previous = cursor
        for pulled in page.changes {
            guard pulled.hubSeq > previous, pulled.hubSeq <= page.next else {
                throw refuse("holds a change at position \(pulled.hubSeq) out of order", "pull_out_of_order")
            }
            previous = pulled.hubSeq
        }
    }

    /// The holes in other replicas' sequence numbers, as `REPLICA:FROM-TO`, changes set aside counting as
    /// held.
    static func holes(_ db: Database) throws -> [String] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT replica, previous + 1 AS first, seq - 1 AS last FROM (
                    SELECT replica, seq, LAG(seq, 1, 0) OVER (PARTITION BY replica ORDER BY seq) AS previous FROM (
                        SELECT replica, seq FROM changes UNION SELECT replica, seq FROM quarantine
                    )
                ) WHERE seq > previous + 1 ORDER BY replica, first LIMIT 10000
                """
        ).map { "\($0["replica"] as String):\($0["first"] as Int64)-\($0["last"] as Int64)" }
    }

    /// Sends the changes the hub lacks in bounded batches; records after each batch how far the hub has this
    /// replica's changes.
    private func push(
        _ client: HubClient, lacking: [String: Int64], hubHolds: [String: Int64], me: String, remote: String,
        report: inout SyncReport, progress: (@Sendable (SyncProgress) -> Void)?
    ) async throws {
        // Replicas and sequence numbers go into the SQL as literals: they come from this file and the hub's
        // answer, and are checked first (hex replica ids, integers).
        let conditions = lacking.keys.sorted().filter { $0.allSatisfy(\.isHexDigit) }.map {
            "(replica = '\($0)' AND seq > \(hubHolds[$0] ?? 0) AND seq <= \(lacking[$0] ?? 0))"
        }
        guard !conditions.isEmpty else { return }
        let filter = conditions.joined(separator: " OR ")
        let total = try database { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes WHERE \(filter)") ?? 0
        }
        // The next batch is read, encoded and compressed while the current one is on its way: the hub's
        // work and this machine's overlap. A batch prepared for nothing (the push failed) is dropped.
        let engine = self
        let prepare: @Sendable (Int64) throws -> PreparedPush? = { after in
            let (batch, last) = try engine.database { db -> ([WireChange], Int64) in
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT * FROM changes WHERE rowid > ? AND (\(filter)) ORDER BY rowid",
                    arguments: [after])
                var batch: [WireChange] = []
                var bytes = 0
                var last = after
                while let row = try rows.next() {
                    let change = try ChangeStore.change(from: row)
                    let wire = try ChangeApplier.wire(db, change)
                    batch.append(wire)
                    last = row["rowid"]
                    bytes += (wire.value?.utf8.count ?? 0) + 200
                    if bytes >= SyncLimits.batchBytes || batch.count >= SyncLimits.batchChanges { break }
                }
                return (batch, last)
            }
            guard !batch.isEmpty else { return nil }
            return try client.prepare(
                PushRequest(replica: me, changes: batch), lastRowid: last,
                ownSeq: batch.filter { $0.replica == me }.map(\.seq).max())
        }
        var done = 0
        var current = try prepare(0)
        while let batch = current {
            let next = Task { try prepare(batch.lastRowid) }
            let response: PushResponse
            do {
                response = try await client.push(batch)
            } catch {
                next.cancel()
                throw error
            }
            report.requests += 1
            report.pushed += response.accepted
            report.duplicates += response.duplicates
            done += batch.count
            if let ownSeq = batch.ownSeq {
                try database { db in
                    try db.execute(
                        sql: "UPDATE remotes SET pushed = MAX(pushed, ?) WHERE name = ?", arguments: [ownSeq, remote])
                }
            }
            progress?(.pushing(done: done, total: total))
            current = try await next.value
        }
    }
}

/// A push request encoded (and compressed) for sending, with where its batch ends in this file's history.
struct PreparedPush: Sendable {
    var body: [UInt8]
    var headers: [(String, String)]
    var count: Int
    /// The local row id of the batch's last change.
    var lastRowid: Int64
    /// The highest sequence number of this replica's own changes in the batch.
    var ownSeq: Int64?
}

extension SyncEngine {
    /// Runs a write transaction synchronously: SQLite work is short, and a sync is a CLI process.
    func database<T>(_ body: (Database) throws -> T) throws -> T {
        try kb.database.writer.write(body)
    }
}

/// The hub's HTTP API, over a transport.
struct HubClient: Sendable {
    let transport: any HubTransport
    let base: String
    let knowledgeBase: String
    let token: String
    /// The remote's private CA, for an https hub.
    var caFile: String? = nil

    var prefix: String { "\(base)/v1/kb/\(knowledgeBase)" }

    func replicas() async throws -> ReplicasResponse {
        try await call(HubRequest(method: .get, url: "\(prefix)/replicas", headers: headers()))
    }

    func push(_ prepared: PreparedPush) async throws -> PushResponse {
        try await call(
            HubRequest(method: .post, url: "\(prefix)/changes", headers: prepared.headers, body: prepared.body))
    }

    /// Encodes a push request, compressed when it is large enough to gain from it.
    func prepare(_ request: PushRequest, lastRowid: Int64, ownSeq: Int64?) throws -> PreparedPush {
        var body = request.jsonBytes
        var headers = headers()
        headers.append(("Content-Type", "application/json"))
        if body.count > 8192 {
            body = try Gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        }
        return PreparedPush(
            body: body, headers: headers, count: request.changes.count, lastRowid: lastRowid, ownSeq: ownSeq)
    }

    func pull(after: Int64, limit: Int, exclude: String?, expect: String?) async throws -> PullResponse {
        var url = "\(prefix)/changes?after=\(after)&limit=\(limit)"
        if let exclude { url += "&exclude=\(exclude)" }
        if let expect, let encoded = expect.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) {
            url += "&expect=\(encoded)"
        }
        return try await call(HubRequest(method: .get, url: url, headers: headers()))
    }

    func headers() -> [(String, String)] {
        [("Authorization", "Bearer \(token)"), ("Accept", "application/json")]
    }

    func call<T: Decodable>(_ request: HubRequest) async throws -> T {
        var request = request
        request.caFile = caFile
        let response: HubResponse
        do {
            response = try await transport.send(request)
        } catch let error as SyncError where error.kind == .unreachable {
            throw SyncError(
                .unreachable,
                "Cannot reach the hub at '\(base)' (\(error.message)); check that 'kb serve' runs there and try again.",
                code: error.code)
        } catch let error as SyncError where error.code == "answer_too_large" {
            throw SyncError(
                .protocolMismatch,
                "The hub at '\(base)' sent an answer larger than \(SyncLimits.maxResponseBytes) bytes once "
                    + "decompressed, and the sync stopped; check that the remote is a kb hub you trust.",
                code: error.code)
        }
        let decoder = JSONDecoder()
        guard response.status == 200 else {
            let body = try? decoder.decode(HubErrorBody.self, from: Data(response.body))
            let message = body?.message ?? "the hub answered HTTP \(response.status)"
            switch response.status {
            case 401:
                throw SyncError(
                    .unauthorized,
                    "The hub refused the token for '\(knowledgeBase)' (\(message)); check the token of this remote.",
                    status: 401, code: body?.error)
            case 403:
                throw SyncError(
                    .unauthorized,
                    "The token is not for the knowledge base '\(knowledgeBase)' on this hub; use the token made for it.",
                    status: 403, code: body?.error)
            default:
                if body?.error == HubErrorCode.clockAhead {
                    throw SyncError(.clockAhead, message, status: response.status, code: body?.error)
                }
                throw SyncError(
                    .hub, "The hub refused the request: \(message)", status: response.status, code: body?.error)
            }
        }
        // An answer is held to the bounds of a push, but as large as a replica accepts (a page may carry a value
        // that the applier then quarantines with its reason).
        var limits = WireDecoding.Limits()
        limits.maxInflatedBytes = SyncLimits.maxResponseBytes
        do {
            return try WireDecoding.decode(T.self, response.body, limits: limits)
        } catch  where error.isSizeLimit {
            throw SyncError(
                .protocolMismatch, "The hub at '\(base)' sent an answer beyond kb's limits: \(error.message)")
        } catch {
            throw SyncError(
                .protocolMismatch,
                "The hub at '\(base)' sent an answer kb cannot read; is it a kb hub of the same version?")
        }
    }
}
