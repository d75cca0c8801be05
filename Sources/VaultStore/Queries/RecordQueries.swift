import Foundation
import GRDB

/// Typed reads of `record` (`RecordRow`): which records exist, by kind ("case", "witness", "item", "source",
/// "region") and id.
extension RecordRow {
    /// The record `id` of `kind`, nil when there is none.
    /// - Throws: database errors.
    public static func find(kind: String, id: String, _ db: Database) throws -> RecordRow? {
        try RecordRow.fetchOne(db, key: [Columns.kind.name: kind, Columns.id.name: id])
    }

    /// The ids of every record of `kind`, sorted (SQLite's binary text order).
    /// - Throws: database errors.
    public static func ids(kind: String, _ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT id FROM record WHERE kind = ? ORDER BY id", arguments: [kind])
    }

    /// The key (kind, id) of every record, sorted by kind then id (SQLite's binary text order).
    /// - Throws: database errors.
    public static func allKeys(_ db: Database) throws -> [(kind: String, id: String)] {
        try Row.fetchAll(db, sql: "SELECT kind, id FROM record ORDER BY kind, id").map { row in
            (row["kind"] as String, row["id"] as String)
        }
    }
}

/// Typed reads and deletions of `recordKey` (`RecordKeyRow`): records' data keys, one per compartment.
extension RecordKeyRow {
    /// The data key row of record `recordID` of `kind` for `compartment`, nil when there is none.
    /// - Throws: database errors.
    public static func find(kind: String, recordID: String, compartment: String, _ db: Database) throws -> RecordKeyRow? {
        try RecordKeyRow.fetchOne(db, key: [Columns.kind.name: kind, Columns.recordID.name: recordID, Columns.compartment.name: compartment])
    }

    /// The data key rows of record `recordID` of `kind`, one per compartment it has fields in, in table order
    /// (unordered).
    /// - Throws: database errors.
    public static func all(kind: String, recordID: String, _ db: Database) throws -> [RecordKeyRow] {
        try RecordKeyRow.filter(Columns.kind == kind && Columns.recordID == recordID).fetchAll(db)
    }

    /// Every data key row for `compartment`, of any record, in table order (unordered).
    /// - Throws: database errors.
    public static func all(inCompartment compartment: String, _ db: Database) throws -> [RecordKeyRow] {
        try RecordKeyRow.filter(Columns.compartment == compartment).fetchAll(db)
    }

    /// Deletes the data keys of record `recordID` of `kind`, for every compartment.
    /// - Throws: database errors.
    public static func deleteAll(kind: String, recordID: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM recordKey WHERE kind = ? AND recordID = ?", arguments: [kind, recordID])
    }

    /// Crypto-shreds the data key of record `recordID` of `kind` for `compartment` (nothing when there is
    /// none): the row is deleted, and with it every copy of the sealed key the index entries kept
    /// (`EntryValueRow.shred`), so that what the key encrypted can never be opened again.
    /// - Throws: `StoreError.corrupted` for an entry that does not parse; database errors.
    public static func shred(kind: String, recordID: String, compartment: String, _ db: Database) throws {
        let rowID = try Int64.fetchOne(db, sql: "SELECT rowid FROM recordKey WHERE kind = ? AND recordID = ? AND compartment = ?",
                                       arguments: [kind, recordID, compartment])
        guard let rowID else { return }
        try EntryValueRow.shred(table: databaseTableName, rowID: rowID, db)
        try db.execute(sql: "DELETE FROM recordKey WHERE rowid = ?", arguments: [rowID])
    }
}

/// Typed reads and deletions of `recordField` (`RecordFieldRow`): records' encrypted field values.
extension RecordFieldRow {
    /// Field `field` of record `recordID` of `kind`, nil when there is none.
    /// - Throws: database errors.
    public static func find(kind: String, recordID: String, field: String, _ db: Database) throws -> RecordFieldRow? {
        try RecordFieldRow.fetchOne(db, key: [Columns.kind.name: kind, Columns.recordID.name: recordID, Columns.field.name: field])
    }

    /// Every field of record `recordID` of `kind`, sorted by field name (SQLite's binary text order).
    /// - Throws: database errors.
    public static func all(kind: String, recordID: String, _ db: Database) throws -> [RecordFieldRow] {
        try RecordFieldRow.filter(Columns.kind == kind && Columns.recordID == recordID).order(Columns.field).fetchAll(db)
    }

    /// The fields of record `recordID` of `kind` sealed in `compartment`, in table order (unordered).
    /// - Throws: database errors.
    public static func all(kind: String, recordID: String, compartment: String, _ db: Database) throws -> [RecordFieldRow] {
        try RecordFieldRow.filter(Columns.kind == kind && Columns.recordID == recordID && Columns.compartment == compartment).fetchAll(db)
    }

    /// Field `field` of every record of `kind`, in table order (unordered).
    /// - Throws: database errors.
    public static func all(kind: String, field: String, _ db: Database) throws -> [RecordFieldRow] {
        try RecordFieldRow.filter(Columns.kind == kind && Columns.field == field).fetchAll(db)
    }

    /// Deletes every field of record `recordID` of `kind`.
    /// - Throws: database errors.
    public static func deleteAll(kind: String, recordID: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM recordField WHERE kind = ? AND recordID = ?", arguments: [kind, recordID])
    }

    /// Deletes the fields of record `recordID` of `kind` sealed in `compartment`.
    /// - Throws: database errors.
    public static func deleteAll(kind: String, recordID: String, compartment: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM recordField WHERE kind = ? AND recordID = ? AND compartment = ?", arguments: [kind, recordID, compartment])
    }
}

/// Typed reads and deletions of `blindIndex` (`BlindIndexRow`): keyed hashes of normalised field values.
extension BlindIndexRow {
    /// The ids of the records of `kind` whose `field` has blind index `token` (the truncated keyed hash of
    /// the normalised value), sorted (SQLite's binary text order); an id appears once per matching row.
    /// - Throws: database errors.
    public static func recordIDs(kind: String, field: String, token: Data, _ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT recordID FROM blindIndex WHERE kind = ? AND field = ? AND token = ? ORDER BY recordID",
                            arguments: [kind, field, token])
    }

    /// The ids of the records of `kind` that have no current token for `field` (none, or only tokens of
    /// another length than `tokenBytes`; the empty no-value token counts as current), sorted.
    /// - Throws: database errors.
    public static func recordIDsNeedingToken(kind: String, field: String, tokenBytes: Int, _ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: """
            SELECT id FROM record WHERE kind = ? AND id NOT IN
              (SELECT recordID FROM blindIndex WHERE kind = ? AND field = ? AND length(token) IN (0, ?))
            ORDER BY id
            """, arguments: [kind, kind, field, tokenBytes])
    }

    /// Deletes the tokens of `field` of record `recordID` of `kind`.
    /// - Throws: database errors.
    public static func deleteAll(kind: String, field: String, recordID: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM blindIndex WHERE kind = ? AND field = ? AND recordID = ?", arguments: [kind, field, recordID])
    }

    /// Deletes the blind index of `field` of every record of `kind`.
    /// - Throws: database errors.
    public static func deleteAll(kind: String, field: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM blindIndex WHERE kind = ? AND field = ?", arguments: [kind, field])
    }

    /// Deletes every blind index of record `recordID` of `kind`.
    /// - Throws: database errors.
    public static func deleteAll(kind: String, recordID: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM blindIndex WHERE kind = ? AND recordID = ?", arguments: [kind, recordID])
    }
}
