import Foundation
import Testing
import VaultCrypto

/// Whether a command-line tool's tests run: where it is installed, and always in CI (`CI=true`), where a
/// missing tool is then a failure rather than a skip.
func toolExists(_ name: String) -> Bool {
    if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
    return installed(name)
}

/// Whether a command-line tool is installed (the stock tools the tribunal uses).
func installed(_ name: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
    }
}

/// Runs a stock tool in `folder`; returns (status, stdout + stderr).
@discardableResult
func runTool(_ tool: String, _ arguments: [String], in folder: String) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

let stockToolsPresent = toolExists("age") && toolExists("age-keygen") && toolExists("minisign") && toolExists("sha256sum") && toolExists("tar")

/// A vault ready to disclose: records, a witness who consented to the demo tribunal, photographs (one with
/// serials and an owner), a region, a registered recipient and a second legal officer.
struct DisclosureFixture {
    let vault: VaultFixture
    var items: [String] = []

    init() throws {
        vault = try VaultFixture(extraMembers: [("legal-officer-2", "legal-officer")])
        try vault.addRecords()
        let serialPhoto = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/C03-exif23-serials-owner.jpg").path
        items = try vault.ingest([samplePhotos.first { $0.hasSuffix("DSCN0010.jpg") }!, serialPhoto], extra: ["--witness", "W-0001"]).map(\.0)
        #expect(try vault.run("investigator", ["region", "add", items[0], "40,40,200,120", "--category", "A", "--reason", "a face"]).status == 0)
        let (status, _) = try runTool("age-keygen", ["-o", "tribunal.key"], in: vault.cli.folder)
        #expect(status == 0)
        let (_, recipient) = try runTool("age-keygen", ["-y", "tribunal.key"], in: vault.cli.folder)
        #expect(try vault.governance(["add-recipient", "Demo Tribunal", "--age-key", recipient.trimmingCharacters(in: .whitespacesAndNewlines)],
                                     approvers: ["custodian-1", "custodian-2"], file: "recipient.json").status == 0)
        try vault.cli.write("basis.txt", "Request of the demo tribunal under rule 77 (test).\n")
        #expect(try vault.cli.run(["key", "export", "--minisign", "legal-officer.key", "-o", "issuer.pub"]).status == 0)
        // What the tribunal pins at registration (issue 16), and a checkpoint the custodians cosigned.
        let kit = try vault.run("custodian-1", ["recipient", "kit", "Demo Tribunal", "-o", "kit.json"])
        #expect(kit.status == 0, "recipient kit: \(kit.stderr)")
        try vault.cosignCheckpoint()
    }

    /// Proposes (legal officer), approves (second legal officer) and issues a bundle; returns issue's result.
    @discardableResult
    func disclose(profile: String = "tribunal-protected", output: String = "bundle.tar.age", request: String = "req.json",
                  approve: Bool = true) throws -> CLIHarness.Result {
        let proposed = try vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", profile, "--case", "C-1",
                                                       "--basis-file", "basis.txt", "-o", request])
        #expect(proposed.status == 0, "propose: \(proposed.stderr)")
        if approve {
            let approved = try vault.run("legal-officer-2", ["disclose", "approve", request, "--yes"])
            #expect(approved.status == 0, "approve: \(approved.stderr)")
        }
        return try vault.run("legal-officer", ["disclose", "issue", request, "-o", output])
    }

    /// Decrypts and unpacks a bundle with the stock tools into `folder`.
    func unpack(_ bundle: String = "bundle.tar.age", into folder: String = "unpacked") throws {
        let base = vault.cli.folder
        try FileManager.default.createDirectory(atPath: base + "/" + folder, withIntermediateDirectories: true)
        #expect(try runTool("age", ["-d", "-i", "tribunal.key", "-o", folder + ".tar", bundle], in: base).0 == 0)
        #expect(try runTool("tar", ["-xf", folder + ".tar", "-C", folder], in: base).0 == 0)
    }
}

