import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultPlatform
import VaultPolicy
import VaultStore

/// What an update did to one record.
public enum RecordUpdateOutcome: Equatable, Sendable {
    /// Fields of these compartments were written anew (`case.update` / `witness.update`).
    case updated([Compartment])
    /// Every named field already held the value given.
    case unchanged
}

/// One version of a record in its history: the fields an event wrote or cleared.
public struct RecordVersion: Sendable {
    /// The audit event that wrote it, its action and time (milliseconds since 1970).
    public var sequence: UInt64
    public var action: String
    public var time: Int64
    /// Who wrote it (key id hex): the event's signer, or for an event placed from an inbox the collector.
    public var writer: String
    /// Fields it set, by name, as this reader may read them.
    public var fields: [String: RecordCodec.Value]
    /// Fields it cleared.
    public var cleared: [String]
    /// Fields it set or cleared that this reader's role may not read, or whose key this reader does not hold.
    public var withheld: [String]
}

extension Session {
    /// Changes the named fields of existing case or witness records (`RecordInput.fields`; `cleared` empties
    /// a field), each record in its own savepoint of one transaction: a refused record is reported and the
    /// others kept. Each compartment an update touches is written whole again and signed by this member, who
    /// must read it (hold its key and be let view it) and whose role must be allowed to write every field it
    /// then holds (consent and protective measures: `record-consent`). Blind-index tokens of changed indexed
    /// fields are made again. Appends `case.update` / `witness.update` naming the record and the compartments.
    /// - Returns: per input, its outcome or the error that refused it.
    /// - Throws: `VaultError.invalidInput` for another kind than case or witness; database errors.
    public func updateRecords(kind: RecordKind, inputs: [RecordInput]) throws -> [Result<RecordUpdateOutcome, Error>] {
        guard kind == .case || kind == .witness else { throw VaultError.invalidInput("records", "not case or witness records") }
        var outcomes: [Result<RecordUpdateOutcome, Error>] = []
        try write { db in
            for input in inputs {
                do {
                    var outcome = RecordUpdateOutcome.unchanged
                    try db.inSavepoint {
                        outcome = try updateRecord(kind: kind, input: input, db: db)
                        return .commit
                    }
                    outcomes.append(.success(outcome))
                } catch let error as DatabaseError {
                    throw error
                } catch {
                    outcomes.append(.failure(error))
                }
            }
        }
        return outcomes
    }

