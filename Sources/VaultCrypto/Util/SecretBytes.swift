internal import CSodium

/// Secret bytes (keys, passphrases, shares) held in memory from `sodium_malloc`: guarded by
/// inaccessible pages, locked against swapping where the system allows (`mlock`), and wiped and freed when
/// the value's lifetime ends (`sodium_free` zeroes before freeing).
///
/// The type is non-copyable, so the bytes exist once and cannot be duplicated implicitly. Bytes leave it
/// only through `withUnsafeBytes`; comparison is constant-time (`sodium_memcmp`). Copies that Swift code
/// makes of those bytes (for example into an `Array`) are outside this guarantee: see SECURITY.md.
public struct SecretBytes: ~Copyable, @unchecked Sendable {
    private let pointer: UnsafeMutableRawPointer
    /// Length in bytes.
    public let count: Int

    /// Allocates `count` zeroed bytes of secure memory. Traps if secure memory is exhausted.
    public init(count: Int) {
        precondition(count >= 0, "negative length")
        Sodium.ensureInitialized()
        guard let raw = sodium_malloc(Swift.max(count, 1)) else {
            fatalError("secure memory could not be allocated")
        }
        sodium_memzero(raw, Swift.max(count, 1))
        pointer = raw
        self.count = count
    }

    /// Allocates `count` bytes and fills them from the system CSPRNG (`randombytes_buf`).
    public static func random(count: Int) -> SecretBytes {
        var secret = SecretBytes(count: count)
        secret.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, $0.count) }
        return secret
    }

    /// Copies `bytes` into secure memory. The caller remains responsible for wiping its own copy.
    public init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count)
        if bytes.count > 0 { pointer.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
    }

    /// Copies `bytes` into secure memory and wipes the array's storage afterwards.
    public init(consuming bytes: inout [UInt8]) {
        self.init(count: bytes.count)
        let target = pointer
        bytes.withUnsafeMutableBytes { source in
            if source.count > 0 {
                target.copyMemory(from: source.baseAddress!, byteCount: source.count)
                sodium_memzero(source.baseAddress!, source.count)
            }
        }
        bytes.removeAll()
    }

    deinit {
        sodium_free(pointer)
    }

    /// Calls `body` with read access to the bytes. The pointer must not escape `body`.
    public func withUnsafeBytes<R: ~Copyable, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Calls `body` with write access to the bytes. The pointer must not escape `body`.
    public mutating func withUnsafeMutableBytes<R: ~Copyable, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: pointer, count: count))
    }

    /// Constant-time equality of length and content (`sodium_memcmp`).
    public func constantTimeEquals(_ other: borrowing SecretBytes) -> Bool {
        guard count == other.count else { return false }
        if count == 0 { return true }
        return other.withUnsafeBytes { sodium_memcmp(pointer, $0.baseAddress!, count) == 0 }
    }

    /// Constant-time comparison with non-secret bytes of the same length.
    public func constantTimeEquals(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard count == bytes.count else { return false }
        if count == 0 { return true }
        return sodium_memcmp(pointer, bytes.baseAddress!, count) == 0
    }

    /// A new secret holding bytes `range` of this one.
    public func slice(_ range: Range<Int>) -> SecretBytes {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "slice out of bounds")
        return withUnsafeBytes { SecretBytes(copying: UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// A second, independent copy in secure memory. Used where two owners each need the key.
    public func duplicate() -> SecretBytes {
        withUnsafeBytes { SecretBytes(copying: $0) }
    }

    /// Copies the bytes out into an ordinary array. Use only where the bytes stop being secret (for example
    /// a public value derived in place) or must cross an API that takes arrays; the copy is not wiped.
    public func unprotectedCopy() -> [UInt8] {
        withUnsafeBytes { Array($0) }
    }
}

/// A secret held by reference, so that it can sit in collections and structures; the bytes stay in secure
/// memory (`SecretBytes`) and are wiped when the last reference goes.
public final class SecretBox: @unchecked Sendable {
    public let bytes: SecretBytes
    public init(_ bytes: consuming SecretBytes) { self.bytes = bytes }
}

/// Fills a buffer with random bytes from the system CSPRNG (`randombytes_buf`). For non-secret values
/// (nonces, salts, identifiers).
public enum Random {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: count)
        if count > 0 { out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, $0.count) } }
        return out
    }

    /// A uniformly random integer in `0..<upperBound` (`randombytes_uniform`).
    public static func uniform(_ upperBound: UInt32) -> UInt32 {
        Sodium.ensureInitialized()
        return randombytes_uniform(upperBound)
    }
}

/// Wipes an array's storage in place (`sodium_memzero`). Swift may have made earlier copies; this wipes
/// the storage the array holds now.
public func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { buffer in
        if buffer.count > 0 { sodium_memzero(buffer.baseAddress!, buffer.count) }
    }
}
