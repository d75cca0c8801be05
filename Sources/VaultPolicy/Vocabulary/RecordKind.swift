/// The kinds of record a release carries, and their fields (issue 3, "Records"; DESIGN.md, "Data model").
/// The raw value is the spelling used in policy files (`[profiles.NAME.case]`, `.witness`, `.item`).
public enum RecordKind: String, CaseIterable, Sendable, Hashable, Comparable {
    /// One deceased detainee.
    case `case`
    /// A witness: pseudonym, identity fields, consent and protective measures.
    case witness
    /// One piece of evidence: its capture metadata and sources (the original's bytes are governed by the
    /// profile's image rules, not by field rules).
    case item

    /// The fields of this kind, in the order releases list them.
    public var fields: [FieldSpec] {
        switch self {
        case .case:
            return [
                FieldSpec("id", .case, .text),
                FieldSpec("detaineeNumber", .case, .text),
                FieldSpec("branch", .case, .text),
                FieldSpec("forensicReference", .case, .text),
                FieldSpec("photographedOn", .case, .date),
                FieldSpec("place", .case, .place),
                FieldSpec("identificationStatus", .case, .text),
                FieldSpec("identifiedName", .identity, .text),
                FieldSpec("identifiedBy", .case, .text),
            ]
        case .witness:
            return [
                FieldSpec("pseudonym", .case, .text),
                FieldSpec("legalName", .identity, .text),
                FieldSpec("contact", .identity, .text),
                FieldSpec("location", .identity, .place),
                FieldSpec("relationship", .identity, .text),
                FieldSpec("consent", .case, .list),
                FieldSpec("protectiveMeasures", .case, .list),
            ]
        case .item:
            return [
                FieldSpec("id", .media, .text),
                FieldSpec("fileName", .media, .text),
                FieldSpec("mediaType", .media, .text),
                FieldSpec("sha256", .media, .text),
                FieldSpec("captureTime", .media, .date),
                FieldSpec("make", .media, .text),
                FieldSpec("model", .media, .text),
                FieldSpec("serials", .media, .list),
                FieldSpec("owner", .media, .text),
                FieldSpec("gps", .media, .text),
                FieldSpec("previews", .media, .list),
                FieldSpec("sources", .media, .list),
            ]
        }
    }

    /// The field named `name`, or nil when this kind has no such field.
    public func field(named name: String) -> FieldSpec? {
        fields.first { $0.name == name }
    }

    public static func < (lhs: RecordKind, rhs: RecordKind) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }
}
