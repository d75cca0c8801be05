import Foundation
import GRDB
import Testing

/// Issue 15 (a review's attacks on the first fixes): the facts of the signed log decide only when the log is
/// whole. Removing an event from the middle together with the row it bound, or appending an unsigned row
/// as the newest event, is refused.
@Suite struct LogIntegrityTests {
    @Test func removingAnEventWithItsRowIsRefused() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let item = try vault.ingest([samplePhotos[0]], extra: ["--witness", "W-0001"])[0].0
        _ = try vault.ingest([samplePhotos[0]], as: "investigator")   // a second delivery: a further source, its own event
        #expect(try vault.run("investigator", ["list"]).status == 0)   // a later event, so the removed one is in the middle
        let database = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
        let removed = try database.write { db -> Int in
            try withoutGuards(db) {
                let rows = try Row.fetchAll(db, sql: "SELECT seq, leaf FROM auditEvent ORDER BY seq")
                let sourceAdd = rows.first { ($0["leaf"] as Data).range(of: Data("item.source-add".utf8)) != nil }!
                let seq: Int = sourceAdd["seq"]
                try db.execute(sql: "DELETE FROM auditEvent WHERE seq = ?", arguments: [seq])
                try db.execute(sql: "DELETE FROM itemSource WHERE itemID = ? AND sourceID = (SELECT sourceID FROM itemSource WHERE itemID = ? ORDER BY createdAt DESC LIMIT 1)",
                               arguments: [item, item])
                return seq
            }
        }
        try database.close()
        let explained = try vault.run("legal-officer", ["policy", "explain", "--action", "disclose", "--item", item, "--profile", "tribunal-protected",
                                                        "--recipient", "Demo Tribunal"])
        #expect(explained.status != 0, "a decision was made over a log with a hole: \(explained.stdout)")
        #expect(explained.stderr.contains("audit event \(removed) is missing from the log"), "\(explained.stderr)")
        let checked = try vault.run("custodian-1", ["check"])
        #expect(checked.status == 3)
        #expect((checked.stdout + checked.stderr).contains("audit event \(removed) is missing from the log"))
    }

    @Test func anUnsignedNewestRowIsRefused() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let database = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
        try database.write { db in
            let newest = try Row.fetchOne(db, sql: "SELECT seq, leaf FROM auditEvent ORDER BY seq DESC LIMIT 1")!
            var leaf = Array(newest["leaf"] as Data)
            leaf[leaf.count - 1] ^= 1                      // the signature no longer verifies
            let seq: Int = newest["seq"]
            try db.execute(sql: "INSERT INTO auditEvent (seq, leaf, leafHash) VALUES (?, ?, zeroblob(32))", arguments: [seq + 1, Data(leaf)])
        }
        try database.close()
        let laptop = ["XDG_STATE_HOME": vault.cli.folder + "/new-laptop"]
        let listed = try vault.run("investigator", ["case", "list", "--expect-vault", vault.vaultID], environment: laptop)
        #expect(listed.status != 0)
        #expect(listed.stderr.contains("the newest audit event"), "\(listed.stderr)")
        // `check` reports it as a problem (exit 3), not as a failure to run.
        let checked = try vault.run("custodian-1", ["check", "--expect-vault", vault.vaultID], environment: laptop)
        #expect(checked.status == 3 && checked.stdout.contains("problem: integrity check failed: the newest audit event"), "\(checked.stdout) \(checked.stderr)")
    }
}
