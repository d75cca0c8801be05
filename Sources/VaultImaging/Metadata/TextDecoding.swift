/// Decoders for the text encodings found in image metadata. None of them fails: bytes that do not decode
/// become U+FFFD, so a hostile value can never stop extraction.
enum TextDecoding {
    /// Bytes up to the first NUL.
    static func trimmedAtNUL(_ bytes: [UInt8]) -> [UInt8] {
        if let nul = bytes.firstIndex(of: 0) { return Array(bytes[..<nul]) }
        return bytes
    }

    /// Whether `bytes` are well-formed UTF-8.
    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// UTF-8 with U+FFFD for malformed sequences.
    static func utf8(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// ISO 8859-1: each byte is the code point of the same value.
    static func latin1(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(UnicodeScalar(byte)) }
        return String(scalars)
    }

    /// EXIF "ASCII" values, which cameras and tools fill with UTF-8 in practice: UTF-8 when well-formed,
    /// else Latin-1. Trailing NULs and spaces are trimmed.
    static func exifASCII(_ bytes: [UInt8]) -> String {
        let raw = trimmedAtNUL(bytes)
        let text = isValidUTF8(raw) ? utf8(raw) : latin1(raw)
        return trimmingSpaces(text)
    }

    /// UTF-16 code units in the given byte order (UCS-2 is its subset), stopping at a U+0000 unit. A byte
    /// order mark, when present, overrides `littleEndian`.
    static func utf16(_ bytes: [UInt8], littleEndian: Bool) -> String {
        var little = littleEndian
        var start = 0
        if bytes.count >= 2 {
            if bytes[0] == 0xFF && bytes[1] == 0xFE { little = true; start = 2 }
            else if bytes[0] == 0xFE && bytes[1] == 0xFF { little = false; start = 2 }
        }
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var i = start
        while i + 1 < bytes.count {
            let unit = little ? UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 : UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
            if unit == 0 { break }
            units.append(unit)
            i += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// EXIF UserComment: an 8-byte character code ("ASCII\0\0\0", "UNICODE\0", "JIS\0\0\0\0\0", or eight
    /// NULs for undefined) then the text. UNICODE is UCS-2 in the byte order of the TIFF header unless a
    /// byte order mark says otherwise (EXIF 2.32 §4.6.5, table 9).
    static func userComment(_ bytes: [UInt8], tiffLittleEndian: Bool) -> String {
        guard bytes.count >= 8 else { return exifASCII(bytes) }
        let code = Array(bytes[0..<8])
        let body = Array(bytes[8...])
        if code.starts(with: Array("UNICODE".utf8)) {
            return trimmingSpaces(utf16(body, littleEndian: tiffLittleEndian))
        }
        if code.starts(with: Array("ASCII".utf8)) || code.allSatisfy({ $0 == 0 }) {
            return exifASCII(body)
        }
        return exifASCII(body)
    }

    /// Windows-1256 (Arabic) upper half, 0x80–0xFF, as Unicode scalar values.
    static let cp1256High: [UInt32] = [
        0x20AC, 0x067E, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0679, 0x2039, 0x0152, 0x0686, 0x0698, 0x0688,
        0x06AF, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x06A9, 0x2122, 0x0691, 0x203A, 0x0153, 0x200C, 0x200D, 0x06BA,
        0x00A0, 0x060C, 0x00A2, 0x00A3, 0x00A4, 0x00A5, 0x00A6, 0x00A7, 0x00A8, 0x00A9, 0x06BE, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x00AF,
        0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x00B4, 0x00B5, 0x00B6, 0x00B7, 0x00B8, 0x00B9, 0x061B, 0x00BB, 0x00BC, 0x00BD, 0x00BE, 0x061F,
        0x06C1, 0x0621, 0x0622, 0x0623, 0x0624, 0x0625, 0x0626, 0x0627, 0x0628, 0x0629, 0x062A, 0x062B, 0x062C, 0x062D, 0x062E, 0x062F,
        0x0630, 0x0631, 0x0632, 0x0633, 0x0634, 0x0635, 0x0636, 0x00D7, 0x0637, 0x0638, 0x0639, 0x063A, 0x0640, 0x0641, 0x0642, 0x0643,
        0x00E0, 0x0644, 0x00E2, 0x0645, 0x0646, 0x0647, 0x0648, 0x00E7, 0x00E8, 0x00E9, 0x00EA, 0x00EB, 0x0649, 0x064A, 0x00EE, 0x00EF,
        0x064B, 0x064C, 0x064D, 0x064E, 0x00F4, 0x064F, 0x0650, 0x00F7, 0x0651, 0x00F9, 0x0652, 0x00FB, 0x00FC, 0x200E, 0x200F, 0x06D2,
    ]

    /// Windows-1256 to Unicode.
    static func cp1256(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            let value = byte < 0x80 ? UInt32(byte) : cp1256High[Int(byte) - 0x80]
            scalars.append(UnicodeScalar(value) ?? "\u{FFFD}")
        }
        return String(scalars)
    }

    /// Text with no declared charset (JPEG COM, PNG tEXt written by careless tools): UTF-8 when well-formed;
    /// else Windows-1256 when most high bytes are Arabic letters in that code page; else Latin-1. The
    /// second element names the guess ("UTF-8", "Windows-1256 (guessed)", "Latin-1").
    static func undeclared(_ bytes: [UInt8]) -> (String, String) {
        if isValidUTF8(bytes) { return (utf8(bytes), "UTF-8") }
        var high = 0, arabic = 0
        for byte in bytes where byte >= 0x80 {
            high += 1
            let scalar = cp1256High[Int(byte) - 0x80]
            if (0x0600...0x06FF).contains(scalar) { arabic += 1 }
        }
        if high > 0 && arabic * 10 >= high * 7 { return (cp1256(bytes), "Windows-1256 (guessed)") }
        return (latin1(bytes), "Latin-1")
    }

    /// Removes leading and trailing ASCII spaces and NULs.
    static func trimmingSpaces(_ text: String) -> String {
        var scalars = Substring(text).unicodeScalars[...]
        while let first = scalars.first, first == " " || first == "\0" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\0" { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }

    /// Caps a value at `limit` Unicode scalars, marking the cut.
    static func capped(_ text: String, limit: Int = 4096) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > limit else { return text }
        return String(String.UnicodeScalarView(scalars.prefix(limit))) + "…[truncated]"
    }

    /// Lower-case hexadecimal.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return out
    }
}
