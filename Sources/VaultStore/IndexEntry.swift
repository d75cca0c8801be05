import Foundation
import GRDB
import VaultCrypto

/// One signed change to the vault's index: the rows of the index tables that a transaction wrote, as they
/// stood when its audit event was appended (or that it deleted). The audit event of the transaction carries
/// `hash` and is signed by the writer, so an entry is signed with it; the entries, replayed in the log's
/// order, rebuild every index table (`IndexReplay`), and `amanah check` compares the database with that
/// replay row by row. An entry is self-contained (it names its tables, row ids and columns), which makes it
/// the unit that travels between machines.
///
/// Canonical encoding (integers big-endian; `lp(x)` = 4-byte length ‖ bytes):
/// ```
/// magic        "amanah/v1/index-entry" ‖ 0x00
/// vault id     32 bytes
/// nonce        16 random bytes (the hash in an audit event, which bundles carry, reveals nothing of the rows)
/// snapshot     1 byte: 1 when the entry holds every index row (`amanah migrate`): replay starts again from it
/// changes      4-byte count, then for each, ordered by table then row id:
///   table      lp(UTF-8)
///   row id     8 bytes (SQLite's rowid)
///   present    1 byte: 0 = the row was deleted, 1 = the row follows
///   columns    (when present) 4-byte count, then lp(column name) ‖ value, in the table's column order
/// value        tag 1 byte: 0 NULL; 1 integer (8 bytes); 2 real (8 bytes, IEEE 754); 3 text lp(UTF-8); 4 blob lp;
///              5 detached blob: its SHA-256 (32 bytes), the value kept in table `entryValue`
/// ```
/// Detached blobs (`detachedColumns`, written since issue 16): the sealed data keys of records. The append-only
/// entry table would otherwise keep a copy of every data key for good, and crypto-shredding (a witness's
/// consent withdrawn) could not destroy it; `EntryValueRow.shred` deletes every value a shredded row had.
public struct IndexEntry: Equatable, Sendable {
    /// The index tables: every table whose rows decide what is readable, masked, released or whose.
    /// The log's own tables (`auditEvent`, `auditNode`, `governance`, `checkpoint`, `entry`) are verified as
    /// the log itself and are not in entries.
    public static let tables = ["vaultMeta", "compartment", "keyWrap", "recoveryShare", "record", "recordKey", "recordField",
                                "blindIndex", "item", "itemSource", "pendingSource", "region", "disclosure"]

    /// The columns whose blobs an entry carries by hash only (table → columns): what must be destroyable.
    public static let detachedColumns: [String: Set<String>] = ["recordKey": ["sealedKey"]]

    /// One column value, as SQLite stores it. Text is kept as its bytes: SQLite compares text byte by byte,
    /// while a Swift `String` stops at a NUL read from SQLite and equates canonically equivalent Unicode
    /// (NFC and NFD), either of which would let a changed key pass as equal.
    public enum Value: Equatable, Sendable {
        case null
        case integer(Int64)
        case real(Double)
        /// The text's bytes as stored (UTF-8, possibly with NUL or in any normalisation form).
        case text([UInt8])
        case blob([UInt8])
        /// A blob of a detached column, carried by its SHA-256 (32 bytes); `value` is nil when it is no longer
        /// kept (shredded, or deleted by someone with write access to the folder).
        case detached(hash: [UInt8], value: [UInt8]?)

        /// Text from a Swift string's UTF-8.
        public static func utf8(_ string: String) -> Value { .text(Array(string.utf8)) }

        /// A short description for a report: integers and short texts as they are (control characters and
        /// NUL shown as \u{…}), blobs by length and hash prefix (a blob may be ciphertext).
        public var description: String {
            switch self {
            case .null: return "NULL"
            case .integer(let v): return String(v)
            case .real(let v): return String(v)
            case .text(let bytes):
                // Outside printable ASCII, two texts can look alike (NFC and NFD, a NUL): their bytes are shown.
                let text = String(decoding: bytes, as: UTF8.self)
                let shown = text.count <= 80 ? text : String(text.prefix(77)) + "..."
                let plain = bytes.allSatisfy { (0x20..<0x7F).contains($0) }
                return "'\(plain ? shown : shown.unicodeScalars.map { $0.value < 0x20 ? "?" : String($0) }.joined())'"
                    + (plain ? "" : " (bytes \(Hex.encode(Array(bytes.prefix(48))))\(bytes.count > 48 ? "…" : ""))")
            case .blob(let v): return "\(v.count)-byte blob \(Hex.encode(Array(SHA256Digest.hash(v).prefix(4))))…"
            case let .detached(hash, value):
                return value.map { "\($0.count)-byte blob \(Hex.encode(Array(hash.prefix(4))))…" } ?? "a shredded value (sha256 \(Hex.encode(Array(hash.prefix(4))))…)"
            }
        }

