import Foundation
import GRDB
import Testing
import Vault
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultPlatform
import VaultStore
import VaultSync

/// Issue 17, the field collectors' inbox: a collector whose remote is write-only sends what it made to
/// `inbox/<client>/…` and keeps none of it; a member who reads the log places it, and every other machine
/// checks that what was placed is what the collector signed.
@Suite("Team vault: the field collectors' inbox")
struct TeamInboxTests {
    /// The team's remote with records and one photograph, cloned on "field" (the collector's laptop), which
    /// then forgets the readable origin and sends through an inbox remote on the same folder.
    static func fieldTeam(_ fixture: VaultFixture) throws -> TeamMachines {
        let team = try TeamMachines(fixture: fixture)
        try team.share()
        #expect(try team.clone("field", metadataOnly: true).status == 0)
        #expect(try team.run("field", nil, ["remote", "remove", "origin"]).status == 0)
        let added = try team.run("field", nil, ["remote", "add", "inbox", team.remoteURL, "--inbox"] + team.remoteOptions)
        #expect(added.status == 0, "\(added.stderr)")
        return team
    }

    /// The collector's modified client on "field" signs a witness record W-0666 with a legal name and consent,
    /// which a collector's role may not write (consent needs a role that may record it).
    static func signWitnessWithConsent(_ fixture: VaultFixture) throws {
        let identity = IdentityBox(try KeyFile.unlock(Array(fixture.cli.read("collector.key")), passphrase: passphrase("collector")))
        let genesis = try Genesis(fileContents: Array(fixture.cli.read("field/vault.json")))
        let database = try DatabaseQueue(path: fixture.cli.folder + "/field/vault.sqlite")
        let recorder = try database.inDatabase { db in try EntryRecorder(db) }
        try database.write { db in
            let state = try GovernanceChain.load(genesis: genesis, db: db)
            try RecordCodec.insert(kind: .witness, id: "W-0666", fields: ["legalName": .text("Planted Person"), "consent": .list(["Demo Tribunal"])],
                                   vaultID: genesis.vaultID, state: state, createdAt: VaultPlatform.Clock.nowMilliseconds(), signer: identity, db: db)
            _ = try AuditLog.append(db, vaultID: genesis.vaultID, actor: identity, action: "witness.add", objects: ["W-0666"], policyHash: nil, entries: recorder)
        }
        try database.close()
    }

