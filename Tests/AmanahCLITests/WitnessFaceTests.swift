import Foundation
import Testing
import VaultCrypto

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
        // The witness shown is named nowhere in the bundle (records carry a per-recipient pseudonym).
        let folder = vault.cli.folder + "/unpacked"
        for file in FileManager.default.enumerator(atPath: folder)!.compactMap({ $0 as? String }) {
            guard let data = FileManager.default.contents(atPath: folder + "/" + file) else { continue }
            #expect(data.range(of: Data("W-0001".utf8)) == nil, "\(file) names the witness")
        }
    }
}

/// Issue 16: a collector (who may not view items) who delivered a copy of a photograph the vault holds was
/// told its item and case and attached any witness to it as a source. The delivery is now a pending source
/// that names nothing to the collector, until an investigator confirms it.
@Suite struct PendingSourceTests {
    @Test func aCollectorsDuplicateWaitsForAnInvestigatorAndRevealsNothing() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let item = try vault.ingest([samplePhotos[0]], as: "investigator")[0].0
        let delivered = try vault.run("collector", ["ingest", "--case", "C-2", "--witness", "W-0001", samplePhotos[0]])
        #expect(delivered.status == 0, "\(delivered.stderr)")
        let line = try #require(delivered.stdoutLines.first)
        #expect(line.hasPrefix("pending:"), "\(line)")
        #expect(!(delivered.stdout + delivered.stderr).contains(item) && !delivered.stderr.contains("C-1"), "\(delivered.stdout) \(delivered.stderr)")
        let sourceID = String(line.dropFirst("pending:".count).prefix { $0 != "\t" })
        let log = try vault.cli.run(["audit", "log", "-C", "vault", "--json"])
        let pendingEvents = log.stdoutLines.filter { $0.contains("item.source-pending") }
        #expect(pendingEvents.count == 1 && !pendingEvents[0].contains(item), "\(pendingEvents)")

        // Not linked yet: the item has one source.
        #expect(try vault.run("investigator", ["show", item]).stdout.components(separatedBy: "source ").count - 1 == 1)
        let refused = try vault.run("collector", ["source", "list", "--pending"])
        #expect(refused.status != 0 && refused.stderr.contains("not permitted"), "\(refused.stderr)")
        let listed = try vault.run("investigator", ["source", "list", "--pending"])
        #expect(listed.status == 0 && listed.stdoutLines.count == 1 && listed.stdout.contains(sourceID) && listed.stdout.contains(item), "\(listed.stdout)")
        let collectorConfirm = try vault.run("collector", ["source", "confirm", sourceID])
        #expect(collectorConfirm.status != 0)
        let confirmed = try vault.run("investigator", ["source", "confirm", sourceID])
        #expect(confirmed.status == 0 && confirmed.stdoutLines == [item], "\(confirmed.stderr)")
        #expect(try vault.run("investigator", ["source", "list", "--pending"]).stdoutLines.isEmpty)
        #expect(try vault.run("investigator", ["source", "confirm", sourceID]).status != 0)
        let checked = try vault.cli.run(["check", "-C", "vault", "--rebuild"])
        #expect(checked.status == 0, "\(checked.stdout) \(checked.stderr)")
        let shown = try vault.run("protection-officer", ["show", item])
        #expect(shown.status == 0 && shown.stdout.contains("W-0001"), "\(shown.stdout) \(shown.stderr)")

        // A second delivery, rejected: no longer pending, never linked, audited.
        let again = try vault.run("collector", ["ingest", "--case", "C-2", samplePhotos[0]])
        let second = String(try #require(again.stdoutLines.first).dropFirst("pending:".count).prefix { $0 != "\t" })
        #expect(try vault.run("collector", ["source", "reject", second]).status != 0)
        let rejected = try vault.run("investigator", ["source", "reject", second])
        #expect(rejected.status == 0, "\(rejected.stderr)")
        #expect(try vault.run("investigator", ["source", "list", "--pending"]).stdoutLines.isEmpty)
        #expect(try vault.run("investigator", ["source", "confirm", second]).status != 0)
        #expect(try vault.cli.run(["check", "-C", "vault"]).status == 0)
    }
}

