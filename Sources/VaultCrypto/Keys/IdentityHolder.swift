/// Something that holds a member identity's secret keys and uses them on request, so that callers never touch
/// the secret keys themselves: `LocalIdentity` holds them in this process; the `amanah agent` holds them in
/// another and answers over a Unix socket.
///
/// Every operation matches the `Identity` method of the same name byte for byte (same signed bytes, same
/// formats). They throw because a holder in another process can fail (gone, refusing, malformed answer); a
/// `LocalIdentity` throws only where `Identity` does.
public protocol IdentityHolder: AnyObject, Sendable {
    /// The public half of the identity, self-signed.
    var publicKey: MemberPublicKey { get }

    /// A domain-separated Ed25519 signature (64 bytes) over `context ‖ 0x00 ‖ message` (`Identity.sign`).
    /// - Throws: whatever the holder's transport throws (never for a local identity).
    func sign(_ message: [UInt8], context: SigningContext) throws -> [UInt8]

    /// A raw Ed25519 signature (64 bytes) with no context, for formats that fix their signed bytes (minisign,
    /// C2SP signed notes) (`Identity.signRaw`).
    /// - Throws: whatever the holder's transport throws; a holder may refuse a message that starts with an
    ///   Amanah signing context (`amanah/v1/`), which no such format ever signs.
    func signRaw(_ message: [UInt8]) throws -> [UInt8]

    /// Opens a sealed box (`crypto_box_seal`) addressed to the identity's X25519 key.
    /// - Throws: `CryptoError.authenticationFailed` (or the holder's equivalent) if it was not sealed to this
    ///   identity.
    func openSealedBox(_ sealed: [UInt8]) throws -> SecretBytes

    /// The 32-byte X25519 public key of the one-time key pair derived from the identity and `context`
    /// (see `Identity.oneTimePublicKey(context:)`).
    func oneTimePublicKey(context: [UInt8]) throws -> [UInt8]

    /// Opens a sealed box addressed to the one-time key derived from the identity and `context`; the one-time
    /// secret key never leaves the holder.
    /// - Throws: `CryptoError.authenticationFailed` (or the holder's equivalent) if it was not sealed to that key.
    func oneTimeOpen(context: [UInt8], sealed: [UInt8]) throws -> SecretBytes
}
