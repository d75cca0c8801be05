import CVipsShim
import Foundation
import Testing
@testable import VaultImaging

/// Two originals that differ only inside a region must give byte-identical derivatives: then no pixel
/// outside the mask can depend on what was inside it (codec blocks, chroma subsampling, upsampling).
@Suite("Metamorphic: nothing outside a mask depends on its inside")
struct MetamorphicTests {
    static let displayWidth = 203, displayHeight = 151  // odd sizes: the grids do not line up with the edges
    static let region = MaskRegion(x: 61, y: 37, width: 50, height: 41, displayWidth: displayWidth, displayHeight: displayHeight)

    enum SourceKind: String, CaseIterable { case jpeg420, jpeg444, png }

    /// Deterministic noise with some structure (JPEG must work hard everywhere).
    static func displayed(seed: UInt64, insideOnly base: [UInt8]? = nil) -> [UInt8] {
        var state = seed
        var out = base ?? [UInt8](repeating: 0, count: displayWidth * displayHeight * 3)
        for y in 0..<displayHeight {
            for x in 0..<displayWidth {
                let inside = x >= region.x && x < region.x + region.width && y >= region.y && y < region.y + region.height
                if base != nil && !inside { continue }
                for c in 0..<3 {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    out[(y * displayWidth + x) * 3 + c] = UInt8(truncatingIfNeeded: (state >> 56) / 2 + UInt64((x * 3 + y * 2 + c * 40) % 128))
                }
            }
        }
        return out
    }

    /// The stored pixels that display as `display` under EXIF `orientation`.
    static func stored(_ display: [UInt8], orientation o: Int) -> (pixels: [UInt8], width: Int, height: Int) {
        let width = o >= 5 ? displayHeight : displayWidth, height = o >= 5 ? displayWidth : displayHeight
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let (dx, dy) = MaskGeometry.mapPoint(x: x, y: y, orientation: o, width: width, height: height)
                for c in 0..<3 { out[(y * width + x) * 3 + c] = display[(dy * displayWidth + dx) * 3 + c] }
            }
        }
        return (out, width, height)
    }

    static func encode(_ image: (pixels: [UInt8], width: Int, height: Int), _ kind: SourceKind) -> [UInt8] {
        var out: UnsafeMutableRawPointer?
        var length = 0
        let status = image.pixels.withUnsafeBufferPointer {
            amanah_vips_encode($0.baseAddress, Int32(image.width), Int32(image.height), kind == .png ? 1 : 0, 90,
                               kind == .jpeg420 ? 1 : 0, &out, &length)
        }
        precondition(status == 0 && out != nil)
        defer { amanah_vips_free(out) }
        return Array(UnsafeRawBufferPointer(start: out, count: length))
    }

    /// Adds EXIF Orientation: an APP1 after SOI for JPEG, an eXIf chunk after IHDR for PNG.
    static func withOrientation(_ file: [UInt8], _ o: Int) -> [UInt8] {
        let tiff: [UInt8] = [0x4D, 0x4D, 0, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, UInt8(o), 0, 0, 0, 0, 0, 0]
        if file.starts(with: [0xFF, 0xD8]) {
            let payload = Array("Exif\0\0".utf8) + tiff
            return [0xFF, 0xD8, 0xFF, 0xE1, 0, UInt8(payload.count + 2)] + payload + file[2...]
        }
        let typeAndData = Array("eXIf".utf8) + tiff
        let crc = Inflate.crc32(ByteView(typeAndData))
        let chunk = SandboxProtocol.be32(UInt32(tiff.count)) + typeAndData + SandboxProtocol.be32(crc)
        return Array(file[0..<33]) + chunk + file[33...]
    }

    static func pair(_ kind: SourceKind, orientation o: Int) -> ([UInt8], [UInt8]) {
        let a = displayed(seed: 1)
        let b = displayed(seed: 99, insideOnly: a)
        precondition(a != b)
        return (withOrientation(encode(stored(a, orientation: o), kind), o), withOrientation(encode(stored(b, orientation: o), kind), o))
    }

    @Test(arguments: SourceKind.allCases, 1...8)
    func identicalOutsideGivesIdenticalDerivatives(_ kind: SourceKind, _ o: Int) throws {
        let (a, b) = Self.pair(kind, orientation: o)
        #expect(a != b)
        #expect(MetadataExtractor.extract(bytes: a).orientationToApply == o)
        for request in [DerivativeRequest(regions: [Self.region]), DerivativeRequest(regions: [Self.region], format: .png),
                        DerivativeRequest(regions: [Self.region], jpegChroma: .yuv420)] {
            let da = try DerivativeMaker.make(bytes: a, request: request)
            let db = try DerivativeMaker.make(bytes: b, request: request)
            #expect(da.width == Self.displayWidth && da.height == Self.displayHeight)
            #expect(da.bytes == db.bytes, "\(kind) o=\(o) \(request.format) \(request.jpegChroma)")
            // The mask covers the region and grows by at most two source MCUs plus one output MCU per side.
            let r = Self.region, slack = 2 * 16 + 16
            #expect(da.filledRectangles.count == 1)
            for f in da.filledRectangles {
                #expect(f.x0 <= r.x && f.y0 <= r.y && f.x1 >= r.x + r.width && f.y1 >= r.y + r.height)
                #expect(f.x0 >= r.x - slack && f.y0 >= r.y - slack && f.x1 <= r.x + r.width + slack && f.y1 <= r.y + r.height + slack, "\(f)")
            }
        }
        if kind == .png {
            // Lossless in, lossless out: every pixel outside the mask is exactly the original displayed pixel.
            let d = try DerivativeMaker.make(bytes: a, request: DerivativeRequest(regions: [Self.region], format: .png))
            let decoded = try DerivativeMaker.decodeRGB(d.bytes)
            let original = Self.displayed(seed: 1)
            var same = true
            for y in 0..<Self.displayHeight {
                for x in 0..<Self.displayWidth where !d.filledRectangles.contains(where: { x >= $0.x0 && x < $0.x1 && y >= $0.y0 && y < $0.y1 }) {
                    let i = (y * Self.displayWidth + x) * 3
                    if decoded.pixels[i..<(i + 3)] != original[i..<(i + 3)] { same = false }
                }
            }
            #expect(same)
        }
    }

    /// The control: filling only the exact rectangle (no widening) leaks for JPEG sources, so the test
    /// above would catch a regression in the widening.
    @Test(arguments: [SourceKind.jpeg420, .jpeg444], [1, 6])
    func withoutWideningJPEGSourcesLeak(_ kind: SourceKind, _ o: Int) throws {
        let (a, b) = Self.pair(kind, orientation: o)
        func naive(_ bytes: [UInt8]) throws -> [UInt8] {
            var (pixels, width, height) = try DerivativeMaker.decodeRGB(bytes, orientation: o)
            let rects = try MaskGeometry.rectangles(for: [Self.region], displayWidth: width, displayHeight: height,
                                                    storedWidth: o >= 5 ? height : width, storedHeight: o >= 5 ? width : height,
                                                    orientation: o, spread: .none, outputGrid: 1)
            for r in rects { for y in r.y0..<r.y1 { for x in r.x0..<r.x1 { for c in 0..<3 { pixels[(y * width + x) * 3 + c] = 0 } } } }
            return pixels
        }
        #expect(try naive(a) != naive(b))
    }
}

