import Foundation
import GRDB
import Vault
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultPolicy
import VaultPlatform
import VaultRemote
import VaultStore

/// What one `amanah sync` moved.
public struct SyncReport: Equatable, Sendable {
    /// Log positions sent to the remote and received from it.
    public var sent = 0
    public var received = 0
    /// Sealed blobs sent and received, and their bytes.
    public var blobsSent = 0
    public var blobsReceived = 0
    public var bytesSent: Int64 = 0
    public var bytesReceived: Int64 = 0
    /// This client's events written again after events another client placed first.
    public var rebased = 0
    /// What was received and kept out without stopping the sync (a checkpoint that does not verify), one line each.
    public var problems: [String] = []
    /// Parts of unfinished uploads (an earlier sync cut short) found on the remote and not sent again.
    public var resumedParts = 0
    /// Blobs not fetched (`--metadata-only`).
    public var blobsLeft = 0
    /// The number of events both hold afterwards.
    public var shared: Int64 = 0
    /// Checkpoints (signed notes over the shared log) sent, and received with signatures this vault lacked.
    public var checkpointsSent = 0
    public var checkpointsReceived = 0
    /// Why the remote does not keep the Object Lock retention asked of it (nil: it does, or none was asked).
    public var retentionProblem: String?
    /// Collectors' events placed in the log from the remote's inbox by this sync (`sequenceInbox`).
    public var sequenced = 0
    /// Inbox objects left for a member who syncs with an identity (`-i`) to place.
    public var inboxWaiting = 0
    public init() {}
}

/// Why a sync stopped without changing anything: the remote contradicts what this client saw or holds
/// something that does not verify (`refused`, exit 3), or this client's pending events cannot be written
/// again after another client's (`conflict`, exit 3: they stay here, unsent).
public enum SyncError: Error, CustomStringConvertible, Equatable {
    case refused(String)
    case conflict(String)
    public var description: String {
        switch self {
        case let .refused(why): return "sync refused: \(why); nothing was changed"
        case let .conflict(why): return "sync stopped: \(why); this vault's unsent events stay here, nothing was changed"
        }
    }
}

/// Shares one vault through a remote (`RemoteStore`): an S3 bucket or a folder holding `vault.json` (the
/// genesis), `log/<first position>` (`RemoteLogSegment`: consecutive positions, created only when absent) and
/// `blobs/<id>` (sealed originals, as they are in the vault folder).
///
/// Ordering without a server: an event goes to the next free position by conditional create. A client that
/// loses the race receives the events placed first, takes its own unsent events back, applies the others'
/// (each checked: signature by a member at its governance position, chain link, governance entries by a
/// quorum, entry hash and scope, every row as the entry says) and writes its own again after them, re-signed
/// at their new positions (`rebase`), in one transaction. Events a remote holds are never rewritten.
///
/// The remote is not trusted: this client remembers how many events it shares with each remote and the newest
/// one's leaf hash (`RemoteSyncRow`); a remote with fewer events, a gap, or another event at a shared position
/// is refused (rolled back, deleted, rewritten or forked), and so is anything received that does not verify.
public final class SyncEngine {
    public let vault: Vault
    public let remoteName: String
    public let store: any RemoteStore
    /// The identity of the member with this key id (hex), to sign their unsent events again when they must
    /// move (asked only then; nil when this client cannot sign for them).
    public let identity: (String) throws -> IdentityBox?
    /// Fetch no blobs (entries and their keys only).
    public let metadataOnly: Bool
    /// Told what is happening, in words (shown with `-v`).
    public var progress: (String) -> Void = { _ in }
    /// Told how far a phase is: its label (`receiving`, `sending`), its unit (`events`, `blobs`), how many are
    /// done and how many in all, for a progress line. Called from several threads while blobs move.
    public var steps: @Sendable (_ label: String, _ unit: String, _ done: Int, _ total: Int) -> Void = { _, _, _, _ in }
    /// How many times a lost race is retried before giving up.
    public var attempts = 8
    /// The member who places collectors' inbox objects in the log (the identity the sync runs with); nil
    /// (or returning nil): inbox objects are counted and left.
    public var sequencer: (() throws -> IdentityBox?)?

    public init(vault: Vault, remoteName: String, store: any RemoteStore, identity: @escaping (String) throws -> IdentityBox?, metadataOnly: Bool) {
        self.vault = vault; self.remoteName = remoteName; self.store = store; self.identity = identity; self.metadataOnly = metadataOnly
    }

    static let genesisKey = "vault.json"
    static let objectLimit = 64 << 20

    /// Sends what the remote lacks and receives what this vault lacks, checking everything received.
    /// - Throws: `SyncError.refused` when the remote contradicts this client or holds what does not verify;
    ///   `SyncError.conflict` when pending events cannot be written after another client's; `RemoteError`;
    ///   database errors. Nothing half done stays: each received batch commits whole or not at all.
    public func run() throws -> SyncReport {
        var report = SyncReport()
        try checkGenesis()
        var placed = false
        var inboxLooked = false
        for _ in 0..<max(1, attempts) {
            let state = try remoteState()
            try receive(state, into: &report)
            if !inboxLooked {
                inboxLooked = true
                if let sequencer = try sequencer?() { try sequenceInbox(as: sequencer, into: &report) } else { report.inboxWaiting = try pendingInbox().count }
                FaultInjection.point("sync.inbox-placed")
            }
            if try send(into: &report) { placed = true; break }
        }
        guard placed else {
            throw SyncError.conflict("another client took the next log position each of \(attempts) times, or the remote answered a create with an object its listing did not show; sync again")
        }
        try recordTags()
        try syncCheckpoints(into: &report)
        try vault.database.queue.read { db in try RemoteSyncRow.find(remote: remoteName, db) }.map { row in
            try vault.rememberRemote(remoteName, shared: Int(row.shared), leafHash: Array(row.leafHash))
        }
        if !metadataOnly { try fetchMissingBlobs(into: &report) }
        report.shared = try vault.database.queue.read { db in try RemoteSyncRow.find(remote: remoteName, db)?.shared ?? 0 }
        report.resumedParts = store.resumedParts
        return report
    }

