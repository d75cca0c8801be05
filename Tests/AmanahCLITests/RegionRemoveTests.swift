import Foundation
import GRDB
import Testing
import Vault
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultStore

/// Issue 18: `region remove` (audited, kept in the history), `region list --all`, an exact duplicate refused,
/// and `show ITEM` giving the displayed size that region coordinates are in.
@Suite("Region removal")
struct RegionRemoveTests {
    @Test("an investigator removes a region with a reason: it masks nothing any more, is listed only with --all, with why and when; a duplicate region is refused; show gives the displayed size")
    func removeAndList() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let item = try #require(try fixture.ingest([samplePhotos[0]]).first?.0)
        let shown = try fixture.run("investigator", ["show", item])
        let size = try #require(shown.stdoutLines.first { $0.hasPrefix("displayed size: ") }, "\(shown.stdout)")
        let json = try fixture.run("investigator", ["show", item, "--json"])
        let view = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let width = try #require(view["displayWidth"] as? Int), height = try #require(view["displayHeight"] as? Int)
        #expect(size.hasPrefix("displayed size: \(width)x\(height)"))

        let added = try fixture.run("investigator", ["region", "add", item, "10,20,30,40", "--category", "A", "--reason", "a face"])
        #expect(added.status == 0, "\(added.stderr)")
        let region = try #require(added.stdoutLines.first)
        let twice = try fixture.run("investigator", ["region", "add", item, "10,20,30,40", "--category", "A", "--reason", "the same face"])
        #expect(twice.status != 0 && twice.stderr.contains("is on item \(item) already (\(region))"), "\(twice.stderr)")
        let other = try fixture.run("investigator", ["region", "add", item, "10,20,30,40", "--category", "B", "--reason", "a bystander"])
        #expect(other.status == 0, "another category on the same rectangle is another region: \(other.stderr)")

        let noReason = try fixture.run("investigator", ["region", "remove", item, region, "--reason", " "])
        #expect(noReason.status != 0 && noReason.stderr.contains("reason"), "\(noReason.stderr)")
        let byCollector = try fixture.run("collector", ["region", "remove", item, region, "--reason", "mine"])
        #expect(byCollector.status != 0, "\(byCollector.stdout)")
        let removed = try fixture.run("investigator", ["region", "remove", item, region, "--reason", "drawn on the wrong face"])
        #expect(removed.status == 0, "\(removed.stderr)")
        let again = try fixture.run("investigator", ["region", "remove", item, region, "--reason", "again"])
        #expect(again.status != 0 && again.stderr.contains("was removed already"), "\(again.stderr)")
        let unknown = try fixture.run("investigator", ["region", "remove", item, "R-0000000000", "--reason", "none"])
        #expect(unknown.status == 2, "\(unknown.stderr)")

        let listed = try fixture.run("investigator", ["region", "list", item])
        #expect(listed.status == 0 && !listed.stdout.contains(region) && listed.stdoutLines.count == 1, "\(listed.stdout)")
        let all = try fixture.run("investigator", ["region", "list", item, "--all", "--json"])
        let regions = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [[String: Any]])
        let gone = try #require(regions.first { $0["id"] as? String == region })
        #expect(gone["removedReason"] as? String == "drawn on the wrong face" && gone["reason"] as? String == "a face", "\(gone)")
        #expect((gone["removedAt"] as? String)?.hasPrefix("20") == true)
        #expect(regions.count == 2)
        // The item view masks only the region left.
        let after = try fixture.run("investigator", ["show", item])
        #expect(!after.stdout.contains("region \(region)"), "\(after.stdout)")
        #expect(try fixture.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
        let checked = try fixture.run("custodian-1", ["check"])
        #expect(checked.status == 0, "\(checked.stdout) \(checked.stderr)")
    }

    @Test("a collector's modified client signs a region.remove that empties a region's record: check refuses it with exit 3")
    func forgedRemovalIsRefused() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let item = try #require(try fixture.ingest([samplePhotos[0]]).first?.0)
        let added = try fixture.run("investigator", ["region", "add", item, "10,20,30,40", "--category", "A", "--reason", "a face"])
        let region = try #require(added.stdoutLines.first)
        try RecordReviewAttackTests.sign(fixture, as: "collector", action: "region.remove", objects: [item, "C-1", region]) { db in
            try db.execute(sql: "DELETE FROM recordField WHERE kind = 'region' AND recordID = ?", arguments: [region])
        }
        let checked = try fixture.run("custodian-1", ["check"])
        #expect(checked.status == 3, "\(checked.stdout) \(checked.stderr)")
        #expect((checked.stdout + checked.stderr).contains("may not mark regions"), "\(checked.stdout) \(checked.stderr)")
    }
}
