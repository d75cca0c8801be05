import Foundation
import Testing
@testable import VaultImaging

/// Builds big-endian TIFF blocks for tests: IFDs of (tag, type, count, 4-byte value or offset).
private struct TIFFBuilder {
    var bytes: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8]

    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    /// Appends an IFD at the current end; returns its offset.
    mutating func ifd(_ entries: [(tag: Int, type: Int, count: Int, value: [UInt8])], next: Int) -> Int {
        let at = bytes.count
        bytes += Self.be16(entries.count)
        for e in entries { bytes += Self.be16(e.tag) + Self.be16(e.type) + Self.be32(e.count) + (e.value + [0, 0, 0, 0]).prefix(4) }
        bytes += Self.be32(next)
        return at
    }
}

@Suite("Hostile and synthetic metadata structures")
struct HostileMetadataTests {
    private func exifJPEG(_ tiff: [UInt8]) -> [UInt8] {
        let payload = Array("Exif\0\0".utf8) + tiff
        let length = payload.count + 2
        return [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + [0xFF, 0xD9]
    }

    @Test func ifdLoopIsDetected() {
        var t = TIFFBuilder()
        _ = t.ifd([(0x010F, 2, 3, Array("AB\0".utf8))], next: 8)  // IFD0's next IFD is itself
        let r = MetadataExtractor.extract(bytes: exifJPEG(t.bytes))
        #expect(r.make == "AB")
        #expect(r.warnings.contains { $0.contains("IFD loop") })
    }

    @Test func deepNestingIsCut() {
        var t = TIFFBuilder()
        // Each ExifIFD points to the next one, 20 levels deep, at known offsets (18 bytes per IFD).
        for level in 0..<20 {
            let here = 8 + 18 * level
            _ = t.ifd([(0x8769, 4, 1, TIFFBuilder.be32(here + 18))], next: 0)
        }
        _ = t.ifd([], next: 0)
        let r = MetadataExtractor.extract(bytes: exifJPEG(t.bytes))
        #expect(r.warnings.contains { $0.contains("nesting deeper") })
    }

    @Test func countsAndOffsetsOutsideTheBlockAreRefused() {
        var t = TIFFBuilder()
        _ = t.ifd([(0x010F, 2, 0x7FFF_FFFF, TIFFBuilder.be32(8)), (0x0110, 2, 50, TIFFBuilder.be32(0x7FFF_FFF0)),
                   (0x8825, 4, 1, TIFFBuilder.be32(0xFFFF_FF00))], next: 0xFFFF_FFF0)
        let r = MetadataExtractor.extract(bytes: exifJPEG(t.bytes))
        #expect(r.make == nil && r.model == nil)
        #expect(r.warnings.count >= 3)
    }

    @Test func nikonMakerNoteSerial() {
        // Nikon type-3 MakerNote: "Nikon\0" 02 10 00 00, then its own TIFF header and IFD with tag 0x001D.
        var inner = TIFFBuilder()
        let serial = Array("NK-TEST-1234\0".utf8)
        _ = inner.ifd([(0x001D, 2, serial.count, TIFFBuilder.be32(26))], next: 0)
        inner.bytes += serial
        let note = Array("Nikon\0".utf8) + [0x02, 0x10, 0x00, 0x00] + inner.bytes
        var t = TIFFBuilder()
        let make = Array("NIKON CORPORATION\0".utf8)
        // IFD0 (8): Make -> 38, ExifIFD -> 56; make text at 38; ExifIFD at 56; MakerNote data at 74.
        _ = t.ifd([(0x010F, 2, make.count, TIFFBuilder.be32(38)), (0x8769, 4, 1, TIFFBuilder.be32(56))], next: 0)
        t.bytes += make
        _ = t.ifd([(0x927C, 7, note.count, TIFFBuilder.be32(74))], next: 0)
        t.bytes += note
        let r = MetadataExtractor.extract(bytes: exifJPEG(t.bytes))
        #expect(r.make == "NIKON CORPORATION")
        #expect(r.serialNumbers == [MetadataField(name: "SerialNumber", value: "NK-TEST-1234", source: "Nikon MakerNote")])
        #expect(r.identifyingSummary.contains("camera serial number"))
    }

    @Test func extendedXMPWithAbsurdLengthIsIgnored() {
        var payload = Array("http://ns.adobe.com/xmp/extension/\0".utf8) + Array(repeating: UInt8(ascii: "A"), count: 32)
        payload += TIFFBuilder.be32(0x7FFF_FFFF) + TIFFBuilder.be32(0) + Array("<x/>".utf8)
        let length = payload.count + 2
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + [0xFF, 0xD9]
        let r = MetadataExtractor.extract(bytes: jpeg)
        #expect(r.warnings.contains { $0.contains("above the 64 MiB limit") })
        #expect(r.xmp == nil)
    }

    @Test func xmlEntitiesAreNotExpanded() {
        let xml = """
        <!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
        <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
        <rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:q="http://ns.adobe.com/photoshop/1.0/" q:City="&b;&#x41;&lt;">
        <dc:creator><rdf:Seq><rdf:li>One</rdf:li><rdf:li>Two</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>
        """
        let payload = Array("http://ns.adobe.com/xap/1.0/\0".utf8) + Array(xml.utf8)
        let length = payload.count + 2
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + [0xFF, 0xD9]
        let r = MetadataExtractor.extract(bytes: jpeg)
        #expect(r.xmp?.creators == ["One", "Two"])
        #expect(r.xmp?.places == ["&b;A<"])  // unusual prefix "q" resolved to photoshop:City; entity left as text
    }

    @Test func zTXtIsCappedAtOneMebibyte() throws {
        let file = try Vectors.caseFile("C13-pillow-ztxt-bomb.png")
        // The first zTXt chunk's compressed data starts after "big1\0" and the method byte.
        let view = ByteView(file)
        let start = try #require(view.firstIndex(of: Array("zTXtbig1".utf8)))
        let length = Int(try view.u32(start - 4))
        let compressed = try view.bytes(start + 4 + 6, length - 6)
        let result = Inflate.zlib(compressed)
        #expect(result.truncated && result.bytes.count == Inflate.textChunkLimit)
    }

    /// Every prefix and many single-byte corruptions of every case file are read without a crash, and each
    /// gives the report it should: the whole file its own format; a prefix too short for any signature
    /// "not a JPEG, PNG, WebP, HEIF or TIFF file"; a longer prefix the whole file's format and (JPEG, PNG,
    /// WebP) a warning that the file ends early (or, past the image's end marker, about the data after it); a corrupted copy whose signature is intact the same format;
    /// every report bounded, the same on a second reading, and encodable (the sandbox sends it as JSON).
    @Test func truncatedAndCorruptedFilesNeverCrash() throws {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: seed >> 33)
        }
        let formats: [String: ImageFormat] = ["jpg": .jpeg, "png": .png, "webp": .webp, "gif": .gif]
        let unknown = ["not a JPEG, PNG, WebP, HEIF or TIFF file"]
        /// Whether `warnings` say that a file of `format` ends before its structure does.
        func saysTruncated(_ warnings: [String], _ format: ImageFormat, whole: [UInt8]) -> Bool {
            switch format {
            case .jpeg:
                return warnings.contains { $0.hasPrefix("JPEG: ") && ($0.contains("end of the file") || $0.contains("the file ends") || $0.contains("file ends in")) }
            case .png:
                return warnings.contains { $0 == "PNG: no IEND chunk; the file ends inside the image" || ($0.hasPrefix("PNG: ") && $0.hasSuffix("runs past the end of the file")) }
            case .webp:
                let riffSize = Int(whole[4]) | Int(whole[5]) << 8 | Int(whole[6]) << 16 | Int(whole[7]) << 24
                return warnings.contains("WebP: RIFF size \(riffSize) exceeds the file")
            default:
                return true   // GIF: only the screen and frame sizes are read; nothing to warn about
            }
        }
        func checkBounded(_ report: MetadataReport, _ bytes: [UInt8], _ label: String) throws {
            #expect(report.warnings.count <= 201, "\(label)")                     // 200 and "further warnings omitted"
            #expect(report == MetadataExtractor.extract(bytes: bytes), "\(label)")
            _ = try JSONEncoder().encode(report)
        }
        let names = try Vectors.caseNames(withExtensions: Set(formats.keys))
        #expect(names.count >= 20)
        for name in names {
            let file = try Vectors.caseFile(name)
            let format = try #require(formats[(name as NSString).pathExtension.lowercased()])
            let whole = MetadataExtractor.extract(bytes: file)
            #expect(whole.format == format, "\(name)")
            #expect(!whole.warnings.contains(unknown[0]), "\(name)")
            let cuts = Set((0..<8).map { file.count * $0 / 8 } + [1, 3, 12])
            for cut in cuts.sorted() {
                let prefix = Array(file.prefix(cut))
                let report = MetadataExtractor.extract(bytes: prefix)
                let label = "\(name) cut at \(cut)"
                if cut <= 1 {
                    #expect(report.format == .unknown && report.warnings == unknown, "\(label)")
                    #expect(report.identifyingSummary.isEmpty, "\(label)")
                } else if cut >= 12 {
                    #expect(report.format == format, "\(label)")
                    // A prefix that holds the whole image and part of what follows its end marker (a motion
                    // photo, an aCropalypse crop) reports that trailing data instead, as the whole file does.
                    let endsEarly = saysTruncated(report.warnings, format, whole: file)
                    let trailing = whole.warnings.contains { $0.hasPrefix("data after") } && report.warnings.contains { $0.hasPrefix("data after") }
                    #expect(endsEarly || trailing, "\(label): \(report.warnings)")
                } else {
                    #expect(report.format == format || report.format == .unknown, "\(label)")
                }
                try checkBounded(report, prefix, label)
            }
            for round in 0..<12 {
                var copy = file
                let span = Swift.min(copy.count, 4096)  // headers and metadata sit near the start
                copy[next() % span] = UInt8(truncatingIfNeeded: next())
                copy[next() % copy.count] ^= 0xFF
                let report = MetadataExtractor.extract(bytes: copy)
                let label = "\(name) corruption \(round)"
                if copy.prefix(12) == file.prefix(12) { #expect(report.format == format, "\(label)") }
                try checkBounded(report, copy, label)
            }
        }
    }

