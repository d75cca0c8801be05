import Foundation
import Testing

/// Issue 18: `--json` on `check`, `audit verify` and `policy explain`, parsed; the exit status is the same as
/// without it, and one JSON style (no escaped slashes).
@Suite("JSON output of checks and decisions")
struct JSONOutputTests {
    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    @Test("check, audit verify and policy explain print JSON that parses; a missing blob makes check's JSON say so with exit 3")
    func checkVerifyExplain() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let item = try #require(try fixture.ingest([samplePhotos[0]]).first?.0)
        let checked = try fixture.run("custodian-1", ["check", "--json"])
        #expect(checked.status == 0, "\(checked.stderr)")
        var object = try Self.object(checked.stdout)
        #expect(object["ok"] as? Bool == true && (object["problems"] as? [String])?.isEmpty == true && object["itemsPresent"] as? Int == 1, "\(object)")
        let verified = try fixture.cli.run(["audit", "verify", "--json", "-C", "vault"])
        object = try Self.object(verified.stdout)
        #expect(verified.status == 0 && object["ok"] as? Bool == true && (object["events"] as? Int ?? 0) > 3, "\(verified.stdout)")
        #expect(!verified.stdout.contains("\\/"))
        let explained = try fixture.run("investigator", ["policy", "explain", "--action", "export", "--item", item, "--profile", "public", "--json"])
        object = try Self.object(explained.stdout)
        #expect(explained.status == 0 && object["decision"] as? String == "permit" && !((object["rules"] as? [String]) ?? []).isEmpty, "\(explained.stdout)")
        let denied = try fixture.run("investigator", ["policy", "explain", "--action", "view", "--item", item, "--member", fixture.publicKeys["collector"]!, "--json"])
        object = try Self.object(denied.stdout)
        #expect(object["decision"] as? String == "deny" && object["reason"] is String, "\(denied.stdout) \(denied.stderr)")
        // A blob gone: check says so in JSON too, with exit 3.
        let blobs = fixture.vault + "/blobs"
        let file = try #require(FileManager.default.subpaths(atPath: blobs)?.first { $0.count > 20 && !$0.hasPrefix(".") })
        try FileManager.default.removeItem(atPath: blobs + "/" + file)
        let broken = try fixture.run("custodian-1", ["check", "--json"])
        #expect(broken.status == 3, "\(broken.stdout) \(broken.stderr)")
        object = try Self.object(broken.stdout)
        #expect(object["ok"] as? Bool == false && ((object["problems"] as? [String]) ?? []).contains { $0.contains(item) }, "\(object)")
    }

    @Test("case list, witness list and source list --pending print JSON arrays that parse")
    func lists() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try fixture.addRecords()
        let cases = try fixture.run("investigator", ["case", "list", "--json"])
        #expect(try JSONSerialization.jsonObject(with: Data(cases.stdout.utf8)) as? [String] == ["C-1", "C-2"], "\(cases.stdout)")
        let witnesses = try fixture.run("protection-officer", ["witness", "list", "--json"])
        let pseudonyms = try #require(try JSONSerialization.jsonObject(with: Data(witnesses.stdout.utf8)) as? [String], "\(witnesses.stdout)")
        #expect(pseudonyms.contains("W-0001"))
        // A collector delivers a file already in the vault: a pending source, listed for a member who may view items.
        _ = try fixture.ingest([samplePhotos[0]], as: "investigator")
        let again = try fixture.run("collector", ["ingest", "--case", "C-1", samplePhotos[0]])
        #expect(again.status == 0 && again.stdout.contains("pending:"), "\(again.stdout) \(again.stderr)")
        let pending = try fixture.run("investigator", ["source", "list", "--pending", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(pending.stdout.utf8)) as? [[String: Any]], "\(pending.stdout)")
        #expect(rows.count == 1 && rows[0]["case"] as? String == "C-1" && (rows[0]["source"] as? String)?.isEmpty == false, "\(rows)")
        #expect(!pending.stdout.contains("\\/"))
    }
}
