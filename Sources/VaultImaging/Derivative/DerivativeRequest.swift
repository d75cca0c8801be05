/// A rectangle to fill on an image, in the coordinates of the image as displayed (after EXIF orientation
/// or HEIF irot/imir), together with the display size it was drawn on. When the derivative's display size
/// differs (the region was drawn on a scaled view), the rectangle is scaled to it, rounding outwards.
public struct MaskRegion: Codable, Equatable, Sendable {
    /// Left edge in display pixels (0 = left).
    public var x: Int
    /// Top edge in display pixels (0 = top).
    public var y: Int
    /// Width in display pixels (> 0).
    public var width: Int
    /// Height in display pixels (> 0).
    public var height: Int
    /// Width of the displayed image the region was drawn on (> 0).
    public var displayWidth: Int
    /// Height of the displayed image the region was drawn on (> 0).
    public var displayHeight: Int

    public init(x: Int, y: Int, width: Int, height: Int, displayWidth: Int, displayHeight: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.displayWidth = displayWidth
        self.displayHeight = displayHeight
    }
}

/// An 8-bit sRGB colour.
public struct RGBColour: Codable, Equatable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8
    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }
    public static let black = RGBColour(red: 0, green: 0, blue: 0)
    public static let white = RGBColour(red: 255, green: 255, blue: 255)
}

/// What derivative to make from an original: which regions to fill, and how to encode the result.
///
/// The derivative is always a freshly encoded file of the displayed image (orientation applied, alpha
/// flattened onto `background`) with no metadata at all. Masks are never blurred or pixelated: they are
/// filled with `fill`, after being widened as `MaskGeometry` describes so that no pixel outside a mask
/// depends on what was inside it.
public struct DerivativeRequest: Codable, Equatable, Sendable {
    /// Output encodings.
    public enum Format: String, Codable, Sendable, CaseIterable {
        /// Baseline JPEG (HEIC, WebP, TIFF and GIF sources give JPEG too).
        case jpeg
        /// 8-bit RGB PNG, not interlaced.
        case png
    }
    /// JPEG chroma sampling of the output.
    public enum Chroma: String, Codable, Sendable {
        /// No chroma subsampling; masks align to the 8-pixel block grid.
        case yuv444
        /// 2x2 chroma subsampling; masks align to the 16-pixel MCU grid.
        case yuv420
    }

    public var regions: [MaskRegion]
    public var format: Format
    /// Refuse images whose header declares more pixels than this (default 100 megapixels).
    public var pixelLimit: Int
    /// JPEG quality, 1–100 (default 92).
    public var jpegQuality: Int
    /// JPEG chroma sampling (default 4:4:4).
    public var jpegChroma: Chroma
    /// Colour of the filled masks (default black).
    public var fill: RGBColour
    /// Colour that transparent pixels are flattened onto (default white).
    public var background: RGBColour
    /// A viewing session's label to draw as a visible watermark (`Watermark`), after the masks; nil for none.
    public var watermark: String?
    /// When set (> 0), the derivative is scaled down after the masks so that neither side exceeds this many
    /// pixels (a thumbnail; each output pixel the mean of the box of pixels it covers); nil keeps the size.
    public var maxDimension: Int?

    /// The default limit on pixels per image: 100 megapixels.
    public static let defaultPixelLimit = 100_000_000

    public init(regions: [MaskRegion] = [], format: Format = .jpeg, pixelLimit: Int = DerivativeRequest.defaultPixelLimit,
                jpegQuality: Int = 92, jpegChroma: Chroma = .yuv444, fill: RGBColour = .black, background: RGBColour = .white,
                watermark: String? = nil, maxDimension: Int? = nil) {
        self.watermark = watermark
        self.maxDimension = maxDimension
        self.regions = regions
        self.format = format
        self.pixelLimit = pixelLimit
        self.jpegQuality = jpegQuality
        self.jpegChroma = jpegChroma
        self.fill = fill
        self.background = background
    }
}

/// A derivative: the encoded file and what was done to make it.
public struct Derivative: Codable, Equatable, Sendable {
    /// The encoded file (JPEG or PNG), with no metadata and nothing after its end marker.
    public var bytes: [UInt8]
    public var format: DerivativeRequest.Format
    /// Pixel size of the derivative (= the original's display size).
    public var width: Int
    public var height: Int
    /// EXIF orientation (1–8) that was applied to the stored pixels.
    public var appliedOrientation: Int
    /// The rectangles actually filled, in the derivative's pixel coordinates, after scaling and widening.
    public var filledRectangles: [PixelRect]
}

/// A half-open pixel rectangle [x0, x1) × [y0, y1).
public struct PixelRect: Codable, Equatable, Sendable, CustomStringConvertible {
    public var x0: Int
    public var y0: Int
    public var x1: Int
    public var y1: Int
    public init(x0: Int, y0: Int, x1: Int, y1: Int) {
        self.x0 = x0
        self.y0 = y0
        self.x1 = x1
        self.y1 = y1
    }
    public var isEmpty: Bool { x1 <= x0 || y1 <= y0 }
    public var description: String { "(\(x0),\(y0))-(\(x1),\(y1))" }
}
