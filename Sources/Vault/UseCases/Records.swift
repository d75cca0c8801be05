import VaultPlatform
import VaultPolicy
import Foundation
import GRDB
import VaultCrypto
import VaultStore
import VaultGovernance

extension Session {
    /// Seals a new case or witness record. Needs only public keys and index keys: a collector can add what it
    /// cannot read back. Appends `case.add` / `witness.add` in the same transaction.
    /// - Throws: `VaultError.notPermitted` for roles that may not add records, `VaultError.invalidInput` for a
    ///   duplicate id, database errors.
    public func addRecord(kind: RecordKind, input: RecordInput) throws {
        if let error = try addRecords(kind: kind, inputs: [input]).first ?? nil { throw error }
    }

    /// Seals many records in one transaction, each in its own savepoint: a refused record is rolled back and
    /// reported, the others are kept. Returns, per input, nil or the error that refused it.
    public func addRecords(kind: RecordKind, inputs: [RecordInput]) throws -> [Error?] {
        guard kind == .case || kind == .witness else { throw VaultError.invalidInput("records", "not case or witness records") }
        var outcomes: [Error?] = []
        try write { db in
            for input in inputs {
                do {
                    try check(kind: kind, input: input)
                    try db.inSavepoint {
                        try insertRecord(kind: kind, input: input, db: db)
                        return .commit
                    }
                    outcomes.append(nil)
                } catch let error as DatabaseError {
                    throw error   // the transaction itself failed: nothing is kept
                } catch {
                    outcomes.append(error)
                }
            }
        }
        return outcomes
    }

    /// The checks that need no database write: identifiers, known protective measures, policy.
    func check(kind: RecordKind, input: RecordInput) throws {
        try Identifier.validate(input.id, field: kind.identifierName)
        // Nothing new is tied to a witness who withdrew their consent (it would escape the shredding).
        if case let .text(by)? = input.fields["identifiedBy"], vault.state.consentWithdrawn.contains(by) {
            throw VaultError.invalidInput(input.label + " field identifiedBy", "witness \(by) withdrew their consent: nothing new is recorded about them")
        }
        if case let .text(level)? = input.fields["classification"], !vault.state.policy.classifications.contains(level) {
            throw VaultError.invalidInput(input.label + " field classification",
                                          "\(level) is not a classification of the policy (known: \(vault.state.policy.classifications.joined(separator: ", ")))")
        }
        if kind == .witness, case let .list(measures)? = input.fields["protectiveMeasures"] {
            let known = vault.state.policy.measures
            for measure in measures where known[measure] == nil {
                throw VaultError.invalidInput(input.label + " field protectiveMeasures",
                                              "\(measure) is not a protective measure of the policy (known: \(known.keys.sorted().joined(separator: ", ")))")
            }
        }
        let specs = kind.storedFields
        let compartments = Set(input.fields.keys.compactMap { name in specs.first { $0.name == name }?.compartment }).union([.case])
        try require(.ingest, Resource(compartments: compartments, label: "\(kind.rawValue) \(input.id)",
                                      caseID: kind == .case ? input.id : nil))
        if kind == .witness && (input.fields["consent"] != nil || input.fields["protectiveMeasures"] != nil) {
            try require(.recordConsent, Resource(compartments: [.case], label: "witness \(input.id)"))
        }
    }

    func insertRecord(kind: RecordKind, input: RecordInput, db: Database) throws {
        if try RecordRow.find(kind: kind.rawValue, id: input.id, db) != nil {
            throw VaultError.invalidInput(input.label, "\(kind.rawValue) \(input.id) exists already")
        }
        try RecordCodec.insert(kind: kind, id: input.id, fields: input.fields, vaultID: vault.vaultID, state: vault.state,
                               createdAt: Clock.nowMilliseconds(), signer: identity, db: db)
        for (indexKind, field, compartment) in BlindIndex.indexedFields where indexKind == kind {
            // A writer who does not hold the index key leaves the record to be indexed by the first member who
            // does (`indexPendingRecords`).
            guard case let .text(value)? = input.fields[field],
                  try keyRing.holds("index", of: compartment, generation: generation(compartment), db: db) else { continue }
            let key = try keyRing.key("index", of: compartment, generation: generation(compartment), db: db)
            try BlindIndexRow(kind: kind.rawValue, field: field,
                              token: Data(BlindIndex.token(kind: kind, field: field, value: value, indexKey: key)),
                              recordID: input.id).insert(db)
        }
        try audit(db, action: kind.rawValue + ".add", objects: [input.id])
    }

    /// The ids of all records of `kind`, sorted. Ids are labels, not sealed content.
    public func recordIDs(kind: RecordKind) throws -> [String] {
        try vault.database.queue.read { db in
            try RecordRow.ids(kind: kind.rawValue, db)
        }
    }

