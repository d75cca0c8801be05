import Foundation
import Testing
import VaultCrypto
@testable import VaultImaging

private func report(_ name: String) throws -> MetadataReport {
    MetadataExtractor.extract(bytes: try Vectors.caseFile(name))
}

private func near(_ a: Double, _ b: Double, _ tolerance: Double = 1e-4) -> Bool { abs(a - b) <= tolerance }

/// The values the cases plant; none of them may appear in an identifying summary.
private let personalSecrets = ["Test Photographer", "Test Person", "Example Street", "Test Owner", "SN-000000000042",
                               "LSN-0000007", "S000000000099", "0000-TEST-DEVICE", "Den Haag", "+52.0866", "52.08",
                               "4.29", "شاهد اختبار", "WITNESS", "Taken outside", "204", "Carnegieplein"]

@Suite("Metadata extraction on the case files")
struct CaseMetadataTests {
    @Test func c01ThumbnailOfTheUncroppedOriginal() throws {
        let r = try report("C01-exif-thumbnail-unredacted.jpg")
        #expect(r.format == .jpeg && r.pixelWidth == 900 && r.pixelHeight == 800)
        #expect(r.embeddedImages == [EmbeddedImage(kind: "EXIF thumbnail (IFD1)", byteCount: 13134, width: 480, height: 320, format: .jpeg)])
        #expect(r.identifyingSummary.contains("embedded EXIF thumbnail (IFD1), 480x320"))
    }

