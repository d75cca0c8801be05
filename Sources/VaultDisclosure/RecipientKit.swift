import Foundation
import VaultCrypto

/// What a recipient (a tribunal) pins at registration, written by `amanah recipient kit NAME -o FILE` and handed
/// over out of band with its fingerprint read aloud or compared on paper: the vault id, the custodians and their
/// threshold, and the members who may issue or approve releases, each with its role. `amanah bundle verify
/// --kit FILE` counts approvals and custody as verified only when they chain to these pins (DESIGN.md,
/// "Disclosure bundles"; SECURITY.md, "What a tribunal can check").
///
/// JSON with sorted keys; key ids are 16 lower-case hex digits, public keys Amanah key lines. The kit holds public
/// keys only: nothing in it is secret, but everything in it is trusted by whoever pins it.
public struct RecipientKit: Codable, Equatable, Sendable {
    /// A pinned key.
    public struct Key: Codable, Equatable, Sendable {
        public var keyID: String
        /// The Amanah public key line.
        public var publicKey: String
        /// The member's role (release signers); nil for custodians.
        public var role: String?
        /// Memberwise.
        public init(keyID: String, publicKey: String, role: String? = nil) {
            self.keyID = keyID; self.publicKey = publicKey; self.role = role
        }
    }

    public static let formatName = "amanah-recipient-kit-v1"
    /// The largest kit `parse` reads (1 MiB).
    public static let maximumSize = 1 << 20

    public var format = RecipientKit.formatName
    /// The vault id, 64 lower-case hex digits.
    public var vault: String
    /// The recipient's registered name.
    public var recipient: String
    /// The age recipients (`age1…`) the recipient registered.
    public var ageRecipients: [String]
    /// How many custodians' signatures a checkpoint needs to count as theirs (the governance threshold).
    public var threshold: Int
    public var custodians: [Key]
    /// Members whose role may issue or approve a release when the kit was written.
    public var releaseSigners: [Key]
    /// The roles that may issue or approve a release under the policy (a grant of another role proves nothing).
    public var releaseRoles: [String]
    /// The governance chain the kit was written from: its length (entries after the genesis) and head hash (hex).
    public var governanceLength: UInt64
    public var governanceHead: String
    /// RFC 3339, UTC.
    public var writtenAt: String

    /// Memberwise.
    public init(vault: String, recipient: String, ageRecipients: [String], threshold: Int, custodians: [Key], releaseSigners: [Key],
                releaseRoles: [String], governanceLength: UInt64, governanceHead: String, writtenAt: String) {
        self.vault = vault; self.recipient = recipient; self.ageRecipients = ageRecipients; self.threshold = threshold
        self.custodians = custodians; self.releaseSigners = releaseSigners; self.releaseRoles = releaseRoles; self.governanceLength = governanceLength
        self.governanceHead = governanceHead; self.writtenAt = writtenAt
    }

    /// The bytes written to the kit file.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [0x0A]
    }

    /// The fingerprint to compare out of band: SHA-256 of the file's bytes, as 16 groups of 4 hex digits.
    public static func fingerprint(of bytes: [UInt8]) -> String {
        let hex = Array(Hex.encode(SHA256Digest.hash(bytes)))
        return stride(from: 0, to: hex.count, by: 4).map { String(hex[$0..<$0 + 4]) }.joined(separator: " ")
    }

    /// Parses and checks a kit file.
    /// - Parameter source: the file's name, for error messages.
    /// - Throws: `DisclosureError.invalidInput` naming the file and what is wrong: not JSON of this format, a bad
    ///   vault id, a threshold outside 1…custodians, a key line that does not parse or whose key id differs.
    public static func parse(_ bytes: [UInt8], source: String) throws -> RecipientKit {
        guard bytes.count <= maximumSize else { throw DisclosureError.invalidInput(source, "is larger than \(maximumSize) bytes") }
        let kit: RecipientKit
        do { kit = try JSONDecoder().decode(RecipientKit.self, from: Data(bytes)) } catch {
            throw DisclosureError.invalidInput(source, "is not a recipient kit (\(error))")
        }
        guard kit.format == formatName else { throw DisclosureError.invalidInput(source, "has format \(kit.format), expected \(formatName)") }
        guard let id = try? Hex.decode(kit.vault), id.count == 32 else { throw DisclosureError.invalidInput(source, "vault: not 64 hex digits") }
        guard !kit.custodians.isEmpty, (1...kit.custodians.count).contains(kit.threshold) else {
            throw DisclosureError.invalidInput(source, "threshold: \(kit.threshold) is not between 1 and the \(kit.custodians.count) custodians")
        }
        for (field, keys) in [("custodians", kit.custodians), ("releaseSigners", kit.releaseSigners)] {
            for key in keys {
                guard let parsed = try? MemberPublicKey(line: key.publicKey), parsed.keyIDHex == key.keyID else {
                    throw DisclosureError.invalidInput(source, "\(field): the key \(key.keyID) does not parse or has another key id")
                }
            }
        }
        guard Set(kit.custodians.map(\.keyID)).count == kit.custodians.count else { throw DisclosureError.invalidInput(source, "custodians: a key is listed twice") }
        return kit
    }

    /// The pinned custodians' keys.
    public var custodianKeys: [MemberPublicKey] { custodians.compactMap { try? MemberPublicKey(line: $0.publicKey) } }
    /// The pinned release signers' keys with their roles, by key id (a key id is 8 bytes: callers compare the
    /// whole key as well).
    public var releaseSignerRoles: [String: PinnedRole] {
        var roles: [String: PinnedRole] = [:]
        for signer in releaseSigners {
            guard let key = try? MemberPublicKey(line: signer.publicKey), let role = signer.role else { continue }
            roles[signer.keyID] = PinnedRole(key: key, role: role)
        }
        return roles
    }
}

/// A member's key and role as a recipient trusts them: pinned by its kit or proven by a grant.
public struct PinnedRole: Equatable, Sendable {
    public var key: MemberPublicKey
    public var role: String
    /// Memberwise.
    public init(key: MemberPublicKey, role: String) { self.key = key; self.role = role }
}
