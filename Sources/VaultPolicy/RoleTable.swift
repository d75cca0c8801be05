
/// What each role holds, derived from the active policy: a role receives a compartment's secret key exactly
/// when the policy lets it `view` that compartment, and its index key when it may also `ingest` into it
/// (blind indexes and duplicate detection need the index key, not the secret). Access is enforced by the keys
/// a member holds, not only by checks in code: a role the policy does not let read a compartment never
/// receives its secret key.
public enum RoleTable {
    /// Member roles (custodianship is held separately from a member role).
    public static let memberRoles: [Role] = Role.allCases.filter { $0 != .custodian }

    static func permits(_ policy: Policy, _ role: Role, _ action: Action, _ compartment: Compartment) -> Bool {
        policy.decide(Subject(keyID: "role-table", role: role), action, Resource(compartments: [compartment], label: compartment.rawValue)).isPermit
    }

    /// Compartments whose secret key (read access) a role receives.
    public static func readable(by role: Role, policy: Policy) -> Set<Compartment> {
        Set(Compartment.allCases.filter { permits(policy, role, .view, $0) })
    }

    /// Compartments whose index key a role receives: those it reads, and media when it ingests there (the
    /// duplicate token of a delivered file needs it). A role that only writes a compartment holds no index
    /// key of it, so it cannot test guessed names against its blind indexes (issue 16).
    public static func indexable(by role: Role, policy: Policy) -> Set<Compartment> {
        readable(by: role, policy: policy).union(permits(policy, role, .ingest, .media) ? [.media] : [])
    }
}
