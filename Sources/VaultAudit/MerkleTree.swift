/// The RFC 6962 / RFC 9162 Merkle tree of the audit log over a `MerkleNodeStore`: appends, the root at any
/// size up to the current one, inclusion proofs (RFC 9162 §2.1.3.1) and consistency proofs (§2.1.4.1).
///
/// Leaves are leaf hashes (`MerkleHash.leaf`, 32 bytes); leaf index = event sequence − 1. Every operation
/// costs O(log n) node reads (see `MerkleNodeStore` for the exact bounds), made in one batch.
///
/// Why that works: in the RFC's recursive definitions (MTH, PATH, SUBPROOF) every subtree is either a
/// complete, aligned subtree (a stored node) or a range `[a, n)` that ends at the tree size and starts at a
/// multiple of a power of two at least its length. Such a range is the right fold of the complete subtrees
/// of its binary decomposition: MTH = H(P1, H(P2, … H(Pk−1, Pk))) with P1 the largest. A proof contains at
/// most one such range, so it needs at most ~2·log2 n stored nodes.
public struct MerkleTree<Store: MerkleNodeStore> {
    /// The underlying store.
    public var store: Store

    /// Largest number of leaves the tree accepts (2^62), far beyond any vault.
    public static var maximumSize: UInt64 { 1 << 62 }

    /// A tree over `store` (which may already hold leaves).
    public init(store: Store) {
        self.store = store
    }

    /// The number of leaves.
    /// - Throws: what the store throws.
    public func size() throws -> UInt64 {
        try store.leafCount()
    }

    /// Appends one leaf hash.
    /// - Returns: the new leaf's index (the size before the append).
    /// - Throws: `AuditError.invalidArgument` unless `leafHash` is 32 bytes; `AuditError.storeInconsistent` if
    ///   the store lacks a node it should hold; what the store throws.
    @discardableResult
    public mutating func append(_ leafHash: [UInt8]) throws -> UInt64 {
        let before = try store.leafCount()
        try append(contentsOf: [leafHash], knownSize: before)
        return before
    }

    /// Appends leaf hashes in order, with one read batch and one write.
    /// - Returns: the new size.
    /// - Throws: `AuditError.invalidArgument` unless every hash is 32 bytes or if the tree would exceed
    ///   `maximumSize`; `AuditError.storeInconsistent` if the store lacks a node it should hold; what the store
    ///   throws. Nothing is written when it throws before the store's `append`.
    @discardableResult
    public mutating func append(contentsOf leafHashes: [[UInt8]]) throws -> UInt64 {
        let before = try store.leafCount()
        try append(contentsOf: leafHashes, knownSize: before)
        return before + UInt64(leafHashes.count)
    }

    private mutating func append(contentsOf leafHashes: [[UInt8]], knownSize before: UInt64) throws {
        guard !leafHashes.isEmpty else { return }
        guard leafHashes.allSatisfy({ $0.count == 32 }) else { throw AuditError.invalidArgument("a leaf hash must be 32 bytes") }
        let added = UInt64(leafHashes.count)
        guard before <= Self.maximumSize, added <= Self.maximumSize - before else {
            throw AuditError.invalidArgument("the tree would exceed \(Self.maximumSize) leaves")
        }
        let after = before + added
        // The nodes of the old frontier (the complete subtrees of [0, before)) that become left children of a
        // new complete node. Every other node the new parents need is created in this batch.
        let needed = MerkleTree.perfectSubtrees(from: 0, to: before).filter { node in
            (node.index + 2) << UInt64(node.level) <= after
        }
        let fetched = try fetch(needed)
        var pending = [[UInt8]?](repeating: nil, count: 64)
        for (address, hash) in zip(needed, fetched) { pending[Int(address.level)] = hash }

        var created = [MerkleNode]()
        created.reserveCapacity(leafHashes.count * 2)
        for (offset, leafHash) in leafHashes.enumerated() {
            var index = before + UInt64(offset)
            var level: UInt8 = 0
            var hash = leafHash
            created.append(MerkleNode(address: MerkleNodeAddress(level: 0, index: index), hash: hash))
            while index & 1 == 1 {
                guard let left = pending[Int(level)] else {
                    throw AuditError.storeInconsistent("missing left sibling at level \(level) for leaf \(before + UInt64(offset))")
                }
                pending[Int(level)] = nil
                hash = MerkleHash.node(left, hash)
                index >>= 1
                level += 1
                created.append(MerkleNode(address: MerkleNodeAddress(level: level, index: index), hash: hash))
            }
            pending[Int(level)] = hash
        }
        try store.append(created, newLeafCount: after)
    }