    // MARK: the remote's genesis

    /// Places this vault's genesis on an empty remote, or checks that the remote holds this vault.
    func checkGenesis() throws {
        let local = try DurableFile.readAll(vault.paths.genesis, limit: 1 << 20)
        if let remote = try store.get(Self.genesisKey, limit: 1 << 20) {
            let genesis: Genesis
            do { genesis = try Genesis(fileContents: remote) } catch {
                throw SyncError.refused("the remote \(store.label) holds a vault.json that is not an Amanah genesis (\(error))")
            }
            guard genesis.vaultID == vault.vaultID else {
                throw SyncError.refused("the remote \(store.label) holds another vault (\(Hex.encode(genesis.vaultID))), not \(vault.vaultIDHex)")
            }
            return
        }
        if try !store.create(Self.genesisKey, bytes: local) {
            // Another client placed one meanwhile: check it.
            try checkGenesis()
        }
    }

    // MARK: what the remote holds

    struct RemoteState {
        /// The number of positions the remote holds (1…count, checked gap-free).
        var count: Int64
        /// The segments' first positions, ascending, and the tag of each.
        var starts: [Int64]
        var tags: [Int64: String]

        /// SHA-256 over "first position:tag\n" of the segments that start at or below `size`.
        func digest(upTo size: Int64) -> [UInt8] {
            var text = ""
            for start in starts where start <= size { text += "\(start):\(tags[start] ?? "")\n" }
            return SHA256Digest.hash(Array(text.utf8))
        }
    }

    /// Segments read in this run, by first position (each read once).
    private var segments: [Int64: RemoteLogSegment] = [:]
    /// The segments' first positions as last listed.
    private var starts: [Int64] = []

    /// Lists the remote's log, reads the segments beyond what this client shares with it (checking that each
    /// starts where the one before ends), and checks the remote against what this client remembers of it.
    func remoteState() throws -> RemoteState {
        let remembered = try vault.database.queue.read { db in try RemoteSyncRow.find(remote: remoteName, db) }
        let listed = try store.list("log/", startAfter: nil)
        var tags: [Int64: String] = [:]
        for (key, tag) in listed {
            guard let start = RemoteLogObject.sequence(ofKey: key) else { continue }
            tags[start] = tag
        }
        starts = tags.keys.sorted()
        segments = segments.filter { tags[$0.key] != nil }
        var state = RemoteState(count: 0, starts: starts, tags: tags)
        // Where the log ends: from the segment holding what this client shares on, each segment must start
        // where the one before ends.
        if let first = starts.first, first != 1 {
            throw SyncError.refused("the remote \(store.label) has a gap in its log at position 1 (an entry was deleted or never completed)")
        }
        let known = max(remembered?.shared ?? 0, Int64(try vault.rememberedRemote(remoteName)?.shared ?? 0))
        var index = max(0, (starts.lastIndex { $0 <= max(known, 1) }) ?? 0)
        var end: Int64 = starts.isEmpty ? 0 : starts[index] - 1
        while index < starts.count {
            guard starts[index] == end + 1 else {
                throw SyncError.refused("the remote \(store.label) has a gap or an overlap in its log at position \(end + 1) (an entry was deleted, or placed over another)")
            }
            end += Int64(try segment(starting: starts[index]).objects.count)
            // Only the first few segments stay in memory (a clone walks all of them); later ones are read again
            // when their positions are received, so memory stays bounded by the log's length.
            if segments.count > 8 { segments[starts[index]] = nil }
            index += 1
        }
        state.count = end
        // The client state's memory, which a writer of the vault folder cannot change, first.
        if let memory = try vault.rememberedRemote(remoteName), memory.shared > 0 {
            guard state.count >= Int64(memory.shared) else {
                throw SyncError.refused("the remote \(store.label) holds \(state.count) log positions, but this client shared \(memory.shared) with it before (the remote was rolled back)")
            }
            let object = try fetch(Int64(memory.shared))
            guard Hex.encode(MerkleHash.leaf(AuditEvent.merkleLeaf(stored: object.storedLeaf))) == memory.leafHash else {
                throw SyncError.refused("the remote \(store.label) holds another event at log position \(memory.shared) than the one this client shared with it (an entry was rewritten, or the remote forked)")
            }
        }
        if let remembered, remembered.shared > 0 {
            guard state.count >= remembered.shared else {
                throw SyncError.refused("the remote \(store.label) holds \(state.count) log positions, but this client shared \(remembered.shared) with it before (the remote was rolled back)")
            }
            let object = try fetch(remembered.shared)
            guard MerkleHash.leaf(AuditEvent.merkleLeaf(stored: object.storedLeaf)) == Array(remembered.leafHash) else {
                throw SyncError.refused("the remote \(store.label) holds another event at log position \(remembered.shared) than the one this client shared with it (an entry was rewritten, or the remote forked)")
            }
        }
        if let remembered, remembered.tagDigestSize > 0, Data(state.digest(upTo: remembered.tagDigestSize)) != remembered.tagDigest {
            throw SyncError.refused("an object among log positions 1…\(remembered.tagDigestSize) on \(store.label), which this client shared with it before, was rewritten or deleted (the remote's listing of them changed)")
        }
        return state
    }

