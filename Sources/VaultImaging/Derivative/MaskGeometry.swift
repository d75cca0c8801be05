/// Where masks go, in pure integer geometry (no pixels), so that it can be tested on its own.
///
/// A region drawn on the displayed image is (1) scaled from the display size it was drawn on to the
/// derivative's display size, rounding outwards; (2) widened for the *source* codec, because what a
/// decoder outputs near a region depends on coded data inside it; (3) widened to the *output* codec's
/// block grid, so that the solid fill covers whole JPEG blocks (no block mixes mask and picture, and no
/// chroma sample straddles a mask edge).
///
/// Source widening, the step that keeps secrets out of the pixels around a mask:
/// - JPEG sources: the rectangle is mapped to stored-pixel coordinates (the source's MCU grid lives
///   there, before orientation), snapped outwards to that grid (8 or 16 pixels from the SOF sampling
///   factors) and widened by one more MCU on every side — two for progressive files — because libjpeg's
///   fancy upsampling reads the neighbouring chroma sample across an MCU edge and progressive block
///   smoothing reads the DC values of neighbouring blocks. Then it is mapped back to display coordinates.
/// - Lossy WebP (VP8) sources: 32 pixels (two macroblocks: loop filter and intra prediction).
/// - HEIF sources: 64 pixels (one HEVC coding tree unit: deblocking, SAO, intra prediction). Intra
///   prediction can in principle carry a difference further; this margin is the practical bound.
/// - Lossless sources (PNG, GIF, lossless WebP, TIFF): none; decoded pixels are exactly the stored ones.
///
/// Output widening: the derivative's JPEG is encoded 4:4:4 by default, so masks snap outwards to the
/// 8-pixel block grid of the output (16 pixels for 4:2:0 output); PNG output needs no grid.
public enum MaskGeometry {
    /// How a source codec spreads a change, as described above.
    public enum SourceSpread: Equatable, Sendable {
        /// No spread (lossless).
        case none
        /// Snap to a grid of `width`×`height` stored pixels, then widen by `margin` cells.
        case storedGrid(width: Int, height: Int, margin: Int)
        /// Widen by this many pixels on every side, in display coordinates.
        case pixels(Int)
    }

    /// The source spread for a file, from its metadata report.
    public static func sourceSpread(for report: MetadataReport) -> SourceSpread {
        switch report.format {
        case .jpeg:
            let coding = report.jpegCoding ?? JPEGCoding(mcuWidth: 16, mcuHeight: 16, progressive: true, components: 3)
            return .storedGrid(width: coding.mcuWidth, height: coding.mcuHeight, margin: coding.progressive ? 2 : 1)
        case .webp:
            return report.chunks.contains { $0.name == "VP8" } ? .pixels(32) : .none
        case .heif: return .pixels(64)
        case .tiff, .png, .gif, .unknown: return .none
        }
    }

    /// The output block grid in pixels: 8 for JPEG 4:4:4, 16 for JPEG 4:2:0, 1 for PNG.
    public static func outputGrid(for request: DerivativeRequest) -> Int {
        switch request.format {
        case .png: return 1
        case .jpeg: return request.jpegChroma == .yuv420 ? 16 : 8
        }
    }

    /// The inverse of an EXIF orientation (6 and 8 swap; the others undo themselves).
    public static func inverse(_ orientation: Int) -> Int {
        switch orientation {
        case 6: return 8
        case 8: return 6
        default: return orientation
        }
    }

    /// Maps a pixel (x, y) of an image of `width`×`height` to where it lands after applying EXIF
    /// `orientation` (the way a viewer displays the stored pixels).
    public static func mapPoint(x: Int, y: Int, orientation: Int, width: Int, height: Int) -> (Int, Int) {
        switch orientation {
        case 2: return (width - 1 - x, y)
        case 3: return (width - 1 - x, height - 1 - y)
        case 4: return (x, height - 1 - y)
        case 5: return (y, x)
        case 6: return (height - 1 - y, x)
        case 7: return (height - 1 - y, width - 1 - x)
        case 8: return (y, width - 1 - x)
        default: return (x, y)
        }
    }

    /// Maps a rectangle of an image of `width`×`height` through `orientation`.
    public static func mapRect(_ rect: PixelRect, orientation: Int, width: Int, height: Int) -> PixelRect {
        guard !rect.isEmpty else { return rect }
        let a = mapPoint(x: rect.x0, y: rect.y0, orientation: orientation, width: width, height: height)
        let b = mapPoint(x: rect.x1 - 1, y: rect.y1 - 1, orientation: orientation, width: width, height: height)
        return PixelRect(x0: Swift.min(a.0, b.0), y0: Swift.min(a.1, b.1), x1: Swift.max(a.0, b.0) + 1, y1: Swift.max(a.1, b.1) + 1)
    }

