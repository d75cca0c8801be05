/// Denies requests that name what the policy does not know: an unknown profile, classification, protective
/// measure or region category. Unknown facts fail closed. Otherwise says nothing.
public struct VocabularyCheck: PolicyRule {
    public let policy: Policy

    public init(_ policy: Policy) { self.policy = policy }

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

/// One explicit deny rule of the policy: deny with its reason when every present matcher holds.
public struct ExplicitDeny: PolicyRule {
    public let rule: DenyRule
    public let policy: Policy

    public init(_ rule: DenyRule, policy: Policy) {
        self.rule = rule
        self.policy = policy
    }

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

/// The allow rules of the subject's roles: for a content action, every compartment of the resource needs an
/// allow rule of one of the subject's roles whose conditions hold; for `administer` and `audit`, one rule.
/// Denies (deny by default) naming what no rule permits.
public struct RolePermission: PolicyRule {
    public let policy: Policy

    public init(_ policy: Policy) { self.policy = policy }

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

/// What every release (`export`, `disclose`, `approve`) needs whoever asks: a profile; protective measures
/// respected; and, when it reveals an identity, a named recipient and each concerned witness's consent to that
/// recipient (or a court order, when the policy allows it). Says nothing about other actions.
public struct ReleaseRequirements: PolicyRule {
    public let policy: Policy

    public init(_ policy: Policy) { self.policy = policy }

    public func evaluate(_ request: PolicyRequest) -> RuleOutcome {
        guard request.action.isRelease else { return .notApplicable }
        guard let profileName = request.context.profile, let profile = policy.profiles[profileName] else {
            let reason = "a release needs a redaction profile"
            return .deny(reason, [AppliedRule("release.profile", .deny, reason)])
        }
        let facts = RequestFacts(request, policy)
        let resource = request.resource
        var trace: [AppliedRule] = []
        var obligations: [Obligation] = []
        if request.action != .approve { obligations.append(.applyProfile(profileName)) }
        trace.append(AppliedRule("profiles.\(profileName)", .permit, "released under profile \(profileName)"))

        let releasesOriginal = profile.images.releaseOriginals && resource.compartments.contains(.media)
        if releasesOriginal {
            for witness in resource.witnesses {
                for listed in witness.protectiveMeasures {
                    guard let measure = policy.measure(named: listed) else { continue }
                    let name = measure.name
                    let forced = measure.alwaysMask.filter(resource.regionCategories.contains)
                    if measure.withholdOriginals || !forced.isEmpty {
                        let reason = measure.withholdOriginals
                            ? "witness \(witness.pseudonym) is under \(name): originals they are a source of are never released"
                            : "witness \(witness.pseudonym) is under \(name): regions \(forced.joined(separator: ", ")) must be masked, which an original cannot be"
                        return .deny(reason, [AppliedRule("measures.\(name)", .deny, reason)])
                    }
                }
            }
        }

        if facts.revealsIdentity {
            let what = facts.revealsSource ? "an original that reveals its source" : "an identity"
            guard let recipient = request.context.recipient,
                  !TextNormalisation.normalise(recipient).isEmpty else {
                let reason = "releasing \(what) needs a named recipient"
                return .deny(reason, [AppliedRule("disclosure.recipient", .deny, reason)])
            }
            if facts.revealsSource && resource.witnesses.isEmpty {
                let reason = "the original reveals its source, but no source is known whose consent could be checked"
                return .deny(reason, [AppliedRule("disclosure.identity-consent", .deny, reason)])
            }
            if policy.disclosure.identityConsent {
                for witness in resource.witnesses {
                    if witness.consents(to: recipient) {
                        trace.append(AppliedRule("disclosure.identity-consent", .permit,
                                                 "witness \(witness.pseudonym) consented to \(recipient)"))
                    } else if policy.disclosure.courtOrderOverride, let order = request.context.courtOrder,
                              order.covers(witness.pseudonym, for: recipient) {
                        let obligation = Obligation.courtOrder(order.operationID)
                        if !obligations.contains(obligation) { obligations.append(obligation) }
                        trace.append(AppliedRule("disclosure.court-order-override", .permit,
                                                 "court order \(order.operationID) replaces the consent of witness \(witness.pseudonym) for \(recipient)"))
                    } else {
                        let reason = "witness \(witness.pseudonym) has not consented to release to \(recipient)"
                        return .deny(reason, [AppliedRule("disclosure.identity-consent", .deny, reason)])
                    }
                }
            }
        }
        return .permit(obligations, trace)
    }
}

/// A requester may not approve its own disclosure (when `distinct-from-requester`), and an approval must say
/// whose request it approves. Says nothing about other actions.
public struct ApproverIndependence: PolicyRule {
    public let policy: Policy

