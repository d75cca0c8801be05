import Foundation
import Testing

/// Issue 18: a release prepared before a consent change is checked again at approval and at issue.
@Suite("Consent changed after a release was prepared", .enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct ConsentChangeTests {
    @Test("the witness withdraws consent to the tribunal after the request was proposed: approval is refused; after approval: issue is refused")
    func consentWithdrawnAfterProposal() throws {
        for afterApproval in [false, true] {
            let fixture = try DisclosureFixture()
            let vault = fixture.vault
            defer { vault.cleanup() }
            // The witness's face, which the tribunal-protected profile leaves unmasked only with their consent.
            let face = try vault.run("investigator", ["region", "add", fixture.items[1], "10,10,40,40", "--category", "A", "--reason", "the witness",
                                                      "--witness", "W-0001"])
            #expect(face.status == 0, "\(face.stderr)")
            let proposed = try vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected", "--items", fixture.items[1],
                                                           "--basis-file", "basis.txt", "-o", "req.json"])
            #expect(proposed.status == 0, "\(proposed.stderr)")
            if afterApproval {
                #expect(try vault.run("legal-officer-2", ["disclose", "approve", "req.json", "--yes"]).status == 0)
                let officer = try vault.run("protection-officer", ["disclose", "approve", "req.json", "--yes"])
                #expect(officer.status == 0, "\(officer.stderr)")
            }
            let changed = try vault.run("protection-officer", ["witness", "update", "--from", "-"], stdin: #"{"pseudonym":"W-0001","consent":["UN COI"]}"#)
            #expect(changed.status == 0, "\(changed.stderr)")
            if !afterApproval {
                let approval = try vault.run("legal-officer-2", ["disclose", "approve", "req.json", "--yes"])
                #expect(approval.status != 0, "approved after the consent changed: \(approval.stdout) \(approval.stderr)")
            }
            let issued = try vault.run("legal-officer", ["disclose", "issue", "req.json", "-o", "bundle.tar.age"])
            #expect(issued.status != 0, "issued after the consent changed: \(issued.stdout) \(issued.stderr)")
            #expect(!FileManager.default.fileExists(atPath: vault.cli.folder + "/bundle.tar.age"))
        }
    }
}
