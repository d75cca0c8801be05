internal import VaultText
import VaultPlatform
import VaultPolicy
import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore
import VaultGovernance
#if canImport(Glibc)
import Glibc
#endif

/// An open vault: its verified genesis, governance state and database. Every command opens the vault
/// through `Vault.open`, which verifies the genesis and governance chain, pins the vault id to the folder
/// and refuses a vault whose state is older than one this client has seen.
public final class Vault: @unchecked Sendable {
    public let paths: VaultPaths
    public let genesis: Genesis
    public let vaultID: [UInt8]
    public let database: VaultDatabase
    public let blobs: BlobStore
    public private(set) var state: GovernanceState
    private var lock: VaultLock?
    private let readOnly: Bool
    /// The vault's position when this process last agreed with the client state: at open, then after each
    /// `rememberState`. Every change after it was made by this process (it holds the vault's lock).
    private var baseline: Position?

    /// A position in the vault's history: governance length and head, audit size and head leaf hash (hex).
    struct Position: Equatable {
        var governanceLength: Int
        var governanceHead: String
        var auditSize: Int
        var auditHead: String

        init(governanceLength: Int, governanceHead: String, auditSize: Int, auditHead: String) {
            self.governanceLength = governanceLength; self.governanceHead = governanceHead
            self.auditSize = auditSize; self.auditHead = auditHead
        }

        init(_ state: ClientState) {
            self.init(governanceLength: state.governanceLength, governanceHead: state.governanceHead,
                      auditSize: state.auditSize, auditHead: state.auditHead)
        }
    }

    /// How to open a vault.
    public struct OpenOptions: Sendable {
        /// Allow a vault on a network or synchronised file system.
        public var allowNetworkFileSystem = false
        /// Open without any write (verification); no lock, no client-state update.
        public var readOnly = false
        /// Refuse at once a vault that is behind what this client saw (`checkAgainstClientState`). Commands that
        /// report those problems themselves (`audit verify`, `audit cosign`) turn it off and call
        /// `clientStateProblems()` or `checkAgainstClientState()` when they are ready to.
        public var checkClientState = true
        /// The vault id (64 hex digits, any case) the caller expects at the path; another vault is refused
        /// (`VaultError.unexpectedVault`), and the expected one becomes trusted by this client.
        public var expectedVaultID: String?
        public init(allowNetworkFileSystem: Bool = false, readOnly: Bool = false, checkClientState: Bool = true,
                    expectedVaultID: String? = nil) {
            self.allowNetworkFileSystem = allowNetworkFileSystem; self.readOnly = readOnly
            self.checkClientState = checkClientState; self.expectedVaultID = expectedVaultID
        }
    }

    /// The vault id as 64 hex characters.
    public var vaultIDHex: String { Hex.encode(vaultID) }

    private init(paths: VaultPaths, genesis: Genesis, database: VaultDatabase, state: GovernanceState, lock: VaultLock?, readOnly: Bool) {
        self.paths = paths
        self.genesis = genesis
        vaultID = genesis.vaultID
        self.database = database
        blobs = BlobStore(root: paths.blobs)
        self.state = state
        self.lock = lock
        self.readOnly = readOnly
    }

