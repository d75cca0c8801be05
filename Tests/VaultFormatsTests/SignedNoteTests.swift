import Foundation
import Testing
import VaultCrypto
@testable import VaultFormats

/// Known answers from the Go reference implementation of signed notes, golang.org/x/mod/sumdb/note,
/// note_test.go (BSD 3-Clause licence, The Go Authors): two Ed25519 verifier keys and their signatures over
/// one text.
enum GoNoteVectors {
    static let peterKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let enochKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
    static let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let peterSig = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    static let enochSig = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
}

/// A cross-implementation vector made for these tests with Python's `cryptography` package from the C2SP
/// texts (not with this code): Ed25519 key from seed SHA-256("amanah cosignature test vector"), name
/// `witness.example/amanah-test`, a type 0x04 cosignature at time 1700000000 and a type 0x01 signature over
/// an Amanah checkpoint body.
enum CrossVectors {
    static let body = "amanah/abababababababababababababababababababababababababababababababab\n42\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    static let cosignerKey = "witness.example/amanah-test+281e19ee+BDF2ewYAA5o9GFdayOXEgoeTTOITxTtyNikYr/RmpGEA"
    static let cosignature = "— witness.example/amanah-test KB4Z7gAAAABlU/EAk5PMewXAULCCUAufbiOaD/OKjJDS/aEv+Z9CTGcNnEv52DpOMsNuXqzzKbrSOrRva94WWbCN0NJLS4sMvj0bDA=="
    static let signerKey = "witness.example/amanah-test+69ccbc7a+ATF2ewYAA5o9GFdayOXEgoeTTOITxTtyNikYr/RmpGEA"
    static let signature = "— witness.example/amanah-test acy8eqPiWIQllpqYgNThZvM3ar2aR1GFU/xM270/7VX9fu/lot6l60qiY7lOkEa/EpUImrNnPu5FajPiR+7iYLN+UAI="
}

@Suite struct SignedNoteTests {
    let peter = try! NoteVerifierKey(vkey: GoNoteVectors.peterKey)
    let enoch = try! NoteVerifierKey(vkey: GoNoteVectors.enochKey)

    @Test func goReferenceNoteVerifiesAndRoundTrips() throws {
        #expect(peter.keyID == 0xc74f20a3 && peter.name == "PeterNeumann" && peter.type == .ed25519)
        #expect(peter.vkey == GoNoteVectors.peterKey)
        #expect(enoch.keyID == 0xaf0cfe78 && enoch.vkey == GoNoteVectors.enochKey)
        #expect(NoteVerifierKey.keyID(name: "PeterNeumann", type: 0x01, publicKey: peter.publicKey) == 0xc74f20a3)

        let input = GoNoteVectors.text + "\n" + GoNoteVectors.peterSig + GoNoteVectors.enochSig
        let note = try SignedNote(parsing: input)
        #expect(note.text == GoNoteVectors.text)
        #expect(note.signatures.map(\.name) == ["PeterNeumann", "EnochRoot"])
        #expect(note.signatures[0].keyID == 0xc74f20a3 && note.signatures[0].signature.count == 64)
        #expect(note.serialized == input, "parse-then-serialise reproduces the input")
        #expect(try SignedNote(parsing: Array(input.utf8)) == note)

        // One known key verifies; the other signature is unknown: ignored but kept.
        guard case let .verified(verified, unverified) = note.verify(against: [peter]) else {
            Issue.record("the Go note did not verify"); return
        }
        #expect(verified.map(\.key) == [peter] && verified[0].timestamp == nil)
        #expect(unverified.map(\.name) == ["EnochRoot"])
        #expect(note.verify(against: [peter, enoch]).verifiedSignatures.count == 2)
        #expect(note.verify(against: [peter, peter]).verifiedSignatures.count == 1, "a repeated trusted key is one key")
        // No known key: rejected (the spec's MUST).
        #expect(note.verify(against: []) == .rejected(.noKnownSignature))
    }

