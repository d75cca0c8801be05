import Foundation
import Testing

/// Issue 18: `disclose status [REQ|BUNDLE-ID] [--json]`.
@Suite("Disclosure status", .enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct DiscloseStatusTests {
    @Test("a request's status names its approvals and what is missing, then its bundle once issued; the vault lists its bundles without an identity; an unknown bundle is exit 2")
    func statusOfARequestAndOfBundles() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        let none = try vault.cli.run(["disclose", "status", "-C", "vault", "--json"])
        #expect(none.status == 0, "\(none.stderr)")
        #expect((try JSONSerialization.jsonObject(with: Data(none.stdout.utf8)) as? [Any])?.isEmpty == true, "\(none.stdout)")
        let proposed = try vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected", "--case", "C-1",
                                                       "--basis-file", "basis.txt", "-o", "req.json"])
        #expect(proposed.status == 0, "\(proposed.stderr)")
        let waiting = try vault.run("legal-officer", ["disclose", "status", "req.json"])
        #expect(waiting.status == 0 && waiting.stdout.contains("not approved in full") && waiting.stdout.contains("approved by "), "\(waiting.stdout) \(waiting.stderr)")
        #expect(try vault.run("legal-officer-2", ["disclose", "approve", "req.json", "--yes"]).status == 0)
        let ready = try vault.run("legal-officer", ["disclose", "status", "req.json", "--json"])
        var object = try #require(try JSONSerialization.jsonObject(with: Data(ready.stdout.utf8)) as? [String: Any], "\(ready.stdout) \(ready.stderr)")
        #expect(object["complete"] as? Bool == true && (object["approvals"] as? [[String: Any]])?.count == 2 && object["issued"] == nil, "\(object)")
        #expect((object["approvals"] as? [[String: Any]])?.compactMap { $0["role"] as? String } == ["legal-officer", "legal-officer"])
        #expect(object["recipient"] as? String == "Demo Tribunal" && object["items"] as? Int == 2)
        let issued = try vault.run("legal-officer", ["disclose", "issue", "req.json", "-o", "bundle.tar.age"])
        #expect(issued.status == 0, "\(issued.stderr)")
        let done = try vault.run("legal-officer", ["disclose", "status", "req.json", "--json"])
        object = try #require(try JSONSerialization.jsonObject(with: Data(done.stdout.utf8)) as? [String: Any])
        let bundle = try #require(object["issued"] as? [String: Any], "\(object)")
        let id = try #require(bundle["bundle"] as? String)
        #expect(id.hasSuffix("-0001") && bundle["items"] as? Int == 2, "\(bundle)")
        // The list and one bundle, without an identity.
        let listed = try vault.cli.run(["disclose", "status", "-C", "vault", "--json"])
        let all = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]], "\(listed.stdout) \(listed.stderr)")
        #expect(all.map { $0["bundle"] as? String } == [id])
        let one = try vault.cli.run(["disclose", "status", id, "-C", "vault"])
        #expect(one.status == 0 && one.stdout.hasPrefix(id + "\tDemo Tribunal\t2 items"), "\(one.stdout)")
        let unknown = try vault.cli.run(["disclose", "status", "DT-0099", "-C", "vault"])
        #expect(unknown.status == 2, "\(unknown.stdout) \(unknown.stderr)")
    }
}
