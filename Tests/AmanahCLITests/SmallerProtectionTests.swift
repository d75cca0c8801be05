import Foundation
import Testing
import VaultCrypto

/// Issue 16, the smaller holes, each through the CLI.
@Suite struct SmallerProtectionTests {
    /// A quorum could add a member whose X25519 key is a low-order point (a correctly self-signed key line
    /// anyone can make); every wrap sealed to it then failed, and with it every command of every member.
    /// Such a key is refused by key parsing: `op propose add-member`, `key fingerprint`, `init --member`.
    @Test func aLowOrderMemberKeyIsRefused() throws {
        let signing = Ed25519.generateKeyPair()
        let encryption = try Hex.decode("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")   // order 8
        let keyID = MemberPublicKey.keyID(signingKey: signing.publicKey, encryptionKey: encryption)
        let signature = Ed25519.sign(signing.publicKey + encryption, context: .publicKey, secretKey: signing.secretKey)
        let line = MemberPublicKey.prefix + Base64.encode(signing.publicKey + encryption + keyID + signature, variant: .urlSafeNoPadding)

        let vault = try VaultFixture()
        defer { vault.cleanup() }
        let words = "low-order point"
        let proposed = try vault.run("custodian-1", ["op", "propose", "add-member", line, "--role", "investigator", "-o", "add.json"])
        #expect(proposed.status != 0 && proposed.stderr.contains(words), "\(proposed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: vault.cli.folder + "/add.json"))
        let fingerprint = try vault.cli.run(["key", "fingerprint", line])
        #expect(fingerprint.status != 0 && fingerprint.stderr.contains(words), "\(fingerprint.stderr)")
        let created = try vault.cli.run(["init", "other", "-i", "custodian-1.key", "--passphrase-file", "custodian-1.pass", "--threshold", "1",
                                         "--custodian", vault.publicKeys["custodian-1"]!, "--member", line + ":collector"])
        #expect(created.status != 0 && created.stderr.contains(words), "\(created.stderr)")
        // The vault works on: the change never reached it.
        #expect(try vault.run("investigator", ["list"]).status == 0)
    }
}

/// Issue 16: `SWIFT_BACKTRACE=enable=yes` in the environment left Swift's crash reporter on in a process
/// that holds keys and evidence (it prints registers and the memory they point to). It is turned off
/// whatever the environment says, unless Amanah's own AMANAH_ALLOW_CRASH_BACKTRACE=1 asks for it.
@Suite struct CrashReporterTests {
    /// The environment of a running `amanah` (blocked reading standard input), as the kernel shows it.
    static func environment(of extra: [String: String]) throws -> [String] {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIHarness.executable)
        process.currentDirectoryURL = URL(fileURLWithPath: vault.cli.folder)
        process.arguments = ["case", "add", "--from", "-", "-C", "vault", "-i", "collector.key", "--passphrase-file", "collector.pass"]
        process.environment = vault.cli.environment.merging(extra) { $1 }
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.terminate(); try? input.fileHandleForWriting.close(); process.waitUntilExit() }
        var variables: [String] = []
        for _ in 0..<100 {
            usleep(50_000)
            guard let data = FileManager.default.contents(atPath: "/proc/\(process.processIdentifier)/environ") else { continue }
            variables = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains(where: { $0.hasPrefix("SWIFT_BACKTRACE=") }) && process.isRunning { break }
        }
        return variables.filter { $0.hasPrefix("SWIFT_BACKTRACE=") }
    }

    @Test func theCrashReporterStaysOffUnlessAmanahIsAskedForIt() throws {
        #expect(try Self.environment(of: ["SWIFT_BACKTRACE": "enable=yes"]) == ["SWIFT_BACKTRACE=enable=no"])
        #expect(try Self.environment(of: ["SWIFT_BACKTRACE": "enable=yes,interactive=no"]) == ["SWIFT_BACKTRACE=enable=no"])
        #expect(try Self.environment(of: [:]) == ["SWIFT_BACKTRACE=enable=no"])
        #expect(try Self.environment(of: ["SWIFT_BACKTRACE": "enable=yes", "AMANAH_ALLOW_CRASH_BACKTRACE": "1"]) == ["SWIFT_BACKTRACE=enable=yes"])
    }
}