    /// The root hash of the current tree (SHA-256 of the empty string for an empty tree).
    /// - Throws: `AuditError.storeInconsistent` for a damaged store; what the store throws.
    public func root() throws -> [UInt8] {
        try root(atSize: store.leafCount())
    }

    /// The root hash of the tree as it was at `size` leaves, `size` ≤ the current size: MTH(D[0:size]).
    /// - Throws: `AuditError.invalidArgument` if `size` exceeds the current size;
    ///   `AuditError.storeInconsistent` for a damaged store; what the store throws.
    public func root(atSize size: UInt64) throws -> [UInt8] {
        let current = try store.leafCount()
        guard size <= current else { throw AuditError.invalidArgument("tree size \(size) exceeds the \(current) leaves") }
        guard size > 0 else { return MerkleHash.emptyRoot }
        return try resolve([MerkleTree.piece(from: 0, to: size)])[0]
    }

    /// The leaf hash at `index` (< current size).
    /// - Throws: `AuditError.invalidArgument` for an index out of range; store errors.
    public func leafHash(at index: UInt64) throws -> [UInt8] {
        let current = try store.leafCount()
        guard index < current else { throw AuditError.invalidArgument("leaf index \(index) is not below the size \(current)") }
        return try fetch([MerkleNodeAddress(level: 0, index: index)])[0]
    }

    /// The inclusion proof PATH(m, D[0:n]) of leaf `leafIndex` (m) in the tree at size `treeSize` (n), RFC 9162
    /// §2.1.3.1: the sibling hashes from the leaf up to the root (empty for a one-leaf tree).
    /// - Throws: `AuditError.invalidArgument` unless `leafIndex < treeSize ≤ current size`; store errors.
    public func inclusionProof(leafIndex: UInt64, treeSize: UInt64) throws -> [[UInt8]] {
        let current = try store.leafCount()
        guard treeSize <= current else { throw AuditError.invalidArgument("tree size \(treeSize) exceeds the \(current) leaves") }
        guard leafIndex < treeSize else {
            throw AuditError.invalidArgument("leaf index \(leafIndex) is not below the tree size \(treeSize)")
        }
        var pieces = [Piece]()
        MerkleTree.path(leafIndex, from: 0, to: treeSize, into: &pieces)
        return try resolve(pieces)
    }

    /// The consistency proof PROOF(m, D[0:n]) between sizes `oldSize` (m) and `newSize` (n), RFC 9162
    /// §2.1.4.1. Empty when m == n (SUBPROOF(m, D[m], true) = {}) and when m == 0 (the empty tree is a prefix
    /// of every tree; the RFC defines proofs only for 0 < m).
    /// - Throws: `AuditError.invalidArgument` unless `oldSize ≤ newSize ≤ current size`; store errors.
    public func consistencyProof(oldSize: UInt64, newSize: UInt64) throws -> [[UInt8]] {
        let current = try store.leafCount()
        guard newSize <= current else { throw AuditError.invalidArgument("tree size \(newSize) exceeds the \(current) leaves") }
        guard oldSize <= newSize else { throw AuditError.invalidArgument("old size \(oldSize) exceeds new size \(newSize)") }
        guard oldSize > 0, oldSize < newSize else { return [] }
        var pieces = [Piece]()
        MerkleTree.subproof(oldSize, from: 0, to: newSize, complete: true, into: &pieces)
        return try resolve(pieces)
    }

    // MARK: - Planning: which stored nodes an answer needs

    /// One element of a root or proof: a stored node, or MTH(D[start:end]) of a range that ends at the tree
    /// size, built from the complete subtrees of its decomposition.
    enum Piece: Equatable {
        case node(MerkleNodeAddress)
        case range(start: UInt64, end: UInt64)
    }