    /// Records the remote's tags of the segments this vault shares with it (after a sync), so that the next
    /// sync sees any of them rewritten or deleted.
    func recordTags() throws {
        let state = try remoteState()
        try vault.database.write { db in
            guard var row = try RemoteSyncRow.find(remote: remoteName, db) else { return }
            let size = min(row.shared, state.count)
            row.tagDigest = Data(state.digest(upTo: size))
            row.tagDigestSize = size
            try row.save(db)
        }
    }

    /// The segment starting at `start`, read once per run.
    func segment(starting start: Int64) throws -> RemoteLogSegment {
        if let cached = segments[start] { return cached }
        guard let bytes = try store.get(RemoteLogObject.key(start), limit: Self.objectLimit) else {
            throw SyncError.refused("the remote \(store.label) lost the log segment at position \(start) while it was read")
        }
        let parsed: RemoteLogSegment
        do { parsed = try RemoteLogSegment(encoding: bytes) } catch {
            throw SyncError.refused("the log segment at position \(start) on \(store.label) does not parse: \(error)")
        }
        segments[start] = parsed
        return parsed
    }

    /// The remote's object at `position`, from the segment that holds it (as last listed).
    func fetch(_ position: Int64) throws -> RemoteLogObject {
        guard let start = starts.last(where: { $0 <= position }) else {
            throw SyncError.refused("the remote \(store.label) holds no log position \(position)")
        }
        let found = try segment(starting: start)
        let index = Int(position - start)
        guard index < found.objects.count else { throw SyncError.refused("the remote \(store.label) holds no log position \(position)") }
        return found.objects[index]
    }

    // MARK: receiving

    /// Receives every position beyond what this vault holds in common with the remote; rebases this vault's
    /// unsent events after them when there are any.
    func receive(_ remote: RemoteState, into report: inout SyncReport) throws {
        var shared = try vault.database.queue.read { db in try RemoteSyncRow.find(remote: remoteName, db)?.shared ?? 0 }
        let localSize = Int64(try vault.database.queue.read { db in try AuditLog.head(db).size })
        // Positions this client sent before without recording it (a sync cut short) are shared already.
        var pendingObjects: [Int64: RemoteLogObject] = [:]
        while shared < min(localSize, remote.count) {
            let object = try fetch(shared + 1)
            let local = try vault.database.queue.read { db in try AuditEventRow.fetchOne(db, key: shared + 1) }
            guard let local, Array(local.leaf) == object.storedLeaf else { pendingObjects[shared + 1] = object; break }
            shared += 1
            try record(shared: shared, leafHash: Array(local.leafHash))
        }
        guard remote.count > shared else { return }
        guard shared <= localSize else {
            throw SyncError.refused("the remote \(store.label) is ahead of a position this vault lacks")
        }
        // Every client's log starts with this vault's creation: a remote whose first position is another is not
        // this vault's log (forged, or another history).
        if shared == 0 && localSize > 0 {
            throw SyncError.refused("log position 1 on \(store.label) is not this vault's first event: the remote holds another history")
        }
        let pending = localSize - shared
        if pending > 0 {
            var objects: [(Int64, RemoteLogObject)] = []
            for position in (shared + 1)...remote.count {
                if position % 200 == 0 { progress("receiving log position \(position) of \(remote.count)") }
                objects.append((position, try pendingObjects[position] ?? fetch(position)))
                steps("receiving", "events", Int(position - shared), Int(remote.count - shared))
            }
            try rebase(from: shared, receiving: objects, into: &report)
            report.received += objects.count
            try vault.adoptSyncedState(movedAbove: Int(shared))
            return
        } else {
            // In batches (at most 512 positions or 64 MiB each), each checked and committed whole: memory stays
            // bounded however long the remote's log, and a sync cut short keeps what it committed.
            var next = shared + 1
            let start = shared
            while next <= remote.count {
                var batch: [(Int64, RemoteLogObject)] = []
                var bytes = 0
                while next <= remote.count && batch.count < 512 && bytes < Self.objectLimit {
                    let object = try pendingObjects.removeValue(forKey: next) ?? fetch(next)
                    bytes += object.storedLeaf.count + (object.entry?.count ?? 0) + object.values.reduce(0) { $0 + $1.count }
                    batch.append((next, object))
                    next += 1
                }
                progress("receiving log positions \(batch.first!.0)…\(batch.last!.0) of \(remote.count)")
                steps("receiving", "events", Int(batch.last!.0 - start), Int(remote.count - start))
                try vault.database.write { db in
                    var verifier = try Verifier(vault: vault, db: db)
                    for (position, object) in batch { try verifier.apply(object, at: position, db) }
                    var row = try RemoteSyncRow.find(remote: remoteName, db) ?? RemoteSyncRow(remote: remoteName, shared: 0, leafHash: Data())
                    row.shared = batch.last!.0
                    row.leafHash = Data(try AuditLog.head(db).leafHash)
                    try row.save(db)
                }
                report.received += batch.count
                // Segments wholly behind are not needed again.
                segments = segments.filter { $0.key + Int64($0.value.objects.count) > next }
            }
        }
        try vault.adoptSyncedState()
    }

    func record(shared: Int64, leafHash: [UInt8]) throws {
        try vault.database.write { db in
            var row = try RemoteSyncRow.find(remote: remoteName, db) ?? RemoteSyncRow(remote: remoteName, shared: 0, leafHash: Data())
            row.shared = shared
            row.leafHash = Data(leafHash)
            try row.save(db)
        }
    }

    // MARK: sending

