import Foundation
import Testing

/// Issue 18: files whose names are not valid UTF-8 (ISO 8859-6 Arabic from an old archive, Latin-1) can be
/// ingested; the name is kept with each such byte as %XX and shown so.
@Suite("File names that are not UTF-8")
struct FileNameBytesTests {
    @Test("a Latin-1 and an ISO 8859-6 file name are ingested by their bytes and recorded escaped; the sealed copy is the file")
    func ingestedByTheirBytes() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let folder = fixture.cli.folder
        // caf\xE9.jpg (Latin-1 é) and \xD5\xE6\xD1\xC9 100%.jpg ("صورة" in ISO 8859-6, and a literal per cent sign).
        let photo = try Data(contentsOf: URL(fileURLWithPath: samplePhotos[0]))
        for (octal, source) in [("caf\\351.jpg", samplePhotos[0]), ("\\325\\346\\321\\311 100%%.jpg", samplePhotos[1])] {
            let made = try fixture.cli.runTool("/bin/sh", ["-c", "cp '\(source)' \"$(printf '\(octal)')\""])
            #expect(made.status == 0, "\(made.stderr)")
        }
        let command = [CLIHarness.executable, "ingest", "--case", "C-1", "\"$(printf 'caf\\351.jpg')\"", "\"$(printf '\\325\\346\\321\\311 100%%.jpg')\"",
                       "-C", "vault", "-i", "investigator.key", "--passphrase-file", "investigator.pass"].joined(separator: " ")
        let ingested = try fixture.cli.runTool("/bin/sh", ["-c", command])
        #expect(ingested.status == 0, "\(ingested.stderr)")
        let lines = ingested.stdoutLines.map { $0.split(separator: "\t").map(String.init) }
        #expect(lines.map { $0.last ?? "" } == ["caf%E9.jpg", "%D5%E6%D1%C9 100%25.jpg"], "\(ingested.stdout)")
        #expect(ingested.stderr.contains("caf%E9.jpg: its name is not valid UTF-8"), "\(ingested.stderr)")
        let item = try #require(lines.first?.first)
        let shown = try fixture.run("investigator", ["show", item])
        #expect(shown.stdout.contains("file name: caf%E9.jpg"), "\(shown.stdout)")
        let exported = try fixture.run("investigator", ["export", item, "-o", "back.jpg"])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/back.jpg")) == photo)
        // A name that is valid UTF-8 keeps its per cent sign as it is.
        try photo.write(to: URL(fileURLWithPath: folder + "/100%.jpg"))
        let plain = try fixture.run("investigator", ["ingest", "--case", "C-2", folder + "/100%.jpg"])
        #expect(plain.stdout.hasSuffix("\t100%.jpg\n") || plain.stdout.hasSuffix("\t100%.jpg"), "\(plain.stdout)")
    }

    @Test("plural forms: one byte, one file, one was committed")
    func pluralForms() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        try fixture.cli.write("one.txt", "x")
        let ingested = try fixture.run("investigator", ["ingest", "--case", "C-1", "one.txt", "missing.txt"])
        #expect(ingested.status == 2 && ingested.stderr.contains("1 of 2 files failed; 1 was committed"), "\(ingested.stderr)")
        let item = try #require(ingested.stdoutLines.first?.split(separator: "\t").first.map(String.init))
        let shown = try fixture.run("investigator", ["show", item])
        #expect(shown.stdout.contains("size: 1 byte\n"), "\(shown.stdout)")
        // A duplicate record: where it is, once, and one summary.
        let duplicate = try fixture.run("investigator", ["case", "add", "--from", "-"], stdin: #"[{"id":"C-1","branch":"9"},{"id":"C-7"}]"#)
        #expect(duplicate.status == 1 && duplicate.stderr.contains("amanah: standard input record 1 (C-1): case C-1 exists already\n"), "\(duplicate.stderr)")
        #expect(duplicate.stderr.components(separatedBy: "standard input record 1").count == 2, "\(duplicate.stderr)")
        #expect(duplicate.stderr.components(separatedBy: "refused").count == 2 && duplicate.stderr.contains("1 case record added, 1 refused"), "\(duplicate.stderr)")
    }

    @Test("a collector refused a write is told why in terms of writing, and a refused update prints one summary")
    func collectorWritesAreRefusedAsWrites() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let item = try #require(try fixture.ingest([samplePhotos[0]]).first?.0)
        let region = try fixture.run("collector", ["region", "add", item, "10,10,20,20", "--category", "B", "--reason", "a bystander"])
        #expect(region.status == 1 && region.stderr.contains("regions, consent and governance are written by other roles"), "\(region.stderr)")
        #expect(!region.stderr.contains("never read it back"), "\(region.stderr)")
        let update = try fixture.run("collector", ["case", "update", "--from", "-"], stdin: #"{"id":"C-1","branch":"216"}"#)
        #expect(update.status == 1 && update.stderr.contains("updating case C-1 merges into its recorded case fields"), "\(update.stderr)")
        #expect(update.stderr.components(separatedBy: "refused").count == 2, "one summary: \(update.stderr)")
    }
}
