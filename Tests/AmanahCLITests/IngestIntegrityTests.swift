import Foundation
import GRDB
import Testing
import VaultCrypto
#if canImport(Glibc)
import Glibc
#endif

/// What `amanah ingest` commits when things go wrong under it: a file that changes while it is read is
/// refused whole, and a database that fails in the middle of a batch is reported with what was committed.
struct IngestIntegrityTests {
    /// A change the DEBUG hook `AMANAH_TEST_CHANGE_FILE` makes to a file while ingest reads it.
    struct Change: CustomTestStringConvertible, Sendable {
        let point: String
        let action: String
        let size: Int
        var testDescription: String { "\(action) at \(point), \(size) bytes" }
    }

    /// Small files (sealed on one thread), one written with direct I/O, and files above the 16 MiB threshold
    /// of the threaded path; appending changes the size, rewriting keeps the size and the modification time.
    static let changes: [Change] = [
        Change(point: "ingest.mid-read", action: "append", size: 300_000),
        Change(point: "ingest.mid-read", action: "rewrite", size: 300_000),
        Change(point: "ingest.mid-read", action: "append", size: (16 << 20) + 12_345),
        Change(point: "ingest.mid-read", action: "rewrite", size: (16 << 20) + 12_345),
        Change(point: "ingest.after-read", action: "append", size: (2 << 20) + 1),
        Change(point: "ingest.after-read", action: "rewrite", size: 5_000),
    ]

    /// The modification time of `path` as (seconds, nanoseconds).
    static func modificationTime(_ path: String) throws -> [Int] {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CocoaError(.fileNoSuchFile) }
        return [Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
    }

    @Test(arguments: changes)
    func aFileChangedWhileItIsReadIsRefusedAndTheOthersGoIn(change: Change) throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let before = try IngestBatchTests.randomFile(vault, "before.bin", 70_000)
        let target = try IngestBatchTests.randomFile(vault, "target.bin", change.size)
        let after = try IngestBatchTests.randomFile(vault, "after.bin", 1_000)
        let original = try Data(contentsOf: URL(fileURLWithPath: target))
        let mtime = try Self.modificationTime(target)
        let result = try vault.run("collector", ["ingest", "--case", "C-1", before, target, after],
                                   environment: ["AMANAH_TEST_CHANGE_FILE": "\(change.point):\(change.action):target.bin"])
        // The hook did change the file.
        let changed = try Data(contentsOf: URL(fileURLWithPath: target))
        if change.action == "append" {
            #expect(changed.count == original.count + 4096)
        } else {
            #expect(changed.count == original.count && changed != original)
            #expect(try Self.modificationTime(target) == mtime, "the hook sets the modification time back")
        }
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("amanah: \(target) changed while it was read"), "\(result.stderr)")
        #expect(result.stderr.contains("nothing of it was committed"), "\(result.stderr)")
        #expect(result.stderr.contains("1 of 3 files failed"), "\(result.stderr)")
        if change.action == "rewrite" {
            #expect(result.stderr.contains("its content"), "the content hash tells: \(result.stderr)")
        } else {
            #expect(result.stderr.contains("its size"), "\(result.stderr)")
        }
        let lines = result.stdoutLines.map { $0.split(separator: "\t").map(String.init) }
        #expect(lines.map { $0.last ?? "" } == ["before.bin", "after.bin"])

        // Nothing of the changed file: no item, no blob, no audit event.
        let listed = try vault.run("investigator", ["list"]).stdoutLines.map { String($0.prefix(12)) }
        #expect(listed == lines.map { $0[0] })
        let blobs = try FileManager.default.subpathsOfDirectory(atPath: vault.vault + "/blobs").filter { $0.count > 3 }
        #expect(blobs.count == 2, "\(blobs)")
        let log = try vault.cli.run(["audit", "log", "--json", "-C", "vault"])
        let events = try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as! [[String: Any]]
        #expect(events.filter { $0["action"] as? String == "item.ingest" }.count == 2)
        let check = try vault.run("investigator", ["check", "--read-data"])
        #expect(check.status == 0 && check.stdout.contains("2 items present, 2 read and verified"), "\(check.stdout) \(check.stderr)")
        #expect(try vault.cli.run(["audit", "verify", "-C", "vault"]).status == 0)

        // Left alone, the same file goes in, byte for byte.
        let again = try vault.ingest([target])
        #expect(again.count == 1)
        let export = try vault.run("investigator", ["export", again[0].0, "-o", "out.bin"])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(try vault.cli.read("out.bin") == changed)
    }

    /// The number of pages of the vault database.
    static func pageCount(_ vault: VaultFixture) throws -> Int {
        try DatabaseQueue(path: vault.vault + "/vault.sqlite").read { db in try Int.fetchOne(db, sql: "PRAGMA page_count")! }
    }

    @Test func aDatabaseFailureInALaterGroupSaysWhatWasCommitted() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        // The pages a small file's rows take, measured on a first batch.
        let start = try Self.pageCount(vault)
        let first = try (0..<20).map { try IngestBatchTests.randomFile(vault, "a\($0).bin", 300) }
        let firstItems = try vault.ingest(first).map(\.0)
        #expect(firstItems.count == 20)
        let perFile = max(1.0, Double(try Self.pageCount(vault) - start) / 20)
        // Room for about 100 more files: a first group (at most 64 files) commits; the database fills up in
        // a later one.
        let count = 200
        let files = try (0..<count).map { try IngestBatchTests.randomFile(vault, "b\($0).bin", 300) }
        let limit = try Self.pageCount(vault) + Int(perFile * 100)
        let result = try vault.run("collector", ["ingest", "--case", "C-1"] + files,
                                   environment: ["AMANAH_TEST_MAX_PAGE_COUNT": String(limit)])
        #expect(result.status == 1)
        let committed = result.stdoutLines.map { $0.split(separator: "\t").map(String.init) }
        let k = committed.count
        #expect(k > 0 && k < count, "\(k) committed")
        #expect(committed.map { $0.last ?? "" } == (0..<k).map { "b\($0).bin" })
        #expect(result.stderr.contains("amanah: cannot write to the vault database while committing \(vault.cli.folder)/b"), "\(result.stderr)")
        #expect(result.stderr.contains("the disk holding ") && result.stderr.contains("/vault/vault.sqlite is full (database or disk is full)"), "\(result.stderr)")
        #expect(result.stderr.contains("\(k) of the \(count) files of this ingest \(k == 1 ? "was" : "were") committed before the failure"), "\(result.stderr)")
        #expect(result.stderr.contains("the first not committed is \(files[k])"), "\(result.stderr)")
        #expect(!result.stderr.contains("nothing was changed"), "\(result.stderr)")
        #expect(result.stderr.contains("\(count - k) of \(count) files failed"), "\(result.stderr)")

        // `list` shows exactly the files committed; every blob left is referred to; the log verifies.
        let listed = try vault.run("investigator", ["list"]).stdoutLines.map { String($0.prefix(12)) }
        #expect(listed == firstItems + committed.map { $0[0] })
        let check = try vault.run("investigator", ["check", "--read-data"])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("\(20 + k) items present, \(20 + k) read and verified"))
        #expect(try vault.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
        let blobs = try FileManager.default.subpathsOfDirectory(atPath: vault.vault + "/blobs").filter { $0.count > 3 }
        #expect(blobs.count == 20 + k)
    }
}
