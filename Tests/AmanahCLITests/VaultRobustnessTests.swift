import Foundation
import GRDB
import Testing
import VaultCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Bad input, damage, rollback and crashes: each a clear error naming what is wrong, nothing changed.
struct VaultRobustnessTests {
    private func auditCount(_ vault: VaultFixture) throws -> Int {
        let queue = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
        return try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM auditEvent") ?? -1 }
    }

    @Test func arabicWitnessRecordsFromC20() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        // Map C20's illustrative records onto witness fields: id → pseudonym (or the client file name when
        // present, an identifier), name → legalName, address → location.
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/C20-witness-metadata.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: fixture)) as! [String: Any]
        let records = object["records"] as! [[String: String]]
        let mapped: [[String: String]] = records.map { record in
            var out = ["pseudonym": record["client_filename"] ?? record["id"]!, "legalName": record["name"]!]
            if let address = record["address"] { out["location"] = address }
            return out
        }
        try vault.cli.write("c20.json", String(decoding: try JSONSerialization.data(withJSONObject: mapped), as: UTF8.self))
        let result = try vault.run("protection-officer", ["witness", "add", "--from", "c20.json"])
        #expect(result.status == 1)
        #expect(result.stdoutLines == ["w1", "w2", "w3", "w4"])
        #expect(result.stderr.contains("c20.json record 5 field pseudonym: contains a path separator"))
        #expect(result.stderr.contains("c20.json record 6 field legalName: contains a NUL character"))
        #expect(result.stderr.contains("4 witness records added, 2 refused"))
        // NFC and NFD twins match each other, whichever form is searched.
        let nfc = records[0]["name"]!, nfd = records[1]["name"]!
        #expect(nfc != nfd || nfc.unicodeScalars.count != nfd.unicodeScalars.count)
        for query in [nfc, nfd] {
            #expect(try vault.run("protection-officer", ["witness", "search", "--name", query]).stdoutLines == ["w1", "w2"])
        }
        // The RLO in w3 is kept as given but displayed escaped.
        let w3 = try vault.run("protection-officer", ["witness", "show", "w3"])
        #expect(w3.stdout.contains("\\u{202E}"))
        #expect(!w3.stdout.unicodeScalars.contains { $0.value == 0x202E })
        let json = try vault.run("protection-officer", ["witness", "show", "w3", "--json"])
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(decoded["legalName"] as? String == records[2]["name"])
        // Arabic-Indic digits are kept as written.
        #expect(try vault.run("protection-officer", ["witness", "show", "w4"]).stdout.contains("location: الشارع ١٢، المبنى ٣"))
    }

    @Test func csvRecordsAndStrictFields() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.cli.write("cases.csv", "id,detaineeNumber,place\nC-7,\"12/3, annex\",Mezzeh\nC-8,,\n")
        let added = try vault.run("investigator", ["case", "add", "--from", "cases.csv"])
        #expect(added.status == 0 && added.stdoutLines == ["C-7", "C-8"])
        #expect(try vault.run("investigator", ["case", "show", "C-7"]).stdout.contains("detaineeNumber: 12/3, annex"))
        try vault.cli.write("bad.json", #"[{"id":"C-9","colour":"red"},{"id":"C-10","branch":215},{"branch":"1"},{"id":"C-7"}]"#)
        let bad = try vault.run("investigator", ["case", "add", "--from", "bad.json"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("bad.json record 1: unknown field colour"))
        #expect(bad.stderr.contains("bad.json record 2 field branch: must be text"))
        #expect(bad.stderr.contains("bad.json record 3: the required field id is missing"))
        #expect(bad.stderr.contains("case C-7 exists already"))
        let witness = try vault.run("protection-officer", ["witness", "add", "--from", "-"],
                                    stdin: "pseudonym,consent,protectiveMeasures\nW-5,Tribunal A;Tribunal B,pseudonym-only\n")
        #expect(witness.status == 0)
        #expect(try vault.run("investigator", ["witness", "show", "W-5"]).stdout.contains("consent: Tribunal A, Tribunal B"))
    }

    @Test func wrongPassphraseCorruptedKeyAndMissingVault() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let before = try auditCount(vault)
        try vault.cli.write("wrong.pass", "not the passphrase\n")
        let wrong = try vault.cli.run(["case", "show", "C-1", "-C", "vault", "-i", "investigator.key", "--passphrase-file", "wrong.pass"])
        #expect(wrong.status == 1 && wrong.stderr.contains("investigator.key: wrong passphrase"))
        var text = String(decoding: try vault.cli.read("investigator.key"), as: UTF8.self)
        text = text.replacingOccurrences(of: "secret: ", with: "secret: A")
        try vault.cli.write("broken.key", text)
        let broken = try vault.cli.run(["list", "-C", "vault", "-i", "broken.key", "--passphrase-file", "investigator.pass"])
        #expect(broken.status == 1 && broken.stderr.contains("broken.key: corrupted key file"))
        let missing = try vault.cli.run(["list", "-C", "nowhere", "-i", "investigator.key", "--passphrase-file", "investigator.pass"])
        #expect(missing.status == 2 && missing.stderr.contains("nowhere is not an Amanah vault: the folder does not exist"))
        #expect(try auditCount(vault) == before)
    }

    @Test func damagedBlobAndRowAreNamed() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let items = try vault.ingest(Array(samplePhotos.prefix(2)))
        let queue = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
        let blobID = try queue.read { db in try String.fetchOne(db, sql: "SELECT blobID FROM item WHERE id = ?", arguments: [items[1].0])! }
        let blobPath = vault.vault + "/blobs/" + String(blobID.prefix(2)) + "/" + blobID
        var blob = Array(try Data(contentsOf: URL(fileURLWithPath: blobPath)))
        blob[5000] ^= 0x01
        try Data(blob).write(to: URL(fileURLWithPath: blobPath))
        let check = try vault.run("investigator", ["check", "--read-data"])
        #expect(check.status == 3)
        #expect(check.stdout.contains("problem: item \(items[1].0):"))
        #expect(check.stdout.contains("2 items present, 1 read and verified"))
        let export = try vault.run("investigator", ["export", items[1].0, "-o", "bad.jpg"])
        #expect(export.status == 1 && export.stderr.contains("does not open"))
        #expect(!FileManager.default.fileExists(atPath: vault.cli.folder + "/bad.jpg"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: vault.cli.folder).filter { $0.contains(".tmp-") }.isEmpty)
        // A truncated blob is caught without reading data.
        try Data(blob.prefix(100)).write(to: URL(fileURLWithPath: blobPath))
        let quick = try vault.cli.run(["check", "-C", "vault"])
        #expect(quick.status == 3 && quick.stdout.contains("its blob has 100 bytes"))
        // A modified record field does not authenticate.
        try queue.write { db in
            try db.execute(sql: "UPDATE recordField SET ciphertext = zeroblob(length(ciphertext)) WHERE kind = 'case' AND recordID = 'C-1' AND field = 'place'")
        }
        let show = try vault.run("investigator", ["case", "show", "C-1"])
        #expect(show.status == 1 && show.stderr.contains("field place of case C-1 does not authenticate"))
    }

    @Test func rolledBackOrReplacedVaultIsRefused() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        try FileManager.default.copyItem(atPath: vault.vault, toPath: vault.cli.folder + "/snapshot")
        // The newest change comes from another client (its own state folder, told which vault to expect);
        // this client then sees it.
        let other = ["XDG_STATE_HOME": vault.cli.folder + "/other-state", "AMANAH_EXPECT_VAULT": vault.vaultID]
        #expect(try vault.run("collector", ["ingest", "--case", "C-1", samplePhotos[0]], environment: other).status == 0)
        #expect(try vault.run("investigator", ["list"]).status == 0)
        try FileManager.default.removeItem(atPath: vault.vault)
        try FileManager.default.copyItem(atPath: vault.cli.folder + "/snapshot", toPath: vault.vault)
        let refused = try vault.run("investigator", ["list"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("refusing a rolled-back vault: its audit log has"))
        #expect(try vault.run("investigator", ["check", "--accept-lost-changes"]).status == 1)
        // Another vault created at the same folder: its id differs from the pinned one.
        try FileManager.default.removeItem(atPath: vault.vault)
        let again = try vault.cli.run(["init", "vault", "-i", "custodian-1.key", "--passphrase-file", "custodian-1.pass",
                                       "--threshold", "1", "--custodian", vault.publicKeys["custodian-1"]!])
        #expect(again.status == 1)
        #expect(again.stderr.contains("the genesis was replaced"))
    }

    @Test func checkRemovesOnlyTemporaryFilesAndQuarantinesUnreferencedBlobs() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        _ = try vault.ingest([samplePhotos[0]])
        try FileManager.default.createDirectory(atPath: vault.vault + "/blobs/ab", withIntermediateDirectories: true)
        let temporary = vault.vault + "/blobs/ab/.tmp-ab" + String(repeating: "1", count: 30)
        let orphan = vault.vault + "/blobs/ab/ab" + String(repeating: "0", count: 30)
        try Data("partial".utf8).write(to: URL(fileURLWithPath: temporary))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: temporary)
        try Data("orphan".utf8).write(to: URL(fileURLWithPath: orphan))
        // Without an identity: the temporary file goes, the unreferenced blob is only reported.
        let check = try vault.cli.run(["check", "-C", "vault"])
        #expect(check.status == 3)
        #expect(check.stderr.contains("removed blobs/ab/.tmp-ab111111"))
        #expect(check.stdout.contains("problem: blobs/ab/ab000000000000000000000000000000: no item refers to this blob"))
        #expect(!FileManager.default.fileExists(atPath: temporary))
        #expect(try Data(contentsOf: URL(fileURLWithPath: orphan)) == Data("orphan".utf8))
        // With an identity it moves to quarantine/, audited, and check fails while it is there.
        let signed = try vault.run("custodian-1", ["check"])
        #expect(signed.status == 3)
        #expect(signed.stderr.contains("quarantined blobs/ab/ab000000000000000000000000000000 -> quarantine/ab000000000000000000000000000000"))
        #expect(signed.stdout.contains("problem: quarantine/ab000000000000000000000000000000 is in quarantine"))
        #expect(!FileManager.default.fileExists(atPath: orphan))
        #expect(try Data(contentsOf: URL(fileURLWithPath: vault.vault + "/quarantine/ab" + String(repeating: "0", count: 30))) == Data("orphan".utf8))
        let history = try vault.cli.run(["audit", "log", "--item", "ab" + String(repeating: "0", count: 30), "-C", "vault"])
        #expect(history.status == 0 && history.stdout.contains("vault.quarantine"))
        #expect(try vault.cli.run(["check", "-C", "vault"]).status == 3)
        // A person decides about it; then the vault checks clean.
        try FileManager.default.removeItem(atPath: vault.vault + "/quarantine/ab" + String(repeating: "0", count: 30))
        #expect(try vault.cli.run(["check", "-C", "vault"]).status == 0)
    }

    @Test func auditLogTamperingIsDetected() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        _ = try vault.ingest([samplePhotos[0]])
        let queue = try DatabaseQueue(path: vault.vault + "/vault.sqlite")
        #expect(throws: (any Error).self) { try queue.write { db in try db.execute(sql: "DELETE FROM auditEvent WHERE seq = 2") } }
        #expect(try vault.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
        try queue.write { db in
            try withoutGuards(db) {
                try db.execute(sql: "UPDATE auditEvent SET leaf = leaf || x'00' WHERE seq = 3")
            }
        }
        let edited = try vault.cli.run(["audit", "verify", "-C", "vault"])
        #expect(edited.status == 3)
        #expect(edited.stdout.contains("event 3:"))
    }

    @Test(arguments: ["ingest.mid-blob", "ingest.after-blob", "ingest.before-commit"])
    func injectedCrashLeavesTheVaultConsistent(point: String) throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let good = try vault.ingest([samplePhotos[0]])
        let crashed = try vault.run("collector", ["ingest", "--case", "C-1", samplePhotos[1]], environment: ["AMANAH_FAULT_INJECT": point])
        #expect(crashed.status == 137)
        let check = try vault.run("investigator", ["check", "--read-data"])
        // A crash in the middle of a blob leaves a temporary file, which check removes; a crash after the blob
        // was published and before the commit leaves a complete blob no item refers to, which is never
        // deleted: it goes to quarantine/ and check fails until a person decides about it.
        let quarantine = vault.vault + "/quarantine"
        let quarantined = (try? FileManager.default.contentsOfDirectory(atPath: quarantine)) ?? []
        #expect(quarantined.count == (point == "ingest.mid-blob" ? 0 : 1))
        #expect(check.status == (point == "ingest.mid-blob" ? 0 : 3), "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("1 items present, 1 read and verified"))
        #expect(check.stdout.split(separator: "\n").filter { $0.hasPrefix("problem:") && !$0.contains("is in quarantine") }.isEmpty)
        for name in quarantined { try FileManager.default.removeItem(atPath: quarantine + "/" + name) }
        #expect(try vault.run("investigator", ["list"]).stdoutLines.map { String($0.prefix(12)) } == [good[0].0])
        #expect(try vault.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
        // The interrupted file can be ingested again.
        #expect(try vault.ingest([samplePhotos[1]]).count == 1)
        #expect(try vault.run("investigator", ["check", "--read-data"]).stdout.contains("2 items present, 2 read and verified"))
    }

    @Test func killedIngestsNeverLeaveHalfItems() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        var generator = SystemRandomNumberGenerator()
        for round in 0..<12 {
            // Fresh copies so every round ingests new content.
            var files: [String] = []
            for (index, photo) in samplePhotos.prefix(6).enumerated() {
                var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: photo)))
                bytes.append(contentsOf: Array("round \(round) file \(index)".utf8))
                let path = vault.cli.folder + "/r\(round)-\(index).jpg"
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                files.append(path)
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLIHarness.executable)
            process.arguments = ["ingest", "--case", "C-1", "-C", "vault", "-i", "collector.key", "--passphrase-file", "collector.pass"] + files
            process.currentDirectoryURL = URL(fileURLWithPath: vault.cli.folder)
            process.environment = vault.cli.environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 20_000...400_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let check = try vault.run("investigator", ["check", "--read-data"])
            // Only quarantined blobs of an uncommitted group may be reported, never a damaged item.
            #expect(check.status == 0 || check.status == 3, "round \(round): \(check.stdout) \(check.stderr)")
            #expect(check.stdout.split(separator: "\n").filter { $0.hasPrefix("problem:") && !$0.contains("is in quarantine") }.isEmpty,
                    "round \(round): \(check.stdout)")
            let listed = try vault.run("investigator", ["list"]).stdoutLines.count
            #expect(check.stdout.contains("\(listed) items present, \(listed) read and verified"), "round \(round)")
        }
        #expect(try vault.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
    }

    @Test func sealingAGibibyteStaysInBoundedMemory() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        func peak(_ file: String) throws -> Int {
            let result = try vault.run("collector", ["ingest", "--case", "C-2", file], environment: ["AMANAH_REPORT_PEAK_RSS": "1"])
            #expect(result.status == 0, "\(result.stderr)")
            let line = result.stderr.split(separator: "\n").first { $0.contains("peak-rss-kib") }!
            return Int(line.split(separator: " ").last!)!
        }
        try vault.cli.write("small.bin", "small")
        let big = vault.cli.folder + "/big.bin"
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.truncate(atOffset: 1 << 30)   // 1 GiB, sparse
        try handle.close()
        let baseline = try peak(vault.cli.folder + "/small.bin")
        let large = try peak(big)
        #expect(large - baseline < 64 * 1024, "sealing 1 GiB used \(large - baseline) KiB more than sealing 5 bytes")
    }
}
