/// What one rule says about a request: permit (with obligations), deny (with a reason), or nothing
/// (`notApplicable`, the rule does not speak to this request). Every outcome carries the trace of the rules
/// behind it.
public struct RuleOutcome: Sendable, Equatable {
    /// What the rule says.
    public enum Verdict: Sendable, Equatable {
        case permit(obligations: [Obligation])
        case deny(reason: String)
        case notApplicable
    }

    /// What the rule says.
    public var verdict: Verdict
    /// The rules behind the verdict, in evaluation order.
    public var trace: [AppliedRule]

    /// An outcome from its parts.
    public init(_ verdict: Verdict, trace: [AppliedRule] = []) {
        self.verdict = verdict
        self.trace = trace
    }

    /// A permit with `obligations`, traced by `trace`.
    public static func permit(_ obligations: [Obligation] = [], _ trace: [AppliedRule]) -> RuleOutcome {
        RuleOutcome(.permit(obligations: obligations), trace: trace)
    }

    /// A deny with `reason`, traced by `trace`.
    public static func deny(_ reason: String, _ trace: [AppliedRule]) -> RuleOutcome {
        RuleOutcome(.deny(reason: reason), trace: trace)
    }

    /// The rule does not speak to the request.
    public static let notApplicable = RuleOutcome(.notApplicable)
}
