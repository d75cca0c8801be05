import Foundation
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultPolicy
import VaultStore

/// The result of `amanah migrate`.
public struct MigrationReport: Sendable {
    /// Whether the log held signed index entries already (nothing was done).
    public var alreadyMigrated = false
    /// Rows of each index table signed into the snapshot entry.
    public var rows: [(table: String, count: Int)] = []
    /// Records whose fields this custodian could open, and so whose signatures and writers were checked.
    public var recordsOpened = 0
    /// Records none of whose compartments this custodian holds (their signatures are checked at every read).
    public var recordsSealed = 0
    /// The audit event that carries the snapshot.
    public var event: UInt64 = 0
}

extension Session {
    /// `amanah migrate`: binds the index of a vault made before signed index entries (the first release, or
    /// a vault made while issue 15 was being built) to the log. A custodian checks what the log can vouch
    /// for: the audit log as `audit verify` checks it, the disclosure ledger, the item, source and region
    /// rows against their signed events, SQLite's integrity check, and every record this custodian can
    /// open (signatures and writers, as a read checks them); then signs one `vault.migrate` event whose
    /// index entry is a snapshot of every index row. From then on `check` compares every row with the log.
    /// A row that fails a check is reported and nothing is migrated: the vault stays as it was.
    /// - Throws: `VaultError.notPermitted` for a non-custodian; `VaultError.integrity` listing every problem
    ///   (one per line) when a check fails; what `requireTrust` throws; database errors.
    public func migrateIndex(confirm: ((_ vaultID: String, _ custodians: [String]) -> Bool)?) throws -> MigrationReport {
        guard isCustodian else { throw VaultError.notPermitted("migrate: only a custodian migrates a vault") }
        try vault.requireTrust(confirm: confirm)
        var report = MigrationReport()
        // Migrated (or made since entries exist) when the index has a base: the entry of `vault.init` or an
        // earlier migration's snapshot. Entries of writes made into a first-release vault before its
        // migration give none, and must themselves be intact: a snapshot never papers over a deleted entry.
        let (migrated, entryProblems) = try vault.database.queue.read { db -> (Bool, [String]) in
            let log = try IndexLog.load(db, vaultID: vault.vaultID, keys: vault.state.knownKeys, history: try governanceHistory(db),
                                        genesisInitiator: Hex.encode(vault.genesis.initiator))
            return (log.based, log.problems)
        }
        if migrated {
            report.alreadyMigrated = true
            return report
        }
        var problems = try vault.databaseIntegrityProblems() + entryProblems
        problems += try vault.database.queue.read { db in
            let history = try governanceHistory(db)
            return try (AuditLog.chainProblem(db, vaultID: vault.vaultID).map { [$0] } ?? [])
                + DisclosureLedger.problems(db, vaultID: vault.vaultID, keys: vault.state.knownKeys, history: history)
                + IndexBinding.load(db, keys: vault.state.knownKeys, history: history).problems(db)
        }
        problems += try vault.verifyAuditLog().problems.map { "audit log: " + $0 }
        try vault.database.queue.read { db in
            for (kindName, id) in try RecordRow.allKeys(db) {
                guard let kind = RecordKind(rawValue: kindName) else {
                    problems.append("record \(kindName)/\(id): unknown kind")
                    continue
                }
                do {
                    let opened = try RecordCodec.open(kind: kind, id: id, vaultID: vault.vaultID, keyRing: keyRing, db: db)
                    if opened.fields.isEmpty { report.recordsSealed += 1 } else { report.recordsOpened += 1 }
                } catch {
                    problems.append("record \(kindName)/\(id): \(error)")
                }
            }
        }
        guard problems.isEmpty else {
            throw VaultError.integrity("the vault was not migrated; these rows or events fail their checks:\n" + problems.joined(separator: "\n"))
        }
        let event = try write { db -> AuditEvent in
            let snapshot = try IndexEntry.snapshot(db, vaultID: vault.vaultID)
            for table in IndexEntry.tables {
                report.rows.append((table, snapshot.changes.filter { $0.table == table }.count))
            }
            return try audit(db, action: "vault.migrate", objects: [], snapshot: snapshot)
        }
        report.event = event.sequence
        return report
    }
}
