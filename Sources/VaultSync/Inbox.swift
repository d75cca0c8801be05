import Foundation
import GRDB
import Vault
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultPlatform
import VaultPolicy
import VaultRemote
import VaultStore

/// What one send to a collectors' inbox moved (`SyncEngine.sendToInbox`).
public struct InboxReport: Equatable, Sendable {
    /// Events sent (all this vault made after the log it last read) and the inbox object that holds them.
    public var sent = 0
    public var submission: String?
    /// Sealed blobs sent, and their bytes.
    public var blobsSent = 0
    public var bytesSent: Int64 = 0
    /// Sealed blobs and events removed from this machine once the remote held them.
    public var blobsForgotten = 0
    public init() {}
}

/// The field collectors' inbox (issue 17). A collector whose credentials may write new objects under
/// `inbox/<client>/` but not read, list or delete cannot know the log's next position. Its sync sends every
/// event its vault made after the log it last read, as one `InboxSubmission`, with the sealed blobs they name
/// (`inbox/<client>/blobs/<id>`), each by conditional create; then its vault goes back to that log and its
/// sealed blobs are deleted, so that a seized field laptop holds nothing of what was sent.
///
/// A member who reads the log places inbox objects at their next sync (`sequenceInbox`): each collector's
/// event is checked as a receiver checks every event (its signature, its membership where it wrote and where
/// it is placed, its rights over the rows it wrote), written again at the head of the log by the placing
/// member, who signs the placed event, and kept beside it (`AuthoredEventRow`), so that every receiver checks
/// that the placed event is the collector's (`Verifier.checkAuthored`). The placing member's own role must
/// allow what is placed; an object placed or refused is not looked at again.
extension SyncEngine {
    /// Sends this vault's events after the log it last read (the most any remote it syncs with shares) to the
    /// inbox of `client`, then keeps none of them.
    /// - Throws: `SyncError.conflict` when there is nothing this vault read (a clone is needed), when it made
    ///   governance changes or checkpoints since (they never go through an inbox), when a blob it names is
    ///   missing, or when the events do not fit one object; `RemoteError`; database errors. Nothing is
    ///   forgotten before the remote holds all of it.
    public func sendToInbox(client: String) throws -> InboxReport {
        var report = InboxReport()
        guard client.count == 16, client.allSatisfy(\.isHexDigit) else { throw SyncError.conflict("the inbox client name \(client) is not 16 hex digits") }
        let (base, baseLeaf, size, chainAtBase, chainNow, checkpoint) = try vault.database.queue.read { db in
            let base = try RemoteSyncRow.all(db).map(\.shared).max() ?? 0
            let leaf = try AuditEventRow.fetchOne(db, key: base)
            let chainAtBase = try leaf.map { try AuditEvent(leaf: Array($0.leaf)).governance?.length ?? 0 } ?? 0
            return (base, leaf.map { Array($0.leafHash) } ?? [], Int64(try AuditLog.head(db).size), Int64(chainAtBase),
                    Int64(try GovernanceRow.newestPosition(db)?.seq ?? 0), try CheckpointRow.largestSize(db))
        }
        guard base > 0 else {
            throw SyncError.conflict("this vault has read no log from a remote, so an inbox cannot say where its events go: clone the vault from a remote you can read before you send to an inbox")
        }
        guard size > base else { return report }
        guard chainNow == chainAtBase else {
            throw SyncError.conflict("this vault applied a governance operation after the log it last read; governance never goes through an inbox")
        }
        if let checkpoint, checkpoint > base {
            throw SyncError.conflict("this vault holds a checkpoint over events (up to \(checkpoint)) the remote does not hold; checkpoints never go through an inbox")
        }
        var objects: [RemoteLogObject] = []
        var blobs: [(id: String, size: Int64)] = []
        try vault.database.queue.read { db in
            for position in (base + 1)...size {
                let (object, named) = try Self.object(at: position, db)
                objects.append(object)
                blobs += named
            }
        }
        let encoding = InboxSubmission(vaultID: vault.vaultID, baseSize: base, baseLeafHash: baseLeaf, objects: objects).encoding
        guard encoding.count <= Self.objectLimit else {
            throw SyncError.conflict("the \(objects.count) events made since the last read (\(encoding.count) bytes) do not fit one inbox object of \(Self.objectLimit) bytes; send more often")
        }
        if let missing = blobs.first(where: { !DurableFile.exists(vault.blobs.path(of: $0.id)) }) {
            throw SyncError.conflict("the sealed blob \(missing.id) that an event to send names is not in this vault folder")
        }
        let prefix = "inbox/" + client + "/"
        var moved = SyncReport()
        try sendBlobs(blobs, under: prefix + "blobs/", into: &moved)
        let submission = InboxSubmission(vaultID: vault.vaultID, baseSize: base, baseLeafHash: baseLeaf, objects: objects)
        let key = prefix + submission.name
        progress("sending \(objects.count) events to \(key)")
        // The name is derived from the events: an object of that name that exists already holds these very
        // events (sent before a crash, or by a request whose first answer was lost).
        _ = try store.create(key, bytes: encoding)
        FaultInjection.point("inbox.sent")
        report.sent = objects.count
        report.submission = key
        report.blobsSent = moved.blobsSent
        report.bytesSent = moved.bytesSent
        // The remote holds it all: keep none of it here.
        try forget(above: base, governanceLength: chainAtBase)
        for blob in blobs where DurableFile.exists(vault.blobs.path(of: blob.id)) {
            vault.blobs.remove(id: blob.id)
            report.blobsForgotten += 1
        }
        try vault.adoptRewoundState()
        return report
    }

