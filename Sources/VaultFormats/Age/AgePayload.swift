import VaultPlatform
import VaultCrypto

/// The age v1 payload (c2sp.org/age, "Payload"): a 16-byte random nonce, then the plaintext in 64 KiB
/// chunks, each sealed with ChaCha20-Poly1305 under `payload key = HKDF-SHA-256(ikm: file key, salt: nonce,
/// info: "payload")` and the 12-byte nonce `chunk counter (11 bytes, big-endian) ‖ last-chunk flag (0x01
/// on the final chunk, else 0x00)`. The final chunk may be shorter than 64 KiB but is never empty unless
/// the whole payload is empty. Memory use is two chunk buffers whatever the payload size.
enum AgePayload {
    /// Plaintext bytes per chunk: 64 KiB.
    static let chunkSize = 64 * 1024
    /// Sealed bytes per full chunk.
    static let sealedChunkSize = chunkSize + ChaCha20Poly1305.tagByteCount
    /// Length of the payload nonce: 16 bytes.
    static let nonceByteCount = 16

    static func payloadKey(fileKey: borrowing SecretBytes, nonce: [UInt8]) -> SecretBytes {
        HKDFSHA256.deriveKey(inputKeyMaterial: fileKey, salt: nonce, info: Array("payload".utf8), length: 32)
    }

    static func chunkNonce(counter: UInt64, last: Bool) -> [UInt8] {
        var nonce: [UInt8] = [0, 0, 0]
        nonce.appendBigEndian(counter)
        nonce.append(last ? 1 : 0)
        return nonce
    }

