import Foundation
import GRDB

/// A row of `remoteSync` (local to this vault folder, never in an entry): how far the log of remote `remote`
/// is known to hold exactly this vault's events: events 1…`shared`, the last with leaf hash `leafHash`
/// (32 bytes; zeros when `shared` is 0); and a digest (SHA-256) of the tags the remote listed for positions
/// 1…`tagDigestSize` at the end of the last sync, so that any of them rewritten later is seen.
public struct RemoteSyncRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "remoteSync"
    public var remote: String
    public var shared: Int64
    public var leafHash: Data
    public var tagDigest = Data()
    public var tagDigestSize: Int64 = 0
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let remote = Column(CodingKeys.remote)
        public static let shared = Column(CodingKeys.shared)
        public static let leafHash = Column(CodingKeys.leafHash)
        public static let tagDigest = Column(CodingKeys.tagDigest)
        public static let tagDigestSize = Column(CodingKeys.tagDigestSize)
    }
    public init(remote: String, shared: Int64, leafHash: Data, tagDigest: Data = Data(), tagDigestSize: Int64 = 0) {
        self.remote = remote; self.shared = shared; self.leafHash = leafHash; self.tagDigest = tagDigest; self.tagDigestSize = tagDigestSize
    }

    /// The row of remote `name`, nil when it never synced (or the table does not exist yet).
    /// - Throws: database errors.
    public static func find(remote name: String, _ db: Database) throws -> RemoteSyncRow? {
        guard try db.tableExists(databaseTableName) else { return nil }
        return try RemoteSyncRow.filter(Columns.remote == name).fetchOne(db)
    }

    /// Every row.
    /// - Throws: database errors.
    public static func all(_ db: Database) throws -> [RemoteSyncRow] {
        guard try db.tableExists(databaseTableName) else { return [] }
        return try RemoteSyncRow.fetchAll(db)
    }

    /// Records how far remote `remote` agrees with this vault (replacing what was recorded).
    /// - Throws: database errors.
    public func save(_ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO remoteSync (remote, shared, leafHash, tagDigest, tagDigestSize) VALUES (?, ?, ?, ?, ?)",
                       arguments: [remote, shared, leafHash, tagDigest, tagDigestSize])
    }

    /// Forgets remote `name` (`amanah remote remove`).
    /// - Throws: database errors.
    public static func forget(remote name: String, _ db: Database) throws {
        guard try db.tableExists(databaseTableName) else { return }
        try db.execute(sql: "DELETE FROM remoteSync WHERE remote = ?", arguments: [name])
    }
}

/// Takes back the events this client wrote and no remote holds yet, to write them again after the events that
/// another client placed first (`amanah sync` rebasing its pending events). Only the sync engine calls it,
/// inside the transaction that appends the replacements: the append-only triggers are lifted for the
/// statement and put back with their exact SQL before it returns.
public enum LogRewind {
    /// Deletes audit events above `size`, their entries, every tree node that covers a leaf at or above index
    /// `size`, and governance entries above `governanceLength`. Index rows are the caller's to restore.
    /// - Throws: database errors.
    public static func rewind(toSize size: Int64, governanceLength: Int64, _ db: Database) throws {
        let guards = ["auditEventNoDelete", "auditNodeNoDelete", "entryNoDelete", "governanceNoDelete"]
        let marks = guards.map { _ in "?" }.joined(separator: ", ")
        let saved = try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN (\(marks))",
                                     arguments: StatementArguments(guards))
        for row in saved { try db.execute(sql: "DROP TRIGGER \((row["name"] as String).quotedDatabaseIdentifier)") }
        try db.execute(sql: "DELETE FROM auditEvent WHERE seq > ?", arguments: [size])
        // Node (level, idx) covers leaves idx·2^level ..< (idx+1)·2^level: it stays only when all are below size.
        try db.execute(sql: "DELETE FROM auditNode WHERE ((idx + 1) << level) > ?", arguments: [size])
        try db.execute(sql: "DELETE FROM entry WHERE event > ?", arguments: [size])
        try db.execute(sql: "DELETE FROM governance WHERE seq > ?", arguments: [governanceLength])
        if try db.tableExists(AuthoredEventRow.databaseTableName) {
            try db.execute(sql: "DELETE FROM authoredEvent WHERE event > ?", arguments: [size])
        }
        for row in saved { try db.execute(sql: row["sql"] as String) }
    }
}

