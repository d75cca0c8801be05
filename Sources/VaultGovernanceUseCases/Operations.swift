import Vault
internal import VaultPlatform
internal import VaultPolicy
internal import Foundation
internal import GRDB
internal import VaultCrypto
internal import VaultStore
import VaultGovernance

extension Session {
    /// Default lifetime of a proposed operation: 14 days.
    public static let defaultOperationLifetime: Int64 = 14 * 24 * 3600 * 1000

    /// Proposes a change: an operation file signed by the proposer (a member or custodian). Proposing is not
    /// approving. A recovery must be proposed by the custodian who will apply it: the approvers re-seal their
    /// shares to a one-time key derived from the proposer's identity and the operation's nonce.
    /// - Throws: `VaultError.invalidInput` when the change cannot apply to the current state.
    public func propose(_ change: Change, lifetime: Int64 = Session.defaultOperationLifetime) throws -> GovernanceOperation {
        var change = change
        var operation = GovernanceOperation(vaultID: vault.vaultID, previousState: vault.state.headHash, change: change,
                                  expires: Clock.nowMilliseconds() + lifetime, proposer: identity.publicKey.keyID)
        if case let .recover(key, role, _) = change {
            guard isCustodian else { throw VaultError.notPermitted("only a custodian may propose a recovery (they apply it)") }
            change = .recover(key, role, oneTimeKey: try identity.oneTimePublicKey(context: operation.nonce))
            operation.change = change
        }
        if let problem = vault.state.changeProblem(change) { throw VaultError.invalidInput(change.typeName, problem) }
        operation.proposerSignature = try identity.sign(operation.body, context: .operation)
        return operation
    }

    /// Approves an operation: checks it against the vault's state, then adds this custodian's signature. For a
    /// recovery, the custodian's shares of the keys the recovered role needs (`CompartmentShares`), and of any
    /// recovery key an earlier release dealt, are opened and re-sealed to the proposer's one-time key and
    /// carried (sealed) in the approval, which the signature covers; no other key's share leaves.
    /// - Throws: `VaultError.notPermitted` for a non-custodian; `VaultError.invalidInput` for a second
    ///   approval by the same custodian or an operation that cannot apply (stale, expired, another vault's).
    public func approve(_ operation: GovernanceOperation) throws -> GovernanceOperation {
        guard isCustodian else { throw VaultError.notPermitted("only custodians approve operations; \(keyIDHex) is not a custodian") }
        let status = vault.state.status(of: operation, now: Clock.nowMilliseconds())
        if let problem = status.problems.first { throw VaultError.invalidInput("operation", problem) }
        guard !operation.approvals.contains(where: { $0.custodian == identity.publicKey.keyID }) else {
            throw VaultError.invalidInput("operation", "custodian \(keyIDHex) has approved this operation already")
        }
        var sealedShare: [UInt8] = []
        if case let .recover(_, role, oneTimeKey) = operation.change {
            let state = vault.state
            let bundle = try vault.database.queue.read { db -> SecretBox in
                // Shares of the recovery key an earlier release dealt, while the vault still has one (never
                // once a change replaced it by share sets: its secret would open every compartment).
                var dealt: [(Int64, SecretBox)] = []
                for row in try RecoveryShareRow.sealed(to: keyIDHex, db) where !state.recoveryPublicKey.isEmpty {
                    do { dealt.append((row.generation, SecretBox(try identity.openSealedBox(Array(row.sealed))))) } catch {
                        throw VaultError.integrity("the recovery share of generation \(row.generation) sealed to \(keyIDHex) does not open")
                    }
                }
                // Shares of the keys the recovered role holds, and only those.
                var compartments: [CompartmentShares.Share] = []
                for compartment in Compartment.allCases {
                    let generation = state.currentGeneration(compartment)
                    var kinds: [String] = []
                    if state.readable(by: role).contains(compartment) { kinds.append("secret") }
                    if state.indexable(by: role).contains(compartment) { kinds.append("index") }
                    for kind in kinds {
                        for wrap in try KeyWrapRow.shares(of: keyIDHex, compartment: compartment.rawValue, generation: generation, kind: kind, db) {
                            let set = String(wrap.holder.prefix { $0 != "/" })
                            // No set the governance state has not started (a planted name).
                            guard let number = Int64(set.dropFirst("recovery-".count)), number <= state.recoveryGeneration else { continue }
                            do {
                                let share = try ShamirShare.deserialize(try identity.openSealedBox(Array(wrap.sealed)))
                                compartments.append(.init(compartment: compartment, kind: kind, generation: generation, recoveryHolder: set, share: share))
                            } catch {
                                throw VaultError.integrity("the share of the \(compartment.rawValue) \(kind) key in \(set) sealed to \(keyIDHex) does not open")
                            }
                        }
                    }
                }
                guard !dealt.isEmpty || !compartments.isEmpty else { throw VaultError.integrity("no recovery share is sealed to custodian \(keyIDHex)") }
                return SecretBox(RecoveryShares.encodeBundle(dealt: dealt, compartments: compartments))
            }
            sealedShare = try SealedBox.seal(bundle.bytes, to: oneTimeKey)
        }
        var approved = operation
        let signature = try identity.sign(GovernanceOperation.approvalMessage(operationID: operation.id, sealedShare: sealedShare), context: .approval)
        approved.approvals.append(.init(custodian: identity.publicKey.keyID, signature: signature, sealedShare: sealedShare))
        return approved
    }

