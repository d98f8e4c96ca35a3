public import Foundation
public import KB
import Synchronization

// What every test target shares: seeded randomness, a clock moved by hand, temporary folders, the
// repository's seed page and a checked text replacement.

/// SplitMix64: a small seeded generator, so that generated tests are the same on every run.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A clock the test moves by hand: one millisecond passes per reading, from a fixed start.
public final class TestClock: Sendable {
    private let value: Mutex<Int64>

    public init(start: Int64 = 1_764_000_000_000) { value = Mutex(start) }

    public var clock: Clock {
        Clock {
            self.value.withLock {
                $0 += 1
                return $0
            }
        }
    }

    public func advance(by milliseconds: Int64) { value.withLock { $0 += milliseconds } }
}

/// A temporary folder removed when the value goes away (kept, and its path printed, when
/// `KB_TEST_KEEP=1`, to look into a failure).
public final class TemporaryFolder: Sendable {
    public let url: URL

    public init(_ label: String = "kb-tests") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "\(label)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path }

    /// A path inside the folder.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes a file inside the folder (making the folders on its way) and returns its path.
    @discardableResult
    public func write(_ name: String, _ data: Data) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return file.path
    }

    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String { try write(name, Data(text.utf8)) }

    @discardableResult
    public func write(_ name: String, _ bytes: [UInt8]) throws -> String { try write(name, Data(bytes)) }

    deinit {
        if ProcessInfo.processInfo.environment["KB_TEST_KEEP"] == "1" {
            print("kept \(url.path)")
            return
        }
        try? FileManager.default.removeItem(at: url)
    }
}

/// Files of the repository the tests read.
public enum Repository {
    /// The repository's root: the nearest folder above this file that holds `seeds/`.
    public static var root: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("seeds").path) {
            url.deleteLastPathComponent()
        }
        return url
    }

    /// The seed page `seeds/000_0c82636a8329b8b7.txt`.
    public static var seedPageURL: URL { root.appendingPathComponent("seeds/000_0c82636a8329b8b7.txt") }

    /// The seed page's text.
    public static var seedPage: String {
        get throws { try String(contentsOf: seedPageURL, encoding: .utf8) }
    }
}

/// A test's own precondition that did not hold.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension String {
    /// The text with `target` replaced, after checking that it occurs exactly `expectedCount` times.
    public func replacing(_ target: String, with replacement: String, expectedCount: Int) throws -> String {
        let count = components(separatedBy: target).count - 1
        guard count == expectedCount else {
            throw TestSupportError("'\(target)' occurs \(count) times, not \(expectedCount)")
        }
        return replacingOccurrences(of: target, with: replacement)
    }
}
