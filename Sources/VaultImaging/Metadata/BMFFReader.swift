/// ISO base media file format boxes (ISO/IEC 14496-12): HEIF/HEIC/AVIF still images (ISO/IEC 23008-12:
/// ftyp, meta with hdlr/pitm/iinf/iloc/iprp/iref/idat; ispe, irot, imir properties; Exif and XMP items) and
/// the location atom `©xyz` (ISO 6709 text) of MP4 videos, e.g. motion-photo videos after a JPEG.
enum BMFFReader {
    struct Box {
        let type: String
        /// Offset of the box header within the parent view.
        let offset: Int
        /// The payload (after the header).
        let payload: ByteView
    }

    static let maxDepth = 12

    /// The boxes directly inside `view`. Stops at the first box that does not fit, with a warning.
    static func boxes(_ view: ByteView, builder: ReportBuilder, context: String, quiet: Bool = false) -> [Box] {
        var out: [Box] = []
        var position = 0
        while position + 8 <= view.count {
            if (try? builder.spend()) == nil { builder.warn("\(context): too many boxes"); break }
            guard let size32 = try? view.u32(position), let type = try? view.fourCC(position + 4) else { break }
            var header = 8
            var size = Int(size32)
            if size32 == 1 {
                guard let large = try? view.u64(position + 8), large <= UInt64(Int.max) else { break }
                size = Int(large)
                header = 16
            } else if size32 == 0 {
                size = view.count - position
            }
            guard size >= header, view.contains(position, size) else {
                if !quiet { builder.warn("\(context): box '\(type)' at offset \(position) runs past its container") }
                break
            }
            if let payload = try? view.sub(position + header, size - header, "box") {
                out.append(Box(type: type, offset: position, payload: payload))
            }
            position += size
            if out.count >= 10_000 { break }
        }
        return out
    }

    // MARK: HEIF

    static func isHEIF(_ view: ByteView) -> Bool {
        guard view.matches("ftyp", at: 4), let size = try? Int(view.u32(0)), size >= 16, view.contains(0, size) else { return false }
        let brands = ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis", "mif2"]
        var offset = 8
        while offset + 4 <= size {
            if offset != 12, let brand = try? view.fourCC(offset), brands.contains(brand) { return true }
            offset += 4
        }
        return false
    }

    private struct Item {
        var type = ""
        var name = ""
        var contentType = ""
        var extents: [(offset: Int, length: Int)] = []
        var constructionMethod = 0
        var properties: [Int] = []
    }