    /// Applies an operation with k valid custodian signatures: in one transaction, the change and the
    /// applier's effects go into the governance chain, keys are rotated, re-split and granted as far as this
    /// member's keys allow (the rest stays pending for the next member who holds the keys), and the audit log
    /// records it with its signers. A `rotate-keys --reencrypt` then re-encrypts every blob (resumable).
    /// - Throws: `VaultError.invalidInput` naming why it is refused (too few signatures, a non-custodian
    ///   signer, a duplicate, expired, stale, another vault's); `VaultError.integrity` for a forged recovery share,
    ///   naming its holder.
    public func apply(_ operation: GovernanceOperation) throws {
        // Expiry is judged at a time the log makes monotonic: never before the newest event, so an applier
        // whose clock is set back cannot apply an operation that expired.
        let newest = try vault.database.queue.read { db in try AuditLog.newestTime(db) } ?? 0
        let now = max(Clock.nowMilliseconds(), newest)
        let state = vault.state
        let status = state.status(of: operation, now: now)
        if let problem = status.problems.first { throw VaultError.invalidInput("operation", problem) }
        guard status.hasQuorum else {
            throw VaultError.invalidInput("operation", "it has \(status.validSigners.count) of the \(state.threshold) custodian signatures needed")
        }
        if GovernanceState.replacesRecoveryKey(operation.change) && !isCustodian {
            throw VaultError.notPermitted("a change that replaces the recovery key must be applied by a custodian")
        }
        if case .recover = operation.change, operation.proposer != identity.publicKey.keyID {
            throw VaultError.notPermitted("a recovery must be applied by the custodian who proposed it")
        }
        try write { db in
            let work = KeyWork(vaultID: vault.vaultID, state: state)
            work.keyCommitmentCheck = keyRing.keyCommitmentCheck
            try work.learn(from: keyRing, db: db)
            if case let .recover(_, role, _) = operation.change {
                // Only the keys of the role recovered, from the custodians' shares (or, in a vault of the first
                // releases that still has it, from the dealt recovery key).
                let opened = try RecoveryShares.open(operation, state: state, custodian: identity)
                let problems = try work.learn(fromShares: opened.compartmentShares, readable: state.readable(by: role),
                                              indexable: state.indexable(by: role), db: db)
                if !state.recoveryPublicKey.isEmpty {
                    for (generation, secret) in opened.secrets {
                        try work.learn(fromRecoverySecret: secret, recoveryGeneration: generation, readable: state.readable(by: role),
                                       indexable: state.indexable(by: role), db: db)
                    }
                }
                let preview = state.transitioned(by: operation.change, atSequence: state.chainLength + 1)
                let needed = preview.readable(by: role).filter { !work.knows("secret", $0, state.currentGeneration($0)) }
                guard needed.isEmpty else {
                    throw VaultError.integrity("the custodians' shares do not rebuild the \(needed.map(\.rawValue).sorted().joined(separator: ", ")) compartment key; nothing was changed"
                                               + (problems.isEmpty ? "" : " (" + problems.joined(separator: "; ") + ")"))
                }
            }
            let preview = state.transitioned(by: operation.change, atSequence: state.chainLength + 1)
            var effects = GovernanceEntry.Effects()

            // A change of the custodians or the threshold (or a recovery) deals nothing (issue 16): it starts a
            // new share set, which each key's holders make by splitting the key they hold (`ensureWraps`).
            // New compartment keys for rotations this member can do now.
            var newSecrets: [Compartment: (SecretBox, [UInt8])] = [:]
            let myRoleAfter = preview.role(of: keyIDHex)
            for compartment in Compartment.allCases {
                let required = preview.requiredGenerations[compartment] ?? 1
                let current = state.currentGeneration(compartment)
                // Only a member who still reads the compartment after the change chooses its new key.
                guard required > current, work.knows("secret", compartment, current),
                      let myRoleAfter, preview.readable(by: myRoleAfter).contains(compartment) else { continue }
                let pair = X25519.generateKeyPair()
                newSecrets[compartment] = (SecretBox(pair.secretKey.duplicate()), pair.publicKey)
                effects.compartmentKeys.append((compartment, required, pair.publicKey))
            }

            var entry = GovernanceEntry(operation: operation, appliedAt: now, applier: identity.publicKey.keyID, effects: effects)
            try entry.sign(with: identity)
            let body = entry.body
            let next = try state.applying(entry, body: body)
            try GovernanceRow(seq: Int64(next.chainLength), body: Data(body), hash: Data(next.headHash)).insert(db)
            FaultInjection.point("apply.after-entry")

            // Rotations: re-seal under the new keys (the state before the rotation knows the old public keys).
            for compartment in Compartment.allCases {
                guard let (secret, publicKey) = newSecrets[compartment] else { continue }
                try work.rotate(compartment, to: next.requiredGenerations[compartment] ?? 1, newSecret: secret, publicKey: publicKey,
                                attestBy: nil, db: db)
            }
            work.state = next
            try work.ensureWraps(db: db)
            if case let .withdrawConsent(pseudonym) = operation.change {
                // Crypto-shredding: the witness's identity data key and everything it encrypted are destroyed
                // (secure_delete overwrites the freed pages).
                try RecordFieldRow.deleteAll(kind: "witness", recordID: pseudonym, compartment: "identity", db)
                try RecordKeyRow.shred(kind: "witness", recordID: pseudonym, compartment: "identity", db)
                try BlindIndexRow.deleteAll(kind: "witness", recordID: pseudonym, db)
                // What others wrote about them (the notes of the deliveries they made, the names they gave
                // when identifying someone) goes too, when this member can read whose they are; otherwise
                // the first member who can does it (`fulfilPendingWork`).
                if try keyRing.holds("secret", of: .case, generation: generation(.case), db: db) {
                    try shredTiedIdentityData(of: pseudonym, db)
                }
            }
            FaultInjection.point("apply.before-commit")
            var objects = [Hex.encode(operation.id)]
            switch operation.change {
            case let .addMember(key, _, _), let .removeMember(key), let .setRole(key, _), let .addCustodian(key),
                 let .removeCustodian(key), let .recover(key, _, _):
                objects.append(key.keyIDHex)
            case let .addRecipient(name, _), let .addTimeStampAuthority(name, _, _): objects.append(name)
            case let .withdrawConsent(pseudonym): objects.append(pseudonym)
            case let .courtOrder(recipient, witnesses, _): objects += [recipient] + witnesses
            default: break
            }
            objects += status.validSigners.map { "signer:" + $0 }
            try audit(db, action: "governance." + operation.change.typeName, objects: objects, commitments: work.keyCommitments)
        }
        try vault.reloadState()
        try continueReencryption()
    }

