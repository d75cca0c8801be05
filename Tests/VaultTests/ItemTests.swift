import Foundation
import Testing
import Vault
import VaultCrypto
import VaultGovernance
import VaultPlatform

extension VaultUseCaseTests {
    @Suite("Ingest and items")
    struct Items {
        /// A vault with case C-1.
        private func vaultWithCase() throws -> TestVault {
            let vault = try TestVault()
            try vault.add(.case, json: #"{"id":"C-1","branch":"215"}"#, as: vault.collector)
            return vault
        }

        @Test func anIngestedFileComesBackByteForByte() throws {
            let vault = try vaultWithCase()
            defer { vault.cleanup() }
            let original = try vault.file("note.txt", Array("abc".utf8))
            let outcome = try #require(try vault.ingest([original], as: vault.investigator).first)
            #expect(!outcome.alreadyPresent && outcome.identifyingMetadata.isEmpty)
            let item = try vault.session(vault.investigator) { try $0.showItem(outcome.itemID) }
            #expect(item.id == outcome.itemID && item.caseID == "C-1" && item.sequence == 1)
            #expect(item.sha256 == sha256OfABC && item.size == 3 && item.fileName == "note.txt")
            #expect(item.caseRecord?["branch"] == "215")
            let exported = vault.folder + "/exported.txt"
            let digest = try vault.session(vault.investigator) { try $0.exportOriginal(outcome.itemID, to: exported) }
            #expect(digest == sha256OfABC)
            #expect(try Data(contentsOf: URL(fileURLWithPath: exported)) == Data("abc".utf8))
            // An existing output is never replaced unless asked.
            #expect(throws: VaultError.exists(exported)) {
                try vault.session(vault.investigator) { _ = try $0.exportOriginal(outcome.itemID, to: exported) }
            }
            #expect(try vault.auditActions() == ["vault.init", "case.add", "item.ingest", "item.view", "item.export"])
        }

        @Test func theStoredBlobIsSealedAndPadded() throws {
            let vault = try vaultWithCase()
            defer { vault.cleanup() }
            let content = Array(repeating: UInt8(ascii: "x"), count: 1000)
            let outcome = try #require(try vault.ingest([try vault.file("x.bin", content)], as: vault.investigator).first)
            let blobs = try vault.open { try $0.blobs.inventory().blobs }
            #expect(blobs.count == 1)
            let blob = Array(try Data(contentsOf: URL(fileURLWithPath: vault.path + "/blobs/" + blobs[0].prefix(2) + "/" + blobs[0])))
            #expect(blob.prefix(8) == ArraySlice(SealedStream.magic))
            #expect(blob.count > content.count + 8 + 37)                        // prefix, header, length and tag at least
            // The content is not in the blob in clear.
            #expect(Data(blob).range(of: Data(repeating: UInt8(ascii: "x"), count: 32)) == nil)
            #expect(try vault.session(vault.investigator) { try $0.showItem(outcome.itemID) }.size == 1000)
        }

        @Test func theSameFileTwiceIsOneItemWithTwoSources() throws {
            let vault = try vaultWithCase()
            defer { vault.cleanup() }
            let first = try vault.file("a.txt", Array("abc".utf8))
            let second = try vault.file("copy-of-a.txt", Array("abc".utf8))
            let outcomes = try vault.ingest([first, second], as: vault.investigator)
            #expect(outcomes.map(\.alreadyPresent) == [false, true])
            #expect(outcomes[0].itemID == outcomes[1].itemID && outcomes[1].existingCase == "C-1")
            let items = try vault.session(vault.investigator) { try $0.listItems() }
            #expect(items.map(\.id) == [outcomes[0].itemID])
            #expect(try vault.session(vault.investigator) { try $0.showItem(outcomes[0].itemID) }.sources?.count == 2)
            #expect(try vault.open { try $0.blobs.inventory().blobs.count } == 1)
        }

        @Test func aCollectorCannotReadBackWhatItSealed() throws {
            let vault = try vaultWithCase()
            defer { vault.cleanup() }
            let outcome = try #require(try vault.ingest([try vault.file("a.txt", Array("abc".utf8))], as: vault.collector).first)
            let listed = try vault.session(vault.collector) { try $0.listItems() }
            #expect(listed.map(\.id) == [outcome.itemID])
            #expect(listed[0].mediaType == nil && listed[0].sha256 == nil && listed[0].fileName == nil)
            #expect(throws: VaultError.self) {
                try vault.session(vault.collector) { _ = try $0.exportOriginal(outcome.itemID, to: vault.folder + "/out") }
            }
            #expect(!FileManager.default.fileExists(atPath: vault.folder + "/out"))
        }

        @Test func ingestIntoAnUnknownCaseOrWithoutTheRoleIsRefused() throws {
            let vault = try vaultWithCase()
            defer { vault.cleanup() }
            let file = try vault.file("a.txt", Array("abc".utf8))
            #expect(throws: VaultError.notFound("case", "C-404")) { _ = try vault.ingest([file], case: "C-404", as: vault.investigator) }
            #expect(throws: VaultError.self) { _ = try vault.ingest([file], as: vault.auditor) }
            let absent = #expect(throws: SystemCallError.self) { _ = try vault.ingest([vault.folder + "/absent.txt"], as: vault.investigator) }
            #expect(absent?.isMissingOrUnreadable == true && absent?.description.hasSuffix("absent.txt: cannot be read: No such file or directory") == true)
            #expect(try vault.open { try $0.blobs.inventory() }.blobs.isEmpty)
            #expect(try vault.auditActions() == ["vault.init", "case.add"])
        }
    }
}
