/// A member's secret identity: an Ed25519 signing key pair and an X25519 encryption key pair, held in
/// secure memory. Created by `generate()` or unlocked from a key file (`KeyFile`).
public struct Identity: ~Copyable, @unchecked Sendable {
    /// The public half, self-signed.
    public let publicKey: MemberPublicKey
    let signingSecret: SecretBytes      // 64 bytes, libsodium layout
    let encryptionSecret: SecretBytes   // 32 bytes

    /// A fresh random identity.
    public static func generate() -> Identity {
        let signing = Ed25519.generateKeyPair()
        let encryption = X25519.generateKeyPair()
        return Identity(signingPublic: signing.publicKey, signingSecret: signing.secretKey.duplicate(),
                        encryptionPublic: encryption.publicKey, encryptionSecret: encryption.secretKey.duplicate())
    }

    init(signingPublic: [UInt8], signingSecret: consuming SecretBytes, encryptionPublic: [UInt8],
         encryptionSecret: consuming SecretBytes) {
        publicKey = MemberPublicKey(signingKey: signingPublic, encryptionKey: encryptionPublic, signingSecret: signingSecret)
        self.signingSecret = signingSecret
        self.encryptionSecret = encryptionSecret
    }

    /// Rebuilds an identity from its two secret keys and checks them against `publicKey`.
    /// - Throws: `CryptoError.invalidEncoding` if the secrets do not belong to `publicKey`.
    init(publicKey: MemberPublicKey, signingSecret: consuming SecretBytes, encryptionSecret: consuming SecretBytes) throws {
        guard signingSecret.count == Ed25519.secretKeyByteCount, encryptionSecret.count == X25519.keyByteCount else {
            throw CryptoError.invalidEncoding("secret keys have the wrong length")
        }
        guard Ed25519.publicKey(for: signingSecret) == publicKey.signingKey,
              try X25519.publicKey(for: encryptionSecret) == publicKey.encryptionKey else {
            throw CryptoError.invalidEncoding("secret keys do not match the public key")
        }
        self.publicKey = publicKey
        self.signingSecret = signingSecret
        self.encryptionSecret = encryptionSecret
    }

    /// A domain-separated Ed25519 signature (64 bytes) over `message`.
    public func sign(_ message: [UInt8], context: SigningContext) -> [UInt8] {
        Ed25519.sign(message, context: context, secretKey: signingSecret)
    }

    /// A raw Ed25519 signature with no context; only for formats that fix their signed bytes (minisign).
    public func signRaw(_ message: [UInt8]) -> [UInt8] {
        Ed25519.signRaw(message, secretKey: signingSecret)
    }

    /// Opens a sealed box addressed to this identity's X25519 key.
    /// - Throws: `CryptoError.authenticationFailed` if it was not sealed to this identity.
    public func openSealedBox(_ sealed: [UInt8]) throws -> SecretBytes {
        try SealedBox.open(sealed, publicKey: publicKey.encryptionKey, secretKey: encryptionSecret)
    }

    /// A one-time X25519 key pair derived from this identity's X25519 secret and `context` (keyed BLAKE2b-256
    /// of `amanah/v1/one-time-key ‖ context` under the secret): the same identity and context always give the
    /// same pair, so nothing needs storing between deriving the public key and using the secret, and no one
    /// without the identity can derive it.
    public func deriveOneTimeKeyPair(context: [UInt8]) -> KeyPair {
        var message = Array("amanah/v1/one-time-key".utf8)
        message.append(0)
        message.append(contentsOf: context)
        var derived = BLAKE2b.keyedHash(message, key: encryptionSecret, outputLength: 32)
        let secret = SecretBytes(consuming: &derived)
        let publicKey = (try? X25519.publicKey(for: secret)) ?? []
        return KeyPair(publicKey: publicKey, secretKey: secret)
    }

    /// The X25519 shared secret with `peerPublicKey`.
    /// - Throws: `CryptoError.keyDerivationFailed` for an all-zero result.
    public func sharedSecret(with peerPublicKey: [UInt8]) throws -> SecretBytes {
        try X25519.sharedSecret(secretKey: encryptionSecret, publicKey: peerPublicKey)
    }
}