    /// Opens the vault at `path`.
    /// - Throws: `VaultError.notAVault` (missing or unsuitable folder), `VaultError.integrity` (genesis or
    ///   chain does not verify), `VaultError.rollback` (older than seen, or a different vault at this folder).
    public static func open(path: String, options: OpenOptions = OpenOptions()) throws -> Vault {
        let paths = VaultPaths(root: path)
        guard DurableFile.exists(paths.root) else { throw VaultError.notAVault(path, "the folder does not exist") }
        guard DurableFile.exists(paths.genesis) else { throw VaultError.notAVault(path, "vault.json is missing") }
        guard DurableFile.exists(paths.database) else { throw VaultError.notAVault(path, "vault.sqlite is missing") }
        try paths.checkFileSystem(allowNetwork: options.allowNetworkFileSystem)
        let lock = options.readOnly ? nil : try VaultLock(path: paths.lock)
        let genesis = try Genesis(fileContents: DurableFile.readAll(paths.genesis, limit: 1 << 20))
        let database: VaultDatabase
        do { database = try VaultDatabase(path: paths.database, readOnly: options.readOnly) } catch let error as StoreError {
            switch error {
            case .diskFull, .corrupted, .foreign, .newerSchema, .alteredSchema: throw error
            default: throw VaultError.notAVault(path, "\(error)")
            }
        }
        let storedID = try database.queue.read { db in try VaultMetaRow.vaultID(db) }
        guard storedID.map(Array.init) == genesis.vaultID else {
            throw VaultError.integrity("vault.sqlite belongs to another vault than vault.json (index table vaultMeta, row vaultID, does not hold the id of vault.json)")
        }
        if let expected = options.expectedVaultID {
            let wanted = expected.trimmingCharacters(in: .whitespaces).lowercased()
            guard wanted.count == 64, wanted.allSatisfy(\.isHexDigit) else {
                throw VaultError.invalidInput("--expect-vault", "a vault id is 64 hex digits (as amanah init printed it)")
            }
            guard wanted == Hex.encode(genesis.vaultID) else {
                throw VaultError.unexpectedVault(path, Hex.encode(genesis.vaultID), wanted)
            }
        }
        let state = try database.queue.read { db in
            let state = try GovernanceChain.load(genesis: genesis, db: db)
            // Commands that report such problems themselves (audit verify, check) open without it.
            if options.checkClientState {
                try AuditLog.checkGovernanceBinding(db, vaultID: genesis.vaultID, chainLength: state.chainLength, keys: state.knownKeys)
            }
            return state
        }
        let vault = Vault(paths: paths, genesis: genesis, database: database, state: state, lock: lock, readOnly: options.readOnly)
        if !options.readOnly { vault.baseline = try vault.position() }
        try ClientState.checkPin(folder: paths.canonicalRoot, vaultID: vault.vaultID)
        if options.checkClientState { try vault.checkAgainstClientState() }
        if options.expectedVaultID != nil { try ClientState.trust(vaultID: vault.vaultID, how: .expected) }
        return vault
    }

    /// Refuses, unless this client trusts this vault (it created it, was told to expect its id, or a person
    /// confirmed it: `ClientState.trust`). Commands that write secrets into a vault (evidence, records,
    /// governance) call it first, so that a substituted vault that lists the real members' keys receives
    /// nothing.
    /// - Parameter confirm: asked when the vault is not trusted yet (shows the id and custodians, returns
    ///   whether a person confirmed them); nil refuses at once.
    /// - Throws: `VaultError.untrustedVault` with the vault id and the custodians' fingerprints.
    public func requireTrust(confirm: ((_ vaultID: String, _ custodians: [String]) -> Bool)?) throws {
        if try ClientState.trusts(vaultID: vaultID) { return }
        let custodians = genesis.custodians.map { "\($0.keyIDHex) (\($0.fingerprint))" }
        guard let confirm, confirm(vaultIDHex, custodians) else { throw VaultError.untrustedVault(vaultIDHex, custodians) }
        try ClientState.trust(vaultID: vaultID, how: .confirmed)
    }

    /// Refuses the vault if its governance chain or audit log is behind what this client saw, or its audit tree
    /// does not contain the newest checkpoint this client saw.
    /// - Throws: `VaultError.rollback` naming the first difference; `VaultError.failed` for unreadable client state.
    /// - Throws: `VaultError.ownChangesMissing` instead when the vault lacks exactly changes that this client
    ///   made itself and nothing else (a database restored from a backup, a power failure).
    public func checkAgainstClientState() throws {
        guard let first = try clientStateProblems().first else { return }
        // A page damaged in place can make the log read as another history: say so rather than "rolled back".
        let damage = (try? databaseIntegrityProblems(quick: true)) ?? []
        if let damaged = damage.first { throw StoreError.corrupted(damaged + "; run `amanah check`") }
        if let missing = try missingOwnChanges() {
            throw VaultError.ownChangesMissing(missing.audit, missing.governance)
        }
        throw VaultError.rollback(first)
    }