    /// Opens a record with the member's keys (fields of compartments they do not hold are listed as withheld)
    /// and audits the read (`case.view` / `witness.view`).
    /// - Throws: `VaultError.notFound`; `VaultError.notPermitted` when no field at all can be opened.
    public func showRecord(kind: RecordKind, id: String) throws -> RecordCodec.Opened {
        try require(.view, Resource(compartments: [.case], label: "\(kind.rawValue) \(id)", caseID: kind == .case ? id : nil))
        return try write { db in
            let opened = filteredByPolicy(try RecordCodec.open(kind: kind, id: id, vaultID: vault.vaultID, keyRing: keyRing, db: db),
                                          kind: kind, caseID: kind == .case ? id : nil)
            if opened.fields.isEmpty && !opened.withheld.isEmpty {
                throw VaultError.notPermitted("you hold no key for the fields of \(kind.rawValue) \(id)")
            }
            try audit(db, action: kind.rawValue + ".view", objects: [id])
            return opened
        }
    }

    /// Moves the fields of compartments the policy does not let this member view (for this case) from the
    /// opened fields to the withheld ones: holding a key is necessary, not sufficient.
    func filteredByPolicy(_ opened: RecordCodec.Opened, kind: RecordKind, caseID: String?) -> RecordCodec.Opened {
        var result = opened
        let specs = kind.storedFields
        var allowed: [Compartment: Bool] = [:]
        for (name, _) in opened.fields {
            guard let compartment = specs.first(where: { $0.name == name })?.compartment else { continue }
            if allowed[compartment] == nil {
                allowed[compartment] = vault.state.policy.decide(subject, .view, Resource(compartments: [compartment], label: "\(kind.rawValue) \(opened.id)",
                                                                                          caseID: caseID)).isPermit
            }
            if allowed[compartment] == false {
                result.fields[name] = nil
                result.withheld.append(name)
            }
        }
        result.withheld.sort()
        return result
    }

    /// Gives a token to every record of an indexed field that has none (written by a member without the
    /// index key) or one of an earlier length, where this member holds the field's index and secret keys:
    /// the value's token, or, for a record without a value, the token of a random value (so that no one can
    /// tell which records have no value). Audited as `record.index` naming the records, at most 1,000 per
    /// event. Cheap when nothing is pending (one read). Records that do not open, or whose field this
    /// member's keys do not open, are skipped and stay pending.
    /// - Returns: the number of records indexed.
    /// - Throws: database errors.
    @discardableResult
    public func indexPendingRecords() throws -> Int {
        let pending = try vault.database.queue.read { db -> [(RecordKind, String, Compartment, [String])] in
            var pending: [(RecordKind, String, Compartment, [String])] = []
            for (kind, field, compartment) in BlindIndex.indexedFields {
                let generation = generation(compartment)
                guard try keyRing.holds("index", of: compartment, generation: generation, db: db),
                      try keyRing.holds("secret", of: compartment, generation: generation, db: db) else { continue }
                let ids = try BlindIndexRow.recordIDsNeedingToken(kind: kind.rawValue, field: field, tokenBytes: BlindIndex.tokenBytes, db)
                if !ids.isEmpty { pending.append((kind, field, compartment, ids)) }
            }
            return pending
        }
        var count = 0
        for (kind, field, compartment, ids) in pending {
            for start in stride(from: 0, to: ids.count, by: 1_000) {
                count += try write { db -> Int in
                    let key = try keyRing.key("index", of: compartment, generation: generation(compartment), db: db)
                    var indexed: [String] = []
                    for id in ids[start..<min(start + 1_000, ids.count)] {
                        guard let opened = try? RecordCodec.open(kind: kind, id: id, vaultID: vault.vaultID, keyRing: keyRing, db: db),
                              !opened.withheld.contains(field) else { continue }
                        let value: String
                        if case let .text(text)? = opened.fields[field] { value = text } else { value = Hex.encode(Random.bytes(16)) }
                        try BlindIndexRow.deleteAll(kind: kind.rawValue, field: field, recordID: id, db)
                        try BlindIndexRow(kind: kind.rawValue, field: field, token: Data(BlindIndex.token(kind: kind, field: field, value: value, indexKey: key)),
                                          recordID: id).insert(db)
                        indexed.append(kind.rawValue + "/" + id)
                    }
                    if !indexed.isEmpty { try audit(db, action: "record.index", objects: indexed) }
                    return indexed.count
                }
            }
        }
        return count
    }

    /// Witnesses whose legal name matches what a person typed (`NameSearch`: Arabic letter variants,
    /// diacritics and tatweel, digits, spaces, words in any order, word prefixes), found by opening every
    /// witness record the reader may read and matching in memory: no blind-index token is made or read for it.
    /// Audited as `witness.search` with the matching pseudonyms (never the query).
    /// - Throws: `VaultError.notPermitted` without the identity key or the policy's leave to view it; database
    ///   errors.
    public func searchWitnesses(name: String) throws -> [String] {
        try searchNames(kind: .witness, field: "legalName", query: name)
    }