    /// Encrypts everything `source` yields. Returns the plaintext length in bytes.
    static func seal<Source: ByteSource, Sink: ByteSink>(from source: inout Source, to sink: inout Sink,
                                                         fileKey: borrowing SecretBytes) throws -> UInt64 {
        let nonce = Random.bytes(nonceByteCount)
        try AgeIO.write(nonce, to: &sink)
        let key = payloadKey(fileKey: fileKey, nonce: nonce)
        var plain = [UInt8](repeating: 0, count: chunkSize)
        var sealed = [UInt8](repeating: 0, count: sealedChunkSize)
        defer { wipe(&plain) }
        var carry: UInt8? = nil
        var counter: UInt64 = 0
        var total: UInt64 = 0
        while true {
            var filled = 0
            if let byte = carry {
                plain[0] = byte
                filled = 1
                carry = nil
            }
            filled += try plain.withUnsafeMutableBytes { (buffer) throws -> Int in
                try AgeIO.readFully(&source, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            }
            var last = filled < chunkSize
            if !last {
                // A full chunk is the final one only if the source has nothing more: look one byte ahead.
                var probe: UInt8 = 0
                let extra = try withUnsafeMutableBytes(of: &probe) { (buffer) throws -> Int in
                    try AgeIO.readFully(&source, into: buffer)
                }
                if extra == 0 { last = true } else { carry = probe }
            }
            guard counter < UInt64.max else { throw AgeError.invalidArgument("payload too long") }
            let chunkNonce = chunkNonce(counter: counter, last: last)
            try plain.withUnsafeBytes { (input) throws in
                try sealed.withUnsafeMutableBytes { (output) throws in
                    let out = UnsafeMutableRawBufferPointer(rebasing: output[0..<(filled + ChaCha20Poly1305.tagByteCount)])
                    ChaCha20Poly1305.seal(UnsafeRawBufferPointer(rebasing: input[0..<filled]), key: key,
                                          nonce: chunkNonce, into: out)
                    try AgeIO.write(UnsafeRawBufferPointer(out), to: &sink)
                }
            }
            total += UInt64(filled)
            if last { return total }
            counter += 1
        }
    }

    /// Decrypts the payload after the header, writing each chunk's plaintext to `sink` as soon as it is
    /// authenticated. Returns the plaintext length in bytes.
    /// - Throws: `AgeError.header` if the nonce is missing or short; `AgeError.payload` for every chunk
    ///   problem (plaintext of the chunks before it has been written).
    static func open<Source: ByteSource, Sink: ByteSink>(from source: inout Source, to sink: inout Sink,
                                                         fileKey: borrowing SecretBytes) throws -> UInt64 {
        var nonce = [UInt8](repeating: 0, count: nonceByteCount)
        let got = try nonce.withUnsafeMutableBytes { (buffer) throws -> Int in try AgeIO.readFully(&source, into: buffer) }
        guard got == nonceByteCount else { throw AgeError.header("the payload nonce is missing or short (\(got) of 16 bytes)") }
        let key = payloadKey(fileKey: fileKey, nonce: nonce)
        var sealed = [UInt8](repeating: 0, count: sealedChunkSize)
        var plain = [UInt8](repeating: 0, count: chunkSize)
        defer { wipe(&plain) }
        let tag = ChaCha20Poly1305.tagByteCount
        var counter: UInt64 = 0
        var total: UInt64 = 0
        while true {
            let n = try sealed.withUnsafeMutableBytes { (buffer) throws -> Int in try AgeIO.readFully(&source, into: buffer) }
            if n == 0 {
                throw AgeError.payload(counter == 0 ? "the payload has no chunk" : "the payload ends without a final chunk (truncated)")
            }
            var last = n < sealedChunkSize
            if last && counter > 0 && n == tag { throw AgeError.payload("the final chunk is empty") }
            guard n >= tag else { throw AgeError.payload("chunk \(counter) is shorter than its tag") }
            let plainCount = n - tag
            func attempt(last: Bool) -> Bool {
                sealed.withUnsafeBytes { input in
                    plain.withUnsafeMutableBytes { output in
                        ChaCha20Poly1305.open(UnsafeRawBufferPointer(rebasing: input[0..<n]), key: key,
                                              nonce: chunkNonce(counter: counter, last: last),
                                              into: UnsafeMutableRawBufferPointer(rebasing: output[0..<plainCount]))
                    }
                }
            }
            var opened = attempt(last: last)
            if !opened && !last {
                // A full-size chunk may be the final one (the payload length is a multiple of 64 KiB).
                last = true
                opened = attempt(last: true)
            }
            guard opened else { throw AgeError.payload("chunk \(counter) failed authentication") }
            try plain.withUnsafeBytes { (output) throws in
                try AgeIO.write(UnsafeRawBufferPointer(rebasing: output[0..<plainCount]), to: &sink)
            }
            total += UInt64(plainCount)
            if last {
                var probe: UInt8 = 0
                let extra = try withUnsafeMutableBytes(of: &probe) { (buffer) throws -> Int in try AgeIO.readFully(&source, into: buffer) }
                guard extra == 0 else { throw AgeError.payload("data after the final chunk") }
                return total
            }
            guard counter < UInt64.max else { throw AgeError.payload("too many chunks") }
            counter += 1
        }
    }
}

/// Source and sink calls with errors mapped to `AgeError` (an `AgeError` from a wrapped source, such as the
/// armor reader, passes through unchanged).
enum AgeIO {
    static func readFully<Source: ByteSource>(_ source: inout Source, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do { return try source.readFully(into: buffer) } catch let error as AgeError { throw error } catch {
            throw AgeError.io("reading the input failed: \(error)")
        }
    }

    static func write<Sink: ByteSink>(_ bytes: UnsafeRawBufferPointer, to sink: inout Sink) throws {
        do { try sink.write(bytes) } catch let error as AgeError { throw error } catch {
            throw AgeError.io("writing the output failed: \(error)")
        }
    }

    static func write<Sink: ByteSink>(_ bytes: [UInt8], to sink: inout Sink) throws {
        try bytes.withUnsafeBytes { (buffer) throws in try write(buffer, to: &sink) }
    }
}
