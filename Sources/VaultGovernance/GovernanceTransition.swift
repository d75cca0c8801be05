import VaultPlatform
import Foundation
import VaultFormats
import VaultStore
import VaultPolicy
import VaultCrypto
internal import VaultTime

extension GovernanceState {
    /// Whether a change replaces the recovery key (and so must be applied by a custodian, who deals the shares).
    public static func replacesRecoveryKey(_ change: Change) -> Bool {
        switch change {
        case .addCustodian, .removeCustodian, .setThreshold, .recover: return true
        default: return false
        }
    }

    /// What is wrong with an operation against this state, in the order a user should hear it: the
    /// signatures that count, and the problems that stop it from being applied.
    public struct OperationStatus: Sendable {
        /// Key ids (hex) of custodians whose approvals verify.
        public var validSigners: [String] = []
        /// Problems that make the operation unusable now (another vault, stale, expired, bad signatures,
        /// non-custodian signers, duplicates, an impossible change).
        public var problems: [String] = []
        /// Whether enough custodians signed.
        public var hasQuorum = false
    }

    /// Checks an operation: vault, freshness, expiry (at `now`, ms), the proposer's and every approver's
    /// signature, and whether the change makes sense in this state.
    public func status(of operation: GovernanceOperation, now: Int64) -> OperationStatus {
        var status = OperationStatus()
        guard operation.vaultID == vaultID else {
            status.problems.append("the operation belongs to another vault (\(Hex.encode(operation.vaultID).prefix(16))…)")
            return status
        }
        if appliedOperations.contains(Hex.encode(operation.id)) {
            status.problems.append("the operation was applied already")
        } else if operation.previousState != headHash {
            status.problems.append("the operation is stale: the vault's governance state changed since it was proposed (propose it again)")
        }
        if now > operation.expires { status.problems.append("the operation expired at \(Clock.format(milliseconds: operation.expires))") }
        if case .recover = operation.change, !isCustodian(Hex.encode(operation.proposer)) {
            status.problems.append("a recovery must be proposed by a custodian (who applies it); \(Hex.encode(operation.proposer)) is not one")
        }
        if let proposer = knownKeys[Hex.encode(operation.proposer)], isParticipant(proposer.keyIDHex) {
            if !proposer.verify(operation.proposerSignature, message: operation.body, context: .operation) {
                status.problems.append("the proposer's signature does not verify")
            }
        } else {
            status.problems.append("the proposer \(Hex.encode(operation.proposer)) is not a member or custodian of this vault")
        }
        var seen = Set<String>()
        for approval in operation.approvals {
            let id = Hex.encode(approval.custodian)
            guard seen.insert(id).inserted else {
                status.problems.append("custodian \(id) approved twice")
                continue
            }
            guard let key = custodians.first(where: { $0.keyIDHex == id }) else {
                status.problems.append("signer \(id) is not a custodian")
                continue
            }
            if operation.approvalVerifies(approval, key: key) { status.validSigners.append(id) }
            else { status.problems.append("the approval of custodian \(id) does not verify") }
        }
        status.hasQuorum = status.validSigners.count >= threshold
        if let problem = changeProblem(operation.change) { status.problems.append(problem) }
        return status
    }

