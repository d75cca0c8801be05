import Foundation
import GRDB

/// Typed reads and writes of `vaultMeta` (`VaultMetaRow`): the vault id, the genesis policy and the sealed
/// pseudonym keys.
extension VaultMetaRow {
    /// The key under which the pseudonym key sealed to the case compartment's `generation` is stored.
    public static func pseudonymKeyName(generation: Int64) -> String { "pseudonymKey/\(generation)" }

    /// The vault id recorded in the database (32 bytes for a vault Amanah made), nil when the row is missing.
    /// - Throws: database errors.
    public static func vaultID(_ db: Database) throws -> Data? {
        try Data.fetchOne(db, sql: "SELECT value FROM vaultMeta WHERE key = 'vaultID'")
    }

    /// The genesis policy text (UTF-8 bytes, as signed by the genesis through its hash), nil when the row is
    /// missing.
    /// - Throws: database errors.
    public static func genesisPolicy(_ db: Database) throws -> Data? {
        try Data.fetchOne(db, sql: "SELECT value FROM vaultMeta WHERE key = 'genesisPolicy'")
    }

    /// The pseudonym key (32 bytes) sealed (`crypto_box_seal`, +48 bytes) to the case compartment's public
    /// key of `generation`, nil when none is stored for that generation.
    /// - Throws: database errors.
    public static func pseudonymKey(generation: Int64, _ db: Database) throws -> Data? {
        try Data.fetchOne(db, sql: "SELECT value FROM vaultMeta WHERE key = ?", arguments: [pseudonymKeyName(generation: generation)])
    }

    /// The key of the marker that the identity data tied to withdrawn witness `pseudonym` (source notes,
    /// identified names it gave) was destroyed.
    public static func shreddedName(pseudonym: String) -> String { "shredded/\(pseudonym)" }

    /// Whether the identity data tied to withdrawn witness `pseudonym` was destroyed (its marker is stored).
    /// - Throws: database errors.
    public static func isShredded(pseudonym: String, _ db: Database) throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM vaultMeta WHERE key = ?", arguments: [shreddedName(pseudonym: pseudonym)]) ?? 0 > 0
    }

    /// Stores the marker that the identity data tied to withdrawn witness `pseudonym` was destroyed (its
    /// value: the time, milliseconds since the epoch, 8 bytes big-endian).
    /// - Throws: database errors (a marker stored twice is a constraint error).
    public static func insertShredded(pseudonym: String, at time: Int64, _ db: Database) throws {
        let value = Data((0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: time) >> (56 - 8 * $0)) })
        try db.execute(sql: "INSERT INTO vaultMeta (key, value) VALUES (?, ?)", arguments: [shreddedName(pseudonym: pseudonym), value])
    }

    /// Inserts the vault id (32 bytes) of a new vault.
    /// - Throws: database errors (a constraint error when the vault id is already stored).
    public static func insertVaultID(_ vaultID: Data, _ db: Database) throws {
        try db.execute(sql: "INSERT INTO vaultMeta (key, value) VALUES ('vaultID', ?)", arguments: [vaultID])
    }

    /// Inserts the genesis policy text (UTF-8 bytes) of a new vault.
    /// - Throws: database errors (a constraint error when a genesis policy is already stored).
    public static func insertGenesisPolicy(_ policyText: Data, _ db: Database) throws {
        try db.execute(sql: "INSERT INTO vaultMeta (key, value) VALUES ('genesisPolicy', ?)", arguments: [policyText])
    }

    /// Inserts the sealed pseudonym key (see `pseudonymKey(generation:_:)`) of `generation`.
    /// - Throws: database errors (a constraint error when one is already stored for that generation).
    public static func insertPseudonymKey(_ sealed: Data, generation: Int64, _ db: Database) throws {
        try db.execute(sql: "INSERT INTO vaultMeta (key, value) VALUES (?, ?)", arguments: [pseudonymKeyName(generation: generation), sealed])
    }

    /// Stores the sealed pseudonym key of `generation`, replacing one stored for that generation.
    /// - Throws: database errors.
    public static func replacePseudonymKey(_ sealed: Data, generation: Int64, _ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO vaultMeta (key, value) VALUES (?, ?)",
                       arguments: [pseudonymKeyName(generation: generation), sealed])
    }

    /// Deletes the sealed pseudonym key of `generation` (nothing when none is stored).
    /// - Throws: database errors.
    public static func deletePseudonymKey(generation: Int64, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM vaultMeta WHERE key = ?", arguments: [pseudonymKeyName(generation: generation)])
    }
}