    static func readHEIF(_ file: ByteView, builder: ReportBuilder) {
        let top = boxes(file, builder: builder, context: "HEIF")
        for box in top { builder.chunk(ChunkInfo(name: box.type, offset: box.offset, length: box.payload.count)) }
        guard let meta = top.first(where: { $0.type == "meta" }),
              let metaBody = try? meta.payload.suffix(from: 4, "meta") else {
            builder.warn("HEIF: no meta box")
            return
        }
        var items: [UInt32: Item] = [:]
        var primary: UInt32?
        var properties: [Box] = []
        var references: [(type: String, from: UInt32, to: [UInt32])] = []
        var idat: ByteView?
        for box in boxes(metaBody, builder: builder, context: "HEIF meta") {
            builder.chunk(ChunkInfo(name: "meta/" + box.type, offset: box.payload.start - file.start, length: box.payload.count))
            do {
                switch box.type {
                case "pitm":
                    let version = try box.payload.u8(0)
                    primary = version == 0 ? UInt32(try box.payload.u16(4)) : try box.payload.u32(4)
                case "iinf": try readIINF(box.payload, into: &items, builder: builder)
                case "iloc": try readILOC(box.payload, into: &items)
                case "iprp":
                    for child in boxes(box.payload, builder: builder, context: "HEIF iprp") {
                        if child.type == "ipco" { properties = boxes(child.payload, builder: builder, context: "HEIF ipco") }
                        if child.type == "ipma" { try readIPMA(child.payload, into: &items) }
                    }
                case "iref":
                    let version = try box.payload.u8(0)
                    let body = try box.payload.suffix(from: 4, "iref")
                    for ref in boxes(body, builder: builder, context: "HEIF iref") {
                        let idSize = version == 0 ? 2 : 4
                        let from = idSize == 2 ? UInt32(try ref.payload.u16(0)) : try ref.payload.u32(0)
                        let count = Int(try ref.payload.u16(idSize))
                        var to: [UInt32] = []
                        for k in 0..<Swift.min(count, 10_000) {
                            let at = idSize + 2 + k * idSize
                            to.append(idSize == 2 ? UInt32(try ref.payload.u16(at)) : try ref.payload.u32(at))
                        }
                        references.append((ref.type, from, to))
                    }
                case "idat": idat = box.payload
                default: break
                }
            } catch {
                builder.warn("HEIF \(box.type): \(error)")
            }
        }

        func data(of item: Item, limit: Int) -> ByteView? {
            let base: ByteView = item.constructionMethod == 1 ? (idat ?? ByteView([])) : file
            guard item.constructionMethod == 0 || item.constructionMethod == 1 else { return nil }
            if item.extents.count == 1, let extent = item.extents.first {
                guard extent.length <= limit else { return nil }
                return try? base.sub(extent.offset, extent.length, "item data")
            }
            var joined: [UInt8] = []
            for extent in item.extents {
                guard joined.count + extent.length <= limit, let piece = try? base.bytes(extent.offset, extent.length) else { return nil }
                joined += piece
            }
            return ByteView(joined)
        }
        func spatialExtent(_ item: Item) -> (Int, Int)? {
            for index in item.properties where index >= 1 && index <= properties.count {
                let box = properties[index - 1]
                if box.type == "ispe", let w = try? box.payload.u32(4), let h = try? box.payload.u32(8) { return (Int(w), Int(h)) }
            }
            return nil
        }

        let primaryID = primary ?? 0
        if primary == nil { builder.warn("HEIF: no primary item (pitm)") }
        if let item = items[primaryID] {
            if let (w, h) = spatialExtent(item) {
                builder.report.pixelWidth = w
                builder.report.pixelHeight = h
            } else {
                builder.warn("HEIF: primary item has no ispe property")
            }
            var quarterTurns = 0
            for index in item.properties where index >= 1 && index <= properties.count {
                let box = properties[index - 1]
                if box.type == "irot", let angle = try? box.payload.u8(0) {
                    let turns = Int(angle & 3)
                    quarterTurns += turns
                    builder.report.heifTransforms.append("irot \(turns * 90)° anticlockwise")
                } else if box.type == "imir", let axis = try? box.payload.u8(0) {
                    // The 2017 wording ("vertical axis" for 0) is read both ways; this follows libheif 1.15, the
                    // decoder that renders the file here: 0 flips top-bottom, 1 flips left-right.
                    builder.report.heifTransforms.append(axis & 1 == 0 ? "imir 0 (top-bottom)" : "imir 1 (left-right)")
                } else if box.type == "clap" {
                    builder.report.heifTransforms.append("clap (clean aperture crop)")
                }
            }
            if let w = builder.report.pixelWidth, let h = builder.report.pixelHeight {
                let swap = quarterTurns % 2 == 1
                builder.report.displayWidth = swap ? h : w
                builder.report.displayHeight = swap ? w : h
            }
        } else if primary != nil {
            builder.warn("HEIF: primary item \(primaryID) is not described in iinf")
        }

        let thumbnails = Set(references.filter { $0.type == "thmb" }.map(\.from))
        let auxiliary = Set(references.filter { $0.type == "auxl" }.map(\.from))
        let gridParts = Set(references.filter { $0.type == "dimg" }.flatMap(\.to))
        let imageTypes: Set<String> = ["hvc1", "av01", "jpeg", "grid", "iden", "iovl", "unci", "j2k1", "vvc1"]
        for (id, item) in items.sorted(by: { $0.key < $1.key }) {
            if item.type == "Exif" {
                guard let payload = data(of: item, limit: 16 << 20), let skip = try? Int(payload.u32(0)),
                      let tiff = try? payload.suffix(from: 4 + skip, "HEIF Exif item") else {
                    builder.warn("HEIF: unreadable Exif item \(id)")
                    continue
                }
                do { try TIFFReader.parse(tiff, builder: builder, source: "HEIF Exif") }
                catch { builder.warn("HEIF Exif item: \(error)") }
            } else if item.type == "mime", item.contentType.hasPrefix("application/rdf+xml") {
                if let payload = data(of: item, limit: 16 << 20) { builder.xmpPackets.append((payload.array, "XMP (HEIF item)")) }
            } else if imageTypes.contains(item.type) && id != primaryID && !gridParts.contains(id) {
                let kind = thumbnails.contains(id) ? "HEIF thumbnail item" : auxiliary.contains(id) ? "HEIF auxiliary image item" : "HEIF image item"
                let size = item.extents.reduce(0) { $0 + $1.length }
                let dims = spatialExtent(item)
                builder.embedded(EmbeddedImage(kind: "\(kind) (\(item.type))", byteCount: size, width: dims?.0, height: dims?.1,
                                               format: .heif))
            }
        }
        let topLevelImages = items.filter { imageTypes.contains($0.value.type) && !gridParts.contains($0.key)
            && !thumbnails.contains($0.key) && !auxiliary.contains($0.key) }.count
        if topLevelImages > 1 { builder.report.frameCount = topLevelImages }
    }

