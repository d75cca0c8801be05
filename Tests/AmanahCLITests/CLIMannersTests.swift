import Foundation
import Testing

/// Issue 18, CLI manners: each a defect found by trying the CLI as a new user would.
@Suite("CLI manners")
struct CLIMannersTests {
    @Test("amanah --version prints the version and exits 0")
    func version() throws {
        let cli = try CLIHarness()
        defer { cli.cleanup() }
        let result = try cli.run(["--version"])
        #expect(result.status == 0 && result.stdoutLines == ["0.2.0"], "\(result.stdout) \(result.stderr)")
    }

    /// `op approve` without `--yes` and without a terminal used to sign silently. It now refuses (exit 64,
    /// the operation file unchanged); at a terminal the question is asked, and only a yes signs.
    @Test("op approve signs nothing without a terminal unless --yes is given; at a terminal only a yes signs")
    func approvalNeedsATerminalOrYes() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        let newcomer = try vault.cli.makeIdentity("newcomer")
        let proposed = try vault.run("custodian-1", ["op", "propose", "add-member", newcomer, "--role", "auditor", "-o", "op.json"])
        #expect(proposed.status == 0, "\(proposed.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: vault.cli.folder + "/op.json"))
        let piped = try vault.run("custodian-1", ["op", "approve", "op.json"], stdin: "y\n")
        #expect(piped.status == 64, "\(piped.stdout) \(piped.stderr)")
        #expect(piped.stderr.contains("nothing was signed: there is no terminal to answer") && piped.stderr.contains("--yes"), "\(piped.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: vault.cli.folder + "/op.json")) == before, "the file was signed without a yes")

        // At a terminal (script(1) gives the command a pseudo-terminal): "n" refuses, "y" signs.
        func atTerminal(_ answer: String) throws -> CLIHarness.Result {
            let command = [CLIHarness.executable, "op", "approve", "op.json", "-C", "vault", "-i", "custodian-1.key",
                           "--passphrase-file", "custodian-1.pass"].joined(separator: " ")
            return try vault.cli.runTool("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"], stdin: answer)
        }
        let refused = try atTerminal("n\n")
        #expect(refused.status == 1 && refused.stdout.contains("not approved"), "\(refused.stdout) \(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: vault.cli.folder + "/op.json")) == before)
        let signed = try atTerminal("y\n")
        #expect(signed.status == 0, "\(signed.stdout) \(signed.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: vault.cli.folder + "/op.json")) != before)
        let again = try vault.run("custodian-1", ["op", "approve", "op.json", "--yes"])
        #expect(again.status == 1 && again.stderr.contains("has approved this operation already"), "\(again.stderr)")
    }

    @Test("export ITEM -o - writes the original to standard output, byte for byte, after recording the export; no file named - appears")
    func exportToStandardOutput() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let item = try #require(try vault.ingest([samplePhotos[0]]).first?.0)
        let before = try vault.run("auditor", ["audit", "verify"])
        let exported = try vault.run("investigator", ["export", item, "-o", "-"])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdoutData == (try Data(contentsOf: URL(fileURLWithPath: samplePhotos[0]))))
        #expect(exported.stderr.contains("exported the original of \(item) to standard output"), "\(exported.stderr)")
        #expect(!FileManager.default.fileExists(atPath: vault.cli.folder + "/-"))
        let after = try vault.run("auditor", ["audit", "verify"])
        #expect(before.status == 0 && after.status == 0)
        let log = try vault.run("auditor", ["audit", "log"])
        #expect(log.stdout.contains("item.export"), "the export was not recorded: \(log.stdout.suffix(400))")
        // Under a profile the output is a derivative made into a named file: - is refused, and nothing is written.
        let profiled = try vault.run("investigator", ["export", item, "--profile", "public", "-o", "-"])
        #expect(profiled.status == 64 && profiled.stdoutData.isEmpty, "\(profiled.stderr)")
    }

    @Test("op propose --help lists every change with its arguments and an example, and shows each default once")
    func proposeHelpListsEveryChange() throws {
        let cli = try CLIHarness()
        defer { cli.cleanup() }
        let help = try cli.run(["op", "propose", "--help"])
        #expect(help.status == 0)
        for change in ["add-member", "remove-member", "set-role", "add-custodian", "remove-custodian", "set-threshold", "add-recipient",
                       "rotate-keys", "set-policy", "recover", "withdraw-consent PSEUDONYM", "court-order RECIPIENT --witness"] {
            #expect(help.stdout.contains("  " + change), "\(change) is missing from op propose --help")
        }
        #expect(help.stdout.contains("Example: amanah op propose"))
        #expect(help.stdout.components(separatedBy: "default").count == 2, "a default is shown twice: \(help.stdout)")
        let unknown = try cli.run(["op", "propose", "nonsense", "-o", "x.op"])
        #expect(unknown.status == 64 && unknown.stderr.contains("withdraw-consent, court-order"), "\(unknown.stderr)")
    }

    @Test("init refuses a -C that names another folder than the vault it creates, and counts in the singular when there is one")
    func initNamesItsFolderOnce() throws {
        let cli = try CLIHarness()
        defer { cli.cleanup() }
        let custodian = try cli.makeIdentity("custodian-1")
        let member = try cli.makeIdentity("collector")
        let base = ["init", "vault", "-i", "custodian-1.key", "--passphrase-file", "custodian-1.pass", "--threshold", "1", "--custodian", custodian,
                    "--member", member + ":collector"]
        let other = try cli.run(base + ["-C", "elsewhere"])
        #expect(other.status == 64 && other.stderr.contains("-C elsewhere names another folder than the vault to create (vault)"), "\(other.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.folder + "/vault") && !FileManager.default.fileExists(atPath: cli.folder + "/elsewhere"))
        let made = try cli.run(base + ["-C", "./vault"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stderr.contains(": 1 custodian (1 must sign changes), 1 member"), "\(made.stderr)")
    }

    @Test("exit status: 0 ok, 2 for what is not there or cannot be read, 64 for usage, as the README says")
    func exitStatuses() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        #expect(try vault.run("investigator", ["case", "show", "C-1"]).status == 0)
        let item = try vault.run("investigator", ["show", "I-NOTHERE"])
        #expect(item.status == 2 && item.stderr.contains("no item I-NOTHERE"), "\(item.stderr)")
        let folder = try vault.cli.run(["list", "-C", "nowhere"])
        #expect(folder.status == 2 && folder.stderr.contains("the folder does not exist"), "\(folder.stderr)")
        let input = try vault.run("collector", ["case", "add", "--from", "missing.json"])
        #expect(input.status == 2 && input.stderr.contains("cannot read missing.json"), "\(input.stderr)")
        let usage = try vault.run("collector", ["case", "add", "--no-such-option"])
        #expect(usage.status == 64, "\(usage.stderr)")
    }
}
