/// Walks a JPEG file (ITU T.81 markers; JFIF 1.02 and its JFXX extension; EXIF 2.32 APP1; Adobe XMP
/// Specification Part 3 §1.1.3 for standard and Extended XMP in APP1; CIPA DC-007 MPF in APP2; Adobe
/// Photoshop image resources in APP13) and every segment in it, up to EOI; what follows EOI is the trailer.
enum JPEGReader {
    static func isJPEG(_ view: ByteView) -> Bool { view.matches([0xFF, 0xD8, 0xFF]) }

    private static let sofMarkers: Set<UInt8> = [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF]
    private static let progressiveMarkers: Set<UInt8> = [0xC2, 0xC6, 0xCA, 0xCE]

    static func markerName(_ marker: UInt8) -> String {
        switch marker {
        case 0xD8: return "SOI"
        case 0xD9: return "EOI"
        case 0xDA: return "SOS"
        case 0xDB: return "DQT"
        case 0xC4: return "DHT"
        case 0xDD: return "DRI"
        case 0xFE: return "COM"
        case 0xDC: return "DNL"
        case 0xCC: return "DAC"
        case 0xE0...0xEF: return "APP\(marker - 0xE0)"
        case 0xD0...0xD7: return "RST\(marker - 0xD0)"
        default:
            if sofMarkers.contains(marker) { return "SOF\(marker - 0xC0)" }
            return "marker 0x" + String(marker, radix: 16, uppercase: true)
        }
    }

    /// Reads the whole file into `builder`.
    static func read(_ file: ByteView, builder: ReportBuilder) {
        var position = 2
        builder.chunk(ChunkInfo(name: "SOI", offset: 0, length: 0))
        var sawFrame = false
        while true {
            do { try builder.spend() } catch { builder.warn("JPEG: \(error)"); return }
            // Find the next marker, skipping fill bytes (0xFF padding is allowed before any marker).
            guard position < file.count else {
                builder.warn("JPEG: no EOI marker; the file ends inside the image")
                return
            }
            guard let byte = try? file.u8(position), byte == 0xFF else {
                builder.warn("JPEG: expected a marker at offset \(position)")
                return
            }
            var markerAt = position + 1
            while let b = try? file.u8(markerAt), b == 0xFF { markerAt += 1 }
            guard let marker = try? file.u8(markerAt) else {
                builder.warn("JPEG: file ends in marker padding")
                return
            }
            let segmentStart = markerAt + 1
            switch marker {
            case 0xD9:
                builder.chunk(ChunkInfo(name: "EOI", offset: markerAt - 1, length: 0))
                let end = segmentStart
                if end < file.count {
                    TrailerReader.read(file, from: end, container: .jpeg, builder: builder)
                }
                return
            case 0xD8, 0x01, 0xD0...0xD7:
                builder.warn("JPEG: unexpected \(markerName(marker)) outside a scan at offset \(markerAt - 1)")
                position = segmentStart
                continue
            default: break
            }
            guard let length = try? Int(file.u16(segmentStart)), length >= 2,
                  file.contains(segmentStart, length) else {
                builder.warn("JPEG: \(markerName(marker)) segment at offset \(markerAt - 1) runs past the end of the file")
                return
            }
            let payload = (try? file.sub(segmentStart + 2, length - 2, "segment")) ?? ByteView([])
            var note = ""
            switch marker {
            case 0xE0...0xEF:
                note = readAPP(marker, payload, fileOffset: segmentStart + 2, file: file, builder: builder)
            case 0xFE:
                let (text, encoding) = TextDecoding.undeclared(payload.array)
                builder.comment(text)
                if encoding != "UTF-8" { builder.warn("JPEG COM has no declared charset; decoded as \(encoding)") }
                note = "comment"
            case _ where sofMarkers.contains(marker):
                if !sawFrame {
                    sawFrame = true
                    readFrame(marker, payload, builder: builder)
                }
            default: break
            }
            builder.chunk(ChunkInfo(name: markerName(marker), offset: markerAt - 1, length: length - 2, note: note))
            position = segmentStart + length
            if marker == 0xDA {
                // Entropy-coded data: runs until a marker other than RSTn or a stuffed 0xFF00.
                let scan = file.endOfEntropyData(from: position)
                position = scan
                if scan + 1 >= file.count {
                    builder.warn("JPEG: scan data runs to the end of the file without EOI")
                    return
                }
            }
        }
    }

