import Foundation
import Testing
import ThrowawayPostgres

/// Real `kb serve --store postgresql://…` processes on a throwaway PostgreSQL cluster (started by the tests),
/// behind `Fixtures/balancer.py`, with real replicas.
@Suite("PostgreSQL hub end to end", .serialized)
struct PostgresHubEndToEndTests {
    static let seed: UInt64 = {
        if let text = ProcessInfo.processInfo.environment["KB_TEST_SEED"], let value = UInt64(text) { return value }
        return 20_261_207
    }()

    /// Paragraphs with CJK Extension B, emoji and full-width forms.
    static let paragraphs = [
        "长三角三省一市共促职工文旅消费，劳模与非遗传承人同台。",
        "𠮷野家的非遗展位前排起长队 🎉，ＡＢＣ全角字母与 mixed Latin 并存。",
        "“文脉薪传 匠心共融”主题活动在上海举行，👩‍👩‍👧 家庭观众踊跃参与。",
    ]

    /// Rows of a query on the hub's database.
    static func query(_ cluster: ThrowawayPostgres, _ database: String, _ sql: String) throws -> [String] {
        try cluster.psql(sql, database: database).split(separator: "\n").map(String.init)
    }

    static func database(of url: String) -> String {
        String((url.split(separator: "/").last ?? "").prefix { $0 != "?" })
    }

    @Test func twoHubProcessesOnOnePostgres_eightReplicas_oneHubKilled_convergeWithAGapFreeLog() throws {
        let cluster = try ThrowawayPostgres.shared()
        let url = try cluster.newDatabase(prefix: "e2e")
        let database = Self.database(of: url)
        let first = try Hub(store: url)
        let second = try Hub(store: url)
        let balancer = try Balancer(hubPorts: [first.port, second.port])
        defer { balancer.stop() }
        let world = try SyncWorld(hub: first, replicas: 0)
        for index in 1...8 { try world.addReplica("r\(index)", url: balancer.url(world.kbName)) }
        world.context = { "seed \(Self.seed)\nsecond hub log:\n\(second.logs.suffix(2000))" }
        let started = Date()

        // Every replica writes and syncs in its own thread, with random pauses; the first hub is killed with
        // SIGKILL in the middle (mid-request, most likely) and started again a moment later.
        let failures = LockedList()
        let group = DispatchGroup()
        for (index, replica) in world.replicas.enumerated() {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                var random = SeededGenerator(seed: Self.seed &+ UInt64(index))
                do {
                    for round in 0..<3 {
                        let body = Self.paragraphs.shuffled(using: &random).joined(separator: "\n\n")
                        let added = try replica.run(
                            ["add", "--title", "\(replica.name) 第\(round)篇 𠮷", "--json"], stdin: Data(body.utf8))
                        if !added.succeeded { failures.append("add on \(replica.name): \(added)") }
                        if let id = added.parsedObject?.string("id") {
                            let noted = try replica.run(["annotate", id, "--quote", "长三角", "--note", "第\(round)轮 🎉"])
                            if !noted.succeeded { failures.append("annotate on \(replica.name): \(noted)") }
                        } else {
                            failures.append("add on \(replica.name) printed no id: \(added)")
                        }
                        Thread.sleep(forTimeInterval: Double.random(in: 0...0.3, using: &random))
                        let synced = try replica.sync()
                        // A sync cut by the kill may fail; the quiet rounds below must then finish the job.
                        if !synced.succeeded {
                            failures.append("sync on \(replica.name) (tolerated): \(synced.exitCode)")
                        }
                    }
                } catch {
                    failures.append("\(replica.name): \(error)")
                }
            }
        }
        Thread.sleep(forTimeInterval: 2)
        first.kill()
        Thread.sleep(forTimeInterval: 1)
        try first.start()
        group.wait()
        let hard = failures.items.filter { !$0.contains("(tolerated)") }
        #expect(hard.isEmpty, "\(hard)")

        let rounds = try world.converge(maxRounds: 4)
        #expect(rounds <= 4)
        try world.expectConverged()
        // Both hubs took requests.
        #expect(balancer.connections(to: first.port) > 0 && balancer.connections(to: second.port) > 0)

