import Foundation
import GRDB
import Vault
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultPolicy
import VaultStore

/// Checks each log position received from a remote and applies it, in the caller's transaction, only when
/// all of it verifies: the event parses (its actor commitment included) and is the next one of this vault,
/// linked to this vault's newest event; the governance entries it brings follow the chain and verify
/// (signatures of a quorum, `GovernanceChain`), and the event binds them; its governance position is the
/// chain's and does not go back; its time does not go back; its signer was a member or custodian at that
/// position (the genesis initiator for `vault.init`) and signed it; its entry has the hash the event carries,
/// names this vault, carries every detached value, stays within what such an event may change
/// (`EntryScope`), and changes exactly the rows it lists when applied (`EntryRecorder`).
struct Verifier {
    let genesis: Genesis
    let vaultID: [UInt8]
    let recorder: EntryRecorder
    /// The governance state after each number of chain entries (empty before the genesis policy is known).
    var history: [GovernanceState]
    var previousPosition: AuditEvent.GovernancePosition?
    var previousTime: Int64?
    var based: Bool
    /// The log's size and newest leaf hash, and the chain's length, kept as positions are applied (read once).
    var headSize: Int64
    var headLeaf: [UInt8]
    var chainLength: Int64

    init(vault: Vault, db: Database) throws {
        try self.init(genesis: vault.genesis, database: vault.database, db: db)
    }

    init(genesis: Genesis, database: VaultDatabase, db: Database) throws {
        self.genesis = genesis
        vaultID = genesis.vaultID
        guard let recorder = database.entries else { throw VaultError.failed("the database records no entries") }
        self.recorder = recorder
        history = try VaultMetaRow.genesisPolicy(db) == nil ? [] : try GovernanceChain.history(genesis: genesis, db: db)
        let newest = try AuditEventRow.newest(db).map { try AuditEvent(leaf: Array($0.leaf)) }
        previousPosition = newest?.governance
        previousTime = newest?.time
        based = try EntryRow.any(db)
        let head = try AuditLog.head(db)
        headSize = Int64(head.size)
        headLeaf = head.leafHash
        chainLength = Int64(try GovernanceRow.newestPosition(db)?.seq ?? 0)
    }

    static func refuse(_ position: Int64, _ why: String) -> SyncError {
        .refused("log position \(position) received from the remote \(why)")
    }

