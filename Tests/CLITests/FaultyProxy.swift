import Foundation
import Testing

/// `Fixtures/faulty_proxy.py` between the replicas and a hub.
final class FaultyProxy: @unchecked Sendable {
    // @unchecked: touched only from the test that owns it.
    let process: ChildProcess
    let port: Int

    /// Starts the proxy in front of `hubPort`.
    ///
    /// - Parameters:
    ///   - hubPort: The hub's port on 127.0.0.1.
    ///   - seed: The seed of the proxy's random choices.
    ///   - cut: The probability that an answer is cut at a random place.
    ///   - repeatProbability: The probability that a POST reaches the hub twice.
    ///   - cutFirst: How many of the first answers are cut after exactly `cutBytes` bytes.
    ///   - cutBytes: Where those answers are cut.
    /// - Throws: When python3 or the script is missing, or the proxy does not start.
    init(
        hubPort: Int, seed: UInt64, cut: Double, repeat repeatProbability: Double, cutFirst: Int = 0,
        cutBytes: Int? = nil
    ) throws {
        let script = try TestPaths.fixture("faulty_proxy.py")
        let python = try TestPaths.python3()
        var arguments = [
            script.path, "--target-port", "\(hubPort)", "--seed", "\(seed % 1_000_000_007)", "--cut", "\(cut)",
            "--repeat", "\(repeatProbability)",
        ]
        if let cutBytes { arguments += ["--cut-first", "\(cutFirst)", "--cut-bytes", "\(cutBytes)"] }
        process = try ChildProcess(python, arguments, environment: KBRunner.environment(["PYTHONUNBUFFERED": "1"]))
        let line = process.stdout.wait(until: Date().addingTimeInterval(30)) { text in
            text.firstIndex(of: "\n").map { String(text[..<$0]) }
        }
        let prefix = "faulty proxy listening on 127.0.0.1:"
        guard let line, line.hasPrefix(prefix), let port = Int(line.dropFirst(prefix.count)) else {
            process.signal(SIGKILL)
            Issue.record("the faulty proxy did not start:\n\(process.finish(timeout: 10))")
            throw Hub.HubError.notStarted
        }
        self.port = port
    }

    func url(_ kb: String) -> String { "http://127.0.0.1:\(port)/\(kb)" }

    /// Turns faults off (SIGUSR1) and waits until the proxy says so.
    func disableFaults() {
        setFaults(enabled: false)
    }

    func enableFaults() {
        setFaults(enabled: true)
    }

    private func setFaults(enabled: Bool) {
        let marker = enabled ? "faults on" : "faults off"
        let before = process.stderr.text.components(separatedBy: marker).count
        process.signal(enabled ? SIGUSR2 : SIGUSR1)
        let done = process.stderr.wait(until: Date().addingTimeInterval(10)) { text in
            text.components(separatedBy: marker).count > before ? true : nil
        }
        #expect(done == true, "the proxy did not acknowledge '\(marker)'")
    }

    /// Faults logged so far.
    var cuts: Int { process.stderr.text.components(separatedBy: "fault cut ").count - 1 }
    var repeats: Int { process.stderr.text.components(separatedBy: "fault repeat ").count - 1 }

    /// Stops the proxy and returns its log.
    @discardableResult
    func stop() -> ProcessResult {
        process.signal(SIGTERM)
        return process.finish(timeout: 10)
    }
}

/// `Fixtures/hostile_hub.py`: a hub that serves pages an honest hub never sends (see the script's modes).
final class HostileHub: @unchecked Sendable {
    // @unchecked: touched only from the test that owns it.
    let process: ChildProcess
    let port: Int

    /// Starts the hostile hub in a mode of the script (`own-seq`, `hole`, `cycle`, `bomb`, …).
    ///
    /// - Throws: When python3 or the script is missing, or the hub does not start.
    init(mode: String) throws {
        let script = try TestPaths.fixture("hostile_hub.py")
        process = try ChildProcess(
            try TestPaths.python3(), [script.path, "--mode", mode],
            environment: KBRunner.environment(["PYTHONUNBUFFERED": "1"]))
        let line = process.stdout.wait(until: Date().addingTimeInterval(60)) { text in
            text.firstIndex(of: "\n").map { String(text[..<$0]) }
        }
        let prefix = "hostile hub listening on 127.0.0.1:"
        guard let line, line.hasPrefix(prefix), let port = Int(line.dropFirst(prefix.count)) else {
            process.signal(SIGKILL)
            Issue.record("the hostile hub did not start:\n\(process.finish(timeout: 10))")
            throw Hub.HubError.notStarted
        }
        self.port = port
    }

    func url(_ kb: String) -> String { "http://127.0.0.1:\(port)/\(kb)" }

    /// Requests it answered so far.
    var requests: Int { process.stderr.text.components(separatedBy: "request ").count - 1 }

    /// Stops the hub.
    @discardableResult
    func stop() -> ProcessResult {
        process.signal(SIGKILL)
        return process.finish(timeout: 10)
    }
}

/// `Fixtures/balancer.py`: a round-robin TCP balancer in front of several hub processes.
final class Balancer: @unchecked Sendable {
    // @unchecked: touched only from the test that owns it.
    let process: ChildProcess
    let port: Int

    init(hubPorts: [Int]) throws {
        let script = try TestPaths.fixture("balancer.py")
        process = try ChildProcess(
            try TestPaths.python3(), [script.path] + hubPorts.flatMap { ["--target-port", "\($0)"] },
            environment: KBRunner.environment(["PYTHONUNBUFFERED": "1"]))
        let line = process.stdout.wait(until: Date().addingTimeInterval(60)) { text in
            text.firstIndex(of: "\n").map { String(text[..<$0]) }
        }
        let prefix = "balancer listening on 127.0.0.1:"
        guard let line, line.hasPrefix(prefix), let port = Int(line.dropFirst(prefix.count)) else {
            process.signal(SIGKILL)
            Issue.record("the balancer did not start:\n\(process.finish(timeout: 10))")
            throw Hub.HubError.notStarted
        }
        self.port = port
    }

    func url(_ kb: String) -> String { "http://127.0.0.1:\(port)/\(kb)" }

    /// Connections it sent to a backend port so far.
    func connections(to hubPort: Int) -> Int {
        process.stdout.text.components(separatedBy: " -> \(hubPort)\n").count - 1
    }

    @discardableResult
    func stop() -> ProcessResult {
        process.signal(SIGKILL)
        return process.finish(timeout: 10)
    }
}
