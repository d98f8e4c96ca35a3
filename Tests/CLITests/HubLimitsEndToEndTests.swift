import Foundation
import Testing

/// What a real `kb serve` does with connections and bodies that would hurt it: idle sockets, too many
/// connections, bodies announced too large, push bombs; its start-up errors; TLS with a private CA.
///
/// Every socket is on 127.0.0.1 (or another 127.x address, as another client), every loop is bounded,
/// and everything is closed at the end.
@Suite("Hub limits end to end", .serialized, .timeLimit(.minutes(3)))
struct HubLimitsEndToEndTests {
    static func healthRequest() -> String { "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" }

    static func soon(_ seconds: TimeInterval = 5) -> Date { Date().addingTimeInterval(seconds) }

    // MARK: - Idle connections

    @Test func idleConnections_withoutACompleteRequest_areClosedAfterTheIdleTimeout() throws {
        let hub = try Hub(options: ["--idle-timeout", "1"])
        let silent = try LoopbackSocket(port: hub.port)
        let halfHeaders = try LoopbackSocket(port: hub.port)
        try halfHeaders.send("POST /v1/kb/notes/changes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        let started = Date()
        for socket in [silent, halfHeaders] {
            let (bytes, closed) = socket.receive(until: Self.soon(8))
            #expect(closed, "the hub kept a connection without a complete request open for 8 s")
            #expect(bytes.isEmpty)
        }
        #expect(Date().timeIntervalSince(started) >= 0.8, "closed before the idle timeout")
        // A connection that asks in time is answered, and the hub still serves everyone.
        let prompt = try LoopbackSocket(port: hub.port)
        try prompt.send(Self.healthRequest())
        #expect(prompt.receiveHead(until: Self.soon())?.hasPrefix("HTTP/1.1 200") == true)
        for socket in [silent, halfHeaders, prompt] { socket.close() }
        #expect(hub.stop()?.succeeded == true)
    }

    // MARK: - Connection caps

    @Test func connectionsBeyondTheCaps_get503_andTheirPlacesComeBackWhenOthersClose() throws {
        let hub = try Hub(options: ["--max-connections", "4", "--max-connections-per-address", "2"])
        var open: [LoopbackSocket] = []
        defer { for socket in open { socket.close() } }
        func admitted(from address: String) throws -> LoopbackSocket {
            let socket = try LoopbackSocket(port: hub.port, from: address)
            try socket.send(Self.healthRequest())
            let head = socket.receiveHead(until: Self.soon())
            #expect(
                head?.hasPrefix("HTTP/1.1 200") == true,
                "a connection within the caps from \(address): \(head ?? "nothing")")
            open.append(socket)
            return socket
        }
        func refused(from address: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let socket = try LoopbackSocket(port: hub.port, from: address)
            defer { socket.close() }
            let (bytes, _) = socket.receive(until: Self.soon())
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(
                text.hasPrefix("HTTP/1.1 503"), "beyond the caps, from \(address): \(text)",
                sourceLocation: sourceLocation)
            #expect(text.contains(#""error":"unavailable""#), sourceLocation: sourceLocation)
        }

        let first = try admitted(from: "127.0.0.1")
        _ = try admitted(from: "127.0.0.1")
        try refused(from: "127.0.0.1")  // a third from one address
        _ = try admitted(from: "127.0.0.2")
        _ = try admitted(from: "127.0.0.3")
        try refused(from: "127.0.0.4")  // a fifth in all

        // A place comes back when a connection closes.
        first.close()
        open.removeFirst()
        var answered = false
        for _ in 0..<50 where !answered {
            let socket = try LoopbackSocket(port: hub.port)
            try socket.send(Self.healthRequest())
            answered = socket.receiveHead(until: Self.soon(2))?.hasPrefix("HTTP/1.1 200") == true
            if answered {
                open.append(socket)
            } else {
                socket.close()
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        #expect(answered, "the place of a closed connection never came back")
        #expect(hub.logs.contains("too many connections"))
    }

    // MARK: - Bodies

    @Test func bodyAnnouncedLargerThanTheLimit_is413_beforeAnyOfItIsSent() throws {
        let hub = try Hub()
        let token = try hub.makeToken(kb: "notes")
        for (authorization, status) in [("Bearer \(token)", "413"), ("Bearer not-a-token", "401")] {
            let socket = try LoopbackSocket(port: hub.port)
            defer { socket.close() }
            try socket.send(
                "POST /v1/kb/notes/changes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(authorization)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n")
            let started = Date()
            let head = socket.receiveHead(until: Self.soon())
            #expect(head?.hasPrefix("HTTP/1.1 \(status)") == true, "headers only: \(head ?? "no answer in 5 s")")
            #expect(Date().timeIntervalSince(started) < 3)
        }
    }

    @Test func nameOf10000Characters_isCutShortInTheAnswerAndTheLog() throws {
        let hub = try Hub()
        let token = try hub.makeToken(kb: "notes")
        let name = String(repeating: "k", count: 10_000)
        let socket = try LoopbackSocket(port: hub.port)
        defer { socket.close() }
        try socket.send(
            "GET /v1/kb/\(name)/replicas HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n")
        let (bytes, _) = socket.receive(until: Self.soon()) { String(decoding: $0, as: UTF8.self).hasSuffix("}") }
        let answer = String(decoding: bytes, as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 403"), "\(answer.prefix(300))")
        #expect(answer.contains(String(repeating: "k", count: 64) + "…"))
        #expect(!answer.contains(String(repeating: "k", count: 65)), "the answer echoes the whole name")
        #expect(hub.stop()?.succeeded == true)
        #expect(!hub.logs.contains(String(repeating: "k", count: 65)), "the log holds the whole name")
    }

    /// The bomb of the report: 525,000 changes in about 1.5 MB of gzip, which once grew the hub by 500 MB.
    @Test func pushBomb_isRefused_andTheHubsMemoryStaysBounded() throws {
        let hub = try Hub()
        let token = try hub.makeToken(kb: "notes")
        let before = try hub.peakMemoryKiB()
        var json = #"{"replica":"0123456789abcdef","changes":["#
        json.reserveCapacity(70_000_000)
        for seq in 1...525_000 {
            if seq > 1 { json += "," }
            // An empty id: the hub refuses every one of them (422) even where it decodes them.
            json += #"{"replica":"0123456789abcdef","seq":\#(seq),"hlc":1,"entity":"article","id":"","#
            json += #""field":"title","op":"set","value":null,"base":[]}"#
        }
        json += "]}"
        let gzip = try ChildProcess(
            URL(fileURLWithPath: "/bin/gzip"), ["-c", "-9"], environment: [:], stdin: Data(json.utf8)
        ).finish(timeout: 120)
        let body = [UInt8](gzip.stdoutData)
        json = ""
        #expect(body.count < 4_000_000, "the bomb is small on the wire: \(body.count) bytes")
        // Four at once, as the report sent them.
        var sockets: [LoopbackSocket] = []
        defer { for socket in sockets { socket.close() } }
        for _ in 0..<4 {
            let socket = try LoopbackSocket(port: hub.port)
            try socket.send(
                "POST /v1/kb/notes/changes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                    + "Content-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: \(body.count)\r\n\r\n"
            )
            try socket.send(body)
            sockets.append(socket)
        }
        for socket in sockets {
            let head = socket.receiveHead(until: Self.soon(60))
            #expect(head?.hasPrefix("HTTP/1.1 413") == true, "the bomb: \(head ?? "no answer")")
        }
        let grown = try hub.peakMemoryKiB() - before
        print("push bomb: \(body.count) bytes of gzip, four at once; the hub's peak memory grew by \(grown / 1024) MiB")
        #expect(grown < 200 * 1024, "the hub's peak memory grew by \(grown / 1024) MiB for four refused bombs")
        let replicas = try LoopbackSocket(port: hub.port)
        defer { replicas.close() }
        try replicas.send("GET /v1/kb/notes/replicas HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\r\n")
        let (answer, _) = replicas.receive(until: Self.soon()) { String(decoding: $0, as: UTF8.self).hasSuffix("}") }
        #expect(String(decoding: answer, as: UTF8.self).contains(#""head":0"#), "nothing of a bomb was stored")
    }

    // MARK: - Start-up errors

    @Test func portInUse_andAnAddressOfAnotherMachine_areOneSentenceEach() throws {
        let hub = try Hub()
        let other = try TemporaryFolder("kb-hub-second")
        let second = try KBRunner.run(
            ["serve", "--listen", "127.0.0.1:\(hub.port)", "--data", other.path("data")], timeout: 30)
        #expect(second.exitCode == 1)
        #expect(
            second.stderr == "kb: port \(hub.port) on 127.0.0.1 is in use; choose another with --listen.\n",
            "\(second)")
        #expect(second.hasOneSentenceError)
        // TEST-NET-1 is never an address of this machine: binding fails at once, and nothing is sent there.
        let elsewhere = try KBRunner.run(
            ["serve", "--listen", "192.0.2.1:0", "--data", other.path("data")], timeout: 30)
        #expect(elsewhere.exitCode == 1)
        #expect(
            elsewhere.stderr
                == "kb: the address '192.0.2.1' is not one of this machine's; choose another with --listen.\n",
            "\(elsewhere)")
    }

    @Test func unusableTLSFiles_areOneSentenceEach() throws {
        let folder = try TemporaryFolder("kb-tls-bad")
        let ca = try TestCA(in: folder, name: "ca")
        let notPEM = try folder.write("not.pem", "证书 𠮷\n")
        let other = try TestCA(in: folder, name: "other")
        for (arguments, expected) in [
            (["--tls-cert", folder.path("missing.pem"), "--tls-key", ca.serverKey], "cannot read the TLS certificate"),
            (["--tls-cert", ca.serverCertificate, "--tls-key", notPEM], "cannot read the TLS private key"),
            (["--tls-cert", ca.serverCertificate, "--tls-key", other.serverKey], "does not match the certificate"),
        ] {
            let result = try KBRunner.run(
                ["serve", "--listen", "127.0.0.1:0", "--data", folder.path("data")] + arguments, timeout: 30)
            #expect(result.exitCode == 1, "\(result)")
            #expect(result.hasOneSentenceError, "\(result)")
            #expect(result.stderr.contains(expected), "\(result)")
        }
    }

    // MARK: - TLS and tokens in clear

    @Test func tls_replicasSyncThroughAPrivateCA_andAWrongCAFailsInOneSentence() throws {
        let folder = try TemporaryFolder("kb-tls")
        let ca = try TestCA(in: folder, name: "ca")
        let stranger = try TestCA(in: folder, name: "stranger")
        let hub = try Hub(options: ["--tls-cert", ca.serverCertificate, "--tls-key", ca.serverKey])
        #expect(hub.baseURL.hasPrefix("https://"))
        let tokenFile = try hub.makeTokenFile(kb: "notes")
        func replica(_ name: String, caFile: String?) throws -> Replica {
            let replica = Replica(name, in: folder)
            try replica.ok(
                ["remote", "add", "origin", hub.url("notes"), "--token-file", tokenFile]
                    + (caFile.map { ["--ca-file", $0] } ?? []))
            return replica
        }
        let writer = try replica("writer", caFile: ca.certificate)
        let reader = try replica("reader", caFile: ca.certificate)
        try writer.ok(["add", "--title", "加密同步 𠮷", "-"], stdin: Data("正文：ＡＩ大模型 🎭，全角与半角。\n".utf8))
        let pushed = try writer.ok(["sync", "--json"])
        #expect(try pushed.object().int("pushed") ?? 0 > 0)
        #expect(!pushed.stderr.contains("warning"), "no warning over https: \(pushed)")
        let pulled = try reader.ok(["sync", "--json"])
        #expect(try pulled.object().int("pulled") ?? 0 > 0)
        #expect(try reader.array(["list"]).first?.string("title") == "加密同步 𠮷")

        for (name, caFile) in [("stranger", Optional(stranger.certificate)), ("system", nil)] {
            let refused = try replica(name, caFile: caFile).run(["sync"])
            #expect(refused.exitCode == 1, "\(refused)")
            #expect(refused.hasOneSentenceError, "\(refused)")
            #expect(refused.stderr.contains("is not vouched for by"), "\(refused)")
            #expect(refused.stderr.contains("'https://127.0.0.1:\(hub.port)'"), "\(refused)")
        }
        let notTLS = Replica("plain", in: folder)
        let wrongScheme = try notTLS.run(
            ["remote", "add", "origin", "http://127.0.0.1:\(hub.port)/notes", "--ca-file", ca.certificate])
        #expect(wrongScheme.exitCode == 1 && wrongScheme.hasOneSentenceError, "\(wrongScheme)")
    }

    @Test func hubListeningBeyondLoopbackWithoutTLS_warns() throws {
        let folder = try TemporaryFolder("kb-hub-wide")
        for (address, warns) in [("0.0.0.0", true), ("127.0.0.1", false)] {
            let hub = try KBRunner.start(["serve", "--listen", "\(address):0", "--data", folder.path("data")])
            let line = hub.stdout.wait(until: Self.soon(60)) { text in
                text.firstIndex(of: "\n").map { String(text[..<$0]) }
            }
            #expect(line?.hasPrefix("kb hub listening on http://\(address):") == true, "\(line ?? "no first line")")
            hub.signal(SIGTERM)
            let result = hub.finish(timeout: 30)
            #expect(result.succeeded, "\(result)")
            let warning = result.stderrLines.filter { $0.hasPrefix("kb: warning:") }
            #expect(warning.count == (warns ? 1 : 0), "\(result)")
            if warns { #expect(warning.first?.contains("without TLS") == true) }
        }
    }

    @Test func tokenOverPlainHTTPToAnotherHost_warnsOncePerRemote() throws {
        let world = try SyncWorld(replicas: 1)
        let local = world[0]
        // `vm` names this machine in /etc/hosts, but kb cannot know that: for kb it is another host.
        let hostsFile = (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? ""
        let otherName = hostsFile.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard fields.count >= 2, fields[0] == "127.0.0.1" else { return nil }
            return fields.dropFirst().first { $0 != "localhost" && !$0.hasSuffix(".localhost") }.map(String.init)
        }.first
        try local.ok(["add", "--title", "明文 ＡＩ", "-"], stdin: Data("正文 𠮷\n".utf8))
        let quiet = try local.ok(["sync"])
        #expect(!quiet.stderr.contains("warning"), "no warning to 127.0.0.1: \(quiet)")

        let host = try #require(otherName, "no other name of 127.0.0.1 in /etc/hosts to test with")
        let remote = Replica("remote-host", in: world.folder)
        try remote.ok(
            ["remote", "add", "origin", "http://\(host):\(world.hub.port)/notes", "--token-file", world.tokenFile])
        try remote.ok([
            "remote", "add", "second", "http://\(host):\(world.hub.port)/notes", "--token-file", world.tokenFile,
        ])
        let warned = try remote.ok(["sync"])
        let warnings = warned.stderrLines.filter { $0.contains("warning") }
        #expect(warnings.count == 2, "one warning per remote: \(warned)")
        #expect(
            warnings.allSatisfy { $0.hasPrefix("kb: warning: ") && $0.contains("plain HTTP") && $0.contains(host) },
            "\(warned)")
        #expect(try remote.articleIDs().count == 1)
    }
}

/// A throwaway certificate authority made with the openssl command, and a server certificate it signed
/// for 127.0.0.1 and localhost.
struct TestCA {
    let certificate: String
    let serverCertificate: String
    let serverKey: String

    init(in folder: TemporaryFolder, name: String) throws {
        let caKey = folder.path("\(name)-ca.key")
        certificate = folder.path("\(name)-ca.pem")
        serverKey = folder.path("\(name)-server.key")
        serverCertificate = folder.path("\(name)-server.pem")
        let request = folder.path("\(name)-server.csr")
        let extensions = try folder.write(
            "\(name)-server.ext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Self.openssl(
            ["req", "-x509"] + curve + [
                "-keyout", caKey, "-out", certificate, "-days", "2", "-subj", "/CN=kb test CA \(name)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        try Self.openssl(["req"] + curve + ["-keyout", serverKey, "-out", request, "-subj", "/CN=127.0.0.1"])
        try Self.openssl([
            "x509", "-req", "-in", request, "-CA", certificate, "-CAkey", caKey, "-CAcreateserial",
            "-out", serverCertificate, "-days", "2", "-extfile", extensions,
        ])
    }

    static func openssl(_ arguments: [String]) throws {
        let result = try ChildProcess(
            URL(fileURLWithPath: "/usr/bin/openssl"), arguments, environment: ProcessInfo.processInfo.environment
        ).finish(timeout: 60)
        try #require(result.succeeded, "openssl failed:\n\(result)")
    }
}
