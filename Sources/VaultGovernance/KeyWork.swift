import VaultPolicy
import Foundation
import GRDB
import VaultCrypto
import VaultStore

/// Key management inside one transaction: which compartment keys this client knows (its own wraps, or
/// keys rebuilt from the recovery key), rotating a compartment to a new generation (data keys re-sealed,
/// small records re-encrypted, blind indexes and duplicate tokens rebuilt), and making sure every member
/// and the current recovery key hold the wraps their role entitles them to.
public final class KeyWork {
    /// The vault id (32 bytes), bound into every sealed field.
    public let vaultID: [UInt8]
    /// The governance state the work follows (a rotation advances it).
    public var state: GovernanceState
    private var known: [String: SecretBox] = [:]
    /// Holders that received wraps (for the audit event).
    public private(set) var granted: Set<String> = []
    /// Commitments to the index keys this work made (`KeyCommitment`), for the audit event of the moment.
    public private(set) var keyCommitments: [[UInt8]] = []
    /// Checks an index key learnt from the recovery key against the signed log's commitments (set by the
    /// caller, as `KeyRing.keyCommitmentCheck`).
    public var keyCommitmentCheck: ((String, Compartment, Int64, SecretBox, Database) throws -> Void)?

    /// Work on the vault `vaultID` under `state`; it knows no keys yet (see `learn`).
    public init(vaultID: [UInt8], state: GovernanceState) {
        self.vaultID = vaultID
        self.state = state
    }

    private static func slot(_ kind: String, _ compartment: Compartment, _ generation: Int64) -> String {
        "\(kind)/\(compartment.rawValue)/\(generation)"
    }

    /// Whether the `kind` ("secret" or "index") key of `compartment` at `generation` is known.
    public func knows(_ kind: String, _ compartment: Compartment, _ generation: Int64) -> Bool {
        known[Self.slot(kind, compartment, generation)] != nil
    }

    /// The `kind` ("secret" or "index") key of `compartment` at `generation`, if known.
    public func key(_ kind: String, _ compartment: Compartment, _ generation: Int64) -> SecretBox? {
        known[Self.slot(kind, compartment, generation)]
    }

    /// Remembers a key obtained elsewhere (a rotation's new secret, say).
    public func learn(_ kind: String, _ compartment: Compartment, _ generation: Int64, _ box: SecretBox) {
        known[Self.slot(kind, compartment, generation)] = box
    }

    /// Learns the current-generation keys this member holds through their own wraps.
    public func learn(from keyRing: KeyRing, db: Database) throws {
        for compartment in Compartment.allCases {
            let generation = state.currentGeneration(compartment)
            for kind in ["secret", "index"] where try keyRing.holds(kind, of: compartment, generation: generation, db: db) {
                learn(kind, compartment, generation, try keyRing.key(kind, of: compartment, generation: generation, db: db))
            }
        }
    }

    /// Learns the current-generation keys wrapped to recovery key `recoveryGeneration` (dealt by a first
    /// release), given its rebuilt secret: of `readable` the secret keys and of `indexable` the index keys only.
    public func learn(fromRecoverySecret secret: SecretBox, recoveryGeneration: Int64, readable: Set<Compartment>,
                      indexable: Set<Compartment>, db: Database) throws {
        guard let info = state.recoveryHistory[recoveryGeneration] else { return }
        for compartment in Compartment.allCases {
            let generation = state.currentGeneration(compartment)
            for kind in ["secret", "index"] where !knows(kind, compartment, generation)
                && (kind == "secret" ? readable : indexable).contains(compartment) {
                guard let wrap = try KeyWrapRow.find(compartment: compartment.rawValue, generation: generation, kind: kind,
                                                     holder: "recovery-\(recoveryGeneration)", db) else { continue }
                let box: SecretBox
                do {
                    box = SecretBox(try SealedBox.open(Array(wrap.sealed), publicKey: info.publicKey, secretKey: secret.bytes))
                } catch {
                    throw VaultError.integrity("the \(compartment.rawValue) \(kind) key wrapped to recovery key \(recoveryGeneration) does not open")
                }
                if kind == "secret" {
                    try CompartmentKeyCheck.verify(box, compartment: compartment, generation: generation, state: state,
                                                   holder: "wrapped to recovery key \(recoveryGeneration)")
                } else if let check = keyCommitmentCheck {
                    try check(kind, compartment, generation, box, db)
                }
                learn(kind, compartment, generation, box)
            }
        }
    }

