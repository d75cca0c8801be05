import Foundation
import GRDB

/// Typed reads and writes of `disclosure` (`DisclosureRow`), the issued bundles.
extension DisclosureRow {
    /// How a release plan was issued: its bundle number in the recipient's range, the manifest hash
    /// (32 bytes), when (milliseconds since the epoch) and the audit tree size its custody checkpoint covers
    /// (nil for bundles issued before that was recorded).
    public struct Issue: Sendable {
        public var bundleNumber: Int
        public var manifestHash: Data
        public var issuedAt: Int64
        public var checkpointSize: Int64?
    }

    /// A row as the ledger check compares it with the log: recipient, bundle number and the plan and manifest
    /// hashes (32 bytes each). Each value is decoded when it is read.
    public struct Listed {
        let row: Row
        public var recipient: String { row["recipient"] }
        public var bundleNumber: Int { row["bundleNumber"] }
        public var planHash: Data { row["planHash"] }
        public var manifestHash: Data { row["manifestHash"] }
    }

    /// The issue of the release plan whose hash is `planHash` (32 bytes), nil when it was never recorded.
    /// - Throws: database errors.
    public static func issue(planHash: Data, _ db: Database) throws -> Issue? {
        guard let row = try Row.fetchOne(db, sql: "SELECT bundleNumber, manifestHash, issuedAt, checkpointSize FROM disclosure WHERE planHash = ?",
                                         arguments: [planHash]) else { return nil }
        return Issue(bundleNumber: row["bundleNumber"], manifestHash: row["manifestHash"] as Data, issuedAt: row["issuedAt"],
                     checkpointSize: row["checkpointSize"] as Int64?)
    }

    /// The number of items of the issued plan whose hash is `planHash` (32 bytes), nil when no row records it.
    /// - Throws: database errors.
    public static func itemCount(planHash: Data, _ db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT itemCount FROM disclosure WHERE planHash = ?", arguments: [planHash])
    }

    /// Every row, ordered by recipient then bundle number.
    /// - Throws: database errors.
    public static func listed(_ db: Database) throws -> [Listed] {
        try Row.fetchAll(db, sql: "SELECT recipient, bundleNumber, planHash, manifestHash FROM disclosure ORDER BY recipient, bundleNumber").map(Listed.init(row:))
    }

    /// The highest bundle number recorded for `recipient`, nil when none is.
    /// - Throws: database errors.
    public static func highestBundleNumber(recipient: String, _ db: Database) throws -> Int? {
        try Int.fetchOne(db, sql: "SELECT MAX(bundleNumber) FROM disclosure WHERE recipient = ?", arguments: [recipient])
    }

    /// Records an issued bundle (see the type's description for the values' meaning).
    /// - Throws: database errors (a constraint error when the recipient's bundle number or the plan hash is
    ///   already recorded).
    public static func insert(recipient: String, bundleNumber: Int, planHash: Data, manifestHash: Data, itemCount: Int, issuedAt: Int64,
                              checkpointSize: Int64, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO disclosure (recipient, bundleNumber, planHash, manifestHash, itemCount, issuedAt, checkpointSize)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [recipient, bundleNumber, planHash, manifestHash, itemCount, issuedAt, checkpointSize])
    }
}
