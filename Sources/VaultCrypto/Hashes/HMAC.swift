internal import CSodium

/// HMAC-SHA-256 (RFC 2104) over libsodium's `crypto_auth_hmacsha256_*`, and HKDF-SHA-256 (RFC 5869) built
/// on it (libsodium 1.0.18, Debian's, has no HKDF).
public enum HMACSHA256 {
    /// Tag length in bytes.
    public static let byteCount = 32

    /// HMAC-SHA-256 of the concatenation of `parts` under `key` (any length), written to `output` (32 bytes).
    /// The internal state is wiped afterwards.
    public static func authenticate(parts: [UnsafeRawBufferPointer], key: UnsafeRawBufferPointer,
                                    into output: UnsafeMutableRawBufferPointer) {
        Sodium.ensureInitialized()
        precondition(output.count == byteCount, "HMAC output must be 32 bytes")
        var state = crypto_auth_hmacsha256_state()
        var emptyKey: UInt8 = 0
        withUnsafePointer(to: &emptyKey) { empty in
            _ = crypto_auth_hmacsha256_init(&state, key.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? empty, key.count)
        }
        for part in parts where part.count > 0 {
            _ = crypto_auth_hmacsha256_update(&state, part.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                              UInt64(part.count))
        }
        _ = crypto_auth_hmacsha256_final(&state, output.baseAddress!.assumingMemoryBound(to: UInt8.self))
        sodium_memzero(&state, MemoryLayout<crypto_auth_hmacsha256_state>.size)
    }

    /// HMAC-SHA-256 of `message` under `key` (any length), 32 bytes.
    public static func authenticate(_ message: [UInt8], key: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        message.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { authenticate(parts: [input], key: key, into: $0) }
        }
        return out
    }

    /// HMAC-SHA-256 of `message` under a secret key, 32 bytes.
    public static func authenticate(_ message: [UInt8], key: borrowing SecretBytes) -> [UInt8] {
        key.withUnsafeBytes { authenticate(message, key: $0) }
    }

    /// Constant-time comparison of two tags (`sodium_memcmp`); false when lengths differ.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return sodium_memcmp(a, b, a.count) == 0
    }
}

/// HKDF-SHA-256 (RFC 5869): extract then expand. Intermediate keys live in secure memory.
public enum HKDFSHA256 {
    /// Derives `length` bytes (1 ... 255 × 32) of output keying material into secure memory.
    /// - Parameters:
    ///   - inputKeyMaterial: the secret input (IKM).
    ///   - salt: the salt; an empty salt means 32 zero bytes, as RFC 5869 §2.2 specifies.
    ///   - info: context and application-specific information.
    public static func deriveKey(inputKeyMaterial: borrowing SecretBytes, salt: [UInt8], info: [UInt8],
                                 length: Int) -> SecretBytes {
        precondition(length > 0 && length <= 255 * 32, "HKDF output length out of range")
        let effectiveSalt = salt.isEmpty ? [UInt8](repeating: 0, count: 32) : salt
        var prk = SecretBytes(count: 32)
        effectiveSalt.withUnsafeBytes { saltBytes in
            inputKeyMaterial.withUnsafeBytes { ikm in
                prk.withUnsafeMutableBytes { HMACSHA256.authenticate(parts: [ikm], key: saltBytes, into: $0) }
            }
        }
        var output = SecretBytes(count: length)
        var block = SecretBytes(count: 32)
        var produced = 0
        var counter: [UInt8] = [1]
        while produced < length {
            let previousLength = produced == 0 ? 0 : 32
            var next = SecretBytes(count: 32)
            block.withUnsafeBytes { previous in
                info.withUnsafeBytes { infoBytes in
                    counter.withUnsafeBytes { counterBytes in
                        prk.withUnsafeBytes { key in
                            next.withUnsafeMutableBytes {
                                HMACSHA256.authenticate(
                                    parts: [UnsafeRawBufferPointer(rebasing: previous[0..<previousLength]),
                                            infoBytes, counterBytes],
                                    key: key, into: $0)
                            }
                        }
                    }
                }
            }
            let take = Swift.min(32, length - produced)
            next.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { target in
                    (target.baseAddress! + produced).copyMemory(from: source.baseAddress!, byteCount: take)
                }
            }
            block = next
            produced += take
            counter[0] &+= 1
        }
        return output
    }
}