    /// The vault's current position.
    func position() throws -> Position {
        let (size, head) = try database.queue.read { db in try AuditLog.head(db) }
        return Position(governanceLength: state.chainLength, governanceHead: Hex.encode(state.headHash),
                        auditSize: size, auditHead: Hex.encode(head))
    }

    /// When the vault is behind what this client saw by changes this client made itself and by nothing else:
    /// how many audit events and governance entries it lacks. Nil when it is not behind, when it differs in
    /// anything else (another history, or a checkpoint this client saw that covers what is missing), or when
    /// the client does not remember its own run of changes. Reads only.
    /// - Throws: `VaultError.failed` for unreadable client state; database errors.
    public func missingOwnChanges() throws -> (audit: Int, governance: Int)? {
        guard let seen = try ClientState.load(vaultID: vaultID), let own = seen.own else { return nil }
        let current = try position()
        guard current.auditSize >= own.auditSize, current.auditSize <= seen.auditSize,
              current.governanceLength >= own.governanceLength, current.governanceLength <= seen.governanceLength,
              current.auditSize - own.auditSize <= own.auditLeafHashes.count,
              current.governanceLength - own.governanceLength <= own.governanceHashes.count,
              current.auditSize < seen.auditSize || current.governanceLength < seen.governanceLength,
              ([[own.auditSize, own.governanceLength]] + own.positions).contains([current.auditSize, current.governanceLength])
        else { return nil }
        if let text = seen.checkpoint, let checkpoint = try? SignedCheckpoint(parsing: text).checkpoint,
           checkpoint.size > UInt64(current.auditSize) { return nil }
        let matches = try database.queue.read { db -> Bool in
            let auditBase = own.auditSize == 0 ? [UInt8](repeating: 0, count: 32)
                : try AuditEventRow.fetchOne(db, key: Int64(own.auditSize)).map { Array($0.leafHash) }
            guard auditBase.map(Hex.encode) == own.auditHead else { return false }
            for position in stride(from: own.auditSize + 1, through: current.auditSize, by: 1) {
                let leaf = try AuditEventRow.fetchOne(db, key: Int64(position)).map { Hex.encode(Array($0.leafHash)) }
                guard leaf == own.auditLeafHashes[position - own.auditSize - 1] else { return false }
            }
            let governanceBase = own.governanceLength == 0 ? vaultID
                : try GovernanceRow.fetchOne(db, key: Int64(own.governanceLength)).map { Array($0.hash) }
            guard governanceBase.map(Hex.encode) == own.governanceHead else { return false }
            for position in stride(from: own.governanceLength + 1, through: current.governanceLength, by: 1) {
                let hash = try GovernanceRow.fetchOne(db, key: Int64(position)).map { Hex.encode(Array($0.hash)) }
                guard hash == own.governanceHashes[position - own.governanceLength - 1] else { return false }
            }
            return true
        }
        return matches ? (seen.auditSize - current.auditSize, seen.governanceLength - current.governanceLength) : nil
    }

    /// Makes this client accept the vault as it is when it lacks only changes this client made itself
    /// (`missingOwnChanges`): what it remembers moves back to the vault's position. The vault is not changed.
    /// - Returns: how many audit events and governance entries were given up.
    /// - Throws: `VaultError.rollback` when the vault differs in anything else; `VaultError.failed` when the
    ///   client state cannot be written.
    public func acceptMissingOwnChanges() throws -> (audit: Int, governance: Int) {
        guard let missing = try missingOwnChanges() else {
            if let first = try clientStateProblems().first { throw VaultError.rollback(first) }
            return (0, 0)
        }
        guard missing.governance == 0 else {
            throw VaultError.failed("the changes this vault lacks include \(missing.governance) governance entr\(missing.governance == 1 ? "y" : "ies") (members, roles, keys or policy); "
                                    + "accepting that loss would undo them for this client, so it is refused: restore vault.sqlite from a copy that holds them")
        }
        let previous = try ClientState.load(vaultID: vaultID)
        let current = try position()
        var accepted = ClientState(governanceLength: current.governanceLength, governanceHead: current.governanceHead,
                                   auditSize: current.auditSize, auditHead: current.auditHead, checkpoint: previous?.checkpoint)
        accepted.remotes = previous?.remotes
        try accepted.save(vaultID: vaultID)
        baseline = current
        return missing
    }

