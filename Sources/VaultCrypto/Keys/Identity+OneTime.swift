extension Identity {
    /// The public key (32 bytes) of the one-time X25519 key pair `deriveOneTimeKeyPair(context:)` gives for
    /// `context`: what a break-glass recovery publishes so that custodians can re-seal their shares to it.
    public func oneTimePublicKey(context: [UInt8]) -> [UInt8] {
        deriveOneTimeKeyPair(context: context).publicKey
    }

    /// Opens a sealed box addressed to the one-time key pair derived for `context`, without handing out the
    /// one-time secret key (it is wiped when this returns).
    /// - Throws: `CryptoError.authenticationFailed` if `sealed` was not sealed to that key.
    public func oneTimeOpen(context: [UInt8], sealed: [UInt8]) throws -> SecretBytes {
        let pair = deriveOneTimeKeyPair(context: context)
        return try SealedBox.open(sealed, publicKey: pair.publicKey, secretKey: pair.secretKey)
    }
}