    @Test func c02ExtendedXMPGPSAndFaceName() throws {
        let r = try report("C02-xmp-only-gps-extended.jpg")
        #expect(!r.gps.contains { $0.source == .exif })
        let xmpGPS = r.gps.first { $0.source == .xmp && $0.field == "exif:GPSLatitude/exif:GPSLongitude" }
        #expect(xmpGPS.map { near($0.latitude, 52.0866) && near($0.longitude, 4.2956) } == true)
        #expect(r.gps.contains { $0.field.contains("GPSDest") })
        #expect(r.xmp?.faceRegionNames == ["Test Person A"])
        #expect(r.xmp?.creators == ["Test Photographer"])
        #expect(r.xmp?.places.contains("Den Haag") == true)
        #expect(r.xmp?.places.contains { $0.hasPrefix("Carnegieplein") } == true)  // only in the Extended XMP
        #expect(r.xmp?.extendedGUID == "316C5C0958828FFADA634D279DF85FD4")
        #expect(r.xmp?.extendedPackets == [.init(guid: "316C5C0958828FFADA634D279DF85FD4", declaredLength: 75305,
                                                 complete: true, referenced: true)])
        for phrase in ["GPS position (XMP)", "face region names (XMP)", "place names", "author name", "Extended XMP"] {
            #expect(r.identifyingSummary.contains(phrase), "\(phrase)")
        }
    }

    @Test func c02PNGiTXtXMP() throws {
        let r = try report("C02-png-itxt-xmp-gps.png")
        #expect(r.gps.count == 1 && r.gps[0].source == .xmp && near(r.gps[0].latitude, 52.0866))
        #expect(r.people.contains(MetadataField(name: "dc:creator", value: "Test Photographer", source: "XMP (PNG iTXt)")))
        #expect(r.texts.contains { $0.name == "xmpMM:DerivedFrom" && $0.value == "IMG_0001_witness_home.NEF" })
        #expect(r.identifyingSummary.contains("original file name (XMP)"))
    }

    @Test func c03PanasonicSerialAndConflictingRotation() throws {
        let r = try report("C03-panasonic-makernote-serial.jpg")
        #expect(r.make == "Panasonic" && r.model == "DMC-FZ30")
        #expect(r.serialNumbers.contains(MetadataField(name: "InternalSerialNumber", value: "S000000000099", source: "Panasonic MakerNote")))
        #expect(r.orientation == 1 && r.orientationToApply == 1)
        #expect(r.orientationNotes.contains { $0.hasPrefix("Panasonic MakerNote Rotation is 8") })
        #expect(r.identifyingSummary.contains("camera serial number"))
    }

    @Test func c03CanonOwner() throws {
        let r = try report("C03-canon-makernote-owner.jpg")
        #expect(r.people.contains(MetadataField(name: "OwnerName", value: "Test Owner (replaced)", source: "Canon MakerNote")))
        #expect(r.identifyingSummary.contains("owner name") && r.identifyingSummary.contains("maker notes"))
    }

    @Test func c03Exif23SerialsAndOwner() throws {
        let r = try report("C03-exif23-serials-owner.jpg")
        #expect(r.serialNumbers.contains(MetadataField(name: "BodySerialNumber", value: "SN-000000000042", source: "EXIF")))
        #expect(r.serialNumbers.contains(MetadataField(name: "LensSerialNumber", value: "LSN-0000007", source: "EXIF")))
        #expect(r.serialNumbers.contains { $0.name == "ImageUniqueID" })
        #expect(r.people.contains(MetadataField(name: "CameraOwnerName", value: "Test Owner", source: "EXIF")))
        #expect(r.people.contains(MetadataField(name: "Artist", value: "Test Photographer", source: "EXIF")))
        #expect(r.people.contains(MetadataField(name: "XPAuthor", value: "Test Photographer", source: "EXIF")))
        #expect(r.people.contains(MetadataField(name: "Copyright", value: "(c) Test Photographer", source: "EXIF")))
        #expect(r.captureTime == "2024:01:02 09:59:58")
        for phrase in ["camera serial number", "lens serial number", "owner name", "author name", "copyright holder"] {
            #expect(r.identifyingSummary.contains(phrase), "\(phrase)")
        }
    }

    @Test func c04AllAncillaryChunks() throws {
        let r = try report("C04-png-all-metadata-chunks.png")
        let names = r.chunks.map(\.name)
        #expect(names == ["IHDR", "eXIf", "iCCP", "tEXt", "tEXt", "tEXt", "tEXt", "zTXt", "iTXt", "tIME", "orNT", "caBX", "prIv", "IDAT", "IEND"])
        #expect(r.texts.contains { $0.name == "Comment" && $0.value == "Taken outside 12 Example Street by Test Photographer" })
        #expect(r.texts.contains { $0.name == "ICC profile name" && $0.value == "Test Person MacBook display" })
        #expect(r.gps.contains { $0.source == .exif && near($0.latitude, 52.0866) })
        #expect(r.serialNumbers.contains { $0.value == "SN-000000000042" && $0.source.contains("Raw profile type exif") })
        #expect(r.dates.contains { $0.name == "tIME" })
        #expect(r.identifyingSummary.contains("private PNG chunks (orNT, caBX, prIv)"))
        #expect(r.identifyingSummary.contains("GPS tags (PNG text)"))
        #expect(r.identifyingSummary.contains("C2PA manifest"))
    }

    @Test func c04PillowFiles() throws {
        let magick = try report("C04-pillow-exif-imagemagick.png")
        #expect(Set(magick.chunks.map(\.name)).isSuperset(of: ["eXIf", "orNT", "tIME", "tEXt"]))
        #expect(magick.dates.contains { $0.name == "date:create" })
        let text = try report("C04-pillow-exif-in-text-chunk.png")
        #expect(text.orientation == 1)  // the EXIF inside the tEXt "exif" chunk was parsed
    }

    @Test(arguments: ["C05-webp-exif-xmp-iccp.webp", "C05-webp-exif-with-prefix.webp"])
    func c05WebPBothExifForms(_ name: String) throws {
        let r = try report(name)
        #expect(r.format == .webp && r.pixelWidth == 480 && r.pixelHeight == 320)
        #expect(r.gps.contains { $0.source == .exif && near($0.latitude, 52.0866) && near($0.longitude, 4.2956) })
        #expect(r.gps.contains { $0.source == .xmp })
        #expect(r.people.contains { $0.name == "Artist" && $0.value == "Test Photographer" })
        #expect(Set(r.chunks.map(\.name)).isSuperset(of: ["VP8X", "ICCP", "EXIF", "XMP"]))
        #expect(r.warnings.contains { $0.contains("Exif\\0\\0") } == name.contains("prefix"))
    }

    @Test func c05PillowFlower() throws {
        let r = try report("C05-pillow-flower-exif.webp")
        #expect(r.make == "Canon" && r.model == "Canon PowerShot S40")
        #expect(r.embeddedImages.first?.width == 160 && r.embeddedImages.first?.height == 120)
    }

    @Test func c07IdentityOutsideExifAndXMP() throws {
        let r = try report("C07-jpeg-com-iptc-psthumb-jfxx.jpg")
        #expect(r.embeddedImages.map(\.kind) == ["JFXX thumbnail", "Photoshop thumbnail (IRB 0x040C)"])
        #expect(r.embeddedImages.allSatisfy { $0.width == 240 && $0.height == 160 })
        #expect(r.iptc?.codedCharacterSet == "UTF-8 (ESC % G)")
        #expect(r.iptc?.bylines == ["Test Photographer"] && r.iptc?.city == "Den Haag")
        #expect(r.iptc?.captions.first?.contains("Test Person A") == true)
        #expect(r.comments.first?.contains("12 Example Street") == true)
        #expect(r.chunks.contains { $0.name == "APP2" && $0.note == "ICC_PROFILE" })
        #expect(r.chunks.contains { $0.name == "COM" })
    }

    @Test func c08SamsungSEF() throws {
        let r = try report("C08-samsung-sef-motionphoto.jpg")
        #expect(r.trailer?.byteCount == 384)
        #expect(r.trailer?.sefBlockNames == ["MotionPhoto_Data", "Image_UTC_Data", "MCC_Data"])
        #expect(r.gps.contains { $0.source == .mp4 && near($0.latitude, 52.0866) && near($0.longitude, 4.2956) })
        #expect(r.places.contains { $0.name.hasPrefix("MCC_Data") && $0.value == "204" })
        #expect(r.identifyingSummary.contains("384 bytes after the end of the image: Samsung SEF (MotionPhoto_Data, Image_UTC_Data, MCC_Data), MP4 video (ftyp mp42)"))
        #expect(r.identifyingSummary.contains("mobile country code (Samsung SEF)"))
    }

    @Test func c08GoogleMotionPhoto() throws {
        let r = try report("C08-google-motionphoto.jpg")
        #expect(r.trailer?.kinds == ["MP4 video (ftyp mp42)"])
        #expect(r.gps.contains { $0.source == .mp4 && $0.field == "©xyz" })
        #expect(r.texts.contains { $0.name.contains("GCamera:MotionPhoto") })
    }

    @Test func c09AcropalypseTrailers() throws {
        let png = try report("C09-acropalypse-snippingtool-crop.png")
        #expect(png.pixelWidth == 796 && png.pixelHeight == 417)
        #expect(png.trailer == TrailerInfo(offset: 52_821, byteCount: 333_597, kinds: ["PNG IDAT remnant (aCropalypse)"]))
        #expect(png.warnings.contains { $0.contains("aCropalypse") })
        let jpeg = try report("C09-acropalypse-jpeg.jpg")
        #expect(jpeg.trailer?.offset == 18_035 && jpeg.trailer?.byteCount == 37_087)
        #expect(jpeg.trailer?.kinds == ["JPEG scan data with RSTn markers (aCropalypse)"])
        #expect(jpeg.identifyingSummary.contains("37087 bytes after the end of the image: JPEG scan data with RSTn markers (aCropalypse)"))
    }

    @Test(arguments: 1...8)
    func c12Orientation(_ o: Int) throws {
        let r = try report("C12-orient-\(o).jpg")
        #expect(r.orientation == o && r.orientationToApply == o)
        #expect(r.displayWidth == 640 && r.displayHeight == 480)
        #expect(r.pixelWidth == (o >= 5 ? 480 : 640))
        #expect(r.jpegCoding?.mcuWidth == 16 && r.jpegCoding?.mcuHeight == 16)
    }

    @Test func c13HeadersOfBombs() throws {
        #expect(try report("C13-jpeg-65500x65500.jpg").pixelWidth == 65500)
        #expect(try report("C13-png-huge-dims-truncated.png").pixelHeight == 100_000)
        #expect(try report("C13-png-1bit-2.5gigapixel.png").pixelWidth == 50_000)
        #expect(try report("C13-pillow-decompression-bomb.gif").pixelWidth == 65_535)
        let ztxt = try report("C13-pillow-ztxt-bomb.png")
        #expect(ztxt.warnings.filter { $0.contains("decompression bomb") }.count == 3)
    }

    @Test func c20ArabicAndUCS2() throws {
        let r = try report("C20-arabic-metadata.jpg")
        let caption = "صورة من موقع الحادث، الشارع ١٢"
        #expect(r.texts.contains(MetadataField(name: "ImageDescription", value: caption, source: "EXIF")))
        #expect(r.texts.contains(MetadataField(name: "XPTitle", value: caption, source: "EXIF")))
        #expect(r.texts.contains(MetadataField(name: "XPComment", value: "شاهد اختبار", source: "EXIF")))
        #expect(r.texts.contains(MetadataField(name: "UserComment", value: "شاهد اختبار", source: "EXIF")))
        #expect(r.iptc?.bylines == ["شاهد اختبار"] && r.iptc?.captions == [caption])
        #expect(r.xmp?.creators == ["شاهد اختبار"])
        let title = r.texts.first { $0.name == "dc:title" }?.value ?? ""
        #expect(title.unicodeScalars.contains("\u{202E}"))          // the RLO is kept as found
        #expect(title.unicodeScalars.contains("\u{0653}"))          // and the NFD form (alef + madda above)
        #expect(r.comments == ["صورة من موقع الحادث، الشارع 12"])    // COM in cp1256, no charset declared
        #expect(r.warnings.contains { $0.contains("Windows-1256") })
    }

    @Test func summariesNeverCarryValues() throws {
        for name in try Vectors.caseNames(withExtensions: ["jpg", "png", "webp", "gif"]) {
            let summary = try report(name).identifyingSummary.joined(separator: "\n")
            for secret in personalSecrets { #expect(!summary.contains(secret), "\(name): \(secret)") }
        }
    }

    @Test func caseFilesAreTheCollectedOnes() throws {
        let sums = try String(contentsOf: Vectors.cases.appendingPathComponent("SHA256SUMS"), encoding: .utf8)
        var checked = 0
        for line in sums.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: " *")).replacingOccurrences(of: "./", with: "")
            let url = Vectors.cases.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            #expect(Hex.encode(SHA256Digest.hash(Array(try Data(contentsOf: url)))) == String(parts[0]), "\(name)")
            checked += 1
        }
        #expect(checked >= 33)
    }
}

