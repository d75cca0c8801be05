extension Identity {
    /// Length of `transferableSecretKeys()`: 96 bytes.
    public static let transferableSecretKeyByteCount = Ed25519.secretKeyByteCount + X25519.keyByteCount

    /// The identity's two secret keys, Ed25519 (64 bytes, libsodium layout) ‖ X25519 (32 bytes), in secure
    /// memory: only for handing an unlocked identity to the `amanah agent` over a pipe or an owner-only Unix
    /// socket, never for storage (key files go through `KeyFile.seal`).
    public func transferableSecretKeys() -> SecretBytes {
        var out = SecretBytes(count: Identity.transferableSecretKeyByteCount)
        signingSecret.withUnsafeBytes { ed in
            encryptionSecret.withUnsafeBytes { x in
                out.withUnsafeMutableBytes { buffer in
                    buffer.baseAddress!.copyMemory(from: ed.baseAddress!, byteCount: ed.count)
                    (buffer.baseAddress! + ed.count).copyMemory(from: x.baseAddress!, byteCount: x.count)
                }
            }
        }
        return out
    }

    /// Rebuilds an identity from `transferableSecretKeys()` and checks the keys against `publicKey`.
    /// - Throws: `CryptoError.invalidEncoding` when `secretKeys` is not 96 bytes or does not belong to `publicKey`.
    public init(publicKey: MemberPublicKey, transferredSecretKeys secretKeys: borrowing SecretBytes) throws {
        guard secretKeys.count == Identity.transferableSecretKeyByteCount else {
            throw CryptoError.invalidEncoding("transferred secret keys have \(secretKeys.count) bytes, expected \(Identity.transferableSecretKeyByteCount)")
        }
        try self.init(publicKey: publicKey, signingSecret: secretKeys.slice(0..<Ed25519.secretKeyByteCount),
                      encryptionSecret: secretKeys.slice(Ed25519.secretKeyByteCount..<Identity.transferableSecretKeyByteCount))
    }
}