    private static func readIINF(_ payload: ByteView, into items: inout [UInt32: Item], builder: ReportBuilder) throws {
        let version = try payload.u8(0)
        let headerSize = version == 0 ? 6 : 8
        let body = try payload.suffix(from: headerSize, "iinf")
        for entry in boxes(body, builder: builder, context: "HEIF iinf") where entry.type == "infe" {
            let p = entry.payload
            let v = try p.u8(0)
            guard v >= 2 else { continue }
            let id: UInt32 = v == 2 ? UInt32(try p.u16(4)) : try p.u32(4)
            var at = v == 2 ? 6 : 8
            at += 2  // protection index
            var item = items[id] ?? Item()
            item.type = try p.fourCC(at)
            at += 4
            let rest = try p.suffix(from: at, "infe").array
            let parts = rest.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
            if let name = parts.first { item.name = TextDecoding.utf8(Array(name)) }
            if item.type == "mime", parts.count > 1 { item.contentType = TextDecoding.utf8(Array(parts[1])) }
            items[id] = item
        }
    }

    private static func readILOC(_ payload: ByteView, into items: inout [UInt32: Item]) throws {
        let version = try payload.u8(0)
        let sizes = try payload.u8(4), sizes2 = try payload.u8(5)
        let offsetSize = Int(sizes >> 4), lengthSize = Int(sizes & 15), baseSize = Int(sizes2 >> 4)
        let indexSize = version == 1 || version == 2 ? Int(sizes2 & 15) : 0
        for s in [offsetSize, lengthSize, baseSize, indexSize] where ![0, 4, 8].contains(s) {
            throw MetadataParseError.invalid("iloc field size \(s)")
        }
        var at = 6
        let count: Int
        if version < 2 { count = Int(try payload.u16(at)); at += 2 } else { count = Int(try payload.u32(at)); at += 4 }
        func sized(_ size: Int) throws -> Int {
            defer { at += size }
            switch size {
            case 0: return 0
            case 4: return Int(try payload.u32(at))
            default:
                let v = try payload.u64(at)
                guard v <= UInt64(Int32.max) else { throw MetadataParseError.invalid("iloc offset too large") }
                return Int(v)
            }
        }
        for _ in 0..<Swift.min(count, 100_000) {
            let id: UInt32
            if version < 2 { id = UInt32(try payload.u16(at)); at += 2 } else { id = try payload.u32(at); at += 4 }
            var item = items[id] ?? Item()
            if version == 1 || version == 2 { item.constructionMethod = Int(try payload.u16(at) & 15); at += 2 }
            at += 2  // data reference index
            let base = try sized(baseSize)
            let extents = Int(try payload.u16(at)); at += 2
            guard extents <= 10_000 else { throw MetadataParseError.limit("iloc with \(extents) extents") }
            item.extents = []
            for _ in 0..<extents {
                _ = try sized(indexSize)
                let offset = try sized(offsetSize)
                let length = try sized(lengthSize)
                item.extents.append((base + offset, length))
            }
            items[id] = item
        }
    }

