import Foundation
import GRDB
import Testing
import VaultCrypto

/// Records carry their writer's signature, sealed with them: someone who can write the database but whose
/// role may not write consent cannot forge a witness's consent or protective measures.
struct RecordAuthenticityTests {
    @Test func consentForgedByACollectorIsRefused() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        #expect(try vault.run("protection-officer", ["witness", "show", "W-0001"]).stdout.contains("consent: Demo Tribunal"))
        // The collector rewrites W-0001's case fields directly in the database, sealed to the case public key
        // and signed with the collector's own key.
        let queue = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
        let collector = try KeyFile.unlock(Array(vault.cli.read("collector.key")), passphrase: passphrase("collector"))
        try queue.write { db in
            let vaultID = Array(try Data.fetchOne(db, sql: "SELECT value FROM vaultMeta WHERE key = 'vaultID'")!)
            let publicKey = Array(try Data.fetchOne(db, sql: "SELECT publicKey FROM compartment WHERE name = 'case' ORDER BY generation DESC LIMIT 1")!)
            let dataKey = SecretBytes.random(count: 32)
            func ad(_ field: String) -> [UInt8] {
                var bytes = vaultID
                bytes.appendLengthPrefixed("witness"); bytes.appendLengthPrefixed("W-0001"); bytes.appendLengthPrefixed(field)
                return bytes
            }
            let consent = Array(#"["Other Court"]"#.utf8), measures = Array("[]".utf8)
            var message = vaultID
            message.appendLengthPrefixed("witness"); message.appendLengthPrefixed("W-0001"); message.appendLengthPrefixed("case")
            message.append(contentsOf: [0, 0, 0, 2])
            message.appendLengthPrefixed("consent"); message.appendLengthPrefixed(consent)
            message.appendLengthPrefixed("protectiveMeasures"); message.appendLengthPrefixed(measures)
            let signature = Array((collector.publicKey.keyIDHex + ":" + Hex.encode(collector.sign(message, context: SigningContext(purpose: "record")))).utf8)
            try db.execute(sql: "DELETE FROM recordField WHERE kind = 'witness' AND recordID = 'W-0001' AND compartment = 'case'")
            try db.execute(sql: "UPDATE recordKey SET sealedKey = ? WHERE kind = 'witness' AND recordID = 'W-0001' AND compartment = 'case'",
                           arguments: [Data(try SealedBox.seal(dataKey, to: publicKey))])
            for (field, value) in [("consent", consent), ("protectiveMeasures", measures), ("_signature.case", signature)] {
                try db.execute(sql: "INSERT INTO recordField (kind, recordID, field, compartment, ciphertext) VALUES ('witness', 'W-0001', ?, 'case', ?)",
                               arguments: [field, Data(try XChaCha20Poly1305.seal(value, key: dataKey, associatedData: ad(field)))])
            }
        }
        let forged = try vault.run("protection-officer", ["witness", "show", "W-0001"])
        #expect(forged.status == 1)
        #expect(forged.stderr.contains("were written by \(collector.publicKey.keyIDHex), whose role may not write them"))
    }
}
