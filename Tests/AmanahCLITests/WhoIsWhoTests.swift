import Foundation
import Testing
import VaultCrypto
import Vault
import VaultGovernance

/// Issue 18, who is who: `info`, `members` and `recipients`, as text and as JSON.
@Suite("Who is who", .enabled(if: stockToolsPresent, "needs Debian's age for the recipient"))
struct WhoIsWhoTests {
    @Test("info shows custodians, threshold, members by role, recipients, governance, log and counts; members and recipients list them; --json parses")
    func infoMembersRecipients() throws {
        let disclosure = try DisclosureFixture()
        let vault = disclosure.vault
        defer { vault.cleanup() }
        // No identity needed.
        let info = try vault.cli.run(["info", "-C", "vault"])
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("vault: \(vault.vaultID) (amanah-genesis-v1)"), "\(info.stdout)")
        #expect(info.stdout.contains("custodians: 2 of 2 needed"))
        #expect(info.stdout.contains("members: 6"))
        #expect(info.stdout.contains("recipients: Demo Tribunal"))
        #expect(info.stdout.contains("holds: 2 cases, 1 witness, 2 items, 0 disclosures"), "\(info.stdout)")
        #expect(info.stdout.contains("newest checkpoint over "), "\(info.stdout)")

        let json = try vault.cli.run(["info", "-C", "vault", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["vaultID"] as? String == vault.vaultID)
        #expect(object["threshold"] as? Int == 2 && object["items"] as? Int == 2 && object["cases"] as? Int == 2)
        #expect((object["custodians"] as? [[String: Any]])?.count == 2)
        #expect(!json.stdout.contains("\\/"), "JSON escapes slashes")

        let members = try vault.cli.run(["members", "-C", "vault", "--json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(members.stdout.utf8)) as? [[String: Any]])
        #expect(list.count == 6)
        let investigator = try #require(list.first { $0["role"] as? String == "investigator" })
        let keyID = try #require(investigator["keyID"] as? String)
        #expect(keyID.count == 16 && investigator["fingerprint"] as? String == stride(from: 0, to: 16, by: 4).map { i in
            String(Array(keyID)[i..<(i + 4)]) }.joined(separator: "-"))
        let expected = IdentityBox(try KeyFile.unlock(Array(vault.cli.read("investigator.key")), passphrase: passphrase("investigator"))).publicKey.keyIDHex
        #expect(keyID == expected)
        let text = try vault.cli.run(["members", "-C", "vault"])
        #expect(text.stdoutLines.count == 6 && text.stdoutLines.contains { $0.hasPrefix(keyID + "\t") && $0.hasSuffix("\tinvestigator") }, "\(text.stdout)")

        let recipients = try vault.cli.run(["recipients", "-C", "vault", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(recipients.stdout.utf8)) as? [String]) == ["Demo Tribunal"])
    }
}
