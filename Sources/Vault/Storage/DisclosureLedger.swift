import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultPolicy
import VaultStore

/// The issued disclosures as the signed audit log records them (`disclosure.issue` events: objects plan hash
/// (hex), recipient, bundle id, item ids; one commitment, the manifest's SHA-256), and the cross-check of the
/// `disclosure` table against them. The table is an index: a row someone deleted would let a production
/// number be issued twice, and a row someone planted or changed would misstate what left the vault.
public enum DisclosureLedger {
    /// One issue recorded in the audit log.
    public struct Issue: Equatable, Sendable {
        /// The event's sequence number.
        public var event: UInt64
        /// SHA-256 of the release plan (32 bytes).
        public var planHash: [UInt8]
        public var recipient: String
        /// The bundle id (`DT-0001`) and its number (1).
        public var bundleID: String
        public var bundleNumber: Int
        /// SHA-256 of the bundle's manifest (32 bytes).
        public var manifestHash: [UInt8]
        /// The issuer's key id (hex) and the event's time (milliseconds since 1970).
        public var issuer: String = ""
        public var time: Int64 = 0
    }

    /// Every `disclosure.issue` event of the log, in log order, that counts: of this vault (`vaultID`),
    /// signed by a key the chain knows (`keys`), and, for an event naming its governance position, by a
    /// member at that position (`history`, the state at each chain length). Events that do not parse or
    /// lack their objects are left to `audit verify`, which reports them.
    /// - Throws: database errors.
    public static func issues(_ db: Database, vaultID: [UInt8], keys: [String: MemberPublicKey], history: [GovernanceState]) throws -> [Issue] {
        var issues: [Issue] = []
        for event in try AuditLog.events(db, actions: ["disclosure.issue"]) {
            guard event.objects.count >= 3, let planHash = try? Hex.decode(event.objects[0]), planHash.count == 32,
                  let number = bundleNumber(of: event.objects[2]), event.commitments.count == 1,
                  event.vaultID == vaultID, let key = keys[Hex.encode(event.actor)], event.verifySignature(publicKey: key) else { continue }
            if let position = event.governance {
                guard let then = history[chainLength: position.length], mayDisclose(then, Hex.encode(event.actor)) else { continue }
            }
            issues.append(Issue(event: event.sequence, planHash: planHash, recipient: event.objects[1], bundleID: event.objects[2],
                                bundleNumber: number, manifestHash: event.commitments[0], issuer: Hex.encode(event.actor), time: event.time))
        }
        return issues
    }

    /// The next bundle number for `recipient`: one more than the highest that the `disclosure` table or the
    /// audit log records (issued or reserved), so that a removed row cannot give a production number out twice
    /// and a number another machine reserved is not taken.
    /// - Throws: database errors.
    public static func nextBundleNumber(_ db: Database, recipient: String, vaultID: [UInt8], keys: [String: MemberPublicKey],
                                        history: [GovernanceState]) throws -> Int {
        let recorded = try DisclosureRow.highestBundleNumber(recipient: recipient, db) ?? 0
        let logged = try issues(db, vaultID: vaultID, keys: keys, history: history).filter { $0.recipient == recipient }.map(\.bundleNumber).max() ?? 0
        let reserved = try reservations(db, vaultID: vaultID, keys: keys, history: history).filter { $0.recipient == recipient }.map(\.bundleNumber).max() ?? 0
        return max(recorded, logged, reserved) + 1
    }

    /// Every `disclosure.reserve` event that counts (as `issues` counts issues), in log order: a team vault's
    /// issuer reserves a bundle number in the shared log before writing the bundle (objects: plan hash (hex),
    /// recipient, bundle id; no commitment).
    /// - Throws: database errors.
    public static func reservations(_ db: Database, vaultID: [UInt8], keys: [String: MemberPublicKey], history: [GovernanceState]) throws -> [Issue] {
        var found: [Issue] = []
        for event in try AuditLog.events(db, actions: ["disclosure.reserve"]) {
            guard event.objects.count == 3, let planHash = try? Hex.decode(event.objects[0]), planHash.count == 32,
                  let number = bundleNumber(of: event.objects[2]), event.vaultID == vaultID,
                  let key = keys[Hex.encode(event.actor)], event.verifySignature(publicKey: key) else { continue }
            // Only a role the policy lets disclose reserves (with a governance position: every reservation has one).
            guard let position = event.governance, let then = history[chainLength: position.length],
                  mayDisclose(then, Hex.encode(event.actor)) else { continue }
            found.append(Issue(event: event.sequence, planHash: planHash, recipient: event.objects[1], bundleID: event.objects[2],
                               bundleNumber: number, manifestHash: []))
        }
        return found
    }