    /// - Parameter identification: the update a confirmation or withdrawal of a family's claim makes; only it
    ///   changes a case's `identificationStatus`, `identifiedName` and `identifiedBy`.
    func updateRecord(kind: RecordKind, input: RecordInput, identification: Bool = false, db: Database) throws -> RecordUpdateOutcome {
        guard try RecordRow.find(kind: kind.rawValue, id: input.id, db) != nil else { throw VaultError.notFound(kind.rawValue, input.id) }
        if kind == .witness, vault.state.consentWithdrawn.contains(input.id) {
            throw VaultError.invalidInput(input.label, "witness \(input.id) withdrew their consent: nothing new is recorded about them")
        }
        let identificationFields: Set<String> = ["identificationStatus", "identifiedName", "identifiedBy"]
        if kind == .case, !identification, let field = Set(input.fields.keys).union(input.cleared).intersection(identificationFields).sorted().first {
            throw VaultError.invalidInput(input.label + " field \(field)",
                                          "a case's identification changes only through a family's claim (amanah identification confirm or withdraw)")
        }
        let specs = kind.storedFields
        let named = Set(input.fields.keys).union(input.cleared)
        guard !named.isEmpty else { throw VaultError.invalidInput(input.label, "names no field to change") }
        if let both = input.cleared.intersection(input.fields.keys).first {
            throw VaultError.invalidInput(input.label + " field \(both)", "is both given and cleared")
        }
        try check(kind: kind, input: RecordInput(label: input.label, id: input.id, fields: input.fields))
        let compartments = Set(named.compactMap { name in specs.first { $0.name == name }?.compartment })
        for compartment in compartments {
            // An update merges into what is recorded, so it needs reading it: say so, since the command writes.
            do {
                try require(.view, Resource(compartments: [compartment], label: "\(kind.rawValue) \(input.id)", caseID: kind == .case ? input.id : nil))
            } catch VaultError.notPermitted(let why) {
                throw VaultError.notPermitted("updating \(kind.rawValue) \(input.id) merges into its recorded \(compartment.rawValue) fields, which needs reading them (\(why)); a role that only adds records adds new ones")
            }
        }
        if kind == .witness && !named.isDisjoint(with: ["consent", "protectiveMeasures"]) {
            try require(.recordConsent, Resource(compartments: [.case], label: "witness \(input.id)"))
        }
        let opened = try RecordCodec.open(kind: kind, id: input.id, vaultID: vault.vaultID, keyRing: keyRing, db: db)
        var changed: [Compartment] = []
        for compartment in Compartment.allCases where compartments.contains(compartment) {
            let names = Set(specs.filter { $0.compartment == compartment }.map(\.name))
            if let hidden = opened.withheld.first(where: { names.contains($0) }) {
                throw VaultError.notPermitted("you hold no key for the \(compartment.rawValue) fields of \(kind.rawValue) \(input.id) (\(hidden)), which an update signs again")
            }
            let before = opened.fields.filter { names.contains($0.key) }
            var after = before
            for (name, value) in input.fields where names.contains(name) { after[name] = value }
            for name in input.cleared where names.contains(name) { after[name] = nil }
            guard after != before else { continue }
            if case let .text(identifiedBy)? = opened.fields["identifiedBy"], vault.state.consentWithdrawn.contains(identifiedBy), compartment == .identity {
                throw VaultError.invalidInput(input.label, "witness \(identifiedBy), who identified this case, withdrew their consent: its identity fields are not written again")
            }
            // Lowering or clearing a classification is a release decision: a role that may approve releases.
            if case let .text(was)? = before["classification"], before["classification"] != after["classification"] {
                let levels = vault.state.policy.classifications
                let now = after["classification"].flatMap { if case let .text(level) = $0 { return levels.firstIndex(of: level) } else { return nil } } ?? -1
                if now < (levels.firstIndex(of: was) ?? levels.count) {
                    try require(.approve, Resource(compartments: [compartment], label: "lowering the classification of \(kind.rawValue) \(input.id)",
                                                   caseID: kind == .case ? input.id : nil))
                }
            }
            guard RecordCodec.mayWrite(writer: identity.keyIDHex, roles: vault.state.role(of: identity.keyIDHex).map { [$0] } ?? [], kind: kind,
                                       compartment: compartment, fields: Set(after.keys), policy: vault.state.policy) else {
                throw VaultError.notPermitted("your role may not write the \(compartment.rawValue) fields of \(kind.rawValue) \(input.id) (\(after.keys.sorted().joined(separator: ", "))), which an update signs again")
            }
            try RecordCodec.rewrite(kind: kind, id: input.id, compartment: compartment, fields: after, vaultID: vault.vaultID, state: vault.state,
                                    signer: identity, keyRing: keyRing, db: db)
            changed.append(compartment)
            // Tokens of the indexed fields that changed, made again (a random value's for a cleared one).
            for (indexKind, field, indexCompartment) in BlindIndex.indexedFields where indexKind == kind && indexCompartment == compartment && after[field] != before[field] {
                guard try keyRing.holds("index", of: compartment, generation: generation(compartment), db: db) else { continue }
                let key = try keyRing.key("index", of: compartment, generation: generation(compartment), db: db)
                let value: String
                if case let .text(text)? = after[field] { value = text } else { value = Hex.encode(Random.bytes(16)) }
                try BlindIndexRow.deleteAll(kind: kind.rawValue, field: field, recordID: input.id, db)
                try BlindIndexRow(kind: kind.rawValue, field: field, token: Data(BlindIndex.token(kind: kind, field: field, value: value, indexKey: key)),
                                  recordID: input.id).insert(db)
            }
        }
        guard !changed.isEmpty else { return .unchanged }
        try audit(db, action: kind.rawValue + ".update", objects: [input.id] + changed.map(\.rawValue))
        return .updated(changed)
    }