    private static func readFrame(_ marker: UInt8, _ payload: ByteView, builder: ReportBuilder) {
        guard let height = try? payload.u16(1), let width = try? payload.u16(3),
              let components = try? payload.u8(5) else {
            builder.warn("JPEG: SOF segment too short")
            return
        }
        builder.report.pixelWidth = Int(width)
        builder.report.pixelHeight = Int(height)
        if height == 0 { builder.warn("JPEG: SOF height 0 (defined later by DNL)") }
        var maxH = 1, maxV = 1
        for i in 0..<Int(components) {
            guard let sampling = try? payload.u8(6 + 3 * i + 1) else { break }
            maxH = Swift.max(maxH, Int(sampling >> 4))
            maxV = Swift.max(maxV, Int(sampling & 0x0F))
        }
        if components == 1 { maxH = 1; maxV = 1 }
        builder.report.jpegCoding = JPEGCoding(mcuWidth: 8 * Swift.min(maxH, 4), mcuHeight: 8 * Swift.min(maxV, 4),
                                               progressive: progressiveMarkers.contains(marker),
                                               components: Int(components))
    }

    private static let xmpSignature = Array("http://ns.adobe.com/xap/1.0/\0".utf8)
    private static let extendedXMPSignature = Array("http://ns.adobe.com/xmp/extension/\0".utf8)

    /// Reads an APPn segment; returns a short description of what it holds.
    private static func readAPP(_ marker: UInt8, _ payload: ByteView, fileOffset: Int, file: ByteView,
                                builder: ReportBuilder) -> String {
        let app = Int(marker - 0xE0)
        if app == 0 && payload.matches("JFIF\0") {
            if let tw = try? payload.u8(12), let th = try? payload.u8(13), tw > 0, th > 0 {
                builder.embedded(EmbeddedImage(kind: "JFIF thumbnail (uncompressed)", byteCount: 3 * Int(tw) * Int(th),
                                               width: Int(tw), height: Int(th)))
            }
            return "JFIF"
        }
        if app == 0 && payload.matches("JFXX\0") {
            let code = (try? payload.u8(5)) ?? 0
            if code == 0x10, let data = try? payload.suffix(from: 6, "JFXX thumbnail") {
                let size = frameSize(of: data)
                builder.embedded(EmbeddedImage(kind: "JFXX thumbnail", byteCount: data.count, width: size?.0,
                                               height: size?.1, format: .jpeg))
            } else if code == 0x11 || code == 0x13, let tw = try? payload.u8(6), let th = try? payload.u8(7) {
                builder.embedded(EmbeddedImage(kind: "JFXX thumbnail (uncompressed)", byteCount: payload.count - 8,
                                               width: Int(tw), height: Int(th)))
            }
            return "JFXX"
        }
        if app == 1 && payload.matches("Exif\0") {
            if let tiff = try? payload.suffix(from: 6, "EXIF") {
                do { try TIFFReader.parse(tiff, builder: builder, source: "EXIF") }
                catch { builder.warn("EXIF: \(error)") }
            }
            return "Exif"
        }
        if app == 1 && payload.matches(xmpSignature) {
            if let packet = try? payload.suffix(from: xmpSignature.count, "XMP") {
                builder.xmpPackets.append((packet.array, "XMP"))
            }
            return "XMP"
        }
        if app == 1 && payload.matches(extendedXMPSignature) {
            readExtendedXMP(payload, builder: builder)
            return "Extended XMP"
        }
        if app == 2 && payload.matches("ICC_PROFILE\0") { return "ICC_PROFILE" }
        if app == 2 && payload.matches("MPF\0") {
            readMPF(payload, headerFileOffset: fileOffset + 4, file: file, builder: builder)
            return "MPF"
        }
        if app == 13 && payload.matches("Photoshop 3.0\0") {
            if let irb = try? payload.suffix(from: 14, "Photoshop IRB") { PhotoshopReader.read(irb, builder: builder) }
            return "Photoshop 3.0"
        }
        if app == 14 && payload.matches("Adobe") { return "Adobe" }
        // Unknown APPn: describe by its NUL-terminated identifier.
        let id = TextDecoding.trimmedAtNUL((try? payload.bytes(0, Swift.min(payload.count, 40))) ?? [])
        let printable = id.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
        return printable && !id.isEmpty ? String(decoding: id, as: UTF8.self) : "unrecognised"
    }

    private static func readExtendedXMP(_ payload: ByteView, builder: ReportBuilder) {
        let base = extendedXMPSignature.count
        guard let guidBytes = try? payload.bytes(base, 32), let total = try? payload.u32(base + 32),
              let offset = try? payload.u32(base + 36), let data = try? payload.suffix(from: base + 40, "Extended XMP") else {
            builder.warn("Extended XMP segment too short")
            return
        }
        let guid = TextDecoding.latin1(guidBytes)
        let limit = 64 << 20
        guard Int(total) <= limit else {
            builder.warn("Extended XMP declares \(total) bytes, above the 64 MiB limit; ignored")
            return
        }
        if builder.extendedXMP[guid] == nil {
            // At most 8 packets and 64 MiB declared in all, so that assembling them stays bounded.
            let declared = builder.extendedXMP.values.reduce(0) { $0 + $1.length }
            guard builder.extendedXMP.count < 8, declared + Int(total) <= limit else {
                builder.warn("Extended XMP: too many packets or too much declared data; \(guid) ignored")
                return
            }
            builder.extendedXMPOrder.append(guid)
        }
        var entry = builder.extendedXMP[guid] ?? (Int(total), [:])
        if entry.length != Int(total) { builder.warn("Extended XMP \(guid) declares two different lengths") }
        entry.pieces[Int(offset)] = data.array
        builder.extendedXMP[guid] = entry
    }

