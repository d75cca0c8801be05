import VaultCrypto

/// An age X25519 recipient (c2sp.org/age, "The X25519 recipient type"): a 32-byte X25519 public key,
/// written as Bech32 with prefix `age` (`age1...`, lower case).
///
/// Wrapping: a fresh ephemeral key pair per stanza; `wrap key = HKDF-SHA-256(ikm: X25519(ephemeral secret,
/// recipient), salt: ephemeral share ‖ recipient, info: "age-encryption.org/v1/X25519")`; the stanza is
/// `-> X25519 <base64 ephemeral share>` with body ChaCha20-Poly1305(wrap key, zero nonce, file key).
public struct AgeX25519Recipient: AgeRecipient, Hashable, Sendable, CustomStringConvertible {
    /// The Bech32 prefix of a recipient string.
    public static let bech32Prefix = "age"
    /// The stanza type.
    static let stanzaType = "X25519"
    /// The HKDF info string of the wrap key.
    static let label = Array("age-encryption.org/v1/X25519".utf8)

    /// The X25519 public key, 32 bytes.
    public let publicKey: [UInt8]

    /// A recipient from a raw public key.
    /// - Throws: `AgeError.invalidKey` if the key is not 32 bytes.
    public init(publicKey: [UInt8]) throws {
        guard publicKey.count == X25519.keyByteCount else {
            throw AgeError.invalidKey("an X25519 public key is \(X25519.keyByteCount) bytes, got \(publicKey.count)")
        }
        self.publicKey = publicKey
    }

    init(validatedPublicKey: [UInt8]) {
        publicKey = validatedPublicKey
    }

    /// Parses an `age1...` recipient string (surrounding whitespace is not accepted).
    /// - Throws: `AgeError.invalidKey` naming the problem (Bech32 error, wrong prefix, wrong length).
    public init(parsing text: String) throws {
        let decoded: (hrp: String, data: [UInt8])
        do { decoded = try Bech32.decode(text) } catch {
            throw AgeError.invalidKey("recipient is not valid Bech32: \(error)")
        }
        guard decoded.hrp == AgeX25519Recipient.bech32Prefix else {
            throw AgeError.invalidKey("an X25519 recipient starts with \"age1\" in lower case")
        }
        try self.init(publicKey: decoded.data)
    }

    /// The `age1...` string.
    public var encoded: String { Bech32.encode(hrp: AgeX25519Recipient.bech32Prefix, data: publicKey) }

    public var description: String { encoded }

    public var mustBeAlone: Bool { false }

    /// Wraps the file key to this public key.
    /// - Throws: `AgeError.invalidArgument` if the public key is a low-order point (all-zero shared secret).
    public func wrap(fileKey: borrowing SecretBytes) throws -> [AgeStanza] {
        let ephemeral = X25519.generateKeyPair()
        let shared: SecretBytes
        do { shared = try X25519.sharedSecret(secretKey: ephemeral.secretKey, publicKey: publicKey) } catch {
            throw AgeError.invalidArgument("recipient \(encoded) is a low-order point and cannot be encrypted to")
        }
        let wrapKey = HKDFSHA256.deriveKey(inputKeyMaterial: shared, salt: ephemeral.publicKey + publicKey,
                                           info: AgeX25519Recipient.label, length: 32)
        let body = AgeFileKey.wrap(fileKey, with: wrapKey)
        return [AgeStanza(validatedType: AgeX25519Recipient.stanzaType,
                          arguments: [Base64.encode(ephemeral.publicKey, variant: .standardNoPadding)], body: body)]
    }
}
