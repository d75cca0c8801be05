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

    /// Text for display: control, bidirectional and zero-width characters shown as `<U+XXXX>` so that a
    /// value cannot reorder or hide what the terminal shows. Other characters (Arabic included) are kept.
    /// - Parameter keepNewlines: false for values shown on one line (a line break in a value would otherwise
    ///   look like another field).
    public static func escapedForDisplay(_ value: String, keepNewlines: Bool = true) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            let v = scalar.value
            let needsEscape = v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) || v == 0x061C || v == 0x200E || v == 0x200F
                || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) || (0x200B...0x200D).contains(v)
                || v == 0x2060 || v == 0xFEFF
            if needsEscape && (v != 0x0A || !keepNewlines) {
                let hex = String(v, radix: 16, uppercase: true)
                out += "<U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + ">"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
