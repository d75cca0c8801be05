import VaultPlatform
internal import CSodium

/// Amanah's sealed-file container (format version 1) on `crypto_secretstream_xchacha20poly1305`, for blobs
/// of any size in constant memory.
///
/// Layout:
/// ```
/// prefix   13 bytes  magic "AMNHSEAL" (8) ‖ version 0x01 (1) ‖ chunk size, plaintext bytes per chunk (4, LE)
/// header   24 bytes  secretstream header
/// chunks   each: chunk-size plaintext bytes + 17 (the last may be shorter), tags MESSAGE ... FINAL
/// ```
/// The plaintext carried by the chunks is `content length (8 bytes, LE) ‖ content ‖ zero padding`; the
/// padding lets a caller round the stored size up (Padmé) so that it does not identify the content.
/// Every chunk's associated data is `prefix ‖ caller associated data`, which binds the version and chunk
/// size and, through the caller's part, the blob's identity.
///
/// Opening rejects: a wrong magic, version or chunk size; a truncated stream or a missing FINAL chunk; any
/// byte after FINAL; PUSH or REKEY tags; reordered, flipped, or foreign chunks; a wrong key; non-zero padding;
/// a stated length that the data does not match.
public enum SealedStream {
    /// The 8-byte magic at the start of a sealed stream.
    public static let magic: [UInt8] = Array("AMNHSEAL".utf8)
    /// The format version this code writes and reads.
    public static let version: UInt8 = 1
    /// Default plaintext bytes per chunk: 64 KiB.
    public static let defaultChunkSize = 64 * 1024
    /// Accepted chunk sizes in bytes.
    public static let chunkSizeRange = 64...(16 << 20)
    /// Length of the plain prefix (magic, version, chunk size): 13 bytes.
    public static let prefixByteCount = 13
    /// Length of everything before the first chunk: 37 bytes.
    public static var headerByteCount: Int { prefixByteCount + SecretStream.headerByteCount }

    /// The number of sealed bytes for `contentLength` bytes of content padded to `paddedLength` plaintext
    /// bytes (including the 8-byte length prefix), with `chunkSize`.
    public static func sealedLength(contentLength: UInt64, paddedLength: UInt64? = nil,
                                    chunkSize: Int = defaultChunkSize) -> UInt64 {
        let plaintext = Swift.max(contentLength + 8, paddedLength ?? 0)
        let chunks = Swift.max(1, (plaintext + UInt64(chunkSize) - 1) / UInt64(chunkSize))
        return UInt64(headerByteCount) + plaintext + chunks * UInt64(SecretStream.overhead)
    }

    static func prefix(chunkSize: Int) -> [UInt8] {
        var bytes = magic
        bytes.append(version)
        bytes.appendLittleEndian(UInt32(chunkSize))
        return bytes
    }

    /// Seals exactly `contentLength` bytes from `source` to `sink`.
    /// - Parameters:
    ///   - key: the 32-byte data key.
    ///   - associatedData: bytes bound to every chunk (for example vault id ‖ blob id).
    ///   - paddedLength: the plaintext length to pad to (content + 8 bytes, rounded up by the caller); nil
    ///     for no padding. Values smaller than content + 8 are ignored.
    ///   - chunkSize: plaintext bytes per chunk, within `chunkSizeRange`.
    ///   - onContent: called with each piece of content as it is read, in order (for hashing in the same pass).
    /// - Returns: the number of sealed bytes written.
    /// - Throws: `CryptoError.malformedStream` if the source holds fewer or more bytes than `contentLength`
    ///   (the file changed while it was read); I/O errors from the source or sink.
    @discardableResult
    public static func seal<Source: ByteSource, Sink: ByteSink>(
        from source: inout Source, contentLength: UInt64, to sink: inout Sink, key: borrowing SecretBytes,
        associatedData: [UInt8] = [], paddedLength: UInt64? = nil, chunkSize: Int = defaultChunkSize,
        onContent: (UnsafeRawBufferPointer) -> Void = { _ in }
    ) throws -> UInt64 {
        precondition(chunkSizeRange.contains(chunkSize), "chunk size out of range")
        let prefixBytes = prefix(chunkSize: chunkSize)
        let ad = prefixBytes + associatedData
        var push = try SecretStream.Push(key: key)
        try (prefixBytes + push.header).withUnsafeBytes { (b) throws in try sink.write(b) }
        var written = UInt64(headerByteCount)

        var framer = PlaintextFramer(contentLength: contentLength, total: Swift.max(contentLength + 8, paddedLength ?? 0))
        var plainBuffer = [UInt8](repeating: 0, count: chunkSize)
        var cipherBuffer = [UInt8](repeating: 0, count: chunkSize + SecretStream.overhead)
        defer { wipe(&plainBuffer) }
        repeat {
            let thisChunk = try plainBuffer.withUnsafeMutableBytes { (buffer) throws -> Int in
                let (count, content) = try framer.fill(buffer, from: &source)
                if !content.isEmpty { onContent(UnsafeRawBufferPointer(rebasing: buffer[content])) }
                return count
            }
            let isFinal = framer.isComplete
            try plainBuffer.withUnsafeBytes { (plain) throws in
                try ad.withUnsafeBytes { (adBytes) throws in
                    try cipherBuffer.withUnsafeMutableBytes { (cipher) throws in
                        let out = UnsafeMutableRawBufferPointer(rebasing: cipher[0..<(thisChunk + SecretStream.overhead)])
                        push.push(UnsafeRawBufferPointer(rebasing: plain[0..<thisChunk]),
                                  tag: isFinal ? .final : .message, associatedData: adBytes, into: out)
                        try sink.write(UnsafeRawBufferPointer(out))
                    }
                }
            }
            written += UInt64(thisChunk + SecretStream.overhead)
        } while !framer.isComplete
        return written
    }

