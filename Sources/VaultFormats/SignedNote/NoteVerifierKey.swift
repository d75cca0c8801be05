internal import VaultText
import VaultCrypto

/// A public key a verifier trusts for signed notes: a key name, a signature type and an Ed25519 public key.
/// The pair (name, key id) is what a signature line names (c2sp.org/signed-note, "Signatures").
///
/// Key id: the first four bytes, big-endian, of SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key).
/// Two signature types are supported, both over 32-byte Ed25519 keys:
/// - `.ed25519` (0x01): RFC 8032 Ed25519 over the note text (c2sp.org/signed-note, "Ed25519 signatures");
/// - `.cosignatureV1` (0x04): a timestamped Ed25519 cosignature (c2sp.org/tlog-cosignature), see
///   `NoteCosignature`.
///
/// The same Ed25519 key may be used under both types: the key ids differ, and the two signed messages
/// cannot be confused (a cosigned message starts with `cosignature/v1\n`, which `SignedNote` refuses to
/// sign as a plain text; see `SignedNote.signature(text:name:identity:)`).
public struct NoteVerifierKey: Hashable, Sendable, CustomStringConvertible {
    /// Signature type identifier bytes of the C2SP registry used by Amanah.
    public enum SignatureType: UInt8, Sendable {
        /// Ed25519 over the note text (0x01).
        case ed25519 = 0x01
        /// Timestamped Ed25519 cosignature, c2sp.org/tlog-cosignature (0x04).
        case cosignatureV1 = 0x04
    }

    /// The key name (validated like `NoteSignature.name`).
    public let name: String
    /// The signature type.
    public let type: SignatureType
    /// The Ed25519 public key, 32 bytes.
    public let publicKey: [UInt8]
    /// The key id computed from name, type and public key.
    public let keyID: UInt32

    /// A verifier key from its parts.
    /// - Throws: `SignedNoteError.invalidKeyName` for a bad name, `.invalidLength` unless the key is 32 bytes.
    public init(name: String, type: SignatureType, publicKey: [UInt8]) throws {
        guard NoteText.isValidKeyName(name) else {
            throw SignedNoteError.invalidKeyName("'\(TerminalText.escaped(name))' is empty or has a space, '+' or control character")
        }
        guard publicKey.count == Ed25519.publicKeyByteCount else {
            throw SignedNoteError.invalidLength("Ed25519 public key", expected: Ed25519.publicKeyByteCount, actual: publicKey.count)
        }
        self.name = name
        self.type = type
        self.publicKey = publicKey
        self.keyID = NoteVerifierKey.keyID(name: name, type: type.rawValue, publicKey: publicKey)
    }

    /// A key with a key id given rather than computed; only for tests that need two keys sharing a name and
    /// key id (finding a real collision of the 32-bit id is not worth the work).
    init(unchecked name: String, type: SignatureType, publicKey: [UInt8], keyID: UInt32) {
        self.name = name
        self.type = type
        self.publicKey = publicKey
        self.keyID = keyID
    }

    /// The recommended key id: SHA-256(name ‖ 0x0A ‖ type ‖ publicKey)[0..<4], read big-endian.
    public static func keyID(name: String, type: UInt8, publicKey: [UInt8]) -> UInt32 {
        let digest = SHA256Digest.hash(parts: [Array(name.utf8), [0x0a, type], publicKey])
        return NoteText.keyID(digest[0..<4])
    }

    /// Parses a verifier key string `<name>+<8 hex digits key id>+<base64(type ‖ public key)>` (the vkey
    /// encoding of the C2SP signed-note specification and Go's `sumdb/note`). Strict: lower-case hex, canonical
    /// padded base64, a known type, a 32-byte key, and the key id must match the one computed.
    /// - Throws: `SignedNoteError.malformedVerifierKey` saying which part is wrong.
    public init(vkey: String) throws {
        let parts = vkey.split(separator: "+", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw SignedNoteError.malformedVerifierKey("expected name+keyid+key") }
        let name = String(parts[0])
        guard NoteText.isValidKeyName(name) else { throw SignedNoteError.malformedVerifierKey("invalid key name") }
        let idText = parts[1]
        guard idText.utf8.count == 8, let id = UInt32(idText, radix: 16), NoteText.hex(id) == idText else {
            throw SignedNoteError.malformedVerifierKey("key id is not 8 lower-case hex digits")
        }
        guard let material = try? Base64.decode(parts[2], variant: .standard), let typeByte = material.first else {
            throw SignedNoteError.malformedVerifierKey("key is not canonical base64")
        }
        guard let type = SignatureType(rawValue: typeByte) else {
            throw SignedNoteError.malformedVerifierKey("unsupported signature type \(typeByte)")
        }
        guard material.count == 1 + Ed25519.publicKeyByteCount else {
            throw SignedNoteError.malformedVerifierKey("public key has \(material.count - 1) bytes, expected 32")
        }
        try self.init(name: name, type: type, publicKey: Array(material[1...]))
        guard keyID == id else { throw SignedNoteError.malformedVerifierKey("key id does not match the key") }
    }

    /// The vkey string `<name>+<hex key id>+<base64(type ‖ public key)>`.
    public var vkey: String {
        name + "+" + NoteText.hex(keyID) + "+" + Base64.encode([type.rawValue] + publicKey, variant: .standard)
    }

    public var description: String { vkey }

    /// Whether a signature line names this key (same name bytes and key id).
    public func matches(_ signature: NoteSignature) -> Bool {
        signature.isBy(name: name, keyID: keyID)
    }

    /// Checks `signature` (the bytes after the key id) over the note `text` (its bytes, final newline included).
    /// - Returns: for `.ed25519`, `.valid(timestamp: nil)` when the 64-byte signature verifies; for
    ///   `.cosignatureV1`, `.valid(timestamp:)` when the 72-byte timestamped signature verifies over the
    ///   cosigned message; otherwise `.invalid`.
    public func check(signature: [UInt8], text: [UInt8]) -> SignatureCheck {
        switch type {
        case .ed25519:
            return Ed25519.verifyRaw(signature, message: text, publicKey: publicKey) ? .valid(timestamp: nil) : .invalid
        case .cosignatureV1:
            guard let timestamp = NoteCosignature.timestamp(of: signature) else { return .invalid }
            let message = NoteCosignature.signedMessage(text: text, timestamp: timestamp)
            let ed25519Signature = Array(signature[8...])
            return Ed25519.verifyRaw(ed25519Signature, message: message, publicKey: publicKey) ? .valid(timestamp: timestamp) : .invalid
        }
    }

    /// The outcome of checking one signature.
    public enum SignatureCheck: Equatable, Sendable {
        /// The signature verifies; cosignatures carry their timestamp (POSIX seconds).
        case valid(timestamp: UInt64?)
        /// The signature does not verify (or has the wrong length for its type).
        case invalid
    }

    public static func == (lhs: NoteVerifierKey, rhs: NoteVerifierKey) -> Bool {
        lhs.name.utf8.elementsEqual(rhs.name.utf8) && lhs.type == rhs.type && lhs.publicKey == rhs.publicKey
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(Array(name.utf8))
        hasher.combine(type)
        hasher.combine(publicKey)
    }
}
