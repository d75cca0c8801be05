internal import VaultPlatform
internal import VaultText
import ArgumentParser
import Foundation
internal import Vault
internal import VaultAudit
internal import VaultCrypto
internal import VaultStore
import VaultGovernance
internal import VaultTime

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The audit log: history, checkpoints, cosignatures, proofs and verification.",
        discussion: """
            Every operation that reads content, changes anything or releases anything appends a signed event; the \
            events are the leaves of an RFC 6962 Merkle tree (leaf index = sequence − 1). log, prove and verify need \
            no identity and never write to the vault; checkpoint and cosign sign with -i.
            """,
        subcommands: [AuditLogCommand.self, AuditVerify.self, AuditCheckpoint.self, AuditCosign.self, AuditProve.self, AuditTimestamp.self])
}

/// Formats a POSIX time in seconds as RFC 3339, or as plain seconds when it is beyond year 9999.
func formatSeconds(_ seconds: UInt64) -> String {
    seconds <= 253_402_300_799 ? Clock.format(milliseconds: Int64(seconds) * 1000) : "\(seconds) s"
}

/// A key id with its role in the vault when known: `0123456789abcdef (auditor)`.
func describeKey(_ keyIDHex: String, in vault: Vault) -> String {
    keyIDHex + (vault.roleDescription(keyIDHex: keyIDHex).map { " (\($0))" } ?? "")
}

/// The JSON encoder of audit output: sorted keys, no escaped slashes.
func auditJSONEncoder(pretty: Bool) -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}

struct AuditLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Show the audit history (no secret values; needs no identity).",
        discussion: """
            One line per event, tab-separated: sequence, time (RFC 3339, UTC), actor key id, the actor's role \
            (custodian, a member role, both joined by +, former, or - when unknown), action, object ids (joined by \
            ","; - for none), content commitments in hex (joined by ","; - for none), policy hash in hex (- for \
            none). --json prints a JSON array, one object per event, with the same facts (objects and commitments \
            as arrays; role and policyHash null when absent). Filters combine. Does not verify the events: use \
            amanah audit verify.

            Example: amanah audit log --item I-49R882QA9A --json -C vault
            """)
    @Flag(help: "Print a JSON array.") var json = false
    @Option(name: .customLong("actor"), help: ArgumentHelp("Only events by this key id (16 hex digits).", valueName: "KEYID"))
    var actor: String?
    @Option(name: .customLong("item"), help: ArgumentHelp("Only events naming this item (or any other object id).", valueName: "ITEM"))
    var item: String?
    @Option(name: .customLong("since"), help: ArgumentHelp("Only events at or after this time: RFC 3339 (2024-05-01T10:00:00Z) or a date (2024-05-01, UTC).", valueName: "TIME"))
    var since: String?
    @OptionGroup var options: VaultOptions

    func validate() throws {
        if let actor {
            let compact = actor.replacingOccurrences(of: "-", with: "")
            guard compact.utf8.count == 16, (try? Hex.decode(compact.lowercased())) != nil else {
                throw ValidationError("--actor takes a key id of 16 hex digits (dashes allowed: abcd-ef01-2345-6789)")
            }
        }
        if let since, RFC3339.milliseconds(since) == nil {
            throw ValidationError("--since takes an RFC 3339 time (2024-05-01T10:00:00Z) or a date (2024-05-01)")
        }
    }

    func run() throws {
        let filter = AuditHistoryFilter(actor: try actor.map { try Hex.decode($0.replacingOccurrences(of: "-", with: "").lowercased()) }, object: item,
                                        since: since.flatMap(RFC3339.milliseconds))
        let vault = try options.openVault(readOnly: true)
        let encoder = auditJSONEncoder(pretty: false)
        var count = 0
        if json { Terminal.writeStandardOutput("[") }
        let unreadable = try vault.auditHistory(filter: filter) { entry in
            if json {
                let object = String(decoding: try encoder.encode(entry), as: UTF8.self)
                Terminal.writeStandardOutput((count == 0 ? "\n" : ",\n") + object)
            } else {
                let columns = [String(entry.sequence), entry.time, entry.actor, entry.role ?? "-", entry.action,
                               entry.objects.isEmpty ? "-" : entry.objects.map { TerminalText.escaped($0) }.joined(separator: ","),
                               entry.commitments.isEmpty ? "-" : entry.commitments.joined(separator: ","), entry.policyHash ?? "-"]
                Terminal.output(columns.joined(separator: "\t"))
            }
            count += 1
        }
    
        if json { Terminal.writeStandardOutput(count == 0 ? "]\n" : "\n]\n") }
        if !unreadable.isEmpty {
            Terminal.warning("\(unreadable.count) event\(unreadable.count == 1 ? "" : "s") could not be read (first: \(unreadable[0]))")
            Terminal.hint("run amanah audit verify")
        }
    }
}