    @Test func unknownBytesGiveAnUnknownReport() {
        let r = MetadataExtractor.extract(bytes: Array("%PDF-1.7 not an image".utf8))
        #expect(r.format == .unknown && r.warnings == ["not a JPEG, PNG, WebP, HEIF or TIFF file"])
        #expect(r.identifyingSummary.isEmpty)
    }

    @Test func cp1256TableMatchesKnownBytes() {
        // "شاهد اختبار" in Windows-1256 (as Python's cp1256 codec encodes it).
        let bytes: [UInt8] = [212, 199, 229, 207, 32, 199, 206, 202, 200, 199, 209]
        #expect(TextDecoding.cp1256(bytes) == "شاهد اختبار")
        #expect(TextDecoding.undeclared(bytes).1 == "Windows-1256 (guessed)")
    }

    @Test func iso6709Forms() {
        #expect(BMFFReader.iso6709("+52.0866+004.2956/").map { abs($0.0 - 52.0866) < 1e-9 && abs($0.1 - 4.2956) < 1e-9 } == true)
        let dm = BMFFReader.iso6709("-3330.5+15112.0+10.5/")
        #expect(dm.map { abs($0.0 + 33.508333) < 1e-5 && abs($0.1 - 151.2) < 1e-9 && $0.2 == 10.5 } == true)
        #expect(BMFFReader.iso6709("garbage") == nil)
    }
}

