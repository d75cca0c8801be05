/// One explicit deny rule of the policy: deny with its reason when every present matcher holds.
public struct ExplicitDeny: PolicyRule {
    /// The deny rule of the policy.
    public let rule: DenyRule
    /// The policy this rule reads.
    public let policy: Policy

    /// The explicit deny `rule` of `policy`.
    public init(_ rule: DenyRule, policy: Policy) {
        self.rule = rule
        self.policy = policy
    }

    /// What the rule says about `request` (see the type's description).
    public func evaluate(_ request: PolicyRequest) -> RuleOutcome {
        matches(request) ? .deny(rule.reason, [AppliedRule(rule.name, .deny, rule.reason)]) : .notApplicable
    }

    func matches(_ request: PolicyRequest) -> Bool {
        let facts = RequestFacts(request, policy)
        guard rule.actions.contains(request.action) else { return false }
        if let roles = rule.roles, roles.isDisjoint(with: request.subject.roles) { return false }
        if let compartments = rule.compartments, compartments.isDisjoint(with: request.resource.compartments) {
            return false
        }
        if let profiles = rule.profiles {
            guard let profile = request.context.profile, profiles.contains(profile) else { return false }
        }
        if let cases = rule.cases {
            guard let caseID = request.resource.caseID, cases.contains(caseID) else { return false }
        }
        if let minimum = rule.minClassification {
            // An unknown label counts as the highest level here (and VocabularyCheck denies it anyway).
            let rank = facts.classificationRank ?? Int.max
            guard let floor = policy.classificationRank(minimum), rank >= floor else { return false }
        }
        if let wanted = rule.revealsIdentity, wanted != facts.revealsIdentity { return false }
        if let wanted = rule.revealsSource, wanted != facts.revealsSource { return false }
        return true
    }
}
