/// The redaction of every record of one release, with the pseudonym length it needed.
public struct ReleaseRedaction: Sendable, Equatable {
    /// The redacted records, in the order given.
    public let records: [RedactedRecord]
    /// Pseudonym characters used (the default unless a collision forced longer ones).
    public let pseudonymLength: Int
    /// Whether a collision forced pseudonyms longer than the length asked for.
    public let lengthened: Bool
    /// Every record's log, in order.
    public var log: [RedactionLogEntry] { records.flatMap(\.log) }
}
