import Foundation
import GRDB
import Testing
import VaultCrypto
import VaultGovernance

/// Several machines sharing one vault through a remote (issue 17), each machine a vault folder and a client
/// state of its own in one test folder. These use a folder remote; `TeamVaultS3Tests` does the same through
/// SeaweedFS.
struct TeamMachines: @unchecked Sendable {
    let fixture: VaultFixture
    let remoteURL: String
    /// Options of `remote add` and `clone` for this remote (`--endpoint` for S3).
    var remoteOptions: [String] = []
    /// Environment of every command (S3 credentials and region).
    var environment: [String: String] = [:]

    /// The fixture's vault is machine "vault" (client state `state`); the remote is a folder in the test folder.
    init(fixture: VaultFixture, remoteURL: String? = nil) throws {
        self.fixture = fixture
        if let remoteURL {
            self.remoteURL = remoteURL
        } else {
            let folder = fixture.cli.folder + "/remote"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
            self.remoteURL = "file://" + folder
        }
    }

    /// Runs a command on `machine` (a vault folder name in the test folder, with its own client state) as `who`
    /// (nil: no identity).
    @discardableResult
    func run(_ machine: String, _ who: String?, _ arguments: [String], environment: [String: String] = [:]) throws -> CLIHarness.Result {
        var arguments = arguments + ["-C", machine]
        if let who { arguments += ["-i", who + ".key", "--passphrase-file", who + ".pass"] }
        return try fixture.cli.run(arguments, environment: self.environment.merging(environment) { $1 }.merging(Self.state(machine, fixture)) { $1 })
    }

    /// The opening most team tests share: the fixture's records and the first `photos` sample photographs on
    /// machine "vault", which adds the remote as origin and syncs.
    func share(photos: Int = 1) throws {
        try fixture.addRecords()
        if photos > 0 { _ = try fixture.ingest(Array(samplePhotos.prefix(photos))) }
        #expect(try addRemote().status == 0)
        #expect(try run("vault", nil, ["sync"]).status == 0)
    }

    /// Adds the remote to the first machine as origin.
    @discardableResult
    func addRemote() throws -> CLIHarness.Result {
        try run("vault", nil, ["remote", "add", "origin", remoteURL] + remoteOptions)
    }

    static func state(_ machine: String, _ fixture: VaultFixture) -> [String: String] {
        ["XDG_STATE_HOME": fixture.cli.folder + (machine == "vault" ? "/state" : "/state-" + machine)]
    }

    /// Runs the commands at the same time (one thread each); returns their results in order.
    func together(_ runs: [(machine: String, who: String?, arguments: [String])], environment: [String: String] = [:]) throws -> [CLIHarness.Result] {
        final class Box: @unchecked Sendable {
            var results: [Result<CLIHarness.Result, any Error>?]
            let team: TeamMachines
            init(_ count: Int, _ team: TeamMachines) { results = Array(repeating: nil, count: count); self.team = team }
        }
        let box = Box(runs.count, self)
        let lock = NSLock()
        let group = DispatchGroup()
        for (index, run) in runs.enumerated() {
            group.enter()
            Thread.detachNewThread {
                let result = Result { try box.team.run(run.machine, run.who, run.arguments, environment: environment) }
                lock.withLock { box.results[index] = result }
                group.leave()
            }
        }
        group.wait()
        return try box.results.map { try $0!.get() }
    }

    /// Clones the remote onto `machine`.
    @discardableResult
    func clone(_ machine: String, metadataOnly: Bool = false, environment: [String: String] = [:]) throws -> CLIHarness.Result {
        try fixture.cli.run(["clone", remoteURL, machine, "--expect-vault", fixture.vaultID] + remoteOptions + (metadataOnly ? ["--metadata-only"] : []),
                            environment: self.environment.merging(environment) { $1 }.merging(Self.state(machine, fixture)) { $1 })
    }

