/// Walks a WebP file (RIFF container, Google's WebP Container Specification; RFC 9649): VP8/VP8L/VP8X for
/// the size, EXIF (with or without a non-standard "Exif\0\0" prefix), XMP, ICCP, ANIM/ANMF. Bytes after the
/// RIFF size are the trailer.
enum WebPReader {
    static func isWebP(_ view: ByteView) -> Bool { view.matches("RIFF") && view.matches("WEBP", at: 8) }

    static func read(_ file: ByteView, builder: ReportBuilder) {
        guard let riffSize = try? Int(file.u32(4, littleEndian: true)) else { return }
        var end = 8 + riffSize
        if end > file.count {
            builder.warn("WebP: RIFF size \(riffSize) exceeds the file")
            end = file.count
        }
        var position = 12
        var frames = 0
        while position + 8 <= end {
            do { try builder.spend() } catch { builder.warn("WebP: \(error)"); break }
            guard let type = try? file.fourCC(position), let size = try? Int(file.u32(position + 4, littleEndian: true)) else { break }
            guard file.contains(position + 8, size), position + 8 + size <= end else {
                builder.warn("WebP: \(type) chunk at offset \(position) runs past the RIFF end")
                builder.chunk(ChunkInfo(name: type, offset: position, length: size, note: "truncated"))
                break
            }
            let data = (try? file.sub(position + 8, size, "chunk")) ?? ByteView([])
            var note = ""
            switch type {
            case "VP8X":
                if let flags = try? data.u8(0), let w = try? data.u24(4, littleEndian: true), let h = try? data.u24(7, littleEndian: true) {
                    builder.report.pixelWidth = Int(w) + 1
                    builder.report.pixelHeight = Int(h) + 1
                    var names: [String] = []
                    if flags & 0x20 != 0 { names.append("ICC") }
                    if flags & 0x10 != 0 { names.append("alpha") }
                    if flags & 0x08 != 0 { names.append("EXIF") }
                    if flags & 0x04 != 0 { names.append("XMP") }
                    if flags & 0x02 != 0 { names.append("animation") }
                    note = "flags: " + names.joined(separator: ", ")
                }
            case "VP8 ":
                if builder.report.pixelWidth == nil, data.matches([0x9D, 0x01, 0x2A], at: 3),
                   let w = try? data.u16(6, littleEndian: true), let h = try? data.u16(8, littleEndian: true) {
                    builder.report.pixelWidth = Int(w & 0x3FFF)
                    builder.report.pixelHeight = Int(h & 0x3FFF)
                }
                note = "lossy image"
            case "VP8L":
                if builder.report.pixelWidth == nil, (try? data.u8(0)) == 0x2F, let bits = try? data.u32(1, littleEndian: true) {
                    builder.report.pixelWidth = Int(bits & 0x3FFF) + 1
                    builder.report.pixelHeight = Int((bits >> 14) & 0x3FFF) + 1
                }
                note = "lossless image"
            case "EXIF":
                var tiff = data
                if data.matches("Exif\0\0") {
                    tiff = (try? data.suffix(from: 6, "EXIF")) ?? data
                    builder.warn("WebP EXIF chunk carries a non-standard \"Exif\\0\\0\" prefix")
                }
                do { try TIFFReader.parse(tiff, builder: builder, source: "WebP EXIF") }
                catch { builder.warn("WebP EXIF: \(error)") }
                note = "EXIF"
            case "XMP ":
                builder.xmpPackets.append((data.array, "XMP (WebP)"))
                note = "XMP"
            case "ICCP": note = "ICC profile"
            case "ANIM": note = "animation parameters"
            case "ANMF": frames += 1; note = "animation frame"
            case "ALPH": note = "alpha"
            default: note = "unknown"
            }
            builder.chunk(ChunkInfo(name: type.trimmingXMLSpace, offset: position, length: size, note: note))
            position += 8 + size + (size & 1)
        }
        if frames > 1 { builder.report.frameCount = frames }
        if 8 + riffSize < file.count {
            TrailerReader.read(file, from: 8 + riffSize, container: .webp, builder: builder)
        }
    }
}
