import Foundation
import Testing

/// Issue 18: long commands show a progress line (count, per cent, rate, time left) on a terminal and nothing
/// on a pipe; ingest summarises per-file notes at the end (-v shows each); -q prints only errors, warnings
/// and data.
@Suite("Progress and verbosity")
struct ProgressTests {
    @Test("ingest of several files: a progress line under a pseudo-terminal, none on a pipe; notes summarised, each with -v, none with -q")
    func ingestProgress() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let photos = Array(samplePhotos.prefix(3))
        // On a pipe: no carriage return, no progress; the identifying metadata is summarised.
        let piped = try fixture.run("investigator", ["ingest", "--case", "C-1"] + photos)
        #expect(piped.status == 0 && piped.stdoutLines.count == 3, "\(piped.stderr)")
        #expect(!piped.stderr.contains("\r") && !piped.stderr.contains("sealing"), "\(piped.stderr)")
        #expect(piped.stderr.contains("of 3 files carry identifying metadata") && !piped.stderr.contains(": carries identifying metadata:"), "\(piped.stderr)")
        // Again: each was in the vault already; -v names each.
        let verbose = try fixture.run("investigator", ["ingest", "--case", "C-1", "-v"] + photos)
        #expect(verbose.stderr.components(separatedBy: "already in the vault as").count == 4, "\(verbose.stderr)")
        let quiet = try fixture.run("investigator", ["ingest", "--case", "C-1", "-q"] + photos)
        #expect(quiet.status == 0 && quiet.stdoutLines.count == 3 && quiet.stderr.isEmpty, "\(quiet.stderr)")
        #expect(try fixture.run("investigator", ["list", "-v", "-q"]).status == 64)
        // Under a pseudo-terminal (script(1)): the progress line, ending at 3/3.
        let command = ([CLIHarness.executable, "ingest", "--case", "C-2", "-C", "vault", "-i", "collector.key", "--passphrase-file", "collector.pass"]
                       + photos.map { "'\($0)'" }).joined(separator: " ")
        let terminal = try fixture.cli.runTool("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"])
        #expect(terminal.status == 0, "\(terminal.stdout) \(terminal.stderr)")
        #expect(terminal.stdout.contains("sealing ") && terminal.stdout.contains("3/3 files (100%)"), "\(terminal.stdout)")
    }

    @Test("audit verify and check --read-data stay silent on a pipe")
    func silentOnAPipe() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        _ = try fixture.ingest([samplePhotos[0]])
        let verified = try fixture.cli.run(["audit", "verify", "-C", "vault"])
        #expect(verified.status == 0 && !verified.stderr.contains("\r") && !verified.stderr.contains("verifying "), "\(verified.stderr)")
        let read = try fixture.run("investigator", ["check", "--read-data"])
        #expect(read.status == 0 && !read.stderr.contains("\r") && !read.stderr.contains("reading "), "\(read.stderr)")
        let command = [CLIHarness.executable, "check", "--read-data", "-C", "vault", "-i", "investigator.key", "--passphrase-file", "investigator.pass"].joined(separator: " ")
        let terminal = try fixture.cli.runTool("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"])
        #expect(terminal.status == 0 && terminal.stdout.contains("reading 1/1 items (100%)"), "\(terminal.stdout)")
    }

    @Test("disclose propose and issue: a progress line under a pseudo-terminal, none on a pipe", .enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
    func disclosureProgress() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        func underTerminal(_ who: String, _ arguments: [String]) throws -> CLIHarness.Result {
            let command = ([CLIHarness.executable] + arguments + ["-C", "vault", "-i", "\(who).key", "--passphrase-file", "\(who).pass"]).joined(separator: " ")
            return try vault.cli.runTool("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"])
        }
        let piped = try vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected", "--case", "C-1",
                                                    "--basis-file", "basis.txt", "-o", "piped.json"])
        #expect(piped.status == 0 && !piped.stderr.contains("\r") && !piped.stderr.contains("computing"), "\(piped.stderr)")
        let proposed = try underTerminal("legal-officer", ["disclose", "propose", "--to", "'Demo Tribunal'", "--profile", "tribunal-protected", "--case", "C-1",
                                                           "--basis-file", "basis.txt", "-o", "req.json"])
        #expect(proposed.status == 0 && proposed.stdout.contains("computing 2/2 items (100%)"), "\(proposed.stdout)")
        let approved = try underTerminal("legal-officer-2", ["disclose", "approve", "req.json", "--yes"])
        #expect(approved.status == 0 && approved.stdout.contains("checking 2/2 items (100%)"), "\(approved.stdout)")
        let issued = try underTerminal("legal-officer", ["disclose", "issue", "req.json", "-o", "bundle.tar.age"])
        #expect(issued.status == 0 && issued.stdout.contains("checking and writing 4/4 steps (100%)"), "\(issued.stdout)")
        #expect(issued.stdout.contains("issued bundle"), "\(issued.stdout)")
    }

    @Test("sync: a progress line per phase under a pseudo-terminal; on a pipe only its summary, and its steps with -v")
    func syncProgress() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        _ = try fixture.ingest(Array(samplePhotos.prefix(2)))
        for name in ["usb", "usb2"] {
            try FileManager.default.createDirectory(atPath: fixture.cli.folder + "/" + name, withIntermediateDirectories: true)
            #expect(try fixture.cli.run(["remote", "add", name, "file://" + fixture.cli.folder + "/" + name, "-C", "vault"]).status == 0)
        }
        let piped = try fixture.cli.run(["sync", "usb", "-C", "vault", "-v"])
        #expect(piped.status == 0 && !piped.stderr.contains("\r") && piped.stderr.contains("sending log positions 1…"), "\(piped.stderr)")
        let command = [CLIHarness.executable, "sync", "usb2", "-C", "vault"].joined(separator: " ")
        let terminal = try fixture.cli.runTool("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"])
        #expect(terminal.status == 0, "\(terminal.stdout)")
        #expect(terminal.stdout.contains("sending 2/2 blobs (100%)") && terminal.stdout.contains("events (100%)"), "\(terminal.stdout)")
        #expect(!terminal.stdout.contains("sending log positions"), "\(terminal.stdout)")
    }
}
