import Foundation
import GRDB
import Testing
import VaultCrypto
import VaultStore
#if canImport(Glibc)
import Glibc
#endif

/// Nothing committed is ever lost (issue 13): each test is built from a way Amanah itself destroyed or lost
/// what it had committed, or sent people the wrong way with a message.
@Suite(.serialized) struct EvidenceSafetyTests {
    /// A connection as `sqlite3` on the vault folder would open it: no foreign keys, no triggers of ours.
    private func attacker(_ vault: VaultFixture) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        return try DatabaseQueue(path: vault.vault + "/vault.sqlite", configuration: configuration)
    }

    /// Overwrites `count` bytes with `byte` in the root page of table or index `name` of the vault database,
    /// at the start of the page (its header) or at its end (cell content), as a bad sector would.
    private func damagePage(of name: String, in vault: VaultFixture, atEnd: Bool, count: Int, byte: UInt8) throws {
        let (page, pageSize) = try attacker(vault).read { db in
            (try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE name = ?", arguments: [name])!,
             try Int.fetchOne(db, sql: "PRAGMA page_size")!)
        }
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: vault.vault + "/vault.sqlite"))
        try handle.seek(toOffset: UInt64(atEnd ? page * pageSize - count : (page - 1) * pageSize))
        try handle.write(contentsOf: Data(repeating: byte, count: count))
        try handle.close()
    }

    private func blobPath(_ vault: VaultFixture, _ blobID: String) -> String {
        vault.vault + "/blobs/" + String(blobID.prefix(2)) + "/" + blobID
    }

    private func blobIDs(_ vault: VaultFixture) throws -> [String: String] {
        let queue = try attacker(vault)
        return try queue.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, blobID FROM item").map { ($0["id"] as String, $0["blobID"] as String) })
        }
    }

    @Test func checkKeepsTheBlobOfACorruptedReference() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let items = try vault.ingest(Array(samplePhotos.prefix(2)))
        let blobs = try blobIDs(vault)
        let target = items[0].0, blobID = blobs[target]!
        let before = try Data(contentsOf: URL(fileURLWithPath: blobPath(vault, blobID)))
        // One character of the item's blob id changes.
        let corrupted = (blobID.hasSuffix("0") ? String(blobID.dropLast()) + "1" : String(blobID.dropLast()) + "0")
        try attacker(vault).write { db in try db.execute(sql: "UPDATE item SET blobID = ? WHERE id = ?", arguments: [corrupted, target]) }
        let check = try vault.cli.run(["check", "-C", "vault"])
        #expect(check.status == 3)
        #expect(check.stdout.contains("problem: item \(target): its blob blobs/\(corrupted.prefix(2))/\(corrupted) is missing (the item row was kept)"))
        #expect(check.stdout.contains("problem: blobs/\(blobID.prefix(2))/\(blobID): no item refers to this blob"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: blobPath(vault, blobID))) == before)
        // Quarantined with an identity, still intact; and a malformed id is reported, not a crash.
        #expect(try vault.run("custodian-1", ["check"]).status == 3)
        #expect(try Data(contentsOf: URL(fileURLWithPath: vault.vault + "/quarantine/" + blobID)) == before)
        try attacker(vault).write { db in try db.execute(sql: "UPDATE item SET blobID = 'zz' WHERE id = ?", arguments: [target]) }
        let malformed = try vault.cli.run(["check", "-C", "vault"])
        #expect(malformed.status == 3 && malformed.stdout.contains("its blob id is malformed"))
        let export = try vault.run("investigator", ["export", target, "-o", "out.jpg"])
        #expect(export.status == 1 && export.stderr.contains("malformed"))
        // The reference repaired by hand: the blob comes back from quarantine and everything verifies.
        try attacker(vault).write { db in try db.execute(sql: "UPDATE item SET blobID = ? WHERE id = ?", arguments: [blobID, target]) }
        let repaired = try vault.run("investigator", ["check", "--read-data"])
        #expect(repaired.status == 0, "\(repaired.stdout) \(repaired.stderr)")
        #expect(repaired.stderr.contains("moved blobs/\(blobID.prefix(2))/\(blobID) back from quarantine/"))
        #expect(repaired.stdout.contains("2 items present, 2 read and verified"))
    }

    @Test func checkReportsADeletedItemRowAndKeepsItsBlob() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let items = try vault.ingest(Array(samplePhotos.prefix(2)))
        let blobID = try blobIDs(vault)[items[1].0]!
        try attacker(vault).write { db in try db.execute(sql: "DELETE FROM item WHERE id = ?", arguments: [items[1].0]) }
        let check = try vault.cli.run(["check", "-C", "vault"])
        #expect(check.status == 3)
        #expect(check.stdout.contains("no item refers to this blob"))
        #expect(FileManager.default.fileExists(atPath: blobPath(vault, blobID)))
    }

    @Test func aRestoredOlderDatabaseLosesNoPhotograph() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        _ = try vault.ingest([samplePhotos[0]])
        let database = vault.vault + "/vault.sqlite"
        try FileManager.default.copyItem(atPath: database, toPath: vault.cli.folder + "/older.sqlite")
        let newer = try vault.ingest(Array(samplePhotos[1...2]))
        let newest = try blobIDs(vault)
        try FileManager.default.copyItem(atPath: database, toPath: vault.cli.folder + "/newer.sqlite")
        try FileManager.default.removeItem(atPath: database)
        try FileManager.default.copyItem(atPath: vault.cli.folder + "/older.sqlite", toPath: database)
        // A new client (no memory of the vault) runs a plain check, then one with an identity.
        let fresh = ["XDG_STATE_HOME": vault.cli.folder + "/new-client"]
        let plain = try vault.cli.run(["check", "-C", "vault"], environment: fresh)
        #expect(plain.status == 3)
        let signed = try vault.run("custodian-1", ["check"], environment: fresh)
        #expect(signed.status == 3)
        for (item, _) in newer {
            let id = newest[item]!
            #expect(signed.stderr.contains("quarantined blobs/\(id.prefix(2))/\(id) -> quarantine/\(id)"))
            #expect(FileManager.default.fileExists(atPath: vault.vault + "/quarantine/" + id))
        }
        // The newer copy restored: its blobs come back and it verifies whole.
        try FileManager.default.removeItem(atPath: database)
        try FileManager.default.copyItem(atPath: vault.cli.folder + "/newer.sqlite", toPath: database)
        let restored = try vault.run("investigator", ["check", "--read-data"])
        #expect(restored.status == 0, "\(restored.stdout) \(restored.stderr)")
        #expect(restored.stdout.contains("3 items present, 3 read and verified"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: vault.vault + "/quarantine").isEmpty)
    }

    @Test func aQuarantineThatIsNotAFolderOrCannotBeAuditedMovesNothing() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let items = try vault.ingest(Array(samplePhotos.prefix(2)))
        let blobID = try blobIDs(vault)[items[1].0]!
        try attacker(vault).write { db in try db.execute(sql: "DELETE FROM item WHERE id = ?", arguments: [items[1].0]) }
        // The audit event cannot be written: the blob stays where it was.
        let readOnly = try vault.run("custodian-1", ["check"], environment: ["AMANAH_TEST_READ_ONLY_DATABASE": "1"])
        #expect(readOnly.status == 1)
        #expect(FileManager.default.fileExists(atPath: blobPath(vault, blobID)))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: vault.vault + "/quarantine")) ?? []).isEmpty)
        // quarantine/ is a file: reported, nothing moved, the rest of the check still runs.
        try? FileManager.default.removeItem(atPath: vault.vault + "/quarantine")
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: vault.vault + "/quarantine"))
        let blocked = try vault.run("custodian-1", ["check"])
        #expect(blocked.status == 3)
        #expect(blocked.stdout.contains("cannot be used"), "\(blocked.stdout) \(blocked.stderr)")
        #expect(blocked.stdout.contains("1 items present"))
        #expect(FileManager.default.fileExists(atPath: blobPath(vault, blobID)))
    }

    @Test func aForeignDatabaseWithAWriteAheadLogIsLeftAsItIs() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        let database = vault.vault + "/vault.sqlite"
        try FileManager.default.removeItem(atPath: database)
        // Another program's database whose newest data is still in its write-ahead log.
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", """
            import os, sqlite3, sys
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA wal_autocheckpoint=0")
            db.execute("CREATE TABLE notes (text TEXT)"); db.execute("INSERT INTO notes VALUES ('kept in the log')")
            os._exit(0)
            """, database]
        try python.run()
        python.waitUntilExit()
        try #require(python.terminationStatus == 0)
        // The main file and its log must stay as they were (the shared-memory index is rebuilt by any reader).
        let files = ["", "-wal"].map { database + $0 }
        let before = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let refused = try vault.cli.run(["check", "-C", "vault"])
        #expect(refused.status == 1 && refused.stderr.contains("was not written by Amanah"), "\(refused.stderr)")
        #expect(try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == before)
    }

    @Test func theCLIsConnectionsSyncEveryCommit() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        let database = try VaultDatabase(path: vault.vault + "/vault.sqlite")
        #expect(try database.synchronousLevel() == 2)
        let journal = try database.queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
    }

    /// Builds an LD_PRELOAD library that records, beside each write-ahead log it syncs, the log's size at its
    /// newest sync (`vault.sqlite-wal.synced`): what a power failure would leave of the log.
    private func syncRecorder(in folder: String) throws -> String? {
        let source = folder + "/syncrecorder.c", library = folder + "/syncrecorder.so"
        try Data("""
            #define _GNU_SOURCE
            #include <dlfcn.h>
            #include <fcntl.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/stat.h>
            #include <unistd.h>
            static void note(int fd) {
                char link[64], path[4200];
                snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
                ssize_t n = readlink(link, path, 4096);
                if (n <= 4) return;
                path[n] = 0;
                if (strcmp(path + n - 4, "-wal") != 0) return;
                struct stat st;
                if (fstat(fd, &st) != 0) return;
                strcat(path, ".synced");
                int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (out < 0) return;
                dprintf(out, "%lld\\n", (long long)st.st_size);
                close(out);
            }
            int fsync(int fd) {
                static int (*real)(int);
                if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
                int r = real(fd);
                if (r == 0) note(fd);
                return r;
            }
            int fdatasync(int fd) {
                static int (*real)(int);
                if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
                int r = real(fd);
                if (r == 0) note(fd);
                return r;
            }
            """.utf8).write(to: URL(fileURLWithPath: source))
        let compiler = ["/usr/bin/cc", "/usr/bin/gcc"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let compiler else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: compiler)
        process.arguments = ["-shared", "-fPIC", "-O1", "-o", library, source, "-ldl"]
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? library : nil
    }

    @Test func aPowerLossAfterSuccessLosesNothingThatWasReported() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        guard let recorder = try syncRecorder(in: vault.cli.folder) else {
            #expect(ProcessInfo.processInfo.environment["CI"] != "true", "no C compiler to build the sync recorder")
            return
        }
        // The process ends as at a power loss right after it reported success and saved the client state,
        // with the database still open; then the write-ahead log is cut back to its newest sync.
        try vault.cli.write("case.json", #"{"id":"C-9","detaineeNumber":"9/9"}"#)
        let added = try vault.run("investigator", ["case", "add", "--from", "case.json"],
                                  environment: ["LD_PRELOAD": recorder, "AMANAH_FAULT_INJECT": "client-state.saved"])
        #expect(added.status == 137)
        #expect(added.stdout == "C-9\n")
        let wal = vault.vault + "/vault.sqlite-wal"
        let synced = (try? String(contentsOfFile: wal + ".synced", encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        if FileManager.default.fileExists(atPath: wal) { #expect(truncate(wal, synced) == 0) }
        try? FileManager.default.removeItem(atPath: wal + ".synced")
        let shown = try vault.run("investigator", ["case", "show", "C-9"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("detaineeNumber: 9/9"))
    }

    @Test func aVaultThatLacksOnlyThisClientsOwnChangesIsToldApart() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        try FileManager.default.copyItem(atPath: vault.vault, toPath: vault.cli.folder + "/backup")
        _ = try vault.ingest([samplePhotos[0]])
        try vault.cli.write("case.json", #"{"id":"C-5"}"#)
        #expect(try vault.run("investigator", ["case", "add", "--from", "case.json"]).status == 0)
        try FileManager.default.removeItem(atPath: vault.vault)
        try FileManager.default.copyItem(atPath: vault.cli.folder + "/backup", toPath: vault.vault)
        let refused = try vault.run("investigator", ["list"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("the vault lacks the newest changes this client made itself"))
        #expect(refused.stderr.contains("nothing this client saw from others is missing"))
        #expect(refused.stderr.contains("restore vault.sqlite from the newest copy"))
        #expect(!refused.stderr.contains("rolled-back"))
        let accepted = try vault.cli.run(["check", "--accept-lost-changes", "-C", "vault"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(try vault.run("investigator", ["list"]).status == 0)
    }

    @Test func aCutGovernanceChainIsARollbackEvenWhenThisClientWroteIt() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let removed = try vault.governance(["remove-member", vault.publicKeys["auditor"]!], approvers: ["custodian-1", "custodian-2"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try vault.run("auditor", ["list"]).status == 1)
        // A folder writer deletes the newest governance entry (the removal) and keeps the audit log whole:
        // no copy of the database ever had that shape, so it is not a lost run of this client's changes.
        try attacker(vault).write { db in
            try withoutGuards(db) {
                try db.execute(sql: "DELETE FROM governance WHERE seq = (SELECT max(seq) FROM governance)")
            }
        }
        let refused = try vault.run("investigator", ["list"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("refusing a rolled-back vault"), "\(refused.stderr)")
        let accept = try vault.cli.run(["check", "--accept-lost-changes", "-C", "vault"])
        #expect(accept.status == 1)
        #expect(try vault.run("auditor", ["list"]).status == 1)
    }

    @Test func aLostGovernanceChangeOfThisClientIsNotAcceptedAway() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        try FileManager.default.copyItem(atPath: vault.vault + "/vault.sqlite", toPath: vault.cli.folder + "/backup.sqlite")
        #expect(try vault.governance(["remove-member", vault.publicKeys["auditor"]!], approvers: ["custodian-1", "custodian-2"]).status == 0)
        try FileManager.default.removeItem(atPath: vault.vault + "/vault.sqlite")
        try FileManager.default.copyItem(atPath: vault.cli.folder + "/backup.sqlite", toPath: vault.vault + "/vault.sqlite")
        let refused = try vault.run("investigator", ["list"])
        #expect(refused.status == 1 && refused.stderr.contains("the vault lacks the newest changes this client made itself"), "\(refused.stderr)")
        let accept = try vault.cli.run(["check", "--accept-lost-changes", "-C", "vault"])
        #expect(accept.status == 1)
        #expect(accept.stderr.contains("include 1 governance entry"), "\(accept.stderr)")
        #expect(try vault.run("investigator", ["list"]).status == 1)
    }

    @Test func aCommitStandsWhenTheClientStateCannotBeSaved() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        // The client's state folder cannot take the file (as on a full disk): a plain file stands in its way.
        let vaults = vault.cli.folder + "/state/amanah/vaults"
        try FileManager.default.removeItem(atPath: vaults)
        try Data().write(to: URL(fileURLWithPath: vaults))
        try vault.cli.write("case.json", #"{"id":"C-6"}"#)
        let added = try vault.run("investigator", ["case", "add", "--from", "case.json"])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stderr.contains("warning: the change was committed to the vault, but this client could not save what it saw"))
        try FileManager.default.removeItem(atPath: vaults)
        #expect(try vault.run("investigator", ["case", "show", "C-6"]).status == 0)
    }

    @Test func databasesAmanahDidNotWriteAreRefusedUntouched() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        let database = vault.vault + "/vault.sqlite"
        // A newer schema.
        try attacker(vault).write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')") }
        let before = try Data(contentsOf: URL(fileURLWithPath: database))
        let newer = try vault.run("investigator", ["list"])
        #expect(newer.status == 1)
        #expect(newer.stderr.contains("was made by a newer Amanah (schema v99-from-the-future unknown to this program)"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == before)
        // An empty file.
        try Data().write(to: URL(fileURLWithPath: database))
        let empty = try vault.run("investigator", ["list"])
        #expect(empty.status == 1 && empty.stderr.contains("the file is empty; it was left as it is"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)).isEmpty)
        // Another application's database.
        try FileManager.default.removeItem(atPath: database)
        let foreign = try DatabaseQueue(path: database)
        try foreign.write { db in try db.execute(sql: "CREATE TABLE notes (text TEXT)") }
        try foreign.close()
        let foreignBefore = try Data(contentsOf: URL(fileURLWithPath: database))
        let refused = try vault.cli.run(["check", "-C", "vault"])
        #expect(refused.status == 1 && refused.stderr.contains("holds 1 table but not the vault's; it was left as it is"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == foreignBefore)
    }

    @Test func checkFindsAPageDamagedInPlace() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        _ = try vault.ingest(Array(samplePhotos.prefix(3)))
        #expect(try vault.cli.run(["check", "-C", "vault"]).status == 0)
        // The cell content at the end of the index's page is overwritten, as a bad sector or a stray write would.
        try damagePage(of: "sqlite_autoindex_item_2", in: vault, atEnd: true, count: 40, byte: 0x5A)
        let check = try vault.cli.run(["check", "-C", "vault"])
        #expect(check.status == 3)
        #expect(check.stdout.contains("problem: vault.sqlite is damaged"))
    }

    @Test(arguments: ["keyWrap", "auditEvent"])
    func aDamagedTableIsCalledDamagedNotRefusalOrRollback(table: String) throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        // The page header of the table's root page is overwritten.
        try damagePage(of: table, in: vault, atEnd: false, count: 12, byte: 0xA5)
        let shown = try vault.run("investigator", ["case", "show", "C-1"])
        #expect(shown.status == 1)
        #expect(shown.stderr.contains("is damaged"), "\(shown.stderr)")
        #expect(!shown.stderr.contains("not permitted") && !shown.stderr.contains("rolled-back"), "\(shown.stderr)")
        let check = try vault.cli.run(["check", "-C", "vault"])
        #expect(check.status == 3 && check.stdout.contains("problem: vault.sqlite is damaged"), "\(check.stdout) \(check.stderr)")
    }

    @Test func aFullDiskWhileOpeningTheVaultIsCalledThat() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let mountPoint = vault.cli.folder + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        guard mount("tmpfs", mountPoint, "tmpfs", 0, "size=4m") == 0 else {
            #expect(ProcessInfo.processInfo.environment["CI"] != "true", "cannot mount a small tmpfs: \(String(cString: strerror(errno)))")
            return
        }
        defer { umount(mountPoint) }
        for name in ["vault.json", "vault.sqlite", "lock"] {
            try FileManager.default.copyItem(atPath: vault.vault + "/" + name, toPath: mountPoint + "/" + name)
        }
        try FileManager.default.copyItem(atPath: vault.vault + "/blobs", toPath: mountPoint + "/blobs")
        // Fill what is left.
        let filler = FileManager.default.createFile(atPath: mountPoint + "/filler", contents: nil)
        #expect(filler)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: mountPoint + "/filler"))
        let chunk = Data(repeating: 0, count: 4096)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        try? handle.close()
        let list = try vault.cli.run(["list", "-C", "small", "-i", "investigator.key", "--passphrase-file", "investigator.pass"])
        #expect(list.status == 1)
        #expect(list.stderr.contains("the disk is full"), "\(list.stderr)")
        #expect(!list.stderr.contains("not an Amanah vault"))
    }
}
