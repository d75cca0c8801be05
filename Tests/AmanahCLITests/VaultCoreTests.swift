import Foundation
import Testing
import VaultCrypto

/// The vault core end to end through the CLI, on the real sample photographs.
struct VaultCoreTests {
    @Test func sealListShowExportCheckAndVerify() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let photos = Array(samplePhotos.filter { $0.contains("DSCN") }.prefix(4))
        #expect(photos.count == 4)
        let items = try vault.ingest(photos, extra: ["--witness", "W-0001"])
        #expect(items.count == 4)
        #expect(items.map(\.1) == photos.map { URL(fileURLWithPath: $0).lastPathComponent })
        #expect(Set(items.map(\.0)).count == 4 && items.allSatisfy { $0.0.hasPrefix("I-") && $0.0.count == 12 })

        let list = try vault.run("investigator", ["list", "--json"])
        #expect(list.status == 0)
        let objects = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as! [[String: Any]]
        #expect(objects.map { $0["id"] as? String } == items.map(\.0))
        #expect(objects.map { $0["case"] as? String } == Array(repeating: "C-1", count: 4))
        #expect(objects.map { $0["sequence"] as? Int } == [1, 2, 3, 4])

        let show = try vault.run("investigator", ["show", items[0].0])
        #expect(show.status == 0)
        #expect(show.stdout.contains("sha256: " + (try sha256Hex(of: photos[0]))))
        #expect(show.stdout.contains("file name: " + items[0].1))
        #expect(show.stdout.contains("witness=W-0001"))

        let export = try vault.run("investigator", ["export", items[2].0, "-o", "out.jpg"])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(try vault.cli.read("out.jpg") == Data(contentsOf: URL(fileURLWithPath: photos[2])))
        #expect(try vault.run("investigator", ["export", items[2].0, "-o", "out.jpg"]).status == 1) // no overwrite

