/// Walks a PNG file (PNG 3rd edition / ISO 15948 chunk layout; APNG acTL; EXIF in eXIf; ImageMagick "Raw
/// profile type" text chunks) chunk by chunk up to IEND; what follows IEND is the trailer. Compressed text
/// is inflated with a cap of 1 MiB per chunk (`Inflate.textChunkLimit`).
enum PNGReader {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    private static let known: Set<String> = [
        "IHDR", "PLTE", "IDAT", "IEND", "tRNS", "cHRM", "gAMA", "iCCP", "sBIT", "sRGB", "cICP", "mDCV", "cLLI",
        "tEXt", "zTXt", "iTXt", "bKGD", "hIST", "pHYs", "sPLT", "eXIf", "tIME", "acTL", "fcTL", "fdAT",
        "oFFs", "pCAL", "sCAL", "sTER", "dSIG", "mDCv", "cLLi",
    ]

    static func read(_ file: ByteView, builder: ReportBuilder) {
        var position = 8
        var gpsText: [String: String] = [:]
        while true {
            do { try builder.spend() } catch { builder.warn("PNG: \(error)"); break }
            guard position + 12 <= file.count else {
                builder.warn("PNG: no IEND chunk; the file ends inside the image")
                break
            }
            guard let length = try? Int(file.u32(position)), length <= 0x7FFF_FFFF,
                  let type = try? file.fourCC(position + 4) else { break }
            guard file.contains(position + 8, length + 4) else {
                builder.warn("PNG: \(type) chunk at offset \(position) runs past the end of the file")
                builder.chunk(ChunkInfo(name: type, offset: position, length: length, note: "truncated"))
                break
            }
            let data = (try? file.sub(position + 8, length, "chunk")) ?? ByteView([])
            if let crcCovered = try? file.sub(position + 4, length + 4, "chunk"),
               let stored = try? file.u32(position + 8 + length), Inflate.crc32(crcCovered) != stored {
                builder.warn("PNG: \(type) chunk at offset \(position) has a bad CRC")
            }
            let note = readChunk(type, data, builder: builder, gpsText: &gpsText)
            builder.chunk(ChunkInfo(name: type, offset: position, length: length, note: note))
            position += 12 + length
            if type == "IEND" {
                if position < file.count { TrailerReader.read(file, from: position, container: .png, builder: builder) }
                break
            }
        }
        if let lat = gpsText["exif:GPSLatitude"].flatMap(rationalDegrees),
           let lon = gpsText["exif:GPSLongitude"].flatMap(rationalDegrees) {
            let latSign = (gpsText["exif:GPSLatitudeRef"] ?? "N").uppercased().hasPrefix("S") ? -1.0 : 1.0
            let lonSign = (gpsText["exif:GPSLongitudeRef"] ?? "E").uppercased().hasPrefix("W") ? -1.0 : 1.0
            builder.gps(GPSPosition(latitude: latSign * lat, longitude: lonSign * lon, source: .pngText,
                                    field: "exif:GPSLatitude/exif:GPSLongitude"))
        } else if !gpsText.isEmpty {
            builder.report.hasGPSTags = true
        }
    }

