/// What a release needs besides the requester's permission (`[disclosure]`).
public struct DisclosureRequirements: Sendable, Equatable {
    /// Approvals a `disclose` needs besides the requester's own proposal (0...16). The default's 1 is the
    /// two-person rule.
    public let approvals: Int
    /// Whether an approval by the requester is ignored (and a requester may not `approve` its own request).
    public let distinctFromRequester: Bool
    /// When a release reveals an identity (see `PolicyRequest`), one of the counted approvals must come from
    /// this role; nil means no such approval is needed.
    public let identityApprover: Role?
    /// When a release reveals an identity, every witness concerned must have consented to the recipient.
    public let identityConsent: Bool
    /// Whether a court order (a quorum operation the vault has applied, naming the recipient and witnesses)
    /// may stand in for missing consent.
    public let courtOrderOverride: Bool
}
