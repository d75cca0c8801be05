import VaultPolicy
import VaultCrypto

/// The vault's governance state: custodians and threshold, members and roles, compartment public keys,
/// recovery key, recipients and policy. Derived by every client from the genesis and the verified
/// governance chain before it trusts any role or key.
public struct GovernanceState: Sendable {
    /// The public commitment to one custodian's share of the recovery secret.
    public struct ShareCommitment: Sendable, Equatable {
        public var index: Int
        public var commitment: [UInt8]
    }

    /// The vault id (SHA-256 of the genesis, 32 bytes).
    public var vaultID: [UInt8]
    /// Current custodians.
    public var custodians: [MemberPublicKey]
    /// Signatures needed for a change.
    public var threshold: Int
    /// Current members by key id hex.
    public var members: [String: Genesis.Member]
    /// Registered recipients: name → age public keys (`age1...`).
    public var recipients: [String: [String]]
    /// Recipient names in registration order.
    public var recipientOrder: [String] = []
    /// The active policy.
    public private(set) var policy: Policy
    /// The active policy's hash (`Policy.hash`, 32 bytes), recorded in every audit event.
    public private(set) var policyHash: [UInt8]
    /// The active policy's text.
    public private(set) var policyText: [UInt8]
    /// Compartments whose secret and index keys each member role holds under the active policy.
    public private(set) var roleKeys: [Role: (secret: Set<Compartment>, index: Set<Compartment>)]
    /// Authenticated compartment public keys by generation (from the genesis, the chain, or a rotation
    /// attested by a member who held the previous generation).
    public var compartmentKeys: [Compartment: [Int64: [UInt8]]]
    /// The generation each compartment must reach (a removal or role change raises it; a member holding the
    /// previous key completes the rotation if the applier could not).
    public var requiredGenerations: [Compartment: Int64]
    /// The recovery public key (X25519) and its generation.
    public var recoveryPublicKey: [UInt8]
    public var recoveryGeneration: Int64
    /// Commitments to the current recovery shares, by custodian key id hex.
    public var shareCommitments: [String: ShareCommitment]
    /// Every recovery key so far, by generation: its public key, threshold and share commitments. An older one
    /// stays usable for break-glass recovery until every compartment is wrapped to its successor.
    public var recoveryHistory: [Int64: RecoveryKeyInfo] = [:]

    /// One generation of the recovery key.
    public struct RecoveryKeyInfo: Sendable, Equatable {
        public var publicKey: [UInt8]
        public var threshold: Int
        public var shareCommitments: [String: ShareCommitment]
    }
    /// Chain position of the newest `rotate-keys --reencrypt`: blobs sealed before it must be re-encrypted.
    public var reencryptionSequence: Int?
    /// Witnesses whose consent was withdrawn (their identity data is destroyed).
    public var consentWithdrawn: Set<String> = []
    /// Court orders in force, by operation id (hex).
    public var courtOrders: [String: CourtOrder] = [:]
    /// The name of the organisation that holds the vault (`set-organisation`); nil until one is set.
    public var organisation: String? = nil
    /// The time-stamping authorities the vault trusts (`add-tsa`), by name.
    public var timeStampAuthorities: [String: TimeStampAuthority] = [:]
    /// Every role each key ever held (records written under a role stay valid after a role change).
    public var everRoles: [String: Set<Role>] = [:]
    /// Ids (hex) of the operations applied so far.
    public var appliedOperations: Set<String> = []
    /// When the newest chain entry was applied (ms); entries must not go back in time.
    public var lastAppliedAt: Int64 = 0
    /// Number of governance chain entries after the genesis.
    public var chainLength: Int
    /// Hash of the newest chain entry (the vault id when the chain is empty).
    public var headHash: [UInt8]
    /// Every key that was ever a custodian or member, by key id hex: audit events of former members
    /// must still verify.
    public var knownKeys: [String: MemberPublicKey]

