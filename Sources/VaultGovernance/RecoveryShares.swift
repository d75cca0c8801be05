import VaultCrypto
import VaultPolicy

/// Break-glass recovery (`op propose recover`): each approving custodian's shares travel sealed to the
/// recovering custodian's one-time key as one bundle: its shares of the compartment keys the recovered role
/// needs (`CompartmentShares`, since issue 16), and its shares of any recovery key dealt by an earlier release,
/// which the recovering custodian checks against the commitments published when that key was dealt, then
/// combines (Shamir over GF(2^8), see `Shamir`).
public enum RecoveryShares {
    /// What the approvals of a recovery hold, opened: the recovery secrets of earlier releases that enough
    /// valid shares rebuild (by generation), and every compartment share with the custodian who sent it.
    public struct Opened {
        public var secrets: [(Int64, SecretBox)] = []
        public var compartmentShares: [(custodian: String, share: CompartmentShares.Share)] = []
    }

    /// Opens the shares the approvers sealed to this custodian's one-time key.
    /// - Throws: `VaultError.integrity` naming the custodian whose bundle does not open or whose share of an
    ///   earlier release's recovery key does not match its commitment, or when the approvals hold no share.
    public static func open(_ operation: GovernanceOperation, state: GovernanceState, custodian identity: IdentityBox) throws -> Opened {
        guard case let .recover(_, _, oneTimeKey) = operation.change,
              oneTimeKey == (try identity.oneTimePublicKey(context: operation.nonce)) else {
            throw VaultError.integrity("the recovery's one-time key is not this custodian's")
        }
        var opened = Opened()
        var sharesByGeneration: [Int64: [ShamirShare]] = [:]
        for approval in operation.approvals {
            let holder = Hex.encode(approval.custodian)
            let bundle: (dealt: [(Int64, ShamirShare)], compartments: [CompartmentShares.Share])
            do {
                bundle = try decodeBundle(try identity.oneTimeOpen(context: operation.nonce, sealed: approval.sealedShare))
            } catch {
                throw VaultError.integrity("the recovery share from custodian \(holder) does not open (forged or damaged)")
            }
            for (generation, share) in bundle.dealt {
                guard let info = state.recoveryHistory[generation], let commitment = info.shareCommitments[holder] else { continue }
                guard Int(share.index) == commitment.index, share.commitment(salt: info.publicKey) == commitment.commitment else {
                    throw VaultError.integrity("the recovery share from custodian \(holder) does not match its commitment (forged or damaged)")
                }
                sharesByGeneration[generation, default: []].append(share)
            }
            opened.compartmentShares += bundle.compartments.map { (holder, $0) }
        }
        for (generation, shares) in sharesByGeneration.sorted(by: { $0.key > $1.key }) {
            guard let info = state.recoveryHistory[generation], shares.count >= info.threshold else { continue }
            let secret = SecretBox(try Shamir.combine(shares))
            guard (try? X25519.publicKey(for: secret.bytes)) == info.publicKey else {
                throw VaultError.integrity("the rebuilt recovery key \(generation) does not match its public key")
            }
            opened.secrets.append((generation, secret))
        }
        guard !opened.secrets.isEmpty || !opened.compartmentShares.isEmpty else {
            throw VaultError.integrity("too few valid recovery shares to rebuild any compartment key")
        }
        return opened
    }