    mutating func apply(_ object: RemoteLogObject, at position: Int64, _ db: Database) throws {
        let event: AuditEvent
        do { event = try AuditEvent(leaf: object.storedLeaf) } catch { throw Self.refuse(position, "does not parse: \(error)") }
        guard event.sequence == UInt64(position), headSize == position - 1 else {
            throw Self.refuse(position, "is numbered \(event.sequence)")
        }
        guard event.vaultID == vaultID else { throw Self.refuse(position, "belongs to another vault") }
        guard event.previousLeafHash == headLeaf else {
            throw Self.refuse(position, "is not linked to the event before it (a reordered, rewritten or forked log)")
        }
        if let previousTime, event.time < previousTime { throw Self.refuse(position, "is dated before the event it follows") }
        // Governance entries it binds.
        for (seq, body) in object.governance {
            guard seq == chainLength + 1 else { throw Self.refuse(position, "brings governance entry \(seq) where \(chainLength + 1) is next") }
            try GovernanceRow(seq: seq, body: Data(body), hash: Data(SHA256Digest.hash(body))).insert(db)
            chainLength = seq
        }
        if !object.governance.isEmpty {
            do { history = try GovernanceChain.history(genesis: genesis, db: db) } catch {
                throw Self.refuse(position, "brings governance entries that do not verify: \(error)")
            }
            guard let bound = event.governance, bound.length == UInt64(chainLength) else {
                throw Self.refuse(position, "brings governance entries its event does not bind")
            }
        }
        if let bound = event.governance {
            // The chain's entry at that length, from the verified history (the vault id for none).
            guard bound.length <= UInt64(max(0, chainLength)), bound.length < UInt64(history.count) || bound.length == 0,
                  bound.head == (bound.length == 0 ? vaultID : history[Int(bound.length)].headHash) else {
                throw Self.refuse(position, "names a governance position the chain does not hold (entry \(bound.length))")
            }
            if let previousPosition, bound.length < previousPosition.length {
                throw Self.refuse(position, "goes back to an older governance position")
            }
        } else if previousPosition != nil {
            throw Self.refuse(position, "names no governance position after events that did")
        }
        // Signature by a member at that position (the genesis initiator for vault.init).
        let signer = Hex.encode(event.actor)
        let isInit = event.sequence == 1 && event.action == "vault.init"
        let keys = history.last?.knownKeys ?? [:]
        let key = isInit ? genesis.custodians.first { $0.keyIDHex == signer } : keys[signer]
        guard let key, event.verifySignature(publicKey: key) else { throw Self.refuse(position, "(\(event.action)) is not signed by a key the vault knows") }
        if isInit {
            guard signer == Hex.encode(genesis.initiator) else { throw Self.refuse(position, "(vault.init) is not signed by the genesis initiator") }
        } else if !IndexLog.signerWasMember(event, signer: signer, history: history, genesisInitiator: Hex.encode(genesis.initiator)) {
            throw Self.refuse(position, "(\(event.action)) was signed by \(signer), who was not a member at its governance position")
        }
        // A collector's event placed from an inbox: what the collector signed, before anything is applied.
        if let authored = object.authored {
            try checkAuthored(authored, placed: event, object: object, at: position,
                              existing: { table, rowID in (try? IndexEntry.rows(of: table, rowIDs: [rowID], db))?[rowID] }, db)
        }
        // The entry.
        try AuditEventRow(seq: position, leaf: Data(object.storedLeaf), leafHash: Data(event.leafHash)).insert(db)
        if let hash = event.entry {
            guard let body = object.entry, SHA256Digest.hash(body) == hash else {
                throw Self.refuse(position, "(\(event.action)) lacks its index entry or carries another one")
            }
            var values: [[UInt8]: [UInt8]] = [:]
            for value in object.values { values[SHA256Digest.hash(value)] = value }
            let entry: IndexEntry
            do { entry = try IndexEntry(encoding: body, detachedValue: { values[$0] }) } catch {
                throw Self.refuse(position, "carries an entry that does not parse: \(error)")
            }
            guard entry.vaultID == vaultID else { throw Self.refuse(position, "carries an entry of another vault") }
            for change in entry.changes {
                for column in change.columns ?? [] {
                    if case .detached(_, nil) = column.value { throw Self.refuse(position, "lacks a value its entry carries by hash") }
                }
            }
            if entry.snapshot {
                let custodian = event.governance.flatMap { history[chainLength: $0.length]?.isCustodian(signer) } ?? false
                guard !based, event.action == "vault.migrate", custodian else {
                    throw Self.refuse(position, "carries a snapshot of the whole index, which counts only as a migrated vault's base")
                }
            }
            if let problem = EntryScope.problem(entry, event: event, signer: signer, previous: previousPosition, history: history, based: based,
                                                existing: { table, rowID in (try? IndexEntry.rows(of: table, rowIDs: [rowID], db))?[rowID] }) {
                throw Self.refuse(position, "(\(event.action)): \(problem)")
            }
            _ = try recorder.takeEntry(db, vaultID: vaultID)
            do { try entry.apply(db) } catch { throw Self.refuse(position, "does not apply: \(error)") }
            let written = try recorder.takeEntry(db, vaultID: vaultID)
            guard (written?.changes ?? []) == entry.changes || (entry.snapshot && Self.sameRows(written, entry)) else {
                throw Self.refuse(position, "(\(event.action)) changes other rows than its entry lists")
            }
            try EntryRow(event: position, body: Data(body)).insert(db)
            try EntryValueRow.keep(entry.detachedValues, db)
            if event.action == "vault.init" || entry.snapshot { based = true }
            if history.isEmpty {
                do { history = try GovernanceChain.history(genesis: genesis, db: db) } catch {
                    throw Self.refuse(position, "(\(event.action)) does not set up the genesis state: \(error)")
                }
            }
        } else if object.entry != nil {
            throw Self.refuse(position, "carries an index entry its event does not name")
        }
        var tree = AuditLog.tree(db)
        guard try tree.append(event.leafHash) == event.sequence - 1 else { throw VaultError.integrity("the audit tree and the log disagree on the number of events") }
        previousPosition = event.governance ?? previousPosition
        headSize = position
        headLeaf = event.leafHash
        previousTime = event.time
    }

