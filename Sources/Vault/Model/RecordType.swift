import VaultPolicy

/// The kinds of sealed records and their fields, each sealed to one compartment (DESIGN.md "Data model").
public enum RecordType: String, Sendable, CaseIterable {
    case `case`
    case witness
    case item
    case source
    case region
}

/// One field of a record kind: its name, compartment, and whether it holds a list of strings.
public struct StoredField: Sendable, Equatable {
    public let name: String
    public let compartment: Compartment
    public let isList: Bool

    public init(_ name: String, _ compartment: Compartment, list: Bool = false) {
        self.name = name; self.compartment = compartment; isList = list
    }
}

/// The field lists of each record kind.
public enum RecordSchema {
    /// Case fields (the id is the record id, not a field).
    public static let caseFields: [StoredField] = [
        .init("detaineeNumber", .case), .init("branch", .case), .init("forensicReference", .case),
        .init("photographedOn", .case), .init("place", .case), .init("identificationStatus", .case),
        .init("identifiedName", .identity), .init("identifiedBy", .case),
    ]

    /// Witness fields (the pseudonym is the record id).
    public static let witnessFields: [StoredField] = [
        .init("legalName", .identity), .init("contact", .identity), .init("location", .identity),
        .init("relationship", .identity), .init("consent", .case, list: true),
        .init("protectiveMeasures", .case, list: true),
    ]

    /// Item fields: facts about the sealed original, all in the media compartment.
    public static let itemFields: [StoredField] = [
        .init("sha256", .media), .init("size", .media), .init("mediaType", .media), .init("fileName", .media),
        .init("metadata", .media), .init("metadataSummary", .media, list: true), .init("commitmentOpening", .media),
    ]

    /// Source fields: one delivery of an item. The witness pseudonym is case data (policy reads it); the
    /// free-text note may name people, so it is identity data.
    public static let sourceFields: [StoredField] = [
        .init("witness", .case), .init("note", .identity), .init("fileName", .media),
    ]

    /// Region fields: the rectangle in the coordinates of the image as displayed (after EXIF orientation),
    /// the display size it was drawn on, and the reason (all media compartment).
    public static let regionFields: [StoredField] = [
        .init("x", .media), .init("y", .media), .init("width", .media), .init("height", .media),
        .init("displayWidth", .media), .init("displayHeight", .media), .init("reason", .media),
    ]

    /// The fields of `kind`.
    public static func fields(of kind: RecordType) -> [StoredField] {
        switch kind {
        case .case: return caseFields
        case .witness: return witnessFields
        case .item: return itemFields
        case .source: return sourceFields
        case .region: return regionFields
        }
    }
}
