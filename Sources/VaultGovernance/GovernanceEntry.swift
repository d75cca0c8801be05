import VaultPolicy
import VaultCrypto

/// One applied governance change as stored in the chain (table `governance`, `hash` = SHA-256 of the body).
///
/// Body: `lp("amanah-governance-entry-v1") ‖ lp(operation body) ‖ lp(proposer signature)
/// ‖ approvals: count ‖ (key id (8) ‖ lp(signature) ‖ lp(sealed share))... ‖ applied at (8, ms)
/// ‖ applier key id (8) ‖ effects ‖ lp(applier signature)`, where the applier signs everything before their
/// signature (context `amanah/v1/governance-entry`). Effects are what the applier chose: a new recovery public
/// key and share commitments when the recovery key was replaced, and new compartment public keys when the
/// applier rotated compartments: `lp(recovery pk or empty) ‖ count ‖ (lp(custodian) ‖ index (4) ‖ lp(commitment))...
/// ‖ count ‖ (lp(compartment) ‖ generation (8) ‖ lp(public key))...`.
public struct GovernanceEntry: Sendable, Equatable {
    public struct Effects: Sendable, Equatable {
        public var recoveryPublicKey: [UInt8] = []
        public var shareCommitments: [(custodian: String, index: Int, commitment: [UInt8])] = []
        public var compartmentKeys: [(compartment: Compartment, generation: Int64, publicKey: [UInt8])] = []

        public init() {}

        public static func == (a: Effects, b: Effects) -> Bool {
            a.recoveryPublicKey == b.recoveryPublicKey
                && a.shareCommitments.map { "\($0.custodian)/\($0.index)/\(Hex.encode($0.commitment))" } == b.shareCommitments.map { "\($0.custodian)/\($0.index)/\(Hex.encode($0.commitment))" }
                && a.compartmentKeys.map { "\($0.compartment)/\($0.generation)/\(Hex.encode($0.publicKey))" } == b.compartmentKeys.map { "\($0.compartment)/\($0.generation)/\(Hex.encode($0.publicKey))" }
        }
    }

    static let formatName = "amanah-governance-entry-v1"
    static let signingContext = SigningContext(purpose: "governance-entry")

    public var operation: GovernanceOperation
    public var appliedAt: Int64
    public var applier: [UInt8]
    public var effects: Effects
    public var applierSignature: [UInt8]

    /// The bytes the applier signs: the operation's encoding, time applied, applier and effects.
    var signedPart: [UInt8] {
        var out: [UInt8] = []
        out.appendLengthPrefixed(GovernanceEntry.formatName)
        out.appendLengthPrefixed(operation.body)
        out.appendLengthPrefixed(operation.proposerSignature)
        out.appendCount(operation.approvals.count)
        for approval in operation.approvals {
            out.append(contentsOf: approval.custodian)
            out.appendLengthPrefixed(approval.signature)
            out.appendLengthPrefixed(approval.sealedShare)
        }
        out.appendBigEndian(UInt64(bitPattern: appliedAt))
        out.append(contentsOf: applier)
        out.appendLengthPrefixed(effects.recoveryPublicKey)
        out.appendCount(effects.shareCommitments.count)
        for share in effects.shareCommitments {
            out.appendLengthPrefixed(share.custodian)
            out.appendCount(share.index)
            out.appendLengthPrefixed(share.commitment)
        }
        out.appendCount(effects.compartmentKeys.count)
        for key in effects.compartmentKeys {
            out.appendLengthPrefixed(key.compartment.rawValue)
            out.appendBigEndian(UInt64(key.generation))
            out.appendLengthPrefixed(key.publicKey)
        }
        return out
    }

    /// The stored body.
    public var body: [UInt8] {
        var out = signedPart
        out.appendLengthPrefixed(applierSignature)
        return out
    }

    /// Signs the entry as the applier.
    public mutating func sign(with identity: borrowing Identity) {
        applierSignature = identity.sign(signedPart, context: GovernanceEntry.signingContext)
    }

    /// Signs the entry as the applier through an `IdentityHolder` (a local identity or the `amanah agent`).
    /// - Throws: what `identity.sign` throws.
    public mutating func sign(with identity: some IdentityHolder) throws {
        applierSignature = try identity.sign(signedPart, context: GovernanceEntry.signingContext)
    }