    /// Checks an event this client wrote again after others' (`SyncEngine.rebase`) as a receiver would.
    /// `replaced`: the rows its entry overwrote or deleted, as they stood before it (by row id).
    func checkOwn(_ event: AuditEvent, replaced: [SyncEngine.RowKey: [IndexEntry.Column]], _ db: Database) throws {
        let signer = Hex.encode(event.actor)
        guard IndexLog.signerWasMember(event, signer: signer, history: history, genesisInitiator: Hex.encode(genesis.initiator)) else {
            throw SyncError.conflict("this vault's unsent \(event.action) was written by \(signer), who is no longer a member after what another client placed first")
        }
        if event.entry != nil, let body = try EntryRow.find(event: Int64(event.sequence), db) {
            let entry = try IndexEntry(encoding: Array(body.body), detachedValue: { try EntryValueRow.value(hash: $0, db) })
            let previous = try AuditEventRow.fetchOne(db, key: Int64(event.sequence) - 1).flatMap { try? AuditEvent(leaf: Array($0.leaf)) }?.governance
            let rowsBefore: (String, Int64) -> [IndexEntry.Column]? = { table, rowID in replaced[SyncEngine.RowKey(table: table, rowID: rowID)] }
            if let problem = EntryScope.problem(entry, event: event, signer: signer, previous: previous, history: history, based: true,
                                                existing: rowsBefore) {
                throw SyncError.conflict("this vault's unsent \(event.action) is no longer allowed after what another client placed first: \(problem)")
            }
        }
    }

