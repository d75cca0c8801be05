import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore
import VaultPolicy
import VaultGovernance

/// The facts that decide what is released of an item, as the signed audit log records them, and the
/// comparison of the database's plain columns with them. Whoever can write the vault folder can change a
/// column without any key: move an item to another case, change a region's category (a witness's face left
/// unmasked), delete a region or a source link (a deny turned into a permit). The log's events are signed
/// by the member who wrote them, so a column that disagrees with its event is reported, and a decision about
/// the item is refused.
///
/// Events read:
/// - `item.ingest`: objects item id, case id; second commitment (since issue 15) `ingestCommitment` over the
///   item, case, sequence and first source;
/// - `item.source-add`: objects item id, case id; commitment `sourceCommitment` over the item and the source;
/// - `region.add`: objects item id, case id, region id, `category:CODE` (since issue 15).
/// The sequence and the sources are committed to, not named: `item.*` events travel in bundles' custody
/// records, and a recipient must not learn an item's place in its case or its sources' ids (a source id is
/// 128 random bits, so the commitment hides the sequence too). Events of the first release carry neither;
/// for them only the item's case and a region's item are compared.
public struct IndexBinding: Sendable {
    /// An item as its events record it.
    public struct Item: Sendable {
        public var event: UInt64
        public var caseID: String
        /// `ingestCommitment` of its ingest event (nil for the first release's).
        public var ingest: [UInt8]?
        /// `sourceCommitment` of each further source; `sourcesKnown` is false when an event of the first
        /// release added a source without committing to it.
        public var sources: [[UInt8]] = []
        public var sourcesKnown = true
    }

    /// SHA-256 of `amanah/v1/ingest-binding` ‖ lp(item id) ‖ lp(case id) ‖ sequence (8 bytes, big-endian) ‖
    /// lp(source id): the index facts of an ingest, 32 bytes.
    public static func ingestCommitment(itemID: String, caseID: String, sequence: Int64, sourceID: String) -> [UInt8] {
        var input = Array("amanah/v1/ingest-binding".utf8)
        input.appendLengthPrefixed(itemID)
        input.appendLengthPrefixed(caseID)
        input.appendBigEndian(UInt64(bitPattern: sequence))
        input.appendLengthPrefixed(sourceID)
        return SHA256Digest.hash(input)
    }

    /// SHA-256 of `amanah/v1/source-binding` ‖ lp(item id) ‖ lp(source id): a further source, 32 bytes.
    public static func sourceCommitment(itemID: String, sourceID: String) -> [UInt8] {
        var input = Array("amanah/v1/source-binding".utf8)
        input.appendLengthPrefixed(itemID)
        input.appendLengthPrefixed(sourceID)
        return SHA256Digest.hash(input)
    }

    /// A region as its event records it.
    public struct Region: Sendable {
        public var event: UInt64
        public var itemID: String
        public var category: String?
    }

    public private(set) var items: [String: Item] = [:]
    public private(set) var regions: [String: Region] = [:]
    public private(set) var regionsByItem: [String: Set<String>] = [:]
    /// Events that could not be used (a signature that does not verify, an unknown actor): each one line.
    public private(set) var eventProblems: [String] = []

    /// Reads the log's `item.ingest`, `item.source-add` and `region.add` events, checking each signature
    /// under `keys` (key id hex → public key: every key the governance chain knows) and, for events that
    /// name their governance position, that the signer's role there could ingest (or annotate, for a
    /// region) under the policy of that moment: a member removed since cannot bind a fact. `history` is the
    /// state at each chain length (`GovernanceChain.history`).
    /// - Throws: database errors.
    public static func load(_ db: Database, keys: [String: MemberPublicKey], history: [GovernanceState]) throws -> IndexBinding {
        var binding = IndexBinding()
        for event in try AuditLog.events(db, actions: ["item.ingest", "item.source-add", "region.add"]) {
            guard let key = keys[Hex.encode(event.actor)], event.verifySignature(publicKey: key) else {
                binding.eventProblems.append("audit event \(event.sequence) (\(event.action)) does not verify; its facts were not used")
                continue
            }
            guard Self.signerMayWrite(event, action: event.action == "region.add" ? .annotate : .ingest, history: history) else {
                binding.eventProblems.append("audit event \(event.sequence) (\(event.action)) was signed by \(Hex.encode(event.actor)), whose role at governance entry \(event.governance?.length ?? 0) could not write it; its facts were not used")
                continue
            }
            binding.add(event)
        }
        return binding
    }

    /// Whether the signer of `event` held, at the event's governance position, a role the policy of that
    /// moment lets do `action` on the media compartment. Events without a position (the first release) pass.
    static func signerMayWrite(_ event: AuditEvent, action: Action, history: [GovernanceState]) -> Bool {
        guard let position = event.governance else { return true }
        guard let state = history[chainLength: position.length] else { return false }
        let signer = Hex.encode(event.actor)
        guard let role = state.role(of: signer) else { return false }
        return state.policy.decide(Subject(keyID: signer, role: role), action, Resource(compartments: [.media], label: "binding event")).isPermit
    }

