/// Storage for the nodes of the audit tree, addressed as `MerkleNodeAddress` describes (complete subtrees
/// only). The vault implements it on SQLite; `InMemoryMerkleNodeStore` is the in-memory one.
///
/// The protocol is small and batch-friendly: `MerkleTree` works out every address it needs before it reads,
/// so each operation makes one `leafCount()` call, at most one `hashes(at:)` call and at most one
/// `append(_:newLeafCount:)` call. At `n` leaves:
/// - appending one leaf reads at most ⌊log2 n⌋ nodes and writes 1 + (trailing one bits of n) ≤ 1 + ⌊log2 (n+1)⌋;
/// - a root at any size reads at most ⌈log2 n⌉ + 1 nodes (one per set bit of the size);
/// - an inclusion or consistency proof reads at most about 2·⌈log2 n⌉ nodes.
public protocol MerkleNodeStore {
    /// The number of leaves in the tree: nodes exist for exactly the complete subtrees of this many leaves.
    /// - Throws: whatever the storage throws.
    func leafCount() throws -> UInt64

    /// The hashes (32 bytes each) of the nodes at `addresses`, in the same order. `MerkleTree` asks only for
    /// complete subtrees of the current tree, so a missing node means the storage is damaged: throw.
    /// - Throws: whatever the storage throws; an error for a missing node.
    func hashes(at addresses: [MerkleNodeAddress]) throws -> [[UInt8]]

    /// Stores new nodes and the new leaf count together, all or nothing (one transaction for a database).
    /// `nodes` come in creation order: at each level, indices are consecutive and continue from the nodes
    /// already stored at that level.
    /// - Throws: whatever the storage throws; nothing may have changed when it throws.
    mutating func append(_ nodes: [MerkleNode], newLeafCount: UInt64) throws
}
