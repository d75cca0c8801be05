/// The POSIX ustar header block (512 bytes; POSIX.1-2001 `pax` "ustar Interchange Format"):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 100 | name |
/// | 100 | 8 | mode (octal) |
/// | 108 | 8 | uid (octal) |
/// | 116 | 8 | gid (octal) |
/// | 124 | 12 | size (octal) |
/// | 136 | 12 | mtime (octal) |
/// | 148 | 8 | checksum (octal; computed with this field as 8 spaces) |
/// | 156 | 1 | type flag |
/// | 157 | 100 | link name |
/// | 257 | 6 | magic `ustar\0` |
/// | 263 | 2 | version `00` |
/// | 265 | 32 | user name |
/// | 297 | 32 | group name |
/// | 329 | 8 | device major |
/// | 337 | 8 | device minor |
/// | 345 | 155 | prefix |
enum TarHeader {
    static let blockSize = 512
    static let typeRegular = UInt8(ascii: "0")
    static let typeDirectory = UInt8(ascii: "5")
    /// The largest size the 11-digit octal field holds: 8^11 − 1 bytes.
    static let maximumOctal11: UInt64 = (1 << 33) - 1

    /// A header block for a regular file or folder, as the writer emits it: mode 0644 / 0755, uid and gid
    /// 0, empty user and group names, the given size and modification time, POSIX ustar magic.
    static func block(name: [UInt8], isFolder: Bool, size: UInt64, modificationTime: UInt64) -> [UInt8] {
        precondition(name.count <= 100 && size <= maximumOctal11 && modificationTime <= maximumOctal11)
        var block = [UInt8](repeating: 0, count: blockSize)
        func put(_ bytes: [UInt8], at offset: Int) {
            for (index, byte) in bytes.enumerated() { block[offset + index] = byte }
        }
        put(name, at: 0)
        put(octal(isFolder ? 0o755 : 0o644, digits: 7), at: 100)
        put(octal(0, digits: 7), at: 108)
        put(octal(0, digits: 7), at: 116)
        put(octal(size, digits: 11), at: 124)
        put(octal(modificationTime, digits: 11), at: 136)
        put([UInt8](repeating: 0x20, count: 8), at: 148)
        block[156] = isFolder ? typeDirectory : typeRegular
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        put(octal(0, digits: 7), at: 329)
        put(octal(0, digits: 7), at: 337)
        let sum = block.reduce(UInt64(0)) { $0 + UInt64($1) }
        put(octal(sum, digits: 6) + [0x20], at: 148)
        return block
    }

    /// `value` as `digits` zero-padded octal digits followed by NUL.
    static func octal(_ value: UInt64, digits: Int) -> [UInt8] {
        var text = Array(String(value, radix: 8).utf8)
        precondition(text.count <= digits, "value too large for the field")
        text = [UInt8](repeating: UInt8(ascii: "0"), count: digits - text.count) + text
        return text + [0]
    }

    /// The checksum of a block: the sum of its bytes with the checksum field counted as spaces.
    static func checksum(_ block: [UInt8]) -> UInt64 {
        var sum: UInt64 = 0
        for (index, byte) in block.enumerated() { sum += (148..<156).contains(index) ? 0x20 : UInt64(byte) }
        return sum
    }

    /// Parses an octal number field: optional leading spaces, at least one octal digit, then only NUL or
    /// space to the end of the field. Base-256 (GNU binary) values are refused.
    static func parseOctal(_ field: ArraySlice<UInt8>) -> UInt64? {
        var index = field.startIndex
        while index < field.endIndex && field[index] == 0x20 { index += 1 }
        var value: UInt64 = 0
        var digits = 0
        while index < field.endIndex, (0x30...0x37).contains(field[index]) {
            guard digits < 21 else { return nil }
            value = value << 3 | UInt64(field[index] - 0x30)
            digits += 1
            index += 1
        }
        guard digits > 0 else { return nil }
        guard field[index...].allSatisfy({ $0 == 0 || $0 == 0x20 }) else { return nil }
        return value
    }

    /// The bytes of a NUL-terminated (or full-width) text field.
    static func text(_ field: ArraySlice<UInt8>) -> [UInt8] {
        Array(field.prefix { $0 != 0 })
    }

    /// A name for a type flag, for messages.
    static func typeName(_ flag: UInt8) -> String {
        switch flag {
        case UInt8(ascii: "1"): return "hard link"
        case UInt8(ascii: "2"): return "symbolic link"
        case UInt8(ascii: "3"): return "character device"
        case UInt8(ascii: "4"): return "block device"
        case UInt8(ascii: "6"): return "FIFO"
        case UInt8(ascii: "7"): return "contiguous file"
        case UInt8(ascii: "x"): return "PAX extended header"
        case UInt8(ascii: "g"): return "PAX global header"
        case UInt8(ascii: "L"): return "GNU long name"
        case UInt8(ascii: "K"): return "GNU long link name"
        default:
            if (0x21...0x7e).contains(flag) { return "type \"\(Character(Unicode.Scalar(flag)))\"" }
            return "type 0x" + String(flag, radix: 16)
        }
    }
}
