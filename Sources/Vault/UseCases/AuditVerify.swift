import VaultPolicy
import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore
import VaultGovernance
import VaultPlatform

/// A checkpoint handed to `verifyAuditLog` from outside the vault (a file), as raw bytes.
public struct GivenCheckpoint: Sendable {
    /// Where it came from, for messages (a file name).
    public var source: String
    /// The signed note's bytes.
    public var bytes: [UInt8]
    public init(source: String, bytes: [UInt8]) { self.source = source; self.bytes = bytes }
}

/// A checkpoint that verified: its signatures, and the tree's root at its size.
public struct VerifiedCheckpointReport: Sendable, Equatable {
    /// `vault` for a stored checkpoint, else the source given.
    public var source: String
    public var size: UInt64
    public var rootHash: [UInt8]
    /// Key ids (hex) of the members who signed it as the log.
    public var signers: [String]
    /// Key ids (hex) and POSIX times of verified cosignatures.
    public var cosigners: [(keyID: String, time: UInt64)]
    /// Number of signature lines by keys this vault does not know (ignored).
    public var unknownSignatures: Int

    public static func == (a: VerifiedCheckpointReport, b: VerifiedCheckpointReport) -> Bool {
        a.source == b.source && a.size == b.size && a.rootHash == b.rootHash && a.signers == b.signers
            && a.cosigners.map(\.keyID) == b.cosigners.map(\.keyID) && a.cosigners.map(\.time) == b.cosigners.map(\.time)
            && a.unknownSignatures == b.unknownSignatures
    }
}

/// The result of verifying the audit log (`Vault.verifyAuditLog`): what verified, and every problem found.
public struct AuditVerification: Sendable {
    /// Number of event rows read.
    public var events = 0
    /// Leaves and nodes of the stored tree that were recomputed from the events and matched.
    public var treeLeaves: UInt64 = 0
    public var treeNodes = 0
    /// The root recomputed from the events (SHA-256 of the empty string for none).
    public var rootHash: [UInt8] = MerkleHash.emptyRoot
    /// Checkpoints that verified (signatures and root), stored and given.
    public var checkpoints: [VerifiedCheckpointReport] = []
    /// The RFC 3161 time-stamps the log records (`audit.timestamp`), each verified again.
    public var timestamps: [VerifiedTimestampReport] = []
    /// Whether this client remembered anything about the vault (and so whether that was compared).
    public var clientStateCompared = false
    /// Every problem found, in the order checked: events, tree, checkpoints, forks, client state. Each names
    /// the event, node or checkpoint concerned.
    public var problems: [String] = []
    /// The first event that is missing, altered, out of place or not covered correctly by the tree.
    public var firstBadEvent: UInt64?

    /// The first problem (nil when the log verifies).
    public var firstProblem: String? { problems.first }
    /// Whether everything verified.
    public var ok: Bool { problems.isEmpty }

    mutating func badEvent(_ sequence: UInt64) { firstBadEvent = min(firstBadEvent ?? sequence, sequence) }
}

