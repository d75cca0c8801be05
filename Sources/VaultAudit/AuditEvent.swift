import VaultCrypto

/// One entry of the append-only audit log: who did what to which objects, under which policy, with
/// commitments to content that entered or left the vault. Signed by the actor; the Merkle leaf covers the
/// signature.
///
/// Canonical encoding, version 1 (integers big-endian; `lp(x)` = 4-byte length ‖ bytes):
/// ```
/// version        1 byte   0x01
/// vault id       32 bytes
/// sequence       8 bytes  from 1; leaf index = sequence − 1
/// time           8 bytes  milliseconds since 1970-01-01T00:00:00Z (signed)
/// actor          8 bytes  the actor's key id
/// action         lp(UTF-8), e.g. "item.ingest"
/// objects        4-byte count, then lp(UTF-8) each (item, case, witness, operation ids)
/// policy hash    1 byte flag (0 or 1), then 32 bytes when 1
/// commitments    4-byte count, then 32 bytes each (SHA-256(r ‖ SHA-256(content)) for content in or out)
/// previous       32 bytes  leaf hash of the previous event (zeros for sequence 1): the hash chain
/// ```
/// Version 2 (written since issue 15) has version byte 0x02 and, after `previous`, the governance position
/// the actor wrote against, binding the event to the governance state:
/// ```
/// governance length  8 bytes   the number of governance entries after the genesis (0 for none)
/// governance head    32 bytes  the hash of the newest of them (the vault id when there are none)
/// ```
/// Version 3 (written since issue 15 when the event's transaction changed the index) has version byte 0x03,
/// the version 2 fields, and then the hash of the signed index entry (`IndexEntry`) holding the rows the
/// transaction wrote:
/// ```
/// entry hash         32 bytes  SHA-256 of the entry's encoding
/// ```
/// Version 4 (written since issue 16) blinds the actor, so that an event proven to a recipient in a bundle does
/// not name its actor's key: version byte 0x04, and in place of the 8-byte actor a 32-byte commitment
/// ```
/// actor commitment   32 bytes  SHA-256("amanah/v1/actor" ‖ 0x00 ‖ actor key id (8) ‖ opening (16 random bytes))
/// ```
/// then the fields of versions 1 and 2 (governance position required), then an entry flag (1 byte, 0 or 1) and
/// the entry hash when 1. The vault stores `leaf ‖ actor key id (8) ‖ opening (16)` (`storedLeaf`); parsing
/// a stored leaf checks the actor against its commitment. A leaf without that tail (as a bundle carries it)
/// parses with an empty `actor`: its signature cannot be checked by whoever does not know the actor.
///
/// The actor signs `amanah/v1/audit-event\0 ‖ encoding`; the leaf is `encoding ‖ signature (64 bytes)` and
/// its hash is SHA-256(0x00 ‖ leaf) as RFC 6962 §2.1 defines.
public struct AuditEvent: Equatable, Sendable {
    /// Encoding version of an event without a governance position (the first release).
    public static let version: UInt8 = 1
    /// Encoding version of an event with a governance position (written by this code).
    public static let versionWithGovernance: UInt8 = 2
    /// Encoding version of an event with a governance position and an index entry's hash.
    public static let versionWithEntry: UInt8 = 3
    /// Encoding version of an event whose actor is blinded by a commitment (written by this code).
    public static let versionWithBlindedActor: UInt8 = 4
    /// Bytes after the leaf of a stored version 4 event: actor key id (8) ‖ opening (16).
    public static let storedActorLength = 24

    /// Where in the governance chain an event was written: the chain's length (entries after the genesis) and
    /// the hash of its newest entry (the vault id when there are none), both as the writer verified them.
    public struct GovernancePosition: Equatable, Sendable {
        public var length: UInt64
        /// 32 bytes.
        public var head: [UInt8]
        public init(length: UInt64, head: [UInt8]) { self.length = length; self.head = head }
    }

    public var vaultID: [UInt8]
    public var sequence: UInt64
    /// Milliseconds since the Unix epoch, UTC.
    public var time: Int64
    public var actor: [UInt8]
    public var action: String
    public var objects: [String]
    public var policyHash: [UInt8]?
    public var commitments: [[UInt8]]
    public var previousLeafHash: [UInt8]
    /// The governance position the actor wrote against (version 2); nil in events of the first release.
    public var governance: GovernancePosition?
    /// SHA-256 (32 bytes) of the index entry this event's transaction wrote (version 3); nil when it wrote none.
    public var entry: [UInt8]?
    /// Ed25519 signature (64 bytes) by the actor over the encoding; empty until signed.
    public var signature: [UInt8]
    /// Version 4: the commitment (32 bytes) that stands for the actor in the encoding; nil for versions 1–3.
    public var actorCommitment: [UInt8]?
    /// Version 4: the 16 random bytes the commitment hides the actor with; nil for versions 1–3 and for a
    /// version 4 leaf read without its stored tail (then `actor` is empty).
    public var actorOpening: [UInt8]?

