import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore

/// The facts that decide what is released of an item, as the signed audit log records them, and the
/// comparison of the database's plain columns with them. Whoever can write the vault folder can change a
/// column without any key: move an item to another case, change a region's category (a witness's face left
/// unmasked), delete a region or a source link (a deny turned into a permit). The log's events are signed
/// by the member who wrote them, so a column that disagrees with its event is reported, and a decision about
/// the item is refused.
///
/// Events read (objects after the action; the `key:value` objects are written since issue 15):
/// - `item.ingest`: item id, case id, `sequence:N`, `source:ID`;
/// - `item.source-add`: item id, case id, `source:ID`;
/// - `region.add`: item id, case id, region id, `category:CODE`.
/// Events of the first release lack the `key:value` objects; their sequences, sources and categories are
/// not compared (the item's case and a region's item are).
public struct IndexBinding: Sendable {
    /// An item as its events record it.
    public struct Item: Sendable {
        public var event: UInt64
        public var caseID: String
        public var sequence: Int64?
        /// The source ids the events name; `sourcesKnown` is false when an event of the first release
        /// added a source without naming it.
        public var sources: Set<String> = []
        public var sourcesKnown = true
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
    /// under `keys` (key id hex → public key: every key the governance chain knows).
    /// - Throws: database errors.
    public static func load(_ db: Database, keys: [String: MemberPublicKey]) throws -> IndexBinding {
        var binding = IndexBinding()
        let rows = try AuditEventRow.fetchAll(db, sql: """
            SELECT * FROM auditEvent WHERE instr(leaf, CAST('item.ingest' AS BLOB)) > 0
               OR instr(leaf, CAST('item.source-add' AS BLOB)) > 0 OR instr(leaf, CAST('region.add' AS BLOB)) > 0
            ORDER BY seq
            """)
        for row in rows {
            guard let event = try? AuditEvent(leaf: Array(row.leaf)),
                  ["item.ingest", "item.source-add", "region.add"].contains(event.action) else { continue }
            guard let key = keys[Hex.encode(event.actor)], event.verifySignature(publicKey: key) else {
                binding.eventProblems.append("audit event \(event.sequence) (\(event.action)) does not verify; its facts were not used")
                continue
            }
            binding.add(event)
        }
        return binding
    }

    private static func value(_ name: String, in objects: [String]) -> String? {
        objects.first { $0.hasPrefix(name + ":") }.map { String($0.dropFirst(name.count + 1)) }
    }

    private mutating func add(_ event: AuditEvent) {
        let objects = event.objects
        switch event.action {
        case "item.ingest" where objects.count >= 2:
            var item = Item(event: event.sequence, caseID: objects[1], sequence: Self.value("sequence", in: objects).flatMap { Int64($0) })
            if let source = Self.value("source", in: objects) { item.sources.insert(source) } else { item.sourcesKnown = false }
            items[objects[0]] = item
        case "item.source-add" where objects.count >= 2:
            if let source = Self.value("source", in: objects) { items[objects[0]]?.sources.insert(source) } else { items[objects[0]]?.sourcesKnown = false }
        case "region.add" where objects.count >= 3:
            regions[objects[2]] = Region(event: event.sequence, itemID: objects[0], category: Self.value("category", in: objects))
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
        if let sequence = logged.sequence, sequence != row.sequence {
            problems.append("item \(itemID): its row gives sequence \(row.sequence), audit event \(logged.event) gives \(sequence)")
        }
        let links = Set(try String.fetchAll(db, sql: "SELECT sourceID FROM itemSource WHERE itemID = ?", arguments: [itemID]))
        if logged.sourcesKnown {
            for missing in logged.sources.subtracting(links).sorted() {
                problems.append("itemSource \(itemID) → \(missing): the audit log records this source, but its link row is missing")
            }
            for planted in links.subtracting(logged.sources).sorted() {
                problems.append("itemSource \(itemID) → \(planted): the audit log records no such source (a planted row)")
            }
        }
        let regionRows = try RegionRow.filter(Column("itemID") == itemID).fetchAll(db)
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
        ids.formUnion(try String.fetchAll(db, sql: "SELECT id FROM item"))
        ids.formUnion(try String.fetchAll(db, sql: "SELECT itemID FROM region"))
        ids.formUnion(try String.fetchAll(db, sql: "SELECT itemID FROM itemSource"))
        ids.formUnion(regions.values.map(\.itemID))
        var problems = eventProblems
        for id in ids.sorted() { problems += try self.problems(item: id, db) }
        return problems
    }
}
