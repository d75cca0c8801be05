import Foundation
import Testing
import VaultCrypto

/// `amanah keygen` and `amanah key public`, end to end.
struct KeyCommandTests {
    @Test func keygenWritesAPrivateFileAndPrintsThePublicLine() throws {
        let cli = try CLIHarness()
        defer { cli.cleanup() }
        let line = try cli.makeIdentity("alice")
        let key = try MemberPublicKey(line: line)
        let attributes = try FileManager.default.attributesOfItem(atPath: cli.folder + "/alice.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let shown = try cli.run(["key", "public", "alice.key"])
        #expect(shown.status == 0)
        #expect(shown.stdoutLines == [line])
        #expect(try MemberPublicKey(line: shown.stdout) == key)
        #expect(!shown.stdout.contains(":"))
        #expect(try KeyFile.publicKey(of: Array(cli.read("alice.key"))) == key)
        #expect(try cli.run(["keygen", "-o", "x.key", "--passphrase-file", "alice.pass"]).stderr.contains("insecure test-only"))
        let fingerprint = try cli.run(["key", "fingerprint", "alice.key"])
        #expect(fingerprint.stdoutLines == [key.fingerprint])
        #expect(try cli.run(["key", "fingerprint", line]).stdoutLines == [key.fingerprint])
        #expect(key.fingerprint.count == 19 && key.fingerprint.replacingOccurrences(of: "-", with: "") == key.keyIDHex)
    }

    @Test func keygenNeverOverwritesWithoutForce() throws {
        let cli = try CLIHarness()
        defer { cli.cleanup() }
        let first = try cli.makeIdentity("bob")
        let before = try cli.read("bob.key")
        let again = try cli.run(["keygen", "-o", "bob.key", "--passphrase-file", "bob.pass"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("amanah: bob.key exists; not overwriting it"))
        #expect(again.stderr.contains("amanah: hint: pass -f"))
        #expect(try cli.read("bob.key") == before)
        let forced = try cli.run(["keygen", "-f", "-o", "bob.key", "--passphrase-file", "bob.pass"])
        #expect(forced.status == 0)
        #expect(forced.stdout.trimmingCharacters(in: .whitespacesAndNewlines) != first)
    }

    @Test func noTerminalAndNoPassphraseFileFailsAtOnce() throws {
        let cli = try CLIHarness()
        defer { cli.cleanup() }
        let result = try cli.run(["keygen", "-o", "c.key"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no terminal to ask for the passphrase"))
        #expect(!FileManager.default.fileExists(atPath: cli.folder + "/c.key"))
        // The environment variable names the passphrase file too.
        try cli.write("c.pass", "from the environment\n")
        #expect(try cli.run(["keygen", "-o", "c.key"], environment: ["AMANAH_PASSPHRASE_FILE": "c.pass"]).status == 0)
    }

    @Test func keyPublicReportsDamageAndUsageErrors() throws {
        let cli = try CLIHarness()
        defer { cli.cleanup() }
        try cli.makeIdentity("dana")
        var text = String(decoding: try cli.read("dana.key"), as: UTF8.self)
        text = text.replacingOccurrences(of: "kdf: argon2id ops=1", with: "kdf: argon2id ops=2")
        try cli.write("dana.key", text)
        let damaged = try cli.run(["key", "public", "dana.key"])
        #expect(damaged.status == 1)
        #expect(damaged.stderr.contains("amanah: dana.key: corrupted key file: checksum does not match"))
        let missing = try cli.run(["key", "public", "nobody.key"])
        #expect(missing.status == 1 && missing.stderr.contains("nobody.key"))
        let usage = try cli.run(["key", "public"])
        #expect(usage.status == 64)
        #expect(usage.stderr.hasPrefix("amanah: "))
        #expect(try cli.run(["no-such-command"]).status == 64)
    }

    /// Sets the permission bits of a file in the test folder.
    static func chmod(_ cli: CLIHarness, _ name: String, _ mode: Int) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: cli.folder + "/" + name)
    }

    @Test func keyFilesAndPassphraseFilesOthersCanReadAreRefused() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        let cli = vault.cli
        let attributes = try FileManager.default.attributesOfItem(atPath: cli.folder + "/investigator.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600, "keygen writes 0600")
        for (mode, accepted) in [(0o644, false), (0o640, false), (0o604, false), (0o620, false), (0o600, true), (0o400, true)] {
            try Self.chmod(cli, "investigator.key", mode)
            let octal = "0" + String(mode, radix: 8)
            let list = try vault.run("investigator", ["list"])
            let shown = try cli.run(["key", "public", "investigator.key"])
            for (name, result) in [("list", list), ("key public", shown)] {
                if accepted {
                    #expect(result.status == 0, "\(name) with \(octal): \(result.stderr)")
                } else {
                    #expect(result.status == 1, "\(name) with \(octal)")
                    #expect(result.stdout.isEmpty)
                    #expect(result.stderr.contains("amanah: investigator.key can be read or changed by others (mode \(octal))"), "\(name): \(result.stderr)")
                    #expect(result.stderr.contains("chmod 600 investigator.key"), "\(name): \(result.stderr)")
                }
            }
        }
        try Self.chmod(cli, "investigator.key", 0o600)

        // The passphrase file too.
        try Self.chmod(cli, "investigator.pass", 0o644)
        let open = try vault.run("investigator", ["list"])
        #expect(open.status == 1 && open.stdout.isEmpty)
        #expect(open.stderr.contains("investigator.pass can be read or changed by others (mode 0644)"), "\(open.stderr)")
        #expect(open.stderr.contains("chmod 600 investigator.pass"), "\(open.stderr)")
        try Self.chmod(cli, "investigator.pass", 0o400)
        #expect(try vault.run("investigator", ["list"]).status == 0)

        // And an age identity (the secret key of a recipient) read by `bundle verify`.
        try cli.write("tribunal.agekey", "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n", mode: 0o644)
        try cli.write("bundle.tar.age", "not a bundle")
        let verify = try cli.run(["bundle", "verify", "bundle.tar.age", "-i", "tribunal.agekey"])
        #expect(verify.status == 1)
        #expect(verify.stderr.contains("tribunal.agekey can be read or changed by others (mode 0644)"), "\(verify.stderr)")
        #expect(verify.stderr.contains("chmod 600 tribunal.agekey"), "\(verify.stderr)")
    }
}
