import VaultPolicy
import Foundation

/// `manifest.json` of a disclosure bundle (DESIGN.md, "Disclosure bundles"), signed with minisign by the
/// issuer. JSON with sorted keys; binary values are lower-case hex, signatures base64.
public struct BundleManifest: Codable, Equatable, Sendable {
    /// A key that signed something in the bundle.
    public struct Signer: Codable, Equatable, Sendable {
        public var keyID: String
        /// The Amanah public key line.
        public var publicKey: String
        /// The role at the time of issue (approvers).
        public var role: String?
        /// The signature over the release plan (approvals), base64.
        public var signature: String?
        /// Memberwise.
        public init(keyID: String, publicKey: String, role: String? = nil, signature: String? = nil) {
            self.keyID = keyID; self.publicKey = publicKey; self.role = role; self.signature = signature
        }
    }

    /// One redaction applied to a released item or its record.
    public struct Redaction: Codable, Equatable, Sendable {
        /// What was redacted: `field <record>.<field>` or `region <id>`.
        public var target: String
        /// keep is never listed; remove, pseudonymise, generalise, mask.
        public var action: String
        public var code: String?
        public var reason: String
        /// Memberwise.
        public init(target: String, action: String, code: String? = nil, reason: String) {
            self.target = target; self.action = action; self.code = code; self.reason = reason
        }
    }

    /// The opening of an ingest commitment, given when the original itself is released:
    /// SHA-256(opening ‖ originalSHA256) equals the commitment in the item's ingest event.
    public struct CommitmentOpening: Codable, Equatable, Sendable {
        public var opening: String
        public var originalSHA256: String
        /// Memberwise.
        public init(opening: String, originalSHA256: String) {
            self.opening = opening; self.originalSHA256 = originalSHA256
        }
    }

    public struct Item: Codable, Equatable, Sendable {
        public var productionNumber: String
        public var file: String
        public var sha256: String
        public var size: Int64
        /// "derivative" or "original".
        public var release: String
        public var record: String
        public var redactions: [Redaction]
        public var commitment: CommitmentOpening?
        /// Sequence numbers of this item's custody events in `custody/events.json`.
        public var custodyEvents: [UInt64]
        /// Memberwise.
        public init(productionNumber: String, file: String, sha256: String, size: Int64, release: String, record: String, redactions: [Redaction], commitment: CommitmentOpening? = nil, custodyEvents: [UInt64]) {
            self.productionNumber = productionNumber; self.file = file; self.sha256 = sha256; self.size = size; self.release = release; self.record = record; self.redactions = redactions; self.commitment = commitment; self.custodyEvents = custodyEvents
        }
    }

    public struct Custody: Codable, Equatable, Sendable {
        /// The signed checkpoint (C2SP signed note) the proofs lead to: cosigned by the custodians, signed by
        /// the issuer.
        public var checkpoint: String
        /// The events with their inclusion proofs.
        public var events: String
        /// The governance entries that granted the issuer's and approvers' roles, with inclusion proofs of the
        /// events that applied them (`RoleGrantProof`); absent in bundles written before issue 16.
        public var grants: String?
        public var treeSize: UInt64
        public var rootHash: String
        /// Memberwise.
        public init(checkpoint: String, events: String, grants: String? = nil, treeSize: UInt64, rootHash: String) {
            self.checkpoint = checkpoint; self.events = events; self.grants = grants; self.treeSize = treeSize; self.rootHash = rootHash
        }
    }

    public static let formatName = "amanah-bundle-v1"

    public var format = BundleManifest.formatName
    /// `<recipient code>-<bundle number>`.
    public var bundle: String
    public var vault: String
    public var recipient: String
    public var legalBasis: String
    public var profile: String
    public var policyHash: String
    public var issuedAt: String
    public var issuer: Signer
    /// The release plan's file and SHA-256; approvals sign this hash.
    public var plan: String
    public var planSHA256: String
    public var approvals: [Signer]
    public var items: [Item]
    public var custody: Custody

    /// The canonical bytes written to `manifest.json`.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [0x0A]
    }
    /// Memberwise.
    public init(bundle: String, vault: String, recipient: String, legalBasis: String, profile: String, policyHash: String, issuedAt: String, issuer: Signer, plan: String, planSHA256: String, approvals: [Signer], items: [Item], custody: Custody) {
        self.bundle = bundle; self.vault = vault; self.recipient = recipient; self.legalBasis = legalBasis; self.profile = profile; self.policyHash = policyHash; self.issuedAt = issuedAt; self.issuer = issuer; self.plan = plan; self.planSHA256 = planSHA256; self.approvals = approvals; self.items = items; self.custody = custody
    }
}

/// One custody event in `custody/events.json`: the audit leaf, who acted (a role and a pseudonym for this
/// recipient, never a key), and its inclusion proof in the tree of the checkpoint. The event's signature is
/// not checked by the recipient (the actor's key is not in the bundle): the custodians' cosignatures of the
/// checkpoint vouch for every event in it.
public struct CustodyEvent: Codable, Equatable, Sendable {
    public var sequence: UInt64
    /// The leaf (canonical event ‖ signature), base64.
    public var leaf: String
    /// Who acted: the actor's role then and a pseudonym stable for this recipient and unlinkable across
    /// recipients (`collector P-…`); nil in bundles written before issue 16.
    public var actor: String?
    /// The inclusion proof (RFC 9162 §2.1.3), hashes in hex.
    public var inclusionProof: [String]
    public var action: String
    public var time: String
    /// Memberwise.
    public init(sequence: UInt64, leaf: String, actor: String?, inclusionProof: [String], action: String, time: String) {
        self.sequence = sequence; self.leaf = leaf; self.actor = actor; self.inclusionProof = inclusionProof
        self.action = action; self.time = time
    }
}

/// One entry of `custody/grants.json`: how a member who signed the bundle (the issuer or an approver) got the
/// role the manifest gives it. The governance entry (base64) adds the member or sets its role; the audit event
/// that applied it carries the entry's SHA-256 as its governance head, and its inclusion proof leads to the
/// custodian-cosigned checkpoint. A recipient kit that pins the member needs no grant.
public struct RoleGrantProof: Codable, Equatable, Sendable {
    /// The member's key id, 16 hex digits.
    public var member: String
    public var role: String
    /// The governance entry's body, base64.
    public var entry: String
    public var sequence: UInt64
    /// The audit leaf of the `governance.add-member` or `governance.set-role` event, base64.
    public var leaf: String
    /// The inclusion proof (RFC 9162 §2.1.3), hashes in hex.
    public var inclusionProof: [String]
    /// Memberwise.
    public init(member: String, role: String, entry: String, sequence: UInt64, leaf: String, inclusionProof: [String]) {
        self.member = member; self.role = role; self.entry = entry; self.sequence = sequence; self.leaf = leaf; self.inclusionProof = inclusionProof
    }
}

