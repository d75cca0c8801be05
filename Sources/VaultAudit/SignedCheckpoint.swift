import VaultCrypto
import VaultFormats

/// A checkpoint as a C2SP signed note (c2sp.org/tlog-checkpoint), signed by the member who made it and
/// cosigned by custodians and auditors (c2sp.org/tlog-cosignature).
///
/// Signer names (the key names on the signature lines):
/// - the checkpoint signature, a plain Ed25519 note signature (type 0x01) by the member who made the
///   checkpoint, is named after the origin, `amanah/<vault id hex>`, as tlog-checkpoint asks of the log's
///   key ("SHOULD match the origin line"). The vault has no key of its own: every member allowed to make
///   checkpoints signs as the log under this name, and the key id (SHA-256(name ‖ 0x0A ‖ 0x01 ‖ Ed25519
///   public key)[0..<4]) tells them apart.
/// - a cosignature (type 0x04) is named `amanah-<member key id, 16 lower-case hex digits>`, one name per
///   member key, identifying the cosigner as tlog-cosignature asks; its key id is SHA-256(name ‖ 0x0A ‖ 0x04
///   ‖ Ed25519 public key)[0..<4].
///
/// Both use the member's Ed25519 signing key through `Identity.signRaw`, because the signed bytes are fixed by
/// the C2SP specifications. They cannot be replayed as Amanah signatures (which sign `amanah/v1/<purpose>\0 ‖
/// message`; a note never contains NUL), nor as one another (see `NoteCosignature`).
public struct SignedCheckpoint: Equatable, Sendable, CustomStringConvertible {
    /// The checkpoint (the note text, parsed).
    public let checkpoint: Checkpoint
    /// The signed note: the checkpoint body and its signature lines, including ones from unknown keys.
    public private(set) var note: SignedNote

    /// Signs a checkpoint as the log (type 0x01, key name = origin) with the member's identity.
    /// - Throws: `SignedNoteError` only if the checkpoint body were not a valid note text (it always is).
    public init(signing checkpoint: Checkpoint, by identity: borrowing Identity) throws {
        let name = SignedCheckpoint.logKeyName(vaultID: checkpoint.vaultID)
        let signature = try SignedNote.signature(text: checkpoint.body, name: name, identity: identity)
        self.checkpoint = checkpoint
        self.note = try SignedNote(text: checkpoint.body, signatures: [signature])
    }

    /// Signs a checkpoint as the log through an `IdentityHolder` (a local identity or the `amanah agent`): the
    /// same note as the `Identity` overload.
    /// - Throws: what `identity.signRaw` throws; `SignedNoteError` as the `Identity` overload.
    public init(signing checkpoint: Checkpoint, by identity: some IdentityHolder) throws {
        let name = SignedCheckpoint.logKeyName(vaultID: checkpoint.vaultID)
        let signature = try SignedNote.signature(text: checkpoint.body, name: name, identity: identity)
        self.checkpoint = checkpoint
        self.note = try SignedNote(text: checkpoint.body, signatures: [signature])
    }

    /// Parses a signed checkpoint (the note as text). Signatures are not checked: use `verify`.
    /// - Throws: `AuditError.malformedCheckpoint` if the note or its body is malformed (the text names the
    ///   problem: note syntax, a repeated signer, or the body's origin, size or root).
    public init(parsing text: String) throws {
        try self.init(parsing: Array(text.utf8))
    }

    /// Parses a signed checkpoint from the bytes of a file (no lossy UTF-8 decoding on the way). Signatures
    /// are not checked: use `verify`.
    /// - Throws: `AuditError.malformedCheckpoint` as for `init(parsing:)` with text, including for bytes that
    ///   are not UTF-8.
    public init(parsing bytes: [UInt8]) throws {
        let note: SignedNote
        do { note = try SignedNote(parsing: bytes) } catch let error as SignedNoteError {
            throw AuditError.malformedCheckpoint(error.description)
        }
        self.checkpoint = try Checkpoint(body: note.text)
        self.note = note
    }

    /// The note as text, ready to print or store: body, blank line, signature lines.
    public var text: String { note.serialized }

    public var description: String { text }

    /// Adds the member's cosignature (type 0x04, key name `amanah-<key id hex>`) at POSIX time `time`
    /// (seconds). The caller must first have checked that this checkpoint is consistent with the last one the
    /// member saw (`Checkpoint.isConsistent(with:proof:)`): that is what the cosignature asserts.
    /// - Throws: `SignedNoteError.duplicateSignature` if this member already cosigned this note;
    ///   `.timestampOutOfRange` above 2^63 − 1; `.malformedNote` past 100 signatures.
    public mutating func cosign(by identity: borrowing Identity, time: UInt64) throws {
        let name = SignedCheckpoint.cosignerName(for: identity.publicKey)
        try note.add(NoteCosignature.sign(text: checkpoint.body, name: name, timestamp: time, identity: identity))
    }