        // The log: every change once, at positions 1…N without a hole, each replica's changes 1…max.
        let stats = try Self.query(
            cluster, database,
            """
            SELECT count(*), count(DISTINCT (replica, seq)), min(hub_seq), max(hub_seq),
                (SELECT head FROM knowledge_bases WHERE name = 'notes'),
                (SELECT sum(max_seq) FROM replicas WHERE kb = 'notes')
            FROM log WHERE kb = 'notes'
            """)
        let numbers = try #require(stats.first).split(separator: "|").map { Int($0) ?? -1 }
        let count = numbers[0]
        #expect(count >= 8 * 3 * 2, "\(stats)")
        #expect(numbers == [count, count, 1, count, count, count], "count, distinct, min, max, head, Σ max_seq")

        // A push sent again, to either hub, changes nothing.
        let token = try String(contentsOfFile: world.tokenFile, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let authorization = ["Authorization": "Bearer \(token)"]
        let pulled = try LoopbackSocket.exchange(
            port: second.port, "GET", "/v1/kb/notes/changes?after=0&limit=40", headers: authorization)
        #expect(pulled.status == 200)
        let page = try #require(try JSONSerialization.jsonObject(with: Data(pulled.body)) as? [String: Any])
        let entries = try #require(page["changes"] as? [[String: Any]]).compactMap { $0["change"] as? [String: Any] }
        let sender = try #require(entries.first?["replica"] as? String)
        let own = entries.filter { $0["replica"] as? String == sender }
        let push = try JSONSerialization.data(withJSONObject: ["replica": sender, "changes": own])
        for hub in [first, second] {
            let answer = try LoopbackSocket.exchange(
                port: hub.port, "POST", "/v1/kb/notes/changes",
                headers: authorization.merging(["Content-Type": "application/json"]) { $1 }, body: Array(push))
            #expect(answer.status == 200, "\(answer.head)")
            let outcome = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
            #expect(outcome.int("accepted") == 0)
            #expect(outcome.int("duplicates") == own.count)
            #expect(outcome.int("head") == count)
        }
        #expect(try Self.query(cluster, database, "SELECT count(*) FROM log") == ["\(count)"])
        print(
            "PostgresHubEndToEndTests: 8 replicas, 2 hubs, \(count) changes, converged in \(rounds) quiet rounds, "
                + "\(Int(Date().timeIntervalSince(started))) s; tolerated sync failures: \(failures.items.count)")
        #expect(first.stop()?.exitCode == 0)
        #expect(second.stop()?.exitCode == 0)
    }

