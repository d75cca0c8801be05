/// Why an image was refused or could not be turned into a derivative. Carried back from the sandbox child
/// as JSON, so it is `Codable`; the description is printed to users and never holds metadata values.
public enum ImagingError: Error, Codable, Equatable, Sendable, CustomStringConvertible {
    /// The header declares more pixels than the limit; nothing was decoded (LOG.md C13).
    case dimensionsExceedLimit(width: Int, height: Int, limit: Int)
    /// The image has more than one frame or page; only single-frame images are processed.
    case multiFrame(frames: Int)
    /// Not a JPEG, PNG, WebP, HEIF, TIFF or GIF image, or a loader that is not allowed.
    case unsupportedFormat(String)
    /// A mask region is empty, negative, outside its display size, or drawn on a zero display size.
    case invalidRegion(String)
    /// libvips could not decode the image (damaged data, memory exhausted...).
    case decodeFailed(String)
    /// libvips could not encode the derivative.
    case encodeFailed(String)
    /// The input is larger than the sandbox accepts.
    case inputTooLarge(bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .dimensionsExceedLimit(let w, let h, let limit):
            return "rejected: dimensions exceed limit (\(w)x\(h) is more than \(limit) pixels)"
        case .multiFrame(let frames): return "rejected: \(frames) frames or pages (only single-frame images are processed)"
        case .unsupportedFormat(let detail): return "rejected: unsupported image format (\(detail))"
        case .invalidRegion(let detail): return "invalid mask region: \(detail)"
        case .decodeFailed(let detail): return "cannot decode the image: \(detail)"
        case .encodeFailed(let detail): return "cannot encode the derivative: \(detail)"
        case .inputTooLarge(let bytes, let limit): return "rejected: input of \(bytes) bytes exceeds the limit of \(limit) bytes"
        }
    }
}
