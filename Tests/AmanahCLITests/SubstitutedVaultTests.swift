import Foundation
import GRDB
import Testing

/// Issue 15, the substituted-vault attack: someone who knows the members' public keys makes a vault of their
/// own that lists them, and puts it where a member on a new machine will look. Before the fix, the member's
/// client trusted the folder on first use and sealed records into the attacker's vault.
@Suite struct SubstitutedVaultTests {
    /// The attacker's vault at `fake`, made on the attacker's machine, listing the real collector and
    /// protection officer under the attacker's custody. Returns its id.
    static func plantFakeVault(_ vault: VaultFixture) throws -> String {
        let attacker = try vault.cli.makeIdentity("attacker")
        let made = try vault.cli.run(["init", "fake", "-i", "attacker.key", "--passphrase-file", "attacker.pass", "--threshold", "1",
                                      "--custodian", attacker,
                                      "--member", vault.publicKeys["collector"]! + ":collector",
                                      "--member", vault.publicKeys["protection-officer"]! + ":protection-officer"],
                                     environment: ["XDG_STATE_HOME": vault.cli.folder + "/attacker-machine"])
        #expect(made.status == 0, "\(made.stderr)")
        return try #require(made.stdoutLines.last)
    }

    static func caseRecords(in folder: String) throws -> Int {
        let database = try DatabaseQueue(path: folder + "/vault.sqlite", configuration: { var c = Configuration(); c.readonly = true; return c }())
        return try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM record WHERE kind = 'case'") ?? 0 }
    }

    @Test func aNewClientWritesNoSecretIntoAVaultItWasNotToldToExpect() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        let fakeID = try Self.plantFakeVault(vault)
        let laptop = ["XDG_STATE_HOME": vault.cli.folder + "/collector-laptop"]
        try vault.cli.write("case.json", #"{"id":"C-9","detaineeNumber":"1234/215","place":"Mezzeh"}"#)
        let asCollector = ["-C", "fake", "-i", "collector.key", "--passphrase-file", "collector.pass"]

        // First contact, no terminal, no expected id: refused, the vault's id and custodian shown, nothing written.
        let refused = try vault.cli.run(["case", "add", "--from", "case.json"] + asCollector, environment: laptop)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("has never worked with vault \(fakeID)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--expect-vault"))
        #expect(try Self.caseRecords(in: vault.cli.folder + "/fake") == 0)
        try vault.cli.write("witness.json", #"{"pseudonym":"W-0009","legalName":"Real Name","consent":[]}"#)
        let witness = try vault.cli.run(["witness", "add", "--from", "witness.json", "-C", "fake", "-i", "protection-officer.key",
                                         "--passphrase-file", "protection-officer.pass"], environment: laptop)
        #expect(witness.status != 0 && witness.stderr.contains("has never worked with vault"))
        let ingest = try vault.cli.run(["ingest", "--case", "C-9", samplePhotos[0]] + asCollector, environment: laptop)
        #expect(ingest.status != 0 && ingest.stderr.contains("has never worked with vault"))
        let region = try vault.cli.run(["region", "add", "I-NOTHING", "1,1,2,2", "--category", "A", "--reason", "face of W-0003",
                                        "-C", "fake", "-i", "investigator.key", "--passphrase-file", "investigator.pass"], environment: laptop)
        #expect(region.status != 0 && region.stderr.contains("has never worked with vault"), "\(region.stderr)")

        // Told to expect the real vault: the fake one is refused by id, with either spelling.
        let wrong = try vault.cli.run(["case", "add", "--from", "case.json", "--expect-vault", vault.vaultID] + asCollector, environment: laptop)
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("holds vault \(fakeID), not the expected vault \(vault.vaultID)"), "\(wrong.stderr)")
        let wrongEnv = try vault.cli.run(["case", "add", "--from", "case.json"] + asCollector,
                                         environment: laptop.merging(["AMANAH_EXPECT_VAULT": vault.vaultID.uppercased()]) { $1 })
        #expect(wrongEnv.status != 0 && wrongEnv.stderr.contains("not the expected vault"))
        #expect(try Self.caseRecords(in: vault.cli.folder + "/fake") == 0)
        let malformed = try vault.cli.run(["case", "list", "--expect-vault", "abc"] + asCollector, environment: laptop)
        #expect(malformed.status != 0 && malformed.stderr.contains("--expect-vault: a vault id is 64 hex digits"))

        // The real vault, expected by id from the same laptop: written, and trusted from then on.
        let real = ["-C", "vault", "-i", "collector.key", "--passphrase-file", "collector.pass"]
        let expected = try vault.cli.run(["case", "add", "--from", "case.json", "--expect-vault", vault.vaultID] + real, environment: laptop)
        #expect(expected.status == 0, "\(expected.stderr)")
        try vault.cli.write("case2.json", #"{"id":"C-10","detaineeNumber":"1235/215"}"#)
        let again = try vault.cli.run(["case", "add", "--from", "case2.json"] + real, environment: laptop)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.caseRecords(in: vault.vault) == 2)
    }

    @Test func readingIsAllowedAndTheCreatorsClientTrustsItsVault() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        // Every identity used from the client state that ran `init` writes at once (the fixture's state).
        try vault.addRecords()
        #expect(try Self.caseRecords(in: vault.vault) == 2)
        // A new client may read without trusting (nothing secret is written): listing works, then a write
        // is still refused, since reading trusts nothing.
        let laptop = ["XDG_STATE_HOME": vault.cli.folder + "/investigator-laptop"]
        let asInvestigator = ["-C", "vault", "-i", "investigator.key", "--passphrase-file", "investigator.pass"]
        let listed = try vault.cli.run(["case", "list"] + asInvestigator, environment: laptop)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("C-1"))
        try vault.cli.write("case.json", #"{"id":"C-7","detaineeNumber":"77/215"}"#)
        let write = try vault.cli.run(["case", "add", "--from", "case.json"] + asInvestigator, environment: laptop)
        #expect(write.status != 0 && write.stderr.contains("has never worked with vault \(vault.vaultID)"))
        // The folder's vault replaced after first sight: refused even with trust elsewhere.
        let fakeID = try Self.plantFakeVault(vault)
        try FileManager.default.removeItem(atPath: vault.vault)
        try FileManager.default.moveItem(atPath: vault.cli.folder + "/fake", toPath: vault.vault)
        let swapped = try vault.cli.run(["case", "list"] + asInvestigator, environment: laptop)
        #expect(swapped.status != 0)
        #expect(swapped.stderr.contains("now holds \(fakeID.prefix(16))"), "\(swapped.stderr)")
    }
}