struct AuditVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify the audit log, its tree and checkpoints without writing to the vault.",
        discussion: """
            Opens the vault read-only and needs no identity. Checks every event (sequence, leaf hash, chain link, \
            vault id, the actor's signature, the commitment of ingest and export events), recomputes every stored \
            tree node from the events, and checks every stored checkpoint and each --checkpoint FILE: signatures by \
            present or former members and custodians, size not above the log's, root equal to the log's root at \
            that size; two checkpoints of one size with different roots, or one the log contradicts, are a fork. \
            Finally compares the vault with what this client saw (governance, audit log, newest checkpoint). Prints \
            "verified ..." lines for what holds, "problem: ..." lines and "first bad event: N" otherwise. Exit \
            status 3 on any problem.

            Example: amanah audit verify --checkpoint checkpoint.txt -C vault
            """)
    @Option(name: .customLong("checkpoint"), parsing: .singleValue,
            help: ArgumentHelp("A checkpoint (signed note) to check the log against; repeat for several.", valueName: "FILE"))
    var checkpoints: [String] = []
    @Flag(help: "Print the result as JSON (ok, counts, root, checkpoints, problems); the exit status is the same.") var json = false
    @OptionGroup var options: VaultOptions

    /// `audit verify --json`.
    struct Output: Encodable {
        struct Checkpoint: Encodable { var source: String; var size: UInt64; var rootHash: String; var signers: [String]; var cosigners: [String] }
        var ok: Bool
        var events: Int
        var treeLeaves: UInt64
        var treeNodes: Int
        var rootHash: String
        var checkpoints: [Checkpoint]
        struct Timestamp: Encodable { var event: UInt64; var checkpointSize: UInt64; var authority: String; var time: String }
        var timestamps: [Timestamp]
        var clientStateCompared: Bool
        var problems: [String]
        var firstBadEvent: UInt64?
    }

    func run() throws {
        let given = try checkpoints.map { path in
            GivenCheckpoint(source: path, bytes: try DurableFile.readAll(path, limit: 64 << 10))
        }
        let vault = try options.openVault(readOnly: true, checkClientState: false)
        var progress: ProgressLine?
        let result = try vault.verifyAuditLog(givenCheckpoints: given) { total, done in
            if let total { progress = ProgressLine("verifying", total: total >= 10_000 ? total : 0, unit: "events") } else { progress?.advance(by: done) }
        }
        progress?.finish()
        if json {
            try printJSON(Output(ok: result.ok, events: result.events, treeLeaves: result.treeLeaves, treeNodes: result.treeNodes,
                                 rootHash: Base64.encode(result.rootHash),
                                 checkpoints: result.checkpoints.map { .init(source: $0.source, size: $0.size, rootHash: Base64.encode($0.rootHash),
                                                                             signers: $0.signers, cosigners: $0.cosigners.map(\.keyID)) },
                                 timestamps: result.timestamps.map { .init(event: $0.event, checkpointSize: $0.checkpointSize, authority: $0.authority,
                                                                           time: Clock.format(milliseconds: Int64($0.time.timeIntervalSince1970 * 1000))) },
                                 clientStateCompared: result.clientStateCompared, problems: result.problems, firstBadEvent: result.firstBadEvent))
            if !result.ok {
                throw CLIError("audit log verification failed: \(result.problems.count) problem\(result.problems.count == 1 ? "" : "s")", exitCode: CLIError.verificationFailed)
            }
            return
        }
        if result.ok {
            Terminal.output("verified \(result.events) events: sequence, leaf hash, chain link, vault id, signature, commitments present")
            Terminal.output("verified the audit tree: \(result.treeLeaves) leaves, \(result.treeNodes) nodes, root \(Base64.encode(result.rootHash))")
        }
        for checkpoint in result.checkpoints {
            var line = "verified checkpoint \(checkpoint.size) \(Base64.encode(checkpoint.rootHash)) from \(checkpoint.source): signed by "
                + checkpoint.signers.map { describeKey($0, in: vault) }.joined(separator: ", ")
            if !checkpoint.cosigners.isEmpty {
                line += "; cosigned by " + checkpoint.cosigners.map { "\(describeKey($0.keyID, in: vault)) at \(formatSeconds($0.time))" }
                    .joined(separator: ", ")
            }
            if checkpoint.unknownSignatures > 0 { line += "; \(checkpoint.unknownSignatures) signature(s) by unknown keys ignored" }
            Terminal.output(line)
        }
        for stamp in result.timestamps {
            Terminal.output("verified time-stamp of checkpoint \(stamp.checkpointSize) by \(TerminalText.escaped(stamp.authority)): "
                            + Clock.format(milliseconds: Int64(stamp.time.timeIntervalSince1970 * 1000)) + " (event \(stamp.event))")
        }
        if result.ok {
            Terminal.output(result.clientStateCompared ? "verified against this client's memory: the vault is not behind what it saw"
                            : "this client has no memory of this vault to compare with")
            Terminal.output("audit log verified")
            return
        }
        for problem in result.problems { Terminal.output("problem: \(problem)") }
        if let first = result.firstBadEvent { Terminal.output("first bad event: \(first)") }
        let count = result.problems.count
        throw CLIError("audit log verification failed: \(count) problem\(count == 1 ? "" : "s")", exitCode: CLIError.verificationFailed)
    }
}