    /// Takes this vault back to its first `size` events (rows as those events left them), in one transaction.
    func forget(above size: Int64, governanceLength: Int64) throws {
        try vault.database.write { db in
            guard let recorder = vault.database.entries else { throw VaultError.failed("the database records no entries") }
            let head = Int64(try AuditLog.head(db).size)
            guard head > size else { return }
            var touched = Set<RowKey>()
            var values = Set<[UInt8]>()   // the sealed data keys the forgotten entries carry
            for position in (size + 1)...head {
                guard let body = try EntryRow.find(event: position, db) else { continue }
                let entry = try IndexEntry(encoding: Array(body.body), detachedValue: { try EntryValueRow.value(hash: $0, db) })
                for change in entry.changes { touched.insert(RowKey(table: change.table, rowID: change.rowID)) }
                for value in entry.detachedValues { values.insert(value.hash) }
            }
            let rows = try Self.rows(atSize: size, of: touched, db)
            try LogRewind.rewind(toSize: size, governanceLength: governanceLength, db)
            for (key, columns) in rows {
                if let columns { try IndexEntry.write(columns, to: key.table, rowID: key.rowID, db) } else { try IndexEntry.delete(from: key.table, rowID: key.rowID, db) }
            }
            _ = try recorder.takeEntry(db, vaultID: vault.vaultID)   // a return to the log as it was, no change of it
            try EntryValueRow.forget(values, db)
        }
    }

    /// The inbox objects on the remote that this vault neither holds the events of nor looked at before.
    func pendingInbox() throws -> [String] {
        let keys = try store.list("inbox/", startAfter: nil).map(\.key).filter { key in
            let parts = key.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 3 && parts[1].count == 16 && parts[2].count == 32 && parts[1].allSatisfy(\.isHexDigit) && parts[2].allSatisfy(\.isHexDigit)
        }
        let (looked, authored) = try vault.database.queue.read { db in (try InboxSubmissionRow.all(db), try AuthoredEventRow.allInLogOrder(db)) }
        // An object whose every event the log holds, as its name proves, is not fetched; a placing member's
        // label alone proves nothing. An object sent again after a crash holds events placed under the name of
        // the one before it: each label's events are followed back to the first of their chain.
        var byLeafHash: [Data: AuthoredEventRow] = [:]
        for row in authored { byLeafHash[row.leafHash] = row }
        var labelled: [String: [AuthoredEventRow]] = [:]
        for row in authored { labelled[row.submission, default: []].append(row) }
        let placed = Set(labelled.compactMap { key, rows -> String? in
            guard let name = key.split(separator: "/").last, var first = rows.first else { return nil }
            var chain = rows.map { Array($0.leaf) }
            var seen = Set(rows.map(\.leafHash))
            while let event = try? AuditEvent(leaf: Array(first.leaf)), let before = byLeafHash[Data(event.previousLeafHash)], seen.insert(before.leafHash).inserted {
                chain.insert(Array(before.leaf), at: 0)
                first = before
            }
            guard let event = try? AuditEvent(leaf: Array(first.leaf)), event.sequence >= 2, let base = Int64(exactly: event.sequence - 1),
                  InboxSubmission.name(vaultID: vault.vaultID, baseSize: base, baseLeafHash: event.previousLeafHash, leaves: chain) == name
            else { return nil }
            return key
        })
        return keys.filter { looked[$0] == nil && !placed.contains($0) }.sorted()
    }

