import VaultPolicy
import Foundation
import VaultCrypto

/// The genesis record of a vault (`vault.json`), immutable and signed by the initiating custodian. The vault
/// id is SHA-256 of its canonical encoding (32 bytes, shown as 64 hex characters).
///
/// Canonical encoding (`lp(x)` = 4-byte big-endian length ‖ bytes; lists are a 4-byte count then items):
/// ```
/// lp("amanah-genesis-v1") ‖ created (8 bytes, ms since epoch, big-endian)
/// ‖ custodians: lp(public key line)... ‖ threshold (4 bytes)
/// ‖ members: (lp(public key line) ‖ lp(role))...
/// ‖ compartments: (lp(name) ‖ lp(X25519 public key))... sorted by name
/// ‖ lp(recovery X25519 public key) ‖ recovery shares: (lp(custodian key id hex) ‖ index (4) ‖ lp(commitment))...
/// ‖ lp(policy hash or empty) ‖ lp(initiator key id)
/// ```
/// The initiator signs `amanah/v1/genesis\0 ‖ encoding`.
public struct Genesis: Equatable, Sendable {
    /// A member of the initial state.
    public struct Member: Equatable, Sendable {
        public var key: MemberPublicKey
        public var role: Role
        /// The name shown beside the key id (`add-member --name`), nil when none was given.
        public var name: String?
        public init(key: MemberPublicKey, role: Role, name: String? = nil) { self.key = key; self.role = role; self.name = name }
    }

    /// The public commitment to one custodian's Shamir share of the recovery secret.
    public struct ShareCommitment: Equatable, Sendable {
        public var custodian: String   // key id hex
        public var index: Int
        public var commitment: [UInt8] // 32 bytes
        public init(custodian: String, index: Int, commitment: [UInt8]) {
            self.custodian = custodian; self.index = index; self.commitment = commitment
        }
    }

    public static let formatName = "amanah-genesis-v1"

    public var createdAt: Int64
    public var custodians: [MemberPublicKey]
    public var threshold: Int
    public var members: [Member]
    public var compartmentKeys: [Compartment: [UInt8]]
    public var recoveryPublicKey: [UInt8]
    public var shareCommitments: [ShareCommitment]
    public var policyHash: [UInt8]
    public var initiator: [UInt8]
    public var signature: [UInt8]

    /// The canonical encoding (without the signature).
    public var encoding: [UInt8] {
        var out: [UInt8] = []
        out.appendLengthPrefixed(Genesis.formatName)
        out.appendBigEndian(UInt64(bitPattern: createdAt))
        out.appendCount(custodians.count)
        for custodian in custodians { out.appendLengthPrefixed(custodian.line) }
        out.appendCount(threshold)
        out.appendCount(members.count)
        for member in members {
            out.appendLengthPrefixed(member.key.line)
            out.appendLengthPrefixed(member.role.rawValue)
        }
        let compartments = compartmentKeys.keys.sorted()
        out.appendCount(compartments.count)
        for name in compartments {
            out.appendLengthPrefixed(name.rawValue)
            out.appendLengthPrefixed(compartmentKeys[name]!)
        }
        out.appendLengthPrefixed(recoveryPublicKey)
        out.appendCount(shareCommitments.count)
        for share in shareCommitments {
            out.appendLengthPrefixed(share.custodian)
            out.appendCount(share.index)
            out.appendLengthPrefixed(share.commitment)
        }
        out.appendLengthPrefixed(policyHash)
        out.appendLengthPrefixed(initiator)
        return out
    }

    /// The vault id: SHA-256 of the canonical encoding (32 bytes).
    public var vaultID: [UInt8] { SHA256Digest.hash(encoding) }

    /// Checks the structure and the initiator's signature.
    /// - Throws: `VaultError.integrity` naming what is wrong.
    public func verify() throws {
        guard !custodians.isEmpty, threshold >= 1, threshold <= custodians.count else {
            throw VaultError.integrity("genesis: threshold \(threshold) of \(custodians.count) custodians")
        }
        guard Set(custodians.map(\.keyIDHex)).count == custodians.count else { throw VaultError.integrity("genesis: duplicate custodian") }
        guard Set(members.map(\.key.keyIDHex)).count == members.count else { throw VaultError.integrity("genesis: duplicate member") }
        guard Set(compartmentKeys.keys) == Set(Compartment.allCases), compartmentKeys.values.allSatisfy({ $0.count == 32 }),
              recoveryPublicKey.isEmpty || recoveryPublicKey.count == 32 else { throw VaultError.integrity("genesis: compartment or recovery keys malformed") }
        // Since issue 16 a vault is made without a recovery key (no dealer: each compartment key is split among
        // the custodians by whoever holds it, `CompartmentShares`); a vault of the first releases has one.
        if recoveryPublicKey.isEmpty {
            guard shareCommitments.isEmpty else { throw VaultError.integrity("genesis: recovery share commitments without a recovery key") }
        } else {
            guard shareCommitments.count == custodians.count,
                  Set(shareCommitments.map(\.custodian)) == Set(custodians.map(\.keyIDHex)) else {
                throw VaultError.integrity("genesis: recovery shares do not match the custodians")
            }
        }
        guard let signer = custodians.first(where: { $0.keyID == initiator }) else {
            throw VaultError.integrity("genesis: the initiator is not a custodian")
        }
        guard signer.verify(signature, message: encoding, context: .genesis) else {
            throw VaultError.integrity("genesis: signature does not verify")
        }
    }

