import Foundation

/// The one normalisation Amanah's policy applies before comparing or pseudonymising text, the same as the
/// vault's blind indexes (issue 3): Unicode NFC (UAX #15), Arabic-Indic (U+0660–U+0669) and Extended
/// Arabic-Indic / Persian (U+06F0–U+06F9) digits mapped to ASCII `0`–`9`, leading and trailing white space
/// removed. Bidirectional controls (RLO, PDF, ...) are kept: a name with them is a different string on screen
/// and stays a different value here.
public enum TextNormalisation {
    /// The normalised form of `text` (see the type's description).
    public static func normalise(_ text: String) -> String {
        let composed = text.precomposedStringWithCanonicalMapping
        var scalars = String.UnicodeScalarView()
        for scalar in composed.unicodeScalars {
            switch scalar.value {
            case 0x0660...0x0669: scalars.append(Unicode.Scalar(UInt8(truncatingIfNeeded: 0x30 + scalar.value - 0x0660)))
            case 0x06F0...0x06F9: scalars.append(Unicode.Scalar(UInt8(truncatingIfNeeded: 0x30 + scalar.value - 0x06F0)))
            default: scalars.append(scalar)
            }
        }
        return String(scalars).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The normalised form, lower-cased (Unicode default case mapping), for matching names that people type
    /// in varying case (place names in the region table).
    public static func matchKey(_ text: String) -> String {
        normalise(text).lowercased()
    }

    /// Whether two normalised texts are the same sequence of Unicode scalars (not Swift's canonical-equivalence
    /// `==`, so that what is compared is exactly what is hashed).
    static func sameScalars(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.elementsEqual(b.unicodeScalars)
    }
}
