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
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(30)
        if !readOnly { configuration.journalMode = .wal }
        configuration.prepareDatabase { db in
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "PRAGMA secure_delete = ON")
            }
            if let maxPageCount { try db.execute(sql: "PRAGMA max_page_count = \(maxPageCount)") }
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            if !readOnly { try VaultSchema.migrator.migrate(queue) }
            else {
                let ok = try queue.read { db in try VaultSchema.readableWithoutMigrating(db) }
                guard ok else { throw StoreError.corrupted("the database schema is older or newer than this program") }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.io("open \(path)", "\(error)")
        }
        self.path = path
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
        return migrator
    }

    /// Whether a database opened read-only can be read by this program: it has the first migration and no
    /// migration this program does not know (a database from a newer program). Later migrations not yet
    /// applied are fine: they only add what writing commands need, and the next writing command applies them.
    static func readableWithoutMigrating(_ db: Database) throws -> Bool {
        let applied = try migrator.appliedIdentifiers(db)
        return applied.contains("v1") && applied.isSubset(of: Set(migrator.migrations))
    }
}
