import Foundation
import GRDB
import Testing
import VaultAudit
import VaultCrypto

/// The audit log through the CLI: checkpoints, cosignatures, proofs, history, every tampering `audit verify`
/// must catch, and fail-closed writes.
@Suite struct AuditLogTests {
    // MARK: - Helpers

    /// A vault with a few events: init, two cases, a witness, two ingests and a view (7 events).
    static func populated() throws -> (VaultFixture, [String]) {
        let vault = try VaultFixture()
        try vault.addRecords()
        let items = try vault.ingest(Array(samplePhotos.prefix(2))).map(\.0)
        #expect(try vault.run("investigator", ["show", items[0]]).status == 0)
        return (vault, items)
    }

    static func queue(_ vault: VaultFixture) throws -> DatabaseQueue {
        try DatabaseQueue(path: vault.vault + "/vault.sqlite")
    }

    /// Leaves in sequence order, read directly from the database.
    static func leaves(_ vault: VaultFixture) throws -> [[UInt8]] {
        // The Merkle leaves: a stored version 4 leaf is followed by its actor and opening (DESIGN.md, "Blinded actors").
        try queue(vault).read { db in try Data.fetchAll(db, sql: "SELECT leaf FROM auditEvent ORDER BY seq").map { AuditEvent.merkleLeaf(stored: Array($0)) } }
    }

    /// Changes the database as someone with write access to the file could: the guard triggers dropped for
    /// the change and put back after it.
    static func tamper<T>(_ queue: DatabaseQueue, _ body: (Database) throws -> T) throws -> T {
        try queue.write { db in try withoutGuards(db) { try body(db) } }
    }

    /// An independent RFC 6962 §2.1 tree hash, recursive, straight from the definition.
    static func mth(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        if leaves.isEmpty { return SHA256Digest.hash([]) }
        if leaves.count == 1 { return SHA256Digest.hash([0x00] + leaves[leaves.startIndex]) }
        var k = 1
        while k * 2 < leaves.count { k *= 2 }
        let split = leaves.startIndex + k
        return SHA256Digest.hash([0x01] + mth(leaves[..<split]) + mth(leaves[split...]))
    }

    static func keyID(_ vault: VaultFixture, _ name: String) throws -> String {
        try MemberPublicKey(line: vault.publicKeys[name]!).keyIDHex
    }

    /// Row counts and the newest leaf hash: what a failed operation must leave as it was.
    static func snapshot(_ vault: VaultFixture) throws -> String {
        try queue(vault).read { db in
            var parts: [String] = []
            for table in ["auditEvent", "auditNode", "item", "itemSource", "record", "recordKey", "recordField", "checkpoint"] {
                parts.append("\(table)=\(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? -1)")
            }
            let head = try Data.fetchOne(db, sql: "SELECT leafHash FROM auditEvent ORDER BY seq DESC LIMIT 1") ?? Data()
            return parts.joined(separator: " ") + " head=" + Hex.encode(head)
        }
    }

    /// The blob files (`xx/<id>`; an empty fan-out folder that a removed blob may leave is not content).
    static func blobFiles(_ vault: VaultFixture) -> [String] {
        (FileManager.default.enumerator(atPath: vault.vault + "/blobs")?.allObjects as? [String] ?? []).filter { $0.contains("/") }.sorted()
    }

    /// `audit checkpoint` as `who`, saved to `file`; returns the note.
    @discardableResult
    static func checkpoint(_ vault: VaultFixture, as who: String, to file: String, environment: [String: String] = [:]) throws -> String {
        let result = try vault.run(who, ["audit", "checkpoint"], environment: environment)
        #expect(result.status == 0, "checkpoint: \(result.stderr)")
        try vault.cli.write(file, result.stdout)
        return result.stdout
    }

    static func verify(_ vault: VaultFixture, _ extra: [String] = [], environment: [String: String] = [:]) throws -> CLIHarness.Result {
        try vault.cli.run(["audit", "verify", "-C", "vault"] + extra, environment: environment)
    }

    // MARK: - Checkpoint, cosign, verify

