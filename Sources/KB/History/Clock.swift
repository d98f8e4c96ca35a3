import Foundation

/// The wall clock kb stamps changes with, injectable for tests.
///
/// ```swift
/// let fast = Clock.system.offset(by: 3_600_000)  // one hour ahead
/// ```
public struct Clock: Sendable {
    /// Milliseconds since 1970.
    public let now: @Sendable () -> Int64

    public init(now: @escaping @Sendable () -> Int64) {
        self.now = now
    }

    /// The system clock.
    public static let system = Clock { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// A clock that runs `milliseconds` ahead of this one (behind, when negative).
    public func offset(by milliseconds: Int64) -> Clock {
        let base = now
        return Clock { base() + milliseconds }
    }

    /// A clock that always reads `milliseconds`.
    public static func fixed(_ milliseconds: Int64) -> Clock { Clock { milliseconds } }
}

/// A hybrid logical clock value: 48 bits of milliseconds and a 16-bit counter.
///
/// Values only grow on a replica: a new stamp is above both the wall clock and every stamp seen,
/// local or remote, so a change is always stamped after the changes it was made on.
public struct HybridTimestamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }

    public init(milliseconds: Int64, counter: Int64 = 0) {
        rawValue = milliseconds << 16 | (counter & 0xFFFF)
    }

    /// The wall-clock part.
    public var milliseconds: Int64 { rawValue >> 16 }
    /// The logical counter.
    public var counter: Int64 { rawValue & 0xFFFF }

    /// The next stamp after `last`, at wall time `now`.
    public static func next(after last: HybridTimestamp, now: Int64) -> HybridTimestamp {
        let physical = HybridTimestamp(milliseconds: now)
        return physical > last ? physical : HybridTimestamp(rawValue: last.rawValue + 1)
    }

    public static func < (lhs: HybridTimestamp, rhs: HybridTimestamp) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "\(milliseconds).\(counter)" }
}
