import Foundation
import GRDB
import Testing
import VaultCrypto
import VaultGovernance
import VaultPolicy
#if canImport(Glibc)
import Glibc
#endif

/// Quorum governance through the CLI on a 3-of-5 vault.
struct GovernanceTests {
    static let three = ["custodian-1", "custodian-2", "custodian-3"]

    private func database(_ vault: VaultFixture) throws -> DatabaseQueue { try DatabaseQueue(path: vault.vault + "/vault.sqlite") }

    @Test func addMemberNeedsThreeCustodianSignatures() throws {
        let vault = try VaultFixture(custodians: 5, threshold: 3)
        defer { vault.cleanup() }
        try vault.addRecords()
        let items = try vault.ingest([samplePhotos[0]])
        let newcomer = try vault.cli.makeIdentity("newcomer")
        #expect(try vault.run("custodian-1", ["op", "propose", "add-member", newcomer, "--role", "investigator", "-o", "add.json"]).status == 0)
        // The proposal alone counts for nothing; two approvals are not enough.
        for custodian in ["custodian-1", "custodian-2"] { #expect(try vault.run(custodian, ["op", "approve", "add.json", "--yes"]).status == 0) }
        let again = try vault.run("custodian-2", ["op", "approve", "add.json", "--yes"])
        #expect(again.status == 1 && again.stderr.contains("has approved this operation already"))
        let early = try vault.run("custodian-1", ["op", "apply", "add.json"])
        #expect(early.status == 1 && early.stderr.contains("it has 2 of the 3 custodian signatures needed"))
        let status = try vault.run("custodian-4", ["op", "status", "add.json", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as! [String: Any]
        #expect(json["t"] as? Int == 3 && json["n"] as? Int == 5 && json["progress"] as? Int == 2)
        #expect((json["signers"] as? [String])?.count == 2)
        // A member who is not a custodian cannot approve.
        let member = try vault.run("investigator", ["op", "approve", "add.json", "--yes"])
        #expect(member.status == 1 && member.stderr.contains("not permitted"))
        #expect(try vault.run("custodian-3", ["op", "approve", "add.json", "--yes"]).status == 0)
        let applied = try vault.run("custodian-5", ["op", "apply", "add.json"])
        #expect(applied.status == 0, "\(applied.stderr)")
        // The newcomer gets the media key from the next member who holds it (a pending grant).
        _ = try vault.run("investigator", ["list"])
        let newcomerShow = try vault.run("newcomer", ["show", items[0].0])
        #expect(newcomerShow.status == 0, "\(newcomerShow.stderr)")
        // Replaying the applied operation is refused as stale.
        let replay = try vault.run("custodian-1", ["op", "apply", "add.json"])
        #expect(replay.status == 1 && replay.stderr.contains("the operation was applied already"))
        let log = try vault.cli.run(["audit", "verify", "-C", "vault"])
        #expect(log.status == 0)
    }

    @Test func forgedSignerStaleAndForeignOperationsAreRefused() throws {
        let vault = try VaultFixture(custodians: 5, threshold: 3)
        defer { vault.cleanup() }
        let newcomer = try vault.cli.makeIdentity("newcomer")
        #expect(try vault.run("custodian-1", ["op", "propose", "add-member", newcomer, "--role", "auditor", "-o", "a.json"]).status == 0)
        for custodian in Self.three { #expect(try vault.run(custodian, ["op", "approve", "a.json", "--yes"]).status == 0) }
        // Relabel one approval as coming from a non-custodian: its signature cannot verify under that key.
        var object = try JSONSerialization.jsonObject(with: vault.cli.read("a.json")) as! [String: Any]
        var approvals = object["approvals"] as! [[String: Any]]
        let investigatorID = String(try MemberPublicKey(line: vault.publicKeys["investigator"]!).keyIDHex)
        approvals[2]["custodian"] = investigatorID
        object["approvals"] = approvals
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: vault.cli.folder + "/forged.json"))
        let forged = try vault.run("custodian-1", ["op", "apply", "forged.json"])
        #expect(forged.status == 1 && forged.stderr.contains("signer \(investigatorID) is not a custodian"))
        // A duplicated approval.
        approvals[2] = approvals[1]
        object["approvals"] = approvals
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: vault.cli.folder + "/dup.json"))
        #expect(try vault.run("custodian-1", ["op", "apply", "dup.json"]).stderr.contains("approved twice"))
        // An operation proposed before another change was applied is stale.
        let other = try vault.cli.makeIdentity("other")
        #expect(try vault.run("custodian-2", ["op", "propose", "add-member", other, "--role", "auditor", "-o", "b.json"]).status == 0)
        for custodian in Self.three { #expect(try vault.run(custodian, ["op", "approve", "b.json", "--yes"]).status == 0) }
        #expect(try vault.run("custodian-1", ["op", "apply", "a.json"]).status == 0)
        let stale = try vault.run("custodian-1", ["op", "apply", "b.json"])
        #expect(stale.status == 1 && stale.stderr.contains("stale"))
        // An operation of another vault.
        let second = try VaultFixture(custodians: 1, threshold: 1)
        defer { second.cleanup() }
        #expect(try second.run("custodian-1", ["op", "propose", "set-threshold", "1", "-o", "x.json"]).status == 1) // no-op change refused
        #expect(try second.run("custodian-1", ["op", "propose", "rotate-keys", "-o", "x.json"]).status == 0)
        try FileManager.default.copyItem(atPath: second.cli.folder + "/x.json", toPath: vault.cli.folder + "/x.json")
        let foreign = try vault.run("custodian-1", ["op", "apply", "x.json"])
        #expect(foreign.status == 1 && foreign.stderr.contains("belongs to another vault"))
        #expect(try vault.run("custodian-2", ["op", "approve", "x.json", "--yes"]).stderr.contains("belongs to another vault"))
    }

    @Test func removedMemberCanOpenNothingSealedOrResealedAfterRemoval() throws {
        let vault = try VaultFixture(custodians: 5, threshold: 3)
        defer { vault.cleanup() }
        try vault.addRecords()
        _ = try vault.ingest(Array(samplePhotos.prefix(2)))
        // Every compartment secret the investigator holds now (what they could have copied).
        let investigator = try KeyFile.unlock(Array(vault.cli.read("investigator.key")), passphrase: passphrase("investigator"))
        let investigatorID = investigator.publicKey.keyIDHex
        let queue = try database(vault)
        let before = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT compartment, generation, sealed FROM keyWrap WHERE holder = ? AND kind = 'secret'", arguments: [investigatorID])
        }
        var stolen: [(String, [UInt8])] = []
        for row in before {
            stolen.append((row["compartment"], try investigator.openSealedBox(Array(row["sealed"] as Data)).unprotectedCopy()))
        }
        #expect(stolen.count == 2)
        let removed = try vault.governance(["remove-member", vault.publicKeys["investigator"]!], approvers: Self.three)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try vault.run("investigator", ["list"]).stderr.contains("is not a member"))
        // The legal officer (media, case) and protection officer (identity) complete the rotations.
        #expect(try vault.run("legal-officer", ["list"]).stderr.contains("rotated"))
        _ = try vault.run("protection-officer", ["witness", "list"])
        _ = try vault.ingest([samplePhotos[3]])
        try vault.cli.write("late.json", #"{"id":"C-9","detaineeNumber":"77/1"}"#)
        #expect(try vault.run("collector", ["case", "add", "--from", "late.json"]).status == 0)
        let rows = try queue.read { db in
            (try Row.fetchAll(db, sql: "SELECT kind, recordID, compartment, sealedKey FROM recordKey"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM keyWrap WHERE holder = ?", arguments: [investigatorID]) ?? -1)
        }
        #expect(rows.1 == 0)
        #expect(rows.0.count > 5)
        for row in rows.0 {
            for (compartment, bytes) in stolen where compartment == (row["compartment"] as String) {
                var copy = bytes
                let secret = SecretBytes(consuming: &copy)
                let publicKey = try X25519.publicKey(for: secret)
                #expect(throws: CryptoError.self) { _ = try SealedBox.open(Array(row["sealedKey"] as Data), publicKey: publicKey, secretKey: secret) }
            }
        }
        // Everyone else still reads everything, and search works on the rebuilt blind index.
        #expect(try vault.run("legal-officer", ["check", "--read-data"]).stdout.contains("3 items present, 3 read and verified"))
        #expect(try vault.run("legal-officer", ["case", "search", "--detainee", "3456/215"]).stdoutLines == ["C-1"])
        #expect(try vault.run("protection-officer", ["witness", "show", "W-0001"]).stdout.contains("Test Person B"))
        // A second delivery of an old file is still found through the rebuilt duplicate token.
        #expect(try vault.run("collector", ["ingest", "--case", "C-1", samplePhotos[0]]).stderr.contains("already in the vault"))
        #expect(try vault.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
    }

    /// Issue 16, recovery without a dealer: no process makes a recovery secret. Each key's holders split it
    /// among the custodians (share wraps `recovery-<set>/<custodian>`); a change of the custodians or the
    /// threshold starts a new set and the old one goes; break-glass recovery works from every k-subset of
    /// the custodians and rebuilds only the keys of the recovered role.
    @Test func noDealerAndRecoveryFromEveryQuorum() throws {
        let vault = try VaultFixture(custodians: 5, threshold: 3)
        defer { vault.cleanup() }
        try vault.addRecords()
        _ = try vault.ingest([samplePhotos[0]])
        let queue = try database(vault)
        let custodianIDs = try (1...5).map { try MemberPublicKey(line: vault.publicKeys["custodian-\($0)"]!).keyIDHex }
        func shareSets() throws -> Set<String> {
            Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT holder FROM keyWrap WHERE holder LIKE 'recovery-%'") }.map { String($0.prefix { $0 != "/" }) })
        }
        // No recovery key in the genesis, no dealt shares; every key split among the five custodians.
        let genesis = try JSONSerialization.jsonObject(with: vault.cli.read("vault/vault.json")) as! [String: Any]
        #expect((genesis["recoveryKey"] as? String) == "" && (genesis["recoveryShares"] as? [Any])?.isEmpty == true)
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM recoveryShare") } == 0)
        #expect(try shareSets() == ["recovery-1"])
        let caseShares = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT holder FROM keyWrap WHERE compartment = 'case' AND kind = 'secret' AND holder LIKE 'recovery-%'")
        }
        #expect(Set(caseShares) == Set(custodianIDs.map { "recovery-1/" + $0 }))
        // The approval screen says who ends up able to do what.
        let proposed = try vault.run("custodian-1", ["op", "propose", "remove-custodian", vault.publicKeys["custodian-5"]!, "-o", "show.json"])
        #expect(proposed.status == 0)
        let shown = try vault.run("custodian-2", ["op", "status", "show.json"])
        #expect(shown.stdout.contains("afterwards any 3 of the 4 custodians") && shown.stdout.contains("no one deals or holds a recovery secret"),
                "\(shown.stdout)")

        // To 2 of 3: remove two custodians, then lower the threshold. The holders make the new sets.
        #expect(try vault.governance(["remove-custodian", vault.publicKeys["custodian-5"]!], approvers: Self.three).status == 0)
        #expect(try vault.governance(["remove-custodian", vault.publicKeys["custodian-4"]!], approvers: Self.three).status == 0)
        #expect(try vault.governance(["set-threshold", "2"], approvers: Self.three).status == 0)
        _ = try vault.run("investigator", ["list"])
        _ = try vault.run("protection-officer", ["witness", "list"])
        #expect(try shareSets() == ["recovery-4"])
        let holders = try queue.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT holder FROM keyWrap WHERE holder LIKE 'recovery-%'") }
        #expect(Set(holders) == Set(custodianIDs.prefix(3).map { "recovery-4/" + $0 }), "\(holders)")

        // Break-glass from every 2-subset of the three custodians, each for a new identity with the
        // investigator's role; after each, the sets are made anew.
        for (index, pair) in [("custodian-1", "custodian-2"), ("custodian-1", "custodian-3"), ("custodian-2", "custodian-3")].enumerated() {
            let rescuer = try vault.cli.makeIdentity("rescuer-\(index)")
            #expect(try vault.run(pair.0, ["op", "propose", "recover", rescuer, "--role", "investigator", "-o", "rec\(index).json"]).status == 0)
            for custodian in [pair.0, pair.1] { #expect(try vault.run(custodian, ["op", "approve", "rec\(index).json", "--yes"]).status == 0) }
            if index == 0 {
                // A forged share: flip a byte inside one sealed bundle; the approval signature no longer covers it.
                var object = try JSONSerialization.jsonObject(with: vault.cli.read("rec0.json")) as! [String: Any]
                var approvals = object["approvals"] as! [[String: Any]]
                var sealed = try Base64.decode(approvals[0]["sealedShare"] as! String)
                sealed[sealed.count - 1] ^= 1
                approvals[0]["sealedShare"] = Base64.encode(sealed)
                object["approvals"] = approvals
                try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: vault.cli.folder + "/forged.json"))
                let forgedResult = try vault.run("custodian-1", ["op", "apply", "forged.json"])
                #expect(forgedResult.status == 1)
                #expect(forgedResult.stderr.contains("the approval of custodian \(custodianIDs[0]) does not verify"), "\(forgedResult.stderr)")
                // Only the proposer applies a recovery.
                #expect(try vault.run("custodian-2", ["op", "apply", "rec0.json"]).stderr.contains("not permitted"))
            }
            let recovered = try vault.run(pair.0, ["op", "apply", "rec\(index).json"])
            #expect(recovered.status == 0, "\(pair): \(recovered.stderr)")
            #expect(try vault.run("rescuer-\(index)", ["check", "--read-data"]).stdout.contains("1 items present, 1 read and verified"), "\(pair)")
            // The rescuer holds the investigator's keys and nothing of the identity compartment.
            let rescuerID = try MemberPublicKey(line: rescuer).keyIDHex
            let granted = Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT compartment FROM keyWrap WHERE holder = ? AND kind = 'secret'", arguments: [rescuerID]) })
            #expect(granted == ["media", "case"], "\(granted)")
            _ = try vault.run("investigator", ["list"])
            _ = try vault.run("protection-officer", ["witness", "list"])
            #expect(try shareSets() == ["recovery-\(5 + index)"], "\(pair)")
        }
        #expect(try vault.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
        #expect(try vault.cli.run(["check", "-C", "vault"]).status == 0)
    }

    /// Approvals cover the operation, not the applier's effects: an applying custodian with a modified client
    /// who attaches a recovery key of its own to an approved change would have every holder wrap its keys to
    /// that key. A vault without a dealt key never takes one again.
    @Test func anApplierCannotDealARecoveryKeyAgain() throws {
        let vault = try VaultFixture(custodians: 3, threshold: 2)
        defer { vault.cleanup() }
        try vault.addRecords()
        #expect(try vault.run("custodian-1", ["op", "propose", "set-threshold", "3", "-o", "op.json"]).status == 0)
        for custodian in ["custodian-1", "custodian-2"] { #expect(try vault.run(custodian, ["op", "approve", "op.json", "--yes"]).status == 0) }
        let operation = try GovernanceOperation(fileContents: Array(vault.cli.read("op.json")), source: "op.json")
        let applier = try KeyFile.unlock(Array(vault.cli.read("custodian-1.key")), passphrase: passphrase("custodian-1"))
        var effects = GovernanceEntry.Effects()
        let dealt = X25519.generateKeyPair()
        effects.recoveryPublicKey = dealt.publicKey
        for index in 1...3 {
            let custodian = try MemberPublicKey(line: vault.publicKeys["custodian-\(index)"]!)
            effects.shareCommitments.append((custodian.keyIDHex, index, [UInt8](repeating: UInt8(index), count: 32)))
        }
        var entry = GovernanceEntry(operation: operation, appliedAt: Int64(Date().timeIntervalSince1970 * 1000), applier: applier.publicKey.keyID, effects: effects)
        entry.sign(with: applier)
        let body = entry.body
        let queue = try database(vault)
        try queue.write { db in
            let next = (try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM governance") ?? 0) + 1
            try db.execute(sql: "INSERT INTO governance (seq, body, hash) VALUES (?, ?, ?)", arguments: [next, Data(body), Data(SHA256Digest.hash(body))])
        }
        try queue.close()
        let listed = try vault.run("investigator", ["case", "list"])
        #expect(listed.status != 0)
        #expect(listed.stderr.contains("deals a recovery key, which a vault without one never takes again"), "\(listed.stderr)")
    }

    /// A share set with a wrap missing or planted (a folder writer) is not taken for complete: the next holder
    /// of the key replaces it whole, so recovery does not silently become impossible.
    @Test func anIncompleteShareSetIsMadeAgainWhole() throws {
        let vault = try VaultFixture(custodians: 3, threshold: 2)
        defer { vault.cleanup() }
        try vault.addRecords()
        let queue = try database(vault)
        let custodians = try (1...3).map { try MemberPublicKey(line: vault.publicKeys["custodian-\($0)"]!).keyIDHex }
        func caseShares() throws -> [String: Data] {
            Dictionary(uniqueKeysWithValues: try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT holder, sealed FROM keyWrap WHERE compartment = 'case' AND kind = 'secret' AND holder LIKE 'recovery-%'")
            }.map { ($0["holder"] as String, $0["sealed"] as Data) })
        }
        let before = try caseShares()
        #expect(Set(before.keys) == Set(custodians.map { "recovery-1/" + $0 }))
        try queue.write { db in
            try withoutGuards(db) {
                try db.execute(sql: "DELETE FROM keyWrap WHERE compartment = 'case' AND kind = 'secret' AND holder = ?", arguments: ["recovery-1/" + custodians[2]])
                try db.execute(sql: "INSERT INTO keyWrap (compartment, generation, kind, holder, sealed) VALUES ('case', 1, 'secret', 'recovery-1/0000000000000000', x'00')")
            }
        }
        #expect(try vault.run("investigator", ["case", "list"]).status == 0)
        let after = try caseShares()
        #expect(Set(after.keys) == Set(custodians.map { "recovery-1/" + $0 }), "\(after.keys)")
        #expect(after["recovery-1/" + custodians[0]] != before["recovery-1/" + custodians[0]], "the set was not made again whole")
    }

    /// A custodian who approves a recovery with shares that are not theirs (a valid signature over a wrong
    /// share) makes the rebuilt key fail its check against the governance chain; the error names the
    /// custodians whose shares were combined, and nothing is granted.
    @Test func aForgedCompartmentShareIsNamedAndNothingIsGranted() throws {
        let vault = try VaultFixture(custodians: 3, threshold: 2)
        defer { vault.cleanup() }
        let rescuer = try vault.cli.makeIdentity("rescuer")
        #expect(try vault.run("custodian-1", ["op", "propose", "recover", rescuer, "--role", "investigator", "-o", "rec.json"]).status == 0)
        #expect(try vault.run("custodian-2", ["op", "approve", "rec.json", "--yes"]).status == 0)
        let c3 = try KeyFile.unlock(Array(vault.cli.read("custodian-3.key")), passphrase: passphrase("custodian-3"))
        var object = try JSONSerialization.jsonObject(with: vault.cli.read("rec.json")) as! [String: Any]
        let change = object["change"] as! [String: Any]
        let oneTime = try Base64.decode(change["oneTimeKey"] as! String)
        // Custodian 3's bundle: shares of random keys in place of its shares of the investigator's keys.
        var compartments: [CompartmentShares.Share] = []
        for compartment in [Compartment.media, .case] {
            for kind in ["secret", "index"] {
                let share = try Shamir.split(SecretBytes.random(count: 32), threshold: 2, shareCount: 3)[2]
                compartments.append(.init(compartment: compartment, kind: kind, generation: 1, recoveryHolder: "recovery-1", share: share))
            }
        }
        let sealedFake = try SealedBox.seal(RecoveryShares.encodeBundle(dealt: [], compartments: compartments), to: oneTime)
        let status = try vault.run("custodian-3", ["op", "status", "rec.json", "--json"])
        let operationID = try Hex.decode((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as! [String: Any])["operation"] as! String)
        let signature = c3.sign(GovernanceOperation.approvalMessage(operationID: operationID, sealedShare: sealedFake), context: .approval)
        var approvals = object["approvals"] as! [[String: Any]]
        approvals.append(["custodian": c3.publicKey.keyIDHex, "signature": Base64.encode(signature), "sealedShare": Base64.encode(sealedFake)])
        object["approvals"] = approvals
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: vault.cli.folder + "/rec.json"))
        let applied = try vault.run("custodian-1", ["op", "apply", "rec.json"])
        #expect(applied.status == 1)
        #expect(applied.stderr.contains("rebuilt from the shares of custodians") && applied.stderr.contains(c3.publicKey.keyIDHex), "\(applied.stderr)")
        let rescuerID = try MemberPublicKey(line: rescuer).keyIDHex
        #expect(try database(vault).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM keyWrap WHERE holder = ?", arguments: [rescuerID]) } == 0)
    }

    @Test func rotationWithReencryptionReplacesEveryBlob() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let items = try vault.ingest(Array(samplePhotos.prefix(3)))
        let queue = try database(vault)
        let blobsBefore = Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT blobID FROM item") })
        let applied = try vault.governance(["rotate-keys", "--reencrypt"], approvers: ["custodian-1", "custodian-2"], applier: "investigator")
        #expect(applied.status == 0, "\(applied.stderr)")
        let blobsAfter = Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT blobID FROM item") })
        #expect(blobsAfter.isDisjoint(with: blobsBefore) && blobsAfter.count == 3)
        for blob in blobsBefore { #expect(!FileManager.default.fileExists(atPath: vault.vault + "/blobs/" + blob.prefix(2) + "/" + blob)) }
        #expect(try vault.run("investigator", ["check", "--read-data"]).stdout.contains("3 items present, 3 read and verified"))
        #expect(try vault.run("investigator", ["export", items[1].0, "-o", "x.jpg"]).status == 0)
        #expect(try vault.cli.read("x.jpg") == Data(contentsOf: URL(fileURLWithPath: samplePhotos[1])))
    }

    @Test(arguments: ["apply.after-entry", "apply.before-commit", "reencrypt.after-blob"])
    func applyKilledLeavesOldOrNewState(point: String) throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        _ = try vault.ingest(Array(samplePhotos.prefix(2)))
        try? FileManager.default.removeItem(atPath: vault.cli.folder + "/op.json")
        #expect(try vault.run("custodian-1", ["op", "propose", "rotate-keys", "--reencrypt", "-o", "op.json"]).status == 0)
        for custodian in ["custodian-1", "custodian-2"] { #expect(try vault.run(custodian, ["op", "approve", "op.json", "--yes"]).status == 0) }
        let crashed = try vault.run("investigator", ["op", "apply", "op.json"], environment: ["AMANAH_FAULT_INJECT": point])
        #expect(crashed.status == 137)
        // Whatever state it left, the vault opens, checks and reads.
        let check = try vault.run("investigator", ["check", "--read-data"])
        // A re-encrypted blob written before the crash and never committed is not deleted: it waits in
        // quarantine/ (check fails until a person decides); nothing else may be reported.
        #expect(check.status == (point == "reencrypt.after-blob" ? 3 : 0), "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.split(separator: "\n").filter { $0.hasPrefix("problem:") && !$0.contains("is in quarantine") }.isEmpty)
        #expect(check.stdout.contains("2 items present, 2 read and verified"))
        let applied = try vault.run("investigator", ["op", "apply", "op.json"])
        if point == "reencrypt.after-blob" {
            #expect(applied.stderr.contains("applied already"))   // the entry committed; the re-encryption resumed on open
        } else {
            #expect(applied.status == 0, "\(applied.stderr)")
        }
        #expect(try vault.run("investigator", ["check", "--read-data"]).stdout.contains("2 items present, 2 read and verified"))
        let queue = try database(vault)
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM item WHERE keyEpoch = 0") } == 0)
        #expect(try vault.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
    }

    @Test func killedApplyAtRandomMoments() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        _ = try vault.ingest(Array(samplePhotos.prefix(4)))
        var generator = SystemRandomNumberGenerator()
        for round in 0..<6 {
            let file = "op\(round).json"
            #expect(try vault.run("custodian-1", ["op", "propose", "rotate-keys", "--reencrypt", "-o", file]).status == 0)
            for custodian in ["custodian-1", "custodian-2"] { #expect(try vault.run(custodian, ["op", "approve", file, "--yes"]).status == 0) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLIHarness.executable)
            process.arguments = ["op", "apply", file, "-C", "vault", "-i", "investigator.key", "--passphrase-file", "investigator.pass"]
            process.currentDirectoryURL = URL(fileURLWithPath: vault.cli.folder)
            process.environment = vault.cli.environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 10_000...300_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let check = try vault.run("investigator", ["check", "--read-data"])
            // A re-encrypted blob never committed waits in quarantine/ (exit 3); nothing else may be reported.
            #expect((check.status == 0 || check.status == 3) && check.stdout.contains("4 items present, 4 read and verified"), "round \(round): \(check.stdout)\(check.stderr)")
            #expect(check.stdout.split(separator: "\n").filter { $0.hasPrefix("problem:") && !$0.contains("is in quarantine") }.isEmpty, "round \(round)")
        }
        #expect(try vault.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
    }
}

/// The passphrase `CLIHarness.makeIdentity` wrote for `name`.
func passphrase(_ name: String) -> SecretBytes {
    var bytes = Array("passphrase of \(name)".utf8)
    return SecretBytes(consuming: &bytes)
}
