import VaultPolicy
import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore

/// Appends signed events to the audit log inside the caller's transaction: if the event cannot be written,
/// the transaction (and so the operation) fails.
public enum AuditLog {
    /// Appends an event signed by `actor`, and its leaf hash to the audit tree (`auditNode`, leaf index =
    /// sequence − 1), both in the caller's transaction: the event, its tree nodes and the operation commit
    /// together or not at all. O(log n) reads and writes at n events.
    /// - Returns: the appended event.
    /// - Throws: database errors (the caller's transaction then rolls back); `VaultError.integrity` when the
    ///   tree and the log disagree on the number of events (a damaged vault: nothing is appended).
    @discardableResult
    public static func append(_ db: Database, vaultID: [UInt8], actor: IdentityBox, action: String, objects: [String],
                              commitments: [[UInt8]] = [], policyHash: [UInt8]?, time: Int64 = Clock.nowMilliseconds()) throws -> AuditEvent {
        let last = try AuditEventRow.order(Column("seq").desc).fetchOne(db)
        var event = AuditEvent(vaultID: vaultID, sequence: UInt64((last?.seq ?? 0) + 1), time: time,
                               actor: actor.publicKey.keyID, action: action, objects: objects,
                               policyHash: policyHash, commitments: commitments,
                               previousLeafHash: last.map { Array($0.leafHash) } ?? [UInt8](repeating: 0, count: 32))
        try event.sign(with: actor)
        let leaf = event.leaf
        let leafHash = MerkleHash.leaf(leaf)
        try AuditEventRow(seq: Int64(event.sequence), leaf: Data(leaf), leafHash: Data(leafHash)).insert(db)
        var tree = AuditLog.tree(db)
        let index = try tree.append(leafHash)
        guard index == event.sequence - 1 else {
            throw VaultError.integrity("the audit tree has \(index) leaves but the audit log had \(event.sequence - 1) events")
        }
        return event
    }

    /// The number of events and the newest leaf hash (zeros when empty).
    public static func head(_ db: Database) throws -> (size: Int, leafHash: [UInt8]) {
        guard let last = try AuditEventRow.order(Column("seq").desc).fetchOne(db) else {
            return (0, [UInt8](repeating: 0, count: 32))
        }
        return (Int(last.seq), Array(last.leafHash))
    }
}

/// Wall-clock time for records and events.
public enum Clock {
    /// Milliseconds since the Unix epoch.
    public static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec / 1_000_000)
    }

    /// An RFC 3339 UTC timestamp with milliseconds for display.
    public static func format(milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds % 1000), 3))Z"
    }
}

#if canImport(Glibc)
import Glibc
#endif
