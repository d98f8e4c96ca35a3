/// The identity of a change: the replica that made it and its sequence number there.
///
/// Written `replica:seq` on the wire and in `base` lists.
public struct ChangeID: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let replica: String
    public let seq: Int64

    public init(replica: String, seq: Int64) {
        self.replica = replica
        self.seq = seq
    }

    /// Parses `replica:seq`.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let seq = Int64(text[text.index(after: colon)...]), seq > 0 else {
            return nil
        }
        let replica = String(text[..<colon])
        guard !replica.isEmpty else { return nil }
        self.init(replica: replica, seq: seq)
    }

    public var description: String { "\(replica):\(seq)" }

    public static func < (lhs: ChangeID, rhs: ChangeID) -> Bool {
        (lhs.replica, lhs.seq) < (rhs.replica, rhs.seq)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = ChangeID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad change id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
