#if canImport(Glibc)
import Glibc
#endif

/// A bounds-checked window onto a byte array. Every read names what it was reading when it fails, and no
/// offset or length taken from a file is trusted: all arithmetic is checked against the window first.
struct ByteView: Sendable {
    /// The whole underlying array (shared, not copied).
    let storage: [UInt8]
    /// Index of the first byte of this window in `storage`.
    let start: Int
    /// Number of bytes in this window.
    let count: Int

    init(_ bytes: [UInt8]) {
        storage = bytes
        start = 0
        count = bytes.count
    }

    private init(storage: [UInt8], start: Int, count: Int) {
        self.storage = storage
        self.start = start
        self.count = count
    }

    /// Whether `length` bytes starting at `offset` lie inside the window (no overflow possible).
    func contains(_ offset: Int, _ length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= count && length <= count - offset
    }

    /// A sub-window. - Throws: `MetadataParseError.truncated` when it does not fit.
    func sub(_ offset: Int, _ length: Int, _ what: @autoclosure () -> String) throws -> ByteView {
        guard contains(offset, length) else { throw MetadataParseError.truncated(what()) }
        return ByteView(storage: storage, start: start + offset, count: length)
    }

    /// The window from `offset` to its end. - Throws: `MetadataParseError.truncated`.
    func suffix(from offset: Int, _ what: @autoclosure () -> String) throws -> ByteView {
        guard offset >= 0, offset <= count else { throw MetadataParseError.truncated(what()) }
        return ByteView(storage: storage, start: start + offset, count: count - offset)
    }

    /// The byte at `offset`. - Throws: `MetadataParseError.truncated`.
    func u8(_ offset: Int, _ what: @autoclosure () -> String = "byte") throws -> UInt8 {
        guard contains(offset, 1) else { throw MetadataParseError.truncated(what()) }
        return storage[start + offset]
    }

    /// An unsigned 16-bit integer. - Throws: `MetadataParseError.truncated`.
    func u16(_ offset: Int, littleEndian: Bool = false, _ what: @autoclosure () -> String = "16-bit value") throws -> UInt16 {
        guard contains(offset, 2) else { throw MetadataParseError.truncated(what()) }
        let a = UInt16(storage[start + offset]), b = UInt16(storage[start + offset + 1])
        return littleEndian ? (b << 8 | a) : (a << 8 | b)
    }

    /// An unsigned 24-bit integer. - Throws: `MetadataParseError.truncated`.
    func u24(_ offset: Int, littleEndian: Bool = false, _ what: @autoclosure () -> String = "24-bit value") throws -> UInt32 {
        guard contains(offset, 3) else { throw MetadataParseError.truncated(what()) }
        let a = UInt32(storage[start + offset]), b = UInt32(storage[start + offset + 1]),
            c = UInt32(storage[start + offset + 2])
        return littleEndian ? (c << 16 | b << 8 | a) : (a << 16 | b << 8 | c)
    }

    /// An unsigned 32-bit integer. - Throws: `MetadataParseError.truncated`.
    func u32(_ offset: Int, littleEndian: Bool = false, _ what: @autoclosure () -> String = "32-bit value") throws -> UInt32 {
        guard contains(offset, 4) else { throw MetadataParseError.truncated(what()) }
        var value: UInt32 = 0
        for i in 0..<4 {
            let byte = UInt32(storage[start + offset + (littleEndian ? 3 - i : i)])
            value = value << 8 | byte
        }
        return value
    }

    /// An unsigned 64-bit integer. - Throws: `MetadataParseError.truncated`.
    func u64(_ offset: Int, littleEndian: Bool = false, _ what: @autoclosure () -> String = "64-bit value") throws -> UInt64 {
        guard contains(offset, 8) else { throw MetadataParseError.truncated(what()) }
        var value: UInt64 = 0
        for i in 0..<8 {
            let byte = UInt64(storage[start + offset + (littleEndian ? 7 - i : i)])
            value = value << 8 | byte
        }
        return value
    }

    /// A copy of `length` bytes at `offset`. - Throws: `MetadataParseError.truncated`.
    func bytes(_ offset: Int, _ length: Int, _ what: @autoclosure () -> String = "bytes") throws -> [UInt8] {
        guard contains(offset, length) else { throw MetadataParseError.truncated(what()) }
        return Array(storage[(start + offset)..<(start + offset + length)])
    }

    /// A copy of the whole window.
    var array: [UInt8] { Array(storage[start..<(start + count)]) }

    /// Whether the window holds `prefix` at `offset`.
    func matches(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
        guard contains(offset, prefix.count) else { return false }
        for i in 0..<prefix.count where storage[start + offset + i] != prefix[i] { return false }
        return true
    }

    /// Whether the window holds the ASCII string `text` at `offset`.
    func matches(_ text: String, at offset: Int = 0) -> Bool { matches(Array(text.utf8), at: offset) }

    /// The first offset at or after `from` where `needle` occurs, if any.
    func firstIndex(of needle: [UInt8], from: Int = 0) -> Int? {
        guard !needle.isEmpty, needle.count <= count else { return nil }
        let startAt = Swift.max(0, from)
        guard startAt <= count - needle.count else { return nil }
        return storage.withUnsafeBufferPointer { buffer -> Int? in
            needle.withUnsafeBufferPointer { pattern -> Int? in
                let base = buffer.baseAddress! + start
                let first = pattern[0]
                var i = startAt
                let last = count - pattern.count
                while i <= last {
                    if base[i] == first {
                        var k = 1
                        while k < pattern.count && base[i + k] == pattern[k] { k += 1 }
                        if k == pattern.count { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }

    /// The first offset at or after `from` of a 0xFF byte followed by a byte that is not 0x00, 0xFF or an
    /// RSTn code: the end of JPEG entropy-coded data. Returns `count - 1` or more when there is none.
    func endOfEntropyData(from: Int) -> Int {
        guard from < count else { return count }
        return storage.withUnsafeBufferPointer { buffer -> Int in
            let base = buffer.baseAddress! + start
            var i = Swift.max(0, from)
            while i + 1 < count {
                // memchr finds the next 0xFF many bytes at a time (the scan of a large photograph is most of
                // the metadata job's time); only [i, count - 1) is searched, so base[i + 1] stays in bounds.
                guard let hit = memchr(base + i, 0xFF, count - 1 - i) else { return count - 1 }
                i = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
                let next = base[i + 1]
                if next == 0x00 || next == 0xFF || (next >= 0xD0 && next <= 0xD7) { i += (next == 0xFF ? 1 : 2); continue }
                return i
            }
            return i
        }
    }

    /// Four bytes at `offset` as an ASCII type code (non-printable bytes shown as `?`).
    func fourCC(_ offset: Int) throws -> String {
        let raw = try bytes(offset, 4, "four-character code")
        return String(raw.map { $0 >= 0x20 && $0 < 0x7F ? Character(UnicodeScalar($0)) : "?" })
    }
}

/// Why a metadata structure could not be read. Caught inside the extractor and turned into warnings: a
/// damaged or hostile structure never stops the rest of the file from being examined.
enum MetadataParseError: Error, CustomStringConvertible {
    /// A length or offset points outside the data (the string names the field).
    case truncated(String)
    /// A field holds a value the format does not allow.
    case invalid(String)
    /// A safety limit (depth, count, size) was reached.
    case limit(String)

    var description: String {
        switch self {
        case .truncated(let what): return "truncated or out-of-range \(what)"
        case .invalid(let what): return "invalid \(what)"
        case .limit(let what): return "limit reached: \(what)"
        }
    }
}
