/// Extracts capture metadata from an image file's bytes, in pure Swift: JPEG, PNG, WebP, HEIC/HEIF/AVIF,
/// TIFF (and the size of a GIF). It decodes no pixels.
///
/// Every length and offset is bounds-checked, recursion is depth-limited, loops are detected, and
/// compressed text is capped at 1 MiB per chunk; a damaged or hostile structure becomes a warning in the
/// report and the rest of the file is still examined. Run it in the sandbox child for untrusted input
/// (`SandboxClient.extractMetadata`); it is safe to call in-process on trusted data (tests).
public enum MetadataExtractor {
    /// Reads everything the module knows about from `bytes`. Never throws: an unrecognised file gives a
    /// report with format `.unknown` and a warning.
    public static func extract(bytes: [UInt8]) -> MetadataReport {
        let file = ByteView(bytes)
        let format = detect(file)
        let builder = ReportBuilder(format: format)
        switch format {
        case .jpeg: JPEGReader.read(file, builder: builder)
        case .png: PNGReader.read(file, builder: builder)
        case .webp: WebPReader.read(file, builder: builder)
        case .heif: BMFFReader.readHEIF(file, builder: builder)
        case .tiff:
            do { try TIFFReader.parse(file, builder: builder, source: "TIFF", isFile: true) }
            catch { builder.warn("TIFF: \(error)") }
        case .gif: readGIF(file, builder: builder)
        case .unknown:
            builder.warn("not a JPEG, PNG, WebP, HEIF or TIFF file")
        }
        XMPReader.finish(builder)
        finishOrientation(builder)
        builder.report.identifyingSummary = summary(builder.report)
        return builder.report
    }

    /// GIF (GIF89a specification): the logical screen size, and the first frame's extent (offset plus size) when it is larger
    /// (a decompression bomb can declare a small screen and a huge frame).
    private static func readGIF(_ file: ByteView, builder: ReportBuilder) {
        guard let w = try? file.u16(6, littleEndian: true), let h = try? file.u16(8, littleEndian: true),
              let flags = try? file.u8(10) else { return }
        var width = Int(w), height = Int(h)
        var position = 13 + (flags & 0x80 != 0 ? 3 << (Int(flags & 7) + 1) : 0)
        var frames = 0
        while position < file.count, frames < 1000, let block = try? file.u8(position) {
            if block == 0x3B { break }
            if block == 0x21 {
                let label = (try? file.u8(position + 1)) ?? 0
                position += 2
                let start = position
                while let size = try? file.u8(position), size > 0 { position += 1 + Int(size) }
                position += 1
                readGIFExtension(label, file: file, from: start, to: min(position, file.count), builder: builder)
            } else if block == 0x2C {
                frames += 1
                guard let left = try? file.u16(position + 1, littleEndian: true), let top = try? file.u16(position + 3, littleEndian: true),
                      let fw = try? file.u16(position + 5, littleEndian: true), let fh = try? file.u16(position + 7, littleEndian: true),
                      let imageFlags = try? file.u8(position + 9) else { break }
                if frames == 1 {
                    width = Swift.max(width, Int(left) + Int(fw))
                    height = Swift.max(height, Int(top) + Int(fh))
                }
                position += 10 + (imageFlags & 0x80 != 0 ? 3 << (Int(imageFlags & 7) + 1) : 0) + 1
                while let size = try? file.u8(position), size > 0 { position += 1 + Int(size) }
                position += 1
            } else {
                break
            }
        }
        builder.report.pixelWidth = width
        builder.report.pixelHeight = height
        if frames > 1 { builder.report.frameCount = frames }
    }