    /// Learns the current-generation keys that the custodians' shares rebuild (`CompartmentShares`), of
    /// `readable` the secret keys and of `indexable` the index keys only. For each key, the sets are tried
    /// newest first, and within a set every combination of its threshold of distinct custodians' shares, until
    /// one rebuilds the key the governance chain names (a secret whose public key is the compartment's; an
    /// index key whose commitment the log holds). A key no combination rebuilds stays unknown; the returned
    /// lines say why, naming the custodians whose shares were combined.
    @discardableResult
    public func learn(fromShares shares: [(custodian: String, share: CompartmentShares.Share)], readable: Set<Compartment>,
                      indexable: Set<Compartment>, db: Database) throws -> [String] {
        var groups: [String: [(String, CompartmentShares.Share)]] = [:]
        for (custodian, share) in shares where share.generation == state.currentGeneration(share.compartment)
            && (share.kind == "secret" ? readable : share.kind == "index" ? indexable : []).contains(share.compartment) {
            let key = "\(share.compartment.rawValue)/\(share.kind)/\(share.recoveryHolder)"
            guard !(groups[key] ?? []).contains(where: { $0.0 == custodian }) else { continue }
            groups[key, default: []].append((custodian, share))
        }
        func setNumber(_ holder: String) -> Int64 { Int64(holder.dropFirst("recovery-".count)) ?? 0 }
        var problems: [String] = []
        for group in groups.values.sorted(by: { setNumber($0[0].1.recoveryHolder) > setNumber($1[0].1.recoveryHolder) }) {
            let first = group[0].1
            guard !knows(first.kind, first.compartment, first.generation) else { continue }
            let threshold = state.recoveryHistory[setNumber(first.recoveryHolder)]?.threshold ?? state.threshold
            let usable = group.filter { $0.1.share.threshold == threshold }
            guard usable.count >= threshold else {
                problems.append("the \(first.compartment.rawValue) \(first.kind) key: \(usable.count) usable share\(usable.count == 1 ? "" : "s") of \(first.recoveryHolder), \(threshold) needed")
                continue
            }
            for combination in Self.combinations(of: usable.count, choosing: threshold).prefix(256) {
                let chosen = combination.map { usable[$0] }
                let from = chosen.map(\.0).sorted().joined(separator: ", ")
                let holder = "rebuilt from the shares of custodians \(from)"
                do {
                    let box = SecretBox(try Shamir.combine(chosen.map(\.1.share)))
                    if first.kind == "secret" {
                        try CompartmentKeyCheck.verify(box, compartment: first.compartment, generation: first.generation, state: state, holder: holder)
                    } else if let check = keyCommitmentCheck {
                        do { try check(first.kind, first.compartment, first.generation, box, db) } catch {
                            throw VaultError.integrity("the \(first.compartment.rawValue) index key (generation \(first.generation)) \(holder) is not a key the signed log commits to (a forged or damaged share)")
                        }
                    }
                    learn(first.kind, first.compartment, first.generation, box)
                    break
                } catch let error as VaultError {
                    problems.append("\(error)")
                } catch {
                    problems.append("the shares of the \(first.compartment.rawValue) \(first.kind) key from custodians \(from) do not combine (forged or damaged)")
                }
            }
        }
        return problems
    }

    /// The `choosing`-element subsets of `0..<count`, in lexicographic order.
    static func combinations(of count: Int, choosing k: Int) -> [[Int]] {
        guard k > 0, k <= count else { return k == 0 ? [[]] : [] }
        var result: [[Int]] = []
        var current: [Int] = []
        func extend(from start: Int) {
            if current.count == k { result.append(current); return }
            guard start < count, result.count < 256 else { return }
            for index in start..<count where count - index >= k - current.count {
                current.append(index)
                extend(from: index + 1)
                current.removeLast()
            }
        }
        extend(from: 0)
        return result
    }

