import Foundation
import Testing
import Vault
import VaultCrypto
import VaultGovernance

extension VaultUseCaseTests {
    @Suite("check")
    struct Check {
        /// A vault with case C-1 and one item holding "abc"; returns the vault, the item id and its blob path.
        private func vaultWithItem() throws -> (TestVault, String, String) {
            let vault = try TestVault()
            try vault.add(.case, json: #"{"id":"C-1"}"#, as: vault.collector)
            let item = try #require(try vault.ingest([try vault.file("a.txt", Array("abc".utf8))], as: vault.investigator).first).itemID
            let blob = try #require(try vault.open { try $0.blobs.inventory().blobs }.first)
            return (vault, item, vault.path + "/blobs/" + blob.prefix(2) + "/" + blob)
        }

        /// `check --read-data -i investigator`, as the CLI runs it.
        private func check(_ vault: TestVault, readData: Bool = true) throws -> CheckReport {
            try vault.open { opened in
                let session = try opened.session(for: vault.investigator)
                return try opened.check(readData: readData ? session : nil, actor: session)
            }
        }

        @Test func aHealthyVaultPasses() throws {
            let (vault, _, _) = try vaultWithItem()
            defer { vault.cleanup() }
            let report = try check(vault)
            #expect(report.problems == [])
            #expect(report.itemsChecked == 1 && report.itemsRead == 1 && report.bytesRead == 3)
            #expect(report.removed.isEmpty && report.quarantined.isEmpty && report.inQuarantine.isEmpty)
            #expect(try vault.auditActions().last == "vault.check")
        }

        @Test func aFlippedByteInABlobIsFoundByReadingIt() throws {
            let (vault, item, blob) = try vaultWithItem()
            defer { vault.cleanup() }
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: blob)))
            bytes[bytes.count - 1] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: blob))
            // Present, of the right size and format: only reading the content finds the change.
            let shallow = try check(vault, readData: false)
            #expect(shallow.problems == [] && shallow.itemsChecked == 1)
            let deep = try check(vault)
            #expect(deep.itemsRead == 0 && deep.problems.count == 1)
            #expect(deep.problems.first?.hasPrefix("item \(item): ") == true)
            #expect(throws: VaultError.self) {
                try vault.session(vault.investigator) { _ = try $0.exportOriginal(item, to: vault.folder + "/out") }
            }
            #expect(!FileManager.default.fileExists(atPath: vault.folder + "/out"))
        }

        @Test func aMissingOrTruncatedBlobIsReportedAndTheItemKept() throws {
            let (vault, item, blob) = try vaultWithItem()
            defer { vault.cleanup() }
            let name = String(blob.split(separator: "/").last!)
            let size = try FileManager.default.attributesOfItem(atPath: blob)[.size] as! Int
            #expect(truncate(blob, off_t(size - 1)) == 0)
            #expect(try check(vault, readData: false).problems == ["item \(item): its blob has \(size - 1) bytes, \(size) expected"])
            try FileManager.default.removeItem(atPath: blob)
            #expect(try check(vault, readData: false).problems
                    == ["item \(item): its blob blobs/\(name.prefix(2))/\(name) is missing (the item row was kept)"])
            #expect(try vault.session(vault.investigator) { try $0.listItems() }.map(\.id) == [item])
        }

        @Test func anOldTemporaryFileIsRemovedAndAFreshOneKept() throws {
            let (vault, _, _) = try vaultWithItem()
            defer { vault.cleanup() }
            try FileManager.default.createDirectory(atPath: vault.path + "/blobs/ee", withIntermediateDirectories: true)
            let old = ".tmp-ee" + String(repeating: "0", count: 30)
            let fresh = ".tmp-ee" + String(repeating: "1", count: 30)
            _ = try vault.file("vault/blobs/ee/" + old, [1, 2, 3])
            _ = try vault.file("vault/blobs/ee/" + fresh, [4, 5, 6])
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -600)], ofItemAtPath: vault.path + "/blobs/ee/" + old)
            let report = try check(vault, readData: false)
            #expect(report.removed == ["blobs/ee/" + old])
            #expect(report.problems == ["blobs/ee/\(fresh) looks like a temporary file but is not one this check may remove; it was left in place"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: vault.path + "/blobs/ee") == [fresh])
        }

        @Test func anUnreferencedBlobIsQuarantinedAuditedAndNeverDeleted() throws {
            let (vault, _, _) = try vaultWithItem()
            defer { vault.cleanup() }
            let orphan = "ee" + String(repeating: "5", count: 30)
            try FileManager.default.createDirectory(atPath: vault.path + "/blobs/ee", withIntermediateDirectories: true)
            _ = try vault.file("vault/blobs/ee/" + orphan, Array("evidence the database lost".utf8))
            // Without an identity to sign the move, it is only reported.
            let reported = try vault.open { try $0.check(readData: nil) }
            #expect(reported.unreferenced == ["blobs/ee/" + orphan] && reported.quarantined.isEmpty)
            #expect(FileManager.default.fileExists(atPath: vault.path + "/blobs/ee/" + orphan))
            // With one: moved, audited, and a problem until a person decides.
            let moved = try check(vault, readData: false)
            #expect(moved.quarantined.map(\.from) == ["blobs/ee/" + orphan] && moved.quarantined.map(\.to) == ["quarantine/" + orphan])
            #expect(moved.inQuarantine == ["quarantine/" + orphan])
            #expect(moved.problems.count == 1 && moved.problems[0].hasPrefix("quarantine/\(orphan) is in quarantine"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: vault.path + "/quarantine/" + orphan)) == Data("evidence the database lost".utf8))
            #expect(try vault.auditActions().suffix(1) == ["vault.quarantine"])
            // The next check moves nothing more and still fails.
            let again = try check(vault, readData: false)
            #expect(again.quarantined.isEmpty && again.inQuarantine == ["quarantine/" + orphan] && !again.problems.isEmpty)
        }

        @Test func aQuarantinedBlobThatAnItemNeedsAgainIsMovedBack() throws {
            let (vault, item, blob) = try vaultWithItem()
            defer { vault.cleanup() }
            let name = String(blob.split(separator: "/").last!)
            try FileManager.default.createDirectory(atPath: vault.path + "/quarantine", withIntermediateDirectories: false)
            try FileManager.default.moveItem(atPath: blob, toPath: vault.path + "/quarantine/" + name)
            let report = try check(vault)
            #expect(report.restored == ["blobs/\(name.prefix(2))/\(name)"])
            #expect(report.problems == [] && report.itemsRead == 1)
            #expect(try vault.session(vault.investigator) { try $0.showItem(item) }.sha256 == sha256OfABC)
        }
    }
}
