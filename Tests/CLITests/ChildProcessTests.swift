import Foundation
import Testing

/// The helper that runs every program of the end-to-end tests.
@Suite struct ChildProcessTests {
    /// A shell that leaves a grandchild running (as `kb serve` leaves a hub) and exits: its exit and
    /// status are seen at once, not after the timeout, and reading them does not stop the test process.
    @Test func exitIsSeen_whileAGrandchildStillRuns() throws {
        let shell = URL(fileURLWithPath: "/bin/sh")
        let started = Date()
        let child = try ChildProcess(
            shell, ["-c", "sleep 20 >/dev/null 2>&1 & echo started; exit 3"],
            environment: ProcessInfo.processInfo.environment)
        let result = child.finish(timeout: 15)
        #expect(!result.timedOut)
        #expect(result.exitCode == 3)
        #expect(!result.wasSignaled)
        #expect(result.stdout.hasPrefix("started"))
        #expect(Date().timeIntervalSince(started) < 5)
    }

    /// A program killed by a signal is reported as such.
    @Test func aSignalIsReported() throws {
        let child = try ChildProcess(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "kill -9 $$"], environment: ProcessInfo.processInfo.environment)
        let result = child.finish(timeout: 15)
        #expect(result.wasSignaled)
        #expect(result.status == SIGKILL)
    }
}
