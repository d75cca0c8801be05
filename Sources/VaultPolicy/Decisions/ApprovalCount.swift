/// Counts the approvals of a `disclose` request: distinct keys, not the requester's when the policy says so,
/// each one an approval the policy itself would permit (`approver`, evaluated as an `approve` request by that
/// key). Permits, with `approvals=N` and `approval-by=ROLE` obligations for what is still missing. Says
/// nothing about other actions.
public struct ApprovalCount: PolicyRule {
    /// The policy this rule reads.
    public let policy: Policy
    /// The rule an approval must satisfy to count.
    public let approver: any PolicyRule

    /// Counts approvals under `policy`, each checked with `approver`.
    public init(_ policy: Policy, approver: any PolicyRule) {
        self.policy = policy
        self.approver = approver
    }

    /// What the rule says about `request` (see the type's description).
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
