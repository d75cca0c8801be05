/// What every release (`export`, `disclose`, `approve`) needs whoever asks: a profile; protective measures
/// respected; and, when it reveals an identity, a named recipient and each concerned witness's consent to that
/// recipient (or a court order, when the policy allows it). Says nothing about other actions.
public struct ReleaseRequirements: PolicyRule {
    /// The policy this rule reads.
    public let policy: Policy

    /// A rule over `policy`.
    public init(_ policy: Policy) { self.policy = policy }

    /// What the rule says about `request` (see the type's description).
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
                // The sources, when their identity or an original that reveals them is released; the
                // witnesses shown unmasked, always. A source's consent never decides what is shown of
                // someone else.
                var concerned = facts.revealsSource || resource.compartments.contains(.identity) ? resource.witnesses : []
                for shown in resource.shownWitnesses where !concerned.contains(where: { $0.pseudonym == shown.pseudonym }) {
                    concerned.append(shown)
                }
                for witness in concerned {
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
