import Foundation
import GRDB
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
        // Until a custodian migrates it, check says that its rows are not bound to signed entries.
        let unmigrated = try run("custodian-1", ["check"])
        #expect(unmigrated.status == 3 && unmigrated.stdout.contains("a custodian runs `amanah migrate`"), "\(unmigrated.stdout)")
        let refused = try run("investigator", ["migrate"])
        #expect(refused.status != 0 && refused.stderr.contains("only a custodian migrates a vault"), "\(refused.stderr)")
        let migrated = try run("custodian-1", ["migrate"])
        #expect(migrated.status == 0, "\(migrated.stderr)")
        #expect(migrated.stdout.contains("item: 2 rows") && migrated.stdout.contains("region: 1 row"), "\(migrated.stdout)")
        #expect(migrated.stdout.contains("migrated: audit event"), "\(migrated.stdout)")
        let twice = try run("custodian-2", ["migrate"])
        #expect(twice.status == 0 && twice.stderr.contains("nothing to migrate"), "\(twice.stderr)")
        let checked = try run("custodian-1", ["check", "--rebuild"])
        #expect(checked.status == 0 && checked.stdout.contains("equal to vault.sqlite"), "\(checked.stdout) \(checked.stderr)")
        #expect(try cli.run(["audit", "verify", "-C", "vault"], environment: expect).status == 0)
        // The first release's bundle: its signatures and files check out, but its checkpoint was signed by the
        // issuer alone, so custody and approvals cannot chain to what a tribunal pins (issue 16).
        let kit = try run("custodian-1", ["recipient", "kit", "Demo Tribunal", "-o", "kit.json"])
        #expect(kit.status == 0, "\(kit.stderr)")
        let bundle = try cli.run(["bundle", "verify", "bundle.tar.age", "-i", "tribunal.key", "--issuer-key", "issuer.pub", "--kit", "kit.json"])
        #expect(bundle.status == 3 && bundle.stdout.contains("ok   signature of manifest.json") && bundle.stdout.contains("ok   SHA256SUMS")
                && bundle.stdout.contains("FAIL custody: the checkpoint carries the signatures of 0 of the pinned custodians, 2 needed")
                && bundle.stdout.hasSuffix("NOT VERIFIED\n"), "\(bundle.stdout)")
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
        // Custody proves against a checkpoint the custodians cosigned: none covers the new ingest yet.
        let early = try run("legal-officer", ["disclose", "issue", "req2.json", "-o", "early.tar.age"])
        #expect(early.status != 0 && early.stderr.contains("amanah audit cosign"), "\(early.stderr)")
        let made = try run("custodian-1", ["audit", "checkpoint"])
        try cli.write("checkpoint.txt", made.stdout)
        #expect(try run("custodian-2", ["audit", "cosign", "checkpoint.txt"]).status == 0)
        let issued = try run("legal-officer", ["disclose", "issue", "req2.json", "-o", "second.tar.age"])
        #expect(issued.status == 0 && issued.stdoutLines == ["DT-0002"], "\(issued.stderr)")
        let second = try cli.run(["bundle", "verify", "second.tar.age", "-i", "tribunal.key", "--kit", "kit.json"])
        #expect(second.status == 0 && second.stdout.hasSuffix("\nverified\n"), "\(second.stdout)")
        let again = try cli.run(["audit", "verify", "-C", "vault"], environment: expect)
        #expect(again.status == 0, "\(again.stdout) \(again.stderr)")
        let rechecked = try run("custodian-1", ["check", "--rebuild"])
        #expect(rechecked.status == 0 && rechecked.stdout.contains("equal to vault.sqlite"), "\(rechecked.stdout) \(rechecked.stderr)")
    }

    /// A first-release vault has a dealt recovery key. Break-glass recovery still works with it; the first
    /// change of the custodians or the threshold replaces it by share sets that the holders make (issue 16:
    /// no dealer), its wraps and shares go, and recovery then works from the custodians' shares.
    @Test func aDealtRecoveryKeyGivesWayToShareSets() throws {
        let (cli, expect) = try Self.copy()
        defer { cli.cleanup() }
        func run(_ who: String, _ arguments: [String]) throws -> CLIHarness.Result {
            try cli.run(arguments + ["-C", "vault", "-i", who + ".key", "--passphrase-file", who + ".pass"], environment: expect)
        }
        #expect(try run("custodian-1", ["migrate"]).status == 0)
        let queue = try DatabaseQueue(path: cli.folder + "/vault/vault.sqlite")
        func holders() throws -> Set<String> {
            Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT holder FROM keyWrap WHERE holder LIKE 'recovery-%'") })
        }
        #expect(try holders() == ["recovery-1"])
        func recover(_ name: String) throws -> CLIHarness.Result {
            let rescuer = try cli.makeIdentity(name)
            #expect(try run("custodian-1", ["op", "propose", "recover", rescuer, "--role", "investigator", "-o", name + ".json"]).status == 0)
            for custodian in ["custodian-1", "custodian-2"] { #expect(try run(custodian, ["op", "approve", name + ".json", "--yes"]).status == 0) }
            return try run("custodian-1", ["op", "apply", name + ".json"])
        }
        // With the dealt key: recovered, and the recovery itself starts a share set.
        let first = try recover("rescuer-1")
        #expect(first.status == 0, "\(first.stderr)")
        _ = try run("investigator", ["list"])
        _ = try run("protection-officer", ["witness", "list"])
        let sets = try holders()
        #expect(!sets.isEmpty && sets.allSatisfy { $0.hasPrefix("recovery-2/") }, "\(sets)")
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM recoveryShare") } == 0)
        // With the custodians' shares.
        let second = try recover("rescuer-2")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try run("rescuer-2", ["list"]).status == 0)
        try queue.close()
        #expect(try cli.run(["audit", "verify", "-C", "vault"], environment: expect).status == 0)
    }

    /// A row changed in the folder before the migration is named, and nothing is migrated: a migration never
    /// signs what the log does not vouch for.
    @Test func aChangedRowIsReportedAndNotMigrated() throws {
        let (cli, expect) = try Self.copy()
        defer { cli.cleanup() }
        let database = try DatabaseQueue(path: cli.folder + "/vault/vault.sqlite")
        // (The first release's region events name no category, so a changed category cannot be told from the
        // log; an item moved to another case can.)
        try database.write { db in try db.execute(sql: "UPDATE item SET caseID = 'C-9' WHERE rowid = 1") }
        try database.close()
        let migrated = try cli.run(["migrate", "-C", "vault", "-i", "custodian-1.key", "--passphrase-file", "custodian-1.pass"], environment: expect)
        #expect(migrated.status == 3, "\(migrated.stdout) \(migrated.stderr)")
        #expect(migrated.stdout.contains("its row puts it in case C-9, audit event"), "\(migrated.stdout)")
        #expect(migrated.stderr.contains("the vault was not migrated"), "\(migrated.stderr)")
        let entries = try DatabaseQueue(path: cli.folder + "/vault/vault.sqlite").read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM entry") }
        #expect(entries == 0)
    }
}