    /// The bundle number the shared log reserved for plan `planHash` to `recipient`: its first reservation,
    /// when that is the first claim on its number (no earlier reservation or issue of another plan took it);
    /// nil when there is none or it lost to an earlier claim (reserve again).
    /// - Throws: database errors.
    public static func reservedNumber(_ db: Database, planHash: [UInt8], recipient: String, vaultID: [UInt8], keys: [String: MemberPublicKey],
                                      history: [GovernanceState]) throws -> Int? {
        try reservation(db, planHash: planHash, recipient: recipient, vaultID: vaultID, keys: keys, history: history)?.bundleNumber
    }

    /// The reservation `reservedNumber` finds (with its event's sequence), nil when there is none that counts.
    /// - Throws: database errors.
    public static func reservation(_ db: Database, planHash: [UInt8], recipient: String, vaultID: [UInt8], keys: [String: MemberPublicKey],
                                   history: [GovernanceState]) throws -> Issue? {
        let claims = (try reservations(db, vaultID: vaultID, keys: keys, history: history)
                      + issues(db, vaultID: vaultID, keys: keys, history: history)).filter { $0.recipient == recipient }.sorted { $0.event < $1.event }
        for mine in claims where mine.planHash == planHash && mine.manifestHash.isEmpty {
            if let first = claims.first(where: { $0.bundleNumber == mine.bundleNumber }), first.planHash == planHash { return mine }
        }
        return nil
    }

    /// The number of a bundle id (`DT-0012` → 12), nil when it has none or one outside 1…999,999 (a
    /// signed event naming a huge number must not make the next one overflow).
    public static func bundleNumber(of bundleID: String) -> Int? {
        guard let dash = bundleID.lastIndex(of: "-"), let number = Int(bundleID[bundleID.index(after: dash)...]),
              (1...999_999).contains(number) else { return nil }
        return number
    }

    /// Whether `signer` had, in `state`, a role the policy allows to disclose something (an allow rule naming
    /// `disclose`): only such a member's issue or reservation counts.
    static func mayDisclose(_ state: GovernanceState, _ signer: String) -> Bool {
        guard let role = state.role(of: signer) else { return false }
        return state.policy.allowRules.contains { $0.role == role && $0.actions.contains(.disclose) }
    }

    /// Differences between the `disclosure` table and the issues the log records, one line each naming the
    /// row or the event: a row without its event, an event without its row, a row whose recipient, number or
    /// manifest differs from its event.
    /// - Throws: database errors.
    public static func problems(_ db: Database, vaultID: [UInt8], keys: [String: MemberPublicKey],
                                history: [GovernanceState]) throws -> [String] {
        let issues = try issues(db, vaultID: vaultID, keys: keys, history: history)
        var byPlan: [[UInt8]: Issue] = [:]
        for issue in issues { byPlan[issue.planHash] = issue }
        var problems: [String] = []
        // Issue events that do not count (a signature that does not verify, another vault, not a member then).
        let counted = Set(issues.map(\.event))
        for event in try AuditLog.events(db, actions: ["disclosure.issue"]) where !counted.contains(event.sequence) {
            problems.append("audit event \(event.sequence) (disclosure.issue) does not verify as an issue by a member of this vault; it was not counted")
        }
        var seen = Set<[UInt8]>()
        for row in try DisclosureRow.listed(db) {
            let planHash = Array(row.planHash)
            let recipient = row.recipient, number = row.bundleNumber
            let name = "disclosure row \(recipient) #\(number)"
            guard let issue = byPlan[planHash] else {
                problems.append("\(name): the audit log records no issue of its release plan (a planted row)")
                continue
            }
            seen.insert(planHash)
            if issue.recipient != recipient || issue.bundleNumber != number {
                problems.append("\(name): the audit log (event \(issue.event)) records it as \(issue.bundleID) for \(issue.recipient)")
            } else if issue.manifestHash != Array(row.manifestHash) {
                problems.append("\(name): its manifest hash differs from the one audit event \(issue.event) commits to")
            }
        }
        for issue in issues where !seen.contains(issue.planHash) {
            problems.append("disclosure \(issue.bundleID) for \(issue.recipient): audit event \(issue.event) records its issue, but its disclosure row is missing from the database (removed); its production numbers stay used")
        }
        return problems
    }
}
