import Foundation
import GRDB
import Testing
import Vault
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultStore

/// Issue 18, from a review of record updates, identification and region removal: what a member's modified
/// client, or an honest client used against the rules, must not achieve.
@Suite("Record workflows against their attackers")
struct RecordReviewAttackTests {
    static func key(_ fixture: VaultFixture, _ who: String) throws -> IdentityBox {
        IdentityBox(try KeyFile.unlock(Array(fixture.cli.read(who + ".key")), passphrase: passphrase(who)))
    }

    /// Signs `action` as `who` with nothing but their key and the library: `change` runs in the same
    /// transaction, and the rows it writes become the event's entry (none when `change` is nil).
    static func sign(_ fixture: VaultFixture, as who: String, action: String, objects: [String], change: ((Database) throws -> Void)?) throws {
        let identity = try key(fixture, who)
        let genesis = try Genesis(fileContents: Array(fixture.cli.read("vault/vault.json")))
        let database = try DatabaseQueue(path: fixture.vault + "/vault.sqlite")
        let recorder = try database.inDatabase { db in try EntryRecorder(db) }
        try database.write { db in
            try change?(db)
            _ = try AuditLog.append(db, vaultID: genesis.vaultID, actor: identity, action: action, objects: objects, policyHash: nil,
                                    entries: change == nil ? nil : recorder)
        }
        try database.close()
    }

    @Test("an investigator's modified client deletes a witness's consent and protective measures in a witness.update: check refuses it with exit 3")
    func consentErasedByAnInvestigator() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        try Self.sign(fixture, as: "investigator", action: "witness.update", objects: ["W-0001", "case"]) { db in
            try db.execute(sql: "DELETE FROM recordField WHERE kind = 'witness' AND recordID = 'W-0001' AND compartment = 'case'")
        }
        let checked = try fixture.run("custodian-1", ["check"])
        #expect(checked.status == 3, "\(checked.stdout) \(checked.stderr)")
        #expect((checked.stdout + checked.stderr).contains("may not write the case fields of witness W-0001"), "\(checked.stdout)")
    }

    @Test("any member's entry-less case.update, item.classify, region.remove or identification.withdraw names a record but takes over none: the records still open")
    func entryLessEventsTakeOverNothing() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let item = try #require(try fixture.ingest([samplePhotos[0]]).first?.0)
        let added = try fixture.run("investigator", ["region", "add", item, "10,10,20,20", "--category", "B", "--reason", "a bystander"])
        let region = try #require(added.stdoutLines.first)
        for (action, objects) in [("case.update", ["C-1", "case", "identity"]), ("item.classify", [item, "C-1", "normal"]), ("region.remove", [item, "C-1", region])] {
            try Self.sign(fixture, as: "collector", action: action, objects: objects, change: nil)
        }
        let shown = try fixture.run("investigator", ["case", "show", "C-1"])
        #expect(shown.status == 0 && shown.stdout.contains("Qaboun"), "\(shown.stdout) \(shown.stderr)")
        let item2 = try fixture.run("investigator", ["show", item])
        #expect(item2.status == 0 && item2.stdout.contains("region \(region)"), "\(item2.stdout) \(item2.stderr)")
        #expect(try fixture.run("investigator", ["export", item, "--profile", "public", "-o", "public.jpg"]).status == 0)
    }

    @Test("a case's identification changes only through a claim; a classification is lowered only by a role that may approve releases")
    func honestClientLimits() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let identified = try fixture.run("protection-officer", ["case", "update", "--from", "-"],
                                         stdin: #"{"id":"C-2","identificationStatus":"confirmed","identifiedName":"Someone"}"#)
        #expect(identified.status != 0 && identified.stderr.contains("changes only through a family's claim"), "\(identified.stderr)")
        let item = try #require(try fixture.ingest([samplePhotos[0]]).first?.0)
        #expect(try fixture.run("investigator", ["item", "classify", item, "restricted"]).status == 0)
        let lowered = try fixture.run("investigator", ["item", "classify", item, "normal"])
        #expect(lowered.status != 0, "\(lowered.stdout)")
        #expect(try fixture.run("investigator", ["case", "update", "--from", "-"], stdin: #"{"id":"C-1","classification":"restricted"}"#).status == 0)
        let cleared = try fixture.run("investigator", ["case", "update", "--from", "-"], stdin: #"{"id":"C-1","classification":null}"#)
        #expect(cleared.status != 0, "\(cleared.stdout)")
        #expect(try fixture.run("investigator", ["export", item, "--profile", "public", "-o", "p.jpg"]).status != 0)
    }

    @Test("a region that shows a named witness is removed only by a protection officer, never by an investigator")
    func witnessRegionRemoval() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let item = try #require(try fixture.ingest([samplePhotos[0]]).first?.0)
        let added = try fixture.run("investigator", ["region", "add", item, "10,10,20,20", "--category", "A", "--reason", "the witness", "--witness", "W-0001"])
        let region = try #require(added.stdoutLines.first, "\(added.stderr)")
        let byInvestigator = try fixture.run("investigator", ["region", "remove", item, region, "--reason", "not needed"])
        #expect(byInvestigator.status != 0, "\(byInvestigator.stdout)")
        let byOfficer = try fixture.run("protection-officer", ["region", "remove", item, region, "--reason", "the witness agreed to be shown"])
        #expect(byOfficer.status == 0, "\(byOfficer.stderr)")
        let listed = try fixture.run("investigator", ["region", "list", item, "--all", "--json"])
        #expect(listed.status == 0 && listed.stdout.contains("the witness agreed to be shown"), "\(listed.stdout) \(listed.stderr)")
        let checked = try fixture.run("custodian-1", ["check"])
        #expect(checked.status == 0, "\(checked.stdout) \(checked.stderr)")
    }

    @Test("a protection officer's modified client confirms the claim they recorded themselves: every read of the claim refuses it")
    func selfConfirmationIsRefused() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let added = try fixture.run("protection-officer", ["identification", "add", "C-1", "--from", "-"], stdin: #"{"identifiedBy":"W-0001","name":"X Y"}"#)
        let claim = try #require(added.stdoutLines.first, "\(added.stderr)")
        // The officer's own client, without the second-person rule: the claim written again as confirmed.
        let officer = try Self.key(fixture, "protection-officer")
        let genesis = try Genesis(fileContents: Array(fixture.cli.read("vault/vault.json")))
        let database = try DatabaseQueue(path: fixture.vault + "/vault.sqlite")
        let recorder = try database.inDatabase { db in try EntryRecorder(db) }
        try database.write { db in
            let state = try GovernanceChain.load(genesis: genesis, db: db)
            let keyRing = KeyRing(identity: officer)
            keyRing.stateProvider = { state }
            var fields = try RecordCodec.open(kind: .identification, id: claim, vaultID: genesis.vaultID, keyRing: keyRing, db: db).fields
            fields["status"] = .text("confirmed")
            try RecordCodec.rewrite(kind: .identification, id: claim, compartment: .identity, fields: fields, vaultID: genesis.vaultID, state: state,
                                    signer: officer, keyRing: keyRing, db: db)
            _ = try AuditLog.append(db, vaultID: genesis.vaultID, actor: officer, action: "identification.confirm", objects: [claim],
                                    policyHash: nil, entries: recorder)
        }
        try database.close()
        let listed = try fixture.run("protection-officer", ["identification", "list", "C-1"])
        #expect(listed.status != 0 && listed.stderr.contains("a second person confirms a claim"), "\(listed.stdout) \(listed.stderr)")
    }
}
