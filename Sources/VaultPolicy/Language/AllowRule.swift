/// One permission of a role (`[[roles.ROLE.allow]]`): the role may take `actions` on `compartments` when
/// every condition holds. Deny by default: what no allow rule matches is denied.
public struct AllowRule: Sendable, Equatable {
    /// Unique name (`name` key), shown in decision traces.
    public let name: String
    /// The role whose subjects the rule permits.
    public let role: Role
    /// Permitted actions (non-empty).
    public let actions: Set<Action>
    /// Compartments the actions are permitted on; empty exactly when every action is vault-wide
    /// (`administer`, `audit`).
    public let compartments: Set<Compartment>
    /// When present, the request's profile must be one of these (a request with no profile does not match).
    public let profiles: Set<String>?
    /// When present, the resource's case id must be one of these.
    public let cases: Set<String>?
    /// When present, the resource's classification must be at most this level.
    public let maxClassification: String?
    /// When true, every witness of the resource must have consented to the request's recipient.
    public let requiresConsent: Bool
    /// When present, matches only if the request reveals an identity (`true`) or does not (`false`); see
    /// `PolicyRequest` for when a request reveals one.
    public let revealsIdentity: Bool?
    /// Obligations the permit carries (the language allows `quorum`).
    public let obligations: [Obligation]
    /// Where the rule is in the policy file (`roles.investigator.allow[2]`).
    public let keyPath: String
}