struct AuditCheckpoint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint", abstract: "Sign and store a checkpoint of the audit log; print it.",
        discussion: """
            Prints only the checkpoint on standard output, a C2SP signed note (c2sp.org/tlog-checkpoint): the origin \
            amanah/<vault id in hex>, the number of events, the base64 root hash, a blank line, then signature lines \
            "— <name> <base64 key id and signature>". Your signature is named after the origin; cosignatures are \
            named amanah-<key id>. Earlier signatures of the same checkpoint kept in the vault are included. The \
            checkpoint is stored in the vault and remembered by this client; it is not itself an audit event, so \
            it covers every event up to now.

            Example: amanah audit checkpoint -C vault -i custodian-1.key > checkpoint.txt
            """)
    @OptionGroup var options: VaultOptions

    func run() throws {
        let session = try options.openSession()
        let signed = try session.makeCheckpoint()
        rememberState(session.vault, checkpoint: signed)
        Terminal.writeStandardOutput(signed.text)
    }
}

struct AuditCosign: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cosign", abstract: "Check a checkpoint against the vault and what you saw, then cosign it (custodians, auditors).",
        discussion: """
            Checks the checkpoint's signatures, that the vault's log has its root at its size, that it is \
            consistent with the last checkpoint this client saw (kept outside the vault), and that the vault is \
            not behind what this client saw. Then adds your C2SP cosignature (c2sp.org/tlog-cosignature, named \
            amanah-<your key id>), stores the note in the vault merged with the signatures kept there, rewrites \
            CHECKPOINT in place with the merged note (unless CHECKPOINT is -, standard input), prints the merged \
            note on standard output, and remembers it. Exit status 3 when a check fails (nothing is signed).

            Example: amanah audit cosign checkpoint.txt -C vault -i custodian-2.key
            """)
    @Argument(help: ArgumentHelp("The checkpoint file (a signed note), or - for standard input.", valueName: "CHECKPOINT"))
    var checkpoint: String
    @OptionGroup var options: VaultOptions

    func run() throws {
        let bytes: [UInt8]
        if checkpoint == "-" {
            var input: [UInt8] = []
            while input.count <= 64 << 10, let chunk = try? FileHandle.standardInput.read(upToCount: 8192), !chunk.isEmpty {
                input.append(contentsOf: chunk)
            }
            guard input.count <= 64 << 10 else { throw CLIError("the checkpoint on standard input is larger than 64 KiB") }
            bytes = input
        } else {
            bytes = try DurableFile.readAll(checkpoint, limit: 64 << 10)
        }
        let given: SignedCheckpoint
        do { given = try SignedCheckpoint(parsing: bytes) } catch {
            throw CLIError("\(checkpoint): \(error)", exitCode: CLIError.verificationFailed)
        }
        let vault = try options.openVault(checkClientState: false)
        try refusals { _ = try vault.checkForCosigning(given) }
        let session = try options.openSession(vault: vault)
        let merged = try refusals { try session.cosignCheckpoint(given, time: UInt64(max(0, Clock.nowMilliseconds() / 1000))) }
        if checkpoint != "-" {
            let text = Array(merged.text.utf8)
            do {
                try DurableFile.write(to: checkpoint, mode: 0o644, overwrite: true) { handle in try text.withUnsafeBytes { try handle.write($0) } }
            } catch {
                throw CLIError("cannot write \(checkpoint): \(error)")
            }
        }
        rememberState(vault, checkpoint: merged)
        Terminal.writeStandardOutput(merged.text)
    }

    /// Runs `body`; a checkpoint that fails a check is refused with exit status 3.
    func refusals<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as VaultError {
            switch error {
            case .integrity, .rollback: throw CLIError("refusing to cosign: \(error)", exitCode: CLIError.verificationFailed)
            default: throw CLIError.from(error)
            }
        }
    }
}