        /// A SQL expression (one `?`) and its argument that store this value with its exact bytes and type.
        var bound: (sql: String, argument: DatabaseValue) {
            switch self {
            case .null: return ("?", .null)
            case .integer(let v): return ("?", v.databaseValue)
            case .real(let v): return ("?", v.databaseValue)
            case .text(let v): return ("CAST(? AS TEXT)", Data(v).databaseValue)
            case .blob(let v): return ("?", Data(v).databaseValue)
            // A value no longer kept replays as a marker that equals no stored value: a row still present
            // with it is reported.
            case let .detached(hash, value): return ("?", Data(value ?? Array("amanah: shredded ".utf8) + hash).databaseValue)
            }
        }
    }

    /// The rows of `table` (all, or those with the given row ids) as row id → columns in table order, every
    /// value read with its exact bytes (text through `CAST(… AS BLOB)`, so that nothing is cut at a NUL).
    /// - Throws: database errors.
    public static func rows(of table: String, rowIDs: [Int64]? = nil, _ db: Database) throws -> [Int64: [Column]] {
        let names = try db.columns(in: table).map(\.name)
        let selected = names.map { name -> String in
            let column = name.quotedDatabaseIdentifier
            return "typeof(\(column)), CASE typeof(\(column)) WHEN 'text' THEN CAST(\(column) AS BLOB) ELSE \(column) END"
        }
        var sql = "SELECT rowid, " + selected.joined(separator: ", ") + " FROM \(table.quotedDatabaseIdentifier)"
        var arguments = StatementArguments()
        if let rowIDs {
            sql += " WHERE rowid IN (" + rowIDs.map { _ in "?" }.joined(separator: ", ") + ")"
            arguments = StatementArguments(rowIDs)
        }
        var rows: [Int64: [Column]] = [:]
        // Prepared once per connection and shape (a sync reads rows one at a time, thousands of times).
        let cursor = try Row.fetchCursor(try db.cachedStatement(sql: sql), arguments: arguments)
        while let row = try cursor.next() {
            let rowID: Int64 = row[0]
            rows[rowID] = try names.enumerated().map { index, name in
                let type: String = row[1 + 2 * index]
                let value = row[2 + 2 * index] as DatabaseValue
                switch (type, value.storage) {
                case ("null", _): return Column(name: name, value: .null)
                case ("integer", .int64(let v)): return Column(name: name, value: .integer(v))
                case ("real", .double(let v)): return Column(name: name, value: .real(v))
                case ("text", .blob(let v)): return Column(name: name, value: .text(Array(v)))
                case ("text", .null): return Column(name: name, value: .text([]))   // CAST('' AS BLOB) reads back as NULL
                case ("blob", .blob(let v)): return Column(name: name, value: .blob(Array(v)))
                case ("blob", .null): return Column(name: name, value: .blob([]))
                default: throw StoreError.corrupted("table \(table), row \(rowID): column \(name) cannot be read as its type \(type)")
                }
            }
        }
        return rows
    }

    /// A column and its value.
    public struct Column: Equatable, Sendable {
        public var name: String
        public var value: Value
        public init(name: String, value: Value) { self.name = name; self.value = value }
    }

    /// A row written (`columns` non-nil) or deleted (`columns` nil).
    public struct Change: Equatable, Sendable {
        public var table: String
        public var rowID: Int64
        public var columns: [Column]?
        public init(table: String, rowID: Int64, columns: [Column]?) { self.table = table; self.rowID = rowID; self.columns = columns }
    }

    static let magic = Array("amanah/v1/index-entry".utf8) + [0]

    /// 32 bytes.
    public var vaultID: [UInt8]
    /// 16 bytes.
    public var nonce: [UInt8]
    public var snapshot: Bool
    public var changes: [Change]

