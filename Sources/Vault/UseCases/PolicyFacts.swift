import Foundation
import GRDB
import VaultCrypto
import VaultPolicy
import VaultStore
import VaultGovernance

/// The facts the policy needs about an item, gathered with the caller's keys.
public struct ItemFacts: Sendable {
    public var itemID: String
    public var caseID: String
    /// The item's sources' witnesses with consent and protective measures (case compartment).
    public var witnesses: [WitnessFacts]
    /// Whether any source names a witness: releasing the original would reveal its source.
    public var revealsSource: Bool
    /// Category codes of the item's regions.
    public var regionCategories: [String]
    /// Facts the caller could not read (their role does not hold the case key).
    public var unreadable: [String]
    /// The higher of the case's and the item's classification (the policy's order); the highest level when
    /// the caller cannot read one of them; nil when neither is classified.
    public var classification: String? = nil
}

extension Session {
    /// Gathers the facts about `itemID` that policy decisions depend on: the witnesses who delivered it (their
    /// consent and protective measures, as withdrawn consent and court orders leave them), and its regions.
    /// - Throws: `VaultError.notFound`.
    public func itemFacts(_ itemID: String) throws -> ItemFacts {
        try vault.database.queue.read { db in
            guard let item = try ItemRow.fetchOne(db, key: itemID) else { throw VaultError.notFound("item", itemID) }
            try checkBinding(item: itemID, db)
            var facts = ItemFacts(itemID: itemID, caseID: item.caseID, witnesses: [], revealsSource: false, regionCategories: [], unreadable: [])
            let canReadCase = try keyRing.holds("secret", of: .case, generation: generation(.case), db: db)
            var pseudonyms: [String] = []
            for source in try ItemSourceRow.onItem(itemID, db) {
                guard canReadCase else { facts.unreadable.append("the sources' witnesses"); break }
                let record = try RecordCodec.open(kind: .source, id: source.sourceID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
                if case let .text(witness)? = record.fields["witness"], !pseudonyms.contains(witness) { pseudonyms.append(witness) }
            }
            facts.revealsSource = !pseudonyms.isEmpty
            for pseudonym in pseudonyms {
                facts.witnesses.append(try witnessFacts(pseudonym, db: db))
            }
            facts.regionCategories = try RegionRow.categories(onItem: itemID, db)
            facts.classification = try classification(of: item, canReadCase: canReadCase, db)
            return facts
        }
    }

    /// The higher of the classifications of `item` and its case, in the policy's order (`classifications`);
    /// the highest level for one this member cannot read, so that a decision is never looser for it.
    func classification(of item: ItemRow, canReadCase: Bool, _ db: Database) throws -> String? {
        let levels = vault.state.policy.classifications
        guard let highest = levels.last else { return nil }
        var found: [String] = []
        if try RecordRow.find(kind: "case", id: item.caseID, db) != nil {
            guard canReadCase else { return highest }
            let record = try RecordCodec.open(kind: .case, id: item.caseID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
            if case let .text(level)? = record.fields["classification"] { found.append(level) }
        }
        guard try keyRing.holds("secret", of: .media, generation: generation(.media), db: db) else { return highest }
        let record = try RecordCodec.open(kind: .item, id: item.id, vaultID: vault.vaultID, keyRing: keyRing, db: db)
        if case let .text(level)? = record.fields["classification"] { found.append(level) }
        // A level the policy no longer names counts as the highest.
        return found.map { levels.firstIndex(of: $0) ?? levels.count - 1 }.max().map { levels[$0] }
    }

    /// A witness's consent and protective measures (empty consent once withdrawn).
    func witnessFacts(_ pseudonym: String, db: Database) throws -> WitnessFacts {
        guard try RecordRow.find(kind: "witness", id: pseudonym, db) != nil else {
            // Ingest names only recorded witnesses: a record that is gone was deleted or renamed outside
            // Amanah, and its protections are unknown. Refused, never read as "no protective measures".
            throw VaultError.integrity("witness \(pseudonym), named by a source, has no record (deleted or changed outside Amanah?); its consent and protective measures are unknown — run `amanah check`")
        }
        let record = try RecordCodec.open(kind: .witness, id: pseudonym, vaultID: vault.vaultID, keyRing: keyRing, db: db)
        var consent: [String] = []
        var measures: [String] = []
        if case let .list(items)? = record.fields["consent"] { consent = items }
        if case let .list(items)? = record.fields["protectiveMeasures"] { measures = items }
        if vault.state.consentWithdrawn.contains(pseudonym) { consent = [] }
        return WitnessFacts(pseudonym: pseudonym, consent: consent, protectiveMeasures: measures)
    }

    /// The policy resource for an action on an item: the compartments the action touches (for a release,
    /// those the profile releases), the item's case, witnesses and regions.
    public func itemResource(_ facts: ItemFacts, action: Action, profile: String?) -> Resource {
        var compartments: Set<Compartment> = [.media]
        if action.isRelease, let profile, let rules = vault.state.policy.profiles[profile] {
            // The item's file always leaves: media is always part of an item's release.
            compartments = [.media]
            compartments.formUnion(rules.compartments(releasing: .item).union(rules.compartments(releasing: .case)))
            if !facts.witnesses.isEmpty { compartments.formUnion(rules.compartments(releasing: .witness)) }
        }
        return Resource(compartments: compartments, label: "item \(facts.itemID)", caseID: facts.caseID, classification: facts.classification,
                        witnesses: facts.witnesses, originalRevealsSource: facts.revealsSource, regionCategories: facts.regionCategories)
    }

    /// The court order in force for `recipient`, if any (the first applied).
    public func courtOrder(for recipient: String?) -> CourtOrder? {
        guard let recipient else { return nil }
        return vault.state.courtOrders.values.sorted { $0.operationID < $1.operationID }.first { $0.recipient == recipient }
    }

    /// `amanah policy explain`: the decision for `subject` doing `action` on an item, with the rules that made it.
    /// The explanation rests on the item's witnesses' consent and protective measures, so it is given only to
    /// a member whose role may view the case compartment (where those are kept) for the item's case, and audited
    /// (`policy.explain`, the item and its case).
    /// - Throws: `VaultError.notPermitted` when the caller's role may not view them; what `itemFacts` throws.
    public func explain(subject: Subject, action: Action, itemID: String, profile: String?, recipient: String?) throws -> Decision {
        // Asked first without the case (so a refused caller does not learn whether the item exists), then for
        // the item's case.
        try require(.view, Resource(compartments: [.case], label: "the consent and protective measures of the witnesses of item \(itemID)"))
        let facts = try itemFacts(itemID)
        try require(.view, Resource(compartments: [.case], label: "the consent and protective measures of the witnesses of item \(itemID)",
                                    caseID: facts.caseID))
        let resource = itemResource(facts, action: action, profile: profile)
        let context = RequestContext(profile: profile, recipient: recipient, requester: subject.keyID, courtOrder: courtOrder(for: recipient))
        let decision = vault.state.policy.decide(subject, action, resource, context)
        try write { db in try audit(db, action: "policy.explain", objects: [itemID, facts.caseID]) }
        return decision
    }
}