extension Vault {
    /// Verifies the audit log without writing anything (open the vault read-only), in one read transaction:
    ///
    /// - events: sequence numbers from 1 without gaps, each leaf parses, hashes to its stored leaf hash, belongs
    ///   to this vault, names its own sequence, links to the previous leaf hash, is signed by a key that was a
    ///   member or custodian, and (`item.ingest`, `item.export`) carries its content commitment. Opening a
    ///   commitment needs keys: `check --read-data` does that.
    /// - tree: every stored node of `auditNode` is recomputed from the events' leaves (leaf index = position
    ///   in the log) and compared, and the tree holds no node beyond them, so an edited event, leaf hash or
    ///   node, a deleted or reordered event, or nodes left behind by a truncation are found.
    /// - checkpoints: every stored checkpoint and every `given` one parses, names this vault, is signed as the
    ///   log by a present or former member or custodian, has no failing signature by a known key, is not larger
    ///   than the log (else the log was truncated below it), and its root equals the root recomputed from the
    ///   events at its size. Two checkpoints of one size with different roots are a fork; a checkpoint that
    ///   does not match the log at its size is reported as inconsistent with the largest one that does.
    /// - client state: `clientStateProblems()`: the vault is not behind the governance chain, audit log or
    ///   checkpoint this client saw.
    /// The genesis and governance chain were verified by `Vault.open`.
    /// - Throws: database errors only; everything found is a problem in the result.
    /// - Parameter progress: called with the number of events once it is known (`total`), then once every
    ///   1,000 events with 1,000 (`done`), for a progress line.
    public func verifyAuditLog(givenCheckpoints: [GivenCheckpoint] = [], progress: ((_ total: Int?, _ done: Int) -> Void)? = nil) throws -> AuditVerification {
        var result = AuditVerification()
        // Checkpoints to compare: stored and given, parsed first so their sizes are known during the pass.
        var candidates: [(source: String, signed: SignedCheckpoint)] = []
        for (row, parsed) in try storedCheckpoints() {
            switch parsed {
            case let .success(signed):
                if signed.checkpoint.size != UInt64(max(0, row.size)) || signed.checkpoint.rootHash != Array(row.rootHash) {
                    result.problems.append("stored checkpoint of size \(row.size): its row does not match its note")
                }
                candidates.append(("vault", signed))
            case let .failure(error):
                result.problems.append("stored checkpoint of size \(row.size): \(error)")
            }
        }
        for given in givenCheckpoints {
            do { candidates.append((given.source, try SignedCheckpoint(parsing: given.bytes))) } catch {
                result.problems.append("\(given.source): \(error)")
            }
        }
        let remembered: Checkpoint? = (try? rememberedCheckpoint())?.checkpoint
        var wanted = Set(candidates.map(\.signed.checkpoint.size))
        if let remembered { wanted.insert(remembered.size) }
        var roots: [UInt64: [UInt8]] = [0: MerkleHash.emptyRoot]

        var stamps: [AuditEvent] = []
        try database.queue.read { db in
            var eventProblem = false, treeProblem = false
            var previous = [UInt8](repeating: 0, count: 32)
            var accumulator = MerkleRootAccumulator()
            var frontier = [[UInt8]?](repeating: nil, count: 64)
            func checkNode(level: Int, index: UInt64, hash: [UInt8]) throws {
                guard !treeProblem else { return }
                let stored = try AuditNodeRow.hash(level: Int64(level), index: Int64(index), db)
                if stored.map(Array.init) == hash {
                    result.treeNodes += 1
                    return
                }
                treeProblem = true
                let first = index << UInt64(level) + 1, last = (index + 1) << UInt64(level)
                let span = level == 0 ? "for event \(first)" : "(level \(level), index \(index)) over events \(first)–\(last)"
                result.problems.append("tree node \(span) " + (stored == nil ? "is missing" : "does not match the events"))
                result.badEvent(first)
            }

            var lastGovernance: UInt64? = nil
            var lastTime: Int64? = nil
            let appliedTimes = try GovernanceChain.appliedTimes(db)
            if let progress { progress(Int(try AuditLog.head(db).size), 0) }
            let cursor = try AuditEventRow.inSequence(db)
            while let row = try cursor.next() {
                let position = UInt64(result.events)   // leaf index
                result.events += 1
                if result.events % 1_000 == 0 { progress?(nil, 1_000) }
                let leafHash = MerkleHash.leaf(AuditEvent.merkleLeaf(stored: Array(row.leaf)))
                // Parsed once, for every check below.
                let parsed = Result { try AuditEvent(leaf: Array(row.leaf)) }
                if !eventProblem,
                   let problem = Self.problem(with: row, event: parsed, leafHash: leafHash, expectedSequence: Int64(position) + 1, previous: previous,
                                              vaultID: vaultID, keys: state.knownKeys) {
                    eventProblem = true
                    result.problems.append(problem)
                    result.badEvent(position + 1)
                }
                if !eventProblem, let problem = Self.governanceProblem(row, event: parsed, db: db, vaultID: vaultID, chainLength: state.chainLength,
                                                                       lastPosition: &lastGovernance, lastTime: &lastTime,
                                                                       appliedTimes: appliedTimes) {
                    eventProblem = true
                    result.problems.append(problem)
                    result.badEvent(position + 1)
                }
                // A time-stamp event is checked again only while the events up to it verify.
                if !eventProblem, let event = try? parsed.get(), event.action == Self.timestampAction { stamps.append(event) }
                previous = leafHash
                // The nodes this leaf completes, as `MerkleTree.append` writes them.
                try checkNode(level: 0, index: position, hash: leafHash)
                var index = position, level = 0, hash = leafHash
                while index & 1 == 1, let left = frontier[level] {
                    frontier[level] = nil
                    hash = MerkleHash.node(left, hash)
                    index >>= 1
                    level += 1
                    try checkNode(level: level, index: index, hash: hash)
                }
                frontier[level] = hash
                try accumulator.append(leafHash)
                if wanted.contains(accumulator.size) { roots[accumulator.size] = accumulator.root }
            }
            result.rootHash = accumulator.root
            let n = accumulator.size
            let stored = try AuditNodeRow.count(db)
            let expected = Int(2 * n) - n.nonzeroBitCount
            if !treeProblem && stored != expected {
                treeProblem = true
                result.problems.append("the audit tree holds \(stored) nodes, but \(n) events make \(expected): "
                                       + "it covers events that are not in the log (a truncated or rewritten log)")
                result.badEvent(n + 1)
            }
            if !treeProblem { result.treeLeaves = n }
        }

        // Checkpoints.
        let n = UInt64(result.events)
        let keys = Array(state.knownKeys.values)
        var matching: [(source: String, size: UInt64)] = []
        var mismatching: [(source: String, size: UInt64)] = []
        for (source, signed) in candidates {
            let checkpoint = signed.checkpoint
            let name = "checkpoint of size \(checkpoint.size) from \(source)"
            let verified: VerifiedCheckpoint
            switch signed.verify(vaultID: vaultID, logSigners: keys, cosigners: keys) {
            case let .verified(value): verified = value
            case let .rejected(reason):
                result.problems.append("\(name): \(reason)")
                continue
            }
            guard checkpoint.size <= n else {
                result.problems.append("\(name): the log has only \(n) events, fewer than the checkpoint: the log was truncated "
                                       + "or the vault is older than the checkpoint")
                result.badEvent(n + 1)
                continue
            }
            guard roots[checkpoint.size] == checkpoint.rootHash else {
                result.problems.append("\(name): its root differs from the log's root at that size (the log was altered or forked)")
                mismatching.append((source, checkpoint.size))
                continue
            }
            matching.append((source, checkpoint.size))
            result.checkpoints.append(VerifiedCheckpointReport(
                source: source, size: checkpoint.size, rootHash: checkpoint.rootHash, signers: verified.logSigners.map(\.keyIDHex),
                cosigners: verified.cosignatures.map { ($0.cosigner.keyIDHex, $0.time) }, unknownSignatures: verified.unknownSignatures.count))
        }
        // Forks among the checkpoints themselves, whatever the log says.
        var bySize: [UInt64: [(source: String, root: [UInt8])]] = [:]
        for (source, signed) in candidates { bySize[signed.checkpoint.size, default: []].append((source, signed.checkpoint.rootHash)) }
        for size in bySize.keys.sorted() {
            let group = bySize[size]!
            if let other = group.first(where: { $0.root != group[0].root }) {
                result.problems.append("fork: the checkpoints of size \(size) from \(group[0].source) and \(other.source) have different roots")
            }
        }
        if let largest = matching.max(by: { $0.size < $1.size }) {
            for bad in mismatching where bad.size <= largest.size {
                result.problems.append("fork: the checkpoint of size \(bad.size) from \(bad.source) is inconsistent with the checkpoint "
                                       + "of size \(largest.size) from \(largest.source)")
            }
        }

        // Each time-stamp again: over the checkpoint body it names, by the authority the vault trusts.
        // Only checkpoints that verified against the log count: a stored one the log contradicts stamps nothing.
        let verifiedRoots = Set(result.checkpoints.filter { $0.source == "vault" }.map { "\($0.size) \(Hex.encode($0.rootHash))" })
        let bodies = Dictionary(candidates.filter { $0.source == "vault" && verifiedRoots.contains("\($0.signed.checkpoint.size) \(Hex.encode($0.signed.checkpoint.rootHash))") }
                                    .map { ($0.signed.checkpoint.size, $0.signed.checkpoint.body) },
                                uniquingKeysWith: { first, _ in first })
        for event in stamps {
            switch Self.checkTimestamp(event, bodies: bodies, authorities: state.timeStampAuthorities) {
            case let .success(report): result.timestamps.append(report)
            case let .failure(problem):
                result.problems.append("time-stamp event \(event.sequence): \(problem)")
                result.badEvent(event.sequence)
            }
        }

        // What this client saw.
        if try ClientState.load(vaultID: vaultID) != nil {
            result.clientStateCompared = true
            for problem in try clientStateProblems() { result.problems.append("this client saw a newer vault: " + problem) }
        }
        return result
    }

