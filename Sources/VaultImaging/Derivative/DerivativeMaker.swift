internal import CVipsShim

/// Makes derivatives with libvips. Runs inside the sandbox child (`SandboxChild`); the vault reaches it
/// through `SandboxClient.makeDerivative`. Tests may call it in-process on the case files.
enum DerivativeMaker {
    /// Decodes `bytes`, applies orientation, fills the masks, flattens alpha and encodes a fresh file.
    /// - Throws: `ImagingError` (refusals from the header, invalid regions, decode or encode failures).
    static func make(bytes: [UInt8], request: DerivativeRequest) throws(ImagingError) -> Derivative {
        guard (1...100).contains(request.jpegQuality), request.pixelLimit > 0 else {
            throw .encodeFailed("JPEG quality must be 1–100 and the pixel limit positive")
        }
        if let label = request.watermark, let problem = Watermark.problem(label) {
            throw .encodeFailed("the watermark's session label \(problem)")
        }
        let report = MetadataExtractor.extract(bytes: bytes)
        if let w = report.pixelWidth, let h = report.pixelHeight, w.multipliedReportingOverflow(by: h).partialValue > request.pixelLimit
            || w.multipliedReportingOverflow(by: h).overflow {
            throw .dimensionsExceedLimit(width: w, height: h, limit: request.pixelLimit)
        }
        if let frames = report.frameCount, frames > 1 { throw .multiFrame(frames: frames) }
        guard amanah_vips_init() == 0 else { throw .decodeFailed(lastError()) }

        var header = amanah_vips_header()
        let headerStatus = bytes.withUnsafeBytes { amanah_vips_read_header($0.baseAddress, $0.count, &header) }
        try check(headerStatus, header: header, limit: request.pixelLimit)
        // libheif applies irot/imir itself; for every other format the EXIF orientation is applied here.
        let orientation = report.format == .heif ? 1 : report.orientationToApply

        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0
        let status = bytes.withUnsafeBytes { buffer in
            amanah_vips_decode_rgb(buffer.baseAddress, buffer.count, Int32(orientation), request.background.red,
                                   request.background.green, request.background.blue, UInt64(request.pixelLimit),
                                   &pixels, &width, &height)
        }
        try check(status, header: header, limit: request.pixelLimit)
        guard let pixels else { throw .decodeFailed("no pixels") }
        defer { amanah_vips_free(pixels) }
        let W = Int(width), H = Int(height)
        let storedWidth = report.format == .heif ? W : (report.pixelWidth ?? Int(header.width))
        let storedHeight = report.format == .heif ? H : (report.pixelHeight ?? Int(header.height))

        let rectangles = try MaskGeometry.rectangles(for: request.regions, displayWidth: W, displayHeight: H,
                                                     storedWidth: storedWidth, storedHeight: storedHeight,
                                                     orientation: orientation, spread: MaskGeometry.sourceSpread(for: report),
                                                     outputGrid: MaskGeometry.outputGrid(for: request))
        fill(pixels, width: W, rectangles: rectangles, colour: request.fill)
        if let label = request.watermark { Watermark.draw(label, on: pixels, width: W, height: H) }

        var out: UnsafeMutableRawPointer?
        var outLength = 0
        var (outWidth, outHeight) = (W, H)
        let encodeStatus: Int32
        if let limit = request.maxDimension, limit > 0, max(W, H) > limit {
            // A thumbnail: scaled after the masks, so a masked pixel only ever darkens its box.
            var small = downscale(pixels, width: W, height: H, toFit: limit)
            (outWidth, outHeight) = (small.width, small.height)
            encodeStatus = small.pixels.withUnsafeMutableBufferPointer { buffer in
                amanah_vips_encode(buffer.baseAddress!, Int32(small.width), Int32(small.height), request.format == .jpeg ? 0 : 1,
                                   Int32(request.jpegQuality), request.jpegChroma == .yuv420 ? 1 : 0, &out, &outLength)
            }
        } else {
            encodeStatus = amanah_vips_encode(pixels, width, height, request.format == .jpeg ? 0 : 1, Int32(request.jpegQuality),
                                              request.jpegChroma == .yuv420 ? 1 : 0, &out, &outLength)
        }
        guard encodeStatus == 0, let out else { throw .encodeFailed(lastError()) }
        defer { amanah_vips_free(out) }
        let encoded = Array(UnsafeRawBufferPointer(start: out, count: outLength))
        return Derivative(bytes: encoded, format: request.format, width: outWidth, height: outHeight, appliedOrientation: orientation,
                          filledRectangles: rectangles)
    }

