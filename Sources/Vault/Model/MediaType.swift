/// Recognises a file's type from its first bytes (magic numbers), without parsing it. Parsing happens only
/// in the sandboxed child.
public enum MediaType {
    /// The media type of a file starting with `head` (at least 16 bytes when available).
    public static func sniff(_ head: [UInt8]) -> String {
        func starts(_ bytes: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + bytes.count && Array(head[offset..<(offset + bytes.count)]) == bytes
        }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return "image/webp" }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return "image/gif" }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "image/tiff" }
        if starts(Array("ftyp".utf8), at: 4) {
            let brand = head.count >= 12 ? String(decoding: head[8..<12], as: UTF8.self) : ""
            if ["heic", "heix", "heim", "heis", "hevc", "mif1", "msf1"].contains(brand) { return "image/heic" }
            if ["avif", "avis"].contains(brand) { return "image/avif" }
            if brand == "qt  " { return "video/quicktime" }
            return "video/mp4"
        }
        if starts(Array("%PDF-".utf8)) { return "application/pdf" }
        // JPEG XL: a bare codestream, or the ISOBMFF-like container with its own signature box.
        if starts([0xFF, 0x0A]) || starts([0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x4C, 0x20, 0x0D, 0x0A, 0x87, 0x0A]) { return "image/jxl" }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return "application/zip" }
        return "application/octet-stream"
    }

    /// Whether capture metadata is extracted for this type (in the sandbox). For every other type, ingest
    /// says that its metadata was not inspected (`notInspected`), never nothing.
    public static func hasCaptureMetadata(_ type: String) -> Bool {
        ["image/jpeg", "image/png", "image/webp", "image/heic", "image/avif", "image/tiff", "image/gif"].contains(type)
    }

    /// What ingest records and says for a file of `type` whose metadata Amanah does not parse: the phrase for
    /// the item's identifying-metadata summary, so that `show` never says "none found" for it.
    public static func notInspected(_ type: String) -> String {
        let kinds = ["application/pdf": "PDF", "image/jxl": "JPEG XL", "video/mp4": "MP4 video", "video/quicktime": "QuickTime video",
                     "application/zip": "ZIP archive"]
        let kind = kinds[type] ?? "this type of"
        return "metadata not inspected: Amanah does not parse \(kind) files (\(type)), which can name an author, a device or a place; treat the original as possibly identifying"
    }
}
