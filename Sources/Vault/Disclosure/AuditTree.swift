import GRDB
import VaultAudit
import VaultStore

/// The audit log's Merkle tree as of now, for custody proofs (interim: rebuilt from the leaf hashes).
struct AuditTree {
    private var tree: MerkleTree<InMemoryMerkleNodeStore>

    init(db: Database) throws {
        tree = MerkleTree(store: InMemoryMerkleNodeStore())
        let cursor = try AuditEventRow.order(Column("seq")).fetchCursor(db)
        while let row = try cursor.next() { _ = try tree.append(Array(row.leafHash)) }
    }

    func size() throws -> UInt64 { try tree.size() }
    func root(atSize size: UInt64) throws -> [UInt8] { try tree.root(atSize: size) }
    func inclusionProof(leafIndex: UInt64, treeSize: UInt64) throws -> [[UInt8]] { try tree.inclusionProof(leafIndex: leafIndex, treeSize: treeSize) }
}
