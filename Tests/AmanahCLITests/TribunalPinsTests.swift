import Foundation
import Testing
import VaultAudit
import VaultCrypto
import VaultDisclosure
import VaultFormats

/// Issue 16 ("what a tribunal can check"): one issuer built a bundle signed by itself and by a key it had made a
/// second earlier and labelled "protection-officer", under a checkpoint it signed alone, and every check said
/// ok. Approvals and custody now count only when they chain to the recipient kit pinned at registration
/// (`amanah recipient kit`, `bundle verify --kit`).
@Suite(.enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct TribunalPinsTests {
    /// Rewrites `manifest.json` with `change`, then re-signs it and `SHA256SUMS` as the issuer would.
    static func reissueAsIssuer(_ fixture: DisclosureFixture, folder: String, change: (inout [String: Any]) throws -> Void) throws {
        let base = fixture.vault.cli.folder + "/" + folder
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + "/manifest.json"))) as! [String: Any]
        try change(&manifest)
        let manifestBytes = Array(try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) + [0x0A]
        try Data(manifestBytes).write(to: URL(fileURLWithPath: base + "/manifest.json"))
        var sums = ""
        let files = FileManager.default.enumerator(atPath: base)!.compactMap { $0 as? String }.filter { name in
            var folder: ObjCBool = false
            FileManager.default.fileExists(atPath: base + "/" + name, isDirectory: &folder)
            return !folder.boolValue && !["SHA256SUMS", "SHA256SUMS.minisig", "manifest.json.minisig"].contains(name)
        }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for name in files { sums += "\(try sha256Hex(of: base + "/" + name))  \(name)\n" }
        try Data(sums.utf8).write(to: URL(fileURLWithPath: base + "/SHA256SUMS"))
        let issuer = try KeyFile.unlock(Array(fixture.vault.cli.read("legal-officer.key")), passphrase: passphrase("legal-officer"))
        for (file, bytes) in [("SHA256SUMS", Array(sums.utf8)), ("manifest.json", manifestBytes)] {
            let signature = try MinisignSignature.sign(message: bytes, identity: issuer, trustedComment: "forged")
            try Data(signature.fileContents).write(to: URL(fileURLWithPath: base + "/" + file + ".minisig"))
        }
    }

    @Test func anApprovalByAKeyTheIssuerMadeIsNotVerified() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        #expect(try fixture.disclose().status == 0)
        try fixture.unpack()
        // The issuer makes a key, calls it a protection officer, and signs the release plan with it in place of
        // the second legal officer.
        let fake = try vault.cli.makeIdentity("fake-protection-officer")
        let fakeIdentity = try KeyFile.unlock(Array(vault.cli.read("fake-protection-officer.key")), passphrase: passphrase("fake-protection-officer"))
        let plan = Array(try vault.cli.read("unpacked/request/plan.json"))
        let signature = fakeIdentity.sign(ReleasePlan.approvalMessage(planHash: SHA256Digest.hash(plan)), context: .disclosure)
        let fakeKey = try MemberPublicKey(line: fake)
        try Self.reissueAsIssuer(fixture, folder: "unpacked") { manifest in
            var approvals = manifest["approvals"] as! [[String: Any]]
            approvals[approvals.count - 1] = ["keyID": fakeKey.keyIDHex, "publicKey": fake, "role": "protection-officer",
                                              "signature": Base64.encode(signature)]
            manifest["approvals"] = approvals
        }
        // Without the kit, what the stock tools check passes: the forgery is in what they cannot see.
        let folder = vault.cli.folder + "/unpacked"
        #expect(try runTool("minisign", ["-Vm", "manifest.json", "-p", "../issuer.pub"], in: folder).0 == 0)
        #expect(try runTool("sha256sum", ["-c", "SHA256SUMS"], in: folder).0 == 0)
        let withoutKit = try vault.cli.run(["bundle", "verify", "unpacked", "--issuer-key", "issuer.pub"])
        #expect(withoutKit.status == 3 && withoutKit.stdout.contains("FAIL approvals:") && withoutKit.stdout.contains("no recipient kit (--kit)"),
                "\(withoutKit.stdout)")
        let verified = try vault.cli.run(["bundle", "verify", "unpacked", "--kit", "kit.json"])
        #expect(verified.status == 3, "\(verified.stdout)")
        #expect(verified.stdout.contains("not verified: the approver \(fakeKey.keyIDHex) is neither pinned by the kit nor granted a role"), "\(verified.stdout)")
        #expect(verified.stdout.hasSuffix("NOT VERIFIED\n"))
        // A kit pins the issuer too: a bundle issued by a key the kit does not know is refused as well.
        try Self.reissueAsIssuer(fixture, folder: "unpacked") { manifest in
            manifest["issuer"] = ["keyID": fakeKey.keyIDHex, "publicKey": fake, "role": "legal-officer"]
        }
        let otherIssuer = try vault.cli.run(["bundle", "verify", "unpacked", "--kit", "kit.json"])
        #expect(otherIssuer.status == 3 && otherIssuer.stdout.contains("FAIL issuer key: not verified: the issuer \(fakeKey.keyIDHex)"), "\(otherIssuer.stdout)")
    }

    /// An issuer cannot slip an unredacted record or any other file into a bundle by listing it in the
    /// SHA256SUMS it signs: every file must have its place, and records are checked against the plan.
    @Test func filesOutsideTheLayoutAreRefused() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        #expect(try fixture.disclose().status == 0)
        try fixture.unpack()
        try vault.cli.write("unpacked/records/DT-0001-0001-full.json", #"{"identifiedName":"Test Person A"}"#)
        try Self.reissueAsIssuer(fixture, folder: "unpacked") { manifest in
            var items = manifest["items"] as! [[String: Any]]
            items[0]["record"] = items[0]["file"]   // the record check skipped when the record is a streamed file
            manifest["items"] = items
        }
        #expect(try runTool("sha256sum", ["-c", "SHA256SUMS"], in: vault.cli.folder + "/unpacked").0 == 0)
        let verified = try vault.cli.run(["bundle", "verify", "unpacked", "--kit", "kit.json"])
        #expect(verified.status == 3, "\(verified.stdout)")
        #expect(verified.stdout.contains("files outside the bundle's layout: records/DT-0001-0001-full.json"), "\(verified.stdout)")
        #expect(verified.stdout.contains("DT-0001-0001: its record is items/DT-0001-0001.jpg"), "\(verified.stdout)")
    }

    /// A requester who edits the plan in the request file and signs it again (here: another file hash for the
    /// first item, as if the original were to be released in place of its derivative) does not get a second
    /// member's approval: `disclose approve` recomputes the release and refuses a plan that differs.
    @Test func anApproverSignsOnlyTheReleaseTheVaultComputes() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        let proposed = try vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected", "--case", "C-1",
                                                       "--basis-file", "basis.txt", "-o", "req.json"])
        #expect(proposed.status == 0, "\(proposed.stderr)")
        let request = try DisclosureRequest(fileContents: Array(vault.cli.read("req.json")), source: "req.json")
        var plan = try JSONSerialization.jsonObject(with: Data(request.planBytes)) as! [String: Any]
        var items = plan["items"] as! [[String: Any]]
        items[0]["fileSHA256"] = String(repeating: "ab", count: 32)
        plan["items"] = items
        let planBytes = Array(try JSONSerialization.data(withJSONObject: plan, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]))
        let requester = try KeyFile.unlock(Array(vault.cli.read("legal-officer.key")), passphrase: passphrase("legal-officer"))
        let signature = requester.sign(ReleasePlan.approvalMessage(planHash: SHA256Digest.hash(planBytes)), context: .disclosure)
        let forged = DisclosureRequest(planBytes: planBytes, basis: request.basis,
                                       signatures: [.init(keyID: requester.publicKey.keyIDHex, signature: signature)])
        try Data(try forged.fileContents()).write(to: URL(fileURLWithPath: vault.cli.folder + "/req.json"))
        let approved = try vault.run("legal-officer-2", ["disclose", "approve", "req.json", "--yes"])
        #expect(approved.status != 0, "a second member approved an altered plan")
        #expect(approved.stderr.contains("the plan is not the release the vault computes now") && approved.stderr.contains("its released file"),
                "\(approved.stderr)")
    }

    @Test func aCheckpointTheIssuerSignedAloneIsNotCustody() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        #expect(try fixture.disclose().status == 0)
        try fixture.unpack()
        let clean = try vault.cli.run(["bundle", "verify", "unpacked", "--kit", "kit.json"])
        #expect(clean.status == 0 && clean.stdout.contains("ok   custody: every event is in the checkpoint cosigned by 2 of the 2 pinned custodians"), "\(clean.stdout)")
        #expect(clean.stdout.contains("recipient kit: "), "\(clean.stdout)")
        // The issuer replaces the checkpoint with one it signed alone (over the same tree): the custodians'
        // cosignatures are what a tribunal relies on.
        let checkpoint = try SignedCheckpoint(parsing: Array(vault.cli.read("unpacked/custody/checkpoint.txt"))).checkpoint
        let issuer = try KeyFile.unlock(Array(vault.cli.read("legal-officer.key")), passphrase: passphrase("legal-officer"))
        try Data(try SignedCheckpoint(signing: checkpoint, by: issuer).text.utf8).write(to: URL(fileURLWithPath: vault.cli.folder + "/unpacked/custody/checkpoint.txt"))
        try Self.reissueAsIssuer(fixture, folder: "unpacked") { _ in }
        let forged = try vault.cli.run(["bundle", "verify", "unpacked", "--kit", "kit.json"])
        #expect(forged.status == 3 && forged.stdout.contains("FAIL custody: the checkpoint carries the signatures of 0 of the pinned custodians, 2 needed"), "\(forged.stdout)")
        // A kit for another recipient does not verify this bundle.
        var kit = try JSONSerialization.jsonObject(with: Data(vault.cli.read("kit.json"))) as! [String: Any]
        kit["recipient"] = "Other Court"
        try JSONSerialization.data(withJSONObject: kit).write(to: URL(fileURLWithPath: vault.cli.folder + "/other-kit.json"))
        let other = try vault.cli.run(["bundle", "verify", "bundle.tar.age", "-i", "tribunal.key", "--kit", "other-kit.json"])
        #expect(other.status == 3 && other.stdout.contains("FAIL recipient kit: the kit is for Other Court"), "\(other.stdout)")
    }

    @Test func anApproverAddedAfterTheKitIsProvenByItsGrant() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        // A protection officer joins after the tribunal received its kit, and approves in place of the second
        // legal officer.
        let newcomer = try vault.cli.makeIdentity("new-legal-officer")
        #expect(try vault.governance(["add-member", newcomer, "--role", "legal-officer"], approvers: ["custodian-1", "custodian-2"]).status == 0)
        let proposed = try vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected", "--case", "C-1",
                                                       "--basis-file", "basis.txt", "-o", "req.json"])
        #expect(proposed.status == 0, "\(proposed.stderr)")
        #expect(try vault.run("new-legal-officer", ["disclose", "approve", "req.json", "--yes"]).status == 0)
        // The grant is newer than the cosigned checkpoint: issue says what to do.
        let early = try vault.run("legal-officer", ["disclose", "issue", "req.json", "-o", "early.tar.age"])
        #expect(early.status != 0 && early.stderr.contains("was granted by event") && early.stderr.contains("amanah audit cosign"), "\(early.stderr)")
        try vault.cosignCheckpoint(file: "checkpoint-2.txt")
        #expect(try vault.run("legal-officer", ["disclose", "issue", "req.json", "-o", "bundle.tar.age"]).status == 0)
        let verified = try vault.cli.run(["bundle", "verify", "bundle.tar.age", "-i", "tribunal.key", "--kit", "kit.json"])
        #expect(verified.status == 0 && verified.stdout.contains("ok   role grants: 1 role grant proven in the cosigned checkpoint"), "\(verified.stdout)")
        // The grant made to say "protection-officer" no longer matches its entry.
        try fixture.unpack()
        let grantsPath = vault.cli.folder + "/unpacked/custody/grants.json"
        let grants = String(decoding: try Data(contentsOf: URL(fileURLWithPath: grantsPath)), as: UTF8.self)
        try Data(grants.replacingOccurrences(of: "\"legal-officer\"", with: "\"protection-officer\"").utf8).write(to: URL(fileURLWithPath: grantsPath))
        try Self.reissueAsIssuer(fixture, folder: "unpacked") { manifest in
            var approvals = manifest["approvals"] as! [[String: Any]]
            for index in approvals.indices where approvals[index]["keyID"] as? String == (try? MemberPublicKey(line: newcomer))?.keyIDHex {
                approvals[index]["role"] = "protection-officer"
            }
            manifest["approvals"] = approvals
        }
        let forged = try vault.cli.run(["bundle", "verify", "unpacked", "--kit", "kit.json"])
        #expect(forged.status == 3 && forged.stdout.contains("FAIL role grants:") && forged.stdout.contains("do not grant it the role protection-officer"), "\(forged.stdout)")
    }

    /// Custody events named the collector by key id (the same for every recipient, so items linked across
    /// recipients, and the collector may be the photographer). The leaves now carry a commitment in place of
    /// the actor, and the bundle shows a role and a per-recipient pseudonym.
    @Test func custodyNamesNoActorKey() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        #expect(try fixture.disclose().status == 0)
        try fixture.unpack()
        let collector = try MemberPublicKey(line: vault.publicKeys["collector"]!)
        let events = try JSONSerialization.jsonObject(with: Data(vault.cli.read("unpacked/custody/events.json"))) as! [[String: Any]]
        let ingests = events.filter { $0["action"] as? String == "item.ingest" }
        #expect(ingests.count == 2)
        for event in events {
            let leaf = try Base64.decode(event["leaf"] as! String)
            #expect(leaf.firstRange(of: collector.keyID) == nil, "a leaf carries the collector's key id")
            #expect(event["actorKey"] == nil)
        }
        let actors = Set(ingests.compactMap { $0["actor"] as? String })
        #expect(actors.count == 1 && actors.first!.hasPrefix("collector P-"), "\(actors)")
        // No file of the bundle names the collector's key, in hex or as its key line.
        for file in FileManager.default.enumerator(atPath: vault.cli.folder + "/unpacked")!.compactMap({ $0 as? String }) {
            guard let data = FileManager.default.contents(atPath: vault.cli.folder + "/unpacked/" + file) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            #expect(!text.contains(collector.keyIDHex) && !text.contains(vault.publicKeys["collector"]!), "\(file) names the collector")
        }
        // Another recipient sees another pseudonym for the same collector.
        let (_, other) = try runTool("age-keygen", ["-y", "tribunal.key"], in: vault.cli.folder)
        #expect(try vault.governance(["add-recipient", "Second Court", "--age-key", other.trimmingCharacters(in: .whitespacesAndNewlines)],
                                     approvers: ["custodian-1", "custodian-2"], file: "second.json").status == 0)
        #expect(try vault.run("legal-officer", ["disclose", "propose", "--to", "Second Court", "--profile", "tribunal-protected", "--case", "C-1",
                                                "--basis-file", "basis.txt", "-o", "second-req.json"]).status == 0)
        #expect(try vault.run("legal-officer-2", ["disclose", "approve", "second-req.json", "--yes"]).status == 0)
        let issued = try vault.run("legal-officer", ["disclose", "issue", "second-req.json", "-o", "second.tar.age"])
        #expect(issued.status == 0, "\(issued.stderr)")
        try fixture.unpack("second.tar.age", into: "second")
        let secondEvents = try JSONSerialization.jsonObject(with: Data(vault.cli.read("second/custody/events.json"))) as! [[String: Any]]
        let secondActors = Set(secondEvents.filter { $0["action"] as? String == "item.ingest" }.compactMap { $0["actor"] as? String })
        #expect(secondActors.count == 1 && secondActors != actors, "\(secondActors) \(actors)")
        // And the audit log of the vault still verifies with the blinded actors.
        #expect(try vault.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
    }
}
