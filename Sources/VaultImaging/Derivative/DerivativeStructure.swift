/// A structural check, in the parent process, of a derivative the sandbox returned: a compromised decoder
/// in the child could otherwise hand back a file that still carries metadata, a thumbnail or a trailer.
///
/// Accepted (the E-STRIP structure): JPEG — SOI, DQT, SOF0–SOF2, DHT, DRI, SOS with entropy-coded data,
/// at most one bare JFIF APP0 without a thumbnail, EOI, nothing after it. PNG — the signature, then IHDR,
/// PLTE, tRNS, IDAT, sRGB, gAMA, cHRM, pHYs, bKGD, IEND, nothing after it.
public enum DerivativeStructure {
    /// Why a derivative is refused, or nil when its structure is clean.
    public static func problem(_ bytes: [UInt8], format: DerivativeRequest.Format) -> String? {
        switch format {
        case .jpeg: return jpegProblem(bytes)
        case .png: return pngProblem(bytes)
        }
    }

    static func jpegProblem(_ b: [UInt8]) -> String? {
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { return "not a JPEG" }
        var i = 2
        var sawJFIF = false
        while i + 1 < b.count {
            guard b[i] == 0xFF else { return "unexpected byte between JPEG segments at \(i)" }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }
            if marker == 0xD9 { return i + 2 == b.count ? nil : "\(b.count - i - 2) bytes after the end of the image" }
            guard i + 3 < b.count else { return "truncated JPEG segment" }
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2, i + 2 + length <= b.count else { return "JPEG segment runs past the end" }
            switch marker {
            case 0xDB, 0xC0, 0xC1, 0xC2, 0xC4, 0xDD:
                break
            case 0xE0:
                let body = Array(b[(i + 4)..<(i + 2 + length)])
                guard !sawJFIF, body.count == 14, body.starts(with: Array("JFIF".utf8) + [0]), body[12] == 0, body[13] == 0 else {
                    return "an APP0 segment other than one bare JFIF header"
                }
                sawJFIF = true
            case 0xDA:
                // Skip the entropy-coded data up to the next marker that is neither a stuffed byte nor a restart.
                var j = i + 2 + length
                while j + 1 < b.count {
                    if b[j] == 0xFF && b[j + 1] != 0x00 && !(0xD0...0xD7).contains(b[j + 1]) { break }
                    j += 1
                }
                i = j
                continue
            default:
                return String(format: "a JPEG segment 0xFF%02X that a derivative never carries", marker)
            }
            i += 2 + length
        }
        return "the JPEG has no end marker"
    }

    static func pngProblem(_ b: [UInt8]) -> String? {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard b.starts(with: signature) else { return "not a PNG" }
        let allowed: Set<String> = ["IHDR", "PLTE", "tRNS", "IDAT", "sRGB", "gAMA", "cHRM", "pHYs", "bKGD", "IEND"]
        var i = 8
        while i + 12 <= b.count {
            let length = Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
            let type = String(decoding: b[(i + 4)..<(i + 8)], as: UTF8.self)
            guard length >= 0, i + 12 + length <= b.count else { return "PNG chunk runs past the end" }
            guard allowed.contains(type) else { return "a PNG chunk \(type) that a derivative never carries" }
            i += 12 + length
            if type == "IEND" { return i == b.count ? nil : "\(b.count - i) bytes after IEND" }
        }
        return "the PNG has no IEND"
    }
}
