import Foundation
import Testing
import VaultCrypto
import VaultFormats

@Suite("minisign")
struct MinisignTests {
    static func c16(_ name: String) throws -> [UInt8] { try TestSupport.vector("minisign-C16/" + name) }

    static let signatureFiles = ["legacy-Ed.minisig", "prehashed-ED.minisig", "prehashed-ED-tampered-trusted-comment.minisig",
                                 "prehashed-ED-wrong-keyid.minisig", "prehashed-ED-alg-Ed-label.minisig"]
    static let messages = ["test.txt", "test-newline.txt"]

    /// What each expected.json verdict means in terms of `MinisignVerification` (legacy signatures allowed,
    /// so that the cryptographic reason shows).
    static func matches(_ verdict: String, _ result: MinisignVerification) -> Bool {
        switch verdict {
        case "valid": return result.isValid
        case "invalid (global signature)": return result == .invalidGlobalSignature
        case "invalid (key id mismatch)":
            if case .keyIDMismatch = result { return true } else { return false }
        case "invalid", "invalid (signature is over BLAKE2b(msg), not msg)": return result == .invalidSignature
        default: return false
        }
    }

    @Test("C16: every signature × message combination verifies as expected.json says (and the derived ones fail)")
    func c16Combinations() throws {
        let expected = try JSONSerialization.jsonObject(with: Data(try Self.c16("expected.json"))) as? [String: String] ?? [:]
        #expect(expected.count == 7)
        let publicKey = try MinisignPublicKey(fileContents: try Self.c16("minisign.pub"))
        var checked = 0
        for signatureFile in Self.signatureFiles {
            let signature = try MinisignSignature(fileContents: try Self.c16(signatureFile))
            for message in Self.messages {
                let key = "\(signatureFile) + \(message)"
                let result = try signature.verify(message: try Self.c16(message), publicKey: publicKey, allowLegacy: true)
                if let verdict = expected[key] {
                    #expect(Self.matches(verdict, result), "\(key): expected \(verdict), got \(result)")
                    checked += 1
                } else {
                    // The three derived negatives over the other message: invalid, for their own reason.
                    #expect(!result.isValid, "\(key) verified")
                }
                // With the default policy, "Ed"-labelled signatures are refused before any cryptography.
                let strict = try signature.verify(message: try Self.c16(message), publicKey: publicKey)
                if signature.algorithm == .legacy && signature.keyID == publicKey.keyID {
                    #expect(strict == .legacyRefused, "\(key): \(strict)")
                } else {
                    #expect(strict == result, "\(key): \(strict)")
                }
            }
        }
        #expect(checked == 7)
    }

    @Test("C16: exact reasons, trusted comments and key ids")
    func c16Details() throws {
        let publicKey = try MinisignPublicKey(fileContents: try Self.c16("minisign.pub"))
        #expect(publicKey.keyIDText == "E7620F1842B4E81F")
        #expect(publicKey.base64 == "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3")
        let message = try Self.c16("test.txt")

        let prehashed = try MinisignSignature(fileContents: try Self.c16("prehashed-ED.minisig"))
        #expect(prehashed.algorithm == .prehashed)
        #expect(try prehashed.verify(message: message, publicKey: publicKey)
                == .valid(trustedComment: "timestamp:1635443258\tfile:test\thashed"))

