/// Every rule is evaluated; any deny wins (all deny reasons joined by `; `, all their traces); otherwise
/// permit with the union of obligations if some rule permits; `notApplicable` when none speaks.
public struct DenyOverrides: PolicyRule {
    /// The rules combined, in evaluation order.
    public let rules: [any PolicyRule]

    /// Combines `rules`, evaluated in this order.
    public init(_ rules: [any PolicyRule]) { self.rules = rules }
    /// Combines the rules the builder lists, evaluated in order.
    public init(@PolicyRuleBuilder _ build: () -> [any PolicyRule]) { self.rules = build() }

    /// What the rule says about `request` (see the type's description).
    public func evaluate(_ request: PolicyRequest) -> RuleOutcome {
        var reasons: [String] = []
        var denyTrace: [AppliedRule] = []
        var obligations: [Obligation] = []
        var permitTrace: [AppliedRule] = []
        var permitted = false
        for rule in rules {
            let outcome = rule.evaluate(request)
            switch outcome.verdict {
            case let .deny(reason):
                reasons.append(reason)
                denyTrace += outcome.trace
            case let .permit(more):
                permitted = true
                for obligation in more where !obligations.contains(obligation) { obligations.append(obligation) }
                permitTrace += outcome.trace
            case .notApplicable: continue
            }
        }
        if !reasons.isEmpty { return .deny(reasons.joined(separator: "; "), denyTrace) }
        return permitted ? .permit(obligations, permitTrace) : .notApplicable
    }
}
