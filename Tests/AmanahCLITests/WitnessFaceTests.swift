import Foundation
import Testing

/// Issue 16, "a collector can unmask a witness's face": under `tribunal-protected` a category-A region was
/// left unmasked when every source of the item consented to the recipient, so a collector who named a
/// consenting witness as the source of a photograph unmasked every face in it, with no protection officer
/// asked. A face is unmasked now only when its region names the witness it shows, that witness consented
/// to the recipient, and a protection officer approved the release; approvers see every region.
@Suite(.enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct WitnessFaceTests {
    /// The sources consented, the region names no one: it stays masked, and approvers are told why.
    @Test func aSourcesConsentNeverUnmasksSomeoneElsesFace() throws {
        let fixture = try DisclosureFixture()   // items delivered by W-0001, who consented to the Demo Tribunal
        let vault = fixture.vault
        defer { vault.cleanup() }
        let proposed = try vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected",
                                                       "--items", fixture.items[0], "--basis-file", "basis.txt", "-o", "req.json"])
        #expect(proposed.status == 0, "\(proposed.stderr)")
        let approved = try vault.run("legal-officer-2", ["disclose", "approve", "req.json", "--yes"])
        #expect(approved.status == 0, "\(approved.stderr)")
        let shown = approved.stdout + approved.stderr
        #expect(shown.contains("category A") && shown.contains("MASKED (it names no witness, so no one's consent can unmask it)"), "\(shown)")
        let issued = try vault.run("legal-officer", ["disclose", "issue", "req.json", "-o", "bundle.tar.age"])
        #expect(issued.status == 0, "\(issued.stderr)")
        try fixture.unpack()
        let record = String(decoding: try Data(contentsOf: URL(fileURLWithPath: vault.cli.folder + "/unpacked/records/DT-0001-0001.json")), as: UTF8.self)
        #expect(record.contains("\"target\" : \"region "), "the face was not masked: \(record)")
    }

    /// The region names the witness it shows, who consented: unmasked only once a protection officer approved.
    @Test func aNamedConsentingWitnessIsShownOnlyWithAProtectionOfficersApproval() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        #expect(try vault.run("investigator", ["region", "add", fixture.items[1], "10,10,40,40", "--category", "A", "--witness", "W-0001",
                                               "--reason", "the witness"]).status == 0)
        let unknown = try vault.run("investigator", ["region", "add", fixture.items[1], "60,60,20,20", "--category", "A", "--witness", "W-9999"])
        #expect(unknown.status != 0 && unknown.stderr.contains("W-9999"), "\(unknown.stderr)")
        let proposed = try vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected",
                                                       "--items", fixture.items[1], "--basis-file", "basis.txt", "-o", "req.json"])
        #expect(proposed.status == 0, "\(proposed.stderr)")
        let legal = try vault.run("legal-officer-2", ["disclose", "approve", "req.json", "--yes"])
        #expect(legal.status == 0, "\(legal.stderr)")
        #expect((legal.stdout + legal.stderr).contains("NOT MASKED (the witness it shows consented to Demo Tribunal"), "\(legal.stdout) \(legal.stderr)")
        let early = try vault.run("legal-officer", ["disclose", "issue", "req.json", "-o", "early.tar.age"])
        #expect(early.status != 0 && early.stderr.contains("protection-officer"), "issued without a protection officer: \(early.stderr)")
        #expect(!FileManager.default.fileExists(atPath: vault.cli.folder + "/early.tar.age"))
        let officer = try vault.run("protection-officer", ["disclose", "approve", "req.json", "--yes"])
        #expect(officer.status == 0, "\(officer.stderr)")
        let issued = try vault.run("legal-officer", ["disclose", "issue", "req.json", "-o", "bundle.tar.age"])
        #expect(issued.status == 0, "\(issued.stderr)")
        try fixture.unpack()
        let record = String(decoding: try Data(contentsOf: URL(fileURLWithPath: vault.cli.folder + "/unpacked/records/DT-0001-0001.json")), as: UTF8.self)
        #expect(!record.contains("\"target\" : \"region "), "the consented face was masked: \(record)")
        let plan = String(decoding: try Data(contentsOf: URL(fileURLWithPath: vault.cli.folder + "/unpacked/request/plan.json")), as: UTF8.self)
        #expect(!plan.contains("W-0001"), "the plan names the witness: \(plan)")
    }
}
