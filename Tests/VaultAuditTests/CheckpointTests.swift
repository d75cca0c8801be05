import Foundation
import Testing
import VaultCrypto
import VaultFormats
@testable import VaultAudit

@Suite struct CheckpointTests {
    static let vaultID = [UInt8](repeating: 0xab, count: 32)
    static let otherVault = [UInt8](repeating: 0xcd, count: 32)

    static func tree(size: Int) throws -> MerkleTree<InMemoryMerkleNodeStore> {
        var tree = MerkleTree(store: InMemoryMerkleNodeStore())
        try tree.append(contentsOf: (0..<size).map(testLeafHash))
        return tree
    }

    @Test func bodyFormatIsTheC2SPCheckpoint() throws {
        let checkpoint = try Checkpoint(vaultID: CheckpointTests.vaultID, size: 42, rootHash: MerkleHash.emptyRoot)
        let body = "amanah/" + String(repeating: "ab", count: 32) + "\n42\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
        #expect(checkpoint.body == body)
        #expect(checkpoint.origin == "amanah/" + String(repeating: "ab", count: 32))
        let parsed = try Checkpoint(body: body)
        #expect(parsed == checkpoint && parsed.body == body)
        #expect(try Checkpoint(body: checkpoint.body.replacingOccurrences(of: "\n42\n", with: "\n0\n")).size == 0)
        #expect(try Checkpoint(body: checkpoint.body.replacingOccurrences(of: "\n42\n", with: "\n18446744073709551615\n")).size == UInt64.max)
        #expect(throws: AuditError.self) { try Checkpoint(vaultID: [1], size: 1, rootHash: MerkleHash.emptyRoot) }
        #expect(throws: AuditError.self) { try Checkpoint(vaultID: CheckpointTests.vaultID, size: 1, rootHash: [1]) }
    }

    @Test func malformedBodiesAreRefused() throws {
        let good = try Checkpoint(vaultID: CheckpointTests.vaultID, size: 42, rootHash: MerkleHash.emptyRoot).body
        let hexID = String(repeating: "ab", count: 32)
        let bad: [String] = [
            good.replacingOccurrences(of: "\n42\n", with: "\n042\n"),
            good.replacingOccurrences(of: "\n42\n", with: "\n+42\n"),
            good.replacingOccurrences(of: "\n42\n", with: "\n-1\n"),
            good.replacingOccurrences(of: "\n42\n", with: "\n 42\n"),
            good.replacingOccurrences(of: "\n42\n", with: "\n\n"),
            good.replacingOccurrences(of: "\n42\n", with: "\n18446744073709551616\n"),
            good.replacingOccurrences(of: "\n42\n", with: "\n٤٢\n"),
            good.replacingOccurrences(of: hexID, with: hexID.uppercased()),
            good.replacingOccurrences(of: hexID, with: String(hexID.dropLast(2))),
            good.replacingOccurrences(of: "amanah/", with: "amanah:"),
            good.replacingOccurrences(of: "amanah/", with: "example.com/"),
            good.replacingOccurrences(of: "uFU=", with: "uFV="),     // non-zero trailing bits
            good.replacingOccurrences(of: "uFU=", with: "uFU"),      // padding missing
            good.replacingOccurrences(of: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", with: "AAAA"),
            good + "extension line\n",
            String(good.dropLast()),
            good + "\n",
            "",
        ]
        for (number, body) in bad.enumerated() {
            #expect(throws: AuditError.self, "bad body \(number)") { try Checkpoint(body: body) }
        }
    }

    @Test func signVerifyAndParseRoundTrip() throws {
        let maker = Identity.generate(), auditor = Identity.generate(), custodian = Identity.generate()
        let tree = try CheckpointTests.tree(size: 9)
        let checkpoint = try Checkpoint(vaultID: CheckpointTests.vaultID, size: 9, rootHash: tree.root())
        var signed = try SignedCheckpoint(signing: checkpoint, by: maker)
        try signed.cosign(by: auditor, time: 1_700_000_000)
        try signed.cosign(by: custodian, time: 1_700_000_100)

        let text = signed.text
        #expect(text.hasPrefix(checkpoint.body + "\n— " + checkpoint.origin + " "))
        #expect(text.contains("\n— amanah-" + auditor.publicKey.keyIDHex + " "))
        let parsed = try SignedCheckpoint(parsing: text)
        #expect(parsed == signed && parsed.text == text && parsed.checkpoint == checkpoint)
        #expect(try SignedCheckpoint(parsing: Array(text.utf8)) == signed)
        #expect(throws: AuditError.self) { try SignedCheckpoint(parsing: [0xff] + Array(text.utf8)) }

        let result = parsed.verify(vaultID: CheckpointTests.vaultID, logSigners: [maker.publicKey],
                                   cosigners: [auditor.publicKey, custodian.publicKey])
        guard case let .verified(verified) = result else { Issue.record("did not verify: \(result)"); return }
        #expect(verified.checkpoint == checkpoint)
        #expect(verified.logSigners == [maker.publicKey])
        #expect(verified.cosignatures == [CheckpointCosignature(cosigner: auditor.publicKey, time: 1_700_000_000),
                                          CheckpointCosignature(cosigner: custodian.publicKey, time: 1_700_000_100)])
        #expect(verified.unknownSignatures.isEmpty)

