import Foundation
import GRDB

/// Typed reads of `governance` (`GovernanceRow`), the governance chain after the genesis.
extension GovernanceRow {
    /// Every entry of the chain, in sequence order (`seq` ascending, from 1 in an intact chain).
    /// - Throws: database errors.
    public static func inSequence(_ db: Database) throws -> [GovernanceRow] {
        try GovernanceRow.order(Columns.seq).fetchAll(db)
    }

    /// The newest entry's sequence number and hash (SHA-256 of its body, 32 bytes), nil when the chain holds
    /// no entry after the genesis.
    /// - Throws: database errors.
    public static func newestPosition(_ db: Database) throws -> (seq: Int64, hash: Data)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM governance ORDER BY seq DESC LIMIT 1") else { return nil }
        return (row["seq"] as Int64, row["hash"] as Data)
    }

    /// The hash (32 bytes) of entry `seq`, nil when there is no such entry.
    /// - Throws: database errors.
    public static func hash(at seq: Int64, _ db: Database) throws -> Data? {
        try Data.fetchOne(db, sql: "SELECT hash FROM governance WHERE seq = ?", arguments: [seq])
    }

    /// Entry `seq`, nil when there is no such entry.
    /// - Throws: database errors.
    public static func find(seq: Int64, _ db: Database) throws -> GovernanceRow? {
        try GovernanceRow.filter(Columns.seq == seq).fetchOne(db)
    }
}

/// Typed reads of `compartment` (`CompartmentRow`), the compartment public keys per generation.
extension CompartmentRow {
    /// The public key row of compartment `name` at `generation`, nil when there is none.
    /// - Throws: database errors.
    public static func find(name: String, generation: Int64, _ db: Database) throws -> CompartmentRow? {
        try CompartmentRow.fetchOne(db, key: [Columns.name.name: name, Columns.generation.name: generation])
    }

    /// The keys that members attested while completing a rotation (`attestedBy` not NULL), ordered by the
    /// chain length at attestation (`attestedAtChain`), then by generation.
    /// - Throws: database errors.
    public static func attested(_ db: Database) throws -> [CompartmentRow] {
        try CompartmentRow.filter(Columns.attestedBy != nil).order(Columns.attestedAtChain, Columns.generation).fetchAll(db)
    }
}

/// Typed reads and deletions of `keyWrap` (`KeyWrapRow`), the compartment and index keys sealed to holders.
extension KeyWrapRow {
    /// The wrap of `kind` ("secret" or "index") of `compartment` at `generation` to `holder` (a member's key id
    /// in hex, or "recovery-<generation>"), nil when there is none.
    /// - Throws: database errors.
    public static func find(compartment: String, generation: Int64, kind: String, holder: String, _ db: Database) throws -> KeyWrapRow? {
        try KeyWrapRow.fetchOne(db, key: [Columns.compartment.name: compartment, Columns.generation.name: generation,
                                          Columns.kind.name: kind, Columns.holder.name: holder])
    }

    /// The holders of wraps of `kind` of `compartment` at `generation`, in table order (unordered).
    /// - Throws: database errors.
    public static func holders(compartment: String, generation: Int64, kind: String, _ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT holder FROM keyWrap WHERE compartment = ? AND generation = ? AND kind = ?",
                            arguments: [compartment, generation, kind])
    }

    /// The number of wraps of `kind` of `compartment` (any generation) to a recovery key or share set other
    /// than `currentRecoveryHolder` (holders "recovery-…": a dealt recovery key of an earlier release, or
    /// "recovery-<set>/<custodian>", a custodian's share).
    /// - Throws: database errors.
    public static func staleRecoveryWrapCount(compartment: String, kind: String, currentRecoveryHolder: String, _ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM keyWrap WHERE compartment = ? AND kind = ? AND holder LIKE 'recovery-%' AND holder != ? AND substr(holder, 1, ?) != ?",
                         arguments: [compartment, kind, currentRecoveryHolder, currentRecoveryHolder.count + 1, currentRecoveryHolder + "/"]) ?? 0
    }

    /// Deletes the custodians' shares of `kind` of `compartment` at `generation` in share set `recoveryHolder`
    /// (holders "recovery-<set>/…"), to replace an incomplete set whole.
    /// - Throws: database errors.
    public static func deleteShares(compartment: String, generation: Int64, kind: String, recoveryHolder: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM keyWrap WHERE compartment = ? AND generation = ? AND kind = ? AND substr(holder, 1, ?) = ?",
                       arguments: [compartment, generation, kind, recoveryHolder.count + 1, recoveryHolder + "/"])
    }

    /// The share wraps sealed to custodian `custodian` (holders "recovery-<set>/<custodian>") of `kind` of
    /// `compartment` at `generation`, newest set first.
    /// - Throws: database errors.
    public static func shares(of custodian: String, compartment: String, generation: Int64, kind: String, _ db: Database) throws -> [KeyWrapRow] {
        try KeyWrapRow.fetchAll(db, sql: "SELECT * FROM keyWrap WHERE compartment = ? AND generation = ? AND kind = ? AND holder LIKE 'recovery-%/' || ? ORDER BY length(holder) DESC, holder DESC",
                                arguments: [compartment, generation, kind, custodian])
    }

    /// Deletes the wraps of `kind` of `compartment` (any generation) to recovery keys other than
    /// `currentRecoveryHolder`.
    /// - Throws: database errors.
    public static func deleteStaleRecoveryWraps(compartment: String, kind: String, currentRecoveryHolder: String, _ db: Database) throws {
        try db.execute(sql: """
            DELETE FROM keyWrap WHERE compartment = ? AND kind = ? AND holder LIKE 'recovery-%' AND holder != ? AND substr(holder, 1, ?) != ?
            """, arguments: [compartment, kind, currentRecoveryHolder, currentRecoveryHolder.count + 1, currentRecoveryHolder + "/"])
    }

    /// Deletes every wrap of `compartment` of a generation older than `generation`.
    /// - Throws: database errors.
    public static func deleteAll(compartment: String, olderThan generation: Int64, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM keyWrap WHERE compartment = ? AND generation < ?", arguments: [compartment, generation])
    }
}

/// Typed reads and deletions of `recoveryShare` (`RecoveryShareRow`), the custodians' sealed recovery shares.
extension RecoveryShareRow {
    /// The shares sealed to `custodian` (key id hex), oldest recovery generation first.
    /// - Throws: database errors.
    public static func sealed(to custodian: String, _ db: Database) throws -> [RecoveryShareRow] {
        try RecoveryShareRow.filter(Columns.custodian == custodian).order(Columns.generation).fetchAll(db)
    }

    /// Deletes the shares of recovery keys older than `generation` to which no key is wrapped any more (no
    /// `keyWrap` row with holder "recovery-<generation>").
    /// - Throws: database errors.
    public static func deleteUnused(olderThan generation: Int64, _ db: Database) throws {
        try db.execute(sql: """
            DELETE FROM recoveryShare WHERE generation < ?
              AND NOT EXISTS (SELECT 1 FROM keyWrap WHERE keyWrap.holder = 'recovery-' || recoveryShare.generation)
            """, arguments: [generation])
    }
}
