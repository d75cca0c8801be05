/// The allow rules of the subject's roles: for a content action, every compartment of the resource needs an
/// allow rule of one of the subject's roles whose conditions hold; for `administer` and `audit`, one rule.
/// Denies (deny by default) naming what no rule permits.
public struct RolePermission: PolicyRule {
    /// The policy this rule reads.
    public let policy: Policy

    /// A rule over `policy`.
    public init(_ policy: Policy) { self.policy = policy }

    /// What the rule says about `request` (see the type's description).
    public func evaluate(_ request: PolicyRequest) -> RuleOutcome {
        let roles = request.subject.roles
        let who = Role.describe(roles)
        func deny(_ reason: String) -> RuleOutcome { .deny(reason, [AppliedRule("default-deny", .deny, reason)]) }
        guard !roles.isEmpty else { return deny("key \(request.subject.keyID) holds no role") }
        let facts = RequestFacts(request, policy)
        let underProfile = request.context.profile.map { " under profile \($0)" } ?? ""
        var obligations: [Obligation] = []
        var trace: [AppliedRule] = []
        let targets: [Compartment?] = request.action.concernsContent
            ? request.resource.compartments.sorted().map { $0 } : [nil]
        guard !targets.isEmpty else { return deny("the request names no compartment") }
        for compartment in targets {
            let what = compartment.map { "\(request.action.rawValue) \($0.rawValue)" } ?? request.action.rawValue
            guard let rule = policy.allowRules.first(where: {
                roles.contains($0.role) && matches($0, request, compartment: compartment, facts: facts)
            }) else {
                return deny("no rule permits \(who) to \(what)\(underProfile)")
            }
            for obligation in rule.obligations where !obligations.contains(obligation) { obligations.append(obligation) }
            trace.append(AppliedRule(rule.name, .permit, "\(rule.role.rawValue) may \(what)\(underProfile)"))
        }
        return .permit(obligations, trace)
    }

    func matches(_ rule: AllowRule, _ request: PolicyRequest, compartment: Compartment?, facts: RequestFacts) -> Bool {
        guard rule.actions.contains(request.action) else { return false }
        if let compartment {
            guard rule.compartments.contains(compartment) else { return false }
        } else {
            guard rule.compartments.isEmpty else { return false }
        }
        if let profiles = rule.profiles {
            guard let profile = request.context.profile, profiles.contains(profile) else { return false }
        }
        if let cases = rule.cases {
            guard let caseID = request.resource.caseID, cases.contains(caseID) else { return false }
        }
        if let maximum = rule.maxClassification {
            guard let rank = facts.classificationRank, let ceiling = policy.classificationRank(maximum),
                  rank <= ceiling else { return false }
        }
        if rule.requiresConsent {
            guard let recipient = request.context.recipient,
                  request.resource.witnesses.allSatisfy({ $0.consents(to: recipient) }) else { return false }
        }
        if let wanted = rule.revealsIdentity, wanted != facts.revealsIdentity { return false }
        return true
    }
}
