import VaultPolicy
import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore

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

    enum CodingKeys: String, CodingKey {
        case id, caseID = "case", sequence, ingestedAt, mediaType, size, fileName, sha256, identifyingMetadata, metadata, sources,
             caseRecord, regions
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
}

extension Session {
    /// Lists the items (id, case, sequence; type, size and file name when the member holds the media key),
    /// optionally for one case. Audited as `item.list` when sealed facts were opened.
    public func listItems(caseID: String? = nil) throws -> [ItemView] {
        try write { db in
            var request = ItemRow.order(Column("caseID"), Column("sequence"))
            if let caseID { request = request.filter(Column("caseID") == caseID) }
            let rows = try request.fetchAll(db)
            let allowed = vault.state.policy.decide(subject, .view, Resource(compartments: [.media], label: "items")).isPermit
            let canRead = try allowed && keyRing.holds("secret", of: .media, generation: generation(.media), db: db)
            var views: [ItemView] = []
            for row in rows {
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
            guard readsMedia || readsCase else {
                try require(.view, Resource(compartments: [.media], label: "item \(itemID)", caseID: row.caseID))
                throw VaultError.notPermitted("viewing item \(itemID) needs the media or case compartment key, which your role does not hold")
            }
            var view = ItemView(id: row.id, caseID: row.caseID, sequence: row.sequence, ingestedAt: Clock.format(milliseconds: row.createdAt))
            if readsMedia {
                let opened = try RecordCodec.open(kind: .item, id: itemID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
                view.mediaType = opened.fields["mediaType"]?.displayText
                view.size = opened.fields["size"].flatMap { Int64($0.displayText) }
                view.fileName = opened.fields["fileName"]?.displayText
                view.sha256 = opened.fields["sha256"]?.displayText
                if case let .list(items)? = opened.fields["metadataSummary"] { view.identifyingMetadata = items }
                view.metadata = opened.fields["metadata"]?.displayText
                view.regions = try regionViews(itemID, db: db)
            }
            if readsCase, try RecordRow.fetchOne(db, key: ["kind": "case", "id": row.caseID]) != nil {
                let record = try RecordCodec.open(kind: .case, id: row.caseID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
                view.caseRecord = record.fields.mapValues(\.displayText)
            }
            var sources: [SourceView] = []
            for source in try ItemSourceRow.filter(Column("itemID") == itemID).order(Column("createdAt"), Column("sourceID")).fetchAll(db) {
                let record = try RecordCodec.open(kind: .source, id: source.sourceID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
                var sourceView = SourceView(addedAt: Clock.format(milliseconds: source.createdAt),
                                            fields: record.fields.mapValues(\.displayText), withheld: record.withheld)
                if !readsMedia { sourceView.fields["fileName"] = nil }
                if !readsIdentity { sourceView.fields["note"] = nil }
                if case let .text(witness)? = record.fields["witness"], readsCase,
                   try RecordRow.fetchOne(db, key: ["kind": "witness", "id": witness]) != nil {
                    let witnessRecord = try RecordCodec.open(kind: .witness, id: witness, vaultID: vault.vaultID, keyRing: keyRing, db: db)
                    sourceView.witness = witnessRecord.fields.mapValues(\.displayText)
                }
                sources.append(sourceView)
            }
            view.sources = sources
            try audit(db, action: "item.view", objects: [itemID, row.caseID])
            return view
        }
    }

    /// The regions of an item, opened with the media key.
    func regionViews(_ itemID: String, db: Database) throws -> [RegionView] {
        var views: [RegionView] = []
        for region in try RegionRow.filter(Column("itemID") == itemID).order(Column("createdAt"), Column("id")).fetchAll(db) {
            let record = try RecordCodec.open(kind: .region, id: region.id, vaultID: vault.vaultID, keyRing: keyRing, db: db)
            func number(_ name: String) -> Int { Int(record.fields[name]?.displayText ?? "") ?? 0 }
            views.append(RegionView(id: region.id, category: region.category, x: number("x"), y: number("y"), width: number("width"),
                                    height: number("height"), displayWidth: number("displayWidth"), displayHeight: number("displayHeight"),
                                    reason: record.fields["reason"]?.displayText ?? ""))
        }
        return views
    }

    /// Writes the original, byte for byte, to `outputPath` (a temporary file renamed into place only after
    /// the stream and its SHA-256 verified). Audited as `item.export` with the content commitment, in the
    /// same transaction that must succeed before the file is renamed into place.
    /// - Returns: the SHA-256 of the exported bytes (hex).
    /// - Throws: `VaultError.notPermitted` without the media key; `VaultError.integrity` if the blob does not
    ///   open or its hash differs from the sealed one; `VaultError.exists` for an existing output.
    public func exportOriginal(_ itemID: String, to outputPath: String, overwrite: Bool = false) throws -> String {
        if !overwrite && DurableFile.exists(outputPath) { throw VaultError.exists(outputPath) }
        let (row, blobKey, expected, opening) = try vault.database.queue.read { db -> (ItemRow, SecretBox, String, [UInt8]) in
            guard let row = try ItemRow.fetchOne(db, key: itemID) else { throw VaultError.notFound("item", itemID) }
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
        let temporary = DurableFile.temporaryPath(beside: outputPath)
        var hasher = ContentHasher()
        do {
            var source = try vault.blobs.open(id: row.blobID)
            let out = try FileHandleFD.createExclusive(temporary, mode: 0o600)
            var sink = ObservingSink(inner: out) { hasher.update($0) }
            do {
                try SealedStream.open(from: &source, to: &sink, key: blobKey.bytes,
                                      associatedData: Self.blobAssociatedData(vaultID: vault.vaultID, blobID: row.blobID))
            } catch {
                throw VaultError.integrity("the sealed original of \(itemID) does not open: \(error)")
            }
            try out.sync()
            try out.close()
            let digest = hasher.finalize()
            guard Hex.encode(digest) == expected else { throw VaultError.integrity("the original of \(itemID) does not match its sealed SHA-256") }
            try write { db in
                try audit(db, action: "item.export", objects: [itemID, row.caseID],
                          commitments: [ContentCommitment.commit(contentDigest: digest, opening: opening)])
            }
            if overwrite {
                guard rename(temporary, outputPath) == 0 else { throw VaultError.failed("cannot write \(outputPath): \(lastErrorText())") }
            } else {
                guard link(temporary, outputPath) == 0 else { throw VaultError.failed("cannot write \(outputPath): \(lastErrorText())") }
                unlink(temporary)
            }
            try DurableFile.syncDirectory(DurableFile.directory(of: outputPath))
            return expected
        } catch {
            unlink(temporary)
            throw error
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
