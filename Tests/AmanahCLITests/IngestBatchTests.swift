import Foundation
import Testing
import VaultCrypto

/// `amanah ingest` of many files: order of the output, failures kept to their file, duplicates within one
/// command, large files (sealed on several threads, written with direct I/O) byte for byte, and crashes in
/// the middle of a group.
struct IngestBatchTests {
    /// Writes `count` bytes of random content to `name` in the test folder; returns the path.
    static func randomFile(_ vault: VaultFixture, _ name: String, _ count: Int) throws -> String {
        let path = vault.cli.folder + "/" + name
        try Data(Random.bytes(count)).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func manyFilesKeepTheirOrderAndFailuresStayWithTheirFile() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        // Sizes around the 1 MiB threshold of direct I/O, the 4096-byte direct-I/O blocks, and one file past
        // the 16 MiB threshold of the threaded path.
        let big = try Self.randomFile(vault, "big.bin", 3 * 1024 * 1024 + 4099)
        let huge = try Self.randomFile(vault, "huge.bin", 16 * 1024 * 1024 + 12_345)
        let edge = try Self.randomFile(vault, "edge.bin", 1024 * 1024)
        let aligned = try Self.randomFile(vault, "aligned.bin", 2 * 1024 * 1024 - 8)
        let photo = samplePhotos[0]
        let copy = vault.cli.folder + "/copy.jpg"
        try FileManager.default.copyItem(atPath: photo, toPath: copy)
        try FileManager.default.createDirectory(atPath: vault.cli.folder + "/folder.jpg", withIntermediateDirectories: false)
        let files = [photo, vault.cli.folder + "/missing.jpg", big, copy, vault.cli.folder + "/folder.jpg", edge, aligned, huge]
        let result = try vault.run("collector", ["ingest", "--case", "C-2"] + files)
        #expect(result.status == 1)
        #expect(result.stderr.contains("2 of 8 files failed"), "\(result.stderr)")
        #expect(result.stderr.contains("missing.jpg"))
        #expect(result.stderr.contains("is not a regular file"))
        let lines = result.stdoutLines.map { $0.split(separator: "\t").map(String.init) }
        #expect(lines.map { $0.last ?? "" } == [URL(fileURLWithPath: photo).lastPathComponent, "big.bin", "copy.jpg", "edge.bin", "aligned.bin", "huge.bin"])
        // A collector may not view items: the copy is a pending source, and nothing names the item it matched.
        #expect(lines[2][0].hasPrefix("pending:"), "\(lines[2])")
        #expect(result.stderr.contains("copy.jpg: already in the vault; recorded as pending source"), "\(result.stderr)")
        #expect(!result.stderr.contains("copy.jpg: already in the vault as"))

        let listed = try vault.run("investigator", ["list"])
        #expect(listed.stdoutLines.count == 5)
        for (index, path) in [(1, big), (3, edge), (4, aligned), (5, huge)] {
            let out = "out-\(index).bin"
            let export = try vault.run("investigator", ["export", lines[index][0], "-o", out])
            #expect(export.status == 0, "\(export.stderr)")
            #expect(try vault.cli.read(out) == Data(contentsOf: URL(fileURLWithPath: path)), "\(path)")
        }
        let check = try vault.run("investigator", ["check", "--read-data"])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("5 items present, 5 read and verified"))
        #expect(try vault.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
    }

    @Test(arguments: ["ingest.mid-blob", "ingest.after-blob", "ingest.before-commit"])
    func aCrashInAGroupLeavesEveryItemCompleteOrAbsent(point: String) throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let good = try vault.ingest([samplePhotos[0]])
        let files = try (0..<5).map { try Self.randomFile(vault, "f\($0).bin", $0 == 2 ? 2 * 1024 * 1024 + 1 : 1000 + $0) }
        let crashed = try vault.run("collector", ["ingest", "--case", "C-1"] + files, environment: ["AMANAH_FAULT_INJECT": point])
        #expect(crashed.status == 137)
        // Whatever was printed before the crash is in the vault; the rest is absent, and nothing is half.
        let printed = crashed.stdoutLines.map { String($0.prefix(12)) }
        let check = try vault.run("investigator", ["check", "--read-data"])
        // Blobs published before the crash but never committed are not deleted: check moves them to
        // quarantine/ and fails until a person decides; nothing else may be reported.
        #expect(check.status == 0 || check.status == 3, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.split(separator: "\n").filter { $0.hasPrefix("problem:") && !$0.contains("is in quarantine") }.isEmpty,
                "\(check.stdout)")
        if point == "ingest.mid-blob" { #expect(check.status == 0) }
        let listed = try vault.run("investigator", ["list"]).stdoutLines.map { String($0.prefix(12)) }
        #expect(listed == [good[0].0] + printed)
        #expect(check.stdout.contains("\(listed.count) items present, \(listed.count) read and verified"))
        #expect(try vault.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
        // No temporary or unreferenced blob is left once check has run.
        let blobs = try FileManager.default.subpathsOfDirectory(atPath: vault.vault + "/blobs").filter { $0.count > 3 }
        #expect(blobs.count == listed.count)
    }
}
