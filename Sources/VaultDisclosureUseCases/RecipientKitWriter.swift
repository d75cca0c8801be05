import Vault
import VaultDisclosure
internal import VaultPlatform
internal import VaultCrypto
internal import VaultPolicy
import VaultGovernance

extension Session {
    /// The recipient kit of registered recipient `name` (`amanah recipient kit`): the vault id, the recipient's
    /// age keys, the custodians and threshold, and every current member whose role may issue or approve a
    /// release under the policy (an allow rule with `disclose` or `approve`), all from the verified governance
    /// state. Public keys only; the kit is what the recipient pins, so it is handed over out of band.
    /// - Throws: `VaultError.notPermitted` unless this member is a custodian or may disclose; `VaultError.notFound`
    ///   for a recipient that is not registered.
    public func recipientKit(_ name: String) throws -> RecipientKit {
        let state = vault.state
        let signerRoles = Set(state.policy.allowRules.filter { !$0.actions.isDisjoint(with: [.disclose, .approve]) }.map(\.role))
        guard isCustodian || role.map(signerRoles.contains) == true else {
            throw VaultError.notPermitted("a recipient kit is written by a custodian or a member who may disclose, and you are \(role?.rawValue ?? "neither")")
        }
        guard let ageKeys = state.recipients[name] else {
            throw VaultError.notFound("recipient", "\(name) (registered: \(state.recipientOrder.joined(separator: ", ")))")
        }
        let custodians = state.custodians.map { RecipientKit.Key(keyID: $0.keyIDHex, publicKey: $0.line) }
        let signers = state.members.values.filter { signerRoles.contains($0.role) }
            .sorted { $0.key.keyIDHex < $1.key.keyIDHex }
            .map { RecipientKit.Key(keyID: $0.key.keyIDHex, publicKey: $0.key.line, role: $0.role.rawValue) }
        return RecipientKit(vault: vault.vaultIDHex, recipient: name, ageRecipients: ageKeys, threshold: state.threshold,
                            custodians: custodians, releaseSigners: signers, releaseRoles: signerRoles.map(\.rawValue).sorted(), governanceLength: UInt64(state.chainLength),
                            governanceHead: Hex.encode(state.headHash), writtenAt: Clock.format(milliseconds: Clock.nowMilliseconds()))
    }
}
