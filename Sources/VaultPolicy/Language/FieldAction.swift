/// A field action.
public enum FieldAction: Sendable, Equatable {
    /// Released as it is.
    case keep
    /// Left out of the release.
    case remove
    /// Replaced by a per-recipient pseudonym (`Pseudonymiser`); list elements each.
    case pseudonymise
    /// Replaced by a coarser value.
    case generalise(Generalisation)

    /// The spelling in policy files and redaction logs.
    public var name: String {
        switch self {
        case .keep: return "keep"
        case .remove: return "remove"
        case .pseudonymise: return "pseudonymise"
        case .generalise: return "generalise"
        }
    }
}
