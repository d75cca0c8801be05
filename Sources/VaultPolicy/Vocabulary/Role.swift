/// A role a key holds in the vault (DESIGN.md, "Who uses it, and for what"). The raw value is the spelling
/// used in policy files, on the command line and in decision traces.
///
/// `custodian` is special: a subject acts as custodian because the governance chain lists its key as a
/// custodian (`Subject.isCustodian`), whatever member role it also holds; the policy's `[roles.custodian]`
/// rules apply to such subjects in addition to the rules of their member role.
public enum Role: String, CaseIterable, Sendable, Hashable, Comparable {
    /// Administers the vault only as a quorum (k of n signatures); verifies the audit log and the store.
    case custodian
    /// Ingests files and records; cannot read back what it sealed.
    case collector
    /// Ingests; sees case data and media; sees witnesses only by pseudonym.
    case investigator
    /// The one role that reads witness identities; records consent and protective measures.
    case protectionOfficer = "protection-officer"
    /// Prepares and approves disclosures.
    case legalOfficer = "legal-officer"
    /// Reads and verifies the audit log; sees no content.
    case auditor

    public static func < (lhs: Role, rhs: Role) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }
}
