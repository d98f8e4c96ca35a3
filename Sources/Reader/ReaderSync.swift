import Foundation
import KB
public import Sync
import Synchronization

/// What `GET /api/sync` answers: the remotes, and the reader's sync, running or last run.
struct SyncStatusPayload: Encodable, Sendable {
    var remotes: [String]
    /// True while a sync runs.
    var running: Bool
    /// The step now, or the last one: `origin: pushing 500/1200`.
    var step: String?
    /// How far the step now is, for a progress bar (`done` of `total`); nil when unknown.
    var done: Int64?
    var total: Int64?
    /// Every step of the sync now or last run, in order (the first and the latest when there are many).
    var steps: [String]
    /// The outcome of the last sync, once it ended.
    var result: SyncResultPayload?
}

/// How the reader's last sync ended: `kb sync --json`'s figures, and one sentence.
struct SyncResultPayload: Encodable, Sendable {
    var ok: Bool
    var message: String
    var pushed: Int
    var pulled: Int
    var conflicts: Int
    var duplicates: Int
    var quarantined: Int
    var remotes: [RemoteOutcome]
    var failed: [String]

    struct RemoteOutcome: Encodable, Sendable {
        var name: String
        var ok: Bool
        var pushed: Int
        var pulled: Int
        var error: String?
    }
}

/// The reader's sync: one at a time, run in this process with the sync engine of `kb sync`, its steps
/// kept for the conflicts page, which asks for them while it runs.
final class ReaderSyncJob: Sendable {
    let transport: any HubTransport
    private let state = Mutex(State())
    /// The most steps kept: the first ones and the latest.
    static let keptSteps = 200

    private struct State {
        var running = false
        var step: String?
        var done: Int64?
        var total: Int64?
        var steps: [String] = []
        var result: SyncResultPayload?
    }

    init(transport: any HubTransport) {
        self.transport = transport
    }

    func status(remotes: [String]) -> SyncStatusPayload {
        state.withLock {
            SyncStatusPayload(
                remotes: remotes, running: $0.running, step: $0.step, done: $0.done, total: $0.total, steps: $0.steps,
                result: $0.result)
        }
    }

    /// Starts a sync of every remote unless one runs; false when one was running already.
    func start(kb: KnowledgeBase, remotes: [String]) -> Bool {
        let started = state.withLock { state -> Bool in
            guard !state.running else { return false }
            state = State(running: true)
            return true
        }
        guard started else { return false }
        Task.detached { await self.run(kb: kb, remotes: remotes) }
        return true
    }

    /// Records a step; `done` of `total` for the progress bar.
    func record(_ step: String, done: Int64? = nil, total: Int64? = nil) {
        state.withLock { state in
            state.step = step
            state.done = done
            state.total = total
            if state.steps.count >= Self.keptSteps {
                // The first half stays (how it began), the latest replace the rest.
                state.steps.remove(at: Self.keptSteps / 2)
            }
            state.steps.append(step)
        }
    }

    /// Syncs each remote in turn, whatever happened to the ones before it, as `kb sync` does.
    func run(kb: KnowledgeBase, remotes: [String]) async {
        let engine = SyncEngine(kb: kb, transport: transport)
        var result = SyncResultPayload(
            ok: true, message: "", pushed: 0, pulled: 0, conflicts: 0, duplicates: 0, quarantined: 0, remotes: [],
            failed: [])
        for name in remotes {
            if let remote = try? RemoteStore.get(kb, name: name), remote.sendsTokenInClear {
                record(
                    "\(name): warning: the token goes over plain HTTP to '\(remote.url)'; serve the hub with "
                        + "--tls-cert and use an https:// URL.")
            }
            record("\(name): connecting")
            do {
                let report = try await engine.sync(remote: name) { [self] progress in
                    switch progress {
                    case .pushing(let done, let total):
                        record("\(name): pushing \(done)/\(total)", done: Int64(done), total: Int64(total))
                    case .applying(let changes, let position, let head):
                        record(
                            "\(name): applying \(changes) change\(changes == 1 ? "" : "s")", done: position,
                            total: head)
                    case .pulling(let position, let head):
                        record("\(name): pulling \(position)/\(head)", done: position, total: head)
                    }
                }
                result.pushed += report.pushed
                result.pulled += report.pulled
                result.duplicates += report.duplicates
                result.quarantined += report.quarantined
                result.conflicts = report.conflicts
                result.remotes.append(.init(name: name, ok: true, pushed: report.pushed, pulled: report.pulled))
                record("\(name): pushed \(report.pushed), pulled \(report.pulled)")
            } catch {
                let message = Self.message(of: error)
                result.ok = false
                result.failed.append(name)
                result.remotes.append(.init(name: name, ok: false, pushed: 0, pulled: 0, error: message))
                record("\(name): \(message)")
            }
        }
        if let open = try? Conflicts.list(kb).count { result.conflicts = open }
        result.message = Self.summary(result, remotes: remotes.count)
        state.withLock { state in
            state.running = false
            state.step = result.message
            state.done = nil
            state.total = nil
            state.result = result
        }
    }

    /// One sentence for the page (with each failed remote's own sentence after it).
    static func summary(_ result: SyncResultPayload, remotes: Int) -> String {
        let conflicts =
            result.conflicts == 0
            ? "no open conflicts"
            : "\(result.conflicts) open conflict\(result.conflicts == 1 ? "" : "s") to resolve"
        let moved =
            "pushed \(result.pushed), pulled \(result.pulled) change\(result.pulled == 1 ? "" : "s"); \(conflicts)"
        if result.failed.isEmpty { return "Synced: \(moved)." }
        let failures = result.remotes.filter { !$0.ok }.map { "\($0.name): \($0.error ?? "failed.")" }
        let head = result.failed.count == remotes ? "The sync failed." : "Synced in part (\(moved))."
        return ([head] + failures).joined(separator: " ")
    }

    /// The one sentence for a failed remote, as `kb sync` gives it.
    static func message(of error: any Error) -> String {
        switch error {
        case let error as SyncError: error.message
        case let error as KBError: error.message
        default: "The sync failed (\(error)); run it again."
        }
    }
}