    private mutating func add(_ event: AuditEvent) {
        let objects = event.objects
        switch event.action {
        case "item.ingest" where objects.count >= 2:
            // An item is ingested once: a later ingest event for it (signed by a member acting alone) would
            // otherwise move it to another case.
            if let first = items[objects[0]] {
                eventProblems.append("audit event \(event.sequence) records a second ingest of item \(objects[0]) (the first is event \(first.event)); it was not used")
                return
            }
            var item = Item(event: event.sequence, caseID: objects[1], ingest: event.commitments.count >= 2 ? event.commitments[1] : nil)
            item.sourcesKnown = item.ingest != nil
            items[objects[0]] = item
        case "item.source-add" where objects.count >= 2:
            if event.governance != nil, let commitment = event.commitments.first {
                items[objects[0]]?.sources.append(commitment)
            } else {
                items[objects[0]]?.sourcesKnown = false
            }
        case "region.add" where objects.count >= 3:
            // The category is the fourth object, by position (a case id may look like "category:X").
            let category = objects.count >= 4 && objects[3].hasPrefix("category:") ? String(objects[3].dropFirst("category:".count)) : nil
            regions[objects[2]] = Region(event: event.sequence, itemID: objects[0], category: category)
            regionsByItem[objects[0], default: []].insert(objects[2])
        default:
            break
        }
    }

    /// Where the rows of item `itemID` (its item row, source links and regions) disagree with the log, one
    /// line each naming the table and row.
    /// - Throws: database errors.
    public func problems(item itemID: String, _ db: Database) throws -> [String] {
        var problems: [String] = []
        let row = try ItemRow.fetchOne(db, key: itemID)
        guard let logged = items[itemID] else {
            return row == nil ? [] : ["item \(itemID): the audit log records no ingest of it (a planted row)"]
        }
        guard let row else { return ["item \(itemID): audit event \(logged.event) records its ingest, but its item row is missing"] }
        if row.caseID != logged.caseID {
            problems.append("item \(itemID): its row puts it in case \(row.caseID), audit event \(logged.event) in case \(logged.caseID)")
        }
        let links = try ItemSourceRow.sourceIDs(ofItem: itemID, db)
        if let ingest = logged.ingest, logged.sourcesKnown {
            // The ingest event commits to the case, the sequence and the first source; each further source
            // event to its source. Every link must be accounted for, and every commitment met.
            let first = links.first { Self.ingestCommitment(itemID: itemID, caseID: logged.caseID, sequence: row.sequence, sourceID: $0) == ingest }
            if first == nil && row.caseID == logged.caseID {
                let anySequence = links.contains { link in
                    (1...max(1, row.sequence + 10_000)).contains { Self.ingestCommitment(itemID: itemID, caseID: logged.caseID, sequence: $0, sourceID: link) == ingest }
                }
                problems.append(anySequence ? "item \(itemID): its row gives sequence \(row.sequence), audit event \(logged.event) another"
                                            : "itemSource \(itemID): the audit log records the source it was ingested with (event \(logged.event)), but its link row is missing")
            }
            var accounted = Set(first.map { [$0] } ?? [])
            for commitment in logged.sources {
                if let link = links.first(where: { Self.sourceCommitment(itemID: itemID, sourceID: $0) == commitment }) {
                    accounted.insert(link)
                } else {
                    problems.append("itemSource \(itemID): the audit log records this source, but its link row is missing")
                }
            }
            for planted in links where !accounted.contains(planted) && first != nil {
                problems.append("itemSource \(itemID) → \(planted): the audit log records no such source (a planted row)")
            }
        }
        let regionRows = try RegionRow.onItem(itemID, db)
        for region in regionRows {
            guard let logged = regions[region.id] else {
                problems.append("region \(region.id): the audit log records no such region (a planted or moved row)")
                continue
            }
            if logged.itemID != itemID {
                problems.append("region \(region.id): its row puts it on item \(itemID), audit event \(logged.event) on item \(logged.itemID)")
            }
            if let category = logged.category, category != region.category {
                problems.append("region \(region.id): its row gives category \(region.category), audit event \(logged.event) category \(category)")
            }
        }
        let present = Set(regionRows.map(\.id))
        for missing in (regionsByItem[itemID] ?? []).subtracting(present).sorted() {
            problems.append("region \(missing) of item \(itemID): audit event \(regions[missing]!.event) records it, but its row is missing")
        }
        return problems
    }

    /// Every disagreement between the `item`, `itemSource` and `region` tables and the log, and every event
    /// that could not be used.
    /// - Throws: database errors.
    public func problems(_ db: Database) throws -> [String] {
        var ids = Set(items.keys)
        ids.formUnion(try ItemRow.allIDs(db))
        ids.formUnion(try RegionRow.allItemIDs(db))
        ids.formUnion(try ItemSourceRow.allItemIDs(db))
        ids.formUnion(regions.values.map(\.itemID))
        var problems = eventProblems
        for id in ids.sorted() { problems += try self.problems(item: id, db) }
        return problems
    }
}