@Suite("Metadata extraction on the sample photographs")
struct SampleMetadataTests {
    static let nikon: [String: (String, Double, Double)] = [
        "DSCN0010.jpg": ("2008:10:22 16:28:39", 43 + 28.0 / 60 + 2.81 / 3600, 11 + 53.0 / 60 + 6.46 / 3600),
        "DSCN0012.jpg": ("2008:10:22 16:29:49", 43 + 28.0 / 60 + 1.76 / 3600, 11 + 53.0 / 60 + 7.42 / 3600),
        "DSCN0021.jpg": ("2008:10:22 16:38:20", 43 + 28.0 / 60 + 1.49 / 3600, 11 + 53.0 / 60 + 4.34 / 3600),
        "DSCN0025.jpg": ("2008:10:22 16:43:21", 43 + 28.0 / 60 + 6.11 / 3600, 11 + 52.0 / 60 + 53.89 / 3600),
        "DSCN0027.jpg": ("2008:10:22 16:44:01", 43 + 28.0 / 60 + 6.39 / 3600, 11 + 52.0 / 60 + 53.45 / 3600),
        "DSCN0029.jpg": ("2008:10:22 16:46:53", 43 + 28.0 / 60 + 5.68 / 3600, 11 + 52.0 / 60 + 48.62 / 3600),
        "DSCN0038.jpg": ("2008:10:22 16:52:15", 43 + 28.0 / 60 + 2.12 / 3600, 11 + 52.0 / 60 + 45.17 / 3600),
        "DSCN0040.jpg": ("2008:10:22 16:55:37", 43 + 27.0 / 60 + 57.64 / 3600, 11 + 52.0 / 60 + 44.80 / 3600),
    ]

