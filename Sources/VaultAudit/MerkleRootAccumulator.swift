/// Computes the RFC 6962 root of a stream of leaf hashes in O(log n) memory, without a store: the compact
/// range of the tree so far (one complete subtree root per set bit of the size). For re-deriving roots from
/// the events themselves, for instance when `audit verify` checks every stored checkpoint in one pass.
public struct MerkleRootAccumulator: Sendable, Equatable {
    /// Number of leaves added.
    public private(set) var size: UInt64 = 0
    /// Roots of the complete subtrees that tile [0, size), largest (leftmost) first.
    private var subtrees: [[UInt8]] = []

    /// An empty accumulator (root = SHA-256 of the empty string).
    public init() {}

    /// Adds the next leaf hash (32 bytes).
    /// - Throws: `AuditError.invalidArgument` unless `leafHash` is 32 bytes.
    public mutating func append(_ leafHash: [UInt8]) throws {
        guard leafHash.count == 32 else { throw AuditError.invalidArgument("a leaf hash must be 32 bytes") }
        var index = size
        var hash = leafHash
        while index & 1 == 1, let left = subtrees.popLast() {
            hash = MerkleHash.node(left, hash)
            index >>= 1
        }
        subtrees.append(hash)
        size += 1
    }

    /// The root of the leaves added so far, MTH(D[0:size]).
    public var root: [UInt8] { MerkleHash.rightFold(subtrees) }
}
