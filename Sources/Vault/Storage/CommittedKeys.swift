import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultPolicy
import VaultStore

/// The key commitments (`KeyCommitment`) of the signed audit log: those of `vault.init`, `compartment.rotate`
/// and `governance.*` events whose signatures verify.
public struct CommittedKeys: Sendable {
    public private(set) var commitments: Set<[UInt8]> = []
    /// False for a vault made by the first release, whose `vault.init` event commits to no key: its index
    /// and pseudonym keys cannot be checked until it is migrated.
    public private(set) var enforced = false

    /// - Parameters:
    ///   - keys: key id hex → public key (every key the governance chain knows);
    ///   - genesis: the vault's genesis (only its initiator's `vault.init` counts, and only of this vault);
    ///   - history: the state at each chain length (`GovernanceChain.history`): an event that names its
    ///     governance position counts only if its signer took part in the vault there (a member or a
    ///     custodian, after the event's entry for a governance event).
    /// - Throws: database errors.
    public static func load(_ db: Database, keys: [String: MemberPublicKey], genesis: Genesis,
                            history: [GovernanceState]) throws -> CommittedKeys {
        var committed = CommittedKeys()
        for event in try AuditLog.events(db, actions: ["vault.init", "compartment.rotate", "governance."]) {
            guard event.vaultID == genesis.vaultID,
                  let key = keys[Hex.encode(event.actor)], event.verifySignature(publicKey: key) else { continue }
            if event.action == "vault.init" {
                guard event.actor == genesis.initiator, event.sequence == 1 else { continue }
            } else if let position = event.governance {
                // Keys are made in `op apply` only by an applier who reads the compartment after the change,
                // so the signer must take part in the vault at the event's own position.
                guard let then = history[chainLength: position.length], then.isParticipant(Hex.encode(event.actor)) else { continue }
            }
            if event.action == "vault.init" && !event.commitments.isEmpty { committed.enforced = true }
            committed.commitments.formUnion(event.commitments)
        }
        return committed
    }

    /// - Throws: `VaultError.integrity` when `key` is enforced and not committed.
    public func verify(kind: String, compartment: Compartment, generation: Int64, key: SecretBox, holder: String) throws {
        guard enforced else { return }
        let commitment = KeyCommitment.make(kind: kind, compartment: compartment, generation: generation, key: key)
        guard commitments.contains(commitment) else {
            let what = kind == "pseudonym" ? "the pseudonym key" : "the \(compartment.rawValue) \(kind) key (generation \(generation)) \(holder)"
            throw VaultError.integrity("\(what) is not a key the signed log commits to; someone who can write the vault folder may have planted it")
        }
    }
}
