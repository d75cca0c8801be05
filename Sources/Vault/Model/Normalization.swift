import VaultPolicy
import Foundation
import VaultCrypto

/// Normalisation of values for blind indexes and comparison: Unicode NFC, Arabic-Indic (U+0660–U+0669) and
/// Extended Arabic-Indic / Persian (U+06F0–U+06F9) digits to ASCII, white space trimmed, lower case. So `٣٤٥٦/٢١٥`,
/// `۳۴۵۶/۲۱۵` and `3456/215` are equal, and an NFD name equals its NFC twin.
public enum Normalization {
    /// The normalised form of `value`.
    public static func normalize(_ value: String) -> String {
        let composed = value.precomposedStringWithCanonicalMapping
        var out = String.UnicodeScalarView()
        for scalar in composed.unicodeScalars {
            switch scalar.value {
            case 0x0660...0x0669: out.append(Unicode.Scalar(scalar.value - 0x0660 + 0x30)!)
            case 0x06F0...0x06F9: out.append(Unicode.Scalar(scalar.value - 0x06F0 + 0x30)!)
            default: out.append(scalar)
            }
        }
        // Case folded, so that a search for a name does not depend on how it was capitalised.
        return String(out).trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}

/// Blind indexes (as CipherSweet describes): keyed BLAKE2b of the normalised value under the compartment's
/// index key, with a field-specific context, truncated to `tokenBytes` so that several records share a
/// token and a token alone does not confirm a guess. Matches are confirmed after decryption.
public enum BlindIndex {
    /// Token length: 2 bytes (16 bits). With ~11,000 cases about one unrelated record shares a token per
    /// lookup on average, which keeps a lookup cheap while a holder of only the index key learns little.
    public static let tokenBytes = 2

    /// The token of `value` for `field` of `kind`.
    public static func token(kind: RecordType, field: String, value: String, indexKey: SecretBox) -> [UInt8] {
        var input: [UInt8] = []
        input.appendLengthPrefixed("amanah/v1/blind-index")
        input.appendLengthPrefixed(kind.rawValue)
        input.appendLengthPrefixed(field)
        input.appendLengthPrefixed(Normalization.normalize(value))
        defer { wipe(&input) }
        return Array(BLAKE2b.keyedHash(input, key: indexKey.bytes, outputLength: 16).prefix(tokenBytes))
    }

    /// Fields that carry a blind index: (kind, field, compartment whose index key is used).
    public static let indexedFields: [(RecordType, String, Compartment)] = [
        (.case, "detaineeNumber", .case),
        (.witness, "legalName", .identity),
    ]
}
