/// What one rule says about a request: permit (with obligations), deny (with a reason), or nothing
/// (`notApplicable`, the rule does not speak to this request). Every outcome carries the trace of the rules
/// behind it.
public struct RuleOutcome: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        case permit(obligations: [Obligation])
        case deny(reason: String)
        case notApplicable
    }

    public var verdict: Verdict
    public var trace: [AppliedRule]

    public init(_ verdict: Verdict, trace: [AppliedRule] = []) {
        self.verdict = verdict
        self.trace = trace
    }

    public static func permit(_ obligations: [Obligation] = [], _ trace: [AppliedRule]) -> RuleOutcome {
        RuleOutcome(.permit(obligations: obligations), trace: trace)
    }

    public static func deny(_ reason: String, _ trace: [AppliedRule]) -> RuleOutcome {
        RuleOutcome(.deny(reason: reason), trace: trace)
    }

    public static let notApplicable = RuleOutcome(.notApplicable)
}

/// A small rule of the policy, evaluated over a request (swift-certificates' `VerifierPolicy` is the model:
/// results are values with reasons, rules compose with `AllOf`, `AnyOf`, `DenyOverrides` and
/// `PolicyRuleBuilder`).
public protocol PolicyRule: Sendable {
    /// What the rule says about `request`. Must not throw or trap: unknown facts give `deny`.
    func evaluate(_ request: PolicyRequest) -> RuleOutcome
}

/// Builds a list of rules from statements, as `@PolicyRuleBuilder` closures.
@resultBuilder
public enum PolicyRuleBuilder {
    public static func buildExpression(_ rule: any PolicyRule) -> [any PolicyRule] { [rule] }
    public static func buildExpression(_ rules: [any PolicyRule]) -> [any PolicyRule] { rules }
    public static func buildBlock(_ parts: [any PolicyRule]...) -> [any PolicyRule] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any PolicyRule]?) -> [any PolicyRule] { part ?? [] }
    public static func buildEither(first part: [any PolicyRule]) -> [any PolicyRule] { part }
    public static func buildEither(second part: [any PolicyRule]) -> [any PolicyRule] { part }
    public static func buildArray(_ parts: [[any PolicyRule]]) -> [any PolicyRule] { parts.flatMap { $0 } }
}

/// Every rule must agree: the first deny wins (evaluation stops there); otherwise permit with the union of
/// obligations if at least one rule permits; `notApplicable` when none speaks.
public struct AllOf: PolicyRule {
    public let rules: [any PolicyRule]

    public init(_ rules: [any PolicyRule]) { self.rules = rules }
    public init(@PolicyRuleBuilder _ build: () -> [any PolicyRule]) { self.rules = build() }

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

/// The first rule that permits wins; if none does, deny with every deny reason joined by `; `, or
/// `notApplicable` when none speaks.
public struct AnyOf: PolicyRule {
    public let rules: [any PolicyRule]

    public init(_ rules: [any PolicyRule]) { self.rules = rules }
    public init(@PolicyRuleBuilder _ build: () -> [any PolicyRule]) { self.rules = build() }

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

/// Every rule is evaluated; any deny wins (all deny reasons joined by `; `, all their traces); otherwise
/// permit with the union of obligations if some rule permits; `notApplicable` when none speaks.
public struct DenyOverrides: PolicyRule {
    public let rules: [any PolicyRule]

    public init(_ rules: [any PolicyRule]) { self.rules = rules }
    public init(@PolicyRuleBuilder _ build: () -> [any PolicyRule]) { self.rules = build() }

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

/// Deny by default: turns `notApplicable` into a deny with `reason`, traced as `name`.
public struct DefaultDeny: PolicyRule {
    public let name: String
    public let reason: String
    public let rule: any PolicyRule

    public init(name: String = "default-deny", reason: String, _ rule: any PolicyRule) {
        self.name = name
        self.reason = reason
        self.rule = rule
    }

    public func evaluate(_ request: PolicyRequest) -> RuleOutcome {
        let outcome = rule.evaluate(request)
        if case .notApplicable = outcome.verdict {
            return .deny(reason, outcome.trace + [AppliedRule(name, .deny, reason)])
        }
        return outcome
    }
}
