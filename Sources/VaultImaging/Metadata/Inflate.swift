import CZlib

/// zlib (RFC 1950) decompression with a hard cap on the output, for PNG zTXt, iTXt and iCCP chunks.
/// The cap defends against decompression bombs (LOG.md C13, CVE-2014-9601): output stops at `limit`
/// bytes, as Pillow's MAX_TEXT_CHUNK does.
enum Inflate {
    /// The largest decompressed text kept per chunk: 1 MiB, as Pillow's `MAX_TEXT_CHUNK`.
    static let textChunkLimit = 1 << 20

    /// Result of a bounded inflation.
    struct Result {
        /// Up to `limit` bytes of output.
        var bytes: [UInt8]
        /// Whether output was cut at the limit.
        var truncated: Bool
        /// Whether the stream was damaged (the output holds what decoded before the damage).
        var damaged: Bool
    }

    /// Inflates a zlib stream, keeping at most `limit` output bytes.
    static func zlib(_ input: [UInt8], limit: Int = textChunkLimit) -> Result {
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return Result(bytes: [], truncated: false, damaged: true)
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var truncated = false
        var damaged = false
        input.withUnsafeBufferPointer { inputBuffer in
            stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress)
            stream.avail_in = uInt(inputBuffer.count)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                let room = limit - output.count
                if produced > room {
                    output.append(contentsOf: chunk[0..<room])
                    truncated = true
                    return
                }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_STREAM_END { return }
                if status != Z_OK { damaged = true; return }
                if produced == 0 && stream.avail_in == 0 { damaged = true; return }
            }
        }
        return Result(bytes: output, truncated: truncated, damaged: damaged)
    }

    /// CRC-32 as PNG chunks use it (ISO 3309, the same as zlib's `crc32`).
    static func crc32(_ bytes: ByteView) -> UInt32 {
        bytes.storage.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            return UInt32(CZlib.crc32(0, base + bytes.start, uInt(bytes.count)))
        }
    }
}