    /// Rotates `compartment` from its current generation to `generation` using `newSecret`/`publicKey`:
    /// every data key of that compartment is re-sealed (records other than item blobs get fresh data keys and
    /// their fields are re-encrypted), blind indexes and (for media) duplicate tokens are rebuilt under a new
    /// index key. Needs the current-generation secret.
    /// - Parameter attestBy: when the rotation is not part of a governance entry, the member who attests the
    ///   new public key.
    public func rotate(_ compartment: Compartment, to generation: Int64, newSecret: SecretBox, publicKey: [UInt8],
                attestBy identity: IdentityBox?, db: Database) throws {
        let oldGeneration = state.currentGeneration(compartment)
        guard let oldSecret = key("secret", compartment, oldGeneration),
              let oldPublic = state.publicKey(compartment, generation: oldGeneration) else {
            throw VaultError.notPermitted("rotating the \(compartment.rawValue) compartment needs its current key")
        }
        let newIndex = SecretBox(SecretBytes.random(count: 32))
        keyCommitments.append(KeyCommitment.make(kind: "index", compartment: compartment, generation: generation, key: newIndex))
        var attestedBy: Data? = nil, attestation: Data? = nil
        if let identity {
            attestedBy = Data(identity.publicKey.keyID)
            attestation = Data(try identity.sign(state.attestationMessage(compartment, generation: generation, publicKey: publicKey),
                                                  context: GovernanceState.attestationContext))
        }
        try CompartmentRow(name: compartment.rawValue, generation: generation, publicKey: Data(publicKey),
                           attestedBy: attestedBy, attestation: attestation,
                           attestedAtChain: identity == nil ? nil : Int64(state.chainLength)).insert(db)

        var newDataKeys: [String: SecretBox] = [:]   // "kind/id" -> key, for rebuilding indexes
        for row in try RecordKeyRow.all(inCompartment: compartment.rawValue, db) {
            guard let kind = RecordKind(rawValue: row.kind) else { continue }
            guard row.generation == oldGeneration else {
                throw VaultError.integrity("\(row.kind) \(row.recordID) has its \(compartment.rawValue) key at generation \(row.generation), expected \(oldGeneration)")
            }
            let dataKey: SecretBox
            do { dataKey = SecretBox(try SealedBox.open(Array(row.sealedKey), publicKey: oldPublic, secretKey: oldSecret.bytes)) } catch {
                throw VaultError.integrity("the \(compartment.rawValue) data key of \(row.kind) \(row.recordID) does not open")
            }
            var replacement = dataKey
            if !(kind == .item && compartment == .media) {
                replacement = SecretBox(SecretBytes.random(count: 32))
                for field in try RecordFieldRow.all(kind: row.kind, recordID: row.recordID, compartment: compartment.rawValue, db) {
                    let ad = RecordCodec.associatedData(vaultID: vaultID, kind: kind, recordID: row.recordID, field: field.field)
                    let plain: SecretBytes
                    do { plain = try XChaCha20Poly1305.open(Array(field.ciphertext), key: dataKey.bytes, associatedData: ad) } catch {
                        throw VaultError.integrity("field \(field.field) of \(row.kind) \(row.recordID) does not authenticate")
                    }
                    var updated = field
                    updated.ciphertext = Data(try plain.withUnsafeBytes { try XChaCha20Poly1305.seal($0, key: replacement.bytes, associatedData: ad) })
                    try updated.update(db)
                }
            }
            var updatedKey = row
            updatedKey.generation = generation
            updatedKey.sealedKey = Data(try SealedBox.seal(replacement.bytes, to: publicKey))
            try updatedKey.update(db)
            newDataKeys[row.kind + "/" + row.recordID] = replacement
        }

        // Blind indexes whose index key belongs to this compartment.
        for (kind, field, indexCompartment) in BlindIndex.indexedFields where indexCompartment == compartment {
            try BlindIndexRow.deleteAll(kind: kind.rawValue, field: field, db)
            for row in try RecordFieldRow.all(kind: kind.rawValue, field: field, db) {
                guard let dataKey = newDataKeys[row.kind + "/" + row.recordID] else { continue }
                let ad = RecordCodec.associatedData(vaultID: vaultID, kind: kind, recordID: row.recordID, field: field)
                let plain = try XChaCha20Poly1305.open(Array(row.ciphertext), key: dataKey.bytes, associatedData: ad)
                let value = try RecordCodec.Value.decode(plain.unprotectedCopy(), isList: false).displayText
                try BlindIndexRow(kind: kind.rawValue, field: field, token: Data(BlindIndex.token(kind: kind, field: field, value: value, indexKey: newIndex)),
                                  recordID: row.recordID).insert(db)
            }
        }
        // Duplicate-detection tokens of items use the media index key.
        if compartment == .media {
            for item in try ItemRow.fetchAll(db) {
                guard let dataKey = newDataKeys["item/" + item.id],
                      let field = try RecordFieldRow.find(kind: "item", recordID: item.id, field: "sha256", db) else {
                    throw VaultError.integrity("item \(item.id) lacks its sealed hash")
                }
                let plain = try XChaCha20Poly1305.open(Array(field.ciphertext), key: dataKey.bytes,
                                                       associatedData: RecordCodec.associatedData(vaultID: vaultID, kind: .item, recordID: item.id, field: "sha256"))
                let digest = try Hex.decode(try RecordCodec.Value.decode(plain.unprotectedCopy(), isList: false).displayText)
                var updated = item
                updated.contentToken = Data(ContentToken.make(digest: digest, indexKey: newIndex))
                try updated.update(db)
            }
        }
        // The pseudonym key is replaced with the case compartment (issue 16): whoever lost the case key (a
        // removed member) must not go on computing the pseudonyms of later releases. A recipient then sees a
        // witness under another pseudonym in releases made after the rotation. The new key is committed in
        // the rotation's event, like the new index keys.
        if compartment == .case {
            let pseudonymKey = SecretBytes.random(count: 32)
            keyCommitments.append(KeyCommitment.make(kind: "pseudonym", compartment: .case, generation: generation,
                                                     key: SecretBox(pseudonymKey.duplicate())))
            try VaultMetaRow.replacePseudonymKey(Data(try SealedBox.seal(pseudonymKey, to: publicKey)), generation: generation, db)
            try VaultMetaRow.deletePseudonymKey(generation: oldGeneration, db)
        }
        // Nothing is sealed to older generations any more: their wraps only help someone who should not read.
        try KeyWrapRow.deleteAll(compartment: compartment.rawValue, olderThan: generation, db)
        state.compartmentKeys[compartment, default: [:]][generation] = publicKey
        learn("secret", compartment, generation, newSecret)
        learn("index", compartment, generation, newIndex)
    }

