import VaultPolicy
import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore
#if canImport(Glibc)
import Glibc
#endif

/// Capture-metadata extraction for ingest, run apart from keys (the vault passes the sandboxed client).
public protocol MetadataExtracting: Sendable {
    /// Extracts the metadata of the open file `file` (of media type `mediaType`), reading it from the start
    /// without moving its offset (the same file that is then sealed).
    /// - Returns: the report as JSON (sealed into the media compartment) and a list of short phrases naming
    ///   what identifying metadata the file carries (no values).
    /// - Throws: a descriptive error when extraction fails; the file is still sealed, with a warning.
    func extract(file: FileHandleFD, mediaType: String) throws -> (report: [UInt8], identifying: [String])
}

/// What happened to one ingested file.
public struct IngestOutcome: Sendable {
    /// The item id (new, or the existing item when the file was already in the vault).
    public var itemID: String
    /// True when the file was already in the vault and a source was added to the existing item.
    public var alreadyPresent: Bool
    /// The case of the existing item, when the file was already in the vault.
    public var existingCase: String? = nil
    /// Short phrases naming identifying metadata the original carries (never the values).
    public var identifyingMetadata: [String]
    /// Warnings (metadata could not be extracted, ...).
    public var warnings: [String]
}

extension Session {
    /// Options of an ingest.
    public struct IngestOptions: Sendable {
        public var caseID: String
        public var witness: String?
        public var sourceNote: String?
        public var metadata: (any MetadataExtracting)?
        public init(caseID: String, witness: String? = nil, sourceNote: String? = nil, metadata: (any MetadataExtracting)? = nil) {
            self.caseID = caseID; self.witness = witness; self.sourceNote = sourceNote; self.metadata = metadata
        }
    }

    /// Checks that the caller may ingest into `caseID` (and name `witness`).
    /// - Throws: `VaultError.notPermitted`, `VaultError.notFound`.
    public func checkIngest(_ options: IngestOptions) throws {
        try require(.ingest, Resource(compartments: [.media, .case, .identity], label: "case \(options.caseID)", caseID: options.caseID))
        for compartment in [Compartment.media, .case, .identity] where vault.state.rotationPending(compartment) {
            throw VaultError.rotationPending(compartment.rawValue)
        }
        try vault.database.queue.read { db in
            guard try RecordRow.fetchOne(db, key: ["kind": "case", "id": options.caseID]) != nil else {
                throw VaultError.notFound("case", options.caseID)
            }
            if let witness = options.witness, try RecordRow.fetchOne(db, key: ["kind": "witness", "id": witness]) == nil {
                throw VaultError.notFound("witness", witness)
            }
        }
    }

