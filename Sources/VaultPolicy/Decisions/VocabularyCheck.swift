/// Denies requests that name what the policy does not know: an unknown profile, classification, protective
/// measure or region category. Unknown facts fail closed. Otherwise says nothing.
public struct VocabularyCheck: PolicyRule {
    /// The policy this rule reads.
    public let policy: Policy

    /// A rule over `policy`.
    public init(_ policy: Policy) { self.policy = policy }

    /// What the rule says about `request` (see the type's description).
    public func evaluate(_ request: PolicyRequest) -> RuleOutcome {
        func deny(_ reason: String) -> RuleOutcome { .deny(reason, [AppliedRule("vocabulary", .deny, reason)]) }
        if let profile = request.context.profile, policy.profiles[profile] == nil {
            return deny("unknown profile \"\(profile)\"")
        }
        if let label = request.resource.classification, policy.classificationRank(label) == nil {
            return deny("unknown classification \"\(label)\"")
        }
        for witness in request.resource.witnesses {
            for measure in witness.protectiveMeasures where policy.measure(named: measure) == nil {
                return deny("witness \(witness.pseudonym) is under protective measure \"\(measure)\", which the policy does not define")
            }
        }
        for code in request.resource.regionCategories where policy.categories[code] == nil {
            return deny("unknown region category \"\(code)\"")
        }
        return .notApplicable
    }
}
