import VaultPlatform
import Foundation
import Testing
import VaultCrypto
import VaultFormats

@Suite("Bech32")
struct Bech32Tests {
    @Test("BIP 173 valid strings decode; re-encoding gives the lower-case string")
    func validStrings() throws {
        for text in ["A12UEL5L", "a12uel5l", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
                     "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w"] {
            let decoded = try Bech32.decode(text)
            #expect(Bech32.encode(hrp: decoded.hrp, data: decoded.data) == text.lowercased())
        }
        #expect(try Bech32.decode("A12UEL5L").hrp == "A", "the prefix keeps its case")
        // Valid checksums over 5-bit groups that do not regroup into whole bytes: padding errors, not checksum
        // errors (two leftover bits that are not zero; seven leftover bits, more than a group).
        #expect(throws: Bech32.DecodingError.badPadding) { try Bech32.decode("a1ppjxu3w5") }
        #expect(throws: Bech32.DecodingError.badPadding) { try Bech32.decode("a1qqqd87cpp") }
    }

    @Test("BIP 173 invalid strings are refused for the right reason")
    func invalidStrings() {
        let cases: [(String, Bech32.DecodingError)] = [
            ("pzry9x0s0muk", .malformed),          // no separator
            ("1pzry9x0s0muk", .malformed),         // empty prefix
            ("x1b4n0q5v", .invalidCharacter),      // "b" is not in the alphabet
            ("li1dgmt3", .malformed),              // checksum too short
            ("A1G7SGD8", .badChecksum),            // checksum computed with an upper-case prefix
            ("10a06t8", .malformed),               // empty prefix
            ("A12uEL5L", .mixedCase),
            ("a12uel5l\u{7f}", .invalidCharacter),
            ("a12uel5m", .badChecksum),
        ]
        for (text, expected) in cases {
            #expect(throws: expected, "\(text)") { try Bech32.decode(text) }
        }
    }

    @Test("the age spec's example identity decodes to 32 bytes of 0x42")
    func specExample() throws {
        let decoded = try Bech32.decode("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX")
        #expect(decoded.hrp == "AGE-SECRET-KEY-")
        #expect(decoded.data == [UInt8](repeating: 0x42, count: 32))
        #expect(Bech32.encode(hrp: "AGE-SECRET-KEY-", data: decoded.data, uppercase: true)
                == "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX")
    }
}

@Suite("age keys")
struct AgeKeyTests {
    // Public keys computed by stock `age-keygen -y` from the secret keys.
    static let specIdentity = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
    static let specRecipient = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"
    static let testkitIdentity = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"
    static let testkitRecipient = "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef"

    @Test("identities give the recipients stock age-keygen computes, and re-encode exactly")
    func identityToRecipient() throws {
        for (identity, recipient) in [(Self.specIdentity, Self.specRecipient), (Self.testkitIdentity, Self.testkitRecipient)] {
            let parsed = try AgeX25519Identity(parsing: identity)
            #expect(parsed.recipient.encoded == recipient)
            #expect(try AgeX25519Recipient(parsing: recipient) == parsed.recipient)
            #expect(parsed.encoded().withUnsafeBytes { Array($0) } == Array(identity.utf8))
        }
    }

    @Test("malformed identities and recipients are refused")
    func malformedKeys() throws {
        let badIdentities = [
            Self.specIdentity.lowercased(),                       // age writes and reads identities upper case
            String(Self.specIdentity.dropLast()) + "Y",           // checksum
            "AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E522W0A7PU2LHT8EH9W6YLNC3SW78XKG",
            Self.specRecipient,                                   // a recipient is not an identity
            Bech32.encode(hrp: "AGE-SECRET-KEY-", data: [UInt8](repeating: 1, count: 31), uppercase: true),
            " " + Self.specIdentity,
        ]
        for text in badIdentities {
            #expect(throws: AgeError.self, "\(text.prefix(20))") { try AgeX25519Identity(parsing: text) }
        }
        let badRecipients = [
            Self.specRecipient.uppercased(),
            String(Self.specRecipient.dropLast()) + "q",
            Bech32.encode(hrp: "age", data: [UInt8](repeating: 1, count: 33)),
            Bech32.encode(hrp: "agf", data: [UInt8](repeating: 1, count: 32)),
        ]
        for text in badRecipients {
            #expect(throws: AgeError.self, "\(text)") { try AgeX25519Recipient(parsing: text) }
        }
    }

