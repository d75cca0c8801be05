import VaultPlatform
internal import VaultText
import VaultPolicy
import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore
import VaultGovernance

/// The result of `amanah check`.
public struct CheckReport: Sendable {
    /// Problems found; empty means the vault is intact.
    public var problems: [String] = []
    /// Items whose blob this folder does not hold but its remote should (a `--metadata-only` clone: the
    /// blob is fetched when first read, or by `amanah sync`): not a problem.
    public var notFetched: [String] = []
    /// Temporary files of interrupted writes that were removed (paths relative to the vault folder). Only
    /// these are ever deleted: they never held a committed blob.
    public var removed: [String] = []
    /// Blobs no item refers to, moved to `quarantine/` by this run: (from, to), relative to the vault folder.
    public var quarantined: [(from: String, to: String)] = []
    /// Blobs no item refers to that this run did not move (no identity was given to sign the audit event).
    public var unreferenced: [String] = []
    /// Quarantined blobs that an item refers to again (a database restored from a newer copy), moved back.
    public var restored: [String] = []
    /// Files in `quarantine/` after this run (relative to the vault folder); `check` fails while there are any.
    public var inQuarantine: [String] = []
    /// Items whose blob was present and well-formed.
    public var itemsChecked = 0
    /// Items whose blob was decrypted and matched its SHA-256 and commitment (`--read-data`).
    public var itemsRead = 0
    /// Bytes of content read with `--read-data`.
    public var bytesRead: UInt64 = 0
}