    /// The ids of the `kind` records whose identity-compartment `field` matches `query` (`NameSearch`), each
    /// record opened and filtered by policy in memory; audited as `KIND.search` with the matches only.
    private func searchNames(kind: RecordKind, field: String, query: String) throws -> [String] {
        try require(.view, Resource(compartments: [.identity], label: "\(kind.rawValue) search"))
        return try write { db in
            _ = try keyRing.key("secret", of: .identity, generation: generation(.identity), db: db)
            var matches: [String] = []
            for id in try RecordRow.ids(kind: kind.rawValue, db) {
                let opened = filteredByPolicy(try RecordCodec.open(kind: kind, id: id, vaultID: vault.vaultID, keyRing: keyRing, db: db),
                                              kind: kind, caseID: kind == .case ? id : nil)
                if case let .text(stored)? = opened.fields[field], NameSearch.matches(query, stored) { matches.append(id) }
            }
            try audit(db, action: kind.rawValue + ".search", objects: matches)
            return matches
        }
    }

    /// Cases whose identified name (`identifiedName`, set when a family's claim is confirmed) matches what a
    /// person typed, as `searchWitnesses` matches legal names: by opening the case records whose identity
    /// fields the reader may read, in memory; no token is made or read. Audited as `case.search` with the
    /// matching case ids (never the query).
    /// - Throws: `VaultError.notPermitted` without the identity key or the policy's leave to view it.
    public func searchCases(identifiedName name: String) throws -> [String] {
        try searchNames(kind: .case, field: "identifiedName", query: name)
    }

    /// The spellings of a searched value whose blind-index tokens are looked up: as typed, and with its inner
    /// white space removed, collapsed to one space, and set as one space around each `/` and `-` (numbers are
    /// written `3456/215` and `3456 / 215`). The tokens' own normalisation (`TextNormalisation`) does the rest.
    static func searchSpellings(_ value: String) -> [String] {
        let words = value.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        let joined = words.joined()
        var spaced = ""
        for character in joined {
            spaced += character == "/" || character == "-" ? " \(character) " : String(character)
        }
        var out: [String] = []
        for spelling in [value, joined, words.joined(separator: " "), spaced] where !out.contains(spelling) { out.append(spelling) }
        return out
    }

    /// Records of `kind` whose indexed `field` holds `value` as a person types it: looked up by the blind-index
    /// tokens of its spellings (`searchSpellings`), then each candidate opened and compared (normalised, white
    /// space ignored); when no token finds one, every record of the kind is opened and compared the same way.
    /// Audited as `KIND.search` with the matching ids.
    /// - Throws: `VaultError.invalidInput` for a field without a blind index; `VaultError.notPermitted` without
    ///   the compartment's index and secret keys.
    public func search(kind: RecordKind, field: String, value: String) throws -> [String] {
        guard let (_, _, compartment) = BlindIndex.indexedFields.first(where: { $0.0 == kind && $0.1 == field }) else {
            throw VaultError.invalidInput(field, "is not a searchable field")
        }
        try require(.view, Resource(compartments: [compartment], label: "\(kind.rawValue) search"))
        // Records written by members without the index key are indexed first, so the search sees them.
        try indexPendingRecords()
        return try write { db in
            let indexKey = try keyRing.key("index", of: compartment, generation: generation(compartment), db: db)
            _ = try keyRing.key("secret", of: compartment, generation: generation(compartment), db: db)
            var candidates: Set<String> = []
            for spelling in Self.searchSpellings(value) {
                let token = BlindIndex.token(kind: kind, field: field, value: spelling, indexKey: indexKey)
                candidates.formUnion(try BlindIndexRow.recordIDs(kind: kind.rawValue, field: field, token: Data(token), db))
            }
            func key(_ text: String) -> String { String(TextNormalisation.matchKey(text).filter { !$0.isWhitespace }) }
            let wanted = key(value)
            func matching(_ ids: [String]) throws -> [String] {
                try ids.filter { id in
                    let opened = try RecordCodec.open(kind: kind, id: id, vaultID: vault.vaultID, keyRing: keyRing, db: db)
                    if case let .text(stored)? = opened.fields[field] { return key(stored) == wanted }
                    return false
                }
            }
            var matches = try matching(candidates.sorted())
            // None by token: the value may be stored with other inner spaces than any spelling tried, which its
            // token keeps. Then every record the member reads is opened and compared (as witness search does).
            if matches.isEmpty && !wanted.isEmpty {
                matches = try matching(try RecordRow.ids(kind: kind.rawValue, db).filter { !candidates.contains($0) })
            }
            try audit(db, action: kind.rawValue + ".search", objects: matches)
            return matches
        }
    }
}
