/// Errors thrown by VaultAudit when parsing or checking audit data.
public enum AuditError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An encoded event could not be parsed; the text says where.
    case malformedEvent(String)
    /// A proof, checkpoint or tree computation was given impossible arguments.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .malformedEvent(why): return "malformed audit event: \(why)"
        case let .invalidArgument(why): return why
        }
    }
}
