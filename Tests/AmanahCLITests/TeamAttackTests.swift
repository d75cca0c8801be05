import Foundation
import GRDB
import Testing
import TestSupport
import Vault
import VaultCrypto
import VaultGovernance
import VaultStore

/// Issue 17, attacks from inside a team and from its storage, each run as the attacker would: a member with a
/// modified client signs an event their role may not make and shares it through the remote; whoever holds the
/// folder remote plants a symbolic link or a FIFO in it; an S3 endpoint answers a listing that never ends.
@Suite("Team vault attacks")
struct TeamAttackTests {
    /// Signs an event as `who` on `machine` with nothing but their key, the library and the folder (a modified
    /// client): `change` runs in the same transaction, and the rows it writes become the event's index entry.
    static func sign(_ team: TeamMachines, on machine: String, as who: String, action: String, objects: [String],
                     commitments: [[UInt8]] = [], change: ((Database) throws -> Void)? = nil) throws {
        let cli = team.fixture.cli
        let identity = IdentityBox(try KeyFile.unlock(Array(cli.read(who + ".key")), passphrase: passphrase(who)))
        let genesis = try Genesis(fileContents: Array(cli.read(machine + "/vault.json")))
        let database = try DatabaseQueue(path: cli.folder + "/" + machine + "/vault.sqlite")
        let recorder = try database.inDatabase { db in try EntryRecorder(db) }
        try database.write { db in
            try change?(db)
            _ = try AuditLog.append(db, vaultID: genesis.vaultID, actor: identity, action: action, objects: objects, commitments: commitments,
                                    policyHash: nil, entries: change == nil ? nil : recorder)
        }
        try database.close()
    }

    /// The collector holds index keys (to make blind-index tokens) but may not delete a member's wraps; the
    /// auditor holds no compartment key at all and does no key work.
    @Test("a member's modified client signs key work that deletes or overwrites the investigator's key wraps: every other machine refuses it with exit 3",
          arguments: [("collector", "it deletes or overwrites the key wrap of member", false), ("collector", "it deletes or overwrites the key wrap of member", true),
                      ("auditor", "its signer holds no compartment key at governance entry", false)])
    func keyWorkByAMemberIsRefused(who: String, words: String, overwrite: Bool) throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamMachines(fixture: fixture)
        try team.share(photos: 0)
        #expect(try team.clone("field", metadataOnly: true).status == 0)
        let before = try team.leafHashes("vault")
        let investigator = IdentityBox(try KeyFile.unlock(Array(fixture.cli.read("investigator.key")), passphrase: passphrase("investigator"))).publicKey.keyIDHex
        let wraps = try DatabaseQueue(path: fixture.cli.folder + "/field/vault.sqlite").read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM keyWrap WHERE holder = ?", arguments: [investigator]) ?? 0
        }
        #expect(wraps > 0, "the investigator holds no key wrap to delete")
        try Self.sign(team, on: "field", as: who, action: "key.grant", objects: ["case"]) { db in
            try db.execute(sql: overwrite ? "UPDATE keyWrap SET sealed = zeroblob(length(sealed)) WHERE holder = ?" : "DELETE FROM keyWrap WHERE holder = ?",
                           arguments: [investigator])
        }
        // Their client shares it (a modified client would write the segment itself if it refused).
        let sent = try team.run("field", who, ["sync"])
        if sent.status != 0 {
            Issue.record("the collector's own sync refused to send (\(sent.stderr)); the receiver's check is not exercised")
            return
        }
        let received = try team.run("vault", nil, ["sync"])
        #expect(received.status == 3, "\(received.stdout) \(received.stderr)")
        #expect(received.stderr.contains("(key.grant): " + words), "\(received.stderr)")
        #expect(try team.leafHashes("vault") == before, "the refused key work entered the vault")
        let shown = try fixture.run("investigator", ["case", "show", "C-1"])
        #expect(shown.status == 0 && shown.stdout.contains("Qaboun"), "\(shown.stderr)")
    }
}

@Suite("Team vault attacks on production numbers", .enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct TeamNumberAttackTests {
    @Test("reservations and issues signed by a collector, and a legal officer's reservation of a huge number, do not move the next production number")
    func forgedReservationsDoNotCount() throws {
        let (disclosure, team) = try TeamDisclosureTests.sharedDisclosure()
        let fixture = disclosure.vault
        defer { fixture.cleanup() }
        // On B: the collector (who may not disclose) claims numbers 500 and 700; a legal officer claims the
        // largest number an Int holds, which would overflow the next one.
        let plan = Hex.encode(Random.bytes(32))
        try TeamAttackTests.sign(team, on: "machine-b", as: "collector", action: "disclosure.reserve", objects: [plan, "Demo Tribunal", "DT-0500"])
        try TeamAttackTests.sign(team, on: "machine-b", as: "collector", action: "disclosure.issue", objects: [plan, "Demo Tribunal", "DT-0700"],
                                 commitments: [Random.bytes(32)])
        try TeamAttackTests.sign(team, on: "machine-b", as: "legal-officer", action: "disclosure.reserve",
                                 objects: [Hex.encode(Random.bytes(32)), "Demo Tribunal", "DT-\(Int.max)"])
        let sent = try team.run("machine-b", "collector", ["sync"])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(try team.run("vault", "legal-officer", ["sync"]).status == 0)
        try TeamDisclosureTests.approvedRequest(team, on: "vault", "req.json")
        let issued = try team.run("vault", "legal-officer", ["disclose", "issue", "req.json", "-o", "bundle.tar.age"])
        #expect(issued.status == 0 && issued.stdoutLines == ["DT-0001"], "\(issued.stdout) \(issued.stderr)")
    }
}

@Suite("Team vault attacks from storage")
struct TeamStorageAttackTests {
    @Test("a symbolic link or a FIFO placed in a folder remote as the next log segment is refused at once, naming it; nothing changes")
    func linksAndFIFOsInAFolderRemote() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamMachines(fixture: fixture)
        try team.share(photos: 0)
        let before = try team.leafHashes("vault")
        let folder = fixture.cli.folder
        let next = folder + "/remote/log/" + String(format: "%016d", before.count + 1)
        // A link to a segment of another copy of the vault's own log (readable, well formed, not this remote's).
        let logs = try FileManager.default.contentsOfDirectory(atPath: folder + "/remote/log").filter { !$0.hasPrefix(".") }.sorted()
        try FileManager.default.copyItem(atPath: folder + "/remote/log/" + logs[0], toPath: folder + "/elsewhere")
        try FileManager.default.createSymbolicLink(atPath: next, withDestinationPath: folder + "/elsewhere")
        let linked = try team.run("vault", nil, ["sync"])
        #expect(linked.status != 0 && linked.stderr.contains("cannot open \(next)"), "\(linked.stdout) \(linked.stderr)")
        try FileManager.default.removeItem(atPath: next)
        // A FIFO nobody writes to: a reader that waited on it would never return.
        #expect(mkfifo(next, 0o600) == 0)
        let fifo = try team.fixture.cli.run(["sync", "-C", "vault"], environment: TeamMachines.state("vault", fixture), timeout: 60)
        #expect(fifo.status != 0 && fifo.stderr.contains("\(next) is not a regular file"), "\(fifo.stdout) \(fifo.stderr)")
        #expect(try team.leafHashes("vault") == before)
    }
}
