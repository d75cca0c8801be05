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

/// Issue 17, the inbox against the people it must hold against: a field laptop that crashes mid-send, a member
/// whose modified client places a collector's work out of order, in part, under another object's name, with an
/// item number of its choosing or beyond the collector's rights, and whoever can write to the bucket.
@Suite("Team vault: attacks on the collectors' inbox")
struct TeamInboxAttackTests {
    /// Places events `pick` of `submission` on `machine`, signed by `who`, as a modified client would: the
    /// collector's rows written as they are (an item's number set to `sequence` when given, its ingest
    /// commitment made again for it), each labelled as placed from inbox object `label`, with none of the
    /// placing client's checks.
    static func placeAsModifiedClient(_ team: TeamMachines, on machine: String, as who: String, _ submission: InboxSubmission, events pick: [Int],
                                      label: String, sequence: Int64? = nil) throws {
        let cli = team.fixture.cli
        let identity = IdentityBox(try KeyFile.unlock(Array(cli.read(who + ".key")), passphrase: passphrase(who)))
        let genesis = try Genesis(fileContents: Array(cli.read(machine + "/vault.json")))
        let database = try DatabaseQueue(path: cli.folder + "/" + machine + "/vault.sqlite")
        let recorder = try database.inDatabase { db in try EntryRecorder(db) }
        for index in pick {
            let object = submission.objects[index]
            let event = try AuditEvent(leaf: object.storedLeaf)
            var values: [[UInt8]: [UInt8]] = [:]
            for value in object.values { values[SHA256Digest.hash(value)] = value }
            let entry = try object.entry.map { try IndexEntry(encoding: $0, detachedValue: { values[$0] }) }
            try database.write { db in
                var commitments = event.commitments
                for change in entry?.changes ?? [] {
                    guard var columns = change.columns else { continue }
                    if change.table == "item", let sequence, let itemID = EntryScope.text(columns, "id"), let caseID = EntryScope.text(columns, "caseID"),
                       case let .integer(was)? = columns.first(where: { $0.name == "sequence" })?.value,
                       let source = entry?.changes.first(where: { $0.table == "itemSource" }).flatMap({ EntryScope.text($0.columns, "sourceID") }) {
                        columns = columns.map { $0.name == "sequence" ? IndexEntry.Column(name: "sequence", value: .integer(sequence)) : $0 }
                        let old = IndexBinding.ingestCommitment(itemID: itemID, caseID: caseID, sequence: was, sourceID: source)
                        let new = IndexBinding.ingestCommitment(itemID: itemID, caseID: caseID, sequence: sequence, sourceID: source)
                        commitments = commitments.map { $0 == old ? new : $0 }
                    }
                    _ = try IndexEntry.write(columns, to: change.table, rowID: nil, db)
                }
                let appended = try AuditLog.append(db, vaultID: genesis.vaultID, actor: identity, action: event.action, objects: event.objects,
                                                   commitments: commitments, policyHash: nil, entries: entry == nil ? nil : recorder)
                try AuthoredEventRow(event: Int64(appended.sequence), submission: label, leaf: Data(object.storedLeaf), leafHash: Data(event.leafHash),
                                     entry: object.entry.map { Data($0) }).insert(db)
            }
        }
        try database.close()
    }

    /// The machine "vault" shares what its modified client placed; a new machine's clone refuses it with exit 3,
    /// saying `words`.
    static func refusedByEveryReceiver(_ team: TeamMachines, _ words: String) throws {
        let shared = try team.run("vault", nil, ["sync"])
        #expect(shared.status == 0, "\(shared.stdout) \(shared.stderr)")
        let cloned = try team.clone("machine-b", metadataOnly: true)
        #expect(cloned.status == 3, "\(cloned.stdout) \(cloned.stderr)")
        #expect(cloned.stderr.contains(words), "\(cloned.stderr)")
    }

