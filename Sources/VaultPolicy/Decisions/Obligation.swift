/// Something the vault must do, or still needs, for a permitted request to go ahead. Spelt (`description`)
/// as in decision output and policy test tables.
public enum Obligation: Sendable, Hashable, CustomStringConvertible {
    /// Only through a quorum operation (k custodian signatures): `quorum`.
    case quorum
    /// Apply this redaction profile to what is released: `profile=NAME`.
    case applyProfile(String)
    /// This many more counted approvals are needed before the release may be issued: `approvals=N`.
    case approvals(Int)
    /// An approval by a holder of this role is still needed: `approval-by=ROLE`.
    case approvalBy(Role)
    /// Consent was replaced by this court-order operation; record it with the release: `court-order=OP`.
    case courtOrder(String)

    public var description: String {
        switch self {
        case .quorum: return "quorum"
        case let .applyProfile(name): return "profile=\(name)"
        case let .approvals(count): return "approvals=\(count)"
        case let .approvalBy(role): return "approval-by=\(role.rawValue)"
        case let .courtOrder(operation): return "court-order=\(operation)"
        }
    }

    /// Parses the `description` spelling; nil for anything else.
    public init?(_ text: String) {
        if text == "quorum" { self = .quorum; return }
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let key = text[..<equals]
        let value = String(text[text.index(after: equals)...])
        guard !value.isEmpty else { return nil }
        switch key {
        case "profile": self = .applyProfile(value)
        case "approvals":
            guard let count = Int(value), count > 0 else { return nil }
            self = .approvals(count)
        case "approval-by":
            guard let role = Role(rawValue: value) else { return nil }
            self = .approvalBy(role)
        case "court-order": self = .courtOrder(value)
        default: return nil
        }
    }

    /// Whether the obligation says approvals are still missing.
    public var isPendingApproval: Bool {
        switch self {
        case .approvals, .approvalBy: return true
        default: return false
        }
    }
}
