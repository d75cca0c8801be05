import Foundation
import Testing
@testable import VaultImaging

/// The C12 box, (40,40)-(240,160) on the 640x480 display (C12-box.json).
let c12Region = MaskRegion(x: 40, y: 40, width: 200, height: 120, displayWidth: 640, displayHeight: 480)

/// Image case files that must give a derivative (the C13 bombs must not).
func derivableCaseFiles() throws -> [String] {
    try Vectors.caseNames(withExtensions: ["jpg", "png", "webp"]).filter { !$0.hasPrefix("C13") }
}

func generatedFile(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: Vectors.root.appendingPathComponent("generated").appendingPathComponent(name)))
}

/// Runs every E-STRIP and E-NOSECRET check on a derivative; returns the problems.
func derivativeProblems(_ derivative: Derivative, secrets: [String]) throws -> [String] {
    var problems = derivative.format == .jpeg ? OutputChecks.jpegStructure(derivative.bytes) : OutputChecks.pngStructure(derivative.bytes)
    problems += OutputChecks.secretProblems(derivative.bytes, secrets: secrets)
    let report = MetadataExtractor.extract(bytes: derivative.bytes)
    if !report.identifyingSummary.isEmpty { problems.append("metadata left: \(report.identifyingSummary)") }
    if !report.embeddedImages.isEmpty || report.trailer != nil { problems.append("preview or trailer left") }
    let decoded = try DerivativeMaker.decodeRGB(derivative.bytes)
    if (decoded.width, decoded.height) != (derivative.width, derivative.height) { problems.append("size mismatch") }
    let magenta = OutputChecks.magentaCount(decoded.pixels)
    if magenta > 0 { problems.append("\(magenta) magenta pixels") }
    return problems
}

@Suite("Derivatives (in process)")
struct DerivativeTests {
    @Test(arguments: try derivableCaseFiles())
    func everyCaseFileGivesAClean(_ name: String) throws {
        let secrets = try Vectors.secrets()
        let input = try Vectors.caseFile(name)
        let regions = name.hasPrefix("C12-orient") ? [c12Region] : []
        for format in DerivativeRequest.Format.allCases {
            let d = try DerivativeMaker.make(bytes: input, request: DerivativeRequest(regions: regions, format: format))
            let report = MetadataExtractor.extract(bytes: input)
            #expect(d.width == report.displayWidth && d.height == report.displayHeight, "\(name)")
            let problems = try derivativeProblems(d, secrets: secrets)
            #expect(problems.isEmpty, "\(name) \(format): \(problems)")
        }
    }

    @Test(arguments: ["heif-from-C03-exif23.heic", "heif-orient6-irot.heic", "heif-orient2-imir.heic"])
    func heifGivesJPEG(_ name: String) throws {
        let input = try generatedFile(name)
        let regions = name.contains("orient") ? [c12Region] : []
        let d = try DerivativeMaker.make(bytes: input, request: DerivativeRequest(regions: regions))
        #expect(d.format == .jpeg && d.appliedOrientation == 1)
        #expect(try derivativeProblems(d, secrets: try Vectors.secrets()).isEmpty)
        if name.contains("orient") {
            #expect(d.width == 640 && d.height == 480)
            let decoded = try DerivativeMaker.decodeRGB(d.bytes)
            #expect(OutputChecks.isBlack(decoded.pixels, width: d.width, rect: PixelRect(x0: 40, y0: 40, x1: 240, y1: 160)))
        }
    }

    @Test(arguments: 1...8)
    func c12MaskLandsOnTheDisplayedBox(_ o: Int) throws {
        let d = try DerivativeMaker.make(bytes: try Vectors.caseFile("C12-orient-\(o).jpg"), request: DerivativeRequest(regions: [c12Region]))
        #expect(d.width == 640 && d.height == 480 && d.appliedOrientation == o)
        let decoded = try DerivativeMaker.decodeRGB(d.bytes)
        #expect(OutputChecks.magentaCount(decoded.pixels) == 0)
        #expect(OutputChecks.isBlack(decoded.pixels, width: 640, rect: PixelRect(x0: 40, y0: 40, x1: 240, y1: 160)))
        // The mask is widened only to the grids: never more than two source MCUs and one output block.
        for rect in d.filledRectangles {
            #expect(rect.x0 >= 40 - 48 && rect.y0 >= 40 - 48 && rect.x1 <= 240 + 48 && rect.y1 <= 160 + 48, "\(rect)")
            #expect(rect.x0 % 8 == 0 && rect.y0 % 8 == 0)
        }
        if o >= 2 {
            // The DECOY sits at (40,40)-(240,160) in stored pixels; wherever that lands on the display,
            // most of it lies outside the mask and stays visible.
            let stored = PixelRect(x0: 40, y0: 40, x1: 240, y1: 160)
            let storedWidth = o >= 5 ? 480 : 640, storedHeight = o >= 5 ? 640 : 480
            let decoy = MaskGeometry.mapRect(stored, orientation: o, width: storedWidth, height: storedHeight)
            #expect(OutputChecks.greenCount(decoded.pixels, width: 640, in: decoy) > 2_000, "decoy at \(decoy)")
        }
    }