    /// The leaf hashes of `machine`'s audit log, in order.
    func leafHashes(_ machine: String) throws -> [String] {
        let queue = try DatabaseQueue(path: fixture.cli.folder + "/" + machine + "/vault.sqlite")
        return try queue.read { db in try Data.fetchAll(db, sql: "SELECT leafHash FROM auditEvent ORDER BY seq").map { Hex.encode(Array($0)) } }
    }
}

@Suite("Team vault through a folder remote")
struct TeamVaultTests {
    @Test("a collector's photographs and case reach an investigator's clone, which finds, shows and exports them byte-identical")
    func collectorToInvestigator() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        try collectorToInvestigator(TeamMachines(fixture: fixture))
    }

    func collectorToInvestigator(_ team: TeamMachines) throws {
        let fixture = team.fixture
        try fixture.addRecords()
        let ingested = try fixture.ingest(Array(samplePhotos.prefix(4)))
        #expect(ingested.count == 4)
        #expect(try team.addRemote().status == 0)
        let sent = try team.run("vault", nil, ["sync"])
        #expect(sent.status == 0, "sync: \(sent.stderr)")
        #expect(sent.stdout.contains("sent") && sent.stdout.contains("4 blobs"), "\(sent.stdout)")
        try? FileManager.default.removeItem(atPath: fixture.cli.folder + "/out.jpg")

        let cloned = try team.clone("machine-b", metadataOnly: true)
        #expect(cloned.status == 0, "clone: \(cloned.stderr)")
        #expect(try team.leafHashes("machine-b") == team.leafHashes("vault"))
        let found = try team.run("machine-b", "investigator", ["case", "search", "--detainee", "٣٤٥٦/٢١٥"])
        #expect(found.status == 0 && found.stdout.contains("C-1"), "search: \(found.stderr)")
        let shown = try team.run("machine-b", "investigator", ["show", ingested[0].0])
        #expect(shown.status == 0, "show: \(shown.stderr)")
        let exported = try team.run("machine-b", "investigator", ["export", ingested[0].0, "-o", "out.jpg"])
        #expect(exported.status == 0, "export: \(exported.stderr)")
        let original = samplePhotos.first { DurableName.last($0) == ingested[0].1 } ?? samplePhotos[0]
        #expect(try sha256Hex(of: fixture.cli.folder + "/out.jpg") == sha256Hex(of: original))
        // Both logs verify, and a second sync moves nothing.
        #expect(try team.run("machine-b", nil, ["audit", "verify"]).status == 0)
        let checked = try team.run("machine-b", "investigator", ["check"])
        #expect(checked.status == 0, "check: \(checked.stdout) \(checked.stderr)")
        // The investigator's views and export are events too: they go to the remote, then nothing is left to move.
        let views = try team.run("machine-b", nil, ["sync"])
        #expect(views.status == 0 && views.stdout.contains("received 0 entries") && !views.stdout.contains("sent 0 entries"), "\(views.stdout) \(views.stderr)")
        let again = try team.run("machine-b", nil, ["sync"])
        #expect(again.status == 0 && again.stdout.contains("sent 0 entries") && again.stdout.contains("received 0 entries"), "\(again.stdout) \(again.stderr)")
    }
}