    public init(vaultID: [UInt8], nonce: [UInt8] = Random.bytes(16), snapshot: Bool = false, changes: [Change]) {
        self.vaultID = vaultID
        self.nonce = nonce
        self.snapshot = snapshot
        // Blobs of detached columns are carried by hash.
        self.changes = changes.sorted { ($0.table, $0.rowID) < ($1.table, $1.rowID) }.map { change in
            guard let detached = Self.detachedColumns[change.table], let columns = change.columns else { return change }
            return Change(table: change.table, rowID: change.rowID, columns: columns.map { column in
                guard detached.contains(column.name), case let .blob(value) = column.value else { return column }
                return Column(name: column.name, value: .detached(hash: SHA256Digest.hash(value), value: value))
            })
        }
    }

    /// The detached values this entry carries by hash and knows (to keep in `entryValue`).
    public var detachedValues: [(hash: [UInt8], value: [UInt8])] {
        changes.flatMap { change in
            (change.columns ?? []).compactMap { column in
                guard case let .detached(hash, value?) = column.value else { return nil }
                return (hash, value)
            }
        }
    }

    /// The canonical encoding.
    public var encoding: [UInt8] {
        var out = Self.magic
        out += vaultID
        out += nonce
        out.append(snapshot ? 1 : 0)
        out.appendBigEndian(UInt32(changes.count))
        for change in changes {
            out.appendLengthPrefixed(change.table)
            out.appendBigEndian(UInt64(bitPattern: change.rowID))
            guard let columns = change.columns else { out.append(0); continue }
            out.append(1)
            out.appendBigEndian(UInt32(columns.count))
            for column in columns {
                out.appendLengthPrefixed(column.name)
                switch column.value {
                case .null: out.append(0)
                case .integer(let v): out.append(1); out.appendBigEndian(UInt64(bitPattern: v))
                case .real(let v): out.append(2); out.appendBigEndian(v.bitPattern)
                case .text(let v): out.append(3); out.appendLengthPrefixed(v)
                case .blob(let v): out.append(4); out.appendLengthPrefixed(v)
                case .detached(let hash, _): out.append(5); out += hash
                }
            }
        }
        return out
    }

    /// SHA-256 of the encoding (32 bytes): what the entry's audit event carries.
    public var hash: [UInt8] { SHA256Digest.hash(encoding) }

    /// Parses an encoding; parse-then-encode reproduces the input exactly. A detached blob's value comes from
    /// `detachedValue` (by its SHA-256), and is nil when it returns none or a value of another hash.
    /// - Throws: `StoreError.corrupted` naming what is wrong (a detached blob outside `detachedColumns` too);
    ///   what `detachedValue` throws.
    public init(encoding bytes: [UInt8], detachedValue: ([UInt8]) throws -> [UInt8]? = { _ in nil }) throws {
        var offset = 0
        func take(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
            guard count >= 0, bytes.count - offset >= count else { throw StoreError.corrupted("an index entry is truncated at its \(what)") }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }
        func integer(_ size: Int, _ what: String) throws -> UInt64 {
            try take(size, what).reduce(0) { $0 << 8 | UInt64($1) }
        }
        func lengthPrefixed(_ what: String) throws -> [UInt8] { Array(try take(Int(try integer(4, what)), what)) }
        func text(_ what: String) throws -> String {
            guard let text = String(validating: try lengthPrefixed(what), as: UTF8.self) else {
                throw StoreError.corrupted("an index entry's \(what) is not UTF-8")
            }
            return text
        }
        guard Array(try take(Self.magic.count, "magic")) == Self.magic else { throw StoreError.corrupted("not an index entry (wrong magic)") }
        vaultID = Array(try take(32, "vault id"))
        nonce = Array(try take(16, "nonce"))
        switch try take(1, "snapshot flag").first! {
        case 0: snapshot = false
        case 1: snapshot = true
        default: throw StoreError.corrupted("an index entry's snapshot flag is neither 0 nor 1")
        }
        var changes: [Change] = []
        for _ in 0..<(try integer(4, "change count")) {
            let table = try text("table name")
            let rowID = Int64(bitPattern: try integer(8, "row id"))
            switch try take(1, "presence flag").first! {
            case 0:
                changes.append(Change(table: table, rowID: rowID, columns: nil))
            case 1:
                var columns: [Column] = []
                for _ in 0..<(try integer(4, "column count")) {
                    let name = try text("column name")
                    let value: Value
                    switch try take(1, "value tag").first! {
                    case 0: value = .null
                    case 1: value = .integer(Int64(bitPattern: try integer(8, "integer")))
                    case 2: value = .real(Double(bitPattern: try integer(8, "real")))
                    case 3: value = .text(try lengthPrefixed("text"))
                    case 4: value = .blob(try lengthPrefixed("blob"))
                    case 5:
                        guard Self.detachedColumns[table]?.contains(name) == true else {
                            throw StoreError.corrupted("an index entry carries column \(name) of \(table) by hash, which is not a detached column")
                        }
                        let hash = Array(try take(32, "detached hash"))
                        let kept = try detachedValue(hash)
                        value = .detached(hash: hash, value: kept.flatMap { SHA256Digest.hash($0) == hash ? $0 : nil })
                    default: throw StoreError.corrupted("an index entry has an unknown value tag")
                    }
                    columns.append(Column(name: name, value: value))
                }
                changes.append(Change(table: table, rowID: rowID, columns: columns))
            default:
                throw StoreError.corrupted("an index entry's presence flag is neither 0 nor 1")
            }
        }
        guard offset == bytes.count else { throw StoreError.corrupted("an index entry has trailing bytes") }
        self.changes = changes
    }

