import Testing
@testable import VaultPolicy

@Suite struct PolicyParsingTests {
    /// Each mutation of the default policy must fail with this code at this key path.
    static let cases: [(old: String, new: String, code: PolicyError.Code, path: String)] = [
        ("version = 1\n", "version = 2\n", .unsupportedVersion, "version"),
        ("version = 1\n", "version = \"1\"\n", .wrongType, "version"),
        ("version = 1\n", "version = 1\nauthor = \"x\"\n", .unknownKey, "author"),
        ("classifications = [\"normal\", \"restricted\"]", "classifications = [\"normal\", \"Secret\"]",
         .invalidValue, "classifications[1]"),
        ("classifications = [\"normal\", \"restricted\"]", "classifications = [\"normal\", \"normal\"]",
         .duplicate, "classifications[1]"),
        ("[categories.E]\ndescription = \"other\"\nreason-required = true",
         "[categories.E]\ndescription = \"other\"\nreason-requird = true", .unknownKey, "categories.E.reason-requird"),
        ("[categories.E]", "[categories.e]", .invalidValue, "categories.e"),
        ("always-mask = [\"A\"]", "always-mask = [\"Z\"]", .invalidValue, "measures.image-distortion.always-mask[0]"),
        ("withhold-originals = true\ncode = \"A\"", "withhold-originals = true", .missingKey,
         "measures.pseudonym-only.code"),
        ("fallback = \"last-component\"", "fallback = \"last\"", .invalidValue, "places.fallback"),
        ("[roles.auditor]", "[roles.observer]", .unknownKey, "roles.observer"),
        ("name = \"investigator-view\"\nactions = [\"view\"]", "name = \"investigator-view\"\nactions = [\"read\"]",
         .invalidValue, "roles.investigator.allow[1].actions[0]"),
        ("name = \"investigator-view\"\nactions = [\"view\"]\ncompartments = [\"media\", \"case\"]",
         "name = \"investigator-view\"\nactions = [\"view\"]\ncompartments = [\"media\", \"cases\"]",
         .invalidValue, "roles.investigator.allow[1].compartments[1]"),
        ("name = \"investigator-view\"\nactions = [\"view\"]\ncompartments = [\"media\", \"case\"]",
         "name = \"investigator-view\"\nactions = [\"view\"]", .missingKey, "roles.investigator.allow[1].compartments"),
        ("name = \"investigator-view\"\nactions = [\"view\"]",
         "name = \"investigator-view\"\nactions = [\"view\", \"audit\"]", .invalidValue, "roles.investigator.allow[1].actions"),
        ("name = \"auditor-audit\"\nactions = [\"audit\"]",
         "name = \"auditor-audit\"\nactions = [\"audit\"]\ncompartments = [\"media\"]", .invalidValue,
         "roles.auditor.allow[0].compartments"),
        ("name = \"investigator-view\"\nactions = [\"view\"]",
         "name = \"investigator-view\"\nactoins = [\"view\"]", .unknownKey, "roles.investigator.allow[1].actoins"),
        ("name = \"investigator-view\"\nactions = [\"view\"]",
         "name = \"investigator-view\"\nprofiles = [\"public\"]\nactions = [\"view\"]", .invalidValue,
         "roles.investigator.allow[1].profiles"),
        ("profiles = [\"public\"]\n\n[roles.protection-officer]", "profiles = [\"publik\"]\n\n[roles.protection-officer]",
         .invalidValue, "roles.investigator.allow[3].profiles[0]"),
        ("name = \"investigator-annotate\"", "name = \"investigator-view\"", .duplicate,
         "roles.investigator.allow[2].name"),
        ("obligations = [\"quorum\"]", "obligations = [\"two-person\"]", .invalidValue,
         "roles.custodian.allow[0].obligations[0]"),
        ("min-classification = \"restricted\"", "min-classification = \"secret\"", .invalidValue,
         "deny[4].min-classification"),
        ("reason = \"collectors seal evidence but never read it back\"\n", "\n", .missingKey, "deny[0].reason"),
        ("roles = [\"auditor\"]", "roles = [\"auditors\"]", .invalidValue, "deny[2].roles[0]"),
        ("approvals = 1 ", "approvals = 17 ", .invalidValue, "disclosure.approvals"),
        ("identity-approver = \"protection-officer\"", "identity-approver = \"protector\"", .invalidValue,
         "disclosure.identity-approver"),
        ("court-order-override = true", "court-order-overide = true", .unknownKey, "disclosure.court-order-overide"),
        ("identifiedName = { action = \"remove\", code = \"B\" }\nidentifiedBy = { action = \"pseudonymise\", code = \"A\" }",
         "identifiedName = { action = \"remove\", code = \"B\" }\nidentifiedBy = { action = \"pseudonymise\", code = \"A\" }\nage = \"keep\"",
         .unknownKey, "profiles.tribunal-protected.case.age"),
        ("identifiedName = { action = \"remove\", code = \"B\" }\nidentifiedBy = { action = \"pseudonymise\", code = \"A\" }",
         "identifiedName = { action = \"remove\", code = \"B\" }", .missingKey, "profiles.tribunal-protected.case.identifiedBy"),
        ("identifiedName = { action = \"remove\", code = \"B\" }\nidentifiedBy = { action = \"pseudonymise\", code = \"A\" }",
         "identifiedName = { action = \"remove\", code = \"Q\" }\nidentifiedBy = { action = \"pseudonymise\", code = \"A\" }",
         .invalidValue, "profiles.tribunal-protected.case.identifiedName.code"),
        ("identifiedName = { action = \"remove\", code = \"B\" }\nidentifiedBy = { action = \"pseudonymise\", code = \"A\" }",
         "identifiedName = { action = \"remove\" }\nidentifiedBy = { action = \"pseudonymise\", code = \"A\" }",
         .missingKey, "profiles.tribunal-protected.case.identifiedName.code"),
        ("identifiedName = { action = \"remove\", code = \"B\" }\nidentifiedBy = { action = \"pseudonymise\", code = \"A\" }",
         "identifiedName = \"remove\"\nidentifiedBy = { action = \"pseudonymise\", code = \"A\" }",
         .invalidValue, "profiles.tribunal-protected.case.identifiedName"),
        ("identifiedName = { action = \"remove\", code = \"B\" }\nidentifiedBy = { action = \"pseudonymise\", code = \"A\" }",
         "identifiedName = { action = \"redact\", code = \"B\" }\nidentifiedBy = { action = \"pseudonymise\", code = \"A\" }",
         .invalidValue, "profiles.tribunal-protected.case.identifiedName.action"),
        ("identifiedName = { action = \"remove\", code = \"B\" }\nidentifiedBy = { action = \"pseudonymise\", code = \"A\" }",
         "identifiedName = { action = \"remove\", code = \"E\" }\nidentifiedBy = { action = \"pseudonymise\", code = \"A\" }",
         .missingKey, "profiles.tribunal-protected.case.identifiedName.reason"),
        ("place = { action = \"generalise\", level = \"region\", code = \"C\" }",
         "place = { action = \"generalise\", level = \"month\", code = \"C\" }", .invalidValue, "profiles.public.case.place.action"),
        ("place = { action = \"generalise\", level = \"region\", code = \"C\" }",
         "place = { action = \"generalise\", code = \"C\" }", .missingKey, "profiles.public.case.place.level"),
        ("place = { action = \"generalise\", level = \"region\", code = \"C\" }",
         "place = { action = \"generalise\", level = \"city\", code = \"C\" }", .invalidValue, "profiles.public.case.place.level"),
        ("place = { action = \"generalise\", level = \"region\", code = \"C\" }",
         "place = { action = \"generalise\", level = \"region\", width = 5, code = \"C\" }", .invalidValue,
         "profiles.public.case.place.width"),
        ("place = { action = \"generalise\", level = \"region\", code = \"C\" }",
         "place = { action = \"generalise\", level = \"region\", code = \"C\", colour = \"red\" }", .unknownKey,
         "profiles.public.case.place.colour"),
        ("[profiles.public.item]\nid = \"keep\"", "[profiles.public.item]\nid = \"keep\"\nexif = \"keep\"", .unknownKey,
         "profiles.public.item.exif"),
        ("\nmask = [\"A\"]", "\nmask = [\"A\", \"F\"]", .invalidValue, "profiles.tribunal-protected.images.mask[1]"),
        ("\nmask = []", "\nmask = [\"A\"]", .invalidValue, "profiles.tribunal-full.images.mask"),
        ("originals = true\nstrip-metadata = false", "originals = true\nstrip-metadata = true", .invalidValue,
         "profiles.tribunal-full.images.strip-metadata"),
        ("unmask-with-consent = [\"A\"]", "unmask-with-consent = [\"B\"]", .invalidValue,
         "profiles.tribunal-protected.images.unmask-with-consent[0]"),
        ("[profiles.public]", "[profiles.Public]", .invalidValue, "profiles.Public"),
        ("\"Tishreen Military Hospital\" = \"Damascus\"", "\"Tishreen Military Hospital\" = \"Damascus\"\n\" tishreen military hospital\" = \"Damascus\"",
         .duplicate, "places.regions.\"Tishreen Military Hospital\""),
        ("[disclosure]", "[disclosures]", .unknownKey, "disclosures"),
        ("originals = true\nstrip-metadata = false", "originals = true\nstrip-metadata = false\nwatermark = true", .invalidValue,
         "profiles.tribunal-full.images.watermark"),
        ("mask = [\"A\", \"B\", \"D\"]\nwatermark = true", "mask = [\"A\", \"B\", \"D\"]\nwatermark = \"yes\"", .wrongType,
         "profiles.family-viewing.images.watermark"),
    ]