    // MARK: JSON file form

    private struct FileForm: Codable {
        struct MemberForm: Codable { var key: String; var role: String }
        struct ShareForm: Codable { var custodian: String; var index: Int; var commitment: String }
        var format: String
        var created: Int64
        var custodians: [String]
        var threshold: Int
        var members: [MemberForm]
        var compartments: [String: String]
        var recoveryKey: String
        var recoveryShares: [ShareForm]
        var policyHash: String
        var initiator: String
        var signature: String
    }

    /// The `vault.json` text (pretty JSON, sorted keys). Binary values are base64 (keys) or hex (hashes, ids).
    public func fileContents() throws -> [UInt8] {
        let form = FileForm(
            format: Genesis.formatName, created: createdAt, custodians: custodians.map(\.line), threshold: threshold,
            members: members.map { .init(key: $0.key.line, role: $0.role.rawValue) },
            compartments: Dictionary(uniqueKeysWithValues: compartmentKeys.map { ($0.key.rawValue, Base64.encode($0.value)) }),
            recoveryKey: Base64.encode(recoveryPublicKey),
            recoveryShares: shareCommitments.map { .init(custodian: $0.custodian, index: $0.index, commitment: Hex.encode($0.commitment)) },
            policyHash: Hex.encode(policyHash), initiator: Hex.encode(initiator), signature: Base64.encode(signature))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(form)) + [0x0A]
    }

    /// Parses `vault.json` and verifies it.
    /// - Throws: `VaultError.integrity` naming the field that is wrong.
    public init(fileContents: [UInt8]) throws {
        let form: FileForm
        do { form = try JSONDecoder().decode(FileForm.self, from: Data(fileContents)) } catch {
            throw VaultError.integrity("vault.json is not a genesis record")
        }
        guard form.format == Genesis.formatName else { throw VaultError.integrity("vault.json: unsupported format \(form.format)") }
        do {
            createdAt = form.created
            custodians = try form.custodians.map { try MemberPublicKey(line: $0) }
            threshold = form.threshold
            members = try form.members.map { member in
                guard let role = Role(rawValue: member.role) else { throw VaultError.integrity("vault.json: unknown role \(member.role)") }
                return Member(key: try MemberPublicKey(line: member.key), role: role)
            }
            var keys: [Compartment: [UInt8]] = [:]
            for (name, value) in form.compartments {
                guard let compartment = Compartment(rawValue: name) else { throw VaultError.integrity("vault.json: unknown compartment \(name)") }
                keys[compartment] = try Base64.decode(value)
            }
            compartmentKeys = keys
            recoveryPublicKey = try Base64.decode(form.recoveryKey)
            shareCommitments = try form.recoveryShares.map { .init(custodian: $0.custodian, index: $0.index, commitment: try Hex.decode($0.commitment)) }
            policyHash = try Hex.decode(form.policyHash)
            initiator = try Hex.decode(form.initiator)
            signature = try Base64.decode(form.signature)
        } catch let error as VaultError {
            throw error
        } catch {
            throw VaultError.integrity("vault.json: \(error)")
        }
        try verify()
    }

    public init(createdAt: Int64, custodians: [MemberPublicKey], threshold: Int, members: [Member],
                compartmentKeys: [Compartment: [UInt8]], recoveryPublicKey: [UInt8], shareCommitments: [ShareCommitment],
                policyHash: [UInt8], initiator: [UInt8], signature: [UInt8] = []) {
        self.createdAt = createdAt; self.custodians = custodians; self.threshold = threshold; self.members = members
        self.compartmentKeys = compartmentKeys; self.recoveryPublicKey = recoveryPublicKey
        self.shareCommitments = shareCommitments; self.policyHash = policyHash; self.initiator = initiator
        self.signature = signature
    }
}

extension Array where Element == UInt8 {
    /// Appends a non-negative count or small integer as 4 bytes big-endian.
    mutating func appendCount(_ value: Int) {
        precondition(value >= 0 && value <= Int(UInt32.max), "count out of range")
        for shift in stride(from: 24, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> shift)) }
    }
}
