import VaultPolicy
import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore

/// The result of `amanah check`.
public struct CheckReport: Sendable {
    /// Problems found; empty means the vault is intact.
    public var problems: [String] = []
    /// Orphan files removed (temporary files of interrupted writes, blobs no item refers to).
    public var removed: [String] = []
    /// Items whose blob was present and well-formed.
    public var itemsChecked = 0
    /// Items whose blob was decrypted and matched its SHA-256 and commitment (`--read-data`).
    public var itemsRead = 0
    /// Bytes of content read with `--read-data`.
    public var bytesRead: UInt64 = 0
}

extension Vault {
    /// Checks that every item has its blob, of the recorded size and format, and removes orphan files left
    /// by interrupted writes. With `readData` (needs a session holding the media key), also decrypts every
    /// blob and compares its SHA-256 with the sealed hash and the commitment in its `item.ingest` audit event,
    /// which detects a blob swapped together with its wrapped key. Reading content is audited (`vault.check`).
    /// - Throws: `VaultError.notPermitted` when `readData` is asked without the media key.
    public func check(readData session: Session?) throws -> CheckReport {
        var report = CheckReport()
        let items = try database.queue.read { db in try ItemRow.order(Column("id")).fetchAll(db) }
        let inventory = try blobs.inventory()
        let referenced = Set(items.map(\.blobID))
        for temporary in inventory.temporaries {
            unlink(blobs.root + "/" + temporary)
            report.removed.append("blobs/" + temporary)
        }
        for blob in inventory.blobs where !referenced.contains(blob) {
            blobs.remove(id: blob)
            report.removed.append("blobs/" + String(blob.prefix(2)) + "/" + blob)
        }
        for unexpected in inventory.unexpected { report.problems.append("unexpected file blobs/\(unexpected)") }
        if !report.removed.isEmpty { try? DurableFile.syncDirectory(blobs.root) }

        for item in items {
            let path = blobs.path(of: item.blobID)
            guard let handle = try? FileHandleFD.openForReading(path, followLinks: false) else {
                report.problems.append("item \(item.id): its blob is missing")
                continue
            }
            let size = (try? handle.size()) ?? 0
            guard size == UInt64(item.sealedSize) else {
                report.problems.append("item \(item.id): its blob has \(size) bytes, \(item.sealedSize) expected")
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
                let cursor = try AuditEventRow.order(Column("seq")).fetchCursor(db)
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
            for item in items {
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

/// A sink that only observes bytes (for hashing without writing anything).
struct HashingSink: ByteSink {
    let observer: (UnsafeRawBufferPointer) -> Void
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws { observer(bytes) }
}

#if canImport(Glibc)
import Glibc
#endif
