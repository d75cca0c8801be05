import Foundation
import GRDB
import VaultCrypto
import VaultGovernance
import VaultPolicy
import VaultPlatform
import VaultStore

/// A delivery waiting for confirmation (`amanah source list --pending`).
public struct PendingSourceView: Sendable, Equatable {
    /// The source record's id (what `source confirm` takes).
    public var sourceID: String
    /// The item whose content the delivered file has, and its case.
    public var itemID: String
    public var caseID: String
    /// The delivered file's name, and who delivered it (key id hex).
    public var fileName: String
    public var deliveredBy: String
    /// Milliseconds since the epoch.
    public var createdAt: Int64
    /// Why this pending source cannot be shown (its record does not open, its item is gone), if so.
    public var problem: String? = nil
}

extension Session {
    /// The deliveries of files already in the vault made by roles that may not view items, waiting for a
    /// member who may view them to confirm them. Needs `view` on media; audited as `source.list`.
    /// - Throws: `VaultError.notPermitted`; `VaultError.integrity` for a pending source whose record does not
    ///   open or names no item; database errors.
    public func pendingSources() throws -> [PendingSourceView] {
        try require(.view, Resource(compartments: [.media], label: "pending sources"))
        return try write { db in
            var views: [PendingSourceView] = []
            for row in try PendingSourceRow.oldestFirst(db) {
                // One bad row (a record that does not open, an item gone) is shown as such, not a failed list.
                do {
                    let (record, itemID) = try pendingRecord(row.sourceID, db)
                    guard let item = try ItemRow.fetchOne(db, key: itemID) else { throw VaultError.notFound("item", itemID) }
                    guard vault.state.policy.decide(subject, .view, Resource(compartments: [.media], label: "item", caseID: item.caseID)).isPermit else { continue }
                    try checkBinding(item: itemID, db)
                    views.append(PendingSourceView(sourceID: row.sourceID, itemID: itemID, caseID: item.caseID,
                                                   fileName: record.fields["fileName"]?.displayText ?? "",
                                                   deliveredBy: record.writers[.media] ?? record.writers.values.first ?? "", createdAt: row.createdAt))
                } catch {
                    views.append(PendingSourceView(sourceID: row.sourceID, itemID: "", caseID: "", fileName: "", deliveredBy: "",
                                                   createdAt: row.createdAt, problem: "\(error)"))
                }
            }
            try audit(db, action: "source.list", objects: [])
            return views
        }
    }

    /// `amanah source confirm ID`: links pending source `sourceID` to the item whose content its file has,
    /// after checking that the delivered file's SHA-256 (sealed with it) is the item's. Needs `view` and
    /// `ingest` on the item's case; audited as `item.source-add` (the event of any further source).
    /// - Returns: the item and its case.
    /// - Throws: `VaultError.notFound` (no such pending source or item), `VaultError.notPermitted`,
    ///   `VaultError.integrity` when the hashes differ (the pending row stays); database errors.
    public func confirmSource(_ sourceID: String) throws -> (itemID: String, caseID: String) {
        try write { db in
            guard try PendingSourceRow.find(sourceID, db) != nil else { throw VaultError.notFound("pending source", sourceID) }
            let (record, itemID) = try pendingRecord(sourceID, db)
            guard let item = try ItemRow.fetchOne(db, key: itemID) else { throw VaultError.notFound("item", itemID) }
            try require(.view, Resource(compartments: [.media], label: "item \(itemID)", caseID: item.caseID))
            try require(.ingest, Resource(compartments: [.media], label: "item \(itemID)", caseID: item.caseID))
            try checkBinding(item: itemID, db)
            let itemRecord = try RecordCodec.open(kind: .item, id: itemID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
            guard let delivered = record.fields["sha256"]?.displayText, delivered == itemRecord.fields["sha256"]?.displayText else {
                throw VaultError.integrity("pending source \(sourceID): its file's SHA-256 is not that of item \(itemID); it was not linked")
            }
            try PendingSourceRow.deleteOne(db, key: sourceID)
            try ItemSourceRow(itemID: itemID, sourceID: sourceID, createdAt: Clock.nowMilliseconds()).insert(db)
            try audit(db, action: "item.source-add", objects: [itemID, item.caseID],
                      commitments: [IndexBinding.sourceCommitment(itemID: itemID, sourceID: sourceID)])
            return (itemID, item.caseID)
        }
    }

    /// `amanah source reject ID`: a pending delivery that should not be linked (a wrong witness named, a file
    /// that is not what it claims) stops being pending; its source record stays, unlinked, for the history.
    /// Needs `view` on the item's case; audited as `item.source-reject`.
    /// - Throws: `VaultError.notFound` (no such pending source), `VaultError.notPermitted`; database errors.
    public func rejectSource(_ sourceID: String) throws {
        try write { db in
            guard try PendingSourceRow.find(sourceID, db) != nil else { throw VaultError.notFound("pending source", sourceID) }
            let (_, itemID) = try pendingRecord(sourceID, db)
            let caseID = try ItemRow.fetchOne(db, key: itemID)?.caseID
            try require(.view, Resource(compartments: [.media], label: "item \(itemID)", caseID: caseID))
            _ = try PendingSourceRow.deleteOne(db, key: sourceID)
            try audit(db, action: "item.source-reject", objects: [sourceID])
        }
    }

    /// The source record of a pending delivery and the item it names.
    private func pendingRecord(_ sourceID: String, _ db: Database) throws -> (RecordCodec.Opened, String) {
        let record = try RecordCodec.open(kind: .source, id: sourceID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
        guard let itemID = record.fields["pendingItem"]?.displayText else {
            throw VaultError.integrity("pending source \(sourceID): its record names no item (or your keys cannot read it)")
        }
        return (record, itemID)
    }
}
