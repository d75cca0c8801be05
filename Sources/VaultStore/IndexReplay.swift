import Foundation
import GRDB

/// The index tables rebuilt from signed entries (`IndexEntry`), and their comparison with a database's.
///
/// Entries are applied in the log's order: a written row replaces the row of the same row id (a row it
/// would displace on another unique key is refused as a collision), a deleted row is deleted, and a snapshot
/// entry (`amanah migrate`) empties every index table first. Foreign keys are not enforced while
/// replaying: each entry carries every row its transaction touched, cascaded deletions included.
public struct IndexReplay {
    /// The database the entries are applied to.
    public let queue: DatabaseQueue
    /// (table, row id) → the audit event whose entry last wrote or deleted the row.
    public private(set) var writtenBy: [String: [Int64: UInt64]] = [:]

    /// An empty index in memory, with the vault's schema.
    /// - Throws: database errors.
    public init() throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        queue = try DatabaseQueue(configuration: configuration)
        try VaultSchema.migrator.migrate(queue)
    }

    /// Replays onto a copy of an existing database whose index tables are emptied first (`check --rebuild`):
    /// the log's own tables stay as they are.
    /// - Throws: database errors.
    public init(copyOf source: DatabaseQueue, to path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let target = try DatabaseQueue(path: path, configuration: configuration)
        try source.backup(to: target)
        // The copy must have Amanah's schema and nothing else: a planted trigger would fire on the replay.
        let differences = try target.read { db in try VaultSchema.differences(db) }
        guard differences.isEmpty else { throw StoreError.alteredSchema(path, differences) }
        try target.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.inTransaction {
                for table in IndexEntry.tables { try db.execute(sql: "DELETE FROM \(table.quotedDatabaseIdentifier)") }
                return .commit
            }
        }
        queue = target
    }

    /// Applies one entry, carried by audit event `event`.
    /// - Throws: `StoreError.corrupted` when the entry names a table that is not an index table or a column the
    ///   table lacks; database errors.
    public mutating func apply(_ entry: IndexEntry, event: UInt64) throws {
        if entry.snapshot { writtenBy = [:] }
        try queue.write { db in
            if entry.snapshot {
                for table in IndexEntry.tables { try db.execute(sql: "DELETE FROM \(table.quotedDatabaseIdentifier)") }
            }
            // Every row the entry touched goes first, then the rows written come back: the entry holds the
            // final state of each row it touched, so the order within it does not matter.
            for change in entry.changes {
                guard IndexEntry.tables.contains(change.table) else {
                    throw StoreError.corrupted("the entry of audit event \(event) names table \(change.table), which is not an index table")
                }
                try db.execute(sql: "DELETE FROM \(change.table.quotedDatabaseIdentifier) WHERE rowid = ?", arguments: [change.rowID])
            }
            var columnsOf: [String: Set<String>] = [:]   // per table, read once per entry
            for change in entry.changes {
                let table = change.table.quotedDatabaseIdentifier
                guard let columns = change.columns else { continue }
                if columnsOf[change.table] == nil { columnsOf[change.table] = Set(try db.columns(in: change.table).map(\.name)) }
                let known = columnsOf[change.table]!
                if let unknown = columns.first(where: { !known.contains($0.name) }) {
                    throw StoreError.corrupted("the entry of audit event \(event) names column \(unknown.name), which table \(change.table) lacks")
                }
                let names = (["rowid"] + columns.map(\.name)).map(\.quotedDatabaseIdentifier).joined(separator: ", ")
                let marks = (["?"] + columns.map(\.value.bound.sql)).joined(separator: ", ")
                var arguments = StatementArguments([change.rowID])
                arguments += StatementArguments(columns.map(\.value.bound.argument))
                do {
                    // A plain insert: a row that would displace another on a unique key is refused, never
                    // a silent deletion of that row.
                    try db.execute(sql: "INSERT INTO \(table) (\(names)) VALUES (\(marks))", arguments: arguments)
                } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                    throw StoreError.corrupted("the entry of audit event \(event) writes row \(change.rowID) of \(change.table), which collides with another row on a unique key (\(error.message ?? "constraint"))")
                }
            }
        }
        for change in entry.changes { writtenBy[change.table, default: [:]][change.rowID] = event }
    }

    /// Every difference between the index tables of `actual` and this replay, one line each naming the table,
    /// the row (its row id and key columns) and what differs, at most `limit` lines per table.
    /// - Throws: database errors.
    public func differences(from actual: Database, limit: Int = 20) throws -> [String] {
        var found: [String] = []
        for table in IndexEntry.tables {
            let expected = try queue.read { db in try IndexEntry.rows(of: table, db) }
            let present = try IndexEntry.rows(of: table, actual)
            let keyColumns = try Self.keyColumns(of: table, actual)
            var lines: [String] = []
            func name(_ rowID: Int64, _ columns: [IndexEntry.Column]) -> String {
                let key = keyColumns.compactMap { key in columns.first { $0.name == key }.map { "\(key)=\($0.value.description)" } }
                return "index table \(table), row \(rowID)" + (key.isEmpty ? "" : " (\(key.joined(separator: ", ")))")
            }
            func event(_ rowID: Int64) -> String {
                writtenBy[table]?[rowID].map { "audit event \($0)" } ?? "the signed entries"
            }
            for (rowID, columns) in present.sorted(by: { $0.key < $1.key }) {
                guard let logged = expected[rowID] else {
                    lines.append("\(name(rowID, columns)): no signed entry wrote this row (a planted or copied row)")
                    continue
                }
                let changed = columns.filter { column in logged.first { $0.name == column.name }?.value != column.value }
                var detail = changed.map { column in
                    "column \(column.name) is \(column.value.description), \(event(rowID)) wrote \(logged.first { $0.name == column.name }?.value.description ?? "no such column")"
                }
                detail += logged.filter { column in !columns.contains { $0.name == column.name } }.map { "column \($0.name), which \(event(rowID)) wrote, is missing" }
                if !detail.isEmpty { lines.append("\(name(rowID, logged)): " + detail.joined(separator: "; ")) }
            }
            for (rowID, columns) in expected.sorted(by: { $0.key < $1.key }) where present[rowID] == nil {
                lines.append("\(name(rowID, columns)): \(event(rowID)) wrote this row, but the database lacks it (a deleted row)")
            }
            if lines.count > limit {
                found += lines.prefix(limit) + ["index table \(table): \(lines.count - limit) more differences"]
            } else {
                found += lines
            }
        }
        return found
    }

    /// Row `rowID` of `table` as the entries applied so far left it (nil when there is none).
    /// - Throws: database errors.
    public func row(_ table: String, _ rowID: Int64) throws -> [IndexEntry.Column]? {
        try queue.read { db in try IndexEntry.rows(of: table, rowIDs: [rowID], db)[rowID] }
    }

    /// Number of rows in the replayed index tables.
    /// - Throws: database errors.
    public func rowCount() throws -> Int {
        try queue.read { db in
            try IndexEntry.tables.reduce(0) { $0 + (try Int.fetchOne(db, sql: "SELECT count(*) FROM \($1.quotedDatabaseIdentifier)") ?? 0) }
        }
    }

    private static func keyColumns(of table: String, _ db: Database) throws -> [String] {
        try db.primaryKey(table).columns.filter { $0.lowercased() != "rowid" }
    }
}
