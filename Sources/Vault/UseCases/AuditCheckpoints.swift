internal import VaultText
import VaultPlatform
import VaultPolicy
import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore
import VaultGovernance

extension Vault {
    /// The current audit tree as an unsigned checkpoint: this vault, the number of events and the RFC 6962
    /// root (SHA-256 of the empty string for an empty log).
    /// - Throws: `VaultError.integrity` when the tree and the log disagree on the number of events or on the
    ///   newest leaf hash (run `audit verify`); database errors.
    public func currentCheckpoint() throws -> Checkpoint {
        try database.queue.read { db in try Vault.currentCheckpoint(db, vaultID: vaultID) }
    }

    static func currentCheckpoint(_ db: Database, vaultID: [UInt8]) throws -> Checkpoint {
        let tree = AuditLog.tree(db)
        let size = try tree.size()
        let head = try AuditLog.head(db)
        guard size == UInt64(head.size) else {
            throw VaultError.integrity("the audit tree has \(counted(size, "leaf", "leaves")) but the audit log has \(counted(head.size, "event")); run amanah audit verify")
        }
        if size > 0, try tree.leafHash(at: size - 1) != head.leafHash {
            throw VaultError.integrity("the audit tree does not end with the newest event's hash; run amanah audit verify")
        }
        return try Checkpoint(vaultID: vaultID, size: size, rootHash: tree.root())
    }

    /// The checkpoints kept in the vault, by size then root; a row whose note does not parse is returned with
    /// the parse error instead.
    /// - Throws: database errors.
    public func storedCheckpoints() throws -> [(row: CheckpointRow, parsed: Result<SignedCheckpoint, AuditError>)] {
        try database.queue.read { db in
            try CheckpointRow.bySizeAndRoot(db).map { row in
                do { return (row, .success(try SignedCheckpoint(parsing: row.note))) } catch let error as AuditError {
                    return (row, .failure(error))
                } catch {
                    return (row, .failure(.malformedCheckpoint("\(error)")))
                }
            }
        }
    }

    /// Merges a checkpoint received from a remote (`amanah sync`) into the stored ones, after checking it as
    /// `audit verify` checks a stored one: this vault's origin, the log signature of a present or former member
    /// or custodian, no signature by a known key that fails, and the tree's root at its size. Returns false for a
    /// checkpoint beyond this log (kept for a later sync) or one that adds nothing.
    /// - Throws: `VaultError.integrity` for a checkpoint that does not verify or that this log contradicts (a
    ///   fork); database errors.
    public func mergeReceivedCheckpoint(_ text: [UInt8]) throws -> Bool {
        let signed: SignedCheckpoint
        do { signed = try SignedCheckpoint(parsing: text) } catch { throw VaultError.integrity("a checkpoint does not parse: \(error)") }
        let keys = Array(state.knownKeys.values)
        if case let .rejected(reason) = signed.verify(vaultID: vaultID, logSigners: keys, cosigners: keys) {
            throw VaultError.integrity("a checkpoint of size \(signed.checkpoint.size) does not verify: \(reason)")
        }
        return try database.write { db in
            let tree = AuditLog.tree(db)
            guard signed.checkpoint.size <= (try tree.size()) else { return false }
            guard try tree.root(atSize: signed.checkpoint.size) == signed.checkpoint.rootHash else {
                throw VaultError.integrity("a checkpoint of size \(signed.checkpoint.size) has another root than this vault's log at that size: the log and the checkpoint have forked")
            }
            let before = try CheckpointRow.find(size: Int64(signed.checkpoint.size), rootHash: Data(signed.checkpoint.rootHash), db)?.note
            return try Vault.storeCheckpoint(signed, db: db).text != before
        }
    }

    /// How a key appears in this vault, for display: `custodian`, a member role, both joined with `+`
    /// (`custodian+auditor`), `former` for a key that was a member or custodian once, nil for an unknown key.
    public func roleDescription(keyIDHex: String) -> String? {
        var parts: [String] = []
        if state.isCustodian(keyIDHex) { parts.append("custodian") }
        if let role = state.role(of: keyIDHex) { parts.append(role.rawValue) }
        if let name = state.members[keyIDHex]?.name { parts.append(name) }
        if !parts.isEmpty { return parts.joined(separator: "+") }
        return state.knownKeys[keyIDHex] == nil ? nil : "former"
    }

