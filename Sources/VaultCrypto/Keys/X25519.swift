internal import CSodium

/// X25519 (RFC 7748) through libsodium's `crypto_scalarmult` and `crypto_box` key pairs: 32-byte secret
/// scalars, 32-byte public keys.
public enum X25519 {
    /// Public and secret key length: 32 bytes.
    public static let keyByteCount = 32

    /// A fresh key pair (`crypto_box_keypair`).
    public static func generateKeyPair() -> KeyPair {
        Sodium.ensureInitialized()
        var publicKey = [UInt8](repeating: 0, count: keyByteCount)
        var secret = SecretBytes(count: keyByteCount)
        secret.withUnsafeMutableBytes { _ = crypto_box_keypair(&publicKey, $0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        return KeyPair(publicKey: publicKey, secretKey: secret)
    }

    /// The public key of a secret scalar (`crypto_scalarmult_base`).
    /// - Throws: `CryptoError.invalidLength` if the secret is not 32 bytes.
    public static func publicKey(for secretKey: borrowing SecretBytes) throws -> [UInt8] {
        Sodium.ensureInitialized()
        guard secretKey.count == keyByteCount else {
            throw CryptoError.invalidLength("X25519 secret key", expected: keyByteCount, actual: secretKey.count)
        }
        var publicKey = [UInt8](repeating: 0, count: keyByteCount)
        secretKey.withUnsafeBytes { _ = crypto_scalarmult_base(&publicKey, $0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        return publicKey
    }

    /// Whether `publicKey` is a point of small order (or otherwise gives an all-zero X25519 output): nothing
    /// sealed to it could be opened, and RFC 7748 §6.1 and libsodium's `crypto_scalarmult` refuse the result.
    /// A clamped scalar is a multiple of the cofactor 8, so the output is zero exactly for points in the small
    /// subgroup, whatever the scalar; a fixed, public one is used.
    public static func hasLowOrder(_ publicKey: [UInt8]) -> Bool {
        Sodium.ensureInitialized()
        guard publicKey.count == keyByteCount else { return true }
        let scalar = [UInt8](repeating: 0x5A, count: keyByteCount)
        var output = [UInt8](repeating: 0, count: keyByteCount)
        let status = crypto_scalarmult(&output, scalar, publicKey)
        return status != 0 || output.allSatisfy { $0 == 0 }
    }

    /// The shared secret X25519(secret, public) into secure memory.
    /// - Throws: `CryptoError.keyDerivationFailed` if the result is all zeros (a low-order point, which
    ///   age and RFC 7748 §6.1 require rejecting); `CryptoError.invalidLength` for wrong key sizes.
    public static func sharedSecret(secretKey: borrowing SecretBytes, publicKey: [UInt8]) throws -> SecretBytes {
        Sodium.ensureInitialized()
        guard secretKey.count == keyByteCount else {
            throw CryptoError.invalidLength("X25519 secret key", expected: keyByteCount, actual: secretKey.count)
        }
        guard publicKey.count == keyByteCount else {
            throw CryptoError.invalidLength("X25519 public key", expected: keyByteCount, actual: publicKey.count)
        }
        var shared = SecretBytes(count: keyByteCount)
        let status = secretKey.withUnsafeBytes { scalar in
            shared.withUnsafeMutableBytes { out in
                crypto_scalarmult(out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                  scalar.baseAddress!.assumingMemoryBound(to: UInt8.self), publicKey)
            }
        }
        // crypto_scalarmult returns -1 for an all-zero output; check explicitly as well.
        let allZero = shared.withUnsafeBytes { sodium_is_zero($0.baseAddress!.assumingMemoryBound(to: UInt8.self), $0.count) == 1 }
        guard status == 0, !allZero else { throw CryptoError.keyDerivationFailed("X25519 shared secret is all zeros") }
        return shared
    }
}

/// Anonymous sealed boxes (libsodium `crypto_box_seal`): encrypt to an X25519 public key with an ephemeral
/// sender key; only the holder of the secret key opens. Overhead 48 bytes (`crypto_box_sealbytes()`).
/// Used to wrap data keys and compartment keys to public keys (write-only sealing).
public enum SealedBox {
    /// Ciphertext overhead in bytes.
    public static var overhead: Int { crypto_box_sealbytes() }

    /// Seals `plaintext` to `publicKey` (32 bytes).
    /// - Throws: `CryptoError.invalidLength` for a wrong key size.
    public static func seal(_ plaintext: UnsafeRawBufferPointer, to publicKey: [UInt8]) throws -> [UInt8] {
        Sodium.ensureInitialized()
        guard publicKey.count == X25519.keyByteCount else {
            throw CryptoError.invalidLength("public key", expected: X25519.keyByteCount, actual: publicKey.count)
        }
        var out = [UInt8](repeating: 0, count: plaintext.count + overhead)
        var scratch: UInt8 = 0
        let status = withUnsafeMutablePointer(to: &scratch) { scratchPointer in
            crypto_box_seal(&out, plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(scratchPointer),
                            UInt64(plaintext.count), publicKey)
        }
        guard status == 0 else { throw CryptoError.keyDerivationFailed("sealing to this public key failed") }
        return out
    }

    /// Seals a secret to `publicKey`.
    public static func seal(_ secret: borrowing SecretBytes, to publicKey: [UInt8]) throws -> [UInt8] {
        try secret.withUnsafeBytes { (bytes) throws -> [UInt8] in try seal(bytes, to: publicKey) }
    }

    /// Opens a sealed box into secure memory.
    /// - Throws: `CryptoError.authenticationFailed` if the box was not sealed to this key pair or was modified.
    public static func open(_ sealed: [UInt8], publicKey: [UInt8], secretKey: borrowing SecretBytes) throws -> SecretBytes {
        Sodium.ensureInitialized()
        guard sealed.count >= overhead else { throw CryptoError.authenticationFailed }
        guard publicKey.count == X25519.keyByteCount, secretKey.count == X25519.keyByteCount else {
            throw CryptoError.invalidLength("key", expected: X25519.keyByteCount, actual: secretKey.count)
        }
        var out = SecretBytes(count: sealed.count - overhead)
        var scratch: UInt8 = 0
        let status = withUnsafeMutablePointer(to: &scratch) { scratchPointer in
            secretKey.withUnsafeBytes { sk in
                out.withUnsafeMutableBytes { target in
                    crypto_box_seal_open(target.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? scratchPointer,
                                         sealed, UInt64(sealed.count), publicKey,
                                         sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        guard status == 0 else { throw CryptoError.authenticationFailed }
        return out
    }
}

/// A public key with its secret key (X25519 or Ed25519).
public struct KeyPair: ~Copyable {
    /// The public key (32 bytes).
    public let publicKey: [UInt8]
    /// The secret key (32 bytes for X25519, 64 for Ed25519 in libsodium's layout).
    public let secretKey: SecretBytes

    /// A key pair from its parts.
    public init(publicKey: [UInt8], secretKey: consuming SecretBytes) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}