@Suite("Mask geometry")
struct MaskGeometryTests {
    @Test(arguments: 1...8)
    func orientationAndItsInverseRoundTrip(_ o: Int) {
        let width = 37, height = 23
        let displayWidth = o >= 5 ? height : width, displayHeight = o >= 5 ? width : height
        for y in 0..<height {
            for x in 0..<width {
                let d = MaskGeometry.mapPoint(x: x, y: y, orientation: o, width: width, height: height)
                #expect(d.0 >= 0 && d.0 < displayWidth && d.1 >= 0 && d.1 < displayHeight)
                let back = MaskGeometry.mapPoint(x: d.0, y: d.1, orientation: MaskGeometry.inverse(o), width: displayWidth, height: displayHeight)
                #expect(back == (x, y))
            }
        }
    }

    @Test func scalingRoundsOutwardsAndGridsSnap() throws {
        let region = MaskRegion(x: 10, y: 10, width: 5, height: 5, displayWidth: 300, displayHeight: 200)
        let exact = try MaskGeometry.rectangles(for: [region], displayWidth: 640, displayHeight: 427, storedWidth: 640,
                                                storedHeight: 427, orientation: 1, spread: .none, outputGrid: 1)
        // x: 10*640/300 = 21.3 -> 21, 15*640/300 = 32 exactly; y: 10*427/200 = 21.35 -> 21, 15*427/200 = 32.03 -> 33.
        #expect(exact == [PixelRect(x0: 21, y0: 21, x1: 32, y1: 33)])
        let gridded = try MaskGeometry.rectangles(for: [region], displayWidth: 640, displayHeight: 427, storedWidth: 640,
                                                  storedHeight: 427, orientation: 1, spread: .storedGrid(width: 16, height: 16, margin: 1),
                                                  outputGrid: 8)
        // Snapped to 16 (16..32 x 16..48) and widened by one MCU: 0..48 x 0..64.
        #expect(gridded == [PixelRect(x0: 0, y0: 0, x1: 48, y1: 64)])
        // Orientation 6 on 480x640 stored pixels: the source grid lives in stored coordinates.
        let rotated = try MaskGeometry.rectangles(for: [MaskRegion(x: 40, y: 40, width: 200, height: 120, displayWidth: 640, displayHeight: 480)],
                                                  displayWidth: 640, displayHeight: 480, storedWidth: 480, storedHeight: 640,
                                                  orientation: 6, spread: .storedGrid(width: 16, height: 16, margin: 1), outputGrid: 8)
        #expect(rotated == [PixelRect(x0: 16, y0: 16, x1: 256, y1: 176)])
    }

    @Test func badRegionsAreRefused() {
        let cases = [MaskRegion(x: 0, y: 0, width: 0, height: 5, displayWidth: 10, displayHeight: 10),
                     MaskRegion(x: -1, y: 0, width: 2, height: 5, displayWidth: 10, displayHeight: 10),
                     MaskRegion(x: 9, y: 0, width: 2, height: 5, displayWidth: 10, displayHeight: 10),
                     MaskRegion(x: 0, y: 0, width: 2, height: 5, displayWidth: 0, displayHeight: 10),
                     MaskRegion(x: 0, y: 0, width: Int.max, height: 5, displayWidth: 10, displayHeight: 10)]
        for region in cases {
            #expect(throws: ImagingError.self) {
                try MaskGeometry.rectangles(for: [region], displayWidth: 10, displayHeight: 10, storedWidth: 10, storedHeight: 10,
                                            orientation: 1, spread: .none, outputGrid: 1)
            }
        }
    }
}