/// Issue 16: the pseudonym key survived rotations of the case compartment, so a member removed by quorum
/// kept computing the per-recipient pseudonyms of every later release. It is replaced with the case key.
@Suite(.enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct PseudonymRotationTests {
    @Test func removingACaseReaderReplacesThePseudonymKey() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        func witnessPseudonym(_ bundle: String, _ folder: String) throws -> String {
            try fixture.unpack(bundle, into: folder)
            let data = try Data(contentsOf: URL(fileURLWithPath: vault.cli.folder + "/\(folder)/records/" + (try FileManager.default.contentsOfDirectory(atPath: vault.cli.folder + "/\(folder)/records").sorted().first!)))
            let record = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            let witnesses = record["witnesses"] as! [[String: Any]]
            return witnesses.first?["pseudonym"] as? String ?? ""
        }
        #expect(try fixture.disclose(output: "one.tar.age", request: "one.json").status == 0)
        let before = try witnessPseudonym("one.tar.age", "one")
        #expect(!before.isEmpty && before != "W-0001", "\(before)")
        let removed = try vault.governance(["remove-member", vault.publicKeys["investigator"]!], approvers: ["custodian-1", "custodian-2"])
        #expect(removed.status == 0, "\(removed.stderr)")
        let issued = try fixture.disclose(output: "two.tar.age", request: "two.json")
        #expect(issued.status == 0, "\(issued.stderr)")
        let after = try witnessPseudonym("two.tar.age", "two")
        #expect(!after.isEmpty && after != before, "the same pseudonym after the rotation: \(before)")
        #expect(try vault.cli.run(["check", "-C", "vault"]).status == 0)
    }
}

/// Issue 16 ("what a tribunal can check"): an issuer released an original with its GPS in place of the
/// approved derivative and every check said ok. `bundle verify` now refuses an item that claims to be a fresh
/// derivative but has an original's structure (camera segments, metadata, a thumbnail).
@Suite(.enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct OriginalAsDerivativeTests {
    @Test func anOriginalInPlaceOfTheDerivativeIsNamed() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        #expect(try fixture.disclose().status == 0)
        try fixture.unpack()
        let folder = vault.cli.folder + "/unpacked"
        let clean = try vault.cli.run(["bundle", "verify", "unpacked", "--issuer-key", "issuer.pub", "--kit", "kit.json"])
        #expect(clean.status == 0 && !clean.stdout.contains("claims to be a fresh derivative"), "\(clean.stdout)")
        // The camera original (EXIF with GPS) in place of DT-0001-0001, the manifest's hash and size made to match.
        let original = try Data(contentsOf: URL(fileURLWithPath: samplePhotos.first { $0.hasSuffix("DSCN0010.jpg") }!))
        try original.write(to: URL(fileURLWithPath: folder + "/items/DT-0001-0001.jpg"))
        var manifest = String(decoding: try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json")), as: UTF8.self)
        let object = try JSONSerialization.jsonObject(with: Data(manifest.utf8)) as! [String: Any]
        let first = (object["items"] as! [[String: Any]])[0]
        manifest = manifest.replacingOccurrences(of: first["sha256"] as! String, with: Hex.encode(SHA256Digest.hash(Array(original))))
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        let verified = try vault.cli.run(["bundle", "verify", "unpacked", "--issuer-key", "issuer.pub", "--kit", "kit.json"])
        #expect(verified.status == 3)
        #expect(verified.stdout.contains("DT-0001-0001: claims to be a fresh derivative, but"), "\(verified.stdout)")
    }
}

/// Issue 16: a bundle's custody proofs listed every earlier export of its items (who exported what, and
/// when, for someone else). Custody is the items' ingest, further deliveries and re-encryption, and this
/// release's own disclosure events.
@Suite(.enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct CustodyScopeTests {
    @Test func earlierExportsAreNotInTheCustodyRecord() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        #expect(try vault.run("investigator", ["export", fixture.items[0], "--profile", "public", "-o", "public.jpg"]).status == 0)
        #expect(try fixture.disclose().status == 0)
        try fixture.unpack()
        let events = String(decoding: try Data(contentsOf: URL(fileURLWithPath: vault.cli.folder + "/unpacked/custody/events.json")), as: UTF8.self)
        #expect(events.contains("item.ingest"), "\(events.prefix(500))")
        #expect(!events.contains("item.export"), "an earlier export is in the custody record")
        let verified = try vault.cli.run(["bundle", "verify", "bundle.tar.age", "-i", "tribunal.key", "--issuer-key", "issuer.pub", "--kit", "kit.json"])
        #expect(verified.status == 0, "\(verified.stdout)")
    }
}
