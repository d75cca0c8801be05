import Testing
@testable import VaultPolicy

/// Consent, court orders, protective measures, approvals and explicit denies.
@Suite struct DisclosureTests {
    let policy = Policy.builtIn
    let legal = Subject(keyID: "k-legal", role: .legalOfficer)

    func original(_ witnesses: [WitnessFacts], regions: [String] = []) -> Resource {
        Resource(compartments: [.media], label: "item 1", caseID: "C-1", witnesses: witnesses,
                 originalRevealsSource: true, regionCategories: regions)
    }

    func context(_ profile: String = "tribunal-full", recipient: String? = "demo-tribunal",
                 approvals: [Approval] = [], order: CourtOrder? = nil) -> RequestContext {
        RequestContext(profile: profile, recipient: recipient, approvals: approvals, courtOrder: order)
    }

    @Test func consentIsComparedAfterNormalisation() {
        // The consent list spells the recipient in NFD and with spaces; the request in NFC.
        let nfd = "محكمة\u{0627}\u{0653}"
        let nfc = "محكمة\u{0622}"
        #expect(Array(nfd.unicodeScalars) != Array(nfc.unicodeScalars))
        let witness = WitnessFacts(pseudonym: "W-0001", consent: ["  " + nfd + " "])
        #expect(witness.consents(to: nfc))
        #expect(!witness.consents(to: nfc + "x"))
        #expect(!witness.consents(to: ""))
        let decision = policy.decide(legal, .disclose, original([witness]),
                                     context(recipient: nfc, approvals: [Approval(keyID: "k-po", role: .protectionOfficer)]))
        #expect(decision.isComplete, "\(decision.render())")
    }

    @Test func everySourceMustConsent() {
        let decision = policy.decide(legal, .disclose, original([
            WitnessFacts(pseudonym: "W-0001", consent: ["demo-tribunal"]),
            WitnessFacts(pseudonym: "W-0002", consent: ["other-tribunal"]),
        ]), context())
        #expect(decision.reason == "witness W-0002 has not consented to release to demo-tribunal")
        #expect(decision.rules.map(\.name) == ["disclosure.identity-consent"])
    }

    @Test func anOriginalThatRevealsAnUnknownSourceIsDenied() {
        let decision = policy.decide(legal, .disclose, original([]), context())
        #expect(!decision.isPermit)
        #expect(decision.reason?.contains("no source is known") == true)
    }

    @Test func anOriginalThatRevealsNoSourceNeedsNoConsent() {
        var resource = original([WitnessFacts(pseudonym: "W-0001")])
        resource.originalRevealsSource = false
        let decision = policy.decide(legal, .disclose, resource,
                                     context(approvals: [Approval(keyID: "k-legal-2", role: .legalOfficer)]))
        #expect(decision.isComplete)
        #expect(decision.obligations == [.applyProfile("tribunal-full")])
    }

    @Test func courtOrderMustCoverWitnessAndRecipient() {
        let witness = WitnessFacts(pseudonym: "W-0001", consent: [])
        let po = Approval(keyID: "k-po", role: .protectionOfficer)
        let covering = CourtOrder(operationID: "OP-7", recipient: "demo-tribunal", witnesses: ["W-0001"])
        let permitted = policy.decide(legal, .disclose, original([witness]), context(approvals: [po], order: covering))
        #expect(permitted.isComplete)
        #expect(permitted.obligations.contains(.courtOrder("OP-7")))
        #expect(permitted.rules.contains { $0.name == "disclosure.court-order-override" })

        let otherWitness = CourtOrder(operationID: "OP-8", recipient: "demo-tribunal", witnesses: ["W-0009"])
        #expect(!policy.decide(legal, .disclose, original([witness]), context(approvals: [po], order: otherWitness)).isPermit)
        let otherRecipient = CourtOrder(operationID: "OP-9", recipient: "other-tribunal", witnesses: ["W-0001"])
        #expect(!policy.decide(legal, .disclose, original([witness]), context(approvals: [po], order: otherRecipient)).isPermit)

        // With court-order-override = false, the order does not help.
        let strict = try! Policy(parsing: Fixture.defaultPolicy(replacing: "court-order-override = true",
                                                                 with: "court-order-override = false"))
        #expect(!strict.decide(legal, .disclose, original([witness]), context(approvals: [po], order: covering)).isPermit)
    }

    @Test func courtOrderDoesNotLiftProtectiveMeasures() {
        let witness = WitnessFacts(pseudonym: "W-0002", consent: ["demo-tribunal"], protectiveMeasures: ["pseudonym-only"])
        let order = CourtOrder(operationID: "OP-7", recipient: "demo-tribunal", witnesses: ["W-0002"])
        let decision = policy.decide(legal, .disclose, original([witness]), context(order: order))
        #expect(decision.rules.map(\.name) == ["measures.pseudonym-only"])
        // A derivative of the same item is fine: the measure withholds originals only.
        let derivative = policy.decide(legal, .disclose, original([witness]), context("tribunal-protected"))
        #expect(derivative.isPermit)
    }

