import Testing
@testable import VaultPolicy

/// Every role × action × profile × compartment against the default policy.
@Suite struct DecisionTableTests {
    /// What the default policy permits: `role action target profiles`, where target is a compartment or
    /// `vault` (administer, audit) and profiles is `*` (any, including none) or a comma list. Everything not
    /// listed must be denied. Requests carry a witness who consented to `demo-tribunal`, an original that
    /// reveals its source, recipient `demo-tribunal`, and a requester other than the subject.
    static let permitted: [String] = [
        "custodian administer vault *",
        "custodian audit vault *",
        "collector ingest media *",
        "collector ingest case *",
        "collector ingest identity *",
        "investigator ingest media *",
        "investigator ingest case *",
        "investigator ingest identity *",
        "investigator view media *",
        "investigator view case *",
        "investigator annotate media *",
        "investigator export media public",
        "investigator export case public",
        "protection-officer ingest case *",
        "protection-officer ingest identity *",
        "protection-officer view media *",
        "protection-officer view case *",
        "protection-officer view identity *",
        "protection-officer record-consent case *",
        "protection-officer approve media tribunal-full",
        "protection-officer approve identity tribunal-protected,tribunal-full,public",
        "legal-officer view media *",
        "legal-officer view case *",
        "legal-officer disclose media tribunal-protected,tribunal-full,public",
        "legal-officer disclose case tribunal-protected,tribunal-full,public",
        "legal-officer disclose identity tribunal-protected,tribunal-full,public",
        "legal-officer approve media tribunal-protected,tribunal-full,public",
        "legal-officer approve case tribunal-protected,tribunal-full,public",
        "legal-officer approve identity tribunal-protected,tribunal-full,public",
        "auditor audit vault *",
    ]

    static let profiles: [String?] = [nil, "tribunal-protected", "tribunal-full", "public"]

    static func expectation() -> Set<String> {
        var out = Set<String>()
        for line in permitted {
            let parts = line.split(separator: " ").map(String.init)
            let names = parts[3] == "*" ? profiles.map { $0 ?? "none" } : parts[3].split(separator: ",").map(String.init)
            for name in names { out.insert("\(parts[0]) \(parts[1]) \(parts[2]) \(name)") }
        }
        return out
    }

    static func subject(_ role: Role) -> Subject {
        role == .custodian ? Subject(keyID: "k-subject", role: nil, isCustodian: true) : .member(role)
    }

    static func request(_ role: Role, _ action: Action, _ target: String, _ profile: String?,
                        consent: [String]) -> PolicyRequest {
        let resource: Resource = target == "vault" ? .vault : Resource(
            compartments: [Compartment(rawValue: target)!], label: "item 1", caseID: "C-1",
            witnesses: [WitnessFacts(pseudonym: "W-0001", consent: consent)], originalRevealsSource: true)
        return PolicyRequest(subject: subject(role), action: action, resource: resource,
                             context: RequestContext(profile: profile, recipient: "demo-tribunal",
                                                     requester: "k-requester"))
    }

    static func targets(_ action: Action) -> [String] {
        action.concernsContent ? Compartment.allCases.map(\.rawValue) : ["vault"]
    }

    @Test func everyRoleActionProfileAndCompartment() {
        let expected = DecisionTableTests.expectation()
        var checked = 0
        var permits = 0
        for role in Role.allCases {
            for action in Action.allCases {
                for target in DecisionTableTests.targets(action) {
                    for profile in DecisionTableTests.profiles {
                        let key = "\(role.rawValue) \(action.rawValue) \(target) \(profile ?? "none")"
                        let decision = Policy.builtIn.decide(DecisionTableTests.request(role, action, target, profile,
                                                                                         consent: ["demo-tribunal"]))
                        #expect(decision.isPermit == expected.contains(key), "\(key)\n\(decision.render())")
                        #expect(decision.render().hasPrefix(decision.isPermit ? "permit\n" : "deny\n"))
                        #expect(!decision.rules.isEmpty, "\(key): a decision names its rules")
                        if !decision.isPermit { #expect(decision.reason?.isEmpty == false) }
                        checked += 1
                        if decision.isPermit { permits += 1 }
                    }
                }
            }
        }
        #expect(checked == Role.allCases.count * (7 * 3 + 2) * 4)
        #expect(permits == expected.count)
    }

    /// The same table when the witness has not consented to the recipient: every release that reveals an
    /// identity (the identity compartment, or a source-revealing original under tribunal-full) is denied.
    @Test func withoutConsentIdentityReleasesAreDenied() {
        let expected = DecisionTableTests.expectation().filter { key in
            let parts = key.split(separator: " ").map(String.init)
            guard ["export", "disclose", "approve"].contains(parts[1]) else { return true }
            return !(parts[2] == "identity" || (parts[2] == "media" && parts[3] == "tribunal-full"))
        }
        for role in Role.allCases {
            for action in Action.allCases {
                for target in DecisionTableTests.targets(action) {
                    for profile in DecisionTableTests.profiles {
                        let key = "\(role.rawValue) \(action.rawValue) \(target) \(profile ?? "none")"
                        let decision = Policy.builtIn.decide(DecisionTableTests.request(role, action, target, profile,
                                                                                         consent: ["other-tribunal"]))
                        #expect(decision.isPermit == expected.contains(key), "\(key)\n\(decision.render())")
                    }
                }
            }
        }
    }

    @Test func obligationsOfTypicalPermits() {
        let policy = Policy.builtIn
        let administer = policy.decide(DecisionTableTests.request(.custodian, .administer, "vault", nil, consent: []))
        #expect(administer.obligations == [.quorum])
        #expect(administer.isComplete)
        let export = policy.decide(DecisionTableTests.request(.investigator, .export, "media", "public", consent: []))
        #expect(export.obligations == [.applyProfile("public")])
        let disclose = policy.decide(DecisionTableTests.request(.legalOfficer, .disclose, "media", "tribunal-full",
                                                                consent: ["demo-tribunal"]))
        #expect(disclose.obligations == [.applyProfile("tribunal-full"), .approvals(1), .approvalBy(.protectionOfficer)])
        #expect(disclose.isPermit && !disclose.isComplete)
        let view = policy.decide(DecisionTableTests.request(.investigator, .view, "media", nil, consent: []))
        #expect(view.verdict == .permit(obligations: []))
        #expect(view.rules == [AppliedRule("investigator-view", .permit, "investigator may view media")])
    }
}
