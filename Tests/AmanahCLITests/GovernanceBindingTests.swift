import Foundation
import GRDB
import Testing

/// Issue 15, the deleted governance entry: whoever can write the vault folder deletes the newest governance
/// entry (a member's removal), and every client that had not seen it takes the member back. Audit events now
/// carry the governance position they were written against, so the log says how long the chain must be.
@Suite struct GovernanceBindingTests {
    @Test func removingTheNewestGovernanceEntryIsRefusedByAClientThatNeverSawIt() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let removed = try vault.governance(["remove-member", vault.publicKeys["investigator"]!], approvers: ["custodian-1", "custodian-2"])
        #expect(removed.status == 0, "\(removed.stderr)")
        let database = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
        let length = try database.write { db -> Int in
            // The append-only triggers are the vault's own guard against mistakes, not against an attacker.
            try withoutGuards(db) {
                let newest = try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM governance") ?? 0
                try db.execute(sql: "DELETE FROM governance WHERE seq = ?", arguments: [newest])
                return newest
            }
        }
        #expect(length == 1)
        try database.close()

        // A client that never saw the removal: the removed investigator on a new machine.
        let laptop = ["XDG_STATE_HOME": vault.cli.folder + "/investigator-laptop"]
        let listed = try vault.run("investigator", ["case", "list", "--expect-vault", vault.vaultID], environment: laptop)
        #expect(listed.status != 0, "the removed member read the vault: \(listed.stdout)")
        #expect(!listed.stdout.contains("C-1"))
        #expect(listed.stderr.contains("was written against governance entry 1, but the governance chain has 0 entries: governance entries were removed"),
                "\(listed.stderr)")
        // Audit verification names it too, from a third client.
        let verified = try vault.cli.run(["audit", "verify", "-C", "vault"], environment: ["XDG_STATE_HOME": vault.cli.folder + "/auditor-laptop"])
        #expect(verified.status != 0)
        #expect((verified.stdout + verified.stderr).contains("governance entries were removed"), "\(verified.stdout) \(verified.stderr)")
    }
}
