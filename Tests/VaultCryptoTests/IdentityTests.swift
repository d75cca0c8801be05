import Foundation
import Testing
@testable import VaultCrypto

private func passphrase(_ text: String) -> SecretBytes {
    var bytes = Array(text.utf8)
    return SecretBytes(consuming: &bytes)
}

private let cheap = PasswordHash.Parameters.insecureTestOnly

/// Identities, public key lines and key files.
struct IdentityTests {
    @Test func publicKeyLineRoundTrip() throws {
        let identity = Identity.generate()
        let line = identity.publicKey.line
        #expect(line.hasPrefix("amanah-pk1-"))
        #expect(!line.contains(":") && !line.contains(" "))
        let parsed = try MemberPublicKey(line: line + "\n")
        #expect(parsed == identity.publicKey)
        #expect(parsed.keyID == Array(BLAKE2b.hash(parsed.signingKey + parsed.encryptionKey, outputLength: 32).prefix(8)))
        #expect(parsed.keyIDHex.count == 16)
    }

    @Test func swappedOrAlteredPublicKeysAreRejected() throws {
        let key = Identity.generate().publicKey
        // Swap the two halves (and recompute nothing): key id and self-signature no longer match.
        let swapped = key.encryptionKey + key.signingKey + key.keyID + key.selfSignature
        #expect(throws: CryptoError.invalidEncoding("public key id does not match its keys")) {
            _ = try MemberPublicKey(line: MemberPublicKey.prefix + Base64.encode(swapped, variant: .urlSafeNoPadding))
        }
        // Swapped halves with a matching key id: the self-signature catches it.
        let relabelled = key.encryptionKey + key.signingKey
            + MemberPublicKey.keyID(signingKey: key.encryptionKey, encryptionKey: key.signingKey) + key.selfSignature
        #expect(throws: CryptoError.invalidEncoding("public key self-signature does not verify")) {
            _ = try MemberPublicKey(line: MemberPublicKey.prefix + Base64.encode(relabelled, variant: .urlSafeNoPadding))
        }
        // Non-canonical base64: the last character carries non-zero unused bits.
        var text = key.line
        let last = text.removeLast()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let index = alphabet.firstIndex(of: last)!
        text.append(alphabet[index ^ 1])
        #expect(throws: CryptoError.self) { _ = try MemberPublicKey(line: text) }
        #expect(throws: CryptoError.self) { _ = try MemberPublicKey(line: "amanah-pk2-" + key.line.dropFirst(11)) }
    }

    @Test func keyFileRoundTrip() throws {
        let identity = Identity.generate()
        let file = try KeyFile.seal(identity, passphrase: passphrase("correct horse"), parameters: cheap)
        let text = String(decoding: file, as: UTF8.self)
        #expect(text.hasPrefix("amanah-identity-v1\npublic: amanah-pk1-"))
        #expect(text.contains("kdf: argon2id ops=1 mem=8192\n"))
        let unlocked = try KeyFile.unlock(file, passphrase: passphrase("correct horse"))
        #expect(unlocked.publicKey == identity.publicKey)
        let message = Array("hello".utf8)
        #expect(identity.publicKey.verify(unlocked.sign(message, context: .approval), message: message, context: .approval))
        #expect(try KeyFile.publicKey(of: file) == identity.publicKey)
    }

    @Test func wrongPassphraseAndCorruptionAreToldApart() throws {
        let identity = Identity.generate()
        let file = try KeyFile.seal(identity, passphrase: passphrase("correct horse"), parameters: cheap)
        #expect(throws: KeyFile.UnlockError.wrongPassphrase) { _ = try KeyFile.unlock(file, passphrase: passphrase("wrong horse")) }
        // Any changed byte of the body is a corrupted file, never a "wrong passphrase".
        let text = String(decoding: file, as: UTF8.self)
        let secretLine = text.range(of: "secret: ")!.upperBound
        var damaged = Array(text.utf8)
        let position = text.utf8.distance(from: text.utf8.startIndex, to: secretLine) + 5
        damaged[position] = damaged[position] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: KeyFile.UnlockError.corrupted("checksum does not match (the file was damaged or edited)")) {
            _ = try KeyFile.unlock(damaged, passphrase: passphrase("correct horse"))
        }
        #expect(throws: KeyFile.UnlockError.self) { _ = try KeyFile.unlock(Array(file.dropLast(10)), passphrase: passphrase("correct horse")) }
        #expect(throws: KeyFile.UnlockError.corrupted("not an Amanah key file")) {
            _ = try KeyFile.unlock(Array("hello\n1\n2\n3\n4\n5\n6\n".utf8), passphrase: passphrase("x"))
        }
    }

    /// Rewrites a key-file line and recomputes the checksum, as a crafted file would.
    private func recrafted(_ file: [UInt8], replacing old: String, with new: String) -> [UInt8] {
        var lines = String(decoding: file, as: UTF8.self).split(separator: "\n").map(String.init)
        lines = lines.map { $0 == old ? new : $0 }
        let body = lines[0...5].joined(separator: "\n") + "\n"
        return Array((body + "checksum: " + Hex.encode(BLAKE2b.hash(Array(body.utf8), outputLength: 32)) + "\n").utf8)
    }

    @Test func craftedParametersAreCappedAndBound() throws {
        let identity = Identity.generate()
        let file = try KeyFile.seal(identity, passphrase: passphrase("pw"), parameters: cheap)
        let huge = recrafted(file, replacing: "kdf: argon2id ops=1 mem=8192", with: "kdf: argon2id ops=1 mem=1099511627776")
        #expect(throws: KeyFile.UnlockError.unacceptableParameters("argon2id ops=1 mem=1099511627776")) {
            _ = try KeyFile.unlock(huge, passphrase: passphrase("pw"))
        }
        // Parameters are associated data: changing them (even to valid values) breaks decryption.
        let changed = recrafted(file, replacing: "kdf: argon2id ops=1 mem=8192", with: "kdf: argon2id ops=2 mem=8192")
        #expect(throws: KeyFile.UnlockError.wrongPassphrase) { _ = try KeyFile.unlock(changed, passphrase: passphrase("pw")) }
        // Another identity's public line: the AEAD binds it too.
        let other = Identity.generate().publicKey.line
        let swappedPublic = recrafted(file, replacing: "public: " + identity.publicKey.line, with: "public: " + other)
        #expect(throws: KeyFile.UnlockError.wrongPassphrase) { _ = try KeyFile.unlock(swappedPublic, passphrase: passphrase("pw")) }
    }

    @Test func newKeysUseModerateByDefault() {
        // Only a debug build with AMANAH_INSECURE_TEST_KDF=1 lowers the parameters.
        if ProcessInfo.processInfo.environment["AMANAH_INSECURE_TEST_KDF"] != "1" {
            #expect(PasswordHash.Parameters.forNewKeys() == .moderate)
        }
    }
}