    public init(vaultID: [UInt8], sequence: UInt64, time: Int64, actor: [UInt8], action: String, objects: [String],
                policyHash: [UInt8]?, commitments: [[UInt8]], previousLeafHash: [UInt8], governance: GovernancePosition? = nil,
                entry: [UInt8]? = nil, signature: [UInt8] = []) {
        self.vaultID = vaultID
        self.sequence = sequence
        self.time = time
        self.actor = actor
        self.action = action
        self.objects = objects
        self.policyHash = policyHash
        self.commitments = commitments
        self.previousLeafHash = previousLeafHash
        self.governance = governance
        self.entry = entry
        self.signature = signature
    }

    /// The commitment of version 4 events to actor `keyID` (8 bytes) with `opening` (16 bytes), 32 bytes.
    public static func actorCommitment(keyID: [UInt8], opening: [UInt8]) -> [UInt8] {
        precondition(keyID.count == 8 && opening.count == 16, "bad actor or opening length")
        return SHA256Digest.hash(Array("amanah/v1/actor".utf8) + [0] + keyID + opening)
    }

    /// Makes this a version 4 event: the actor is replaced in the encoding by its commitment with `opening`
    /// (16 random bytes). Call before signing; needs a governance position.
    public mutating func blindActor(opening: [UInt8]) {
        precondition(governance != nil, "a version 4 event names its governance position")
        actorOpening = opening
        actorCommitment = AuditEvent.actorCommitment(keyID: actor, opening: opening)
    }

    /// The version byte this event encodes with.
    var version: UInt8 {
        actorCommitment != nil ? AuditEvent.versionWithBlindedActor
            : entry != nil ? AuditEvent.versionWithEntry : governance == nil ? AuditEvent.version : AuditEvent.versionWithGovernance
    }

    /// The canonical encoding without the signature (the bytes the actor signs, after the context).
    public var unsignedEncoding: [UInt8] {
        precondition(vaultID.count == 32 && previousLeafHash.count == 32, "bad field length")
        precondition(actorCommitment != nil ? actorCommitment!.count == 32 && governance != nil : actor.count == 8, "bad actor")
        precondition(entry == nil || governance != nil, "an event with an entry names its governance position")
        var out: [UInt8] = [version]
        out.append(contentsOf: vaultID)
        out.appendBigEndian(sequence)
        out.appendBigEndian(UInt64(bitPattern: time))
        out.append(contentsOf: actorCommitment ?? actor)
        out.appendLengthPrefixed(action)
        out.appendBigEndian(UInt32(objects.count))
        for object in objects { out.appendLengthPrefixed(object) }
        if let policyHash {
            precondition(policyHash.count == 32, "policy hash must be 32 bytes")
            out.append(1)
            out.append(contentsOf: policyHash)
        } else {
            out.append(0)
        }
        out.appendBigEndian(UInt32(commitments.count))
        for commitment in commitments {
            precondition(commitment.count == 32, "commitment must be 32 bytes")
            out.append(contentsOf: commitment)
        }
        out.append(contentsOf: previousLeafHash)
        if let governance {
            precondition(governance.head.count == 32, "governance head must be 32 bytes")
            out.appendBigEndian(governance.length)
            out.append(contentsOf: governance.head)
        }
        if actorCommitment != nil { out.append(entry == nil ? 0 : 1) }
        if let entry {
            precondition(entry.count == 32, "entry hash must be 32 bytes")
            out.append(contentsOf: entry)
        }
        return out
    }

    /// The Merkle leaf: encoding ‖ signature.
    public var leaf: [UInt8] { unsignedEncoding + signature }

    /// What the vault stores: the leaf, and for version 4 the actor key id and opening after it.
    public var storedLeaf: [UInt8] {
        guard let actorOpening, actorCommitment != nil else { return leaf }
        return leaf + actor + actorOpening
    }

    /// The Merkle leaf of a stored leaf (`storedLeaf`): without the actor tail of a version 4 event.
    public static func merkleLeaf(stored bytes: [UInt8]) -> [UInt8] {
        bytes.first == versionWithBlindedActor && bytes.count > storedActorLength ? Array(bytes.dropLast(storedActorLength)) : bytes
    }

    /// RFC 6962 leaf hash: SHA-256(0x00 ‖ leaf), 32 bytes.
    public var leafHash: [UInt8] { MerkleHash.leaf(leaf) }

    /// Signs the event with the actor's identity (sets `signature`). The identity's key id must equal `actor`.
    public mutating func sign(with identity: borrowing Identity) {
        precondition(identity.publicKey.keyID == actor, "the signer is not the actor")
        signature = identity.sign(unsignedEncoding, context: .auditEvent)
    }

    /// Signs the event through an `IdentityHolder` (a local identity or the `amanah agent`): the same
    /// signature as the `Identity` overload.
    /// - Throws: `AuditError.invalidArgument` if the holder's key id is not `actor`; what `identity.sign` throws.
    public mutating func sign(with identity: some IdentityHolder) throws {
        guard identity.publicKey.keyID == actor else { throw AuditError.invalidArgument("the signer is not the actor") }
        signature = try identity.sign(unsignedEncoding, context: .auditEvent)
    }

