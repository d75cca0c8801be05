#if canImport(Glibc)
import Glibc
#endif
internal import CSodium

/// Argon2id (RFC 9106) through libsodium's `crypto_pwhash` (`crypto_pwhash_ALG_ARGON2ID13`): derives a
/// 32-byte key from a passphrase and a 16-byte salt.
public enum PasswordHash {
    /// Salt length: 16 bytes.
    public static var saltByteCount: Int { crypto_pwhash_saltbytes() }

    /// Cost parameters. Stored in key files and bound as associated data.
    public struct Parameters: Equatable, Sendable, CustomStringConvertible {
        /// Passes over memory (libsodium `opslimit`).
        public let opsLimit: UInt64
        /// Memory in bytes (libsodium `memlimit`).
        public let memLimit: UInt64

        public init(opsLimit: UInt64, memLimit: UInt64) {
            self.opsLimit = opsLimit
            self.memLimit = memLimit
        }

        /// libsodium's MODERATE (3 passes, 256 MiB): the default for every new key file.
        public static var moderate: Parameters {
            Parameters(opsLimit: UInt64(crypto_pwhash_opslimit_moderate()), memLimit: UInt64(crypto_pwhash_memlimit_moderate()))
        }

        /// libsodium's minimum (1 pass, 8 KiB). Test-only; see `forNewKeys`.
        public static var insecureTestOnly: Parameters {
            Parameters(opsLimit: UInt64(crypto_pwhash_opslimit_min()), memLimit: UInt64(crypto_pwhash_memlimit_min()))
        }

        /// The largest values accepted when reading a file: 10 passes and 1 GiB (libsodium's SENSITIVE
        /// memory), so a crafted key file cannot make the reader allocate absurd memory or spin for hours.
        public static let readingCap = Parameters(opsLimit: 10, memLimit: 1 << 30)

        /// Whether these parameters are within libsodium's minimums and `readingCap`.
        public var isAcceptable: Bool {
            opsLimit >= UInt64(crypto_pwhash_opslimit_min()) && memLimit >= UInt64(crypto_pwhash_memlimit_min())
                && opsLimit <= Parameters.readingCap.opsLimit && memLimit <= Parameters.readingCap.memLimit
        }

        public var description: String { "argon2id ops=\(opsLimit) mem=\(memLimit)" }

        /// The parameters for a new key file: `moderate`, unless this is a debug build and the environment
        /// variable `AMANAH_INSECURE_TEST_KDF` is `1` (tests only; release builds ignore it).
        public static func forNewKeys() -> Parameters {
            #if DEBUG
            if let value = getenv("AMANAH_INSECURE_TEST_KDF"), String(cString: value) == "1" { return .insecureTestOnly }
            #endif
            return .moderate
        }
    }

    /// Derives a 32-byte key into secure memory.
    /// - Throws: `CryptoError.invalidLength` for a wrong salt size; `CryptoError.keyDerivationFailed` if the
    ///   parameters are out of range or memory could not be allocated.
    public static func deriveKey(passphrase: borrowing SecretBytes, salt: [UInt8], parameters: Parameters,
                                 length: Int = 32) throws -> SecretBytes {
        Sodium.ensureInitialized()
        guard salt.count == saltByteCount else { throw CryptoError.invalidLength("salt", expected: saltByteCount, actual: salt.count) }
        guard parameters.isAcceptable else { throw CryptoError.keyDerivationFailed("Argon2id parameters out of range (\(parameters))") }
        var key = SecretBytes(count: length)
        let status = passphrase.withUnsafeBytes { pass in
            key.withUnsafeMutableBytes { out in
                crypto_pwhash(out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(length),
                              pass.baseAddress!.assumingMemoryBound(to: CChar.self), UInt64(pass.count), salt,
                              parameters.opsLimit, Int(parameters.memLimit), crypto_pwhash_ALG_ARGON2ID13)
            }
        }
        guard status == 0 else { throw CryptoError.keyDerivationFailed("Argon2id failed (out of memory?)") }
        return key
    }
}
