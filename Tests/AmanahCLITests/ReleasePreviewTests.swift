import Foundation
import Testing
import VaultCrypto
import VaultPolicy

/// Issue 18: `show ITEM --profile P --recipient NAME` previews what that recipient would receive.
@Suite("Previewing a release", .enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct ReleasePreviewTests {
    @Test("the preview names the file, the regions masked, each record after the field rules, and the policy's verdict; it is audited")
    func previewMatchesTheRelease() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        let item = fixture.items[0]
        let preview = try vault.run("legal-officer", ["show", item, "--profile", "tribunal-protected", "--recipient", "Demo Tribunal", "--json"])
        #expect(preview.status == 0, "\(preview.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(preview.stdout.utf8)) as? [String: Any])
        #expect(object["release"] as? String == "derivative")
        #expect(object["refusal"] == nil)
        let regions = try #require(object["regions"] as? [[String: Any]])
        #expect(regions.count == 1 && regions[0]["masked"] as? Bool == true && regions[0]["category"] as? String == "A")
        let records = try #require(object["records"] as? [String: Any])
        let caseRecord = try #require(records["case"] as? [String: Any])
        // The witness is pseudonymised for the tribunal, never named by their vault pseudonym.
        let identifiedBy = try #require(caseRecord["identifiedBy"] as? String)
        #expect(identifiedBy.hasPrefix("P-") && identifiedBy != "W-0001")
        let itemRecord = try #require(records["item"] as? [String: Any])
        #expect(itemRecord["gps"] == nil && itemRecord["fileName"] == nil && itemRecord["model"] as? String == "COOLPIX P6000")
        #expect(!preview.stdout.contains("W-0001") && !preview.stdout.contains("DSCN0010"))

        // Without a recipient, judged as an export; the public profile removes the detainee number.
        let exported = try vault.run("investigator", ["show", item, "--profile", "public"])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("to no one named") && exported.stdout.contains("policy: would permit"), "\(exported.stdout)")
        #expect(exported.stdout.contains("field case.detaineeNumber remove [B]") && !exported.stdout.contains("٣٤٥٦"), "\(exported.stdout)")

        // A release the role may not make: the verdict says so, and the command still shows only what the role reads.
        let refused = try vault.run("investigator", ["show", item, "--profile", "tribunal-full", "--recipient", "Demo Tribunal"])
        #expect(refused.status == 0, "\(refused.stderr)")
        #expect(refused.stdout.contains("policy: would refuse: no rule permits investigator to disclose"), "\(refused.stdout)")
        #expect(refused.stdout.contains("file: the original, byte for byte"), "\(refused.stdout)")

        let unknown = try vault.run("legal-officer", ["show", item, "--profile", "tribunal-protected", "--recipient", "Nobody"])
        #expect(unknown.status != 0 && unknown.stderr.contains("Nobody is not a registered recipient"), "\(unknown.stderr)")
        let usage = try vault.run("legal-officer", ["show", item, "--recipient", "Demo Tribunal"])
        #expect(usage.status == 64 && usage.stderr.contains("--recipient needs --profile"), "\(usage.stderr)")

        let log = try vault.run("auditor", ["audit", "log", "--json"])
        #expect(log.stdout.components(separatedBy: "item.preview").count - 1 == 3, "\(log.stdout.suffix(2000))")
    }

    @Test("key ids are printed one way (16 hex digits); minisign's reversed form appears only beside minisign's own steps and file")
    func keyIDsOneWay() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        let issuer = try MemberPublicKey(line: try #require(vault.publicKeys["legal-officer"])).keyIDHex
        let bytes = stride(from: 0, to: 16, by: 2).map { i in String(Array(issuer)[i..<(i + 2)]) }
        let minisignForm = bytes.reversed().joined().uppercased()
        #expect(try fixture.disclose().status == 0)
        try fixture.unpack()
        let verify = try String(contentsOfFile: vault.cli.folder + "/unpacked/VERIFY.txt", encoding: .utf8)
        let flowing = verify.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        #expect(flowing.contains("key id \(issuer), which minisign prints as \(minisignForm)"), "\(verify.prefix(600))")
        let exported = try vault.cli.run(["key", "export", "--minisign", "legal-officer.key"])
        #expect(exported.stdout.hasPrefix("untrusted comment: minisign public key \(minisignForm) (amanah key id \(issuer))"), "\(exported.stdout)")
        let unpinned = try vault.cli.run(["bundle", "verify", "bundle.tar.age", "-i", "tribunal.key"])
        #expect(unpinned.stdout.contains("(key id \(issuer))") && !unpinned.stdout.contains(minisignForm), "\(unpinned.stdout)")
    }

    @Test("bundle verify: exit 2 for a missing bundle or the wrong age identity, 3 for a bundle that fails; JSON without escaped slashes")
    func bundleVerifyExitStatus() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        #expect(try fixture.disclose().status == 0)
        let good = try vault.cli.run(["bundle", "verify", "bundle.tar.age", "-i", "tribunal.key", "--kit", "kit.json", "--json"])
        #expect(good.status == 0 && !good.stdout.contains("\\/"), "\(good.stdout)")
        let missing = try vault.cli.run(["bundle", "verify", "no-such.tar.age", "-i", "tribunal.key"])
        #expect(missing.status == 2 && missing.stderr.contains("no-such.tar.age: No such file or directory"), "\(missing.stderr)")
        #expect(try runTool("age-keygen", ["-o", "other.key"], in: vault.cli.folder).0 == 0)
        let wrong = try vault.cli.run(["bundle", "verify", "bundle.tar.age", "-i", "other.key"])
        #expect(wrong.status == 2 && wrong.stderr.contains("is not encrypted to this identity"), "\(wrong.stderr)")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: vault.cli.folder + "/bundle.tar.age"))
        bytes[bytes.count - 40] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: vault.cli.folder + "/flipped.tar.age"))
        let flipped = try vault.cli.run(["bundle", "verify", "flipped.tar.age", "-i", "tribunal.key"])
        #expect(flipped.status == 3, "\(flipped.stderr)")
    }

    @Test("a member the policy refuses to view the item's case gets no preview of it, though their keys would open it; a watermark profile is refused for a recipient")
    func previewNeedsTheViewOfTheCase() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        let item = fixture.items[0]
        #expect(try vault.run("investigator", ["show", item, "--profile", "tribunal-full", "--recipient", "Demo Tribunal"]).status == 0)
        // A deny on case C-1 for investigators: their keys still open the compartments, the policy refuses the view.
        let narrowed = DefaultPolicy.text + """

            [[deny]]
            name = "c1-closed-to-investigators"
            roles = ["investigator"]
            actions = ["view"]
            cases = ["C-1"]
            reason = "case C-1 is sealed by order"

            """
        try vault.cli.write("narrow.toml", narrowed)
        #expect(try vault.governance(["set-policy", "narrow.toml"], approvers: ["custodian-1", "custodian-2"]).status == 0)
        #expect(try vault.run("investigator", ["show", item]).status != 0)
        for arguments in [["--profile", "tribunal-full", "--recipient", "Demo Tribunal"], ["--profile", "public"]] {
            let preview = try vault.run("investigator", ["show", item] + arguments)
            #expect(preview.status == 1 && preview.stderr.contains("case C-1 is sealed by order"), "\(preview.stdout) \(preview.stderr)")
            #expect(!preview.stdout.contains("4102") && !preview.stdout.contains("Qaboun") && !preview.stdout.contains("COOLPIX"), "\(preview.stdout)")
        }
        let family = try vault.run("protection-officer", ["show", item, "--profile", "family-viewing", "--recipient", "Demo Tribunal"])
        #expect(family.status == 0 && family.stdout.contains("policy: would refuse: the family-viewing profile draws a viewing session's watermark"), "\(family.stdout) \(family.stderr)")
    }
}
