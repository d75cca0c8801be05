import Testing
import VaultCrypto
@testable import VaultAudit

@Suite struct AuditEventTests {
    static func sampleEvent(actor: [UInt8]) -> AuditEvent {
        AuditEvent(vaultID: [UInt8](repeating: 0x11, count: 32), sequence: 3, time: 1_700_000_000_123, actor: actor,
                   action: "item.ingest", objects: ["I-1", "C-\u{0661}"], policyHash: [UInt8](repeating: 0x22, count: 32),
                   commitments: [[UInt8](repeating: 0x33, count: 32), [UInt8](repeating: 0x44, count: 32)],
                   previousLeafHash: [UInt8](repeating: 0x55, count: 32))
    }

    /// The encoding of a fixed event, computed by hand (with a short Python script) from the layout in
    /// `AuditEvent`'s documentation, not with this code.
    @Test func encodingMatchesTheDocumentedLayout() {
        let event = AuditEventTests.sampleEvent(actor: [1, 2, 3, 4, 5, 6, 7, 8])
        let expected = "01" + String(repeating: "11", count: 32) + "0000000000000003" + "0000018bcfe5687b" + "0102030405060708"
            + "0000000b" + "6974656d2e696e67657374" + "00000002" + "00000003" + "492d31" + "00000004" + "432dd9a1"
            + "01" + String(repeating: "22", count: 32) + "00000002" + String(repeating: "33", count: 32)
            + String(repeating: "44", count: 32) + String(repeating: "55", count: 32)
        #expect(Hex.encode(event.unsignedEncoding) == expected)
        var withoutPolicy = event
        withoutPolicy.policyHash = nil
        #expect(Hex.encode(withoutPolicy.unsignedEncoding).contains("432dd9a1" + "00" + "00000002"))
    }

    /// Version 3: the version 2 fields, version byte 0x03, then the index entry's hash (issue 15).
    @Test func versionThreeCarriesTheEntryHash() throws {
        var event = AuditEventTests.sampleEvent(actor: [1, 2, 3, 4, 5, 6, 7, 8])
        event.governance = .init(length: 0x0102, head: [UInt8](repeating: 0x66, count: 32))
        let versionTwo = Hex.encode(event.unsignedEncoding)
        event.entry = [UInt8](repeating: 0x77, count: 32)
        #expect(Hex.encode(event.unsignedEncoding) == "03" + versionTwo.dropFirst(2) + String(repeating: "77", count: 32))
        let identity = Identity.generate()
        event.actor = identity.publicKey.keyID
        event.sign(with: identity)
        let parsed = try AuditEvent(leaf: event.leaf)
        #expect(parsed == event && parsed.leaf == event.leaf)
        #expect(parsed.verifySignature(publicKey: identity.publicKey))
        var flipped = event.leaf
        flipped[flipped.count - 64 - 1] ^= 1   // the last byte of the entry hash
        #expect(try !AuditEvent(leaf: flipped).verifySignature(publicKey: identity.publicKey))
    }

    /// Version 4: the actor replaced by SHA-256("amanah/v1/actor" ‖ 0 ‖ key id ‖ opening), an entry flag; the
    /// vault stores the key id and opening after the leaf (issue 16: bundles name no actor key).
    @Test func versionFourBlindsTheActor() throws {
        let identity = Identity.generate()
        var event = AuditEventTests.sampleEvent(actor: identity.publicKey.keyID)
        event.governance = .init(length: 0x0102, head: [UInt8](repeating: 0x66, count: 32))
        let versionTwo = Hex.encode(event.unsignedEncoding)
        let opening = [UInt8](repeating: 0x99, count: 16)
        event.blindActor(opening: opening)
        let commitment = SHA256Digest.hash(Array("amanah/v1/actor".utf8) + [0] + identity.publicKey.keyID + opening)
        // Bytes 1..<41 are the vault id and sequence, 41..<49 the time; in version 2 the actor is 49..<57.
        let two = Array(versionTwo)
        let expected = "04" + String(two[2..<98]) + Hex.encode(commitment) + String(two[114...]) + "00"
        #expect(Hex.encode(event.unsignedEncoding) == expected)
        event.sign(with: identity)
        #expect(event.leaf.firstRange(of: identity.publicKey.keyID) == nil)
        // Stored form: round trip, actor recovered and checked against the commitment.
        let stored = try AuditEvent(leaf: event.storedLeaf)
        #expect(stored == event && stored.storedLeaf == event.storedLeaf && stored.actor == identity.publicKey.keyID)
        #expect(stored.verifySignature(publicKey: identity.publicKey))
        #expect(AuditEvent.merkleLeaf(stored: event.storedLeaf) == event.leaf && stored.leafHash == MerkleHash.leaf(event.leaf))
        // As a bundle carries it: no actor, so no signature check by whoever does not know it.
        let blinded = try AuditEvent(leaf: event.leaf)
        #expect(blinded.actor.isEmpty && blinded.leaf == event.leaf && !blinded.verifySignature(publicKey: identity.publicKey))
        // Another actor written into the stored tail does not match the commitment.
        var swapped = event.storedLeaf
        swapped[swapped.count - 24] ^= 1
        #expect(throws: AuditError.self) { try AuditEvent(leaf: swapped) }
        // With an entry: flag 1 and the hash.
        event.entry = [UInt8](repeating: 0x77, count: 32)
        #expect(Hex.encode(event.unsignedEncoding).hasSuffix("01" + String(repeating: "77", count: 32)))
    }

