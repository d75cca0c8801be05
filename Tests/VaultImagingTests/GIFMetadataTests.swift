import Foundation
import Testing
@testable import VaultImaging

/// Issue 21: a GIF's comment extensions and its XMP application extension are read (they used to be passed
/// over in silence); an unknown application extension is named as not inspected.
@Suite("GIF metadata")
struct GIFMetadataTests {
    /// A 1×1 GIF89a with `extensions` between its colour table and its image.
    static func gif(_ extensions: [UInt8]) -> [UInt8] {
        let head: [UInt8] = Array("GIF89a".utf8) + [0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00]
        let image: [UInt8] = [0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B]
        return head + extensions + image
    }

    /// A comment extension holding `text` in one sub-block.
    static func comment(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        return [0x21, 0xFE, UInt8(bytes.count)] + bytes + [0x00]
    }

    /// An XMP application extension: the packet written raw, then the 258-byte magic trailer.
    static func xmp(_ packet: String) -> [UInt8] {
        var out: [UInt8] = [0x21, 0xFF, 0x0B] + Array("XMP DataXMP".utf8) + Array(packet.utf8)
        out.append(0x01)
        for value in stride(from: 0xFF, through: 0x00, by: -1) { out.append(UInt8(value)) }
        out.append(0x00)
        return out
    }

    static let packet = """
    <?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF \
    xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" \
    xmlns:dc="http://purl.org/dc/elements/1.1/" exif:GPSLatitude="33,30.5N" exif:GPSLongitude="36,17.8E"><dc:creator><rdf:Seq>\
    <rdf:li>Abu Khalid</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>
    """

    @Test("a comment and an XMP packet with GPS and a creator are reported; the image is still 1×1")
    func commentAndXMP() {
        let report = MetadataExtractor.extract(bytes: Self.gif(Self.comment("taken by Abu Khalid at the checkpoint") + Self.xmp(Self.packet)))
        #expect(report.format == .gif && report.pixelWidth == 1 && report.pixelHeight == 1)
        #expect(report.comments == ["taken by Abu Khalid at the checkpoint"], "\(report.comments)")
        #expect(!report.gps.isEmpty || report.hasGPSTags, "\(report.identifyingSummary)")
        #expect(report.people.contains { $0.value == "Abu Khalid" }, "\(report.people)")
        #expect(!report.identifyingSummary.isEmpty)
        // The same file without them says nothing identifying.
        #expect(MetadataExtractor.extract(bytes: Self.gif([])).identifyingSummary.isEmpty)
    }

    @Test("an unknown application extension is named as not inspected")
    func unknownApplicationExtension() {
        let block: [UInt8] = [0x21, 0xFF, 0x0B] + Array("ACMEcorp1.0".utf8) + [0x03, 0x41, 0x42, 0x43, 0x00]
        let report = MetadataExtractor.extract(bytes: Self.gif(block))
        #expect(report.warnings.contains { $0.contains("ACMEcorp1.0") && $0.contains("not inspected") }, "\(report.warnings)")
    }
}

/// Issue 21: XMP the reader used to pass over: DJI drone positions, portrait-mode originals kept in base64,
/// editing history with file paths.
@Suite("XMP misses")
struct XMPMissesTests {
    static func packet(_ description: String) -> String {
        """
        <?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF \
        xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\(description)</rdf:RDF></x:xmpmeta><?xpacket end="w"?>
        """
    }

    @Test("DJI's GpsLatitude and GpsLongitude are a position even with no EXIF GPS")
    func djiPosition() {
        let xmp = Self.packet(#"<rdf:Description rdf:about="" xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/" drone-dji:GpsLatitude="+33.512345" drone-dji:GpsLongitude="+36.276543" drone-dji:AbsoluteAltitude="+712.5"/>"#)
        let report = MetadataExtractor.extract(bytes: GIFMetadataTests.gif(GIFMetadataTests.xmp(xmp)))
        #expect(report.hasGPSTags && report.gps.contains { abs($0.latitude - 33.512345) < 1e-6 && abs($0.longitude - 36.276543) < 1e-6 }, "\(report.gps)")
        #expect(report.identifyingSummary.contains { $0.lowercased().contains("gps") }, "\(report.identifyingSummary)")
    }

    @Test("a portrait-mode original in GImage:Data is an embedded image; xmpMM:History with a file path is reported")
    func portraitAndHistory() {
        let base64 = String(repeating: "QUJD", count: 300)
        let xmp = Self.packet(#"<rdf:Description rdf:about="" xmlns:GImage="http://ns.google.com/photos/1.0/image/" GImage:Mime="image/jpeg" GImage:Data=""# + base64 + #""/><rdf:Description rdf:about="" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"><xmpMM:History><rdf:Seq><rdf:li stEvt:action="saved" stEvt:softwareAgent="Adobe Photoshop" stEvt:parameters="to /Users/abu.khalid/Desktop/checkpoint.jpg"/></rdf:Seq></xmpMM:History></rdf:Description>"#)
        let report = MetadataExtractor.extract(bytes: GIFMetadataTests.gif(GIFMetadataTests.xmp(xmp)))
        #expect(report.embeddedImages.contains { $0.kind.contains("GImage:Data") && $0.byteCount == 900 }, "\(report.embeddedImages)")
        #expect(report.texts.contains { $0.value.contains("/Users/abu.khalid/Desktop/checkpoint.jpg") }, "\(report.texts)")
    }
}
