import Foundation
import Testing

/// A vault written by the first release (`Fixtures/release1`, see its README) still works with today's code:
/// its version-1 audit events verify beside the version-2 events written now, its bundle verifies, and work
/// goes on in it (issue 15 keeps such vaults usable until they are migrated).
@Suite(.enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct Release1VaultTests {
    /// A copy of the fixture in a new test folder, with the modes that git does not keep.
    static func copy() throws -> (CLIHarness, [String: String]) {
        let cli = try CLIHarness()
        let fixture = repositoryRoot + "/Tests/AmanahCLITests/Fixtures/release1"
        for name in try FileManager.default.contentsOfDirectory(atPath: fixture) {
            try FileManager.default.copyItem(atPath: fixture + "/" + name, toPath: cli.folder + "/" + name)
            if name.hasSuffix(".key") || name.hasSuffix(".pass") {
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: cli.folder + "/" + name)
            }
        }
        let id = String(decoding: try cli.read("vault-id.txt"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return (cli, ["AMANAH_EXPECT_VAULT": id])
    }

    @Test func aFirstReleaseVaultVerifiesAndWorkGoesOn() throws {
        let (cli, expect) = try Self.copy()
        defer { cli.cleanup() }
        func run(_ who: String, _ arguments: [String]) throws -> CLIHarness.Result {
            try cli.run(arguments + ["-C", "vault", "-i", who + ".key", "--passphrase-file", who + ".pass"], environment: expect)
        }
        let verified = try cli.run(["audit", "verify", "-C", "vault"], environment: expect)
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
        #expect(try run("custodian-1", ["check"]).status == 0)
        let bundle = try cli.run(["bundle", "verify", "bundle.tar.age", "-i", "tribunal.key", "--issuer-key", "issuer.pub"])
        #expect(bundle.status == 0 && bundle.stdout.contains("verified"), "\(bundle.stdout)")
        let shown = try run("investigator", ["case", "show", "C-1"])
        #expect(shown.status == 0 && shown.stdout.contains("Qaboun"), "\(shown.stderr)")
        #expect(try run("investigator", ["case", "search", "--detainee", "4102/227"]).stdout.contains("C-2"))

        // New work: an ingest, a region, a release of the other case; events of both versions in one log.
        let ingested = try run("collector", ["ingest", "--case", "C-2", samplePhotos.first { $0.hasSuffix("DSCN0012.jpg") }!])
        #expect(ingested.status == 0, "\(ingested.stderr)")
        let item = try #require(ingested.stdoutLines.first?.split(separator: "\t").first.map(String.init))
        #expect(try run("investigator", ["region", "add", item, "10,10,60,60", "--category", "A", "--reason", "a face"]).status == 0)
        try cli.write("basis2.txt", "A second request of the demo tribunal (test).\n")
        let proposed = try run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected",
                                                 "--case", "C-2", "--basis-file", "basis2.txt", "-o", "req2.json"])
        #expect(proposed.status == 0, "\(proposed.stderr)")
        #expect(try run("legal-officer-2", ["disclose", "approve", "req2.json", "--yes"]).status == 0)
        let issued = try run("legal-officer", ["disclose", "issue", "req2.json", "-o", "second.tar.age"])
        #expect(issued.status == 0 && issued.stdoutLines == ["DT-0002"], "\(issued.stderr)")
        let again = try cli.run(["audit", "verify", "-C", "vault"], environment: expect)
        #expect(again.status == 0, "\(again.stdout) \(again.stderr)")
        #expect(try run("custodian-1", ["check"]).status == 0)
    }
}
