import Foundation
import GRDB
import Testing

/// Issue 15, the unpadded-field attack: a seized database gave the exact byte length of every legal name,
/// place, file name and metadata summary. Fields are padded inside the ciphertext now.
@Suite struct FieldPaddingAttackTests {
    @Test func aSeizedDatabaseDoesNotTellTheLengthOfANameOrPlace() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.cli.write("witnesses.json", """
            [{"pseudonym":"W-1","legalName":"Al","contact":"x"},
             {"pseudonym":"W-2","legalName":"Abdulrahman Mohammed Al-Khatib","contact":"12 Example Street, Qaboun, Damascus"}]
            """)
        #expect(try vault.run("protection-officer", ["witness", "add", "--from", "witnesses.json"]).status == 0)
        try vault.cli.write("cases.json", """
            [{"id":"C-1","detaineeNumber":"1/1","place":"Homs"},{"id":"C-2","detaineeNumber":"22/215","place":"Saydnaya military prison, wing B"}]
            """)
        #expect(try vault.run("collector", ["case", "add", "--from", "cases.json"]).status == 0)
        let database = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
        func lengths(_ kind: String, _ field: String) throws -> [Int] {
            try database.read { db in
                try Int.fetchAll(db, sql: "SELECT length(ciphertext) FROM recordField WHERE kind = ? AND field = ? ORDER BY recordID",
                                 arguments: [kind, field])
            }
        }
        for (kind, field) in [("witness", "legalName"), ("witness", "contact"), ("case", "place"), ("case", "detaineeNumber")] {
            let found = try lengths(kind, field)
            #expect(found.count == 2 && found[0] == found[1], "\(kind).\(field): ciphertext lengths \(found)")
        }
        // The values still read back whole.
        #expect(try vault.run("protection-officer", ["witness", "show", "W-2"]).stdout.contains("Abdulrahman Mohammed Al-Khatib"))
        #expect(try vault.run("investigator", ["case", "search", "--detainee", "22/215"]).stdout.contains("C-2"))
    }
}
