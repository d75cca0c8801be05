import Foundation
import GRDB
import Testing
import Vault
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultStore

/// Issue 18, identification by families: a protection officer records claims, a second one confirms one (the
/// case's identification set through a signed update), contradicting claims stay side by side, and a family
/// can withdraw a claim.
@Suite("Identification by families")
struct IdentificationTests {
    static func fixture() throws -> VaultFixture {
        let fixture = try VaultFixture(extraMembers: [("protection-officer-2", "protection-officer")])
        try fixture.addRecords()
        try fixture.cli.write("w2.json", #"{"pseudonym":"W-0002","legalName":"Test Person C","relationship":"sister","consent":["Demo Tribunal"]}"#)
        #expect(try fixture.run("protection-officer", ["witness", "add", "--from", "w2.json"]).status == 0)
        return fixture
    }

    static func claims(_ fixture: VaultFixture, _ who: String = "protection-officer") throws -> [[String: Any]] {
        let listed = try fixture.run(who, ["identification", "list", "C-1", "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
    }

    @Test("two contradicting claims stay side by side; the officer who recorded one cannot confirm it; a second officer does, and the case's identification follows; a withdrawal takes it back")
    func claimsConfirmedAndWithdrawn() throws {
        let fixture = try Self.fixture()
        defer { fixture.cleanup() }
        let item = try #require(try fixture.ingest([samplePhotos[0]]).first?.0)
        let first = try fixture.run("protection-officer", ["identification", "add", "C-1", "--from", "-"],
                                    stdin: #"{"identifiedBy":"W-0001","name":"أحمد الحلبي","relationship":"father","items":["\#(item)"],"session":"S-7","confidence":"high"}"#)
        #expect(first.status == 0, "\(first.stderr)")
        let a = try #require(first.stdoutLines.first)
        let second = try fixture.run("protection-officer", ["identification", "add", "C-1", "--from", "-"],
                                     stdin: #"{"identifiedBy":"W-0002","name":"Mahmoud Y","confidence":"low","notes":"uncertain"}"#)
        let b = try #require(second.stdoutLines.first)
        var claims = try Self.claims(fixture)
        #expect(claims.map { $0["id"] as? String } == [a, b])
        #expect(claims.map { $0["status"] as? String } == ["open", "open"])
        #expect(claims.first?["name"] as? String == "أحمد الحلبي" && claims.first?["items"] as? [String] == [item], "\(claims)")
        // Nobody but the identity roles reads them; the recorder does not confirm their own claim.
        #expect(try fixture.run("investigator", ["identification", "list", "C-1"]).status != 0)
        let own = try fixture.run("protection-officer", ["identification", "confirm", "C-1", a])
        #expect(own.status != 0 && own.stderr.contains("a second person confirms it"), "\(own.stderr)")
        let investigator = try fixture.run("investigator", ["identification", "confirm", "C-1", a])
        #expect(investigator.status != 0, "\(investigator.stdout)")
        let confirmed = try fixture.run("protection-officer-2", ["identification", "confirm", "C-1", a])
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        let shown = try fixture.run("protection-officer-2", ["case", "show", "C-1", "--json"])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any], "\(shown.stdout) \(shown.stderr)")
        #expect(record["identificationStatus"] as? String == "confirmed" && record["identifiedName"] as? String == "أحمد الحلبي"
                && record["identifiedBy"] as? String == "W-0001", "\(record)")
        claims = try Self.claims(fixture)
        #expect(claims.map { $0["status"] as? String } == ["confirmed", "open"])
        let officer2 = IdentityBox(try KeyFile.unlock(Array(fixture.cli.read("protection-officer-2.key")), passphrase: passphrase("protection-officer-2"))).keyIDHex
        #expect(claims.first?["decidedBy"] as? String == officer2)
        let again = try fixture.run("protection-officer-2", ["identification", "confirm", "C-1", a])
        #expect(again.status != 0 && again.stderr.contains("is confirmed, not open"), "\(again.stderr)")

        let withdrawn = try fixture.run("protection-officer", ["identification", "withdraw", "C-1", a, "--reason", "the family found him alive"])
        #expect(withdrawn.status == 0, "\(withdrawn.stderr)")
        claims = try Self.claims(fixture)
        #expect(claims.first?["status"] as? String == "withdrawn" && claims.first?["statusReason"] as? String == "the family found him alive")
        let after = try fixture.run("protection-officer", ["case", "show", "C-1", "--json"])
        let reverted = try #require(try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [String: Any])
        #expect(reverted["identificationStatus"] as? String == "withdrawn" && reverted["identifiedName"] == nil && reverted["identifiedBy"] == nil, "\(reverted)")
        // The case's history shows both updates; the log and the index agree.
        let history = try fixture.run("protection-officer", ["case", "show", "--history", "C-1"])
        #expect(history.stdout.components(separatedBy: "case.update").count == 3, "\(history.stdout)")
        #expect(try fixture.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
        let checked = try fixture.run("custodian-1", ["check"])
        #expect(checked.status == 0, "\(checked.stdout) \(checked.stderr)")
    }

    @Test("claims that name an unknown witness or case (exit 2), an item of another case, an unknown confidence or field, or come from a collector are refused by name")
    func badClaimsAreRefused() throws {
        let fixture = try Self.fixture()
        defer { fixture.cleanup() }
        let other = try #require(try fixture.ingest([samplePhotos[0]], caseID: "C-2").first?.0)
        func add(_ json: String, as who: String = "protection-officer", case caseID: String = "C-1") throws -> CLIHarness.Result {
            try fixture.run(who, ["identification", "add", caseID, "--from", "-"], stdin: json)
        }
        let witness = try add(#"{"identifiedBy":"W-0999","name":"X"}"#)
        #expect(witness.status == 2 && witness.stderr.contains("W-0999"), "\(witness.stderr)")
        let caseMissing = try add(#"{"identifiedBy":"W-0001","name":"X"}"#, case: "C-9")
        #expect(caseMissing.status == 2 && caseMissing.stderr.contains("C-9"), "\(caseMissing.stderr)")
        let item = try add(#"{"identifiedBy":"W-0001","name":"X","items":["\#(other)"]}"#)
        #expect(item.status != 0 && item.stderr.contains("is an item of case C-2, not of C-1"), "\(item.stderr)")
        let confidence = try add(#"{"identifiedBy":"W-0001","name":"X","confidence":"certain"}"#)
        #expect(confidence.status != 0 && confidence.stderr.contains("certain is not one of low, medium, high"), "\(confidence.stderr)")
        let field = try add(#"{"identifiedBy":"W-0001","name":"X","photo":"y"}"#)
        #expect(field.status != 0 && field.stderr.contains("unknown field photo"), "\(field.stderr)")
        let collector = try add(#"{"identifiedBy":"W-0001","name":"X"}"#, as: "collector")
        #expect(collector.status != 0, "\(collector.stdout)")
        #expect(try Self.claims(fixture).isEmpty)
    }

    @Test("a collector's modified client signs a claim of its own: check refuses it with exit 3")
    func forgedClaimIsRefused() throws {
        let fixture = try Self.fixture()
        defer { fixture.cleanup() }
        let identity = IdentityBox(try KeyFile.unlock(Array(fixture.cli.read("collector.key")), passphrase: passphrase("collector")))
        let genesis = try Genesis(fileContents: Array(fixture.cli.read("vault/vault.json")))
        let database = try DatabaseQueue(path: fixture.cli.folder + "/vault/vault.sqlite")
        let recorder = try database.inDatabase { db in try EntryRecorder(db) }
        try database.write { db in
            let state = try GovernanceChain.load(genesis: genesis, db: db)
            try RecordCodec.insert(kind: .identification, id: "ID-0000000001", fields: ["caseID": .text("C-1"), "identifiedBy": .text("W-0001"), "name": .text("Planted"),
                                                                                     "status": .text("open")],
                                   vaultID: genesis.vaultID, state: state, createdAt: 0, signer: identity, db: db)
            _ = try AuditLog.append(db, vaultID: genesis.vaultID, actor: identity, action: "identification.add", objects: ["ID-0000000001"],
                                    policyHash: nil, entries: recorder)
        }
        try database.close()
        let checked = try fixture.run("custodian-1", ["check"])
        #expect(checked.status == 3, "\(checked.stdout) \(checked.stderr)")
        #expect((checked.stdout + checked.stderr).contains("may not write identity fields"), "\(checked.stdout) \(checked.stderr)")
    }
}