    /// Why a change cannot apply to this state, if it cannot.
    public func changeProblem(_ change: Change) -> String? {
        switch change {
        case let .addMember(key, role, _):
            if members[key.keyIDHex] != nil { return "\(key.keyIDHex) is already a member" }
            if role == .custodian { return "custodian is not a member role (use add-custodian)" }
        case let .removeMember(key):
            if members[key.keyIDHex] == nil { return "\(key.keyIDHex) is not a member" }
        case let .setRole(key, role):
            guard let current = members[key.keyIDHex] else { return "\(key.keyIDHex) is not a member" }
            if role == .custodian { return "custodian is not a member role (use add-custodian)" }
            if current.role == role { return "\(key.keyIDHex) already has the role \(role.rawValue)" }
        case let .addCustodian(key):
            if isCustodian(key.keyIDHex) { return "\(key.keyIDHex) is already a custodian" }
            if custodians.count >= 255 { return "at most 255 custodians" }
        case let .removeCustodian(key):
            if !isCustodian(key.keyIDHex) { return "\(key.keyIDHex) is not a custodian" }
            if custodians.count - 1 < threshold { return "removing a custodian would leave fewer custodians (\(custodians.count - 1)) than the threshold (\(threshold)); lower the threshold first" }
        case let .setThreshold(k):
            if k < 1 || k > custodians.count { return "the threshold must be between 1 and \(custodians.count)" }
            if k == threshold { return "the threshold is already \(k)" }
        case let .addRecipient(name, keys):
            if recipients[name] != nil { return "the recipient \(name) is registered already" }
            do { try Identifier.validate(name, field: "recipient name") } catch { return "\(error)" }
            if keys.isEmpty { return "a recipient needs at least one age public key" }
            for key in keys where (try? AgeX25519Recipient(parsing: key)) == nil {
                return "\(key) is not a valid age X25519 public key (age1...)"
            }
        case .rotateKeys: return nil
        case let .setPolicy(hash, text):
            do {
                let parsed = try Policy(parsing: text)
                if parsed.hash != hash { return "the policy text does not match its hash" }
                if parsed.hash == policyHash { return "this policy is already active" }
            } catch { return "the policy does not parse: \(error)" }
        case let .recover(_, role, oneTimeKey):
            if oneTimeKey.count != 32 { return "the one-time key must be 32 bytes" }
            if role == .custodian { return "custodian is not a member role" }
        case let .withdrawConsent(pseudonym):
            if consentWithdrawn.contains(pseudonym) { return "witness \(pseudonym) already withdrew consent" }
        case let .courtOrder(recipient, witnesses, reference):
            if recipients[recipient] == nil { return "the recipient \(recipient) is not registered" }
            if witnesses.isEmpty { return "a court order names at least one witness" }
            for witness in witnesses {
                do { try Identifier.validate(witness, field: "witness") } catch { return "\(error)" }
            }
            if reference.trimmingCharacters(in: .whitespaces).isEmpty { return "cite the court order (its reference)" }
        case let .setOrganisation(name):
            if let problem = Change.nameProblem(name) { return "the organisation's name \(problem)" }
            if organisation == name { return "the organisation is already named \"\(name)\"" }
        case let .addTimeStampAuthority(name, url, certificate):
            do { try Identifier.validate(name, field: "time-stamping authority name") } catch { return "\(error)" }
            if timeStampAuthorities[name] != nil { return "the time-stamping authority \(name) is trusted already" }
            if !(url.hasPrefix("http://") || url.hasPrefix("https://")) || url.count > 2048 || url.contains(where: { $0.isWhitespace }) {
                return "the authority's URL must be http:// or https:// without spaces"
            }
            if certificate.isEmpty || certificate.count > 64 << 10 { return "the authority's certificate must be 1 byte to 64 KiB of DER" }
            // The DER of a certificate that may stamp or issue one, exactly as Amanah writes it.
            if (try? TimeStampCertificate.der(certificate)) != certificate { return "the authority's certificate is not an X.509 certificate that may stamp or is a CA" }
        }
        return nil
    }

