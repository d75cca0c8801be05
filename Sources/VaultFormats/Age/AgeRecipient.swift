import VaultCrypto

/// Something a file can be encrypted to: it wraps the 16-byte file key into one or more stanzas.
public protocol AgeRecipient: Sendable {
    /// Wraps `fileKey` (16 bytes) into stanzas for this recipient. Each call uses fresh randomness.
    /// - Throws: `AgeError.invalidArgument` if wrapping is impossible (for example a low-order public key).
    func wrap(fileKey: borrowing SecretBytes) throws -> [AgeStanza]

    /// Whether this recipient's stanza must be the only one in a header (true for scrypt).
    var mustBeAlone: Bool { get }
}

/// Something that can unwrap a file key from the stanzas addressed to it.
public protocol AgeIdentity: Sendable {
    /// Tries every stanza in order and returns the file key (16 bytes) from the first one this identity
    /// opens; nil when no stanza is addressed to it or none opens (wrong key).
    /// - Throws: `AgeError.header` for a stanza of this identity's type that is malformed (wrong argument
    ///   count, non-canonical base64, wrong lengths, all-zero shared secret, excessive work factor).
    func unwrap(_ stanzas: [AgeStanza]) throws -> SecretBytes?
}

/// Constants and helpers shared by the native recipient types.
enum AgeFileKey {
    /// The file key length: 16 bytes (128 bits).
    static let byteCount = 16
    /// Length of a wrapped file key in a stanza body: 16 bytes + 16-byte Poly1305 tag.
    static let wrappedByteCount = byteCount + ChaCha20Poly1305.tagByteCount
    /// The fixed all-zero ChaCha20-Poly1305 nonce used for stanza bodies (each wrap key is used once).
    static let zeroNonce = [UInt8](repeating: 0, count: ChaCha20Poly1305.nonceByteCount)

    /// Encrypts the file key under a single-use wrap key.
    static func wrap(_ fileKey: borrowing SecretBytes, with wrapKey: borrowing SecretBytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: wrappedByteCount)
        fileKey.withUnsafeBytes { plain in
            out.withUnsafeMutableBytes { ChaCha20Poly1305.seal(plain, key: wrapKey, nonce: zeroNonce, into: $0) }
        }
        return out
    }

    /// Decrypts a stanza body (already checked to be 32 bytes); nil if it does not authenticate.
    static func unwrap(_ body: [UInt8], with wrapKey: borrowing SecretBytes) -> SecretBytes? {
        precondition(body.count == wrappedByteCount)
        var fileKey = SecretBytes(count: byteCount)
        let opened = body.withUnsafeBytes { sealed in
            fileKey.withUnsafeMutableBytes { ChaCha20Poly1305.open(sealed, key: wrapKey, nonce: zeroNonce, into: $0) }
        }
        if opened { return consume fileKey }
        return nil
    }
}