    /// An entry holding every row of every index table in `db` (what `amanah migrate` signs).
    /// - Throws: database errors.
    public static func snapshot(_ db: Database, vaultID: [UInt8]) throws -> IndexEntry {
        var changes: [Change] = []
        for table in tables {
            for (rowID, columns) in try rows(of: table, db) { changes.append(Change(table: table, rowID: rowID, columns: columns)) }
        }
        return IndexEntry(vaultID: vaultID, snapshot: true, changes: changes)
    }
}

/// A row of `entry`: the encoding of the index entry whose hash audit event `event` carries.
public struct EntryRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "entry"
    public var event: Int64
    public var body: Data
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let event = Column(CodingKeys.event)
        public static let body = Column(CodingKeys.body)
    }
    public init(event: Int64, body: Data) { self.event = event; self.body = body }
}

/// A row of `entryValue`: a detached blob of an index entry (`IndexEntry.detachedColumns`), by its SHA-256.
/// Not append-only: shredding deletes the values a destroyed row ever had (`shred`).
public enum EntryValueRow {
    /// Keeps `values` (SHA-256 → value); a value kept already is left as it is.
    /// - Throws: database errors.
    public static func keep(_ values: [(hash: [UInt8], value: [UInt8])], _ db: Database) throws {
        for (hash, value) in values {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO entryValue (hash, value) VALUES (?, ?)").execute(arguments: [Data(hash), Data(value)])
        }
    }

    /// The value of SHA-256 `hash`, nil when it is not kept (or the table does not exist yet: a database
    /// opened read-only before its migration).
    /// - Throws: database errors.
    public static func value(hash: [UInt8], _ db: Database) throws -> [UInt8]? {
        guard try db.tableExists("entryValue") else { return nil }
        return try Data.fetchOne(try db.cachedStatement(sql: "SELECT value FROM entryValue WHERE hash = ?"), arguments: [Data(hash)]).map(Array.init)
    }

    /// Deletes the values of `hashes` (SHA-256, 32 bytes each) that no entry left in the log carries, as after
    /// a return to an older log (a field collector's laptop forgetting what it sent): a value another entry
    /// still carries (an unchanged data key written again) stays. Scans the entries once per hash.
    /// - Throws: database errors.
    public static func forget(_ hashes: Set<[UInt8]>, _ db: Database) throws {
        for hash in hashes {
            let carried = try Int.fetchOne(db, sql: "SELECT 1 FROM entry WHERE instr(body, ?) > 0 LIMIT 1", arguments: [Data(hash)]) != nil
            if !carried { try db.execute(sql: "DELETE FROM entryValue WHERE hash = ?", arguments: [Data(hash)]) }
        }
    }

