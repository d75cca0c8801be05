extension Policy {
    /// The rule an approval must satisfy: the policy's vocabulary, its explicit denies, an allow rule for
    /// `approve`, the release requirements, and not approving one's own request.
    public var approvalRule: any PolicyRule {
        AllOf {
            VocabularyCheck(self)
            DenyOverrides(denyRules.map { ExplicitDeny($0, policy: self) })
            RolePermission(self)
            ReleaseRequirements(self)
            ApproverIndependence(self)
        }
    }

    /// The whole policy as one composed rule, deny by default:
    /// vocabulary → explicit denies (any deny wins) → role permissions → release requirements → approver
    /// independence → approval count.
    public var rule: any PolicyRule {
        DefaultDeny(reason: "no rule permits this request", AllOf {
            VocabularyCheck(self)
            DenyOverrides(denyRules.map { ExplicitDeny($0, policy: self) })
            RolePermission(self)
            ReleaseRequirements(self)
            ApproverIndependence(self)
            ApprovalCount(self, approver: approvalRule)
        })
    }

    /// Decides `request`. Never throws: what the policy does not know is denied.
    public func decide(_ request: PolicyRequest) -> Decision {
        let outcome = rule.evaluate(request)
        switch outcome.verdict {
        case let .permit(obligations): return .permit(obligations: obligations, rules: outcome.trace)
        case let .deny(reason): return .deny(reason: reason, rules: outcome.trace)
        case .notApplicable:
            return .deny(reason: "no rule permits this request", rules: outcome.trace)
        }
    }

    /// Decides whether `subject` may take `action` on `resource` in `context`.
    public func decide(_ subject: Subject, _ action: Action, _ resource: Resource,
                       _ context: RequestContext = RequestContext()) -> Decision {
        decide(PolicyRequest(subject: subject, action: action, resource: resource, context: context))
    }
}