    /// Places the events of every pending inbox object at the head of this vault's log, signed by `sequencer`
    /// (the member running the sync), each object in one transaction; an object that does not verify or no
    /// longer fits is refused (a warning in `report`), remembered, and never looked at again.
    /// - Throws: `RemoteError`; database errors.
    func sequenceInbox(as sequencer: IdentityBox, into report: inout SyncReport) throws {
        for key in try pendingInbox() {
            guard let bytes = try store.get(key, limit: Self.objectLimit) else { continue }
            do {
                let submission: InboxSubmission
                do { submission = try InboxSubmission(encoding: bytes) } catch { throw SyncError.refused("it does not parse: \(error)") }
                guard key.hasSuffix("/" + submission.name) else { throw SyncError.refused("its name is not the one its events give (\(submission.name))") }
                // Every event's signature and chain before a byte of what it names is fetched.
                let checked = try vault.database.queue.read { db in try precheck(submission, db) }
                progress("placing \(submission.objects.count) events from \(key)")
                let fetched = try fetchInboxBlobs(checked.compactMap(\.entry), key: key, into: &report)
                do { report.sequenced += try place(submission, key: key, as: sequencer) } catch {
                    for id in fetched { vault.blobs.remove(id: id) }   // nothing of a refused object stays here
                    throw error
                }
            } catch let left as InboxLeft {
                report.inboxWaiting += 1
                report.problems.append("inbox object \(key) is left for another member to place: \(left.why)")
            } catch let error as RemoteError {
                throw error   // the remote, not the object: the next sync looks at it again
            } catch {
                // What the object itself causes (it does not verify, a row collides on a unique key) refuses it
                // for good: one bad object must not stop every sync. A failure of this machine (a full disk, a
                // busy database) leaves it for the next sync.
                let why: String
                var forGood = true
                switch error {
                case let SyncError.refused(text), let SyncError.conflict(text): why = text
                case let error as DatabaseError: why = "\(error)"; forGood = error.resultCode == .SQLITE_CONSTRAINT
                case let error as StoreError: why = "\(error)"
                default: why = "\(error)"; forGood = false
                }
                if forGood {
                    try vault.database.write { db in try InboxSubmissionRow(key: key, outcome: "refused: " + why).insert(db) }
                    report.problems.append("inbox object \(key) was not placed: \(why)")
                } else {
                    report.problems.append("inbox object \(key) was not placed this time (the next sync tries it again): \(why)")
                }
            }
        }
    }

