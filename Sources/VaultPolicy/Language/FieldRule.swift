/// What a profile does with one field, and the category code and reason its redaction log entry carries.
public struct FieldRule: Sendable, Equatable {
    /// The action.
    public let action: FieldAction
    /// The category code (required for every action but `keep`).
    public let code: String?
    /// Why; when nil, the log uses the category's description. Required when the category requires a reason.
    public let reason: String?
}
