/// Reads a TIFF structure (TIFF 6.0; EXIF 2.32 / CIPA DC-008 for the EXIF, GPS and Interoperability IFDs):
/// a standalone TIFF file, or the EXIF block of a JPEG APP1, PNG eXIf, WebP EXIF or HEIF Exif item.
///
/// Every offset is checked against the block, IFD recursion is limited to `maxDepth`, IFDs already visited
/// are not read again (loops), and each IFD is limited to `maxEntries` entries.
struct TIFFReader {
    static let maxDepth = 6
    static let maxEntries = 1_000
    static let maxChain = 64

    let view: ByteView
    let little: Bool
    let builder: ReportBuilder
    /// Label for findings, e.g. "EXIF", "PNG eXIf".
    let source: String
    /// Whether this is a standalone TIFF file (dimensions and pages come from it).
    let isFile: Bool
    private var visited = Set<Int>()
    private var make: String?

    /// A TIFF entry with its value bytes located.
    struct Entry {
        let tag: UInt16
        let type: UInt16
        let count: Int
        let value: ByteView
    }

    /// Reads the header at the start of `view` (II*\0 or MM\0*) and walks every IFD.
    /// - Throws: `MetadataParseError` when the header is not TIFF; damage further in becomes warnings.
    static func parse(_ view: ByteView, builder: ReportBuilder, source: String, isFile: Bool = false) throws {
        guard view.count >= 8 else { throw MetadataParseError.truncated("\(source) TIFF header") }
        let little: Bool
        if view.matches([0x49, 0x49, 0x2A, 0x00]) { little = true }
        else if view.matches([0x4D, 0x4D, 0x00, 0x2A]) { little = false }
        else { throw MetadataParseError.invalid("\(source) TIFF header") }
        var reader = TIFFReader(view: view, little: little, builder: builder, source: source, isFile: isFile)
        let first = Int(try view.u32(4, littleEndian: little, "\(source) IFD0 offset"))
        reader.walkChain(from: first)
    }

    private init(view: ByteView, little: Bool, builder: ReportBuilder, source: String, isFile: Bool) {
        self.view = view
        self.little = little
        self.builder = builder
        self.source = source
        self.isFile = isFile
    }

    private static func typeSize(_ type: UInt16) -> Int? {
        switch type {
        case 1, 2, 6, 7: return 1
        case 3, 8: return 2
        case 4, 9, 11, 13: return 4
        case 5, 10, 12: return 8
        default: return nil
        }
    }

    private mutating func walkChain(from firstOffset: Int) {
        var offset = firstOffset
        var index = 0
        while offset != 0 && index < Self.maxChain {
            do {
                let next = try readIFD(at: offset, kind: .chain(index), depth: 0)
                offset = next
                index += 1
            } catch {
                builder.warn("\(source) IFD\(index): \(error)")
                return
            }
        }
        if index >= Self.maxChain { builder.warn("\(source): IFD chain longer than \(Self.maxChain), rest ignored") }
    }

    enum Kind: Equatable {
        case chain(Int)
        case exif, gps, interop, subIFD
    }