    /// Every version of a record, oldest first: what its `add` event and each `update` wrote, with who and
    /// when, as far as this member reads (fields of a compartment whose key they do not hold, or that the
    /// policy does not let them view, are named as withheld). Audited as `<kind>.history`.
    /// - Throws: `VaultError.notFound`; `VaultError.notPermitted` when the policy does not let this member view
    ///   the record; database errors.
    public func recordHistory(kind: RecordKind, id: String) throws -> [RecordVersion] {
        try require(.view, Resource(compartments: [.case], label: "\(kind.rawValue) \(id)", caseID: kind == .case ? id : nil))
        return try write { db in
            guard try RecordRow.find(kind: kind.rawValue, id: id, db) != nil else { throw VaultError.notFound(kind.rawValue, id) }
            let specs = kind.storedFields
            var readable: [Compartment: Bool] = [:]
            for compartment in Compartment.allCases {
                readable[compartment] = vault.state.policy.decide(subject, .view, Resource(compartments: [compartment], label: "\(kind.rawValue) \(id)",
                                                                                           caseID: kind == .case ? id : nil)).isPermit
            }
            // Data keys by compartment as the versions go; the current one when an older does not open.
            var keys: [Compartment: SecretBox] = [:]
            var current: [Compartment: SecretBox?] = [:]   // opened once per compartment, when first needed
            func currentKey(_ compartment: Compartment) -> SecretBox? {
                if let known = current[compartment] { return known }
                let key = try? RecordCodec.dataKey(kind: kind, id: id, compartment: compartment, keyRing: keyRing, db: db)
                current[compartment] = .some(key)
                return key
            }
            var fieldOfRow: [Int64: String] = [:]
            var versions: [RecordVersion] = []
            let authored = try AuthoredEventRow.fetchAll(db)
            let collectors = Dictionary(authored.compactMap { row in (try? AuditEvent(leaf: Array(row.leaf))).map { (row.event, Hex.encode($0.actor)) } },
                                        uniquingKeysWith: { a, _ in a })
            for event in try AuditLog.events(db, actions: [kind.rawValue + ".add", kind.rawValue + ".update"]) where event.objects.first == id {
                guard let body = try EntryRow.find(event: Int64(event.sequence), db) else { continue }
                let entry = try IndexEntry(encoding: Array(body.body), detachedValue: { try EntryValueRow.value(hash: $0, db) })
                var version = RecordVersion(sequence: event.sequence, action: event.action, time: event.time,
                                            writer: collectors[Int64(event.sequence)] ?? Hex.encode(event.actor), fields: [:], cleared: [], withheld: [])
                for change in entry.changes where change.table == "recordKey" {
                    guard let columns = change.columns, let name = EntryScope.text(columns, "compartment"), let compartment = Compartment(rawValue: name),
                          case let .detached(_, sealed?)? = columns.first(where: { $0.name == "sealedKey" })?.value,
                          case let .integer(generation)? = columns.first(where: { $0.name == "generation" })?.value,
                          let secret = try? keyRing.key("secret", of: compartment, generation: generation, db: db),
                          let row = try CompartmentRow.find(name: name, generation: generation, db),
                          let key = try? SealedBox.open(sealed, publicKey: Array(row.publicKey), secretKey: secret.bytes) else { continue }
                    keys[compartment] = SecretBox(key)
                }
                var written = Set<String>()
                for change in entry.changes where change.table == "recordField" {
                    if let columns = change.columns {
                        guard let field = EntryScope.text(columns, "field") else { continue }
                        fieldOfRow[change.rowID] = field
                        written.insert(field)
                        guard !field.hasPrefix("_"), let compartment = specs.first(where: { $0.name == field })?.compartment else { continue }
                        guard readable[compartment] == true, case let .blob(ciphertext)? = columns.first(where: { $0.name == "ciphertext" })?.value,
                              let value = keys[compartment].flatMap({ RecordCodec.openField(ciphertext, kind: kind, id: id, field: field, key: $0, vaultID: vault.vaultID) })
                                ?? currentKey(compartment).flatMap({ RecordCodec.openField(ciphertext, kind: kind, id: id, field: field, key: $0, vaultID: vault.vaultID) }) else {
                            version.withheld.append(field)
                            continue
                        }
                        version.fields[field] = value
                    }
                }
                // A field whose row this event deleted without writing it again was cleared.
                for change in entry.changes where change.table == "recordField" && change.columns == nil {
                    guard let field = fieldOfRow[change.rowID], !written.contains(field), !field.hasPrefix("_") else { continue }
                    version.cleared.append(field)
                }
                version.cleared.sort()
                version.withheld.sort()
                versions.append(version)
            }
            try audit(db, action: kind.rawValue + ".history", objects: [id])
            return versions
        }
    }
}
