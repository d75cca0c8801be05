import Foundation
import GRDB

/// A row of `checkpoint`: one checkpoint of the audit tree as a C2SP signed note (UTF-8 text), keyed by its
/// tree size and root hash (32 bytes); `createdAt` in milliseconds since the epoch. Cosignatures of the same
/// checkpoint are merged into `note`, so a row's note may change; a row is never deleted.
public struct CheckpointRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "checkpoint"
    public var size: Int64
    public var rootHash: Data
    public var note: String
    public var createdAt: Int64
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let size = Column(CodingKeys.size)
        public static let rootHash = Column(CodingKeys.rootHash)
        public static let note = Column(CodingKeys.note)
        public static let createdAt = Column(CodingKeys.createdAt)
    }
    public init(size: Int64, rootHash: Data, note: String, createdAt: Int64) {
        self.size = size; self.rootHash = rootHash; self.note = note; self.createdAt = createdAt
    }
}