        let legacy = try MinisignSignature(fileContents: try Self.c16("legacy-Ed.minisig"))
        #expect(try legacy.verify(message: message, publicKey: publicKey, allowLegacy: true)
                == .valid(trustedComment: "timestamp:1635442742\tfile:test"))

        let wrongKey = try MinisignSignature(fileContents: try Self.c16("prehashed-ED-wrong-keyid.minisig"))
        let mismatch = try wrongKey.verify(message: message, publicKey: publicKey)
        #expect(mismatch == .keyIDMismatch(signatureKeyID: "E7620F1842B4E81E", publicKeyID: "E7620F1842B4E81F"))
        #expect(mismatch.description.contains("E7620F1842B4E81E") && mismatch.description.contains("E7620F1842B4E81F"))
    }

    @Test("C16 signature and key files serialise back to their exact bytes")
    func c16RoundTrip() throws {
        for name in Self.signatureFiles {
            let bytes = try Self.c16(name)
            #expect(try MinisignSignature(fileContents: bytes).fileContents == bytes, "\(name)")
        }
        let keyFile = try Self.c16("minisign.pub")
        let key = try MinisignPublicKey(fileContents: keyFile)
        #expect(Array(try key.fileContents().utf8) == keyFile)
    }

    @Test("an Amanah identity signs ED signatures with its key id; tampering is caught in order")
    func signWithIdentity() throws {
        let identity = Identity.generate()
        let other = Identity.generate()
        let publicKey = MinisignPublicKey(member: identity.publicKey)
        #expect(publicKey.keyID == identity.publicKey.keyID)
        #expect(publicKey.publicKey == identity.publicKey.signingKey)
        let message = TestSupport.pattern(count: 200_000)
        let signature = try MinisignSignature.sign(message: message, identity: identity,
                                                   trustedComment: "bundle B-1 sha256 0123abcd")
        #expect(signature.algorithm == .prehashed)
        #expect(signature.keyID == identity.publicKey.keyID)
        #expect(try signature.verify(message: message, publicKey: publicKey) == .valid(trustedComment: "bundle B-1 sha256 0123abcd"))

        var changed = message
        changed[12345] ^= 0x80
        #expect(try signature.verify(message: changed, publicKey: publicKey) == .invalidSignature)

        let reparsed = try MinisignSignature(fileContents: signature.fileContents)
        #expect(reparsed == signature)
        var text = String(decoding: signature.fileContents, as: UTF8.self)
        text = text.replacingOccurrences(of: "B-1", with: "B-2")
        let tampered = try MinisignSignature(fileContents: Array(text.utf8))
        #expect(try tampered.verify(message: message, publicKey: publicKey) == .invalidGlobalSignature)
        // Both the comment and the message wrong: the global signature is checked first (issue 8's order).
        #expect(try tampered.verify(message: changed, publicKey: publicKey) == .invalidGlobalSignature)

        let otherKey = MinisignPublicKey(member: other.publicKey)
        if case .keyIDMismatch = try signature.verify(message: message, publicKey: otherKey) {} else {
            Issue.record("another member's key must give a key id mismatch")
        }
        // Same key id but another key (a forged key file): the signatures fail.
        let forgedKey = try MinisignPublicKey(keyID: identity.publicKey.keyID, publicKey: other.publicKey.signingKey)
        #expect(try signature.verify(message: message, publicKey: forgedKey) == .invalidGlobalSignature)
    }

    @Test("comments with line breaks or NUL, and over-long comments, are refused")
    func commentRules() throws {
        let identity = Identity.generate()
        for comment in ["two\nlines", "cr\rhere", "nul\u{0}here", String(repeating: "x", count: 8001)] {
            #expect(throws: MinisignError.self) {
                try MinisignSignature.sign(message: [1], identity: identity, trustedComment: comment)
            }
        }
        #expect(throws: MinisignError.self) {
            try MinisignSignature.sign(message: [1], identity: identity, trustedComment: "ok", untrustedComment: "a\nb")
        }
        #expect(throws: MinisignError.self) {
            try MinisignPublicKey(member: identity.publicKey).fileContents(untrustedComment: "a\nb")
        }
    }

    @Test("malformed signature and key files are refused")
    func malformed() throws {
        let good = String(decoding: try Self.c16("prehashed-ED.minisig"), as: UTF8.self)
        let lines = good.split(separator: "\n").map(String.init)
        let bad: [String] = [
            lines[0...2].joined(separator: "\n") + "\n",                                   // three lines
            good + "extra\n",                                                            // five lines
            "comment: x\n" + lines[1...3].joined(separator: "\n") + "\n",                // untrusted prefix
            [lines[0], lines[1], "trusted: x", lines[3]].joined(separator: "\n") + "\n",   // trusted prefix
            [lines[0], String(lines[1].dropLast(2)), lines[2], lines[3]].joined(separator: "\n") + "\n",  // short
            [lines[0], lines[1], lines[2], lines[3] + "=="].joined(separator: "\n") + "\n",  // not canonical
        ]
        for text in bad {
            #expect(throws: MinisignError.self) { try MinisignSignature(fileContents: Array(text.utf8)) }
        }
        // An unknown algorithm ("EX") is named as such.
        var packed = try Base64.decode(lines[1])
        packed[1] = UInt8(ascii: "X")
        let unknown = [lines[0], Base64.encode(packed), lines[2], lines[3]].joined(separator: "\n") + "\n"
        #expect(throws: MinisignError.unsupportedAlgorithm("\"EX\"")) { try MinisignSignature(fileContents: Array(unknown.utf8)) }
        // CRLF line ends are accepted.
        let crlf = good.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try MinisignSignature(fileContents: Array(crlf.utf8)) == MinisignSignature(fileContents: Array(good.utf8)))

        #expect(throws: MinisignError.self) { try MinisignPublicKey(base64: "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO") }
        #expect(throws: MinisignError.self) { try MinisignPublicKey(fileContents: Array("RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\n".utf8)) }
        var keyBytes = try Base64.decode("RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3")
        keyBytes[1] = UInt8(ascii: "D")
        #expect(throws: MinisignError.unsupportedAlgorithm("\"ED\"")) { try MinisignPublicKey(base64: Base64.encode(keyBytes)) }
    }
}
