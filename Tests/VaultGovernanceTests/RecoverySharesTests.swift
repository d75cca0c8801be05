import Testing
import VaultCrypto
import VaultGovernance

/// The recovery-share bundle (`RecoveryShares.encodeBundle` / `decodeBundle`): its byte layout, round trips,
/// and the malformed bundles it must refuse.
@Suite struct RecoverySharesTests {
    static func bytes(_ secret: borrowing SecretBytes) -> [UInt8] { secret.withUnsafeBytes { Array($0) } }
    static func secret(_ bytes: [UInt8]) -> SecretBytes { var copy = bytes; return SecretBytes(consuming: &copy) }

    @Test func layoutIsMarkerThenDealtSharesThenCompartmentShares() throws {
        let share = SecretBox(Self.secret([7, 2, 0xAA, 0xBB]))
        let compartment = try ShamirShare.deserialize(Self.secret([1, 2, 0xCC]))
        let encoded = Self.bytes(RecoveryShares.encodeBundle(dealt: [(3, share)], compartments: [
            .init(compartment: .identity, kind: "secret", generation: 2, recoveryHolder: "recovery-4", share: compartment),
        ]))
        let expected: [UInt8] = [0xA2, 0, 0, 0, 1,  0, 0, 0, 0, 0, 0, 0, 3,  0, 0, 0, 4,  7, 2, 0xAA, 0xBB,  0, 0, 0, 1]
            + [0, 0, 0, 8] + Array("identity".utf8) + [0, 0, 0, 6] + Array("secret".utf8) + [0, 0, 0, 0, 0, 0, 0, 2]
            + [0, 0, 0, 10] + Array("recovery-4".utf8) + [0, 0, 0, 3, 1, 2, 0xCC]
        #expect(encoded == expected)
        let decoded = try RecoveryShares.decodeBundle(Self.secret(encoded))
        #expect(decoded.dealt.map(\.0) == [3] && decoded.compartments.count == 1)
        #expect(decoded.compartments[0].compartment == .identity && decoded.compartments[0].kind == "secret"
                && decoded.compartments[0].generation == 2 && decoded.compartments[0].recoveryHolder == "recovery-4"
                && Self.bytes(decoded.compartments[0].share.value) == [0xCC])
        // A bundle of the first releases (no marker, dealt shares only) still reads.
        let old = try RecoveryShares.decodeBundle(Self.secret([0, 0, 0, 1,  0, 0, 0, 0, 0, 0, 0, 3,  0, 0, 0, 4,  7, 2, 0xAA, 0xBB]))
        #expect(old.dealt.map(\.0) == [3] && old.compartments.isEmpty)
    }

    @Test func sharesOfTwoGenerationsRoundTripAndRebuildTheSecret() throws {
        let secret = Self.secret(Array(1...32))
        let shares = try Shamir.split(secret, threshold: 2, shareCount: 3)
        let bundle = RecoveryShares.encodeBundle(dealt: [(1, SecretBox(shares[0].serialized())), (2, SecretBox(shares[1].serialized()))], compartments: [])
        let decoded = try RecoveryShares.decodeBundle(bundle).dealt
        #expect(decoded.map(\.0) == [1, 2])
        #expect(decoded.map { $0.1.index } == [shares[0].index, shares[1].index])
        #expect(decoded.map { Self.bytes($0.1.value) } == [Self.bytes(shares[0].value), Self.bytes(shares[1].value)])
        #expect(Self.bytes(try Shamir.combine(decoded.map(\.1))) == Array(1...32))
    }

    @Test func truncatedOrPaddedBundlesAreRefused() throws {
        let share = SecretBox(Self.secret([1, 1, 9, 9, 9]))
        let good = Self.bytes(RecoveryShares.encodeBundle(dealt: [(1, share)], compartments: []))
        #expect(throws: VaultError.integrity("truncated share bundle")) { try RecoveryShares.decodeBundle(Self.secret(Array(good.dropLast()))) }
        #expect(throws: VaultError.integrity("truncated share")) { try RecoveryShares.decodeBundle(Self.secret(Array(good.dropLast(5)))) }
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
