import Foundation
import GRDB
import Testing
import Vault
import VaultCrypto
import VaultGovernance

extension VaultUseCaseTests {
    @Suite("audit verify")
    struct AuditVerify {
        private func verify(_ vault: TestVault) throws -> AuditVerification {
            try vault.open(.init(readOnly: true, checkClientState: false)) { try $0.verifyAuditLog() }
        }

        @Test func anUntouchedLogVerifies() throws {
            let vault = try TestVault()
            defer { vault.cleanup() }
            try vault.add(.case, json: #"[{"id":"C-1"},{"id":"C-2"}]"#, as: vault.collector)
            _ = try vault.ingest([try vault.file("a.txt", Array("abc".utf8))], as: vault.investigator)
            let result = try verify(vault)
            #expect(result.ok, "\(result.problems)")
            #expect(result.events == 4 && result.treeLeaves == 4)             // init, two case.add, item.ingest
            #expect(result.firstBadEvent == nil)
            #expect(result.clientStateCompared)
            let root = try vault.open(.init(readOnly: true, checkClientState: false)) { try $0.currentCheckpoint().rootHash }
            #expect(result.rootHash == root)
        }

        @Test func anEditedEventIsFoundAndNamed() throws {
            let vault = try TestVault()
            defer { vault.cleanup() }
            try vault.add(.case, json: #"{"id":"C-1"}"#, as: vault.collector)
            try vault.add(.case, json: #"{"id":"C-2"}"#, as: vault.collector)
            let database = try vault.rawDatabase()
            try database.write { db in
                try withoutGuards(db) {
                    var leaf = try #require(try Data.fetchOne(db, sql: "SELECT leaf FROM auditEvent WHERE seq = 2"))
                    // A bit of its signature (the last bytes of a version 4 row are its actor and opening).
                    leaf[leaf.count - (leaf.first == 4 ? 24 : 0) - 1] ^= 0x01
                    try db.execute(sql: "UPDATE auditEvent SET leaf = ? WHERE seq = 2", arguments: [leaf])
                }
            }
            try database.close()
            let result = try verify(vault)
            #expect(!result.ok)
            #expect(result.firstBadEvent == 2)
            #expect(result.events == 3)
        }

        @Test func aTruncatedLogIsARollbackForThisClient() throws {
            let vault = try TestVault()
            defer { vault.cleanup() }
            try vault.add(.case, json: #"{"id":"C-1"}"#, as: vault.collector)
            try vault.add(.case, json: #"{"id":"C-2"}"#, as: vault.investigator)
            let database = try vault.rawDatabase()
            try database.write { db in
                try withoutGuards(db) {
                    try db.execute(sql: "DELETE FROM auditEvent WHERE seq = 3")
                }
            }
            try database.close()
            let result = try verify(vault)
            #expect(!result.ok)
            #expect(result.problems == [
                "the audit tree holds 4 nodes, but 2 events make 3: it covers events that are not in the log (a truncated or rewritten log)",
                "this client saw a newer vault: its audit log has 2 events, but this client saw 3",
            ])
            #expect(result.events == 2)
        }
    }

    @Suite("Client state and own changes")
    struct OwnChanges {
        @Test func theClientRemembersItsOwnRunOfChanges() throws {
            let vault = try TestVault()
            defer { vault.cleanup() }
            let initial = try #require(try ClientState.load(vaultID: vault.vaultID))
            try vault.add(.case, json: #"{"id":"C-1"}"#, as: vault.collector)
            try vault.add(.case, json: #"{"id":"C-2"}"#, as: vault.collector)
            let state = try #require(try ClientState.load(vaultID: vault.vaultID))
            #expect(state.auditSize == 3)
            let own = try #require(state.own)
            #expect(own.auditSize == 1 && own.auditHead == initial.auditHead)    // the run starts after vault.init
            #expect(own.auditLeafHashes.count == 2 && own.governanceHashes.isEmpty)
            #expect(own.positions == [[2, 0], [3, 0]])                          // after each command
            #expect(own.auditLeafHashes.last == state.auditHead)
            // A command that changes nothing keeps the run as it is.
            _ = try vault.session(vault.collector) { try $0.recordIDs(kind: .case) }
            #expect(try ClientState.load(vaultID: vault.vaultID) == state)
        }

        @Test func aVaultLackingOnlyOwnChangesIsToldApartAndCanBeAccepted() throws {
            let vault = try TestVault()
            defer { vault.cleanup() }
            try vault.add(.case, json: #"{"id":"C-1"}"#, as: vault.collector)
            let backup = vault.folder + "/backup.sqlite"
            try FileManager.default.copyItem(atPath: vault.path + "/vault.sqlite", toPath: backup)
            try vault.add(.case, json: #"{"id":"C-2"}"#, as: vault.collector)
            _ = try vault.ingest([try vault.file("a.txt", Array("abc".utf8))], case: "C-2", as: vault.investigator)
            try FileManager.default.removeItem(atPath: vault.path + "/vault.sqlite")
            try FileManager.default.copyItem(atPath: backup, toPath: vault.path + "/vault.sqlite")

            #expect(throws: VaultError.ownChangesMissing(2, 0)) { try vault.open { _ in } }
            try vault.open(.init(checkClientState: false)) { opened throws in
                let missing = try #require(try opened.missingOwnChanges())
                #expect(missing.audit == 2 && missing.governance == 0)
                #expect(try opened.clientStateProblems() == ["its audit log has 2 events, but this client saw 4"])
                let accepted = try opened.acceptMissingOwnChanges()
                #expect(accepted.audit == 2 && accepted.governance == 0)
            }
            // Accepted: the client now agrees with the vault as it is.
            try vault.open { opened throws in #expect(try opened.clientStateProblems() == []) }
            #expect(try ClientState.load(vaultID: vault.vaultID)?.auditSize == 2)
        }

        @Test func aLossThatIncludesAnotherClientsChangeIsARollback() throws {
            let vault = try TestVault()
            defer { vault.cleanup() }
            try vault.add(.case, json: #"{"id":"C-1"}"#, as: vault.collector)
            let backup = vault.folder + "/backup.sqlite"
            try FileManager.default.copyItem(atPath: vault.path + "/vault.sqlite", toPath: backup)
            // Another client (its own state folder) adds a case; this client then sees it.
            useStateFolder(vault.folder + "/other-state")
            try vault.add(.case, json: #"{"id":"C-2"}"#, as: vault.investigator)
            useStateFolder(vault.stateFolder)
            _ = try vault.session(vault.investigator) { try $0.recordIDs(kind: .case) }
            #expect(try ClientState.load(vaultID: vault.vaultID)?.own == nil)
            try FileManager.default.removeItem(atPath: vault.path + "/vault.sqlite")
            try FileManager.default.copyItem(atPath: backup, toPath: vault.path + "/vault.sqlite")

            #expect(throws: VaultError.rollback("its audit log has 2 events, but this client saw 3")) { try vault.open { _ in } }
            try vault.open(.init(checkClientState: false)) { opened throws in
                #expect(try opened.missingOwnChanges() == nil)
                #expect(throws: VaultError.rollback("its audit log has 2 events, but this client saw 3")) { _ = try opened.acceptMissingOwnChanges() }
            }
        }
    }
}