    @Test func checkpointIsASignedNoteCosignedByAnAuditorAndVerified() throws {
        let (vault, _) = try Self.populated()
        defer { vault.cleanup() }
        let leaves = try Self.leaves(vault)
        let vaultID = try Self.queue(vault).read { db in try Data.fetchOne(db, sql: "SELECT value FROM vaultMeta WHERE key = 'vaultID'")! }
        let origin = "amanah/" + Hex.encode(vaultID)

        let note = try Self.checkpoint(vault, as: "legal-officer", to: "cp.txt")
        let lines = note.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 6)
        #expect(lines[0] == origin)
        #expect(lines[1] == String(leaves.count))
        #expect(lines[2] == Base64.encode(Self.mth(leaves[...]), variant: .standard))
        #expect(lines[3] == "")
        #expect(lines[4].hasPrefix("— " + origin + " "))
        #expect(lines[5] == "")
        // Not an event: the log did not grow, and the checkpoint covers all of it.
        #expect(try Self.leaves(vault).count == leaves.count)
        #expect(try Self.queue(vault).read { db in try String.fetchOne(db, sql: "SELECT note FROM checkpoint") } == note)

        // Only custodians and auditors cosign.
        let refused = try vault.run("investigator", ["audit", "cosign", "cp.txt"])
        #expect(refused.status == 1 && refused.stderr.contains("not permitted: cosigning checkpoints is for custodians and auditors"))