    /// Deletes every detached value that row `rowID` of `table` had in any entry (its data key, sealed at
    /// each generation), so that no copy outlives the row's deletion. Reads every entry: shredding is rare.
    /// - Throws: `StoreError.corrupted` for an entry that does not parse; database errors.
    public static func shred(table: String, rowID: Int64, _ db: Database) throws {
        var hashes = Set<[UInt8]>()
        let cursor = try EntryRow.fetchCursor(db)
        while let row = try cursor.next() {
            for change in try IndexEntry(encoding: Array(row.body)).changes where change.table == table && change.rowID == rowID {
                for column in change.columns ?? [] { if case let .detached(hash, _) = column.value { hashes.insert(hash) } }
            }
        }
        for hash in hashes { try db.execute(sql: "DELETE FROM entryValue WHERE hash = ?", arguments: [Data(hash)]) }
    }
}

/// Records, on one connection, which index rows each write transaction changes, so that the next audit
/// event takes them as its signed entry (`takeEntry`). Temporary triggers (per connection, never in the file)
/// note the table and row id of every insert, update and delete in a temporary table; a savepoint rolled back
/// takes its notes with it. `write` refuses to commit a transaction that changed an index row no audit event
/// took: nothing enters the index outside a signed entry, whichever code path writes it.
public final class EntryRecorder: Sendable {
    /// Installs the temporary table and triggers on `db`'s connection (after the schema is migrated).
    /// - Throws: database errors.
    public init(_ db: Database) throws {
        // A row that INSERT OR REPLACE removes for a conflicting key fires the delete trigger only with
        // recursive triggers on: its deletion is then in the entry, as every other one.
        try db.execute(sql: "PRAGMA recursive_triggers = ON")
        var sql = "CREATE TEMP TABLE IF NOT EXISTS entryPending (tbl TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (tbl, rid));\n"
        for table in IndexEntry.tables {
            let name = table.quotedDatabaseIdentifier
            let literal = "'" + table + "'"
            sql += """
                CREATE TEMP TRIGGER IF NOT EXISTS "entry.\(table).insert" AFTER INSERT ON main.\(name)
                BEGIN INSERT OR IGNORE INTO entryPending VALUES (\(literal), NEW.rowid); END;
                CREATE TEMP TRIGGER IF NOT EXISTS "entry.\(table).update" AFTER UPDATE ON main.\(name)
                BEGIN INSERT OR IGNORE INTO entryPending VALUES (\(literal), OLD.rowid); INSERT OR IGNORE INTO entryPending VALUES (\(literal), NEW.rowid); END;
                CREATE TEMP TRIGGER IF NOT EXISTS "entry.\(table).delete" AFTER DELETE ON main.\(name)
                BEGIN INSERT OR IGNORE INTO entryPending VALUES (\(literal), OLD.rowid); END;

                """
        }
        try db.execute(sql: sql)
    }

    /// The index rows changed in this transaction since the last call, as an entry (nil when none changed).
    /// - Throws: database errors.
    public func takeEntry(_ db: Database, vaultID: [UInt8]) throws -> IndexEntry? {
        let rows = try Row.fetchAll(try db.cachedStatement(sql: "SELECT tbl, rid FROM temp.entryPending ORDER BY tbl, rid"))
        guard !rows.isEmpty else { return nil }
        try db.cachedStatement(sql: "DELETE FROM temp.entryPending").execute()
        var changes: [IndexEntry.Change] = []
        for (table, keys) in Dictionary(grouping: rows, by: { $0["tbl"] as String }) {
            guard IndexEntry.tables.contains(table) else { continue }
            let ids = keys.map { $0["rid"] as Int64 }
            var present: [Int64: [IndexEntry.Column]] = [:]
            for chunk in stride(from: 0, to: ids.count, by: 500) {
                present.merge(try IndexEntry.rows(of: table, rowIDs: Array(ids[chunk..<min(chunk + 500, ids.count)]), db)) { $1 }
            }
            changes += ids.map { IndexEntry.Change(table: table, rowID: $0, columns: present[$0]) }
        }
        return IndexEntry(vaultID: vaultID, changes: changes)
    }

    /// Refuses a transaction that changed index rows no audit event took.
    /// - Throws: `StoreError.corrupted` (the caller's transaction then rolls back).
    public func requireNoPending(_ db: Database) throws {
        let left = try Int.fetchOne(db, sql: "SELECT count(*) FROM temp.entryPending") ?? 0
        if left > 0 {
            throw StoreError.corrupted("\(left) index row\(left == 1 ? "" : "s") would have been changed without a signed entry; nothing was changed (a defect in Amanah: please report it)")
        }
    }
}