    /// The checkpoint this client remembers having seen or cosigned for this vault, if any.
    /// - Throws: `VaultError.failed` when the client state or its checkpoint cannot be read.
    public func rememberedCheckpoint() throws -> SignedCheckpoint? {
        guard let text = try ClientState.load(vaultID: vaultID)?.checkpoint else { return nil }
        do { return try SignedCheckpoint(parsing: text) } catch {
            throw VaultError.failed("the checkpoint this client remembers cannot be read: \(error)")
        }
    }

    /// Stores `signed` in `checkpoint`, merging its signatures into the row of the same size and root if there
    /// is one. Returns the stored note.
    /// - Throws: `VaultError.integrity` when the stored note of that checkpoint does not parse or holds a
    ///   different signature under the same key; database errors.
    static func storeCheckpoint(_ signed: SignedCheckpoint, db: Database) throws -> SignedCheckpoint {
        let checkpoint = signed.checkpoint
        guard var row = try CheckpointRow.find(size: Int64(checkpoint.size), rootHash: Data(checkpoint.rootHash), db) else {
            try CheckpointRow(size: Int64(checkpoint.size), rootHash: Data(checkpoint.rootHash), note: signed.text,
                              createdAt: Clock.nowMilliseconds()).insert(db)
            return signed
        }
        var stored: SignedCheckpoint
        do {
            stored = try SignedCheckpoint(parsing: row.note)
            try stored.merge(signed)
        } catch {
            throw VaultError.integrity("the stored checkpoint of size \(checkpoint.size) cannot take these signatures: \(error)")
        }
        if stored.text != row.note {
            row.note = stored.text
            try row.update(db)
        }
        return stored
    }
}

extension Session {
    /// Makes a checkpoint of the audit log as it is now, signs it as the log (`SignedCheckpoint`, key name =
    /// origin) and stores it, merged with any earlier signatures of the same checkpoint.
    ///
    /// Making a checkpoint is not itself an audit event: a checkpoint is a signed statement about the log, not
    /// a change of content, and appending an event for it would leave every checkpoint one event behind the log
    /// it describes. So a checkpoint covers exactly events 1…size at the moment it is made, and `audit verify`
    /// checks every stored one against the tree.
    /// - Returns: the stored signed note (this signature and any made earlier for the same size and root).
    /// - Throws: `VaultError.integrity` when the tree and log disagree, or the log does not contain the newest
    ///   stored checkpoint (a fork or a truncated log): nothing is signed then; database errors.
    public func makeCheckpoint() throws -> SignedCheckpoint {
        try write { db in
            let checkpoint = try Vault.currentCheckpoint(db, vaultID: vault.vaultID)
            let tree = AuditLog.tree(db)
            if let newest = try CheckpointRow.largestSize(db) {
                for row in try CheckpointRow.all(size: newest, db) {
                    guard newest >= 0, UInt64(newest) <= checkpoint.size,
                          try tree.root(atSize: UInt64(newest)) == Array(row.rootHash) else {
                        throw VaultError.integrity("the audit log does not contain the stored checkpoint of size \(newest) "
                                                   + "(a fork or a truncated log); run amanah audit verify")
                    }
                }
            }
            let signed = try SignedCheckpoint(signing: checkpoint, by: identity)
            return try Vault.storeCheckpoint(signed, db: db)
        }
    }

