import VaultCrypto

/// The RFC 6962 §2.1 (RFC 9162 §2.1.1) hash functions of the audit tree, over SHA-256.
public enum MerkleHash {
    /// SHA-256 of the empty string: the root of an empty tree.
    public static let emptyRoot: [UInt8] = SHA256Digest.hash([])

    /// Leaf hash: SHA-256(0x00 ‖ leaf), 32 bytes.
    public static func leaf(_ leaf: [UInt8]) -> [UInt8] {
        SHA256Digest.hash(parts: [[0x00], leaf])
    }

    /// Interior node hash: SHA-256(0x01 ‖ left ‖ right), 32 bytes.
    public static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        SHA256Digest.hash(parts: [[0x01], left, right])
    }

    /// The root of adjacent complete subtrees given largest first, P1 … Pk: H(P1, H(P2, … H(Pk−1, Pk))), which
    /// is MTH of the leaves they cover (RFC 9162 §2.1.1 splits at the largest power of two below the size).
    /// The empty root for no subtree.
    static func rightFold(_ subtrees: some BidirectionalCollection<[UInt8]>) -> [UInt8] {
        var accumulator: [UInt8]? = nil
        for hash in subtrees.reversed() {
            accumulator = accumulator.map { node(hash, $0) } ?? hash
        }
        return accumulator ?? emptyRoot
    }
}