extension TeamVaultTests {
    @Test("two machines ingest and sync at the same time, round after round: no entry is lost, the logs are identical and verify")
    func concurrentAppends() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamMachines(fixture: fixture)
        try fixture.addRecords()
        #expect(try team.addRemote().status == 0)
        #expect(try team.run("vault", nil, ["sync"]).status == 0)
        #expect(try team.clone("machine-b").status == 0)
        // B ingests into the same case while A's ingest is on the remote already: B's event moves after A's,
        // signed again, and its item takes the case's next sequence number (A's took the one B had chosen).
        try fixture.cli.write("first-a.txt", "first note from machine a")
        try fixture.cli.write("first-b.txt", "first note from machine b")
        #expect(try team.run("vault", "collector", ["ingest", "--case", "C-1", "first-a.txt"]).status == 0)
        #expect(try team.run("vault", "collector", ["sync"]).status == 0)
        #expect(try team.run("machine-b", "investigator", ["ingest", "--case", "C-1", "first-b.txt"]).status == 0)
        let rebased = try team.run("machine-b", "investigator", ["sync"])
        #expect(rebased.status == 0 && rebased.stdout.contains("moved after others'"), "\(rebased.stdout) \(rebased.stderr)")
        #expect(try team.run("machine-b", "investigator", ["check"]).status == 0)
        try concurrentRounds(team, rounds: 6)
        // A third machine that saw nothing before verifies the whole log as the others wrote and moved it.
        let third = try team.clone("machine-c", metadataOnly: true)
        #expect(third.status == 0, "clone: \(third.stderr)")
        let cHashes = try team.leafHashes("machine-c"), bHashes = try team.leafHashes("machine-b")
        #expect(cHashes.count > 12 && bHashes.starts(with: cHashes), "machine-c holds \(cHashes.count) events")
        #expect(try team.run("machine-c", "auditor", ["check"]).status == 0)
    }

    /// `rounds` rounds of: A (the collector) and B (the investigator) each ingest a file of their own, then
    /// both sync at the same time; then each syncs until both hold everything. Checks every item on both, the
    /// same log on both, and `audit verify` and `check` on both.
    func concurrentRounds(_ team: TeamMachines, rounds: Int, environment: [String: String] = [:]) throws {
        let fixture = team.fixture
        var items: [String] = []
        for round in 1...rounds {
            for machine in ["a", "b"] {
                try fixture.cli.write("note-\(machine)-\(round).txt", "field note \(round) from machine \(machine) " + Hex.encode(Random.bytes(8)))
            }
            let a = try team.run("vault", "collector", ["ingest", "--case", "C-1", "note-a-\(round).txt"], environment: environment)
            let b = try team.run("machine-b", "investigator", ["ingest", "--case", round % 2 == 0 ? "C-1" : "C-2", "note-b-\(round).txt"], environment: environment)
            #expect(a.status == 0 && b.status == 0, "ingest: \(a.stderr) \(b.stderr)")
            items += (a.stdoutLines + b.stdoutLines).map { String($0.split(separator: "\t")[0]) }
            let results = try team.together([("vault", "collector", ["sync"]), ("machine-b", "investigator", ["sync"])], environment: environment)
            for result in results { #expect(result.status == 0, "sync in round \(round): \(result.stderr)") }
        }
        for (machine, who) in [("vault", "collector"), ("machine-b", "investigator"), ("vault", "collector")] {
            let result = try team.run(machine, who, ["sync"], environment: environment)
            #expect(result.status == 0, "final sync on \(machine): \(result.stderr)")
        }
        #expect(items.count == 2 * rounds)
        #expect(try team.leafHashes("vault") == team.leafHashes("machine-b"))
        for (machine, who) in [("vault", "investigator"), ("machine-b", "investigator")] {
            let listed = try team.run(machine, who, ["list"])
            for item in items { #expect(listed.stdout.contains(item), "\(item) missing on \(machine)") }
            let verified = try team.run(machine, nil, ["audit", "verify"])
            #expect(verified.status == 0, "audit verify on \(machine): \(verified.stdout) \(verified.stderr)")
            let checked = try team.run(machine, who, ["check"])
            #expect(checked.status == 0, "check on \(machine): \(checked.stdout) \(checked.stderr)")
        }
    }
}

extension TeamVaultTests {
    @Test("a remote rolled back, with an entry deleted or rewritten, or a blob swapped, is refused with exit 3 and nothing changes")
    func untrustedRemote() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamMachines(fixture: fixture)
        let folder = fixture.cli.folder
        try fixture.addRecords()
        _ = try fixture.ingest(Array(samplePhotos.prefix(2)))
        #expect(try team.addRemote().status == 0)
        #expect(try team.run("vault", nil, ["sync"]).status == 0)
        try copyFolder(folder + "/remote", to: folder + "/remote-early")
        _ = try fixture.ingest([samplePhotos[2]])
        #expect(try team.run("vault", nil, ["sync"]).status == 0)
        try copyFolder(folder + "/remote", to: folder + "/remote-good")
        let before = try team.leafHashes("vault")
        // Two segments: the first sync's positions, then the second's.
        let logs = try FileManager.default.contentsOfDirectory(atPath: folder + "/remote/log").filter { !$0.hasPrefix(".") }.sorted()
        #expect(logs.count == 2)

        func attack(_ name: String, expect words: String, _ change: () throws -> Void) throws {
            try FileManager.default.removeItem(atPath: folder + "/remote")
            try copyFolder(folder + "/remote-good", to: folder + "/remote")
            try change()
            let result = try team.run("vault", nil, ["sync"])
            #expect(result.status == 3, "\(name): \(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains(words), "\(name): \(result.stderr)")
            #expect(try team.leafHashes("vault") == before, "\(name) changed the vault")
        }
        try attack("rollback", expect: "rolled back") {
            try FileManager.default.removeItem(atPath: folder + "/remote")
            try copyFolder(folder + "/remote-early", to: folder + "/remote")
        }
        try attack("the newest segment deleted", expect: "rolled back") {
            try FileManager.default.removeItem(atPath: folder + "/remote/log/" + logs[1])
        }
        try attack("the first segment deleted", expect: "gap in its log at position 1") {
            try FileManager.default.removeItem(atPath: folder + "/remote/log/" + logs[0])
        }
        try attack("an old segment rewritten", expect: "was rewritten or deleted") {
            try rewrite(folder + "/remote/log/" + logs[0], with: folder + "/remote/log/" + logs[1])
        }
        try attack("the newest segment rewritten", expect: "another event at log position") {
            try rewrite(folder + "/remote/log/" + logs[1], with: folder + "/remote/log/" + logs[0])
        }
        try attack("a copied segment appended", expect: "is numbered 1") {
            try FileManager.default.copyItem(atPath: folder + "/remote/log/" + logs[0],
                                             toPath: folder + "/remote/log/" + String(format: "%016d", before.count + 1))
        }
        try attack("a segment placed over another", expect: "gap or an overlap") {
            try FileManager.default.copyItem(atPath: folder + "/remote/log/" + logs[1],
                                             toPath: folder + "/remote/log/" + String(format: "%016d", before.count + 3))
        }
        // The same person clones the rolled-back remote into a new folder: their client state saw more of the
        // vault, so the clone is refused as a rollback.
        let staleClone = try fixture.cli.run(["clone", "file://" + folder + "/remote-early", "stale", "--expect-vault", fixture.vaultID],
                                             environment: TeamMachines.state("vault", fixture))
        #expect(staleClone.status != 0 && (staleClone.stderr.contains("rolled-back") || staleClone.stderr.contains("lacks the newest changes")), "\(staleClone.stdout) \(staleClone.stderr)")
        // A remote this client never synced with, holding this vault's genesis but a log that does not start
        // with this vault's creation (position 1 copied from position 2): refused, nothing changes.
        try FileManager.default.createDirectory(atPath: folder + "/forged/log", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: folder + "/remote-good/vault.json", toPath: folder + "/forged/vault.json")
        try FileManager.default.copyItem(atPath: folder + "/remote-good/log/" + logs[1], toPath: folder + "/forged/log/" + logs[0])
        #expect(try team.run("vault", nil, ["remote", "add", "forged", "file://" + folder + "/forged"]).status == 0)
        let forged = try team.run("vault", nil, ["sync", "forged"])
        #expect(forged.status == 3 && forged.stderr.contains("is not this vault's first event"), "\(forged.stderr)")
        #expect(try team.leafHashes("vault") == before)
        // A blob swapped for another: a new machine that fetches it refuses it, and keeps nothing.
        try FileManager.default.removeItem(atPath: folder + "/remote")
        try copyFolder(folder + "/remote-good", to: folder + "/remote")
        let blobs = try FileManager.default.contentsOfDirectory(atPath: folder + "/remote/blobs").filter { !$0.hasPrefix(".") }.sorted()
        #expect(blobs.count == 3)
        try rewrite(folder + "/remote/blobs/" + blobs[0], with: folder + "/remote/blobs/" + blobs[1])
        let swapped = try team.clone("machine-b")
        #expect(swapped.status == 3 && swapped.stderr.contains("a swapped or damaged blob"), "\(swapped.stderr)")
        let kept = try FileManager.default.subpathsOfDirectory(atPath: folder + "/machine-b/blobs").filter { $0.hasSuffix(blobs[0]) }
        #expect(kept.isEmpty)
    }

    func copyFolder(_ from: String, to: String) throws {
        try FileManager.default.copyItem(atPath: from, toPath: to)
    }

    /// Replaces the file at `path` with the content of `source` (in place, as a bucket operator could).
    func rewrite(_ path: String, with source: String) throws {
        try Data(contentsOf: URL(fileURLWithPath: source)).write(to: URL(fileURLWithPath: path))
    }
}

