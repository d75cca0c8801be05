/// Interprets XMP packets (ISO 16684-1 RDF/XML serialisation; Adobe XMP Specification Part 3 for Extended
/// XMP; MWG 2.0 regions; Microsoft Photo regions; EXIF-in-XMP per CIPA DC-010) into report fields.
enum XMPReader {
    /// Largest XMP packet parsed (bigger ones are cut there, with a warning).
    static let maxPacket = 16 << 20

    private static let containers: Set<String> = [
        "x:xmpmeta", "x:xapmeta", "rdf:RDF", "rdf:Description", "rdf:Seq", "rdf:Bag", "rdf:Alt", "rdf:li",
    ]
    private static let skippedAttributes: Set<String> = ["rdf:about", "rdf:parseType", "xml:lang", "x:xmptk", "rdf:ID", "rdf:nodeID"]

    /// Parses the standard packets, then assembles and parses Extended XMP, updating `builder.report`.
    static func finish(_ builder: ReportBuilder) {
        guard !builder.xmpPackets.isEmpty || !builder.extendedXMP.isEmpty else { return }
        var info = builder.report.xmp ?? XMPInfo()
        for (bytes, source) in builder.xmpPackets {
            info.packetCount += 1
            read(bytes, source: source, builder: builder, info: &info)
        }
        for guid in builder.extendedXMPOrder {
            guard let entry = builder.extendedXMP[guid] else { continue }
            var assembled = [UInt8](repeating: 0, count: entry.length)
            var covered = 0
            for (offset, piece) in entry.pieces.sorted(by: { $0.key < $1.key }) {
                guard offset >= 0, offset <= entry.length, piece.count <= entry.length - offset else {
                    builder.warn("Extended XMP \(guid): a piece lies outside the declared length")
                    continue
                }
                assembled.replaceSubrange(offset..<(offset + piece.count), with: piece)
                covered += piece.count
            }
            let complete = covered == entry.length
            let referenced = info.extendedGUID == guid
            info.extendedPackets.append(.init(guid: guid, declaredLength: entry.length, complete: complete, referenced: referenced))
            if !complete { builder.warn("Extended XMP \(guid) is incomplete (\(covered) of \(entry.length) bytes)") }
            if !referenced { builder.warn("Extended XMP \(guid) is not referenced by xmpNote:HasExtendedXMP") }
            read(assembled, source: "Extended XMP", builder: builder, info: &info)
        }
        builder.report.xmp = info
    }

    private static func read(_ input: [UInt8], source: String, builder: ReportBuilder, info: inout XMPInfo) {
        var bytes = input
        if bytes.count > maxPacket {
            builder.warn("\(source): packet of \(bytes.count) bytes cut at \(maxPacket)")
            bytes = Array(bytes.prefix(maxPacket))
        }
        let (roots, problems) = XMLLite.parse(bytes)
        for problem in problems.prefix(5) { builder.warn("\(source): \(problem)") }
        var properties: [(path: [String], value: String)] = []
        for root in roots { collect(root, path: [], into: &properties) }
        apply(properties, source: source, builder: builder, info: &info)
    }

    private static func collect(_ node: XMLLite.Node, path: [String], into out: inout [(path: [String], value: String)]) {
        guard out.count < 5_000 else { return }
        let isContainer = containers.contains(node.name)
        let here = isContainer ? path : path + [node.name]
        for (name, value) in node.attributes where !skippedAttributes.contains(name) {
            if name == "rdf:resource" { out.append((here, value)) } else { out.append((here + [name], value)) }
        }
        let structural: Set<String> = ["x:xmpmeta", "x:xapmeta", "rdf:RDF", "rdf:Description"]
        if !structural.contains(node.name) && node.children.isEmpty {
            let text = node.text.trimmingXMLSpace
            if !text.isEmpty { out.append((here, text)) }
        }
        for child in node.children { collect(child, path: here, into: &out) }
    }

