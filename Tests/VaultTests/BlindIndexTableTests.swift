import VaultGovernance
import Testing
import Vault
import VaultPolicy

/// Known answer for the blind-indexed fields and their compartments (issue 14): taken from the code before
/// the record schema became one table (`RecordKind`, VaultPolicy); the full table is pinned in
/// VaultPolicyTests (`RecordSchemaTableTests`).
@Suite struct BlindIndexTableTests {
    @Test func blindIndexedFieldsAreTheKnownTable() {
        let actual = BlindIndex.indexedFields.map { ($0.0.rawValue, $0.1, $0.2.rawValue) }
        let expected = [("case", "detaineeNumber", "case"), ("witness", "legalName", "identity")]
        #expect(actual.count == expected.count)
        for (a, e) in zip(actual, expected) { #expect(a == e) }
    }
}