    /// The state after a verified chain entry; throws if the entry does not verify against this state.
    /// - Throws: `VaultError.integrity` naming what is wrong.
    public func applying(_ entry: GovernanceEntry, body: [UInt8]) throws -> GovernanceState {
        let operation = entry.operation
        let status = self.status(of: operation, now: entry.appliedAt)
        if let problem = status.problems.first { throw VaultError.integrity(problem) }
        guard status.hasQuorum else { throw VaultError.integrity("only \(status.validSigners.count) of the \(threshold) custodian signatures needed") }
        let applierID = Hex.encode(entry.applier)
        guard let applier = knownKeys[applierID], isParticipant(applierID) else {
            throw VaultError.integrity("the applier \(applierID) is not a member or custodian")
        }
        guard applier.verify(entry.applierSignature, message: entry.signedPart, context: GovernanceEntry.signingContext) else {
            throw VaultError.integrity("the applier's signature does not verify")
        }

        if case .recover = operation.change, operation.proposer != entry.applier {
            throw VaultError.integrity("a recovery must be applied by its proposer")
        }
        var next = transitioned(by: operation.change, atSequence: chainLength + 1)
        if case let .courtOrder(recipient, witnesses, _) = operation.change {
            next.courtOrders[Hex.encode(operation.id)] = CourtOrder(operationID: Hex.encode(operation.id), recipient: recipient, witnesses: witnesses)
        }
        if GovernanceState.replacesRecoveryKey(operation.change) {
            guard isCustodian(applierID) else { throw VaultError.integrity("only a custodian may apply a change that replaces the recovery key") }
            // Since issue 16 no recovery key is dealt (empty effects): the change starts a new set of recovery
            // shares, which each compartment key's holders make (`CompartmentShares`). Entries of earlier
            // releases carry a dealt recovery key and its share commitments.
            let dealt = !entry.effects.recoveryPublicKey.isEmpty || !entry.effects.shareCommitments.isEmpty
            // Once a vault has no dealt key it never gets one again: approvals do not cover the applier's
            // effects, so an applier could otherwise deal a key of its own and have every holder wrap to it.
            guard !dealt || !recoveryPublicKey.isEmpty else {
                throw VaultError.integrity("the entry deals a recovery key, which a vault without one never takes again (no dealer, issue 16)")
            }
            guard !dealt || (entry.effects.recoveryPublicKey.count == 32
                             && Set(entry.effects.shareCommitments.map(\.custodian)) == Set(next.custodians.map(\.keyIDHex))
                             && entry.effects.shareCommitments.count == next.custodians.count) else {
                throw VaultError.integrity("the new recovery key or its share commitments are missing or do not match the custodians")
            }
            next.recoveryPublicKey = entry.effects.recoveryPublicKey
            next.recoveryGeneration += 1
            next.shareCommitments = Dictionary(uniqueKeysWithValues: entry.effects.shareCommitments.map {
                ($0.custodian, ShareCommitment(index: $0.index, commitment: $0.commitment))
            })
            next.recoveryHistory[next.recoveryGeneration] = RecoveryKeyInfo(publicKey: next.recoveryPublicKey, threshold: next.threshold,
                                                                             shareCommitments: next.shareCommitments)
        } else if !entry.effects.recoveryPublicKey.isEmpty || !entry.effects.shareCommitments.isEmpty {
            throw VaultError.integrity("the entry replaces the recovery key without a change that calls for it")
        }
        guard entry.appliedAt >= lastAppliedAt else {
            throw VaultError.integrity("the entry claims to be applied before the entry it follows")
        }
        next.lastAppliedAt = entry.appliedAt
        next.appliedOperations.insert(Hex.encode(operation.id))
        for key in entry.effects.compartmentKeys {
            guard key.generation == next.requiredGenerations[key.compartment], key.generation > next.currentGeneration(key.compartment),
                  key.publicKey.count == 32 else {
                throw VaultError.integrity("the entry sets an unexpected \(key.compartment.rawValue) key generation \(key.generation)")
            }
            // Only a member who reads the compartment after the change may choose its new key.
            guard let role = next.role(of: applierID), next.readable(by: role).contains(key.compartment) else {
                throw VaultError.integrity("the applier \(applierID) may not choose a new \(key.compartment.rawValue) key (after the change they do not read it)")
            }
            next.compartmentKeys[key.compartment, default: [:]][key.generation] = key.publicKey
        }
        next.chainLength += 1
        next.headHash = SHA256Digest.hash(body)
        return next
    }

