import Testing
import VaultCrypto
@testable import VaultPolicy

@Suite struct PolicyHashTests {
    @Test func hashIsSHA256OfTheCanonicalEncoding() throws {
        let policy = Policy.builtIn
        let encoding = policy.canonicalEncoding()
        #expect(policy.hash == SHA256Digest.hash(encoding))
        // The encoding starts with the length-prefixed context string.
        let context = Array(Policy.canonicalContext.utf8)
        #expect(Array(encoding.prefix(4)) == [0, 0, 0, UInt8(context.count)])
        #expect(Array(encoding[4..<(4 + context.count)]) == context)
        // Deterministic across parses.
        #expect(try Policy(parsing: DefaultPolicy.text).canonicalEncoding() == encoding)
    }

    /// Edits that do not change the parsed policy keep the hash.
    static let neutral: [(String, String)] = [
        ("# Amanah policy: the built-in default (language version 1).", "# A different first comment line."),
        ("version = 1\n", "version = 1   # trailing comment\n\n\n"),
        ("[categories.A]\ndescription = \"witness identity\"", "[categories.A]\n  description   =   \"witness identity\""),
        ("name = \"investigator-view\"\nactions = [\"view\"]\ncompartments = [\"media\", \"case\"]",
         "compartments = [\"case\", \"media\"]\nactions = [ \"view\" ]\nname = \"investigator-view\""),
        ("[profiles.tribunal-full.case]\nid = \"keep\"", "[profiles.tribunal-full.case]\nid = { action = \"keep\" }"),
        ("identifiedName = { action = \"remove\", code = \"B\" }\nidentifiedBy = { action = \"pseudonymise\", code = \"A\" }",
         "identifiedBy = { code = \"A\", action = \"pseudonymise\" }\nidentifiedName = { code = \"B\", action = \"remove\" }"),
        ("remove-identity = true\nwithhold-originals = true", "withhold-originals = true\nremove-identity = true"),
    ]

    /// Edits that change a rule, a name, a description or a reason change the hash.
    static let significant: [(String, String)] = [
        ("classifications = [\"normal\", \"restricted\"]", "classifications = [\"normal\", \"restricted\", \"secret\"]"),
        ("[categories.A]\ndescription = \"witness identity\"", "[categories.A]\ndescription = \"witness identities\""),
        ("[categories.E]\ndescription = \"other\"\nreason-required = true", "[categories.E]\ndescription = \"other\""),
        ("always-mask = [\"A\"]", "always-mask = [\"A\", \"B\"]"),
        ("fallback = \"last-component\"", "fallback = \"first-component\""),
        ("\"Tishreen Military Hospital\" = \"Damascus\"", "\"Tishreen Military Hospital\" = \"Damascus Governorate\""),
        ("name = \"investigator-view\"\nactions = [\"view\"]\ncompartments = [\"media\", \"case\"]",
         "name = \"investigator-view\"\nactions = [\"view\"]\ncompartments = [\"media\"]"),
        ("name = \"investigator-view\"", "name = \"investigator-read\""),
        ("profiles = [\"public\"]\n\n[roles.protection-officer]", "profiles = [\"public\", \"tribunal-protected\"]\n\n[roles.protection-officer]"),
        ("reveals-identity = true\n\n[roles.legal-officer]", "\n[roles.legal-officer]"),
        ("obligations = [\"quorum\"]", ""),
        ("name = \"investigator-view\"\nactions = [\"view\"]", "name = \"investigator-view\"\nmax-classification = \"normal\"\nactions = [\"view\"]"),
        ("reason = \"auditors read and verify the audit log and nothing else\"", "reason = \"auditors see no content\""),
        ("roles = [\"collector\"]\nactions = [\"view\"", "roles = [\"collector\", \"auditor\"]\nactions = [\"view\""),
        ("min-classification = \"restricted\"", "min-classification = \"normal\""),
        ("approvals = 1 ", "approvals = 2 "),
        ("distinct-from-requester = true", "distinct-from-requester = false"),
        ("identity-approver = \"protection-officer\"   #", "identity-approver = \"legal-officer\"   #"),
        ("court-order-override = true", "court-order-override = false"),
        ("\nmask = [\"A\"]\nunmask-with-consent = [\"A\"]", "\nmask = [\"A\"]"),
        ("photographedOn = { action = \"generalise\", level = \"month\"", "photographedOn = { action = \"generalise\", level = \"year\""),
        ("[profiles.tribunal-full.case]\nid = \"keep\"", "[profiles.tribunal-full.case]\nid = { action = \"pseudonymise\", code = \"D\" }"),
        ("gps = { action = \"remove\", code = \"C\" }\npreviews = { action = \"remove\", code = \"D\", reason = \"embedded previews show the unredacted picture\" }\nsources = { action = \"pseudonymise\"",
         "gps = { action = \"remove\", code = \"D\" }\npreviews = { action = \"remove\", code = \"D\", reason = \"embedded previews show the unredacted picture\" }\nsources = { action = \"pseudonymise\""),
        ("make = \"keep\"\nmodel = { action = \"remove\", code = \"D\", reason = \"the camera model narrows down who took the picture\" }\nserials = { action = \"remove\", code = \"D\", reason = \"serial numbers identify the camera and so its owner\" }\nowner = { action = \"remove\", code = \"A\" }\ngps = { action = \"remove\", code = \"C\" }\npreviews = { action = \"remove\", code = \"D\", reason = \"embedded previews show the unredacted picture\" }\nsources = { action = \"remove\"",
         "make = \"keep\"\nmodel = { action = \"remove\", code = \"D\", reason = \"the camera model narrows down who took the picture\" }\nserials = { action = \"remove\", code = \"D\", reason = \"serial numbers identify the camera and so its owner\" }\nowner = { action = \"remove\", code = \"A\", reason = \"owner names identify the photographer\" }\ngps = { action = \"remove\", code = \"C\" }\npreviews = { action = \"remove\", code = \"D\", reason = \"embedded previews show the unredacted picture\" }\nsources = { action = \"remove\""),
        ("description = \"for publication", "description = \"for the public"),
        ("[roles.auditor]\ndescription = \"reads", "[roles.auditor]\ndescription = \"only reads"),
        ("mask = [\"A\", \"B\", \"D\"]\nwatermark = true", "mask = [\"A\", \"B\", \"D\"]"),
    ]

