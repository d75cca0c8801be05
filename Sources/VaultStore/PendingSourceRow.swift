import Foundation
import GRDB

/// A row of `pendingSource` (issue 16): a delivery of a file the vault holds already, made by a member whose
/// role may not view items. It is not linked to the item until a member who may view it confirms it
/// (`amanah source confirm`); the item it matched is sealed in its source record (`pendingItem`, media
/// compartment), so the deliverer is never told which item or case their file matched.
public struct PendingSourceRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "pendingSource"
    /// The source record's id (32 hex characters).
    public var sourceID: String
    /// Milliseconds since the epoch.
    public var createdAt: Int64
    /// The table's columns, for typed queries.
    public enum Columns {
        public static let sourceID = Column(CodingKeys.sourceID)
        public static let createdAt = Column(CodingKeys.createdAt)
    }
    public init(sourceID: String, createdAt: Int64) { self.sourceID = sourceID; self.createdAt = createdAt }

    /// Every pending source, oldest first.
    /// - Throws: database errors.
    public static func oldestFirst(_ db: Database) throws -> [PendingSourceRow] {
        try PendingSourceRow.order(Columns.createdAt, Columns.sourceID).fetchAll(db)
    }

    /// The pending source `sourceID`, nil when there is none (never delivered, or confirmed already).
    /// - Throws: database errors.
    public static func find(_ sourceID: String, _ db: Database) throws -> PendingSourceRow? {
        try PendingSourceRow.fetchOne(db, key: sourceID)
    }
}