    /// Whether the signature verifies under `publicKey` (whose key id must be the actor).
    public func verifySignature(publicKey: MemberPublicKey) -> Bool {
        publicKey.keyID == actor && publicKey.verify(signature, message: unsignedEncoding, context: .auditEvent)
    }

    /// Parses a leaf (encoding ‖ signature), or a stored leaf (`storedLeaf`: a version 4 leaf followed by its
    /// actor and opening). Parse-then-serialise reproduces the input exactly (`leaf` or `storedLeaf`).
    /// - Throws: `AuditError.malformedEvent` naming the field that is wrong (including a sequence of 0, which
    ///   has no leaf index, and a stored actor that does not match its commitment).
    public init(leaf bytes: [UInt8]) throws {
        var reader = ByteReader(bytes)
        let version = try reader.byte("version")
        guard [AuditEvent.version, AuditEvent.versionWithGovernance, AuditEvent.versionWithEntry, AuditEvent.versionWithBlindedActor].contains(version) else {
            throw AuditError.malformedEvent("unsupported version")
        }
        vaultID = try reader.bytes(32, "vault id")
        sequence = try reader.uint64("sequence")
        guard sequence >= 1 else { throw AuditError.malformedEvent("sequence must start at 1") }
        time = Int64(bitPattern: try reader.uint64("time"))
        if version == AuditEvent.versionWithBlindedActor {
            actorCommitment = try reader.bytes(32, "actor commitment")
            actor = []
        } else {
            actor = try reader.bytes(8, "actor")
        }
        action = try reader.string("action")
        let objectCount = try reader.uint32("object count")
        guard objectCount <= 100_000 else { throw AuditError.malformedEvent("too many objects") }
        objects = try (0..<objectCount).map { _ in try reader.string("object") }
        switch try reader.byte("policy flag") {
        case 0: policyHash = nil
        case 1: policyHash = try reader.bytes(32, "policy hash")
        default: throw AuditError.malformedEvent("policy flag must be 0 or 1")
        }
        let commitmentCount = try reader.uint32("commitment count")
        guard commitmentCount <= 100_000 else { throw AuditError.malformedEvent("too many commitments") }
        commitments = try (0..<commitmentCount).map { _ in try reader.bytes(32, "commitment") }
        previousLeafHash = try reader.bytes(32, "previous leaf hash")
        if version != AuditEvent.version {
            let length = try reader.uint64("governance length")
            governance = GovernancePosition(length: length, head: try reader.bytes(32, "governance head"))
        } else {
            governance = nil
        }
        if version == AuditEvent.versionWithBlindedActor {
            switch try reader.byte("entry flag") {
            case 0: entry = nil
            case 1: entry = try reader.bytes(32, "entry hash")
            default: throw AuditError.malformedEvent("entry flag must be 0 or 1")
            }
        } else {
            entry = version == AuditEvent.versionWithEntry ? try reader.bytes(32, "entry hash") : nil
        }
        signature = try reader.bytes(64, "signature")
        if version == AuditEvent.versionWithBlindedActor, !reader.isAtEnd {
            let keyID = try reader.bytes(8, "stored actor")
            let opening = try reader.bytes(16, "stored actor opening")
            guard AuditEvent.actorCommitment(keyID: keyID, opening: opening) == actorCommitment else {
                throw AuditError.malformedEvent("the stored actor does not match its commitment")
            }
            actor = keyID
            actorOpening = opening
        }
        guard reader.isAtEnd else { throw AuditError.malformedEvent("trailing bytes") }
    }
}

/// Content commitments carried by audit events: SHA-256(r ‖ SHA-256(content)) with a 32-byte random `r`
/// kept sealed in the media compartment and revealed on disclosure.
public enum ContentCommitment {
    /// The commitment for a content digest and opening `r` (both 32 bytes).
    public static func commit(contentDigest: [UInt8], opening r: [UInt8]) -> [UInt8] {
        precondition(contentDigest.count == 32 && r.count == 32, "digest and opening must be 32 bytes")
        return SHA256Digest.hash(parts: [r, contentDigest])
    }
}

/// A bounds-checked reader over a byte array for canonical encodings.
struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func bytes(_ count: Int, _ field: String) throws -> [UInt8] {
        guard count >= 0, bytes.count - offset >= count else { throw AuditError.malformedEvent("truncated at \(field)") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func byte(_ field: String) throws -> UInt8 { try bytes(1, field)[0] }

    mutating func uint32(_ field: String) throws -> UInt32 {
        try bytes(4, field).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func uint64(_ field: String) throws -> UInt64 {
        try bytes(8, field).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func string(_ field: String) throws -> String {
        let length = Int(try uint32(field + " length"))
        let raw = try bytes(length, field)
        guard let text = String(validating: raw, as: UTF8.self) else { throw AuditError.malformedEvent("\(field) is not UTF-8") }
        return text
    }
}
