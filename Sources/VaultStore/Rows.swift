import Foundation
import GRDB

/// A row of `governance`: one signed state change, `hash` = SHA-256 of `body` (which links the previous hash).
public struct GovernanceRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "governance"
    public var seq: Int64
    public var body: Data
    public var hash: Data
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let seq = Column(CodingKeys.seq)
        public static let body = Column(CodingKeys.body)
        public static let hash = Column(CodingKeys.hash)
    }
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
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let name = Column(CodingKeys.name)
        public static let generation = Column(CodingKeys.generation)
        public static let publicKey = Column(CodingKeys.publicKey)
        public static let attestedBy = Column(CodingKeys.attestedBy)
        public static let attestation = Column(CodingKeys.attestation)
        public static let attestedAtChain = Column(CodingKeys.attestedAtChain)
    }
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
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let compartment = Column(CodingKeys.compartment)
        public static let generation = Column(CodingKeys.generation)
        public static let kind = Column(CodingKeys.kind)
        public static let holder = Column(CodingKeys.holder)
        public static let sealed = Column(CodingKeys.sealed)
    }
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
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let generation = Column(CodingKeys.generation)
        public static let custodian = Column(CodingKeys.custodian)
        public static let shareIndex = Column(CodingKeys.shareIndex)
        public static let sealed = Column(CodingKeys.sealed)
        public static let commitment = Column(CodingKeys.commitment)
    }
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
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let kind = Column(CodingKeys.kind)
        public static let id = Column(CodingKeys.id)
        public static let createdAt = Column(CodingKeys.createdAt)
    }
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
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let kind = Column(CodingKeys.kind)
        public static let recordID = Column(CodingKeys.recordID)
        public static let compartment = Column(CodingKeys.compartment)
        public static let generation = Column(CodingKeys.generation)
        public static let sealedKey = Column(CodingKeys.sealedKey)
    }
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
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let kind = Column(CodingKeys.kind)
        public static let recordID = Column(CodingKeys.recordID)
        public static let field = Column(CodingKeys.field)
        public static let compartment = Column(CodingKeys.compartment)
        public static let ciphertext = Column(CodingKeys.ciphertext)
    }
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
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let kind = Column(CodingKeys.kind)
        public static let field = Column(CodingKeys.field)
        public static let token = Column(CodingKeys.token)
        public static let recordID = Column(CodingKeys.recordID)
    }
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
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let caseID = Column(CodingKeys.caseID)
        public static let sequence = Column(CodingKeys.sequence)
        public static let blobID = Column(CodingKeys.blobID)
        public static let sealedSize = Column(CodingKeys.sealedSize)
        public static let contentToken = Column(CodingKeys.contentToken)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let keyEpoch = Column(CodingKeys.keyEpoch)
    }
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
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let itemID = Column(CodingKeys.itemID)
        public static let sourceID = Column(CodingKeys.sourceID)
        public static let createdAt = Column(CodingKeys.createdAt)
    }
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
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let itemID = Column(CodingKeys.itemID)
        public static let category = Column(CodingKeys.category)
        public static let createdAt = Column(CodingKeys.createdAt)
    }
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
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let seq = Column(CodingKeys.seq)
        public static let leaf = Column(CodingKeys.leaf)
        public static let leafHash = Column(CodingKeys.leafHash)
    }
    public init(seq: Int64, leaf: Data, leafHash: Data) { self.seq = seq; self.leaf = leaf; self.leafHash = leafHash }
}

/// A row of `vaultMeta`: one key-value fact about the vault: `vaultID` (32 bytes), `genesisPolicy` (the policy
/// text of the genesis, UTF-8) and `pseudonymKey/<generation>` (the pseudonym key, sealed to the case compartment's
/// public key of that generation).
public struct VaultMetaRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "vaultMeta"
    public var key: String
    public var value: Data
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let key = Column(CodingKeys.key)
        public static let value = Column(CodingKeys.value)
    }
    public init(key: String, value: Data) { self.key = key; self.value = value }
}

/// A row of `auditNode`: the hash (32 bytes) of node (`level`, `idx`) of the audit tree, the root of the complete
/// subtree over leaves idx·2^level ..< (idx+1)·2^level (leaf index = event sequence − 1).
public struct AuditNodeRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "auditNode"
    public var level: Int64
    public var idx: Int64
    public var hash: Data
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let level = Column(CodingKeys.level)
        public static let idx = Column(CodingKeys.idx)
        public static let hash = Column(CodingKeys.hash)
    }
    public init(level: Int64, idx: Int64, hash: Data) { self.level = level; self.idx = idx; self.hash = hash }
}

/// A row of `disclosure`: one issued bundle, numbered in its recipient's own range (`bundleNumber`, from 1),
/// with the hashes (32 bytes each) of its release plan and manifest, its item count, when it was issued
/// (milliseconds since the epoch) and the size of the audit tree its custody checkpoint covers (nil for
/// bundles issued before that was recorded).
public struct DisclosureRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "disclosure"
    public var recipient: String
    public var bundleNumber: Int64
    public var planHash: Data
    public var manifestHash: Data
    public var itemCount: Int64
    public var issuedAt: Int64
    public var checkpointSize: Int64?
    /// The table's columns, for typed queries (`Queries/`).
    public enum Columns {
        public static let recipient = Column(CodingKeys.recipient)
        public static let bundleNumber = Column(CodingKeys.bundleNumber)
        public static let planHash = Column(CodingKeys.planHash)
        public static let manifestHash = Column(CodingKeys.manifestHash)
        public static let itemCount = Column(CodingKeys.itemCount)
        public static let issuedAt = Column(CodingKeys.issuedAt)
        public static let checkpointSize = Column(CodingKeys.checkpointSize)
    }
    public init(recipient: String, bundleNumber: Int64, planHash: Data, manifestHash: Data, itemCount: Int64, issuedAt: Int64,
                checkpointSize: Int64?) {
        self.recipient = recipient; self.bundleNumber = bundleNumber; self.planHash = planHash; self.manifestHash = manifestHash
        self.itemCount = itemCount; self.issuedAt = issuedAt; self.checkpointSize = checkpointSize
    }
}
