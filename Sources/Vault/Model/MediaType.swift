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
        if starts([0x50, 0x4B, 0x03, 0x04]) { return "application/zip" }
        return "application/octet-stream"
    }

    /// Whether capture metadata is extracted for this type (in the sandbox).
    public static func hasCaptureMetadata(_ type: String) -> Bool {
        ["image/jpeg", "image/png", "image/webp", "image/heic", "image/tiff"].contains(type)
    }
}