    @Test func measureNamesAreNormalised() {
        let witness = WitnessFacts(pseudonym: "W-0002", consent: ["demo-tribunal"], protectiveMeasures: [" pseudonym-only\n"])
        let decision = policy.decide(legal, .disclose, original([witness]), context())
        #expect(decision.rules.map(\.name) == ["measures.pseudonym-only"])
    }

    @Test func imageDistortionBlocksOriginalsOnlyWithSuchRegions() {
        let witness = WitnessFacts(pseudonym: "W-0003", consent: ["demo-tribunal"], protectiveMeasures: ["image-distortion"])
        #expect(!policy.decide(legal, .disclose, original([witness], regions: ["A"]), context()).isPermit)
        #expect(policy.decide(legal, .disclose, original([witness], regions: ["C"]), context()).isPermit)
    }

    @Test func approvalsAreCountedOncePerKeyAndOnlyWhenPermitted() {
        let resource = Resource(compartments: [.media, .case], label: "case C-1", caseID: "C-1")
        func obligations(_ approvals: [Approval]) -> [Obligation] {
            policy.decide(legal, .disclose, resource, context("tribunal-protected", approvals: approvals)).obligations
        }
        #expect(obligations([]) == [.applyProfile("tribunal-protected"), .approvals(1)])
        #expect(obligations([Approval(keyID: "k-legal", role: .legalOfficer)]).contains(.approvals(1)))
        #expect(obligations([Approval(keyID: "k-inv", role: .investigator)]).contains(.approvals(1)))
        #expect(obligations([Approval(keyID: "k-cust", role: nil, isCustodian: true)]).contains(.approvals(1)))
        // A protection officer may approve only releases that reveal identities.
        #expect(obligations([Approval(keyID: "k-po", role: .protectionOfficer)]).contains(.approvals(1)))
        #expect(obligations([Approval(keyID: "k-l2", role: .legalOfficer)]) == [.applyProfile("tribunal-protected")])

        let two = try! Policy(parsing: Fixture.defaultPolicy(replacing: "approvals = 1 ", with: "approvals = 2 "))
        let twice = [Approval(keyID: "k-l2", role: .legalOfficer), Approval(keyID: "k-l2", role: .legalOfficer)]
        #expect(two.decide(legal, .disclose, resource, context("tribunal-protected", approvals: twice)).obligations
                == [.applyProfile("tribunal-protected"), .approvals(1)])
        let distinct = [Approval(keyID: "k-l2", role: .legalOfficer), Approval(keyID: "k-l3", role: .legalOfficer)]
        #expect(two.decide(legal, .disclose, resource, context("tribunal-protected", approvals: distinct)).isComplete)
    }

    @Test func requesterApprovalCountsWhenThePolicySaysSo() {
        let lenient = try! Policy(parsing: Fixture.defaultPolicy(replacing: "distinct-from-requester = true",
                                                                  with: "distinct-from-requester = false"))
        let resource = Resource(compartments: [.media], label: "item 1")
        let own = [Approval(keyID: "k-legal", role: .legalOfficer)]
        #expect(lenient.decide(legal, .disclose, resource, context("tribunal-protected", approvals: own)).isComplete)
        #expect(!policy.decide(legal, .disclose, resource, context("tribunal-protected", approvals: own)).isComplete)
        let approve = RequestContext(profile: "tribunal-protected", recipient: "demo-tribunal", requester: "k-legal")
        #expect(lenient.decide(legal, .approve, resource, approve).isPermit)
        #expect(!policy.decide(legal, .approve, resource, approve).isPermit)
        var anonymous = approve
        anonymous.requester = nil
        #expect(policy.decide(Subject(keyID: "k-l2", role: .legalOfficer), .approve, resource, anonymous).reason?
            .contains("must name the requester") == true)
    }

    @Test func explicitDenyWinsOverAnAllow() throws {
        // Give collectors a view permission: the explicit deny still wins.
        let text = Fixture.defaultPolicy(
            replacing: "name = \"collector-ingest\"\nactions = [\"ingest\"]",
            with: "name = \"collector-ingest\"\nactions = [\"ingest\", \"view\"]")
        let edited = try Policy(parsing: text)
        let decision = edited.decide(.member(.collector), .view, Resource(compartments: [.media]))
        #expect(decision.reason == "collectors seal evidence but never read it back")
        #expect(decision.rules.map(\.name) == ["collectors-are-write-only"])
        // Without the deny rule, the new allow would permit.
        let withoutDeny = try Policy(parsing: text.replacingOccurrences(
            of: "name = \"collectors-are-write-only\"\nroles = [\"collector\"]\nactions = [\"view\", ",
            with: "name = \"collectors-are-write-only\"\nroles = [\"collector\"]\nactions = ["))
        #expect(withoutDeny.decide(.member(.collector), .view, Resource(compartments: [.media])).isPermit)
    }

    @Test func denyRuleMatchersNarrowTheRule() throws {
        let text = Fixture.defaultPolicy(replacing: "# Disclosure requirements.", with: """
            [[deny]]
            name = "case-c9-sealed"
            actions = ["view"]
            cases = ["C-9"]
            compartments = ["case"]
            reason = "case C-9 is sealed by court order"

            # Disclosure requirements.
            """)
        let edited = try Policy(parsing: text)
        let investigator = Subject.member(.investigator)
        #expect(!edited.decide(investigator, .view, Resource(compartments: [.case], caseID: "C-9")).isPermit)
        #expect(edited.decide(investigator, .view, Resource(compartments: [.case], caseID: "C-1")).isPermit)
        #expect(edited.decide(investigator, .view, Resource(compartments: [.media], caseID: "C-9")).isPermit)
        #expect(!edited.decide(.member(.custodian, custodian: true), .view, Resource(compartments: [.case], caseID: "C-9")).isPermit)
    }

    @Test func allowConditionsOnCasesClassificationAndConsent() throws {
        let text = Fixture.defaultPolicy(replacing: "[roles.auditor]", with: """
            [[roles.legal-officer.allow]]
            name = "legal-officer-export-consented"
            actions = ["export"]
            compartments = ["media"]
            profiles = ["tribunal-protected"]
            cases = ["C-1"]
            max-classification = "normal"
            consent = true

            [roles.auditor]
            """)
        let edited = try Policy(parsing: text)
        let consented = [WitnessFacts(pseudonym: "W-0001", consent: ["demo-tribunal"])]
        func decide(case id: String = "C-1", classification: String? = nil, witnesses: [WitnessFacts] = consented,
                    recipient: String? = "demo-tribunal") -> Decision {
            edited.decide(legal, .export, Resource(compartments: [.media], caseID: id, classification: classification,
                                                   witnesses: witnesses),
                          RequestContext(profile: "tribunal-protected", recipient: recipient))
        }
        #expect(decide().isPermit)
        #expect(decide().rules.first?.name == "legal-officer-export-consented")
        #expect(!decide(case: "C-2").isPermit)
        #expect(!decide(classification: "restricted").isPermit)
        #expect(decide(classification: "normal").isPermit)
        #expect(!decide(witnesses: [WitnessFacts(pseudonym: "W-0001", consent: ["other"])]).isPermit)
        #expect(!decide(recipient: nil).isPermit)
        let unknown = decide(classification: "top-secret")
        #expect(unknown.rules.map(\.name) == ["vocabulary"])
    }

    @Test func exportOfAnIdentityIsDeniedEvenWithConsent() {
        let decision = policy.decide(.member(.legalOfficer), .export,
                                     Resource(compartments: [.case, .identity],
                                              witnesses: [WitnessFacts(pseudonym: "W-0001", consent: ["demo-tribunal"])]),
                                     context())
        #expect(decision.rules.contains { $0.name == "identities-leave-only-by-disclosure" })
    }

    @Test func releasesNeedAProfile() {
        let decision = policy.decide(legal, .disclose, Resource(compartments: [.media]), RequestContext(recipient: "demo-tribunal"))
        #expect(decision.rules.map(\.name) == ["release.profile"])
        #expect(decision.reason == "a release needs a redaction profile")
        // With an allow rule that takes any profile, the release requirement still refuses a missing one.
        let edited = try! Policy(parsing: Fixture.defaultPolicy(replacing: "[roles.auditor]", with: """
            [[roles.legal-officer.allow]]
            name = "legal-officer-export-anything"
            actions = ["export"]
            compartments = ["media"]

            [roles.auditor]
            """))
        let bare = edited.decide(legal, .export, Resource(compartments: [.media]), RequestContext())
        #expect(bare.rules.map(\.name) == ["release.profile"])
    }

    @Test func renderStartsWithTheVerdictAndListsRules() {
        let permit = policy.decide(legal, .disclose, original([WitnessFacts(pseudonym: "W-0001", consent: ["demo-tribunal"])]),
                                   context())
        #expect(permit.render() == """
            permit
            obligation: profile=tribunal-full
            obligation: approvals=1
            obligation: approval-by=protection-officer
            rule: permit legal-officer-disclose: legal-officer may disclose media under profile tribunal-full
            rule: permit profiles.tribunal-full: released under profile tribunal-full
            rule: permit disclosure.identity-consent: witness W-0001 consented to demo-tribunal
            rule: permit disclosure.approvals: 0 of 1 approvals besides the requester's

            """)
        let deny = policy.decide(.member(.auditor), .view, Resource(compartments: [.media]))
        #expect(deny.render() == """
            deny
            reason: auditors read and verify the audit log and nothing else
            rule: deny auditors-see-no-content: auditors read and verify the audit log and nothing else

            """)
    }
}
