/// A key compartment of the vault (DESIGN.md, "Keys"): each an X25519 key pair; anyone may seal to it, only
/// holders of its secret key read. The raw value is the spelling used in policy files.
public enum Compartment: String, CaseIterable, Sendable, Hashable, Comparable {
    /// Originals, capture metadata, sources and regions of items.
    case media
    /// Case records and the non-identifying witness fields (pseudonym, consent, protective measures).
    case `case`
    /// Witness identities and the identified names of cases.
    case identity

    public static func < (lhs: Compartment, rhs: Compartment) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }
}
