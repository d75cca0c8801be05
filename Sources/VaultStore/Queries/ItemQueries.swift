import Foundation
import GRDB

/// Typed reads of `item` (`ItemRow`): the sealed originals, numbered per case by `sequence` (from 1).
extension ItemRow {
    /// The items of case `caseID`, or of every case when nil, ordered by case id then sequence.
    /// - Throws: database errors.
    public static func all(inCase caseID: String?, _ db: Database) throws -> [ItemRow] {
        var request = ItemRow.order(Columns.caseID, Columns.sequence)
        if let caseID { request = request.filter(Columns.caseID == caseID) }
        return try request.fetchAll(db)
    }

    /// Every item, ordered by id (SQLite's binary text order).
    /// - Throws: database errors.
    public static func allByID(_ db: Database) throws -> [ItemRow] {
        try ItemRow.order(Columns.id).fetchAll(db)
    }

    /// The ids of the items of case `caseID`, in sequence order.
    /// - Throws: database errors.
    public static func ids(inCase caseID: String, _ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT id FROM item WHERE caseID = ? ORDER BY sequence", arguments: [caseID])
    }

    /// The id of every item, in table order (unordered).
    /// - Throws: database errors.
    public static func allIDs(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT id FROM item")
    }

    /// The item whose duplicate-detection token is `contentToken` (32 bytes, `ContentToken`), nil when none.
    /// - Throws: database errors.
    public static func find(contentToken: Data, _ db: Database) throws -> ItemRow? {
        try ItemRow.filter(Columns.contentToken == contentToken).fetchOne(db)
    }

    /// The highest sequence number of case `caseID`'s items, nil when the case has none.
    /// - Throws: database errors.
    public static func highestSequence(inCase caseID: String, _ db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM item WHERE caseID = ?", arguments: [caseID])
    }

    /// The highest sequence number in case `caseID` among items other than `excluded` (item ids), nil for none.
    /// - Throws: database errors.
    public static func highestSequence(inCase caseID: String, excluding excluded: Set<String>, _ db: Database) throws -> Int64? {
        var highest: Int64?
        for row in try Row.fetchAll(db, sql: "SELECT id, sequence FROM item WHERE caseID = ?", arguments: [caseID]) where !excluded.contains(row["id"]) {
            let sequence: Int64 = row["sequence"]
            highest = max(highest ?? sequence, sequence)
        }
        return highest
    }

    /// Whether an item other than `excluded` (item ids) has number `sequence` in case `caseID`.
    /// - Throws: database errors.
    public static func taken(caseID: String, sequence: Int64, excluding excluded: Set<String>, _ db: Database) throws -> Bool {
        try String.fetchAll(db, sql: "SELECT id FROM item WHERE caseID = ? AND sequence = ?", arguments: [caseID, sequence]).contains { !excluded.contains($0) }
    }

    /// Whether case `caseID` has an item with sequence number `sequence`.
    /// - Throws: database errors.
    public static func exists(caseID: String, sequence: Int64, _ db: Database) throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM item WHERE caseID = ? AND sequence = ?", arguments: [caseID, sequence]) ?? 0 > 0
    }

    /// The items whose blob has not been through the re-encryption at chain position `epoch` (`keyEpoch`
    /// below it), ordered by id (SQLite's binary text order).
    /// - Throws: database errors.
    public static func all(keyEpochBelow epoch: Int64, _ db: Database) throws -> [ItemRow] {
        try ItemRow.filter(Columns.keyEpoch < epoch).order(Columns.id).fetchAll(db)
    }
}

/// Typed reads of `itemSource` (`ItemSourceRow`): the deliveries of each item.
extension ItemSourceRow {
    /// The source links of item `itemID`, in table order (unordered).
    /// - Throws: database errors.
    public static func onItem(_ itemID: String, _ db: Database) throws -> [ItemSourceRow] {
        try ItemSourceRow.filter(Columns.itemID == itemID).fetchAll(db)
    }

    /// The source links of item `itemID`, oldest first (`createdAt`, then source id).
    /// - Throws: database errors.
    public static func onItemOldestFirst(_ itemID: String, _ db: Database) throws -> [ItemSourceRow] {
        try ItemSourceRow.filter(Columns.itemID == itemID).order(Columns.createdAt, Columns.sourceID).fetchAll(db)
    }

    /// The source record ids linked to item `itemID`, in table order (unordered).
    /// - Throws: database errors.
    public static func sourceIDs(ofItem itemID: String, _ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT sourceID FROM itemSource WHERE itemID = ?", arguments: [itemID])
    }

    /// The ids of the items that source record `sourceID` is linked to, in table order (unordered).
    /// - Throws: database errors.
    public static func itemIDs(ofSource sourceID: String, _ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT itemID FROM itemSource WHERE sourceID = ?", arguments: [sourceID])
    }

    /// The item id of every source link (an id once per link), in table order (unordered).
    /// - Throws: database errors.
    public static func allItemIDs(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT itemID FROM itemSource")
    }
}

/// Typed reads of `region` (`RegionRow`): the rectangles to mask on items.
extension RegionRow {
    /// The regions of item `itemID`, in table order (unordered).
    /// - Throws: database errors.
    public static func onItem(_ itemID: String, _ db: Database) throws -> [RegionRow] {
        try RegionRow.filter(Columns.itemID == itemID).fetchAll(db)
    }

    /// The regions of item `itemID`, oldest first (`createdAt`, then id).
    /// - Throws: database errors.
    public static func onItemOldestFirst(_ itemID: String, _ db: Database) throws -> [RegionRow] {
        try RegionRow.filter(Columns.itemID == itemID).order(Columns.createdAt, Columns.id).fetchAll(db)
    }

    /// The categories of item `itemID`'s regions, ordered by region id (one per region, repeats kept).
    /// - Throws: database errors.
    public static func categories(onItem itemID: String, _ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT category FROM region WHERE itemID = ? ORDER BY id", arguments: [itemID])
    }

    /// The item id of every region (an id once per region), in table order (unordered).
    /// - Throws: database errors.
    public static func allItemIDs(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT itemID FROM region")
    }
}
