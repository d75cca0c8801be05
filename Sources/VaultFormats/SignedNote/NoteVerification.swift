internal import VaultText
/// The result of checking a signed note against the keys a verifier trusts
/// (c2sp.org/signed-note, "Signatures"): a value with a reason, never an exception.
public enum NoteVerification: Equatable, Sendable {
    /// At least one signature from a known key verifies and none from a known key fails. `verified` lists the
    /// good signatures in note order; `unverified` the signatures from keys the verifier does not know, which
    /// are ignored (but kept in the note).
    case verified(verified: [VerifiedNoteSignature], unverified: [NoteSignature])
    /// The note must not be trusted; the reason says why.
    case rejected(NoteRejection)

    /// Whether the note verified.
    public var isVerified: Bool {
        if case .verified = self { return true }
        return false
    }

    /// The good signatures (empty when rejected).
    public var verifiedSignatures: [VerifiedNoteSignature] {
        if case let .verified(verified, _) = self { return verified }
        return []
    }
}

/// A signature that verified under a known key.
public struct VerifiedNoteSignature: Equatable, Sendable {
    /// The known key that made it.
    public let key: NoteVerifierKey
    /// The signature line.
    public let signature: NoteSignature
    /// For a cosignature (type 0x04), its timestamp in POSIX seconds; nil for a plain Ed25519 signature.
    public let timestamp: UInt64?
}

/// Why a signed note was rejected.
public enum NoteRejection: Equatable, Sendable, CustomStringConvertible {
    /// No signature from a known key: the spec says the note MUST be rejected.
    case noKnownSignature
    /// A signature names a known key (name and key id) but does not verify. The spec allows accepting the
    /// note on other signatures; Amanah rejects it, since only the text or the signature can have changed.
    case invalidSignature(name: String, keyID: UInt32)
    /// Two different trusted keys share a name and key id, so a signature naming them is ambiguous.
    case ambiguousKey(name: String, keyID: UInt32)

    public var description: String {
        switch self {
        case .noKnownSignature:
            return "the note has no signature from a known key"
        case let .invalidSignature(name, keyID):
            return "the signature by key \(TerminalText.escaped(name))+\(NoteText.hex(keyID)) does not verify"
        case let .ambiguousKey(name, keyID):
            return "two trusted keys are named \(TerminalText.escaped(name))+\(NoteText.hex(keyID))"
        }
    }
}