    /// The piece for MTH(D[start:end]) where `start` is a multiple of a power of two ≥ `end − start`.
    static func piece(from start: UInt64, to end: UInt64) -> Piece {
        let count = end - start
        if count & (count - 1) == 0 {
            let level = UInt8(count.trailingZeroBitCount)
            return .node(MerkleNodeAddress(level: level, index: start >> UInt64(level)))
        }
        return .range(start: start, end: end)
    }

    /// The complete subtrees that tile [start, end), largest first (`start` aligned as for `piece`).
    static func perfectSubtrees(from start: UInt64, to end: UInt64) -> [MerkleNodeAddress] {
        var out = [MerkleNodeAddress]()
        var position = start
        var remaining = end - start
        while remaining > 0 {
            let level = UInt8(63 - remaining.leadingZeroBitCount)
            out.append(MerkleNodeAddress(level: level, index: position >> UInt64(level)))
            position += 1 << UInt64(level)
            remaining -= 1 << UInt64(level)
        }
        return out
    }

    /// The largest power of two strictly below `count` (count ≥ 2).
    static func split(_ count: UInt64) -> UInt64 {
        1 << UInt64(63 - (count - 1).leadingZeroBitCount)
    }

    /// PATH(m, D[start:end]) with `m` an absolute leaf index in [start, end) (RFC 9162 §2.1.3.1).
    static func path(_ m: UInt64, from start: UInt64, to end: UInt64, into pieces: inout [Piece]) {
        guard end - start > 1 else { return }
        let k = split(end - start)
        if m < start + k {
            path(m, from: start, to: start + k, into: &pieces)
            pieces.append(piece(from: start + k, to: end))
        } else {
            path(m, from: start + k, to: end, into: &pieces)
            pieces.append(piece(from: start, to: start + k))
        }
    }

    /// SUBPROOF(m, D[start:end], b) with `m` an absolute size in (start, end] (RFC 9162 §2.1.4.1).
    static func subproof(_ m: UInt64, from start: UInt64, to end: UInt64, complete: Bool, into pieces: inout [Piece]) {
        if m == end {
            if !complete { pieces.append(piece(from: start, to: end)) }
            return
        }
        let k = split(end - start)
        if m <= start + k {
            subproof(m, from: start, to: start + k, complete: complete, into: &pieces)
            pieces.append(piece(from: start + k, to: end))
        } else {
            subproof(m, from: start + k, to: end, complete: false, into: &pieces)
            pieces.append(piece(from: start, to: start + k))
        }
    }

    // MARK: - Reading

    /// Fetches the hashes of `addresses` in one batch and checks the store's answer.
    func fetch(_ addresses: [MerkleNodeAddress]) throws -> [[UInt8]] {
        guard !addresses.isEmpty else { return [] }
        let hashes = try store.hashes(at: addresses)
        guard hashes.count == addresses.count else {
            throw AuditError.storeInconsistent("asked for \(addresses.count) nodes, got \(hashes.count)")
        }
        for (address, hash) in zip(addresses, hashes) where hash.count != 32 {
            throw AuditError.storeInconsistent("node \(address) has \(hash.count) bytes, expected 32")
        }
        return hashes
    }

    /// Computes the hashes of `pieces` with one batch read.
    func resolve(_ pieces: [Piece]) throws -> [[UInt8]] {
        var addresses = [MerkleNodeAddress]()
        for piece in pieces {
            switch piece {
            case let .node(address): addresses.append(address)
            case let .range(start, end): addresses.append(contentsOf: MerkleTree.perfectSubtrees(from: start, to: end))
            }
        }
        let hashes = try fetch(addresses)
        var cursor = 0
        return pieces.map { piece in
            switch piece {
            case .node:
                cursor += 1
                return hashes[cursor - 1]
            case let .range(start, end):
                let count = MerkleTree.perfectSubtrees(from: start, to: end).count
                let parts = hashes[cursor..<(cursor + count)]
                cursor += count
                return MerkleHash.rightFold(parts)
            }
        }
    }
}

extension MerkleTree: Sendable where Store: Sendable {}
