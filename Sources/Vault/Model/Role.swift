/// A member's role (DESIGN.md, "Who uses it"). Custodians are not a member role: custodianship is held
/// separately and a custodian may also have any role.
public enum Role: String, CaseIterable, Codable, Sendable {
    case collector
    case investigator
    case protectionOfficer = "protection-officer"
    case legalOfficer = "legal-officer"
    case auditor
}

/// A compartment: an X25519 key pair whose secret is wrapped to the members allowed to read it.
public enum Compartment: String, CaseIterable, Codable, Sendable, Comparable {
    case media
    case `case`
    case identity

    public static func < (a: Compartment, b: Compartment) -> Bool { a.rawValue < b.rawValue }
}

/// What each role holds and may do until the policy engine decides it (issue 6). Access is enforced by
/// the keys a member holds: a role that does not read a compartment never receives its secret key.
public enum RoleTable {
    /// Compartments whose secret key (read access) a role receives.
    public static func readable(by role: Role) -> Set<Compartment> {
        switch role {
        case .collector: return []
        case .investigator: return [.media, .case]
        case .protectionOfficer: return [.case, .identity]
        case .legalOfficer: return [.media, .case]
        case .auditor: return []
        }
    }

    /// Compartments whose index key (for blind indexes and duplicate detection) a role receives: those it
    /// reads or writes to.
    public static func indexable(by role: Role) -> Set<Compartment> {
        switch role {
        case .collector: return [.media, .case, .identity]
        case .auditor: return []
        default: return readable(by: role).union(canIngest(role) ? [.media, .case, .identity] : [])
        }
    }

    /// Whether the role may ingest files.
    public static func canIngest(_ role: Role) -> Bool { role == .collector || role == .investigator }

    /// Whether the role may add case and witness records.
    public static func canAddRecords(_ role: Role) -> Bool {
        role == .collector || role == .investigator || role == .protectionOfficer
    }
}