extension TeamVaultTests {
    @Test("custodians on two machines remove a member: after sync, nothing sealed afterwards on either machine opens with the keys the member held")
    func removalAcrossMachines() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try TeamMachines(fixture: fixture)
        try fixture.addRecords()
        _ = try fixture.ingest([samplePhotos[0]])
        #expect(try team.addRemote().status == 0)
        #expect(try team.run("vault", nil, ["sync"]).status == 0)
        #expect(try team.clone("machine-b").status == 0)
        // What the investigator could have copied: every compartment secret sealed to them.
        let investigator = try KeyFile.unlock(Array(fixture.cli.read("investigator.key")), passphrase: passphrase("investigator"))
        let stolen = try DatabaseQueue(path: fixture.cli.folder + "/vault/vault.sqlite").read { db in
            try Row.fetchAll(db, sql: "SELECT compartment, sealed FROM keyWrap WHERE holder = ? AND kind = 'secret'",
                             arguments: [investigator.publicKey.keyIDHex])
        }.map { row in (row["compartment"] as String, try investigator.openSealedBox(Array(row["sealed"] as Data)).unprotectedCopy()) }
        #expect(stolen.count == 2)
        // Custodian 1 proposes and approves on A, custodian 2 approves on B (the file travels), custodian 1 applies on A.
        let proposed = try team.run("vault", "custodian-1", ["op", "propose", "remove-member", fixture.publicKeys["investigator"]!, "-o", "op.json"])
        #expect(proposed.status == 0, "\(proposed.stderr)")
        #expect(try team.run("vault", "custodian-1", ["op", "approve", "op.json", "--yes"]).status == 0)
        let approved = try team.run("machine-b", "custodian-2", ["op", "approve", "op.json", "--yes"])
        #expect(approved.status == 0, "\(approved.stderr)")
        let applied = try team.run("vault", "custodian-1", ["op", "apply", "op.json"])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(try team.run("vault", "custodian-1", ["sync"]).status == 0)
        // B learns of the removal at its next sync; its members complete the rotations and seal new evidence there.
        let received = try team.run("machine-b", "legal-officer", ["sync"])
        #expect(received.status == 0, "\(received.stderr)")
        #expect(try team.run("machine-b", "investigator", ["list"]).stderr.contains("is not a member"))
        #expect(try team.run("machine-b", "legal-officer", ["list"]).stderr.contains("rotated"))
        _ = try team.run("machine-b", "protection-officer", ["witness", "list"])
        let late = try team.run("machine-b", "collector", ["ingest", "--case", "C-2", samplePhotos[1]])
        #expect(late.status == 0, "\(late.stderr)")
        #expect(try team.run("machine-b", "collector", ["sync"]).status == 0)
        #expect(try team.run("vault", "custodian-1", ["sync"]).status == 0)
        for machine in ["vault", "machine-b"] {
            let rows = try DatabaseQueue(path: fixture.cli.folder + "/" + machine + "/vault.sqlite").read { db in
                (try Row.fetchAll(db, sql: "SELECT compartment, sealedKey FROM recordKey"),
                 try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM keyWrap WHERE holder = ?", arguments: [investigator.publicKey.keyIDHex]) ?? -1)
            }
            #expect(rows.1 == 0, "\(machine) still wraps keys to the removed member")
            #expect(rows.0.count > 3)
            for row in rows.0 {
                for (compartment, bytes) in stolen where compartment == (row["compartment"] as String) {
                    var copy = bytes
                    let secret = SecretBytes(consuming: &copy)
                    let publicKey = try X25519.publicKey(for: secret)
                    #expect(throws: CryptoError.self) { _ = try SealedBox.open(Array(row["sealedKey"] as Data), publicKey: publicKey, secretKey: secret) }
                }
            }
            #expect(try team.run(machine, "legal-officer", ["check", "--read-data"]).stdout.contains("2 items present, 2 read and verified"))
        }
        #expect(try team.leafHashes("vault").starts(with: team.leafHashes("machine-b").prefix(10)))
    }
}

