internal import VaultText
import VaultAudit
import VaultGovernance
import VaultPolicy
import VaultStore

/// What the entry of each kind of audit event may change, so that a member signing an event cannot change
/// rows beyond what that event does in Amanah: a collector's `case.add` cannot carry the deletion of key
/// wraps or recovery shares, a region event cannot move an item, and an event whose action Amanah never
/// writes with an entry (a view, an export, a proposal) cannot carry one.
///
/// "Inserts" are rows with row ids no earlier entry left in place (never an overwrite), and the replay
/// refuses a row that would displace another on a unique key (`IndexReplay`).
/// - `vault.init` (the genesis initiator): inserts into `vaultMeta`, `compartment`, `keyWrap`, `recoveryShare`.
/// - `case.add`, `witness.add`: inserts of the named records (`record`, `recordKey`, `recordField`,
///   `blindIndex` rows of that kind whose id is an object of the event).
/// - `item.ingest`, `item.source-add`: inserts of the item row (ingest), its source links, and the item and
///   source records they name; the signer's role at the event's position may ingest.
/// - `item.source-pending`: inserts of a pending source's row and its source record (a delivery by a role that
///   may not view items); `item.source-add` confirming it: that row's deletion and the item's new link.
/// - `region.add`: inserts of the region row (on the event's item) and the region record; the signer's role
///   may annotate.
/// - `disclosure.issue`, `disclosure.reissue`: `disclosure` rows.
/// - `governance.*`: only at the event where the governance chain grew by the entry it records (so a quorum
///   approved it): key material (`compartment`, `keyWrap`, `recoveryShare`, `vaultMeta`), re-sealed records
///   (`recordKey`, `recordField`, `blindIndex`, the `item` content tokens); `governance.withdraw-consent` also
///   deletes the named witness's identity data.
/// - `witness.shred` (a member completing a withdrawal): deletions of the identity halves of source and case
///   records, and the marker for the witness it names, whose consent was withdrawn at its position.
/// - `compartment.rotate`, `key.grant` (pending key work completed by a member): the same key material and
///   re-sealed records; `item.reencrypt`: the named item's row and records.
/// - `record.index` (a member holding the index key): blind-index rows of the records it names, added or
///   replaced.
/// - `vault.migrate`: a snapshot (checked by `IndexLog`).
package enum EntryScope {
    static let recordTables: Set<String> = ["record", "recordKey", "recordField", "blindIndex"]
    static let keyTables: Set<String> = ["compartment", "keyWrap", "recoveryShare", "vaultMeta"]

    /// Why `entry` goes beyond what `event` may change, or nil when it does not. `previous` is the governance
    /// position of the event before it (nil for the first); `history` the state at each chain length;
    /// `existing` the row an entry deletes, as the entries before it left it (a deletion names only its row id).
    /// `based` says whether the replay has a base yet: before it (a first-release vault not yet migrated) a
    /// row that an entry deletes may be unknown to the replay, and a re-indexing may replace it.
    package static func problem(_ entry: IndexEntry, event: AuditEvent, signer: String, previous: AuditEvent.GovernancePosition?,
                        history: [GovernanceState], based: Bool = true, existing: (String, Int64) -> [IndexEntry.Column]?) -> String? {
        let objects = event.objects
        let action = event.action
        func text(_ change: IndexEntry.Change, _ column: String) -> String? {
            Self.text(change.columns ?? existing(change.table, change.rowID), column)
        }
        func insertsOnly(_ tables: Set<String>) -> String? {
            if let change = entry.changes.first(where: { !tables.contains($0.table) }) {
                return "it changes table \(change.table), which \(withArticle(action)) event never changes"
            }
            if let change = entry.changes.first(where: { $0.columns == nil }) {
                return "it deletes a row of \(change.table), which \(withArticle(action)) event never does"
            }
            if let change = entry.changes.first(where: { existing($0.table, $0.rowID) != nil }) {
                return "it overwrites row \(change.rowID) of \(change.table), where \(withArticle(action)) event only adds rows"
            }
            return nil
        }
        /// Records (and their keys, fields, tokens) of the given kind and ids only.
        func recordsOnly(kind: String, ids: Set<String>) -> String? {
            for change in entry.changes where recordTables.contains(change.table) {
                let id = change.table == "record" ? text(change, "id") : text(change, "recordID")
                guard text(change, "kind") == kind, let id, ids.contains(id) else {
                    return "it writes a \(change.table) row of another record than the \(kind) its event names"
                }
            }
            return nil
        }
        /// The key ids (hex) of the members at `position`.
        func members(at position: AuditEvent.GovernancePosition) -> Set<String> {
            history[chainLength: position.length].map { Set($0.members.values.map { $0.key.keyIDHex }) } ?? []
        }
        func mayRead(_ compartment: Compartment) -> Bool {
            guard let position = event.governance, let state = history[chainLength: position.length] else { return false }
            guard let role = state.role(of: signer) else { return false }
            return state.policy.decide(Subject(keyID: signer, role: role), .view, Resource(compartments: [compartment], label: "entry")).isPermit
        }
        func role(permits wanted: Action) -> Bool {
            guard let position = event.governance, let state = history[chainLength: position.length] else { return false }
            guard let role = state.role(of: signer) else { return false }
            return state.policy.decide(Subject(keyID: signer, role: role), wanted, Resource(compartments: [.media], label: "entry")).isPermit
        }
        switch action {
        case "vault.init":
            return insertsOnly(keyTables)
        case "case.add", "witness.add":
            let kind = String(action.dropLast(4))
            // Tokens only from a writer who holds the index key (reads the field's compartment): a collector
            // cannot choose the token of its own record.
            for change in entry.changes where change.table == "blindIndex" {
                guard let indexed = BlindIndex.indexedFields.first(where: { $0.0.rawValue == kind && $0.1 == text(change, "field") }),
                      mayRead(indexed.2) else {
                    return "it writes a blind-index token its signer holds no index key for"
                }
            }
            return insertsOnly(recordTables) ?? recordsOnly(kind: kind, ids: Set(objects))
        case "case.update", "witness.update":
            // One record's fields, written anew by compartment by a member who reads that compartment and whose
            // role may write what it then holds; its data key only where the compartment had none; its tokens.
            let kind = String(action.dropLast(7))
            guard let recordID = objects.first, let position = event.governance, let state = history[chainLength: position.length],
                  let role = state.role(of: signer), let recordKind = RecordKind(rawValue: kind) else {
                return "its signer is not a member at its governance position, or it names no record"
            }
            if let change = entry.changes.first(where: { !["recordField", "recordKey", "blindIndex"].contains($0.table) }) {
                return "it changes table \(change.table), which \(withArticle(action)) event never changes"
            }
            if let change = entry.changes.first(where: { $0.table == "recordKey" && ($0.columns == nil || existing($0.table, $0.rowID) != nil) }) {
                return "it deletes or replaces a data key (row \(change.rowID) of recordKey), where an update only adds one for a compartment without fields"
            }
            for change in entry.changes where change.table == "blindIndex" {
                guard let indexed = BlindIndex.indexedFields.first(where: { $0.0.rawValue == kind && $0.1 == text(change, "field") }), mayRead(indexed.2) else {
                    return "it writes a blind-index token its signer holds no index key for"
                }
            }
            var fields: [Compartment: Set<String>] = [:]
            for change in entry.changes where change.table == "recordField" {
                guard let name = text(change, "compartment"), let compartment = Compartment(rawValue: name), let field = text(change, "field") else {
                    return "it writes a record field without a compartment"
                }
                // A field deleted counts as one written: clearing consent needs what writing it needs.
                if !field.hasPrefix("_") { fields[compartment, default: []].insert(field) } else { fields[compartment, default: []].formUnion([]) }
            }
            if kind == "witness", state.consentWithdrawn.contains(recordID) {
                return "it writes the record of witness \(recordID), who withdrew their consent: nothing new is recorded about them"
            }
            for (compartment, names) in fields {
                guard mayRead(compartment),
                      RecordCodec.mayWrite(writer: signer, roles: [role], kind: recordKind, compartment: compartment, fields: names, policy: state.policy) else {
                    return "its signer's role at governance entry \(position.length) may not write the \(compartment.rawValue) fields of \(kind) \(recordID)"
                }
            }
            return recordsOnly(kind: kind, ids: [recordID])
        case "item.source-pending":
            guard let sourceID = objects.first else { return "its event names no source" }
            guard role(permits: .ingest) else { return "its signer's role at governance entry \(event.governance?.length ?? 0) may not ingest" }
            if let problem = insertsOnly(["pendingSource", "record", "recordKey", "recordField"]) { return problem }
            if entry.changes.contains(where: { $0.table == "pendingSource" && text($0, "sourceID") != sourceID }) {
                return "it records another pending source than \(sourceID)"
            }
            return recordsOnly(kind: "source", ids: [sourceID])
        case "item.source-reject":
            guard role(permits: .view) else { return "its signer's role may not view items, so it cannot reject a delivery" }
            guard let sourceID = objects.first, entry.changes.count == 1, let change = entry.changes.first, change.table == "pendingSource",
                  change.columns == nil, Self.text(existing(change.table, change.rowID), "sourceID") == sourceID else {
                return "it changes more than the pending row of the source it names"
            }
            return nil
        case "item.source-add" where entry.changes.contains(where: { $0.table == "pendingSource" }):
            // A pending delivery confirmed: its pending row goes, its link comes; the source record stays.
            guard let itemID = objects.first else { return "its event names no item" }
            guard role(permits: .ingest) && role(permits: .view) else {
                return "its signer's role at governance entry \(event.governance?.length ?? 0) may not confirm a delivery"
            }
            for change in entry.changes {
                switch (change.table, change.columns == nil) {
                case ("pendingSource", true): continue
                case ("itemSource", false) where text(change, "itemID") == itemID && existing(change.table, change.rowID) == nil: continue
                default: return "it changes more than a pending source's row and its link to \(itemID)"
                }
            }
            let confirmed = Set(entry.changes.filter { $0.table == "pendingSource" }.compactMap { text($0, "sourceID") })
            let linked = Set(entry.changes.filter { $0.table == "itemSource" }.compactMap { text($0, "sourceID") })
            return confirmed == linked ? nil : "it links another source than the pending one it removes"
        case "item.ingest", "item.source-add":
            guard let itemID = objects.first else { return "its event names no item" }
            guard role(permits: .ingest) else { return "its signer's role at governance entry \(event.governance?.length ?? 0) may not ingest" }
            // A further source is attached only by a role that may view items (issue 16): others leave a
            // pending source.
            if action == "item.source-add" && !role(permits: .view) {
                return "its signer's role at governance entry \(event.governance?.length ?? 0) may not view items, so it cannot attach a source to one"
            }
            let tables: Set<String> = action == "item.ingest" ? ["item", "itemSource", "record", "recordKey", "recordField"]
                                                              : ["itemSource", "record", "recordKey", "recordField"]
            if let problem = insertsOnly(tables) { return problem }
            if entry.changes.contains(where: { ($0.table == "item" && text($0, "id") != itemID) || ($0.table == "itemSource" && text($0, "itemID") != itemID) }) {
                return "it writes the rows of another item than \(itemID)"
            }
            let sources = Set(entry.changes.filter { $0.table == "itemSource" }.compactMap { text($0, "sourceID") })
            for change in entry.changes where recordTables.contains(change.table) {
                let kind = text(change, "kind"), id = change.table == "record" ? text(change, "id") : text(change, "recordID")
                guard (kind == "item" && id == itemID && action == "item.ingest") || (kind == "source" && id.map(sources.contains) == true) else {
                    return "it writes a \(change.table) row of another record than the item and the sources it links"
                }
            }
            return nil
        case "region.add":
            guard objects.count >= 3 else { return "its event names no region" }
            guard role(permits: .annotate) else { return "its signer's role at governance entry \(event.governance?.length ?? 0) may not mark regions" }
            if let problem = insertsOnly(["region", "record", "recordKey", "recordField"]) { return problem }
            if entry.changes.contains(where: { $0.table == "region" && (text($0, "id") != objects[2] || text($0, "itemID") != objects[0]) }) {
                return "it writes another region than \(objects[2]) on item \(objects[0])"
            }
            return recordsOnly(kind: "region", ids: [objects[2]])
        case "identification.add", "identification.confirm", "identification.withdraw":
            // One claim's record, sealed in the identity compartment, by a member whose role may write it.
            guard let claimID = objects.first, let position = event.governance, let state = history[chainLength: position.length],
                  let role = state.role(of: signer),
                  RecordCodec.mayWrite(writer: signer, roles: [role], kind: .identification, compartment: .identity, fields: [], policy: state.policy) else {
                return "its signer's role at governance entry \(event.governance?.length ?? 0) may not write identity fields"
            }
            if action == "identification.add" { return insertsOnly(recordTables) ?? recordsOnly(kind: "identification", ids: [claimID]) }
            guard mayRead(.identity) else { return "its signer holds no identity key, so it cannot write a claim anew" }
            if let change = entry.changes.first(where: { $0.table != "recordField" }) {
                return "it changes table \(change.table), which \(withArticle(action)) event never changes"
            }
            return recordsOnly(kind: "identification", ids: [claimID])
        case "item.classify":
            // The item's record written again with its classification, by a member who reads media and may ingest.
            guard let itemID = objects.first else { return "its event names no item" }
            guard role(permits: .ingest), mayRead(.media) else {
                return "its signer's role at governance entry \(event.governance?.length ?? 0) may not write the media fields of item \(itemID)"
            }
            if let change = entry.changes.first(where: { $0.table != "recordField" }) {
                return "it changes table \(change.table), which an item.classify event never changes"
            }
            return recordsOnly(kind: "item", ids: [itemID])
        case "region.remove":
            // The region's record written again with its removal; nothing else.
            guard objects.count >= 3 else { return "its event names no region" }
            let recordsConsent = event.governance.flatMap { history[chainLength: $0.length] }.flatMap { state in
                state.role(of: signer).map { state.policy.decide(Subject(keyID: signer, role: $0), .recordConsent, Resource(compartments: [.case], label: "entry")).isPermit }
            } ?? false
            guard role(permits: .annotate) || recordsConsent else {
                return "its signer's role at governance entry \(event.governance?.length ?? 0) may not mark regions"
            }
            if let change = entry.changes.first(where: { $0.table != "recordField" }) {
                return "it changes table \(change.table), which a region.remove event never changes"
            }
            return recordsOnly(kind: "region", ids: [objects[2]])
        case "disclosure.issue", "disclosure.reissue":
            return insertsOnly(["disclosure"])
        case _ where action.hasPrefix("governance."):
            guard let position = event.governance, position.length >= 1, previous.map({ $0.length + 1 == position.length }) ?? true else {
                return "a governance event carries an entry only where the chain grows by the entry it records, which it does not here"
            }
            return Self.keyWork(entry, withdrawn: action == "governance.withdraw-consent" ? Set(objects) : [], members: members(at: position),
                                existing: existing)
        case "witness.shred":
            // The identity halves of source and case records, and the marker for the withdrawn witness named.
            guard let pseudonym = objects.first, let position = event.governance, let state = history[chainLength: position.length],
                  state.consentWithdrawn.contains(pseudonym) else {
                return "it destroys identity data for a witness whose consent was not withdrawn"
            }
            guard let signerRole = state.role(of: signer),
                  state.policy.decide(Subject(keyID: signer, role: signerRole), .view, Resource(compartments: [.case], label: "entry")).isPermit else {
                return "its signer's role may not read whose records these are"
            }
            // At most one marker (none while a record could not be read), new, for the witness named.
            let markers = entry.changes.filter { $0.table == "vaultMeta" }
            if let marker = markers.first {
                guard markers.count == 1, marker.columns != nil, text(marker, "key") == VaultMetaRow.shreddedName(pseudonym: pseudonym),
                      existing(marker.table, marker.rowID) == nil else {
                    return "it records the destruction of the identity data tied to \(pseudonym) more than once or wrongly"
                }
            }
            for change in entry.changes {
                if change.table == "vaultMeta" { continue }
                let row = existing(change.table, change.rowID)
                guard change.columns == nil, ["recordKey", "recordField"].contains(change.table), Self.text(row, "compartment") == "identity",
                      ["source", "case"].contains(Self.text(row, "kind") ?? "") else {
                    return "it changes more than the identity data of source and case records"
                }
            }
            return nil
        case "compartment.rotate", "key.grant":
            // Key work is done by a member who holds a compartment key (secret or index) at the event's position.
            guard let position = event.governance, let state = history[chainLength: position.length],
                  let signerRole = state.role(of: signer), !state.heldCompartments(signerRole).isEmpty else {
                return "its signer holds no compartment key at governance entry \(event.governance?.length ?? 0), so it does no key work"
            }
            return Self.keyWork(entry, withdrawn: [], members: members(at: position), existing: existing)
        case "item.reencrypt":
            guard let itemID = objects.first else { return "its event names no item" }
            if let change = entry.changes.first(where: { !["item", "recordKey", "recordField"].contains($0.table) }) {
                return "it changes table \(change.table), which an item.reencrypt event never changes"
            }
            if entry.changes.contains(where: { $0.table == "item" && ($0.columns == nil || text($0, "id") != itemID) }) {
                return "it changes another item row than \(itemID), or deletes it"
            }
            return recordsOnly(kind: "item", ids: [itemID])
        case "record.index":
            // Tokens of the records it names, by a member who reads the field's compartment (who holds its
            // index key): new blind-index rows of an indexed field, one byte each, and the removal of earlier
            // ones.
            let named = Set(objects)
            for change in entry.changes {
                if !based && change.table == "blindIndex" && change.columns == nil && existing(change.table, change.rowID) == nil { continue }
                let row = change.columns ?? existing(change.table, change.rowID)
                guard change.table == "blindIndex", let kind = Self.text(row, "kind"), let id = Self.text(row, "recordID"),
                      named.contains(kind + "/" + id), change.columns == nil || existing(change.table, change.rowID) == nil else {
                    return "it changes more than the blind-index rows of the records it names"
                }
                guard let indexed = BlindIndex.indexedFields.first(where: { $0.0.rawValue == kind && $0.1 == Self.text(row, "field") }),
                      mayRead(indexed.2) else {
                    return "its signer may not read the field it indexes"
                }
                if change.columns != nil, case let .blob(token)? = change.columns?.first(where: { $0.name == "token" })?.value,
                   token.count != BlindIndex.tokenBytes {
                    return "it writes a token of \(token.count) bytes, not \(BlindIndex.tokenBytes)"
                }
            }
            return nil
        case "vault.migrate":
            return nil   // a snapshot: `IndexLog` admits it only as the log's first entry, signed by a custodian
        default:
            return "\(withArticle(action)) event never carries an index entry"
        }
    }

    package static func text(_ columns: [IndexEntry.Column]?, _ column: String) -> String? {
        guard case let .text(bytes)? = columns?.first(where: { $0.name == column })?.value else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Key material and re-sealed records: `compartment`, `item` and `record` rows are never deleted, record
    /// fields and keys only those of the identity compartment of the witnesses in `withdrawn` (crypto-shredding
    /// when a quorum applies a consent withdrawal).
    /// `members`: the key ids (hex) of the members at the event's governance position. Key work deletes a
    /// member's own wrap only of a generation older than one the same entry makes for that compartment (a
    /// rotation); it deletes shares, stale recovery wraps and the wraps of whoever is no longer a member.
    private static func keyWork(_ entry: IndexEntry, withdrawn: Set<String>, members: Set<String>,
                                existing: (String, Int64) -> [IndexEntry.Column]?) -> String? {
        var newest: [String: Int64] = [:]   // the newest generation the entry makes, by compartment
        for change in entry.changes where change.table == "compartment" && change.columns != nil {
            if let name = text(change.columns, "name"), case let .integer(generation)? = change.columns?.first(where: { $0.name == "generation" })?.value {
                newest[name] = max(newest[name] ?? 0, generation)
            }
        }
        for change in entry.changes {
            guard keyTables.contains(change.table) || recordTables.contains(change.table) || change.table == "item" else {
                return "it changes table \(change.table), which key work never changes"
            }
            if change.table == "item" {
                // Key work re-keys an item's content token and nothing else of it: never a new item, never its
                // case, sequence, blob or size.
                guard let columns = change.columns, let before = existing(change.table, change.rowID) else {
                    return "it adds or deletes an item, which key work never does"
                }
                let kept = { (row: [IndexEntry.Column]) in row.filter { $0.name != "contentToken" } }
                guard kept(columns) == kept(before) else { return "it changes more of an item than its content token" }
                continue
            }
            // A row id can come back in the same entry with other columns (deleted, then reused by an insert):
            // what counts is the wrap the row held before.
            if change.table == "keyWrap", let row = existing(change.table, change.rowID), let holder = text(row, "holder"), members.contains(holder),
               change.columns != row {
                guard let compartment = text(row, "compartment"), case let .integer(generation)? = row.first(where: { $0.name == "generation" })?.value,
                      let made = newest[compartment], made > generation else {
                    return "it deletes or overwrites the key wrap of member \(holder), which key work does only for a generation its own rotation replaces"
                }
            }
            guard change.columns == nil else { continue }
            if ["compartment", "item", "record"].contains(change.table) {
                return "it deletes a row of \(change.table), which key work never does"
            }
            if ["recordKey", "recordField"].contains(change.table) {
                let row = existing(change.table, change.rowID)
                let kind = text(row, "kind")
                let tied = (kind == "witness" && text(row, "recordID").map(withdrawn.contains) == true) || kind == "source" || kind == "case"
                guard !withdrawn.isEmpty, tied, text(row, "compartment") == "identity" else {
                    return "it deletes a \(change.table) row, which only a quorum's consent withdrawal does, for the identity data of the witness it names"
                }
            }
        }
        return nil
    }
}
