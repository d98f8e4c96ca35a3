import Foundation
import Testing

@testable import KB

struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_764_000_000_001, "2025-11-24T16:00:00.001Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (4_102_444_799_999, "2099-12-31T23:59:59.999Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
    ])
    func iso(_ milliseconds: Int64, _ expected: String) throws {
        #expect(Timestamp.iso(milliseconds) == expected)
        #expect(try Timestamp.parse(expected, path: "test") == milliseconds)
    }

    @Test func agreesWithFoundationOverManyInstants() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let milliseconds = Int64.random(in: 0...4_102_444_799_999, using: &generator)
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            #expect(Timestamp.iso(milliseconds).prefix(19) == formatter.string(from: date).prefix(19))
        }
    }
}
