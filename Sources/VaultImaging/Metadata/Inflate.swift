internal import CZlib

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

    /// Inflates a zlib stream, keeping at most `limit` output bytes. The output buffer grows by doubling
    /// (from four times the input) up to `limit + 1` bytes, so a bomb costs at most that much memory.
    static func zlib(_ input: [UInt8], limit: Int = textChunkLimit) -> Result {
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return Result(bytes: [], truncated: false, damaged: true)
        }
        defer { inflateEnd(&stream) }
        let cap = limit + 1
        var output = [UInt8](repeating: 0, count: Swift.min(cap, Swift.max(4096, input.count * 4)))
        var produced = 0
        var status: Int32 = Z_OK
        input.withUnsafeBufferPointer { inputBuffer in
            stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress)
            stream.avail_in = uInt(inputBuffer.count)
            while true {
                if produced == output.count {
                    if output.count >= cap { return }
                    output += [UInt8](repeating: 0, count: Swift.min(cap, output.count * 2) - output.count)
                }
                status = output.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress! + produced
                    stream.avail_out = uInt(out.count - produced)
                    let before = stream.avail_out
                    let result = inflate(&stream, Z_NO_FLUSH)
                    produced += Int(before - stream.avail_out)
                    return result
                }
                if status == Z_STREAM_END { return }
                if status != Z_OK && status != Z_BUF_ERROR { return }
                if status == Z_BUF_ERROR && stream.avail_in == 0 { return }
            }
        }
        let truncated = produced > limit
        let damaged = !truncated && status != Z_STREAM_END
        return Result(bytes: Array(output[0..<Swift.min(produced, limit)]), truncated: truncated, damaged: damaged)
    }

    /// CRC-32 as PNG chunks use it (ISO 3309, the same as zlib's `crc32`).
    static func crc32(_ bytes: ByteView) -> UInt32 {
        bytes.storage.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            return UInt32(CZlib.crc32(0, base + bytes.start, uInt(bytes.count)))
        }
    }
}
