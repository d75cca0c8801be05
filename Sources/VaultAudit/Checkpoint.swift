import VaultCrypto

/// A checkpoint of the audit log: the vault's tree size and root hash at one moment, as the note text of a
/// C2SP transparency-log checkpoint (c2sp.org/tlog-checkpoint, "Note text"):
/// ```
/// amanah/<vault id, 64 lower-case hex digits>\n      origin
/// <tree size, decimal, no leading zeros>\n            size
/// <root hash, standard base64 with padding>\n        root (32 bytes, 44 characters)
/// ```
/// Amanah writes no extension lines and its parser accepts none. Signed and cosigned checkpoints are
/// `SignedCheckpoint`s.
public struct Checkpoint: Hashable, Sendable, CustomStringConvertible {
    /// What every Amanah origin line starts with.
    public static let originPrefix = "amanah/"

    /// The vault id, 32 bytes.
    public let vaultID: [UInt8]
    /// Number of leaves (audit events) in the tree.
    public let size: UInt64
    /// The RFC 6962 root hash of the tree at `size`, 32 bytes.
    public let rootHash: [UInt8]

    /// A checkpoint from its parts.
    /// - Throws: `AuditError.invalidArgument` unless the vault id and root hash are 32 bytes each.
    public init(vaultID: [UInt8], size: UInt64, rootHash: [UInt8]) throws {
        guard vaultID.count == 32 else { throw AuditError.invalidArgument("vault id must be 32 bytes, got \(vaultID.count)") }
        guard rootHash.count == 32 else { throw AuditError.invalidArgument("root hash must be 32 bytes, got \(rootHash.count)") }
        self.vaultID = vaultID
        self.size = size
        self.rootHash = rootHash
    }

    /// Parses a checkpoint body (the note text, final newline included).
    /// - Throws: `AuditError.malformedCheckpoint` if it is not exactly three newline-terminated lines, the
    ///   origin is not `amanah/` and 64 lower-case hex digits, the size is not canonical decimal that fits 64
    ///   bits, or the root is not canonical base64 of 32 bytes.
    public init(body: String) throws {
        guard body.utf8.last == 0x0a else { throw AuditError.malformedCheckpoint("the body does not end in a newline") }
        let lines = body.utf8.dropLast().split(separator: 0x0a, omittingEmptySubsequences: false)
        guard lines.count == 3 else {
            throw AuditError.malformedCheckpoint("expected 3 lines (origin, size, root), found \(lines.count)")
        }
        let origin = String(decoding: lines[0], as: UTF8.self)
        guard origin.hasPrefix(Checkpoint.originPrefix) else {
            throw AuditError.malformedCheckpoint("the origin does not start with \(Checkpoint.originPrefix)")
        }
        let idText = origin.dropFirst(Checkpoint.originPrefix.count)
        guard idText.utf8.count == 64, let vaultID = try? Hex.decode(idText), Hex.encode(vaultID) == idText else {
            throw AuditError.malformedCheckpoint("the origin does not end in a vault id of 64 lower-case hex digits")
        }
        let sizeBytes = Array(lines[1])
        guard !sizeBytes.isEmpty, sizeBytes.count <= 20, sizeBytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              sizeBytes == [0x30] || sizeBytes[0] != 0x30,
              let size = UInt64(String(decoding: sizeBytes, as: UTF8.self)) else {
            throw AuditError.malformedCheckpoint("the size is not a decimal number without leading zeros")
        }
        guard let root = try? Base64.decode(String(decoding: lines[2], as: UTF8.self), variant: .standard),
              root.count == 32 else {
            throw AuditError.malformedCheckpoint("the root is not canonical base64 of 32 bytes")
        }
        try self.init(vaultID: vaultID, size: size, rootHash: root)
    }

    /// The origin line `amanah/<vault id hex>` of a vault.
    public static func origin(vaultID: [UInt8]) -> String {
        originPrefix + Hex.encode(vaultID)
    }

    /// This checkpoint's origin line (without newline).
    public var origin: String { Checkpoint.origin(vaultID: vaultID) }

    /// The note text: origin, size and base64 root, each line ending in a newline.
    public var body: String {
        origin + "\n" + String(size) + "\n" + Base64.encode(rootHash, variant: .standard) + "\n"
    }

    public var description: String { body }

    /// Whether `newer` extends this checkpoint: same vault, `newer.size ≥ size`, and `proof` is a valid RFC 9162
    /// consistency proof between the two roots. False for a fork (same size, different roots), a smaller newer
    /// size, another vault, or a bad proof.
    public func isConsistent(with newer: Checkpoint, proof: [[UInt8]]) -> Bool {
        vaultID == newer.vaultID && MerkleProof.verifyConsistency(oldSize: size, newSize: newer.size, oldRoot: rootHash,
                                                                  newRoot: newer.rootHash, proof: proof)
    }
}