    /// The state after `change`, before the applier's effects (recovery key, rotated compartment keys):
    /// members, custodians, threshold, recipients, policy and the generations compartments must reach.
    public func transitioned(by change: Change, atSequence sequence: Int) -> GovernanceState {
        var next = self
        switch change {
        case let .addMember(key, role, name):
            next.members[key.keyIDHex] = .init(key: key, role: role, name: name)
            next.knownKeys[key.keyIDHex] = key
            next.everRoles[key.keyIDHex, default: []].insert(role)
        case let .removeMember(key):
            if let role = members[key.keyIDHex]?.role {
                for compartment in heldCompartments(role) { next.requiredGenerations[compartment, default: 1] += 1 }
            }
            next.members[key.keyIDHex] = nil
        case let .setRole(key, role):
            if let old = members[key.keyIDHex]?.role {
                for compartment in GovernanceState.lost(from: (readable(by: old), indexable(by: old)), to: (readable(by: role), indexable(by: role))) {
                    next.requiredGenerations[compartment, default: 1] += 1
                }
            }
            next.members[key.keyIDHex] = .init(key: key, role: role, name: members[key.keyIDHex]?.name)
            next.everRoles[key.keyIDHex, default: []].insert(role)
        case let .addCustodian(key):
            next.custodians.append(key)
            next.knownKeys[key.keyIDHex] = key
        case let .removeCustodian(key):
            next.custodians.removeAll { $0.keyIDHex == key.keyIDHex }
            // Shares are shares of the compartment keys themselves (no dealer): the removed custodian's share
            // stops counting only when the keys change. (Vaults of the first releases, whose entries dealt a
            // recovery key, replay as they were.)
            if recoveryPublicKey.isEmpty {
                for compartment in Compartment.allCases { next.requiredGenerations[compartment, default: 1] += 1 }
            }
        case let .setThreshold(k):
            next.threshold = k
            // A raised threshold: the old, lower one stops counting only when the keys change.
            if recoveryPublicKey.isEmpty && k > threshold {
                for compartment in Compartment.allCases { next.requiredGenerations[compartment, default: 1] += 1 }
            }
        case let .addRecipient(name, keys):
            next.recipients[name] = keys
            next.recipientOrder.append(name)
        case let .rotateKeys(reencrypt):
            for compartment in Compartment.allCases { next.requiredGenerations[compartment, default: 1] += 1 }
            if reencrypt { next.reencryptionSequence = sequence }
        case let .setPolicy(_, text):
            if let parsed = try? Policy(parsing: text) {
                next.setPolicy(parsed, text: text)
                // Members whose role loses a compartment under the new policy: rotate it.
                for member in members.values {
                    for compartment in GovernanceState.lost(from: (readable(by: member.role), indexable(by: member.role)),
                                                            to: (next.readable(by: member.role), next.indexable(by: member.role))) {
                        next.requiredGenerations[compartment, default: 1] = (requiredGenerations[compartment] ?? 1) + 1
                    }
                }
            }
        case let .recover(key, role, _):
            next.members[key.keyIDHex] = .init(key: key, role: role, name: members[key.keyIDHex]?.name)
            next.knownKeys[key.keyIDHex] = key
            next.everRoles[key.keyIDHex, default: []].insert(role)
        case let .withdrawConsent(pseudonym):
            next.consentWithdrawn.insert(pseudonym)
        case .courtOrder:
            break
        case let .setOrganisation(name):
            next.organisation = name
        case let .addTimeStampAuthority(name, url, certificate):
            next.timeStampAuthorities[name] = TimeStampAuthority(url: url, certificate: certificate)
        }
        return next
    }

    /// Compartments whose secret or index key a holder loses going from `old` to `new` (each must rotate).
    static func lost(from old: (Set<Compartment>, Set<Compartment>), to new: (Set<Compartment>, Set<Compartment>)) -> Set<Compartment> {
        old.0.subtracting(new.0).union(old.1.subtracting(new.1))
    }

    /// The bytes a member signs to attest a compartment key they generated when completing a rotation: the
    /// vault id, the chain length at that moment (so the attestation is judged against that state), the
    /// compartment, the generation and the key.
    public func attestationMessage(_ compartment: Compartment, generation: Int64, publicKey: [UInt8]) -> [UInt8] {
        var message = vaultID
        message.appendBigEndian(UInt64(chainLength))
        message.appendLengthPrefixed(compartment.rawValue)
        message.appendBigEndian(UInt64(generation))
        message.appendLengthPrefixed(publicKey)
        return message
    }

    /// Signing context of compartment-key attestations.
    public static let attestationContext = SigningContext(purpose: "compartment-key")
}