extension Vault {
    /// Checks the vault's files against its database, never deleting a file that may hold evidence:
    /// 1. SQLite's own `PRAGMA integrity_check` over `vault.sqlite` (a page damaged in place), and the
    ///    `disclosure` table against the issues the signed audit log records (`DisclosureLedger`), and the
    ///    `item`, `itemSource` and `region` tables against their signed events (`IndexBinding`), every row
    ///    of every index table against the signed index entries replayed (`IndexLog`: a changed, swapped,
    ///    deleted or planted row is named with its table and row id), and the audit log as `audit verify`
    ///    checks it (events, tree nodes, checkpoints);
    /// 2. temporary files of interrupted writes (`blobs/xx/.tmp-<id>`, last written before this process
    ///    started; the vault's lock, held here, shows that the process that made them has ended) are removed;
    /// 3. a quarantined blob that an item refers to again, and whose place is empty, is moved back;
    /// 4. every other blob that no item refers to is moved to `quarantine/` when `actor` is given (one
    ///    `vault.quarantine` audit event per blob, signed by `actor`), and only reported otherwise;
    /// 5. every item must have its blob, of the recorded size and format; a missing blob is reported, the item
    ///    row is kept.
    /// Anything left in `quarantine/` is a problem until a person has decided about it.
    /// With `readData` (needs a session holding the media key), also decrypts every blob and compares its
    /// SHA-256 with the sealed hash and the commitment in its `item.ingest` audit event, which detects a blob
    /// swapped together with its wrapped key. Reading content is audited (`vault.check`).
    /// - Throws: `VaultError.notPermitted` when `readData` is asked without the media key; `StoreError` when the
    ///   blobs or quarantine folder cannot be listed or is a symbolic link.
    /// - Parameter progress: called with the number of items to read once it is known (`total`), then once
    ///   per item read (`nil`), for a progress line.
    public func check(readData session: Session?, actor: Session? = nil, progress: ((_ total: Int?) -> Void)? = nil) throws -> CheckReport {
        var report = CheckReport()
        report.problems += try databaseIntegrityProblems()
        // The governance state at each chain length, verified once for every check below.
        let history = try database.queue.read { db in try GovernanceChain.history(genesis: genesis, db: db) }
        report.problems += try database.queue.read { db in
            try (AuditLog.chainProblem(db, vaultID: vaultID).map { [$0] } ?? [])
                + DisclosureLedger.problems(db, vaultID: vaultID, keys: state.knownKeys, history: history)
                + IndexBinding.load(db, keys: state.knownKeys, history: history).problems(db)
        }
        do {
            report.problems += try database.queue.read { db in try indexProblems(db, history: history) }
            report.problems += try verifyAuditLog().problems.map { "audit log: " + $0 }
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode.primaryResultCode) {
            report.problems.append("vault.sqlite is damaged: \(error.message ?? "\(error.resultCode)"); the index could not be compared with the log (restore it from a backup)")
        }
        let items = try database.queue.read { db in try ItemRow.allByID(db) }
        let inventory = try blobs.inventory()
        let referenced = Set(items.map(\.blobID))
        let started = ProcessStart.nanoseconds
        for temporary in inventory.temporaries {
            let temporaryID = String(temporary.split(separator: "/").last?.dropFirst(BlobStore.temporaryPrefix.count) ?? "")
            if !referenced.contains(temporaryID), BlobStore.isRemovableTemporary(blobs.root + "/" + temporary, startedAt: started) {
                unlink(blobs.root + "/" + temporary)
                report.removed.append("blobs/" + temporary)
            } else {
                report.problems.append("blobs/\(temporary) looks like a temporary file but is not one this check may remove; it was left in place")
            }
        }
        for unexpected in inventory.unexpected { report.problems.append("unexpected file blobs/\(unexpected) (left in place)") }
        if !report.removed.isEmpty { try? DurableFile.syncDirectory(blobs.root) }

        let quarantine = Quarantine(root: paths.quarantine)
        var quarantineUsable = true
        // Blobs that items refer to again go back first, so that nothing they hold is reported as missing.
        do {
            for blobID in try quarantine.blobIDs() where referenced.contains(blobID) && !DurableFile.exists(blobs.path(of: blobID)) {
                do {
                    try quarantine.restore(blobID, into: blobs)
                    report.restored.append("blobs/" + String(blobID.prefix(2)) + "/" + blobID)
                } catch {
                    report.problems.append("quarantine/\(blobID): an item refers to it, but it cannot be moved back (\(error)); move it to blobs/\(blobID.prefix(2))/ by hand")
                }
            }
        } catch {
            quarantineUsable = false
            report.problems.append("\(paths.quarantine) cannot be used (\(error)); nothing was moved into it — make it a plain folder (or remove it if it is not one) and run check again")
        }
        for blob in inventory.blobs where !referenced.contains(blob) {
            let from = "blobs/" + String(blob.prefix(2)) + "/" + blob
            guard let actor, quarantineUsable else { report.unreferenced.append(from); continue }
            let name = try quarantine.admit(blob, from: blobs)
            do {
                try actor.write { db in try actor.audit(db, action: "vault.quarantine", objects: [blob]) }
            } catch {
                // No move without its audit event: the blob goes back where it was.
                try? quarantine.restore(blob, named: name, into: blobs)
                throw error
            }
            report.quarantined.append((from, "quarantine/" + name))
        }
        for blob in report.unreferenced {
            report.problems.append("\(blob): no item refers to this blob; it may hold evidence the database lost (left in place; give -i KEY to move it to quarantine/)")
        }
        if quarantineUsable {
            report.inQuarantine = try quarantine.files().map { "quarantine/" + $0 }
        }
        for file in report.inQuarantine {
            let id = String(file.dropFirst("quarantine/".count).prefix(32))
            if referenced.contains(id) && DurableFile.exists(blobs.path(of: id)) {
                report.problems.append("\(file) is a second copy of blobs/\(id.prefix(2))/\(id), which an item uses; compare the two and remove the copy")
            } else {
                report.problems.append("\(file) is in quarantine: no item refers to it; keep it until you know why (a database restored from an older copy loses the newest items)")
            }
        }

        for item in items {
            guard BlobStore.isValidID(item.blobID) else {
                report.problems.append("item \(TerminalText.escaped(item.id)): its blob id is malformed in the database (the item row was kept)")
                continue
            }
            let path = blobs.path(of: item.blobID)
            guard let handle = try? FileHandleFD.openForReading(path, followLinks: false) else {
                if blobs.source.fetch != nil && !DurableFile.exists(path) { report.notFetched.append(item.id); continue }
                report.problems.append("item \(TerminalText.escaped(item.id)): its blob blobs/\(item.blobID.prefix(2))/\(item.blobID) is missing (the item row was kept)")
                continue
            }
            let size = (try? handle.size()) ?? 0
            guard size == UInt64(item.sealedSize) else {
                report.problems.append("item \(item.id): its blob has \(counted(size, "byte")), \(item.sealedSize) expected")
                continue
            }
            var head = [UInt8](repeating: 0, count: 8)
            _ = pread(handle.fd, &head, 8, 0)
            guard head == SealedStream.magic else {
                report.problems.append("item \(item.id): its blob is not a sealed stream")
                continue
            }
            report.itemsChecked += 1
        }

        if let session {
            try session.require(.view, Resource(compartments: [.media], label: "every item"))
            let ingestCommitments = try database.queue.read { db -> [String: [UInt8]] in
                var map: [String: [UInt8]] = [:]
                let cursor = try AuditEventRow.inSequence(db)
                while let row = try cursor.next() {
                    guard let event = try? AuditEvent(leaf: Array(row.leaf)), event.action == "item.ingest",
                          let item = event.objects.first, let commitment = event.commitments.first else { continue }
                    map[item] = commitment
                }
                return map
            }
            try database.queue.read { db in
                guard try session.keyRing.holds("secret", of: .media, generation: session.generation(.media), db: db) else {
                    throw VaultError.notPermitted("check --read-data needs the media compartment key, which your role does not hold")
                }
            }
            progress?(items.count)
            for item in items where BlobStore.isValidID(item.blobID) {
                defer { progress?(nil) }
                do {
                    let (blobKey, expected, opening) = try database.queue.read { db -> (SecretBox, String, [UInt8]) in
                        let dataKey = try RecordCodec.dataKey(kind: .item, id: item.id, compartment: .media, keyRing: session.keyRing, db: db)
                        let opened = try RecordCodec.open(kind: .item, id: item.id, vaultID: vaultID, keyRing: session.keyRing, db: db)
                        guard let sha = opened.fields["sha256"]?.displayText, let openingHex = opened.fields["commitmentOpening"]?.displayText else {
                            throw VaultError.integrity("its sealed hash is missing")
                        }
                        return (Session.blobKey(from: dataKey), sha, try Hex.decode(openingHex))
                    }
                    var hasher = ContentHasher()
                    var source = try blobs.open(id: item.blobID)
                    var sink = HashingSink { hasher.update($0) }
                    let length = try SealedStream.open(from: &source, to: &sink, key: blobKey.bytes,
                                                       associatedData: Session.blobAssociatedData(vaultID: vaultID, blobID: item.blobID))
                    let digest = hasher.finalize()
                    guard Hex.encode(digest) == expected else { throw VaultError.integrity("content does not match its sealed SHA-256") }
                    guard let commitment = ingestCommitments[item.id] else { throw VaultError.integrity("no ingest event commits to it") }
                    guard ContentCommitment.commit(contentDigest: digest, opening: opening) == commitment else {
                        throw VaultError.integrity("content does not match the commitment in its ingest audit event")
                    }
                    report.itemsRead += 1
                    report.bytesRead += length
                } catch {
                    report.problems.append("item \(item.id): \(error)")
                }
            }
            try session.write { db in try session.audit(db, action: "vault.check", objects: []) }
        }
        return report
    }
}

