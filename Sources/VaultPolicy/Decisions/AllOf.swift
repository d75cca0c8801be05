/// Every rule must agree: the first deny wins (evaluation stops there); otherwise permit with the union of
/// obligations if at least one rule permits; `notApplicable` when none speaks.
public struct AllOf: PolicyRule {
    /// The rules combined, in evaluation order.
    public let rules: [any PolicyRule]

    /// Combines `rules`, evaluated in this order.
    public init(_ rules: [any PolicyRule]) { self.rules = rules }
    /// Combines the rules the builder lists, evaluated in order.
    public init(@PolicyRuleBuilder _ build: () -> [any PolicyRule]) { self.rules = build() }

    /// What the rule says about `request` (see the type's description).
    public func evaluate(_ request: PolicyRequest) -> RuleOutcome {
        var obligations: [Obligation] = []
        var trace: [AppliedRule] = []
        var permitted = false
        for rule in rules {
            let outcome = rule.evaluate(request)
            switch outcome.verdict {
            case .deny: return outcome
            case let .permit(more):
                permitted = true
                for obligation in more where !obligations.contains(obligation) { obligations.append(obligation) }
                trace += outcome.trace
            case .notApplicable: continue
            }
        }
        return permitted ? .permit(obligations, trace) : .notApplicable
    }
}