    /// Sends every local event beyond what the remote holds, blobs first. Returns false when another client
    /// took a position first (the caller receives and tries again).
    func send(into report: inout SyncReport) throws -> Bool {
        var shared = try vault.database.queue.read { db in try RemoteSyncRow.find(remote: remoteName, db)?.shared ?? 0 }
        let localSize = Int64(try vault.database.queue.read { db in try AuditLog.head(db).size })
        // The blobs first, several at a time: an entry never reaches the remote before the blobs it names. The
        // positions' objects are built in the same pass and kept for the segments (up to 64 MiB of them; any
        // beyond are built again when their segment goes).
        var built: [Int64: RemoteLogObject] = [:]
        if shared < localSize {
            var blobs: [(id: String, size: Int64)] = []
            var kept = 0
            try vault.database.queue.read { db in
                for position in (shared + 1)...localSize {
                    let (object, named) = try Self.object(at: position, db)
                    blobs += named
                    let size = object.storedLeaf.count + (object.entry?.count ?? 0) + object.values.reduce(0) { $0 + $1.count }
                    if kept + size <= Self.objectLimit { built[position] = object; kept += size }
                }
            }
            try sendBlobs(blobs, into: &report)
        }
        // The unsent events go in segments, each created only when its first position is still free.
        let start = shared
        while shared < localSize {
            var objects: [RemoteLogObject] = []
            var bytes = 0
            while shared + Int64(objects.count) < localSize && objects.count < RemoteLogSegment.maxEvents && bytes < RemoteLogSegment.maxBytes {
                let position = shared + Int64(objects.count) + 1
                let object = try built.removeValue(forKey: position) ?? vault.database.queue.read { db in try Self.object(at: position, db).0 }
                bytes += object.storedLeaf.count + (object.entry?.count ?? 0) + object.values.reduce(0) { $0 + $1.count }
                objects.append(object)
            }
            let first = shared + 1
            progress("sending log positions \(first)…\(shared + Int64(objects.count)) of \(localSize)")
            let key = RemoteLogObject.key(first)
            var placed = objects.count
            if try store.create(key, bytes: RemoteLogSegment(objects: objects).encoding) {
                if report.sent == 0 { report.retentionProblem = try store.retentionProblem(key) }
                report.sent += objects.count
            } else {
                // Taken: by this client before (a sync cut short), or by another (a lost race).
                starts = Array(Set(starts + [first])).sorted()
                segments[first] = nil
                let there = try segment(starting: first)
                placed = zip(there.objects, objects).prefix { $0.storedLeaf == $1.storedLeaf }.count
                guard placed > 0, placed == min(there.objects.count, objects.count) else { return false }
                if there.objects.count > objects.count { return false }   // ours, and more than this client holds: receive it
            }
            shared += Int64(placed)
            try record(shared: shared, leafHash: MerkleHash.leaf(AuditEvent.merkleLeaf(stored: objects[placed - 1].storedLeaf)))
            steps("sending", "events", Int(shared - start), Int(localSize - start))
        }
        return true
    }

    /// The remote object of local event `position` and the blob ids its entry brings in.
    static func object(at position: Int64, _ db: Database) throws -> (RemoteLogObject, [(id: String, size: Int64)]) {
        guard let row = try AuditEventRow.fetchOne(db, key: position) else { throw VaultError.integrity("audit event \(position) is missing") }
        let leaf = Array(row.leaf)
        let event = try AuditEvent(leaf: leaf)
        let previous = position > 1 ? try AuditEventRow.fetchOne(db, key: position - 1).flatMap { try? AuditEvent(leaf: Array($0.leaf)) } : nil
        var entryBody: [UInt8]?
        var values: [[UInt8]] = []
        var blobs: [(String, Int64)] = []
        if event.entry != nil, let stored = try EntryRow.find(event: position, db) {
            entryBody = Array(stored.body)
            let entry = try IndexEntry(encoding: Array(stored.body), detachedValue: { try EntryValueRow.value(hash: $0, db) })
            for change in entry.changes {
                for column in change.columns ?? [] { if case let .detached(_, value?) = column.value { values.append(value) } }
                if change.table == "item", let columns = change.columns,
                   case let .text(id)? = columns.first(where: { $0.name == "blobID" })?.value,
                   case let .integer(size)? = columns.first(where: { $0.name == "sealedSize" })?.value {
                    blobs.append((String(decoding: id, as: UTF8.self), size))
                }
            }
        }
        var governance: [(Int64, [UInt8])] = []
        if let position = event.governance {
            let from = Int64(previous?.governance?.length ?? 0)
            if Int64(position.length) > from {
                for seq in (from + 1)...Int64(position.length) {
                    guard let row = try GovernanceRow.find(seq: seq, db) else { throw VaultError.integrity("governance entry \(seq) is missing") }
                    governance.append((seq, Array(row.body)))
                }
            }
        }
        let authored = try AuthoredEventRow.find(event: position, db).map {
            RemoteLogObject.Authored(submission: $0.submission, storedLeaf: Array($0.leaf), entry: $0.entry.map(Array.init))
        }
        return (RemoteLogObject(storedLeaf: leaf, entry: entryBody, values: values, governance: governance, authored: authored), blobs)
    }