        // A cosigner the verifier does not know is ignored but reported.
        guard case let .verified(partial) = parsed.verify(vaultID: CheckpointTests.vaultID, logSigners: [maker.publicKey],
                                                          cosigners: [auditor.publicKey]) else { Issue.record("partial"); return }
        #expect(partial.cosignatures.map(\.cosigner) == [auditor.publicKey])
        #expect(partial.unknownSignatures.map(\.name) == ["amanah-" + custodian.publicKey.keyIDHex])
        // Key names follow the documented scheme.
        #expect(SignedCheckpoint.cosignerName(for: auditor.publicKey) == "amanah-" + auditor.publicKey.keyIDHex)
        #expect(SignedCheckpoint.logKeyName(vaultID: CheckpointTests.vaultID) == checkpoint.origin)
    }

    @Test func wrongOriginUnknownKeyAndModifiedBodyFail() throws {
        let maker = Identity.generate(), stranger = Identity.generate(), auditor = Identity.generate()
        let tree = try CheckpointTests.tree(size: 5)
        let checkpoint = try Checkpoint(vaultID: CheckpointTests.vaultID, size: 5, rootHash: tree.root())
        var signed = try SignedCheckpoint(signing: checkpoint, by: maker)

        // Wrong origin: the caller expects another vault.
        #expect(signed.verify(vaultID: CheckpointTests.otherVault, logSigners: [maker.publicKey], cosigners: []) ==
                .rejected(.wrongOrigin(expected: Checkpoint.origin(vaultID: CheckpointTests.otherVault), found: checkpoint.origin)))
        // Signed by a key the verifier does not trust.
        #expect(signed.verify(vaultID: CheckpointTests.vaultID, logSigners: [stranger.publicKey], cosigners: []) ==
                .rejected(.signatures(.noKnownSignature)))
        // The maker's key trusted only as a cosigner does not make a log signature.
        try signed.cosign(by: auditor, time: 10)
        #expect(signed.verify(vaultID: CheckpointTests.vaultID, logSigners: [stranger.publicKey], cosigners: [auditor.publicKey]) ==
                .rejected(.noLogSignature))
        // Modified body: another size (with its true root) under the old signatures.
        let text = signed.text
        let otherRoot = Base64.encode(try tree.root(atSize: 4), variant: .standard)
        let forged = text.replacingOccurrences(of: "\n5\n", with: "\n4\n")
            .replacingOccurrences(of: Base64.encode(checkpoint.rootHash, variant: .standard), with: otherRoot)
        let parsedForgery = try SignedCheckpoint(parsing: forged)
        #expect(parsedForgery.checkpoint.size == 4)
        let verdict = parsedForgery.verify(vaultID: CheckpointTests.vaultID, logSigners: [maker.publicKey], cosigners: [auditor.publicKey])
        #expect(!verdict.isVerified)
        if case let .rejected(.signatures(.invalidSignature(name, _))) = verdict {
            #expect(name == checkpoint.origin)
        } else {
            Issue.record("expected an invalid signature, got \(verdict)")
        }
        // Malformed notes and bodies throw when parsed.
        #expect(throws: AuditError.self) { try SignedCheckpoint(parsing: checkpoint.body) }
        #expect(throws: AuditError.self) { try SignedCheckpoint(parsing: text.replacingOccurrences(of: "— ", with: "-- ")) }
        #expect(throws: AuditError.self) { try SignedCheckpoint(parsing: text.replacingOccurrences(of: "amanah/", with: "amanah-")) }
    }

    @Test func cosignatureTimestampIsSigned() throws {
        let maker = Identity.generate(), auditor = Identity.generate()
        let checkpoint = try Checkpoint(vaultID: CheckpointTests.vaultID, size: 3, rootHash: CheckpointTests.tree(size: 3).root())
        var signed = try SignedCheckpoint(signing: checkpoint, by: maker)
        try signed.cosign(by: auditor, time: 1_700_000_000)
        let note = signed.note
        let cosignature = note.signatures[1]
        var bytes = cosignature.signature
        bytes[7] ^= 0x01
        let moved = try SignedNote(text: note.text, signatures: [note.signatures[0],
                                   NoteSignature(name: cosignature.name, keyID: cosignature.keyID, signature: bytes)])
        let reparsed = try SignedCheckpoint(parsing: moved.serialized)
        #expect(reparsed.verify(vaultID: CheckpointTests.vaultID, logSigners: [maker.publicKey], cosigners: [auditor.publicKey]) ==
                .rejected(.signatures(.invalidSignature(name: cosignature.name, keyID: cosignature.keyID))))
    }

    @Test func repeatedCosignIsRefusedAndMergeCombines() throws {
        let maker = Identity.generate(), a = Identity.generate(), b = Identity.generate()
        let checkpoint = try Checkpoint(vaultID: CheckpointTests.vaultID, size: 7, rootHash: CheckpointTests.tree(size: 7).root())
        let base = try SignedCheckpoint(signing: checkpoint, by: maker)
        var first = base, second = base
        try first.cosign(by: a, time: 100)
        try second.cosign(by: b, time: 200)
        #expect(throws: SignedNoteError.self) { try first.cosign(by: a, time: 101) }
        #expect(throws: SignedNoteError.self) { try first.cosign(by: b, time: UInt64(Int64.max) + 1) }
        try first.merge(second)
        #expect(first.note.signatures.count == 3)
        try first.merge(second)
        #expect(first.note.signatures.count == 3, "merging again adds nothing")
        guard case let .verified(verified) = first.verify(vaultID: CheckpointTests.vaultID, logSigners: [maker.publicKey],
                                                          cosigners: [a.publicKey, b.publicKey]) else { Issue.record("merge"); return }
        #expect(verified.cosignatures.map(\.time) == [100, 200])
        // A conflicting cosignature by the same member cannot be merged in.
        var conflicting = base
        try conflicting.cosign(by: a, time: 999)
        #expect(throws: SignedNoteError.self) { try first.merge(conflicting) }
        // Nor can signatures of another checkpoint.
        let otherCheckpoint = try Checkpoint(vaultID: CheckpointTests.vaultID, size: 6, rootHash: CheckpointTests.tree(size: 6).root())
        #expect(throws: AuditError.self) { try first.merge(SignedCheckpoint(signing: otherCheckpoint, by: maker)) }
    }

    @Test func consistencyBetweenCheckpointsDetectsForksAndTruncation() throws {
        let tree = try CheckpointTests.tree(size: 20)
        let old = try Checkpoint(vaultID: CheckpointTests.vaultID, size: 9, rootHash: tree.root(atSize: 9))
        let new = try Checkpoint(vaultID: CheckpointTests.vaultID, size: 20, rootHash: tree.root())
        let proof = try tree.consistencyProof(oldSize: 9, newSize: 20)
        #expect(old.isConsistent(with: new, proof: proof))
        #expect(old.isConsistent(with: old, proof: []))
        #expect(!new.isConsistent(with: old, proof: proof), "a newer checkpoint is never consistent with a smaller one")
        // A fork: same size, another root.
        var forkTree = MerkleTree(store: InMemoryMerkleNodeStore())
        try forkTree.append(contentsOf: (0..<20).map { $0 == 13 ? testLeafHash(1000) : testLeafHash($0) })
        let fork = try Checkpoint(vaultID: CheckpointTests.vaultID, size: 20, rootHash: forkTree.root())
        #expect(!new.isConsistent(with: fork, proof: []))
        #expect(!old.isConsistent(with: fork, proof: proof))
        #expect(old.isConsistent(with: fork, proof: try forkTree.consistencyProof(oldSize: 9, newSize: 20)),
                "the fork is after leaf 9, so the old checkpoint is a prefix of both")
        // Another vault's checkpoint never extends this one.
        let foreign = try Checkpoint(vaultID: CheckpointTests.otherVault, size: 20, rootHash: tree.root())
        #expect(!old.isConsistent(with: foreign, proof: proof))
    }
}