extension EntryRow {
    /// The entries of events below `event`, newest first (for finding the state a row had before them).
    /// - Throws: database errors (also from the cursor's `next()`).
    public static func newestFirst(below event: Int64, _ db: Database) throws -> RecordCursor<EntryRow> {
        try EntryRow.filter(Columns.event < event).order(Columns.event.desc).fetchCursor(db)
    }

    /// The entry stored under `event`, nil when none is.
    /// - Throws: database errors.
    public static func find(event: Int64, _ db: Database) throws -> EntryRow? {
        try EntryRow.filter(Columns.event == event).fetchOne(db)
    }

    /// Whether any entry is stored.
    /// - Throws: database errors.
    public static func any(_ db: Database) throws -> Bool {
        try EntryRow.limit(1).fetchOne(db) != nil
    }
}

extension IndexEntry {
    /// The columns that name a row of `table` apart from its row id: its declared primary key, or every
    /// column for a table without one (`blindIndex`).
    /// - Throws: database errors.
    public static func naturalKey(of table: String, _ db: Database) throws -> [String] {
        let key = try db.primaryKey(table).columns.filter { $0.lowercased() != "rowid" }
        return key.isEmpty ? try db.columns(in: table).map(\.name) : key
    }

    /// The row id of the row of `table` whose natural key columns (`naturalKey`) hold the values in
    /// `columns`, nil when there is none.
    /// - Throws: database errors.
    public static func rowID(in table: String, matching columns: [Column], _ db: Database) throws -> Int64? {
        let key = try naturalKey(of: table, db)
        var clauses: [String] = []
        var arguments = StatementArguments()
        for name in key {
            guard let column = columns.first(where: { $0.name == name }) else { return nil }
            if case .null = column.value {
                clauses.append("\(name.quotedDatabaseIdentifier) IS NULL")
            } else {
                let bound = column.value.bound
                clauses.append("\(name.quotedDatabaseIdentifier) = \(bound.sql)")
                arguments += [bound.argument]
            }
        }
        return try Int64.fetchOne(try db.cachedStatement(sql: "SELECT rowid FROM \(table.quotedDatabaseIdentifier) WHERE " + clauses.joined(separator: " AND ") + " LIMIT 1"),
                                  arguments: arguments)
    }

    /// Writes `columns` as row `rowID` of `table`: an update of the row of that row id when there is one (an
    /// update, so that no foreign-key cascade removes the rows that refer to it), an insert otherwise (with a
    /// row id SQLite chooses when `rowID` is nil); returns the row id written.
    /// - Throws: `StoreError.corrupted` when the row would collide with another on a unique key; database errors.
    @discardableResult
    public static func write(_ columns: [Column], to table: String, rowID: Int64?, _ db: Database) throws -> Int64 {
        let name = table.quotedDatabaseIdentifier
        do {
            // Statements prepared once per connection and table (a sync writes thousands of rows).
            if let rowID, try Int.fetchOne(try db.cachedStatement(sql: "SELECT count(*) FROM \(name) WHERE rowid = ?"), arguments: [rowID]) ?? 0 > 0 {
                let assignments = columns.map { "\($0.name.quotedDatabaseIdentifier) = \($0.value.bound.sql)" }.joined(separator: ", ")
                var arguments = StatementArguments(columns.map(\.value.bound.argument))
                arguments += [rowID]
                try db.cachedStatement(sql: "UPDATE \(name) SET \(assignments) WHERE rowid = ?").execute(arguments: arguments)
                return rowID
            }
            let names = ((rowID == nil ? [] : ["rowid"]) + columns.map(\.name)).map(\.quotedDatabaseIdentifier).joined(separator: ", ")
            let marks = ((rowID == nil ? [] : ["?"]) + columns.map(\.value.bound.sql)).joined(separator: ", ")
            var arguments = StatementArguments(rowID.map { [$0] } ?? [Int64]())
            arguments += StatementArguments(columns.map(\.value.bound.argument))
            try db.cachedStatement(sql: "INSERT INTO \(name) (\(names)) VALUES (\(marks))").execute(arguments: arguments)
            return rowID ?? db.lastInsertedRowID
        } catch let error as DatabaseError where error.resultCode.primaryResultCode == .SQLITE_CONSTRAINT {
            throw StoreError.corrupted("a row of \(table) collides with another on a unique key (\(error.message ?? "constraint"))")
        }
    }

