/// The address of a stored node of the audit tree: the root of a complete (perfect) subtree.
///
/// Node `(level ℓ, index i)` is the RFC 6962 Merkle tree hash of the 2^ℓ leaves with indices
/// `i·2^ℓ ..< (i+1)·2^ℓ`. Level 0 holds the leaf hashes themselves (`(0, i)` is the hash of leaf `i`);
/// `(ℓ+1, i)` = SHA-256(0x01 ‖ `(ℓ, 2i)` ‖ `(ℓ, 2i+1)`). Only complete subtrees are addressed: in a tree of
/// `n` leaves, `(ℓ, i)` exists exactly when `(i+1)·2^ℓ ≤ n`. Such a node never changes once the tree has
/// grown past it, so a store writes each node once and never updates it. A tree of `n` leaves has
/// 2n − popcount(n) nodes.
public struct MerkleNodeAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Height above the leaves: 0 for a leaf hash, at most 63.
    public let level: UInt8
    /// Position among the nodes of that level, from 0 at the left.
    public let index: UInt64

    /// A node address. `level` must be below 64.
    public init(level: UInt8, index: UInt64) {
        precondition(level < 64, "Merkle node level must be below 64")
        self.level = level
        self.index = index
    }

    /// Index of the first leaf this node covers: `index · 2^level`.
    public var firstLeaf: UInt64 { index << UInt64(level) }

    /// Number of leaves this node covers: 2^level.
    public var leafCount: UInt64 { 1 << UInt64(level) }

    public var description: String { "(\(level), \(index))" }

    /// Orders by level, then index.
    public static func < (lhs: MerkleNodeAddress, rhs: MerkleNodeAddress) -> Bool {
        (lhs.level, lhs.index) < (rhs.level, rhs.index)
    }
}

/// A node hash with its address, as written to a `MerkleNodeStore`.
public struct MerkleNode: Hashable, Sendable {
    /// Where the node sits.
    public let address: MerkleNodeAddress
    /// Its hash, 32 bytes.
    public let hash: [UInt8]

    public init(address: MerkleNodeAddress, hash: [UInt8]) {
        self.address = address
        self.hash = hash
    }
}