    /// Seals one file into the vault: one streaming pass computes SHA-256 while sealing into a new padded blob
    /// (temporary file, fsync, rename, folder fsync); then one transaction writes the item, its sealed facts,
    /// its source and the `item.ingest` audit event with the content commitment SHA-256(r ‖ SHA-256(original)).
    /// A file already in the vault (same SHA-256, found through a keyed hash) becomes a further source of that
    /// item (`item.source-add`) and is not stored twice.
    /// - Throws: `VaultError.invalidInput` naming the file for unreadable input; I/O errors. Nothing is left
    ///   behind on failure.
    public func ingest(path: String, options: IngestOptions) throws -> IngestOutcome {
        let fileName = DurableFile.lastComponent(of: path)
        do { try Identifier.validate(fileName, field: "file name \(Identifier.escapedForDisplay(fileName))", maximumScalars: 255) } catch {
            throw VaultError.invalidInput(path, "\(error)")
        }
        // Never follow a symbolic link (a planted link would seal some other file under a harmless name), and
        // never block on a FIFO or device: check the type before opening, and open without blocking.
        var info = stat()
        guard lstat(path, &info) == 0 else { throw VaultError.invalidInput(path, "cannot be read: \(lastErrorText())") }
        guard (info.st_mode & S_IFMT) != S_IFLNK else {
            throw VaultError.invalidInput(path, "is a symbolic link; ingest the file it points to by its own path")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw VaultError.invalidInput(path, "is not a regular file") }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { throw VaultError.invalidInput(path, "cannot be read: \(lastErrorText())") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let handle = FileHandleFD(fd: fd, path: path)
        guard try handle.isRegularFile() else { throw VaultError.invalidInput(path, "is not a regular file") }
        let size = try handle.size()

        // The type from the magic bytes, then metadata in the sandbox (a separate read of the file).
        var head = [UInt8](repeating: 0, count: 32)
        let headCount = pread(handle.fd, &head, 32, 0)
        head = Array(head.prefix(max(0, headCount)))
        let mediaType = MediaType.sniff(head)
        var warnings: [String] = []
        var report: [UInt8]? = nil
        var identifying: [String] = []
        if MediaType.hasCaptureMetadata(mediaType), let extractor = options.metadata {
            do { (report, identifying) = try extractor.extract(file: handle, mediaType: mediaType) } catch {
                warnings.append("metadata could not be extracted (\(error)); the file is sealed as it is")
            }
        }

        // Keys needed: the media compartment public key and index key (for the duplicate check).
        let mediaGeneration = generation(.media)
        let indexKey = try vault.database.queue.read { db in
            try keyRing.key("index", of: .media, generation: mediaGeneration, db: db)
        }

        // One pass: hash and seal.
        let blobID = BlobStore.newID()
        let dataKey = SecretBox(SecretBytes.random(count: 32))
        let blobKey = Self.blobKey(from: dataKey)
        var hasher = ContentHasher()
        let padded = Padme.paddedLength(size + 8)
        let sealedSize: UInt64
        do {
            sealedSize = try vault.blobs.write(id: blobID) { out in
                var source = handle
                var sink = out
                try SealedStream.seal(from: &source, contentLength: size, to: &sink, key: blobKey.bytes,
                                      associatedData: Self.blobAssociatedData(vaultID: vault.vaultID, blobID: blobID),
                                      paddedLength: padded) { hasher.update($0) }
                FaultInjection.point("ingest.mid-blob")
            }
        } catch let error as CryptoError {
            throw VaultError.invalidInput(path, "\(error)")
        }
        FaultInjection.point("ingest.after-blob")
        let digest = hasher.finalize()
        let contentToken = Self.contentToken(digest: digest, indexKey: indexKey)

        do {
            return try write { db -> IngestOutcome in
                let sourceID = BlobStore.newID()
                var sourceFields: [String: RecordCodec.Value] = ["fileName": .text(fileName)]
                if let witness = options.witness { sourceFields["witness"] = .text(witness) }
                if let note = options.sourceNote { sourceFields["note"] = .text(note) }
                let now = Clock.nowMilliseconds()

                if let existing = try ItemRow.filter(Column("contentToken") == Data(contentToken)).fetchOne(db) {
                    try RecordCodec.insert(kind: .source, id: sourceID, fields: sourceFields, vaultID: vault.vaultID, state: vault.state, createdAt: now, signer: identity, db: db)
                    try ItemSourceRow(itemID: existing.id, sourceID: sourceID, createdAt: now).insert(db)
                    try audit(db, action: "item.source-add", objects: [existing.id, existing.caseID])
                    FaultInjection.point("ingest.before-commit")
                    vault.blobs.remove(id: blobID)
                    var outcome = IngestOutcome(itemID: existing.id, alreadyPresent: true, identifyingMetadata: identifying, warnings: warnings)
                    outcome.existingCase = existing.caseID
                    return outcome
                }

                let itemID = try Self.newItemID(db)
                let sequence = (try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM item WHERE caseID = ?", arguments: [options.caseID]) ?? 0) + 1
                try ItemRow(id: itemID, caseID: options.caseID, sequence: sequence, blobID: blobID, sealedSize: Int64(sealedSize),
                            contentToken: Data(contentToken), createdAt: now).insert(db)
                let opening = Random.bytes(32)
                var fields: [String: RecordCodec.Value] = [
                    "sha256": .text(Hex.encode(digest)), "size": .text(String(size)), "mediaType": .text(mediaType),
                    "fileName": .text(fileName), "commitmentOpening": .text(Hex.encode(opening)),
                    "metadataSummary": .list(identifying),
                ]
                if let report { fields["metadata"] = .text(String(decoding: report, as: UTF8.self)) }
                try RecordCodec.insert(kind: .item, id: itemID, fields: fields, vaultID: vault.vaultID, state: vault.state, createdAt: now,
                                       presetKeys: [.media: dataKey], signer: identity, db: db)
                try RecordCodec.insert(kind: .source, id: sourceID, fields: sourceFields, vaultID: vault.vaultID, state: vault.state, createdAt: now, signer: identity, db: db)
                try ItemSourceRow(itemID: itemID, sourceID: sourceID, createdAt: now).insert(db)
                try audit(db, action: "item.ingest", objects: [itemID, options.caseID],
                          commitments: [ContentCommitment.commit(contentDigest: digest, opening: opening)])
                FaultInjection.point("ingest.before-commit")
                return IngestOutcome(itemID: itemID, alreadyPresent: false, identifyingMetadata: identifying, warnings: warnings)
            }
        } catch {
            vault.blobs.remove(id: blobID)
            throw error
        }
    }

    /// The key of an item's blob: BLAKE2b-derived (context `amanah/v1/blob-key`) from the item's media data
    /// key, which is sealed to the media compartment like every record data key.
    static func blobKey(from dataKey: SecretBox) -> SecretBox {
        SecretBox(BLAKE2b.deriveKey(from: dataKey.bytes, context: "amanah/v1/blob-key"))
    }

    /// The associated data that binds a blob's chunks to its vault and blob id.
    static func blobAssociatedData(vaultID: [UInt8], blobID: String) -> [UInt8] {
        var ad = vaultID
        ad.appendLengthPrefixed("blob")
        ad.appendLengthPrefixed(blobID)
        return ad
    }

    /// A new item id: `I-` and 10 characters of Crockford base32 (50 random bits), unique in the vault.
    static func newItemID(_ db: Database) throws -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        while true {
            var value: UInt64 = 0
            for byte in Random.bytes(8) { value = value << 8 | UInt64(byte) }
            var id = "I-"
            for _ in 0..<10 {
                id.append(alphabet[Int(value & 31)])
                value >>= 5
            }
            if try ItemRow.fetchOne(db, key: id) == nil { return id }
        }
    }
}