    /// Reads one IFD; returns the offset of the next IFD in the chain (0 for none).
    private mutating func readIFD(at offset: Int, kind: Kind, depth: Int) throws -> Int {
        guard depth <= Self.maxDepth else { throw MetadataParseError.limit("IFD nesting deeper than \(Self.maxDepth)") }
        guard !visited.contains(offset) else {
            builder.warn("\(source): IFD loop at offset \(offset) ignored")
            return 0
        }
        visited.insert(offset)
        let entries = try readEntries(at: offset)
        let nextOffset = Int(try view.u32(offset + 2 + 12 * entries.raw, littleEndian: little, "next IFD offset"))
        var pointers: [(Kind, Int)] = []
        var makerNote: Entry?
        var thumbOffset: Int?, thumbLength: Int?
        var width: Int?, height: Int?
        var gpsEntries: [UInt16: Entry] = [:]

        for entry in entries.list {
            if kind == .gps { gpsEntries[entry.tag] = entry; continue }
            switch entry.tag {
            case 0x0100: width = uints(entry).first.map(Int.init)
            case 0x0101: height = uints(entry).first.map(Int.init)
            case 0x010F:
                let value = ascii(entry)
                if make == nil { make = value }
                if builder.report.make == nil { builder.report.make = value }
            case 0x0110:
                if builder.report.model == nil { builder.report.model = ascii(entry) }
            case 0x0112:
                if let value = uints(entry).first {
                    if case .chain(0) = kind, builder.report.orientation == nil {
                        if (1...8).contains(value) { builder.report.orientation = Int(value) }
                        else { builder.warn("\(source): Orientation value \(value) is not 1–8") }
                    } else {
                        builder.otherOrientations.append(("\(source) \(kindName(kind)) Orientation", Int(value)))
                    }
                }
            case 0x0132: builder.date("ModifyDate", ascii(entry), source)
            case 0x013B: builder.person("Artist", ascii(entry), source)
            case 0x8298: builder.person("Copyright", ascii(entry), source)
            case 0x010E: builder.text("ImageDescription", ascii(entry), source)
            case 0x9C9B: builder.text("XPTitle", ucs2(entry), source)
            case 0x9C9C: builder.text("XPComment", ucs2(entry), source)
            case 0x9C9D: builder.person("XPAuthor", ucs2(entry), source)
            case 0x9C9E: builder.text("XPKeywords", ucs2(entry), source)
            case 0x9C9F: builder.text("XPSubject", ucs2(entry), source)
            case 0x8769: if let p = uints(entry).first { pointers.append((.exif, Int(p))) }
            case 0x8825: if let p = uints(entry).first { pointers.append((.gps, Int(p))) }
            case 0xA005: if let p = uints(entry).first { pointers.append((.interop, Int(p))) }
            case 0x014A: for p in uints(entry).prefix(16) { pointers.append((.subIFD, Int(p))) }
            case 0x0201: thumbOffset = uints(entry).first.map(Int.init)
            case 0x0202: thumbLength = uints(entry).first.map(Int.init)
            case 0x83BB: IPTCReader.parse(entry.value, builder: builder, source: "IPTC (\(source))")
            case 0x02BC: builder.xmpPackets.append((entry.value.array, "XMP (\(source))"))
            // EXIF IFD
            case 0x9003:
                let value = ascii(entry)
                builder.date("DateTimeOriginal", value, source)
                if builder.report.captureTime == nil, !value.isEmpty { builder.report.captureTime = value }
            case 0x9004: builder.date("DateTimeDigitized", ascii(entry), source)
            case 0x9011: builder.date("OffsetTimeOriginal", ascii(entry), source)
            case 0x9010: builder.date("OffsetTime", ascii(entry), source)
            case 0x927C: makerNote = entry
            case 0x9286:
                builder.text("UserComment", TextDecoding.userComment(entry.value.array, tiffLittleEndian: little), source)
            case 0xA420: builder.serial("ImageUniqueID", ascii(entry), source)
            case 0xA430: builder.person("CameraOwnerName", ascii(entry), source)
            case 0xA431: builder.serial("BodySerialNumber", ascii(entry), source)
            case 0xA433: builder.text("LensMake", ascii(entry), source)
            case 0xA434: builder.text("LensModel", ascii(entry), source)
            case 0xA435: builder.serial("LensSerialNumber", ascii(entry), source)
            case 0xC62F: builder.serial("CameraSerialNumber (DNG)", ascii(entry), source)
            default: break
            }
        }
        if kind == .gps { readGPS(gpsEntries) }

        if case .chain(let index) = kind, index >= 1 {
            if let thumbOffset, let thumbLength, thumbLength > 0 {
                if view.contains(thumbOffset, thumbLength) {
                    let data = try view.sub(thumbOffset, thumbLength, "thumbnail")
                    let size = JPEGReader.frameSize(of: data)
                    builder.embedded(EmbeddedImage(kind: "EXIF thumbnail (IFD\(index))", byteCount: thumbLength,
                                                   width: size?.0, height: size?.1, format: .jpeg))
                } else {
                    builder.warn("\(source): IFD\(index) thumbnail lies outside the EXIF block")
                    builder.embedded(EmbeddedImage(kind: "EXIF thumbnail (IFD\(index), out of bounds)", byteCount: thumbLength))
                }
            } else if isFile {
                builder.embedded(EmbeddedImage(kind: "TIFF page or subfile (IFD\(index))", byteCount: 0,
                                               width: width, height: height, format: .tiff))
            } else if width != nil || height != nil {
                builder.embedded(EmbeddedImage(kind: "EXIF thumbnail (IFD\(index), uncompressed)", byteCount: 0,
                                               width: width, height: height, format: .tiff))
            }
        }
        if case .chain(0) = kind, isFile {
            builder.report.pixelWidth = width
            builder.report.pixelHeight = height
        }
        if kind == .subIFD, isFile || width != nil {
            builder.embedded(EmbeddedImage(kind: "TIFF SubIFD image", byteCount: 0, width: width, height: height, format: .tiff))
        }

        for (childKind, pointer) in pointers {
            do { _ = try readIFD(at: pointer, kind: childKind, depth: depth + 1) }
            catch { builder.warn("\(source) \(kindName(childKind)) IFD: \(error)") }
        }
        if let makerNote {
            do { try MakerNoteReader.parse(makerNote.value, tiff: view, little: little, make: make ?? builder.report.make,
                                           builder: builder) }
            catch { builder.warn("\(source) MakerNote: \(error)") }
        }
        return nextOffset
    }

    private func kindName(_ kind: Kind) -> String {
        switch kind {
        case .chain(let i): return "IFD\(i)"
        case .exif: return "ExifIFD"
        case .gps: return "GPS"
        case .interop: return "InteropIFD"
        case .subIFD: return "SubIFD"
        }
    }

