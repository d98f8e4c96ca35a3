/// Why two changes could not both be kept.
public enum ConflictKind: String, Sendable, Codable, CaseIterable {
    /// Two edits of one field that neither knew of.
    case edit
    /// An edit (of the record, or of an annotation or tag on an article) made without knowing of a delete.
    case delete
}

/// How a conflict was closed.
public enum ConflictOutcome: String, Sendable, Codable, CaseIterable {
    /// The value in effect when the conflict was found was kept.
    case winner
    /// The other value was kept.
    case loser
    /// Both were kept (joined for text, restored for a delete).
    case both
    /// A later change made on both sides settled it.
    case superseded
}
