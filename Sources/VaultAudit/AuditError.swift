/// Errors thrown by VaultAudit when parsing or checking audit data.
public enum AuditError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An encoded event could not be parsed; the text says where.
    case malformedEvent(String)
    /// A proof, checkpoint or tree computation was given impossible arguments.
    case invalidArgument(String)
    /// A checkpoint note or body could not be parsed; the text says which line or field is wrong.
    case malformedCheckpoint(String)
    /// A `MerkleNodeStore` lacks a node it should hold, returned the wrong number or size of hashes, or was
    /// asked to store nodes out of order: the stored tree is damaged or the store is wrong.
    case storeInconsistent(String)

    public var description: String {
        switch self {
        case let .malformedEvent(why): return "malformed audit event: \(why)"
        case let .invalidArgument(why): return why
        case let .malformedCheckpoint(why): return "malformed checkpoint: \(why)"
        case let .storeInconsistent(why): return "audit tree store is inconsistent: \(why)"
        }
    }
}