    private static func readIPMA(_ payload: ByteView, into items: inout [UInt32: Item]) throws {
        let version = try payload.u8(0)
        let flags = try payload.u24(1)
        let count = Int(try payload.u32(4))
        var at = 8
        for _ in 0..<Swift.min(count, 100_000) {
            let id: UInt32
            if version < 1 { id = UInt32(try payload.u16(at)); at += 2 } else { id = try payload.u32(at); at += 4 }
            let associations = Int(try payload.u8(at)); at += 1
            var item = items[id] ?? Item()
            for _ in 0..<associations {
                if flags & 1 != 0 { item.properties.append(Int(try payload.u16(at) & 0x7FFF)); at += 2 }
                else { item.properties.append(Int(try payload.u8(at) & 0x7F)); at += 1 }
            }
            items[id] = item
        }
    }

    // MARK: MP4 location

    private static let containers: Set<String> = ["moov", "trak", "mdia", "minf", "stbl", "udta", "edts", "dinf", "ilst"]

    /// Finds `©xyz` location atoms in an MP4 (or any BMFF) structure and records them as GPS positions.
    static func readMP4Locations(_ view: ByteView, builder: ReportBuilder, depth: Int = 0) {
        guard depth < maxDepth else { return }
        // Quiet: a video inside a trailer is often followed by unrelated data (SEF directory).
        for box in boxes(view, builder: builder, context: "MP4", quiet: true) {
            if box.type == "?xyz" || box.type == "©xyz" || (box.payload.start >= 4 && view.storage[box.payload.start - 4] == 0xA9
                                                              && box.type.hasSuffix("xyz")) {
                guard let length = try? Int(box.payload.u16(0)), let raw = try? box.payload.bytes(4, length) else { continue }
                let text = TextDecoding.utf8(raw)
                if let (lat, lon, alt) = iso6709(text) {
                    builder.gps(GPSPosition(latitude: lat, longitude: lon, altitude: alt, source: .mp4, field: "©xyz"))
                } else {
                    builder.report.hasGPSTags = true
                    builder.warn("MP4 ©xyz location could not be read")
                }
            } else if box.type == "meta" {
                if let body = try? box.payload.suffix(from: 4, "meta") { readMP4Locations(body, builder: builder, depth: depth + 1) }
            } else if containers.contains(box.type) {
                readMP4Locations(box.payload, builder: builder, depth: depth + 1)
            }
        }
    }

    /// ISO 6709 point text such as "+52.0866+004.2956/" or "+5205.196+00417.736+5.0/".
    static func iso6709(_ text: String) -> (Double, Double, Double?)? {
        var numbers: [(sign: Double, digits: String)] = []
        var current: (Double, String)?
        for ch in text {
            if ch == "+" || ch == "-" || ch == "/" {
                if let c = current { numbers.append(c) }
                current = ch == "/" ? nil : (ch == "-" ? -1 : 1, "")
                if ch == "/" { break }
            } else if let c = current, ch.isNumber || ch == "." {
                current = (c.0, c.1 + String(ch))
            } else {
                return nil
            }
        }
        if let c = current { numbers.append(c) }
        guard numbers.count >= 2 else { return nil }
        func degrees(_ digits: String, degreeDigits: Int) -> Double? {
            let integer = digits.split(separator: ".", maxSplits: 1).first.map(String.init) ?? digits
            guard let value = Double(digits) else { return nil }
            switch integer.count - degreeDigits {
            case 0: return value
            case 2:
                let d = (value / 100).rounded(.down)
                return d + (value - d * 100) / 60
            case 4:
                let d = (value / 10_000).rounded(.down)
                let m = ((value - d * 10_000) / 100).rounded(.down)
                return d + m / 60 + (value - d * 10_000 - m * 100) / 3600
            default: return nil
            }
        }
        guard let lat = degrees(numbers[0].digits, degreeDigits: 2), let lon = degrees(numbers[1].digits, degreeDigits: 3) else { return nil }
        let alt = numbers.count > 2 ? Double(numbers[2].digits).map { $0 * numbers[2].sign } : nil
        return (numbers[0].sign * lat, numbers[1].sign * lon, alt)
    }
}
