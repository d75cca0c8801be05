import Foundation
import GRDB
import Testing

/// Issue 15: the columns that decide what is masked and whose photograph is whose, changed with nothing but
/// `sqlite3` by someone who can write the vault folder. Before the fix each change passed `check` and a
/// release went out with a witness's face unmasked, a photograph under another detainee's case, or a deny
/// turned into a permit. The signed audit log records each of these facts; a row that disagrees with it is
/// reported by `check` (exit 3) and refuses every decision about its item.
@Suite(.enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct IndexBindingTests {
    /// (name, SQL run by the attacker with the item id as its only argument, what check and propose name)
    static let attacks: [(String, String, String)] = [
        ("region category A to C", "UPDATE region SET category = 'C' WHERE itemID = ?", "its row gives category C, audit event"),
        ("region deleted", "DELETE FROM region WHERE itemID = ?", "records it, but its row is missing"),
        ("item moved to another case", "UPDATE item SET caseID = 'C-2' WHERE id = ?", "its row puts it in case C-2, audit event"),
        ("source link deleted", "DELETE FROM itemSource WHERE itemID = ?", "but its link row is missing"),
        ("item sequence changed", "UPDATE item SET sequence = 9 WHERE id = ?", "its row gives sequence 9, audit event"),
    ]

    @Test func changedColumnsAreReportedAndRefuseDecisions() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        let item = fixture.items[0]
        #expect(try vault.run("custodian-1", ["check"]).status == 0)
        let pristine = vault.cli.folder + "/pristine"
        try FileManager.default.copyItem(atPath: vault.vault, toPath: pristine)
        for (name, sql, words) in Self.attacks {
            try FileManager.default.removeItem(atPath: vault.vault)
            try FileManager.default.copyItem(atPath: pristine, toPath: vault.vault)
            let database = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
            let changed = try database.write { db -> Int in
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                try db.execute(sql: sql, arguments: [item])
                return db.changesCount
            }
            try database.close()
            #expect(changed >= 1, "\(name): the attack changed nothing")

            let checked = try vault.run("custodian-1", ["check"])
            #expect(checked.status == 3, "\(name): check passed")
            #expect((checked.stdout + checked.stderr).contains(words), "\(name): \(checked.stdout) \(checked.stderr)")
            try? FileManager.default.removeItem(atPath: vault.cli.folder + "/req.json")
            let proposed = try vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected",
                                                           "--items", item, "--basis-file", "basis.txt", "-o", "req.json"])
            #expect(proposed.status != 0, "\(name): a release was proposed over a changed row")
            #expect(proposed.stderr.contains(words) && proposed.stderr.contains("run `amanah check`"), "\(name): \(proposed.stderr)")
            let explained = try vault.run("legal-officer", ["policy", "explain", "--action", "disclose", "--item", item,
                                                            "--profile", "tribunal-protected", "--recipient", "Demo Tribunal"])
            #expect(explained.status != 0 && explained.stderr.contains(words), "\(name): policy explain: \(explained.stdout) \(explained.stderr)")
        }
    }
}
