import Testing
@testable import VaultCrypto

/// Known-answer tests for each primitive, against published vectors.
struct KnownAnswerTests {
    @Test func sha256OfABC() {
        // FIPS 180-4 example "abc".
        #expect(Hex.encode(SHA256Digest.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var hasher = ContentHasher()
        hasher.update(Array("a".utf8))
        hasher.update(Array("bc".utf8))
        #expect(Hex.encode(hasher.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func blake2b512OfABC() {
        // RFC 7693 Appendix A.
        let expected = "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        #expect(Hex.encode(BLAKE2b.hash(Array("abc".utf8), outputLength: 64)) == expected)
        var hasher = BLAKE2bHasher(outputLength: 64)
        hasher.update(Array("ab".utf8))
        hasher.update(Array("c".utf8))
        #expect(Hex.encode(hasher.finalize()) == expected)
    }

    @Test func keyedBLAKE2bDependsOnKey() {
        let k1 = SecretBytes.random(count: 32)
        let k2 = SecretBytes.random(count: 32)
        let a = BLAKE2b.keyedHash(Array("٣٤٥٦/٢١٥".utf8), key: k1)
        #expect(a == BLAKE2b.keyedHash(Array("٣٤٥٦/٢١٥".utf8), key: k1))
        #expect(a != BLAKE2b.keyedHash(Array("٣٤٥٦/٢١٥".utf8), key: k2))
        #expect(a.count == 32)
    }

    @Test func hmacSHA256RFC4231Case2() {
        let tag = HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: secret(Hex.encode(Array("Jefe".utf8))))
        #expect(Hex.encode(tag) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func hkdfSHA256RFC5869Case1() {
        let okm = HKDFSHA256.deriveKey(inputKeyMaterial: secret(String(repeating: "0b", count: 22)),
                                       salt: hex("000102030405060708090a0b0c"), info: hex("f0f1f2f3f4f5f6f7f8f9"), length: 42)
        #expect(Hex.encode(okm.unprotectedCopy()) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    }

