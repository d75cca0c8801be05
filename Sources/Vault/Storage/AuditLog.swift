import VaultPlatform
import VaultPolicy
import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore
import VaultGovernance

/// Appends signed events to the audit log inside the caller's transaction: if the event cannot be written,
/// the transaction (and so the operation) fails.
public enum AuditLog {
    /// Appends an event signed by `actor`, and its leaf hash to the audit tree (`auditNode`, leaf index =
    /// sequence − 1), both in the caller's transaction: the event, its tree nodes and the operation commit
    /// together or not at all. O(log n) reads and writes at n events.
    /// The index rows the transaction changed since the previous event (taken from `entries`, the database's
    /// `EntryRecorder`), or `snapshot` when given, become the event's signed index entry: stored in `entry`
    /// under the event's sequence, its hash in the event (version 3).
    /// - Returns: the appended event.
    /// - Throws: database errors (the caller's transaction then rolls back); `VaultError.integrity` when the
    ///   tree and the log disagree on the number of events (a damaged vault: nothing is appended).
    @discardableResult
    public static func append(_ db: Database, vaultID: [UInt8], actor: IdentityBox, action: String, objects: [String],
                              commitments: [[UInt8]] = [], policyHash: [UInt8]?, entries: EntryRecorder?, snapshot: IndexEntry? = nil,
                              time: Int64 = Clock.nowMilliseconds()) throws -> AuditEvent {
        let entry = try snapshot ?? entries?.takeEntry(db, vaultID: vaultID)
        let last = try AuditEventRow.newest(db)
        // Event times never go back: a clock set back cannot place an event before the one it follows.
        let newest = last.flatMap { try? AuditEvent(leaf: Array($0.leaf)) }?.time ?? time
        var event = AuditEvent(vaultID: vaultID, sequence: UInt64((last?.seq ?? 0) + 1), time: max(time, newest),
                               actor: actor.publicKey.keyID, action: action, objects: objects,
                               policyHash: policyHash, commitments: commitments,
                               previousLeafHash: last.map { Array($0.leafHash) } ?? [UInt8](repeating: 0, count: 32),
                               governance: try governancePosition(db, vaultID: vaultID), entry: entry?.hash)
        // Version 4: the actor is blinded by a commitment, so an event proven in a bundle names no key (issue 16).
        event.blindActor(opening: Random.bytes(16))
        try event.sign(with: actor)
        let leafHash = event.leafHash
        try AuditEventRow(seq: Int64(event.sequence), leaf: Data(event.storedLeaf), leafHash: Data(leafHash)).insert(db)
        if let entry {
            try EntryRow(event: Int64(event.sequence), body: Data(entry.encoding)).insert(db)
            try EntryValueRow.keep(entry.detachedValues, db)
        }
        var tree = AuditLog.tree(db)
        let index = try tree.append(leafHash)
        guard index == event.sequence - 1 else {
            throw VaultError.integrity("the audit tree has \(index) leaves but the audit log had \(event.sequence - 1) events")
        }
        return event
    }

    /// The log's events whose action is one of `actions` (an entry ending in "." matches every action that
    /// begins with it), parsed, in log order. The leaves are filtered in SQL first (`instr`), so only
    /// candidates are parsed; rows that do not parse are left to `audit verify`. No signature is checked here:
    /// each caller checks the signer it needs.
    /// - Throws: database errors.
    public static func events(_ db: Database, actions: [String]) throws -> [AuditEvent] {
        let rows = try AuditEventRow.leavesContaining(anyOf: actions, db)
        return rows.compactMap { row in
            guard let event = try? AuditEvent(leaf: Array(row.leaf)),
                  actions.contains(where: { $0.hasSuffix(".") ? event.action.hasPrefix($0) : event.action == $0 }) else { return nil }
            return event
        }
    }

    /// The time of the newest event (milliseconds since the epoch), nil for an empty log: the earliest time
    /// at which anything can happen next in this vault, whatever a member's clock says.
    /// - Throws: database errors.
    public static func newestTime(_ db: Database) throws -> Int64? {
        try AuditEventRow.newest(db).flatMap { try? AuditEvent(leaf: Array($0.leaf)) }?.time
    }

    /// The governance position in `db` now: the chain's length and newest entry hash (the vault id when the
    /// chain is empty). Inside the writer's transaction this is the chain it verified at open plus what the
    /// transaction added (the entry that `op apply` records, so its event binds that entry).
    static func governancePosition(_ db: Database, vaultID: [UInt8]) throws -> AuditEvent.GovernancePosition {
        guard let row = try GovernanceRow.newestPosition(db) else {
            return .init(length: 0, head: vaultID)
        }
        return .init(length: UInt64(row.seq), head: Array(row.hash))
    }

