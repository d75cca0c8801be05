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

    @Test("a member added with --name is shown by that name beside their key id in members, info and the audit log; a name with a control character is refused")
    func namedMembers() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        let dana = try vault.cli.makeIdentity("dana")
        let bad = try vault.run("custodian-1", ["op", "propose", "add-member", dana, "--role", "investigator", "--name", "Dana\u{202E}x", "-o", "bad.json"])
        #expect(bad.status == 64 && bad.stderr.contains("--name: contains a control or formatting character"), "\(bad.stderr)")
        let proposed = try vault.run("custodian-1", ["op", "propose", "add-member", dana, "--role", "investigator", "--name", "Dana (investigator, Berlin)", "-o", "op.json"])
        #expect(proposed.status == 0, "\(proposed.stderr)")
        // The approver sees the name in the plain words of the change.
        let approved = try vault.run("custodian-2", ["op", "approve", "op.json", "--yes"])
        #expect(approved.status == 0 && (approved.stdout + approved.stderr).contains("named \"Dana (investigator, Berlin)\""), "\(approved.stdout) \(approved.stderr)")
        #expect(try vault.run("custodian-1", ["op", "approve", "op.json", "--yes"]).status == 0)
        #expect(try vault.run("custodian-1", ["op", "apply", "op.json"]).status == 0)
        let members = try vault.cli.run(["members", "--json", "-C", "vault"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(members.stdout.utf8)) as? [[String: Any]], "\(members.stdout)")
        let named = list.filter { $0["name"] as? String == "Dana (investigator, Berlin)" }
        #expect(named.count == 1 && named.first?["role"] as? String == "investigator", "\(list)")
        #expect(list.filter { !($0["name"] is NSNull) && $0["name"] != nil }.count == 1)
        let info = try vault.cli.run(["info", "-C", "vault"])
        #expect(info.stdout.contains("Dana (investigator, Berlin)"), "\(info.stdout)")
        // Her events in the audit log name her.
        try vault.cli.write("case.json", #"{"id":"C-7","place":"Adra"}"#)
        #expect(try vault.cli.run(["case", "add", "--from", "case.json", "-C", "vault", "-i", "dana.key", "--passphrase-file", "dana.pass"]).status == 0)
        let log = try vault.cli.run(["audit", "log", "-C", "vault"])
        #expect(log.stdout.contains("Dana (investigator, Berlin)"), "\(log.stdout)")
        #expect(try vault.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
    }
}
