import Foundation
import Testing

/// Issue 18: `item classify ITEM LEVEL` and a case's `classification` (through `case update`) set what the
/// policy's classification conditions read (the default policy denies the public profile above `normal`).
@Suite("Classification")
struct ClassificationTests {
    @Test("a restricted item, or an item of a restricted case, is not exported under the public profile; an unknown level is refused; the markings check")
    func restrictedNeverPublic() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let items = try fixture.ingest([samplePhotos[0], samplePhotos[1]]).map(\.0)
        let before = try fixture.run("investigator", ["export", items[0], "--profile", "public", "-o", "before.jpg"])
        #expect(before.status == 0, "\(before.stderr)")
        let unknown = try fixture.run("investigator", ["item", "classify", items[0], "secret"])
        #expect(unknown.status != 0 && unknown.stderr.contains("secret is not a classification of the policy (known: normal, restricted)"), "\(unknown.stderr)")
        #expect(try fixture.run("collector", ["item", "classify", items[0], "restricted"]).status != 0)
        let classified = try fixture.run("investigator", ["item", "classify", items[0], "restricted"])
        #expect(classified.status == 0, "\(classified.stderr)")
        let denied = try fixture.run("investigator", ["export", items[0], "--profile", "public", "-o", "after.jpg"])
        #expect(denied.status != 0 && denied.stderr.contains("restricted material is never released under the public profile"), "\(denied.stdout) \(denied.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.cli.folder + "/after.jpg"))
        // The other item follows its case once the case is restricted.
        #expect(try fixture.run("investigator", ["export", items[1], "--profile", "public", "-o", "other.jpg"]).status == 0)
        let wrong = try fixture.run("investigator", ["case", "update", "--from", "-"], stdin: #"{"id":"C-1","classification":"top"}"#)
        #expect(wrong.status != 0 && wrong.stderr.contains("top is not a classification"), "\(wrong.stderr)")
        #expect(try fixture.run("investigator", ["case", "update", "--from", "-"], stdin: #"{"id":"C-1","classification":"restricted"}"#).status == 0)
        let caseDenied = try fixture.run("investigator", ["export", items[1], "--profile", "public", "-o", "other2.jpg"])
        #expect(caseDenied.status != 0 && caseDenied.stderr.contains("restricted material is never released under the public profile"), "\(caseDenied.stderr)")
        // The original still exports byte for byte (a classified item's data key is unchanged).
        #expect(try fixture.run("investigator", ["export", items[0], "-o", "original.jpg"]).status == 0)
        #expect(FileManager.default.contentsEqual(atPath: fixture.cli.folder + "/original.jpg", andPath: samplePhotos[0]))
        let checked = try fixture.run("custodian-1", ["check"])
        #expect(checked.status == 0, "\(checked.stdout) \(checked.stderr)")
    }
}