    private static func apply(_ properties: [(path: [String], value: String)], source: String, builder: ReportBuilder,
                              info: inout XMPInfo) {
        var latitude: [String: Double] = [:], longitude: [String: Double] = [:]
        var altitude: Double?
        for (path, value) in properties {
            guard let name = path.last else { continue }
            let joined = path.joined(separator: "/")
            if info.properties.count < 2_000 {
                info.properties.append(MetadataField(name: joined, value: TextDecoding.capped(value), source: source))
            }
            switch name {
            case "dc:creator":
                if !info.creators.contains(value) { info.creators.append(value) }
                builder.person("dc:creator", value, source)
            case "dc:rights", "tiff:Copyright", "xmpRights:Owner": builder.person(name, value, source)
            case "tiff:Artist", "aux:OwnerName", "exifEX:CameraOwnerName", "photoshop:AuthorsPosition",
                 "photoshop:Credit", "Iptc4xmpCore:CiAdrExtadr", "Iptc4xmpCore:CiEmailWork", "Iptc4xmpCore:CiTelWork",
                 "MicrosoftPhoto:LastKeywordXMP":
                builder.person(name, value, source)
            case "photoshop:City", "Iptc4xmpCore:City", "Iptc4xmpExt:City", "Iptc4xmpCore:Location",
                 "Iptc4xmpExt:Sublocation", "photoshop:State", "photoshop:Country", "Iptc4xmpExt:CountryName",
                 "Iptc4xmpExt:ProvinceState", "Iptc4xmpCore:CountryCode", "Iptc4xmpCore:CiAdrCity":
                if !info.places.contains(value) { info.places.append(value) }
                builder.place(name, value, source)
            case "mwg-rs:Name" where path.contains("mwg-rs:RegionList"), "MPReg:PersonDisplayName":
                if !info.faceRegionNames.contains(value) { info.faceRegionNames.append(value) }
            case "xmpNote:HasExtendedXMP": info.extendedGUID = value
            case "exif:GPSLatitude", "exif:GPSDestLatitude", "exif:GPSLongitude", "exif:GPSDestLongitude":
                builder.report.hasGPSTags = true
                if let degrees = xmpCoordinate(value) {
                    let key = name.contains("Dest") ? "Dest" : ""
                    if name.hasSuffix("Latitude") { latitude[key] = degrees } else { longitude[key] = degrees }
                } else {
                    builder.warn("\(source): unreadable \(name)")
                }
            case "exif:GPSAltitude": altitude = rational(value)
            // DJI drones write the position in their own namespace, often with the EXIF GPS IFD left empty.
            case "drone-dji:GpsLatitude", "drone-dji:GpsLongitude", "drone-dji:GpsLatitudeDeg", "drone-dji:GpsLongitudeDeg":
                builder.report.hasGPSTags = true
                if let degrees = Double(value.trimmingXMLSpace), degrees.isFinite {
                    if name.contains("Latitude") { latitude["DJI"] = degrees } else { longitude["DJI"] = degrees }
                } else {
                    builder.warn("\(source): unreadable \(name)")
                }
            // Portrait and depth modes keep a whole second image as base64: often the unredacted original.
            case "GImage:Data", "GDepth:Data", "GDepth:Confidence":
                let bytes = value.utf8.count * 3 / 4
                builder.embedded(EmbeddedImage(kind: "XMP \(name) (base64, \(name == "GImage:Data" ? "the original of a portrait-mode picture" : "a depth map"))",
                                               byteCount: bytes))
                builder.text(name, "\(bytes) bytes of an image in base64", source)
            case "tiff:Make": if builder.report.make == nil { builder.report.make = value }
            case "tiff:Model": if builder.report.model == nil { builder.report.model = value }
            case "tiff:Orientation":
                if let v = Int(value) { builder.otherOrientations.append(("\(source) tiff:Orientation", v)) }
            case "exif:DateTimeOriginal", "xmp:CreateDate", "photoshop:DateCreated", "exif:DateTimeDigitized",
                 "xmp:ModifyDate", "tiff:DateTime":
                builder.date(name, value, source)
                if builder.report.captureTime == nil,
                   ["exif:DateTimeOriginal", "photoshop:DateCreated", "xmp:CreateDate"].contains(name) {
                    builder.report.captureTime = value
                }
            case "aux:SerialNumber", "exifEX:BodySerialNumber", "exifEX:LensSerialNumber", "aux:LensSerialNumber",
                 "exif:ImageUniqueID", "exifEX:ImageUniqueID", "aux:ImageNumber":
                builder.serial(name, value, source)
            case "exif:MakerNote": builder.text("exif:MakerNote (copy in XMP)", "\(value.utf8.count) characters", source)
            case "dc:title", "dc:description", "exif:UserComment", "photoshop:Headline", "photoshop:Instructions":
                builder.text(name, value, source)
            default:
                if path.contains("xmpMM:DerivedFrom") || path.contains("xmpMM:Ingredients") || name == "xmpMM:PreservedFileName"
                    || path.contains("xmpMM:History") {
                    // Editing history names the software, the times and often the file paths it was saved under.
                    builder.text(joined, value, source)
                } else if name.hasPrefix("GCamera:") || name.hasPrefix("Container:") || name.hasPrefix("Item:") {
                    builder.text(joined, value, source)
                }
            }
        }
        for key in ["", "Dest", "DJI"] {
            if let lat = latitude[key], let lon = longitude[key] {
                builder.gps(GPSPosition(latitude: lat, longitude: lon, altitude: key.isEmpty ? altitude : nil, source: .xmp,
                                        field: key == "DJI" ? "drone-dji:GpsLatitude/drone-dji:GpsLongitude" : "exif:GPS\(key)Latitude/exif:GPS\(key)Longitude"))
            }
        }
    }

    /// An XMP GPSCoordinate: "DDD,MM,SSk" or "DDD,MM.mmk" with k one of N, S, E, W (XMP Part 2, 1.2.7.4).
    /// Plain decimal degrees are accepted too.
    static func xmpCoordinate(_ text: String) -> Double? {
        var value = text.trimmingXMLSpace
        guard let last = value.last else { return nil }
        var sign = 1.0
        if "NSEWnsew".contains(last) {
            if "SWsw".contains(last) { sign = -1 }
            value.removeLast()
        }
        let parts = value.split(separator: ",").map { Double(String($0).trimmingXMLSpace) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        var degrees = parts[0]!
        if parts.count > 1 { degrees += parts[1]! / 60 }
        if parts.count > 2 { degrees += parts[2]! / 3600 }
        return sign * degrees
    }

    /// "n/d" or a decimal.
    static func rational(_ text: String) -> Double? {
        let parts = text.split(separator: "/")
        if parts.count == 2, let n = Double(String(parts[0]).trimmingXMLSpace), let d = Double(String(parts[1]).trimmingXMLSpace), d != 0 {
            return n / d
        }
        return Double(text.trimmingXMLSpace)
    }
}
