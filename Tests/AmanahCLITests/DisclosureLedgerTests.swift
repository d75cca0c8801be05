import Foundation
import GRDB
import Testing
import VaultAudit
import VaultCrypto

/// Issue 15, the deleted disclosure row: whoever can write the vault folder deletes the `disclosure` row of an
/// issued bundle. Before the fix the next issue gave out the same production numbers (DT-0001 twice) and
/// `check` saw nothing; the signed audit log records every issue, and the table is now checked against it.
@Suite(.enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct DisclosureLedgerTests {
    @Test func aDeletedDisclosureRowIsReportedAndItsNumbersStayUsed() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        let first = try fixture.disclose()
        #expect(first.status == 0 && first.stdoutLines == ["DT-0001"], "\(first.stderr)")
        #expect(try vault.run("custodian-1", ["check"]).status == 0)

        let database = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
        try database.write { db in try db.execute(sql: "DELETE FROM disclosure") }
        try database.close()

        let checked = try vault.run("custodian-1", ["check"])
        #expect(checked.status == 3)
        let report = checked.stdout + checked.stderr
        #expect(report.contains("disclosure DT-0001 for Demo Tribunal: audit event")
                && report.contains("records its issue, but its disclosure row is missing from the database"), "\(report)")
        // The same request cannot be issued again as if new, nor written again without its record.
        let again = try vault.run("legal-officer", ["disclose", "issue", "req.json", "-o", "again.tar.age"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("the audit log records the issue of this request as DT-0001"), "\(again.stderr)")
        // A new release gets the next numbers, never DT-0001 again.
        let second = try fixture.disclose(profile: "public", output: "second.tar.age", request: "req2.json")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdoutLines == ["DT-0002"])
    }

    @Test func aPlantedOrChangedDisclosureRowIsReported() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        #expect(try fixture.disclose().status == 0)
        let database = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
        try database.write { db in
            try db.execute(sql: "UPDATE disclosure SET bundleNumber = 7")
            try db.execute(sql: """
                INSERT INTO disclosure (recipient, bundleNumber, planHash, manifestHash, itemCount, issuedAt, checkpointSize)
                VALUES ('Demo Tribunal', 8, zeroblob(32), zeroblob(32), 1, 0, 1)
                """)
        }
        try database.close()
        let checked = try vault.run("custodian-1", ["check"])
        #expect(checked.status == 3)
        let report = checked.stdout + checked.stderr
        #expect(report.contains("disclosure row Demo Tribunal #7: the audit log (event"), "\(report)")
        #expect(report.contains("records it as DT-0001 for Demo Tribunal"))
        #expect(report.contains("disclosure row Demo Tribunal #8: the audit log records no issue of its release plan"))
    }
}

/// An issue event that no member signed does not count: a folder writer can only append it (the chain's
/// links are signed), where it is refused as the newest event that does not verify.
@Suite(.enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct DisclosureLedgerSignatureTests {
    @Test func anUnsignedIssueEventIsNotCounted() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        #expect(try fixture.disclose().status == 0)
        let database = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
        let planted = try database.write { db -> Int in
            // A copy of the issue event under the next number, its signature broken, linked and hashed as a
            // folder writer can.
            let issue = try Row.fetchOne(db, sql: "SELECT leaf FROM auditEvent WHERE instr(leaf, CAST('disclosure.issue' AS BLOB)) > 0")!
            let newest = try Row.fetchOne(db, sql: "SELECT seq, leafHash FROM auditEvent ORDER BY seq DESC LIMIT 1")!
            var event = try AuditEvent(leaf: Array(issue["leaf"] as Data))
            let seq: Int = newest["seq"]
            event.sequence = UInt64(seq + 1)
            event.previousLeafHash = Array(newest["leafHash"] as Data)
            event.objects[2] = "DT-0009"
            try db.execute(sql: "INSERT INTO auditEvent (seq, leaf, leafHash) VALUES (?, ?, ?)",
                           arguments: [seq + 1, Data(event.storedLeaf), Data(event.leafHash)])
            return seq + 1
        }
        try database.close()
        // As the newest event it is refused at once; the ledger would not count it either.
        let checked = try vault.cli.run(["check", "-C", "vault"])
        let report = checked.stdout + checked.stderr
        #expect(checked.status != 0)
        #expect(report.contains("\(planted)") && report.contains("does not verify"), "\(report)")
        let proposed = try vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "public", "--case", "C-1",
                                                       "--basis-file", "basis.txt", "-o", "req2.json"])
        #expect(proposed.status != 0 && proposed.stderr.contains("the newest audit event (\(planted)) does not verify"), "\(proposed.stderr)")
    }
}