    /// Makes this client accept a vault folder restored from a backup as it is, when it is behind what this
    /// client saw (`clientStateProblems`): what it remembers moves to the vault's position, and a checkpoint it
    /// saw that the restored log does not contain is forgotten. For a person's deliberate decision only
    /// (`amanah trust-restored --expect-vault ID`), after the restored log verified; the caller records it as an
    /// audit event. Remotes are remembered as they were, so the next `sync` brings back what a remote holds.
    /// - Returns: the position this client had remembered (audit events, governance entries), nil when the
    ///   vault was not behind it.
    /// - Throws: `VaultError.failed` when the client state cannot be read or written; database errors.
    public func acceptRestoredCopy() throws -> (audit: Int, governance: Int)? {
        guard let previous = try ClientState.load(vaultID: vaultID), !(try clientStateProblems()).isEmpty else { return nil }
        let current = try position()
        var checkpoint = previous.checkpoint
        if let text = checkpoint, let seen = try? SignedCheckpoint(parsing: text).checkpoint {
            let contained = try database.queue.read { db -> Bool in
                let tree = AuditLog.tree(db)
                guard seen.size <= (try tree.size()) else { return false }
                return (try? tree.root(atSize: seen.size)) == seen.rootHash
            }
            if !contained { checkpoint = nil }
        }
        var accepted = ClientState(governanceLength: current.governanceLength, governanceHead: current.governanceHead,
                                   auditSize: current.auditSize, auditHead: current.auditHead, checkpoint: checkpoint)
        accepted.remotes = previous.remotes
        try accepted.save(vaultID: vaultID)
        baseline = current
        return (previous.auditSize, previous.governanceLength)
    }

    /// What differs between the vault and the state this client remembers (empty when nothing does, or when the
    /// client never saw this vault): a governance chain or audit log that is shorter or different at the
    /// remembered position, and a remembered checkpoint the audit tree does not contain (larger than the tree,
    /// or another root at its size). Reads only.
    /// - Throws: `VaultError.failed` for unreadable client state; database errors.
    public func clientStateProblems() throws -> [String] {
        guard let seen = try ClientState.load(vaultID: vaultID) else { return [] }
        var seenCheckpoint: Checkpoint? = nil
        var problems: [String] = []
        if let text = seen.checkpoint {
            do { seenCheckpoint = try SignedCheckpoint(parsing: text).checkpoint } catch {
                problems.append("the checkpoint this client remembers cannot be read: \(error)")
            }
        }
        let (auditSize, governanceAtSeen, auditAtSeen, treeSize, rootAtSeen) = try database.queue.read { db
            -> (Int, [UInt8]?, [UInt8]?, UInt64, [UInt8]?) in
            let head = try AuditLog.head(db)
            let governanceHash: [UInt8]? = seen.governanceLength == 0 ? vaultID
                : try GovernanceRow.fetchOne(db, key: Int64(seen.governanceLength)).map { Array($0.hash) }
            let auditHash: [UInt8]? = seen.auditSize == 0 ? [UInt8](repeating: 0, count: 32)
                : try AuditEventRow.fetchOne(db, key: Int64(seen.auditSize)).map { Array($0.leafHash) }
            let tree = AuditLog.tree(db)
            let treeSize = try tree.size()
            var root: [UInt8]? = nil
            if let seenCheckpoint, seenCheckpoint.size <= treeSize { root = try? tree.root(atSize: seenCheckpoint.size) }
            return (head.size, governanceHash, auditHash, treeSize, root)
        }
        if state.chainLength < seen.governanceLength {
            problems.append("its governance chain has \(state.chainLength) entries, but this client saw \(seen.governanceLength)")
        } else if governanceAtSeen.map(Hex.encode) != seen.governanceHead {
            problems.append("its governance chain differs from the one this client saw at entry \(seen.governanceLength)")
        }
        if auditSize < seen.auditSize {
            problems.append("its audit log has \(counted(auditSize, "event")), but this client saw \(seen.auditSize)")
        } else if auditAtSeen.map(Hex.encode) != seen.auditHead {
            problems.append("its audit log differs from the one this client saw at event \(seen.auditSize)")
        }
        if let seenCheckpoint {
            if seenCheckpoint.vaultID != vaultID {
                problems.append("the checkpoint this client remembers belongs to another vault")
            } else if treeSize < seenCheckpoint.size {
                problems.append("its audit log has \(counted(treeSize, "event")), older than the checkpoint of size \(seenCheckpoint.size) this client saw")
            } else if rootAtSeen != seenCheckpoint.rootHash {
                problems.append("its audit log differs from the checkpoint of size \(seenCheckpoint.size) this client saw (a fork)")
            } else if try database.queue.read({ db in
                try CheckpointRow.find(size: Int64(seenCheckpoint.size), rootHash: Data(seenCheckpoint.rootHash), db) == nil
            }) {
                problems.append("the checkpoint of size \(seenCheckpoint.size) this client saw is not stored in the vault (a deleted checkpoint row)")
            }
        }
        return problems
    }