struct AuditProve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove", abstract: "Print an inclusion or consistency proof (RFC 9162 §2.1.3–2.1.4).",
        discussion: """
            Hashes are standard base64 with padding (RFC 4648 §4), as in the checkpoint's root line. Text output is \
            "key: value" lines: origin, type, then for --inclusion: sequence, leaf index (= sequence − 1), tree \
            size, leaf (the event's canonical encoding and signature), leaf hash (SHA-256 of 0x00 and the leaf), \
            root; for --consistency: old size, new size, old root, new root; then one "proof:" line per proof hash \
            in order (none when the proof is empty). --json prints one object with the same facts (keys type, \
            hashEncoding "base64", origin, sequence, leafIndex, treeSize, leaf, leafHash, rootHash, or oldSize, \
            newSize, oldRootHash, newRootHash; and proof, an array). Needs no identity; never writes.

            Example: amanah audit prove --inclusion 42 --json -C vault
            """)
    @Option(name: .customLong("inclusion"), help: ArgumentHelp("Prove that event SEQ is in the log.", valueName: "SEQ"))
    var inclusion: UInt64?
    @Option(name: .customLong("size"), help: ArgumentHelp("The tree size for --inclusion (default: the whole log).", valueName: "N"))
    var size: UInt64?
    @Option(name: .customLong("consistency"), parsing: .upToNextOption,
            help: ArgumentHelp("Prove that the log at size OLD is a prefix of the log at size NEW.", valueName: "OLD NEW"))
    var consistency: [UInt64] = []
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var options: VaultOptions

    func validate() throws {
        guard (inclusion != nil) != !consistency.isEmpty else { throw ValidationError("give either --inclusion SEQ or --consistency OLD NEW") }
        if !consistency.isEmpty && consistency.count != 2 { throw ValidationError("--consistency takes two sizes, OLD and NEW") }
        if size != nil && inclusion == nil { throw ValidationError("--size goes with --inclusion") }
    }

    struct InclusionJSON: Encodable {
        var type = "inclusion", hashEncoding = "base64"
        var origin: String, sequence: UInt64, leafIndex: UInt64, treeSize: UInt64
        var leaf: String, leafHash: String, rootHash: String, proof: [String]
    }

    struct ConsistencyJSON: Encodable {
        var type = "consistency", hashEncoding = "base64"
        var origin: String, oldSize: UInt64, newSize: UInt64, oldRootHash: String, newRootHash: String, proof: [String]
    }

    func run() throws {
        let vault = try options.openVault(readOnly: true)
        let origin = Checkpoint.origin(vaultID: vault.vaultID)
        func b64(_ bytes: [UInt8]) -> String { Base64.encode(bytes, variant: .standard) }
        var lines = ["origin: \(origin)"]
        if let inclusion {
            let proof = try vault.inclusionProof(sequence: inclusion, treeSize: size)
            if json {
                let value = InclusionJSON(origin: origin, sequence: proof.sequence, leafIndex: proof.leafIndex, treeSize: proof.treeSize,
                                          leaf: b64(proof.leaf), leafHash: b64(proof.leafHash), rootHash: b64(proof.rootHash),
                                          proof: proof.proof.map(b64))
                Terminal.output(String(decoding: try auditJSONEncoder(pretty: true).encode(value), as: UTF8.self))
                return
            }
            lines += ["type: inclusion", "sequence: \(proof.sequence)", "leaf index: \(proof.leafIndex)", "tree size: \(proof.treeSize)",
                      "leaf: \(b64(proof.leaf))", "leaf hash: \(b64(proof.leafHash))", "root: \(b64(proof.rootHash))"]
            lines += proof.proof.map { "proof: \(b64($0))" }
        } else {
            let proof = try vault.consistencyProof(oldSize: consistency[0], newSize: consistency[1])
            if json {
                let value = ConsistencyJSON(origin: origin, oldSize: proof.oldSize, newSize: proof.newSize,
                                            oldRootHash: b64(proof.oldRootHash), newRootHash: b64(proof.newRootHash), proof: proof.proof.map(b64))
                Terminal.output(String(decoding: try auditJSONEncoder(pretty: true).encode(value), as: UTF8.self))
                return
            }
            lines += ["type: consistency", "old size: \(proof.oldSize)", "new size: \(proof.newSize)",
                      "old root: \(b64(proof.oldRootHash))", "new root: \(b64(proof.newRootHash))"]
            lines += proof.proof.map { "proof: \(b64($0))" }
        }
        Terminal.output(lines.joined(separator: "\n"))
    }
}

