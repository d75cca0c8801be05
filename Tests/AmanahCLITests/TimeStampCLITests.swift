import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 20 (trusted time, in part): `op propose add-tsa`, `audit timestamp` against an offline authority
/// (`Tests/Tools/tsa_server.py`: `openssl ts` behind an HTTP handler on 127.0.0.1), and `audit verify`
/// checking the recorded token again.
@Suite("Time-stamps of checkpoints", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "needs openssl"))
struct TimeStampCLITests {
    /// The authority: its folder and port; stopped by `stop()`.
    final class Authority {
        let process = Process()
        let folder: String
        let port: Int

        init(in base: String) throws {
            folder = base + "/tsa"
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [repositoryRoot + "/Tests/Tools/tsa_server.py", folder]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            var line = ""
            while !line.hasSuffix("\n") {
                let byte = pipe.fileHandleForReading.readData(ofLength: 1)
                guard !byte.isEmpty else { break }
                line += String(decoding: byte, as: UTF8.self)
            }
            guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                process.terminate()
                throw NSError(domain: "the authority did not start: \(line)", code: 1)
            }
            self.port = port
        }

        /// Kills the server (SIGKILL: a child may inherit a signal mask that blocks SIGTERM).
        func stop() { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
    }

    @Test("a quorum trusts an authority; audit timestamp records a checked token of the newest checkpoint; audit verify checks it again; another certificate is refused and nothing is recorded")
    func timestampAndVerify() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        let authority = try Authority(in: vault.cli.folder)
        defer { authority.stop() }
        let url = "http://127.0.0.1:\(authority.port)/"
        #expect(try vault.governance(["add-tsa", "test-tsa", "--url", url, "--cert", authority.folder + "/tsa.crt"],
                                     approvers: ["custodian-1", "custodian-2"]).status == 0)
        let none = try vault.run("auditor", ["audit", "timestamp"])
        #expect(none.status != 0 && none.stderr.contains("no checkpoint yet"), "\(none.stderr)")
        try vault.cosignCheckpoint()
        let stamped = try vault.run("auditor", ["audit", "timestamp"])
        #expect(stamped.status == 0 && stamped.stdout.contains("time-stamped by test-tsa at "), "\(stamped.stdout) \(stamped.stderr)")
        let verified = try vault.cli.run(["audit", "verify", "-C", "vault"])
        #expect(verified.status == 0 && verified.stdout.contains("verified time-stamp of checkpoint") && verified.stdout.contains("by test-tsa"),
                "\(verified.stdout)")
        let json = try vault.cli.run(["audit", "verify", "-C", "vault", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["timestamps"] as? [[String: Any]])?.first?["authority"] as? String == "test-tsa", "\(json.stdout)")

        // An authority configured with another certificate (the same server answers): refused, nothing recorded.
        try FileManager.default.createDirectory(atPath: vault.cli.folder + "/other", withIntermediateDirectories: true)
        #expect(try runTool("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "other/k.pem"], in: vault.cli.folder).0 == 0)
        #expect(try runTool("openssl", ["req", "-new", "-x509", "-key", "other/k.pem", "-out", "other/c.pem", "-days", "30", "-subj", "/CN=Other",
                                        "-addext", "extendedKeyUsage=critical,timeStamping", "-addext", "basicConstraints=critical,CA:FALSE"], in: vault.cli.folder).0 == 0)
        #expect(try vault.governance(["add-tsa", "wrong-cert", "--url", url, "--cert", "other/c.pem"], approvers: ["custodian-1", "custodian-2"]).status == 0)
        let refused = try vault.run("auditor", ["audit", "timestamp", "--tsa", "wrong-cert"])
        #expect(refused.status == 3 && refused.stderr.contains("not the configured authority") && refused.stderr.contains("nothing was recorded"), "\(refused.stderr)")
        let several = try vault.run("auditor", ["audit", "timestamp"])
        #expect(several.status == 64 && several.stderr.contains("several time-stamping authorities"), "\(several.stderr)")
        let log = try vault.run("auditor", ["audit", "log", "--json"])
        #expect(log.stdout.components(separatedBy: "\"audit.timestamp\"").count == 2, "one time-stamp recorded")
        // A modified client records a time-stamp that is not one (a token of nothing), and one of a checkpoint the
        // vault does not store: audit verify names each event, with exit 3.
        let size = try #require(verified.stdout.split(separator: "\n").first { $0.contains("verified time-stamp of checkpoint") }?
            .split(separator: " ").dropFirst(4).first.map(String.init))
        try RecordReviewAttackTests.sign(vault, as: "auditor", action: "audit.timestamp",
                                         objects: ["checkpoint:\(size)", "tsa:test-tsa", "time:2026-01-01T00:00:00.000Z", "token:AAAA"], change: nil)
        try RecordReviewAttackTests.sign(vault, as: "auditor", action: "audit.timestamp",
                                         objects: ["checkpoint:999", "tsa:test-tsa", "time:2026-01-01T00:00:00.000Z", "token:AAAA"], change: nil)
        // And the genuine token recorded again with another time in its event: the event's time must be the token's.
        let recorded = try #require(log.stdout.components(separatedBy: "\"token:").dropFirst().first?.split(separator: "\"").first.map(String.init))
        try RecordReviewAttackTests.sign(vault, as: "auditor", action: "audit.timestamp",
                                         objects: ["checkpoint:\(size)", "tsa:test-tsa", "time:2020-01-01T00:00:00.000Z", "token:" + recorded], change: nil)
        let forged = try vault.cli.run(["audit", "verify", "-C", "vault"])
        #expect(forged.status == 3 && forged.stdout.contains("the time-stamp is malformed") && forged.stdout.contains("the checkpoint of size 999"), "\(forged.stdout)")
        #expect(forged.stdout.contains("its time object says 2020-01-01T00:00:00.000Z, but the token's time is"), "\(forged.stdout)")
        // A certificate that may not stamp is refused when proposed.
        let plain = try vault.run("custodian-1", ["op", "propose", "add-tsa", "plain", "--url", url, "--cert", "vault/vault.json", "-o", "plain.op"])
        #expect(plain.status != 0 && plain.stderr.contains("not an X.509 certificate"), "\(plain.stderr)")
    }
}