    /// The first thing wrong with one event row, or nil. `leafHash` is SHA-256(0x00 ‖ row.leaf).
    /// The problem with an event's governance position (version 2 events): ahead of the chain, bound to
    /// another entry than the chain holds, behind an earlier event's position (the chain only grows), or
    /// missing after an earlier event carried one (a downgrade that would strip the binding).
    /// Also, for version 2 events, times that the log makes monotonic: an event is never earlier than the one
    /// before it, and the governance entry an `op apply` event records was applied between the event before
    /// and the event itself (an applier cannot date an entry back, to apply an operation that had expired).
    static func governanceProblem(_ row: AuditEventRow, event parsed: Result<AuditEvent, any Error>, db: Database, vaultID: [UInt8], chainLength: Int,
                                  lastPosition: inout UInt64?, lastTime: inout Int64?, appliedTimes: [Int64: Int64]) -> String? {
        guard let event = try? parsed.get() else { return nil }
        let previousTime = lastTime
        lastTime = event.time
        guard let position = event.governance else {
            return lastPosition == nil ? nil : "event \(row.seq): it carries no governance position, but an earlier event did"
        }
        // A member whose clock runs ahead dates every later event, and every expiry, from its time: say so.
        if event.time > Clock.nowMilliseconds() + 24 * 3600 * 1000 {
            return "event \(row.seq): it is dated \(Clock.format(milliseconds: event.time)), more than a day after this machine's clock; every later event and every expiry is judged from that time (a clock running ahead?)"
        }
        if let previousTime, event.time < previousTime {
            return "event \(row.seq): its time \(Clock.format(milliseconds: event.time)) is before the event it follows (\(Clock.format(milliseconds: previousTime)))"
        }
        if event.action.hasPrefix("governance."), position.length > (lastPosition ?? 0), let applied = appliedTimes[Int64(position.length)],
           applied > event.time || applied < (previousTime ?? applied) {
            return "event \(row.seq): governance entry \(position.length) says it was applied at \(Clock.format(milliseconds: applied)), outside the time between this event and the one before it"
        }
        if let last = lastPosition, position.length < last {
            return "event \(row.seq): it was written against governance entry \(position.length), before an earlier event's \(last)"
        }
        lastPosition = position.length
        do { try AuditLog.checkPosition(position, ofEvent: event.sequence, db, vaultID: vaultID, chainLength: chainLength) } catch {
            return "event \(row.seq): \(error)"
        }
        return nil
    }

