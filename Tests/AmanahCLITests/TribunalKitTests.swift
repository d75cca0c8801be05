import Foundation
import Testing

/// Issue 20: what a tribunal receives. `disclose issue` writes `NAME.txt` beside `NAME.tar.age`; its stock
/// steps, followed with stock tools only, pass for the bundle as issued and fail at the listed step for an
/// item added, removed or replaced.
@Suite("The tribunal's kit", .enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct TribunalKitTests {
    /// The commands of the note's Linux and macOS steps, in order, with the placeholders filled in; each
    /// step's commands as one shell snippet.
    static func linuxSteps(_ note: String, bundle: String) -> [String] {
        let start = note.range(of: "Linux and macOS")!.upperBound
        let end = note.range(of: "\nWindows (PowerShell", range: start..<note.endIndex)!.lowerBound
        var steps: [String] = []
        for line in note[start..<end].split(separator: "\n") {
            if line.first?.isNumber == true { steps.append("") }
            else if line.hasPrefix("     "), !steps.isEmpty {
                let command = line.trimmingCharacters(in: .whitespaces)
                    .replacingOccurrences(of: "BUNDLE.tar.age", with: bundle).replacingOccurrences(of: "YOUR-AGE-IDENTITY-FILE", with: "tribunal.key")
                steps[steps.count - 1] += command + "\n"
            }
        }
        return steps
    }

    /// Runs the steps in `folder` (each in bash, from where the one before left off); returns the number of
    /// the first step that fails (nil when all pass) and everything printed.
    static func follow(_ steps: [String], in folder: String) throws -> (failed: Int?, output: String) {
        var output = ""
        for (index, step) in steps.enumerated() {
            // Steps 2 to 4 run in the unpacked folder, as step 1 leaves the clerk there.
            let script = "set -e\n" + (index == 0 ? "" : "cd bundle\n") + step
            let (status, printed) = try runTool("bash", ["-c", script], in: folder)
            output += printed
            if status != 0 { return (index + 1, output) }
        }
        return (nil, output)
    }

    @Test("the note beside the bundle says what it is and who issued it, names no case or person, and its Linux steps pass")
    func noteAndStockSteps() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        let issued = try fixture.disclose(output: "DT-0001.tar.age")
        #expect(issued.status == 0, "\(issued.stderr)")
        #expect(issued.stderr.contains("wrote DT-0001.txt"), "\(issued.stderr)")
        let note = try String(contentsOfFile: vault.cli.folder + "/DT-0001.txt", encoding: .utf8)
        let fingerprint = try vault.cli.run(["key", "fingerprint", "legal-officer.key"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(note.contains("DT-0001.tar.age is an encrypted archive") && note.contains("2 items, production\nnumbers DT-0001-0001 to DT-0001-0002"), "\(note.prefix(800))")
        #expect(note.contains("(fingerprint \(fingerprint))") && note.contains("البصمة \(fingerprint)"), "\(note.prefix(800))")
        for secret in ["C-1", "Qaboun", "W-0001", "٣٤٥٦", "DSCN0010", "Demo Tribunal", "NIKON"] { #expect(!note.contains(secret), "\(secret) in the note") }
        #expect(note.contains("Windows (PowerShell") && note.contains("Get-FileHash -Algorithm SHA256") && note.contains("ويندوز"))
        // The steps, with stock tools only (the issuer's key as registered, saved as issuer.pub beside the bundle).
        let folder = vault.cli.folder + "/clerk"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in ["DT-0001.tar.age", "tribunal.key", "issuer.pub"] {
            try FileManager.default.copyItem(atPath: vault.cli.folder + "/" + file, toPath: folder + "/" + file)
        }
        let steps = Self.linuxSteps(note, bundle: "DT-0001.tar.age")
        #expect(steps.count == 4, "\(steps)")
        let followed = try Self.follow(steps, in: folder)
        #expect(followed.failed == nil, "\(followed.output)")
        #expect(followed.output.contains("file list OK") && followed.output.contains("Signature and comment signature verified"), "\(followed.output)")
        // VERIFY.txt inside says the same steps.
        let verify = try String(contentsOfFile: folder + "/bundle/VERIFY.txt", encoding: .utf8)
        #expect(Self.linuxSteps(verify, bundle: "DT-0001.tar.age") == steps)
    }

    @Test("an item added, an item removed, an item replaced: each fails at the listed step with stock tools alone",
          arguments: [("added", 2), ("removed", 2), ("replaced", 4)])
    func tamperedBundles(change: String, failsAt: Int) throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        #expect(try fixture.disclose(output: "DT-0001.tar.age").status == 0)
        let base = vault.cli.folder
        let note = try String(contentsOfFile: base + "/DT-0001.txt", encoding: .utf8)
        // The adversary unpacks, changes the items and packs and encrypts again to the tribunal's key.
        try fixture.unpack("DT-0001.tar.age", into: "work")
        let items = base + "/work/items"
        let names = try FileManager.default.contentsOfDirectory(atPath: items).sorted()
        switch change {
        case "added": try FileManager.default.copyItem(atPath: items + "/" + names[0], toPath: items + "/DT-0001-0003.jpg")
        case "removed": try FileManager.default.removeItem(atPath: items + "/" + names[1])
        default: try Data(contentsOf: URL(fileURLWithPath: items + "/" + names[1])).write(to: URL(fileURLWithPath: items + "/" + names[0]))
        }
        let members = try FileManager.default.contentsOfDirectory(atPath: base + "/work").sorted()
        #expect(try runTool("tar", ["--format=ustar", "-cf", "forged.tar", "-C", "work"] + members, in: base).0 == 0)
        let recipient = try runTool("age-keygen", ["-y", "tribunal.key"], in: base).1.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try runTool("age", ["-r", recipient, "-o", "clerk-DT-0001.tar.age", "forged.tar"], in: base).0 == 0)
        let folder = base + "/clerk"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: base + "/clerk-DT-0001.tar.age", toPath: folder + "/DT-0001.tar.age")
        for file in ["tribunal.key", "issuer.pub"] { try FileManager.default.copyItem(atPath: base + "/" + file, toPath: folder + "/" + file) }
        let followed = try Self.follow(Self.linuxSteps(note, bundle: "DT-0001.tar.age"), in: folder)
        #expect(followed.failed == failsAt, "\(change): \(followed.output)")
        // Amanah says so too, with exit 3.
        let verified = try vault.cli.run(["bundle", "verify", "clerk/DT-0001.tar.age", "-i", "tribunal.key", "--kit", "kit.json"])
        #expect(verified.status == 3, "\(verified.stdout)")
    }

    @Test("index.csv parses and matches the manifest; index.html lists each item with a masked thumbnail, no script and no external resource")
    func indexFiles() throws {
        let fixture = try DisclosureFixture()
        let vault = fixture.vault
        defer { vault.cleanup() }
        #expect(try vault.governance(["set-organisation", "Syrian Archive, \"Berlin\""], approvers: ["custodian-1", "custodian-2"]).status == 0)
        let info = try vault.cli.run(["info", "-C", "vault"])
        #expect(info.stdout.contains("organisation: Syrian Archive, \"Berlin\""), "\(info.stdout)")
        #expect(try fixture.disclose().status == 0)
        try fixture.unpack()
        let folder = vault.cli.folder + "/unpacked"
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))) as? [String: Any])
        let items = try #require(manifest["items"] as? [[String: Any]])
        let csv = try String(contentsOfFile: folder + "/index.csv", encoding: .utf8)
        let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.first == "production number,file name,media type,size,SHA-256,date photographed,case label,categories masked,issuing organisation")
        #expect(lines.count == items.count + 1)
        for (line, item) in zip(lines.dropFirst(), items) {
            // The organisation is the one quoted cell (a comma and quotes), last on the line.
            let organisation = ",\"Syrian Archive, \"\"Berlin\"\"\""
            #expect(line.hasSuffix(organisation), "\(line)")
            let cells = line.dropLast(organisation.count).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect(cells.count == 8, "\(line)")
            #expect(cells[0] == item["productionNumber"] as? String && cells[1] == item["file"] as? String, "\(line)")
            #expect(cells[3] == String(item["size"] as? Int ?? -1) && cells[4] == item["sha256"] as? String && cells[2] == "image/jpeg", "\(line)")
            #expect(cells[6] == "C-1", "\(line)")
        }
        #expect(lines[1].split(separator: ",")[7] == "A", "the first item's face region is masked: \(lines[1])")
        let html = try String(contentsOfFile: folder + "/index.html", encoding: .utf8)
        #expect(!html.lowercased().contains("<script") && !html.contains("http://") && !html.contains("https://") && !html.contains("src=\"items/"))
        #expect(html.components(separatedBy: "src=\"data:image/jpeg;base64,").count == items.count + 1)
        #expect(html.contains("<section lang=\"ar\" dir=\"rtl\">") && html.contains("Syrian Archive, &quot;Berlin&quot;") && html.contains("A</span>: witness identity"))
        for item in items { #expect(html.contains(item["sha256"] as? String ?? "?")) }
        // The first thumbnail shows the mask: the face region (40,40)-(240,160) of 640x480 is (10,10)-(60,40) of 160x120.
        let encoded = try #require(html.components(separatedBy: "src=\"data:image/jpeg;base64,").dropFirst().first?.split(separator: "\"").first)
        try #require(Data(base64Encoded: String(encoded))).write(to: URL(fileURLWithPath: vault.cli.folder + "/thumb.jpg"))
        let size = try runTool("vipsheader", ["thumb.jpg"], in: vault.cli.folder).1
        #expect(size.contains("160x120"), "\(size)")
        let inside = try runTool("vips", ["getpoint", "thumb.jpg", "35", "25"], in: vault.cli.folder).1
        #expect(inside.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }.allSatisfy { $0 < 12 }, "\(inside)")
        // Opened in Debian's Chromium (Playwright): it renders every thumbnail, lays the Arabic part out right to
        // left, and no request leaves the page.
        let page = "file://" + folder + "/index.html"
        let (status, printed) = try runTool(repositoryRoot + "/.build/tools-venv/bin/python", [repositoryRoot + "/Tests/Browser/check_page.py", page], in: folder)
        #expect(status == 0, "the browser check needs Debian's chromium and the pinned playwright (scripts/install-deps.sh): \(printed)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data((printed.split(separator: "\n").last ?? "").utf8)) as? [String: Any], "\(printed)")
        let requests = seen["requests"] as? [String] ?? []
        #expect(requests.allSatisfy { $0 == page || $0.hasPrefix("data:") } && requests.contains(page), "\(requests.map { String($0.prefix(80)) })")
        let drawn = seen["images"] as? [[String: Any]] ?? []
        #expect(drawn.count == items.count && drawn.allSatisfy { $0["complete"] as? Bool == true && ($0["width"] as? Int ?? 0) > 0 }, "\(drawn)")
        #expect(seen["arabicDirection"] as? String == "rtl" && seen["scripts"] as? Int == 0, "\(seen)")
        // The bundle verifies with the index files in it.
        #expect(try vault.cli.run(["bundle", "verify", "bundle.tar.age", "-i", "tribunal.key", "--kit", "kit.json"]).status == 0)
    }
}
