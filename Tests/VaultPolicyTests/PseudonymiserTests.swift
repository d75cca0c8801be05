import Testing
import VaultCrypto
@testable import VaultPolicy

@Suite struct PseudonymiserTests {
    static let arabicNFC = "\u{0622}\u{0645}\u{0646}\u{0629} \u{0634}\u{0627}\u{0647}\u{062F} \u{0627}\u{062E}\u{062A}\u{0628}\u{0627}\u{0631}"
    static let arabicNFD = "\u{0627}\u{0653}\u{0645}\u{0646}\u{0629} \u{0634}\u{0627}\u{0647}\u{062F} \u{0627}\u{062E}\u{062A}\u{0628}\u{0627}\u{0631}"

    func pseudonym(_ value: String, for recipient: String, length: Int = Pseudonymiser.defaultLength) throws -> String {
        let key = Fixture.pseudonymKey()
        var pseudonymiser = try Pseudonymiser(key: key, recipient: recipient, length: length)
        return try pseudonymiser.pseudonym(for: value)
    }

    /// Known answers computed independently with Python's hashlib.blake2b (see Vectors/README.md).
    @Test func knownAnswers() throws {
        #expect(try pseudonym("W-0001", for: "demo-tribunal") == "P-TQUUFJLCWX")
        #expect(try pseudonym(PseudonymiserTests.arabicNFC, for: "demo-tribunal") == "P-3UT7LQEWH2")
        #expect(try pseudonym("W-0001", for: "other-tribunal") == "P-SMUE25HBQM")
        #expect(try pseudonym(PseudonymiserTests.arabicNFC, for: "other-tribunal") == "P-O2FLPKT3YP")
        #expect(try pseudonym("value-157264", for: "demo-tribunal", length: 12) == "P-KICPEYGKMOQH")
        #expect(try pseudonym("value-1309150", for: "demo-tribunal", length: 12) == "P-KICPEYGKH63B")
    }

    @Test func nfcAndNfdTwinsShareAPseudonym() throws {
        #expect(Array(PseudonymiserTests.arabicNFC.utf8) != Array(PseudonymiserTests.arabicNFD.utf8))
        #expect(try pseudonym(PseudonymiserTests.arabicNFD, for: "demo-tribunal") == "P-3UT7LQEWH2")
        // The recipient name is normalised too.
        #expect(try pseudonym("W-0001", for: "  demo-tribunal\n") == "P-TQUUFJLCWX")
        // Arabic-Indic digits are the same value as ASCII digits.
        #expect(try pseudonym("W-\u{0660}\u{0660}\u{0660}\u{0661}", for: "demo-tribunal") == "P-TQUUFJLCWX")
        #expect(try pseudonym("W-\u{06F0}\u{06F0}\u{06F0}\u{06F1}", for: "demo-tribunal") == "P-TQUUFJLCWX")
    }

    @Test func stablePerRecipientAndDistinctAcrossRecipientsAndKeys() throws {
        let key = Fixture.pseudonymKey()
        var first = try Pseudonymiser(key: key, recipient: "demo-tribunal")
        var second = try Pseudonymiser(key: key, recipient: "demo-tribunal")
        var other = try Pseudonymiser(key: key, recipient: "other-tribunal")
        var raw = [UInt8](repeating: 0x42, count: 32)
        let otherKey = SecretBytes(consuming: &raw)
        var otherKeyed = try Pseudonymiser(key: otherKey, recipient: "demo-tribunal")
        var seen = Set<String>()
        for index in 0..<200 {
            let value = "W-\(index)"
            let a = try first.pseudonym(for: value)
            #expect(a == (try second.pseudonym(for: value)))
            #expect(a != (try other.pseudonym(for: value)))
            #expect(a != (try otherKeyed.pseudonym(for: value)))
            #expect(a.hasPrefix("P-") && a.count == 12)
            #expect(a.dropFirst(2).allSatisfy { "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".contains($0) })
            seen.insert(a)
        }
        #expect(seen.count == 200)
        #expect(first.issuedCount == 200)
        #expect(try first.pseudonym(for: "W-0") == (try first.pseudonym(for: "W-0")))
        #expect(first.issuedCount == 200)
    }

