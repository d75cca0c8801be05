/// Errors of record and image redaction. None carries a field's value: only field names, witness pseudonyms,
/// profile and category names.
public enum RedactionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The profile named is not in the policy.
    case unknownProfile(String)
    /// A record holds a field its kind does not have (nothing unlisted passes through).
    case unknownField(kind: RecordKind, field: String)
    /// A list field given as text or a text field given as a list.
    case wrongValueType(kind: RecordKind, field: String)
    /// A witness record names a protective measure the policy does not define.
    case unknownMeasure(String)
    /// A region carries a category code the policy does not define.
    case unknownCategory(String)
    /// A region's category requires a reason and the region has none.
    case reasonRequired(region: String, code: String)
    /// Pseudonymising needs a named recipient (pseudonyms are per recipient), and so does showing a witness's
    /// identity fields (consent names recipients).
    case recipientRequired
    /// The pseudonym key is not 16 to 64 bytes (BLAKE2b key sizes, RFC 7693).
    case invalidPseudonymKey(bytes: Int)
    /// The pseudonym length is outside 8...52 characters.
    case invalidPseudonymLength(Int)
    /// Two different values gave the same pseudonym at this length (`RecordRedactor` then lengthens).
    case pseudonymCollision(length: Int)
    /// A profile would show a witness's identity fields but the witness has not consented to the recipient
    /// and no court order covers it: the policy decision should have denied this release.
    case consentMissing(witness: String, recipient: String)
    /// The profile releases originals but a protective measure of a source forbids it.
    case originalForbidden(witness: String, measure: String)

    public var description: String {
        switch self {
        case let .unknownProfile(name): return "unknown profile \"\(name)\""
        case let .unknownField(kind, field): return "\(kind.rawValue) records have no field \"\(field)\""
        case let .wrongValueType(kind, field):
            let expected = kind.releasedField(named: field)?.kind == .list ? "a list" : "text"
            return "\(kind.rawValue) field \(field) must be \(expected)"
        case let .unknownMeasure(name): return "unknown protective measure \"\(name)\""
        case let .unknownCategory(code): return "unknown category code \"\(code)\""
        case let .reasonRequired(region, code): return "region \(region): category \(code) requires a reason"
        case .recipientRequired: return "a recipient name is required (pseudonyms and consent are per recipient)"
        case let .invalidPseudonymKey(bytes): return "the pseudonym key must be 16 to 64 bytes, got \(bytes)"
        case let .invalidPseudonymLength(length): return "pseudonym length must be 8 to 52 characters, got \(length)"
        case let .pseudonymCollision(length): return "two different values share a pseudonym at length \(length)"
        case let .consentMissing(witness, recipient):
            return "witness \(witness) has not consented to release to \(recipient)"
        case let .originalForbidden(witness, measure):
            return "witness \(witness) is under \(measure): the original cannot be released"
        }
    }
}