    /// Makes the container's plaintext stream — content length (8 bytes, little-endian) ‖ content ‖ zero
    /// padding, `total` bytes in all — one buffer at a time from a source that must hold exactly
    /// `contentLength` bytes. Shared by `seal` and the pipelined sealer's reader thread.
    struct PlaintextFramer {
        let contentLength: UInt64
        let total: UInt64
        private let lengthPrefix: [UInt8]
        private var position: UInt64 = 0     // plaintext bytes produced so far
        private var contentRead: UInt64 = 0

        init(contentLength: UInt64, total: UInt64) {
            self.contentLength = contentLength
            self.total = total
            var prefix: [UInt8] = []
            prefix.appendLittleEndian(contentLength)
            lengthPrefix = prefix
        }

        /// Whether the whole stream has been produced.
        var isComplete: Bool { position == total }

        /// Fills the start of `buffer` with the next bytes of the stream (as many as fit, up to the end).
        /// - Returns: how many bytes were filled, and which of them are content.
        /// - Throws: `CryptoError.malformedStream` when the source ends early or, at the end of the stream,
        ///   holds more than `contentLength` bytes (it changed while being read); the source's I/O errors.
        mutating func fill(_ buffer: UnsafeMutableRawBufferPointer, from source: inout some ByteSource) throws -> (count: Int, content: Range<Int>) {
            let count = Int(Swift.min(UInt64(buffer.count), total - position))
            var filled = 0
            // 1. the length prefix
            while position + UInt64(filled) < 8 && filled < count {
                buffer[filled] = lengthPrefix[Int(position) + filled]
                filled += 1
            }
            // 2. content
            let contentStart = filled
            let wantContent = Int(Swift.min(UInt64(count - filled), contentLength - contentRead))
            if wantContent > 0 {
                let got = try source.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + wantContent)]))
                guard got == wantContent else {
                    throw CryptoError.malformedStream("the input ended after \(contentRead + UInt64(got)) of \(contentLength) bytes (it changed while being read)")
                }
                contentRead += UInt64(got)
                filled += got
            }
            let content = contentStart..<filled
            // 3. zero padding
            if filled < count {
                (buffer.baseAddress! + filled).initializeMemory(as: UInt8.self, repeating: 0, count: count - filled)
            }
            position += UInt64(count)
            if isComplete {
                var probe: UInt8 = 0
                let extra = try withUnsafeMutableBytes(of: &probe) { (b) throws -> Int in try source.read(into: b) }
                guard extra == 0 else {
                    throw CryptoError.malformedStream("the input is longer than its stated \(contentLength) bytes (it changed while being read)")
                }
            }
            return (count, content)
        }
    }

    /// Opens a sealed stream from `source`, writing the content to `sink` as it is authenticated.
    ///
    /// Content reaches the sink chunk by chunk before the end is verified; a caller that writes to a file
    /// must write to a temporary file and rename it only after this returns (see `openToFile`).
    /// - Returns: the content length in bytes.
    /// - Throws: `CryptoError.malformedStream` (wrong magic, version, chunk size; truncation; missing FINAL;
    ///   bytes after FINAL; bad padding or length) or `CryptoError.authenticationFailed` (wrong key, modified,
    ///   reordered or foreign chunks, wrong associated data).
    @discardableResult
    public static func open<Source: ByteSource, Sink: ByteSink>(
        from source: inout Source, to sink: inout Sink, key: borrowing SecretBytes, associatedData: [UInt8] = []
    ) throws -> UInt64 {
        var header = [UInt8](repeating: 0, count: headerByteCount)
        let got = try header.withUnsafeMutableBytes { (b) throws -> Int in try source.readFully(into: b) }
        guard got == headerByteCount else { throw CryptoError.malformedStream("truncated header (\(got) bytes)") }
        guard Array(header[0..<8]) == magic else { throw CryptoError.malformedStream("not an Amanah sealed stream (bad magic)") }
        guard header[8] == version else { throw CryptoError.malformedStream("unsupported container version \(header[8])") }
        let chunkSize = header.withUnsafeBytes { Int(readLittleEndianUInt32($0, at: 9)) }
        guard chunkSizeRange.contains(chunkSize) else { throw CryptoError.malformedStream("chunk size \(chunkSize) out of range") }
        let ad = Array(header[0..<prefixByteCount]) + associatedData
        var pull = try SecretStream.Pull(header: Array(header[prefixByteCount...]), key: key)

        var cipherBuffer = [UInt8](repeating: 0, count: chunkSize + SecretStream.overhead)
        var plainBuffer = [UInt8](repeating: 0, count: chunkSize)
        defer { wipe(&plainBuffer) }
        var lengthBytes: [UInt8] = []
        var contentLength: UInt64 = 0
        var emitted: UInt64 = 0
        var finished = false
        while !finished {
            let n = try cipherBuffer.withUnsafeMutableBytes { (b) throws -> Int in try source.readFully(into: b) }
            guard n > 0 else { throw CryptoError.malformedStream("truncated: the stream has no final chunk") }
            guard n >= SecretStream.overhead else { throw CryptoError.malformedStream("truncated chunk") }
            let plainCount = n - SecretStream.overhead
            let tag = try cipherBuffer.withUnsafeBytes { (c) throws -> SecretStream.Tag in
                try ad.withUnsafeBytes { (a) throws -> SecretStream.Tag in
                    try plainBuffer.withUnsafeMutableBytes { (p) throws -> SecretStream.Tag in
                        try pull.pull(UnsafeRawBufferPointer(rebasing: c[0..<n]), associatedData: a,
                                      into: UnsafeMutableRawBufferPointer(rebasing: p[0..<plainCount]))
                    }
                }
            }
            switch tag {
            case .message:
                guard n == cipherBuffer.count else { throw CryptoError.malformedStream("truncated: short chunk without the final tag") }
            case .final:
                var probe: UInt8 = 0
                let extra = try withUnsafeMutableBytes(of: &probe) { (b) throws -> Int in try source.read(into: b) }
                guard extra == 0 else { throw CryptoError.malformedStream("bytes after the final chunk") }
                finished = true
            case .push, .rekey:
                throw CryptoError.malformedStream("unexpected chunk tag \(tag)")
            }
            var offset = 0
            while lengthBytes.count < 8 && offset < plainCount {
                lengthBytes.append(plainBuffer[offset])
                offset += 1
                if lengthBytes.count == 8 {
                    contentLength = lengthBytes.withUnsafeBytes { readLittleEndianUInt64($0, at: 0) }
                }
            }
            if lengthBytes.count == 8 && offset < plainCount {
                let contentHere = Int(Swift.min(UInt64(plainCount - offset), contentLength - emitted))
                if contentHere > 0 {
                    try plainBuffer.withUnsafeBytes { (p) throws in
                        try sink.write(UnsafeRawBufferPointer(rebasing: p[offset..<(offset + contentHere)]))
                    }
                    emitted += UInt64(contentHere)
                    offset += contentHere
                }
                var nonZero: UInt8 = 0
                while offset < plainCount { nonZero |= plainBuffer[offset]; offset += 1 }
                guard nonZero == 0 else { throw CryptoError.malformedStream("padding is not zero") }
            }
        }
        guard lengthBytes.count == 8 else { throw CryptoError.malformedStream("too short to hold its length") }
        guard emitted == contentLength else {
            throw CryptoError.malformedStream("states \(contentLength) bytes of content but holds \(emitted)")
        }
        return contentLength
    }

    /// Opens a sealed stream into a new file at `path`: writes a temporary file (mode 0600) beside it, and
    /// renames it into place only after the FINAL chunk verified; on any failure the temporary file is
    /// removed and nothing appears at `path`.
    /// - Parameter overwrite: replace an existing file at `path`.
    /// - Returns: the content length in bytes.
    /// - Throws: as `open(from:to:key:associatedData:)`, and `SystemCallError` for I/O errors or an
    ///   existing file when `overwrite` is false.
    @discardableResult
    public static func openToFile<Source: ByteSource>(
        from source: inout Source, path: String, key: borrowing SecretBytes, associatedData: [UInt8] = [],
        overwrite: Bool = false, onContent: (UnsafeRawBufferPointer) -> Void = { _ in }
    ) throws -> UInt64 {
        var length: UInt64 = 0
        let keyCopy = key.duplicate()
        try withoutActuallyEscaping(onContent) { observer in
            try DurableFile.write(to: path, mode: 0o600, overwrite: overwrite) { handle in
                var sink = ObservingSink(inner: handle, observer: observer)
                length = try open(from: &source, to: &sink, key: keyCopy, associatedData: associatedData)
            }
        }
        return length
    }
}

/// A sink that passes bytes to an observer (for hashing) and then on to another sink.
public struct ObservingSink<Inner: ByteSink>: ByteSink {
    var inner: Inner
    let observer: (UnsafeRawBufferPointer) -> Void

    /// Wraps `inner`, calling `observer` with every piece before it is written.
    public init(inner: Inner, observer: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.inner = inner
        self.observer = observer
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        observer(bytes)
        try inner.write(bytes)
    }
}
