import VaultCrypto
import VaultFormats

/// The result of checking a signed checkpoint (`SignedCheckpoint.verify`): a value with a reason.
public enum CheckpointVerification: Equatable, Sendable {
    /// The origin matches and the signatures check out.
    case verified(VerifiedCheckpoint)
    /// The checkpoint must not be trusted.
    case rejected(CheckpointRejection)

    /// Whether the checkpoint verified.
    public var isVerified: Bool {
        if case .verified = self { return true }
        return false
    }
}

/// A checkpoint whose origin and signatures verified.
public struct VerifiedCheckpoint: Equatable, Sendable {
    /// The checkpoint.
    public let checkpoint: Checkpoint
    /// Members whose checkpoint signature verified (at least one), in note order.
    public let logSigners: [MemberPublicKey]
    /// Trusted cosignatures that verified, in note order.
    public let cosignatures: [CheckpointCosignature]
    /// Signature lines from keys the verifier was not given (ignored, per the signed-note spec).
    public let unknownSignatures: [NoteSignature]
}

/// One verified cosignature: who, and when (c2sp.org/tlog-cosignature).
public struct CheckpointCosignature: Equatable, Sendable {
    /// The member who cosigned.
    public let cosigner: MemberPublicKey
    /// The cosignature's timestamp, POSIX seconds.
    public let time: UInt64
}

/// Why a checkpoint was rejected.
public enum CheckpointRejection: Equatable, Sendable, CustomStringConvertible {
    /// The origin names another vault (or is not the expected one).
    case wrongOrigin(expected: String, found: String)
    /// The note's signatures failed: none from a trusted key, one that does not verify, or an ambiguous key.
    case signatures(NoteRejection)
    /// Trusted cosignatures verified, but no trusted member signed the checkpoint itself.
    case noLogSignature

    public var description: String {
        switch self {
        case let .wrongOrigin(expected, found): return "checkpoint origin is \(found), expected \(expected)"
        case let .signatures(reason): return "checkpoint signatures: \(reason)"
        case .noLogSignature: return "checkpoint is not signed by a trusted member"
        }
    }
}
