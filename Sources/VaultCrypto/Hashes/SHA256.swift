import Crypto

/// SHA-256 (FIPS 180-4) of content. Backed by swift-crypto (BoringSSL), which uses the CPU's SHA
/// instructions where present (~1.3 GB/s here, against ~290 MB/s for libsodium's portable code); the output
/// is the standard 32-byte digest either way.
public struct ContentHasher {
    private var state = Crypto.SHA256()

    /// A fresh hasher.
    public init() {}

    /// Absorbs bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { state.update(bufferPointer: bytes) }

    /// Absorbs bytes.
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { state.update(bufferPointer: $0) } }

    /// The 32-byte digest.
    public func finalize() -> [UInt8] { Array(state.finalize()) }
}

/// SHA-256 helpers.
public enum SHA256Digest {
    /// Digest length in bytes.
    public static let byteCount = 32

    /// SHA-256 of `bytes` (32 bytes).
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = ContentHasher()
        hasher.update(Array(bytes))
        return hasher.finalize()
    }

    /// SHA-256 of the concatenation of `parts` (32 bytes).
    public static func hash(parts: [[UInt8]]) -> [UInt8] {
        var hasher = ContentHasher()
        for part in parts { hasher.update(part) }
        return hasher.finalize()
    }
}
