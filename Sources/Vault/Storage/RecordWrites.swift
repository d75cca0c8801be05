import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultPolicy
import VaultStore

/// Which signed audit event wrote each record, and the check that a record's writer could write it at the
/// governance position of that event. A record's signature alone proves who wrote it, not when: checked
/// against every role its writer ever held, a member removed by the custodians could go on writing records
/// that verify. Events are bound to the governance position they were written at (version 2), their
/// positions never go back, and the newest event stands at the chain's end (checked at open), so a record's
/// write event tells which roles its writer held then.
///
/// Write events: `case.add` and `witness.add` (the record id), `item.ingest` (the item record, and the source
/// record it commits to with `IndexBinding.ingestCommitment`), `item.source-add` (the source record of its
/// `IndexBinding.sourceCommitment`), `item.source-pending` (the source record it names: a delivery that a
/// member confirms later), `region.add` (the region record), `region.remove` (its media fields, written again
/// with the removal); `identification.add` (a claim), `identification.confirm` and `.withdraw` (the claim
/// written again); `case.update` and `witness.update` (the record's
/// compartments they name, written anew).
public struct RecordWrites: Sendable {
    /// The event that wrote a record.
    public struct Write: Sendable {
        public var sequence: UInt64
        /// The writer: the event's signer, or for an event placed from an inbox the collector who signed it.
        public var actor: String
        public var position: AuditEvent.GovernancePosition?
        /// The event's action.
        public var action: String = ""
    }

    /// "kind/id" → its write event.
    public private(set) var writes: [String: Write] = [:]
    /// Per item: its ingest event with the commitment to its first source, and its further sources' events.
    private var ingests: [String: (write: Write, caseID: String, commitment: [UInt8])] = [:]
    private var sourceAdds: [String: [(write: Write, commitment: [UInt8])]] = [:]
    /// Whether the log's first event carries a governance position: a vault made since issue 15, in which
    /// every record has a version 2 write event.
    public private(set) var bound = false

    /// Reads the write events, each signature checked under `keys`.
    /// - Throws: database errors.
    public static func load(_ db: Database, keys: [String: MemberPublicKey]) throws -> RecordWrites {
        var result = RecordWrites()
        if let first = try AuditEventRow.oldest(db), let event = try? AuditEvent(leaf: Array(first.leaf)) {
            result.bound = event.governance != nil
        }
        // Events a member placed from a collectors' inbox: the records are the collector's, who signed the same
        // action on the same objects (`AuthoredEventRow`, checked by `sync` when it arrived).
        let authored = try db.tableExists(AuthoredEventRow.databaseTableName)
            ? Dictionary(try AuthoredEventRow.fetchAll(db).map { ($0.event, $0) }, uniquingKeysWith: { a, _ in a }) : [:]
        for event in try AuditLog.events(db, actions: ["case.add", "witness.add", "case.update", "witness.update", "item.ingest", "item.source-add",
                                                       "item.source-pending", "region.add", "region.remove", "identification.add", "identification.confirm",
                                                       "identification.withdraw", "item.classify"]) {
            guard let key = keys[Hex.encode(event.actor)], event.verifySignature(publicKey: key) else { continue }
            var write = Write(sequence: event.sequence, actor: Hex.encode(event.actor), position: event.governance, action: event.action)
            if let row = authored[Int64(event.sequence)] {
                guard let original = try? AuditEvent(leaf: Array(row.leaf)), original.action == event.action, original.objects == event.objects,
                      let author = keys[Hex.encode(original.actor)], original.verifySignature(publicKey: author) else { continue }
                write.actor = Hex.encode(original.actor)
            }
            let objects = event.objects
            switch event.action {
            case "case.add", "witness.add":
                for id in objects { result.writes[event.action.dropLast(4) + "/" + id] = write }
            case "case.update", "witness.update" where !objects.isEmpty:
                // The compartments it wrote anew (their signature row is in its entry): their writer is now the updater.
                let kind = String(event.action.dropLast(7))
                for compartment in try rewritten(event, kind: kind, id: objects[0], db) { result.writes[kind + "/" + objects[0] + "#" + compartment] = write }
            case "item.ingest" where !objects.isEmpty:
                result.writes["item/" + objects[0]] = write
                if objects.count >= 2, event.commitments.count >= 2 {
                    result.ingests[objects[0]] = (write, objects[1], event.commitments[1])
                }
            case "item.source-add" where !objects.isEmpty:
                if let commitment = event.commitments.first, event.governance != nil {
                    result.sourceAdds[objects[0], default: []].append((write, commitment))
                }
            case "region.add" where objects.count >= 3:
                result.writes["region/" + objects[2]] = write
            case "identification.add" where !objects.isEmpty:
                result.writes["identification/" + objects[0]] = write
            case "identification.confirm", "identification.withdraw":
                if let id = objects.first, try rewritten(event, kind: "identification", id: id, db).contains("identity") {
                    result.writes["identification/" + id + "#identity"] = write
                }
            case "item.classify" where !objects.isEmpty:
                if try rewritten(event, kind: "item", id: objects[0], db).contains("media") { result.writes["item/" + objects[0] + "#media"] = write }
            case "region.remove" where objects.count >= 3:
                if try rewritten(event, kind: "region", id: objects[2], db).contains("media") { result.writes["region/" + objects[2] + "#media"] = write }
            case "item.source-pending" where !objects.isEmpty:
                // A delivery by a role that may not view items (issue 16): the source record is written here,
                // and linked later by the member who confirms it (`item.source-add`).
                if result.writes["source/" + objects[0]] == nil { result.writes["source/" + objects[0]] = write }
            default:
                continue
            }
        }
        return result
    }