    /// Work that governance left pending and this member's keys can do now: complete rotations (attesting
    /// the new public keys), grant missing wraps to members and to the current recovery key, remove wraps to
    /// replaced recovery keys, and continue a re-encryption. Each step is audited. Cheap when nothing is pending.
    /// - Returns: short descriptions of what was done.
    @discardableResult
    public func fulfilPendingWork() throws -> [String] {
        var done: [String] = []
        let state = vault.state
        let needsWork = try vault.database.queue.read { db -> Bool in
            let work = KeyWork(vaultID: vault.vaultID, state: state)
            try work.learn(from: keyRing, db: db)
            return try work.hasWork(db: db)
        }
        if needsWork {
            try write { db in
                let work = KeyWork(vaultID: vault.vaultID, state: state)
                try work.learn(from: keyRing, db: db)
                var rotated: [String] = []
                for compartment in Compartment.allCases where state.rotationPending(compartment)
                    && work.knows("secret", compartment, state.currentGeneration(compartment)) {
                    let generation = state.requiredGenerations[compartment] ?? 1
                    let pair = X25519.generateKeyPair()
                    try work.rotate(compartment, to: generation, newSecret: SecretBox(pair.secretKey.duplicate()), publicKey: pair.publicKey,
                                    attestBy: identity, db: db)
                    rotated.append(compartment.rawValue)
                }
                try work.ensureWraps(db: db)
                if !rotated.isEmpty {
                    try audit(db, action: "compartment.rotate", objects: rotated, commitments: work.keyCommitments)
                    done.append("rotated the \(rotated.joined(separator: ", ")) compartment key\(rotated.count == 1 ? "" : "s")")
                }
                if !work.granted.isEmpty {
                    try audit(db, action: "key.grant", objects: work.granted.sorted())
                    done.append("granted keys to \(work.granted.sorted().joined(separator: ", "))")
                }
            }
            try vault.reloadState()
        }
        if try continueReencryption() > 0 { done.append("re-encrypted sealed originals") }
        done += try shredPendingIdentityData()
        let indexed = try indexPendingRecords()
        if indexed > 0 { done.append("indexed \(indexed) record\(indexed == 1 ? "" : "s") for search") }
        return done
    }

