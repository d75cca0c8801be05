import VaultPolicy
import Foundation
import GRDB
import VaultStore
import VaultAudit

/// The audit tree's nodes in SQLite, table `auditNode(level, idx, hash)` with primary key `(level, idx)`
/// (a WITHOUT ROWID table, so each lookup is one B-tree search), addressed as `MerkleNodeAddress` describes.
///
/// It works inside the caller's transaction on `db`: `AuditLog.append` writes an event and its new nodes in
/// the same transaction, so both commit or neither does. Costs at n leaves: `leafCount()` is one index
/// search (the largest level-0 index); each node read or write is one search, so an append or a proof stays
/// O(log n) (see `MerkleNodeStore` for the exact bounds).
public struct DatabaseMerkleNodeStore: MerkleNodeStore {
    /// The connection, valid only inside the transaction (or read) that handed it out.
    let db: Database

    /// A store over `db`.
    public init(_ db: Database) { self.db = db }

    /// The number of leaves: one more than the largest stored level-0 index (0 for an empty tree).
    /// - Throws: database errors.
    public func leafCount() throws -> UInt64 {
        guard let last = try AuditNodeRow.largestLeafIndex(db) else { return 0 }
        guard last >= 0 else { throw AuditError.storeInconsistent("a level-0 node has the negative index \(last)") }
        return UInt64(last) + 1
    }

    /// The stored hashes at `addresses`, in order.
    /// - Throws: `AuditError.storeInconsistent` for a missing node or a hash that is not 32 bytes; database errors.
    public func hashes(at addresses: [MerkleNodeAddress]) throws -> [[UInt8]] {
        try addresses.map { address in
            guard address.index <= UInt64(Int64.max),
                  let hash = try AuditNodeRow.hash(level: Int64(address.level), index: Int64(address.index), db) else {
                throw AuditError.storeInconsistent("node \(address) is not stored")
            }
            guard hash.count == 32 else { throw AuditError.storeInconsistent("node \(address) has \(hash.count) bytes, expected 32") }
            return Array(hash)
        }
    }

    /// Inserts the new nodes in a savepoint, so that nothing is written when it throws.
    /// - Throws: `AuditError.storeInconsistent` if a hash is not 32 bytes or the level-0 nodes do not end at
    ///   `newLeafCount − 1`; database errors (including a node that exists already).
    public mutating func append(_ nodes: [MerkleNode], newLeafCount: UInt64) throws {
        let lastLeaf = nodes.last { $0.address.level == 0 }?.address.index
        guard newLeafCount > 0, lastLeaf == newLeafCount - 1 else {
            throw AuditError.storeInconsistent("the new nodes do not end at leaf \(newLeafCount) − 1")
        }
        for node in nodes {
            guard node.hash.count == 32, node.address.index <= UInt64(Int64.max) else {
                throw AuditError.storeInconsistent("node \(node.address) is not 32 bytes")
            }
        }
        try AuditNodeRow.insertAll(nodes.map { (Int64($0.address.level), Int64($0.address.index), Data($0.hash)) }, db)
    }
}

extension AuditLog {
    /// The vault's audit tree over `db`, for use inside one transaction or read.
    public static func tree(_ db: Database) -> MerkleTree<DatabaseMerkleNodeStore> {
        MerkleTree(store: DatabaseMerkleNodeStore(db))
    }
}