    public init(_ policy: Policy) { self.policy = policy }

    public func evaluate(_ request: PolicyRequest) -> RuleOutcome {
        guard request.action == .approve else { return .notApplicable }
        guard let requester = request.context.requester else {
            let reason = "an approval must name the requester of the request it approves"
            return .deny(reason, [AppliedRule("disclosure.distinct-from-requester", .deny, reason)])
        }
        if policy.disclosure.distinctFromRequester && requester == request.subject.keyID {
            let reason = "the requester cannot approve its own request"
            return .deny(reason, [AppliedRule("disclosure.distinct-from-requester", .deny, reason)])
        }
        return .notApplicable
    }
}

/// Counts the approvals of a `disclose` request: distinct keys, not the requester's when the policy says so,
/// each one an approval the policy itself would permit (`approver`, evaluated as an `approve` request by that
/// key). Permits, with `approvals=N` and `approval-by=ROLE` obligations for what is still missing. Says
/// nothing about other actions.
public struct ApprovalCount: PolicyRule {
    public let policy: Policy
    /// The rule an approval must satisfy to count.
    public let approver: any PolicyRule

    public init(_ policy: Policy, approver: any PolicyRule) {
        self.policy = policy
        self.approver = approver
    }

    public func evaluate(_ request: PolicyRequest) -> RuleOutcome {
        guard request.action == .disclose else { return .notApplicable }
        let requirements = policy.disclosure
        let requester = request.context.requester ?? request.subject.keyID
        let facts = RequestFacts(request, policy)
        var seen = Set<String>()
        var counted: [Approval] = []
        var ignored: [String] = []
        for approval in request.context.approvals {
            guard seen.insert(approval.keyID).inserted else { continue }
            if requirements.distinctFromRequester && approval.keyID == requester {
                ignored.append("\(approval.keyID) (the requester)")
                continue
            }
            var asApproval = request
            asApproval.subject = approval.subject
            asApproval.action = .approve
            asApproval.context.requester = requester
            let outcome = approver.evaluate(asApproval)
            switch outcome.verdict {
            case .permit: counted.append(approval)
            case let .deny(reason): ignored.append("\(approval.keyID) (\(reason))")
            case .notApplicable: ignored.append("\(approval.keyID) (no rule permits it to approve)")
            }
        }
        var obligations: [Obligation] = []
        let remaining = requirements.approvals - counted.count
        if remaining > 0 { obligations.append(.approvals(remaining)) }
        if facts.revealsIdentity, let role = requirements.identityApprover,
           !counted.contains(where: { $0.subject.roles.contains(role) }) {
            obligations.append(.approvalBy(role))
        }
        var detail = "\(counted.count) of \(requirements.approvals) approvals besides the requester's"
        if !counted.isEmpty {
            detail += "; counted: " + counted.map { "\($0.keyID) (\(Role.describe($0.subject.roles)))" }
                .joined(separator: ", ")
        }
        if !ignored.isEmpty { detail += "; not counted: " + ignored.joined(separator: ", ") }
        return .permit(obligations, [AppliedRule("disclosure.approvals", .permit, detail)])
    }
}