    /// The inbox objects on the team's folder remote, keyed by their remote key.
    static func inboxObjects(_ team: TeamMachines) throws -> [String: InboxSubmission] {
        let folder = team.fixture.cli.folder + "/remote/inbox"
        var found: [String: InboxSubmission] = [:]
        for client in try FileManager.default.contentsOfDirectory(atPath: folder) where !client.hasPrefix(".") {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder + "/" + client) where name.count == 32 {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + client + "/" + name))
                found["inbox/\(client)/\(name)"] = try InboxSubmission(encoding: [UInt8](bytes))
            }
        }
        return found
    }

    static func addCase(_ team: TeamMachines, _ id: String, _ place: String) throws {
        try team.fixture.cli.write(id + ".json", #"{"id":"\#(id)","detaineeNumber":"7781/2\#(id.suffix(1))","place":"\#(place)"}"#)
        let added = try team.run("field", "collector", ["case", "add", "--from", id + ".json"])
        #expect(added.status == 0, "\(added.stderr)")
    }

    @Test("the collector's laptop dies after the remote took its object and before it forgot the events: the next send holds them again with new ones, and every new one is placed")
    func crashBetweenSendAndForget() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamInboxTests.fieldTeam(fixture)
        let first = try team.run("field", "collector", ["ingest", "--case", "C-2", samplePhotos[1]])
        #expect(first.status == 0, "\(first.stderr)")
        let crashed = try team.run("field", "collector", ["sync"], environment: ["AMANAH_FAULT_INJECT": "inbox.sent"])
        #expect(crashed.status == 137, "\(crashed.stdout) \(crashed.stderr)")
        // The office places what the remote holds; then the laptop, which still holds the first photograph's
        // event, ingests a second one and sends both.
        let leaves = try team.leafHashes("vault")
        let placedFirst = try team.run("vault", "investigator", ["sync"])
        #expect(placedFirst.status == 0 && placedFirst.stdout.contains("1 collector's entry placed from the inbox"), "\(placedFirst.stdout) \(placedFirst.stderr)")
        let second = try team.run("field", "collector", ["ingest", "--case", "C-2", samplePhotos[2]])
        #expect(second.status == 0, "\(second.stderr)")
        let sent = try team.run("field", "collector", ["sync"])
        #expect(sent.status == 0 && sent.stdout.contains("sent 2 entries"), "\(sent.stdout) \(sent.stderr)")
        let placed = try team.run("vault", "investigator", ["sync"])
        #expect(placed.status == 0 && placed.stdout.contains("1 collector's entry placed from the inbox") && !placed.stderr.contains("was not placed"),
                "\(placed.stdout) \(placed.stderr)")
        #expect(try team.leafHashes("vault").count == leaves.count + 2)
        let items = (first.stdoutLines + second.stdoutLines).map { String($0.split(separator: "\t")[0]) }
        for (item, photo) in zip(items, [samplePhotos[1], samplePhotos[2]]) {
            let exported = try team.run("vault", "investigator", ["export", item, "-o", item + ".jpg"])
            #expect(exported.status == 0, "\(exported.stderr)")
            #expect(FileManager.default.contentsEqual(atPath: fixture.cli.folder + "/" + item + ".jpg", andPath: photo))
        }
        #expect(try team.run("vault", "investigator", ["sync"]).status == 0)
        let cloned = try team.clone("machine-b", metadataOnly: true)
        #expect(cloned.status == 0, "\(cloned.stdout) \(cloned.stderr)")
        #expect(try team.leafHashes("machine-b") == team.leafHashes("vault"))
    }

    @Test("a member's modified client places one collector's object under the name of another: other members still place the other, and nothing twice")
    func placementUnderAnotherObjectsName() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamInboxTests.fieldTeam(fixture)
        try Self.addCase(team, "C-3", "Mezzeh")
        #expect(try team.run("field", "collector", ["sync"]).status == 0)
        let x = try #require(try Self.inboxObjects(team).first)
        try Self.addCase(team, "C-4", "Sednaya")
        #expect(try team.run("field", "collector", ["sync"]).status == 0)
        let y = try #require(try Self.inboxObjects(team).first { $0.key != x.key })
        // The investigator's client places X's event, labelled as Y's, and shares it.
        try Self.placeAsModifiedClient(team, on: "vault", as: "investigator", x.value, events: [0], label: y.key)
        #expect(try team.run("vault", nil, ["sync"]).status == 0)
        // Another member's machine places Y all the same, and finds X placed.
        #expect(try team.clone("machine-b", metadataOnly: true).status == 0)
        let before = try team.leafHashes("machine-b").count
        let placed = try team.run("machine-b", "investigator", ["sync"])
        #expect(placed.status == 0 && placed.stdout.contains("1 collector's entry placed from the inbox") && !placed.stderr.contains("was not placed"),
                "\(placed.stdout) \(placed.stderr)")
        #expect(try team.leafHashes("machine-b").count == before + 1)
        for (id, place) in [("C-3", "Mezzeh"), ("C-4", "Sednaya")] {
            let shown = try team.run("machine-b", "investigator", ["case", "show", id])
            #expect(shown.status == 0 && shown.stdout.contains(place), "\(id): \(shown.stdout) \(shown.stderr)")
        }
    }

    @Test("a member's modified client places a collector's second event without the first: every receiver refuses it with exit 3")
    func placementOfPartOfTheWork() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamInboxTests.fieldTeam(fixture)
        try Self.addCase(team, "C-3", "Mezzeh")
        try Self.addCase(team, "C-4", "Sednaya")
        #expect(try team.run("field", "collector", ["sync"]).status == 0)
        let (key, submission) = try TeamInboxTests.inboxObject(team)
        #expect(submission.objects.count == 2)
        try Self.placeAsModifiedClient(team, on: "vault", as: "investigator", submission, events: [1], label: key)
        try Self.refusedByEveryReceiver(team, "before the event they wrote before it")
    }

    @Test("a member's modified client gives a collector's photograph a case number of its choosing: every receiver refuses it with exit 3")
    func placementWithAChosenNumber() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamInboxTests.fieldTeam(fixture)
        #expect(try team.run("field", "collector", ["ingest", "--case", "C-2", samplePhotos[1]]).status == 0)
        #expect(try team.run("field", "collector", ["sync"]).status == 0)
        let (key, submission) = try TeamInboxTests.inboxObject(team)
        try Self.placeAsModifiedClient(team, on: "vault", as: "investigator", submission, events: [0], label: key, sequence: 999)
        try Self.refusedByEveryReceiver(team, "number 999 in case C-2")
    }

    @Test("a protection officer's modified client places a collector's witness record with consent, which the collector may not write: every receiver refuses it")
    func placementBeyondTheCollectorsRights() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamInboxTests.fieldTeam(fixture)
        try TeamInboxTests.signWitnessWithConsent(fixture)
        #expect(try team.run("field", "collector", ["sync"]).status == 0)
        let (key, submission) = try TeamInboxTests.inboxObject(team)
        try Self.placeAsModifiedClient(team, on: "vault", as: "protection-officer", submission, events: [0], label: key)
        try Self.refusedByEveryReceiver(team, "goes beyond what its collector may write")
    }

    @Test("an inbox object rewritten in the bucket to name a larger blob: it is refused before a byte of any blob is fetched")
    func noBlobBeforeSignatures() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamInboxTests.fieldTeam(fixture)
        #expect(try team.run("field", "collector", ["ingest", "--case", "C-2", samplePhotos[1]]).status == 0)
        #expect(try team.run("field", "collector", ["sync"]).status == 0)
        let (key, submission) = try TeamInboxTests.inboxObject(team)
        // The item's signed size grows by 4 MiB in its entry, and its blob in the inbox with it.
        var forged = submission
        let object = submission.objects[0]
        var values: [[UInt8]: [UInt8]] = [:]
        for value in object.values { values[SHA256Digest.hash(value)] = value }
        var entry = try IndexEntry(encoding: try #require(object.entry), detachedValue: { values[$0] })
        var blob = ""
        entry.changes = entry.changes.map { change in
            guard change.table == "item", let columns = change.columns else { return change }
            blob = EntryScope.text(columns, "blobID") ?? ""
            var grown = change
            grown.columns = columns.map { column in
                guard column.name == "sealedSize", case let .integer(size) = column.value else { return column }
                return IndexEntry.Column(name: "sealedSize", value: .integer(size + 4 << 20))
            }
            return grown
        }
        forged.objects[0] = RemoteLogObject(storedLeaf: object.storedLeaf, entry: entry.encoding, values: object.values, governance: [])
        let folder = fixture.cli.folder + "/remote/"
        try Data(forged.encoding).write(to: URL(fileURLWithPath: folder + key))
        let blobPath = folder + key[..<key.lastIndex(of: "/")!] + "/blobs/" + blob
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: blobPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(count: 4 << 20))
        try handle.close()
        let refused = try team.run("vault", "investigator", ["sync"])
        #expect(refused.status == 0 && refused.stderr.contains("carries another entry than it signed"), "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stdout.contains("received 0 entries and 0 blobs (0 bytes)"), "\(refused.stdout)")
    }

    @Test("the collector's laptop keeps no sealed data key of a record it sent")
    func noDataKeyLeftAfterSending() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamInboxTests.fieldTeam(fixture)
        let path = fixture.cli.folder + "/field/vault.sqlite"
        func values() throws -> Set<Data> {
            let queue = try DatabaseQueue(path: path)
            defer { try? queue.close() }
            return Set(try queue.read { db in try Data.fetchAll(db, sql: "SELECT hash FROM entryValue") })
        }
        let before = try values()
        try Self.addCase(team, "C-3", "Mezzeh")
        let added = try values()
        #expect(added.count > before.count, "the case's data key was not kept as a detached value")
        #expect(try team.run("field", "collector", ["sync"]).status == 0)
        #expect(try values() == before)
        #expect(try team.run("field", nil, ["audit", "verify"]).status == 0)
        #expect(try team.run("field", "collector", ["check"]).status == 0)
    }
}