    /// Records the vault's current governance and audit state as seen by this client, and `checkpoint` as the
    /// newest checkpoint seen unless the client remembers a larger one.
    ///
    /// The changes made since this process last agreed with the client state are this client's own (the
    /// process holds the vault's lock); they are remembered as such (`ClientState.own`) while no one else's
    /// change follows them, so that losing only them is reported as what it is (`missingOwnChanges`).
    /// Called after the database commit, which is durable by then (`synchronous = FULL`).
    /// - Throws: `VaultError.failed` or file errors when the client state cannot be read or written.
    public func rememberState(checkpoint: SignedCheckpoint? = nil) throws {
        guard !readOnly else { return }
        let current = try position()
        let previous = try ClientState.load(vaultID: vaultID)
        var remembered = ClientState(governanceLength: current.governanceLength, governanceHead: current.governanceHead,
                                     auditSize: current.auditSize, auditHead: current.auditHead, checkpoint: previous?.checkpoint)
        remembered.remotes = previous?.remotes
        if let checkpoint {
            let seenSize = previous?.checkpoint.flatMap { try? SignedCheckpoint(parsing: $0) }?.checkpoint.size
            if seenSize.map({ $0 <= checkpoint.checkpoint.size }) ?? true { remembered.checkpoint = checkpoint.text }
        }
        if let baseline {
            let continuous = previous.map { Position($0) == baseline } ?? false
            if current != baseline {
                var run = (continuous ? previous?.own : nil)
                    ?? ClientState.OwnChanges(governanceLength: baseline.governanceLength, governanceHead: baseline.governanceHead,
                                              auditSize: baseline.auditSize, auditHead: baseline.auditHead,
                                              governanceHashes: [], auditLeafHashes: [], positions: [])
                if current.auditSize - baseline.auditSize + run.auditLeafHashes.count <= ClientState.OwnChanges.limit,
                   current.auditSize >= baseline.auditSize, current.governanceLength >= baseline.governanceLength {
                    try database.queue.read { db in
                        for seq in stride(from: baseline.auditSize + 1, through: current.auditSize, by: 1) {
                            guard let row = try AuditEventRow.fetchOne(db, key: Int64(seq)) else { return }
                            run.auditLeafHashes.append(Hex.encode(Array(row.leafHash)))
                        }
                        for seq in stride(from: baseline.governanceLength + 1, through: current.governanceLength, by: 1) {
                            guard let row = try GovernanceRow.fetchOne(db, key: Int64(seq)) else { return }
                            run.governanceHashes.append(Hex.encode(Array(row.hash)))
                        }
                    }
                    run.positions.append([current.auditSize, current.governanceLength])
                    remembered.own = run
                }
            } else {
                remembered.own = continuous ? previous?.own : nil
            }
        }
        if remembered != previous { try remembered.save(vaultID: vaultID) }
        baseline = current
    }

