import Foundation
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultPlatform
import VaultStore

/// What `amanah info` shows of a vault: who holds it (custodians, threshold, members by role, recipients),
/// where its governance chain and log stand, and how much it holds. Nothing in it is sealed: a copy of the
/// vault folder shows all of it (SECURITY.md "What is stored, and what is in clear").
public struct VaultSummary: Codable, Equatable, Sendable {
    /// A custodian or member: key id (16 hex digits), fingerprint (as `keygen` prints it), role (nil for a
    /// custodian), and name (nil: names are not kept in the signed state yet).
    public struct Person: Codable, Equatable, Sendable {
        public var keyID: String
        public var fingerprint: String
        public var role: String?
        public var name: String?
    }

    public var vaultID: String
    /// The genesis format (`Genesis.formatName`).
    public var format: String
    public var custodians: [Person]
    public var threshold: Int
    /// Members, sorted by role, then key id.
    public var members: [Person]
    /// Recipients by name, in the order they were added.
    public var recipients: [String]
    /// Governance entries after the genesis, and the newest one's hash (hex; the vault id when none).
    public var governanceLength: Int
    public var governanceHead: String
    /// Events in the audit log, and the size of the largest checkpoint stored (nil: none).
    public var logSize: Int
    public var checkpointSize: Int?
    public var cases: Int
    public var witnesses: Int
    public var items: Int
    public var disclosures: Int
    /// The organisation that holds the vault (`set-organisation`), if named.
    public var organisation: String? = nil
}

extension Vault {
    /// The vault's summary, read in one read transaction. Needs no identity.
    /// - Throws: database errors.
    public func summary() throws -> VaultSummary {
        let state = self.state
        func person(_ key: MemberPublicKey, _ role: String?) -> VaultSummary.Person {
            VaultSummary.Person(keyID: key.keyIDHex, fingerprint: key.fingerprint, role: role, name: state.members[key.keyIDHex]?.name)
        }
        let members = state.members.values.sorted { ($0.role.rawValue, $0.key.keyIDHex) < ($1.role.rawValue, $1.key.keyIDHex) }
            .map { person($0.key, $0.role.rawValue) }
        return try database.queue.read { db in
            VaultSummary(vaultID: vaultIDHex, format: Genesis.formatName, custodians: state.custodians.map { person($0, nil) },
                         threshold: state.threshold, members: members,
                         recipients: state.recipientOrder.isEmpty ? state.recipients.keys.sorted() : state.recipientOrder,
                         governanceLength: state.chainLength, governanceHead: Hex.encode(state.headHash),
                         logSize: Int(try AuditLog.head(db).size), checkpointSize: try CheckpointRow.largestSize(db).map(Int.init),
                         cases: try IndexCounts.records(kind: "case", db), witnesses: try IndexCounts.records(kind: "witness", db),
                         items: try IndexCounts.items(db), disclosures: try IndexCounts.disclosures(db), organisation: state.organisation)
        }
    }
}

/// One issued disclosure as the signed log records it (`disclose status`).
public struct IssuedDisclosure: Sendable, Codable, Equatable {
    /// The bundle id (`DT-0001`), its recipient, and the audit event that records the issue.
    public var bundle: String
    public var recipient: String
    public var event: UInt64
    /// When (RFC 3339) and by whom (key id hex) it was issued.
    public var issuedAt: String
    public var issuer: String
    /// SHA-256 (hex) of the release plan and of the bundle's manifest.
    public var planSHA256: String
    public var manifestSHA256: String
    /// The number of items, from the `disclosure` table (nil when its row is missing: `check` reports it).
    public var items: Int?
}

extension Vault {
    /// Every disclosure the signed log records as issued (signed by a member who could disclose), in log
    /// order. Needs no identity.
    /// - Throws: `VaultError.integrity` for a governance chain that does not verify; database errors.
    public func issuedDisclosures() throws -> [IssuedDisclosure] {
        try database.queue.read { db in
            let history = try GovernanceChain.history(genesis: genesis, db: db)
            return try DisclosureLedger.issues(db, vaultID: vaultID, keys: state.knownKeys, history: history).map { issue in
                return IssuedDisclosure(bundle: issue.bundleID, recipient: issue.recipient, event: issue.event,
                                        issuedAt: VaultPlatform.Clock.format(milliseconds: issue.time), issuer: issue.issuer,
                                        planSHA256: Hex.encode(issue.planHash), manifestSHA256: Hex.encode(issue.manifestHash),
                                        items: try DisclosureRow.itemCount(planHash: Data(issue.planHash), db).map { Int($0) })
            }
        }
    }
}
