import Testing
import VaultPolicy

/// Known answer for the record schema (issue 14, "one owner per concept"): every record kind, every field,
/// its compartment and its shape, as the code had them before the stored schema (Vault's `RecordSchema`)
/// and the release schema (`RecordKind`) became one table, `RecordKind`. Any change to which field is
/// sealed to which compartment fails here. (Moved from VaultTests, where it first ran against the old code.)
@Suite struct RecordSchemaTableTests {
    /// Stored fields: kind -> [field, compartment, list?] (the record id is not a field).
    static let stored: [(String, [(String, String, Bool)])] = [
        ("case", [("detaineeNumber", "case", false), ("branch", "case", false), ("forensicReference", "case", false),
                  ("photographedOn", "case", false), ("place", "case", false), ("identificationStatus", "case", false),
                  ("identifiedName", "identity", false), ("identifiedBy", "case", false), ("classification", "case", false)]),
        ("witness", [("legalName", "identity", false), ("contact", "identity", false), ("location", "identity", false),
                     ("relationship", "identity", false), ("consent", "case", true), ("protectiveMeasures", "case", true)]),
        ("item", [("sha256", "media", false), ("size", "media", false), ("mediaType", "media", false), ("fileName", "media", false),
                  ("metadata", "media", false), ("metadataSummary", "media", true), ("commitmentOpening", "media", false),
                  ("classification", "media", false)]),
        ("source", [("witness", "case", false), ("note", "identity", false), ("fileName", "media", false),
                    ("pendingItem", "media", false), ("sha256", "media", false)]),
        ("region", [("x", "media", false), ("y", "media", false), ("width", "media", false), ("height", "media", false),
                    ("displayWidth", "media", false), ("displayHeight", "media", false), ("reason", "media", false),
                    ("witness", "media", false), ("removedReason", "media", false), ("removedAt", "media", false)]),
        ("identification", [("caseID", "identity", false), ("identifiedBy", "identity", false), ("name", "identity", false),
                            ("relationship", "identity", false), ("session", "identity", false), ("confidence", "identity", false),
                            ("notes", "identity", false), ("recordedAt", "identity", false), ("status", "identity", false),
                            ("statusReason", "identity", false), ("statusAt", "identity", false), ("items", "identity", true)]),
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
        #expect(RecordKind.allCases.map(\.rawValue) == Self.stored.map(\.0))
        for (kindName, expected) in Self.stored {
            let kind = RecordKind(rawValue: kindName)!
            let actual = kind.storedFields.map { ($0.name, $0.compartment.rawValue, $0.isList) }
            #expect(actual.count == expected.count, "\(kindName)")
            for (a, e) in zip(actual, expected) { #expect(a == e, "\(kindName)") }
        }
    }

    @Test func releasedFieldsAreTheKnownTable() {
        #expect(RecordKind.released.map(\.rawValue) == Self.released.map(\.0))
        for kind in RecordKind.allCases where !RecordKind.released.contains(kind) { #expect(kind.releasedFields.isEmpty, "\(kind)") }
        for (kindName, expected) in Self.released {
            let kind = RecordKind(rawValue: kindName)!
            let actual = kind.releasedFields.map { ($0.name, $0.compartment.rawValue, $0.kind.rawValue) }
            #expect(actual.count == expected.count, "\(kindName)")
            for (a, e) in zip(actual, expected) { #expect(a == e, "\(kindName)") }
        }
    }
}