/// `amanah audit timestamp [--tsa NAME|URL]`: an RFC 3161 time-stamp of the newest checkpoint.
struct AuditTimestamp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timestamp",
        abstract: "Get an RFC 3161 time-stamp of the newest checkpoint from a time-stamping authority the vault trusts, check it and record it.",
        discussion: """
            The request carries the SHA-256 of the checkpoint's body and a fresh nonce. The token is checked before \
            anything is recorded: the authority's signature chained to the certificate a quorum configured (op propose \
            add-tsa), the imprint, the nonce and a time within five minutes of this machine's. It is recorded in the \
            audit log (audit.timestamp), so it travels with the log, and audit verify checks it again.

            Example: amanah audit timestamp --tsa dfn -C vault -i auditor.key
            """)
    @Option(name: .customLong("tsa"), help: ArgumentHelp("The authority, by its name in the vault or its URL (needed when the vault trusts several).", valueName: "NAME|URL"))
    var tsa: String?
    @OptionGroup var options: VaultOptions

    func run() throws {
        let session = try options.openSession()
        let authorities = session.vault.state.timeStampAuthorities
        guard !authorities.isEmpty else {
            throw CLIError("the vault trusts no time-stamping authority", hint: "a quorum adds one: amanah op propose add-tsa NAME --url URL --cert FILE")
        }
        let chosen: (name: String, authority: TimeStampAuthority)
        if let tsa {
            let byURL = authorities.filter { $0.value.url == tsa }
            if authorities[tsa] == nil && byURL.count > 1 {
                throw CLIError("several authorities the vault trusts take requests at \(tsa): name one (\(byURL.keys.sorted().joined(separator: ", ")))",
                               exitCode: CLIError.usage)
            }
            guard let found = authorities.first(where: { $0.key == tsa }) ?? byURL.first else {
                throw CLIError("\(tsa) is not a time-stamping authority the vault trusts (it trusts: \(authorities.keys.sorted().joined(separator: ", ")))",
                               exitCode: CLIError.notFound)
            }
            chosen = (found.key, found.value)
        } else {
            guard authorities.count == 1, let only = authorities.first else {
                throw CLIError("the vault trusts several time-stamping authorities: name one with --tsa (\(authorities.keys.sorted().joined(separator: ", ")))",
                               exitCode: CLIError.usage)
            }
            chosen = (only.key, only.value)
        }
        let (size, digest) = try session.checkpointToTimestamp()
        let query = try TimeStampQuery(sha256: digest)
        let token: [UInt8], verified: VerifiedTimeStamp
        do {
            token = try TimeStampVerifier.token(fromResponse: try TimeStampClient.fetch(query, from: chosen.authority.url))
            let now = Date()
            verified = try TimeStampClient.verify(token: token, digest: digest, nonce: query.nonce, trusted: chosen.authority.certificate,
                                                  bounds: now.addingTimeInterval(-300)...now.addingTimeInterval(300))
        } catch let error as TimeStampError {
            throw CLIError("\(chosen.name): \(error); nothing was recorded", exitCode: CLIError.verificationFailed)
        }
        try session.recordTimestamp(size: size, authority: chosen.name, time: verified.time, token: token)
        rememberState(session.vault)
        Terminal.output("checkpoint \(size) time-stamped by \(TerminalText.escaped(chosen.name)) at "
                        + Clock.format(milliseconds: Int64(verified.time.timeIntervalSince1970 * 1000)) + " (serial \(verified.serialNumber))")
    }
}