extension TeamInboxAttackTests {
    @Test("a collector's modified client signs an event at a governance position beyond any chain (the largest length there is): it is refused, nothing crashes")
    func governanceLengthBeyondTheChain() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamInboxTests.fieldTeam(fixture)
        try Self.addCase(team, "C-3", "Mezzeh")
        #expect(try team.run("field", "collector", ["sync"]).status == 0)
        let (key, submission) = try TeamInboxTests.inboxObject(team)
        let collector = IdentityBox(try KeyFile.unlock(Array(fixture.cli.read("collector.key")), passphrase: passphrase("collector")))
        let object = submission.objects[0]
        var event = try AuditEvent(leaf: object.storedLeaf)
        event.governance = AuditEvent.GovernancePosition(length: UInt64.max, head: Random.bytes(32))
        event.blindActor(opening: Random.bytes(16))
        try event.sign(with: collector)
        let crafted = InboxSubmission(vaultID: submission.vaultID, baseSize: submission.baseSize, baseLeafHash: submission.baseLeafHash,
                                      objects: [RemoteLogObject(storedLeaf: event.storedLeaf, entry: object.entry, values: object.values, governance: [])])
        let folder = fixture.cli.folder + "/remote/" + key[..<key.lastIndex(of: "/")!] + "/"
        try FileManager.default.removeItem(atPath: fixture.cli.folder + "/remote/" + key)
        try Data(crafted.encoding).write(to: URL(fileURLWithPath: folder + crafted.name))
        let leaves = try team.leafHashes("vault")
        let refused = try team.run("vault", "investigator", ["sync"])
        #expect(refused.status == 0, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stderr.contains("was not placed") && refused.stderr.contains("names a governance position the chain does not hold"), "\(refused.stderr)")
        #expect(try team.leafHashes("vault") == leaves)
    }

    @Test("two machines place the same inbox object, one of them stopped before it could send: at its next sync its placement gives way to the other's, and the collector's event is in the log once")
    func twoMachinesPlaceTheSameObject() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamInboxTests.fieldTeam(fixture)
        try Self.addCase(team, "C-3", "Mezzeh")
        #expect(try team.run("field", "collector", ["sync"]).status == 0)
        #expect(try team.clone("machine-b", metadataOnly: true).status == 0)
        // The office machine places it and stops before sending; machine B places it and sends.
        let stopped = try team.run("vault", "investigator", ["sync"], environment: ["AMANAH_FAULT_INJECT": "sync.inbox-placed"])
        #expect(stopped.status == 137, "\(stopped.stdout) \(stopped.stderr)")
        let placedB = try team.run("machine-b", "investigator", ["sync"])
        #expect(placedB.status == 0 && placedB.stdout.contains("1 collector's entry placed from the inbox"), "\(placedB.stdout) \(placedB.stderr)")
        let resumed = try team.run("vault", "investigator", ["sync"])
        #expect(resumed.status == 0, "\(resumed.stdout) \(resumed.stderr)")
        #expect(try team.leafHashes("vault") == team.leafHashes("machine-b"))
        let cases = try DatabaseQueue(path: fixture.cli.folder + "/vault/vault.sqlite").read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM authoredEvent") ?? 0
        }
        #expect(cases == 1)
        let shown = try team.run("vault", "investigator", ["case", "show", "C-3"])
        #expect(shown.status == 0 && shown.stdout.contains("Mezzeh"), "\(shown.stderr)")
        #expect(try team.run("vault", nil, ["audit", "verify"]).status == 0)
    }

    @Test("a member's modified client places an event of its own as a collector's, numbered far beyond any log and chained to a placed one: every receiver refuses it, nothing crashes")
    func placementNumberedBeyondAnyLog() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamInboxTests.fieldTeam(fixture)
        try Self.addCase(team, "C-3", "Mezzeh")
        #expect(try team.run("field", "collector", ["sync"]).status == 0)
        let (_, submission) = try TeamInboxTests.inboxObject(team)
        #expect(try team.run("vault", "investigator", ["sync"]).stdout.contains("1 collector's entry placed from the inbox"))
        let placed = try AuditEvent(leaf: submission.objects[0].storedLeaf)
        let investigator = IdentityBox(try KeyFile.unlock(Array(fixture.cli.read("investigator.key")), passphrase: passphrase("investigator")))
        var crafted = AuditEvent(vaultID: placed.vaultID, sequence: 1 << 63 + 1, time: placed.time, actor: investigator.publicKey.keyID, action: "case.view",
                                 objects: ["C-3"], policyHash: nil, commitments: [], previousLeafHash: placed.leafHash, governance: placed.governance)
        crafted.blindActor(opening: Random.bytes(16))
        try crafted.sign(with: investigator)
        let wrapper = InboxSubmission(vaultID: placed.vaultID, baseSize: 1, baseLeafHash: placed.previousLeafHash,
                                      objects: [RemoteLogObject(storedLeaf: crafted.storedLeaf, entry: nil, values: [], governance: [])])
        try Self.placeAsModifiedClient(team, on: "vault", as: "investigator", wrapper, events: [0], label: "inbox/0123456789abcdef/" + Hex.encode(Random.bytes(16)))
        let shared = try team.run("vault", "investigator", ["sync"])
        #expect(shared.status == 0, "\(shared.stdout) \(shared.stderr)")
        let cloned = try team.clone("machine-b", metadataOnly: true)
        #expect(cloned.status == 3, "\(cloned.stdout) \(cloned.stderr)")
        #expect(cloned.stderr.contains("before the event they wrote before it"), "\(cloned.stderr)")
    }
}
