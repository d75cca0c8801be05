import Foundation
import VaultCrypto
import VaultPolicy
import VaultStore

/// Recovery without a dealer (issue 16). No process makes a recovery secret: whoever holds a compartment key
/// (its secret or its index key, at its current generation) splits that key itself, k of n with Shamir's
/// scheme (`Shamir`), among the current custodians, and seals each share to its custodian's encryption key.
/// The shares are key wraps whose holder is `recovery-<set>/<custodian key id>`, where the set is the
/// governance state's `recoveryGeneration` (a new set each time the custodians or the threshold change, or
/// after a recovery). Break-glass recovery (`op propose recover`) has k custodians re-seal their shares of
/// the compartments the recovered role needs to the proposing custodian's one-time key; only that process
/// rebuilds those keys, checks each against the governance chain (the compartment's public key, or the index
/// key's commitment in the log) and grants them. No process ever holds a key it was not granted or given by
/// k custodians, and no one holds anything that opens every compartment.
public enum CompartmentShares {
    /// The wrap holder of `custodian`'s share in recovery set `recoveryHolder` (`recovery-<set>`).
    public static func holder(_ recoveryHolder: String, custodian: String) -> String { recoveryHolder + "/" + custodian }

    /// The wraps of a whole set of shares of `secret` (the `kind` key of `compartment` at `generation`): one per
    /// custodian, any `threshold` of them rebuilding it.
    /// - Throws: `CryptoError` when the threshold is not between 1 and the number of custodians (at most 255).
    public static func wraps(of secret: SecretBox, compartment: Compartment, generation: Int64, kind: String,
                             custodians: [MemberPublicKey], threshold: Int, recoveryHolder: String) throws -> [KeyWrapRow] {
        let shares = try Shamir.split(secret.bytes, threshold: threshold, shareCount: custodians.count)
        return try zip(custodians, shares).map { custodian, share in
            KeyWrapRow(compartment: compartment.rawValue, generation: generation, kind: kind,
                       holder: holder(recoveryHolder, custodian: custodian.keyIDHex),
                       sealed: Data(try SealedBox.seal(share.serialized(), to: custodian.encryptionKey)))
        }
    }

    /// One custodian's share of one compartment key, as carried (sealed) in a recovery approval.
    public struct Share {
        public var compartment: Compartment
        /// "secret" or "index".
        public var kind: String
        /// The compartment key's generation.
        public var generation: Int64
        /// The set the share belongs to (`recovery-<set>`).
        public var recoveryHolder: String
        public var share: ShamirShare

        /// Memberwise.
        public init(compartment: Compartment, kind: String, generation: Int64, recoveryHolder: String, share: ShamirShare) {
            self.compartment = compartment; self.kind = kind; self.generation = generation; self.recoveryHolder = recoveryHolder; self.share = share
        }
    }
}
