import Testing
@testable import VaultPolicy

/// A rule that always says the same thing.
struct Fixed: PolicyRule {
    let outcome: RuleOutcome
    init(_ outcome: RuleOutcome) { self.outcome = outcome }
    func evaluate(_ request: PolicyRequest) -> RuleOutcome { outcome }

    static func permit(_ name: String, _ obligations: [Obligation] = []) -> Fixed {
        Fixed(.permit(obligations, [AppliedRule(name, .permit, name)]))
    }
    static func deny(_ name: String) -> Fixed { Fixed(.deny(name, [AppliedRule(name, .deny, name)])) }
    static let silent = Fixed(.notApplicable)
}

/// A rule that permits only the named action.
struct OnlyAction: PolicyRule {
    let action: Action
    func evaluate(_ request: PolicyRequest) -> RuleOutcome {
        request.action == action ? .permit([], [AppliedRule("only-\(action.rawValue)", .permit, "")]) : .notApplicable
    }
}

@Suite struct RuleCompositionTests {
    let request = PolicyRequest(subject: .member(.investigator), action: .view, resource: Resource(compartments: [.media]))

    @Test func allOfStopsAtTheFirstDenyAndUnitesObligations() {
        let denied = AllOf { Fixed.permit("a"); Fixed.deny("b"); Fixed.deny("c") }.evaluate(request)
        #expect(denied == .deny("b", [AppliedRule("b", .deny, "b")]))
        let permitted = AllOf {
            Fixed.permit("a", [.quorum]); Fixed.silent; Fixed.permit("b", [.quorum, .applyProfile("public")])
        }.evaluate(request)
        #expect(permitted.verdict == .permit(obligations: [.quorum, .applyProfile("public")]))
        #expect(permitted.trace.map(\.name) == ["a", "b"])
        #expect(AllOf { Fixed.silent; Fixed.silent }.evaluate(request) == .notApplicable)
        #expect(AllOf([]).evaluate(request) == .notApplicable)
    }

    @Test func anyOfTakesTheFirstPermit() {
        #expect(AnyOf { Fixed.deny("a"); Fixed.permit("b"); Fixed.permit("c") }.evaluate(request).trace.map(\.name) == ["b"])
        let denied = AnyOf { Fixed.deny("a"); Fixed.silent; Fixed.deny("b") }.evaluate(request)
        #expect(denied.verdict == .deny(reason: "a; b"))
        #expect(denied.trace.map(\.name) == ["a", "b"])
        #expect(AnyOf { Fixed.silent }.evaluate(request) == .notApplicable)
    }

    @Test func denyOverridesEvenWhenAPermitComesFirst() {
        let outcome = DenyOverrides { Fixed.permit("a"); Fixed.deny("b"); Fixed.permit("c"); Fixed.deny("d") }.evaluate(request)
        #expect(outcome.verdict == .deny(reason: "b; d"))
        #expect(outcome.trace.map(\.name) == ["b", "d"])
        let permitted = DenyOverrides { Fixed.permit("a", [.quorum]); Fixed.silent }.evaluate(request)
        #expect(permitted.verdict == .permit(obligations: [.quorum]))
    }

    @Test func defaultDenyTurnsSilenceIntoADeny() {
        let outcome = DefaultDeny(reason: "nothing permits this", Fixed.silent).evaluate(request)
        #expect(outcome == .deny("nothing permits this", [AppliedRule("default-deny", .deny, "nothing permits this")]))
        #expect(DefaultDeny(reason: "x", Fixed.permit("a")).evaluate(request).verdict == .permit(obligations: []))
    }

    @Test func builderSupportsConditionsAndLoops() {
        let strict = true
        let composed = DefaultDeny(reason: "default", AnyOf {
            if strict { Fixed.deny("strict") } else { Fixed.permit("lenient") }
            for action in [Action.audit, .view] { OnlyAction(action: action) }
        })
        #expect(composed.evaluate(request).trace.map(\.name) == ["only-view"])
        var ingest = request
        ingest.action = .ingest
        #expect(composed.evaluate(ingest).verdict == .deny(reason: "strict"))
    }

    @Test func thePolicyRuleIsTheComposition() {
        let policy = Policy.builtIn
        let decision = policy.decide(request)
        let outcome = policy.rule.evaluate(request)
        #expect(decision.verdict == .permit(obligations: []))
        #expect(outcome.trace == decision.rules)
    }

    @Test func obligationsRoundTripTheirSpelling() {
        let all: [Obligation] = [.quorum, .applyProfile("public"), .approvals(2), .approvalBy(.protectionOfficer),
                                 .courtOrder("OP-7")]
        for obligation in all { #expect(Obligation(obligation.description) == obligation) }
        #expect(all.map(\.description) == ["quorum", "profile=public", "approvals=2", "approval-by=protection-officer",
                                           "court-order=OP-7"])
        for bad in ["", "quorum=1", "approvals=0", "approvals=x", "approval-by=judge", "profile=", "colour=red"] {
            #expect(Obligation(bad) == nil, "\(bad)")
        }
    }

    @Test func subjectsCombineMemberAndCustodianRoles() {
        #expect(Subject(keyID: "k", role: .auditor, isCustodian: true).roles == [.custodian, .auditor])
        #expect(Subject(keyID: "k", role: nil).roles == [])
        #expect(Subject(keyID: "k", role: .custodian, isCustodian: true).roles == [.custodian])
    }
}