    /// Version 2: the same fields, version byte 0x02, then the governance length and head (issue 15).
    @Test func versionTwoCarriesTheGovernancePosition() throws {
        var event = AuditEventTests.sampleEvent(actor: [1, 2, 3, 4, 5, 6, 7, 8])
        let versionOne = Hex.encode(event.unsignedEncoding)
        event.governance = .init(length: 0x0102, head: [UInt8](repeating: 0x66, count: 32))
        let versionTwo = Hex.encode(event.unsignedEncoding)
        #expect(versionTwo == "02" + versionOne.dropFirst(2) + "0000000000000102" + String(repeating: "66", count: 32))
        let identity = Identity.generate()
        event.actor = identity.publicKey.keyID
        event.sign(with: identity)
        let parsed = try AuditEvent(leaf: event.leaf)
        #expect(parsed == event && parsed.leaf == event.leaf)
        #expect(parsed.governance?.length == 0x0102)
        // The position is signed: another head, or dropping it back to version 1, breaks the signature.
        var moved = parsed
        moved.governance?.head[0] ^= 1
        #expect(!moved.verifySignature(publicKey: identity.publicKey))
        var stripped = parsed
        stripped.governance = nil
        #expect(!stripped.verifySignature(publicKey: identity.publicKey))
        // A version-2 leaf without its position is truncated.
        #expect(throws: AuditError.self) { try AuditEvent(leaf: Array(event.leaf.prefix(event.leaf.count - 64 - 40)) + event.signature) }
    }

    @Test func encodeParseRoundTripAndSignature() throws {
        let identity = Identity.generate()
        var event = AuditEventTests.sampleEvent(actor: identity.publicKey.keyID)
        event.sign(with: identity)
        #expect(event.signature.count == 64)
        #expect(event.verifySignature(publicKey: identity.publicKey))
        let leaf = event.leaf
        let parsed = try AuditEvent(leaf: leaf)
        #expect(parsed == event)
        #expect(parsed.leaf == leaf, "parse-then-serialise reproduces the leaf")
        #expect(parsed.leafHash == MerkleHash.leaf(leaf))
        #expect(parsed.leafHash == SHA256Digest.hash([0x00] + leaf))
        // Another member's key does not verify it.
        let other = Identity.generate()
        #expect(!parsed.verifySignature(publicKey: other.publicKey))
        // The signature is domain-separated: a context-free signature over the same bytes is not accepted.
        var raw = event
        raw.signature = identity.signRaw(event.unsignedEncoding)
        #expect(!raw.verifySignature(publicKey: identity.publicKey))
    }

    @Test func everyByteFlipChangesTheEventOrBreaksItsSignature() throws {
        let identity = Identity.generate()
        var event = AuditEventTests.sampleEvent(actor: identity.publicKey.keyID)
        event.sign(with: identity)
        let leaf = event.leaf
        var parsedAfterFlip = 0
        for index in leaf.indices {
            for mask: UInt8 in [0x01, 0x80] {
                var bytes = leaf
                bytes[index] ^= mask
                guard let parsed = try? AuditEvent(leaf: bytes) else { continue }
                parsedAfterFlip += 1
                #expect(parsed != event, "flip at \(index) parsed to the same event")
                #expect(!parsed.verifySignature(publicKey: identity.publicKey), "flip at \(index) still verifies")
                #expect(parsed.leafHash != event.leafHash)
            }
        }
        #expect(parsedAfterFlip > leaf.count, "most flips still parse, and all of them were caught by the signature")
    }

    @Test func malformedLeavesAreRefused() throws {
        let identity = Identity.generate()
        var event = AuditEventTests.sampleEvent(actor: identity.publicKey.keyID)
        event.sign(with: identity)
        let leaf = event.leaf
        #expect(throws: AuditError.self) { try AuditEvent(leaf: Array(leaf.dropLast())) }
        #expect(throws: AuditError.self) { try AuditEvent(leaf: leaf + [0]) }
        #expect(throws: AuditError.self) { try AuditEvent(leaf: []) }
        var version = leaf
        version[0] = 5   // 1 to 4 are known
        #expect(throws: AuditError.malformedEvent("unsupported version")) { try AuditEvent(leaf: version) }
        var zero = event
        zero.sequence = 0
        #expect(throws: AuditError.malformedEvent("sequence must start at 1")) { try AuditEvent(leaf: zero.leaf) }
        for cut in stride(from: 0, to: leaf.count, by: 7) {
            #expect(throws: AuditError.self) { try AuditEvent(leaf: Array(leaf.prefix(cut))) }
        }
    }

    @Test func contentCommitmentIsHashOfOpeningAndDigest() {
        let digest = SHA256Digest.hash(Array("original bytes".utf8))
        let r = [UInt8](repeating: 0x5a, count: 32)
        #expect(ContentCommitment.commit(contentDigest: digest, opening: r) == SHA256Digest.hash(r + digest))
        var other = r
        other[31] ^= 1
        #expect(ContentCommitment.commit(contentDigest: digest, opening: other) != ContentCommitment.commit(contentDigest: digest, opening: r))
    }
}