    @Test func signatureFromAnUnknownKeyDoesNotCount() throws {
        let note = try SignedNote(parsing: GoNoteVectors.text + "\n" + GoNoteVectors.enochSig)
        #expect(note.verify(against: [peter]) == .rejected(.noKnownSignature))
        // Same name but a different key (so a different key id): still unknown, ignored.
        let impostor = Identity.generate()
        let other = try NoteVerifierKey(name: "EnochRoot", type: .ed25519, publicKey: impostor.publicKey.signingKey)
        #expect(other.keyID != enoch.keyID)
        #expect(note.verify(against: [other]) == .rejected(.noKnownSignature))
        // Same key id, other name: unknown too (the name is part of what identifies the key).
        #expect(!note.signatures[0].isBy(name: "Enochroot", keyID: enoch.keyID))
    }

    @Test func modifiedTextOrSignatureFails() throws {
        let input = GoNoteVectors.text + "\n" + GoNoteVectors.peterSig
        let changedText = try SignedNote(parsing: input.replacingOccurrences(of: "cryptography", with: "cryptographY"))
        #expect(changedText.verify(against: [peter]) == .rejected(.invalidSignature(name: "PeterNeumann", keyID: 0xc74f20a3)))
        // Every bit of the signature matters.
        let note = try SignedNote(parsing: input)
        let original = note.signatures[0]
        for byte in 0..<original.signature.count {
            var bytes = original.signature
            bytes[byte] ^= 0x01
            let bad = try SignedNote(text: note.text, signatures: [NoteSignature(name: original.name, keyID: original.keyID, signature: bytes)])
            #expect(!bad.verify(against: [peter]).isVerified)
        }
        // A failing signature from a known key rejects the note even when another known one verifies.
        // (Change a byte of the signature proper, past the 4-byte key id.)
        let mixed = try SignedNote(parsing: input.replacingOccurrences(of: "pAcElZ", with: "pAcElY") + GoNoteVectors.enochSig)
        #expect(!mixed.verify(against: [peter, enoch]).isVerified)
        // Too short for Ed25519: invalid, not a trap.
        let short = try SignedNote(text: note.text, signatures: [NoteSignature(name: "PeterNeumann", keyID: 0xc74f20a3, signature: [1])])
        #expect(!short.verify(against: [peter]).isVerified)
    }

