/// A record as a release shows it, with the log of what was done to it.
public struct RedactedRecord: Sendable, Equatable {
    /// The record's kind.
    public let kind: RecordKind
    /// The record's label, as given.
    public let label: String
    /// The released fields by name (removed fields are absent).
    public let fields: [String: FieldValue]
    /// Applied redactions, in the kind's field order.
    public let log: [RedactionLogEntry]

    /// The released fields in the kind's field order.
    public var orderedFields: [(name: String, value: FieldValue)] {
        kind.releasedFields.compactMap { spec in fields[spec.name].map { (spec.name, $0) } }
    }
}
