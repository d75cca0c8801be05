import Foundation
import Testing
@testable import VaultAudit

/// A benchmark, not part of the normal suite: run with `AMANAH_BENCH=1 swift test --filter MerkleBenchmark`.
/// It appends 10^6 leaf hashes to the in-memory store one at a time, then makes proofs at that size, and
/// prints the times. What it asserts is the logarithmic cost in node reads and writes, counted, not timed.
@Suite struct MerkleBenchmark {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["AMANAH_BENCH"] == "1"))
    func appendAndProveAtOneMillionLeaves() throws {
        let count = 1_000_000
        let leaves = (0..<count).map(testLeafHash)
        var tree = MerkleTree(store: CountingStore())
        let counters = tree.store.counters
        let clock = ContinuousClock()

        var maxReads = 0, maxWrites = 0
        let appendTime = try clock.measure {
            for leaf in leaves {
                counters.reads = 0; counters.writes = 0
                try tree.append(leaf)
                maxReads = max(maxReads, counters.reads)
                maxWrites = max(maxWrites, counters.writes)
            }
        }
        let n = try tree.size()
        #expect(n == UInt64(count))
        #expect(maxReads <= 20 && maxWrites <= 21)

        var proofReads = 0
        let probes = 1_000
        let inclusionTime = try clock.measure {
            for i in 0..<probes {
                let m = UInt64(i) * 997 % n
                counters.reads = 0
                let proof = try tree.inclusionProof(leafIndex: m, treeSize: n)
                proofReads = max(proofReads, counters.reads)
                #expect(MerkleProof.verifyInclusion(leafHash: leaves[Int(m)], leafIndex: m, treeSize: n, proof: proof,
                                                    root: try tree.root()))
            }
        }
        var consistencyReads = 0
        let consistencyTime = try clock.measure {
            for i in 1...probes {
                let m = UInt64(i) * 991 % n + 1
                counters.reads = 0
                _ = try tree.consistencyProof(oldSize: m, newSize: n)
                consistencyReads = max(consistencyReads, counters.reads)
            }
        }
        #expect(proofReads <= 40 && consistencyReads <= 40)
        print("""
            benchmark: \(count) appends in \(appendTime) (max \(maxReads) node reads, \(maxWrites) writes per append), \
            nodes stored: \(tree.store.inner.nodeCount)
            benchmark: \(probes) inclusion proofs + verifications + roots in \(inclusionTime) (max \(proofReads) reads)
            benchmark: \(probes) consistency proofs in \(consistencyTime) (max \(consistencyReads) reads)
            """)
    }
}