extension Vault {
    /// Every difference between the database's index tables and the signed index entries replayed, and every
    /// entry that could not be used; for a vault whose log holds no entry (made before issue 15 and not
    /// migrated), one line saying so.
    /// - Throws: database errors.
    func indexProblems(_ db: Database, history: [GovernanceState]) throws -> [String] {
        let log = try IndexLog.load(db, vaultID: vaultID, keys: state.knownKeys, history: history,
                                    genesisInitiator: Hex.encode(genesis.initiator))
        guard let replay = log.replay, log.based else {
            return log.problems + ["the index is not bound to signed entries (a vault made by an earlier release): a custodian runs `amanah migrate` to check its rows and sign them, after which check compares every row with the log"]
        }
        return try log.problems + replay.differences(from: db)
    }

    /// The result of `check --rebuild`.
    public struct RebuildReport: Sendable {
        /// Where the rebuilt database was written; nil when it equalled the vault's and was removed.
        public var kept: String?
        /// Rows in the rebuilt index tables, and entries replayed.
        public var rows = 0
        public var entries = 0
        /// How the vault's index tables differ from the rebuilt ones (empty when equal), and entries not used.
        public var differences: [String] = []
    }

    /// Rebuilds the whole index from the log into a fresh database beside `vault.sqlite` (a copy of it whose
    /// index tables are emptied and then filled by replaying every signed entry) and compares the two table by
    /// table, row by row. When they are equal the copy is removed; otherwise it is kept as
    /// `vault.rebuilt-<time>.sqlite` for a custodian to inspect and, if they decide so, put in place of
    /// `vault.sqlite` (nothing of the vault is changed or deleted here).
    /// - Throws: `VaultError.failed` when the vault has no entries to rebuild from (not migrated) or the copy
    ///   cannot be written; database errors.
    public func rebuildIndex() throws -> RebuildReport {
        let path = paths.root + "/vault.rebuilt-" + String(Clock.nowMilliseconds()) + ".sqlite"
        guard !DurableFile.exists(path) else { throw VaultError.failed("\(path) exists already; run again") }
        var report = RebuildReport()
        var keep = false
        defer {
            if !keep {
                for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) }
            }
        }
        do {
            let target = try IndexReplay(copyOf: database.queue, to: path)
            let log = try database.queue.read { db in
                try IndexLog.load(db, vaultID: vaultID, keys: state.knownKeys, history: try GovernanceChain.history(genesis: genesis, db: db),
                                  genesisInitiator: Hex.encode(genesis.initiator), into: target)
            }
            guard let replay = log.replay else {
                throw VaultError.failed("the log holds no signed index entries to rebuild from (a vault made by an earlier release): run `amanah migrate` first")
            }
            report.entries = log.applied
            report.rows = try replay.rowCount()
            report.differences = try log.problems + database.queue.read { db in try replay.differences(from: db) }
            try VaultDatabase.truncateWAL(replay.queue)
            try replay.queue.close()
        } catch let error as DatabaseError {
            throw VaultError.failed("cannot write the rebuilt database \(path): \(error.message ?? "\(error.resultCode)"); the vault was not changed")
        }
        if !report.differences.isEmpty {
            keep = true
            report.kept = path
        }
        return report
    }

    /// SQLite's `PRAGMA integrity_check` over the vault database, as problems ("vault.sqlite: ..."); empty when
    /// it answers "ok".
    /// - Parameter quick: `PRAGMA quick_check` instead (no index-against-table comparison; faster).
    func databaseIntegrityProblems(quick: Bool = false) throws -> [String] {
        let lines: [String]
        do { lines = try database.integrityCheckLines(quick: quick) } catch let error as DatabaseError {
            return ["vault.sqlite is damaged or unreadable (SQLite: \(error.message ?? "\(error.resultCode)")); restore it from a backup"]
        }
        if lines == ["ok"] { return [] }
        return lines.map { "vault.sqlite is damaged: \($0) (restore it from a backup; run `amanah check` again after)" }
    }
}

/// A sink that only observes bytes (for hashing without writing anything).
struct HashingSink: ByteSink {
    let observer: (UnsafeRawBufferPointer) -> Void
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws { observer(bytes) }
}

#if canImport(Glibc)
import Glibc
#endif
