/// One share of a secret split by `Shamir.split`: the evaluation of a random polynomial over GF(2^8) at
/// `index`, byte by byte. The value lives in secure memory.
public final class ShamirShare: @unchecked Sendable {
    /// The x coordinate, 1...255.
    public let index: UInt8
    /// How many shares rebuild the secret.
    public let threshold: Int
    /// The y values, one byte per secret byte.
    public let value: SecretBytes

    /// A share from its parts.
    public init(index: UInt8, threshold: Int, value: consuming SecretBytes) {
        self.index = index
        self.threshold = threshold
        self.value = value
    }

    /// A commitment to this share that can be published: BLAKE2b-256 over context
    /// `amanah/v1/shamir-share`, a caller-chosen `salt` (e.g. the recovery key's public key), the index, the
    /// threshold and the value. A share that does not match its commitment is detected before use.
    public func commitment(salt: [UInt8]) -> [UInt8] {
        var input = SigningContext(purpose: "shamir-share").signedBytes([])
        input.appendLengthPrefixed(salt)
        input.append(index)
        input.append(UInt8(threshold))
        value.withUnsafeBytes { input.append(contentsOf: $0) }
        defer { wipe(&input) }
        return BLAKE2b.hash(input, outputLength: 32)
    }

    /// Serialised form for sealing to a custodian: index (1) ‖ threshold (1) ‖ value, in secure memory.
    public func serialized() -> SecretBytes {
        var out = SecretBytes(count: value.count + 2)
        value.withUnsafeBytes { v in
            out.withUnsafeMutableBytes { o in
                o[0] = index
                o[1] = UInt8(threshold)
                (o.baseAddress! + 2).copyMemory(from: v.baseAddress!, byteCount: v.count)
            }
        }
        return out
    }

    /// Parses the serialised form.
    /// - Throws: `CryptoError.sharing` if it is too short or its index or threshold is 0.
    public static func deserialize(_ bytes: borrowing SecretBytes) throws -> ShamirShare {
        guard bytes.count >= 3 else { throw CryptoError.sharing("share is too short") }
        let (index, threshold) = bytes.withUnsafeBytes { ($0[0], Int($0[1])) }
        guard index != 0, threshold >= 1 else { throw CryptoError.sharing("share has index or threshold 0") }
        return ShamirShare(index: index, threshold: threshold, value: bytes.slice(2..<bytes.count))
    }
}

/// Shamir secret sharing (Shamir 1979) over GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1,
/// independently for each byte of the secret. Arithmetic is branch-free and uses no tables indexed by
/// secret values.
public enum Shamir {
    /// Splits `secret` into `shareCount` shares (indices 1...shareCount), any `threshold` of which rebuild it.
    /// - Throws: `CryptoError.sharing` unless 1 ≤ threshold ≤ shareCount ≤ 255 and the secret is non-empty.
    public static func split(_ secret: borrowing SecretBytes, threshold: Int, shareCount: Int) throws -> [ShamirShare] {
        guard threshold >= 1, threshold <= shareCount, shareCount <= 255 else {
            throw CryptoError.sharing("need 1 ≤ threshold (\(threshold)) ≤ shares (\(shareCount)) ≤ 255")
        }
        guard secret.count > 0 else { throw CryptoError.sharing("empty secret") }
        // Coefficients: for each byte, a0 = secret byte, a1...a(k-1) random.
        var coefficients = SecretBytes.random(count: secret.count * threshold)
        secret.withUnsafeBytes { s in
            coefficients.withUnsafeMutableBytes { c in
                for byte in 0..<s.count { c[byte * threshold] = s[byte] }
            }
        }
        var shares: [ShamirShare] = []
        for x in 1...shareCount {
            var value = SecretBytes(count: secret.count)
            coefficients.withUnsafeBytes { c in
                value.withUnsafeMutableBytes { v in
                    for byte in 0..<v.count {
                        // Horner's rule from the highest coefficient.
                        var y: UInt8 = 0
                        for power in stride(from: threshold - 1, through: 0, by: -1) {
                            y = GF256.multiply(y, UInt8(x)) ^ c[byte * threshold + power]
                        }
                        v[byte] = y
                    }
                }
            }
            shares.append(ShamirShare(index: UInt8(x), threshold: threshold, value: value))
        }
        return shares
    }

    /// Rebuilds the secret from at least `threshold` shares (the first `threshold` distinct ones are used).
    /// Fewer shares than the threshold give an error, never a wrong secret; a modified share gives a wrong
    /// secret, which is why shares carry commitments (`ShamirShare.commitment`).
    /// - Throws: `CryptoError.sharing` for too few shares, duplicate indices, or mismatched lengths or thresholds.
    public static func combine(_ shares: [ShamirShare]) throws -> SecretBytes {
        guard let first = shares.first else { throw CryptoError.sharing("no shares") }
        let threshold = first.threshold
        guard shares.allSatisfy({ $0.threshold == threshold && $0.value.count == first.value.count }) else {
            throw CryptoError.sharing("shares disagree on threshold or length")
        }
        var seen = Set<UInt8>()
        for share in shares where !seen.insert(share.index).inserted { throw CryptoError.sharing("duplicate share index \(share.index)") }
        guard shares.count >= threshold else { throw CryptoError.sharing("need \(threshold) shares, have \(shares.count)") }
        let used = Array(shares.prefix(threshold))
        // Lagrange basis at x = 0: l_i = prod_{j != i} x_j / (x_j - x_i); subtraction is XOR in GF(2^8).
        var basis: [UInt8] = []
        for (i, share) in used.enumerated() {
            var numerator: UInt8 = 1
            var denominator: UInt8 = 1
            for (j, other) in used.enumerated() where j != i {
                numerator = GF256.multiply(numerator, other.index)
                denominator = GF256.multiply(denominator, other.index ^ share.index)
            }
            basis.append(GF256.multiply(numerator, GF256.inverse(denominator)))
        }
        var secret = SecretBytes(count: first.value.count)
        secret.withUnsafeMutableBytes { out in
            for (i, share) in used.enumerated() {
                share.value.withUnsafeBytes { y in
                    for byte in 0..<out.count { out[byte] ^= GF256.multiply(basis[i], y[byte]) }
                }
            }
        }
        return secret
    }
}

/// Constant-time arithmetic in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (0x11b).
enum GF256 {
    /// Product of `a` and `b`: shift-and-add with masks, no branches on the operands.
    @inline(__always)
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = a, b = b, product: UInt8 = 0
        for _ in 0..<8 {
            product ^= a & (0 &- (b & 1))
            let carry = 0 &- (a >> 7)
            a = (a << 1) ^ (0x1b & carry)
            b >>= 1
        }
        return product
    }

    /// Multiplicative inverse (a^254); 0 maps to 0.
    static func inverse(_ a: UInt8) -> UInt8 {
        var result: UInt8 = 1
        var base = a
        var exponent = 254
        while exponent > 0 {
            if exponent & 1 == 1 { result = multiply(result, base) }
            base = multiply(base, base)
            exponent >>= 1
        }
        return result
    }
}
