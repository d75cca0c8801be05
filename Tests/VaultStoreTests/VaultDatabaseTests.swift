import Foundation
import GRDB
import Testing
import VaultCrypto
import VaultStore

@Suite("VaultDatabase: durability settings, schema refusal, integrity check")
struct VaultDatabaseTests {
    /// A new vault database at `folder/vault.sqlite`, closed again.
    private func makeDatabase(in folder: TestFolder) throws -> String {
        let path = folder.path + "/vault.sqlite"
        let database = try VaultDatabase(path: path, create: true)
        try database.queue.close()
        return path
    }

    /// Runs `sql` on a plain SQLite connection (no vault checks), then closes it.
    private func execute(_ path: String, _ sql: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: sql) }
        try queue.close()
    }

    private func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    @Test func everyCommitIsSyncedAndTheLogIsWriteAhead() throws {
        let folder = try TestFolder("database")
        defer { folder.remove() }
        let created = try VaultDatabase(path: folder.path + "/vault.sqlite", create: true)
        #expect(try created.synchronousLevel() == 2)
        #expect(try created.queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try created.queue.read { db in try Int.fetchOne(db, sql: "PRAGMA secure_delete") } == 1)
        #expect(try created.queue.read { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") } == 1)
        try created.queue.close()
        // Opened again (not created), the same.
        let reopened = try VaultDatabase(path: folder.path + "/vault.sqlite")
        #expect(try reopened.synchronousLevel() == 2)
        #expect(reopened.path == folder.path + "/vault.sqlite")
        #expect(try reopened.queue.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
                == VaultSchema.migrator.migrations.sorted())
    }

    @Test func aMissingFileIsNamed() throws {
        let folder = try TestFolder("database")
        defer { folder.remove() }
        let path = folder.path + "/vault.sqlite"
        #expect(throws: StoreError.missing(path)) { _ = try VaultDatabase(path: path) }
        #expect(!folder.exists("vault.sqlite"))
    }

    @Test func anEmptyFileIsRefusedAndLeftAsItIs() throws {
        let folder = try TestFolder("database")
        defer { folder.remove() }
        let path = try folder.write("vault.sqlite", [])
        let refusal = StoreError.foreign(path, "the file is empty; it was left as it is (restore vault.sqlite from a backup)")
        #expect(throws: refusal) { _ = try VaultDatabase(path: path) }
        #expect(throws: refusal) { _ = try VaultDatabase(path: path, readOnly: true) }
        #expect(try bytes(path).isEmpty)
        #expect(folder.list() == ["vault.sqlite"])                          // no -wal, no -shm
        #expect(refusal.description == "\(path) was not written by Amanah: the file is empty; it was left as it is (restore vault.sqlite from a backup)")
    }

    @Test func aFileThatIsNoSQLiteDatabaseIsRefusedAndLeftAsItIs() throws {
        let folder = try TestFolder("database")
        defer { folder.remove() }
        let content = Array("SQLite format 2\u{0} but not really a database".utf8)
        let path = try folder.write("vault.sqlite", content)
        #expect(throws: StoreError.foreign(path, "it is not an SQLite database; it was left as it is")) { _ = try VaultDatabase(path: path) }
        let short = try folder.write("short.sqlite", Array("SQLite".utf8))
        #expect(throws: StoreError.foreign(short, "it is not an SQLite database; it was left as it is")) { _ = try VaultDatabase(path: short) }
        #expect(try bytes(path) == content)
    }

    @Test func aForeignDatabaseIsRefusedAndLeftAsItIs() throws {
        let folder = try TestFolder("database")
        defer { folder.remove() }
        let path = folder.path + "/vault.sqlite"
        try execute(path, "CREATE TABLE notes (body TEXT); CREATE TABLE people (name TEXT); INSERT INTO notes VALUES ('keep me')")
        let before = try bytes(path)
        #expect(throws: StoreError.foreign(path, "it holds 2 tables but not the vault's; it was left as it is")) {
            _ = try VaultDatabase(path: path)
        }
        #expect(try bytes(path) == before)
        #expect(folder.list() == ["vault.sqlite"])
        // One table: the singular.
        let single = folder.path + "/single.sqlite"
        try execute(single, "CREATE TABLE notes (body TEXT)")
        #expect(throws: StoreError.foreign(single, "it holds 1 table but not the vault's; it was left as it is")) {
            _ = try VaultDatabase(path: single)
        }
    }

    @Test func aDatabaseWithoutTablesIsRefused() throws {
        let folder = try TestFolder("database")
        defer { folder.remove() }
        let path = folder.path + "/vault.sqlite"
        // A valid SQLite header and no tables (a table made and dropped again).
        try execute(path, "CREATE TABLE t (x); DROP TABLE t")
        #expect(throws: StoreError.foreign(path, "the database holds no tables; it was left as it is (restore vault.sqlite from a backup)")) {
            _ = try VaultDatabase(path: path)
        }
    }

    @Test func aDatabaseOfANewerAmanahIsRefusedAndLeftAsItIs() throws {
        let folder = try TestFolder("database")
        defer { folder.remove() }
        let path = try makeDatabase(in: folder)
        try execute(path, "INSERT INTO grdb_migrations (identifier) VALUES ('v9-future'), ('v10-later')")
        let before = try bytes(path)
        let refusal = StoreError.newerSchema(path, ["v10-later", "v9-future"])
        #expect(throws: refusal) { _ = try VaultDatabase(path: path) }
        #expect(throws: refusal) { _ = try VaultDatabase(path: path, readOnly: true) }
        #expect(try bytes(path) == before)
        #expect(refusal.description.contains("was made by a newer Amanah (schema v10-later, v9-future unknown to this program)"))
    }

    @Test func anOlderSchemaIsReadWithoutMigratingAndMigratedByTheFirstWritingOpen() throws {
        let folder = try TestFolder("database")
        defer { folder.remove() }
        let path = folder.path + "/vault.sqlite"
        // A vault database as the first release left it: only migration v1.
        let queue = try DatabaseQueue(path: path)
        try VaultSchema.migrator.migrate(queue, upTo: "v1")
        try queue.close()
        let before = try bytes(path)
        func applied(_ database: VaultDatabase) throws -> [String] {
            try database.queue.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
        }
        // A verification command reads it as it is and changes nothing.
        let readOnly = try VaultDatabase(path: path, readOnly: true)
        #expect(try applied(readOnly) == ["v1"])
        try readOnly.queue.close()
        #expect(try bytes(path) == before)
        // The first command that writes applies the later migrations.
        let writable = try VaultDatabase(path: path)
        #expect(try applied(writable) == VaultSchema.migrator.migrations)
        #expect(try writable.queue.read { db in try db.columns(in: "disclosure").map(\.name) }.contains("checkpointSize"))
    }

    @Test func aReadOnlyOpenRefusesASchemaWithoutItsFirstMigration() throws {
        let folder = try TestFolder("database")
        defer { folder.remove() }
        let path = try makeDatabase(in: folder)
        try execute(path, "DELETE FROM grdb_migrations WHERE identifier = 'v1'")
        #expect(throws: StoreError.corrupted("the database schema is older than this program can read; open it once with a command that writes, to migrate it")) {
            _ = try VaultDatabase(path: path, readOnly: true)
        }
    }

    @Test func theAuditLogAndTheGovernanceChainAreAppendOnly() throws {
        let folder = try TestFolder("database")
        defer { folder.remove() }
        let database = try VaultDatabase(path: folder.path + "/vault.sqlite", create: true)
        try database.queue.write { db in
            try db.execute(sql: "INSERT INTO auditEvent (seq, leaf, leafHash) VALUES (1, x'00', x'11')")
            try db.execute(sql: "INSERT INTO governance (seq, body, hash) VALUES (1, x'00', x'22')")
        }
        for sql in ["UPDATE auditEvent SET leaf = x'01'", "DELETE FROM auditEvent", "UPDATE governance SET body = x'01'", "DELETE FROM governance"] {
            #expect(throws: DatabaseError.self, "\(sql)") { try database.queue.write { db in try db.execute(sql: sql) } }
        }
        #expect(try database.queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM auditEvent") } == 1)
    }

    @Test func integrityCheckOfAHealthyAMissingAndADamagedFile() throws {
        let folder = try TestFolder("database")
        defer { folder.remove() }
        let path = try makeDatabase(in: folder)
        #expect(VaultDatabase.integrityCheck(path: path) == [])
        #expect(VaultDatabase.integrityCheck(path: folder.path + "/absent.sqlite") == [])
        // A database of several pages, then one b-tree page overwritten in place.
        let damaged = folder.path + "/damaged.sqlite"
        let queue = try DatabaseQueue(path: damaged)
        try queue.write { db in
            try db.execute(sql: "PRAGMA page_size = 4096")
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
            for id in 0..<200 { try db.execute(sql: "INSERT INTO t VALUES (?, ?)", arguments: [id, Data(Random.bytes(300))]) }
        }
        try queue.close()
        #expect(VaultDatabase.integrityCheck(path: damaged) == [])
        var file = try bytes(damaged)
        #expect(file.count >= 4096 * 10)
        for offset in (4096 * 4)..<(4096 * 4 + 64) { file[offset] = 0x5A }   // the header of page 5
        try Data(file).write(to: URL(fileURLWithPath: damaged))
        let problems = VaultDatabase.integrityCheck(path: damaged)
        #expect(!problems.isEmpty)
        #expect(problems != ["ok"])
        #expect(try bytes(damaged) == file)                                 // read-only: nothing written back
    }
}

