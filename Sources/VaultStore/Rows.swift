import Foundation
import GRDB

/// A row of `governance`: one signed state change, `hash` = SHA-256 of `body` (which links the previous hash).
public struct GovernanceRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "governance"
    public var seq: Int64
    public var body: Data
    public var hash: Data
    public init(seq: Int64, body: Data, hash: Data) { self.seq = seq; self.body = body; self.hash = hash }
}

/// A row of `compartment`: the X25519 public key (32 bytes) of one generation of a compartment.
public struct CompartmentRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "compartment"
    public var name: String
    public var generation: Int64
    public var publicKey: Data
    /// Key id of the member who generated this key while completing a rotation, and their signature; nil
    /// for keys set by the genesis or a governance entry.
    public var attestedBy: Data?
    public var attestation: Data?
    /// The governance chain length when the attestation was made.
    public var attestedAtChain: Int64?
    public init(name: String, generation: Int64, publicKey: Data, attestedBy: Data? = nil, attestation: Data? = nil, attestedAtChain: Int64? = nil) {
        self.name = name; self.generation = generation; self.publicKey = publicKey
        self.attestedBy = attestedBy; self.attestation = attestation; self.attestedAtChain = attestedAtChain
    }
}

/// A row of `keyWrap`: a compartment secret (`kind` "secret", 32 bytes) or index key (`kind` "index",
/// 32 bytes) sealed (`crypto_box_seal`, +48 bytes) to a holder: a member's key id in hex, or "recovery".
public struct KeyWrapRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "keyWrap"
    public var compartment: String
    public var generation: Int64
    public var kind: String
    public var holder: String
    public var sealed: Data
    public init(compartment: String, generation: Int64, kind: String, holder: String, sealed: Data) {
        self.compartment = compartment; self.generation = generation; self.kind = kind; self.holder = holder; self.sealed = sealed
    }
}

/// A row of `recoveryShare`: one custodian's Shamir share of the recovery secret, sealed to them, with its
/// published commitment (32 bytes).
public struct RecoveryShareRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "recoveryShare"
    public var generation: Int64
    public var custodian: String
    public var shareIndex: Int64
    public var sealed: Data
    public var commitment: Data
    public init(generation: Int64, custodian: String, shareIndex: Int64, sealed: Data, commitment: Data) {
        self.generation = generation; self.custodian = custodian; self.shareIndex = shareIndex
        self.sealed = sealed; self.commitment = commitment
    }
}

/// A row of `record`: a case, witness, item or source record. `createdAt` in milliseconds since the epoch.
public struct RecordRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "record"
    public var kind: String
    public var id: String
    public var createdAt: Int64
    public init(kind: String, id: String, createdAt: Int64) { self.kind = kind; self.id = id; self.createdAt = createdAt }
}

/// A row of `recordKey`: a record's data key (32 bytes) for one compartment, sealed to that compartment's
/// public key of `generation`.
public struct RecordKeyRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "recordKey"
    public var kind: String
    public var recordID: String
    public var compartment: String
    public var generation: Int64
    public var sealedKey: Data
    public init(kind: String, recordID: String, compartment: String, generation: Int64, sealedKey: Data) {
        self.kind = kind; self.recordID = recordID; self.compartment = compartment; self.generation = generation
        self.sealedKey = sealedKey
    }
}

/// A row of `recordField`: one encrypted field value (nonce ‖ ciphertext ‖ tag).
public struct RecordFieldRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "recordField"
    public var kind: String
    public var recordID: String
    public var field: String
    public var compartment: String
    public var ciphertext: Data
    public init(kind: String, recordID: String, field: String, compartment: String, ciphertext: Data) {
        self.kind = kind; self.recordID = recordID; self.field = field; self.compartment = compartment; self.ciphertext = ciphertext
    }
}

/// A row of `blindIndex`: a truncated keyed hash (`token`) of a normalised field value.
public struct BlindIndexRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "blindIndex"
    public var kind: String
    public var field: String
    public var token: Data
    public var recordID: String
    public init(kind: String, field: String, token: Data, recordID: String) {
        self.kind = kind; self.field = field; self.token = token; self.recordID = recordID
    }
}

/// A row of `item`: where the sealed original is (`blobID`), its padded sealed size in bytes, and a keyed
/// hash of its SHA-256 (`contentToken`, 32 bytes) for finding a second delivery of the same file.
public struct ItemRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "item"
    public var id: String
    public var caseID: String
    public var sequence: Int64
    public var blobID: String
    public var sealedSize: Int64
    public var contentToken: Data
    public var createdAt: Int64
    /// The governance chain position of the newest re-encryption this item's blob went through (0: none).
    public var keyEpoch: Int64
    public init(id: String, caseID: String, sequence: Int64, blobID: String, sealedSize: Int64, contentToken: Data, createdAt: Int64,
                keyEpoch: Int64 = 0) {
        self.id = id; self.caseID = caseID; self.sequence = sequence; self.blobID = blobID; self.sealedSize = sealedSize
        self.contentToken = contentToken; self.createdAt = createdAt; self.keyEpoch = keyEpoch
    }
}

/// A row of `itemSource`: one delivery of an item; its details are the "source" record `sourceID`.
public struct ItemSourceRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "itemSource"
    public var itemID: String
    public var sourceID: String
    public var createdAt: Int64
    public init(itemID: String, sourceID: String, createdAt: Int64) { self.itemID = itemID; self.sourceID = sourceID; self.createdAt = createdAt }
}

/// A row of `region`: a rectangle to mask on an item; its geometry and reason are the sealed record
/// kind "region" with the same id.
public struct RegionRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "region"
    public var id: String
    public var itemID: String
    public var category: String
    public var createdAt: Int64
    public init(id: String, itemID: String, category: String, createdAt: Int64) {
        self.id = id; self.itemID = itemID; self.category = category; self.createdAt = createdAt
    }
}

/// A row of `auditEvent`: sequence (rowid), the Merkle leaf (event encoding ‖ signature) and its hash.
public struct AuditEventRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "auditEvent"
    public var seq: Int64
    public var leaf: Data
    public var leafHash: Data
    public init(seq: Int64, leaf: Data, leafHash: Data) { self.seq = seq; self.leaf = leaf; self.leafHash = leafHash }
}
