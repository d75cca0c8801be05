import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultStore

/// The signed index entries of the log (`IndexEntry`, one per audit event whose transaction changed the
/// index), checked and replayed: the index as the members wrote it, for `amanah check` to compare with the
/// database row by row and for `check --rebuild` to write anew.
///
/// An entry counts only if the audit event carrying its hash verifies under a key the governance chain knows
/// and its signer was a member or custodian at the event's governance position (the genesis initiator for
/// `vault.init`). A vault made before entries existed has none until a custodian runs `amanah migrate`, whose
/// event carries a snapshot of every index row; replay starts again at a snapshot.
public struct IndexLog {
    /// The index rebuilt from the entries (nil when the log holds none).
    public var replay: IndexReplay?
    /// Entries that could not be used, and entries or events that do not match, one line each.
    public var problems: [String] = []
    /// The number of entries applied.
    public var applied = 0
    /// Whether the replay starts from a base: the entry of `vault.init` (a vault made since entries exist)
    /// or a migration's snapshot. Entries written into a first-release vault before it was migrated have
    /// none: the rows before them are in no entry, and `amanah migrate` gives the base.
    public var based = false

    /// Reads, checks and replays every entry into `target` (a fresh in-memory index when nil).
    /// - Parameters: keys: every key the chain knows (key id hex → key); history: the governance state at each
    ///   chain length (`GovernanceChain.history`); genesisInitiator: the key id (hex) that signed the genesis.
    /// - Throws: database errors.
    public static func load(_ db: Database, vaultID: [UInt8], keys: [String: MemberPublicKey], history: [GovernanceState],
                            genesisInitiator: String, into target: IndexReplay? = nil) throws -> IndexLog {
        var log = IndexLog()
        guard try EntryRow.tableExists(db) else { return log }
        var bodies: [Int64: Data] = [:]
        for row in try EntryRow.fetchAll(db) { bodies[row.event] = row.body }
        var replay: IndexReplay?
        var previous: AuditEvent.GovernancePosition?
        let cursor = try AuditEventRow.inSequence(db)
        while let row = try cursor.next() {
            guard let event = try? AuditEvent(leaf: Array(row.leaf)) else { continue }   // reported by the chain check
            defer { previous = event.governance }
            let body = bodies.removeValue(forKey: row.seq)
            guard let hash = event.entry else {
                if body != nil {
                    log.problems.append("entry \(row.seq): audit event \(row.seq) carries no index entry, but one is stored under it (a planted entry)")
                }
                continue
            }
            guard let body else {
                log.problems.append("entry \(row.seq): audit event \(row.seq) (\(event.action)) carries an index entry, but it is missing (a deleted entry)")
                continue
            }
            guard SHA256Digest.hash(Array(body)) == hash else {
                log.problems.append("entry \(row.seq): it does not match the hash audit event \(row.seq) (\(event.action)) carries (a changed entry)")
                continue
            }
            let signer = Hex.encode(event.actor)
            guard let key = keys[signer], event.verifySignature(publicKey: key) else {
                log.problems.append("entry \(row.seq): audit event \(row.seq) (\(event.action)) does not verify; its entry was not used")
                continue
            }
            guard Self.signerWasMember(event, signer: signer, history: history, genesisInitiator: genesisInitiator) else {
                log.problems.append("entry \(row.seq): audit event \(row.seq) (\(event.action)) was signed by \(signer), who was not a member at governance entry \(event.governance?.length ?? 0); its entry was not used")
                continue
            }
            let entry: IndexEntry
            do { entry = try IndexEntry(encoding: Array(body), detachedValue: { try EntryValueRow.value(hash: $0, db) }) } catch {
                log.problems.append("entry \(row.seq): \(error)")
                continue
            }
            guard entry.vaultID == vaultID else {
                log.problems.append("entry \(row.seq): it belongs to another vault")
                continue
            }
            // A snapshot replaces the whole index: only as the log's first entry (a vault made before entries),
            // signed by a custodian migrating it; anything later would let one person rewrite every row.
            if entry.snapshot {
                let custodian = event.governance.flatMap { history[chainLength: $0.length]?.isCustodian(signer) } ?? false
                guard !log.based, event.action == "vault.migrate", custodian else {
                    log.problems.append("entry \(row.seq): a snapshot of the whole index counts only before the index has a base (the vault's creation or an earlier migration), signed by a custodian migrating the vault; it was not used")
                    continue
                }
            } else if event.action == "vault.migrate" {
                log.problems.append("entry \(row.seq): a vault.migrate event carries an entry that is not a snapshot; it was not used")
                continue
            }
            if replay == nil { replay = try target ?? IndexReplay() }
            let current = replay!
            if let problem = EntryScope.problem(entry, event: event, signer: signer, previous: previous, history: history, based: log.based,
                                                existing: { table, rowID in (try? current.row(table, rowID)) ?? nil }) {
                log.problems.append("entry \(row.seq): \(problem) (audit event \(row.seq), \(event.action), signed by \(signer)); it was not used")
                continue
            }
            do {
                try replay!.apply(entry, event: UInt64(row.seq))
                log.applied += 1
                if entry.snapshot || event.action == "vault.init" { log.based = true }
            } catch {
                log.problems.append("entry \(row.seq): \(error)")
            }
        }
        for event in bodies.keys.sorted() {
            log.problems.append("entry \(event): no audit event \(event) carries it (a planted entry)")
        }
        log.replay = replay
        return log
    }

    /// Whether `signer` was a member or custodian at the event's governance position (or, for `vault.init`
    /// at sequence 1, the genesis initiator).
    package static func signerWasMember(_ event: AuditEvent, signer: String, history: [GovernanceState], genesisInitiator: String) -> Bool {
        if event.sequence == 1 && event.action == "vault.init" { return signer == genesisInitiator }
        guard let position = event.governance, let state = history[chainLength: position.length] else { return false }
        return state.role(of: signer) != nil || state.isCustodian(signer)
    }
}
