internal import CSodium

/// libsodium's `crypto_secretstream_xchacha20poly1305`: a stream of authenticated chunks under one 32-byte
/// key, with a 24-byte header, 17 bytes of overhead per chunk (1 tag byte and a 16-byte MAC), and a tag per
/// chunk (MESSAGE, PUSH, REKEY, FINAL). The state lives in secure memory and is wiped when released.
///
/// These are the raw primitives. libsodium accepts a stream that simply stops, or continues after FINAL;
/// `SealedStream` (the vault's file container) and `SecretStreamReader` enforce termination.
public enum SecretStream {
    /// Key length: 32 bytes.
    public static var keyByteCount: Int { crypto_secretstream_xchacha20poly1305_keybytes() }
    /// Header length: 24 bytes.
    public static var headerByteCount: Int { crypto_secretstream_xchacha20poly1305_headerbytes() }
    /// Per-chunk overhead: 17 bytes.
    public static var overhead: Int { crypto_secretstream_xchacha20poly1305_abytes() }

    /// A chunk tag.
    public enum Tag: UInt8, Sendable {
        case message = 0, push = 1, rekey = 2, final = 3

        init?(sodium value: UInt8) {
            switch value {
            case crypto_secretstream_xchacha20poly1305_tag_message(): self = .message
            case crypto_secretstream_xchacha20poly1305_tag_push(): self = .push
            case crypto_secretstream_xchacha20poly1305_tag_rekey(): self = .rekey
            case crypto_secretstream_xchacha20poly1305_tag_final(): self = .final
            default: return nil
            }
        }

        var sodiumValue: UInt8 {
            switch self {
            case .message: return crypto_secretstream_xchacha20poly1305_tag_message()
            case .push: return crypto_secretstream_xchacha20poly1305_tag_push()
            case .rekey: return crypto_secretstream_xchacha20poly1305_tag_rekey()
            case .final: return crypto_secretstream_xchacha20poly1305_tag_final()
            }
        }
    }

    /// The encrypting side (`crypto_secretstream_xchacha20poly1305_init_push` / `_push`).
    public struct Push: ~Copyable {
        private let state: UnsafeMutableRawPointer
        /// The 24-byte header to store before the first chunk.
        public let header: [UInt8]

        /// Starts a stream under `key` (32 bytes).
        /// - Throws: `CryptoError.invalidLength` for a wrong key size.
        public init(key: borrowing SecretBytes) throws {
            Sodium.ensureInitialized()
            guard key.count == SecretStream.keyByteCount else {
                throw CryptoError.invalidLength("secretstream key", expected: SecretStream.keyByteCount, actual: key.count)
            }
            guard let raw = sodium_malloc(crypto_secretstream_xchacha20poly1305_statebytes()) else { throw CryptoError.outOfSecureMemory }
            state = raw
            var header = [UInt8](repeating: 0, count: SecretStream.headerByteCount)
            key.withUnsafeBytes { k in
                _ = crypto_secretstream_xchacha20poly1305_init_push(
                    raw.assumingMemoryBound(to: crypto_secretstream_xchacha20poly1305_state.self), &header,
                    k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            self.header = header
        }

        deinit { sodium_free(state) }

        /// Encrypts one chunk into `output`, which must be `plaintext.count + 17` bytes.
        public mutating func push(_ plaintext: UnsafeRawBufferPointer, tag: Tag, associatedData: UnsafeRawBufferPointer,
                                  into output: UnsafeMutableRawBufferPointer) {
            precondition(output.count == plaintext.count + SecretStream.overhead, "output buffer has the wrong size")
            var written: UInt64 = 0
            var scratch: UInt8 = 0
            withUnsafeMutablePointer(to: &scratch) { empty in
                _ = crypto_secretstream_xchacha20poly1305_push(
                    state.assumingMemoryBound(to: crypto_secretstream_xchacha20poly1305_state.self),
                    output.baseAddress!.assumingMemoryBound(to: UInt8.self), &written,
                    plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(empty), UInt64(plaintext.count),
                    associatedData.baseAddress.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) }, UInt64(associatedData.count),
                    tag.sodiumValue)
            }
        }

