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

    enum CodingKeys: String, CodingKey {
        case id, caseID = "case", sequence, ingestedAt, mediaType, size, fileName, sha256, identifyingMetadata, metadata, sources
    }
}

/// One delivery of an item: the fields the member can read.
public struct SourceView: Sendable, Codable, Equatable {
    public var addedAt: String
    public var fields: [String: String]
    public var withheld: [String]
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

    /// Shows one item with everything the member's keys open: sealed facts, capture metadata and sources.
    /// Audited as `item.view`.
    /// - Throws: `VaultError.notFound`; `VaultError.notPermitted` without the media compartment key.
    public func showItem(_ itemID: String) throws -> ItemView {
        try write { db in
            guard let row = try ItemRow.fetchOne(db, key: itemID) else { throw VaultError.notFound("item", itemID) }
            try require(.view, Resource(compartments: [.media], label: "item \(itemID)", caseID: row.caseID))
            guard try keyRing.holds("secret", of: .media, generation: generation(.media), db: db) else {
                throw VaultError.notPermitted("viewing item \(itemID) needs the media compartment key, which your role does not hold")
            }
            let opened = try RecordCodec.open(kind: .item, id: itemID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
            var view = ItemView(id: row.id, caseID: row.caseID, sequence: row.sequence, ingestedAt: Clock.format(milliseconds: row.createdAt))
            view.mediaType = opened.fields["mediaType"]?.displayText
            view.size = opened.fields["size"].flatMap { Int64($0.displayText) }
            view.fileName = opened.fields["fileName"]?.displayText
            view.sha256 = opened.fields["sha256"]?.displayText
            if case let .list(items)? = opened.fields["metadataSummary"] { view.identifyingMetadata = items }
            view.metadata = opened.fields["metadata"]?.displayText
            var sources: [SourceView] = []
            for source in try ItemSourceRow.filter(Column("itemID") == itemID).order(Column("createdAt"), Column("sourceID")).fetchAll(db) {
                let record = try RecordCodec.open(kind: .source, id: source.sourceID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
                sources.append(SourceView(addedAt: Clock.format(milliseconds: source.createdAt),
                                          fields: record.fields.mapValues(\.displayText), withheld: record.withheld))
            }
            view.sources = sources
            try audit(db, action: "item.view", objects: [itemID, row.caseID])
            return view
        }
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
