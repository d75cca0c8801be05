import VaultPlatform
import GRDB
import VaultCrypto
#if canImport(Glibc)
import Glibc
#endif

/// The vault's SQLite database (`vault.sqlite`) through GRDB, in WAL mode with `synchronous = FULL` (a
/// committed transaction survives power loss) and `secure_delete = ON` (deleted ciphertext is overwritten,
/// which crypto-shredding relies on).
public final class VaultDatabase: Sendable {
    /// The GRDB connection.
    public let queue: DatabaseQueue
    /// Path of the database file.
    public let path: String
    /// Records the index rows each write transaction changes, for its audit event's signed entry (nil when
    /// the database was opened read-only).
    public let entries: EntryRecorder?

    /// Opens (or, when `create` is true, creates) the database at `path` and migrates it.
    /// - Parameter readOnly: open without write access (verification commands).
    /// - Throws: `StoreError.missing` when absent and `create` is false; `StoreError.io` on database errors.
    ///
    /// Test hooks, honoured only by DEBUG builds (release builds compile them out), to show that an operation
    /// whose audit event cannot be written does not happen (tests run as root, which `chmod` cannot stop):
    /// - `AMANAH_TEST_READ_ONLY_DATABASE=1` opens an existing database read-only at the SQLite level, as a
    ///   read-only file or mount would; every write transaction then fails with SQLITE_READONLY.
    /// - `AMANAH_TEST_MAX_PAGE_COUNT=N` sets `PRAGMA max_page_count = N` on the connection (SQLite keeps at
    ///   least the current page count): a write that needs a new page fails with SQLITE_FULL, as on a full
    ///   disk. Writes that fit in free space of existing pages still succeed, as they would on a real disk.
    public init(path: String, create: Bool = false, readOnly: Bool = false) throws {
        if !create && !DurableFile.exists(path) { throw StoreError.missing(path) }
        let readOnly = readOnly || (!create && VaultDatabase.testHook("AMANAH_TEST_READ_ONLY_DATABASE") == "1")
        let maxPageCount = VaultDatabase.testHook("AMANAH_TEST_MAX_PAGE_COUNT").flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        // Before SQLite touches the file: an empty or foreign file is refused as it is (opening it read-write
        // would give it a header, a journal mode and, through the migrator, a fresh schema).
        if !create { try VaultDatabase.checkHeader(path) }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(30)
        // The journal mode is set below, after the schema check, and not through `configuration.journalMode`:
        // GRDB's WAL set-up sets `synchronous = NORMAL` after `prepareDatabase` runs, and in WAL mode NORMAL
        // does not sync a commit, so a transaction reported as done could vanish on power loss.
        configuration.prepareDatabase { db in
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "PRAGMA secure_delete = ON")
            }
            if let maxPageCount { try db.execute(sql: "PRAGMA max_page_count = \(maxPageCount)") }
        }
        do {
            // The schema is checked on a read-only connection first: closing a read-write connection would
            // fold a foreign database's write-ahead log into its main file.
            if !create && !readOnly { try VaultDatabase.checkSchemaReadOnly(path: path) }
            queue = try DatabaseQueue(path: path, configuration: configuration)
            if create {
                try VaultDatabase.enableWAL(queue, path: path)
                try VaultSchema.migrator.migrate(queue)
            } else {
                try VaultDatabase.checkSchema(queue, path: path)
                if !readOnly {
                    try VaultDatabase.enableWAL(queue, path: path)
                    try VaultSchema.migrator.migrate(queue)
                }
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            // SQLite reports a full disk while it sets up its shared-memory and log files as an I/O error.
            if DurableFile.freeBytes(near: path).map({ $0 < 64 << 10 }) ?? false { throw StoreError.diskFull(path) }
            throw StoreError(databaseError: error, path: path, operation: "open")
        } catch {
            throw StoreError.io("open \(path)", "\(error)")
        }
        self.path = path
        if readOnly {
            entries = nil
        } else {
            do {
                entries = try queue.inDatabase { db in try EntryRecorder(db) }
            } catch let error as DatabaseError {
                throw StoreError(databaseError: error, path: path, operation: "open")
            }
        }
    }

    /// Runs `body` in one write transaction that commits only if every index row it changed was taken into
    /// an audit event's signed entry (`EntryRecorder`).
    /// - Throws: what `body` throws; `StoreError.corrupted` for index rows left without an entry; database
    ///   errors. The transaction rolls back on any of them.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.write { db in
            let result = try body(db)
            try entries?.requireNoPending(db)
            return result
        }
    }

    /// `PRAGMA synchronous` of the connection as SQLite reports it: 2 (FULL) for a writable vault database, so
    /// that every commit is on disk before it is reported (tests read it through the CLI's own configuration).
    /// - Throws: `DatabaseError` if the database cannot be read.
    public func synchronousLevel() throws -> Int {
        try queue.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)` on this database: folds the write-ahead log into the main file and
    /// truncates the log to zero bytes.
    /// - Throws: database errors.
    public func truncateWAL() throws {
        try Self.truncateWAL(queue)
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)` on `queue` (another database, such as a rebuilt index), outside a
    /// transaction.
    /// - Throws: database errors.
    public static func truncateWAL(_ queue: DatabaseQueue) throws {
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// SQLite's `PRAGMA integrity_check(100)` (or, when `quick`, `PRAGMA quick_check(100)`, which skips comparing
    /// indexes with their tables) on this connection.
    /// - Returns: the lines SQLite reports, at most 100: `["ok"]` for a sound database.
    /// - Throws: `DatabaseError` when the database cannot be read.
    public func integrityCheckLines(quick: Bool) throws -> [String] {
        let pragma = quick ? "quick_check" : "integrity_check"
        return try queue.read { db in try String.fetchAll(db, sql: "PRAGMA \(pragma)(100)") }
    }

    /// Puts the database in write-ahead-log mode and checks that the connection still syncs every commit.
    private static func enableWAL(_ queue: DatabaseQueue, path: String) throws {
        try queue.inDatabase { db in
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode?.lowercased() == "wal" else { throw StoreError.io("open \(path)", "could not turn on write-ahead logging") }
            let level = try Int.fetchOne(db, sql: "PRAGMA synchronous")
            guard level == 2 else { throw StoreError.io("open \(path)", "PRAGMA synchronous reads back \(level ?? -1), not 2 (FULL)") }
        }
    }

    /// `checkSchema` on a connection of its own that cannot write. Where SQLite cannot open the file
    /// read-only (a write-ahead log without its shared-memory file), the check runs on the read-write
    /// connection instead.
    private static func checkSchemaReadOnly(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        let reader: DatabaseQueue
        do { reader = try DatabaseQueue(path: path, configuration: configuration) } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN {
            return
        }
        defer { try? reader.close() }
        try checkSchema(reader, path: path)
    }

    /// SQLite's `PRAGMA integrity_check` over the database at `path`, on a read-only connection that runs no
    /// other query: what `amanah check` can still say about a database too damaged to open as a vault.
    /// - Returns: the problems SQLite reports (empty for "ok"), or the error that stopped the check.
    public static func integrityCheck(path: String) -> [String] {
        guard DurableFile.exists(path) else { return [] }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let reader = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? reader.close() }
            let lines = try reader.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check(100)") }
            return lines == ["ok"] ? [] : lines
        } catch let error as DatabaseError {
            return [error.message ?? "\(error.resultCode)"]
        } catch {
            return ["\(error)"]
        }
    }

    /// Refuses, without writing, a file that is empty or is not an SQLite database.
    private static func checkHeader(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw StoreError.io("open \(path)", lastErrorText()) }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 16)
        let n = read(fd, &header, 16)
        if n == 0 {
            throw StoreError.foreign(path, "the file is empty; it was left as it is (restore vault.sqlite from a backup)")
        }
        guard n == 16, header == Array("SQLite format 3".utf8) + [0] else {
            throw StoreError.foreign(path, "it is not an SQLite database; it was left as it is")
        }
    }

    /// Refuses, without writing, a database that Amanah did not make (no migration table or no `vaultMeta`)
    /// or that a newer Amanah made (a migration this program does not know), and, for read-only opens, one
    /// whose schema is older than this program's.
    private static func checkSchema(_ queue: DatabaseQueue, path: String) throws {
        try queue.read { db in
            guard try db.tableExists("grdb_migrations"), try db.tableExists("vaultMeta") else {
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
                throw StoreError.foreign(path, tables == 0
                    ? "the database holds no tables; it was left as it is (restore vault.sqlite from a backup)"
                    : "it holds \(tables) table\(tables == 1 ? "" : "s") but not the vault's; it was left as it is")
            }
            let known = Set(VaultSchema.migrator.migrations)
            let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            let unknown = applied.filter { !known.contains($0) }
            guard unknown.isEmpty else { throw StoreError.newerSchema(path, unknown.sorted()) }
            let differences = try VaultSchema.differences(db)
            guard differences.isEmpty else { throw StoreError.alteredSchema(path, differences) }
            if db.configuration.readonly {
                guard try VaultSchema.readableWithoutMigrating(db) else {
                    throw StoreError.corrupted("the database schema is older than this program can read; open it once with a command that writes, to migrate it")
                }
            }
        }
    }

    /// The value of a test hook variable in DEBUG builds; always nil in release builds.
    static func testHook(_ name: String) -> String? {
        #if DEBUG
        guard let raw = getenv(name) else { return nil }
        return String(cString: raw)
        #else
        return nil
        #endif
    }
}