/// Shamir secret sharing.
struct ShamirTests {
    @Test func gf256Arithmetic() {
        // AES field: 0x53 and 0xCA are inverses; 0x57 · 0x83 = 0xC1 (FIPS 197 §4.2).
        #expect(GF256.multiply(0x53, 0xCA) == 0x01)
        #expect(GF256.multiply(0x57, 0x83) == 0xC1)
        for a in 1...255 { #expect(GF256.multiply(UInt8(a), GF256.inverse(UInt8(a))) == 1) }
    }

    @Test func everySubsetOfThresholdRebuilds() throws {
        let secretValue = SecretBytes.random(count: 32)
        let shares = try Shamir.split(secretValue, threshold: 3, shareCount: 5)
        #expect(shares.map(\.index) == [1, 2, 3, 4, 5])
        var subsets = 0
        for a in 0..<5 { for b in (a + 1)..<5 { for c in (b + 1)..<5 {
            #expect(try Shamir.combine([shares[a], shares[b], shares[c]]).constantTimeEquals(secretValue))
            subsets += 1
        } } }
        #expect(subsets == 10)
        #expect(try Shamir.combine(shares).constantTimeEquals(secretValue))
    }

    @Test func belowThresholdFails() throws {
        let shares = try Shamir.split(SecretBytes.random(count: 16), threshold: 3, shareCount: 5)
        #expect(throws: CryptoError.sharing("need 3 shares, have 2")) { _ = try Shamir.combine([shares[0], shares[4]]) }
        #expect(throws: CryptoError.sharing("duplicate share index 1")) { _ = try Shamir.combine([shares[0], shares[0], shares[1]]) }
        #expect(throws: CryptoError.self) { _ = try Shamir.split(SecretBytes.random(count: 16), threshold: 6, shareCount: 5) }
    }

    @Test func modifiedShareIsDetectedByItsCommitment() throws {
        let secretValue = SecretBytes.random(count: 32)
        let shares = try Shamir.split(secretValue, threshold: 2, shareCount: 3)
        let salt = Array("recovery-key-1".utf8)
        let commitments = shares.map { $0.commitment(salt: salt) }
        var forged = shares[1].value.duplicate()
        forged.withUnsafeMutableBytes { $0[0] ^= 1 }
        let bad = ShamirShare(index: 2, threshold: 2, value: forged)
        #expect(bad.commitment(salt: salt) != commitments[1])
        #expect(shares[1].commitment(salt: salt) == commitments[1])
        // Without the commitment check, the forged share silently yields a wrong secret.
        #expect(!(try Shamir.combine([shares[0], bad]).constantTimeEquals(secretValue)))
        // Serialisation round trip.
        let restored = try ShamirShare.deserialize(shares[2].serialized())
        #expect(restored.index == 3 && restored.threshold == 2 && restored.value.constantTimeEquals(shares[2].value))
    }
}