    @Test(arguments: 0..<PolicyParsingTests.cases.count)
    func mutationFailsNamingTheKeyPath(index: Int) {
        let item = PolicyParsingTests.cases[index]
        let error = Fixture.parseError(Fixture.defaultPolicy(replacing: item.old, with: item.new))
        #expect(error?.code == item.code, "\(String(describing: error))")
        #expect(error?.keyPath == item.path, "\(String(describing: error))")
        if let error {
            #expect(error.description.contains(item.path), "\(error)")
        }
    }

    @Test func missingSectionsAreNamed() {
        #expect(Fixture.parseError("")?.keyPath == "version")
        #expect(Fixture.parseError("version = 1\n")?.keyPath == "classifications")
        let noClassifications = Fixture.defaultPolicy(replacing: "classifications = [\"normal\", \"restricted\"]\n",
                                                      with: "")
        #expect(Fixture.parseError(noClassifications) == PolicyError(.missingKey, at: "classifications", ""))
        let text = DefaultPolicy.text
        let disclosureStart = text.range(of: "[disclosure]\n")!
        let disclosureEnd = text.range(of: "court-order-override = true                # ... or a quorum operation citing a court order\n")!
        var noDisclosure = text
        noDisclosure.removeSubrange(disclosureStart.lowerBound..<disclosureEnd.upperBound)
        #expect(Fixture.parseError(noDisclosure) == PolicyError(.missingKey, at: "disclosure", ""))
        let noImages = Fixture.defaultPolicy(replacing: "[profiles.public.images]\noriginals = false\nstrip-metadata = true\nmask = [\"A\", \"B\", \"C\", \"D\", \"E\"]\n", with: "")
        #expect(Fixture.parseError(noImages) == PolicyError(.missingKey, at: "profiles.public.images", ""))
    }

