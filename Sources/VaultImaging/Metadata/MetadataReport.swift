/// What a file's capture metadata reveals: the result of `MetadataExtractor.extract(bytes:)`.
///
/// The report holds the identifying values themselves (serial numbers, names, GPS positions) so that a
/// reviewer can see what an original would reveal; the vault seals it in the `media` compartment. Only
/// `identifyingSummary` is meant for display outside the vault, and it names kinds of data, never values.
/// All strings are decoded to Unicode as their format declares (UTF-8, UCS-2/UTF-16, Latin-1, IPTC
/// CodedCharacterSet); bidi and other control characters are kept as found.
public struct MetadataReport: Codable, Equatable, Sendable {
    /// Container format recognised from the file's signature.
    public var format: ImageFormat
    /// Stored pixel width from the image header (JPEG SOF, PNG IHDR, WebP VP8/VP8L/VP8X, HEIF ispe of the
    /// primary item, TIFF IFD0), before any orientation is applied.
    public var pixelWidth: Int?
    /// Stored pixel height from the image header.
    public var pixelHeight: Int?
    /// Width as displayed, after EXIF orientation (JPEG, PNG, WebP, TIFF) or irot (HEIF).
    public var displayWidth: Int?
    /// Height as displayed.
    public var displayHeight: Int?
    /// EXIF Orientation of IFD0 (1–8) as recorded, if present. For HEIF it is informational: `irot`/`imir`
    /// govern the display there, and `orientationToApply` is 1.
    public var orientation: Int?
    /// The EXIF orientation (1–8) a renderer must apply to the stored pixels of this file to display it;
    /// 1 for HEIF, whose decoder applies `irot`/`imir` itself.
    public var orientationToApply: Int
    /// HEIF transformative properties of the primary item in order, e.g. "irot 90° anticlockwise",
    /// "imir left-right".
    public var heifTransforms: [String]
    /// Disagreements between orientation sources (MakerNote Rotation, IFD1, XMP tiff:Orientation).
    public var orientationNotes: [String]
    /// Number of frames or pages when the header shows more than one (animated WebP, multi-page TIFF).
    public var frameCount: Int?
    /// JPEG only: the minimum coded unit in stored pixels (8 or 16 wide/high), and whether the file is
    /// progressive. Used to align masks to the source's block grid.
    public var jpegCoding: JPEGCoding?
    /// Capture time as recorded (EXIF "YYYY:MM:DD HH:MM:SS" plus OffsetTimeOriginal when present, or the
    /// XMP/PNG equivalent).
    public var captureTime: String?
    /// Every date field found (DateTimeOriginal, ModifyDate, GPSDateStamp, PNG tIME, ...).
    public var dates: [MetadataField]
    /// Camera maker (EXIF Make, else XMP tiff:Make).
    public var make: String?
    /// Camera model (EXIF Model, else XMP tiff:Model).
    public var model: String?
    /// Serial numbers and unique ids: BodySerialNumber, LensSerialNumber, ImageUniqueID, MakerNote serials.
    public var serialNumbers: [MetadataField]
    /// Names of people: Artist, Copyright, XPAuthor, CameraOwnerName, MakerNote owner, dc:creator, IPTC
    /// By-line, PNG Author.
    public var people: [MetadataField]
    /// Place names: XMP/IPTC city and location, MakerNote city, mobile country code.
    public var places: [MetadataField]
    /// Every GPS position found, with its source.
    public var gps: [GPSPosition]
    /// Whether any GPS tag (even without a usable position) was present.
    public var hasGPSTags: Bool
    /// XMP packets (standard and Extended XMP).
    public var xmp: XMPInfo?
    /// IPTC-IIM records (from APP13 Photoshop IRB 0x0404, TIFF tag 0x83BB or a PNG raw profile).
    public var iptc: IPTCInfo?
    /// JPEG COM segments, decoded (UTF-8 when valid, else Windows-1256 when it looks Arabic, else Latin-1).
    public var comments: [String]
    /// Other descriptive text: ImageDescription, UserComment, XPTitle/XPComment, PNG text chunks, ...
    public var texts: [MetadataField]
    /// Embedded previews, thumbnails and further images.
    public var embeddedImages: [EmbeddedImage]
    /// The container's structure in file order: JPEG segments, PNG chunks, WebP chunks or HEIF boxes.
    public var chunks: [ChunkInfo]
    /// Data after the end of the image (JPEG EOI, PNG IEND, RIFF end, TIFF/HEIF: not applicable).
    public var trailer: TrailerInfo?
    /// Problems met while reading (damaged structures, limits reached, guesses made). Never values.
    public var warnings: [String]
    /// Short phrases naming what identifying data the file carries, e.g. "GPS position (EXIF)", "camera
    /// serial number". Safe to print outside the vault: it never contains the values.
    public var identifyingSummary: [String]