    /// A GIF extension's data (label, then sub-blocks from `start` to the terminator at `end`): a comment
    /// extension (0xFE) is a comment; an application extension "XMP DataXMP" carries an XMP packet written raw
    /// across its sub-blocks (Adobe XMP Specification Part 3: the packet, then a 258-byte "magic trailer"), which
    /// is read from the first `<` to the end of its `<?xpacket end=...?>`. Other application extensions
    /// (NETSCAPE2.0 looping, ICC profiles) say nothing about a person; an unknown one is named as not inspected.
    private static func readGIFExtension(_ label: UInt8, file: ByteView, from start: Int, to end: Int, builder: ReportBuilder) {
        guard start < end, let raw = try? file.sub(start, end - start, "GIF extension").array else { return }
        // The sub-blocks' data, lengths removed.
        func data() -> [UInt8] {
            var out: [UInt8] = []
            var index = 0
            while index < raw.count {
                let size = Int(raw[index])
                if size == 0 { break }
                out += raw[min(raw.count, index + 1)..<min(raw.count, index + 1 + size)]
                index += 1 + size
            }
            return out
        }
        switch label {
        case 0xFE:
            let (text, _) = TextDecoding.undeclared(data())
            builder.comment(text)
        case 0xFF:
            guard raw.count > 12, raw[0] == 11 else { return }
            let identifier = String(decoding: raw[1..<12], as: UTF8.self)
            if identifier == "XMP DataXMP" {
                let body = Array(raw[12...])
                guard let open = body.firstIndex(of: UInt8(ascii: "<")) else { builder.warn("GIF XMP extension holds no packet"); return }
                var packet = Array(body[open...])
                if let endMarker = packet.firstRange(of: Array("<?xpacket end".utf8)),
                   let close = packet[endMarker.upperBound...].firstRange(of: Array("?>".utf8)) {
                    packet = Array(packet[..<close.upperBound])
                }
                builder.xmpPackets.append((Array(packet.prefix(XMPReader.maxPacket)), "XMP (GIF application extension)"))
            } else if !["NETSCAPE2.0", "ANIMEXTS1.0", "ICCRGBG1012"].contains(identifier) {
                builder.warn("GIF application extension \"\(TextDecoding.capped(identifier))\" (\(raw.count) bytes): not inspected")
            }
        default:
            return   // graphic control (0xF9), plain text (0x01): drawing, not metadata
        }
    }

    /// The container format from the file's first bytes.
    public static func detectFormat(_ bytes: [UInt8]) -> ImageFormat { detect(ByteView(bytes)) }

