internal import VaultText
import VaultPolicy
import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore
import VaultGovernance

/// An RFC 9162 §2.1.3 inclusion proof of one audit event, with what a third party needs to check it against a
/// checkpoint: the leaf (canonical event ‖ signature), its leaf hash, and the root at the tree size.
public struct AuditInclusionProof: Sendable, Equatable {
    /// The event's sequence number (from 1).
    public var sequence: UInt64
    /// Its leaf index (sequence − 1).
    public var leafIndex: UInt64
    /// The tree size the proof is for.
    public var treeSize: UInt64
    /// The Merkle leaf: the event's canonical encoding ‖ its 64-byte signature.
    public var leaf: [UInt8]
    /// SHA-256(0x00 ‖ leaf), 32 bytes.
    public var leafHash: [UInt8]
    /// The tree's root at `treeSize`, 32 bytes.
    public var rootHash: [UInt8]
    /// PATH(leafIndex, D[0:treeSize]), 32 bytes each, from the leaf upwards.
    public var proof: [[UInt8]]
}

/// An RFC 9162 §2.1.4 consistency proof between two sizes of the audit tree, with both roots.
public struct AuditConsistencyProof: Sendable, Equatable {
    public var oldSize: UInt64
    public var newSize: UInt64
    /// Roots at the two sizes, 32 bytes each.
    public var oldRootHash: [UInt8]
    public var newRootHash: [UInt8]
    /// PROOF(oldSize, D[0:newSize]), 32 bytes each (empty when the sizes are equal or the old size is 0).
    public var proof: [[UInt8]]
}

extension Vault {
    /// The inclusion proof of event `sequence` in the tree at `treeSize` (default: the current size). Reads
    /// only; O(log n) node reads.
    /// - Throws: `VaultError.invalidInput` for an event or size that does not exist; `VaultError.integrity`
    ///   when the stored event does not hash to the tree's leaf (run `audit verify`); database errors.
    public func inclusionProof(sequence: UInt64, treeSize: UInt64? = nil) throws -> AuditInclusionProof {
        try database.queue.read { db in
            let tree = AuditLog.tree(db)
            let current = try tree.size()
            let size = treeSize ?? current
            guard size <= current else {
                throw VaultError.invalidInput("--size", "the audit log has \(current) events, not \(size)")
            }
            guard sequence >= 1, sequence <= size else {
                throw VaultError.invalidInput("--inclusion", "event \(sequence) is not in a log of \(counted(size, "event"))")
            }
            guard let row = try AuditEventRow.fetchOne(db, key: Int64(sequence)) else {
                throw VaultError.integrity("event \(sequence) is missing from the audit log; run amanah audit verify")
            }
            let leafHash = try tree.leafHash(at: sequence - 1)
            let leaf = AuditEvent.merkleLeaf(stored: Array(row.leaf))
            guard MerkleHash.leaf(leaf) == leafHash else {
                throw VaultError.integrity("event \(sequence) does not match its leaf in the audit tree; run amanah audit verify")
            }
            return AuditInclusionProof(sequence: sequence, leafIndex: sequence - 1, treeSize: size, leaf: leaf,
                                       leafHash: leafHash, rootHash: try tree.root(atSize: size),
                                       proof: try tree.inclusionProof(leafIndex: sequence - 1, treeSize: size))
        }
    }

    /// The consistency proof between tree sizes `oldSize` ≤ `newSize` ≤ the current size. Reads only;
    /// O(log n) node reads.
    /// - Throws: `VaultError.invalidInput` for sizes out of order or beyond the log; database errors.
    public func consistencyProof(oldSize: UInt64, newSize: UInt64) throws -> AuditConsistencyProof {
        try database.queue.read { db in
            let tree = AuditLog.tree(db)
            let current = try tree.size()
            guard newSize <= current else {
                throw VaultError.invalidInput("--consistency", "the audit log has \(current) events, not \(newSize)")
            }
            guard oldSize <= newSize else {
                throw VaultError.invalidInput("--consistency", "the old size \(oldSize) is larger than the new size \(newSize)")
            }
            return AuditConsistencyProof(oldSize: oldSize, newSize: newSize, oldRootHash: try tree.root(atSize: oldSize),
                                         newRootHash: try tree.root(atSize: newSize),
                                         proof: try tree.consistencyProof(oldSize: oldSize, newSize: newSize))
        }
    }
}