    /// Applies this entry to the index tables of `db` in the caller's transaction: every deletion first, then
    /// every row written at its row id (a snapshot empties the tables first). Used for entries received from a
    /// remote, after their event verified; the caller compares what the connection's `EntryRecorder` noted
    /// with the entry.
    /// - Throws: `StoreError.corrupted` for a table that is not an index table, a column the table lacks or a
    ///   row that collides with another; database errors.
    public func apply(_ db: Database) throws {
        // Rows are applied in table order, a child (blindIndex) before its record: foreign keys are checked
        // at the commit, when the whole entry is in place (SQLite resets this at the transaction's end).
        // Set only when off: setting a flag pragma expires every prepared statement of the connection, which
        // then compiles again on its next use (once per applied entry, that was half of a clone's time).
        if try Bool.fetchOne(try db.cachedStatement(sql: "PRAGMA defer_foreign_keys")) != true {
            try db.cachedStatement(sql: "PRAGMA defer_foreign_keys = ON").execute()
        }
        if snapshot {
            for table in Self.tables.reversed() { try db.execute(sql: "DELETE FROM \(table.quotedDatabaseIdentifier)") }
        }
        for change in changes {
            guard Self.tables.contains(change.table) else { throw StoreError.corrupted("an entry names table \(change.table), which is not an index table") }
            if change.columns == nil { try Self.delete(from: change.table, rowID: change.rowID, db) }
        }
        var known: [String: Set<String>] = [:]
        for change in changes {
            guard let columns = change.columns else { continue }
            if known[change.table] == nil { known[change.table] = Set(try db.columns(in: change.table).map(\.name)) }
            if let unknown = columns.first(where: { !known[change.table]!.contains($0.name) }) {
                throw StoreError.corrupted("an entry names column \(unknown.name), which table \(change.table) lacks")
            }
            try Self.write(columns, to: change.table, rowID: change.rowID, db)
        }
    }

    /// Deletes row `rowID` of `table` (nothing when there is none).
    /// - Throws: database errors.
    public static func delete(from table: String, rowID: Int64, _ db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM \(table.quotedDatabaseIdentifier) WHERE rowid = ?").execute(arguments: [rowID])
    }
}

/// The event a field collector signed (through an inbox) for the log position a member placed it at
/// (`event`): the collector's stored leaf, as its own vault signed it at a position of its own, and the index
/// entry it signed; `submission` is the inbox object it came in. A collector's event is placed at most once
/// (its leaf hash is unique).
public struct AuthoredEventRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "authoredEvent"
    public var event: Int64
    public var submission: String
    public var leaf: Data
    public var leafHash: Data
    public var entry: Data?
    public init(event: Int64, submission: String, leaf: Data, leafHash: Data, entry: Data?) {
        self.event = event; self.submission = submission; self.leaf = leaf; self.leafHash = leafHash; self.entry = entry
    }

    /// The row of log position `event`, nil when a member wrote that event themselves.
    /// - Throws: database errors.
    public static func find(event: Int64, _ db: Database) throws -> AuthoredEventRow? {
        guard try db.tableExists(databaseTableName) else { return nil }
        return try AuthoredEventRow.fetchOne(try db.cachedStatement(sql: "SELECT * FROM authoredEvent WHERE event = ?"), arguments: [event])
    }

    /// Whether the collector's event with this leaf hash (32 bytes) is placed already.
    /// - Throws: database errors.
    public static func placed(leafHash: [UInt8], _ db: Database) throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT 1 FROM authoredEvent WHERE leafHash = ?", arguments: [Data(leafHash)]) != nil
    }

    /// Every row, in log order.
    /// - Throws: database errors.
    public static func allInLogOrder(_ db: Database) throws -> [AuthoredEventRow] {
        guard try db.tableExists(databaseTableName) else { return [] }
        return try AuthoredEventRow.order(Column("event")).fetchAll(db)
    }

    /// The row of the collector's event with this leaf hash (32 bytes), nil when it is not placed.
    /// - Throws: database errors.
    public static func find(leafHash: [UInt8], _ db: Database) throws -> AuthoredEventRow? {
        try AuthoredEventRow.fetchOne(db, sql: "SELECT * FROM authoredEvent WHERE leafHash = ?", arguments: [Data(leafHash)])
    }
}

/// What this client made of an inbox object (`key`) it will not look at again: "refused: why".
public struct InboxSubmissionRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "inboxSubmission"
    public var key: String
    public var outcome: String
    public init(key: String, outcome: String) { self.key = key; self.outcome = outcome }

    /// Every row, by key.
    /// - Throws: database errors.
    public static func all(_ db: Database) throws -> [String: String] {
        Dictionary(try InboxSubmissionRow.fetchAll(db).map { ($0.key, $0.outcome) }, uniquingKeysWith: { a, _ in a })
    }
}