@Suite("A disclosure across machines", .enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct TeamDisclosureTests {
    /// A vault ready to disclose (`DisclosureFixture`) on machine "vault", shared through a folder remote and
    /// cloned on machine-b.
    static func sharedDisclosure() throws -> (DisclosureFixture, TeamMachines) {
        let disclosure = try DisclosureFixture()
        let team = try TeamMachines(fixture: disclosure.vault)
        #expect(try team.addRemote().status == 0)
        #expect(try team.run("vault", nil, ["sync"]).status == 0)
        #expect(try team.clone("machine-b").status == 0)
        return (disclosure, team)
    }

    /// On `machine`, the legal officer proposes releasing case C-1 to the demo tribunal into `request`, the second
    /// legal officer approves it, and each shares their own event.
    static func approvedRequest(_ team: TeamMachines, on machine: String, _ request: String) throws {
        let proposed = try team.run(machine, "legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected",
                                                                "--case", "C-1", "--basis-file", "basis.txt", "-o", request])
        #expect(proposed.status == 0, "\(proposed.stderr)")
        #expect(try team.run(machine, "legal-officer", ["sync"]).status == 0)
        #expect(try team.run(machine, "legal-officer-2", ["disclose", "approve", request, "--yes"]).status == 0)
        #expect(try team.run(machine, "legal-officer-2", ["sync"]).status == 0)
    }

    @Test("evidence ingested on one machine is issued on another, under a checkpoint cosigned by custodians on two more machines; the tribunal verifies it with its kit")
    func issuedOnAnotherMachine() throws {
        let (disclosure, team) = try Self.sharedDisclosure()
        let fixture = disclosure.vault
        defer { fixture.cleanup() }
        #expect(try team.clone("machine-c", metadataOnly: true).status == 0)
        // A new photograph on A, after the checkpoint the custodians cosigned on A: no cosigned checkpoint covers it.
        let late = try fixture.ingest([samplePhotos[3]], extra: ["--witness", "W-0001"])
        #expect(late.count == 1)
        #expect(try team.run("vault", "collector", ["sync"]).status == 0)
        #expect(try team.run("machine-b", "auditor", ["sync"]).status == 0)
        // On B, the auditor makes a checkpoint of the log as B holds it and shares it.
        let made = try team.run("machine-b", "auditor", ["audit", "checkpoint"])
        #expect(made.status == 0, "\(made.stderr)")
        try fixture.cli.write("team-checkpoint.txt", made.stdout)
        let shared = try team.run("machine-b", "auditor", ["sync"])
        #expect(shared.status == 0 && shared.stdout.contains("checkpoints: 1 sent"), "\(shared.stdout) \(shared.stderr)")
        // The newest checkpoint on B is not cosigned yet: B may not issue.
        let propose = ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected", "--case", "C-1", "--basis-file", "basis.txt", "-o", "req.json"]
        #expect(try team.run("machine-b", "legal-officer", propose).status == 0)
        #expect(try team.run("machine-b", "legal-officer-2", ["disclose", "approve", "req.json", "--yes"]).status == 0)
        let early = try team.run("machine-b", "legal-officer", ["disclose", "issue", "req.json", "-o", "bundle.tar.age"])
        #expect(early.status != 0 && early.stderr.contains("cosign"), "\(early.stdout) \(early.stderr)")
        try? FileManager.default.removeItem(atPath: fixture.cli.folder + "/bundle.tar.age")
        // Custodian 1 cosigns on A, custodian 2 on C; both share their cosignature.
        for (machine, custodian) in [("vault", "custodian-1"), ("machine-c", "custodian-2")] {
            let before = try team.run(machine, custodian, ["sync"])
            #expect(before.status == 0, "\(before.stderr)")
            let cosigned = try team.run(machine, custodian, ["audit", "cosign", "team-checkpoint.txt"])
            #expect(cosigned.status == 0, "cosign on \(machine): \(cosigned.stderr)")
            try fixture.cli.write("team-checkpoint.txt", made.stdout)   // each cosigns the note as B made it
            let sent = try team.run(machine, custodian, ["sync"])
            #expect(sent.status == 0 && sent.stdout.contains("checkpoints: 1 sent"), "\(sent.stdout) \(sent.stderr)")
        }
        let merged = try team.run("machine-b", "legal-officer", ["sync"])
        #expect(merged.status == 0 && merged.stdout.contains("received"), "\(merged.stdout) \(merged.stderr)")
        let issued = try team.run("machine-b", "legal-officer", ["disclose", "issue", "req.json", "-o", "bundle.tar.age"])
        #expect(issued.status == 0, "\(issued.stdout) \(issued.stderr)")
        let verify = try fixture.cli.run(["bundle", "verify", "bundle.tar.age", "-i", "tribunal.key", "--issuer-key", "issuer.pub", "--kit", "kit.json"])
        #expect(verify.status == 0 && verify.stdout.hasSuffix("verified\n"), "\(verify.stdout) \(verify.stderr)")
        // The issue reaches A, whose ledger then knows the bundle number.
        #expect(try team.run("machine-b", "legal-officer", ["sync"]).status == 0)
        #expect(try team.run("vault", "custodian-1", ["sync"]).status == 0)
        #expect(try team.run("vault", nil, ["audit", "verify"]).status == 0)
    }
}