        /// Encrypts one chunk; returns its ciphertext (plaintext length + 17 bytes).
        public mutating func push(_ plaintext: [UInt8], tag: Tag, associatedData: [UInt8] = []) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: plaintext.count + SecretStream.overhead)
            plaintext.withUnsafeBytes { p in
                associatedData.withUnsafeBytes { a in
                    out.withUnsafeMutableBytes { push(p, tag: tag, associatedData: a, into: $0) }
                }
            }
            return out
        }
    }

    /// The decrypting side (`crypto_secretstream_xchacha20poly1305_init_pull` / `_pull`).
    public struct Pull: ~Copyable {
        private let state: UnsafeMutableRawPointer

        /// Starts reading a stream with its 24-byte header under `key` (32 bytes).
        /// - Throws: `CryptoError.invalidLength` for wrong sizes; `CryptoError.malformedStream` for an
        ///   invalid header.
        public init(header: [UInt8], key: borrowing SecretBytes) throws {
            Sodium.ensureInitialized()
            guard key.count == SecretStream.keyByteCount else {
                throw CryptoError.invalidLength("secretstream key", expected: SecretStream.keyByteCount, actual: key.count)
            }
            guard header.count == SecretStream.headerByteCount else {
                throw CryptoError.invalidLength("secretstream header", expected: SecretStream.headerByteCount, actual: header.count)
            }
            guard let raw = sodium_malloc(crypto_secretstream_xchacha20poly1305_statebytes()) else { throw CryptoError.outOfSecureMemory }
            let status = key.withUnsafeBytes { k in
                crypto_secretstream_xchacha20poly1305_init_pull(
                    raw.assumingMemoryBound(to: crypto_secretstream_xchacha20poly1305_state.self), header,
                    k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            guard status == 0 else {
                sodium_free(raw)
                throw CryptoError.malformedStream("invalid stream header")
            }
            state = raw
        }

        deinit { sodium_free(state) }

        /// Decrypts one chunk into `output` (ciphertext length − 17 bytes); returns its tag.
        /// - Throws: `CryptoError.authenticationFailed` if the chunk does not authenticate in this position
        ///   (modified, reordered, wrong key or associated data).
        public mutating func pull(_ ciphertext: UnsafeRawBufferPointer, associatedData: UnsafeRawBufferPointer,
                                  into output: UnsafeMutableRawBufferPointer) throws -> Tag {
            guard ciphertext.count >= SecretStream.overhead,
                  output.count == ciphertext.count - SecretStream.overhead else { throw CryptoError.authenticationFailed }
            var written: UInt64 = 0
            var tag: UInt8 = 0
            var scratch: UInt8 = 0
            let status = withUnsafeMutablePointer(to: &scratch) { empty in
                crypto_secretstream_xchacha20poly1305_pull(
                    state.assumingMemoryBound(to: crypto_secretstream_xchacha20poly1305_state.self),
                    output.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? empty, &written, &tag,
                    ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(ciphertext.count),
                    associatedData.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(associatedData.count))
            }
            guard status == 0, let parsed = Tag(sodium: tag) else { throw CryptoError.authenticationFailed }
            return parsed
        }

        /// Decrypts one chunk; returns plaintext and tag.
        /// - Throws: `CryptoError.authenticationFailed` (see the other overload).
        public mutating func pull(_ ciphertext: [UInt8], associatedData: [UInt8] = []) throws -> (plaintext: [UInt8], tag: Tag) {
            guard ciphertext.count >= SecretStream.overhead else { throw CryptoError.authenticationFailed }
            var out = [UInt8](repeating: 0, count: ciphertext.count - SecretStream.overhead)
            let tag = try ciphertext.withUnsafeBytes { (c) throws -> Tag in
                try associatedData.withUnsafeBytes { (a) throws -> Tag in
                    try out.withUnsafeMutableBytes { (o) throws -> Tag in try pull(c, associatedData: a, into: o) }
                }
            }
            return (out, tag)
        }
    }
}

/// Reads a secretstream chunk by chunk and enforces what libsodium alone does not: the stream must end
/// with exactly one FINAL chunk, nothing may follow it, and only MESSAGE and FINAL tags are accepted.
public struct SecretStreamReader: ~Copyable {
    private var pull: SecretStream.Pull
    private var sawFinal = false

    /// Starts reading a stream with `header` under `key`.
    /// - Throws: as `SecretStream.Pull.init`.
    public init(header: [UInt8], key: borrowing SecretBytes) throws {
        pull = try SecretStream.Pull(header: header, key: key)
    }

    /// Decrypts the next chunk; returns its plaintext and whether it was the final chunk.
    /// - Throws: `CryptoError.malformedStream` for a chunk after FINAL or a PUSH/REKEY tag;
    ///   `CryptoError.authenticationFailed` for a chunk that does not authenticate.
    public mutating func next(_ ciphertext: [UInt8], associatedData: [UInt8] = []) throws -> (plaintext: [UInt8], isFinal: Bool) {
        guard !sawFinal else { throw CryptoError.malformedStream("data after the final chunk") }
        let (plaintext, tag) = try pull.pull(ciphertext, associatedData: associatedData)
        switch tag {
        case .message: return (plaintext, false)
        case .final:
            sawFinal = true
            return (plaintext, true)
        case .push, .rekey: throw CryptoError.malformedStream("unexpected chunk tag \(tag)")
        }
    }

    /// Call at the end of the input.
    /// - Throws: `CryptoError.malformedStream` if no FINAL chunk was seen (a truncated stream).
    public func finish() throws {
        guard sawFinal else { throw CryptoError.malformedStream("truncated: the stream has no final chunk") }
    }
}
