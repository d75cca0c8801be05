import Foundation
import GRDB
import Testing
import VaultAudit
import VaultCrypto
import VaultPolicy

/// The policy engine in the vault, through the CLI.
struct PolicyIntegrationTests {
    @Test func everyAuditEventRecordsTheActivePolicyHash() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        _ = try vault.ingest([samplePhotos[0]])
        let queue = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
        let leaves = try queue.read { db in try Data.fetchAll(db, sql: "SELECT leaf FROM auditEvent ORDER BY seq") }
        #expect(leaves.count >= 4)
        for leaf in leaves {
            #expect(try AuditEvent(leaf: Array(leaf)).policyHash == Policy.builtIn.hash)
        }
        let shown = try vault.cli.run(["policy", "show", "-C", "vault"])
        #expect(shown.stdout == DefaultPolicy.text)
        #expect(shown.stderr.contains(Policy.builtIn.hashHex))
    }

    @Test func explainPrintsTheDecisionFirstAndExitsZero() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let item = try vault.ingest([samplePhotos[0]], extra: ["--witness", "W-0001"])[0].0
        let permit = try vault.run("investigator", ["policy", "explain", "--action", "view", "--item", item])
        #expect(permit.status == 0)
        #expect(permit.stdout.hasPrefix("permit\n"))
        #expect(permit.stdout.contains("investigator-view"))
        let deny = try vault.run("investigator", ["policy", "explain", "--action", "export", "--item", item, "--profile", "tribunal-full"])
        #expect(deny.status == 0)
        #expect(deny.stdout.hasPrefix("deny\n"))
        let collector = try vault.run("legal-officer", ["policy", "explain", "--member", vault.publicKeys["collector"]!, "--action", "view", "--item", item])
        #expect(collector.stdout.hasPrefix("deny\n") && collector.stdout.contains("collectors-are-write-only"))
        let unknown = try vault.run("investigator", ["policy", "explain", "--action", "fly", "--item", item])
        #expect(unknown.status == 64)
    }

    @Test func policyTestTablesPassAndFail() throws {
        let cli = try CLIHarness()
        defer { cli.cleanup() }
        let table = repositoryRoot + "/keys-example/policy-tests.toml"
        let passing = try cli.run(["policy", "test", table])
        #expect(passing.status == 0, "\(passing.stdout)\(passing.stderr)")
        let policyFile = repositoryRoot + "/keys-example/policy.toml"
        #expect(try cli.run(["policy", "test", table, "--policy", policyFile]).status == 0)
        try cli.write("wrong.toml", """
            version = 1

            [[test]]
            name = "collectors read everything (wrong on purpose)"
            role = "collector"
            action = "view"
            compartments = ["media"]
            expect = "permit"
            """)
        let failing = try cli.run(["policy", "test", "wrong.toml"])
        #expect(failing.status == 1, "\(failing.stdout)\(failing.stderr)")
        #expect(failing.stderr.contains("1 of 1 policy tests failed"))
    }

    @Test func protectionOfficerSeesIdentitiesThroughTheItem() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let item = try vault.ingest([samplePhotos[0]], extra: ["--witness", "W-0001"])[0].0
        let officer = try vault.run("protection-officer", ["show", item])
        #expect(officer.status == 0, "\(officer.stderr)")
        #expect(officer.stdout.contains("legalName=Test Person B"))
        #expect(officer.stdout.contains("identifiedName=Test Person A"))
        #expect(officer.stdout.contains("sha256:"))           // protection officers see the pictures they decide about
        let investigator = try vault.run("investigator", ["show", item])
        #expect(investigator.stdout.contains("pseudonym") || investigator.stdout.contains("consent=Demo Tribunal"))
        #expect(!investigator.stdout.contains("Test Person"))
        #expect(investigator.stdout.contains("sha256:"))
    }

    @Test func setPolicyIsAQuorumChangeAndRekeysLostCompartments() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let item = try vault.ingest([samplePhotos[0]])[0].0
        // A policy where investigators no longer view media.
        var text = DefaultPolicy.text
        text = text.replacingOccurrences(of: """
            name = "investigator-view"
            actions = ["view"]
            compartments = ["media", "case"]
            """, with: """
            name = "investigator-view"
            actions = ["view"]
            compartments = ["case"]
            """)
        #expect(text != DefaultPolicy.text)
        try vault.cli.write("narrow.toml", text)
        let newHash = try Policy(parsing: text).hashHex
        let single = try vault.run("custodian-1", ["op", "propose", "set-policy", "narrow.toml", "-o", "p.json"])
        #expect(single.status == 0)
        #expect(try vault.run("custodian-1", ["op", "approve", "p.json", "--yes"]).status == 0)
        #expect(try vault.run("custodian-1", ["op", "apply", "p.json"]).stderr.contains("1 of the 2"))
        #expect(try vault.run("custodian-2", ["op", "approve", "p.json", "--yes"]).status == 0)
        #expect(try vault.run("custodian-2", ["op", "apply", "p.json"]).status == 0)
        #expect(try vault.cli.run(["policy", "show", "-C", "vault"]).stderr.contains(newHash))
        // The legal officer completes the media rotation; the investigator is now refused by policy and keys.
        _ = try vault.run("legal-officer", ["list"])
        let refused = try vault.run("investigator", ["show", item])
        #expect(refused.status == 0)   // still sees the case record through the item
        #expect(!refused.stdout.contains("sha256:"))
        #expect(try vault.run("investigator", ["export", item, "-o", "x.jpg"]).stderr.contains("not permitted"))
        let queue = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
        let investigatorID = try MemberPublicKey(line: vault.publicKeys["investigator"]!).keyIDHex
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM keyWrap WHERE holder = ? AND compartment = 'media' AND kind = 'secret'", arguments: [investigatorID]) } == 0)
        let lastLeaf = try queue.read { db in try Data.fetchOne(db, sql: "SELECT leaf FROM auditEvent ORDER BY seq DESC LIMIT 1")! }
        #expect(Hex.encode(try AuditEvent(leaf: Array(lastLeaf)).policyHash ?? []) == newHash)
    }

    @Test func withdrawnConsentShredsTheIdentity() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        #expect(try vault.run("protection-officer", ["witness", "show", "W-0001"]).stdout.contains("legalName: Test Person B"))
        #expect(try vault.run("protection-officer", ["witness", "search", "--name", "Test Person B"]).stdoutLines == ["W-0001"])
        let applied = try vault.governance(["withdraw-consent", "W-0001"], approvers: ["custodian-1", "custodian-2"])
        #expect(applied.status == 0, "\(applied.stderr)")
        let after = try vault.run("protection-officer", ["witness", "show", "W-0001"])
        #expect(after.status == 0)
        #expect(!after.stdout.contains("Test Person B") && !after.stdout.contains("12 Example Street"))
        #expect(!after.stdout.contains("withheld"))
        #expect(try vault.run("protection-officer", ["witness", "search", "--name", "Test Person B"]).stdoutLines.isEmpty)
        let queue = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
        let remaining = try queue.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM recordKey WHERE kind = 'witness' AND recordID = 'W-0001' AND compartment = 'identity'")! +
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM recordField WHERE kind = 'witness' AND recordID = 'W-0001' AND compartment = 'identity'")!)
        }
        #expect(remaining == 0)
        // A court order needs a registered recipient.
        #expect(try vault.run("custodian-1", ["op", "propose", "court-order", "Nowhere", "--witness", "W-0001", "--reference", "X", "-o", "c.json"]).stderr.contains("not registered"))
    }
}
