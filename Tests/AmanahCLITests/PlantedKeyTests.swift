import Foundation
import GRDB
import Testing
import VaultCrypto

/// Issue 15, planted key material: a key wrap is sealed with its holder's public key only, so whoever can
/// write the vault folder can seal a key of their own choosing to a member or to the recovery key. Before the
/// fix, a break-glass recovery reported success while granting such garbage keys to the rescuer, and a
/// member used a planted compartment key without noticing.
@Suite struct PlantedKeyTests {
    static func database(_ vault: VaultFixture) throws -> DatabaseQueue { try DatabaseQueue(path: vault.vault + "/vault.sqlite") }

    /// Replaces the wraps of the case compartment's secret key to `holder` by a random key sealed to `publicKey`.
    static func plantCaseSecret(_ vault: VaultFixture, holder: String, publicKey: [UInt8]) throws {
        let planted = try SealedBox.seal(SecretBytes.random(count: 32), to: publicKey)
        let changed = try database(vault).write { db -> Int in
            try db.execute(sql: "UPDATE keyWrap SET sealed = ? WHERE compartment = 'case' AND kind = 'secret' AND holder = ?",
                           arguments: [Data(planted), holder])
            return db.changesCount
        }
        #expect(changed >= 1, "no case secret wrapped to \(holder)")
    }

    @Test func aRecoveryThatWouldGrantAPlantedKeyIsRefused() throws {
        let vault = try VaultFixture(custodians: 3, threshold: 2)
        defer { vault.cleanup() }
        try vault.addRecords()
        // Whoever writes the folder knows the custodians' public keys: it replaces every custodian's share of
        // the case secret by a share of a key of its own.
        let custodians = try (1...3).map { try MemberPublicKey(line: vault.publicKeys["custodian-\($0)"]!) }
        let planted = try Shamir.split(SecretBytes.random(count: 32), threshold: 2, shareCount: 3)
        for (custodian, share) in zip(custodians, planted) {
            let changed = try Self.database(vault).write { db -> Int in
                try db.execute(sql: "UPDATE keyWrap SET sealed = ? WHERE compartment = 'case' AND kind = 'secret' AND holder = ?",
                               arguments: [Data(try SealedBox.seal(share.serialized(), to: custodian.encryptionKey)), "recovery-1/" + custodian.keyIDHex])
                return db.changesCount
            }
            #expect(changed == 1)
        }

        let rescuer = try vault.cli.makeIdentity("rescuer")
        #expect(try vault.run("custodian-1", ["op", "propose", "recover", rescuer, "--role", "investigator", "-o", "rec.json"]).status == 0)
        for custodian in ["custodian-2", "custodian-3"] { #expect(try vault.run(custodian, ["op", "approve", "rec.json", "--yes"]).status == 0) }
        let applied = try vault.run("custodian-1", ["op", "apply", "rec.json"])
        #expect(applied.status != 0, "a recovery granting a planted key was reported done: \(applied.stdout) \(applied.stderr)")
        #expect(applied.stderr.contains("the case key (generation 1) rebuilt from the shares of custodians") && applied.stderr.contains("is not the compartment's key named by the governance chain"),
                "\(applied.stderr)")
        // Nothing was granted to the rescuer.
        let rescuerID = try MemberPublicKey(line: rescuer).keyIDHex
        let grants = try Self.database(vault).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM keyWrap WHERE holder = ?", arguments: [rescuerID]) ?? 0
        }
        #expect(grants == 0)
    }

    @Test func aPlantedCompartmentKeyIsNotUsed() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let investigator = try MemberPublicKey(line: vault.publicKeys["investigator"]!)
        try Self.plantCaseSecret(vault, holder: investigator.keyIDHex, publicKey: investigator.encryptionKey)
        let listed = try vault.run("investigator", ["case", "list"])
        #expect(listed.status != 0)
        #expect(listed.stderr.contains("the case key (generation 1) sealed to you is not the compartment's key named by the governance chain"),
                "\(listed.stderr)")
        // A member whose wrap is intact is unaffected.
        #expect(try vault.run("legal-officer", ["case", "list"]).status == 0)
    }

    @Test func aPlantedIndexKeyIsRefused() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        #expect(try vault.run("investigator", ["case", "search", "--detainee", "4102/227"]).stdout.contains("C-2"))
        let investigator = try MemberPublicKey(line: vault.publicKeys["investigator"]!)
        let planted = try SealedBox.seal(SecretBytes.random(count: 32), to: investigator.encryptionKey)
        try Self.database(vault).write { db in
            try db.execute(sql: "UPDATE keyWrap SET sealed = ? WHERE compartment = 'case' AND kind = 'index' AND holder = ?",
                           arguments: [Data(planted), investigator.keyIDHex])
            #expect(db.changesCount == 1)
        }
        let searched = try vault.run("investigator", ["case", "search", "--detainee", "4102/227"])
        #expect(searched.status != 0, "a search ran under a planted index key: \(searched.stdout)")
        #expect(searched.stderr.contains("the case index key (generation 1) sealed to you is not a key the signed log commits to"),
                "\(searched.stderr)")
    }

    @Test(.enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
    func aPlantedPseudonymKeyIsRefused() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        // Sealed to the case compartment's public key, as anyone can (it is in vault.json).
        let genesis = try JSONSerialization.jsonObject(with: vault.cli.read("vault/vault.json")) as! [String: Any]
        let caseKey = try Base64.decode((genesis["compartments"] as! [String: String])["case"]!)
        let planted = try SealedBox.seal(SecretBytes.random(count: 32), to: caseKey)
        try Self.database(vault).write { db in
            try db.execute(sql: "UPDATE vaultMeta SET value = ? WHERE key = 'pseudonymKey/1'", arguments: [Data(planted)])
            #expect(db.changesCount == 1)
        }
        let proposed = try vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected",
                                                       "--case", "C-1", "--basis-file", "basis.txt", "-o", "req.json"])
        #expect(proposed.status != 0, "a release was planned with pseudonyms under a planted key")
        #expect(proposed.stderr.contains("the pseudonym key is not a key the signed log commits to"), "\(proposed.stderr)")
    }
}