    /// Refuses a governance chain that lacks entries the audit log's newest event was written against: the
    /// events of a client are bound to the chain it verified (version 2 events), so removing the newest
    /// governance entries (undoing a demotion or a removal for every client that did not see them) shows
    /// as an event ahead of the chain. Cheap: reads the newest event and one governance row.
    /// - Throws: `VaultError.rollback` naming the event and the missing entries; `VaultError.integrity` when
    ///   the entry at the event's position has another hash.
    /// The newest event must itself verify (its number, vault, leaf hash and signature by a key the chain
    /// knows): an unsigned row appended at the end cannot stand in for it.
    public static func checkGovernanceBinding(_ db: Database, vaultID: [UInt8], chainLength: Int,
                                              keys: [String: MemberPublicKey]) throws {
        guard let last = try AuditEventRow.newest(db) else { return }
        guard let event = try? AuditEvent(leaf: Array(last.leaf)), event.sequence == UInt64(last.seq), event.vaultID == vaultID,
              event.leafHash == Array(last.leafHash),
              let key = keys[Hex.encode(event.actor)], event.verifySignature(publicKey: key) else {
            throw VaultError.integrity("the newest audit event (\(last.seq)) does not verify; run `amanah audit verify`")
        }
        guard let position = event.governance else { return }
        try checkPosition(position, ofEvent: event.sequence, db, vaultID: vaultID, chainLength: chainLength)
    }

    /// One pass over the whole log without signatures: numbers without gaps, each stored leaf hash the hash of
    /// its leaf, each event of this vault, numbered as stored and linked to the one before. An event removed
    /// from the middle (with the row whose fact it recorded) breaks the link of the next event, which its
    /// writer signed. Returns the first problem, nil when the chain is whole. (Removing the newest events is
    /// seen only by a client that saw them, or with a checkpoint.)
    /// - Throws: database errors.
    public static func chainProblem(_ db: Database, vaultID: [UInt8]) throws -> String? {
        var previous = [UInt8](repeating: 0, count: 32)
        var expected: Int64 = 1
        let cursor = try AuditEventRow.inSequence(db)
        while let row = try cursor.next() {
            guard row.seq == expected else { return "audit event \(expected) is missing from the log" }
            let leaf = Array(row.leaf)
            guard MerkleHash.leaf(AuditEvent.merkleLeaf(stored: leaf)) == Array(row.leafHash) else { return "audit event \(row.seq) does not match its stored hash" }
            guard let event = try? AuditEvent(leaf: leaf), event.sequence == UInt64(row.seq), event.vaultID == vaultID,
                  event.previousLeafHash == previous else {
                return "audit event \(row.seq) is not linked to the event before it"
            }
            previous = Array(row.leafHash)
            expected += 1
        }
        return nil
    }

    /// Checks one event's governance position against the chain in `db` (see `checkGovernanceBinding`).
    /// - Throws: `VaultError.rollback` or `VaultError.integrity` naming the event.
    public static func checkPosition(_ position: AuditEvent.GovernancePosition, ofEvent sequence: UInt64, _ db: Database,
                                     vaultID: [UInt8], chainLength: Int) throws {
        guard position.length <= UInt64(chainLength) else {
            throw VaultError.rollback("audit event \(sequence) was written against governance entry \(position.length), but the governance chain has \(chainLength) entries: governance entries were removed")
        }
        let head: [UInt8]
        if position.length == 0 {
            head = vaultID
        } else {
            guard let hash = try GovernanceRow.hash(at: Int64(position.length), db) else {
                throw VaultError.rollback("audit event \(sequence) was written against governance entry \(position.length), which is missing")
            }
            head = Array(hash)
        }
        guard head == position.head else {
            throw VaultError.integrity("audit event \(sequence) was written against another governance entry \(position.length) than the chain holds")
        }
    }

    /// The number of events and the newest leaf hash (zeros when empty).
    public static func head(_ db: Database) throws -> (size: Int, leafHash: [UInt8]) {
        guard let last = try AuditEventRow.newest(db) else {
            return (0, [UInt8](repeating: 0, count: 32))
        }
        return (Int(last.seq), Array(last.leafHash))
    }
}

#if canImport(Glibc)
import Glibc
#endif
