import Vault
import VaultGovernance
internal import Foundation
internal import VaultAudit
internal import VaultCrypto
internal import VaultPolicy
internal import VaultImaging
internal import VaultPlatform

/// What a release of one item under a profile, to a recipient, would carry (`amanah show ITEM --profile P
/// --recipient NAME`): computed exactly as `disclose propose` computes it, but nothing is made or signed.
public struct ReleasePreview: Sendable, Encodable {
    /// One region of the item and what the release does with it.
    public struct Region: Sendable, Encodable {
        public var id: String
        /// The region's category code (A–E in the default policy).
        public var category: String
        /// `x,y,w,h` in pixels of the displayed image.
        public var rectangle: String
        /// Whether the released derivative fills it.
        public var masked: Bool
    }
    /// One redaction the release makes: a field removed, generalised or pseudonymised, a region masked, the
    /// file's metadata removed.
    public struct Redaction: Sendable, Encodable {
        public var target: String
        public var action: String
        public var code: String?
        public var reason: String
    }
    public var item: String
    public var profile: String
    /// The recipient, as registered; nil when none was named (judged as an export is).
    public var recipient: String?
    /// `original` (the bytes as sealed) or `derivative` (a fresh image: regions masked, no metadata).
    public var release: String
    /// Nil when the policy would permit the release now (approvals aside); else why it would refuse.
    public var refusal: String?
    public var regions: [Region]
    /// The records as released, field by field after the profile's rules: `item`, `case` and `witnesses`,
    /// each a JSON object of text or list values.
    public var records: String
    public var redactions: [Redaction]
}

extension Session {
    /// Previews releasing `itemID` under `profile` to `recipient` (nil: to no one named, as an export):
    /// which file, which regions masked, each record after the field rules, and whether the policy permits
    /// it. Makes no derivative and signs nothing. Audited as `item.preview` (item, case, profile, recipient).
    /// - Throws: `VaultError.notFound` (item), `VaultError.invalidInput` (unknown profile or recipient),
    ///   `VaultError.notPermitted` when the member cannot read what the release would carry.
    public func previewRelease(_ itemID: String, profile: String, recipient: String?) throws -> ReleasePreview {
        // A preview shows the item's records and regions and the policy's verdict on its witnesses' consent and
        // measures: only to a member who may view them for this item's case, as `show` and `policy explain`
        // require (asked first without the case, so that a refused member does not learn whether it exists).
        guard let rules = vault.state.policy.profiles[profile] else {
            throw VaultError.invalidInput("--profile", "unknown profile \(profile) (known: \(vault.state.policy.profiles.keys.sorted().joined(separator: ", ")))")
        }
        var compartments: Set<Compartment> = [.media, .case]
        // Identity fields show only to a role that views identities at all (it alone holds their key); for such a
        // role, the view of them for this case is asked too.
        if rules.revealsIdentityFields(of: .case) || rules.revealsIdentityFields(of: .witness),
           vault.state.policy.decide(subject, .view, Resource(compartments: [.identity])).isPermit {
            compartments.insert(.identity)
        }
        try require(.view, Resource(compartments: compartments, label: "a preview of releasing item \(itemID)"))
        let caseID = try itemFacts(itemID).caseID
        try require(.view, Resource(compartments: compartments, label: "a preview of releasing item \(itemID)", caseID: caseID))
        let (_, items) = try computeRelease(recipient: recipient ?? "", profile: profile, itemIDs: [itemID], basis: "",
                                            derivatives: NoDerivatives(), action: recipient == nil ? .export : .disclose, preview: true)
        guard let item = items.first else { throw VaultError.notFound("item", itemID) }
        var records = item.record
        records.removeValue(forKey: "redactions")
        let json = try JSONSerialization.data(withJSONObject: records, options: [.sortedKeys, .withoutEscapingSlashes])
        try write { db in
            try audit(db, action: "item.preview", objects: [itemID, item.plan.caseID, profile] + (recipient.map { [$0] } ?? []))
        }
        // A profile that draws a session's watermark is for viewing sessions: disclosing under it is refused.
        let refusal = rules.images.watermark && recipient != nil
            ? "the \(profile) profile draws a viewing session's watermark; it is for viewing sessions (export --session), not for a disclosure"
            : item.refusal
        return ReleasePreview(item: itemID, profile: profile, recipient: recipient, release: item.plan.release, refusal: refusal,
                              regions: item.plan.regions.map {
                                  .init(id: $0.id, category: $0.category, rectangle: "\($0.x),\($0.y),\($0.width),\($0.height)", masked: $0.masked)
                              },
                              records: String(decoding: json, as: UTF8.self),
                              redactions: item.redactions.map { .init(target: $0.target, action: $0.action, code: $0.code, reason: $0.reason) })
    }
}

/// A derivative maker for previews, which make none.
private struct NoDerivatives: DerivativeMaking {
    func makeDerivative(from source: any ByteSource, request: DerivativeRequest) throws -> Derivative {
        throw VaultError.invalidInput("preview", "a preview makes no derivative")
    }
}