    /// Checks what a field collector signed for an event a member placed from an inbox, and records it
    /// (`AuthoredEventRow`), before the placed event's rows are applied. The placed event must be the
    /// collector's own: the same action and objects; the same rows, but for the row ids of new rows and an
    /// item's number in its case, which the placing member may take anew (its ingest commitment with it); no
    /// row deleted and no existing row given another natural key; the collector's signature by a key the vault
    /// knows, a member both where the collector wrote it and where it is placed, whose role there allows
    /// those rows (`collectorProblem`); placed after the collector's event before it (or right after the log
    /// position the collector had read), so that no member reorders or drops part of a collector's work;
    /// an item given a new number only when its own is taken, and then the next free one; and never placed
    /// before. Governance never comes through an inbox. The placed event itself is checked as every other
    /// (its signer's own role must allow it). `existing` gives each row as it stood before the placed event.
    /// - Throws: `SyncError.refused` naming the position and what is wrong; database errors.
    func checkAuthored(_ authored: RemoteLogObject.Authored, placed event: AuditEvent, object: RemoteLogObject, at position: Int64,
                       existing: (String, Int64) -> [IndexEntry.Column]?, _ db: Database) throws {
        func refuse(_ why: String) -> SyncError { Self.refuse(position, "(\(event.action), placed from inbox object \(authored.submission)) " + why) }
        let original: AuditEvent
        do { original = try AuditEvent(leaf: authored.storedLeaf) } catch { throw refuse("carries a collector's event that does not parse: \(error)") }
        guard original.vaultID == vaultID, original.action == event.action, original.objects == event.objects else {
            throw refuse("is not the event its collector signed (another vault, action or objects)")
        }
        guard object.governance.isEmpty, !original.action.hasPrefix("governance."), original.action != "vault.init" else {
            throw refuse("brings governance, which never comes through an inbox")
        }
        let author = Hex.encode(original.actor)
        guard let written = original.governance, written.length < UInt64(history.count),
              written.head == (written.length == 0 ? vaultID : history[Int(written.length)].headHash) else {
            throw refuse("was written by its collector at a governance position the chain does not hold")
        }
        guard let key = history.last?.knownKeys[author], original.verifySignature(publicKey: key) else {
            throw refuse("is not signed by a collector's key the vault knows")
        }
        let initiator = Hex.encode(genesis.initiator)
        guard IndexLog.signerWasMember(original, signer: author, history: history, genesisInitiator: initiator),
              IndexLog.signerWasMember(event, signer: author, history: history, genesisInitiator: initiator) else {
            throw refuse("was signed by \(author), who was not a member where they wrote it or where it is placed")
        }
        guard !(try AuthoredEventRow.placed(leafHash: original.leafHash, db)) else { throw refuse("places a collector's event the log holds already") }
        // In the collector's order: right after the log position they had read, or after their event before it.
        var afterBase = false
        if original.sequence >= 2, original.sequence - 1 < UInt64(position), let base = try AuditEventRow.fetchOne(db, key: Int64(original.sequence - 1)) {
            afterBase = Array(base.leafHash) == original.previousLeafHash
        }
        var afterOwn = false
        if !afterBase, let before = try AuthoredEventRow.find(leafHash: original.previousLeafHash, db),
           let earlier = try? AuditEvent(leaf: Array(before.leaf)) {
            afterOwn = earlier.actor == original.actor && earlier.sequence < UInt64.max && original.sequence == earlier.sequence + 1
        }
        guard afterBase || afterOwn else {
            throw refuse("places a collector's event before the event they wrote before it (a collector's work reordered or cut)")
        }
        var allowed: Set<[[UInt8]]> = []   // (collector's commitment, placed commitment) pairs that differ by an item's new number
        switch (original.entry, authored.entry, object.entry) {
        case (nil, nil, nil):
            break
        case let (hash?, body?, placedBody?):
            guard SHA256Digest.hash(body) == hash else { throw refuse("carries another entry than its collector signed") }
            var values: [[UInt8]: [UInt8]] = [:]
            for value in object.values { values[SHA256Digest.hash(value)] = value }
            let mine: IndexEntry, placed: IndexEntry
            do {
                mine = try IndexEntry(encoding: body, detachedValue: { values[$0] })
                placed = try IndexEntry(encoding: placedBody, detachedValue: { values[$0] })
            } catch { throw refuse("carries an entry that does not parse: \(error)") }
            guard mine.vaultID == vaultID, !mine.snapshot, Self.normalised(mine) == Self.normalised(placed) else {
                throw refuse("writes other rows than its collector signed")
            }
            for change in placed.changes {
                guard let columns = change.columns else { throw refuse("deletes a row, which an event from an inbox never does") }
                if let before = existing(change.table, change.rowID) {
                    let names = try IndexEntry.naturalKey(of: change.table, db)
                    let keyOf = { (row: [IndexEntry.Column]) in names.map { name in row.first { $0.name == name }?.value } }
                    guard keyOf(before) == keyOf(columns) else { throw refuse("overwrites another row of \(change.table) than its collector wrote") }
                }
            }
            // The collector's rights over the rows as placed, where they wrote them.
            if let problem = Self.collectorProblem(placed, event: original, author: author, history: history, existing: existing) {
                throw refuse("goes beyond what its collector may write: \(problem)")
            }
            // An item keeps its collector's number unless another item holds it; then it takes the next free one.
            let added = Set(placed.changes.compactMap { $0.table == "item" && existing("item", $0.rowID) == nil ? EntryScope.text($0.columns, "id") : nil })
            var assigned: [String: Int64] = [:]
            for (a, b) in zip(mine.changes, placed.changes) where a.table == "item" {
                guard let itemID = EntryScope.text(a.columns, "id"), let caseID = EntryScope.text(a.columns, "caseID"),
                      case let .integer(was)? = a.columns?.first(where: { $0.name == "sequence" })?.value,
                      case let .integer(now)? = b.columns?.first(where: { $0.name == "sequence" })?.value, was != now else { continue }
                let next = max(try ItemRow.highestSequence(inCase: caseID, excluding: added, db) ?? 0, assigned[caseID] ?? 0) + 1
                guard try ItemRow.taken(caseID: caseID, sequence: was, excluding: added, db), now == next else {
                    throw refuse("gives item \(itemID) number \(now) in case \(caseID), where its collector wrote \(was) (a new number only for a taken one, and then \(next))")
                }
                assigned[caseID] = now
                guard let source = SyncEngine.firstSource(of: itemID, in: mine) else { continue }
                allowed.insert([IndexBinding.ingestCommitment(itemID: itemID, caseID: caseID, sequence: was, sourceID: source),
                                IndexBinding.ingestCommitment(itemID: itemID, caseID: caseID, sequence: now, sourceID: source)])
            }
        default:
            throw refuse("carries an entry where its collector signed none, or none where they signed one")
        }
        guard original.commitments.count == event.commitments.count,
              zip(original.commitments, event.commitments).allSatisfy({ $0 == $1 || allowed.contains([$0, $1]) }) else {
            throw refuse("commits to other content than its collector signed")
        }
        try AuthoredEventRow(event: position, submission: authored.submission, leaf: Data(authored.storedLeaf), leafHash: Data(original.leafHash),
                             entry: authored.entry.map { Data($0) }).insert(db)
    }

