/// A `MerkleNodeStore` held in memory: one contiguous byte array per level, node `(ℓ, i)` at bytes
/// `32·i ..< 32·(i+1)` of level ℓ. About 64 bytes per leaf (2n nodes of 32 bytes).
public struct InMemoryMerkleNodeStore: MerkleNodeStore, Sendable {
    private var levels: [[UInt8]] = []
    private var leaves: UInt64 = 0

    /// An empty store (a tree of no leaves).
    public init() {}

    public func leafCount() -> UInt64 { leaves }

    /// Number of nodes stored, all levels together.
    public var nodeCount: Int { levels.reduce(0) { $0 + $1.count / 32 } }

    /// - Throws: `AuditError.storeInconsistent` for an address that is not stored.
    public func hashes(at addresses: [MerkleNodeAddress]) throws -> [[UInt8]] {
        try addresses.map { address in
            let level = Int(address.level)
            guard level < levels.count, address.index < UInt64(levels[level].count / 32) else {
                throw AuditError.storeInconsistent("node \(address) is not stored")
            }
            let start = Int(address.index) * 32
            return Array(levels[level][start..<(start + 32)])
        }
    }

    /// - Throws: `AuditError.storeInconsistent` (and changes nothing) if a node is not 32 bytes, does not
    ///   continue its level, or the leaf count does not match the levels afterwards.
    public mutating func append(_ nodes: [MerkleNode], newLeafCount: UInt64) throws {
        guard newLeafCount >= leaves else { throw AuditError.storeInconsistent("leaf count would shrink") }
        var next = [UInt64](repeating: 0, count: 64)
        for (level, bytes) in levels.enumerated() { next[level] = UInt64(bytes.count / 32) }
        for node in nodes {
            let level = Int(node.address.level)
            guard node.hash.count == 32 else { throw AuditError.storeInconsistent("node \(node.address) is not 32 bytes") }
            guard node.address.index == next[level] else {
                throw AuditError.storeInconsistent("node \(node.address) does not continue level \(level)")
            }
            next[level] += 1
        }
        for level in 0..<64 where next[level] != newLeafCount >> UInt64(level) {
            throw AuditError.storeInconsistent("level \(level) would hold \(next[level]) nodes for \(newLeafCount) leaves")
        }
        for node in nodes {
            let level = Int(node.address.level)
            while levels.count <= level { levels.append([]) }
            levels[level].append(contentsOf: node.hash)
        }
        leaves = newLeafCount
    }
}