    /// Wraps every known current-generation key to each member whose role entitles them, and splits it among
    /// the custodians as the current share set (`CompartmentShares`; in a vault of the first releases whose
    /// recovery key no change has replaced yet, wraps it to that key instead), where missing; then removes
    /// the shares of older sets and wraps to older recovery keys (so old shares open nothing).
    public func ensureWraps(db: Database) throws {
        for compartment in Compartment.allCases {
            let generation = state.currentGeneration(compartment)
            for kind in ["secret", "index"] {
                guard let secret = key(kind, compartment, generation) else { continue }
                var holders: [(String, [UInt8])] = []
                if state.recoveryPublicKey.isEmpty {
                    if try !hasCompleteShareSet(compartment, generation: generation, kind: kind, db: db) {
                        // A whole set at once, from one split (shares of different splits do not combine); an
                        // incomplete or padded set (a wrap planted or deleted) is replaced whole.
                        try KeyWrapRow.deleteShares(compartment: compartment.rawValue, generation: generation, kind: kind,
                                                    recoveryHolder: state.recoveryHolder, db)
                        for wrap in try CompartmentShares.wraps(of: secret, compartment: compartment, generation: generation, kind: kind,
                                                                custodians: state.custodians, threshold: state.threshold,
                                                                recoveryHolder: state.recoveryHolder) {
                            try wrap.insert(db)
                            granted.insert(wrap.holder)
                        }
                    }
                } else {
                    holders.append((state.recoveryHolder, state.recoveryPublicKey))
                }
                for member in state.members.values.sorted(by: { $0.key.keyIDHex < $1.key.keyIDHex }) {
                    let entitled = kind == "secret" ? state.readable(by: member.role) : state.indexable(by: member.role)
                    if entitled.contains(compartment) { holders.append((member.key.keyIDHex, member.key.encryptionKey)) }
                }
                for (holder, publicKey) in holders {
                    let exists = try KeyWrapRow.find(compartment: compartment.rawValue, generation: generation, kind: kind, holder: holder, db) != nil
                    if !exists {
                        try KeyWrapRow(compartment: compartment.rawValue, generation: generation, kind: kind, holder: holder,
                                       sealed: Data(try SealedBox.seal(secret.bytes, to: publicKey))).insert(db)
                        granted.insert(holder)
                    }
                }
                try KeyWrapRow.deleteStaleRecoveryWraps(compartment: compartment.rawValue, kind: kind, currentRecoveryHolder: state.recoveryHolder, db)
            }
        }
        // Shares of an older recovery key go once nothing is wrapped to it any more: old shares open nothing.
        try RecoveryShareRow.deleteUnused(olderThan: state.recoveryGeneration, db)
    }

