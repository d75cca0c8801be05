/// Verifiers of RFC 9162 Merkle proofs over SHA-256 (RFC 6962 hashing). Pure functions of their arguments
/// that return `Bool`: any malformed input (a hash that is not 32 bytes, an index out of range, sizes in the
/// wrong order, a proof of the wrong length) gives `false`, never a trap.
public enum MerkleProof {
    /// The root a leaf's inclusion proof leads to (RFC 9162 §2.1.3.2, steps 1–5 without the final
    /// comparison), or nil if the proof cannot be a proof for `leafIndex` in a tree of `treeSize` leaves
    /// (index not below size, proof too short or too long, a hash not 32 bytes).
    public static func rootFromInclusionProof(leafHash: [UInt8], leafIndex: UInt64, treeSize: UInt64,
                                              proof: [[UInt8]]) -> [UInt8]? {
        guard leafIndex < treeSize, leafHash.count == 32, proof.allSatisfy({ $0.count == 32 }) else { return nil }
        var fn = leafIndex
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            if sn == 0 { return nil }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? r : nil
    }

    /// Whether `proof` shows that the leaf with hash `leafHash` is leaf number `leafIndex` (from 0) of the tree
    /// of `treeSize` leaves whose root is `root` (RFC 9162 §2.1.3.2). False for `leafIndex ≥ treeSize`
    /// (including any index in an empty tree).
    public static func verifyInclusion(leafHash: [UInt8], leafIndex: UInt64, treeSize: UInt64,
                                       proof: [[UInt8]], root: [UInt8]) -> Bool {
        guard root.count == 32,
              let computed = rootFromInclusionProof(leafHash: leafHash, leafIndex: leafIndex, treeSize: treeSize, proof: proof)
        else { return false }
        return computed == root
    }

    /// Whether `proof` shows that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of
    /// `newSize` leaves with root `newRoot` (RFC 9162 §2.1.4.2).
    ///
    /// Edge cases, per the RFC's definitions: `oldSize > newSize` is false; `oldSize == newSize` needs an empty
    /// proof and equal roots (SUBPROOF(m, D[m], true) = {}); `oldSize == 0` needs an empty proof and `oldRoot`
    /// equal to the empty-tree root SHA-256("") (the RFC defines proofs only for 0 < m; the empty tree is a
    /// prefix of every tree). Otherwise the §2.1.4.2 algorithm, which fails on an empty proof.
    public static func verifyConsistency(oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8],
                                         proof: [[UInt8]]) -> Bool {
        guard oldSize <= newSize, oldRoot.count == 32, newRoot.count == 32,
              proof.allSatisfy({ $0.count == 32 }) else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty && oldRoot == MerkleHash.emptyRoot }
        // 1. An empty proof fails.
        guard !proof.isEmpty else { return false }
        // 2. If the old size is a power of two, the old root is the first node.
        let path = oldSize & (oldSize - 1) == 0 ? [oldRoot] + proof : proof
        // 3.–4.
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        // 5.
        var fr = path[0]
        var sr = path[0]
        // 6.
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHash.node(c, fr)
                sr = MerkleHash.node(c, sr)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        // 7.
        return fr == oldRoot && sr == newRoot && sn == 0
    }
}
