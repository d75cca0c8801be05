import Testing
@testable import VaultPolicy

@Suite struct DefaultPolicyTests {
    @Test func builtInTextIsByteIdenticalToKeysExample() throws {
        let file = try Fixture.bytes("keys-example/policy.toml")
        #expect(Array(DefaultPolicy.text.utf8) == file)
        #expect(file.last == 0x0a)
    }

    @Test func builtInParsesAndEqualsTheFile() throws {
        let parsed = try Policy(parsing: try Fixture.bytes("keys-example/policy.toml"))
        #expect(parsed == Policy.builtIn)
        #expect(parsed.hash == Policy.builtIn.hash)
        #expect(parsed.hash.count == 32)
        #expect(parsed.hashHex.count == 64)
    }

    @Test func builtInHasTheProfilesRolesAndCodesOfTheDesign() {
        let policy = Policy.builtIn
        #expect(Set(policy.profiles.keys) == ["tribunal-protected", "tribunal-full", "public", "family-viewing"])
        #expect(policy.profiles["family-viewing"]?.images.watermark == true && policy.profiles["family-viewing"]?.images.maskCategories == ["A", "B", "D"])
        #expect(Set(policy.categories.keys) == ["A", "B", "C", "D", "E"])
        #expect(policy.categories["E"]?.reasonRequired == true)
        #expect(policy.categories["A"]?.reasonRequired == false)
        #expect(Set(policy.measures.keys) == ["pseudonym-only", "image-distortion"])
        #expect(policy.disclosure.approvals == 1)
        #expect(policy.disclosure.distinctFromRequester)
        #expect(policy.disclosure.identityApprover == .protectionOfficer)
        #expect(policy.profiles["tribunal-full"]?.images.releaseOriginals == true)
        #expect(policy.profiles["tribunal-protected"]?.images.maskCategories == ["A"])
        #expect(policy.profiles["public"]?.images.maskCategories == ["A", "B", "C", "D", "E"])
        // Every role has a description and at least one allow rule.
        for role in Role.allCases {
            #expect(policy.roleDescriptions[role] != nil, "\(role)")
            #expect(!policy.allowRules(for: role).isEmpty, "\(role)")
        }
    }

    @Test func profilesTouchIdentityOnlyWhereTheDesignSays() {
        let policy = Policy.builtIn
        let protected = policy.profiles["tribunal-protected"]!
        let full = policy.profiles["tribunal-full"]!
        let publicProfile = policy.profiles["public"]!
        #expect(protected.compartments(releasing: .witness) == [.case])
        #expect(protected.compartments(releasing: .case) == [.case])
        #expect(!protected.revealsIdentityFields(of: .witness))
        #expect(full.compartments(releasing: .witness) == [.case, .identity])
        #expect(full.revealsIdentityFields(of: .witness))
        #expect(publicProfile.compartments(releasing: .witness) == [])
        #expect(!publicProfile.revealsIdentityFields(of: .case))
        // DESIGN.md: tribunal-protected removes serials, owners and GPS from records.
        for field in ["serials", "owner", "gps"] {
            #expect(protected.rule(for: .item, field: field)?.action == .remove, "\(field)")
        }
    }

    @Test func keysExampleTestTablePassesAgainstTheDefault() throws {
        let suite = try PolicyTestSuite(parsing: try Fixture.bytes("keys-example/policy-tests.toml"))
        #expect(suite.cases.count >= 40)
        let report = suite.run(against: .builtIn)
        #expect(report.passed, "\(report.render())")
        #expect(report.render().hasSuffix("\(suite.cases.count) tests, \(suite.cases.count) passed, 0 failed\n"))
        // The table exercises every role and every action.
        let roles = Set(suite.cases.compactMap(\.request.subject.role))
        #expect(roles.union(suite.cases.contains { $0.request.subject.isCustodian } ? [.custodian] : []) == Set(Role.allCases))
        #expect(Set(suite.cases.map(\.request.action)) == Set(Action.allCases))
    }
}