    @Test func c12RealOrientation6Photograph() throws {
        let d = try DerivativeMaker.make(bytes: try Vectors.caseFile("C12-ianare-landscape-orientation6.jpg"), request: DerivativeRequest())
        #expect(d.width == 600 && d.height == 450 && d.appliedOrientation == 6)
    }

    @Test(arguments: ["C13-jpeg-65500x65500.jpg", "C13-png-huge-dims-truncated.png", "C13-png-1bit-2.5gigapixel.png",
                      "C13-pillow-decompression-bomb.gif"])
    func c13BombsAreRefusedFromTheHeader(_ name: String) throws {
        #expect(throws: ImagingError.self) { try DerivativeMaker.make(bytes: try Vectors.caseFile(name), request: DerivativeRequest()) }
        do {
            _ = try DerivativeMaker.make(bytes: try Vectors.caseFile(name), request: DerivativeRequest())
        } catch let error as ImagingError {
            guard case .dimensionsExceedLimit = error else { Issue.record("\(name): \(error)"); return }
            #expect(error.description.hasPrefix("rejected: dimensions exceed limit"))
        }
    }

    @Test func pixelLimitIsConfigurable() throws {
        let input = try Vectors.caseFile("C12-orient-1.jpg")
        #expect(throws: ImagingError.dimensionsExceedLimit(width: 640, height: 480, limit: 300_000)) {
            try DerivativeMaker.make(bytes: input, request: DerivativeRequest(pixelLimit: 300_000))
        }
        #expect(throws: Never.self) { try DerivativeMaker.make(bytes: input, request: DerivativeRequest(pixelLimit: 307_200)) }
    }

    @Test func regionsDrawnOnAnotherOrientationAreRefused() throws {
        let input = try Vectors.caseFile("C12-orient-6.jpg")  // displays 640x480; a 480x640 view means the tag was ignored
        let wrong = MaskRegion(x: 40, y: 40, width: 200, height: 120, displayWidth: 480, displayHeight: 640)
        #expect(throws: ImagingError.self) { try DerivativeMaker.make(bytes: input, request: DerivativeRequest(regions: [wrong])) }
        let outside = MaskRegion(x: 600, y: 40, width: 200, height: 120, displayWidth: 640, displayHeight: 480)
        #expect(throws: ImagingError.self) { try DerivativeMaker.make(bytes: input, request: DerivativeRequest(regions: [outside])) }
    }

    @Test func regionsDrawnOnAScaledViewAreScaled() throws {
        // The same box drawn on a 320x240 preview covers the same displayed pixels.
        let half = MaskRegion(x: 20, y: 20, width: 100, height: 60, displayWidth: 320, displayHeight: 240)
        let d = try DerivativeMaker.make(bytes: try Vectors.caseFile("C12-orient-3.jpg"), request: DerivativeRequest(regions: [half]))
        let decoded = try DerivativeMaker.decodeRGB(d.bytes)
        #expect(OutputChecks.magentaCount(decoded.pixels) == 0)
        #expect(OutputChecks.isBlack(decoded.pixels, width: 640, rect: PixelRect(x0: 40, y0: 40, x1: 240, y1: 160)))
    }

    @Test func transparentPixelsAreFlattened() throws {
        // The aCropalypse PNG has an alpha channel; the derivative has none and no secret pixels.
        let d = try DerivativeMaker.make(bytes: try Vectors.caseFile("C09-acropalypse-snippingtool-crop.png"),
                                         request: DerivativeRequest(format: .png))
        #expect(d.width == 796 && d.height == 417)
        #expect(MetadataExtractor.extract(bytes: d.bytes).chunks.map(\.name).first == "IHDR")
        #expect(d.bytes[25] == 2)  // IHDR colour type 2: RGB, no alpha
    }
}