    /// An empty report for `format`.
    public init(format: ImageFormat) {
        self.format = format
        orientationToApply = 1
        heifTransforms = []
        orientationNotes = []
        dates = []
        serialNumbers = []
        people = []
        places = []
        gps = []
        hasGPSTags = false
        comments = []
        texts = []
        embeddedImages = []
        chunks = []
        warnings = []
        identifyingSummary = []
    }
}

/// Image container formats the extractor recognises.
public enum ImageFormat: String, Codable, Sendable, CaseIterable {
    case jpeg, png, webp, heif, tiff, gif
    /// Not an image format this module reads.
    case unknown
}

/// One named value and where it was found.
public struct MetadataField: Codable, Equatable, Sendable {
    /// The field's name, e.g. "BodySerialNumber", "dc:creator", "By-line".
    public var name: String
    /// The decoded value.
    public var value: String
    /// Where it came from, e.g. "EXIF", "Canon MakerNote", "XMP", "Extended XMP", "IPTC", "PNG tEXt".
    public var source: String

    public init(name: String, value: String, source: String) {
        self.name = name
        self.value = value
        self.source = source
    }
}

/// A GPS position in decimal degrees (WGS 84; south and west negative).
public struct GPSPosition: Codable, Equatable, Sendable {
    /// Where a position was recorded.
    public enum Source: String, Codable, Sendable {
        /// EXIF GPS IFD (in JPEG APP1, PNG eXIf, WebP EXIF, HEIF Exif item, TIFF).
        case exif
        /// XMP exif:GPSLatitude/GPSLongitude (including Extended XMP).
        case xmp
        /// PNG text chunks (ImageMagick `exif:GPS*` properties or a raw EXIF profile).
        case pngText
        /// An MP4 `©xyz` atom, e.g. in a motion-photo video after the image.
        case mp4
    }
    public var latitude: Double
    public var longitude: Double
    /// Metres above sea level, when recorded.
    public var altitude: Double?
    public var source: Source
    /// Which fields gave it, e.g. "GPSLatitude/GPSLongitude", "GPSDestLatitude/GPSDestLongitude", "©xyz".
    public var field: String

    public init(latitude: Double, longitude: Double, altitude: Double? = nil, source: Source, field: String) {
        self.latitude = latitude
        self.longitude = longitude
        self.altitude = altitude
        self.source = source
        self.field = field
    }
}

/// JPEG coding parameters that decide how far a change in the pixels spreads in the file.
public struct JPEGCoding: Codable, Equatable, Sendable {
    /// Minimum coded unit width in pixels (8 × the largest horizontal sampling factor).
    public var mcuWidth: Int
    /// Minimum coded unit height in pixels.
    public var mcuHeight: Int
    /// Whether the frame is progressive (SOF2/SOF6/SOF10/SOF14).
    public var progressive: Bool
    /// Number of colour components (1 grey, 3 YCbCr, 4 CMYK/YCCK).
    public var components: Int
}