    /// Reads the entries of the IFD at `offset`.
    func readEntries(at offset: Int) throws -> (list: [Entry], raw: Int) {
        let count = Int(try view.u16(offset, littleEndian: little, "IFD entry count"))
        guard view.contains(offset + 2, 12 * count) else { throw MetadataParseError.truncated("IFD with \(count) entries") }
        if count > Self.maxEntries { builder.warn("\(source): IFD with \(count) entries, first \(Self.maxEntries) read") }
        var list: [Entry] = []
        for i in 0..<Swift.min(count, Self.maxEntries) {
            try builder.spend()
            let at = offset + 2 + 12 * i
            let tag = try view.u16(at, littleEndian: little)
            let type = try view.u16(at + 2, littleEndian: little)
            let n = Int(try view.u32(at + 4, littleEndian: little))
            guard let size = Self.typeSize(type) else { continue }
            guard n <= view.count / size else {
                builder.warn("\(source): tag 0x\(String(tag, radix: 16)) count \(n) exceeds the block")
                continue
            }
            let length = n * size
            let value: ByteView
            if length <= 4 {
                value = try view.sub(at + 8, length, "inline value")
            } else {
                let pointer = Int(try view.u32(at + 8, littleEndian: little))
                guard view.contains(pointer, length) else {
                    builder.warn("\(source): tag 0x\(String(tag, radix: 16)) value lies outside the block")
                    continue
                }
                value = try view.sub(pointer, length, "value")
            }
            list.append(Entry(tag: tag, type: type, count: n, value: value))
        }
        return (list, count)
    }

    /// Integer values of a BYTE, SHORT, LONG or IFD entry (at most 4096).
    func uints(_ entry: Entry) -> [UInt32] {
        var out: [UInt32] = []
        let n = Swift.min(entry.count, 4096)
        for i in 0..<n {
            switch entry.type {
            case 1, 7: if let v = try? entry.value.u8(i) { out.append(UInt32(v)) }
            case 3: if let v = try? entry.value.u16(2 * i, littleEndian: little) { out.append(UInt32(v)) }
            case 4, 13: if let v = try? entry.value.u32(4 * i, littleEndian: little) { out.append(v) }
            default: return out
            }
        }
        return out
    }

    /// RATIONAL or SRATIONAL values as doubles (nil where the denominator is 0).
    func rationals(_ entry: Entry) -> [Double?] {
        guard entry.type == 5 || entry.type == 10 else { return [] }
        var out: [Double?] = []
        for i in 0..<Swift.min(entry.count, 64) {
            guard let num = try? entry.value.u32(8 * i, littleEndian: little),
                  let den = try? entry.value.u32(8 * i + 4, littleEndian: little) else { break }
            if den == 0 { out.append(nil); continue }
            if entry.type == 10 { out.append(Double(Int32(bitPattern: num)) / Double(Int32(bitPattern: den))) }
            else { out.append(Double(num) / Double(den)) }
        }
        return out
    }

    func ascii(_ entry: Entry) -> String { TextDecoding.exifASCII(entry.value.array) }

    /// Windows XP tags (XPTitle...): BYTE arrays of UCS-2 little-endian, whatever the TIFF byte order.
    func ucs2(_ entry: Entry) -> String { TextDecoding.trimmingSpaces(TextDecoding.utf16(entry.value.array, littleEndian: true)) }

    private func readGPS(_ entries: [UInt16: Entry]) {
        builder.report.hasGPSTags = builder.report.hasGPSTags || !entries.isEmpty
        func coordinate(_ valueTag: UInt16, _ refTag: UInt16, negative: String) -> Double? {
            guard let entry = entries[valueTag] else { return nil }
            let parts = rationals(entry)
            guard parts.count >= 1, let degrees = parts[0] else { return nil }
            var value = degrees
            if parts.count >= 2, let minutes = parts[1] { value += minutes / 60 }
            if parts.count >= 3, let seconds = parts[2] { value += seconds / 3600 }
            if let ref = entries[refTag], ascii(ref).uppercased().hasPrefix(negative) { value = -value }
            return value
        }
        var altitude: Double?
        if let alt = entries[6], let value = rationals(alt).first ?? nil {
            let below = entries[5].flatMap { uints($0).first } == 1
            altitude = below ? -value : value
        }
        if let lat = coordinate(2, 1, negative: "S"), let lon = coordinate(4, 3, negative: "W") {
            builder.gps(GPSPosition(latitude: lat, longitude: lon, altitude: altitude, source: .exif,
                                    field: "GPSLatitude/GPSLongitude"))
        }
        if let lat = coordinate(0x14, 0x13, negative: "S"), let lon = coordinate(0x16, 0x15, negative: "W") {
            builder.gps(GPSPosition(latitude: lat, longitude: lon, source: .exif, field: "GPSDestLatitude/GPSDestLongitude"))
        }
        if let date = entries[0x1D] { builder.date("GPSDateStamp", ascii(date), "\(source) GPS") }
        if let area = entries[0x1C] { builder.text("GPSAreaInformation", TextDecoding.userComment(area.value.array, tiffLittleEndian: little), "\(source) GPS") }
    }
}