        let auditorID = try Self.keyID(vault, "auditor")
        let cosigned = try vault.run("auditor", ["audit", "cosign", "cp.txt"])
        #expect(cosigned.status == 0, "\(cosigned.stderr)")
        #expect(cosigned.stdout.hasPrefix(note))
        #expect(cosigned.stdout.contains("\n— amanah-\(auditorID) "))
        #expect(String(decoding: try vault.cli.read("cp.txt"), as: UTF8.self) == cosigned.stdout)
        #expect(try Self.queue(vault).read { db in try String.fetchOne(db, sql: "SELECT note FROM checkpoint") } == cosigned.stdout)
        // Cosigning again adds nothing.
        let again = try vault.run("auditor", ["audit", "cosign", "cp.txt"])
        #expect(again.status == 0 && again.stdout == cosigned.stdout)
        // From standard input: printed, not written back; the vault keeps every signature.
        let custodianID = try Self.keyID(vault, "custodian-2")
        let piped = try vault.run("custodian-2", ["audit", "cosign", "-"], stdin: note)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.stdout.hasPrefix(cosigned.stdout) && piped.stdout.contains("\n— amanah-\(custodianID) "))
        #expect(String(decoding: try vault.cli.read("cp.txt"), as: UTF8.self) == cosigned.stdout)
        #expect(try Self.leaves(vault).count == leaves.count)

        // The cosignature verifies with the checkpoint through `SignedCheckpoint` too.
        let parsed = try SignedCheckpoint(parsing: cosigned.stdout)
        let auditorKey = try MemberPublicKey(line: vault.publicKeys["auditor"]!)
        let legalKey = try MemberPublicKey(line: vault.publicKeys["legal-officer"]!)
        guard case let .verified(verified) = parsed.verify(vaultID: Array(vaultID), logSigners: [legalKey], cosigners: [auditorKey]) else {
            Issue.record("the cosigned checkpoint does not verify")
            return
        }
        #expect(verified.cosignatures.map(\.cosigner) == [auditorKey])

        let result = try Self.verify(vault, ["--checkpoint", "cp.txt"])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let legalID = try Self.keyID(vault, "legal-officer")
        #expect(result.stdout.contains("verified \(leaves.count) events: "))
        #expect(result.stdout.contains("verified the audit tree: \(leaves.count) leaves, \(2 * leaves.count - leaves.count.nonzeroBitCount) nodes, root \(lines[2])"))
        for source in ["vault", "cp.txt"] {
            #expect(result.stdout.contains("verified checkpoint \(leaves.count) \(lines[2]) from \(source): signed by \(legalID) (legal-officer); "
                                           + "cosigned by \(auditorID) (auditor) at "))
        }
        #expect(result.stdout.contains(", \(custodianID) (custodian) at "))
        #expect(result.stdout.hasSuffix("audit log verified\n"))
    }

    @Test func cosignRefusesAForkedCheckpoint() throws {
        let (vault, items) = try Self.populated()
        defer { vault.cleanup() }
        try FileManager.default.copyItem(atPath: vault.vault, toPath: vault.cli.folder + "/snapshot")
        // Branch A: one more view, checkpointed and cosigned by the auditor (who remembers it).
        #expect(try vault.run("investigator", ["show", items[1]]).status == 0)
        try Self.checkpoint(vault, as: "custodian-1", to: "a.txt")
        #expect(try vault.run("auditor", ["audit", "cosign", "a.txt"]).status == 0)

        // Someone with another client restores the snapshot and writes a different history of the same length
        // and longer, then checkpoints it.
        let other = ["XDG_STATE_HOME": vault.cli.folder + "/other-state"]
        try FileManager.default.removeItem(atPath: vault.vault)
        try FileManager.default.copyItem(atPath: vault.cli.folder + "/snapshot", toPath: vault.vault)
        #expect(try vault.run("investigator", ["list"], environment: other).status == 0)
        #expect(try vault.run("investigator", ["show", items[0]], environment: other).status == 0)
        let forked = try Self.checkpoint(vault, as: "legal-officer", to: "b.txt", environment: other)
        let before = try Self.snapshot(vault)

        let refused = try vault.run("auditor", ["audit", "cosign", "b.txt"])
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("refusing to cosign: integrity check failed: the checkpoint is not consistent with the checkpoint of size"))
        #expect(refused.stdout.isEmpty)
        #expect(String(decoding: try vault.cli.read("b.txt"), as: UTF8.self) == forked)
        #expect(try Self.snapshot(vault) == before)

        // A checkpoint signed by no member of the vault is refused too.
        var text = forked.split(separator: "\n", omittingEmptySubsequences: false).prefix(4).joined(separator: "\n") + "\n"
        text += "— " + String(forked.split(separator: "\n")[0]) + " AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
        try vault.cli.write("c.txt", text)
        let unsigned = try vault.run("auditor", ["audit", "cosign", "c.txt"])
        #expect(unsigned.status == 3 && unsigned.stderr.contains("refusing to cosign: integrity check failed: the checkpoint does not verify"))
    }

    // MARK: - Proofs

    @Test func proofsVerifyAgainstCheckpoints() throws {
        let (vault, items) = try Self.populated()
        defer { vault.cleanup() }
        let old = try Self.checkpoint(vault, as: "auditor", to: "old.txt")
        for item in items { #expect(try vault.run("investigator", ["show", item]).status == 0) }
        let new = try Self.checkpoint(vault, as: "custodian-2", to: "new.txt")
        let oldCheckpoint = try SignedCheckpoint(parsing: old).checkpoint
        let newCheckpoint = try SignedCheckpoint(parsing: new).checkpoint
        let leaves = try Self.leaves(vault)
        #expect(newCheckpoint.size == UInt64(leaves.count) && oldCheckpoint.size == newCheckpoint.size - 2)

        for sequence in 1...Int(newCheckpoint.size) {
            for checkpoint in [oldCheckpoint, newCheckpoint] where sequence <= Int(checkpoint.size) {
                let result = try vault.cli.run(["audit", "prove", "--inclusion", String(sequence), "--size", String(checkpoint.size), "--json", "-C", "vault"])
                #expect(result.status == 0, "\(result.stderr)")
                let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
                #expect(object["type"] as? String == "inclusion" && object["hashEncoding"] as? String == "base64")
                #expect(object["sequence"] as? Int == sequence && object["leafIndex"] as? Int == sequence - 1)
                #expect(object["treeSize"] as? Int == Int(checkpoint.size))
                let leaf = try Base64.decode(object["leaf"] as! String)
                let leafHash = try Base64.decode(object["leafHash"] as! String)
                let proof = try (object["proof"] as! [String]).map { try Base64.decode($0) }
                #expect(leaf == leaves[sequence - 1])
                #expect(leafHash == SHA256Digest.hash([0x00] + leaf))
                #expect(try Base64.decode(object["rootHash"] as! String) == checkpoint.rootHash)
                // A third party checks the proof against the signed checkpoint's root.
                #expect(MerkleProof.verifyInclusion(leafHash: leafHash, leafIndex: UInt64(sequence - 1), treeSize: checkpoint.size,
                                                    proof: proof, root: checkpoint.rootHash))
                if var first = proof.first {
                    first[0] ^= 1
                    #expect(!MerkleProof.verifyInclusion(leafHash: leafHash, leafIndex: UInt64(sequence - 1), treeSize: checkpoint.size,
                                                         proof: [first] + proof.dropFirst(), root: checkpoint.rootHash))
                }
            }
        }

        let consistency = try vault.cli.run(["audit", "prove", "--consistency", String(oldCheckpoint.size), String(newCheckpoint.size),
                                             "--json", "-C", "vault"])
        #expect(consistency.status == 0, "\(consistency.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(consistency.stdout.utf8)) as! [String: Any]
        #expect(object["type"] as? String == "consistency" && object["oldSize"] as? Int == Int(oldCheckpoint.size))
        let proof = try (object["proof"] as! [String]).map { try Base64.decode($0) }
        #expect(!proof.isEmpty)
        #expect(oldCheckpoint.isConsistent(with: newCheckpoint, proof: proof))
        #expect(MerkleProof.verifyConsistency(oldSize: oldCheckpoint.size, newSize: newCheckpoint.size, oldRoot: oldCheckpoint.rootHash,
                                              newRoot: newCheckpoint.rootHash, proof: proof))
        #expect(!oldCheckpoint.isConsistent(with: newCheckpoint, proof: Array(proof.dropLast())))

        // The text form carries the same values, one "proof:" line per hash.
        let text = try vault.cli.run(["audit", "prove", "--inclusion", "3", "-C", "vault"])
        let expected = ["origin: " + oldCheckpoint.origin, "type: inclusion", "sequence: 3", "leaf index: 2", "tree size: \(leaves.count)",
                        "leaf: " + Base64.encode(leaves[2]), "leaf hash: " + Base64.encode(SHA256Digest.hash([0x00] + leaves[2])),
                        "root: " + Base64.encode(newCheckpoint.rootHash)]
        #expect(Array(text.stdoutLines.prefix(8)) == expected)
        #expect(text.stdoutLines.dropFirst(8).allSatisfy { $0.hasPrefix("proof: ") } && text.stdoutLines.count > 8)
        let consistencyText = try vault.cli.run(["audit", "prove", "--consistency", "2", String(leaves.count), "-C", "vault"])
        #expect(Array(consistencyText.stdoutLines.prefix(5)) == ["origin: " + oldCheckpoint.origin, "type: consistency", "old size: 2",
                                                                 "new size: \(leaves.count)", "old root: " + Base64.encode(Self.mth(leaves[..<2]))])

        // Impossible requests.
        #expect(try vault.cli.run(["audit", "prove", "--inclusion", "0", "-C", "vault"]).status == 1)
        let beyond = try vault.cli.run(["audit", "prove", "--inclusion", "1", "--size", String(leaves.count + 1), "-C", "vault"])
        #expect(beyond.status == 1 && beyond.stderr.contains("the audit log has \(leaves.count) events"))
        #expect(try vault.cli.run(["audit", "prove", "--consistency", "5", "3", "-C", "vault"]).status == 1)
        #expect(try vault.cli.run(["audit", "prove", "--inclusion", "1", "--consistency", "1", "2", "-C", "vault"]).status == 64)
        #expect(try vault.cli.run(["audit", "prove", "--consistency", "1", "-C", "vault"]).status == 64)
    }

    // MARK: - Detection

    enum Tampering: String, CaseIterable, CustomStringConvertible, Sendable {
        case editedLeaf, editedLeafAndHash, editedLeafHash, editedSequence, editedLeafNode, editedInnerNode, deletedEvent, reorderedPair
        var description: String { rawValue }
    }

    @Test(arguments: Tampering.allCases)
    func verifyNamesTheFirstBadEvent(tampering: Tampering) throws {
        let (vault, _) = try Self.populated()
        defer { vault.cleanup() }
        #expect(try Self.verify(vault).status == 0)
        let queue = try Self.queue(vault)
        var expected: [String] = []
        try Self.tamper(queue) { db in
            switch tampering {
            case .editedLeaf:
                // The action "case.add" becomes "case.adb": the leaf still parses but no longer hashes to its leaf hash.
                var bytes = Array(try Data.fetchOne(db, sql: "SELECT leaf FROM auditEvent WHERE seq = 3")!)
                let action = Array("case.add".utf8)
                let at = (0...(bytes.count - action.count)).first { Array(bytes[$0..<($0 + action.count)]) == action }!
                bytes[at + action.count - 1] = UInt8(ascii: "b")
                try db.execute(sql: "UPDATE auditEvent SET leaf = ? WHERE seq = 3", arguments: [Data(bytes)])
                expected = ["problem: event 3: its stored leaf hash does not match its content", "problem: tree node for event 3 does not match"]
            case .editedLeafAndHash:
                // One bit of the previous-hash field flipped, the stored leaf hash made to match.
                var event = try AuditEvent(leaf: Array(try Data.fetchOne(db, sql: "SELECT leaf FROM auditEvent WHERE seq = 3")!))
                event.previousLeafHash[26] ^= 0x01
                try db.execute(sql: "UPDATE auditEvent SET leaf = ?, leafHash = ? WHERE seq = 3",
                               arguments: [Data(event.storedLeaf), Data(event.leafHash)])
                expected = ["problem: event 3: it does not link to event 2", "problem: tree node for event 3 does not match"]
            case .editedLeafHash:
                try db.execute(sql: "UPDATE auditEvent SET leafHash = zeroblob(32) WHERE seq = 3")
                expected = ["problem: event 3: its stored leaf hash does not match its content"]
            case .editedSequence:
                try db.execute(sql: "UPDATE auditEvent SET seq = 30 WHERE seq = 3")
                expected = ["problem: event 3 is missing (found 4 next)"]
            case .editedLeafNode:
                try db.execute(sql: "UPDATE auditNode SET hash = zeroblob(32) WHERE level = 0 AND idx = 2")
                expected = ["problem: tree node for event 3 does not match the events"]
            case .editedInnerNode:
                try db.execute(sql: "UPDATE auditNode SET hash = zeroblob(32) WHERE level = 1 AND idx = 1")
                expected = ["problem: tree node (level 1, index 1) over events 3–4 does not match the events"]
            case .deletedEvent:
                try db.execute(sql: "DELETE FROM auditEvent WHERE seq = 3")
                expected = ["problem: event 3 is missing (found 4 next)"]
            case .reorderedPair:
                let three = try Row.fetchOne(db, sql: "SELECT leaf, leafHash FROM auditEvent WHERE seq = 3")!
                let four = try Row.fetchOne(db, sql: "SELECT leaf, leafHash FROM auditEvent WHERE seq = 4")!
                try db.execute(sql: "UPDATE auditEvent SET leaf = ?, leafHash = ? WHERE seq = 3", arguments: [four["leaf"], four["leafHash"]])
                try db.execute(sql: "UPDATE auditEvent SET leaf = ?, leafHash = ? WHERE seq = 4", arguments: [three["leaf"], three["leafHash"]])
                expected = ["problem: event 3: it claims to be event 4 (moved)"]
            }
        }
        let result = try Self.verify(vault)
        #expect(result.status == 3, "\(tampering): \(result.stdout)")
        for line in expected { #expect(result.stdout.contains(line), "\(tampering): \(result.stdout)") }
        #expect(result.stdoutLines.last == "first bad event: 3", "\(tampering): \(result.stdout)")
        #expect(result.stderr.contains("amanah: audit log verification failed"))
        #expect(!result.stdout.contains("audit log verified"))
    }

    @Test func truncationBelowAGivenCheckpointIsDetected() throws {
        let (vault, _) = try Self.populated()
        defer { vault.cleanup() }
        try Self.checkpoint(vault, as: "auditor", to: "cp.txt")
        let size = try Self.leaves(vault).count
        // Cut the last two events, their tree nodes and the stored checkpoint, so the vault is consistent in
        // itself; a third party with a fresh client has only the checkpoint file.
        let queue = try Self.queue(vault)
        let kept = size - 2
        try Self.tamper(queue) { db in
            try db.execute(sql: "DELETE FROM auditEvent WHERE seq > ?", arguments: [kept])
            try db.execute(sql: "DELETE FROM auditNode WHERE (idx + 1) << level > ?", arguments: [kept])
            try db.execute(sql: "DELETE FROM checkpoint")
        }
        let fresh = ["XDG_STATE_HOME": vault.cli.folder + "/third-party"]
        let alone = try Self.verify(vault, environment: fresh)
        #expect(alone.status == 0, "without the checkpoint the cut is invisible: \(alone.stdout)")
        let result = try Self.verify(vault, ["--checkpoint", "cp.txt"], environment: fresh)
        #expect(result.status == 3)
        #expect(result.stdout.contains("problem: checkpoint of size \(size) from cp.txt: the log has only \(kept) events, fewer than the checkpoint"))
        #expect(result.stdoutLines.last == "first bad event: \(kept + 1)")
        // Leaving the nodes behind is caught without any checkpoint.
        let (other, _) = try Self.populated()
        defer { other.cleanup() }
        let otherQueue = try Self.queue(other)
        try Self.tamper(otherQueue) { db in try db.execute(sql: "DELETE FROM auditEvent WHERE seq > 5") }
        let nodesLeft = try Self.verify(other, environment: fresh)
        #expect(nodesLeft.status == 3 && nodesLeft.stdout.contains("it covers events that are not in the log"))
    }

    @Test func forksBetweenCheckpointsAreDetected() throws {
        let (vault, items) = try Self.populated()
        defer { vault.cleanup() }
        try FileManager.default.copyItem(atPath: vault.vault, toPath: vault.cli.folder + "/snapshot")
        #expect(try vault.run("investigator", ["show", items[1]]).status == 0)
        try Self.checkpoint(vault, as: "auditor", to: "a.txt")              // branch A, size s
        // Branch B from the snapshot, by another client: same size, then longer.
        let other = ["XDG_STATE_HOME": vault.cli.folder + "/other-state"]
        try FileManager.default.removeItem(atPath: vault.vault)
        try FileManager.default.copyItem(atPath: vault.cli.folder + "/snapshot", toPath: vault.vault)
        #expect(try vault.run("investigator", ["list"], environment: other).status == 0)
        try Self.checkpoint(vault, as: "legal-officer", to: "b.txt", environment: other)   // branch B, size s
        let a = try SignedCheckpoint(parsing: String(decoding: try vault.cli.read("a.txt"), as: UTF8.self)).checkpoint
        let b = try SignedCheckpoint(parsing: String(decoding: try vault.cli.read("b.txt"), as: UTF8.self)).checkpoint
        #expect(a.size == b.size && a.rootHash != b.rootHash)

        let sameSize = try Self.verify(vault, ["--checkpoint", "a.txt"], environment: other)
        #expect(sameSize.status == 3)
        #expect(sameSize.stdout.contains("problem: checkpoint of size \(a.size) from a.txt: its root differs from the log's root at that size"))
        #expect(sameSize.stdout.contains("problem: fork: the checkpoints of size \(a.size) from vault and a.txt have different roots"))

        // An inconsistent pair of different sizes: A (size s) and a longer B.
        #expect(try vault.run("investigator", ["show", items[0]], environment: other).status == 0)
        try Self.checkpoint(vault, as: "legal-officer", to: "b2.txt", environment: other)
        let pair = try Self.verify(vault, ["--checkpoint", "a.txt", "--checkpoint", "b2.txt"], environment: other)
        #expect(pair.status == 3)
        #expect(pair.stdout.contains("problem: fork: the checkpoint of size \(a.size) from a.txt is inconsistent with the checkpoint of size \(a.size + 1)"))
        // B's own checkpoints are fine by themselves.
        #expect(try Self.verify(vault, ["--checkpoint", "b2.txt"], environment: other).status == 0)
    }

    @Test func aVaultOlderThanTheNewestCheckpointSeenIsDetected() throws {
        let (vault, items) = try Self.populated()
        defer { vault.cleanup() }
        try FileManager.default.copyItem(atPath: vault.vault, toPath: vault.cli.folder + "/snapshot")
        #expect(try vault.run("investigator", ["show", items[1]]).status == 0)
        let note = try Self.checkpoint(vault, as: "auditor", to: "cp.txt")
        let size = try SignedCheckpoint(parsing: note).checkpoint.size
        try FileManager.default.removeItem(atPath: vault.vault)
        try FileManager.default.copyItem(atPath: vault.cli.folder + "/snapshot", toPath: vault.vault)
        let result = try Self.verify(vault)
        #expect(result.status == 3)
        #expect(result.stdout.contains("problem: this client saw a newer vault: its audit log has \(size - 1) events, "
                                       + "older than the checkpoint of size \(size) this client saw"))
        // Every other command refuses it at once.
        let list = try vault.run("investigator", ["list"])
        #expect(list.status == 1 && list.stderr.contains("refusing a rolled-back vault"))
    }

    // MARK: - History

    @Test func auditLogShowsFilteredHistoryWithoutSecrets() throws {
        let (vault, items) = try Self.populated()
        defer { vault.cleanup() }
        let count = try Self.leaves(vault).count
        let all = try vault.cli.run(["audit", "log", "-C", "vault"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdoutLines.count == count)
        #expect(all.stdoutLines.allSatisfy { $0.split(separator: "\t", omittingEmptySubsequences: false).count == 8 })
        let custodianID = try Self.keyID(vault, "custodian-1"), collectorID = try Self.keyID(vault, "collector")
        let first = all.stdoutLines[0].split(separator: "\t").map(String.init)
        #expect(first[0] == "1" && first[2] == custodianID && first[3] == "custodian" && first[4] == "vault.init")
        // Since issue 15 the genesis event commits to each compartment's index key and to the pseudonym key.
        let initCommitments = first[6].split(separator: ",").map(String.init)
        #expect(initCommitments.count == 4 && initCommitments.allSatisfy { $0.count == 64 && (try? Hex.decode($0)) != nil }, "\(first[6])")
        #expect(first[1].hasSuffix("Z") && first[1].count == 24)
        let ingest = all.stdoutLines.first { $0.contains("\titem.ingest\t") }!.split(separator: "\t").map(String.init)
        #expect(ingest[2] == collectorID && ingest[3] == "collector" && ingest[5] == "\(items[0]),C-1")
        // The content commitment, and (since issue 15) the commitment to the item's sequence and first source.
        let ingestCommitments = ingest[6].split(separator: ",").map(String.init)
        #expect(ingestCommitments.count == 2 && ingestCommitments.allSatisfy { $0.count == 64 && (try? Hex.decode($0)) != nil }, "\(ingest)")
        // No secret values: no names, contacts, file names or places.
        for secret in ["Test Person", "Example Street", "Mezzeh", ".jpg", "٣٤٥٦"] { #expect(!all.stdout.contains(secret)) }

        let byCollector = try vault.cli.run(["audit", "log", "--actor", collectorID.uppercased(), "-C", "vault"])
        #expect(byCollector.stdoutLines.map { String($0.split(separator: "\t")[4]) } == ["case.add", "case.add", "item.ingest", "item.ingest"])
        #expect(byCollector.stdoutLines.allSatisfy { $0.split(separator: "\t")[2] == collectorID })
        let byItem = try vault.cli.run(["audit", "log", "--item", items[0], "-C", "vault"])
        #expect(byItem.stdoutLines.map { String($0.split(separator: "\t")[4]) } == ["item.ingest", "item.view"])
        #expect(try vault.cli.run(["audit", "log", "--since", "2000-01-01", "-C", "vault"]).stdoutLines.count == count)
        #expect(try vault.cli.run(["audit", "log", "--since", "2999-12-31T23:59:59.5+01:00", "-C", "vault"]).stdoutLines.isEmpty)
        let combined = try vault.cli.run(["audit", "log", "--item", items[0], "--actor", collectorID, "--since", "2001-02-03T04:05:06Z", "-C", "vault"])
        #expect(combined.stdoutLines.count == 1)
        #expect(try vault.cli.run(["audit", "log", "--since", "yesterday", "-C", "vault"]).status == 64)
        #expect(try vault.cli.run(["audit", "log", "--since", "2024-02-30", "-C", "vault"]).status == 64)
        #expect(try vault.cli.run(["audit", "log", "--actor", "abc", "-C", "vault"]).status == 64)

        let json = try vault.cli.run(["audit", "log", "--json", "--item", items[0], "-C", "vault"])
        let array = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [[String: Any]]
        #expect(array.count == 2)
        #expect(Set(array[0].keys) == ["sequence", "time", "actor", "role", "action", "objects", "commitments", "policyHash"])
        #expect(array[0]["action"] as? String == "item.ingest" && array[0]["objects"] as? [String] == [items[0], "C-1"])
        #expect((array[0]["commitments"] as? [String])?.first?.count == 64)
        #expect(array[1]["role"] as? String == "investigator" && (array[1]["commitments"] as? [String])?.isEmpty == true)
        let none = try vault.cli.run(["audit", "log", "--json", "--item", "nothing", "-C", "vault"])
        #expect(none.stdout == "[]\n")
    }

    // MARK: - Fail-closed

    @Test func nothingHappensWhenTheDatabaseIsReadOnly() throws {
        let (vault, items) = try Self.populated()
        defer { vault.cleanup() }
        let readOnly = ["AMANAH_TEST_READ_ONLY_DATABASE": "1"]
        let before = try Self.snapshot(vault), blobs = Self.blobFiles(vault)
        let show = try vault.run("investigator", ["show", items[0]], environment: readOnly)
        let export = try vault.run("investigator", ["export", items[0], "-o", "out.jpg"], environment: readOnly)
        try vault.cli.write("new.txt", "a file never seen before")
        let ingest = try vault.run("collector", ["ingest", "--case", "C-1", vault.cli.folder + "/new.txt"], environment: readOnly)
        for (name, result) in [("show", show), ("export", export)] {
            #expect(result.status == 1, "\(name)")
            #expect(result.stdout.isEmpty, "\(name): \(result.stdout)")
            #expect(result.stderr.contains("cannot write to the vault database (attempt to write a readonly database); "
                                           + "the operation and its audit event were not recorded, nothing was changed"), "\(name): \(result.stderr)")
        }
        // Ingest says it in terms of its files.
        #expect(ingest.status == 1 && ingest.stdout.isEmpty)
        #expect(ingest.stderr.contains("cannot write to the vault database while committing \(vault.cli.folder)/new.txt: the vault database "), "\(ingest.stderr)")
        #expect(ingest.stderr.contains("cannot be written (attempt to write a readonly database); no file of this ingest was committed before the failure; "
                                       + "the first not committed is \(vault.cli.folder)/new.txt"), "\(ingest.stderr)")
        #expect(!FileManager.default.fileExists(atPath: vault.cli.folder + "/out.jpg"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: vault.cli.folder).filter { $0.contains(".tmp-") }.isEmpty)
        #expect(try Self.snapshot(vault) == before)
        #expect(Self.blobFiles(vault) == blobs)
        #expect(try Self.verify(vault).status == 0)
        // Reading the log still works.
        #expect(try vault.cli.run(["audit", "log", "-C", "vault"], environment: readOnly).status == 0)
    }

    @Test func nothingHappensWhenTheDiskIsFull() throws {
        let (vault, items) = try Self.populated()
        defer { vault.cleanup() }
        let pages = try Self.queue(vault).read { db in try Int.fetchOne(db, sql: "PRAGMA page_count")! }
        let full = ["AMANAH_TEST_MAX_PAGE_COUNT": String(pages)]
        // Views fill the free space left in existing pages; the first that needs a new page must fail whole.
        var failed: CLIHarness.Result? = nil
        var before = ""
        for _ in 0..<200 {
            before = try Self.snapshot(vault)
            let show = try vault.run("investigator", ["show", items[0]], environment: full)
            if show.status != 0 {
                failed = show
                break
            }
        }
        guard let failed else {
            Issue.record("the database never filled up")
            return
        }
        #expect(failed.status == 1 && failed.stdout.isEmpty)
        #expect(failed.stderr.contains("the disk holding vault/vault.sqlite is full (database or disk is full); "
                                       + "the operation and its audit event were not recorded, nothing was changed"), "\(failed.stderr)")
        #expect(try Self.snapshot(vault) == before)
        // Export and ingest need at least the same room for their events, so they fail the same way.
        let blobs = Self.blobFiles(vault)
        let export = try vault.run("investigator", ["export", items[0], "-o", "out.jpg"], environment: full)
        #expect(export.status == 1 && export.stderr.contains("database or disk is full"), "\(export.stderr)")
        #expect(!FileManager.default.fileExists(atPath: vault.cli.folder + "/out.jpg"))
        try vault.cli.write("new.txt", "a file never seen before")
        let ingest = try vault.run("collector", ["ingest", "--case", "C-1", vault.cli.folder + "/new.txt"], environment: full)
        #expect(ingest.status == 1 && ingest.stdout.isEmpty && ingest.stderr.contains("database or disk is full"), "\(ingest.stderr)")
        #expect(try Self.snapshot(vault) == before)
        #expect(Self.blobFiles(vault) == blobs)
        #expect(try Self.verify(vault).status == 0)
        // With room again, the same operations work.
        #expect(try vault.run("investigator", ["show", items[0]]).status == 0)
    }
}
