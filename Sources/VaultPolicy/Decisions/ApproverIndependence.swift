/// A requester may not approve its own disclosure (when `distinct-from-requester`), and an approval must say
/// whose request it approves. Says nothing about other actions.
public struct ApproverIndependence: PolicyRule {
    /// The policy this rule reads.
    public let policy: Policy

    /// A rule over `policy`.
    public init(_ policy: Policy) { self.policy = policy }

    /// What the rule says about `request` (see the type's description).
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
