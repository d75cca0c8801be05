import VaultPlatform
import VaultPolicy
import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore
internal import CPlatform
import VaultGovernance
import VaultImaging

/// An item as a member may see it: always its id, case and sequence; the sealed facts when the member holds
/// the media compartment key.
public struct ItemView: Sendable, Codable, Equatable {
    public var id: String
    public var caseID: String
    public var sequence: Int64
    public var ingestedAt: String
    public var mediaType: String?
    public var size: Int64?
    public var fileName: String?
    public var sha256: String?
    public var identifyingMetadata: [String]?
    public var metadata: String?
    public var sources: [SourceView]?
    /// The item's case record: the fields the caller may read.
    public var caseRecord: [String: String]?
    /// Regions to mask (id, category, rectangle, display size, reason) when the caller reads media.
    public var regions: [RegionView]?
    /// The image's size as displayed (after EXIF orientation), in pixels, when known: the coordinates of
    /// `region add`.
    public var displayWidth: Int?
    public var displayHeight: Int?
    /// Fields left out because the caller's role or keys do not read them (`case.identifiedName`, ...).
    public var withheld: [String] = []

    enum CodingKeys: String, CodingKey {
        case id, caseID = "case", sequence, ingestedAt, mediaType, size, fileName, sha256, identifyingMetadata, metadata, sources,
             caseRecord, regions, displayWidth, displayHeight, withheld
    }
}

/// One delivery of an item: the fields the member can read, and the witness's record as far as they may.
public struct SourceView: Sendable, Codable, Equatable {
    public var addedAt: String
    public var fields: [String: String]
    public var withheld: [String]
    public var witness: [String: String]?
}

/// A region on an item as its readers see it.
public struct RegionView: Sendable, Codable, Equatable {
    public var id: String
    public var category: String
    public var x: Int, y: Int, width: Int, height: Int
    public var displayWidth: Int, displayHeight: Int
    public var reason: String
    /// The pseudonym of the witness the region shows, when it names one (`region add --witness`).
    public var witness: String?
    /// For a removed region (`region remove`, listed only with `region list --all`): why, and when.
    public var removedReason: String? = nil
    public var removedAt: String? = nil
}

extension Session {
    /// Whether the policy lets this member view media but they do not hold the media key yet (a pending grant).
    public func keyHintForMedia() -> Bool {
        let permitted = vault.state.policy.decide(subject, .view, Resource(compartments: [.media], label: "items")).isPermit
        let held = (try? vault.database.queue.read { db in try keyRing.holds("secret", of: .media, generation: generation(.media), db: db) }) ?? false
        return permitted && !held
    }

    /// Lists the items (id, case, sequence; type, size and file name when the member holds the media key),
    /// optionally for one case. Audited as `item.list` when sealed facts were opened.
    public func listItems(caseID: String? = nil) throws -> [ItemView] {
        try write { db in
            let rows = try ItemRow.all(inCase: caseID, db)
            let allowed = vault.state.policy.decide(subject, .view, Resource(compartments: [.media], label: "items")).isPermit
            let canRead = try allowed && keyRing.holds("secret", of: .media, generation: generation(.media), db: db)
            var views: [ItemView] = []
            for row in rows {
                try checkBinding(item: row.id, db)
                var view = ItemView(id: row.id, caseID: row.caseID, sequence: row.sequence, ingestedAt: Clock.format(milliseconds: row.createdAt))
                if canRead, let opened = try? RecordCodec.open(kind: .item, id: row.id, vaultID: vault.vaultID, keyRing: keyRing, db: db) {
                    view.mediaType = opened.fields["mediaType"]?.displayText
                    view.size = opened.fields["size"].flatMap { Int64($0.displayText) }
                    view.fileName = opened.fields["fileName"]?.displayText
                }
                views.append(view)
            }
            if canRead && !rows.isEmpty { try audit(db, action: "item.list", objects: caseID.map { [$0] } ?? []) }
            return views
        }
    }