    public init(operation: GovernanceOperation, appliedAt: Int64, applier: [UInt8], effects: Effects, applierSignature: [UInt8] = []) {
        self.operation = operation; self.appliedAt = appliedAt; self.applier = applier; self.effects = effects
        self.applierSignature = applierSignature
    }

    /// The role an entry grants, for a bundle's proof of an approver's or issuer's role: the member's key id
    /// (16 hex digits) and role when `body` is an entry adding a member or setting a member's role; nil for any
    /// other entry or a body that does not parse. Checks no signature: the caller trusts the entry through the
    /// audit event that binds its SHA-256 and the checkpoint that event is proven in.
    public static func roleGrant(body: [UInt8]) -> (keyID: String, role: String)? {
        guard let entry = try? GovernanceEntry(body: body), let (key, role) = entry.grantedRole else { return nil }
        return (key.keyIDHex, role)
    }

    /// The member and role this entry's change grants (adding a member or setting its role), else nil.
    private var grantedRole: (MemberPublicKey, String)? {
        switch operation.change {
        case let .addMember(key, role, _), let .setRole(key, role): return (key, role.rawValue)
        default: return nil
        }
    }

    /// The role an entry grants, for a recipient checking a bundle's proof of an approver's or issuer's role:
    /// the member's key and role when `body` parses, is of vault `vaultID`, adds a member or sets a member's
    /// role, and at least `threshold` distinct `custodians` (the ones the recipient pinned) approved its
    /// operation with valid signatures; nil otherwise. So an event that merely claims a grant, with an entry
    /// no quorum signed, grants nothing.
    public static func verifiedRoleGrant(body: [UInt8], vaultID: [UInt8], custodians: [MemberPublicKey], threshold: Int) -> (key: MemberPublicKey, role: String)? {
        guard threshold >= 1, let entry = try? GovernanceEntry(body: body), entry.operation.vaultID == vaultID else { return nil }
        var approved = Set<String>()
        for approval in entry.operation.approvals {
            guard let key = custodians.first(where: { $0.keyID == approval.custodian }), entry.operation.approvalVerifies(approval, key: key) else { continue }
            approved.insert(key.keyIDHex)
        }
        guard approved.count >= threshold, let (key, role) = entry.grantedRole else { return nil }
        return (key, role)
    }

    /// Parses a stored body.
    /// - Throws: `VaultError.integrity` when malformed.
    init(body: [UInt8]) throws {
        var reader = EntryReader(body)
        guard try reader.text() == GovernanceEntry.formatName else { throw VaultError.integrity("unknown governance entry format") }
        let operationBody = try reader.lengthPrefixed()
        let proposerSignature = try reader.lengthPrefixed()
        var approvals: [GovernanceOperation.Approval] = []
        for _ in 0..<(try reader.count(limit: 255)) {
            approvals.append(GovernanceOperation.Approval(custodian: try reader.bytes(8), signature: try reader.lengthPrefixed(), sealedShare: try reader.lengthPrefixed()))
        }
        appliedAt = Int64(bitPattern: try reader.uint64())
        applier = try reader.bytes(8)
        var effects = Effects()
        effects.recoveryPublicKey = try reader.lengthPrefixed()
        for _ in 0..<(try reader.count(limit: 255)) {
            effects.shareCommitments.append((try reader.text(), try reader.count(limit: 255), try reader.lengthPrefixed()))
        }
        for _ in 0..<(try reader.count(limit: 64)) {
            guard let compartment = Compartment(rawValue: try reader.text()) else { throw VaultError.integrity("unknown compartment in entry") }
            effects.compartmentKeys.append((compartment, Int64(try reader.uint64()), try reader.lengthPrefixed()))
        }
        self.effects = effects
        applierSignature = try reader.lengthPrefixed()
        guard reader.isAtEnd else { throw VaultError.integrity("trailing bytes in governance entry") }
        operation = try GovernanceOperation(body: operationBody, proposerSignature: proposerSignature, approvals: approvals)
    }
}

