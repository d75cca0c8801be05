import Foundation
import VaultAudit
import VaultPlatform
import VaultCrypto
import VaultGovernance
import VaultPolicy
import VaultStore
import VaultTime
internal import VaultText

/// A time-stamp the log records, verified: which checkpoint, by which authority, when.
public struct VerifiedTimestampReport: Sendable, Equatable {
    /// The audit event that recorded it.
    public var event: UInt64
    /// The size of the checkpoint whose body was stamped.
    public var checkpointSize: UInt64
    /// The authority's name in the vault (`add-tsa`).
    public var authority: String
    /// The stamped time.
    public var time: Date
}

extension Vault {
    /// The audit action that records an RFC 3161 time-stamp of a checkpoint.
    static let timestampAction = "audit.timestamp"

    /// The objects of a time-stamp event: `checkpoint:SIZE`, `tsa:NAME`, `time:RFC3339`, `token:BASE64`.
    static func timestampObjects(size: UInt64, authority: String, time: Date, token: [UInt8]) -> [String] {
        ["checkpoint:\(size)", "tsa:\(authority)", "time:\(VaultPlatform.Clock.format(milliseconds: Int64((time.timeIntervalSince1970 * 1000).rounded(.down))))",
         "token:" + Base64.encode(token)]
    }

    /// Verifies the time-stamp `event` records: its token stamps the SHA-256 of the body of the stored
    /// checkpoint it names (`bodies`, by size), is signed by the named authority the vault trusts, and is not
    /// dated after the event that recorded it (five minutes' leeway).
    static func checkTimestamp(_ event: AuditEvent, bodies: [UInt64: String],
                               authorities: [String: TimeStampAuthority]) -> Result<VerifiedTimestampReport, TimestampProblem> {
        func value(_ prefix: String) -> String? { event.objects.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) } }
        guard let size = value("checkpoint:").flatMap(UInt64.init), let name = value("tsa:"), let encoded = value("token:"),
              let token = try? Base64.decode(encoded) else { return .failure(.init("its objects do not name a checkpoint, an authority and a token")) }
        guard let body = bodies[size] else { return .failure(.init("the checkpoint of size \(size) it stamps is not stored in the vault")) }
        guard let authority = authorities[name] else { return .failure(.init("the authority \(name) is not one the vault trusts (add-tsa)")) }
        let recorded = Date(timeIntervalSince1970: Double(event.time) / 1000)
        do {
            let verified = try TimeStampClient.verify(token: token, digest: SHA256Digest.hash(Array(body.utf8)), nonce: nil, trusted: authority.certificate,
                                                      bounds: Date.distantPast...recorded.addingTimeInterval(300))
            let said = value("time:"), stamped = VaultPlatform.Clock.format(milliseconds: Int64((verified.time.timeIntervalSince1970 * 1000).rounded(.down)))
            guard said == stamped else {
                return .failure(.init("its time object says \(said ?? "nothing"), but the token's time is \(stamped)"))
            }
            return .success(VerifiedTimestampReport(event: event.sequence, checkpointSize: size, authority: name, time: verified.time))
        } catch {
            return .failure(.init("\(error)"))
        }
    }
}

/// Why a recorded time-stamp does not verify.
struct TimestampProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Session {
    /// The newest checkpoint the vault stores, as a time-stamp request covers it: its size and the SHA-256 of
    /// its body (the note's text before its signatures, which cosignatures do not change).
    /// - Throws: `VaultError.notPermitted` without the policy's `audit`; `VaultError.invalidInput` when no
    ///   checkpoint is stored yet.
    public func checkpointToTimestamp() throws -> (size: UInt64, digest: [UInt8]) {
        try require(.audit, Resource(compartments: [], label: "time-stamping a checkpoint"))
        let stored = try vault.storedCheckpoints().compactMap { try? $0.parsed.get() }
        guard let newest = stored.max(by: { $0.checkpoint.size < $1.checkpoint.size }) else {
            throw VaultError.invalidInput("checkpoint", "the vault stores no checkpoint yet: make one first (amanah audit checkpoint)")
        }
        return (newest.checkpoint.size, SHA256Digest.hash(Array(newest.checkpoint.body.utf8)))
    }

    /// Records a verified time-stamp of the checkpoint of `size` by `authority` (audited as `audit.timestamp`,
    /// the token in the event, so it travels with the log and `audit verify` checks it again).
    /// The caller has verified the token (`TimeStampVerifier`); `audit verify` checks it again.
    /// - Throws: `VaultError.notPermitted` without the policy's `audit`.
    public func recordTimestamp(size: UInt64, authority: String, time: Date, token: [UInt8]) throws {
        try require(.audit, Resource(compartments: [], label: "recording a time-stamp"))
        try write { db in
            try audit(db, action: Vault.timestampAction, objects: Vault.timestampObjects(size: size, authority: authority, time: time, token: token))
        }
    }
}