    /// For each witness whose consent was withdrawn and whose tied identity data was not destroyed yet,
    /// destroys it when this member can read whose it is (the case compartment key), one audited
    /// `witness.shred` event each.
    /// - Returns: short descriptions of what was done.
    /// - Throws: database errors; what `shredTiedIdentityData` throws.
    func shredPendingIdentityData() throws -> [String] {
        let withdrawn = vault.state.consentWithdrawn.sorted()
        guard !withdrawn.isEmpty else { return [] }
        let pending = try vault.database.queue.read { db -> [String] in
            guard try keyRing.holds("secret", of: .case, generation: generation(.case), db: db) else { return [] }
            return try withdrawn.filter { try !VaultMetaRow.isShredded(pseudonym: $0, db) }
        }
        var done: [String] = []
        for pseudonym in pending {
            let result = try write { db -> (Int, [String])? in
                // Another member may have done it since this session looked.
                guard try !VaultMetaRow.isShredded(pseudonym: pseudonym, db) else { return nil }
                let result = try shredTiedIdentityData(of: pseudonym, db)
                // Audited whenever something was destroyed or the work is complete (the marker is written).
                if result.0 > 0 || result.1.isEmpty { try audit(db, action: "witness.shred", objects: [pseudonym]) }
                return result
            }
            guard let (count, unopened) = result else { continue }
            done.append("destroyed the identity data tied to withdrawn witness \(pseudonym) (\(count) record\(count == 1 ? "" : "s"))"
                        + (unopened.isEmpty ? "" : "; these records could not be opened and were left as they are (run `amanah check`): \(unopened.joined(separator: ", "))"))
        }
        return done
    }

