import Foundation
import Testing

/// Issue 18: the default policy's `family-viewing` profile: derivatives only, regions of categories A, B and D
/// masked, no record detail, a visible watermark naming the viewing session.
@Suite("Family viewing profile", .enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct FamilyViewingTests {
    @Test("a protection officer exports a family-viewing image for a named session; the label is drawn and audited; nothing else uses the profile")
    func exportForASession() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        let item = fixture.items[0]
        let first = try vault.run("protection-officer", ["export", item, "--profile", "family-viewing", "--session", "S-2026-12-07-1", "-o", "view1.jpg"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try vault.run("protection-officer", ["export", item, "--profile", "family-viewing", "--session", "S-2026-12-07-2", "-o", "view2.jpg"])
        #expect(second.status == 0, "\(second.stderr)")
        let again = try vault.run("protection-officer", ["export", item, "--profile", "family-viewing", "--session", "S-2026-12-07-1", "-o", "view3.jpg"])
        #expect(again.status == 0, "\(again.stderr)")
        let one = try Data(contentsOf: URL(fileURLWithPath: vault.cli.folder + "/view1.jpg"))
        let two = try Data(contentsOf: URL(fileURLWithPath: vault.cli.folder + "/view2.jpg"))
        let three = try Data(contentsOf: URL(fileURLWithPath: vault.cli.folder + "/view3.jpg"))
        #expect(one.starts(with: [0xFF, 0xD8]) && one != two && one == three, "the session's label is not what differs")
        // No metadata: no EXIF, no camera name.
        #expect(one.range(of: Data("Exif".utf8)) == nil && one.range(of: Data("NIKON".utf8)) == nil)
        let log = try vault.run("auditor", ["audit", "log", "--json"])
        #expect(log.stdout.contains("session:S-2026-12-07-1") && log.stdout.contains("profile:family-viewing"), "\(log.stdout.suffix(1500))")

        // The masks, read back from a PNG export: B and D filled, C (location) left as it was; the band drawn.
        for (rectangle, category) in [("300,40,80,80", "B"), ("300,200,80,80", "C"), ("450,300,80,80", "D")] {
            let added = try vault.run("investigator", ["region", "add", item, rectangle, "--category", category, "--reason", "test region " + category])
            #expect(added.status == 0, "\(added.stderr)")
        }
        #expect(try vault.run("protection-officer", ["export", item, "--profile", "family-viewing", "--session", "S-9", "-o", "view.png"]).status == 0)
        func pixel(_ x: Int, _ y: Int) throws -> String {
            try runTool("vips", ["getpoint", "view.png", String(x), String(y)], in: vault.cli.folder).1.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try pixel(100, 100) == "0 0 0" && pixel(340, 80) == "0 0 0" && pixel(490, 340) == "0 0 0", "A, B and D are masked")
        #expect(try pixel(340, 270) != "0 0 0", "C is not masked under family-viewing")
        #expect(try pixel(6, 6) == "255 255 255", "the top band's first letter")

        // The preview of the profile keeps nothing of the records but the ids.
        let preview = try vault.run("protection-officer", ["show", item, "--profile", "family-viewing", "--json"])
        #expect(preview.status == 0, "\(preview.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(preview.stdout.utf8)) as? [String: Any])
        let records = try #require(object["records"] as? [String: Any])
        #expect((records["case"] as? [String: String]) == ["id": "C-1"], "\(records)")
        #expect((records["item"] as? [String: String]) == ["id": item, "mediaType": "image/jpeg"], "\(records)")
        let regions = try #require(object["regions"] as? [[String: Any]])
        #expect(regions.count == 4 && regions.filter { $0["masked"] as? Bool == true }.compactMap { $0["category"] as? String }.sorted() == ["A", "B", "D"], "\(regions)")

        let noSession = try vault.run("protection-officer", ["export", item, "--profile", "family-viewing", "-o", "view4.jpg"])
        #expect(noSession.status != 0 && noSession.stderr.contains("--session"), "\(noSession.stderr)")
        let badLabel = try vault.run("protection-officer", ["export", item, "--profile", "family-viewing", "--session", "جلسة", "-o", "view4.jpg"])
        #expect(badLabel.status != 0 && badLabel.stderr.contains("Latin letters"), "\(badLabel.stderr)")
        let needless = try vault.run("investigator", ["export", item, "--profile", "public", "--session", "S-1", "-o", "public.jpg"])
        #expect(needless.status != 0 && needless.stderr.contains("draws no watermark"), "\(needless.stderr)")
        let investigator = try vault.run("investigator", ["export", item, "--profile", "family-viewing", "--session", "S-1", "-o", "inv.jpg"])
        #expect(investigator.status != 0 && investigator.stderr.contains("family-viewing"), "\(investigator.stderr)")
        #expect(!FileManager.default.fileExists(atPath: vault.cli.folder + "/view4.jpg") && !FileManager.default.fileExists(atPath: vault.cli.folder + "/inv.jpg"))
        let proposed = try vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "family-viewing", "--items", item,
                                                       "--basis-file", "basis.txt", "-o", "req.json"])
        #expect(proposed.status != 0 && proposed.stderr.contains("not for a disclosure"), "\(proposed.stderr)")
    }
}
