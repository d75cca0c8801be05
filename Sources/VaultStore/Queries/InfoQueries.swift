import GRDB

/// Counts for `amanah info`: how many records of each kind, items and issued disclosures the index holds.
public enum IndexCounts {
    /// The number of records of `kind` ("case", "witness", …).
    /// - Throws: database errors.
    public static func records(kind: String, _ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM record WHERE kind = ?", arguments: [kind]) ?? 0
    }

    /// The number of items.
    /// - Throws: database errors.
    public static func items(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM item") ?? 0
    }

    /// The number of bundles issued (rows of `disclosure`).
    /// - Throws: database errors.
    public static func disclosures(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM disclosure") ?? 0
    }
}