    /// The sealed blob files in a machine's vault folder.
    static func blobFiles(_ team: TeamMachines, _ machine: String) throws -> [String] {
        let folder = team.fixture.cli.folder + "/" + machine + "/blobs"
        return (try FileManager.default.subpathsOfDirectory(atPath: folder)).filter { path in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isFolder) && !isFolder.boolValue && !path.hasPrefix(".")
        }
    }

    @Test("a collector sends photographs and a case to the inbox and keeps none; the investigator places them (a taken case number renumbered); a third machine verifies every placed event")
    func collectorThroughTheInbox() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try Self.fieldTeam(fixture)
        let fieldBlobsBefore = try Self.blobFiles(team, "field")
        // In the field: a new case, a photograph in it, and one more in C-1.
        try fixture.cli.write("case-3.json", #"{"id":"C-3","detaineeNumber":"7781/215","place":"Mezzeh"}"#)
        #expect(try team.run("field", "collector", ["case", "add", "--from", "case-3.json"]).status == 0)
        let first = try team.run("field", "collector", ["ingest", "--case", "C-3", samplePhotos[1]])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try team.run("field", "collector", ["ingest", "--case", "C-1", samplePhotos[2]])
        #expect(second.status == 0, "\(second.stderr)")
        let items = (first.stdoutLines + second.stdoutLines).map { String($0.split(separator: "\t")[0]) }
        // Meanwhile the investigator adds a photograph to C-1 and shares it: the collector's number 2 is taken.
        let taken = try fixture.ingest([samplePhotos[3]], as: "investigator")
        #expect(taken.count == 1)
        #expect(try team.run("vault", "investigator", ["sync"]).status == 0)
        let leavesBefore = try team.leafHashes("vault")

        let sent = try team.run("field", "collector", ["sync"])
        #expect(sent.status == 0, "\(sent.stdout) \(sent.stderr)")
        #expect(sent.stdout.contains("sent 3 entries and 2 blobs") && sent.stdout.contains("this machine keeps none of them (2 sealed blobs removed)"),
                "\(sent.stdout)")
        // The laptop holds nothing of what it sent: no new blob, no event, no item; it still opens and verifies.
        #expect(try Self.blobFiles(team, "field") == fieldBlobsBefore)
        let listed = try team.run("field", "collector", ["list"])
        #expect(listed.status == 0 && !items.contains { listed.stdout.contains($0) }, "\(listed.stdout) \(listed.stderr)")
        #expect(try team.run("field", nil, ["audit", "verify"]).status == 0)
        let nothing = try team.run("field", "collector", ["sync"])
        #expect(nothing.status == 0 && nothing.stdout.contains("nothing to send"), "\(nothing.stdout) \(nothing.stderr)")
        let inbox = try FileManager.default.subpathsOfDirectory(atPath: fixture.cli.folder + "/remote/inbox").filter { !$0.contains("/.") }
        #expect(inbox.filter { $0.contains("/blobs/") && !$0.hasSuffix("/blobs") }.count == 2, "\(inbox)")

        // A sync without an identity leaves it; the investigator's places it.
        let waiting = try team.run("vault", nil, ["sync"])
        #expect(waiting.status == 0 && waiting.stdout.contains("1 inbox object waits for a member to place them"), "\(waiting.stdout) \(waiting.stderr)")
        #expect(try team.leafHashes("vault") == leavesBefore)
        let placed = try team.run("vault", "investigator", ["sync"])
        #expect(placed.status == 0 && placed.stdout.contains("3 collectors' entries placed from the inbox"), "\(placed.stdout) \(placed.stderr)")
        #expect(try team.leafHashes("vault").count == leavesBefore.count + 3)
        for (item, photo) in zip(items, [samplePhotos[1], samplePhotos[2]]) {
            let exported = try team.run("vault", "investigator", ["export", item, "-o", item + ".jpg"])
            #expect(exported.status == 0, "\(exported.stderr)")
            #expect(FileManager.default.contentsEqual(atPath: fixture.cli.folder + "/" + item + ".jpg", andPath: photo))
        }
        let shown = try team.run("vault", "investigator", ["show", items[1]])
        #expect(shown.status == 0 && shown.stdout.contains("C-1"), "\(shown.stdout) \(shown.stderr)")
        let caseShown = try team.run("vault", "investigator", ["case", "show", "C-3"])
        #expect(caseShown.status == 0 && caseShown.stdout.contains("Mezzeh"), "\(caseShown.stdout) \(caseShown.stderr)")
        for machine in ["vault"] {
            #expect(try team.run(machine, nil, ["audit", "verify"]).status == 0)
            let checked = try team.run(machine, "custodian-1", ["check"])
            #expect(checked.status == 0, "\(checked.stdout) \(checked.stderr)")
        }
        // A third machine receives the placed events and checks each against what the collector signed.
        #expect(try team.run("vault", "investigator", ["sync"]).status == 0)   // the views and exports above
        let cloned = try team.clone("machine-b")
        #expect(cloned.status == 0, "\(cloned.stdout) \(cloned.stderr)")
        #expect(try team.leafHashes("machine-b") == team.leafHashes("vault"))
        #expect(try team.run("machine-b", nil, ["audit", "verify"]).status == 0)
        let bShown = try team.run("machine-b", "investigator", ["case", "show", "C-3"])
        #expect(bShown.status == 0 && bShown.stdout.contains("Mezzeh"), "\(bShown.stderr)")
        // Placed once: another sync places nothing again.
        let again = try team.run("vault", "investigator", ["sync"])
        #expect(again.status == 0 && !again.stdout.contains("placed from the inbox") && !again.stdout.contains("waits"), "\(again.stdout)")
    }

    @Test("an inbox object sent again under another name, or with a changed entry, is refused with a warning, remembered, and places nothing")
    func replayedAndChangedInboxObjects() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try Self.fieldTeam(fixture)
        #expect(try team.run("field", "collector", ["ingest", "--case", "C-2", samplePhotos[1]]).status == 0)
        #expect(try team.run("field", "collector", ["sync"]).status == 0)
        let folder = fixture.cli.folder + "/remote/inbox"
        let client = try #require(try FileManager.default.contentsOfDirectory(atPath: folder).first { !$0.hasPrefix(".") })
        let objects = try FileManager.default.contentsOfDirectory(atPath: folder + "/" + client).filter { $0.count == 32 }
        let original = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + client + "/" + objects[0]))
        #expect(try team.run("vault", "investigator", ["sync"]).stdout.contains("1 collector's entry placed from the inbox"))
        let leaves = try team.leafHashes("vault")
        // The same object under a new name: a name its events do not give.
        let replay = String(repeating: "a", count: 32)
        try original.write(to: URL(fileURLWithPath: folder + "/" + client + "/" + replay))
        // A copy whose entry has a byte changed near its end (inside the entry, after the signed leaf).
        var changed = [UInt8](original)
        changed[changed.count - 40] ^= 0x01
        let forged = String(repeating: "b", count: 32)
        try Data(changed).write(to: URL(fileURLWithPath: folder + "/" + client + "/" + forged))
        let refused = try team.run("vault", "investigator", ["sync"])
        #expect(refused.status == 0, "\(refused.stderr)")
        #expect(refused.stderr.contains("inbox object inbox/\(client)/\(replay) was not placed") && refused.stderr.contains("its name is not the one its events give"),
                "\(refused.stderr)")
        #expect(refused.stderr.contains("inbox object inbox/\(client)/\(forged) was not placed"), "\(refused.stderr)")
        #expect(try team.leafHashes("vault") == leaves)
        // Remembered: not looked at (nor warned about) again.
        let quiet = try team.run("vault", "investigator", ["sync"])
        #expect(quiet.status == 0 && !quiet.stderr.contains("was not placed"), "\(quiet.stderr)")
    }

    /// The one inbox object on the team's folder remote: its key and its content.
    static func inboxObject(_ team: TeamMachines) throws -> (key: String, submission: InboxSubmission) {
        let folder = team.fixture.cli.folder + "/remote/inbox"
        let client = try #require(try FileManager.default.contentsOfDirectory(atPath: folder).first { !$0.hasPrefix(".") })
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: folder + "/" + client).first { $0.count == 32 })
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + client + "/" + name))
        return ("inbox/\(client)/\(name)", try InboxSubmission(encoding: [UInt8](bytes)))
    }

    @Test("a collector removed by the custodians before their inbox object is placed: it is refused, and nothing of it enters the log")
    func removedCollectorsInboxIsRefused() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try Self.fieldTeam(fixture)
        #expect(try team.run("field", "collector", ["ingest", "--case", "C-2", samplePhotos[1]]).status == 0)
        #expect(try team.run("field", "collector", ["sync"]).status == 0)
        let removed = try fixture.governance(["remove-member", fixture.publicKeys["collector"]!], approvers: ["custodian-1", "custodian-2"])
        #expect(removed.status == 0, "\(removed.stderr)")
        // A custodian's sync may not place a collector's photograph (their role does not ingest): they leave it.
        let custodian = try team.run("vault", "custodian-1", ["sync"])
        #expect(custodian.status == 0 && custodian.stderr.contains("is left for another member to place"), "\(custodian.stdout) \(custodian.stderr)")
        let leaves = try team.leafHashes("vault")
        let refused = try team.run("vault", "investigator", ["sync"])
        #expect(refused.status == 0, "\(refused.stderr)")
        #expect(refused.stderr.contains("was not placed") && refused.stderr.contains("who was not a member where they wrote it or where it is placed"),
                "\(refused.stdout) \(refused.stderr)")
        #expect(try team.leafHashes("vault") == leaves, "the refused object's events entered the log")
        #expect(!refused.stdout.contains("placed from the inbox"))
    }

    @Test("a collector's modified client sends a witness record with consent, which its role may not write: the investigator refuses to place it")
    func collectorsEventBeyondItsRightsIsRefused() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try Self.fieldTeam(fixture)
        try Self.signWitnessWithConsent(fixture)
        let sent = try team.run("field", "collector", ["sync"])
        #expect(sent.status == 0, "\(sent.stderr)")
        let leaves = try team.leafHashes("vault")
        let refused = try team.run("vault", "investigator", ["sync"])
        #expect(refused.stderr.contains("was not placed") && refused.stderr.contains("goes beyond what its collector may write"), "\(refused.stderr)")
        #expect(try team.leafHashes("vault") == leaves)
        #expect(try team.run("vault", "protection-officer", ["witness", "show", "W-0666"]).status != 0)
    }

    @Test("a member's modified client claims a collector's inbox event for rows of its own: every receiver refuses it with exit 3")
    func placementOfOtherRowsIsRefused() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try Self.fieldTeam(fixture)
        try fixture.cli.write("case-3.json", #"{"id":"C-3","detaineeNumber":"7781/215","place":"Mezzeh"}"#)
        #expect(try team.run("field", "collector", ["case", "add", "--from", "case-3.json"]).status == 0)
        #expect(try team.run("field", "collector", ["sync"]).status == 0)
        let (key, submission) = try Self.inboxObject(team)
        let collectors = try #require(submission.objects.first)
        // The investigator writes a case C-3 of their own, then files the collector's signed case.add beside it.
        try fixture.cli.write("case-3b.json", #"{"id":"C-3","detaineeNumber":"0000/000","place":"Elsewhere"}"#)
        #expect(try team.run("vault", "investigator", ["case", "add", "--from", "case-3b.json"]).status == 0)
        let database = try DatabaseQueue(path: fixture.cli.folder + "/vault/vault.sqlite")
        try database.write { db in
            let position = try #require(try Int64.fetchOne(db, sql: "SELECT max(seq) FROM auditEvent"))
            let leaf = try AuditEvent(leaf: collectors.storedLeaf)
            try AuthoredEventRow(event: position, submission: key, leaf: Data(collectors.storedLeaf), leafHash: Data(leaf.leafHash),
                                 entry: collectors.entry.map { Data($0) }).insert(db)
        }
        try database.close()
        #expect(try team.run("vault", "investigator", ["sync"]).status == 0)
        let cloned = try team.clone("machine-b", metadataOnly: true)
        #expect(cloned.status == 3, "\(cloned.stdout) \(cloned.stderr)")
        #expect(cloned.stderr.contains("placed from inbox object \(key)) writes other rows than its collector signed"), "\(cloned.stderr)")
    }

    @Test("a photograph sealed both in the field and at the office collides on its content token: the inbox object is refused once, and syncs go on")
    func aCollidingObjectDoesNotStallSyncs() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try Self.fieldTeam(fixture)
        #expect(try team.run("field", "collector", ["ingest", "--case", "C-2", samplePhotos[1]]).status == 0)
        #expect(try team.run("field", "collector", ["sync"]).status == 0)
        _ = try fixture.ingest([samplePhotos[1]], as: "investigator")
        let refused = try team.run("vault", "investigator", ["sync"])
        #expect(refused.status == 0 && refused.stderr.contains("was not placed"), "\(refused.stdout) \(refused.stderr)")
        let next = try team.run("vault", "investigator", ["sync"])
        #expect(next.status == 0 && !next.stderr.contains("was not placed"), "\(next.stdout) \(next.stderr)")
        #expect(try team.run("vault", nil, ["audit", "verify"]).status == 0)
    }
}