    @Test func bidiControlsMakeADifferentValue() throws {
        #expect(try pseudonym("\u{202E}رانيا\u{202C} Test", for: "demo-tribunal")
                != (try pseudonym("رانيا Test", for: "demo-tribunal")))
    }

    @Test func emptyValuesStayEmpty() throws {
        #expect(try pseudonym("", for: "demo-tribunal") == "")
        #expect(try pseudonym("  \n", for: "demo-tribunal") == "")
    }

    @Test func collisionsWithinAReleaseAreDetected() throws {
        let key = Fixture.pseudonymKey()
        var short = try Pseudonymiser(key: key, recipient: "demo-tribunal", length: 8)
        #expect(try short.pseudonym(for: "value-157264") == "P-KICPEYGK")
        #expect(try short.pseudonym(for: "value-157264") == "P-KICPEYGK")
        #expect(throws: RedactionError.pseudonymCollision(length: 8)) { try short.pseudonym(for: "value-1309150") }
    }

    @Test func aReleaseLengthensPseudonymsOnCollision() throws {
        let policy = try Policy(parsing: Fixture.defaultPolicy(
            replacing: "[profiles.tribunal-protected.case]\nid = \"keep\"",
            with: "[profiles.tribunal-protected.case]\nid = { action = \"pseudonymise\", code = \"D\" }"))
        let records = [
            ReleaseRecord(kind: .case, label: "case 1", fields: ["id": .text("value-157264")]),
            ReleaseRecord(kind: .case, label: "case 2", fields: ["id": .text("value-1309150")]),
        ]
        let key = Fixture.pseudonymKey()
        let release = try policy.redactRelease(records, profile: "tribunal-protected", recipient: "demo-tribunal",
                                               pseudonymKey: key, pseudonymLength: 8)
        #expect(release.lengthened)
        #expect(release.pseudonymLength == 12)
        #expect(release.records.map { $0.fields["id"] } == [.text("P-KICPEYGKMOQH"), .text("P-KICPEYGKH63B")])
        let normal = try policy.redactRelease(records, profile: "tribunal-protected", recipient: "demo-tribunal",
                                              pseudonymKey: key)
        #expect(!normal.lengthened)
        #expect(normal.pseudonymLength == Pseudonymiser.defaultLength)
    }

    @Test func badParametersAreRefused() {
        var raw = [UInt8](repeating: 1, count: 15)
        let short = SecretBytes(consuming: &raw)
        #expect(throws: RedactionError.invalidPseudonymKey(bytes: 15)) {
            _ = try Pseudonymiser(key: short, recipient: "demo-tribunal")
        }
        let key = Fixture.pseudonymKey()
        #expect(throws: RedactionError.invalidPseudonymLength(7)) {
            _ = try Pseudonymiser(key: key, recipient: "demo-tribunal", length: 7)
        }
        #expect(throws: RedactionError.invalidPseudonymLength(53)) {
            _ = try Pseudonymiser(key: key, recipient: "demo-tribunal", length: 53)
        }
        #expect(throws: RedactionError.recipientRequired) { _ = try Pseudonymiser(key: key, recipient: " ") }
    }

    @Test func base32FollowsRFC4648() {
        // RFC 4648 §10 test vectors, padding removed.
        let vectors = ["": "", "f": "MY", "fo": "MZXQ", "foo": "MZXW6", "foob": "MZXW6YQ", "fooba": "MZXW6YTB",
                       "foobar": "MZXW6YTBOI"]
        for (input, output) in vectors { #expect(Base32.encode(Array(input.utf8)) == output) }
        #expect(Base32.encode([UInt8](repeating: 0xff, count: 32)).count == 52)
    }
}