    @Test func syntaxErrorsCarryLineAndColumn() {
        let error = Fixture.parseError("version = 1\nclassifications = [\n")
        #expect(error?.code == .syntax)
        #expect(error?.message.contains("line") == true)
    }

    @Test func unreadableDocumentsAreRefused() {
        var withNUL = Array(DefaultPolicy.text.utf8)
        withNUL.insert(0, at: 20)
        #expect(throws: PolicyError(.unreadable, at: "", "")) { try Policy(parsing: withNUL) }
        var notUTF8 = Array(DefaultPolicy.text.utf8)
        notUTF8.insert(0xff, at: 3)
        #expect(throws: PolicyError(.unreadable, at: "", "")) { try Policy(parsing: notUTF8) }
        let huge = [UInt8](repeating: 0x23, count: Policy.maximumSize + 1)
        #expect(throws: PolicyError(.unreadable, at: "", "")) { try Policy(parsing: huge) }
    }

    @Test func equivalentSpellingsParseToTheSamePolicy() throws {
        let inline = Fixture.defaultPolicy(replacing: "[profiles.tribunal-full.case]\nid = \"keep\"",
                                           with: "[profiles.tribunal-full.case]\nid = { action = \"keep\" }")
        #expect(try Policy(parsing: inline) == Policy.builtIn)
        let keepWithCode = Fixture.defaultPolicy(replacing: "[profiles.tribunal-full.case]\nid = \"keep\"",
                                                 with: "[profiles.tribunal-full.case]\nid = { action = \"keep\", code = \"A\" }")
        #expect(Fixture.parseError(keepWithCode)?.keyPath == "profiles.tribunal-full.case.id")
    }

    @Test func ageRangesAreRefusedOnFieldsThatAreNotAges() {
        let text = Fixture.defaultPolicy(
            replacing: "place = { action = \"generalise\", level = \"region\", code = \"C\" }",
            with: "place = { action = \"generalise\", level = \"range\", width = 10, code = \"C\" }")
        let error = Fixture.parseError(text)
        #expect(error?.code == .invalidValue)
        #expect(error?.keyPath == "profiles.public.case.place.action")
    }
}