    @Test(arguments: nikon.keys.sorted())
    func nikonGPSPhotographs(_ name: String) throws {
        let r = MetadataExtractor.extract(bytes: try Vectors.sample(name))
        let (time, lat, lon) = Self.nikon[name]!
        #expect(r.make == "NIKON" && r.model == "COOLPIX P6000")
        #expect(r.captureTime == time)
        #expect(r.pixelWidth == 640 && r.pixelHeight == 480)
        #expect(r.gps.count == 1 && r.gps[0].source == .exif)
        #expect(r.gps.first.map { near($0.latitude, lat, 1e-5) && near($0.longitude, lon, 1e-5) } == true)
        #expect(r.embeddedImages.first?.kind == "EXIF thumbnail (IFD1)")
        #expect(r.identifyingSummary.prefix(1) == ["GPS position (EXIF)"])
        #expect(r.warnings.isEmpty, "\(r.warnings)")
    }

    @Test(arguments: [("Canon_40D.jpg", "Canon", "Canon EOS 40D", "2008:05:30 15:56:01", 1378),
                      ("Nikon_D70.jpg", "NIKON CORPORATION", "NIKON D70", "2008:03:15 09:52:01", 1700),
                      ("Pentax_K10D.jpg", "PENTAX Corporation", "PENTAX K10D", "2008:05:04 16:47:24", 1349),
                      ("Sony_HDR-HC3.jpg", "SONY", "HDR-HC3", "2007:06:15 04:42:32", 1232)])
    func cameraModels(_ name: String, _ make: String, _ model: String, _ time: String, _ thumbnail: Int) throws {
        let r = MetadataExtractor.extract(bytes: try Vectors.sample(name))
        #expect(r.make == make && r.model == model && r.captureTime == time)
        #expect(r.embeddedImages.contains { $0.kind == "EXIF thumbnail (IFD1)" && $0.byteCount == thumbnail })
        #expect(r.gps.isEmpty)
        #expect(r.identifyingSummary.contains("camera make and model"))
    }
}