    @Test(arguments: 0..<PolicyHashTests.neutral.count)
    func neutralEditKeepsTheHash(index: Int) throws {
        let (old, new) = PolicyHashTests.neutral[index]
        let edited = try Policy(parsing: Fixture.defaultPolicy(replacing: old, with: new))
        #expect(edited.hash == Policy.builtIn.hash)
        #expect(edited == Policy.builtIn)
    }

    @Test(arguments: 0..<PolicyHashTests.significant.count)
    func significantEditChangesTheHash(index: Int) throws {
        let (old, new) = PolicyHashTests.significant[index]
        let edited = try Policy(parsing: Fixture.defaultPolicy(replacing: old, with: new))
        #expect(edited.hash != Policy.builtIn.hash)
        #expect(edited != Policy.builtIn)
    }

    @Test func everySignificantEditGivesADistinctHash() throws {
        var hashes = Set([Policy.builtIn.hashHex])
        for (old, new) in PolicyHashTests.significant {
            hashes.insert(try Policy(parsing: Fixture.defaultPolicy(replacing: old, with: new)).hashHex)
        }
        #expect(hashes.count == PolicyHashTests.significant.count + 1)
    }
}

@Suite struct CanonicalEncodingTests {
    static let minimal = """
        version = 1
        classifications = ["normal"]
        [categories.A]
        description = "a"
        [places]
        fallback = "withhold"
        [roles]
        [disclosure]
        approvals = 0
        distinct-from-requester = true
        identity-consent = true
        court-order-override = false
        [profiles]
        """

    /// The encoding written out by hand from the layout documented on `canonicalEncoding()`.
    @Test func minimalPolicyEncodesAsDocumented() throws {
        let expected = "00000010" + Hex.encode(Array("amanah/v1/policy".utf8))  // context
            + "00000001"                                                           // version
            + "00000001" + "00000006" + Hex.encode(Array("normal".utf8))           // classifications
            + "00000001" + "00000001" + "41" + "00000001" + "61" + "00"            // categories: A, "a", no reason
            + "00000000"                                                           // measures
            + "00000008" + Hex.encode(Array("withhold".utf8)) + "00000000"         // places
            + "00000000"                                                           // role descriptions
            + "00000000" + "00000000"                                              // allow rules, deny rules
            + "00000000" + "01" + "00" + "01" + "00"                               // disclosure
            + "00000000"                                                           // profiles
        let policy = try Policy(parsing: CanonicalEncodingTests.minimal)
        #expect(Hex.encode(policy.canonicalEncoding()) == expected)
        #expect(policy.hash == SHA256Digest.hash(try Hex.decode(expected)))
        // Deciding under a policy without roles denies everything.
        #expect(!policy.decide(Subject(keyID: "k", role: .auditor), .audit, .vault).isPermit)
    }

    /// The hash of the built-in default. It changes exactly when the default's rules change (not its
    /// comments); a vault created with another default records another hash, so change this knowingly.
    @Test func builtInPolicyHashIsPinned() {
        #expect(Policy.builtIn.hashHex == "b960152d9698b924cb4b95d6a91ed483b046215992c4dfd7a384c64abdf614f0")
    }
}
