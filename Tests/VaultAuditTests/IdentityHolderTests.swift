import Testing
import VaultCrypto
import VaultFormats
@testable import VaultAudit

/// The `IdentityHolder` overloads (used by the vault with a local identity or the `amanah agent`) produce
/// byte for byte what the `Identity` overloads produce, and a copy of an identity handed over as its
/// transferable secret keys signs identically.
@Suite struct IdentityHolderTests {
    /// An identity (boxed, for the `Identity` overloads through `.identity`) and a holder of the same keys
    /// rebuilt from the transferable secret keys.
    static func pair() throws -> (LocalIdentity, LocalIdentity) {
        let identity = Identity.generate()
        let copy = try Identity(publicKey: identity.publicKey, transferredSecretKeys: identity.transferableSecretKeys())
        return (LocalIdentity(identity), LocalIdentity(copy))
    }

    @Test func checkpointsAndCosignaturesAreTheSame() throws {
        let (boxed, holder) = try IdentityHolderTests.pair()
        let checkpoint = try Checkpoint(vaultID: [UInt8](repeating: 7, count: 32), size: 42, rootHash: MerkleHash.emptyRoot)
        var direct = try SignedCheckpoint(signing: checkpoint, by: boxed.identity)
        var held = try SignedCheckpoint(signing: checkpoint, by: holder)
        #expect(direct.text == held.text)
        try direct.cosign(by: boxed.identity, time: 1_700_000_000)
        try held.cosign(by: holder, time: 1_700_000_000)
        #expect(direct.text == held.text)
        #expect(held.verify(vaultID: checkpoint.vaultID, logSigners: [holder.publicKey], cosigners: [holder.publicKey]).isVerified)
    }

    @Test func auditEventSignaturesAreTheSame() throws {
        let (boxed, holder) = try IdentityHolderTests.pair()
        var direct = AuditEventTests.sampleEvent(actor: boxed.identity.publicKey.keyID)
        var held = direct
        direct.sign(with: boxed.identity)
        try held.sign(with: holder)
        #expect(held.signature == direct.signature)
        #expect(held.verifySignature(publicKey: holder.publicKey))
        // A holder that is not the actor is refused (the Identity overload traps instead).
        let (_, stranger) = try IdentityHolderTests.pair()
        var other = AuditEventTests.sampleEvent(actor: boxed.identity.publicKey.keyID)
        #expect(throws: AuditError.self) { try other.sign(with: stranger) }
    }

    @Test func minisignSignaturesAreTheSame() throws {
        let (boxed, holder) = try IdentityHolderTests.pair()
        let message = Array("SHA256SUMS of a bundle\n".utf8)
        let direct = try MinisignSignature.sign(message: message, identity: boxed.identity, trustedComment: "bundle B-1")
        let held = try MinisignSignature.sign(message: message, identity: holder, trustedComment: "bundle B-1")
        #expect(held.fileContents == direct.fileContents)
    }

    @Test func oneTimeKeysMatchTheDerivedPair() throws {
        let (boxed, holder) = try IdentityHolderTests.pair()
        let context = Array("operation nonce".utf8)
        let pair = boxed.identity.deriveOneTimeKeyPair(context: context)
        #expect(holder.oneTimePublicKey(context: context) == pair.publicKey)
        #expect(holder.oneTimePublicKey(context: Array("another".utf8)) != pair.publicKey)
        var share = Array("a recovery share".utf8)
        let sealed = try SealedBox.seal(SecretBytes(consuming: &share), to: pair.publicKey)
        let opened = try holder.oneTimeOpen(context: context, sealed: sealed)
        #expect(opened.unprotectedCopy() == Array("a recovery share".utf8))
        #expect(throws: CryptoError.self) { _ = try holder.oneTimeOpen(context: Array("another".utf8), sealed: sealed) }
    }

    @Test func transferredKeysMustMatchThePublicKey() throws {
        let identity = Identity.generate()
        let stranger = Identity.generate()
        #expect(throws: CryptoError.self) {
            _ = try Identity(publicKey: identity.publicKey, transferredSecretKeys: stranger.transferableSecretKeys())
        }
        #expect(throws: CryptoError.self) {
            _ = try Identity(publicKey: identity.publicKey, transferredSecretKeys: SecretBytes.random(count: 95))
        }
    }
}