    /// Sends the blobs the remote lacks: up to eight at a time while each is at most 8 MiB (a small blob is
    /// read whole), the larger ones one after another (sent in parts), so memory stays bounded.
    func sendBlobs(_ blobs: [(id: String, size: Int64)], under prefix: String = "blobs/", into report: inout SyncReport) throws {
        for blob in blobs where !BlobStore.isValidID(blob.id) { throw VaultError.integrity("an item names a malformed blob id \(blob.id)") }
        // Not held here (a metadata-only clone): whoever holds it sends it.
        let held = blobs.filter { DurableFile.exists(vault.blobs.path(of: $0.id)) }
        let tally = Tally()
        let send: ((id: String, size: Int64)) throws -> Void = { [store, vault] blob in
            if try store.upload(prefix + blob.id, path: vault.blobs.path(of: blob.id), size: blob.size) { tally.add(blob.size) }
        }
        // Blobs up to 8 MiB in batches, each read whole: eight at a time up to 1 MiB, four above (memory stays
        // bounded by what is in flight).
        var done = 0
        for (sizes, concurrency) in [(Int64(0)...(1 << 20), 8), (Int64(1 << 20 + 1)...(8 << 20), 4)] {
            let small = held.filter { sizes.contains($0.size) }
            for start in stride(from: 0, to: small.count, by: 512) {
                let batch = Array(small[start..<min(start + 512, small.count)])
                let created = try store.uploadMany(batch.map { (prefix + $0.id, vault.blobs.path(of: $0.id), $0.size) }, concurrency: concurrency)
                for (blob, made) in zip(batch, created) where made { tally.add(blob.size) }
                if small.count > 512 { progress("sent \(min(start + 512, small.count)) of \(small.count) blobs") }
                done += batch.count
                steps("sending", "blobs", done, held.count)
            }
        }
        for blob in held where blob.size > 8 << 20 {
            progress("sending blob \(blob.id) (\(blob.size) bytes)")
            try send(blob)
            done += 1
            steps("sending", "blobs", done, held.count)
        }
        report.blobsSent += tally.count
        report.bytesSent += tally.bytes
    }

    /// Runs `body` on every element, `workers` at a time; the first error is thrown once all have stopped
    /// (no new element is started after an error).
    static func inParallel<T>(_ items: [T], workers: Int, _ body: (T) throws -> Void) throws {
        guard !items.isEmpty else { return }
        let state = ParallelState()
        withoutActuallyEscaping(body) { body in
            // The transfers share only thread-safe things (the store, the blob store, a tally).
            nonisolated(unsafe) let body = body
            nonisolated(unsafe) let items = items
            DispatchQueue.concurrentPerform(iterations: min(workers, items.count)) { _ in
                while let index = state.take(below: items.count) {
                    do { try body(items[index]) } catch { state.fail(error) }
                }
            }
        }
        if let failure = state.failure { throw failure }
    }