    /// After `amanah sync` changed the log (events received, this client's unsent events written again at new
    /// positions): reloads the governance state and makes the client state remember the vault as it now is.
    /// The events a sync replaces were never on any remote, and the sync checked everything it received, so
    /// the new position is this client's own deliberate step, not a rollback. A remembered checkpoint is kept
    /// while the log still has its root at its size, and dropped otherwise (it covered events that moved).
    /// - Throws: `VaultError.failed` or file errors when the client state cannot be written; database errors.
    /// `movedAbove`: the log position above which the sync took this client's own events back and wrote them
    /// again (a rebase), nil when it only appended. The client state never moves back: when the vault is now
    /// behind what this client remembers, or no longer holds the event it remembers (other than events the
    /// sync moved), it is left as it is, and the next check of it reports the rollback.
    public func adoptSyncedState(movedAbove: Int? = nil) throws {
        guard !readOnly else { return }
        try reloadState()
        let current = try position()
        let previous = try ClientState.load(vaultID: vaultID)
        if let previous {
            if current.auditSize < previous.auditSize || current.governanceLength < previous.governanceLength { return }
            if movedAbove.map({ previous.auditSize <= $0 }) ?? true, !(try clientStateProblems().isEmpty) { return }
        }
        var checkpoint = previous?.checkpoint
        if let text = checkpoint, let seen = try? SignedCheckpoint(parsing: text).checkpoint {
            let root = try database.queue.read { db -> [UInt8]? in
                guard seen.size <= UInt64(current.auditSize) else { return nil }
                return try AuditLog.tree(db).root(atSize: seen.size)
            }
            if root != seen.rootHash { checkpoint = nil }
        }
        var adopted = ClientState(governanceLength: current.governanceLength, governanceHead: current.governanceHead,
                                  auditSize: current.auditSize, auditHead: current.auditHead, checkpoint: checkpoint)
        adopted.remotes = previous?.remotes
        try adopted.save(vaultID: vaultID)
        baseline = current
    }

    /// Makes the client state this vault's position after this client took its own unshared events back
    /// itself (a send to a collectors' inbox): the one case where the remembered log gets shorter. Keeps what
    /// the client remembers of its remotes.
    /// - Throws: `VaultError.failed` or file errors when the client state cannot be read or written.
    public func adoptRewoundState() throws {
        guard !readOnly else { return }
        try reloadState()
        let current = try position()
        let previous = try ClientState.load(vaultID: vaultID)
        var adopted = ClientState(governanceLength: current.governanceLength, governanceHead: current.governanceHead,
                                  auditSize: current.auditSize, auditHead: current.auditHead, checkpoint: nil)
        adopted.remotes = previous?.remotes
        try adopted.save(vaultID: vaultID)
        baseline = current
    }

    /// Remembers in the client state how far remote `name` shares this vault's log (after a sync).
    /// - Throws: `VaultError.failed` or file errors when the client state cannot be read or written.
    public func rememberRemote(_ name: String, shared: Int, leafHash: [UInt8]) throws {
        guard !readOnly, var state = try ClientState.load(vaultID: vaultID) else { return }
        var remotes = state.remotes ?? [:]
        remotes[name] = .init(shared: shared, leafHash: Hex.encode(leafHash))
        state.remotes = remotes
        try state.save(vaultID: vaultID)
    }

    /// What the client state remembers of remote `name`, nil when nothing.
    /// - Throws: `VaultError.failed` when the client state cannot be read.
    public func rememberedRemote(_ name: String) throws -> ClientState.RemoteMemory? {
        try ClientState.load(vaultID: vaultID)?.remotes?[name]
    }

    /// Reloads the governance state after a change.
    package func reloadState() throws {
        state = try database.queue.read { db in try GovernanceChain.load(genesis: genesis, db: db) }
    }

    /// Starts a session for an unlocked identity.
    /// - Throws: `VaultError.notAMember` if the identity is neither member nor custodian.
    public func session(for identity: IdentityBox) throws -> Session {
        guard state.isParticipant(identity.keyIDHex) else { throw VaultError.notAMember(identity.keyIDHex) }
        return Session(vault: self, identity: identity)
    }
}

/// A vault opened by one member: what they may do follows from their role and the keys sealed to them.
public final class Session: @unchecked Sendable {
    public let vault: Vault
    public let identity: IdentityBox
    public let keyRing: KeyRing
    /// The item and region facts of the signed log, read at the first decision that needs them.
    private var binding: IndexBinding?
    private let bindingLock = NSLock()

