import ArgumentParser
import Foundation
import Vault
import VaultAudit
import VaultCrypto
import VaultGovernance
#if canImport(Glibc)
import Glibc
#endif

/// A benchmark of the audit log: `amanah-bench audit [N]` (default 10^6). Creates a
/// throw-away vault in a temporary folder (its own client state there too), appends N events through the
/// vault's own `AuditLog.append` path, then measures at that size: appends (batched, and one fsync'd
/// transaction each), inclusion and consistency proofs, a checkpoint and a full `audit verify`. Prints the
/// figures on standard output and removes the folder unless --keep. Not a test: run it in a release build.
struct AuditBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Benchmark the audit log (release build).")
    @Argument(help: "Number of events to build the log to.") var count: Int = 1_000_000
    @Option(help: "Events per transaction while building.") var batch: Int = 10_000
    @Option(help: "Work in this (new) folder instead of a temporary one.") var folder: String?
    @Flag(help: "Keep the folder afterwards.") var keep = false

    func validate() throws {
        guard count >= 2, batch >= 1 else { throw ValidationError("N must be at least 2 and --batch at least 1") }
    }

    func run() throws {
        let root = folder ?? FileManager.default.temporaryDirectory.path + "/amanah-bench-audit-" + Hex.encode(Random.bytes(6))
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
        defer { if !keep { try? FileManager.default.removeItem(atPath: root) } }
        setenv("XDG_STATE_HOME", root + "/state", 1)
        let clock = ContinuousClock()
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        func report(_ text: String) { print("bench-audit: " + text) }

        let custodian = IdentityBox(Identity.generate())
        let request = Vault.CreateRequest(path: root + "/vault", custodians: [custodian.publicKey], threshold: 1, members: [])
        let vault = try Vault.create(request, initiator: custodian)
        let session = try vault.session(for: custodian)

        // Build the log to N − 1 events (init wrote the first), `batch` events per transaction.
        var built = 1
        let buildTime = try clock.measure {
            while built < count - 1 {
                let n = min(batch, count - 1 - built)
                try session.write { db in
                    for _ in 0..<n { try session.audit(db, action: "bench.append", objects: ["I-BENCH00000"]) }
                }
                built += n
            }
        }
        report(String(format: "built %d events in %.1f s: %.0f appends/s in transactions of %d", built, seconds(buildTime),
                      Double(built - 1) / seconds(buildTime), batch))

        // At about N events: appends in one transaction (the tree's cost without fsync) and one fsync'd
        // transaction per event (what a command pays).
        let inBatch = 1000
        let batchedTime = try clock.measure {
            try session.write { db in
                for _ in 0..<(inBatch - 1) { try session.audit(db, action: "bench.append", objects: ["I-BENCH00000"]) }
            }
        }
        let singles = 200
        let singleTime = try clock.measure {
            for _ in 0..<singles { try session.write { db in try session.audit(db, action: "bench.append", objects: ["I-BENCH00000"]) } }
        }
        let size = try vault.currentCheckpoint().size
        report(String(format: "at %d events: %.1f µs per append inside one transaction; %.2f ms per append in its own transaction (fsync), %.0f/s",
                      size, seconds(batchedTime) / Double(inBatch - 1) * 1e6, seconds(singleTime) / Double(singles) * 1e3,
                      Double(singles) / seconds(singleTime)))

        // Proofs at the full size, each its own read, each verified against the current root.
        let checkpointTime = clock.measure { _ = try? session.makeCheckpoint() }
        let checkpoint = try vault.currentCheckpoint()
        let probes = 1000
        var generator = SystemRandomNumberGenerator()
        var failures = 0
        let inclusionTime = try clock.measure {
            for _ in 0..<probes {
                let sequence = UInt64.random(in: 1...size, using: &generator)
                let proof = try vault.inclusionProof(sequence: sequence)
                if !MerkleProof.verifyInclusion(leafHash: proof.leafHash, leafIndex: proof.leafIndex, treeSize: size,
                                                proof: proof.proof, root: checkpoint.rootHash) { failures += 1 }
            }
        }
        let consistencyTime = try clock.measure {
            for _ in 0..<probes {
                let old = UInt64.random(in: 1...size, using: &generator)
                let proof = try vault.consistencyProof(oldSize: old, newSize: size)
                if !MerkleProof.verifyConsistency(oldSize: old, newSize: size, oldRoot: proof.oldRootHash, newRoot: checkpoint.rootHash,
                                                  proof: proof.proof) { failures += 1 }
            }
        }
        report(String(format: "at %d events: inclusion proof %.3f ms, consistency proof %.3f ms (each a read plus verification; %d of %d failed); checkpoint %.1f ms",
                      size, seconds(inclusionTime) / Double(probes) * 1e3, seconds(consistencyTime) / Double(probes) * 1e3,
                      failures, 2 * probes, seconds(checkpointTime) * 1e3))

        // A full verification, as `amanah audit verify` does it (read-only open).
        let readOnly = try Vault.open(path: root + "/vault", options: .init(readOnly: true, checkClientState: false))
        var verification: AuditVerification? = nil
        let verifyTime = try clock.measure { verification = try readOnly.verifyAuditLog() }
        guard let verification else { return }
        report(String(format: "audit verify of %d events, %d tree nodes, 1 checkpoint: %.1f s", verification.events,
                      verification.treeNodes, seconds(verifyTime)) + (verification.ok ? " (ok)" : " (" + verification.problems.joined(separator: "; ") + ")"))
        let bytes = (try? FileManager.default.attributesOfItem(atPath: root + "/vault/vault.sqlite")[.size] as? Int) ?? 0
        report(String(format: "vault.sqlite %.1f MB (%.0f bytes per event)", Double(bytes) / 1e6, Double(bytes) / Double(size)))
        if keep { report("kept \(root)") }
    }
}
