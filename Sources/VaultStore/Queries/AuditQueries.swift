import Foundation
import GRDB

/// Typed reads of `auditEvent` (`AuditEventRow`), the audit log in sequence (rowid) order.
extension AuditEventRow {
    /// The newest event (highest `seq`), nil for an empty log.
    /// - Throws: database errors.
    public static func newest(_ db: Database) throws -> AuditEventRow? {
        try AuditEventRow.order(Columns.seq.desc).fetchOne(db)
    }

    /// The oldest event (lowest `seq`, 1 in an intact log), nil for an empty log.
    /// - Throws: database errors.
    public static func oldest(_ db: Database) throws -> AuditEventRow? {
        try AuditEventRow.order(Columns.seq).fetchOne(db)
    }

    /// A cursor over every event in sequence order (`seq` ascending), valid only inside the read or
    /// transaction that `db` belongs to.
    /// - Throws: database errors (also from the cursor's `next()`).
    public static func inSequence(_ db: Database) throws -> RecordCursor<AuditEventRow> {
        try AuditEventRow.order(Columns.seq).fetchCursor(db)
    }

    /// The events whose leaf (event encoding ‖ signature) contains at least one of `texts` as UTF-8 bytes
    /// (SQLite `instr`), in sequence order: the candidates for a search by action, to be parsed and checked by
    /// the caller. `texts` must not be empty.
    /// - Throws: database errors (an SQL syntax error when `texts` is empty).
    public static func leavesContaining(anyOf texts: [String], _ db: Database) throws -> [AuditEventRow] {
        let filter = texts.map { _ in "instr(leaf, CAST(? AS BLOB)) > 0" }.joined(separator: " OR ")
        return try AuditEventRow.fetchAll(db, sql: "SELECT * FROM auditEvent WHERE \(filter) ORDER BY seq",
                                          arguments: StatementArguments(texts))
    }
}

/// Typed reads and writes of `auditNode` (`AuditNodeRow`), the audit tree. Each runs a statement cached on the
/// connection (`cachedStatement`), so repeated calls inside one transaction prepare it once.
extension AuditNodeRow {
    /// The largest stored leaf index (a level-0 node's `idx`), nil for an empty tree.
    /// - Throws: database errors.
    public static func largestLeafIndex(_ db: Database) throws -> Int64? {
        let statement = try db.cachedStatement(sql: "SELECT idx FROM auditNode WHERE level = 0 ORDER BY idx DESC LIMIT 1")
        return try Int64.fetchOne(statement)
    }

    /// The stored hash of node (`level`, `index`) (32 bytes in an intact tree), nil when it is not stored.
    /// - Throws: database errors.
    public static func hash(level: Int64, index: Int64, _ db: Database) throws -> Data? {
        let statement = try db.cachedStatement(sql: "SELECT hash FROM auditNode WHERE level = ? AND idx = ?")
        return try Data.fetchOne(statement, arguments: [level, index])
    }

    /// Inserts node (`level`, `index`) with `hash`.
    /// - Throws: database errors (a constraint error when the node exists already: the tree is append-only).
    public static func insert(level: Int64, index: Int64, hash: Data, _ db: Database) throws {
        let statement = try db.cachedStatement(sql: "INSERT INTO auditNode (level, idx, hash) VALUES (?, ?, ?)")
        try statement.execute(arguments: [level, index, hash])
    }

    /// Inserts the nodes (level, index, hash) all or none, in a savepoint of statements prepared once per
    /// connection (a sync appends thousands of leaves, one savepoint each).
    /// - Throws: database errors (a constraint error when a node exists already); nothing is inserted then.
    public static func insertAll(_ nodes: [(level: Int64, index: Int64, hash: Data)], _ db: Database) throws {
        try db.cachedStatement(sql: "SAVEPOINT auditNodes").execute()
        do {
            for node in nodes { try insert(level: node.level, index: node.index, hash: node.hash, db) }
        } catch {
            try? db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT auditNodes").execute()
            try? db.cachedStatement(sql: "RELEASE SAVEPOINT auditNodes").execute()
            throw error
        }
        try db.cachedStatement(sql: "RELEASE SAVEPOINT auditNodes").execute()
    }

    /// The number of stored nodes (every level).
    /// - Throws: database errors.
    public static func count(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM auditNode") ?? 0
    }
}

/// Typed reads of `checkpoint` (`CheckpointRow`), the stored checkpoints of the audit tree.
extension CheckpointRow {
    /// Every stored checkpoint, ordered by tree size then root hash (bytewise).
    /// - Throws: database errors.
    public static func bySizeAndRoot(_ db: Database) throws -> [CheckpointRow] {
        try CheckpointRow.order(Columns.size, Columns.rootHash).fetchAll(db)
    }

    /// The checkpoint of tree size `size` with root hash `rootHash` (32 bytes), nil when it is not stored.
    /// - Throws: database errors.
    public static func find(size: Int64, rootHash: Data, _ db: Database) throws -> CheckpointRow? {
        try CheckpointRow.fetchOne(db, key: [Columns.size.name: size, Columns.rootHash.name: rootHash])
    }

    /// The largest tree size of any stored checkpoint, nil when none is stored.
    /// - Throws: database errors.
    public static func largestSize(_ db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT MAX(size) FROM checkpoint")
    }

    /// The stored checkpoints of tree size `size` (one per root hash), in table order (unordered).
    /// - Throws: database errors.
    public static func all(size: Int64, _ db: Database) throws -> [CheckpointRow] {
        try CheckpointRow.filter(Columns.size == size).fetchAll(db)
    }
}

/// Typed reads of `entry` (`EntryRow`), the signed index entries.
extension EntryRow {
    /// Whether the database has the `entry` table (migration "v3-index-entries"; a database opened read-only
    /// may not have it yet).
    /// - Throws: database errors.
    public static func tableExists(_ db: Database) throws -> Bool {
        try db.tableExists(databaseTableName)
    }
}