    /// Whether the current share set of a key has exactly one wrap per current custodian.
    func hasCompleteShareSet(_ compartment: Compartment, generation: Int64, kind: String, db: Database) throws -> Bool {
        let prefix = state.recoveryHolder + "/"
        let present = Set(try KeyWrapRow.holders(compartment: compartment.rawValue, generation: generation, kind: kind, db).filter { $0.hasPrefix(prefix) })
        return present == Set(state.custodians.map { CompartmentShares.holder(state.recoveryHolder, custodian: $0.keyIDHex) })
    }

    /// Whether any wrap is missing that this client could make now, or a rotation it could complete.
    public func hasWork(db: Database) throws -> Bool {
        for compartment in Compartment.allCases {
            if state.rotationPending(compartment) && knows("secret", compartment, state.currentGeneration(compartment)) { return true }
            let generation = state.currentGeneration(compartment)
            for kind in ["secret", "index"] where knows(kind, compartment, generation) {
                var expected = 1
                for member in state.members.values {
                    let entitled = kind == "secret" ? state.readable(by: member.role) : state.indexable(by: member.role)
                    if entitled.contains(compartment) { expected += 1 }
                }
                let holders = try KeyWrapRow.holders(compartment: compartment.rawValue, generation: generation, kind: kind, db)
                let entitledHolders = Set(state.members.values.filter {
                    (kind == "secret" ? state.readable(by: $0.role) : state.indexable(by: $0.role)).contains(compartment)
                }.map(\.key.keyIDHex)).union(state.recoveryPublicKey.isEmpty ? [] : [state.recoveryHolder])
                if !entitledHolders.isSubset(of: Set(holders)) { return true }
                if try state.recoveryPublicKey.isEmpty && !hasCompleteShareSet(compartment, generation: generation, kind: kind, db: db) { return true }
                let staleRecovery = try KeyWrapRow.staleRecoveryWrapCount(compartment: compartment.rawValue, kind: kind,
                                                                          currentRecoveryHolder: state.recoveryHolder, db)
                if staleRecovery > 0 { return true }
                _ = expected
            }
        }
        return false
    }
}

/// The duplicate-detection token of an original: a keyed BLAKE2b-256 of its SHA-256 under the media index key
/// (so the stored token says nothing to someone without that key).
public enum ContentToken {
    /// - Parameters: digest: the original's SHA-256 (32 bytes); indexKey: the media compartment's index key.
    /// - Returns: 32 bytes.
    public static func make(digest: [UInt8], indexKey: SecretBox) -> [UInt8] {
        BLAKE2b.keyedHash(Array("amanah/v1/content".utf8) + digest, key: indexKey.bytes, outputLength: 32)
    }
}