        let check = try vault.run("investigator", ["check", "--read-data"])
        #expect(check.status == 0)
        #expect(check.stdout.contains("4 items present, 4 read and verified"))
        let verify = try vault.cli.run(["audit", "verify", "-C", "vault"])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("audit log verified"))
    }

    @Test func collectorIsWriteOnlyAndRolesSeeTheirCompartments() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let items = try vault.ingest([samplePhotos[0]])
        for command in [["show", items[0].0], ["export", items[0].0, "-o", "x.jpg"], ["case", "show", "C-1"]] {
            let refused = try vault.run("collector", command)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("not permitted"), "\(command): \(refused.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: vault.cli.folder + "/x.jpg"))
        #expect(try vault.run("auditor", ["show", items[0].0]).stderr.contains("not permitted"))
        #expect(try vault.run("legal-officer", ["ingest", "--case", "C-1", samplePhotos[1]]).stderr.contains("not permitted"))
        // The investigator sees case data but not the identified name, nor witness identities.
        let investigatorCase = try vault.run("investigator", ["case", "show", "C-1"])
        #expect(investigatorCase.stdout.contains("detaineeNumber: ٣٤٥٦/٢١٥"))
        #expect(!investigatorCase.stdout.contains("Test Person A"))
        #expect(investigatorCase.stdout.contains("withheld (your role does not hold their keys): identifiedName"))
        let investigatorWitness = try vault.run("investigator", ["witness", "show", "W-0001"])
        #expect(investigatorWitness.stdout.contains("consent: Demo Tribunal"))
        #expect(!investigatorWitness.stdout.contains("Test Person B"))
        // The protection officer reads identities.
        let officer = try vault.run("protection-officer", ["witness", "show", "W-0001"])
        #expect(officer.stdout.contains("legalName: Test Person B"))
        #expect(try vault.run("protection-officer", ["case", "show", "C-1"]).stdout.contains("identifiedName: Test Person A"))
        // A stranger is not a member.
        try vault.cli.makeIdentity("stranger")
        let stranger = try vault.run("stranger", ["list"])
        #expect(stranger.status == 1 && stranger.stderr.contains("is not a member of this vault"))
    }

    @Test func detaineeSearchThroughTheBlindIndex() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        for query in ["3456/215", "٣٤٥٦/٢١٥", "۳۴۵۶/۲۱۵", "  3456/215 "] {
            let result = try vault.run("investigator", ["case", "search", "--detainee", query])
            #expect(result.status == 0)
            #expect(result.stdoutLines == ["C-1"], "query \(query)")
        }
        #expect(try vault.run("investigator", ["case", "search", "--detainee", "4102/227"]).stdoutLines == ["C-2"])
        #expect(try vault.run("investigator", ["case", "search", "--detainee", "9999/1"]).stdoutLines.isEmpty)
        #expect(try vault.run("collector", ["case", "search", "--detainee", "3456/215"]).stderr.contains("not permitted"))
    }

    @Test func secondDeliveryAddsASourceNotACopy() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let first = try vault.ingest([samplePhotos[0]], extra: ["--witness", "W-0001"])
        let blobsBefore = try FileManager.default.subpathsOfDirectory(atPath: vault.vault + "/blobs").filter { $0.count > 3 }
        let again = try vault.run("investigator", ["ingest", "--case", "C-1", samplePhotos[0]])
        #expect(again.status == 0)
        #expect(again.stdoutLines == [first[0].0 + "\t" + first[0].1])
        #expect(again.stderr.contains("already in the vault as \(first[0].0) (case C-1); recorded as a further source"))
        let blobsAfter = try FileManager.default.subpathsOfDirectory(atPath: vault.vault + "/blobs").filter { $0.count > 3 }
        #expect(blobsAfter == blobsBefore)
        let show = try vault.run("investigator", ["show", first[0].0])
        #expect(show.stdout.contains("source 1:") && show.stdout.contains("source 2:"))
        #expect(try vault.run("investigator", ["list"]).stdoutLines.count == 1)
    }

    @Test func perFileErrorsDoNotStopTheOthers() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let result = try vault.run("collector", ["ingest", "--case", "C-2", samplePhotos[0], "missing.jpg", samplePhotos[1]])
        #expect(result.status == 2, "only a missing file failed: exit 2 (not found) \(result.stderr)")
        #expect(result.stdoutLines.count == 2)
        #expect(result.stderr.contains("missing.jpg"))
        #expect(result.stderr.contains("1 of 3 files failed; 2 were committed"), "\(result.stderr)")
        let noCase = try vault.run("collector", ["ingest", "--case", "C-9", samplePhotos[0]])
        #expect(noCase.status == 2 && noCase.stderr.contains("no case C-9"))
        let noWitness = try vault.run("collector", ["ingest", "--case", "C-1", "--witness", "W-9", samplePhotos[0]])
        #expect(noWitness.status == 2 && noWitness.stderr.contains("no witness W-9"))
        // Any file type is sealed, also an empty one.
        try vault.cli.write("note.txt", "")
        #expect(try vault.run("collector", ["ingest", "--case", "C-2", "note.txt"]).status == 0)
        #expect(try vault.run("investigator", ["check", "--read-data"]).stdout.contains("3 items present, 3 read and verified"))
    }

    @Test func nothingIdentifyingIsStoredInClear() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        try vault.cli.write("more.json", #"[{"pseudonym":"W-0002","legalName":"شاهد اختبار","location":"Den Haag","relationship":"neighbour"}]"#)
        #expect(try vault.run("protection-officer", ["witness", "add", "--from", "more.json"]).status == 0)
        let photos = samplePhotos
        _ = try vault.ingest(photos)
        var needles: [(String, [UInt8])] = []
        for photo in photos {
            let name = URL(fileURLWithPath: photo).lastPathComponent
            let digest = SHA256Digest.hash(Array(try Data(contentsOf: URL(fileURLWithPath: photo))))
            needles.append(("file name \(name)", Array(name.utf8)))
            needles.append(("sha256 hex of \(name)", Array(Hex.encode(digest).utf8)))
            needles.append(("raw sha256 of \(name)", digest))
        }
        for value in ["NIKON", "COOLPIX", "Canon EOS 40D", "PENTAX", "2008:10:22", "Test Person A", "Test Person B",
                      "12 Example Street", "Den Haag", "شاهد اختبار", "neighbour", "3456/215", "٣٤٥٦/٢١٥", "4102/227",
                      "Qaboun", "Demo Tribunal"] {
            needles.append((value, Array(value.utf8)))
        }
        var files: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: vault.vault)!
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: vault.vault + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(relative)
            }
        }
        #expect(files.contains("vault.sqlite") && files.contains("vault.json"))
        #expect(files.filter { $0.hasPrefix("blobs/") }.count == photos.count)
        for file in files {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: vault.vault + "/" + file)))
            for (label, needle) in needles {
                let found = contains(bytes, needle)
                #expect(!found, "\(label) found in \(file)")
            }
        }
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        let first = needle[0]
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == first && Array(haystack[index..<(index + needle.count)]) == needle { return true }
            index += 1
        }
        return false
    }
}
