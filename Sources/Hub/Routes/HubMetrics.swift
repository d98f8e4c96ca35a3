import Foundation
import Synchronization

/// The hub's counters, rendered in Prometheus' text format (version 0.0.4) for `GET /metrics`.
///
/// ```
/// kb_hub_requests_total{route="push",status="200"} 12
/// kb_hub_push_changes_total 340
/// kb_hub_push_bytes_total 91234
/// kb_hub_pull_changes_total 680
/// kb_hub_pull_bytes_total 182468
/// kb_hub_store_seconds_bucket{operation="push",le="0.005"} 9
/// kb_hub_store_seconds_sum{operation="push"} 0.042
/// kb_hub_store_seconds_count{operation="push"} 12
/// ```
public final class HubMetrics: Sendable {
    /// Upper bounds of the store latency buckets, in seconds.
    public static let latencyBuckets: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Latency {
        var buckets: [Int]
        var sum: Double = 0
        var count = 0
    }

    struct State {
        var requests: [String: [Int: Int]] = [:]
        var pushChanges = 0
        var pushBytes = 0
        var pullChanges = 0
        var pullBytes = 0
        var latency: [String: Latency] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    func request(route: String, status: Int) {
        state.withLock { $0.requests[route, default: [:]][status, default: 0] += 1 }
    }

    func pushed(changes: Int, bytes: Int) {
        state.withLock {
            $0.pushChanges += changes
            $0.pushBytes += bytes
        }
    }

    func pulled(changes: Int, bytes: Int) {
        state.withLock {
            $0.pullChanges += changes
            $0.pullBytes += bytes
        }
    }

    func storeLatency(operation: String, seconds: Double) {
        state.withLock {
            var latency =
                $0.latency[operation] ?? Latency(buckets: Array(repeating: 0, count: Self.latencyBuckets.count))
            for (index, bound) in Self.latencyBuckets.enumerated() where seconds <= bound {
                latency.buckets[index] += 1
            }
            latency.sum += seconds
            latency.count += 1
            $0.latency[operation] = latency
        }
    }

    /// The text a scrape gets.
    public func render() -> String {
        let state = self.state.withLock { $0 }
        var out =
            "# HELP kb_hub_requests_total Requests to the sync routes and to /metrics, by route and HTTP status (refusals included).\n"
        out += "# TYPE kb_hub_requests_total counter\n"
        for (route, statuses) in state.requests.sorted(by: { $0.key < $1.key }) {
            for (status, count) in statuses.sorted(by: { $0.key < $1.key }) {
                out += "kb_hub_requests_total{route=\"\(route)\",status=\"\(status)\"} \(count)\n"
            }
        }
        for (name, help, value) in [
            ("kb_hub_push_changes_total", "Changes stored by pushes (duplicates left out).", state.pushChanges),
            ("kb_hub_push_bytes_total", "Bytes of push bodies as received.", state.pushBytes),
            ("kb_hub_pull_changes_total", "Changes served by pulls.", state.pullChanges),
            ("kb_hub_pull_bytes_total", "Bytes of change JSON served by pulls.", state.pullBytes),
        ] {
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n\(name) \(value)\n"
        }
        out += "# HELP kb_hub_store_seconds Time spent in the store, by operation.\n"
        out += "# TYPE kb_hub_store_seconds histogram\n"
        for (operation, latency) in state.latency.sorted(by: { $0.key < $1.key }) {
            for (index, bound) in Self.latencyBuckets.enumerated() {
                out += "kb_hub_store_seconds_bucket{operation=\"\(operation)\",le=\"\(Self.number(bound))\"} "
                out += "\(latency.buckets[index])\n"
            }
            out += "kb_hub_store_seconds_bucket{operation=\"\(operation)\",le=\"+Inf\"} \(latency.count)\n"
            out += "kb_hub_store_seconds_sum{operation=\"\(operation)\"} \(Self.number(latency.sum))\n"
            out += "kb_hub_store_seconds_count{operation=\"\(operation)\"} \(latency.count)\n"
        }
        return out
    }

    public static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
