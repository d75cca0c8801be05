import Foundation
import Testing
@testable import VaultImaging

/// Structural and content checks on a derivative, as LOG.md's E-STRIP and E-NOSECRET describe them.
enum OutputChecks {
    /// E-STRIP for JPEG: SOI, DQT, SOF, DHT, DRI, SOS…EOI and at most one bare JFIF APP0; nothing after EOI.
    /// Returns the problems found (empty when the file passes).
    static func jpegStructure(_ bytes: [UInt8]) -> [String] {
        var problems: [String] = []
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return ["no SOI"] }
        var p = 2
        var app0 = 0
        var sawEOI = false
        while p + 2 <= bytes.count {
            guard bytes[p] == 0xFF else { problems.append("no marker at \(p)"); break }
            let marker = bytes[p + 1]
            if marker == 0xD9 { sawEOI = true; p += 2; break }
            let length = Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
            switch marker {
            case 0xDB, 0xC4, 0xDD, 0xC0, 0xC1, 0xC2: break
            case 0xE0:
                app0 += 1
                let payload = Array(bytes[(p + 4)..<Swift.min(bytes.count, p + 2 + length)])
                if !payload.starts(with: Array("JFIF\0".utf8)) { problems.append("APP0 that is not JFIF") }
                if payload.count >= 14 && (payload[12] != 0 || payload[13] != 0) { problems.append("JFIF thumbnail") }
                if payload.count > 14 { problems.append("JFIF APP0 with extra data") }
            case 0xDA:
                // Skip entropy-coded data to the next non-RST marker.
                var q = p + 2 + length
                while q + 1 < bytes.count {
                    if bytes[q] == 0xFF, bytes[q + 1] != 0x00, !(0xD0...0xD7).contains(bytes[q + 1]) { break }
                    q += 1
                }
                p = q
                continue
            default:
                problems.append(String(format: "forbidden marker FF%02X", marker))
            }
            p += 2 + length
        }
        if !sawEOI { problems.append("no EOI") }
        if p != bytes.count { problems.append("\(bytes.count - p) bytes after EOI") }
        if app0 > 1 { problems.append("\(app0) APP0 segments") }
        return problems
    }

    /// E-STRIP for PNG: IHDR, PLTE, tRNS, IDAT, IEND and the colour/density chunks only; nothing after IEND.
    static func pngStructure(_ bytes: [UInt8]) -> [String] {
        let allowed: Set<String> = ["IHDR", "PLTE", "tRNS", "IDAT", "IEND", "sRGB", "gAMA", "cHRM", "pHYs", "bKGD"]
        guard bytes.starts(with: PNGReader.signature) else { return ["no PNG signature"] }
        var problems: [String] = []
        var p = 8
        var sawIEND = false
        while p + 12 <= bytes.count {
            let length = Int(bytes[p]) << 24 | Int(bytes[p + 1]) << 16 | Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
            let type = String(decoding: bytes[(p + 4)..<(p + 8)], as: UTF8.self)
            if !allowed.contains(type) { problems.append("forbidden chunk \(type)") }
            p += 12 + length
            if type == "IEND" { sawIEND = true; break }
        }
        if !sawIEND { problems.append("no IEND") }
        if p != bytes.count { problems.append("\(bytes.count - p) bytes after IEND") }
        return problems
    }

    /// The concatenated, inflated IDAT stream of a PNG (for searching inside zlib data).
    static func pngInflatedData(_ bytes: [UInt8]) -> [UInt8] {
        var idat: [UInt8] = []
        var p = 8
        while p + 12 <= bytes.count {
            let length = Int(bytes[p]) << 24 | Int(bytes[p + 1]) << 16 | Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
            if Array(bytes[(p + 4)..<(p + 8)]) == Array("IDAT".utf8) { idat += bytes[(p + 8)..<(p + 8 + length)] }
            p += 12 + length
        }
        return Inflate.zlib(idat, limit: 256 << 20).bytes
    }

    static func pngWithoutIDAT(_ bytes: [UInt8]) -> [UInt8] {
        var out = Array(bytes.prefix(8))
        var p = 8
        while p + 12 <= bytes.count {
            let length = Int(bytes[p]) << 24 | Int(bytes[p + 1]) << 16 | Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
            let isIDAT = Array(bytes[(p + 4)..<(p + 8)]) == Array("IDAT".utf8)
            out += bytes[p..<(p + 8)]
            if !isIDAT { out += bytes[(p + 8)..<Swift.min(bytes.count, p + 12 + length)] }
            p += 12 + length
        }
        return out
    }

    static func encodings(of secret: String) -> [[UInt8]] {
        var out: [[UInt8]] = [Array(secret.utf8)]
        var le: [UInt8] = [], be: [UInt8] = []
        for unit in secret.utf16 {
            le += [UInt8(unit & 0xFF), UInt8(unit >> 8)]
            be += [UInt8(unit >> 8), UInt8(unit & 0xFF)]
        }
        out += [le, be]
        // Windows-1256, from the module's table (checked against Python's codec in HostileMetadataTests).
        var cp: [UInt8] = []
        var encodable = true
        for scalar in secret.unicodeScalars {
            if scalar.value < 0x80 { cp.append(UInt8(scalar.value)); continue }
            if let index = TextDecoding.cp1256High.firstIndex(of: scalar.value) { cp.append(UInt8(0x80 + index)) } else { encodable = false }
        }
        if encodable { out.append(cp) }
        return out
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        ByteView(haystack).firstIndex(of: needle) != nil
    }

    /// E-NOSECRET on the bytes: no secret in any encoding (raw or inside the PNG zlib stream), no GPS tag
    /// name, no second SOI or PNG signature.
    static func secretProblems(_ bytes: [UInt8], secrets: [String]) -> [String] {
        var problems: [String] = []
        let inflated = bytes.starts(with: PNGReader.signature) ? pngInflatedData(bytes) : []
        for secret in secrets {
            for encoded in encodings(of: secret) where contains(bytes, encoded) || contains(inflated, encoded) {
                problems.append("contains \(secret)")
            }
        }
        for marker in ["GPS", "Exif", "http://ns.adobe.com", "8BIM", "ICC_PROFILE"] where contains(bytes, Array(marker.utf8)) {
            problems.append("contains \(marker)")
        }
        // An embedded JPEG starts with SOI and another marker. PNG IDAT data is compressed and may hold
        // any byte sequence, so for PNG only the bytes outside IDAT payloads are searched.
        let outsideIDAT = bytes.starts(with: PNGReader.signature) ? pngWithoutIDAT(bytes) : bytes
        if let second = ByteView(outsideIDAT).firstIndex(of: [0xFF, 0xD8, 0xFF], from: 1) { problems.append("FFD8FF at \(second)") }
        if ByteView(bytes).firstIndex(of: PNGReader.signature, from: 1) != nil { problems.append("second PNG signature") }
        return problems
    }

    /// Number of near-magenta pixels (R > 215, G < 60, B > 215) in RGB pixels.
    static func magentaCount(_ rgb: [UInt8]) -> Int {
        var n = 0
        var i = 0
        while i + 2 < rgb.count {
            if rgb[i] > 215 && rgb[i + 1] < 60 && rgb[i + 2] > 215 { n += 1 }
            i += 3
        }
        return n
    }

    /// Number of pure-green "DECOY" pixels (about (0, 200, 0)) in a rectangle.
    static func greenCount(_ rgb: [UInt8], width: Int, in rect: PixelRect) -> Int {
        var n = 0
        for y in rect.y0..<rect.y1 {
            for x in rect.x0..<rect.x1 {
                let i = (y * width + x) * 3
                if rgb[i + 1] > 170 && rgb[i] < 60 && rgb[i + 2] < 60 { n += 1 }
            }
        }
        return n
    }

    /// Whether every pixel of the rectangle is within `tolerance` of black.
    static func isBlack(_ rgb: [UInt8], width: Int, rect: PixelRect, tolerance: UInt8 = 24) -> Bool {
        for y in rect.y0..<rect.y1 {
            for x in rect.x0..<rect.x1 {
                let i = (y * width + x) * 3
                if rgb[i] > tolerance || rgb[i + 1] > tolerance || rgb[i + 2] > tolerance { return false }
            }
        }
        return true
    }
}