    static func problem(with row: AuditEventRow, event parsed: Result<AuditEvent, any Error>, leafHash: [UInt8], expectedSequence: Int64, previous: [UInt8], vaultID: [UInt8],
                        keys: [String: MemberPublicKey]) -> String? {
        guard row.seq == expectedSequence else {
            return row.seq > expectedSequence ? "event \(expectedSequence) is missing (found \(row.seq) next)"
                : "event \(expectedSequence): found sequence \(row.seq) out of order"
        }
        let event: AuditEvent
        do { event = try parsed.get() } catch { return "event \(row.seq): \(error)" }
        guard leafHash == Array(row.leafHash) else { return "event \(row.seq): its stored leaf hash does not match its content" }
        guard event.sequence == UInt64(row.seq) else { return "event \(row.seq): it claims to be event \(event.sequence) (moved)" }
        guard event.vaultID == vaultID else { return "event \(row.seq): it belongs to another vault" }
        guard event.previousLeafHash == previous else { return "event \(row.seq): it does not link to event \(row.seq - 1)" }
        guard let key = keys[Hex.encode(event.actor)] else { return "event \(row.seq): its actor \(Hex.encode(event.actor)) is not known to this vault" }
        guard event.verifySignature(publicKey: key) else { return "event \(row.seq): its signature does not verify" }
        // An ingest of the first release commits to the content; since issue 15 also to its index facts.
        if event.action == "item.export" && event.commitments.count != 1
            || event.action == "item.ingest" && event.commitments.count != (event.governance == nil ? 1 : 2) {
            return "event \(row.seq): \(event.action) carries \(event.commitments.count) commitments, expected \(event.action == "item.ingest" && event.governance != nil ? 2 : 1)"
        }
        return nil
    }
}
