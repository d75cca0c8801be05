import VaultCrypto

/// An age X25519 identity (c2sp.org/age, "The X25519 recipient type"): a 32-byte X25519 secret key held in
/// secure memory, written as upper-case Bech32 with prefix `AGE-SECRET-KEY-` (`AGE-SECRET-KEY-1...`).
///
/// A class so that identities can be collected in arrays while the secret exists once; the secret is wiped
/// when the last reference goes.
public final class AgeX25519Identity: AgeIdentity, @unchecked Sendable {
    /// The Bech32 prefix of an identity string (upper case, as age writes it).
    public static let bech32Prefix = "AGE-SECRET-KEY-"

    private let secretKey: SecretBytes
    /// The matching recipient (public key).
    public let recipient: AgeX25519Recipient

    /// A fresh random identity.
    public static func generate() -> AgeX25519Identity {
        let pair = X25519.generateKeyPair()
        return AgeX25519Identity(checkedSecret: pair.secretKey.duplicate(),
                                 recipient: AgeX25519Recipient(validatedPublicKey: pair.publicKey))
    }

    private init(checkedSecret: consuming SecretBytes, recipient: AgeX25519Recipient) {
        secretKey = checkedSecret
        self.recipient = recipient
    }

    /// An identity from a 32-byte secret scalar.
    /// - Throws: `AgeError.invalidKey` if the secret is not 32 bytes.
    public init(secretKey: consuming SecretBytes) throws {
        guard secretKey.count == X25519.keyByteCount else {
            throw AgeError.invalidKey("an X25519 identity is \(X25519.keyByteCount) bytes, got \(secretKey.count)")
        }
        recipient = try AgeX25519Recipient(publicKey: X25519.publicKey(for: secretKey))
        self.secretKey = secretKey
    }

    /// Parses an `AGE-SECRET-KEY-1...` string (upper case, no surrounding whitespace).
    /// - Throws: `AgeError.invalidKey` naming the problem; the text never includes the key.
    public convenience init(parsing text: String) throws {
        try self.init(parsingBytes: Array(text.utf8))
    }

    /// Parses an identity given as ASCII bytes (as read from an identity file); the bytes are wiped.
    convenience init(parsingBytes text: consuming [UInt8]) throws {
        var decoded: (hrp: String, data: [UInt8])
        do { decoded = try Bech32.decode(bytes: text) } catch {
            throw AgeError.invalidKey("identity is not valid Bech32: \(error)")
        }
        defer { wipe(&decoded.data) }
        guard decoded.hrp == AgeX25519Identity.bech32Prefix else {
            if decoded.hrp.uppercased() == "AGE-SECRET-KEY-PQ-" {
                throw AgeError.invalidKey("post-quantum (AGE-SECRET-KEY-PQ-) identities are not supported")
            }
            throw AgeError.invalidKey("an X25519 identity starts with \"AGE-SECRET-KEY-1\" in upper case")
        }
        guard decoded.data.count == X25519.keyByteCount else {
            throw AgeError.invalidKey("an X25519 identity is \(X25519.keyByteCount) bytes, got \(decoded.data.count)")
        }
        try self.init(secretKey: SecretBytes(consuming: &decoded.data))
    }

    /// The identity string `AGE-SECRET-KEY-1...` in secure memory (UTF-8 bytes, 74 bytes).
    public func encoded() -> SecretBytes {
        var data = secretKey.unprotectedCopy()
        defer { wipe(&data) }
        var text = Bech32.encodedBytes(hrp: AgeX25519Identity.bech32Prefix, data: data, uppercase: true)
        return SecretBytes(consuming: &text)
    }

    /// Unwraps the file key from the first `X25519` stanza addressed to this identity.
    /// - Throws: `AgeError.header` for an `X25519` stanza with other than one argument, a share that is not
    ///   canonical base64 of 32 bytes, a body that is not 32 bytes, or an all-zero shared secret.
    public func unwrap(_ stanzas: [AgeStanza]) throws -> SecretBytes? {
        for stanza in stanzas where stanza.type == AgeX25519Recipient.stanzaType {
            guard stanza.arguments.count == 1 else {
                throw AgeError.header("an X25519 stanza has \(stanza.arguments.count + 1) arguments, expected 2")
            }
            guard let share = try? Base64.decode(stanza.arguments[0], variant: .standardNoPadding),
                  share.count == X25519.keyByteCount else {
                throw AgeError.header("the X25519 share is not canonical base64 of 32 bytes")
            }
            guard stanza.body.count == AgeFileKey.wrappedByteCount else {
                throw AgeError.header("the X25519 stanza body is \(stanza.body.count) bytes, expected \(AgeFileKey.wrappedByteCount)")
            }
            let shared: SecretBytes
            do { shared = try X25519.sharedSecret(secretKey: secretKey, publicKey: share) } catch {
                throw AgeError.header("the X25519 share gives an all-zero shared secret (low-order point)")
            }
            let wrapKey = HKDFSHA256.deriveKey(inputKeyMaterial: shared, salt: share + recipient.publicKey,
                                               info: AgeX25519Recipient.label, length: 32)
            if let fileKey = AgeFileKey.unwrap(stanza.body, with: wrapKey) { return fileKey }
        }
        return nil
    }
}
