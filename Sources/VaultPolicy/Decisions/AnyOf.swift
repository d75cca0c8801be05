/// The first rule that permits wins; if none does, deny with every deny reason joined by `; `, or
/// `notApplicable` when none speaks.
public struct AnyOf: PolicyRule {
    /// The rules combined, in evaluation order.
    public let rules: [any PolicyRule]

    /// Combines `rules`, evaluated in this order.
    public init(_ rules: [any PolicyRule]) { self.rules = rules }
    /// Combines the rules the builder lists, evaluated in order.
    public init(@PolicyRuleBuilder _ build: () -> [any PolicyRule]) { self.rules = build() }

    /// What the rule says about `request` (see the type's description).
    public func evaluate(_ request: PolicyRequest) -> RuleOutcome {
        var reasons: [String] = []
        var trace: [AppliedRule] = []
        for rule in rules {
            let outcome = rule.evaluate(request)
            switch outcome.verdict {
            case .permit: return outcome
            case let .deny(reason):
                reasons.append(reason)
                trace += outcome.trace
            case .notApplicable: continue
            }
        }
        return reasons.isEmpty ? .notApplicable : .deny(reasons.joined(separator: "; "), trace)
    }
}