    @Test("identity files: comments, blank lines and CRLF are skipped; bad lines name their number")
    func identityFiles() throws {
        let text = "# created: 2024-01-02T10:00:00Z\r\n# public key: \(Self.specRecipient)\r\n\r\n\(Self.specIdentity)\r\n\(Self.testkitIdentity)\n"
        let identities = try AgeIdentityFile.parse(Array(text.utf8))
        #expect(identities.map(\.recipient.encoded) == [Self.specRecipient, Self.testkitRecipient])

        #expect(throws: AgeError.invalidKey("identity file holds no AGE-SECRET-KEY-1 identity")) {
            try AgeIdentityFile.parse(Array("# only a comment\n".utf8))
        }
        #expect(throws: AgeError.self) { try AgeIdentityFile.parse(Array("# c\n\(Self.specIdentity) \n".utf8)) }
        do {
            _ = try AgeIdentityFile.parse(Array("# c\n\nnot-a-key\n".utf8))
            Issue.record("a garbage line was accepted")
        } catch let AgeError.invalidKey(why) {
            #expect(why.hasPrefix("identity file line 3:"))
        }
    }

    @Test("a generated identity round-trips through its text form")
    func generated() throws {
        let identity = AgeX25519Identity.generate()
        let text = identity.encoded().withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        #expect(text.hasPrefix("AGE-SECRET-KEY-1") && text.count == 74)
        #expect(try AgeX25519Identity(parsing: text).recipient == identity.recipient)
        #expect(identity.recipient.encoded.hasPrefix("age1") && identity.recipient.encoded.count == 62)
    }

    @Test("scrypt matches RFC 7914 section 12")
    func scryptKnownAnswers() throws {
        let empty = SecretBytes(count: 0)
        let first = try Scrypt.deriveKey(passphrase: empty, salt: [], logN: 4, r: 1, p: 1, length: 64)
        #expect(first.unprotectedCopy() == (try Hex.decode(
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")))
        var password = Array("password".utf8)
        let second = try Scrypt.deriveKey(passphrase: SecretBytes(consuming: &password), salt: Array("NaCl".utf8),
                                          logN: 10, r: 8, p: 16, length: 64)
        #expect(second.unprotectedCopy() == (try Hex.decode(
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")))
    }
}

@Suite("age encryption")
struct AgeRoundTripTests {
    static func encrypt(_ plaintext: [UInt8], to recipients: [any AgeRecipient], armored: Bool = false,
                        trickle: Bool = false) throws -> [UInt8] {
        var sink = MemorySink()
        if trickle {
            var source = TricklingSource(plaintext)
            try Age.encrypt(from: &source, to: &sink, recipients: recipients, armored: armored)
        } else {
            var source = MemorySource(plaintext)
            try Age.encrypt(from: &source, to: &sink, recipients: recipients, armored: armored)
        }
        return sink.bytes
    }

    static func decrypt(_ file: [UInt8], with identities: [any AgeIdentity], format: Age.InputFormat = .detect,
                        trickle: Bool = false) throws -> [UInt8] {
        var sink = MemorySink()
        if trickle {
            var source = TricklingSource(file)
            try Age.decrypt(from: &source, to: &sink, identities: identities, format: format)
        } else {
            var source = MemorySource(file)
            try Age.decrypt(from: &source, to: &sink, identities: identities, format: format)
        }
        return sink.bytes
    }

    /// Decrypts and returns the error and how many plaintext bytes were released before it.
    static func failure(_ file: [UInt8], with identities: [any AgeIdentity]) -> (AgeError?, Int) {
        var source = MemorySource(file)
        var sink = MemorySink()
        do {
            try Age.decrypt(from: &source, to: &sink, identities: identities, format: .binary)
            return (nil, sink.bytes.count)
        } catch {
            return (error as? AgeError, sink.bytes.count)
        }
    }

    static let sizes = [0, 1, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 3 * 1024 * 1024 + 17]

