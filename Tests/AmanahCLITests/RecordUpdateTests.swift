import Foundation
import GRDB
import Testing
import Vault
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultStore

/// Issue 18, records change and every change is kept: `case update`, `witness update`, `show --history`.
@Suite("Record updates and their history")
struct RecordUpdateTests {
    @Test("an investigator changes a case's place and clears its branch: show has the new values, the history has each version with its writer, a detainee-number change moves the search")
    func caseUpdateAndHistory() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let updated = try fixture.run("investigator", ["case", "update", "--from", "-"],
                                      stdin: #"{"id":"C-1","place":"Sednaya","branch":null,"detaineeNumber":"5512/215"}"#)
        #expect(updated.status == 0, "\(updated.stderr)")
        #expect(updated.stdoutLines == ["C-1\tupdated (case fields)"], "\(updated.stdout)")
        let shown = try fixture.run("investigator", ["case", "show", "C-1"])
        #expect(shown.status == 0 && shown.stdout.contains("place: Sednaya") && !shown.stdout.contains("branch:") && shown.stdout.contains("identifiedBy: W-0001"),
                "\(shown.stdout) \(shown.stderr)")
        // The search follows the new number; the old one finds nothing.
        #expect(try fixture.run("investigator", ["case", "search", "--detainee", "5512/215"]).stdoutLines == ["C-1"])
        #expect(try fixture.run("investigator", ["case", "search", "--detainee", "3456/215"]).stdoutLines.isEmpty)
        // The same values again change nothing and sign nothing.
        func events() throws -> Int {
            try DatabaseQueue(path: fixture.cli.folder + "/vault/vault.sqlite").read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM auditEvent") ?? 0 }
        }
        let before = try events()
        let again = try fixture.run("investigator", ["case", "update", "--from", "-"], stdin: #"{"id":"C-1","place":"Sednaya"}"#)
        #expect(again.status == 0 && again.stdoutLines == ["C-1\tunchanged"], "\(again.stdout) \(again.stderr)")
        #expect(try events() == before)

        let history = try fixture.run("investigator", ["case", "show", "--history", "C-1", "--json"])
        #expect(history.status == 0, "\(history.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])
        let versions = try #require(object["versions"] as? [[String: Any]])
        #expect(versions.count == 2)
        #expect(versions.map { $0["action"] as? String } == ["case.add", "case.update"])
        let first = try #require(versions.first?["fields"] as? [String: Any])
        #expect(first["place"] as? String == "Qaboun" && first["branch"] as? String == "215", "\(first)")
        let second = try #require(versions.last?["fields"] as? [String: Any])
        #expect(second["place"] as? String == "Sednaya" && second["branch"] == nil, "\(second)")
        #expect(versions.last?["cleared"] as? [String] == ["branch"])
        // The identity half the investigator holds no key for is named, not shown.
        #expect(versions.first?["withheld"] as? [String] == ["identifiedName"], "\(versions)")
        let investigator = IdentityBox(try KeyFile.unlock(Array(fixture.cli.read("investigator.key")), passphrase: passphrase("investigator"))).keyIDHex
        let collector = IdentityBox(try KeyFile.unlock(Array(fixture.cli.read("collector.key")), passphrase: passphrase("collector"))).keyIDHex
        #expect(versions.map { $0["writer"] as? String } == [collector, investigator])
        // As text; a second machine's checks accept the signed update.
        let text = try fixture.run("investigator", ["case", "show", "--history", "C-1"])
        #expect(text.stdout.contains("case.update") && text.stdout.contains("branch: (cleared)"), "\(text.stdout)")
        #expect(try fixture.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
        let checked = try fixture.run("custodian-1", ["check"])
        #expect(checked.status == 0, "\(checked.stdout) \(checked.stderr)")
    }

    @Test("consent changes only through a protection officer: an investigator's update of it is refused; the officer's is kept and checks")
    func consentUpdateNeedsAProtectionOfficer() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let refused = try fixture.run("investigator", ["witness", "update", "--from", "-"], stdin: #"{"pseudonym":"W-0001","consent":[]}"#)
        #expect(refused.status != 0, "\(refused.stdout)")
        let withdrawn = try fixture.run("protection-officer", ["witness", "update", "--from", "-"],
                                        stdin: #"{"pseudonym":"W-0001","consent":["Demo Tribunal","UN COI"],"contact":null}"#)
        #expect(withdrawn.status == 0 && withdrawn.stdoutLines == ["W-0001\tupdated (identity, case fields)"] || withdrawn.stdoutLines == ["W-0001\tupdated (case, identity fields)"],
                "\(withdrawn.stdout) \(withdrawn.stderr)")
        let shown = try fixture.run("protection-officer", ["witness", "show", "W-0001", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        #expect(object["consent"] as? [String] == ["Demo Tribunal", "UN COI"] && object["contact"] == nil, "\(shown.stdout)")
        #expect(try fixture.run("custodian-1", ["check"]).status == 0)
    }

    @Test("a collector may add a case but not change one it cannot read; an unknown case is exit 2; a field that is both given and cleared, or unknown, is refused by name")
    func updatesThatAreRefused() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let collector = try fixture.run("collector", ["case", "update", "--from", "-"], stdin: #"{"id":"C-2","place":"Adra"}"#)
        #expect(collector.status == 1 && collector.stderr.contains("C-2"), "\(collector.stdout) \(collector.stderr)")
        let unknown = try fixture.run("investigator", ["case", "update", "--from", "-"], stdin: #"{"id":"C-9","place":"Adra"}"#)
        #expect(unknown.status == 2 && unknown.stderr.contains("C-9"), "\(unknown.stdout) \(unknown.stderr)")
        let field = try fixture.run("investigator", ["case", "update", "--from", "-"], stdin: #"{"id":"C-2","colour":null}"#)
        #expect(field.status != 0 && field.stderr.contains("unknown field colour"), "\(field.stderr)")
        let id = try fixture.run("investigator", ["case", "update", "--from", "-"], stdin: #"{"id":"C-2"}"#)
        #expect(id.status != 0 && id.stderr.contains("names no field to change"), "\(id.stderr)")
        let shown = try fixture.run("investigator", ["case", "show", "C-2"])
        #expect(shown.stdout.contains("4102/227") && !shown.stdout.contains("Adra"))
    }

    @Test("a collector's modified client signs a case.update that empties a case it may not write: every reader's check refuses it")
    func forgedUpdateIsRefused() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        try RecordReviewAttackTests.sign(fixture, as: "collector", action: "case.update", objects: ["C-1", "case"]) { db in
            try db.execute(sql: "DELETE FROM recordField WHERE kind = 'case' AND recordID = 'C-1' AND compartment = 'case'")
        }
        let checked = try fixture.run("custodian-1", ["check"])
        #expect(checked.status == 3, "\(checked.stdout) \(checked.stderr)")
        #expect((checked.stdout + checked.stderr).contains("may not write the case fields of case C-1"), "\(checked.stdout) \(checked.stderr)")
    }
}