    @Test func revokedToken_isRefusedByBothHubsAtOnce_andTokenListNeverShowsTheToken() throws {
        let cluster = try ThrowawayPostgres.shared()
        let url = try cluster.newDatabase(prefix: "e2e")
        let first = try Hub(store: url)
        let second = try Hub(store: url)
        let created = try KBRunner.run(
            ["serve", "token", "create", "--store", url, "--kb", "notes", "--name", "笔记本 𠮷 laptop"])
        try #require(created.succeeded, "\(created)")
        let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let keep = try first.makeToken(kb: "notes")
        let authorization = ["Authorization": "Bearer \(token)"]
        for hub in [first, second] {
            #expect(
                try LoopbackSocket.exchange(port: hub.port, "GET", "/v1/kb/notes/replicas", headers: authorization)
                    .status == 200)
        }
        let listed = try KBRunner.run(["serve", "token", "list", "--store", url, "--json"])
        try #require(listed.succeeded, "\(listed)")
        #expect(!listed.stdout.contains(token) && !listed.stdout.contains(keep))
        let rows = try listed.array()
        #expect(rows.count == 2)
        let named = try #require(rows.first { $0["name"] as? String == "笔记本 𠮷 laptop" })
        #expect(named["kb"] as? String == "notes")
        #expect(named["last_used"] is String)
        #expect(rows.first { $0["name"] is NSNull }?["last_used"] is NSNull)
        let id = try #require(named["id"] as? String)
        let text = try KBRunner.run(["serve", "token", "list", "--store", url])
        #expect(
            text.succeeded && text.stdout.hasPrefix("ID ") && text.stdout.contains(id) && !text.stdout.contains(token))

        let revoked = try KBRunner.run(["serve", "token", "revoke", "--store", url, id])
        #expect(revoked.succeeded && revoked.stdout == "Revoked token \(id).\n", "\(revoked)")
        for hub in [first, second] {
            let answer = try LoopbackSocket.exchange(
                port: hub.port, "GET", "/v1/kb/notes/replicas", headers: authorization)
            #expect(answer.status == 401, "hub on \(hub.port) still takes the revoked token")
            let other = try LoopbackSocket.exchange(
                port: hub.port, "GET", "/v1/kb/notes/replicas", headers: ["Authorization": "Bearer \(keep)"])
            #expect(other.status == 200)
        }
        let again = try KBRunner.run(["serve", "token", "revoke", "--store", url, id])
        #expect(again.exitCode == 1 && again.stderr == "kb: No token has the id '\(id)'; see 'kb serve token list'.\n")
        let bad = try KBRunner.run(["serve", "token", "revoke", "--store", url, "xyz"])
        #expect(bad.exitCode == 64)
    }

    @Test func storeOptions_wrongOrMissing_areOneSentenceEach_andNothingStarts() throws {
        let folder = try TemporaryFolder("kb-store-options")
        let port = try ThrowawayPostgres.freePort()
        for (arguments, code, expected) in [
            ([], 64, "kb: Give the hub's data folder with --data DIR, or --store postgresql://….\n"),
            (
                ["--data", folder.path("data"), "--store", "postgresql://kb@127.0.0.1/x"], 64,
                "kb: Give either --data or --store, not both.\n"
            ),
            (
                ["--store", "postgresql://kb:hunter2@127.0.0.1/x?colour=red"], 64,
                "kb: --store 'postgresql://kb:***@127.0.0.1/x?colour=red' has the parameter 'colour', which the hub "
                    + "does not know; give postgresql://USER@HOST:PORT/DATABASE or "
                    + "postgresql://USER@/DATABASE?host=/socket/dir.\n"
            ),
            (
                ["--store", "postgresql://kb:hunter2@127.0.0.1:\(port)/x"], 1,
                "kb: Cannot open the hub's store: the database at postgresql://kb@127.0.0.1:\(port)/x does not "
                    + "answer.\n"
            ),
        ] {
            let result = try KBRunner.run(["serve", "--listen", "127.0.0.1:0"] + arguments, timeout: 60)
            #expect(result.exitCode == Int32(code), "\(result)")
            #expect(result.stderr == expected, "\(result)")
            #expect(result.stdout.isEmpty)
        }
    }

    @Test func tokenRevoke_onTheSQLiteHub_isRefusedAtOnceByTheRunningHub() throws {
        let hub = try Hub()
        let token = try hub.makeToken(kb: "notes")
        let authorization = ["Authorization": "Bearer \(token)"]
        #expect(
            try LoopbackSocket.exchange(port: hub.port, "GET", "/v1/kb/notes/replicas", headers: authorization).status
                == 200)
        let rows = try KBRunner.run(["serve", "token", "list", "--data", hub.dataPath, "--json"]).array()
        let id = try #require(rows.first?["id"] as? String)
        #expect(try KBRunner.run(["serve", "token", "revoke", "--data", hub.dataPath, id]).succeeded)
        #expect(
            try LoopbackSocket.exchange(port: hub.port, "GET", "/v1/kb/notes/replicas", headers: authorization).status
                == 401)
    }

    @Test func metricsAndReadiness_overHTTP_withJSONLogs() throws {
        let cluster = try ThrowawayPostgres.shared()
        let url = try cluster.newDatabase(prefix: "e2e")
        let folder = try TemporaryFolder("kb-metrics")
        let metricsToken = "metrics-" + UUID().uuidString
        let tokenFile = try folder.write("metrics-token", metricsToken + "\n")
        let hub = try Hub(options: ["--metrics-token-file", tokenFile, "--log-format", "json"], store: url)
        let world = try SyncWorld(hub: hub, replicas: 2)
        try world[0].ok(["import", try TestPaths.fixture("seed_page.txt").path])
        try world.converge()
        #expect(try LoopbackSocket.exchange(port: hub.port, "GET", "/health").status == 200)
        let ready = try LoopbackSocket.exchange(port: hub.port, "GET", "/health/ready")
        #expect(ready.status == 200 && String(decoding: ready.body, as: UTF8.self) == #"{"status":"ready"}"#)
        #expect(try LoopbackSocket.exchange(port: hub.port, "GET", "/metrics").status == 401)
        let scrape = try LoopbackSocket.exchange(
            port: hub.port, "GET", "/metrics", headers: ["Authorization": "Bearer \(metricsToken)"])
        #expect(scrape.status == 200)
        var samples: [String: Double] = [:]
        for line in String(decoding: scrape.body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            try #require(parts.count == 2, "not a sample line: \(line)")
            samples[String(parts[0])] = try #require(Double(parts[1]), "not a number: \(line)")
        }
        #expect((samples[#"kb_hub_requests_total{route="push",status="200"}"#] ?? 0) >= 1)
        #expect((samples[#"kb_hub_requests_total{route="pull",status="200"}"#] ?? 0) >= 2)
        let pushed = try #require(samples["kb_hub_push_changes_total"])
        #expect(pushed > 0 && samples["kb_hub_pull_changes_total"] == pushed)
        #expect((samples["kb_hub_push_bytes_total"] ?? 0) > 0)
        #expect((samples[#"kb_hub_store_seconds_count{operation="push"}"#] ?? 0) >= 1)
        // Log lines on stderr are JSON objects with a request id, and never hold a token.
        let lines = hub.logs.split(separator: "\n").filter { $0.hasPrefix("{") }
        let requests = try lines.compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["message"] as? String == "request" }
        #expect(requests.count >= 3)
        #expect(requests.allSatisfy { ($0["request_id"] as? String)?.isEmpty == false })
        let token = try String(contentsOfFile: world.tokenFile, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(!hub.logs.contains(token) && !hub.logs.contains(metricsToken))
    }

    @Test func migrateFromSQLite_copiesVerifiably_andReplicasGoOnWithNothingRefetchedOrLost() throws {
        let sqliteHub = try Hub()
        let world = try SyncWorld(hub: sqliteHub, replicas: 2)
        try world[0].ok(["import", try TestPaths.fixture("seed_page.txt").path])
        try world[1].ok(["add", "--title", "迁移前 𠮷 🎉"], stdin: Data(Self.paragraphs[1].utf8))
        try world.converge()
        let digest = try world[0].digest()
        #expect(sqliteHub.stop()?.exitCode == 0)

        let cluster = try ThrowawayPostgres.shared()
        let url = try cluster.newDatabase(prefix: "e2e")
        let migrated = try KBRunner.run(["serve", "migrate", "--from", sqliteHub.dataPath, "--to", url])
        try #require(migrated.succeeded, "\(migrated)")
        let lines = migrated.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(migrated.stdout)")
        let source = try #require(lines.first)
        #expect(source.hasPrefix("source: 1 knowledge bases, 1 tokens, "))
        #expect(lines[1] == source.replacingOccurrences(of: "source: ", with: "copy: "))
        #expect(source.contains("digest ") && source.split(separator: " ").last?.count == 64)
        // A second run refuses: the target is no longer empty, and nothing changes.
        let again = try KBRunner.run(["serve", "migrate", "--from", sqliteHub.dataPath, "--to", url])
        #expect(again.exitCode == 1 && again.stderr.contains("already holds the knowledge base 'notes'"))

        // The same port, so the replicas' remotes stay as they are.
        let postgresHub = try Hub(store: url, port: sqliteHub.port)
        let unchanged = try world.sync(world[0])
        #expect(unchanged.int("pulled") == 0 && unchanged.int("pushed") == 0, "\(unchanged)")
        #expect(try world[0].digest() == digest)
        try world[0].ok(["add", "--title", "迁移后"], stdin: Data(Self.paragraphs[2].utf8))
        let after = try world.sync(world[0])
        #expect((after.int("pushed") ?? 0) > 0)
        let other = try world.sync(world[1])
        #expect(other.int("pulled") == after.int("pushed"), "only the new changes are fetched: \(other)")
        try world.expectConverged()
        #expect(postgresHub.stop()?.exitCode == 0)
    }
}

/// Strings appended from several threads.
final class LockedList: @unchecked Sendable {
    private var list: [String] = []
    private let lock = NSLock()

    func append(_ item: String) { lock.withLock { list.append(item) } }
    var items: [String] { lock.withLock { list } }
}
