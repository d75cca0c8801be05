/// Classifies data found after an image's end marker (JPEG EOI, PNG IEND, RIFF end): motion-photo videos,
/// Samsung SEF blocks (as ExifTool's Samsung.pm reads them: blocks `00 00 type namelen name data`, an SEFH
/// directory of backwards offsets, its length and "SEFT" at the very end), further images, and the remains
/// of a longer original overwritten without truncation (aCropalypse, CVE-2023-21036 / CVE-2023-28303).
enum TrailerReader {
    enum Container { case jpeg, png, webp }

    static func read(_ file: ByteView, from offset: Int, container: Container, builder: ReportBuilder) {
        guard let trailer = try? file.suffix(from: offset, "trailer"), trailer.count > 0 else { return }
        var info = TrailerInfo(offset: offset, byteCount: trailer.count)
        let allZero = trailer.storage.withUnsafeBufferPointer { buffer in
            UnsafeBufferPointer(rebasing: buffer[trailer.start..<(trailer.start + trailer.count)]).allSatisfy { $0 == 0 }
        }
        if allZero {
            info.kinds = ["zero padding"]
            builder.report.trailer = info
            return
        }
        if let names = sefBlockNames(trailer, builder: builder) {
            info.kinds.append("Samsung SEF")
            info.sefBlockNames = names
            if names.contains("MCC_Data") { builder.place("MCC_Data (mobile country code)", sefMCC(trailer) ?? "", "Samsung SEF") }
        }
        // Embedded ISO BMFF (MP4/MOV/HEIF): an "ftyp" box anywhere in the trailer.
        var search = 4
        var mp4Found = 0
        while mp4Found < 8, let at = trailer.firstIndex(of: Array("ftyp".utf8), from: search) {
            search = at + 4
            let boxStart = at - 4
            guard boxStart >= 0, let size = try? Int(trailer.u32(boxStart)), size >= 8, size <= 4096 else { continue }
            mp4Found += 1
            let brand = (try? trailer.fourCC(at + 4)) ?? "????"
            info.kinds.append(["heic", "mif1", "heix", "avif"].contains(brand) ? "HEIF image (ftyp \(brand))" : "MP4 video (ftyp \(brand))")
            if let video = try? trailer.suffix(from: boxStart, "MP4") { BMFFReader.readMP4Locations(video, builder: builder) }
        }
        // Further JPEG or PNG images.
        var jpegs = 0
        search = 0
        while jpegs < 64, let at = trailer.firstIndex(of: [0xFF, 0xD8, 0xFF], from: search) {
            search = at + 3
            jpegs += 1
            let data = (try? trailer.suffix(from: at, "JPEG")) ?? ByteView([])
            if let (w, h) = JPEGReader.frameSize(of: data),
               !builder.report.embeddedImages.contains(where: { $0.kind.hasPrefix("MPF image") && $0.width == w && $0.height == h }) {
                builder.embedded(EmbeddedImage(kind: "JPEG image after the end of the image", byteCount: trailer.count - at,
                                               width: w, height: h, format: .jpeg))
            }
        }
        if jpegs > 0 {
            let mpf = builder.report.embeddedImages.contains { $0.kind.hasPrefix("MPF image") }
            info.kinds.append(jpegs == 1 ? (mpf ? "JPEG image (MPF)" : "JPEG image") : "\(jpegs) JPEG images")
        }
        if let at = trailer.firstIndex(of: PNGReader.signature) {
            info.kinds.append("PNG image")
            let data = (try? trailer.suffix(from: at, "PNG")) ?? ByteView([])
            var w: Int?, h: Int?
            if let width = try? data.u32(16), let height = try? data.u32(20) { w = Int(width); h = Int(height) }
            builder.embedded(EmbeddedImage(kind: "PNG image after the end of the image", byteCount: data.count,
                                           width: w, height: h, format: .png))
        }
        switch container {
        case .png:
            let iendChunk: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
            let endsWithIEND = trailer.count >= 12 && trailer.matches(iendChunk, at: trailer.count - 12)
            let hasIDAT = trailer.firstIndex(of: Array("IDAT".utf8)) != nil
            if (endsWithIEND || hasIDAT) && !info.kinds.contains("PNG image") {
                info.kinds.append("PNG IDAT remnant (aCropalypse)")
                builder.warn("data after IEND looks like the rest of a longer original image (aCropalypse): the cropped-away pixels may be recoverable")
            }
        case .jpeg:
            var restarts = 0
            var from = 0
            while restarts < 1000, let at = trailer.firstIndex(of: [0xFF], from: from) {
                if let next = try? trailer.u8(at + 1), (0xD0...0xD7).contains(next) { restarts += 1 }
                from = at + 1
            }
            let endsWithEOI = trailer.count >= 2 && trailer.matches([0xFF, 0xD9], at: trailer.count - 2)
            if restarts >= 2 && jpegs == 0 && mp4Found == 0 {
                info.kinds.append("JPEG scan data with RSTn markers (aCropalypse)")
                builder.warn("data after EOI holds JPEG scan data with restart markers\(endsWithEOI ? " and its own EOI" : ""): the rest of a longer original image may be recoverable (aCropalypse)")
            }
        case .webp: break
        }
        if info.kinds.isEmpty { info.kinds = ["unrecognised data"] }
        builder.report.trailer = info
    }

    /// Samsung SEF block names, in directory order, when the trailer ends with an SEF directory.
    static func sefBlockNames(_ trailer: ByteView, builder: ReportBuilder) -> [String]? {
        guard trailer.count >= 20, trailer.matches("SEFT", at: trailer.count - 4),
              let dirLength = try? Int(trailer.u32(trailer.count - 8, littleEndian: true)) else { return nil }
        let dirStart = trailer.count - 8 - dirLength
        guard dirStart >= 0, trailer.matches("SEFH", at: dirStart),
              let count = try? Int(trailer.u32(dirStart + 8, littleEndian: true)), count <= 1000 else {
            builder.warn("Samsung SEF trailer with a damaged directory")
            return []
        }
        var names: [String] = []
        for k in 0..<count {
            let entry = dirStart + 12 + 12 * k
            guard let back = try? Int(trailer.u32(entry + 4, littleEndian: true)) else { break }
            let block = dirStart - back
            guard block >= 0, let nameLength = try? Int(trailer.u32(block + 4, littleEndian: true)), nameLength <= 256,
                  let name = try? trailer.bytes(block + 8, nameLength) else {
                builder.warn("Samsung SEF entry \(k) points outside the trailer")
                continue
            }
            names.append(TextDecoding.latin1(name.filter { $0 >= 0x20 && $0 < 0x7F }))
        }
        return names
    }

    /// The value of the MCC_Data block (a mobile country code, e.g. "204" for the Netherlands).
    private static func sefMCC(_ trailer: ByteView) -> String? {
        guard let at = trailer.firstIndex(of: Array("MCC_Data".utf8)) else { return nil }
        let start = at + 8
        var end = start
        while end < trailer.count, end - start < 8, let b = try? trailer.u8(end), b >= 0x30 && b <= 0x39 { end += 1 }
        guard end > start, let digits = try? trailer.bytes(start, end - start) else { return nil }
        return TextDecoding.latin1(digits)
    }
}
