/// Deny by default: turns `notApplicable` into a deny with `reason`, traced as `name`.
public struct DefaultDeny: PolicyRule {
    /// The name shown in traces.
    public let name: String
    /// Why, in words.
    public let reason: String
    /// The rule whose silence becomes a deny.
    public let rule: any PolicyRule

    /// Wraps `rule`; its `notApplicable` becomes a deny with `reason`, traced as `name`.
    public init(name: String = "default-deny", reason: String, _ rule: any PolicyRule) {
        self.name = name
        self.reason = reason
        self.rule = rule
    }

    /// What the rule says about `request` (see the type's description).
    public func evaluate(_ request: PolicyRequest) -> RuleOutcome {
        let outcome = rule.evaluate(request)
        if case .notApplicable = outcome.verdict {
            return .deny(reason, outcome.trace + [AppliedRule(name, .deny, reason)])
        }
        return outcome
    }
}
