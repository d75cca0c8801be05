/// One applied redaction: which record and field, what was done, under which category code and why.
/// `action` is `remove`, `pseudonymise`, `generalise:LEVEL` (`generalise:month`), `mask` (a region) or
/// `strip` (image metadata).
public struct RedactionLogEntry: Sendable, Equatable {
    /// The record's label (or the item's, for image entries).
    public let record: String
    /// The field name, `region ID` for a masked region, or `metadata`.
    public let field: String
    /// What was done (`remove`, `pseudonymise`, `generalise:LEVEL`, `mask`, `strip`).
    public let action: String
    /// The category code; nil only for `strip`.
    public let code: String?
    /// Why, in words.
    public let reason: String

    /// From its parts.
    public init(record: String, field: String, action: String, code: String?, reason: String) {
        self.record = record
        self.field = field
        self.action = action
        self.code = code
        self.reason = reason
    }
}