    /// Decodes an image to displayed RGB pixels without masking (for tests and checks).
    static func decodeRGB(_ bytes: [UInt8], orientation: Int = 1, pixelLimit: Int = DerivativeRequest.defaultPixelLimit)
        throws(ImagingError) -> (pixels: [UInt8], width: Int, height: Int) {
        guard amanah_vips_init() == 0 else { throw .decodeFailed(lastError()) }
        var header = amanah_vips_header()
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0
        let status = bytes.withUnsafeBytes { buffer in
            amanah_vips_decode_rgb(buffer.baseAddress, buffer.count, Int32(orientation), 255, 255, 255, UInt64(pixelLimit),
                                   &pixels, &width, &height)
        }
        if status != 0 {
            _ = bytes.withUnsafeBytes { amanah_vips_read_header($0.baseAddress, $0.count, &header) }
            try check(status, header: header, limit: pixelLimit)
        }
        guard let pixels else { throw .decodeFailed("no pixels") }
        defer { amanah_vips_free(pixels) }
        return (Array(UnsafeBufferPointer(start: pixels, count: Int(width) * Int(height) * 3)), Int(width), Int(height))
    }

    /// `pixels` (`width` × `height` RGB) scaled down to fit `limit` × `limit`, keeping the aspect ratio: each
    /// output pixel is the mean of the source box it covers.
    static func downscale(_ pixels: UnsafeMutablePointer<UInt8>, width: Int, height: Int, toFit limit: Int) -> (pixels: [UInt8], width: Int, height: Int) {
        let longest = max(width, height)
        let w = max(1, width * limit / longest), h = max(1, height * limit / longest)
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let y0 = y * height / h, y1 = max(y0 + 1, (y + 1) * height / h)
            for x in 0..<w {
                let x0 = x * width / w, x1 = max(x0 + 1, (x + 1) * width / w)
                var sums = (0, 0, 0)
                for sy in y0..<y1 {
                    var p = pixels + (sy * width + x0) * 3
                    for _ in x0..<x1 { sums.0 += Int(p[0]); sums.1 += Int(p[1]); sums.2 += Int(p[2]); p += 3 }
                }
                let count = (y1 - y0) * (x1 - x0), o = (y * w + x) * 3
                out[o] = UInt8(sums.0 / count); out[o + 1] = UInt8(sums.1 / count); out[o + 2] = UInt8(sums.2 / count)
            }
        }
        return (out, w, h)
    }

    private static func fill(_ pixels: UnsafeMutablePointer<UInt8>, width: Int, rectangles: [PixelRect], colour: RGBColour) {
        for rect in rectangles {
            for y in rect.y0..<rect.y1 {
                var p = pixels + (y * width + rect.x0) * 3
                for _ in rect.x0..<rect.x1 {
                    p[0] = colour.red
                    p[1] = colour.green
                    p[2] = colour.blue
                    p += 3
                }
            }
        }
    }

    private static func lastError() -> String { String(cString: amanah_vips_last_error()) }

    private static func check(_ status: Int32, header: amanah_vips_header, limit: Int) throws(ImagingError) {
        switch status {
        case 0: return
        case -2: throw .dimensionsExceedLimit(width: Int(header.width), height: Int(header.height), limit: limit)
        case -3: throw .multiFrame(frames: Int(header.pages))
        case -4: throw .unsupportedFormat(lastError())
        default: throw .decodeFailed(lastError())
        }
    }
}