    /// The next element to start and the first error of `inParallel`.
    final class ParallelState: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private var error: (any Error)?
        var failure: (any Error)? { lock.withLock { error } }
        func take(below count: Int) -> Int? {
            lock.withLock {
                guard error == nil, next < count else { return nil }
                defer { next += 1 }
                return next
            }
        }
        func fail(_ failure: any Error) { lock.withLock { if error == nil { error = failure } } }
    }

    /// Counts what concurrent transfers moved.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var count = 0
        private(set) var bytes: Int64 = 0
        /// Counts one more of `size` bytes; returns the new count.
        @discardableResult func add(_ size: Int64) -> Int { lock.withLock { count += 1; bytes += size; return count } }
    }

    // MARK: checkpoints

    /// The key of a checkpoint's note: `checkpoints/<size, 16 digits>-<root hex>-<SHA-256 of the note, hex>`, so
    /// that each set of signatures is an object of its own and cosignatures gathered on several machines meet.
    static func checkpointKey(size: Int64, root: [UInt8], note: String) -> String {
        let digits = String(size)
        return "checkpoints/" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits + "-" + Hex.encode(root) + "-"
            + Hex.encode(SHA256Digest.hash(Array(note.utf8)))
    }

    /// Sends every stored checkpoint over events the remote holds, and merges every checkpoint on the remote
    /// that verifies against this log (a cosignature made on another machine arrives this way).
    func syncCheckpoints(into report: inout SyncReport) throws {
        let shared = try vault.database.queue.read { db in try RemoteSyncRow.find(remote: remoteName, db)?.shared ?? 0 }
        let rows = try vault.database.queue.read { db in try CheckpointRow.bySizeAndRoot(db) }
        var held = Set<String>()
        for row in rows where row.size <= shared {
            let key = Self.checkpointKey(size: row.size, root: Array(row.rootHash), note: row.note)
            held.insert(key)
            if try store.create(key, bytes: Array(row.note.utf8)) { report.checkpointsSent += 1 }
        }
        for (key, _) in try store.list("checkpoints/", startAfter: nil) where !held.contains(key) {
            guard let note = try store.get(key, limit: 1 << 20) else { continue }
            do {
                if try vault.mergeReceivedCheckpoint(note) { report.checkpointsReceived += 1 }
            } catch let error as VaultError {
                // Kept out and reported, not a refusal of the sync: an object no one may delete (Object Lock)
                // must not stop the team for good. A false checkpoint signed by a known key is evidence.
                report.problems.append("\(key) on \(store.label) was not taken: \(error)")
            }
        }
    }

    // MARK: blobs

    /// Fetches every blob an item names that this folder lacks; a blob whose size is not the one its signed
    /// item row records is refused.
    func fetchMissingBlobs(into report: inout SyncReport) throws {
        let missing = try vault.database.queue.read { db in try ItemRow.fetchAll(db) }
            .filter { BlobStore.isValidID($0.blobID) && !DurableFile.exists(vault.blobs.path(of: $0.blobID)) }
        let received = Tally(), left = Tally(), finished = Tally()
        let steps = self.steps, total = missing.count
        let receive: (ItemRow) throws -> Void = { item in
            if let size = try self.receiveBlob(of: item) { received.add(size) } else { left.add(0) }
            steps("receiving", "blobs", finished.add(0), total)
        }
        if !missing.isEmpty { progress("receiving \(missing.count) blob\(missing.count == 1 ? "" : "s")") }
        // Received streaming: four at a time whatever their size.
        try Self.inParallel(missing, workers: 4, receive)
        report.blobsReceived += received.count
        report.bytesReceived += received.bytes
        report.blobsLeft += left.count
    }

    /// Fetches the blob `id` that an item of this vault names, checked as `fetchMissingBlobs` checks it;
    /// false when no item names it or the remote lacks it.
    /// - Throws: `SyncError.refused` for a blob of another size than its signed row says; `RemoteError`.
    public func fetchBlob(id: String) throws -> Bool {
        guard let item = try vault.database.queue.read({ db in try ItemRow.fetchAll(db) }).first(where: { $0.blobID == id }) else { return false }
        return try receiveBlob(of: item) != nil
    }

    /// Fetches and stores the blob of `item` when its size is the one its signed row records; returns the
    /// size, nil when the remote lacks it.
    /// - Throws: `SyncError.refused` for a blob of another size (nothing is stored); `RemoteError`.
    func receiveBlob(of item: ItemRow, under prefix: String = "blobs/") throws -> Int64? {
        func refuse(_ size: String) -> SyncError {
            .refused("the blob of item \(item.id) on \(store.label) is \(size), but its signed row says \(item.sealedSize) bytes (a swapped or damaged blob; it was not stored)")
        }
        struct Absent: Error {}
        do {
            let size = try vault.blobs.write(id: item.blobID) { handle in
                guard let size = try store.download(prefix + item.blobID, limit: item.sealedSize, into: handle) else { throw Absent() }
                guard size == item.sealedSize else { throw refuse("\(size) bytes") }
            }
            return Int64(size)
        } catch is Absent {
            return nil
        } catch RemoteError.tooLarge {
            throw refuse("larger")
        }
    }

    // MARK: rebasing

    /// Takes back this vault's events above `shared` (none of them on any remote), applies `objects`, and
    /// writes the taken events again after them, signed anew, in one transaction.
    func rebase(from shared: Int64, receiving objects: [(Int64, RemoteLogObject)], into report: inout SyncReport) throws {
        // Events any remote holds are never taken back, as the client state remembers them too.
        if let remembered = try ClientState.load(vaultID: vault.vaultID)?.remotes?.first(where: { $0.value.shared > Int(shared) }) {
            throw SyncError.conflict("a remote (\(remembered.key)) held this vault's events up to \(remembered.value.shared) when this client last synced with it, which this remote contradicts from position \(shared + 1)")
        }
        let others = try vault.database.queue.read { db in try RemoteSyncRow.all(db) }
        if let other = others.first(where: { $0.remote != remoteName && $0.shared > shared }) {
            throw SyncError.conflict("remote \(other.remote) holds this vault's events up to \(other.shared) already, which remote \(remoteName) contradicts from position \(shared + 1): the two remotes hold different logs")
        }
        // The writers of the unsent events, each of whom signs their events again.
        var signers: [String: IdentityBox] = [:]
        let writers = try vault.database.queue.read { db -> [(Int64, String, String)] in
            let size = Int64(try AuditLog.head(db).size)
            guard size > shared else { return [] }
            return try ((shared + 1)...size).map { position in
                guard let row = try AuditEventRow.fetchOne(db, key: position) else { throw VaultError.integrity("audit event \(position) is missing") }
                let event = try AuditEvent(leaf: Array(row.leaf))
                return (position, Hex.encode(event.actor), event.action)
            }
        }
        for (position, writer, action) in writers where signers[writer] == nil {
            guard let box = try identity(writer) else {
                throw SyncError.conflict("another client placed events first, and this vault's unsent event \(position) (\(action)) must be signed again at a new position by its writer \(writer): run sync with -i their key (or with an agent that holds it)")
            }
            signers[writer] = box
        }
        var rebased = 0
        try vault.database.write { db in
            guard let recorder = vault.database.entries else { throw VaultError.failed("the database records no entries") }
            let localSize = Int64(try AuditLog.head(db).size)
            // What this vault wrote above `shared`.
            var taken: [(event: AuditEvent, entry: IndexEntry?)] = []
            let chainAtShared: Int64
            if shared == 0 { chainAtShared = 0 } else {
                let event = try AuditEventRow.fetchOne(db, key: shared).map { try AuditEvent(leaf: Array($0.leaf)) }
                chainAtShared = Int64(event?.governance?.length ?? 0)
            }
            let chainNow = try GovernanceRow.newestPosition(db)?.seq ?? 0
            guard chainNow == chainAtShared else {
                throw SyncError.conflict("this vault applied a governance operation that no remote holds yet, while another client placed events first: the operation was approved against a governance state that has moved on; propose it again after this sync")
            }
            if let largest = try CheckpointRow.largestSize(db), largest > shared {
                throw SyncError.conflict("this vault holds a checkpoint over events (up to \(largest)) that must move to new positions; sync before making checkpoints")
            }
            var authoredRows: [Int: AuthoredEventRow] = [:]   // events this client placed from an inbox, by index in `taken`
            for position in (shared + 1)...localSize {
                guard let row = try AuditEventRow.fetchOne(db, key: position) else { throw VaultError.integrity("audit event \(position) is missing") }
                let event = try AuditEvent(leaf: Array(row.leaf))
                var entry: IndexEntry?
                if event.entry != nil, let body = try EntryRow.find(event: position, db) {
                    entry = try IndexEntry(encoding: Array(body.body), detachedValue: { try EntryValueRow.value(hash: $0, db) })
                }
                if let authored = try AuthoredEventRow.find(event: position, db) { authoredRows[taken.count] = authored }
                taken.append((event, entry))
            }
            // The state at `shared` of every row the taken entries touched.
            let touched = Set(taken.flatMap { $0.entry?.changes.map { RowKey(table: $0.table, rowID: $0.rowID) } ?? [] })
            let base = try Self.rows(atSize: shared, of: touched, db)
            // Back to `shared`.
            try LogRewind.rewind(toSize: shared, governanceLength: chainAtShared, db)
            for (key, columns) in base {
                if let columns = columns { try IndexEntry.write(columns, to: key.table, rowID: key.rowID, db) } else { try IndexEntry.delete(from: key.table, rowID: key.rowID, db) }
            }
            _ = try recorder.takeEntry(db, vaultID: vault.vaultID)   // the restoration is no change of the log's
            // The others' events.
            var verifier = try Verifier(vault: vault, db: db)
            guard let before = verifier.history.last else { throw SyncError.refused("the vault's genesis state cannot be read") }
            for (position, object) in objects { try verifier.apply(object, at: position, db) }
            guard let after = verifier.history.last else { throw SyncError.refused("the vault's genesis state cannot be read") }
            // Ours again, re-checked against the new governance state.
            var reapplier = Reapplier(old: base)
            for (index, (event, entry)) in taken.enumerated() {
                // A collector's event this client placed, which another member placed first: it is there already.
                if let authored = authoredRows[index], try AuthoredEventRow.placed(leafHash: Array(authored.leafHash), db) {
                    try reapplier.passOver(entry, db)   // its rows are where the other member placed them
                    continue
                }
                let (commitments, replaced) = try reapplier.reapply(event, entry, before: before, after: after, db)
                let policyHash = after.policyHash.isEmpty ? nil : after.policyHash
                guard let signer = signers[Hex.encode(event.actor)] else { throw VaultError.failed("no identity to sign event \(event.sequence) again") }
                let appended = try AuditLog.append(db, vaultID: vault.vaultID, actor: signer, action: event.action, objects: event.objects,
                                                   commitments: commitments, policyHash: policyHash, entries: recorder, time: event.time)
                try verifier.checkOwn(appended, replaced: replaced, db)
                if let authored = authoredRows[index] {
                    // A collector's event this client placed: it moves with its placing event, checked again.
                    let (object, _) = try Self.object(at: Int64(appended.sequence), db)
                    try verifier.checkAuthored(RemoteLogObject.Authored(submission: authored.submission, storedLeaf: Array(authored.leaf),
                                                                        entry: authored.entry.map(Array.init)),
                                               placed: appended, object: object, at: Int64(appended.sequence),
                                               existing: { table, rowID in replaced[RowKey(table: table, rowID: rowID)] }, db)
                }
                rebased += 1
            }
            let received = objects.last?.0 ?? shared
            var row = try RemoteSyncRow.find(remote: remoteName, db) ?? RemoteSyncRow(remote: remoteName, shared: 0, leafHash: Data())
            row.shared = received
            row.leafHash = try AuditEventRow.fetchOne(db, key: received)?.leafHash ?? Data(repeating: 0, count: 32)
            try row.save(db)
        }
        report.rebased += rebased
    }

    struct RowKey: Hashable { var table: String; var rowID: Int64 }

    /// The columns each row in `keys` had when the log held `size` events (nil: absent then), from the
    /// entries of events up to `size`, newest first.
    static func rows(atSize size: Int64, of keys: Set<RowKey>, _ db: Database) throws -> [RowKey: [IndexEntry.Column]?] {
        var found: [RowKey: [IndexEntry.Column]?] = [:]
        var unresolved = keys
        let cursor = try EntryRow.newestFirst(below: size + 1, db)
        while !unresolved.isEmpty, let row = try cursor.next() {
            let entry = try IndexEntry(encoding: Array(row.body), detachedValue: { try EntryValueRow.value(hash: $0, db) })
            for change in entry.changes {
                let key = RowKey(table: change.table, rowID: change.rowID)
                if unresolved.remove(key) != nil { found[key] = .some(change.columns) }
            }
            if entry.snapshot { break }
        }
        for key in unresolved { found[key] = .some(nil) }
        return found
    }

    /// Writes events' rows again at the head of the log, each as its entry wrote it where the log then stood
    /// (`old`, by the row ids of that log): a new row by its natural key (refused when another client added
    /// that row first), a changed or deleted row only when no one else changed it since. An item whose case
    /// sequence another machine took first gets the next number of its case, and its ingest event's binding
    /// commitment is made again for the new one.
    struct Reapplier {
        /// Each row as the events written again so far left it, by the row ids of the log they were made on.
        var old: [RowKey: [IndexEntry.Column]?]
        /// Where rows added by those events were written again (their new row ids).
        var moved: [RowKey: Int64] = [:]
        /// Items whose sequence in their case moved.
        var renumbered: [RowKey: Int64] = [:]

        init(old: [RowKey: [IndexEntry.Column]?]) { self.old = old }

        /// The row id `moved` gives a row that was placed and deleted since: no row has it.
        static let gone: Int64 = -1

        /// Writes `entry`'s rows again (in the caller's transaction); returns the commitments the event is
        /// written with again and the rows it overwrote or deleted as they stood before (by new row id).
        /// - Throws: `SyncError.conflict` naming the row; database errors.
        mutating func reapply(_ event: AuditEvent, _ entry: IndexEntry?, before: GovernanceState, after: GovernanceState,
                              _ db: Database) throws -> (commitments: [[UInt8]], replaced: [RowKey: [IndexEntry.Column]]) {
            var replaced: [RowKey: [IndexEntry.Column]] = [:]
            var commitments = event.commitments
            guard let entry else { return (commitments, replaced) }
            let sealing: Set<String> = ["recordKey", "recordField", "item", "keyWrap", "compartment", "vaultMeta"]
            if entry.changes.contains(where: { sealing.contains($0.table) }),
               let rotated = Compartment.allCases.first(where: { before.currentGeneration($0) != after.currentGeneration($0) }) {
                throw SyncError.conflict("the \(rotated.rawValue) compartment was rotated on another machine, and the unsent \(event.action) sealed keys to its old generation; they cannot be moved after it")
            }
            for change in entry.changes {
                let key = RowKey(table: change.table, rowID: change.rowID)
                let previous = old[key] ?? nil
                let target = moved[key] ?? (previous == nil ? nil : change.rowID)
                let current = try target.flatMap { try IndexEntry.rows(of: change.table, rowIDs: [$0], db)[$0] }
                func clash() -> SyncError {
                    .conflict("the unsent \(event.action) (objects \(event.objects.prefix(3).joined(separator: ", "))) changes a row of \(change.table) that another client changed first")
                }
                if let target, let current { replaced[RowKey(table: change.table, rowID: target)] = current }
                if var columns = change.columns {
                    if let sequence = renumbered[key] { columns = SyncEngine.setting("sequence", to: .integer(sequence), in: columns) }
                    if previous == nil {
                        if try IndexEntry.rowID(in: change.table, matching: columns, db) != nil {
                            throw SyncError.conflict("the unsent \(event.action) (objects \(event.objects.prefix(3).joined(separator: ", "))) adds a row of \(change.table) that another client added first")
                        }
                        if change.table == "item", case let .text(caseBytes)? = columns.first(where: { $0.name == "caseID" })?.value,
                           case let .integer(sequence)? = columns.first(where: { $0.name == "sequence" })?.value,
                           case let .text(itemBytes)? = columns.first(where: { $0.name == "id" })?.value {
                            let caseID = String(decoding: caseBytes, as: UTF8.self), itemID = String(decoding: itemBytes, as: UTF8.self)
                            if try ItemRow.exists(caseID: caseID, sequence: sequence, db) {
                                let next = (try ItemRow.highestSequence(inCase: caseID, db) ?? 0) + 1
                                columns = SyncEngine.setting("sequence", to: .integer(next), in: columns)
                                renumbered[key] = next
                                if let source = SyncEngine.firstSource(of: itemID, in: entry) {
                                    let was = IndexBinding.ingestCommitment(itemID: itemID, caseID: caseID, sequence: sequence, sourceID: source)
                                    commitments = commitments.map { $0 == was ? IndexBinding.ingestCommitment(itemID: itemID, caseID: caseID, sequence: next, sourceID: source) : $0 }
                                }
                            }
                        }
                        moved[key] = try IndexEntry.write(columns, to: change.table, rowID: nil, db)
                    } else {
                        guard current.map({ SyncEngine.setting("sequence", to: .null, in: $0) }) == previous.map({ SyncEngine.setting("sequence", to: .null, in: $0) }),
                              renumbered[key] != nil || current == previous else { throw clash() }
                        try IndexEntry.write(columns, to: change.table, rowID: target, db)
                    }
                } else if previous != nil, let target {
                    if current == nil { continue }
                    guard current == previous else { throw clash() }
                    try IndexEntry.delete(from: change.table, rowID: target, db)
                }
                old[key] = .some(change.columns)
            }
            return (commitments, replaced)
        }

        /// Takes note of an event written again before (a collector's event placed from an earlier inbox
        /// object) without writing it: each row it added is found where it was placed, by its natural key,
        /// with the number its item was given there.
        /// - Throws: database errors.
        mutating func passOver(_ entry: IndexEntry?, _ db: Database) throws {
            for change in entry?.changes ?? [] {
                let key = RowKey(table: change.table, rowID: change.rowID)
                if (old[key] ?? nil) == nil, moved[key] == nil, let columns = change.columns {
                    // A row deleted since (a witness's identity shredded): only an event that changes it conflicts.
                    guard let rowID = try IndexEntry.rowID(in: change.table, matching: columns, db) else {
                        moved[key] = Self.gone
                        old[key] = .some(change.columns)
                        continue
                    }
                    moved[key] = rowID
                    if change.table == "item", let row = try IndexEntry.rows(of: "item", rowIDs: [rowID], db)[rowID],
                       case let .integer(now)? = row.first(where: { $0.name == "sequence" })?.value,
                       case let .integer(was)? = columns.first(where: { $0.name == "sequence" })?.value, now != was {
                        renumbered[key] = now
                    }
                }
                old[key] = .some(change.columns)
            }
        }
    }

    /// `columns` with column `name` set to `value` (when it has that column).
    static func setting(_ name: String, to value: IndexEntry.Value, in columns: [IndexEntry.Column]) -> [IndexEntry.Column] {
        columns.map { $0.name == name ? IndexEntry.Column(name: name, value: value) : $0 }
    }

    /// The source an entry links to `itemID` (its first, at ingest).
    static func firstSource(of itemID: String, in entry: IndexEntry) -> String? {
        for change in entry.changes where change.table == "itemSource" {
            guard let columns = change.columns, case let .text(item)? = columns.first(where: { $0.name == "itemID" })?.value,
                  String(decoding: item, as: UTF8.self) == itemID,
                  case let .text(source)? = columns.first(where: { $0.name == "sourceID" })?.value else { continue }
            return String(decoding: source, as: UTF8.self)
        }
        return nil
    }
}