    /// Adds the member's cosignature through an `IdentityHolder` (a local identity or the `amanah agent`): the
    /// same line as the `Identity` overload.
    /// - Throws: what `identity.signRaw` throws; `SignedNoteError` as the `Identity` overload.
    public mutating func cosign(by identity: some IdentityHolder, time: UInt64) throws {
        let name = SignedCheckpoint.cosignerName(for: identity.publicKey)
        try note.add(NoteCosignature.sign(text: checkpoint.body, name: name, timestamp: time, identity: identity))
    }

    /// Adds the signatures of `other` (the same checkpoint, signed or cosigned elsewhere) that this note lacks.
    /// Lines already present byte for byte are skipped.
    /// - Throws: `AuditError.invalidArgument` if `other` is a different checkpoint;
    ///   `SignedNoteError.duplicateSignature` if both hold different signatures by the same key name and id;
    ///   `.malformedNote` past 100 signatures.
    public mutating func merge(_ other: SignedCheckpoint) throws {
        guard other.checkpoint == checkpoint else {
            throw AuditError.invalidArgument("cannot merge signatures of a different checkpoint")
        }
        var merged = note
        for signature in other.note.signatures where !merged.signatures.contains(signature) {
            try merged.add(signature)
        }
        note = merged
    }

    /// Checks the checkpoint's origin and signatures.
    ///
    /// - Parameters:
    ///   - vaultID: the vault the caller expects (32 bytes); another origin is rejected.
    ///   - logSigners: members whose checkpoint signature (type 0x01, named after the origin) is trusted.
    ///   - cosigners: members whose cosignatures (type 0x04, named `amanah-<key id hex>`) are trusted.
    /// - Returns: `.verified` when the origin matches, at least one log signer's signature verifies, and no
    ///   signature from a trusted key fails; signatures by keys not listed are ignored (and reported).
    ///   Otherwise `.rejected` with the reason. How many cosignatures are enough, and whether a cosignature
    ///   time in the future is acceptable, is the caller's policy: the result lists them with their times.
    public func verify(vaultID: [UInt8], logSigners: [MemberPublicKey], cosigners: [MemberPublicKey]) -> CheckpointVerification {
        guard checkpoint.vaultID == vaultID else {
            return .rejected(.wrongOrigin(expected: Checkpoint.origin(vaultID: vaultID), found: checkpoint.origin))
        }
        var members = [NoteVerifierKey: MemberPublicKey]()
        for member in logSigners {
            if let key = try? SignedCheckpoint.logVerifierKey(vaultID: vaultID, member: member) { members[key] = member }
        }
        for member in cosigners {
            if let key = try? SignedCheckpoint.cosignerVerifierKey(member: member) { members[key] = member }
        }
        switch note.verify(against: Array(members.keys)) {
        case let .rejected(reason):
            return .rejected(.signatures(reason))
        case let .verified(verified, unverified):
            var signers = [MemberPublicKey]()
            var cosignatures = [CheckpointCosignature]()
            for item in verified {
                guard let member = members[item.key] else { continue }
                switch item.key.type {
                case .ed25519: signers.append(member)
                case .cosignatureV1: cosignatures.append(CheckpointCosignature(cosigner: member, time: item.timestamp ?? 0))
                }
            }
            guard !signers.isEmpty else { return .rejected(.noLogSignature) }
            return .verified(VerifiedCheckpoint(checkpoint: checkpoint, logSigners: signers, cosignatures: cosignatures,
                                                unknownSignatures: unverified))
        }
    }

    /// The key name of checkpoint signatures for a vault: its origin `amanah/<vault id hex>`.
    public static func logKeyName(vaultID: [UInt8]) -> String {
        Checkpoint.origin(vaultID: vaultID)
    }

    /// The key name of a member's cosignatures: `amanah-` followed by the member's 8-byte key id in 16
    /// lower-case hex digits.
    public static func cosignerName(for member: MemberPublicKey) -> String {
        "amanah-" + member.keyIDHex
    }

    /// The verifier key of a member's checkpoint signatures for a vault (type 0x01, name = origin).
    /// - Throws: `SignedNoteError` only for a malformed member key (never for a parsed `MemberPublicKey`).
    public static func logVerifierKey(vaultID: [UInt8], member: MemberPublicKey) throws -> NoteVerifierKey {
        try NoteVerifierKey(name: logKeyName(vaultID: vaultID), type: .ed25519, publicKey: member.signingKey)
    }

    /// The verifier key of a member's cosignatures (type 0x04, name `amanah-<key id hex>`).
    /// - Throws: `SignedNoteError` only for a malformed member key (never for a parsed `MemberPublicKey`).
    public static func cosignerVerifierKey(member: MemberPublicKey) throws -> NoteVerifierKey {
        try NoteVerifierKey(name: cosignerName(for: member), type: .cosignatureV1, publicKey: member.signingKey)
    }
}
