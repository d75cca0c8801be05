import VaultPlatform
import VaultPolicy
import Foundation
import VaultAudit
import VaultCrypto
import VaultStore

/// One audit event as `audit log` shows it. Carries no secret value: ids, key ids, hashes and commitments only.
public struct AuditHistoryEntry: Sendable, Codable, Equatable {
    /// Sequence number, from 1.
    public var sequence: UInt64
    /// RFC 3339 UTC time with milliseconds.
    public var time: String
    /// The actor's key id, 16 lower-case hex digits.
    public var actor: String
    /// The actor's role as `Vault.roleDescription(keyIDHex:)` gives it; nil for an unknown key.
    public var role: String?
    /// What was done, e.g. `item.ingest`.
    public var action: String
    /// Object ids (items, cases, witnesses, operations, key ids).
    public var objects: [String]
    /// Content commitments, 64 lower-case hex digits each.
    public var commitments: [String]
    /// SHA-256 of the policy in force, 64 lower-case hex digits; nil when none was set.
    public var policyHash: String?

    enum CodingKeys: String, CodingKey { case sequence, time, actor, role, action, objects, commitments, policyHash }

    /// Encodes every key, absent values as JSON null.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sequence, forKey: .sequence)
        try container.encode(time, forKey: .time)
        try container.encode(actor, forKey: .actor)
        try container.encode(role, forKey: .role)
        try container.encode(action, forKey: .action)
        try container.encode(objects, forKey: .objects)
        try container.encode(commitments, forKey: .commitments)
        try container.encode(policyHash, forKey: .policyHash)
    }
}

/// Which events `audit log` shows; every given condition must hold.
public struct AuditHistoryFilter: Sendable {
    /// Only events by this key id (8 bytes).
    public var actor: [UInt8]?
    /// Only events naming this object id.
    public var object: String?
    /// Only events at or after this time, milliseconds since the epoch.
    public var since: Int64?

    public init(actor: [UInt8]? = nil, object: String? = nil, since: Int64? = nil) {
        self.actor = actor; self.object = object; self.since = since
    }
}

extension Vault {
    /// Calls `body` with each event that passes `filter`, in sequence order, streaming (memory does not grow
    /// with the log). Does not verify signatures or links: that is `verifyAuditLog`.
    /// - Returns: the sequence numbers of rows that could not be parsed (skipped).
    /// - Throws: what `body` throws; database errors.
    @discardableResult
    public func auditHistory(filter: AuditHistoryFilter, _ body: (AuditHistoryEntry) throws -> Void) throws -> [Int64] {
        var unreadable: [Int64] = []
        var roles: [String: String?] = [:]
        try database.queue.read { db in
            let cursor = try AuditEventRow.inSequence(db)
            while let row = try cursor.next() {
                guard let event = try? AuditEvent(leaf: Array(row.leaf)) else {
                    unreadable.append(row.seq)
                    continue
                }
                if let actor = filter.actor, event.actor != actor { continue }
                if let object = filter.object, !event.objects.contains(object) { continue }
                if let since = filter.since, event.time < since { continue }
                let actor = Hex.encode(event.actor)
                if roles[actor] == nil { roles[actor] = .some(roleDescription(keyIDHex: actor)) }
                try body(AuditHistoryEntry(sequence: event.sequence, time: Clock.format(milliseconds: event.time), actor: actor,
                                           role: roles[actor] ?? nil, action: event.action, objects: event.objects,
                                           commitments: event.commitments.map(Hex.encode), policyHash: event.policyHash.map(Hex.encode)))
            }
        }
        return unreadable
    }
}
