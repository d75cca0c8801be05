import Testing
import VaultCrypto
@testable import VaultAudit

/// An independent, deliberately simple implementation of RFC 9162 §2.1 (MTH, PATH, PROOF/SUBPROOF) over a
/// list of leaf hashes, written from the RFC's recursive definitions. It hashes with SHA-256 directly (not
/// through `MerkleHash`) and memoises MTH by range only to keep the exhaustive tests fast.
final class ReferenceTree {
    let leaves: [[UInt8]]
    private var memo = [Int: [UInt8]]()

    init(leaves: [[UInt8]]) { self.leaves = leaves }

    private static func interior(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        SHA256Digest.hash([0x01] + left + right)
    }

    /// Largest power of two strictly smaller than n (n > 1).
    private static func k(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    /// MTH(D[start:end]).
    func mth(_ start: Int, _ end: Int) -> [UInt8] {
        let n = end - start
        if n == 0 { return SHA256Digest.hash([UInt8]()) }
        if n == 1 { return leaves[start] }
        let key = start * 1000 + end
        if let known = memo[key] { return known }
        let k = ReferenceTree.k(n)
        let value = ReferenceTree.interior(mth(start, start + k), mth(start + k, end))
        memo[key] = value
        return value
    }

    /// PATH(m, D[start:end]), m relative to start.
    func path(_ m: Int, _ start: Int, _ end: Int) -> [[UInt8]] {
        let n = end - start
        if n == 1 { return [] }
        let k = ReferenceTree.k(n)
        if m < k { return path(m, start, start + k) + [mth(start + k, end)] }
        return path(m - k, start + k, end) + [mth(start, start + k)]
    }

    /// PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true).
    func proof(_ m: Int, _ n: Int) -> [[UInt8]] { subproof(m, 0, n, true) }

    private func subproof(_ m: Int, _ start: Int, _ end: Int, _ b: Bool) -> [[UInt8]] {
        let n = end - start
        if m == n { return b ? [] : [mth(start, end)] }
        let k = ReferenceTree.k(n)
        if m <= k { return subproof(m, start, start + k, b) + [mth(start + k, end)] }
        return subproof(m - k, start + k, end, false) + [mth(start, start + k)]
    }
}

/// A store that counts what the tree reads and writes, to check the logarithmic bounds.
struct CountingStore: MerkleNodeStore {
    var inner = InMemoryMerkleNodeStore()
    final class Counters: @unchecked Sendable {
        var reads = 0
        var readCalls = 0
        var writes = 0
        var writeCalls = 0
    }
    let counters = Counters()

    func leafCount() throws -> UInt64 { inner.leafCount() }

    func hashes(at addresses: [MerkleNodeAddress]) throws -> [[UInt8]] {
        counters.reads += addresses.count
        counters.readCalls += 1
        return try inner.hashes(at: addresses)
    }

    mutating func append(_ nodes: [MerkleNode], newLeafCount: UInt64) throws {
        counters.writes += nodes.count
        counters.writeCalls += 1
        try inner.append(nodes, newLeafCount: newLeafCount)
    }
}

func testLeafHash(_ i: Int) -> [UInt8] {
    var bytes = [UInt8]()
    bytes.appendBigEndian(UInt64(i))
    return MerkleHash.leaf(Array("leaf".utf8) + bytes)
}

func hex(_ text: String) -> [UInt8] {
    (try? Hex.decode(text)) ?? []
}

func flipped(_ proof: [[UInt8]], element: Int, bit: Int) -> [[UInt8]] {
    var copy = proof
    copy[element][bit / 8] ^= UInt8(1 << (bit % 8))
    return copy
}

@Suite struct MerkleTreeTests {
    static let maxSize = 64

