/// Storage for the nodes of the audit tree, addressed as `MerkleNodeAddress` describes (complete subtrees
/// only). The vault implements it on SQLite; `InMemoryMerkleNodeStore` is the in-memory one.
///
/// The protocol is small and batch-friendly: `MerkleTree` works out every address it needs before it reads,
/// so each operation makes one `leafCount()` call, at most one `hashes(at:)` call and at most one
/// `append(_:newLeafCount:)` call. With `t` the number of trailing one bits of the size `n` before an append
/// (t ≤ log2(n + 1)):
/// - appending one leaf reads `t` nodes (the left siblings it completes) and writes `1 + t` (the leaf and the
///   new complete subtrees above it); appending `k` leaves in one call reads at most popcount(n) ≤ ⌊log2 n⌋ + 1
///   nodes (the complete subtrees that tile the old tree) and writes fewer than 2k;
/// - the root at a size `s` reads popcount(s) ≤ ⌊log2 s⌋ + 1 nodes;
/// - an inclusion or consistency proof reads at most 2·⌈log2 n⌉ nodes (measured: at most 19 reads and 20 writes
///   per append, 25 and 26 reads per proof, at 10^6 leaves).
///
/// Stored nodes never change, and a node below the leaf count is never removed, so reading while another
/// connection appends is safe even outside a transaction.
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