extension GovernanceOperation {
    /// Rebuilds an operation from its canonical body (as stored in a chain entry).
    init(body: [UInt8], proposerSignature: [UInt8], approvals: [Approval]) throws {
        var reader = EntryReader(body)
        guard try reader.text() == GovernanceOperation.formatName else { throw VaultError.integrity("unknown operation format") }
        vaultID = try reader.bytes(32)
        previousState = try reader.bytes(32)
        change = try Change(encoding: try reader.lengthPrefixed())
        expires = Int64(bitPattern: try reader.uint64())
        proposer = try reader.bytes(8)
        nonce = try reader.lengthPrefixed()
        guard reader.isAtEnd else { throw VaultError.integrity("trailing bytes in operation") }
        self.proposerSignature = proposerSignature
        self.approvals = approvals
    }
}

extension Change {
    /// Parses the canonical encoding.
    init(encoding: [UInt8]) throws {
        var reader = EntryReader(encoding)
        func key() throws -> MemberPublicKey {
            do { return try MemberPublicKey(line: try reader.text()) } catch { throw VaultError.integrity("bad key in change") }
        }
        func role() throws -> Role {
            guard let role = Role(rawValue: try reader.text()) else { throw VaultError.integrity("bad role in change") }
            return role
        }
        switch try reader.text() {
        case "add-member":
            let key = try key(), role = try role()
            var name: String?
            if !reader.isAtEnd {
                name = try reader.text()
                if let problem = Change.nameProblem(name!) { throw VaultError.integrity("a member's name in a change \(problem)") }
            }
            self = .addMember(key, role, name: name)
        case "remove-member": self = .removeMember(try key())
        case "set-role": self = .setRole(try key(), try role())
        case "add-custodian": self = .addCustodian(try key())
        case "remove-custodian": self = .removeCustodian(try key())
        case "set-threshold": self = .setThreshold(try reader.count(limit: 255))
        case "add-recipient":
            let name = try reader.text()
            var keys: [String] = []
            for _ in 0..<(try reader.count(limit: 64)) { keys.append(try reader.text()) }
            self = .addRecipient(name: name, ageKeys: keys)
        case "rotate-keys": self = .rotateKeys(reencrypt: try reader.bytes(1)[0] == 1)
        case "set-policy": self = .setPolicy(hash: try reader.lengthPrefixed(), text: try reader.lengthPrefixed())
        case "recover": self = .recover(try key(), try role(), oneTimeKey: try reader.lengthPrefixed())
        case "withdraw-consent": self = .withdrawConsent(pseudonym: try reader.text())
        case "court-order":
            let recipient = try reader.text()
            var witnesses: [String] = []
            for _ in 0..<(try reader.count(limit: 10_000)) { witnesses.append(try reader.text()) }
            self = .courtOrder(recipient: recipient, witnesses: witnesses, reference: try reader.text())
        case "set-organisation":
            let name = try reader.text()
            if let problem = Change.nameProblem(name) { throw VaultError.integrity("the organisation's name in a change \(problem)") }
            self = .setOrganisation(name: name)
        case "add-tsa":
            self = .addTimeStampAuthority(name: try reader.text(), url: try reader.text(), certificate: try reader.lengthPrefixed())
        default: throw VaultError.integrity("unknown change type")
        }
        guard reader.isAtEnd else { throw VaultError.integrity("trailing bytes in change") }
    }
}

/// A bounds-checked reader for the canonical encodings of governance data.
struct EntryReader {
    private let bytes: [UInt8]
    private var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var isAtEnd: Bool { offset == bytes.count }

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, bytes.count - offset >= count else { throw VaultError.integrity("truncated governance data") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }
    mutating func uint32() throws -> UInt32 { try bytes(4).reduce(0) { $0 << 8 | UInt32($1) } }
    mutating func uint64() throws -> UInt64 { try bytes(8).reduce(0) { $0 << 8 | UInt64($1) } }
    mutating func count(limit: Int) throws -> Int {
        let value = Int(try uint32())
        guard value <= limit else { throw VaultError.integrity("count out of range in governance data") }
        return value
    }
    mutating func lengthPrefixed() throws -> [UInt8] {
        let length = Int(try uint32())
        guard length <= 16 << 20 else { throw VaultError.integrity("field too long in governance data") }
        return try bytes(length)
    }
    mutating func text() throws -> String {
        guard let text = String(validating: try lengthPrefixed(), as: UTF8.self) else { throw VaultError.integrity("text is not UTF-8") }
        return text
    }
}