    /// The state right after the genesis, with the genesis policy (its text, whose hash the genesis signs).
    public init(genesis: Genesis, policy: Policy, policyText: [UInt8]) {
        vaultID = genesis.vaultID
        custodians = genesis.custodians
        threshold = genesis.threshold
        members = Dictionary(uniqueKeysWithValues: genesis.members.map { ($0.key.keyIDHex, $0) })
        recipients = [:]
        self.policy = policy
        policyHash = policy.hash
        self.policyText = policyText
        roleKeys = GovernanceState.keys(under: policy)
        compartmentKeys = Dictionary(uniqueKeysWithValues: genesis.compartmentKeys.map { ($0.key, [1: $0.value]) })
        requiredGenerations = Dictionary(uniqueKeysWithValues: Compartment.allCases.map { ($0, 1) })
        recoveryPublicKey = genesis.recoveryPublicKey
        recoveryGeneration = 1
        shareCommitments = Dictionary(uniqueKeysWithValues: genesis.shareCommitments.map {
            ($0.custodian, ShareCommitment(index: $0.index, commitment: $0.commitment))
        })
        recoveryHistory = [1: RecoveryKeyInfo(publicKey: genesis.recoveryPublicKey, threshold: genesis.threshold, shareCommitments: shareCommitments)]
        reencryptionSequence = nil
        chainLength = 0
        headHash = genesis.vaultID
        knownKeys = [:]
        for key in genesis.custodians { knownKeys[key.keyIDHex] = key }
        for member in genesis.members {
            knownKeys[member.key.keyIDHex] = member.key
            everRoles[member.key.keyIDHex, default: []].insert(member.role)
        }
    }

    /// Which compartments' secret and index keys each member role receives under `policy` (`RoleTable`).
    static func keys(under policy: Policy) -> [Role: (secret: Set<Compartment>, index: Set<Compartment>)] {
        Dictionary(uniqueKeysWithValues: RoleTable.memberRoles.map {
            ($0, (RoleTable.readable(by: $0, policy: policy), RoleTable.indexable(by: $0, policy: policy)))
        })
    }

    /// Replaces the active policy.
    mutating func setPolicy(_ policy: Policy, text: [UInt8]) {
        self.policy = policy
        policyHash = policy.hash
        policyText = text
        roleKeys = GovernanceState.keys(under: policy)
    }

    /// Compartments whose secret key `role` holds.
    public func readable(by role: Role) -> Set<Compartment> { roleKeys[role]?.secret ?? [] }

    /// Compartments whose index key `role` holds.
    public func indexable(by role: Role) -> Set<Compartment> { roleKeys[role]?.index ?? [] }

    /// Compartments whose keys (secret or index) `role` holds.
    public func heldCompartments(_ role: Role) -> Set<Compartment> { readable(by: role).union(indexable(by: role)) }

    /// The role of a member, if the key is a member.
    public func role(of keyIDHex: String) -> Role? { members[keyIDHex]?.role }

    /// Whether the key is a current custodian.
    public func isCustodian(_ keyIDHex: String) -> Bool { custodians.contains { $0.keyIDHex == keyIDHex } }

    /// Whether the key belongs to anyone in the vault now (member or custodian).
    public func isParticipant(_ keyIDHex: String) -> Bool { members[keyIDHex] != nil || isCustodian(keyIDHex) }

    /// The newest generation of `compartment` whose public key is known (sealing uses it).
    public func currentGeneration(_ compartment: Compartment) -> Int64 {
        compartmentKeys[compartment]?.keys.max() ?? 1
    }

    /// The authenticated public key of `compartment` at `generation`.
    public func publicKey(_ compartment: Compartment, generation: Int64) -> [UInt8]? {
        compartmentKeys[compartment]?[generation]
    }

    /// Whether a rotation of `compartment` is required but not yet done.
    public func rotationPending(_ compartment: Compartment) -> Bool {
        (requiredGenerations[compartment] ?? 1) > currentGeneration(compartment)
    }

    /// The key-wrap holder name of the current recovery key (`recovery-<generation>`).
    public var recoveryHolder: String { "recovery-\(recoveryGeneration)" }
}

extension Array where Element == GovernanceState {
    /// The state after `length` chain entries (a governance position's length, as an event carries it), nil
    /// when the chain does not hold that many: a length read from a leaf is checked before it is an index, so
    /// that a crafted one (beyond `Int.max` too) is refused instead of ending the process.
    public subscript(chainLength length: UInt64) -> GovernanceState? {
        length < UInt64(count) ? self[Int(length)] : nil
    }
}

/// A time-stamping authority (RFC 3161) the vault trusts: where requests go, and the certificate (DER) its
/// tokens' signers chain to.
public struct TimeStampAuthority: Equatable, Sendable {
    public var url: String
    public var certificate: [UInt8]
    public init(url: String, certificate: [UInt8]) { self.url = url; self.certificate = certificate }
}