@Suite(.enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct DisclosureTests {
    @Test func bundleVerifiesWithStockToolsAndAmanah() throws {
        let fixture = try DisclosureFixture()
        defer { fixture.vault.cleanup() }
        let issued = try fixture.disclose()
        #expect(issued.status == 0, "\(issued.stderr)")
        #expect(issued.stdoutLines == ["DT-0001"])
        try fixture.unpack()
        let folder = fixture.vault.cli.folder + "/unpacked"
        #expect(try runTool("minisign", ["-Vm", "SHA256SUMS", "-p", "../issuer.pub"], in: folder).0 == 0)
        #expect(try runTool("minisign", ["-Vm", "manifest.json", "-p", "../issuer.pub"], in: folder).0 == 0)
        let sums = try runTool("sha256sum", ["-c", "SHA256SUMS"], in: folder)
        #expect(sums.0 == 0, "\(sums.1)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/items").sorted()
        #expect(files == ["DT-0001-0001.jpg", "DT-0001-0002.jpg"])
        let verify = try fixture.vault.cli.run(["bundle", "verify", "bundle.tar.age", "-i", "tribunal.key", "--issuer-key", "issuer.pub", "--kit", "kit.json"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.hasSuffix("verified\n"))
        let json = try fixture.vault.cli.run(["bundle", "verify", "unpacked", "--issuer-key", "issuer.pub", "--kit", "kit.json", "--json"])
        #expect(json.status == 0)
        #expect((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any])["ok"] as? Bool == true)
        // No camera serial, owner name or GPS value of the originals in a tribunal-protected bundle.
        for secret in ["SN-000000000042", "LSN-0000007", "Test Owner", "Test Photographer", "43.4674", "11.8851", "COOLPIX P6000 GPS"] {
            let enumerator = FileManager.default.enumerator(atPath: folder)!
            while let file = enumerator.nextObject() as? String {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: folder + "/" + file, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file)), as: UTF8.self)
                #expect(!text.contains(secret), "\(secret) in \(file)")
            }
        }
        let record = String(decoding: try Data(contentsOf: URL(fileURLWithPath: folder + "/records/DT-0001-0001.json")), as: UTF8.self)
        // The region names no witness: whatever the sources consented to, tribunal-protected masks it (issue 16).
        #expect(record.contains("\"target\" : \"region "))
        #expect(record.contains("\"target\" : \"file\""))
        #expect(!record.contains("W-0001"))          // the witness is pseudonymised per recipient
    }

    @Test func tamperedBundlesFailWithTheRightReason() throws {
        let fixture = try DisclosureFixture()
        defer { fixture.vault.cleanup() }
        #expect(try fixture.disclose().status == 0)
        try fixture.unpack()
        let base = fixture.vault.cli.folder
        func variant(_ name: String, _ change: (String) throws -> Void) throws -> CLIHarness.Result {
            let folder = base + "/" + name
            try FileManager.default.copyItem(atPath: base + "/unpacked", toPath: folder)
            try change(folder)
            return try fixture.vault.cli.run(["bundle", "verify", name, "--issuer-key", "issuer.pub", "--kit", "kit.json"])
        }
        let flipped = try variant("flipped") { folder in
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/items/DT-0001-0001.jpg")))
            bytes[bytes.count / 2] ^= 1
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/items/DT-0001-0001.jpg"))
        }
        #expect(flipped.status == 3 && flipped.stdout.contains("FAIL SHA256SUMS: hash differs: items/DT-0001-0001.jpg"))
        let removed = try variant("removed") { try FileManager.default.removeItem(atPath: $0 + "/records/DT-0001-0002.json") }
        #expect(removed.status == 3 && removed.stdout.contains("missing: records/DT-0001-0002.json"))
        let added = try variant("added") { try Data("x".utf8).write(to: URL(fileURLWithPath: $0 + "/items/extra.jpg")) }
        #expect(added.status == 3 && added.stdout.contains("not listed: items/extra.jpg"))
        let swapped = try variant("swapped") { folder in
            let a = folder + "/items/DT-0001-0001.jpg", b = folder + "/items/DT-0001-0002.jpg"
            try FileManager.default.moveItem(atPath: a, toPath: a + ".tmp")
            try FileManager.default.moveItem(atPath: b, toPath: a)
            try FileManager.default.moveItem(atPath: a + ".tmp", toPath: b)
        }
        #expect(swapped.status == 3 && swapped.stdout.contains("hash differs"))
        let sums = try variant("sums") { folder in
            var text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: folder + "/SHA256SUMS")), as: UTF8.self)
            text += String(repeating: "0", count: 64) + "  items/ghost.jpg\n"
            try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/SHA256SUMS"))
        }
        #expect(sums.status == 3 && sums.stdout.contains("FAIL signature of SHA256SUMS"))
        // The encrypted file itself: a flipped byte fails to decrypt.
        var encrypted = Array(try fixture.vault.cli.read("bundle.tar.age"))
        encrypted[encrypted.count - 100] ^= 1
        try Data(encrypted).write(to: URL(fileURLWithPath: base + "/bad.tar.age"))
        let bad = try fixture.vault.cli.run(["bundle", "verify", "bad.tar.age", "-i", "tribunal.key", "--issuer-key", "issuer.pub", "--kit", "kit.json"])
        #expect(bad.status == 3)
        // Another issuer key than the registered one.
        #expect(try fixture.vault.cli.run(["key", "export", "--minisign", "investigator.key", "-o", "other.pub"]).status == 0)
        let other = try fixture.vault.cli.run(["bundle", "verify", "unpacked", "--issuer-key", "other.pub"])
        #expect(other.status == 3 && other.stdout.contains("FAIL issuer key"))
    }

    @Test func changesAfterApprovalAndMissingApprovalsAreRefused() throws {
        let fixture = try DisclosureFixture()
        defer { fixture.vault.cleanup() }
        // Without the second approval.
        let lone = try fixture.disclose(output: "lone.tar.age", request: "lone.json", approve: false)
        #expect(lone.status == 1 && lone.stderr.contains("not permitted") && lone.stderr.contains("approval"))
        #expect(!FileManager.default.fileExists(atPath: fixture.vault.cli.folder + "/lone.tar.age"))
        #expect(try fixture.vault.run("legal-officer", ["disclose", "approve", "lone.json", "--yes"]).stderr.contains("signed this request already"))
        // A region changed after approval.
        #expect(try fixture.vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected",
                                                        "--case", "C-1", "--basis-file", "basis.txt", "-o", "r2.json"]).status == 0)
        #expect(try fixture.vault.run("legal-officer-2", ["disclose", "approve", "r2.json", "--yes"]).status == 0)
        #expect(try fixture.vault.run("investigator", ["region", "add", fixture.items[0], "300,200,100,100", "--category", "A", "--reason", "another face"]).status == 0)
        let changed = try fixture.vault.run("legal-officer", ["disclose", "issue", "r2.json", "-o", "r2.tar.age"])
        #expect(changed.status == 1 && changed.stderr.contains("its regions changed"))
        // Production numbers continue gap-free, and a request is never issued twice.
        #expect(try fixture.disclose(output: "a.tar.age", request: "a.json").stdoutLines == ["DT-0001"])
        #expect(try fixture.disclose(output: "b.tar.age", request: "b.json").stdoutLines == ["DT-0002"])
        let again = try fixture.vault.run("legal-officer", ["disclose", "issue", "a.json", "-o", "c.tar.age"])
        #expect(again.status == 1 && again.stderr.contains("issued already"))
    }

    @Test func originalsThatRevealASourceNeedConsentAndAProtectionOfficer() throws {
        let fixture = try DisclosureFixture()
        defer { fixture.vault.cleanup() }
        // tribunal-full releases originals: the witness consented to the Demo Tribunal, but a protection
        // officer must approve as well.
        let withoutOfficer = try fixture.disclose(profile: "tribunal-full", output: "full.tar.age", request: "full.json")
        #expect(withoutOfficer.status == 1 && withoutOfficer.stderr.contains("protection-officer"), "\(withoutOfficer.stderr)")
        #expect(try fixture.vault.run("protection-officer", ["disclose", "approve", "full.json", "--yes"]).status == 0)
        let issued = try fixture.vault.run("legal-officer", ["disclose", "issue", "full.json", "-o", "full.tar.age"])
        #expect(issued.status == 0, "\(issued.stderr)")
        let verify = try fixture.vault.cli.run(["bundle", "verify", "full.tar.age", "-i", "tribunal.key", "--issuer-key", "issuer.pub", "--kit", "kit.json"])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("2 released originals match their ingest commitments"))
        try fixture.unpack("full.tar.age", into: "full")
        let original = try Data(contentsOf: URL(fileURLWithPath: samplePhotos.first { $0.hasSuffix("DSCN0010.jpg") }!))
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.vault.cli.folder + "/full/items/DT-0001-0001.jpg")) == original)
    }
}