    init(vault: Vault, identity: IdentityBox) {
        self.vault = vault
        self.identity = identity
        keyRing = KeyRing(identity: identity)
        keyRing.stateProvider = { [unowned vault] in vault.state }
        keyRing.recordWriterCheck = { [unowned self] kind, id, compartment, writer, fields, db in
            try self.checkRecordWriter(kind: kind, id: id, compartment: compartment, writer: writer, fields: fields, db)
        }
        keyRing.keyCommitmentCheck = { [unowned self] kind, compartment, generation, key, db in
            try self.verifyCommitted(kind: kind, compartment: compartment, generation: generation, key: key, holder: "sealed to you", db)
        }
    }

    /// The key commitments of the signed log, read at the first key that needs them (and again after this
    /// session appends to the log).
    private var committedKeys: CommittedKeys?
    /// The governance state at each chain length, verified once per session (again when the chain grows).
    private var historyCache: [GovernanceState]?
    private let historyLock = NSLock()

    /// The governance state after each number of entries (`GovernanceChain.history`), for judging what a
    /// signer's role allowed at an event's position; computed once while the chain does not change.
    /// - Throws: `VaultError.integrity` for a chain that does not verify; database errors.
    package func governanceHistory(_ db: Database) throws -> [GovernanceState] {
        try historyLock.withLock {
            if let historyCache, historyCache.count == vault.state.chainLength + 1 { return historyCache }
            let history = try GovernanceChain.history(genesis: vault.genesis, db: db)
            historyCache = history
            return history
        }
    }

    /// Whether this session found the audit log's chain whole (`AuditLog.chainProblem`); checked once.
    private var logIntact = false

    /// Refuses to decide anything from the signed log's facts when its chain is not whole: the facts that
    /// bind the tables (sources, regions, issues, key commitments, record writes) could be missing. Checked
    /// once per session (one pass over the log).
    /// - Throws: `VaultError.integrity` naming the first break; database errors.
    package func requireIntactLog(_ db: Database) throws {
        if bindingLock.withLock({ logIntact }) { return }
        if let problem = try AuditLog.chainProblem(db, vaultID: vault.vaultID) {
            throw VaultError.integrity(problem + "; the facts it records cannot be relied on — run `amanah audit verify` and `amanah check`")
        }
        bindingLock.withLock { logIntact = true }
    }

    /// The records' write events and the governance state at each chain position, read at the first record
    /// opened (again after this session appends to the log or the chain grows).
    private var recordWrites: (writes: RecordWrites, history: [GovernanceState])?

    /// Refuses a record half whose writer could not write it at the governance position of its write event
    /// (`RecordWrites.check`).
    /// - Throws: `VaultError.integrity`; database errors.
    package func checkRecordWriter(kind: RecordKind, id: String, compartment: Compartment, writer: String, fields: Set<String>,
                                   _ db: Database) throws {
        try requireIntactLog(db)
        let (writes, history) = try bindingLock.withLock { () throws -> (RecordWrites, [GovernanceState]) in
            if let recordWrites, recordWrites.history.count == vault.state.chainLength + 1 { return recordWrites }
            let loaded = (try RecordWrites.load(db, keys: vault.state.knownKeys), try governanceHistory(db))
            recordWrites = loaded
            return loaded
        }
        try writes.check(kind: kind, id: id, compartment: compartment, writer: writer, fields: fields, history: history, db)
    }

    /// Refuses an index key or the pseudonym key that the signed log does not commit to (`CommittedKeys`).
    /// - Throws: `VaultError.integrity`; database errors.
    package func verifyCommitted(kind: String, compartment: Compartment, generation: Int64, key: SecretBox, holder: String,
                                 _ db: Database) throws {
        try requireIntactLog(db)
        let committed = try bindingLock.withLock { () throws -> CommittedKeys in
            if let committedKeys { return committedKeys }
            let loaded = try CommittedKeys.load(db, keys: vault.state.knownKeys, genesis: vault.genesis,
                                                history: governanceHistory(db))
            committedKeys = loaded
            return loaded
        }
        try committed.verify(kind: kind, compartment: compartment, generation: generation, key: key, holder: holder)
    }

