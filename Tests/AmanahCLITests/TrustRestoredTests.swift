import Foundation
import GRDB
import Testing

/// Issue 18: a client accepts a vault restored from a backup deliberately (`trust-restored --expect-vault`),
/// audited, instead of being locked out as "rolled back"; a copy that does not verify is not accepted.
@Suite("Accepting a restored backup")
struct TrustRestoredTests {
    static func restore(_ fixture: VaultFixture) throws {
        let manager = FileManager.default
        try manager.removeItem(atPath: fixture.vault)
        try manager.copyItem(atPath: fixture.cli.folder + "/backup", toPath: fixture.vault)
    }

    @Test("a backup restored after more work is refused as rolled back until trust-restored names the vault; the acceptance is in the audit log")
    func restoredBackupIsAccepted() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        try FileManager.default.copyItem(atPath: fixture.vault, toPath: fixture.cli.folder + "/backup")
        // Another client (its own state) adds a photograph; this client sees it.
        let other = ["XDG_STATE_HOME": fixture.cli.folder + "/state-other", "AMANAH_EXPECT_VAULT": fixture.vaultID]
        #expect(try fixture.run("collector", ["ingest", "--case", "C-1", samplePhotos[0]], environment: other).status == 0)
        #expect(try fixture.run("investigator", ["list"]).stdoutLines.count == 1)
        try Self.restore(fixture)
        let refused = try fixture.run("investigator", ["case", "list"])
        #expect(refused.status != 0 && refused.stderr.contains("refusing a rolled-back vault") && refused.stderr.contains("amanah trust-restored --expect-vault ID"),
                "\(refused.stderr)")
        let noID = try fixture.run("custodian-1", ["trust-restored"])
        #expect(noID.status == 64 && noID.stderr.contains("--expect-vault"), "\(noID.stderr)")
        let wrongID = try fixture.run("custodian-1", ["trust-restored", "--expect-vault", String(repeating: "0", count: 64)])
        #expect(wrongID.status != 0, "\(wrongID.stdout)")
        let accepted = try fixture.run("custodian-1", ["trust-restored", "--expect-vault", fixture.vaultID])
        #expect(accepted.status == 0 && accepted.stderr.contains("recorded as vault.restore-accepted"), "\(accepted.stdout) \(accepted.stderr)")
        let listed = try fixture.run("investigator", ["case", "list"])
        #expect(listed.status == 0 && listed.stdoutLines == ["C-1", "C-2"], "\(listed.stdout) \(listed.stderr)")
        let log = try fixture.cli.run(["audit", "log", "-C", "vault"])
        #expect(log.stdout.contains("vault.restore-accepted"), "\(log.stdout)")
        #expect(try fixture.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
        let again = try fixture.run("custodian-1", ["trust-restored", "--expect-vault", fixture.vaultID])
        #expect(again.status == 0 && again.stderr.contains("nothing to accept"), "\(again.stderr)")
    }

    @Test("a restored copy whose audit log was edited is not accepted (exit 3), and stays refused")
    func editedCopyIsNotAccepted() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        try FileManager.default.copyItem(atPath: fixture.vault, toPath: fixture.cli.folder + "/backup")
        _ = try fixture.ingest([samplePhotos[0]])
        let queue = try DatabaseQueue(path: fixture.cli.folder + "/backup/vault.sqlite")
        try queue.write { db in
            // The append-only guard is put back exactly as it was, so that only the event differs.
            let guardSQL = try #require(try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'auditEventNoUpdate'"))
            try db.execute(sql: "DROP TRIGGER auditEventNoUpdate")
            try db.execute(sql: "UPDATE auditEvent SET leafHash = zeroblob(32) WHERE seq = 2")
            try db.execute(sql: guardSQL)
        }
        try queue.close()
        try Self.restore(fixture)
        let refused = try fixture.run("custodian-1", ["trust-restored", "--expect-vault", fixture.vaultID])
        #expect(refused.status == 3 && refused.stderr.contains("does not verify"), "\(refused.status) \(refused.stdout) \(refused.stderr)")
        #expect(try fixture.run("investigator", ["case", "list"]).status != 0)
    }
}