    /// Destroys, for withdrawn witness `pseudonym`, the identity compartment of every source record naming
    /// them (the note of a delivery they made) and of every case record they identified (the name they gave),
    /// its data key and fields (crypto-shredding; `secure_delete` overwrites the freed pages), and stores the
    /// marker that this was done. Needs the case compartment key, to read whose the records are.
    /// - Returns: the number of records whose identity data was destroyed, and the records that could not be
    ///   opened (a changed or planted row: left as they are, named so that a person looks at them; one bad
    ///   record must not stop the withdrawal or every later command).
    /// - Throws: database errors.
    @discardableResult
    func shredTiedIdentityData(of pseudonym: String, _ db: Database) throws -> (Int, [String]) {
        var tied: [(RecordKind, String)] = []
        var unopened: [String] = []
        for (kind, field) in [(RecordKind.source, "witness"), (RecordKind.case, "identifiedBy")] {
            for id in try RecordRow.ids(kind: kind.rawValue, db) {
                guard let opened = try? RecordCodec.open(kind: kind, id: id, vaultID: vault.vaultID, keyRing: keyRing, db: db) else {
                    unopened.append(kind.rawValue + " " + id)
                    continue
                }
                if opened.fields[field]?.displayText == pseudonym { tied.append((kind, id)) }
            }
        }
        for (kind, id) in tied {
            try RecordFieldRow.deleteAll(kind: kind.rawValue, recordID: id, compartment: Compartment.identity.rawValue, db)
            try RecordKeyRow.shred(kind: kind.rawValue, recordID: id, compartment: Compartment.identity.rawValue, db)
        }
        // Done only when every record could be read: a record that does not open may be one of theirs, and
        // the work stays pending (and is reported) until it can be.
        if unopened.isEmpty { try VaultMetaRow.insertShredded(pseudonym: pseudonym, at: Clock.nowMilliseconds(), db) }
        return (tied.count, unopened)
    }

    /// Re-encrypts, one item per transaction, every blob sealed before the newest `rotate-keys --reencrypt`:
    /// a new data key, a new blob (written durably first), then the item's key, fields and blob id updated in
    /// one transaction, then the old blob removed. Killed at any point, it leaves each item old or new, and the
    /// next member with the media key continues. Returns the number of items re-encrypted.
    @discardableResult
    public func continueReencryption() throws -> Int {
        guard let target = vault.state.reencryptionSequence else { return 0 }
        let pending = try vault.database.queue.read { db -> [ItemRow] in
            guard try keyRing.holds("secret", of: .media, generation: generation(.media), db: db) else { return [] }
            return try ItemRow.all(keyEpochBelow: Int64(target), db)
        }
        var count = 0
        for item in pending {
            let (oldKey, fields) = try vault.database.queue.read { db -> (SecretBox, RecordCodec.Opened) in
                (try RecordCodec.dataKey(kind: .item, id: item.id, compartment: .media, keyRing: keyRing, db: db),
                 try RecordCodec.open(kind: .item, id: item.id, vaultID: vault.vaultID, keyRing: keyRing, db: db))
            }
            guard let sizeText = fields.fields["size"]?.displayText, let size = UInt64(sizeText) else {
                throw VaultError.integrity("item \(item.id) lacks its sealed size")
            }
            let newKey = SecretBox(SecretBytes.random(count: 32))
            let newBlob = BlobStore.newID()
            let oldBlobKey = Self.blobKey(from: oldKey), newBlobKey = Self.blobKey(from: newKey)
            let sealedSize = try vault.blobs.write(id: newBlob) { out in
                var source = try vault.blobs.open(id: item.blobID)
                let pipe = ReencryptingPipe(size: size)
                try pipe.run(from: &source, oldKey: oldBlobKey.bytes,
                             oldAD: Self.blobAssociatedData(vaultID: vault.vaultID, blobID: item.blobID),
                             to: out, newKey: newBlobKey.bytes, newAD: Self.blobAssociatedData(vaultID: vault.vaultID, blobID: newBlob))
            }
            FaultInjection.point("reencrypt.after-blob")
            do {
                try write { db in
                    try RecordFieldRow.deleteAll(kind: "item", recordID: item.id, db)
                    try RecordKeyRow.deleteAll(kind: "item", recordID: item.id, db)
                    try RecordCodec.write(kind: .item, id: item.id, fields: fields.fields.merging(fields.signatures) { $1 }, vaultID: vault.vaultID, state: vault.state,
                                          presetKeys: [.media: newKey], db: db)
                    var updated = item
                    updated.blobID = newBlob
                    updated.sealedSize = Int64(sealedSize)
                    updated.keyEpoch = Int64(target)
                    try updated.update(db)
                    try audit(db, action: "item.reencrypt", objects: [item.id])
                }
            } catch {
                vault.blobs.remove(id: newBlob)
                throw error
            }
            vault.blobs.remove(id: item.blobID)
            count += 1
        }
        return count
    }
}

#if canImport(Glibc)
import Glibc
#endif
