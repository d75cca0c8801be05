/// A field value as the vault holds it after decryption: text, or a list of texts (consent, serials, ...).
public enum FieldValue: Sendable, Hashable {
    case text(String)
    case list([String])
}

/// A record to release: its kind, a label for the redaction log (`case C-1`, `witness W-0001`,
/// `item 7f3a…`; never a protected value), and its fields by name (absent fields are simply not there).
public struct Record: Sendable, Equatable {
    public var kind: RecordKind
    public var label: String
    public var fields: [String: FieldValue]

    public init(kind: RecordKind, label: String, fields: [String: FieldValue]) {
        self.kind = kind
        self.label = label
        self.fields = fields
    }
}

/// One applied redaction: which record and field, what was done, under which category code and why.
/// `action` is `remove`, `pseudonymise`, `generalise:LEVEL` (`generalise:month`), `mask` (a region) or
/// `strip` (image metadata).
public struct RedactionLogEntry: Sendable, Equatable {
    /// The record's label (or the item's, for image entries).
    public let record: String
    /// The field name, `region ID` for a masked region, or `metadata`.
    public let field: String
    public let action: String
    /// The category code; nil only for `strip`.
    public let code: String?
    public let reason: String

    public init(record: String, field: String, action: String, code: String?, reason: String) {
        self.record = record
        self.field = field
        self.action = action
        self.code = code
        self.reason = reason
    }
}

/// A record as a release shows it, with the log of what was done to it.
public struct RedactedRecord: Sendable, Equatable {
    public let kind: RecordKind
    public let label: String
    /// The released fields by name (removed fields are absent).
    public let fields: [String: FieldValue]
    /// Applied redactions, in the kind's field order.
    public let log: [RedactionLogEntry]

    /// The released fields in the kind's field order.
    public var orderedFields: [(name: String, value: FieldValue)] {
        kind.fields.compactMap { spec in fields[spec.name].map { (spec.name, $0) } }
    }
}

/// The redaction of every record of one release, with the pseudonym length it needed.
public struct ReleaseRedaction: Sendable, Equatable {
    public let records: [RedactedRecord]
    /// Pseudonym characters used (the default unless a collision forced longer ones).
    public let pseudonymLength: Int
    /// Whether a collision forced pseudonyms longer than the length asked for.
    public let lengthened: Bool
    /// Every record's log, in order.
    public var log: [RedactionLogEntry] { records.flatMap(\.log) }
}