    /// Shows one item with everything the member's role and keys open: its sealed facts and capture metadata
    /// (media), its case record (case, identity), its sources and their witnesses (case; identities for those
    /// who read the identity compartment). Audited as `item.view`.
    /// - Throws: `VaultError.notFound`; `VaultError.notPermitted` when the member may read nothing about it.
    public func showItem(_ itemID: String) throws -> ItemView {
        try write { db in
            guard let row = try ItemRow.fetchOne(db, key: itemID) else { throw VaultError.notFound("item", itemID) }
            let policy = vault.state.policy
            func may(_ compartment: Compartment) throws -> Bool {
                try policy.decide(subject, .view, Resource(compartments: [compartment], label: "item \(itemID)", caseID: row.caseID)).isPermit
                    && keyRing.holds("secret", of: compartment, generation: generation(compartment), db: db)
            }
            let readsMedia = try may(.media), readsCase = try may(.case), readsIdentity = try may(.identity)
            var withheldCompartments: [String] = []
            if !readsMedia { withheldCompartments.append("media (file facts and capture metadata)") }
            guard readsMedia || readsCase else {
                try require(.view, Resource(compartments: [.media], label: "item \(itemID)", caseID: row.caseID))
                throw VaultError.notPermitted("viewing item \(itemID) needs the media or case compartment key, which your role does not hold")
            }
            try checkBinding(item: itemID, db)
            var view = ItemView(id: row.id, caseID: row.caseID, sequence: row.sequence, ingestedAt: Clock.format(milliseconds: row.createdAt))
            if readsMedia {
                let opened = try RecordCodec.open(kind: .item, id: itemID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
                view.mediaType = opened.fields["mediaType"]?.displayText
                view.size = opened.fields["size"].flatMap { Int64($0.displayText) }
                view.fileName = opened.fields["fileName"]?.displayText
                view.sha256 = opened.fields["sha256"]?.displayText
                if case let .list(items)? = opened.fields["metadataSummary"] { view.identifyingMetadata = items }
                view.metadata = opened.fields["metadata"]?.displayText
                if let json = view.metadata, let report = try? JSONDecoder().decode(MetadataReport.self, from: Data(json.utf8)) {
                    view.displayWidth = report.displayWidth
                    view.displayHeight = report.displayHeight
                }
                view.regions = try regionViews(itemID, db: db)
            }
            if readsCase, try RecordRow.find(kind: "case", id: row.caseID, db) != nil {
                let record = filteredByPolicy(try RecordCodec.open(kind: .case, id: row.caseID, vaultID: vault.vaultID, keyRing: keyRing, db: db),
                                              kind: .case, caseID: row.caseID)
                view.caseRecord = record.fields.mapValues(\.displayText)
                view.withheld += record.withheld.map { "case." + $0 }
            }
            var sources: [SourceView] = []
            for source in try ItemSourceRow.onItemOldestFirst(itemID, db) {
                let record = try RecordCodec.open(kind: .source, id: source.sourceID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
                var sourceView = SourceView(addedAt: Clock.format(milliseconds: source.createdAt),
                                            fields: record.fields.mapValues(\.displayText), withheld: record.withheld)
                if !readsMedia { sourceView.fields["fileName"] = nil }
                if !readsIdentity { sourceView.fields["note"] = nil }
                sourceView.fields["note"] = sourceView.fields["note"]?.trimmingCharacters(in: .whitespacesAndNewlines)
                if case let .text(witness)? = record.fields["witness"], readsCase,
                   try RecordRow.find(kind: "witness", id: witness, db) != nil {
                    let witnessRecord = filteredByPolicy(try RecordCodec.open(kind: .witness, id: witness, vaultID: vault.vaultID, keyRing: keyRing, db: db),
                                                         kind: .witness, caseID: row.caseID)
                    sourceView.witness = witnessRecord.fields.mapValues(\.displayText)
                    view.withheld += witnessRecord.withheld.map { "witness \(witness)." + $0 }
                }
                sources.append(sourceView)
            }
            view.sources = sources
            view.withheld = withheldCompartments + view.withheld
            try audit(db, action: "item.view", objects: [itemID, row.caseID])
            return view
        }
    }

    /// The regions of an item, opened with the media key.
    /// - Throws: `VaultError.integrity` when the item's regions disagree with the signed log (`checkBinding`).
    /// The regions of an item that mask (oldest first); with `includingRemoved`, also those removed.
    package func regionViews(_ itemID: String, includingRemoved: Bool = false, db: Database) throws -> [RegionView] {
        try checkBinding(item: itemID, db)
        var views: [RegionView] = []
        for region in try RegionRow.onItemOldestFirst(itemID, db) {
            let record = try RecordCodec.open(kind: .region, id: region.id, vaultID: vault.vaultID, keyRing: keyRing, db: db)
            let removed = record.fields["removedReason"]?.displayText
            if removed != nil && !includingRemoved { continue }
            func number(_ name: String) -> Int { Int(record.fields[name]?.displayText ?? "") ?? 0 }
            views.append(RegionView(id: region.id, category: region.category, x: number("x"), y: number("y"), width: number("width"),
                                    height: number("height"), displayWidth: number("displayWidth"), displayHeight: number("displayHeight"),
                                    reason: record.fields["reason"]?.displayText ?? "", witness: record.fields["witness"]?.displayText,
                                    removedReason: removed, removedAt: record.fields["removedAt"]?.displayText))
        }
        return views
    }

    /// The consent and protective measures of each witness the regions name, by pseudonym.
    /// - Throws: what `witnessFacts` throws (a named witness without a record is refused).
    package func shownWitnessFacts(_ regions: [RegionView], db: Database) throws -> [String: WitnessFacts] {
        var shown: [String: WitnessFacts] = [:]
        for witness in Set(regions.compactMap(\.witness)) { shown[witness] = try witnessFacts(witness, db: db) }
        return shown
    }

    /// Writes the original, byte for byte, to `outputPath` (a temporary file renamed into place only after
    /// the stream and its SHA-256 verified). Audited as `item.export` with the content commitment, in the
    /// same transaction that must succeed before the file is renamed into place.
    /// - Returns: the SHA-256 of the exported bytes (hex).
    /// - Throws: `VaultError.notPermitted` without the media key; `VaultError.integrity` if the blob does not
    ///   open or its hash differs from the sealed one; `VaultError.exists` for an existing output;
    ///   `VaultError.failed` naming the output when it cannot be written ("the disk is full" when so), which
    ///   leaves no file and no event.
    public func exportOriginal(_ itemID: String, to outputPath: String, overwrite: Bool = false) throws -> String {
        if !overwrite && DurableFile.exists(outputPath) { throw VaultError.exists(outputPath) }
        let (row, blobKey, expected, opening) = try originalKey(itemID)
        // The plaintext goes into an unnamed file (O_TMPFILE) that gets its name only after the audit event
        // committed: no named copy exists before the export is recorded, and a crash leaves nothing behind.
        let folder = DurableFile.directory(of: outputPath)
        let unnamed = amanah_open_tmpfile(folder)
        guard unnamed >= 0 else {
            throw VaultError.failed("cannot export to \(folder): its file system has no unnamed temporary files (O_TMPFILE): \(lastErrorText())")
        }
        let out = FileHandleFD(fd: unnamed, path: outputPath)
        var source = try vault.blobs.open(id: row.blobID)
        var sink = ExportSink(handle: out)
        do {
            try SealedStream.open(from: &source, to: &sink, key: blobKey.bytes,
                                  associatedData: Self.blobAssociatedData(vaultID: vault.vaultID, blobID: row.blobID))
        } catch {
            // A full disk or an I/O error of the output is not a damaged original.
            if let failure = sink.failure { throw OutputFile.writeFailure(outputPath, failure) }
            throw VaultError.integrity("the sealed original of \(itemID) does not open: \(error)")
        }
        do { try out.sync() } catch { throw OutputFile.writeFailure(outputPath, error) }
        let digest = sink.hasher.finalize()
        guard Hex.encode(digest) == expected else { throw VaultError.integrity("the original of \(itemID) does not match its sealed SHA-256") }
        try write { db in
            try audit(db, action: "item.export", objects: [itemID, row.caseID],
                      commitments: [ContentCommitment.commit(contentDigest: digest, opening: opening)])
        }
        if overwrite { unlink(outputPath) }
        guard amanah_link_tmpfile(unnamed, outputPath) == 0 else {
            throw VaultError.failed("cannot write \(outputPath): \(lastErrorText())")
        }
        try out.close()
        try DurableFile.syncDirectory(folder)
        return expected
    }

    /// The item row, the blob key, the sealed SHA-256 (hex) and the commitment opening of item `itemID`, after
    /// the binding, policy and key checks every export of an original makes.
    private func originalKey(_ itemID: String) throws -> (ItemRow, SecretBox, String, [UInt8]) {
        try vault.database.queue.read { db -> (ItemRow, SecretBox, String, [UInt8]) in
            guard let row = try ItemRow.fetchOne(db, key: itemID) else { throw VaultError.notFound("item", itemID) }
            try checkBinding(item: itemID, db)
            try require(.view, Resource(compartments: [.media], label: "item \(itemID)", caseID: row.caseID))
            guard try keyRing.holds("secret", of: .media, generation: generation(.media), db: db) else {
                throw VaultError.notPermitted("exporting item \(itemID) needs the media compartment key, which your role does not hold")
            }
            let dataKey = try RecordCodec.dataKey(kind: .item, id: itemID, compartment: .media, keyRing: keyRing, db: db)
            let opened = try RecordCodec.open(kind: .item, id: itemID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
            guard let sha = opened.fields["sha256"]?.displayText, let openingHex = opened.fields["commitmentOpening"]?.displayText,
                  let opening = try? Hex.decode(openingHex) else { throw VaultError.integrity("item \(itemID) lacks its sealed hash") }
            return (row, Self.blobKey(from: dataKey), sha, opening)
        }
    }

    /// Writes item `itemID`'s original to `handle` (standard output: `export ITEM -o -`). Bytes cannot be taken
    /// back from a pipe, so the original is first decrypted and checked against its sealed SHA-256 without
    /// writing anything, the export is recorded, and only then is it decrypted again into `handle`. Returns
    /// the SHA-256 (hex).
    /// - Throws: as `exportOriginal`; an error writing to `handle` after the export was recorded (named as such).
    public func exportOriginal(_ itemID: String, streamingTo handle: FileHandleFD) throws -> String {
        let (row, blobKey, expected, opening) = try originalKey(itemID)
        let associated = Self.blobAssociatedData(vaultID: vault.vaultID, blobID: row.blobID)
        var source = try vault.blobs.open(id: row.blobID)
        var hasher = ContentHasher()
        var check = HashingSink { hasher.update($0) }
        do { try SealedStream.open(from: &source, to: &check, key: blobKey.bytes, associatedData: associated) } catch {
            throw VaultError.integrity("the sealed original of \(itemID) does not open: \(error)")
        }
        let digest = hasher.finalize()
        guard Hex.encode(digest) == expected else { throw VaultError.integrity("the original of \(itemID) does not match its sealed SHA-256") }
        try write { db in
            try audit(db, action: "item.export", objects: [itemID, row.caseID],
                      commitments: [ContentCommitment.commit(contentDigest: digest, opening: opening)])
        }
        var again = try vault.blobs.open(id: row.blobID)
        var sink = ExportSink(handle: handle)
        do { try SealedStream.open(from: &again, to: &sink, key: blobKey.bytes, associatedData: associated) } catch {
            if let failure = sink.failure { throw OutputFile.writeFailure(handle.path, failure) }
            throw VaultError.integrity("the sealed original of \(itemID) does not open: \(error)")
        }
        guard sink.hasher.finalize() == digest else { throw VaultError.integrity("the original of \(itemID) changed while it was written out") }
        return expected
    }

}

#if canImport(Glibc)
import Glibc
#endif

/// The output of an export: hashes what is written and remembers a write error of its own (disk full, I/O
/// error), so that it is reported as such and not as a damaged original.
struct ExportSink: ByteSink {
    let handle: FileHandleFD
    var hasher = ContentHasher()
    var failure: Error?

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        do { try handle.write(bytes) } catch { failure = error; throw error }
    }
}
