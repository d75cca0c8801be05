/// A record to release: its kind, a label for the redaction log (`case C-1`, `witness W-0001`,
/// `item 7f3a…`; never a protected value), and its fields by name (absent fields are simply not there).
public struct ReleaseRecord: Sendable, Equatable {
    /// The record's kind.
    public var kind: RecordKind
    /// A label for logs (never a protected value).
    public var label: String
    /// Field values by field name; absent fields are not there.
    public var fields: [String: FieldValue]

    /// From its parts.
    public init(kind: RecordKind, label: String, fields: [String: FieldValue]) {
        self.kind = kind
        self.label = label
        self.fields = fields
    }
}
