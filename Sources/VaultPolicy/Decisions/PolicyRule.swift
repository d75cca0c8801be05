/// A small rule of the policy, evaluated over a request (swift-certificates' `VerifierPolicy` is the model:
/// results are values with reasons, rules compose with `AllOf`, `AnyOf`, `DenyOverrides` and
/// `PolicyRuleBuilder`).
public protocol PolicyRule: Sendable {
    /// What the rule says about `request`. Must not throw or trap: unknown facts give `deny`.
    func evaluate(_ request: PolicyRequest) -> RuleOutcome
}