    /// The shares of one approval in one sealed payload, in secret memory, integers big-endian:
    /// `0xA2 ‖ count (4) ‖ (generation (8) ‖ length (4) ‖ share)...` for shares of recovery keys dealt by earlier
    /// releases, then `count (4) ‖ (lp(compartment) ‖ lp(kind) ‖ generation (8) ‖ lp(set) ‖ lp(share))...` for
    /// compartment shares (`lp` = 4-byte length ‖ bytes). A payload of the first releases lacks the leading
    /// 0xA2 and the compartment part.
    public static func encodeBundle(dealt: [(Int64, SecretBox)], compartments: [CompartmentShares.Share]) -> SecretBytes {
        let serialized = compartments.map { SecretBox($0.share.serialized()) }
        var total = 1 + 4 + dealt.reduce(0) { $0 + 12 + $1.1.bytes.count } + 4
        for (share, bytes) in zip(compartments, serialized) {
            total += 4 + share.compartment.rawValue.utf8.count + 4 + share.kind.utf8.count + 8 + 4 + share.recoveryHolder.utf8.count + 4 + bytes.bytes.count
        }
        var out = SecretBytes(count: total)
        out.withUnsafeMutableBytes { buffer in
            var offset = 0
            func put(_ value: UInt64, _ width: Int) {
                for shift in stride(from: (width - 1) * 8, through: 0, by: -8) { buffer[offset] = UInt8(truncatingIfNeeded: value >> UInt64(shift)); offset += 1 }
            }
            func put(_ bytes: UnsafeRawBufferPointer) {
                put(UInt64(bytes.count), 4)
                if bytes.count > 0 { (buffer.baseAddress! + offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
                offset += bytes.count
            }
            func put(_ text: String) { Array(text.utf8).withUnsafeBytes { put($0) } }
            buffer[0] = 0xA2
            offset = 1
            put(UInt64(dealt.count), 4)
            for (generation, share) in dealt {
                put(UInt64(generation), 8)
                share.bytes.withUnsafeBytes { put($0) }
            }
            put(UInt64(compartments.count), 4)
            for (share, bytes) in zip(compartments, serialized) {
                put(share.compartment.rawValue)
                put(share.kind)
                put(UInt64(share.generation), 8)
                put(share.recoveryHolder)
                bytes.bytes.withUnsafeBytes { put($0) }
            }
        }
        return out
    }

    /// Parses a payload made by `encodeBundle` (or by the first releases).
    /// - Throws: `VaultError.integrity` when it is truncated, has more than 255 shares of a kind, an unknown
    ///   compartment or trailing bytes.
    public static func decodeBundle(_ bytes: borrowing SecretBytes) throws -> (dealt: [(Int64, ShamirShare)], compartments: [CompartmentShares.Share]) {
        var dealt: [(Int64, ShamirShare)] = []
        var compartments: [CompartmentShares.Share] = []
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            func take(_ width: Int) throws -> UInt64 {
                guard buffer.count - offset >= width else { throw VaultError.integrity("truncated share bundle") }
                var value: UInt64 = 0
                for _ in 0..<width { value = value << 8 | UInt64(buffer[offset]); offset += 1 }
                return value
            }
            func field(_ limit: Int) throws -> UnsafeRawBufferPointer {
                let length = Int(try take(4))
                guard length <= limit, buffer.count - offset >= length else { throw VaultError.integrity("truncated share") }
                defer { offset += length }
                return UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + length)])
            }
            func text() throws -> String {
                guard let text = String(validating: Array(try field(64)), as: UTF8.self) else { throw VaultError.integrity("a share bundle's name is not UTF-8") }
                return text
            }
            let current = buffer.count > 0 && buffer[0] == 0xA2
            if current { offset = 1 }
            let count = try take(4)
            guard count <= 255 else { throw VaultError.integrity("too many shares") }
            for _ in 0..<count {
                let generation = Int64(try take(8))
                let share = try field(1 << 16)
                guard share.count >= 3 else { throw VaultError.integrity("truncated share") }
                dealt.append((generation, try ShamirShare.deserialize(SecretBytes(copying: share))))
            }
            if current {
                let count = try take(4)
                guard count <= 255 * 8 else { throw VaultError.integrity("too many shares") }
                for _ in 0..<count {
                    guard let compartment = Compartment(rawValue: try text()) else { throw VaultError.integrity("a share names an unknown compartment") }
                    let kind = try text()
                    let generation = Int64(try take(8))
                    let set = try text()
                    let share = try field(1 << 16)
                    guard share.count >= 3 else { throw VaultError.integrity("truncated share") }
                    compartments.append(CompartmentShares.Share(compartment: compartment, kind: kind, generation: generation, recoveryHolder: set,
                                                                share: try ShamirShare.deserialize(SecretBytes(copying: share))))
                }
            }
            guard offset == buffer.count else { throw VaultError.integrity("trailing bytes in share bundle") }
        }
        return (dealt, compartments)
    }
}
