import Foundation
import Testing
import VaultCrypto
@testable import VaultPolicy

@Suite struct RecordRedactorTests {
    let policy = Policy.builtIn

    static let caseRecord = ReleaseRecord(kind: .case, label: "case C-1", fields: [
        "id": .text("C-1"),
        "detaineeNumber": .text("\u{0663}\u{0664}\u{0665}\u{0666}/\u{0662}\u{0661}\u{0665}"),
        "branch": .text("215"),
        "forensicReference": .text("FR-2013-0042"),
        "photographedOn": .text("2013-05-04"),
        "place": .text("Tishreen Military Hospital"),
        "identificationStatus": .text("identified"),
        "identifiedName": .text("Test Person A"),
        "identifiedBy": .text("W-0001"),
    ])

    static func witness(_ pseudonym: String = "W-0001", name: String = "Test Person B", consent: [String] = [],
                        measures: [String] = []) -> ReleaseRecord {
        ReleaseRecord(kind: .witness, label: "witness \(pseudonym)", fields: [
            "pseudonym": .text(pseudonym),
            "legalName": .text(name),
            "contact": .text("+31 70 000 0000"),
            "location": .text("12 Example Street, The Hague"),
            "relationship": .text("brother"),
            "consent": .list(consent),
            "protectiveMeasures": .list(measures),
        ])
    }

    static let itemRecord = ReleaseRecord(kind: .item, label: "item 7f3a", fields: [
        "id": .text("7f3a"),
        "fileName": .text("DSC_0042.JPG"),
        "mediaType": .text("image/jpeg"),
        "sha256": .text(String(repeating: "ab", count: 32)),
        "captureTime": .text("2013:05:04 10:11:12"),
        "make": .text("Canon"),
        "model": .text("Canon EOS 5D"),
        "serials": .list(["0420100123", "LENS-99"]),
        "owner": .text("Test Photographer"),
        "gps": .text("52.0866 N, 4.2956 E"),
        "previews": .list(["thumbnail 160x120"]),
        "sources": .list(["W-0001", "W-0002"]),
    ])

    func redact(_ records: [ReleaseRecord], profile: String, recipient: String? = "demo-tribunal",
                order: CourtOrder? = nil, in policy: Policy = .builtIn) throws -> ReleaseRedaction {
        let key = Fixture.pseudonymKey()
        return try policy.redactRelease(records, profile: profile, recipient: recipient, pseudonymKey: key,
                                        courtOrder: order)
    }

