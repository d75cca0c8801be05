import Testing
import Vault
import VaultPolicy

/// Known answer for the record schema (issue 14, "one owner per concept"): every record kind, every field,
/// its compartment and its shape, as the code had them before the stored schema (Vault's `RecordSchema`)
/// and the release schema (VaultPolicy's `RecordKind`) became one table. Any change to which field is
/// sealed to which compartment fails here.
@Suite struct RecordSchemaTableTests {
    /// Stored fields: kind -> [field, compartment, list?] (the record id is not a field).
    static let stored: [(String, [(String, String, Bool)])] = [
        ("case", [("detaineeNumber", "case", false), ("branch", "case", false), ("forensicReference", "case", false),
                  ("photographedOn", "case", false), ("place", "case", false), ("identificationStatus", "case", false),
                  ("identifiedName", "identity", false), ("identifiedBy", "case", false)]),
        ("witness", [("legalName", "identity", false), ("contact", "identity", false), ("location", "identity", false),
                     ("relationship", "identity", false), ("consent", "case", true), ("protectiveMeasures", "case", true)]),
        ("item", [("sha256", "media", false), ("size", "media", false), ("mediaType", "media", false), ("fileName", "media", false),
                  ("metadata", "media", false), ("metadataSummary", "media", true), ("commitmentOpening", "media", false)]),
        ("source", [("witness", "case", false), ("note", "identity", false), ("fileName", "media", false)]),
        ("region", [("x", "media", false), ("y", "media", false), ("width", "media", false), ("height", "media", false),
                    ("displayWidth", "media", false), ("displayHeight", "media", false), ("reason", "media", false)]),
    ]

    /// Released fields: kind -> [field, compartment, field kind], in release order.
    static let released: [(String, [(String, String, String)])] = [
        ("case", [("id", "case", "text"), ("detaineeNumber", "case", "text"), ("branch", "case", "text"),
                  ("forensicReference", "case", "text"), ("photographedOn", "case", "date"), ("place", "case", "place"),
                  ("identificationStatus", "case", "text"), ("identifiedName", "identity", "text"), ("identifiedBy", "case", "text")]),
        ("witness", [("pseudonym", "case", "text"), ("legalName", "identity", "text"), ("contact", "identity", "text"),
                     ("location", "identity", "place"), ("relationship", "identity", "text"), ("consent", "case", "list"),
                     ("protectiveMeasures", "case", "list")]),
        ("item", [("id", "media", "text"), ("fileName", "media", "text"), ("mediaType", "media", "text"), ("sha256", "media", "text"),
                  ("captureTime", "media", "date"), ("make", "media", "text"), ("model", "media", "text"), ("serials", "media", "list"),
                  ("owner", "media", "text"), ("gps", "media", "text"), ("previews", "media", "list"), ("sources", "media", "list")]),
    ]

    @Test func storedFieldsAreTheKnownTable() {
        #expect(RecordType.allCases.map(\.rawValue) == Self.stored.map(\.0))
        for (kindName, expected) in Self.stored {
            let kind = RecordType(rawValue: kindName)!
            let actual = RecordSchema.fields(of: kind).map { ($0.name, $0.compartment.rawValue, $0.isList) }
            #expect(actual.count == expected.count, "\(kindName)")
            for (a, e) in zip(actual, expected) { #expect(a == e, "\(kindName)") }
        }
    }

    @Test func releasedFieldsAreTheKnownTable() {
        #expect(RecordKind.allCases.map(\.rawValue) == Self.released.map(\.0))
        for (kindName, expected) in Self.released {
            let kind = RecordKind(rawValue: kindName)!
            let actual = kind.fields.map { ($0.name, $0.compartment.rawValue, $0.kind.rawValue) }
            #expect(actual.count == expected.count, "\(kindName)")
            for (a, e) in zip(actual, expected) { #expect(a == e, "\(kindName)") }
        }
    }

    @Test func blindIndexedFieldsAreTheKnownTable() {
        let actual = BlindIndex.indexedFields.map { ($0.0.rawValue, $0.1, $0.2.rawValue) }
        let expected = [("case", "detaineeNumber", "case"), ("witness", "legalName", "identity")]
        #expect(actual.count == expected.count)
        for (a, e) in zip(actual, expected) { #expect(a == e) }
    }
}
