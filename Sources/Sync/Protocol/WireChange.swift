import Foundation
public import KB

/// A change as it travels between replicas and the hub.
///
/// `value` is the new value as JSON text (a JSON string inside the JSON document), so that it
/// travels and is stored exactly as it was written, without being parsed on the way.
///
/// ```json
/// {"replica":"9f2c…","seq":12,"hlc":115605411840000,"entity":"article","id":"dd76…",
///  "field":"title","op":"set","value":"\"新标题\"","base":["9f2c…:11"]}
/// ```
public struct WireChange: Sendable, Equatable, Codable {
    public var replica: String
    public var seq: Int64
    /// Hybrid logical clock: milliseconds << 16 | counter.
    public var hlc: Int64
    public var entity: String
    public var id: String
    public var field: String
    public var op: String
    /// JSON text, or nil.
    public var value: String?
    public var base: [String]

    public init(
        replica: String, seq: Int64, hlc: Int64, entity: String, id: String, field: String, op: String,
        value: String?, base: [String]
    ) {
        self.replica = replica
        self.seq = seq
        self.hlc = hlc
        self.entity = entity
        self.id = id
        self.field = field
        self.op = op
        self.value = value
        self.base = base
    }

    public var changeID: ChangeID { ChangeID(replica: replica, seq: seq) }

    /// The wire form of a stored change; `value` is given for changes stored without one (sources).
    public init(_ change: Change, value: String?) {
        self.init(
            replica: change.id.replica, seq: change.id.seq, hlc: change.hlc.rawValue, entity: change.entity.rawValue,
            id: change.entityID, field: change.field.rawValue, op: change.op.rawValue, value: value,
            base: change.base.map(\.description))
    }
}

extension WireChange {
    /// The change as compact JSON, written directly (the hot path of pushes and of the hub's log).
    public var jsonBytes: [UInt8] {
        var out = "{\"replica\":" + JSONText.string(replica) + ",\"seq\":\(seq),\"hlc\":\(hlc),\"entity\":"
        out += JSONText.string(entity) + ",\"id\":" + JSONText.string(id) + ",\"field\":" + JSONText.string(field)
        out += ",\"op\":" + JSONText.string(op) + ",\"value\":" + (value.map(JSONText.string) ?? "null")
        out += ",\"base\":[" + base.map(JSONText.string).joined(separator: ",") + "]}"
        return Array(out.utf8)
    }
}

extension PushRequest {
    /// The request as JSON.
    public var jsonBytes: [UInt8] {
        var out = Array("{\"replica\":\(JSONText.string(replica)),\"changes\":[".utf8)
        for (index, change) in changes.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += change.jsonBytes
        }
        out += Array("]}".utf8)
        return out
    }
}

/// A batch of changes a replica sends to the hub.
///
/// `POST /v1/kb/{kb}/changes`
public struct PushRequest: Sendable, Codable {
    public var replica: String
    public var changes: [WireChange]

    public init(replica: String, changes: [WireChange]) {
        self.replica = replica
        self.changes = changes
    }
}

/// The hub's answer to a push.
public struct PushResponse: Sendable, Codable, Equatable {
    /// Changes stored now.
    public var accepted: Int
    /// Changes the hub already had (a repeated request).
    public var duplicates: Int
    /// The hub's highest sequence number after the push.
    public var head: Int64
    public var epoch: String

    public init(accepted: Int, duplicates: Int, head: Int64, epoch: String) {
        self.accepted = accepted
        self.duplicates = duplicates
        self.head = head
        self.epoch = epoch
    }
}

/// One change in a pull page, with its place in the hub's log.
public struct PulledChange: Sendable, Codable, Equatable {
    public var hubSeq: Int64
    public var change: WireChange

    enum CodingKeys: String, CodingKey {
        case hubSeq = "hub_seq"
        case change
    }

    public init(hubSeq: Int64, change: WireChange) {
        self.hubSeq = hubSeq
        self.change = change
    }
}

/// One page of the hub's change log.
///
/// `GET /v1/kb/{kb}/changes?after=N&limit=M[&exclude=REPLICA][&expect=ID]`
public struct PullResponse: Sendable, Codable, Equatable {
    public var epoch: String
    public var changes: [PulledChange]
    /// The cursor to ask from next time: the last log position this page covered.
    public var next: Int64
    /// The id of the change at `next`, so the client can tell later whether the log it saw is still there.
    public var nextID: String?
    /// The hub's highest sequence number.
    public var head: Int64

    enum CodingKeys: String, CodingKey {
        case epoch, changes, next, head
        case nextID = "next_id"
    }

    public init(epoch: String, changes: [PulledChange], next: Int64, nextID: String?, head: Int64) {
        self.epoch = epoch
        self.changes = changes
        self.next = next
        self.nextID = nextID
        self.head = head
    }
}

/// `GET /v1/kb/{kb}/replicas`: what the hub holds of each replica.
public struct ReplicasResponse: Sendable, Codable, Equatable {
    public var epoch: String
    public var head: Int64
    /// Highest sequence number stored per replica.
    public var replicas: [String: Int64]

    public init(epoch: String, head: Int64, replicas: [String: Int64]) {
        self.epoch = epoch
        self.head = head
        self.replicas = replicas
    }
}

/// The body of every error response: a stable code and one sentence.
public struct HubErrorBody: Sendable, Codable, Equatable {
    public var error: String
    public var message: String

    public init(error: String, message: String) {
        self.error = error
        self.message = message
    }
}

/// Error codes the hub returns.
public enum HubErrorCode {
    public static let unauthorized = "unauthorized"
    public static let forbidden = "forbidden"
    public static let malformedBody = "malformed_body"
    public static let bodyTooLarge = "body_too_large"
    public static let clockAhead = "clock_ahead"
    public static let sequenceGap = "sequence_gap"
    public static let sequenceReused = "sequence_reused"
    public static let historyChanged = "history_changed"
    public static let notFound = "not_found"
    public static let invalidChange = "invalid_change"
    public static let badRequest = "bad_request"
    public static let internalError = "internal_error"
    /// The hub holds as many connections as it allows (503); try again shortly.
    public static let unavailable = "unavailable"
}

/// Limits both sides agree on.
public enum SyncLimits {
    /// The hub refuses changes stamped further ahead of its clock than this.
    public static let maxClockAheadMilliseconds: Int64 = 5 * 60 * 1000
    /// Push and pull batches aim at this many bytes of JSON.
    public static let batchBytes = 1_000_000
    /// And at most this many changes.
    public static let batchChanges = 2000
    /// The hub refuses request bodies larger than this (after decompression).
    public static let maxBodyBytes = 16 * 1024 * 1024
    /// A replica refuses an answer of the hub larger than this once decompressed (64 MiB), checked while
    /// it inflates.
    public static let maxResponseBytes = 64 * 1024 * 1024
    /// The most requests one sync of one remote makes before it stops with an error.
    public static let maxRequestsPerSync = 100_000
    /// The longest one sync of one remote runs before it stops with an error (one hour).
    public static let maxSyncDuration: Duration = .seconds(3600)
    /// The hub refuses pushes of more changes than this, and a replica pages of more.
    public static let maxChangesPerRequest = 10_000
}
