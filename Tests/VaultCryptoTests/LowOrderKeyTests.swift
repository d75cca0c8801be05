import Testing
import VaultCrypto

/// Issue 16: a public key whose X25519 half is a low-order point was accepted (by key parsing, so by
/// `add-member`), after which every wrap sealed to it failed and with it every command of every member.
@Suite struct LowOrderKeyTests {
    /// The points of order 1, 2, 4 and 8 and their non-canonical forms (p − 1, p, p + 1), as listed for
    /// Curve25519 (RFC 7748 §6.1 asks that their all-zero output be refused).
    static let lowOrder = [
        String(repeating: "00", count: 32),
        "01" + String(repeating: "00", count: 31),
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ec" + String(repeating: "ff", count: 30) + "7f",
        "ed" + String(repeating: "ff", count: 30) + "7f",
        "ee" + String(repeating: "ff", count: 30) + "7f",
    ]

    @Test func lowOrderPointsAreRecognisedAndOthersAreNot() throws {
        for hex in Self.lowOrder { #expect(X25519.hasLowOrder(try Hex.decode(hex)), "\(hex)") }
        #expect(!X25519.hasLowOrder([9] + [UInt8](repeating: 0, count: 31)))   // the base point
        #expect(!X25519.hasLowOrder(X25519.generateKeyPair().publicKey))
        #expect(X25519.hasLowOrder([1, 2, 3]))                                  // not 32 bytes
    }

    /// A correctly self-signed public key line whose X25519 half is low-order is refused when parsed.
    @Test func aSelfSignedKeyWithALowOrderHalfIsRefused() throws {
        let line = try Self.lowOrderKeyLine()
        #expect(throws: CryptoError.invalidEncoding("public key's X25519 half is a low-order point: nothing sealed to it could be opened")) {
            try MemberPublicKey(line: line)
        }
    }

    /// A public key line with a valid self-signature over a low-order X25519 key (what an attacker can make).
    static func lowOrderKeyLine() throws -> String {
        let signing = Ed25519.generateKeyPair()
        let encryption = try Hex.decode(lowOrder[2])
        let keyID = MemberPublicKey.keyID(signingKey: signing.publicKey, encryptionKey: encryption)
        let signature = Ed25519.sign(signing.publicKey + encryption, context: .publicKey, secretKey: signing.secretKey)
        return MemberPublicKey.prefix + Base64.encode(signing.publicKey + encryption + keyID + signature, variant: .urlSafeNoPadding)
    }
}
