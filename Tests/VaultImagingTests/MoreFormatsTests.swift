import CVipsShim
import Foundation
import Testing
@testable import VaultImaging

@Suite("TIFF, multi-frame files, MPF, trailing images and Microsoft regions")
struct MoreFormatsTests {
    @Test func tiffMetadata() throws {
        let r = MetadataExtractor.extract(bytes: try generatedFile("tiff-orient6-exif-gps.tif"))
        #expect(r.format == .tiff && r.pixelWidth == 480 && r.pixelHeight == 640)
        #expect(r.orientation == 6 && r.displayWidth == 640 && r.displayHeight == 480)
        #expect(r.make == "ExampleCam")
        #expect(r.serialNumbers.contains { $0.value == "SN-000000000042" })
        #expect(r.gps.contains { $0.source == .exif && abs($0.latitude - 52.0866) < 1e-4 })
        #expect(r.identifyingSummary.contains("GPS position (EXIF)"))
    }

    @Test func tiffGivesAMaskedJPEG() throws {
        let d = try DerivativeMaker.make(bytes: try generatedFile("tiff-orient6-exif-gps.tif"), request: DerivativeRequest(regions: [c12Region]))
        #expect(d.format == .jpeg && d.width == 640 && d.height == 480 && d.appliedOrientation == 6)
        #expect(try derivativeProblems(d, secrets: try Vectors.secrets()).isEmpty)
        let decoded = try DerivativeMaker.decodeRGB(d.bytes)
        #expect(OutputChecks.isBlack(decoded.pixels, width: 640, rect: PixelRect(x0: 40, y0: 40, x1: 240, y1: 160)))
    }

    @Test(arguments: ["two-frames.gif", "two-frames.webp"])
    func multiFrameImagesAreRefused(_ name: String) throws {
        let bytes = try generatedFile(name)
        #expect(MetadataExtractor.extract(bytes: bytes).frameCount == 2)
        #expect(throws: ImagingError.multiFrame(frames: 2)) { try DerivativeMaker.make(bytes: bytes, request: DerivativeRequest()) }
    }

    private func smallJPEG(_ width: Int, _ height: Int, shade: UInt8) -> [UInt8] {
        let pixels = [UInt8](repeating: shade, count: width * height * 3)
        var out: UnsafeMutableRawPointer?
        var length = 0
        _ = pixels.withUnsafeBufferPointer { amanah_vips_encode($0.baseAddress, Int32(width), Int32(height), 0, 80, 0, &out, &length) }
        defer { amanah_vips_free(out) }
        return Array(UnsafeRawBufferPointer(start: out, count: length))
    }

    @Test func mpfSecondImageIsReported() throws {
        let main = smallJPEG(64, 48, shade: 90), second = smallJPEG(32, 24, shade: 200)
        // APP2 "MPF\0" + big-endian MP header; the MP entry offsets count from the "MM" at file offset 10.
        func be32(_ v: Int) -> [UInt8] { SandboxProtocol.be32(UInt32(v)) }
        var mp: [UInt8] = [0x4D, 0x4D, 0, 0x2A] + be32(8) + [0, 1] + [0xB0, 0x02, 0, 7] + be32(32) + be32(26) + be32(0)
        let segmentLength = 2 + 4 + mp.count + 32
        let mainLength = main.count + 2 + segmentLength
        let secondOffset = mainLength - 10
        mp += be32(0x2003_0000) + be32(mainLength) + be32(0) + [0, 0, 0, 0]
        mp += be32(0) + be32(second.count) + be32(secondOffset) + [0, 0, 0, 0]
        let app2: [UInt8] = [0xFF, 0xE2, UInt8(segmentLength >> 8), UInt8(segmentLength & 0xFF)] + Array("MPF\0".utf8) + mp
        let file = [0xFF, 0xD8] + app2 + main[2...] + second
        let r = MetadataExtractor.extract(bytes: file)
        #expect(r.embeddedImages == [EmbeddedImage(kind: "MPF image 2", byteCount: second.count, width: 32, height: 24, format: .jpeg)])
        #expect(r.trailer?.kinds == ["JPEG image (MPF)"])
        #expect(r.identifyingSummary.contains("embedded MPF image 2, 32x24"))
        let d = try DerivativeMaker.make(bytes: file, request: DerivativeRequest())
        #expect(OutputChecks.jpegStructure(d.bytes).isEmpty && d.width == 64)
    }

    @Test func appendedImagesAreReported() throws {
        let jpeg = smallJPEG(16, 16, shade: 10) + smallJPEG(40, 20, shade: 240)
        let r = MetadataExtractor.extract(bytes: jpeg)
        #expect(r.trailer?.kinds == ["JPEG image"])
        #expect(r.embeddedImages.first?.width == 40)
        let png = try Vectors.caseFile("C02-png-itxt-xmp-gps.png") + (try Vectors.caseFile("C04-pillow-exif-in-text-chunk.png"))
        let p = MetadataExtractor.extract(bytes: png)
        #expect(p.trailer?.kinds == ["PNG image"])
        #expect(p.embeddedImages.first.map { $0.width == 512 && $0.height == 512 } == true)
        #expect(p.identifyingSummary.contains { $0.hasSuffix("bytes after the end of the image: PNG image") })
    }

    @Test func microsoftPhotoRegionNames() {
        let xml = """
        <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
        <rdf:Description rdf:about="" xmlns:MP="http://ns.microsoft.com/photo/1.2/" xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
          xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#">
        <MP:RegionInfo rdf:parseType="Resource"><MPRI:Regions><rdf:Bag>
        <rdf:li MPReg:Rectangle="0.1, 0.2, 0.3, 0.4" MPReg:PersonDisplayName="Test Person B"/>
        </rdf:Bag></MPRI:Regions></MP:RegionInfo></rdf:Description></rdf:RDF></x:xmpmeta>
        """
        let payload = Array("http://ns.adobe.com/xap/1.0/\0".utf8) + Array(xml.utf8)
        let length = payload.count + 2
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + [0xFF, 0xD9]
        let r = MetadataExtractor.extract(bytes: jpeg)
        #expect(r.xmp?.faceRegionNames == ["Test Person B"])
        #expect(r.identifyingSummary.contains("face region names (XMP)"))
    }
}
