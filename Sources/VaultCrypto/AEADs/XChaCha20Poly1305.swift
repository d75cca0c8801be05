internal import CSodium

/// XChaCha20-Poly1305 (IETF variant, libsodium `crypto_aead_xchacha20poly1305_ietf_*`): 32-byte key, 24-byte
/// random nonce, 16-byte tag. Used for record fields and key files, always with caller-supplied associated
/// data that binds the ciphertext to its place (vault, table, row, field).
///
/// Sealed form: nonce (24 bytes) ‖ ciphertext ‖ tag (16 bytes); overhead 40 bytes.
public enum XChaCha20Poly1305 {
    /// Key length: 32 bytes.
    public static let keyByteCount = 32
    /// Nonce length: 24 bytes.
    public static let nonceByteCount = 24
    /// Tag length: 16 bytes.
    public static let tagByteCount = 16

    /// Encrypts `plaintext` with a fresh random nonce; returns nonce ‖ ciphertext ‖ tag.
    /// - Throws: `CryptoError.invalidLength` if the key is not 32 bytes.
    public static func seal(_ plaintext: UnsafeRawBufferPointer, key: borrowing SecretBytes,
                            associatedData: [UInt8]) throws -> [UInt8] {
        Sodium.ensureInitialized()
        guard key.count == keyByteCount else { throw CryptoError.invalidLength("key", expected: keyByteCount, actual: key.count) }
        let nonce = Random.bytes(nonceByteCount)
        var out = [UInt8](repeating: 0, count: nonceByteCount + plaintext.count + tagByteCount)
        var written: UInt64 = 0
        out.withUnsafeMutableBytes { buffer in
            buffer.copyBytes(from: nonce)
            key.withUnsafeBytes { keyBytes in
                _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                    buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + nonceByteCount, &written,
                    plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
                    associatedData, UInt64(associatedData.count), nil, nonce,
                    keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return out
    }

    /// Encrypts `plaintext` (see the other overload).
    public static func seal(_ plaintext: [UInt8], key: borrowing SecretBytes,
                            associatedData: [UInt8]) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { (bytes) throws -> [UInt8] in
            try seal(bytes, key: key, associatedData: associatedData)
        }
    }

    /// Decrypts a sealed value into secure memory.
    /// - Throws: `CryptoError.invalidLength` for a short input or wrong key size;
    ///   `CryptoError.authenticationFailed` for a wrong key, wrong associated data or modified bytes.
    public static func open(_ sealed: [UInt8], key: borrowing SecretBytes,
                            associatedData: [UInt8]) throws -> SecretBytes {
        Sodium.ensureInitialized()
        guard key.count == keyByteCount else { throw CryptoError.invalidLength("key", expected: keyByteCount, actual: key.count) }
        guard sealed.count >= nonceByteCount + tagByteCount else {
            throw CryptoError.invalidLength("sealed value", expected: nonceByteCount + tagByteCount, actual: sealed.count)
        }
        var plaintext = SecretBytes(count: sealed.count - nonceByteCount - tagByteCount)
        var written: UInt64 = 0
        let status = sealed.withUnsafeBufferPointer { input in
            key.withUnsafeBytes { keyBytes in
                plaintext.withUnsafeMutableBytes { target in
                    crypto_aead_xchacha20poly1305_ietf_decrypt(
                        target.baseAddress!.assumingMemoryBound(to: UInt8.self), &written, nil,
                        input.baseAddress! + nonceByteCount, UInt64(input.count - nonceByteCount),
                        associatedData, UInt64(associatedData.count), input.baseAddress!,
                        keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        guard status == 0 else { throw CryptoError.authenticationFailed }
        return plaintext
    }
}

/// ChaCha20-Poly1305 as in RFC 8439 (libsodium `crypto_aead_chacha20poly1305_ietf_*`): 32-byte key,
/// 12-byte nonce supplied by the caller, 16-byte tag. Used by the age format (payload STREAM and stanza
/// bodies), where nonces are counters or keys are single-use.
public enum ChaCha20Poly1305 {
    /// Key length: 32 bytes.
    public static let keyByteCount = 32
    /// Nonce length: 12 bytes.
    public static let nonceByteCount = 12
    /// Tag length: 16 bytes.
    public static let tagByteCount = 16

    /// Encrypts `plaintext` into `output` (plaintext length + 16 bytes).
    public static func seal(_ plaintext: UnsafeRawBufferPointer, key: borrowing SecretBytes, nonce: [UInt8],
                            associatedData: [UInt8] = [], into output: UnsafeMutableRawBufferPointer) {
        Sodium.ensureInitialized()
        precondition(key.count == keyByteCount && nonce.count == nonceByteCount, "bad key or nonce length")
        precondition(output.count == plaintext.count + tagByteCount, "output buffer has the wrong size")
        var written: UInt64 = 0
        key.withUnsafeBytes { keyBytes in
            _ = crypto_aead_chacha20poly1305_ietf_encrypt(
                output.baseAddress!.assumingMemoryBound(to: UInt8.self), &written,
                plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
                associatedData, UInt64(associatedData.count), nil, nonce,
                keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Encrypts `plaintext`; returns ciphertext ‖ tag.
    public static func seal(_ plaintext: [UInt8], key: borrowing SecretBytes, nonce: [UInt8],
                            associatedData: [UInt8] = []) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        plaintext.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { seal(input, key: key, nonce: nonce, associatedData: associatedData, into: $0) }
        }
        return out
    }

    /// Decrypts ciphertext ‖ tag into `output` (ciphertext length − 16 bytes). Returns false, leaving
    /// `output` zeroed, if authentication fails.
    public static func open(_ sealed: UnsafeRawBufferPointer, key: borrowing SecretBytes, nonce: [UInt8],
                            associatedData: [UInt8] = [], into output: UnsafeMutableRawBufferPointer) -> Bool {
        Sodium.ensureInitialized()
        precondition(key.count == keyByteCount && nonce.count == nonceByteCount, "bad key or nonce length")
        guard sealed.count >= tagByteCount, output.count == sealed.count - tagByteCount else { return false }
        var written: UInt64 = 0
        var scratch: UInt8 = 0  // libsodium wants a non-null target even for an empty plaintext
        let target = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let status = withUnsafeMutablePointer(to: &scratch) { scratchPointer in
            key.withUnsafeBytes { keyBytes in
                crypto_aead_chacha20poly1305_ietf_decrypt(
                    target ?? scratchPointer, &written, nil,
                    sealed.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(sealed.count),
                    associatedData, UInt64(associatedData.count), nonce,
                    keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        if status != 0 {
            if output.count > 0 { sodium_memzero(output.baseAddress!, output.count) }
            return false
        }
        return true
    }

    /// Decrypts ciphertext ‖ tag; nil if authentication fails.
    public static func open(_ sealed: [UInt8], key: borrowing SecretBytes, nonce: [UInt8],
                            associatedData: [UInt8] = []) -> [UInt8]? {
        guard sealed.count >= tagByteCount else { return nil }
        var out = [UInt8](repeating: 0, count: sealed.count - tagByteCount)
        let ok = sealed.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { open(input, key: key, nonce: nonce, associatedData: associatedData, into: $0) }
        }
        return ok ? out : nil
    }
}