    @Test("X25519 round trips at chunk-boundary sizes, binary and armored, with exact ciphertext sizes",
          arguments: sizes)
    func roundTrip(size: Int) throws {
        let identity = AgeX25519Identity.generate()
        let plaintext = TestSupport.pattern(count: size, seed: UInt64(size) + 1)
        let file = try Self.encrypt(plaintext, to: [identity.recipient], trickle: size % 2 == 1)
        let chunks = Swift.max(1, (size + 65535) / 65536)
        let (header, headerLength) = try AgeHeader.parse(file)
        #expect(headerLength == 168)
        #expect(header.stanzas.count == 1 && header.stanzas[0].type == "X25519")
        #expect(file.count == headerLength + 16 + size + 16 * chunks)
        #expect(header.serialized() == Array(file[0..<headerLength]))
        #expect(try Self.decrypt(file, with: [identity], format: .binary, trickle: size % 3 == 0) == plaintext)

        let armored = try Self.encrypt(plaintext, to: [identity.recipient], armored: true)
        let text = String(decoding: armored, as: UTF8.self)
        #expect(text.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----\n"))
        #expect(text.hasSuffix("\n-----END AGE ENCRYPTED FILE-----\n"))
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 64 || $0.hasPrefix("-----") })
        #expect(try Self.decrypt(armored, with: [identity], format: .detect) == plaintext)
        #expect(try Self.decrypt(armored, with: [identity], format: .armored, trickle: true) == plaintext)
    }

    @Test("armor whose last line is full (binary length a multiple of 48) round-trips", arguments: [39, 40, 41, 88])
    func armorLineBoundaries(size: Int) throws {
        let identity = AgeX25519Identity.generate()
        let plaintext = TestSupport.pattern(count: size)
        let armored = try Self.encrypt(plaintext, to: [identity.recipient], armored: true)
        let lines = String(decoding: armored, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(!lines.dropLast().contains(""), "no empty line inside the armor")
        #expect(try Self.decrypt(armored, with: [identity]) == plaintext)
    }

    @Test("several recipients: each identity decrypts; another identity gets no match")
    func multipleRecipients() throws {
        let alice = AgeX25519Identity.generate(), bob = AgeX25519Identity.generate(), eve = AgeX25519Identity.generate()
        let plaintext = TestSupport.pattern(count: 1000)
        let file = try Self.encrypt(plaintext, to: [alice.recipient, bob.recipient])
        #expect(try AgeHeader.parse(file).header.stanzas.count == 2)
        #expect(try Self.decrypt(file, with: [alice]) == plaintext)
        #expect(try Self.decrypt(file, with: [eve, bob]) == plaintext)
        #expect(throws: AgeError.noMatch) { try Self.decrypt(file, with: [eve]) }
        #expect(throws: AgeError.noMatch) { try Self.decrypt(file, with: []) }
    }

    @Test("scrypt: round trip, wrong passphrase, must be alone, work factor limits")
    func scrypt() throws {
        func secret(_ text: String) -> SecretBytes {
            var bytes = Array(text.utf8)
            return SecretBytes(consuming: &bytes)
        }
        let plaintext = TestSupport.pattern(count: 70_000)
        let recipient = try AgeScryptRecipient(passphrase: secret("correct horse"), workFactor: 10)
        let file = try Self.encrypt(plaintext, to: [recipient])
        let header = try AgeHeader.parse(file).header
        #expect(header.stanzas.map(\.type) == ["scrypt"] && header.stanzas[0].arguments[1] == "10")
        #expect(try Self.decrypt(file, with: [AgeScryptIdentity(passphrase: secret("correct horse"))]) == plaintext)
        #expect(throws: AgeError.noMatch) {
            try Self.decrypt(file, with: [AgeScryptIdentity(passphrase: secret("wrong horse"))])
        }
        #expect(throws: AgeError.header("the scrypt work factor 10 is above 9")) {
            try Self.decrypt(file, with: [AgeScryptIdentity(passphrase: secret("correct horse"), maximumWorkFactor: 9)])
        }
        #expect(throws: AgeError.self) {
            try Self.encrypt(plaintext, to: [recipient, AgeX25519Identity.generate().recipient])
        }
        #expect(throws: AgeError.self) { try AgeScryptRecipient(passphrase: secret("x"), workFactor: 23) }
        #expect(throws: AgeError.self) { try AgeScryptRecipient(passphrase: secret(""), workFactor: 10) }
        #expect(AgeScryptRecipient.defaultWorkFactor == 18 && AgeScryptRecipient.maximumWorkFactor == 22)
    }

    @Test("no recipients and low-order recipients are refused")
    func badRecipients() throws {
        #expect(throws: AgeError.invalidArgument("no recipients")) { try Self.encrypt([1, 2, 3], to: []) }
        let lowOrder = try AgeX25519Recipient(publicKey: [UInt8](repeating: 0, count: 32))
        #expect(throws: AgeError.self) { try Self.encrypt([1, 2, 3], to: [lowOrder]) }
    }

    @Test("every single-byte flip, truncation or extension of a two-chunk file fails, in the right class")
    func byteFlips() throws {
        let identity = AgeX25519Identity.generate()
        let plaintext = TestSupport.pattern(count: 65536 + 1000)
        let file = try Self.encrypt(plaintext, to: [identity.recipient])
        let headerLength = try AgeHeader.parse(file).length
        let nonceEnd = headerLength + 16
        let secondChunk = nonceEnd + 65536 + 16
        // A sample of positions across header, nonce, both chunks and both tags.
        var positions = Array(0..<headerLength)
        positions += Array(headerLength..<nonceEnd)
        positions += [nonceEnd, nonceEnd + 1, nonceEnd + 30_000, secondChunk - 17, secondChunk - 16, secondChunk - 1]
        positions += [secondChunk, secondChunk + 500, file.count - 17, file.count - 1]
        for position in positions {
            var damaged = file
            damaged[position] ^= 0x01
            let (error, released) = Self.failure(damaged, with: [identity])
            guard let error else { Issue.record("flip at \(position) decrypted"); continue }
            switch position {
            case ..<headerLength:
                #expect([.header, .noMatch, .headerMAC].contains(Self.kind(error)), "flip at \(position): \(error)")
                #expect(released == 0)
            case ..<secondChunk:
                #expect(Self.kind(error) == .payload, "flip at \(position): \(error)")
                #expect(released == 0, "flip at \(position) released \(released) bytes")
            default:
                #expect(Self.kind(error) == .payload, "flip at \(position): \(error)")
                #expect(released == 65536, "flip at \(position) released \(released) bytes")
            }
        }
        let truncations: [(String, [UInt8])] = [
            ("last byte dropped", Array(file.dropLast())),
            ("one byte appended", file + [0]),
            ("last chunk dropped", Array(file[0..<secondChunk])),
            ("nonce only", Array(file[0..<nonceEnd])),
            ("nonce cut", Array(file[0..<(nonceEnd - 1)])),
        ]
        for (what, damaged) in truncations {
            let (error, _) = Self.failure(damaged, with: [identity])
            let expected: Kind = what == "nonce cut" ? .header : .payload
            #expect(error.map(Self.kind) == expected, "\(what): \(String(describing: error))")
        }
    }

    enum Kind { case armor, header, noMatch, headerMAC, payload, other }

    static func kind(_ error: AgeError) -> Kind {
        switch error {
        case .armor: return .armor
        case .header: return .header
        case .noMatch: return .noMatch
        case .headerMAC: return .headerMAC
        case .payload: return .payload
        default: return .other
        }
    }

    @Test("a stanza with a forged MAC cannot pass: changing a recipient requires the file key")
    func headerMACBinding() throws {
        let alice = AgeX25519Identity.generate()
        let file = try Self.encrypt(TestSupport.pattern(count: 10), to: [alice.recipient])
        let (header, length) = try AgeHeader.parse(file)
        // Add a grease stanza and keep the old MAC: the MAC covers every stanza.
        let grease = try AgeStanza(type: "example.com/grease", arguments: ["x"], body: [1, 2, 3])
        let forged = try AgeHeader(stanzas: header.stanzas + [grease], mac: header.mac)
        let damaged = forged.serialized() + Array(file[length...])
        #expect(throws: AgeError.headerMAC) { try Self.decrypt(damaged, with: [alice], format: .binary) }
    }
}
