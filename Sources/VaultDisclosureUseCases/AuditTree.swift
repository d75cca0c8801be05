import Vault
import VaultPolicy
import GRDB
import VaultAudit

/// The audit log's Merkle tree in the database (interior nodes stored: proofs cost O(log n) reads).
struct AuditTree {
    private let tree: MerkleTree<DatabaseMerkleNodeStore>

    init(db: Database) throws { tree = MerkleTree(store: DatabaseMerkleNodeStore(db)) }

    func size() throws -> UInt64 { try tree.size() }
    func root(atSize size: UInt64) throws -> [UInt8] { try tree.root(atSize: size) }
    func inclusionProof(leafIndex: UInt64, treeSize: UInt64) throws -> [[UInt8]] { try tree.inclusionProof(leafIndex: leafIndex, treeSize: treeSize) }
}