@Suite("HEIF metadata")
struct HEIFMetadataTests {
    private func generated(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Vectors.root.appendingPathComponent("generated").appendingPathComponent(name)))
    }

    @Test func exifItem() throws {
        let r = MetadataExtractor.extract(bytes: try generated("heif-from-C03-exif23.heic"))
        #expect(r.format == .heif && r.pixelWidth == 640 && r.pixelHeight == 427)
        #expect(r.serialNumbers.contains(MetadataField(name: "BodySerialNumber", value: "SN-000000000042", source: "HEIF Exif")))
        #expect(r.people.contains { $0.name == "Artist" && $0.value == "Test Photographer" })
        #expect(r.chunks.map(\.name).prefix(3) == ["ftyp", "meta", "mdat"])
    }

    @Test func irotGovernsAndExifOrientationIsIgnored() throws {
        let r = MetadataExtractor.extract(bytes: try generated("heif-orient6-irot.heic"))
        #expect(r.pixelWidth == 480 && r.pixelHeight == 640)
        #expect(r.displayWidth == 640 && r.displayHeight == 480)
        #expect(r.heifTransforms == ["irot 270° anticlockwise"])
        #expect(r.orientation == 6 && r.orientationToApply == 1)
        #expect(r.orientationNotes.contains { $0.contains("ignored in HEIF") })
    }

    @Test func imir() throws {
        let r = MetadataExtractor.extract(bytes: try generated("heif-orient2-imir.heic"))
        #expect(r.heifTransforms == ["imir 1 (left-right)"])
        #expect(r.displayWidth == 640 && r.displayHeight == 480 && r.orientationToApply == 1)
    }
}
