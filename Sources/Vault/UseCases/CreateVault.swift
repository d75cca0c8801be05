import VaultPlatform
import VaultPolicy
import Foundation
import GRDB
import VaultCrypto
import VaultStore
import VaultGovernance
#if canImport(Glibc)
import Glibc
#endif

extension Vault {
    /// What `amanah init` needs.
    public struct CreateRequest: Sendable {
        public var path: String
        public var custodians: [MemberPublicKey]
        public var threshold: Int
        public var members: [Genesis.Member]
        /// The policy's text (TOML); the built-in default when nil.
        public var policyText: [UInt8]?
        public var allowNetworkFileSystem: Bool

        public init(path: String, custodians: [MemberPublicKey], threshold: Int, members: [Genesis.Member],
                    policyText: [UInt8]? = nil, allowNetworkFileSystem: Bool = false) {
            self.path = path; self.custodians = custodians; self.threshold = threshold; self.members = members
            self.policyText = policyText; self.allowNetworkFileSystem = allowNetworkFileSystem
        }
    }

    /// Creates a vault: compartment key pairs and index keys, wrapped to the members whose roles grant them,
    /// each key split k-of-n among the custodians (`CompartmentShares`; no recovery secret is made); the
    /// genesis signed by `initiator` (who must be a custodian); the first audit event. Everything is written
    /// into a temporary folder that is renamed into place at the end, so a crash leaves no half vault.
    /// - Throws: `VaultError.invalidInput` for a bad request, `VaultError.exists` if `path` exists and is
    ///   not an empty folder, I/O errors.
    public static func create(_ request: CreateRequest, initiator: IdentityBox) throws -> Vault {
        let custodianIDs = request.custodians.map(\.keyIDHex)
        guard !request.custodians.isEmpty else { throw VaultError.invalidInput("--custodian", "at least one custodian is needed") }
        guard Set(custodianIDs).count == custodianIDs.count else { throw VaultError.invalidInput("--custodian", "a custodian is listed twice") }
        guard request.threshold >= 1 && request.threshold <= request.custodians.count else {
            throw VaultError.invalidInput("--threshold", "must be between 1 and the number of custodians (\(request.custodians.count))")
        }
        guard custodianIDs.contains(initiator.keyIDHex) else {
            throw VaultError.invalidInput("-i", "the initiating identity \(initiator.keyIDHex) must be one of the --custodian keys")
        }
        guard !request.members.contains(where: { $0.role == .custodian }) else {
            throw VaultError.invalidInput("--member", "custodian is not a member role; name custodians with --custodian")
        }
        let policyText = request.policyText ?? Array(DefaultPolicy.text.utf8)
        let policy: Policy
        do { policy = try Policy(parsing: policyText) } catch { throw VaultError.invalidInput("--policy", "\(error)") }
        let memberIDs = request.members.map(\.key.keyIDHex)
        guard Set(memberIDs).count == memberIDs.count else { throw VaultError.invalidInput("--member", "a member is listed twice") }

        let paths = VaultPaths(root: request.path)
        if DurableFile.exists(paths.root) {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: paths.root)) ?? ["?"]
            guard entries.isEmpty else { throw VaultError.exists(paths.root) }
        }
        let parent = DurableFile.directory(of: paths.root)
        guard DurableFile.exists(parent) else { throw VaultError.invalidInput(request.path, "the parent folder \(parent) does not exist") }
        try VaultPaths(root: parent).checkFileSystem(allowNetwork: request.allowNetworkFileSystem)

        // Keys.
        var compartmentPublic: [Compartment: [UInt8]] = [:]
        var compartmentSecret: [Compartment: SecretBox] = [:]
        var indexKeys: [Compartment: SecretBox] = [:]
        for compartment in Compartment.allCases {
            let pair = X25519.generateKeyPair()
            compartmentPublic[compartment] = pair.publicKey
            compartmentSecret[compartment] = SecretBox(pair.secretKey.duplicate())
            indexKeys[compartment] = SecretBox(SecretBytes.random(count: 32))
        }
        var genesis = Genesis(createdAt: Clock.nowMilliseconds(), custodians: request.custodians, threshold: request.threshold,
                              members: request.members, compartmentKeys: compartmentPublic, recoveryPublicKey: [],
                              shareCommitments: [], policyHash: policy.hash,
                              initiator: initiator.publicKey.keyID)
        genesis.signature = try initiator.sign(genesis.encoding, context: .genesis)
        try genesis.verify()

        let initialState = GovernanceState(genesis: genesis, policy: policy, policyText: policyText)
        var wraps: [KeyWrapRow] = []
        for compartment in Compartment.allCases {
            let secretBox = compartmentSecret[compartment]!
            let indexBox = indexKeys[compartment]!
            for (kind, box) in [("secret", secretBox), ("index", indexBox)] {
                wraps += try CompartmentShares.wraps(of: box, compartment: compartment, generation: 1, kind: kind, custodians: request.custodians,
                                                     threshold: request.threshold, recoveryHolder: initialState.recoveryHolder)
            }
            for member in request.members {
                if initialState.readable(by: member.role).contains(compartment) {
                    wraps.append(KeyWrapRow(compartment: compartment.rawValue, generation: 1, kind: "secret", holder: member.key.keyIDHex,
                                            sealed: Data(try SealedBox.seal(secretBox.bytes, to: member.key.encryptionKey))))
                }
                if initialState.indexable(by: member.role).contains(compartment) {
                    wraps.append(KeyWrapRow(compartment: compartment.rawValue, generation: 1, kind: "index", holder: member.key.keyIDHex,
                                            sealed: Data(try SealedBox.seal(indexBox.bytes, to: member.key.encryptionKey))))
                }
            }
        }

        // Write everything into a temporary folder, then rename it into place.
        let temporary = parent + "/." + DurableFile.lastComponent(of: paths.root) + ".init-" + Hex.encode(Random.bytes(6))
        guard mkdir(temporary, 0o700) == 0 else { throw VaultError.failed("cannot create \(temporary): \(lastErrorText())") }
        do {
            guard mkdir(temporary + "/blobs", 0o700) == 0 else { throw VaultError.failed("cannot create blobs: \(lastErrorText())") }
            let genesisBytes = try genesis.fileContents()
            try DurableFile.write(to: temporary + "/vault.json", mode: 0o644, overwrite: false) { handle in
                try genesisBytes.withUnsafeBytes { try handle.write($0) }
            }
            let database = try VaultDatabase(path: temporary + "/vault.sqlite", create: true)
            let vaultID = genesis.vaultID
            let state = initialState
            try database.write { db in
                try VaultMetaRow.insertVaultID(Data(vaultID), db)
                try VaultMetaRow.insertGenesisPolicy(Data(policyText), db)
                for (compartment, key) in compartmentPublic {
                    try CompartmentRow(name: compartment.rawValue, generation: 1, publicKey: Data(key)).insert(db)
                }
                for wrap in wraps { try wrap.insert(db) }
                // The dedicated pseudonym key (per-recipient pseudonyms in releases), sealed to the case compartment.
                let pseudonymKey = SecretBytes.random(count: 32)
                try VaultMetaRow.insertPseudonymKey(Data(try SealedBox.seal(pseudonymKey, to: compartmentPublic[.case]!)), generation: 1, db)
                // Commitments to the index keys and the pseudonym key, which members check when they unwrap them.
                let keyCommitments = Compartment.allCases.map { KeyCommitment.make(kind: "index", compartment: $0, generation: 1, key: indexKeys[$0]!) }
                    + [KeyCommitment.make(kind: "pseudonym", compartment: .case, generation: 0, key: SecretBox(pseudonymKey.duplicate()))]
                try AuditLog.append(db, vaultID: vaultID, actor: initiator, action: "vault.init",
                                    objects: request.custodians.map(\.keyIDHex) + request.members.map(\.key.keyIDHex),
                                    commitments: keyCommitments, policyHash: state.policyHash.isEmpty ? nil : state.policyHash,
                                    entries: database.entries)
            }
            try database.truncateWAL()
            try database.queue.close()
            try DurableFile.syncDirectory(temporary)
            guard rename(temporary, paths.root) == 0 else { throw VaultError.failed("cannot move the new vault to \(paths.root): \(lastErrorText())") }
            try DurableFile.syncDirectory(parent)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        let vault = try Vault.open(path: paths.root, options: OpenOptions(allowNetworkFileSystem: request.allowNetworkFileSystem))
        try ClientState.trust(vaultID: vault.vaultID, how: .created)
        try vault.rememberState()
        return vault
    }
}