    /// "52/1, 5/1, 1176/100" (ImageMagick's rendering of EXIF rationals) or decimal degrees.
    static func rationalDegrees(_ text: String) -> Double? {
        let parts = text.split(separator: ",").map { XMPReader.rational(String($0)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return XMPReader.xmpCoordinate(text) }
        var value = parts[0]!
        if parts.count > 1 { value += parts[1]! / 60 }
        if parts.count > 2 { value += parts[2]! / 3600 }
        return value
    }

    private static func readChunk(_ type: String, _ data: ByteView, builder: ReportBuilder,
                                  gpsText: inout [String: String]) -> String {
        switch type {
        case "IHDR":
            if let w = try? data.u32(0), let h = try? data.u32(4) {
                builder.report.pixelWidth = Int(w)
                builder.report.pixelHeight = Int(h)
            }
            return ""
        case "acTL":
            if let frames = try? data.u32(0), frames > 1 { builder.report.frameCount = Int(frames) }
            return "animation"
        case "eXIf":
            var tiff = data
            if data.matches("Exif\0\0") { tiff = (try? data.suffix(from: 6, "eXIf")) ?? data }
            do { try TIFFReader.parse(tiff, builder: builder, source: "PNG eXIf") }
            catch { builder.warn("PNG eXIf: \(error)") }
            return "EXIF"
        case "tIME":
            if let y = try? data.u16(0), let mo = try? data.u8(2), let d = try? data.u8(3), let h = try? data.u8(4),
               let mi = try? data.u8(5), let s = try? data.u8(6) {
                let two = { (v: UInt8) in String(v).leftPadded(2) }
                builder.date("tIME", "\(y)-\(two(mo))-\(two(d)) \(two(h)):\(two(mi)):\(two(s)) UTC", "PNG tIME")
            }
            return "modification time"
        case "iCCP":
            let raw = data.array
            let name = TextDecoding.latin1(TextDecoding.trimmedAtNUL(Array(raw.prefix(80))))
            builder.text("ICC profile name", name, "PNG iCCP")
            return "ICC profile"
        case "tEXt", "zTXt", "iTXt":
            guard let (keyword, text) = decodeText(type, data, builder: builder) else { return "unreadable" }
            interpret(keyword: keyword, text: text, chunk: type, builder: builder, gpsText: &gpsText)
            return keyword
        case "caBX":
            builder.text("C2PA manifest (caBX)", "\(data.count) bytes", "PNG")
            return "C2PA/JUMBF manifest"
        default:
            if known.contains(type) { return "" }
            let bytes = Array(type.utf8)
            if bytes.count == 4, bytes[1] & 0x20 != 0 { return "private" }
            if bytes.count == 4, bytes[0] & 0x20 == 0 { return "unknown critical" }
            return "unknown ancillary"
        }
    }

    /// Keyword and text of a tEXt (Latin-1), zTXt (Latin-1, zlib) or iTXt (UTF-8, optionally zlib) chunk.
    private static func decodeText(_ type: String, _ data: ByteView, builder: ReportBuilder) -> (String, [UInt8])? {
        let raw = data.array
        guard let nul = raw.firstIndex(of: 0), nul >= 1, nul <= 79 else {
            builder.warn("PNG \(type): missing or bad keyword")
            return nil
        }
        let keyword = TextDecoding.latin1(Array(raw[..<nul]))
        func inflated(_ bytes: [UInt8]) -> [UInt8] {
            let result = Inflate.zlib(bytes)
            if result.truncated {
                builder.warn("PNG \(type) '\(keyword)' inflates beyond \(Inflate.textChunkLimit) bytes; cut there (decompression bomb?)")
            } else if result.damaged {
                builder.warn("PNG \(type) '\(keyword)': damaged compressed data")
            }
            return result.bytes
        }
        switch type {
        case "tEXt":
            return (keyword, Array(raw[(nul + 1)...]))
        case "zTXt":
            guard nul + 2 <= raw.count else { return (keyword, []) }
            return (keyword, inflated(Array(raw[(nul + 2)...])))
        default:
            guard nul + 3 <= raw.count else { return (keyword, []) }
            let compressed = raw[nul + 1] == 1
            var p = nul + 3
            guard let langEnd = raw[p...].firstIndex(of: 0) else { return (keyword, []) }
            p = langEnd + 1
            guard let transEnd = raw[p...].firstIndex(of: 0) else { return (keyword, []) }
            let translated = Array(raw[p..<transEnd])
            if !translated.isEmpty { builder.text("\(keyword) (translated keyword)", TextDecoding.utf8(translated), "PNG iTXt") }
            let body = Array(raw[(transEnd + 1)...])
            return (keyword, compressed ? inflated(body) : body)
        }
    }

    private static func interpret(keyword: String, text raw: [UInt8], chunk: String, builder: ReportBuilder,
                                  gpsText: inout [String: String]) {
        let source = "PNG \(chunk)"
        let lower = keyword.lowercased()
        if keyword == "XML:com.adobe.xmp" {
            builder.xmpPackets.append((raw, "XMP (\(source))"))
            return
        }
        if lower == "exif" || lower.hasPrefix("raw profile type") {
            let profile = raw.starts(with: Array("Exif\0\0".utf8)) || raw.starts(with: [0x4D, 0x4D, 0, 0x2A])
                || raw.starts(with: [0x49, 0x49, 0x2A, 0]) ? raw : (decodeRawProfile(raw) ?? raw)
            let kind = lower.replacingPrefix("raw profile type ", with: "")
            builder.text(keyword, "\(profile.count) bytes", source)
            switch kind {
            case "exif", "app1":
                if profile.starts(with: Array("http://ns.adobe.com/xap/1.0/\0".utf8)) {
                    builder.xmpPackets.append((Array(profile.dropFirst(29)), "XMP (\(source) raw profile)"))
                    return
                }
                let tiff = profile.starts(with: Array("Exif\0\0".utf8)) ? Array(profile.dropFirst(6)) : profile
                do { try TIFFReader.parse(ByteView(tiff), builder: builder, source: "EXIF (\(source) \(keyword))") }
                catch { builder.warn("\(source) \(keyword): \(error)") }
            case "xmp": builder.xmpPackets.append((profile, "XMP (\(source) raw profile)"))
            case "iptc", "8bim":
                if profile.starts(with: Array("8BIM".utf8)) { PhotoshopReader.read(ByteView(profile), builder: builder) }
                else { IPTCReader.parse(ByteView(profile), builder: builder, source: "IPTC (\(source))") }
            default: break
            }
            return
        }
        // Values are kept to 4096 characters anyway: decode no more than 16 KiB.
        let shown = Array(raw.prefix(16 << 10))
        let text = chunk == "iTXt" ? TextDecoding.utf8(shown) : TextDecoding.latin1(shown)
        if lower.hasPrefix("exif:gps") {
            gpsText[keyword] = text
            builder.report.hasGPSTags = true
        }
        switch lower {
        case "author", "artist", "copyright", "owner", "exif:artist", "exif:copyright", "exif:cameraownername":
            builder.person(keyword, text, source)
        case "creation time", "date:create", "date:modify", "date:timestamp", "exif:datetimeoriginal", "exif:datetime":
            builder.date(keyword, text, source)
            if builder.report.captureTime == nil, lower == "creation time" || lower == "exif:datetimeoriginal" {
                builder.report.captureTime = text
            }
        case "exif:make": if builder.report.make == nil { builder.report.make = text }
        case "exif:model": if builder.report.model == nil { builder.report.model = text }
        case "exif:bodyserialnumber", "exif:serialnumber", "exif:lensserialnumber", "exif:imageuniqueid":
            builder.serial(keyword, text, source)
        default:
            builder.text(keyword, text, source)
        }
    }

    /// ImageMagick's text encoding of a binary profile: "\n<name>\n<spaces><decimal length>\n<hex lines>".
    static func decodeRawProfile(_ raw: [UInt8]) -> [UInt8]? {
        var lines = 0
        var p = 0
        var lengthText: [UInt8] = []
        while p < raw.count && lines < 3 {
            if raw[p] == 0x0A { lines += 1 } else if lines == 2 && raw[p] != 0x20 { lengthText.append(raw[p]) }
            p += 1
        }
        guard lines == 3, let length = Int(String(decoding: lengthText, as: UTF8.self)), length >= 0,
              length <= (raw.count - p) / 2 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(length)
        var high: UInt8?
        while p < raw.count && out.count < length {
            let c = raw[p]
            p += 1
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            case 0x41...0x46: v = c - 0x41 + 10
            default: continue
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return out
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
