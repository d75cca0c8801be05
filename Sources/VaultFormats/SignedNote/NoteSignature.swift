internal import VaultText
import VaultCrypto

/// One signature line of a signed note (c2sp.org/signed-note, "Signatures"):
/// `— <key name> <base64(key id (4 bytes, big-endian) ‖ signature)>`.
///
/// The value is syntactic only: it says who claims to have signed, not that the signature verifies. Use
/// `SignedNote.verify(against:)` for that. Names compare byte for byte (not by Unicode equivalence), as
/// the key id binds the exact bytes of the name.
public struct NoteSignature: Hashable, Sendable, CustomStringConvertible {
    /// The key name: non-empty UTF-8 with no Unicode white space, no `+` and no control character.
    public let name: String
    /// The 32-bit key id (the first four bytes of the decoded signature, big-endian).
    public let keyID: UInt32
    /// The signature proper: the decoded bytes after the key id (at least 1 byte; 64 for Ed25519, 72 for an
    /// Ed25519 cosignature).
    public let signature: [UInt8]

    /// A signature line from its parts.
    /// - Throws: `SignedNoteError.invalidKeyName` for a bad name, `.invalidLength` for an empty signature.
    public init(name: String, keyID: UInt32, signature: [UInt8]) throws {
        guard NoteText.isValidKeyName(name) else {
            throw SignedNoteError.invalidKeyName("'\(TerminalText.escaped(name))' is empty or has a space, '+' or control character")
        }
        guard !signature.isEmpty else { throw SignedNoteError.invalidLength("signature", expected: 1, actual: 0) }
        self.name = name
        self.keyID = keyID
        self.signature = signature
    }

    /// Parses one signature line, without its final newline.
    /// - Throws: `SignedNoteError.malformedSignatureLine(line: lineNumber, …)` if the line does not start with
    ///   `— `, has no single space between name and signature, has an invalid name, or its signature is not
    ///   canonical standard base64 (RFC 4648 §4, padded) of at least 5 bytes.
    public init(line: String, lineNumber: Int = 1) throws {
        let bytes = Array(line.utf8)
        func fail(_ reason: String) -> SignedNoteError { .malformedSignatureLine(line: lineNumber, reason: reason) }
        guard bytes.starts(with: NoteText.signatureLinePrefix) else { throw fail("does not start with '— '") }
        let rest = bytes[NoteText.signatureLinePrefix.count...]
        guard let space = rest.firstIndex(of: 0x20) else { throw fail("no space between key name and signature") }
        let nameBytes = rest[rest.startIndex..<space]
        let encoded = rest[(space + 1)...]
        guard let name = String(validating: nameBytes, as: UTF8.self), NoteText.isValidKeyName(name) else {
            throw fail("invalid key name")
        }
        guard let text = String(validating: encoded, as: UTF8.self),
              let decoded = try? Base64.decode(text, variant: .standard) else {
            throw fail("signature is not canonical base64")
        }
        guard decoded.count >= 5 else { throw fail("signature has \(decoded.count) bytes, expected at least 5") }
        self.name = name
        self.keyID = NoteText.keyID(decoded[0..<4])
        self.signature = Array(decoded[4...])
    }

    /// The line as written in a note, without the final newline.
    public var line: String {
        "— " + name + " " + Base64.encode(NoteText.bytes(keyID) + signature, variant: .standard)
    }

    /// The key id as 8 lower-case hex digits.
    public var keyIDHex: String { NoteText.hex(keyID) }

    public var description: String { line }

    /// Whether this line names the key `(name, keyID)`, comparing names byte for byte.
    public func isBy(name otherName: String, keyID otherID: UInt32) -> Bool {
        keyID == otherID && name.utf8.elementsEqual(otherName.utf8)
    }

    public static func == (lhs: NoteSignature, rhs: NoteSignature) -> Bool {
        lhs.isBy(name: rhs.name, keyID: rhs.keyID) && lhs.signature == rhs.signature
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(Array(name.utf8))
        hasher.combine(keyID)
        hasher.combine(signature)
    }
}