/// What XMP says, standard and Extended packets together.
public struct XMPInfo: Codable, Equatable, Sendable {
    /// Number of standard XMP packets found.
    public var packetCount: Int = 0
    /// xmpNote:HasExtendedXMP (the GUID the extension must carry), if any.
    public var extendedGUID: String?
    /// GUIDs of Extended XMP segments found, and whether each assembled completely.
    public var extendedPackets: [ExtendedPacket] = []
    /// dc:creator entries.
    public var creators: [String] = []
    /// photoshop:City, Iptc4xmpCore:City/Location, Iptc4xmpExt:City, ...
    public var places: [String] = []
    /// Names of MWG (mwg-rs) and Microsoft Photo (MPReg) regions: usually people's faces.
    public var faceRegionNames: [String] = []
    /// Every simple property as a path of qualified names (e.g. "mwg-rs:Regions/mwg-rs:RegionList/mwg-rs:Name")
    /// and its value, in document order, capped at 2,000 entries.
    public var properties: [MetadataField] = []

    /// One Extended XMP packet.
    public struct ExtendedPacket: Codable, Equatable, Sendable {
        public var guid: String
        public var declaredLength: Int
        public var complete: Bool
        /// Whether the main packet's xmpNote:HasExtendedXMP names it.
        public var referenced: Bool
    }

    public init() {}
}

/// IPTC-IIM application records.
public struct IPTCInfo: Codable, Equatable, Sendable {
    /// Record 1:90 decoded, e.g. "UTF-8 (ESC % G)".
    public var codedCharacterSet: String?
    /// 2:80 By-line.
    public var bylines: [String] = []
    /// 2:90 City.
    public var city: String?
    /// 2:120 Caption/Abstract.
    public var captions: [String] = []
    /// Every textual record as "record:dataset" names (e.g. "2:116 Copyright Notice") and values.
    public var records: [MetadataField] = []

    public init() {}
}

/// An image embedded in the file besides the main one.
public struct EmbeddedImage: Codable, Equatable, Sendable {
    /// Where: "EXIF thumbnail (IFD1)", "JFXX thumbnail", "Photoshop thumbnail (IRB 0x040C)", "MPF image",
    /// "HEIF thumbnail item", "TIFF page", "PNG in trailer", ...
    public var kind: String
    /// Size in bytes of the embedded data.
    public var byteCount: Int
    /// Pixel size when its header could be read.
    public var width: Int?
    public var height: Int?
    /// Its format when recognised (jpeg, png, heif...).
    public var format: ImageFormat?

    public init(kind: String, byteCount: Int, width: Int? = nil, height: Int? = nil, format: ImageFormat? = nil) {
        self.kind = kind
        self.byteCount = byteCount
        self.width = width
        self.height = height
        self.format = format
    }
}

/// One element of the container's structure.
public struct ChunkInfo: Codable, Equatable, Sendable {
    /// The name: JPEG marker ("APP1", "COM", "SOF0"), PNG chunk type ("tEXt"), WebP fourcc ("EXIF"), HEIF box.
    public var name: String
    /// Byte offset of the chunk from the start of the file.
    public var offset: Int
    /// Length in bytes of its payload.
    public var length: Int
    /// What it holds, e.g. "Exif", "XMP", "Extended XMP", "ICC_PROFILE", "Photoshop 3.0", "JFIF", "JFXX",
    /// "MPF", a PNG text keyword, "private", "unknown ancillary". May be empty.
    public var note: String

    public init(name: String, offset: Int, length: Int, note: String = "") {
        self.name = name
        self.offset = offset
        self.length = length
        self.note = note
    }
}

/// Bytes after the end of the image.
public struct TrailerInfo: Codable, Equatable, Sendable {
    /// Offset of the first byte after the image's end marker.
    public var offset: Int
    /// Number of bytes after it.
    public var byteCount: Int
    /// What the bytes look like, most specific first, e.g. "Samsung SEF", "MP4 (ftyp)", "JPEG image",
    /// "PNG IDAT remnant (aCropalypse)", "JPEG scan data with RSTn markers (aCropalypse)", "zero padding",
    /// "unrecognised data".
    public var kinds: [String]
    /// Samsung SEF block names in directory order (e.g. "MotionPhoto_Data", "MCC_Data").
    public var sefBlockNames: [String]

    public init(offset: Int, byteCount: Int, kinds: [String] = [], sefBlockNames: [String] = []) {
        self.offset = offset
        self.byteCount = byteCount
        self.kinds = kinds
        self.sefBlockNames = sefBlockNames
    }
}
