internal import CSodium

/// The purpose a signature is made for. The signed bytes always start with the context string followed by
/// one NUL byte (`amanah/v1/<purpose>\0`), so a signature made for one purpose never verifies for another.
public struct SigningContext: Hashable, Sendable, CustomStringConvertible {
    /// The context string, e.g. `amanah/v1/audit-event`. ASCII, no NUL.
    public let value: String

    /// A context `amanah/v1/<purpose>`; `purpose` is lower-case ASCII letters, digits and `-`.
    public init(purpose: String) {
        precondition(!purpose.isEmpty && purpose.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d },
                     "invalid signing purpose")
        value = "amanah/v1/" + purpose
    }

    public var description: String { value }

    /// The bytes actually signed: context ‖ 0x00 ‖ message.
    public func signedBytes(_ message: [UInt8]) -> [UInt8] {
        var bytes = Array(value.utf8)
        bytes.append(0)
        bytes.append(contentsOf: message)
        return bytes
    }

    /// A member's public-key self-signature binding its Ed25519 and X25519 halves.
    public static let publicKey = SigningContext(purpose: "public-key")
    /// The vault genesis record.
    public static let genesis = SigningContext(purpose: "genesis")
    /// An audit event.
    public static let auditEvent = SigningContext(purpose: "audit-event")
    /// A governance operation proposal.
    public static let operation = SigningContext(purpose: "operation")
    /// An approval of a governance operation or a disclosure.
    public static let approval = SigningContext(purpose: "approval")
    /// An audit checkpoint (carried inside a C2SP signed note).
    public static let checkpoint = SigningContext(purpose: "checkpoint")
    /// A disclosure request (release plan).
    public static let disclosure = SigningContext(purpose: "disclosure")
    /// A grant of compartment keys to a member.
    public static let grant = SigningContext(purpose: "grant")
}

/// Ed25519 (RFC 8032) through libsodium's `crypto_sign_*`: 32-byte public keys, 64-byte secret keys (seed ‖
/// public key, libsodium's layout), 64-byte detached signatures. Creating a signature cannot fail once the
/// key is valid; verification returns `Bool`.
public enum Ed25519 {
    /// Public key length: 32 bytes.
    public static let publicKeyByteCount = 32
    /// Secret key length: 64 bytes (libsodium layout: seed ‖ public key).
    public static let secretKeyByteCount = 64
    /// Signature length: 64 bytes.
    public static let signatureByteCount = 64

    /// A fresh key pair (`crypto_sign_keypair`).
    public static func generateKeyPair() -> KeyPair {
        Sodium.ensureInitialized()
        var publicKey = [UInt8](repeating: 0, count: publicKeyByteCount)
        var secret = SecretBytes(count: secretKeyByteCount)
        secret.withUnsafeMutableBytes { _ = crypto_sign_keypair(&publicKey, $0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        return KeyPair(publicKey: publicKey, secretKey: secret)
    }

    /// The key pair for a 32-byte seed (`crypto_sign_seed_keypair`), as RFC 8032 test vectors give keys.
    /// - Throws: `CryptoError.invalidLength` unless the seed is 32 bytes.
    public static func keyPair(seed: borrowing SecretBytes) throws -> KeyPair {
        Sodium.ensureInitialized()
        guard seed.count == 32 else { throw CryptoError.invalidLength("Ed25519 seed", expected: 32, actual: seed.count) }
        var publicKey = [UInt8](repeating: 0, count: publicKeyByteCount)
        var secret = SecretBytes(count: secretKeyByteCount)
        seed.withUnsafeBytes { s in
            secret.withUnsafeMutableBytes {
                _ = crypto_sign_seed_keypair(&publicKey, $0.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                             s.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return KeyPair(publicKey: publicKey, secretKey: secret)
    }

    /// The public key embedded in a libsodium secret key (its last 32 bytes).
    public static func publicKey(for secretKey: borrowing SecretBytes) -> [UInt8] {
        precondition(secretKey.count == secretKeyByteCount, "Ed25519 secret key must be 64 bytes")
        var publicKey = [UInt8](repeating: 0, count: publicKeyByteCount)
        secretKey.withUnsafeBytes { _ = crypto_sign_ed25519_sk_to_pk(&publicKey, $0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        return publicKey
    }

    /// A detached signature over raw `message` bytes, with no context. Only the minisign format uses this
    /// directly (its signed bytes are fixed by that format); everything else signs through `sign(_:context:secretKey:)`.
    public static func signRaw(_ message: [UInt8], secretKey: borrowing SecretBytes) -> [UInt8] {
        Sodium.ensureInitialized()
        precondition(secretKey.count == secretKeyByteCount, "Ed25519 secret key must be 64 bytes")
        var signature = [UInt8](repeating: 0, count: signatureByteCount)
        secretKey.withUnsafeBytes { sk in
            _ = crypto_sign_detached(&signature, nil, message, UInt64(message.count),
                                     sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return signature
    }

    /// Verifies a detached signature over raw `message` bytes (`crypto_sign_verify_detached`, which rejects
    /// non-canonical and small-order encodings).
    public static func verifyRaw(_ signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        Sodium.ensureInitialized()
        guard signature.count == signatureByteCount, publicKey.count == publicKeyByteCount else { return false }
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey) == 0
    }

    /// A domain-separated signature: Ed25519 over `context ‖ 0x00 ‖ message` (64 bytes).
    public static func sign(_ message: [UInt8], context: SigningContext, secretKey: borrowing SecretBytes) -> [UInt8] {
        signRaw(context.signedBytes(message), secretKey: secretKey)
    }

    /// Verifies a domain-separated signature made by `sign(_:context:secretKey:)`.
    public static func verify(_ signature: [UInt8], message: [UInt8], context: SigningContext, publicKey: [UInt8]) -> Bool {
        verifyRaw(signature, message: context.signedBytes(message), publicKey: publicKey)
    }
}