    @Test func rootsAndProofsMatchTheReferenceForEverySizeUpTo64() throws {
        let leaves = (0..<MerkleTreeTests.maxSize).map(testLeafHash)
        let reference = ReferenceTree(leaves: leaves)
        var tree = MerkleTree(store: InMemoryMerkleNodeStore())
        #expect(try tree.root() == MerkleHash.emptyRoot)
        #expect(MerkleHash.emptyRoot == hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))

        for n in 1...MerkleTreeTests.maxSize {
            // Grow by one leaf, then check every proof at the current size n.
            #expect(try tree.append(leaves[n - 1]) == UInt64(n - 1))
            try checkEverything(tree: tree, reference: reference, n: n)
        }
        // And every historical size again from the full tree (size ≤ current, not only the latest).
        for n in 1...MerkleTreeTests.maxSize {
            try checkEverything(tree: tree, reference: reference, n: n)
        }
    }

    private func checkEverything(tree: MerkleTree<InMemoryMerkleNodeStore>, reference: ReferenceTree, n: Int) throws {
        let root = reference.mth(0, n)
        #expect(try tree.root(atSize: UInt64(n)) == root, "root at size \(n)")
        for m in 0..<n {
            let proof = try tree.inclusionProof(leafIndex: UInt64(m), treeSize: UInt64(n))
            #expect(proof == reference.path(m, 0, n), "PATH(\(m), \(n))")
            #expect(MerkleProof.verifyInclusion(leafHash: reference.leaves[m], leafIndex: UInt64(m), treeSize: UInt64(n),
                                                proof: proof, root: root), "inclusion \(m) in \(n)")
        }
        for m in 0...n {
            let proof = try tree.consistencyProof(oldSize: UInt64(m), newSize: UInt64(n))
            let expected = (m == 0 || m == n) ? [] : reference.proof(m, n)
            #expect(proof == expected, "PROOF(\(m), \(n))")
            #expect(MerkleProof.verifyConsistency(oldSize: UInt64(m), newSize: UInt64(n), oldRoot: reference.mth(0, m),
                                                  newRoot: root, proof: proof), "consistency \(m) → \(n)")
        }
    }

    @Test func tamperedInclusionProofsFail() throws {
        let leaves = (0..<MerkleTreeTests.maxSize).map(testLeafHash)
        let reference = ReferenceTree(leaves: leaves)
        var tree = MerkleTree(store: InMemoryMerkleNodeStore())
        try tree.append(contentsOf: leaves)
        let roots = (0...MerkleTreeTests.maxSize).map { reference.mth(0, $0) }
        for n in 1...MerkleTreeTests.maxSize {
            for m in 0..<n {
                let proof = try tree.inclusionProof(leafIndex: UInt64(m), treeSize: UInt64(n))
                let leaf = leaves[m]
                func verify(_ leafHash: [UInt8], _ index: Int, _ size: Int, _ proof: [[UInt8]], _ root: [UInt8]) -> Bool {
                    MerkleProof.verifyInclusion(leafHash: leafHash, leafIndex: UInt64(index), treeSize: UInt64(size),
                                                proof: proof, root: root)
                }
                // A flipped bit anywhere in the proof.
                for element in proof.indices {
                    #expect(!verify(leaf, m, n, flipped(proof, element: element, bit: (m * 7 + element * 13) % 256), roots[n]))
                }
                // Wrong leaf, wrong root.
                #expect(!verify(leaves[(m + 1) % MerkleTreeTests.maxSize], m, n, proof, roots[n]))
                #expect(!verify(leaf, m, n, proof, roots[n - 1]))
                // Truncated, extended, prefixed proofs.
                if !proof.isEmpty { #expect(!verify(leaf, m, n, Array(proof.dropLast()), roots[n])) }
                #expect(!verify(leaf, m, n, proof + [roots[n]], roots[n]))
                #expect(!verify(leaf, m, n, [leaf] + proof, roots[n]))
                // Every other index, and every other size (with that size's true root), fail: exhaustively for
                // small trees, for a sample of leaves in larger ones (to keep the suite fast).
                if n <= 20 || m % 9 == 0 {
                    for other in 0..<n where other != m { #expect(!verify(leaf, other, n, proof, roots[n]), "index \(other) for \(m) in \(n)") }
                    for size in 1...MerkleTreeTests.maxSize where size != n && m < size {
                        #expect(!verify(leaf, m, size, proof, roots[size]), "size \(size) for \(m) in \(n)")
                    }
                } else {
                    for other in [m - 1, m + 1, m ^ 1, m ^ 2, 0, n - 1] where other != m && other >= 0 && other < n {
                        #expect(!verify(leaf, other, n, proof, roots[n]), "index \(other) for \(m) in \(n)")
                    }
                    for size in [n - 1, n + 1, n * 2, n / 2] where size != n && m < size && size <= MerkleTreeTests.maxSize {
                        #expect(!verify(leaf, m, size, proof, roots[size]), "size \(size) for \(m) in \(n)")
                    }
                }
                // A tree of twice or half the size under the same root (the Go implementation's probes).
                #expect(!verify(leaf, m, n * 2, proof, roots[n]), "size doubled")
                if m < n / 2 { #expect(!verify(leaf, m, n / 2, proof, roots[n]), "size halved") }
                // Index out of range and a malformed hash never trap and fail.
                #expect(!verify(leaf, n, n, proof, roots[n]))
                #expect(!verify(leaf, Int(Int64.max), n, proof, roots[n]))
                #expect(!verify(Array(leaf.dropLast()), m, n, proof, roots[n]))
                #expect(!verify(leaf, m, n, proof, Array(roots[n].dropLast())))
            }
        }
        // An empty tree contains nothing.
        #expect(!MerkleProof.verifyInclusion(leafHash: leaves[0], leafIndex: 0, treeSize: 0, proof: [], root: MerkleHash.emptyRoot))
        #expect(MerkleProof.rootFromInclusionProof(leafHash: leaves[0], leafIndex: 0, treeSize: 0, proof: []) == nil)
        #expect(!MerkleProof.verifyInclusion(leafHash: leaves[0], leafIndex: UInt64.max, treeSize: UInt64.max,
                                             proof: [], root: leaves[0]))
    }

    @Test func tamperedConsistencyProofsFail() throws {
        let leaves = (0..<MerkleTreeTests.maxSize).map(testLeafHash)
        let reference = ReferenceTree(leaves: leaves)
        var tree = MerkleTree(store: InMemoryMerkleNodeStore())
        try tree.append(contentsOf: leaves)
        let roots = (0...MerkleTreeTests.maxSize).map { reference.mth(0, $0) }
        func verify(_ m: Int, _ n: Int, _ proof: [[UInt8]], _ oldRoot: [UInt8], _ newRoot: [UInt8]) -> Bool {
            MerkleProof.verifyConsistency(oldSize: UInt64(m), newSize: UInt64(n), oldRoot: oldRoot, newRoot: newRoot, proof: proof)
        }
        for n in 1...MerkleTreeTests.maxSize {
            for m in 1..<n {
                let proof = try tree.consistencyProof(oldSize: UInt64(m), newSize: UInt64(n))
                #expect(!proof.isEmpty)
                for element in proof.indices {
                    #expect(!verify(m, n, flipped(proof, element: element, bit: (m * 5 + element * 11) % 256), roots[m], roots[n]))
                }
                #expect(!verify(m, n, [], roots[m], roots[n]), "empty proof")
                #expect(!verify(m, n, Array(proof.dropLast()), roots[m], roots[n]), "truncated")
                #expect(!verify(m, n, proof + [roots[m]], roots[m], roots[n]), "trailing root")
                #expect(!verify(m, n, [roots[m]] + proof, roots[m], roots[n]), "preceding root")
                #expect(!verify(m, n, [proof[0]] + proof, roots[m], roots[n]), "preceding proof[0]")
                #expect(!verify(m, n, proof, roots[n], roots[m]), "swapped roots")
                #expect(!verify(m, n, proof, roots[m - 1], roots[n]), "wrong old root")
                #expect(!verify(m, n, proof, roots[m], roots[n - 1]), "wrong new root")
                // Every other old size and new size, each with its true root, fails.
                if n <= 20 || m % 7 == 0 {
                    for other in 1...MerkleTreeTests.maxSize where other != m && other <= n {
                        #expect(!verify(other, n, proof, roots[other], roots[n]), "old size \(other) for \(m)→\(n)")
                    }
                    for other in 1...MerkleTreeTests.maxSize where other != n && other >= m {
                        #expect(!verify(m, other, proof, roots[m], roots[other]), "new size \(other) for \(m)→\(n)")
                    }
                }
                // A tree of twice or half the size under the same roots (the probes of the Go implementation's
                // tests): the proof has the wrong shape for that height.
                #expect(!verify(m, n * 2, proof, roots[m], roots[n]), "new size doubled")
                if n / 2 >= m && n / 2 != n { #expect(!verify(m, n / 2, proof, roots[m], roots[n]), "new size halved") }
                // Reversed sizes never verify.
                #expect(!verify(n, m, proof, roots[n], roots[m]))
            }
        }
    }

    @Test func consistencyEdgeCases() {
        let a = testLeafHash(1), b = testLeafHash(2)
        let empty = MerkleHash.emptyRoot
        // m == n: empty proof and equal roots only.
        #expect(MerkleProof.verifyConsistency(oldSize: 5, newSize: 5, oldRoot: a, newRoot: a, proof: []))
        #expect(!MerkleProof.verifyConsistency(oldSize: 5, newSize: 5, oldRoot: a, newRoot: b, proof: []), "a fork")
        #expect(!MerkleProof.verifyConsistency(oldSize: 5, newSize: 5, oldRoot: a, newRoot: a, proof: [a]))
        #expect(MerkleProof.verifyConsistency(oldSize: 0, newSize: 0, oldRoot: empty, newRoot: empty, proof: []))
        // m == 0: the empty tree is a prefix of every tree, with an empty proof and the empty root.
        #expect(MerkleProof.verifyConsistency(oldSize: 0, newSize: 9, oldRoot: empty, newRoot: b, proof: []))
        #expect(!MerkleProof.verifyConsistency(oldSize: 0, newSize: 9, oldRoot: a, newRoot: b, proof: []))
        #expect(!MerkleProof.verifyConsistency(oldSize: 0, newSize: 9, oldRoot: empty, newRoot: b, proof: [empty]))
        // Old size above new size, malformed hashes, absurd sizes: false, no trap.
        #expect(!MerkleProof.verifyConsistency(oldSize: 9, newSize: 5, oldRoot: a, newRoot: b, proof: [a]))
        #expect(!MerkleProof.verifyConsistency(oldSize: 1, newSize: 2, oldRoot: a, newRoot: b, proof: [[1, 2, 3]]))
        #expect(!MerkleProof.verifyConsistency(oldSize: 1, newSize: 2, oldRoot: [], newRoot: b, proof: [a]))
        #expect(!MerkleProof.verifyConsistency(oldSize: UInt64.max - 1, newSize: UInt64.max, oldRoot: a, newRoot: b,
                                               proof: Array(repeating: a, count: 200)))
        #expect(!MerkleProof.verifyConsistency(oldSize: 1, newSize: UInt64.max, oldRoot: a, newRoot: b, proof: [a]))
    }

    @Test func treeRefusesImpossibleArguments() throws {
        var tree = MerkleTree(store: InMemoryMerkleNodeStore())
        try tree.append(contentsOf: (0..<5).map(testLeafHash))
        #expect(throws: AuditError.self) { try tree.root(atSize: 6) }
        #expect(throws: AuditError.self) { try tree.inclusionProof(leafIndex: 5, treeSize: 5) }
        #expect(throws: AuditError.self) { try tree.inclusionProof(leafIndex: 0, treeSize: 6) }
        #expect(throws: AuditError.self) { try tree.inclusionProof(leafIndex: 0, treeSize: 0) }
        #expect(throws: AuditError.self) { try tree.consistencyProof(oldSize: 3, newSize: 6) }
        #expect(throws: AuditError.self) { try tree.consistencyProof(oldSize: 4, newSize: 3) }
        #expect(throws: AuditError.self) { try tree.leafHash(at: 5) }
        #expect(throws: AuditError.self) { try tree.append([1, 2, 3]) }
        #expect(throws: AuditError.self) { try tree.append(contentsOf: [testLeafHash(9), []]) }
        #expect(try tree.size() == 5, "a refused batch adds nothing")
        #expect(try tree.leafHash(at: 4) == testLeafHash(4))
        #expect(try tree.consistencyProof(oldSize: 5, newSize: 5) == [])
        #expect(try tree.consistencyProof(oldSize: 0, newSize: 5) == [])
    }

    /// Known answers: the RFC 6962 test tree used by the Certificate Transparency implementations, as published
    /// in github.com/transparency-dev/merkle, proof/verify_test.go (Apache License 2.0; the same values appear
    /// in google/certificate-transparency's C++ and Go test suites). Leaves are raw data, hashed with
    /// `MerkleHash.leaf`; roots[i] is the root at size i + 1.
    @Test func matchesTheCertificateTransparencyKnownAnswers() throws {
        let data: [[UInt8]] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                               "606162636465666768696a6b6c6d6e6f"].map(hex)
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ].map(hex)
        var tree = MerkleTree(store: InMemoryMerkleNodeStore())
        var accumulator = MerkleRootAccumulator()
        for (i, leaf) in data.enumerated() {
            try tree.append(MerkleHash.leaf(leaf))
            try accumulator.append(MerkleHash.leaf(leaf))
            #expect(try tree.root() == roots[i])
            #expect(accumulator.root == roots[i])
        }
        // Inclusion proofs (leaf numbers from 1, as in the source).
        let inclusion: [(leaf: Int, size: Int, proof: [String])] = [
            (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
            (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
            (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
            (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
        ]
        for vector in inclusion {
            let index = UInt64(vector.leaf - 1), size = UInt64(vector.size)
            let proof = vector.proof.map(hex)
            #expect(try tree.inclusionProof(leafIndex: index, treeSize: size) == proof)
            #expect(MerkleProof.verifyInclusion(leafHash: MerkleHash.leaf(data[vector.leaf - 1]), leafIndex: index,
                                                treeSize: size, proof: proof, root: roots[vector.size - 1]))
        }
        let consistency: [(old: Int, new: Int, proof: [String])] = [
            (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
            (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
            (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
            (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        ]
        for vector in consistency {
            let proof = vector.proof.map(hex)
            #expect(try tree.consistencyProof(oldSize: UInt64(vector.old), newSize: UInt64(vector.new)) == proof)
            #expect(MerkleProof.verifyConsistency(oldSize: UInt64(vector.old), newSize: UInt64(vector.new),
                                                  oldRoot: roots[vector.old - 1], newRoot: roots[vector.new - 1], proof: proof))
        }
    }

    @Test func accumulatorMatchesTheReferenceAtEverySize() throws {
        let leaves = (0..<MerkleTreeTests.maxSize).map(testLeafHash)
        let reference = ReferenceTree(leaves: leaves)
        var accumulator = MerkleRootAccumulator()
        #expect(accumulator.root == MerkleHash.emptyRoot)
        for n in 1...MerkleTreeTests.maxSize {
            try accumulator.append(leaves[n - 1])
            #expect(accumulator.size == UInt64(n))
            #expect(accumulator.root == reference.mth(0, n))
        }
        #expect(throws: AuditError.self) { try accumulator.append([0]) }
        #expect(accumulator.size == UInt64(MerkleTreeTests.maxSize))
    }

    @Test func batchAppendEqualsSingleAppends() throws {
        let leaves = (0..<300).map(testLeafHash)
        var one = MerkleTree(store: InMemoryMerkleNodeStore())
        for leaf in leaves { try one.append(leaf) }
        var batched = MerkleTree(store: InMemoryMerkleNodeStore())
        // Uneven batches starting at sizes with various bit patterns.
        var start = 0
        for batch in [1, 2, 5, 8, 13, 64, 7, 100, 100] where start < leaves.count {
            let end = min(start + batch, leaves.count)
            #expect(try batched.append(contentsOf: Array(leaves[start..<end])) == UInt64(end))
            start = end
        }
        #expect(try batched.size() == 300)
        #expect(batched.store.nodeCount == one.store.nodeCount)
        #expect(batched.store.nodeCount == 2 * 300 - 300.nonzeroBitCount)
        for size in [1, 2, 3, 64, 65, 127, 128, 255, 256, 299, 300] {
            #expect(try batched.root(atSize: UInt64(size)) == one.root(atSize: UInt64(size)))
        }
        #expect(try batched.append(contentsOf: []) == 300)
    }

    @Test func inMemoryStoreRefusesOutOfOrderNodes() throws {
        var store = InMemoryMerkleNodeStore()
        let hash = testLeafHash(0)
        #expect(throws: AuditError.self) {
            try store.append([MerkleNode(address: MerkleNodeAddress(level: 0, index: 1), hash: hash)], newLeafCount: 2)
        }
        #expect(throws: AuditError.self) {
            try store.append([MerkleNode(address: MerkleNodeAddress(level: 0, index: 0), hash: hash)], newLeafCount: 2)
        }
        #expect(throws: AuditError.self) {
            try store.append([MerkleNode(address: MerkleNodeAddress(level: 0, index: 0), hash: [1])], newLeafCount: 1)
        }
        #expect(store.leafCount() == 0 && store.nodeCount == 0, "refused writes change nothing")
        #expect(throws: AuditError.self) { try store.hashes(at: [MerkleNodeAddress(level: 0, index: 0)]) }
    }

    /// Every proof needs at most 2·⌈log2 n⌉ stored nodes, for every leaf and size pair up to 300 (planning
    /// only, no hashing).
    @Test func proofPlansNeedAtMostTwoLogNNodes() {
        typealias Tree = MerkleTree<InMemoryMerkleNodeStore>
        func nodes(_ pieces: [Tree.Piece]) -> Int {
            pieces.reduce(0) { total, piece in
                switch piece {
                case .node: return total + 1
                case let .range(start, end): return total + Tree.perfectSubtrees(from: start, to: end).count
                }
            }
        }
        for n in UInt64(2)...300 {
            let bound = 2 * (64 - (n - 1).leadingZeroBitCount)   // 2·⌈log2 n⌉
            for m in 0..<n {
                var pieces = [Tree.Piece]()
                Tree.path(m, from: 0, to: n, into: &pieces)
                #expect(nodes(pieces) <= bound, "inclusion \(m) in \(n)")
                if m > 0 {
                    pieces = []
                    Tree.subproof(m, from: 0, to: n, complete: true, into: &pieces)
                    #expect(nodes(pieces) <= bound, "consistency \(m) → \(n)")
                }
            }
        }
    }

    /// Node reads and writes stay logarithmic: counted, not timed.
    @Test func readsAndWritesAreLogarithmic() throws {
        var tree = MerkleTree(store: CountingStore())
        let counters = tree.store.counters
        let size = 70_000
        try tree.append(contentsOf: (0..<size).map(testLeafHash))
        let log2 = 64 - UInt64(size).leadingZeroBitCount   // ⌈log2⌉ for a non-power of two: 17
        for _ in 0..<40 {
            let n = try tree.size()
            counters.reads = 0; counters.writes = 0; counters.readCalls = 0; counters.writeCalls = 0
            try tree.append(testLeafHash(Int(n)))
            #expect(counters.writes == 1 + (~n).trailingZeroBitCount, "writes = 1 + trailing one bits of the old size")
            #expect(counters.reads == (~n).trailingZeroBitCount, "reads = trailing one bits of the old size")
            #expect(counters.writes <= 1 + log2)
            #expect(counters.reads <= log2 && counters.readCalls <= 1 && counters.writeCalls == 1)
        }
        let n = try tree.size()
        for m in stride(from: UInt64(0), to: n, by: 997) {
            counters.reads = 0; counters.readCalls = 0
            let proof = try tree.inclusionProof(leafIndex: m, treeSize: n)
            #expect(counters.readCalls == 1 && counters.reads <= 2 * log2, "inclusion \(m): \(counters.reads) reads")
            #expect(proof.count <= log2)
            counters.reads = 0; counters.readCalls = 0
            _ = try tree.consistencyProof(oldSize: m + 1, newSize: n)
            #expect(counters.readCalls == 1 && counters.reads <= 2 * log2, "consistency \(m + 1): \(counters.reads) reads")
            counters.reads = 0
            _ = try tree.root(atSize: m + 1)
            #expect(counters.reads <= log2)
        }
    }
}
