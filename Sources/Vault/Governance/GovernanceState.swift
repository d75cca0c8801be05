import VaultCrypto

/// The vault's governance state: custodians and threshold, members and roles, compartment public keys,
/// recipients and policy hash. Derived by every client from the genesis and the governance chain before
/// it trusts any role.
public struct GovernanceState: Sendable {
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
    /// SHA-256 of the active policy.
    public var policyHash: [UInt8]
    /// Current generation of each compartment's key pair.
    public var compartmentGenerations: [Compartment: Int64]
    /// Number of governance chain entries after the genesis.
    public var chainLength: Int
    /// Hash of the newest chain entry (the vault id when the chain is empty).
    public var headHash: [UInt8]
    /// Every key that was ever a custodian or member, by key id hex: audit events of former members
    /// must still verify.
    public var knownKeys: [String: MemberPublicKey]

    /// The state right after the genesis.
    public init(genesis: Genesis) {
        vaultID = genesis.vaultID
        custodians = genesis.custodians
        threshold = genesis.threshold
        members = Dictionary(uniqueKeysWithValues: genesis.members.map { ($0.key.keyIDHex, $0) })
        recipients = [:]
        policyHash = genesis.policyHash
        compartmentGenerations = Dictionary(uniqueKeysWithValues: Compartment.allCases.map { ($0, 1) })
        chainLength = 0
        headHash = genesis.vaultID
        knownKeys = [:]
        for key in genesis.custodians { knownKeys[key.keyIDHex] = key }
        for member in genesis.members { knownKeys[member.key.keyIDHex] = member.key }
    }

    /// The role of a member, if the key is a member.
    public func role(of keyIDHex: String) -> Role? { members[keyIDHex]?.role }

    /// Whether the key is a current custodian.
    public func isCustodian(_ keyIDHex: String) -> Bool { custodians.contains { $0.keyIDHex == keyIDHex } }

    /// Whether the key belongs to anyone in the vault now (member or custodian).
    public func isParticipant(_ keyIDHex: String) -> Bool { members[keyIDHex] != nil || isCustodian(keyIDHex) }
}