    /// The member's role, if they are a member (a custodian may have none).
    public var role: Role? { vault.state.role(of: identity.keyIDHex) }
    /// Whether the member is a custodian.
    public var isCustodian: Bool { vault.state.isCustodian(identity.keyIDHex) }
    /// The actor's key id (hex), for messages.
    public var keyIDHex: String { identity.keyIDHex }

    /// Runs `body` in one write transaction; the audit event appended inside commits with the change.
    /// - Throws: what `body` throws; `VaultError.failed` saying that nothing was done when the database cannot
    ///   be written (read-only, disk full, I/O error): the transaction rolled back, so the operation and its
    ///   audit event did not happen.
    @discardableResult
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try vault.database.write { db in try body(db) }
        } catch let error as DatabaseError where Session.unwritable.contains(error.resultCode.primaryResultCode) {
            let detail = error.message ?? "\(error.resultCode)"
            let cause = error.resultCode.primaryResultCode == .SQLITE_FULL
                ? "the disk holding \(vault.paths.database) is full (\(detail))"
                : "cannot write to the vault database (\(detail))"
            throw VaultError.failed(cause + "; the operation and its audit event were not recorded, nothing was changed")
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode.primaryResultCode) {
            throw VaultError.failed("\(StoreError(databaseError: error, path: vault.paths.database, operation: "write")); nothing was changed")
        }
    }

    /// SQLite results that mean the database cannot take a write at all.
    static let unwritable: [ResultCode] = [.SQLITE_READONLY, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN]

    /// Appends an audit event in `db`'s transaction.
    @discardableResult
    /// The index rows this transaction changed since the previous event become its signed index entry
    /// (`snapshot` instead, for `amanah migrate`).
    public func audit(_ db: Database, action: String, objects: [String], commitments: [[UInt8]] = [],
                      snapshot: IndexEntry? = nil) throws -> VaultAuditEvent {
        bindingLock.withLock { binding = nil; committedKeys = nil; recordWrites = nil }   // the log changes: read it again when next needed
        return try AuditLog.append(db, vaultID: vault.vaultID, actor: identity, action: action, objects: objects,
                                   commitments: commitments, policyHash: vault.state.policyHash.isEmpty ? nil : vault.state.policyHash,
                                   entries: vault.database.entries, snapshot: snapshot)
    }

    /// Refuses a decision about item `itemID` (its policy facts, its masks) when its rows (item, source links,
    /// regions) disagree with the signed audit log (`IndexBinding`). The log is read once per session (one
    /// pass over the events that bind items and regions, each signature checked) and again after this session
    /// appends to it.
    /// - Throws: `VaultError.integrity` naming the first difference; database errors.
    package func checkBinding(item itemID: String, _ db: Database) throws {
        try requireIntactLog(db)
        let current = try bindingLock.withLock { () throws -> IndexBinding in
            if let binding { return binding }
            let loaded = try IndexBinding.load(db, keys: vault.state.knownKeys, history: governanceHistory(db))
            binding = loaded
            return loaded
        }
        if let first = try current.problems(item: itemID, db).first {
            throw VaultError.integrity(first + "; the vault database was changed outside Amanah — run `amanah check`")
        }
    }

    /// The policy subject for this member.
    public var subject: Subject { Subject(keyID: keyIDHex, role: role, isCustodian: isCustodian) }

    /// Asks the active policy; throws "not permitted" with the policy's reason when it denies.
    /// - Returns: the decision (a permit, possibly with obligations).
    @discardableResult
    public func require(_ action: Action, _ resource: Resource, _ context: RequestContext = RequestContext()) throws -> Decision {
        let decision = vault.state.policy.decide(subject, action, resource, context)
        if let reason = decision.reason {
            throw VaultError.notPermitted("\(action.rawValue) \(resource.label): \(reason)")
        }
        return decision
    }

    /// The current generation of a compartment.
    public func generation(_ compartment: Compartment) -> Int64 { vault.state.currentGeneration(compartment) }
}

import VaultAudit
public typealias VaultAuditEvent = AuditEvent