    static func detect(_ file: ByteView) -> ImageFormat {
        if JPEGReader.isJPEG(file) { return .jpeg }
        if file.matches(PNGReader.signature) { return .png }
        if WebPReader.isWebP(file) { return .webp }
        if BMFFReader.isHEIF(file) { return .heif }
        if file.matches([0x49, 0x49, 0x2A, 0x00]) || file.matches([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if file.matches("GIF87a") || file.matches("GIF89a") { return .gif }
        return .unknown
    }

    /// Human names of the EXIF orientations (TIFF 6.0 tag 274).
    static func describeOrientation(_ value: Int) -> String {
        switch value {
        case 1: return "normal"
        case 2: return "mirror horizontal"
        case 3: return "rotate 180"
        case 4: return "mirror vertical"
        case 5: return "mirror horizontal and rotate 270 CW"
        case 6: return "rotate 90 CW"
        case 7: return "mirror horizontal and rotate 90 CW"
        case 8: return "rotate 270 CW"
        default: return "invalid"
        }
    }

    private static func finishOrientation(_ builder: ReportBuilder) {
        var report = builder.report
        let main = report.orientation ?? 1
        if report.format == .heif {
            report.orientationToApply = 1
            if let o = report.orientation, o != 1 {
                report.orientationNotes.append("EXIF Orientation \(o) (\(describeOrientation(o))) is ignored in HEIF: irot/imir govern the display")
            }
        } else {
            report.orientationToApply = main
            if let w = report.pixelWidth, let h = report.pixelHeight {
                let swap = main >= 5
                report.displayWidth = swap ? h : w
                report.displayHeight = swap ? w : h
            }
        }
        for (source, value) in builder.otherOrientations where value != main {
            report.orientationNotes.append("\(source) is \(value) (\(describeOrientation(value))) but EXIF IFD0 Orientation is \(main) (\(describeOrientation(main)))")
        }
        builder.report = report
    }

    /// Kinds of identifying data in `report`, as short phrases without values.
    static func summary(_ report: MetadataReport) -> [String] {
        var out: [String] = []
        func add(_ phrase: String) { if !out.contains(phrase) { out.append(phrase) } }
        let gpsNames: [GPSPosition.Source: String] = [.exif: "GPS position (EXIF)", .xmp: "GPS position (XMP)",
                                                      .pngText: "GPS position (PNG text)", .mp4: "GPS position (MP4 video after the image)"]
        for position in report.gps { add(gpsNames[position.source] ?? "GPS position") }
        if report.gps.isEmpty && report.hasGPSTags { add("GPS tags") }
        if report.texts.contains(where: { $0.name.lowercased().hasPrefix("exif:gps") }) { add("GPS tags (PNG text)") }
        for field in report.serialNumbers {
            let name = field.name.lowercased()
            if name.contains("lens") { add("lens serial number") }
            else if name.contains("uniqueid") { add("unique image id") }
            else if name.contains("imagenumber") { add("image counter") }
            else { add("camera serial number") }
        }
        for field in report.people {
            let name = field.name.lowercased()
            if name.contains("owner") { add("owner name") }
            else if name.contains("copyright") || name.contains("rights") { add("copyright holder") }
            else if name.contains("baby") { add("a child's name (maker notes)") }
            else if name.contains("contact") || name.hasPrefix("iptc4xmpcore:ci") { add("contact details") }
            else { add("author name") }
        }
        if report.xmp?.faceRegionNames.isEmpty == false { add("face region names (XMP)") }
        if report.places.contains(where: { $0.name.hasPrefix("MCC_Data") }) { add("mobile country code (Samsung SEF)") }
        if report.places.contains(where: { !$0.name.hasPrefix("MCC_Data") }) { add("place names") }
        if report.captureTime != nil { add("capture time") }
        if report.make != nil || report.model != nil { add("camera make and model") }
        if !report.comments.isEmpty { add("JPEG comments") }
        if report.texts.contains(where: { $0.name.contains("xmpMM:DerivedFrom") || $0.name.contains("PreservedFileName") }) {
            add("original file name (XMP)")
        }
        // Standard profile names say nothing about a person; any other name may ("Jane's MacBook display").
        let standardProfiles = ["srgb", "adobe rgb", "display p3", "icc profile", "generic", "prophoto", "rec. 2020",
                                "rec2020", "bt.2020", "bt.709", "dci-p3", "gray gamma", "dot gain", "uncoated", "coated"]
        if report.texts.contains(where: { field in
            field.name == "ICC profile name" && !standardProfiles.contains { field.value.lowercased().contains($0) }
        }) {
            add("ICC profile name")
        }
        if report.texts.contains(where: { $0.name.hasPrefix("C2PA") }) { add("C2PA manifest") }
        if report.texts.contains(where: { $0.name == "MakerNote" }) || report.serialNumbers.contains(where: { $0.source.contains("MakerNote") })
            || report.people.contains(where: { $0.source.contains("MakerNote") }) {
            add("maker notes")
        }
        let descriptive: Set<String> = ["ImageDescription", "UserComment", "XPTitle", "XPComment", "XPSubject", "XPKeywords",
                                        "dc:title", "dc:description", "Caption-Abstract", "Comment", "Description", "Title",
                                        "GPSAreaInformation", "Headline", "ObjectName", "Keywords"]
        if report.texts.contains(where: { descriptive.contains($0.name) }) { add("descriptions or captions") }
        if report.iptc != nil { add("IPTC metadata") }
        if let xmp = report.xmp {
            if xmp.packetCount > 0 { add("XMP metadata") }
            if !xmp.extendedPackets.isEmpty { add("Extended XMP") }
        }
        if report.format == .png {
            if report.chunks.contains(where: { ["tEXt", "zTXt", "iTXt"].contains($0.name) }) { add("PNG text chunks") }
            let privateChunks = report.chunks.filter { $0.note == "private" || $0.note.hasPrefix("unknown") || $0.name == "caBX" }.map(\.name)
            var unique: [String] = []
            for name in privateChunks where !unique.contains(name) { unique.append(name) }
            if !unique.isEmpty { add("private PNG chunks (\(unique.joined(separator: ", ")))") }
        }
        for image in report.embeddedImages {
            let size = image.width.flatMap { w in image.height.map { h in ", \(w)x\(h)" } } ?? ""
            add("embedded \(image.kind)\(size)")
        }
        if let trailer = report.trailer {
            let kinds = trailer.kinds.map { kind -> String in
                if kind == "Samsung SEF" && !trailer.sefBlockNames.isEmpty {
                    return "Samsung SEF (\(trailer.sefBlockNames.joined(separator: ", ")))"
                }
                return kind
            }
            add("\(trailer.byteCount) bytes after the end of the image: \(kinds.joined(separator: ", "))")
        }
        return out
    }
}
