import CZlib

/// zlib (RFC 1950) decompression through Debian's zlib, for the age test kit's `compressed: zlib` vectors.
enum Inflate {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Decompresses a whole zlib stream (its Adler-32 trailer checked by zlib), at most `limit` bytes.
    /// - Throws: `Failure` naming zlib's status for a damaged or truncated stream or one larger than `limit`.
    static func zlib(_ data: [UInt8], limit: Int = 64 << 20) throws -> [UInt8] {
        var capacity = Swift.min(limit, Swift.max(4096, data.count * 4))
        while true {
            var output = [UInt8](repeating: 0, count: capacity)
            var length = uLongf(capacity)
            let status = output.withUnsafeMutableBufferPointer { out in
                data.withUnsafeBufferPointer { input in
                    uncompress(out.baseAddress, &length, input.baseAddress, uLong(input.count))
                }
            }
            switch status {
            case Z_OK: return Array(output[0..<Int(length)])
            case Z_BUF_ERROR where capacity < limit: capacity = Swift.min(limit, capacity * 2)
            default: throw Failure("zlib stream does not decompress (zlib status \(status))")
            }
        }
    }
}