/// The schema. Migrations have stable ids and are never edited once shipped (GRDB's `DatabaseMigrator`).
public enum VaultSchema {
    /// All migrations in order.
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // Key-value facts about this vault (its id).
            try db.create(table: "vaultMeta") { t in
                t.primaryKey("key", .text)
                t.column("value", .blob).notNull()
            }
            // The governance chain after the genesis: signed state changes, hash-linked.
            try db.create(table: "governance") { t in
                t.primaryKey("seq", .integer)
                t.column("body", .blob).notNull()
                t.column("hash", .blob).notNull().unique()
            }
            // Compartment public keys, one row per generation.
            try db.create(table: "compartment") { t in
                t.column("name", .text).notNull()
                t.column("generation", .integer).notNull()
                t.column("publicKey", .blob).notNull()
                t.column("attestedBy", .blob)
                t.column("attestation", .blob)
                t.column("attestedAtChain", .integer)
                t.primaryKey(["name", "generation"])
            }
            // Compartment secret keys and index keys, sealed to holders (member key id hex, or "recovery").
            try db.create(table: "keyWrap") { t in
                t.column("compartment", .text).notNull()
                t.column("generation", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("holder", .text).notNull()
                t.column("sealed", .blob).notNull()
                t.primaryKey(["compartment", "generation", "kind", "holder"])
                t.foreignKey(["compartment", "generation"], references: "compartment")
            }
            // Shamir shares of the recovery key, each sealed to one custodian.
            try db.create(table: "recoveryShare") { t in
                t.column("generation", .integer).notNull()
                t.column("custodian", .text).notNull()
                t.column("shareIndex", .integer).notNull()
                t.column("sealed", .blob).notNull()
                t.column("commitment", .blob).notNull()
                t.primaryKey(["generation", "custodian"])
            }
            // Records (case, witness, item, source): ids are labels chosen by people or random item ids.
            try db.create(table: "record") { t in
                t.column("kind", .text).notNull()
                t.column("id", .text).notNull()
                t.column("createdAt", .integer).notNull()
                t.primaryKey(["kind", "id"])
            }
            // One data key per record and compartment, sealed to the compartment's public key.
            try db.create(table: "recordKey") { t in
                t.column("kind", .text).notNull()
                t.column("recordID", .text).notNull()
                t.column("compartment", .text).notNull()
                t.column("generation", .integer).notNull()
                t.column("sealedKey", .blob).notNull()
                t.primaryKey(["kind", "recordID", "compartment"])
                t.foreignKey(["kind", "recordID"], references: "record", onDelete: .cascade)
            }
            // Encrypted fields (XChaCha20-Poly1305, associated data = vault id ‖ kind ‖ record id ‖ field).
            try db.create(table: "recordField") { t in
                t.column("kind", .text).notNull()
                t.column("recordID", .text).notNull()
                t.column("field", .text).notNull()
                t.column("compartment", .text).notNull()
                t.column("ciphertext", .blob).notNull()
                t.primaryKey(["kind", "recordID", "field"])
                t.foreignKey(["kind", "recordID"], references: "record", onDelete: .cascade)
            }
            // Blind indexes: truncated keyed BLAKE2b of normalised values.
            try db.create(table: "blindIndex") { t in
                t.column("kind", .text).notNull()
                t.column("field", .text).notNull()
                t.column("token", .blob).notNull()
                t.column("recordID", .text).notNull()
                t.foreignKey(["kind", "recordID"], references: "record", onDelete: .cascade)
            }
            try db.create(index: "blindIndexLookup", on: "blindIndex", columns: ["kind", "field", "token"])
            // Items: the sealed original of one piece of evidence.
            try db.create(table: "item") { t in
                t.primaryKey("id", .text)
                t.column("caseID", .text).notNull()
                t.column("sequence", .integer).notNull()
                t.column("blobID", .text).notNull().unique()
                t.column("sealedSize", .integer).notNull()
                t.column("contentToken", .blob).notNull().unique()
                t.column("createdAt", .integer).notNull()
                t.column("keyEpoch", .integer).notNull().defaults(to: 0)
                t.uniqueKey(["caseID", "sequence"])
            }
            // Sources of an item (each delivery), details in record kind "source".
            try db.create(table: "itemSource") { t in
                t.column("itemID", .text).notNull().references("item", onDelete: .cascade)
                t.column("sourceID", .text).notNull()
                t.column("createdAt", .integer).notNull()
                t.primaryKey(["itemID", "sourceID"])
            }
            // Regions to mask on items (display coordinates and reason sealed as record kind "region").
            try db.create(table: "region") { t in
                t.primaryKey("id", .text)
                t.column("itemID", .text).notNull().references("item", onDelete: .cascade)
                t.column("category", .text).notNull()
                t.column("createdAt", .integer).notNull()
            }
            // Issued disclosures: production numbers come from each recipient's own range, gap-free.
            try db.create(table: "disclosure") { t in
                t.column("recipient", .text).notNull()
                t.column("bundleNumber", .integer).notNull()
                t.column("planHash", .blob).notNull().unique()
                t.column("manifestHash", .blob).notNull()
                t.column("itemCount", .integer).notNull()
                t.column("issuedAt", .integer).notNull()
                t.primaryKey(["recipient", "bundleNumber"])
            }
            // The audit log: rowid order is sequence order; leaf = canonical event ‖ signature.
            try db.create(table: "auditEvent") { t in
                t.primaryKey("seq", .integer)
                t.column("leaf", .blob).notNull()
                t.column("leafHash", .blob).notNull()
            }
            // The RFC 6962 tree over the events: node (level, idx) is the root of the complete subtree over
            // leaves idx·2^level ..< (idx+1)·2^level (leaf index = seq − 1); written with each event, never
            // changed.
            try db.create(table: "auditNode", options: .withoutRowID) { t in
                t.column("level", .integer).notNull()
                t.column("idx", .integer).notNull()
                t.column("hash", .blob).notNull()
                t.primaryKey(["level", "idx"])
            }
            // Checkpoints of the tree: the C2SP signed note (signatures and cosignatures merged), by size and
            // root. Not part of the log; `audit verify` checks every one against the tree.
            try db.create(table: "checkpoint") { t in
                t.column("size", .integer).notNull()
                t.column("rootHash", .blob).notNull()
                t.column("note", .text).notNull()
                t.column("createdAt", .integer).notNull()
                t.primaryKey(["size", "rootHash"])
            }
            // A guard against mistakes; the protection of the log is cryptographic.
            try db.execute(sql: """
                CREATE TRIGGER auditEventNoUpdate BEFORE UPDATE ON auditEvent
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER auditEventNoDelete BEFORE DELETE ON auditEvent
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER auditNodeNoUpdate BEFORE UPDATE ON auditNode
                BEGIN SELECT RAISE(ABORT, 'the audit tree is append-only'); END;
                CREATE TRIGGER auditNodeNoDelete BEFORE DELETE ON auditNode
                BEGIN SELECT RAISE(ABORT, 'the audit tree is append-only'); END;
                CREATE TRIGGER checkpointNoDelete BEFORE DELETE ON checkpoint
                BEGIN SELECT RAISE(ABORT, 'checkpoints are kept'); END;
                CREATE TRIGGER governanceNoUpdate BEFORE UPDATE ON governance
                BEGIN SELECT RAISE(ABORT, 'the governance chain is append-only'); END;
                CREATE TRIGGER governanceNoDelete BEFORE DELETE ON governance
                BEGIN SELECT RAISE(ABORT, 'the governance chain is append-only'); END;
                """)
        }
        // Disclosures remember the size of the audit tree their bundle's custody checkpoint covers, so that a
        // bundle whose file was lost can be written again with the manifest recorded at issue
        // (`disclose issue --again`). NULL for bundles issued before this migration.
        migrator.registerMigration("v2-disclosure-checkpoint-size") { db in
            try db.alter(table: "disclosure") { t in t.add(column: "checkpointSize", .integer) }
        }
        // Signed index entries (issue 15): the rows each audit event's transaction wrote, whose hash the event
        // carries (`IndexEntry`). Append-only, like the log.
        migrator.registerMigration("v3-index-entries") { db in
            try db.create(table: "entry") { t in
                t.primaryKey("event", .integer)
                t.column("body", .blob).notNull()
            }
            try db.execute(sql: """
                CREATE TRIGGER entryNoUpdate BEFORE UPDATE ON entry
                BEGIN SELECT RAISE(ABORT, 'index entries are append-only'); END;
                CREATE TRIGGER entryNoDelete BEFORE DELETE ON entry
                BEGIN SELECT RAISE(ABORT, 'index entries are append-only'); END;
                """)
        }
        // Deliveries of files already in the vault by a role that may not view items (issue 16), until a
        // member who may view them confirms them.
        migrator.registerMigration("v4-pending-sources") { db in
            try db.create(table: "pendingSource") { t in
                t.primaryKey("sourceID", .text)
                t.column("createdAt", .integer).notNull()
            }
        }
        // Values of detached columns (`IndexEntry.detachedColumns`: sealed data keys) by SHA-256: an entry
        // carries only the hash, so crypto-shredding can destroy every copy of a data key (`EntryValueRow`).
        migrator.registerMigration("v5-entry-values") { db in
            try db.create(table: "entryValue", options: .withoutRowID) { t in
                t.primaryKey("hash", .blob)
                t.column("value", .blob).notNull()
            }
        }
        // How far each remote's log agrees with this vault's (issue 17): local to the folder, never in an entry.
        migrator.registerMigration("v6-remote-sync") { db in
            try db.create(table: "remoteSync") { t in
                t.primaryKey("remote", .text)
                t.column("shared", .integer).notNull()
                t.column("leafHash", .blob).notNull()
                t.column("tagDigest", .blob).notNull().defaults(sql: "x''")
                t.column("tagDigestSize", .integer).notNull().defaults(to: 0)
            }
        }
        // Issue 17, the field collectors' inbox: the event a collector signed for each log position a member
        // sequenced from an inbox, and what became of each inbox submission this client looked at.
        migrator.registerMigration("v7-inbox") { db in
            try db.create(table: "authoredEvent") { t in
                t.primaryKey("event", .integer)
                t.column("submission", .text).notNull()
                t.column("leaf", .blob).notNull()
                t.column("leafHash", .blob).notNull().unique()
                t.column("entry", .blob)
            }
            try db.create(table: "inboxSubmission") { t in
                t.primaryKey("key", .text)
                t.column("outcome", .text).notNull()
            }
        }
        return migrator
    }

    /// How the schema of `db` (tables, indexes, triggers, views in `sqlite_master`, with their SQL) differs
    /// from the one this program's migrations make, up to the newest migration `db` has applied: one line
    /// per object planted, missing or changed. Empty when they are the same.
    /// - Throws: database errors.
    public static func differences(_ db: Database) throws -> [String] {
        let applied = try migrator.appliedIdentifiers(db)
        guard let newest = migrator.migrations.last(where: applied.contains) else { return [] }
        let reference = try DatabaseQueue()
        try migrator.migrate(reference, upTo: newest)
        let query = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        func objects(_ db: Database) throws -> [String: (type: String, table: String, sql: String?)] {
            var result: [String: (String, String, String?)] = [:]
            for row in try Row.fetchAll(db, sql: query) { result[row["name"]] = (row["type"], row["tbl_name"], row["sql"]) }
            return result
        }
        let expected = try reference.read(objects)
        let present = try objects(db)
        var found: [String] = []
        for name in present.keys.sorted() {
            let object = present[name]!
            guard let wanted = expected[name] else {
                found.append("\(object.type) \(name) on \(object.table) was planted")
                continue
            }
            if wanted.type != object.type || wanted.sql != object.sql { found.append("\(object.type) \(name) was changed") }
        }
        for name in expected.keys.sorted() where present[name] == nil {
            found.append("\(expected[name]!.type) \(name) is missing")
        }
        return found
    }

    /// Whether a database opened read-only can be read by this program: it has the first migration and no
    /// migration this program does not know (a database from a newer program). Later migrations not yet
    /// applied are fine: they only add what writing commands need, and the next writing command applies them.
    static func readableWithoutMigrating(_ db: Database) throws -> Bool {
        let applied = try migrator.appliedIdentifiers(db)
        return applied.contains("v1") && applied.isSubset(of: Set(migrator.migrations))
    }
}

extension StoreError {
    /// The store error that says what a database error means for the person at the terminal: a full disk
    /// (`diskFull`), a damaged database (`corrupted`, with the advice to run `amanah check`), or another I/O
    /// failure naming `operation` and `path`.
    public init(databaseError error: DatabaseError, path: String, operation: String) {
        let detail = error.message ?? "\(error.resultCode)"
        switch error.resultCode.primaryResultCode {
        case .SQLITE_FULL:
            self = .diskFull(path)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            self = .corrupted("\(path) cannot be read (SQLite: \(detail))")
        default:
            self = .io("\(operation) \(path)", detail)
        }
    }
}