    /// The events of `submission`, each checked as its collector's: one chain of this vault after a base this
    /// vault holds, each signed by a key the vault knows, of a member where they wrote it, with the entry it
    /// names, within what the collector's role could write there (`Verifier.collectorProblem`, against the rows
    /// as the log at the base and the collector's events before it left them).
    /// - Throws: `SyncError.refused` naming what is wrong; database errors.
    func precheck(_ submission: InboxSubmission, _ db: Database) throws -> [(event: AuditEvent, entry: IndexEntry?, object: RemoteLogObject)] {
        guard submission.vaultID == vault.vaultID else { throw SyncError.refused("it belongs to another vault") }
        guard let baseRow = try AuditEventRow.fetchOne(db, key: submission.baseSize), Array(baseRow.leafHash) == submission.baseLeafHash else {
            throw SyncError.refused("it was made after a log this vault does not hold (position \(submission.baseSize))")
        }
        let history = try GovernanceChain.history(genesis: vault.genesis, db: db)
        let initiator = Hex.encode(vault.genesis.initiator)
        var events: [(event: AuditEvent, entry: IndexEntry?, object: RemoteLogObject)] = []
        var previous = submission.baseLeafHash
        var rows: [RowKey: [IndexEntry.Column]?]?   // each row as the collector's events so far left it (collector's row ids)
        for (index, object) in submission.objects.enumerated() {
            let event: AuditEvent
            do { event = try AuditEvent(leaf: object.storedLeaf) } catch { throw SyncError.refused("its event \(index + 1) does not parse: \(error)") }
            guard event.vaultID == vault.vaultID, event.sequence == UInt64(submission.baseSize) + UInt64(index) + 1, event.previousLeafHash == previous,
                  object.governance.isEmpty, object.authored == nil else {
                throw SyncError.refused("its events are not one chain after its base, or bring governance")
            }
            previous = event.leafHash
            let author = Hex.encode(event.actor)
            guard let key = history.last?.knownKeys[author], event.verifySignature(publicKey: key) else {
                throw SyncError.refused("its event \(index + 1) (\(event.action)) is not signed by a key the vault knows")
            }
            guard let written = event.governance, written.length < UInt64(history.count),
                  written.head == (written.length == 0 ? vault.vaultID : history[Int(written.length)].headHash) else {
                throw SyncError.refused("its \(event.action) names a governance position the chain does not hold")
            }
            guard IndexLog.signerWasMember(event, signer: author, history: history, genesisInitiator: initiator) else {
                throw SyncError.refused("its \(event.action) was signed by \(author), who was not a member where they wrote it")
            }
            var entry: IndexEntry?
            if let body = object.entry {
                guard let hash = event.entry, SHA256Digest.hash(body) == hash else { throw SyncError.refused("its event \(index + 1) carries another entry than it signed") }
                var values: [[UInt8]: [UInt8]] = [:]
                for value in object.values { values[SHA256Digest.hash(value)] = value }
                do { entry = try IndexEntry(encoding: body, detachedValue: { values[$0] }) } catch { throw SyncError.refused("an entry does not parse: \(error)") }
            } else if event.entry != nil {
                throw SyncError.refused("its event \(index + 1) lacks its entry")
            }
            // The collector's rights over the rows where they wrote them (before any blob they name is fetched).
            if let entry {
                if rows == nil {
                    let touched = Set(submission.objects.compactMap { $0.entry }.flatMap { body -> [RowKey] in
                        ((try? IndexEntry(encoding: body))?.changes ?? []).map { RowKey(table: $0.table, rowID: $0.rowID) }
                    })
                    rows = try Self.rows(atSize: submission.baseSize, of: touched, db)
                }
                let before = rows ?? [:]
                if let problem = Verifier.collectorProblem(entry, event: event, author: author, history: history,
                                                           existing: { table, rowID in before[RowKey(table: table, rowID: rowID)] ?? nil }) {
                    throw SyncError.refused("its \(event.action) goes beyond what its collector may write: \(problem)")
                }
                for change in entry.changes { rows?[RowKey(table: change.table, rowID: change.rowID)] = .some(change.columns) }
            }
            events.append((event, entry, object))
        }
        return events
    }

    /// Fetches the sealed blobs that the items of `entries` (a submission's, their signatures checked) name
    /// from its inbox, each checked against its signed size; returns the ids of those it stored (a blob fetched
    /// before a failure is removed again).
    @discardableResult
    func fetchInboxBlobs(_ entries: [IndexEntry], key: String, into report: inout SyncReport) throws -> [String] {
        var fetched: [String] = []
        do {
            try fetchInboxBlobs(entries, key: key, into: &report, fetched: &fetched)
        } catch {
            for id in fetched { vault.blobs.remove(id: id) }
            throw error
        }
        return fetched
    }

