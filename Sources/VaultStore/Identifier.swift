/// Validation of identifiers chosen by people (record ids, pseudonyms, file names).
///
/// An identifier is 1 to 128 Unicode scalars (file names: 255 UTF-8 bytes) with no NUL, no path separator
/// (`/`, `\`), no control characters (C0, DEL, C1), no bidirectional controls (U+061C, U+200E, U+200F,
/// U+202A–U+202E, U+2066–U+2069) and no zero-width characters (U+200B–U+200D, U+2060, U+FEFF); it is not
/// `.` or `..` and has no leading or trailing white space. Values (such as detainee numbers) are not
/// identifiers and may hold `/`.
public enum Identifier {
    /// Checks an identifier for `field`.
    /// - Throws: `StoreError.invalidIdentifier(field, reason)`.
    public static func validate(_ value: String, field: String, maximumScalars: Int = 128) throws {
        guard !value.isEmpty else { throw StoreError.invalidIdentifier(field, "is empty") }
        guard value.unicodeScalars.count <= maximumScalars, value.utf8.count <= 255 else {
            throw StoreError.invalidIdentifier(field, "is too long")
        }
        guard value != ".", value != ".." else { throw StoreError.invalidIdentifier(field, "must not be . or ..") }
        for scalar in value.unicodeScalars {
            if let reason = rejection(scalar) { throw StoreError.invalidIdentifier(field, reason) }
        }
        if let first = value.unicodeScalars.first, let last = value.unicodeScalars.last,
           first.properties.isWhitespace || last.properties.isWhitespace {
            throw StoreError.invalidIdentifier(field, "has leading or trailing white space")
        }
    }

    static func rejection(_ scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0: return "contains a NUL character"
        case 0x2F, 0x5C: return "contains a path separator"
        case 0x01...0x1F, 0x7F, 0x80...0x9F: return "contains a control character"
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return "contains a bidirectional control character"
        case 0x200B...0x200D, 0x2060, 0xFEFF: return "contains a zero-width character"
        default: return nil
        }
    }
}
