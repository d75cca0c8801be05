import VaultPolicy
import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore

/// The result of verifying the audit log.
public struct AuditVerification: Sendable {
    /// Number of events checked.
    public var events = 0
    /// The first problem, naming the event (nil when the log verifies).
    public var firstProblem: String?
    public var ok: Bool { firstProblem == nil }
}

extension Vault {
    /// Verifies every audit event without writing anything: sequence numbers from 1 without gaps, each leaf
    /// parses and hashes to its stored hash, belongs to this vault, links to the previous leaf hash, and
    /// carries a valid signature by a key that was a member or custodian.
    public func verifyAuditLog() throws -> AuditVerification {
        var result = AuditVerification()
        try database.queue.read { db in
            var previous = [UInt8](repeating: 0, count: 32)
            var expected: Int64 = 1
            let cursor = try AuditEventRow.order(Column("seq")).fetchCursor(db)
            while let row = try cursor.next() {
                result.events += 1
                let problem = Self.problem(with: row, expectedSequence: expected, previous: previous, vaultID: vaultID, keys: state.knownKeys)
                if let problem {
                    result.firstProblem = problem
                    return
                }
                previous = Array(row.leafHash)
                expected += 1
            }
        }
        return result
    }

    static func problem(with row: AuditEventRow, expectedSequence: Int64, previous: [UInt8], vaultID: [UInt8],
                        keys: [String: MemberPublicKey]) -> String? {
        guard row.seq == expectedSequence else {
            return "event \(expectedSequence) is missing (found \(row.seq) next)"
        }
        let event: AuditEvent
        do { event = try AuditEvent(leaf: Array(row.leaf)) } catch { return "event \(row.seq): \(error)" }
        guard MerkleHash.leaf(Array(row.leaf)) == Array(row.leafHash) else { return "event \(row.seq): its stored hash does not match its content" }
        guard event.sequence == UInt64(row.seq) else { return "event \(row.seq): it claims to be event \(event.sequence)" }
        guard event.vaultID == vaultID else { return "event \(row.seq): it belongs to another vault" }
        guard event.previousLeafHash == previous else { return "event \(row.seq): it does not link to event \(row.seq - 1)" }
        guard let key = keys[Hex.encode(event.actor)] else { return "event \(row.seq): its actor \(Hex.encode(event.actor)) is not known to this vault" }
        guard event.verifySignature(publicKey: key) else { return "event \(row.seq): its signature does not verify" }
        return nil
    }
}