    /// The compartments of record `kind`/`id` whose signature row `event`'s own entry writes (the entry as
    /// stored for it, with the hash the event signs): an event that names a record but rewrote none of its
    /// compartments takes over no writer.
    private static func rewritten(_ event: AuditEvent, kind: String, id: String, _ db: Database) throws -> [String] {
        guard let hash = event.entry, let row = try EntryRow.find(event: Int64(event.sequence), db), SHA256Digest.hash(Array(row.body)) == hash,
              let entry = try? IndexEntry(encoding: Array(row.body)) else { return [] }
        return entry.changes.compactMap { change in
            guard change.table == "recordField", let columns = change.columns, EntryScope.text(columns, "kind") == kind,
                  EntryScope.text(columns, "recordID") == id, let field = EntryScope.text(columns, "field"),
                  field.hasPrefix("_signature.") else { return nil }
            return String(field.dropFirst("_signature.".count))
        }
    }

    /// The event that wrote source record `id`: the ingest of the item it is linked to, when that event
    /// commits to it as the first source, or a further-source event of that item committing to it.
    private func sourceWrite(_ id: String, _ db: Database) throws -> Write? {
        // The ingest that committed to it; else the first of its pending delivery (which wrote the record, and
        // which a confirmation follows) and the further-source event committing to it: a pending claim made
        // after a source was attached cannot take the source over.
        let pending = writes["source/" + id]
        for itemID in try ItemSourceRow.itemIDs(ofSource: id, db) {
            if let ingest = ingests[itemID], let item = try ItemRow.fetchOne(db, key: itemID),
               IndexBinding.ingestCommitment(itemID: itemID, caseID: ingest.caseID, sequence: item.sequence, sourceID: id) == ingest.commitment {
                return ingest.write
            }
            if let add = sourceAdds[itemID]?.first(where: { IndexBinding.sourceCommitment(itemID: itemID, sourceID: id) == $0.commitment }) {
                if let pending, pending.sequence < add.write.sequence { return pending }
                return add.write
            }
        }
        return pending
    }

    /// Refuses a record's compartment half unless `writer` wrote it in a signed event at a governance
    /// position where their role could write those fields. For a vault of the first release, a record whose
    /// event names no position is judged by every role its writer ever held (until the vault is migrated).
    /// - Parameters: history: the governance state at each chain length (`GovernanceChain.history`).
    /// - Throws: `VaultError.integrity` naming the record and why.
    public func check(kind: RecordKind, id: String, compartment: Compartment, writer: String, fields: Set<String>,
                      history: [GovernanceState], _ db: Database) throws {
        let name = "the \(compartment.rawValue) fields of \(kind.rawValue) \(id)"
        guard let current = history.last else { return }
        let found = kind == .source ? try sourceWrite(id, db) : writes[kind.rawValue + "/" + id + "#" + compartment.rawValue] ?? writes[kind.rawValue + "/" + id]
        guard let write = found, let position = write.position else {
            if bound || found?.position != nil {
                throw VaultError.integrity("\(name): no signed audit event records their writing (planted outside Amanah?)")
            }
            guard RecordCodec.mayWrite(writer: writer, kind: kind, compartment: compartment, fields: fields, state: current) else {
                throw VaultError.integrity("\(name) were written by \(writer), whose role may not write them")
            }
            return
        }
        let then = history[chainLength: position.length] ?? history[history.count - 1]
        let roles = then.role(of: writer).map { Set([$0]) } ?? []
        guard RecordCodec.mayWrite(writer: writer, roles: roles, kind: kind, compartment: compartment, fields: fields, policy: then.policy) else {
            let held = then.role(of: writer)?.withArticle ?? "not a member"
            throw VaultError.integrity("\(name) were written by \(writer), whose role may not write them (at governance entry \(position.length), when audit event \(write.sequence) wrote them, \(writer) was \(held))")
        }
        // A family's claim is confirmed by a second person, not by the member who recorded it.
        if kind == .identification, write.action == "identification.confirm", let added = writes["identification/" + id], added.actor == write.actor {
            throw VaultError.integrity("\(name): identification \(id) was confirmed by \(writer), who recorded it (a second person confirms a claim)")
        }
        guard write.actor == writer else {
            throw VaultError.integrity("\(name) carry the signature of \(writer), but audit event \(write.sequence) was written by \(write.actor)")
        }
        try AuditLog.checkPosition(position, ofEvent: write.sequence, db, vaultID: current.vaultID, chainLength: current.chainLength)
        // Positions never go back: the event must not claim an earlier one than the event it follows.
        if write.sequence > 1, let previous = try AuditEventRow.fetchOne(db, key: Int64(write.sequence - 1)),
           let before = try? AuditEvent(leaf: Array(previous.leaf)), let earlier = before.governance, earlier.length > position.length {
            throw VaultError.integrity("\(name): audit event \(write.sequence) claims governance entry \(position.length), before the event it follows (\(earlier.length))")
        }
    }
}
