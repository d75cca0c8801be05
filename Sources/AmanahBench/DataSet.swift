#if canImport(Glibc)
import VaultPlatform
import Glibc
#endif
import VaultCrypto

/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64: a fast, fixed, portable generator, so the
/// benchmark files are the same bytes on every machine. Not for anything secret.
struct Xoshiro256 {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A value in `0..<bound`.
    mutating func below(_ bound: UInt64) -> UInt64 { next() % bound }

    /// Fills `buffer` (whole 8-byte words, then the tail).
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset + 8 <= buffer.count {
            buffer.storeBytes(of: next(), toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        if offset < buffer.count {
            var last = next()
            while offset < buffer.count { buffer[offset] = UInt8(truncatingIfNeeded: last); last >>= 8; offset += 1 }
        }
    }
}

/// JPEG-like files: a valid small baseline JPEG header (SOI, APP0 JFIF, DQT, SOF0 4000×3000 three
/// components, DHT, SOS), then pseudo-random "entropy-coded" bytes from a fixed seed, then EOI. They sniff as
/// `image/jpeg` and do not compress, like real photographs.
enum JPEGLike {
    /// The fixed seed of every data set ("amanah" in ASCII).
    static let seed: UInt64 = 0x616D_616E_6168

    static let header: [UInt8] = {
        var bytes: [UInt8] = [0xFF, 0xD8]                                           // SOI
        bytes += [0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0x00, 0x01, 0x01, 0x00, 0x00, 0x48, 0x00, 0x48, 0x00, 0x00]
        bytes += [0xFF, 0xDB, 0x00, 0x43, 0x00] + (0..<64).map { UInt8(1 + $0 % 16) }   // DQT, table 0
        bytes += [0xFF, 0xC0, 0x00, 0x11, 0x08, 0x0B, 0xB8, 0x0F, 0xA0, 0x03,         // SOF0 3000×4000
                  0x01, 0x22, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00]
        // DHT: one DC table (class 0, id 0) with 12 one-symbol codes of lengths 2..
        bytes += [0xFF, 0xC4, 0x00, 0x1F, 0x00, 0x00, 0x01, 0x05, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00,
                  0x00, 0x00, 0x00, 0x00, 0x00] + (0..<12).map { UInt8($0) }
        bytes += [0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x3F, 0x00]   // SOS
        return bytes
    }()

    /// Writes a JPEG-like file of exactly `size` bytes (at least header + 2) for `(set, index)`; with
    /// `imageHeader` false, the same kind of bytes without the JPEG markers (sniffed as
    /// application/octet-stream, so ingest extracts no capture metadata).
    static func write(path: String, size: Int, set: UInt64, index: UInt64, imageHeader: Bool = true) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BenchError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var generator = Xoshiro256(seed: seed ^ (set &* 0x1_0000_0001) ^ (index &* 0x9E37_79B9))
        let bufferSize = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var written = 0
        while written < size {
            let count = min(bufferSize, size - written)
            let piece = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
            generator.fill(piece)
            if written == 0 {
                if imageHeader { for (i, byte) in header.enumerated() where i < count { piece[i] = byte } }
                else if count > 0 && piece[0] == 0xFF { piece[0] = 0 }
            }
            let tail = size - 2
            if imageHeader && written + count > tail {                                              // EOI at the very end
                for position in max(tail, written)..<(written + count) { piece[position - written] = position == tail ? 0xFF : 0xD9 }
            }
            var offset = 0
            while offset < count {
                let n = Glibc.write(fd, piece.baseAddress! + offset, count - offset)
                guard n > 0 else { throw BenchError("cannot write \(path): \(String(cString: strerror(errno)))") }
                offset += n
            }
            written += count
        }
    }
}

/// A named set of files under the work folder, made once and reused when already complete.
struct DataSet {
    let name: String
    let folder: String
    let files: [String]
    let sizes: [Int]
    var totalBytes: Int { sizes.reduce(0, +) }

    /// `count` files of `size(i)` bytes in `work/name/`, named `name-00000.jpg`...
    static func make(work: String, name: String, setNumber: UInt64, count: Int, size: (Int) -> Int,
                     imageHeader: Bool = true, log: (String) -> Void) throws -> DataSet {
        let folder = work + "/" + name
        mkdir(folder, 0o755)
        let marker = folder + "/.complete-v1"
        let complete = access(marker, F_OK) == 0
        var files: [String] = [], sizes: [Int] = []
        var made = 0
        for index in 0..<count {
            let path = folder + "/" + name + "-" + pad(index, 5) + (imageHeader ? ".jpg" : ".bin")
            let bytes = size(index)
            files.append(path); sizes.append(bytes)
            var info = stat()
            if complete && stat(path, &info) == 0 && Int(info.st_size) == bytes { continue }
            try JPEGLike.write(path: path, size: bytes, set: setNumber, index: UInt64(index), imageHeader: imageHeader)
            made += 1
            if made % 5000 == 0 { log("made \(made) of \(count) \(name) files") }
        }
        if !complete {
            let fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if fd >= 0 { close(fd) }
        }
        return DataSet(name: name, folder: folder, files: files, sizes: sizes)
    }

    /// SHA-256 (hex) of the first file, printed so that runs on different machines can be compared.
    func firstFileDigest() -> String {
        guard let first = files.first, let bytes = try? DurableFile.readAll(first, limit: 1 << 30) else { return "?" }
        return Hex.encode(SHA256Digest.hash(bytes))
    }

    /// Reads every file once so the page cache is warm.
    func warmCache() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        for path in files {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            while read(fd, buffer, 1 << 20) > 0 {}
            close(fd)
        }
    }
}

/// `value` in decimal, left-padded with zeros to `width`.
func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, width - text.count)) + text
}