    /// Why a collector's `entry` goes beyond what `event` (theirs, at the governance position they wrote it)
    /// may change, or nil: the entry's scope for their role there (`EntryScope`), and the record fields their
    /// role may write (`RecordCodec.mayWrite`, also checked whenever a record is read). `existing` gives each
    /// row as it stood before the entry.
    static func collectorProblem(_ entry: IndexEntry, event: AuditEvent, author: String, history: [GovernanceState],
                                 existing: (String, Int64) -> [IndexEntry.Column]?) -> String? {
        guard let written = event.governance, written.length < UInt64(history.count) else { return "it names a governance position the chain does not hold" }
        if let problem = EntryScope.problem(entry, event: event, signer: author, previous: nil, history: history, based: true, existing: existing) {
            return problem
        }
        var halves: [String: (kind: String, id: String, compartment: String, fields: Set<String>)] = [:]
        for change in entry.changes where change.table == "recordField" {
            guard let kind = EntryScope.text(change.columns, "kind"), let id = EntryScope.text(change.columns, "recordID"),
                  let compartment = EntryScope.text(change.columns, "compartment"), let field = EntryScope.text(change.columns, "field") else { continue }
            halves[kind + "\u{0}" + id + "\u{0}" + compartment, default: (kind, id, compartment, [])].fields.insert(field)
        }
        let then = history[Int(written.length)]
        for half in halves.values {
            guard let kind = RecordKind(rawValue: half.kind), let compartment = Compartment(rawValue: half.compartment), let role = then.role(of: author),
                  RecordCodec.mayWrite(writer: author, roles: [role], kind: kind, compartment: compartment,
                                       fields: half.fields.filter { !$0.hasPrefix("_") }, policy: then.policy) else {
                return "the \(half.compartment) fields of \(half.kind) \(half.id)"
            }
        }
        return nil
    }

    /// An entry's changes with row ids and items' numbers in their case left out: what a member placing a
    /// collector's event may choose anew.
    static func normalised(_ entry: IndexEntry) -> [IndexEntry.Change] {
        entry.changes.map { change in
            var change = change
            change.rowID = 0
            if change.table == "item", let columns = change.columns { change.columns = SyncEngine.setting("sequence", to: .integer(0), in: columns) }
            return change
        }
    }

    /// Whether a snapshot's rows are the rows written (a snapshot also deletes rows it does not list).
    static func sameRows(_ written: IndexEntry?, _ snapshot: IndexEntry) -> Bool {
        let present = (written?.changes ?? []).filter { $0.columns != nil }
        return present == snapshot.changes
    }
}
