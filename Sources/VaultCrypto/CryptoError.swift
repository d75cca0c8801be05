/// Errors thrown by VaultCrypto. Each case names what failed; none carries secret material.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// libsodium could not be initialised (`sodium_init` returned -1).
    case libraryUnavailable
    /// Secure memory (`sodium_malloc`) could not be allocated.
    case outOfSecureMemory
    /// A key, nonce or other fixed-size input had the wrong length: (what, expected bytes, actual bytes).
    case invalidLength(String, expected: Int, actual: Int)
    /// Authenticated decryption failed: wrong key, wrong associated data, or modified ciphertext.
    case authenticationFailed
    /// A key could not be derived (for example an all-zero X25519 shared secret, or Argon2id ran out of memory).
    case keyDerivationFailed(String)
    /// Text that should be canonical base64 or hex was not.
    case invalidEncoding(String)
    /// A sealed stream or file was malformed; the text says how (truncated, bytes after the final chunk, ...).
    case malformedStream(String)
    /// Secret sharing failed: too few shares, duplicate indices, or a share that does not match its commitment.
    case sharing(String)
    /// An operating-system call failed: (operation, errno text).
    case system(String, String)

    public var description: String {
        switch self {
        case .libraryUnavailable: return "libsodium could not be initialised"
        case .outOfSecureMemory: return "secure memory could not be allocated"
        case let .invalidLength(what, expected, actual):
            return "\(what) must be \(expected) bytes, got \(actual)"
        case .authenticationFailed: return "authentication failed (wrong key or modified data)"
        case let .keyDerivationFailed(why): return "key derivation failed: \(why)"
        case let .invalidEncoding(why): return "invalid encoding: \(why)"
        case let .malformedStream(why): return "sealed stream is malformed: \(why)"
        case let .sharing(why): return "secret sharing: \(why)"
        case let .system(operation, why): return "\(operation): \(why)"
        }
    }
}
