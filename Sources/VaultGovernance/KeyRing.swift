import VaultPolicy
import GRDB
import VaultCrypto
import VaultStore

/// The identity a command acts as, held by reference for the duration of the command: either unlocked in
/// this process or held by the `amanah agent`. The vault signs and opens only through it (`IdentityHolder`),
/// never touching the secret keys.
public final class IdentityBox: IdentityHolder, @unchecked Sendable {
    /// Who holds the secret keys.
    public let holder: any IdentityHolder

    /// An identity unlocked in this process.
    public init(_ identity: consuming Identity) { holder = LocalIdentity(identity) }
    /// An identity held elsewhere (the agent).
    public init(holder: any IdentityHolder) { self.holder = holder }

    /// The key id, 16 lower-case hex digits.
    public var keyIDHex: String { holder.publicKey.keyIDHex }

    public var publicKey: MemberPublicKey { holder.publicKey }
    public func sign(_ message: [UInt8], context: SigningContext) throws -> [UInt8] { try holder.sign(message, context: context) }
    public func signRaw(_ message: [UInt8]) throws -> [UInt8] { try holder.signRaw(message) }
    public func openSealedBox(_ sealed: [UInt8]) throws -> SecretBytes { try holder.openSealedBox(sealed) }
    public func oneTimePublicKey(context: [UInt8]) throws -> [UInt8] { try holder.oneTimePublicKey(context: context) }
    public func oneTimeOpen(context: [UInt8], sealed: [UInt8]) throws -> SecretBytes {
        try holder.oneTimeOpen(context: context, sealed: sealed)
    }
}

/// The compartment keys a member holds, unwrapped on first use from the wraps sealed to their X25519 key.
/// Holding a compartment's secret key is what read access means; `secret(for:)` fails with "not permitted"
/// when no wrap exists for this member.
public final class KeyRing: @unchecked Sendable {
    private let identity: IdentityBox
    private var secrets: [String: SecretBox] = [:]

    /// The verified governance state, for checking who wrote a record (set by the session).
    public var stateProvider: (() -> GovernanceState)?
    /// Checks an unwrapped index key against the commitments of the signed log (set by the session): kind,
    /// compartment, generation, key, the caller's database access; throws when the key is not committed.
    public var keyCommitmentCheck: ((String, Compartment, Int64, SecretBox, Database) throws -> Void)?
    /// Checks that the member whose signature a record's compartment half carries could write those fields
    /// when they wrote them (set by the session): kind, record id, compartment, writer key id hex, field names,
    /// the caller's database access; throws when not. Without it, any role the writer ever held counts.
    public var recordWriterCheck: ((RecordKind, String, Compartment, String, Set<String>, Database) throws -> Void)?

    public init(identity: IdentityBox) { self.identity = identity }

    /// The secret (kind "secret") or index key (kind "index") of `compartment` at `generation`.
    /// - Throws: `VaultError.notPermitted` when the member holds no such key; `VaultError.integrity` when a
    ///   wrap exists but does not open, or (a secret key) does not belong to the compartment's public key in
    ///   the governance state: someone who can write the vault folder sealed a key of their choosing.
    public func key(_ kind: String, of compartment: Compartment, generation: Int64, db: Database) throws -> SecretBox {
        let cacheKey = "\(kind)/\(compartment.rawValue)/\(generation)"
        if let cached = secrets[cacheKey] { return cached }
        guard let wrap = try KeyWrapRow.find(compartment: compartment.rawValue, generation: generation, kind: kind,
                                             holder: identity.keyIDHex, db) else {
            throw VaultError.notPermitted("you hold no \(kind == "index" ? "index key" : "key") for the \(compartment.rawValue) compartment")
        }
        let opened: SecretBytes
        do { opened = try identity.openSealedBox(Array(wrap.sealed)) } catch is CryptoError {
            throw VaultError.integrity("the \(compartment.rawValue) key sealed to you does not open")
        }
        let box = SecretBox(opened)
        if kind == "secret", let state = stateProvider?() {
            try CompartmentKeyCheck.verify(box, compartment: compartment, generation: generation, state: state,
                                           holder: "sealed to you")
        }
        if kind == "index", let check = keyCommitmentCheck { try check(kind, compartment, generation, box, db) }
        secrets[cacheKey] = box
        return box
    }

    /// Whether the member holds a key without unwrapping it.
    public func holds(_ kind: String, of compartment: Compartment, generation: Int64, db: Database) throws -> Bool {
        try KeyWrapRow.find(compartment: compartment.rawValue, generation: generation, kind: kind, holder: identity.keyIDHex, db) != nil
    }
}

/// Checks unwrapped compartment secret keys against the public keys the governance chain names: a wrap is
/// sealed with the holder's public key only, so anyone who can write the vault folder can seal a key of their
/// choosing to a member or to the recovery key; only a secret whose X25519 public key is the compartment's is
/// used.
public enum CompartmentKeyCheck {
    /// - Parameters: secret: the unwrapped secret (32 bytes); holder: whose wrap it was, for the message.
    /// - Throws: `VaultError.integrity` naming the compartment, generation and holder when the secret's public
    ///   key is not the compartment's at that generation (or the state names none).
    public static func verify(_ secret: SecretBox, compartment: Compartment, generation: Int64, state: GovernanceState,
                              holder: String) throws {
        guard let expected = state.publicKey(compartment, generation: generation),
              (try? X25519.publicKey(for: secret.bytes)) == expected else {
            throw VaultError.integrity("the \(compartment.rawValue) key (generation \(generation)) \(holder) is not the compartment's key named by the governance chain; someone who can write the vault folder may have planted it")
        }
    }
}

/// Commitments to the symmetric keys a member cannot check against a public key: index keys (blind indexes,
/// duplicate tokens) and the pseudonym key. The member who makes such a key puts its commitment into the
/// signed audit event of that moment (`vault.init`, `compartment.rotate`, `governance.*`); a member who
/// unwraps one uses it only if its commitment is there, so a key planted by someone who can write the vault
/// folder (sealed to the member's public key, which is all it takes) is refused.
public enum KeyCommitment {
    /// BLAKE2b-256 of `amanah/v1/key-commitment` ‖ lp(kind) ‖ lp(compartment) ‖ generation (8 bytes,
    /// big-endian) ‖ key (32 bytes). The pseudonym key, which survives rotations, uses kind `pseudonym`,
    /// the case compartment and generation 0. A hash of a 256-bit random key reveals nothing of it.
    public static func make(kind: String, compartment: Compartment, generation: Int64, key: SecretBox) -> [UInt8] {
        var input = Array("amanah/v1/key-commitment".utf8)
        input.appendLengthPrefixed(kind)
        input.appendLengthPrefixed(compartment.rawValue)
        input.appendBigEndian(UInt64(bitPattern: generation))
        key.bytes.withUnsafeBytes { input.append(contentsOf: $0) }
        defer { wipe(&input) }
        return BLAKE2b.hash(input, outputLength: 32)
    }
}