@Suite("StoreError: what a database error means")
struct StoreErrorMappingTests {
    private let path = "/vault/vault.sqlite"

    @Test func aFullDiskIsNamedAsSuch() {
        let error = StoreError(databaseError: DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full"),
                               path: path, operation: "write")
        #expect(error == .diskFull(path))
        #expect(error.description == "the disk is full: cannot write /vault/vault.sqlite")
    }

    @Test func damageAdvisesCheck() {
        let corrupt = StoreError(databaseError: DatabaseError(resultCode: .SQLITE_CORRUPT, message: "database disk image is malformed"),
                                 path: path, operation: "open")
        #expect(corrupt == .corrupted("/vault/vault.sqlite cannot be read (SQLite: database disk image is malformed)"))
        #expect(corrupt.description == "vault is damaged: /vault/vault.sqlite cannot be read (SQLite: database disk image is malformed)")
        let notADatabase = StoreError(databaseError: DatabaseError(resultCode: .SQLITE_NOTADB, message: "file is not a database"),
                                      path: path, operation: "open")
        #expect(notADatabase == .corrupted("/vault/vault.sqlite cannot be read (SQLite: file is not a database)"))
        // An extended code maps by its primary code.
        let extended = StoreError(databaseError: DatabaseError(resultCode: .SQLITE_CORRUPT_INDEX, message: "index damaged"),
                                  path: path, operation: "open")
        #expect(extended == .corrupted("/vault/vault.sqlite cannot be read (SQLite: index damaged)"))
    }

    @Test func anythingElseIsAnIOErrorNamingOperationAndPath() {
        let ioError = StoreError(databaseError: DatabaseError(resultCode: .SQLITE_IOERR_WRITE, message: "disk I/O error"),
                                 path: path, operation: "write")
        #expect(ioError == .io("write /vault/vault.sqlite", "disk I/O error"))
        // Without a message of its own, SQLite's text for the result code.
        let busy = StoreError(databaseError: DatabaseError(resultCode: .SQLITE_BUSY), path: path, operation: "open")
        #expect(busy == .io("open /vault/vault.sqlite", "database is locked"))
        #expect(busy.description == "open /vault/vault.sqlite: database is locked")
    }
}