    private static func readMPF(_ payload: ByteView, headerFileOffset: Int, file: ByteView, builder: ReportBuilder) {
        guard let mp = try? payload.suffix(from: 4, "MPF") else { return }
        let little: Bool
        if mp.matches([0x49, 0x49, 0x2A, 0x00]) { little = true }
        else if mp.matches([0x4D, 0x4D, 0x00, 0x2A]) { little = false }
        else { builder.warn("MPF: bad byte order"); return }
        do {
            let ifd = Int(try mp.u32(4, littleEndian: little))
            let count = Int(try mp.u16(ifd, littleEndian: little))
            guard count < 100 else { throw MetadataParseError.limit("MPF index with \(count) entries") }
            for i in 0..<count {
                let at = ifd + 2 + 12 * i
                let tag = try mp.u16(at, littleEndian: little)
                guard tag == 0xB002 else { continue }
                let n = Int(try mp.u32(at + 4, littleEndian: little))
                let pointer = Int(try mp.u32(at + 8, littleEndian: little))
                let images = n / 16
                guard images <= 64 else { throw MetadataParseError.limit("MPF with \(images) images") }
                for k in 0..<images {
                    let size = Int(try mp.u32(pointer + 16 * k + 4, littleEndian: little))
                    let offset = Int(try mp.u32(pointer + 16 * k + 8, littleEndian: little))
                    if offset == 0 { continue }  // the primary image itself
                    let fileOffset = headerFileOffset + offset
                    var dims: (Int, Int)?
                    if let data = try? file.sub(fileOffset, size, "MPF image") { dims = frameSize(of: data) }
                    else { builder.warn("MPF image \(k) lies outside the file") }
                    builder.embedded(EmbeddedImage(kind: "MPF image \(k + 1)", byteCount: size, width: dims?.0,
                                                   height: dims?.1, format: .jpeg))
                }
            }
        } catch {
            builder.warn("MPF: \(error)")
        }
    }

    /// The width and height in the first SOF of an embedded JPEG, if it has one before its first scan.
    static func frameSize(of data: ByteView) -> (Int, Int)? {
        guard data.matches([0xFF, 0xD8]) else { return nil }
        var position = 2
        for _ in 0..<1000 {
            guard let ff = try? data.u8(position), ff == 0xFF, let marker = try? data.u8(position + 1) else { return nil }
            if marker == 0xFF { position += 1; continue }
            if marker == 0xD9 || marker == 0xDA { return nil }
            guard let length = try? Int(data.u16(position + 2)), length >= 2 else { return nil }
            if sofMarkers.contains(marker) {
                guard let h = try? data.u16(position + 5), let w = try? data.u16(position + 7) else { return nil }
                return (Int(w), Int(h))
            }
            position += 2 + length
        }
        return nil
    }
}

/// Adobe Photoshop image resource blocks ("8BIM", id, Pascal name, size, data), as found in JPEG APP13.
enum PhotoshopReader {
    static func read(_ irb: ByteView, builder: ReportBuilder) {
        var position = 0
        for _ in 0..<10_000 {
            guard position + 12 <= irb.count else { return }
            guard irb.matches("8BIM", at: position) else {
                builder.warn("Photoshop resources: unexpected signature at \(position)")
                return
            }
            do {
                let id = try irb.u16(position + 4)
                let nameLength = Int(try irb.u8(position + 6))
                var at = position + 7 + nameLength
                if (1 + nameLength) % 2 == 1 { at += 1 }
                let size = Int(try irb.u32(at))
                let data = try irb.sub(at + 4, size, "Photoshop resource 0x\(String(id, radix: 16))")
                switch id {
                case 0x0404: IPTCReader.parse(data, builder: builder, source: "IPTC")
                case 0x040C, 0x0409:
                    let width = (try? data.u32(4)).map(Int.init)
                    let height = (try? data.u32(8)).map(Int.init)
                    let jpeg = (try? data.suffix(from: 28, "thumbnail")) ?? ByteView([])
                    builder.embedded(EmbeddedImage(kind: "Photoshop thumbnail (IRB 0x\(String(id, radix: 16, uppercase: true).leftPadded(4)))",
                                                   byteCount: jpeg.count, width: width, height: height, format: .jpeg))
                case 0x0424: builder.xmpPackets.append((data.array, "XMP (Photoshop IRB)"))
                case 0x0422: try? TIFFReader.parse(data, builder: builder, source: "EXIF (Photoshop IRB)")
                default: break
                }
                position = at + 4 + size + (size % 2)
            } catch {
                builder.warn("Photoshop resources: \(error)")
                return
            }
        }
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