    private func fetchInboxBlobs(_ entries: [IndexEntry], key: String, into report: inout SyncReport, fetched: inout [String]) throws {
        let prefix = String(key[..<key.lastIndex(of: "/")!]) + "/blobs/"
        for entry in entries {
            for change in entry.changes where change.table == "item" {
                guard let columns = change.columns, let id = EntryScope.text(columns, "blobID"),
                      case let .integer(size)? = columns.first(where: { $0.name == "sealedSize" })?.value else { continue }
                guard BlobStore.isValidID(id) else { throw SyncError.refused("an item names a malformed blob id") }
                if DurableFile.exists(vault.blobs.path(of: id)) { continue }
                struct Absent: Error {}
                do {
                    let got = try vault.blobs.write(id: id) { handle in
                        guard let got = try store.download(prefix + id, limit: size, into: handle) else { throw Absent() }
                        guard got == size else { throw SyncError.refused("the sealed blob \(id) is \(got) bytes, but its signed row says \(size)") }
                    }
                    fetched.append(id)
                    report.blobsReceived += 1
                    report.bytesReceived += Int64(got)
                } catch is Absent {
                    throw SyncError.refused("the sealed blob \(id) of an item it adds is not in the inbox")
                } catch RemoteError.tooLarge {
                    throw SyncError.refused("the sealed blob \(id) is larger than its signed row says (\(size) bytes)")
                }
            }
        }
    }

    /// Writes a submission's events again at the head of this vault's log, signed by `sequencer`, each checked
    /// first as its collector's (`precheck`, which includes the collector's rights, and `Verifier.checkAuthored`), in one transaction; returns how many it placed. Events the log holds already
    /// (placed from an object this collector sent before a crash kept it from forgetting them) are passed
    /// over when they are the object's first: the rows they wrote are found where they were placed.
    /// - Throws: `SyncError.refused` naming what is wrong; `InboxLeft` when `sequencer`'s own role may not
    ///   place an event; database errors.
    func place(_ submission: InboxSubmission, key: String, as sequencer: IdentityBox) throws -> Int {
        try vault.database.write { db in
            guard let recorder = vault.database.entries else { throw VaultError.failed("the database records no entries") }
            let events = try precheck(submission, db)
            let touched = Set(events.flatMap { $0.entry?.changes.map { RowKey(table: $0.table, rowID: $0.rowID) } ?? [] })
            var reapplier = Reapplier(old: try Self.rows(atSize: submission.baseSize, of: touched, db))
            let verifier = try Verifier(vault: vault, db: db)
            let history = verifier.history
            guard let now = history.last else { throw SyncError.refused("the vault's genesis state cannot be read") }
            var placing = false
            var count = 0
            for (index, (event, entry, object)) in events.enumerated() {
                guard let written = event.governance, written.length < UInt64(history.count) else {
                    throw SyncError.refused("its \(event.action) names a governance position the chain does not hold")
                }
                if try AuthoredEventRow.placed(leafHash: event.leafHash, db) {
                    guard !placing else {
                        throw SyncError.refused("its event \(index + 1) (\(event.action)) is one the log holds already, after events it does not")
                    }
                    try reapplier.passOver(entry, db)
                    continue
                }
                placing = true
                let (commitments, replaced) = try reapplier.reapply(event, entry, before: history[Int(written.length)], after: now, db)
                let appended = try AuditLog.append(db, vaultID: vault.vaultID, actor: sequencer, action: event.action, objects: event.objects,
                                                   commitments: commitments, policyHash: now.policyHash.isEmpty ? nil : now.policyHash, entries: recorder)
                do { try verifier.checkOwn(appended, replaced: replaced, db) } catch let error as SyncError {
                    // The placing member's own role does not allow it: another member may place it.
                    throw InboxLeft(why: "\(error)")
                }
                let (placed, _) = try Self.object(at: Int64(appended.sequence), db)
                try verifier.checkAuthored(RemoteLogObject.Authored(submission: key, storedLeaf: object.storedLeaf, entry: object.entry),
                                           placed: appended, object: placed, at: Int64(appended.sequence),
                                           existing: { table, rowID in replaced[RowKey(table: table, rowID: rowID)] }, db)
                count += 1
            }
            try InboxSubmissionRow(key: key, outcome: count == 0 ? "placed before" : "placed").save(db)
            return count
        }
    }
}

/// An inbox object the placing member's own role may not write: left for another member (not remembered).
struct InboxLeft: Error { var why: String }
