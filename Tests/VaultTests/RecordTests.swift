import Foundation
import GRDB
import Testing
import Vault
import VaultCrypto
import VaultGovernance

extension VaultUseCaseTests {
    @Suite("Records")
    struct Records {
        @Test func aCollectorSealsACaseItCannotReadAndAnInvestigatorReadsIt() throws {
            let vault = try TestVault()
            defer { vault.cleanup() }
            try vault.add(.case, json: #"[{"id":"C-1","detaineeNumber":"٣٤٥٦/٢١٥","branch":"215","identifiedName":"Name Withheld"}]"#,
                          as: vault.collector)
            // Write-only: the collector holds no case key.
            #expect(throws: VaultError.self) { try vault.session(vault.collector) { try $0.showRecord(kind: .case, id: "C-1") } }
            let opened = try vault.session(vault.investigator) { try $0.showRecord(kind: .case, id: "C-1") }
            #expect(opened.id == "C-1")
            #expect(opened.fields["detaineeNumber"] == .text("٣٤٥٦/٢١٥"))
            #expect(opened.fields["branch"] == .text("215"))
            // The identified name is identity data: the investigator does not read it.
            #expect(opened.fields["identifiedName"] == nil && opened.withheld == ["identifiedName"])
            let full = try vault.session(vault.protectionOfficer) { try $0.showRecord(kind: .case, id: "C-1") }
            #expect(full.fields["identifiedName"] == .text("Name Withheld"))
            #expect(try vault.auditActions() == ["vault.init", "case.add", "case.view", "case.view"])
        }

        @Test func theBlindIndexFindsArabicIndicDigitsByTheirASCIIForm() throws {
            let vault = try TestVault()
            defer { vault.cleanup() }
            try vault.add(.case, json: #"[{"id":"C-1","detaineeNumber":"٣٤٥٦/٢١٥"},{"id":"C-2","detaineeNumber":"3457/215"}]"#, as: vault.collector)
            try vault.session(vault.investigator) { session throws in
                #expect(try session.recordIDs(kind: .case) == ["C-1", "C-2"])
                #expect(try session.search(kind: .case, field: "detaineeNumber", value: "3456/215") == ["C-1"])
                #expect(try session.search(kind: .case, field: "detaineeNumber", value: " ٣٤٥٧/٢١٥ ") == ["C-2"])
                #expect(try session.search(kind: .case, field: "detaineeNumber", value: "9999/215") == [])
                #expect(throws: VaultError.invalidInput("branch", "is not a searchable field")) {
                    _ = try session.search(kind: .case, field: "branch", value: "215")
                }
            }
            // The collector may add but not search.
            #expect(throws: VaultError.self) {
                try vault.session(vault.collector) { _ = try $0.search(kind: .case, field: "detaineeNumber", value: "3456/215") }
            }
        }

        @Test func aBadRecordIsRefusedAndTheOthersAreKept() throws {
            let vault = try TestVault()
            defer { vault.cleanup() }
            try vault.add(.case, json: #"{"id":"C-1"}"#, as: vault.collector)
            let parsed = try RecordInputParser.parse(Array(#"[{"id":"C-2"},{"id":"C-1"},{"id":"C/3"}]"#.utf8), source: "more.json", kind: .case)
            #expect(parsed.count == 3)
            #expect(throws: VaultError.invalidInput("more.json record 3 field id", "contains a path separator")) { try parsed[2].get() }
            let inputs = try parsed.prefix(2).map { try $0.get() }
            let outcomes = try vault.session(vault.investigator) { try $0.addRecords(kind: .case, inputs: inputs) }
            #expect(outcomes.count == 2)
            #expect(outcomes[0] == nil)
            #expect(outcomes[1] as? VaultError == .invalidInput("more.json record 2", "case C-1 exists already"))
            #expect(try vault.session(vault.investigator) { try $0.recordIDs(kind: .case) } == ["C-1", "C-2"])
            // The auditor adds nothing.
            #expect(throws: VaultError.self) { try vault.add(.case, json: #"{"id":"C-9"}"#, as: vault.auditor) }
        }

        @Test func aFlippedByteInASealedFieldIsCaught() throws {
            let vault = try TestVault()
            defer { vault.cleanup() }
            try vault.add(.case, json: #"{"id":"C-1","branch":"215"}"#, as: vault.collector)
            let database = try vault.rawDatabase()
            try database.write { db in
                var ciphertext = try #require(try Data.fetchOne(db, sql: "SELECT ciphertext FROM recordField WHERE recordID = 'C-1' AND field = 'branch'"))
                ciphertext[ciphertext.count / 2] ^= 0x01
                try db.execute(sql: "UPDATE recordField SET ciphertext = ? WHERE recordID = 'C-1' AND field = 'branch'", arguments: [ciphertext])
            }
            try database.close()
            #expect(throws: VaultError.integrity("field branch of case C-1 does not authenticate")) {
                try vault.session(vault.investigator) { try $0.showRecord(kind: .case, id: "C-1") }
            }
        }

        @Test func aWitnessIdentityIsReadOnlyByTheProtectionOfficer() throws {
            let vault = try TestVault()
            defer { vault.cleanup() }
            try vault.add(.witness, json: #"{"pseudonym":"W-0001","legalName":"A. Witness","relationship":"brother"}"#, as: vault.protectionOfficer)
            #expect(throws: VaultError.self) { try vault.session(vault.investigator) { try $0.showRecord(kind: .witness, id: "W-0001") } }
            let opened = try vault.session(vault.protectionOfficer) { try $0.showRecord(kind: .witness, id: "W-0001") }
            #expect(opened.fields["legalName"] == .text("A. Witness") && opened.fields["relationship"] == .text("brother"))
            #expect(try vault.session(vault.protectionOfficer) { try $0.search(kind: .witness, field: "legalName", value: "A. Witness") } == ["W-0001"])
        }
    }
}
