import VaultPolicy
import Foundation
import VaultCrypto

/// Blind indexes (as CipherSweet describes): keyed BLAKE2b of the normalised value under the compartment's
/// index key (normalised by `TextNormalisation.matchKey`, the one normalisation of the project), with a
/// field-specific context, truncated to a few bits (`tokenBits`), so that many records share each token and a
/// token does not confirm a guess. Matches are confirmed after decryption.
///
/// Leakage (issue 16): a holder of the index key who tests a guessed value learns only which of 2^bits
/// buckets it falls in. With N records and b bits, about N / 2^b records share each bucket, and once every
/// bucket is occupied (N well above 2^b) every guess "matches" something, so a match confirms nothing: with
/// 11,000 cases and 8 bits about 43 records share a token; with 1,000 witnesses and 4 bits about 62. Only
/// roles that read a compartment hold its index key (`RoleTable.indexable`); a record written by another
/// role is stored without a token and indexed by the first member who holds both keys (`record.index`).
public enum BlindIndex {
    /// Token length in bytes: one (the token keeps `tokenBits(kind:field:)` bits of it). Tokens of another
    /// length are from before issue 16 and are replaced by the next member who indexes pending records.
    public static let tokenBytes = 1

    /// Bits kept of a field's token, from the size its table is expected to reach: detainee numbers (a case
    /// table of ~11,000) 8 bits, witness names (hundreds to a few thousand) 4 bits.
    public static func tokenBits(kind: RecordKind, field: String) -> Int {
        kind == .case ? 8 : 4
    }

    /// The token of `value` for `field` of `kind`: 1 byte, its top `tokenBits` bits kept, the rest zero.
    public static func token(kind: RecordKind, field: String, value: String, indexKey: SecretBox) -> [UInt8] {
        var input: [UInt8] = []
        input.appendLengthPrefixed("amanah/v1/blind-index")
        input.appendLengthPrefixed(kind.rawValue)
        input.appendLengthPrefixed(field)
        input.appendLengthPrefixed(TextNormalisation.matchKey(value))
        defer { wipe(&input) }
        let bits = tokenBits(kind: kind, field: field)
        let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        return [BLAKE2b.keyedHash(input, key: indexKey.bytes, outputLength: 16)[0] & mask]
    }

    /// Fields that carry a blind index: (kind, field, compartment whose index key is used). The compartment
    /// is the field's own, from the record schema (`RecordKind.storedFields`).
    public static let indexedFields: [(RecordKind, String, Compartment)] = {
        let named: [(RecordKind, String)] = [(.case, "detaineeNumber"), (.witness, "legalName")]
        return named.compactMap { kind, name in kind.storedField(named: name).map { (kind, name, $0.compartment) } }
    }()
}
