/// An explicit deny (`[[deny]]`): when every present matcher holds, the request is denied with `reason`,
/// whatever any allow rule says. Absent matchers match everything.
public struct DenyRule: Sendable, Equatable {
    /// Unique name (`name` key), shown in decision traces.
    public let name: String
    /// Roles the rule applies to; nil means every subject, custodians included.
    public let roles: Set<Role>?
    /// Actions the rule denies (non-empty).
    public let actions: Set<Action>
    /// Compartments; nil means any (and requests with none).
    public let compartments: Set<Compartment>?
    /// Profiles; nil means any (and requests with none).
    public let profiles: Set<String>?
    /// Case ids; nil means any.
    public let cases: Set<String>?
    /// When present, matches resources classified at this level or above.
    public let minClassification: String?
    /// When present, matches only if the request reveals an identity (`true`) or does not (`false`).
    public let revealsIdentity: Bool?
    /// When present, matches only if the request releases an original that reveals its source (`true`) or
    /// does not (`false`).
    public let revealsSource: Bool?
    /// Why: the text of the deny decision (required).
    public let reason: String
    /// Where the rule is in the policy file (`deny[0]`).
    public let keyPath: String
}