    /// The rectangles to fill, in the derivative's (display) pixel coordinates.
    /// - Parameters:
    ///   - displayWidth, displayHeight: size of the decoded, oriented image.
    ///   - storedWidth, storedHeight: size of the stored pixels (before orientation).
    ///   - orientation: the EXIF orientation that was applied to the stored pixels (1 for HEIF).
    /// - Throws: `ImagingError.invalidRegion` for an empty or out-of-bounds region, or one drawn on a view
    ///   whose shape does not match the image as displayed (a sign that orientation was mishandled).
    public static func rectangles(for regions: [MaskRegion], displayWidth: Int, displayHeight: Int, storedWidth: Int,
                                  storedHeight: Int, orientation: Int, spread: SourceSpread,
                                  outputGrid: Int) throws(ImagingError) -> [PixelRect] {
        let W = displayWidth, H = displayHeight
        var out: [PixelRect] = []
        for (index, r) in regions.enumerated() {
            let limit = 1 << 24
            guard r.width > 0, r.height > 0, r.displayWidth > 0, r.displayHeight > 0, r.x >= 0, r.y >= 0,
                  r.displayWidth <= limit, r.displayHeight <= limit,
                  r.x <= r.displayWidth - r.width, r.y <= r.displayHeight - r.height else {
                throw .invalidRegion("region \(index + 1) (\(r.x),\(r.y) \(r.width)x\(r.height) on \(r.displayWidth)x\(r.displayHeight)) is empty or outside its display size")
            }
            // Same shape (within 2 %) as the displayed image, or the region was drawn on another orientation.
            let a = r.displayWidth * H, b = r.displayHeight * W
            guard abs(a - b) * 50 <= Swift.max(a, b) else {
                throw .invalidRegion("region \(index + 1) was drawn on a \(r.displayWidth)x\(r.displayHeight) view but the image displays as \(W)x\(H)")
            }
            var rect = PixelRect(x0: r.x * W / r.displayWidth, y0: r.y * H / r.displayHeight,
                                 x1: ((r.x + r.width) * W + r.displayWidth - 1) / r.displayWidth,
                                 y1: ((r.y + r.height) * H + r.displayHeight - 1) / r.displayHeight)
            rect = clamp(rect, W, H)
            switch spread {
            case .none: break
            case .pixels(let margin):
                rect = clamp(PixelRect(x0: rect.x0 - margin, y0: rect.y0 - margin, x1: rect.x1 + margin, y1: rect.y1 + margin), W, H)
            case .storedGrid(let gw, let gh, let margin):
                let swapped = orientation >= 5
                if (swapped ? (storedHeight, storedWidth) : (storedWidth, storedHeight)) == (W, H), gw > 0, gh > 0 {
                    var stored = mapRect(rect, orientation: inverse(orientation), width: W, height: H)
                    stored = PixelRect(x0: (stored.x0 / gw - margin) * gw, y0: (stored.y0 / gh - margin) * gh,
                                       x1: ((stored.x1 + gw - 1) / gw + margin) * gw, y1: ((stored.y1 + gh - 1) / gh + margin) * gh)
                    stored = clamp(stored, storedWidth, storedHeight)
                    rect = mapRect(stored, orientation: orientation, width: storedWidth, height: storedHeight)
                } else {
                    // Header and decoded sizes disagree: widen generously instead of trusting a grid.
                    let m = (margin + 1) * Swift.max(gw, gh)
                    rect = clamp(PixelRect(x0: rect.x0 - m, y0: rect.y0 - m, x1: rect.x1 + m, y1: rect.y1 + m), W, H)
                }
            }
            if outputGrid > 1 {
                rect = clamp(PixelRect(x0: rect.x0 / outputGrid * outputGrid, y0: rect.y0 / outputGrid * outputGrid,
                                       x1: (rect.x1 + outputGrid - 1) / outputGrid * outputGrid,
                                       y1: (rect.y1 + outputGrid - 1) / outputGrid * outputGrid), W, H)
            }
            if !rect.isEmpty { out.append(rect) }
        }
        return out
    }

    private static func clamp(_ r: PixelRect, _ w: Int, _ h: Int) -> PixelRect {
        PixelRect(x0: Swift.max(0, Swift.min(r.x0, w)), y0: Swift.max(0, Swift.min(r.y0, h)),
                  x1: Swift.max(0, Swift.min(r.x1, w)), y1: Swift.max(0, Swift.min(r.y1, h)))
    }
}
