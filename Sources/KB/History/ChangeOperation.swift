/// What a change does to its record.
public enum ChangeOperation: String, Sendable, Codable, CaseIterable {
    /// Creates a record: the change's value holds every field.
    case create
    /// Sets one field.
    case set
    /// Resolves a conflict (the record is the conflict).
    case resolve
}
