/// A member's public identity: an Ed25519 signing key and an X25519 encryption key, bound together by a
/// self-signature, with an 8-byte key id.
///
/// Text form, one line with no `:` or whitespace: `amanah-pk1-` followed by unpadded URL-safe base64 of
/// 136 bytes: Ed25519 public key (32) ‖ X25519 public key (32) ‖ key id (8) ‖ self-signature (64).
/// The key id is the first 8 bytes of BLAKE2b-256(Ed25519 pk ‖ X25519 pk); it doubles as the minisign
/// key id. The self-signature is Ed25519 over context `amanah/v1/public-key` and Ed25519 pk ‖ X25519 pk.
public struct MemberPublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The text prefix of a public key line.
    public static let prefix = "amanah-pk1-"

    /// Ed25519 public key, 32 bytes.
    public let signingKey: [UInt8]
    /// X25519 public key, 32 bytes.
    public let encryptionKey: [UInt8]
    /// Key id, 8 bytes.
    public let keyID: [UInt8]
    /// Self-signature, 64 bytes.
    public let selfSignature: [UInt8]

    /// The key id as 16 lower-case hex characters.
    public var keyIDHex: String { Hex.encode(keyID) }

    /// The key id of a pair of public keys: BLAKE2b-256(ed ‖ x)[0..<8].
    public static func keyID(signingKey: [UInt8], encryptionKey: [UInt8]) -> [UInt8] {
        Array(BLAKE2b.hash(signingKey + encryptionKey, outputLength: 32).prefix(8))
    }

    /// Builds and self-signs the public key of a key pair.
    init(signingKey: [UInt8], encryptionKey: [UInt8], signingSecret: borrowing SecretBytes) {
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
        keyID = MemberPublicKey.keyID(signingKey: signingKey, encryptionKey: encryptionKey)
        selfSignature = Ed25519.sign(signingKey + encryptionKey, context: .publicKey, secretKey: signingSecret)
    }

    /// Parses and checks a public key line (surrounding whitespace is ignored).
    /// - Throws: `CryptoError.invalidEncoding` if the prefix, base64 (canonical, per libsodium's `b64_end`),
    ///   length, key id or self-signature is wrong (for example when the two halves were swapped), or the
    ///   X25519 key is a low-order point (`X25519.hasLowOrder`).
    public init(line: String) throws {
        let text = line.trimmingWhitespace()
        guard text.hasPrefix(MemberPublicKey.prefix) else {
            throw CryptoError.invalidEncoding("a public key starts with \(MemberPublicKey.prefix)")
        }
        let body = text.dropFirst(MemberPublicKey.prefix.count)
        let bytes: [UInt8]
        do { bytes = try Base64.decode(body, variant: .urlSafeNoPadding) } catch {
            throw CryptoError.invalidEncoding("public key is not canonical base64")
        }
        guard bytes.count == 136 else { throw CryptoError.invalidEncoding("public key has \(bytes.count) bytes, expected 136") }
        signingKey = Array(bytes[0..<32])
        encryptionKey = Array(bytes[32..<64])
        keyID = Array(bytes[64..<72])
        selfSignature = Array(bytes[72..<136])
        guard keyID == MemberPublicKey.keyID(signingKey: signingKey, encryptionKey: encryptionKey) else {
            throw CryptoError.invalidEncoding("public key id does not match its keys")
        }
        guard Ed25519.verify(selfSignature, message: signingKey + encryptionKey, context: .publicKey, publicKey: signingKey) else {
            throw CryptoError.invalidEncoding("public key self-signature does not verify")
        }
        // A low-order X25519 key would be accepted into a vault, and then every wrap sealed to it would fail
        // for every member (RFC 7748 §6.1).
        guard !X25519.hasLowOrder(encryptionKey) else {
            throw CryptoError.invalidEncoding("public key's X25519 half is a low-order point: nothing sealed to it could be opened")
        }
    }

    /// The one-line text form.
    public var line: String {
        MemberPublicKey.prefix + Base64.encode(signingKey + encryptionKey + keyID + selfSignature, variant: .urlSafeNoPadding)
    }

    public var description: String { line }

    /// Verifies a domain-separated signature by this member.
    public func verify(_ signature: [UInt8], message: [UInt8], context: SigningContext) -> Bool {
        Ed25519.verify(signature, message: message, context: context, publicKey: signingKey)
    }

    /// A short fingerprint for out-of-band comparison: the key id in four groups (`abcd-ef01-2345-6789`).
    public var fingerprint: String {
        let hex = Array(keyIDHex)
        return stride(from: 0, to: 16, by: 4).map { String(hex[$0..<($0 + 4)]) }.joined(separator: "-")
    }
}

extension String {
    /// The string without leading and trailing ASCII whitespace (space, tab, CR, LF).
    public func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return String(self[start...end])
    }
}