    static let sunscreen = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)

    @Test func chacha20Poly1305RFC8439() {
        // RFC 8439 §2.8.2.
        let key = secret("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
        let sealed = ChaCha20Poly1305.seal(Self.sunscreen, key: key, nonce: hex("070000004041424344454647"),
                                           associatedData: hex("50515253c0c1c2c3c4c5c6c7"))
        let expected = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691"
        #expect(Hex.encode(sealed) == expected)
        #expect(ChaCha20Poly1305.open(sealed, key: key, nonce: hex("070000004041424344454647"), associatedData: hex("50515253c0c1c2c3c4c5c6c7")) == Self.sunscreen)
        var flipped = sealed
        flipped[10] ^= 1
        #expect(ChaCha20Poly1305.open(flipped, key: key, nonce: hex("070000004041424344454647"), associatedData: hex("50515253c0c1c2c3c4c5c6c7")) == nil)
    }

    @Test func xchacha20Poly1305DraftVector() throws {
        // draft-irtf-cfrg-xchacha-03 Appendix A.3.1.
        let key = secret("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
        let sealed = hex("404142434445464748494a4b4c4d4e4f5051525354555657")
            + hex("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e")
            + hex("c0875924c1c7987947deafd8780acf49")
        let opened = try XChaCha20Poly1305.open(sealed, key: key, associatedData: hex("50515253c0c1c2c3c4c5c6c7"))
        #expect(opened.unprotectedCopy() == Self.sunscreen)
        #expect(throws: CryptoError.authenticationFailed) {
            _ = try XChaCha20Poly1305.open(sealed, key: key, associatedData: hex("50515253c0c1c2c3c4c5c6c8"))
        }
    }

    @Test func xchacha20RoundTripAndFlips() throws {
        let key = SecretBytes.random(count: 32)
        let ad = Array("vault|case|C-1|place".utf8)
        let sealed = try XChaCha20Poly1305.seal(Array("Den Haag".utf8), key: key, associatedData: ad)
        #expect(sealed.count == 8 + 40)
        #expect(try XChaCha20Poly1305.open(sealed, key: key, associatedData: ad).unprotectedCopy() == Array("Den Haag".utf8))
        for index in sealed.indices {
            var flipped = sealed
            flipped[index] ^= 0x80
            #expect(throws: CryptoError.authenticationFailed) { _ = try XChaCha20Poly1305.open(flipped, key: key, associatedData: ad) }
        }
        // Two seals of the same value differ (random nonce).
        #expect(try XChaCha20Poly1305.seal(Array("x".utf8), key: key, associatedData: ad) != XChaCha20Poly1305.seal(Array("x".utf8), key: key, associatedData: ad))
    }

    @Test func x25519RFC7748() throws {
        let alice = secret("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        #expect(Hex.encode(try X25519.publicKey(for: alice)) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        let shared = try X25519.sharedSecret(secretKey: alice, publicKey: hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))
        #expect(Hex.encode(shared.unprotectedCopy()) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        // A low-order point gives an all-zero secret, which is refused.
        #expect(throws: CryptoError.self) { _ = try X25519.sharedSecret(secretKey: alice, publicKey: [UInt8](repeating: 0, count: 32)) }
    }

    @Test func ed25519RFC8032Test1() throws {
        let pair = try Ed25519.keyPair(seed: secret("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        #expect(Hex.encode(pair.publicKey) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let signature = Ed25519.signRaw([], secretKey: pair.secretKey)
        #expect(Hex.encode(signature) == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        #expect(Ed25519.verifyRaw(signature, message: [], publicKey: pair.publicKey))
        #expect(!Ed25519.verifyRaw(signature, message: [0], publicKey: pair.publicKey))
    }

    @Test func signingContextsAreSeparate() {
        let pair = Ed25519.generateKeyPair()
        let message = Array("event".utf8)
        let signature = Ed25519.sign(message, context: .auditEvent, secretKey: pair.secretKey)
        #expect(Ed25519.verify(signature, message: message, context: .auditEvent, publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature, message: message, context: .operation, publicKey: pair.publicKey))
        #expect(!Ed25519.verifyRaw(signature, message: message, publicKey: pair.publicKey))
        #expect(SigningContext.auditEvent.signedBytes([1]) == Array("amanah/v1/audit-event".utf8) + [0, 1])
    }

    @Test func argon2idKnownAnswer() throws {
        // Cross-checked with argon2-cffi: hash_secret_raw(..., time_cost=1, memory_cost=8 KiB, parallelism=1, type=ID).
        var pass = Array("correct horse battery staple".utf8)
        let passphrase = SecretBytes(consuming: &pass)
        let key = try PasswordHash.deriveKey(passphrase: passphrase, salt: Array("0123456789abcdef".utf8),
                                             parameters: .init(opsLimit: 1, memLimit: 8192))
        #expect(Hex.encode(key.unprotectedCopy()) == "5dd4c928fbd5a4474236ef76d9d8304178fe5df3884d2d383e91b7703327e6c1")
        #expect(PasswordHash.Parameters.moderate == .init(opsLimit: 3, memLimit: 268_435_456))
        #expect(!PasswordHash.Parameters(opsLimit: 3, memLimit: 1 << 40).isAcceptable)
        #expect(throws: CryptoError.self) {
            _ = try PasswordHash.deriveKey(passphrase: passphrase, salt: Array("0123456789abcdef".utf8), parameters: .init(opsLimit: 100, memLimit: 8192))
        }
    }

    @Test func sealedBoxRoundTrip() throws {
        let pair = X25519.generateKeyPair()
        let other = X25519.generateKeyPair()
        let dataKey = SecretBytes.random(count: 32)
        let sealed = try SealedBox.seal(dataKey, to: pair.publicKey)
        #expect(sealed.count == 32 + 48)
        #expect(try SealedBox.open(sealed, publicKey: pair.publicKey, secretKey: pair.secretKey).constantTimeEquals(dataKey))
        #expect(throws: CryptoError.authenticationFailed) { _ = try SealedBox.open(sealed, publicKey: other.publicKey, secretKey: other.secretKey) }
        var flipped = sealed
        flipped[40] ^= 1
        #expect(throws: CryptoError.authenticationFailed) { _ = try SealedBox.open(flipped, publicKey: pair.publicKey, secretKey: pair.secretKey) }
    }

    @Test func base64IsCanonical() throws {
        #expect(Base64.encode(Array("Ma".utf8)) == "TWE=")
        #expect(try Base64.decode("TWE=") == Array("Ma".utf8))
        #expect(throws: CryptoError.self) { _ = try Base64.decode("TWF=") }      // non-zero trailing bits
        #expect(throws: CryptoError.self) { _ = try Base64.decode("TWE") }       // missing padding
        #expect(throws: CryptoError.self) { _ = try Base64.decode("TW E=") }     // whitespace
        #expect(throws: CryptoError.self) { _ = try Base64.decode("TWE=\n") }    // trailing byte after b64_end
        #expect(try Base64.decode("TWE", variant: .urlSafeNoPadding) == Array("Ma".utf8))
        #expect(throws: CryptoError.self) { _ = try Base64.decode("TWE=", variant: .urlSafeNoPadding) }
        #expect(throws: CryptoError.self) { _ = try Base64.decode("+/8", variant: .urlSafeNoPadding) }
    }

    @Test func padmeKnownValues() {
        // Values of the PURBs paper's algorithm, computed independently.
        let cases: [(UInt64, UInt64)] = [(0, 0), (1, 1), (2, 2), (3, 3), (9, 10), (100, 104), (1000, 1024),
                                         (5_242_888, 5_373_952), (150_000, 151_552), (1_000_000_000, 1_006_632_960)]
        for (length, padded) in cases { #expect(Padme.paddedLength(length) == padded, "L=\(length)") }
        for length in stride(from: UInt64(3), to: 1 << 20, by: 997) {
            let padded = Padme.paddedLength(length)
            #expect(padded >= length && Double(padded - length) <= Double(length) * 0.12 + 1)
        }
    }

    @Test func secretBytesBasics() {
        var a = SecretBytes(count: 4)
        a.withUnsafeMutableBytes { $0.copyBytes(from: [1, 2, 3, 4]) }
        let b = a.duplicate()
        let same = a.constantTimeEquals(b)
        #expect(same)
        #expect(a.slice(1..<3).unprotectedCopy() == [2, 3])
        let c = SecretBytes.random(count: 4)
        #expect(c.count == 4)
        var array: [UInt8] = [9, 9]
        let d = SecretBytes(consuming: &array)
        #expect(array.isEmpty && d.unprotectedCopy() == [9, 9])
    }
}
