internal import CSodium

/// BLAKE2b (RFC 7693) through libsodium's `crypto_generichash`: outputs of 16 to 64 bytes, optionally keyed
/// (key of 16 to 64 bytes) for blind indexes and key ids.
public enum BLAKE2b {
    /// Unkeyed BLAKE2b of `bytes` with an output of `outputLength` bytes (16...64).
    public static func hash(_ bytes: some Sequence<UInt8>, outputLength: Int = 32) -> [UInt8] {
        Sodium.ensureInitialized()
        precondition((16...64).contains(outputLength), "BLAKE2b output length out of range")
        let input = Array(bytes)
        var out = [UInt8](repeating: 0, count: outputLength)
        _ = crypto_generichash(&out, outputLength, input, UInt64(input.count), nil, 0)
        return out
    }

    /// Keyed BLAKE2b (a MAC / PRF) of `bytes` under `key` (16...64 bytes), `outputLength` bytes (16...64).
    public static func keyedHash(_ bytes: some Sequence<UInt8>, key: borrowing SecretBytes, outputLength: Int = 32) -> [UInt8] {
        Sodium.ensureInitialized()
        precondition((16...64).contains(outputLength), "BLAKE2b output length out of range")
        precondition((16...64).contains(key.count), "BLAKE2b key length out of range")
        let input = Array(bytes)
        var out = [UInt8](repeating: 0, count: outputLength)
        key.withUnsafeBytes { keyBytes in
            _ = crypto_generichash(&out, outputLength, input, UInt64(input.count),
                                   keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), keyBytes.count)
        }
        return out
    }

    /// Derives a subkey into secure memory: keyed BLAKE2b of `context` under `key`, `outputLength` bytes.
    public static func deriveKey(from key: borrowing SecretBytes, context: String, outputLength: Int = 32) -> SecretBytes {
        Sodium.ensureInitialized()
        let input = Array(context.utf8)
        var out = SecretBytes(count: outputLength)
        key.withUnsafeBytes { keyBytes in
            out.withUnsafeMutableBytes { target in
                _ = crypto_generichash(target.baseAddress!.assumingMemoryBound(to: UInt8.self), outputLength,
                                       input, UInt64(input.count),
                                       keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), keyBytes.count)
            }
        }
        return out
    }
}

/// Streaming BLAKE2b-512, as minisign's prehashed (`ED`) signatures need (`crypto_generichash` state).
public struct BLAKE2bHasher: ~Copyable {
    private let state: UnsafeMutableRawPointer
    private let outputLength: Int

    /// A hasher with an output of `outputLength` bytes (16...64).
    public init(outputLength: Int = 64) {
        Sodium.ensureInitialized()
        precondition((16...64).contains(outputLength), "BLAKE2b output length out of range")
        state = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
        self.outputLength = outputLength
        _ = crypto_generichash_init(OpaquePointer(state), nil, 0, outputLength)
    }

    deinit { state.deallocate() }

    /// Absorbs bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        _ = crypto_generichash_update(OpaquePointer(state),
                                      bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }

    /// Absorbs bytes.
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The digest (`outputLength` bytes). Consumes the hasher.
    public consuming func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outputLength)
        _ = crypto_generichash_final(OpaquePointer(state), &out, outputLength)
        return out
    }
}
