import Testing
import VaultCrypto
import VaultGovernance

/// The recovery-share bundle (`RecoveryShares.encodeBundle` / `decodeBundle`): its byte layout, round trips,
/// and the malformed bundles it must refuse.
@Suite struct RecoverySharesTests {
    static func bytes(_ secret: borrowing SecretBytes) -> [UInt8] { secret.withUnsafeBytes { Array($0) } }
    static func secret(_ bytes: [UInt8]) -> SecretBytes { var copy = bytes; return SecretBytes(consuming: &copy) }

    @Test func layoutIsCountThenGenerationLengthShare() throws {
        let share = SecretBox(Self.secret([7, 2, 0xAA, 0xBB]))
        let encoded = Self.bytes(RecoveryShares.encodeBundle([(3, share)]))
        #expect(encoded == [0, 0, 0, 1,  0, 0, 0, 0, 0, 0, 0, 3,  0, 0, 0, 4,  7, 2, 0xAA, 0xBB])
    }

    @Test func sharesOfTwoGenerationsRoundTripAndRebuildTheSecret() throws {
        let secret = Self.secret(Array(1...32))
        let shares = try Shamir.split(secret, threshold: 2, shareCount: 3)
        let bundle = RecoveryShares.encodeBundle([(1, SecretBox(shares[0].serialized())), (2, SecretBox(shares[1].serialized()))])
        let decoded = try RecoveryShares.decodeBundle(bundle)
        #expect(decoded.map(\.0) == [1, 2])
        #expect(decoded.map { $0.1.index } == [shares[0].index, shares[1].index])
        #expect(decoded.map { Self.bytes($0.1.value) } == [Self.bytes(shares[0].value), Self.bytes(shares[1].value)])
        #expect(Self.bytes(try Shamir.combine(decoded.map(\.1))) == Array(1...32))
    }

    @Test func truncatedOrPaddedBundlesAreRefused() throws {
        let share = SecretBox(Self.secret([1, 1, 9, 9, 9]))
        let good = Self.bytes(RecoveryShares.encodeBundle([(1, share)]))
        #expect(throws: VaultError.integrity("truncated share")) { try RecoveryShares.decodeBundle(Self.secret(Array(good.dropLast()))) }
        #expect(throws: VaultError.integrity("truncated share bundle")) { try RecoveryShares.decodeBundle(Self.secret(Array(good.prefix(10)))) }
        #expect(throws: VaultError.integrity("trailing bytes in share bundle")) { try RecoveryShares.decodeBundle(Self.secret(good + [0])) }
        #expect(throws: VaultError.integrity("too many shares")) { try RecoveryShares.decodeBundle(Self.secret([0, 0, 1, 0])) }
    }
}

/// The duplicate-detection token: a keyed BLAKE2b-256 (RFC 7693) of `amanah/v1/content` ‖ SHA-256.
@Suite struct ContentTokenTests {
    @Test func knownAnswer() {
        // Python: hashlib.blake2b(b"amanah/v1/content" + bytes([2]) * 32, key=bytes(range(1, 33)), digest_size=32)
        let key = SecretBox(RecoverySharesTests.secret(Array(1...32)))
        let token = ContentToken.make(digest: [UInt8](repeating: 2, count: 32), indexKey: key)
        #expect(Hex.encode(token) == "065d090064f84dad569c583cdd0ab5a48fe893fd7a4e1c9901a9448a5f2a97cd")
        let otherKey = SecretBox(RecoverySharesTests.secret(Array(2...33)))
        #expect(ContentToken.make(digest: [UInt8](repeating: 2, count: 32), indexKey: otherKey) != token)
    }
}
