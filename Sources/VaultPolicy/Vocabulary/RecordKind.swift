/// The kinds of record the vault keeps, and their fields: the one table of which field is sealed to which
/// compartment (issue 3, "Records"; DESIGN.md, "Data model"). The vault stores and seals records by
/// `storedFields`; releases show `releasedFields`. The raw value is the spelling stored in the vault and
/// used in policy files (`[profiles.NAME.case]`, `.witness`, `.item`).
public enum RecordKind: String, CaseIterable, Sendable, Hashable, Comparable {
    /// One deceased detainee.
    case `case`
    /// A witness: pseudonym, identity fields, consent and protective measures.
    case witness
    /// One piece of evidence: facts about its sealed original; a release shows its capture metadata and
    /// sources (the original's bytes are governed by the profile's image rules, not by field rules).
    case item
    /// One delivery of an item (who brought it, with a note); released only within the item's `sources`.
    case source
    /// A rectangle to mask on an item; never released as a record.
    case region
    /// A family's identification of a detainee (issue 18): who identified, the name they gave, how; sealed
    /// whole in the identity compartment (its case too); never released as a record.
    case identification

    /// The kinds a release carries, each with field rules in every profile, in release order.
    public static let released: [RecordKind] = [.case, .witness, .item]

    /// The name of the record's id (`pseudonym` for a witness, `id` otherwise). The id is the record's
    /// label, not a stored field; a release shows it as its first field.
    public var identifierName: String { self == .witness ? "pseudonym" : "id" }

    /// The fields the vault stores for this kind, each sealed to its compartment (the id is not a field).
    public var storedFields: [FieldSpec] {
        switch self {
        case .case:
            return [
                FieldSpec("detaineeNumber", .case, .text),
                FieldSpec("branch", .case, .text),
                FieldSpec("forensicReference", .case, .text),
                FieldSpec("photographedOn", .case, .date),
                FieldSpec("place", .case, .place),
                FieldSpec("identificationStatus", .case, .text),
                FieldSpec("identifiedName", .identity, .text),
                FieldSpec("identifiedBy", .case, .text),
                // The classification the policy's max- and min-classification conditions read (one of the
                // policy's `classifications`); never released.
                FieldSpec("classification", .case, .text),
            ]
        case .witness:
            return [
                FieldSpec("legalName", .identity, .text),
                FieldSpec("contact", .identity, .text),
                FieldSpec("location", .identity, .place),
                FieldSpec("relationship", .identity, .text),
                FieldSpec("consent", .case, .list),
                FieldSpec("protectiveMeasures", .case, .list),
            ]
        case .item:
            // Facts about the sealed original, all in the media compartment.
            return [
                FieldSpec("sha256", .media, .text),
                FieldSpec("size", .media, .text),
                FieldSpec("mediaType", .media, .text),
                FieldSpec("fileName", .media, .text),
                FieldSpec("metadata", .media, .text),
                FieldSpec("metadataSummary", .media, .list),
                FieldSpec("commitmentOpening", .media, .text),
                // Set by `item classify` (one of the policy's `classifications`); never released.
                FieldSpec("classification", .media, .text),
            ]
        case .source:
            // The witness pseudonym is case data (policy reads it); the free-text note may name people, so
            // it is identity data.
            return [
                FieldSpec("witness", .case, .text),
                FieldSpec("note", .identity, .text),
                FieldSpec("fileName", .media, .text),
                // A pending delivery (issue 16): the item its file matched and the file's SHA-256, which the
                // member confirming it compares with the item's.
                FieldSpec("pendingItem", .media, .text),
                FieldSpec("sha256", .media, .text),
            ]
        case .region:
            // The rectangle in the coordinates of the image as displayed (after EXIF orientation), the
            // display size it was drawn on, the reason, and the witness it shows (if named).
            return [
                FieldSpec("x", .media, .text),
                FieldSpec("y", .media, .text),
                FieldSpec("width", .media, .text),
                FieldSpec("height", .media, .text),
                FieldSpec("displayWidth", .media, .text),
                FieldSpec("displayHeight", .media, .text),
                FieldSpec("reason", .media, .text),
                FieldSpec("witness", .media, .text),
                // Set when the region is removed (`region remove`): why, and when (RFC 3339). The region's
                // row stays, and the fields above stay as they were; a removed region masks nothing.
                FieldSpec("removedReason", .media, .text),
                FieldSpec("removedAt", .media, .text),
            ]
        case .identification:
            // The claim as recorded, then its status: open, confirmed (by a second member) or withdrawn.
            return ["caseID", "identifiedBy", "name", "relationship", "session", "confidence", "notes", "recordedAt",
                    "status", "statusReason", "statusAt"].map { FieldSpec($0, .identity, .text) }
                + [FieldSpec("items", .identity, .list)]
        }
    }

    /// The fields a release shows for this kind, in the order releases list them; empty for kinds that
    /// are not released (`source`, `region`). Case and witness records show their id and their stored
    /// fields; an item shows its id, some stored facts and the capture metadata read from the original.
    public var releasedFields: [FieldSpec] {
        switch self {
        case .case, .witness:
            return [FieldSpec(identifierName, .case, .text)] + storedFields.filter { $0.name != "classification" }
        case .item:
            return [FieldSpec(identifierName, .media, .text)]
                + ["fileName", "mediaType", "sha256"].compactMap(storedField(named:))
                + [
                    FieldSpec("captureTime", .media, .date),
                    FieldSpec("make", .media, .text),
                    FieldSpec("model", .media, .text),
                    FieldSpec("serials", .media, .list),
                    FieldSpec("owner", .media, .text),
                    FieldSpec("gps", .media, .text),
                    FieldSpec("previews", .media, .list),
                    FieldSpec("sources", .media, .list),
                ]
        case .source, .region, .identification:
            return []
        }
    }

    /// The stored field named `name`, or nil when this kind stores no such field.
    public func storedField(named name: String) -> FieldSpec? {
        storedFields.first { $0.name == name }
    }

    /// The released field named `name`, or nil when a release of this kind has no such field.
    public func releasedField(named name: String) -> FieldSpec? {
        releasedFields.first { $0.name == name }
    }

    /// Orders kinds as `allCases` lists them.
    public static func < (lhs: RecordKind, rhs: RecordKind) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }
}