extension TeamDisclosureTests {
    @Test("two machines issuing to the same recipient never give out the same production numbers; issuing away from the remote is refused")
    func productionNumbersAcrossMachines() throws {
        let (disclosure, team) = try Self.sharedDisclosure()
        let fixture = disclosure.vault
        defer { fixture.cleanup() }
        // Each member shares their own events (here two members work on one machine).
        for (machine, request) in [("vault", "req-a.json"), ("machine-b", "req-b.json")] {
            try Self.approvedRequest(team, on: machine, request)
        }
        // B issues first; A, which has not seen B's issue, reserves the next number through the remote.
        let first = try team.run("machine-b", "legal-officer", ["disclose", "issue", "req-b.json", "-o", "bundle-b.tar.age"])
        #expect(first.status == 0 && first.stdoutLines == ["DT-0001"], "\(first.stdout) \(first.stderr)")
        let second = try team.run("vault", "legal-officer", ["disclose", "issue", "req-a.json", "-o", "bundle-a.tar.age"])
        #expect(second.status == 0 && second.stdoutLines == ["DT-0002"], "\(second.stdout) \(second.stderr)")
        #expect(second.stderr.contains("DT-0002 reserved in the shared log"))
        for bundle in ["bundle-a.tar.age", "bundle-b.tar.age"] {
            let verify = try fixture.cli.run(["bundle", "verify", bundle, "-i", "tribunal.key", "--issuer-key", "issuer.pub", "--kit", "kit.json"])
            #expect(verify.status == 0, "\(bundle): \(verify.stdout) \(verify.stderr)")
        }
        // Both machines issue at the same time: each gets a number of its own.
        for (machine, request) in [("vault", "req-d.json"), ("machine-b", "req-e.json")] {
            #expect(try team.run(machine, "legal-officer", ["sync"]).status == 0)
            try Self.approvedRequest(team, on: machine, request)
        }
        let together = try team.together([("vault", "legal-officer", ["disclose", "issue", "req-d.json", "-o", "bundle-d.tar.age"]),
                                          ("machine-b", "legal-officer", ["disclose", "issue", "req-e.json", "-o", "bundle-e.tar.age"])])
        for result in together { #expect(result.status == 0, "\(result.stderr)") }
        #expect(Set(together.flatMap(\.stdoutLines)) == ["DT-0003", "DT-0004"], "\(together.map(\.stdout))")
        // Away from the remote, nothing is issued.
        try Self.approvedRequest(team, on: "vault", "req-c.json")
        try FileManager.default.moveItem(atPath: fixture.cli.folder + "/remote", toPath: fixture.cli.folder + "/remote-away")
        let offline = try team.run("vault", "legal-officer", ["disclose", "issue", "req-c.json", "-o", "bundle-c.tar.age"])
        #expect(offline.status != 0 && offline.stderr.contains("cannot issue while remote origin cannot be reached"), "\(offline.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.cli.folder + "/bundle-c.tar.age"))
        try FileManager.default.moveItem(atPath: fixture.cli.folder + "/remote-away", toPath: fixture.cli.folder + "/remote")
        // Both machines' ledgers agree once they meet.
        #expect(try team.run("machine-b", "legal-officer", ["sync"]).status == 0)
        for machine in ["vault", "machine-b"] {
            let checked = try team.run(machine, "legal-officer", ["check"])
            #expect(checked.status == 0, "\(machine): \(checked.stdout) \(checked.stderr)")
        }
    }
}

extension TeamVaultTests {
    @Test("a vault carried across a border on a FAT stick (no link(2) there): sent from one machine, cloned and answered from another",
          .enabled(if: fatToolsPresent || runningInCI, "needs mkfs.vfat (dosfstools), fusefat and /dev/fuse"))
    func carriedOnAFATStick() throws {
        try #require(fatToolsPresent, "CI must have mkfs.vfat (dosfstools), fusefat and /dev/fuse")
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let stick = try FATMount(in: fixture.cli.folder, name: "usb", megabytes: 64)
        defer { stick.unmount() }
        let team = try TeamMachines(fixture: fixture, remoteURL: "file://" + stick.mountPoint)
        try fixture.addRecords()
        let ingested = try fixture.ingest(Array(samplePhotos.prefix(2)))
        #expect(try team.addRemote().status == 0)
        let sent = try team.run("vault", nil, ["sync"])
        #expect(sent.status == 0 && sent.stdout.contains("2 blobs"), "\(sent.stdout) \(sent.stderr)")
        for folder in ["log", "blobs"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: stick.mountPoint + "/" + folder)
            #expect(!names.isEmpty && !names.contains { $0.hasPrefix(".") }, "\(folder): \(names)")
        }
        let cloned = try team.clone("machine-b")
        #expect(cloned.status == 0, "\(cloned.stderr)")
        let exported = try team.run("machine-b", "investigator", ["export", ingested[0].0, "-o", "from-stick.jpg"])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(try sha256Hex(of: fixture.cli.folder + "/from-stick.jpg") == sha256Hex(of: samplePhotos[0]))
        try fixture.cli.write("answer.txt", "a note written on the other side")
        #expect(try team.run("machine-b", "investigator", ["ingest", "--case", "C-1", "answer.txt"]).status == 0)
        #expect(try team.run("machine-b", "investigator", ["sync"]).status == 0)
        let back = try team.run("vault", "collector", ["sync"])
        #expect(back.status == 0 && !back.stdout.contains("received 0 entries"), "\(back.stdout) \(back.stderr)")
        #expect(try team.leafHashes("vault").starts(with: team.leafHashes("machine-b")))
    }
}

enum DurableName {
    static func last(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }
}
