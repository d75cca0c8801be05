internal import CSodium

/// scrypt (RFC 7914) through libsodium's low-level `crypto_pwhash_scryptsalsa208sha256_ll`, with explicit
/// N, r and p. Used by the age format's passphrase (scrypt) recipient stanzas, which fix r = 8, p = 1 and
/// carry log2(N) in the stanza. Memory use is 128 × r × N bytes (256 MiB for N = 2^18, r = 8).
public enum Scrypt {
    /// Derives `length` bytes from `passphrase` and `salt` into secure memory.
    /// - Parameters:
    ///   - passphrase: the password P (any length, may be empty).
    ///   - salt: the salt S (any length).
    ///   - logN: base-two logarithm of the cost parameter N, 1...30.
    ///   - r: block size parameter (age uses 8).
    ///   - p: parallelisation parameter (age uses 1).
    ///   - length: output length dkLen in bytes, 1...1024.
    /// - Throws: `CryptoError.keyDerivationFailed` if the parameters are out of range or memory could not be
    ///   allocated.
    public static func deriveKey(passphrase: borrowing SecretBytes, salt: [UInt8], logN: Int, r: UInt32 = 8,
                                 p: UInt32 = 1, length: Int = 32) throws -> SecretBytes {
        Sodium.ensureInitialized()
        guard (1...30).contains(logN), r > 0, p > 0, (1...1024).contains(length) else {
            throw CryptoError.keyDerivationFailed("scrypt parameters out of range (log2 N = \(logN), r = \(r), p = \(p))")
        }
        var key = SecretBytes(count: length)
        var emptySalt: UInt8 = 0
        let status = passphrase.withUnsafeBytes { pass in
            key.withUnsafeMutableBytes { out in
                withUnsafePointer(to: &emptySalt) { emptyPointer in
                    salt.withUnsafeBufferPointer { saltBytes in
                        crypto_pwhash_scryptsalsa208sha256_ll(
                            pass.baseAddress!.assumingMemoryBound(to: UInt8.self), pass.count,
                            saltBytes.baseAddress ?? emptyPointer, saltBytes.count,
                            UInt64(1) << UInt64(logN), r, p,
                            out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count)
                    }
                }
            }
        }
        guard status == 0 else { throw CryptoError.keyDerivationFailed("scrypt failed (out of memory?)") }
        return key
    }
}
