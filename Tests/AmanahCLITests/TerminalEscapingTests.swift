import Foundation
import Testing
import VaultText

/// Every command that prints a value someone supplied prints it through the one escaping rule: no scalar
/// that can move the cursor, reorder, hide or break a line reaches the terminal raw.
struct TerminalEscapingTests {
    /// Every class of dangerous scalar at once: line and paragraph separators, zero-width and directional
    /// marks, embeddings and overrides, isolates, C0 (ESC, BEL) and C1 (NEL, CSI) controls.
    static let hostile = "x\u{2028}y\u{2029}z\u{200B}\u{200C}\u{200D}\u{200E}\u{200F}\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}"
        + "\u{2066}\u{2067}\u{2068}\u{2069}\u{1B}[2J\u{7}\u{85}\u{9B}end"
    /// What record fields accept of it (they refuse C0 and C1 controls outright).
    static let hostileText = "x\u{2028}y\u{2029}z\u{200B}\u{200C}\u{200D}\u{200E}\u{200F}\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}"
        + "\u{2066}\u{2067}\u{2068}\u{2069}end"

    /// The scalars of `text` that must never reach a terminal raw (tab and line feed are Amanah's own
    /// column and line separators).
    private func raw(_ text: String) -> [String] {
        text.unicodeScalars.filter { $0 != "\n" && $0 != "\t" && TerminalText.mustEscape($0) }
            .map { String($0.value, radix: 16, uppercase: true) }
    }

    @Test func hostileValuesAreEscapedByEveryCommandThatPrintsThem() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        let json = { (object: [String: Any]) -> String in
            String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        var outputs: [(String, CLIHarness.Result)] = []
        // Refused input is named in the refusal, escaped.
        try vault.cli.write("bad.json", json(["id": "C-9", "place": Self.hostile]))
        outputs.append(("case add refused", try vault.run("investigator", ["case", "add", "--from", "bad.json"])))
        try vault.cli.write("case.json", json(["id": "C-1", "detaineeNumber": "1/1", "place": Self.hostileText, "identifiedName": Self.hostileText]))
        try vault.cli.write("witness.json", json(["pseudonym": "W-1", "legalName": Self.hostileText, "contact": Self.hostileText, "consent": ["Demo Tribunal"]]))
        outputs.append(("case add", try vault.run("investigator", ["case", "add", "--from", "case.json"])))
        outputs.append(("witness add", try vault.run("protection-officer", ["witness", "add", "--from", "witness.json"])))
        // A file whose name carries the same scalars (refused at ingest, and named in the refusal), and one
        // with a plain name that is ingested.
        let hostileName = vault.cli.folder + "/photo" + Self.hostile + ".jpg"
        try FileManager.default.copyItem(atPath: samplePhotos[0], toPath: hostileName)
        outputs.append(("ingest hostile name", try vault.run("collector", ["ingest", "--case", "C-1", hostileName])))
        for (name, result) in outputs.dropFirst().prefix(2) { #expect(result.status == 0, "\(name): \(result.stderr)") }
        let ingested = try vault.ingest([samplePhotos[1]])
        let item = ingested[0].0
        try vault.cli.write("reason.txt", Self.hostile)
        outputs.append(("region add", try vault.run("investigator", ["region", "add", item, "10,10,50,50", "--category", "A", "--reason", Self.hostileText])))
        outputs.append(("case show", try vault.run("investigator", ["case", "show", "C-1"])))
        outputs.append(("witness show", try vault.run("protection-officer", ["witness", "show", "W-1"])))
        outputs.append(("witness search", try vault.run("protection-officer", ["witness", "search", "--name", Self.hostileText])))
        outputs.append(("show", try vault.run("investigator", ["show", item])))
        outputs.append(("list", try vault.run("investigator", ["list"])))
        outputs.append(("region list", try vault.run("investigator", ["region", "list", item])))
        outputs.append(("audit log", try vault.cli.run(["audit", "log", "-C", "vault"])))
        outputs.append(("case search", try vault.run("investigator", ["case", "search", "--detainee", Self.hostile])))
        outputs.append(("policy explain", try vault.run("investigator", ["policy", "explain", "--action", "export", "--item", item, "--profile", "public", "--recipient", Self.hostile])))
        var sawEscapes = false
        for (name, result) in outputs {
            #expect(raw(result.stdout).isEmpty, "\(name) stdout: \(raw(result.stdout))")
            #expect(raw(result.stderr).isEmpty, "\(name) stderr: \(raw(result.stderr))")
            if (result.stdout + result.stderr).contains("\\u{202E}") { sawEscapes = true }
        }
        #expect(sawEscapes)
        #expect(outputs.first { $0.0 == "case show" }!.1.stdout.contains("place: x\\u{2028}y\\u{2029}z\\u{200B}"))
    }

    /// Governance and disclosure print names and texts that members wrote (a recipient's name, a legal basis)
    /// and that a bundle carries: `op propose` (a recipient's name), `disclose propose`, `disclose approve`
    /// (the legal basis), `disclose issue` and `bundle verify` print them escaped.
    @Test(.enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
    func hostileValuesInGovernanceAndDisclosureAreEscaped() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        var outputs: [(String, CLIHarness.Result)] = []
        let (_, ageRecipient) = try runTool("age-keygen", ["-y", "tribunal.key"], in: vault.cli.folder)
        let name = "Tribunal " + Self.hostile
        outputs.append(("op propose", try vault.run("custodian-1", ["op", "propose", "add-recipient", name, "--age-key",
                                                                    ageRecipient.trimmingCharacters(in: .whitespacesAndNewlines), "-o", "hostile.json"])))
        try vault.cli.write("hostile-basis.txt", "Rule 77 " + Self.hostileText + "\n")
        outputs.append(("disclose propose", try vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile",
                                                                            "tribunal-protected", "--case", "C-1", "--basis-file",
                                                                            "hostile-basis.txt", "-o", "req.json"])))
        outputs.append(("disclose approve", try vault.run("legal-officer-2", ["disclose", "approve", "req.json", "--yes"])))
        outputs.append(("disclose issue", try vault.run("legal-officer", ["disclose", "issue", "req.json", "-o", "bundle.tar.age"])))
        outputs.append(("bundle verify", try vault.cli.run(["bundle", "verify", "bundle.tar.age", "-i", "tribunal.key", "--issuer-key", "issuer.pub", "--kit", "kit.json"])))
        for (step, result) in outputs {
            #expect(raw(result.stdout).isEmpty, "\(step) stdout: \(raw(result.stdout))")
            #expect(raw(result.stderr).isEmpty, "\(step) stderr: \(raw(result.stderr))")
        }
        // A recipient's name refuses such scalars outright.
        #expect(outputs[0].1.status != 0 && outputs[0].1.stderr.contains("recipient name: contains a zero-width character"), "\(outputs[0].1.stderr)")
        #expect(outputs.first { $0.0 == "disclose approve" }!.1.stderr.contains("Rule 77 x\\u{2028}y"), "\(outputs[2].1.stderr)")
        #expect(outputs.first { $0.0 == "disclose issue" }!.1.status == 0, "\(outputs[3].1.stderr)")
        #expect(outputs.first { $0.0 == "bundle verify" }!.1.stdout.contains("verified"))
    }
}