    @Test func malformedNotesAreRefused() throws {
        let text = GoNoteVectors.text, sig = GoNoteVectors.peterSig
        // The Go reference's list of malformed messages, plus more.
        let bad: [[UInt8]] = [
            Array(text.utf8),                                          // no signatures
            Array((text + "\n").utf8),                                 // blank line but no signatures
            Array((text + "\n" + sig.dropLast()).utf8),                // last line without newline
            [0x01] + Array((text + "\n" + sig).utf8),                  // control character
            [0xff] + Array((text + "\n" + sig).utf8),                  // not UTF-8
            Array((text + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=").utf8),
            Array((text + "\n" + sig + "Unexpected line.\n").utf8),
            Array((text + "\n" + sig.replacingOccurrences(of: "— ", with: "-- ")).utf8),            // not an em dash
            Array((text + "\n" + sig.replacingOccurrences(of: "—", with: "–")).utf8),               // en dash
            Array((text + "\n" + sig.replacingOccurrences(of: "— ", with: "—")).utf8),              // no space after the dash
            Array((text + "\n" + sig.replacingOccurrences(of: "PeterNeumann ", with: "PeterNeumann  ")).utf8),
            Array((text + "\n" + sig.replacingOccurrences(of: "PeterNeumann", with: "Peter+Neumann")).utf8),
            Array((text + "\n" + sig.replacingOccurrences(of: "PeterNeumann", with: "Peter\u{00a0}Neumann")).utf8),
            Array((text + "\n" + sig.replacingOccurrences(of: "JnAM=", with: "JnAM")).utf8),        // padding missing
            Array((text + "\n" + sig.replacingOccurrences(of: "JnAM=", with: "JnAN=")).utf8),       // non-zero trailing bits
            Array((text + "\n" + "— PeterNeumann AAAA\n").utf8),                                    // 3 bytes, below 5
            Array((text + "\n" + sig + "\n").utf8),                    // trailing blank line
            Array((text + "\n" + sig).replacingOccurrences(of: "\n", with: "\r\n").utf8),           // CRLF
            Array(("\n" + sig).utf8),                                  // empty text
        ]
        for (number, bytes) in bad.enumerated() {
            #expect(throws: SignedNoteError.self, "malformed case \(number)") { try SignedNote(parsing: bytes) }
        }
        // More than 100 signatures is refused; 100 distinct ones are accepted.
        let many = (0..<101).map { try! NoteSignature(name: "k\($0)", keyID: 1, signature: [1, 2, 3]).line + "\n" }
        #expect(throws: SignedNoteError.self) { try SignedNote(parsing: text + "\n" + many.joined()) }
        #expect(try SignedNote(parsing: text + "\n" + many.dropLast().joined()).signatures.count == 100)
    }

    @Test func repeatedSignaturesAreRefused() throws {
        // Go's sumdb/note drops a repeated signature silently; Amanah refuses the note.
        let text = GoNoteVectors.text
        #expect(throws: SignedNoteError.duplicateSignature(name: "PeterNeumann", keyID: "c74f20a3")) {
            try SignedNote(parsing: text + "\n" + GoNoteVectors.peterSig + GoNoteVectors.enochSig + GoNoteVectors.peterSig)
        }
        // Same name and key id with different signature bytes: refused as well.
        let altered = GoNoteVectors.peterSig.replacingOccurrences(of: "pAcElZ", with: "pAcElY")
        #expect(throws: SignedNoteError.self) { try SignedNote(parsing: text + "\n" + GoNoteVectors.peterSig + altered) }
        var note = try SignedNote(parsing: text + "\n" + GoNoteVectors.peterSig)
        #expect(throws: SignedNoteError.self) { try note.add(note.signatures[0]) }
        #expect(note.signatures.count == 1)
    }

    @Test func textMayContainBlankLinesAndSplitsAtTheLastOne() throws {
        let identity = Identity.generate()
        let text = "first paragraph\n\nsecond paragraph\n"
        let signature = try SignedNote.signature(text: text, name: "example.org/poem", identity: identity)
        let note = try SignedNote(text: text, signatures: [signature])
        let parsed = try SignedNote(parsing: note.serialized)
        #expect(parsed.text == text && parsed == note && parsed.serialized == note.serialized)
        let key = try NoteVerifierKey(name: "example.org/poem", type: .ed25519, publicKey: identity.publicKey.signingKey)
        #expect(parsed.verify(against: [key]).isVerified)
    }

    @Test func signingRefusesBadTextsAndNames() throws {
        let identity = Identity.generate()
        for text in ["", "no final newline", "tab\there\n", "nul\u{0}\n", "cosignature/v1\ntime 5\nbody\n"] {
            #expect(throws: SignedNoteError.self) { try SignedNote.signature(text: text, name: "ok", identity: identity) }
        }
        for name in ["", "a b", "a+b", "a\u{2003}b", "tab\tname"] {
            #expect(throws: SignedNoteError.self) { try SignedNote.signature(text: "t\n", name: name, identity: identity) }
            #expect(throws: SignedNoteError.self) { try NoteVerifierKey(name: name, type: .ed25519, publicKey: identity.publicKey.signingKey) }
        }
        #expect(throws: SignedNoteError.self) { try NoteVerifierKey(name: "ok", type: .ed25519, publicKey: [1, 2, 3]) }
        #expect(throws: SignedNoteError.self) { try SignedNote(text: "t\n", signatures: []) }
    }

    @Test func verifierKeyStringsAreStrict() throws {
        let good = GoNoteVectors.peterKey
        for bad in [
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",   // wrong key id
            "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",   // upper-case hex
            "PeterNeumann+c74f20a3+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",   // unknown type
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",    // truncated
            "PeterNeumann+c74f20a3",
            "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            good + "+extra",
        ] {
            #expect(throws: SignedNoteError.self, "\(bad)") { try NoteVerifierKey(vkey: bad) }
        }
        // Any single-character change of a good key is refused (as in the Go tests).
        var bytes = Array(good.utf8)
        for index in bytes.indices {
            bytes[index] &+= 1
            let mangled = String(decoding: bytes, as: UTF8.self)
            #expect((try? NoteVerifierKey(vkey: mangled)) == nil, "mangled at \(index)")
            bytes[index] &-= 1
        }
    }

    @Test func crossImplementationVectorsVerify() throws {
        let cosigner = try NoteVerifierKey(vkey: CrossVectors.cosignerKey)
        let signer = try NoteVerifierKey(vkey: CrossVectors.signerKey)
        #expect(cosigner.type == .cosignatureV1 && signer.type == .ed25519 && cosigner.publicKey == signer.publicKey)
        let input = CrossVectors.body + "\n" + CrossVectors.signature + "\n" + CrossVectors.cosignature + "\n"
        let note = try SignedNote(parsing: input)
        #expect(note.serialized == input)
        guard case let .verified(verified, unverified) = note.verify(against: [signer, cosigner]) else {
            Issue.record("cross-implementation note did not verify"); return
        }
        #expect(unverified.isEmpty)
        #expect(verified.map(\.timestamp) == [nil, 1_700_000_000])
        // The two types under one key do not stand in for each other.
        let swapped = try SignedNote(text: note.text, signatures: [
            NoteSignature(name: note.signatures[0].name, keyID: cosigner.keyID, signature: note.signatures[0].signature)])
        #expect(!swapped.verify(against: [cosigner]).isVerified)
    }

    /// The example of c2sp.org/tlog-cosignature: its signature bytes carry the timestamp of its example
    /// message (1679315147), big-endian after the 4-byte key id.
    @Test func cosignatureLayoutMatchesTheSpecificationExample() throws {
        let line = "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
        let signature = try NoteSignature(line: line)
        #expect(signature.name == "witness.example.com/w1" && signature.keyIDHex == "8d66cf3f")
        #expect(NoteCosignature.timestamp(of: signature.signature) == 1_679_315_147)
        let body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        let message = NoteCosignature.signedMessage(text: Array(body.utf8), timestamp: 1_679_315_147)
        #expect(String(decoding: message, as: UTF8.self) == "cosignature/v1\ntime 1679315147\n" + body)
        #expect(NoteCosignature.timestamp(of: Array(signature.signature.dropLast())) == nil)
        var huge = signature.signature
        huge[0] = 0x80
        #expect(NoteCosignature.timestamp(of: huge) == nil, "timestamps above 2^63 - 1 are refused")
    }

    @Test func cosignatureRoundTripAndModifiedTimestampFails() throws {
        let identity = Identity.generate()
        let body = CrossVectors.body
        let name = "amanah-" + identity.publicKey.keyIDHex
        let cosignature = try NoteCosignature.sign(text: body, name: name, timestamp: 1_700_000_123, identity: identity)
        #expect(cosignature.signature.count == 72)
        let key = try NoteVerifierKey(name: name, type: .cosignatureV1, publicKey: identity.publicKey.signingKey)
        #expect(cosignature.keyID == key.keyID)
        let note = try SignedNote(parsing: try SignedNote(text: body, signatures: [cosignature]).serialized)
        #expect(note.verify(against: [key]).verifiedSignatures.map(\.timestamp) == [1_700_000_123])
        // Change the timestamp (and keep the signature): fails.
        for delta: UInt8 in [1, 2, 0x80] {
            var bytes = cosignature.signature
            bytes[7] ^= delta
            let moved = try SignedNote(text: body, signatures: [NoteSignature(name: name, keyID: key.keyID, signature: bytes)])
            #expect(moved.verify(against: [key]) == .rejected(.invalidSignature(name: name, keyID: key.keyID)))
        }
        // Under the plain Ed25519 type the same key does not accept it.
        let plain = try NoteVerifierKey(name: name, type: .ed25519, publicKey: identity.publicKey.signingKey)
        #expect(note.verify(against: [plain]) == .rejected(.noKnownSignature))
        #expect(throws: SignedNoteError.timestampOutOfRange(UInt64(Int64.max) + 1)) {
            try NoteCosignature.sign(text: body, name: name, timestamp: UInt64(Int64.max) + 1, identity: identity)
        }
    }

    @Test func ambiguousTrustedKeysReject() throws {
        let note = try SignedNote(parsing: GoNoteVectors.text + "\n" + GoNoteVectors.peterSig)
        // Two different trusted keys with the same name and key id cannot both be meant.
        let twin = TwinKey.make(like: peter)
        if let twin {
            #expect(note.verify(against: [peter, twin]) == .rejected(.ambiguousKey(name: "PeterNeumann", keyID: peter.keyID)))
        }
    }
}

/// Finding a second key with a colliding 32-bit key id takes ~2^32 work, so the ambiguity test builds one by
/// hand through the internal memberwise path instead: same name and id, another public key.
enum TwinKey {
    static func make(like key: NoteVerifierKey) -> NoteVerifierKey? {
        NoteVerifierKey(unchecked: key.name, type: key.type, publicKey: [UInt8](repeating: 9, count: 32), keyID: key.keyID)
    }
}