    /// Cosigns a checkpoint as a custodian or auditor (c2sp.org/tlog-cosignature, key name
    /// `amanah-<key id hex>`) after `Vault.checkForCosigning` accepts it, and stores the merged note. Adds no
    /// second cosignature when this member already cosigned this note. The caller remembers the result
    /// (`Vault.rememberState(checkpoint:)`). Not an audit event, for the reason `makeCheckpoint` gives.
    /// - Parameter time: the cosignature's timestamp, POSIX seconds.
    /// - Returns: the stored note with every signature the vault holds for this checkpoint.
    /// - Throws: `VaultError.notPermitted` unless the member is a custodian or auditor; what
    ///   `checkForCosigning` throws; database errors.
    public func cosignCheckpoint(_ given: SignedCheckpoint, time: UInt64) throws -> SignedCheckpoint {
        guard isCustodian || role == .auditor else {
            throw VaultError.notPermitted("cosigning checkpoints is for custodians and auditors, and you are \(role?.rawValue ?? "neither")")
        }
        let verified = try vault.checkForCosigning(given)
        var signed = given
        let myKeyID = identity.publicKey.keyID
        if !verified.cosignatures.contains(where: { $0.cosigner.keyID == myKeyID }) {
            try signed.cosign(by: identity, time: time)
        }
        return try write { db in
            // The tree only grows, so its root at this size cannot have changed since the check.
            try Vault.storeCheckpoint(signed, db: db)
        }
    }
}

extension Vault {
    /// Checks a checkpoint before anyone cosigns it, reading only, in this order:
    /// 1. its signatures: the origin is this vault, a present or former member or custodian signed it as the
    ///    log, and no signature by a known key fails;
    /// 2. the vault: its audit log has at least `size` events and the tree's root at `size` is the checkpoint's;
    /// 3. the last checkpoint this client saw (`rememberedCheckpoint()`): the vault's log is not smaller, and the
    ///    two checkpoints are consistent, by a consistency proof taken from the vault's tree (either may be the
    ///    larger);
    /// 4. the rest of what this client remembers (`checkAgainstClientState()`).
    /// - Returns: the verified signatures.
    /// - Throws: `VaultError.integrity` naming the failed check (1–3); `VaultError.rollback` (4); database errors.
    public func checkForCosigning(_ given: SignedCheckpoint) throws -> VerifiedCheckpoint {
        let keys = Array(state.knownKeys.values)
        let verified: VerifiedCheckpoint
        switch given.verify(vaultID: vaultID, logSigners: keys, cosigners: keys) {
        case let .rejected(reason): throw VaultError.integrity("the checkpoint does not verify: \(reason)")
        case let .verified(result): verified = result
        }
        let checkpoint = given.checkpoint
        let seen = try rememberedCheckpoint()?.checkpoint
        try database.queue.read { db in
            let tree = AuditLog.tree(db)
            let size = try tree.size()
            guard checkpoint.size <= size else {
                throw VaultError.integrity("the checkpoint has size \(checkpoint.size) but the vault's audit log has only \(counted(size, "event")): "
                                           + "the vault is older than the checkpoint, or its log was truncated")
            }
            guard try tree.root(atSize: checkpoint.size) == checkpoint.rootHash else {
                throw VaultError.integrity("the checkpoint's root differs from the vault's audit log at size \(checkpoint.size): "
                                           + "the checkpoint and the log have forked")
            }
            guard let seen else { return }
            guard seen.size <= size else {
                throw VaultError.integrity("you saw a checkpoint of size \(seen.size), but the vault's audit log has only \(counted(size, "event")): "
                                           + "the vault was rolled back")
            }
            let consistent = seen.size <= checkpoint.size
                ? seen.isConsistent(with: checkpoint, proof: try tree.consistencyProof(oldSize: seen.size, newSize: checkpoint.size))
                : checkpoint.isConsistent(with: seen, proof: try tree.consistencyProof(oldSize: checkpoint.size, newSize: seen.size))
            guard consistent else {
                throw VaultError.integrity("the checkpoint is not consistent with the checkpoint of size \(seen.size) you saw before: "
                                           + "the log forked")
            }
        }
        try checkAgainstClientState()
        return verified
    }
}

extension Session {
    /// Records that this member accepted a vault restored from a backup (`amanah trust-restored`): an audit
    /// event `vault.restore-accepted` naming the position this client had seen and the one it accepted.
    /// - Throws: database errors.
    public func recordRestoreAccepted(wasAudit: Int, wasGovernance: Int) throws {
        try write { db in
            let size = try AuditLog.head(db).size
            try audit(db, action: "vault.restore-accepted",
                      objects: ["seen:\(wasAudit)/\(wasGovernance)", "accepted:\(size)/\(vault.state.chainLength)"])
        }
    }
}