    @Test func caseUnderTribunalProtected() throws {
        let release = try redact([RecordRedactorTests.caseRecord], profile: "tribunal-protected")
        let record = release.records[0]
        #expect(record.fields["identifiedName"] == nil)
        #expect(record.fields["identifiedBy"] == .text("P-TQUUFJLCWX"))
        #expect(record.fields["detaineeNumber"] == RecordRedactorTests.caseRecord.fields["detaineeNumber"])
        #expect(record.fields["place"] == .text("Tishreen Military Hospital"))
        #expect(record.log == [
            RedactionLogEntry(record: "case C-1", field: "identifiedName", action: "remove", code: "B",
                              reason: "identity of a third person"),
            RedactionLogEntry(record: "case C-1", field: "identifiedBy", action: "pseudonymise", code: "A",
                              reason: "witness identity"),
        ])
        #expect(record.orderedFields.map(\.name) == ["id", "detaineeNumber", "branch", "forensicReference",
                                                     "photographedOn", "place", "identificationStatus", "identifiedBy"])
    }

    @Test func caseUnderPublic() throws {
        var arabicPlace = RecordRedactorTests.caseRecord
        arabicPlace.label = "case C-2"
        arabicPlace.fields["place"] = .text("المزة، دمشق")
        arabicPlace.fields["photographedOn"] = .text("\u{0662}\u{0660}\u{0661}\u{0663}-\u{0660}\u{0665}-\u{0660}\u{0664}")
        let release = try redact([RecordRedactorTests.caseRecord, arabicPlace], profile: "public", recipient: nil)
        let first = release.records[0]
        #expect(first.fields == ["id": .text("C-1"), "branch": .text("215"), "photographedOn": .text("2013-05"),
                                 "place": .text("Damascus"), "identificationStatus": .text("identified")])
        #expect(first.log.map { "\($0.field) \($0.action) \($0.code ?? "-")" } == [
            "detaineeNumber remove B", "forensicReference remove D", "photographedOn generalise:month C",
            "place generalise:region C", "identifiedName remove B", "identifiedBy remove A",
        ])
        #expect(first.log[2].reason == "exact dates narrow down where and by whom")
        #expect(first.log[3].reason == "location")
        let second = release.records[1]
        #expect(second.fields["place"] == .text("دمشق"))
        #expect(second.fields["photographedOn"] == .text("2013-05"))
    }

    @Test func valuesThatCannotBeGeneralisedAreRemoved() throws {
        var record = RecordRedactorTests.caseRecord
        record.fields["photographedOn"] = .text("spring 2013")
        record.fields["place"] = .text("Mezzeh")
        let redacted = try redact([record], profile: "public", recipient: nil).records[0]
        #expect(redacted.fields["photographedOn"] == nil)
        #expect(redacted.fields["place"] == nil)
        let entries = redacted.log.filter { ["photographedOn", "place"].contains($0.field) }
        #expect(entries.map(\.action) == ["remove", "remove"])
        #expect(entries.allSatisfy { $0.reason.contains("could not be generalised") })
    }

    @Test func witnessUnderTribunalProtected() throws {
        let redacted = try redact([RecordRedactorTests.witness(measures: ["image-distortion"])],
                                  profile: "tribunal-protected").records[0]
        #expect(redacted.fields == ["pseudonym": .text("P-TQUUFJLCWX"), "protectiveMeasures": .list(["image-distortion"])])
        #expect(redacted.log.map { "\($0.field) \($0.action) \($0.code ?? "-")" } == [
            "pseudonym pseudonymise A", "legalName remove A", "contact remove A", "location remove C",
            "relationship remove A", "consent remove E",
        ])
        #expect(redacted.log.last?.reason == "the consent list names other recipients")
    }

    @Test func witnessIdentityUnderTribunalFullNeedsConsentOrCourtOrder() throws {
        let consenting = RecordRedactorTests.witness(consent: ["demo-tribunal"])
        let shown = try redact([consenting], profile: "tribunal-full").records[0]
        #expect(shown.fields["legalName"] == .text("Test Person B"))
        #expect(shown.fields["pseudonym"] == .text("W-0001"))
        #expect(shown.fields["consent"] == nil)

        let refusing = RecordRedactorTests.witness(consent: ["other-tribunal"])
        #expect(throws: RedactionError.consentMissing(witness: "W-0001", recipient: "demo-tribunal")) {
            _ = try redact([refusing], profile: "tribunal-full")
        }
        #expect(throws: RedactionError.recipientRequired) {
            _ = try redact([consenting], profile: "tribunal-full", recipient: nil)
        }
        let order = CourtOrder(operationID: "OP-7", recipient: "demo-tribunal", witnesses: ["W-0001"])
        #expect(try redact([refusing], profile: "tribunal-full", order: order).records[0].fields["legalName"]
                == .text("Test Person B"))
    }

    @Test func pseudonymOnlyRemovesIdentityWhateverTheProfile() throws {
        let record = RecordRedactorTests.witness(consent: ["demo-tribunal"], measures: ["pseudonym-only"])
        let redacted = try redact([record], profile: "tribunal-full").records[0]
        #expect(redacted.fields.keys.sorted() == ["protectiveMeasures", "pseudonym"])
        let removed = redacted.log.filter { ["legalName", "contact", "location", "relationship"].contains($0.field) }
        #expect(removed.count == 4)
        #expect(removed.allSatisfy { $0.action == "remove" && $0.code == "A" && $0.reason.hasPrefix("protective measure pseudonym-only") })
    }

    @Test func unknownMeasuresFieldsAndShapesAreRefused() throws {
        #expect(throws: RedactionError.unknownMeasure("relocated")) {
            _ = try redact([RecordRedactorTests.witness(measures: ["relocated"])], profile: "public", recipient: nil)
        }
        var extra = RecordRedactorTests.caseRecord
        extra.fields["notes"] = .text("secret")
        #expect(throws: RedactionError.unknownField(kind: .case, field: "notes")) {
            _ = try redact([extra], profile: "tribunal-full")
        }
        var shape = RecordRedactorTests.itemRecord
        shape.fields["serials"] = .text("0420100123")
        #expect(throws: RedactionError.wrongValueType(kind: .item, field: "serials")) {
            _ = try redact([shape], profile: "tribunal-protected")
        }
        #expect(throws: RedactionError.unknownProfile("everything")) {
            _ = try redact([RecordRedactorTests.caseRecord], profile: "everything")
        }
        #expect(throws: RedactionError.recipientRequired) {
            _ = try redact([RecordRedactorTests.caseRecord], profile: "tribunal-protected", recipient: nil)
        }
    }

    @Test func itemUnderTribunalProtectedDropsSerialsOwnersAndGPS() throws {
        let release = try redact([RecordRedactorTests.itemRecord, RecordRedactorTests.witness()],
                                 profile: "tribunal-protected")
        let item = release.records[0]
        #expect(item.fields.keys.sorted() == ["captureTime", "id", "make", "mediaType", "model", "sources"])
        // Sources carry the same per-recipient pseudonyms as the witness records of the same release.
        guard case let .list(sources)? = item.fields["sources"] else {
            Issue.record("sources missing")
            return
        }
        #expect(sources.first == "P-TQUUFJLCWX")
        #expect(release.records[1].fields["pseudonym"] == .text(sources[0]))
        #expect(sources[0] != sources[1])
        #expect(Set(release.log.map(\.field)).isSuperset(of: ["serials", "owner", "gps", "previews", "fileName", "sha256"]))
        // Nothing identifying survives anywhere in the release.
        let shown = release.records.flatMap { $0.fields.values }.flatMap { value -> [String] in
            switch value {
            case let .text(text): return [text]
            case let .list(items): return items
            }
        }.joined(separator: "\n")
        for secret in ["0420100123", "LENS-99", "Test Photographer", "52.0866", "DSC_0042", "W-0001", "W-0002",
                       "Test Person B", "Example Street", "thumbnail"] {
            #expect(!shown.contains(secret), "\(secret)")
        }
    }

    @Test func pseudonymsDifferAcrossRecipients() throws {
        let first = try redact([RecordRedactorTests.caseRecord], profile: "tribunal-protected", recipient: "demo-tribunal")
        let again = try redact([RecordRedactorTests.caseRecord], profile: "tribunal-protected", recipient: "demo-tribunal")
        let other = try redact([RecordRedactorTests.caseRecord], profile: "tribunal-protected", recipient: "other-tribunal")
        #expect(first.records[0].fields["identifiedBy"] == again.records[0].fields["identifiedBy"])
        #expect(other.records[0].fields["identifiedBy"] == .text("P-SMUE25HBQM"))
        #expect(first.records[0].fields["identifiedBy"] != other.records[0].fields["identifiedBy"])
    }

    /// C20: Arabic witness names, NFC/NFD twins, bidi controls, Arabic-Indic digits, a NUL, a traversal name.
    @Test func c20WitnessMetadata() throws {
        struct Vector: Decodable {
            struct Entry: Decodable {
                let id: String
                let name: String
                let address: String?
                let client_filename: String?
            }
            let records: [Entry]
        }
        let vector = try JSONDecoder().decode(Vector.self, from: Data(try Fixture.vector("C20-witness-metadata.json")))
        #expect(vector.records.count == 6)
        // A profile that pseudonymises names and generalises locations, for this test.
        let policy = try Policy(parsing: Fixture.defaultPolicy(
            replacing: "pseudonym = { action = \"pseudonymise\", code = \"A\" }\nlegalName = { action = \"remove\", code = \"A\" }\ncontact = { action = \"remove\", code = \"A\" }\nlocation = { action = \"remove\", code = \"C\" }",
            with: "pseudonym = { action = \"pseudonymise\", code = \"A\" }\nlegalName = { action = \"pseudonymise\", code = \"A\" }\ncontact = { action = \"remove\", code = \"A\" }\nlocation = { action = \"generalise\", level = \"region\", code = \"C\" }"))
        let records = vector.records.map { entry in
            // Generalising a location shows identity data, so the witnesses consent to both recipients.
            var fields: [String: FieldValue] = ["pseudonym": .text(entry.id), "legalName": .text(entry.name),
                                                "consent": .list(["demo-tribunal", "other-tribunal"])]
            if let address = entry.address { fields["location"] = .text(address) }
            if let file = entry.client_filename { fields["contact"] = .text(file) }
            return ReleaseRecord(kind: .witness, label: "witness \(entry.id)", fields: fields)
        }
        let release = try redact(records, profile: "tribunal-protected", in: policy)
        let names = release.records.map { record -> String in
            if case let .text(name)? = record.fields["legalName"] { return name }
            return ""
        }
        // w1 (NFC) and w2 (NFD) are the same name; the raw bytes differ.
        #expect(Array(vector.records[0].name.utf8) != Array(vector.records[1].name.utf8))
        #expect(names[0] == names[1])
        #expect(names[0] == "P-3UT7LQEWH2")
        // w3 carries RLO/PDF: a different string, a different pseudonym.
        #expect(names[2] != names[0] && names[2].hasPrefix("P-"))
        // w4 and w5 are the same plain name; w6 has an embedded NUL and differs.
        #expect(names[3] == names[4])
        #expect(names[5] != names[3])
        #expect(Set(names).count == 4)
        // The Arabic address splits on the Arabic comma; its Arabic-Indic digit becomes ASCII.
        #expect(release.records[3].fields["location"] == .text("المبنى 3"))
        // The traversal file name (mapped to contact) is removed, logged.
        #expect(release.records[4].fields["contact"] == nil)
        #expect(release.records[4].log.contains { $0.field == "contact" && $0.action == "remove" })
        // No name of the vector appears in any form in the release.
        for record in release.records {
            for (_, value) in record.fields {
                guard case let .text(text) = value else { continue }
                for entry in vector.records {
                    #expect(!text.contains(entry.name) && !text.contains("شاهد"))
                }
            }
        }
        // A different recipient gets different pseudonyms for the same names.
        let other = try redact(records, profile: "tribunal-protected", recipient: "other-tribunal", in: policy)
        #expect(other.records[0].fields["legalName"] == .text("P-O2FLPKT3YP"))
    }
}
