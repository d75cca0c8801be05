import Foundation
import Testing
@testable import VaultImaging

/// Issue 18: the `family-viewing` profile's visible watermark naming the session.
@Suite("Session watermark")
struct WatermarkTests {
    @Test("the font draws every character a label may hold, seven rows of five pixels each; labels are checked")
    func fontAndLabels() {
        for character in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.:/#()+," {
            let rows = Watermark.glyph(for: character)
            #expect(rows?.count == 7 && rows!.allSatisfy { $0 < 32 }, "\(character)")
            #expect(character == " " || rows!.contains { $0 != 0 }, "\(character) draws nothing")
        }
        #expect(Watermark.glyph(for: "a") == Watermark.glyph(for: "A"))
        #expect(Watermark.problem("Session 2026-12-07 (room 3)") == nil)
        #expect(Watermark.problem("   ") == "is empty")
        #expect(Watermark.problem(String(repeating: "S", count: 49))?.contains("longer than 48") == true)
        #expect(Watermark.problem("جلسة")?.contains("Latin letters") == true)
        #expect(Watermark.problem("ß")?.contains("Latin letters") == true)
    }

    @Test("the watermark is drawn over the bands and the middle only, after the masks, and the same label gives the same bytes")
    func drawnWhereItShould() throws {
        let input = try Vectors.caseFile("C12-orient-1.jpg")   // 640x480 displayed
        let plain = try DerivativeMaker.make(bytes: input, request: DerivativeRequest(regions: [c12Region], format: .png))
        let marked = try DerivativeMaker.make(bytes: input, request: DerivativeRequest(regions: [c12Region], format: .png, watermark: "S-7"))
        let again = try DerivativeMaker.make(bytes: input, request: DerivativeRequest(regions: [c12Region], format: .png, watermark: "S-7"))
        let other = try DerivativeMaker.make(bytes: input, request: DerivativeRequest(regions: [c12Region], format: .png, watermark: "S-8"))
        #expect(marked.bytes == again.bytes && marked.bytes != other.bytes && marked.bytes != plain.bytes)
        let a = try DerivativeMaker.decodeRGB(plain.bytes), b = try DerivativeMaker.decodeRGB(marked.bytes)
        let scale = 3, band = 33   // min(640, 480) / 160; 11 rows of the scale
        func pixel(_ image: [UInt8], _ x: Int, _ y: Int) -> [UInt8] { Array(image[(y * 640 + x) * 3 ..< (y * 640 + x) * 3 + 3]) }
        // "V" starts the text: its top-left font pixel is inked (white), the one beside it is the band (a quarter).
        #expect(pixel(b.pixels, 2 * scale, 2 * scale) == [255, 255, 255])
        #expect(pixel(b.pixels, 2 * scale + scale, 2 * scale) == pixel(a.pixels, 2 * scale + scale, 2 * scale).map { $0 / 4 })
        #expect(pixel(b.pixels, 2 * scale, 480 - band + 2 * scale) == [255, 255, 255])
        // Between the bands and away from the middle line, nothing changes.
        for y in [band, 100, 200, 300, 480 - band - 1] where !(227...253).contains(y) {
            for x in stride(from: 0, to: 640, by: 7) { #expect(pixel(a.pixels, x, y) == pixel(b.pixels, x, y), "(\(x),\(y))") }
        }
        // The middle line writes half-transparent white and never darkens.
        var lighter = 0
        for y in 229...250 { for x in 0..<640 where pixel(b.pixels, x, y) != pixel(a.pixels, x, y) {
            lighter += 1
            #expect(zip(pixel(b.pixels, x, y), pixel(a.pixels, x, y)).allSatisfy { $0 >= $1 })
        } }
        #expect(lighter > 500)
        // The mask stays filled where the watermark does not cross it.
        #expect(OutputChecks.isBlack(b.pixels, width: 640, rect: PixelRect(x0: 40, y0: 40, x1: 240, y1: 160)))
        #expect(throws: ImagingError.self) {
            try DerivativeMaker.make(bytes: input, request: DerivativeRequest(watermark: "session\u{0}"))
        }
    }

    @Test("the whole label is laid out on any shape of image: one line when it fits, broken at spaces when not, never wider than the image",
          arguments: [(3024, 4032), (1000, 1000), (1080, 1350), (640, 480), (300, 400), (120, 900), (7, 7)])
    func wholeLabelOnAnyShape(width: Int, height: Int) {
        for label in ["S-2026-12-07-1", String(repeating: "A", count: 48)] {
            let (scale, lines) = Watermark.layout(label, width: width, height: height)
            let drawn = lines.map { String($0) }
            #expect(drawn.joined().filter { $0 != " " } == Watermark.text(session: label).filter { $0 != " " }, "\(width)x\(height): \(drawn)")
            for line in lines where width >= 10 * scale { #expect((line.count * 6 + 4) * scale <= width, "\(width)x\(height): \(String(line)) at \(scale)") }
            if label.count < 20 && width >= 1000 { #expect(lines.count == 1, "\(width)x\(height): \(drawn)") }
        }
        // Drawing on the smallest image stays inside it.
        var pixels = [UInt8](repeating: 100, count: width * height * 3)
        pixels.withUnsafeMutableBufferPointer { Watermark.draw("S-1", on: $0.baseAddress!, width: width, height: height) }
        #expect(pixels.count == width * height * 3)
    }
}
