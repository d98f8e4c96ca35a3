public import KB

/// The documented forms of everything that crosses the wire, checked where it enters: at the hub's push
/// route and when a replica applies a pulled change.
///
/// The forms are those kb makes:
/// - a replica id is 16 lowercase hex digits (64 random bits);
/// - a record id is 24 lowercase hex digits (a content id: the first 24 digits of a SHA-256) or 32 (a
///   UUIDv7); which of the two an entity takes is ``recordIDLengths(of:)``;
/// - a knowledge base name is 1 to 64 ASCII letters, digits, `-`, `_` and `.`, not `.` or `..`;
/// - `entity`, `op` and `field` are 1 to 32 lowercase ASCII letters or `_` (`field` may be `*`);
/// - `base` holds at most ``maxBaseCount`` change ids `REPLICA:SEQ`;
/// - `value` is at most ``maxValueBytes`` bytes of UTF-8.
///
/// ```swift
/// try WireValidator.check(change)          // throws WireViolation with a short reason
/// WireValidator.isReplicaID("9f2c41d07be85a13")   // true
/// ```
public enum WireValidator {
    /// Characters in a replica id.
    public static let replicaIDLength = 16
    /// The longest value a change may carry, in bytes of UTF-8 (16 MiB).
    public static let maxValueBytes = 16 * 1024 * 1024
    /// The most change ids a change's `base` may name.
    public static let maxBaseCount = 1024
    /// The highest sequence number and hub position kb accepts (2^48: millions of years of changes).
    public static let maxSequence: Int64 = 1 << 48
    /// The longest `entity`, `op` or `field`.
    public static let maxNameLength = 32

    /// True for 16 lowercase hex digits.
    public static func isReplicaID(_ text: String) -> Bool {
        text.utf8.count == replicaIDLength && isLowercaseHex(text)
    }

    /// True for a record id of any entity: 24 or 32 lowercase hex digits.
    public static func isRecordID(_ text: String) -> Bool {
        (text.utf8.count == 24 || text.utf8.count == 32) && isLowercaseHex(text)
    }

    /// The lengths a record id of `entity` may have: content ids are 24 hex digits, UUIDv7 32; an article
    /// added with `kb add` whose content id is taken gets a UUIDv7.
    public static func recordIDLengths(of entity: EntityKind) -> Set<Int> {
        switch entity {
        case .source, .tag, .conflict: [24]
        case .article: [24, 32]
        case .annotation: [32]
        }
    }

    /// True for a change id `REPLICA:SEQ` in the documented form.
    public static func isChangeID(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, isReplicaID(String(parts[0])), parts[1].utf8.count <= 16,
            parts[1].utf8.allSatisfy({ (48...57).contains($0) }), let seq = Int64(parts[1])
        else { return false }
        return (1...maxSequence).contains(seq)
    }

    /// True for a knowledge base name: 1 to 64 ASCII letters, digits, `-`, `_` and `.`, not `.` or `..`.
    public static func isKnowledgeBaseName(_ text: String) -> Bool {
        let bytes = text.utf8
        return !bytes.isEmpty && bytes.count <= 64 && text != "." && text != ".."
            && bytes.allSatisfy {
                isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
            }
    }

    /// Checks the form of a change: ids, names, numbers and sizes, not what its value means (the replica that
    /// applies it checks that).
    ///
    /// - Parameter change: A change as it arrived.
    /// - Throws: ``WireViolation`` naming the first part that is out of form.
    public static func check(_ change: WireChange) throws(WireViolation) {
        guard isReplicaID(change.replica) else {
            throw WireViolation("the replica id is not \(replicaIDLength) lowercase hex digits")
        }
        guard (1...maxSequence).contains(change.seq) else {
            throw WireViolation("the sequence number is not between 1 and 2^48")
        }
        guard change.hlc > 0 else { throw WireViolation("the clock stamp is not a positive number") }
        guard isName(change.entity) else { throw WireViolation("the entity is not a lowercase name") }
        guard isName(change.op) else { throw WireViolation("the operation is not a lowercase name") }
        guard change.field == "*" || isName(change.field) else {
            throw WireViolation("the field is not a lowercase name")
        }
        if let entity = EntityKind(rawValue: change.entity) {
            guard recordIDLengths(of: entity).contains(change.id.utf8.count), isLowercaseHex(change.id) else {
                throw WireViolation(
                    "the \(entity.rawValue) id is not "
                        + recordIDLengths(of: entity).sorted().map(String.init).joined(separator: " or ")
                        + " lowercase hex digits")
            }
        } else {
            guard isRecordID(change.id) else {
                throw WireViolation("the record id is not 24 or 32 lowercase hex digits")
            }
        }
        guard change.base.count <= maxBaseCount else {
            throw WireViolation("the base names more than \(maxBaseCount) changes")
        }
        guard change.base.allSatisfy(isChangeID) else { throw WireViolation("the base holds a malformed change id") }
        if let value = change.value, value.utf8.count > maxValueBytes {
            throw WireViolation("the value is larger than \(maxValueBytes) bytes")
        }
    }

    // MARK: - Characters

    static func isName(_ text: String) -> Bool {
        let bytes = text.utf8
        return !bytes.isEmpty && bytes.count <= maxNameLength
            && bytes.allSatisfy { (97...122).contains($0) || $0 == UInt8(ascii: "_") }
    }

    static func isLowercaseHex(_ text: String) -> Bool {
        text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }
}

/// A part of a change that is not in its documented form: a short reason, without the offending value
/// (which may be large or hostile).
public struct WireViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is out of form, as a clause: "the replica id is not 16 lowercase hex digits".
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
