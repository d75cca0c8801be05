import VaultPolicy
import Foundation
import VaultCrypto

/// Blind indexes (as CipherSweet describes): keyed BLAKE2b of the normalised value under the compartment's
/// index key (normalised by `TextNormalisation.matchKey`, the one normalisation of the project), with a
/// field-specific context, truncated to `tokenBytes` so that several records share a
/// token and a token alone does not confirm a guess. Matches are confirmed after decryption.
public enum BlindIndex {
    /// Token length: 2 bytes (16 bits). With ~11,000 cases about one unrelated record shares a token per
    /// lookup on average, which keeps a lookup cheap while a holder of only the index key learns little.
    public static let tokenBytes = 2

    /// The token of `value` for `field` of `kind`.
    public static func token(kind: RecordKind, field: String, value: String, indexKey: SecretBox) -> [UInt8] {
        var input: [UInt8] = []
        input.appendLengthPrefixed("amanah/v1/blind-index")
        input.appendLengthPrefixed(kind.rawValue)
        input.appendLengthPrefixed(field)
        input.appendLengthPrefixed(TextNormalisation.matchKey(value))
        defer { wipe(&input) }
        return Array(BLAKE2b.keyedHash(input, key: indexKey.bytes, outputLength: 16).prefix(tokenBytes))
    }

    /// Fields that carry a blind index: (kind, field, compartment whose index key is used). The compartment
    /// is the field's own, from the record schema (`RecordKind.storedFields`).
    public static let indexedFields: [(RecordKind, String, Compartment)] = {
        let named: [(RecordKind, String)] = [(.case, "detaineeNumber"), (.witness, "legalName")]
        return named.compactMap { kind, name in kind.storedField(named: name).map { (kind, name, $0.compartment) } }
    }()
}
