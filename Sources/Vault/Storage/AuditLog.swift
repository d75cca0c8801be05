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
    /// - Returns: the appended event.
    /// - Throws: database errors (the caller's transaction then rolls back); `VaultError.integrity` when the
    ///   tree and the log disagree on the number of events (a damaged vault: nothing is appended).
    @discardableResult
    public static func append(_ db: Database, vaultID: [UInt8], actor: IdentityBox, action: String, objects: [String],
                              commitments: [[UInt8]] = [], policyHash: [UInt8]?, time: Int64 = Clock.nowMilliseconds()) throws -> AuditEvent {
        let last = try AuditEventRow.order(Column("seq").desc).fetchOne(db)
        var event = AuditEvent(vaultID: vaultID, sequence: UInt64((last?.seq ?? 0) + 1), time: time,
                               actor: actor.publicKey.keyID, action: action, objects: objects,
                               policyHash: policyHash, commitments: commitments,
                               previousLeafHash: last.map { Array($0.leafHash) } ?? [UInt8](repeating: 0, count: 32))
        try event.sign(with: actor)
        let leaf = event.leaf
        let leafHash = MerkleHash.leaf(leaf)
        try AuditEventRow(seq: Int64(event.sequence), leaf: Data(leaf), leafHash: Data(leafHash)).insert(db)
        var tree = AuditLog.tree(db)
        let index = try tree.append(leafHash)
        guard index == event.sequence - 1 else {
            throw VaultError.integrity("the audit tree has \(index) leaves but the audit log had \(event.sequence - 1) events")
        }
        return event
    }

    /// The number of events and the newest leaf hash (zeros when empty).
    public static func head(_ db: Database) throws -> (size: Int, leafHash: [UInt8]) {
        guard let last = try AuditEventRow.order(Column("seq").desc).fetchOne(db) else {
            return (0, [UInt8](repeating: 0, count: 32))
        }
        return (Int(last.seq), Array(last.leafHash))
    }
}

#if canImport(Glibc)
import Glibc
#endif
