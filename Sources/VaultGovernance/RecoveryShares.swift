import VaultCrypto
import VaultPolicy

/// Break-glass recovery (`op propose recover`): custodians' Shamir shares of the recovery key travel sealed to
/// the recovering custodian's one-time key as one bundle each; the recovering custodian checks every share
/// against the commitment published when the recovery key was dealt, then combines them (libsodium-backed
/// Shamir over GF(2^8), see `Shamir`).
public enum RecoveryShares {
    /// Rebuilds the recovery secrets (one per recovery-key generation that still has shares) from the shares
    /// the approvers sealed to this custodian's one-time key. Each share is checked against its published
    /// commitment first; a share that does not match names its holder.
    /// - Parameters:
    ///   - custodian: the custodian who proposed the recovery (its one-time key opens the shares).
    /// - Throws: `VaultError.integrity` naming the custodian whose share does not open or match, or when too
    ///   few valid shares remain.
    public static func rebuildSecrets(_ operation: GovernanceOperation, state: GovernanceState,
                                      custodian identity: IdentityBox) throws -> [(Int64, SecretBox)] {
        guard case let .recover(_, _, oneTimeKey) = operation.change,
              oneTimeKey == (try identity.oneTimePublicKey(context: operation.nonce)) else {
            throw VaultError.integrity("the recovery's one-time key is not this custodian's")
        }
        var sharesByGeneration: [Int64: [ShamirShare]] = [:]
        for approval in operation.approvals {
            let holder = Hex.encode(approval.custodian)
            let shares: [(Int64, ShamirShare)]
            do {
                let opened = try identity.oneTimeOpen(context: operation.nonce, sealed: approval.sealedShare)
                shares = try decodeBundle(opened)
            } catch {
                throw VaultError.integrity("the recovery share from custodian \(holder) does not open (forged or damaged)")
            }
            for (generation, share) in shares {
                guard let info = state.recoveryHistory[generation], let commitment = info.shareCommitments[holder] else { continue }
                guard Int(share.index) == commitment.index, share.commitment(salt: info.publicKey) == commitment.commitment else {
                    throw VaultError.integrity("the recovery share from custodian \(holder) does not match its commitment (forged or damaged)")
                }
                sharesByGeneration[generation, default: []].append(share)
            }
        }
        var secrets: [(Int64, SecretBox)] = []
        for (generation, shares) in sharesByGeneration.sorted(by: { $0.key > $1.key }) {
            guard let info = state.recoveryHistory[generation], shares.count >= info.threshold else { continue }
            let secret = SecretBox(try Shamir.combine(shares))
            guard (try? X25519.publicKey(for: secret.bytes)) == info.publicKey else {
                throw VaultError.integrity("the rebuilt recovery key \(generation) does not match its public key")
            }
            secrets.append((generation, secret))
        }
        guard !secrets.isEmpty else { throw VaultError.integrity("too few valid recovery shares to rebuild the recovery key") }
        return secrets
    }

    /// Several recovery shares in one sealed payload: count (4 bytes) ‖ (generation (8) ‖ length (4) ‖ share)...,
    /// big-endian, in secret memory.
    public static func encodeBundle(_ shares: [(Int64, SecretBox)]) -> SecretBytes {
        let total = 4 + shares.reduce(0) { $0 + 12 + $1.1.bytes.count }
        var out = SecretBytes(count: total)
        out.withUnsafeMutableBytes { buffer in
            var offset = 0
            func put(_ value: UInt64, _ width: Int) {
                for shift in stride(from: (width - 1) * 8, through: 0, by: -8) { buffer[offset] = UInt8(truncatingIfNeeded: value >> UInt64(shift)); offset += 1 }
            }
            put(UInt64(shares.count), 4)
            for (generation, share) in shares {
                put(UInt64(generation), 8)
                put(UInt64(share.bytes.count), 4)
                share.bytes.withUnsafeBytes { (buffer.baseAddress! + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                offset += share.bytes.count
            }
        }
        return out
    }

    /// Parses a payload made by `encodeBundle`.
    /// - Throws: `VaultError.integrity` when it is truncated, has more than 255 shares or trailing bytes.
    public static func decodeBundle(_ bytes: borrowing SecretBytes) throws -> [(Int64, ShamirShare)] {
        var result: [(Int64, ShamirShare)] = []
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            func take(_ width: Int) throws -> UInt64 {
                guard buffer.count - offset >= width else { throw VaultError.integrity("truncated share bundle") }
                var value: UInt64 = 0
                for _ in 0..<width { value = value << 8 | UInt64(buffer[offset]); offset += 1 }
                return value
            }
            let count = try take(4)
            guard count <= 255 else { throw VaultError.integrity("too many shares") }
            for _ in 0..<count {
                let generation = Int64(try take(8))
                let length = Int(try take(4))
                guard length >= 3, buffer.count - offset >= length else { throw VaultError.integrity("truncated share") }
                let share = SecretBytes(copying: UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + length)]))
                offset += length
                result.append((generation, try ShamirShare.deserialize(share)))
            }
            guard offset == buffer.count else { throw VaultError.integrity("trailing bytes in share bundle") }
        }
        return result
    }
}
