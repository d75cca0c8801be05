/// An `IdentityHolder` for an identity unlocked in this process: a reference to an `Identity`, whose secret
/// keys stay in secure memory until the last reference goes away.
public final class LocalIdentity: IdentityHolder, @unchecked Sendable {
    /// The unlocked identity.
    public let identity: Identity

    /// Takes ownership of an unlocked identity.
    public init(_ identity: consuming Identity) { self.identity = identity }

    public var publicKey: MemberPublicKey { identity.publicKey }

    public func sign(_ message: [UInt8], context: SigningContext) -> [UInt8] {
        identity.sign(message, context: context)
    }

    public func signRaw(_ message: [UInt8]) -> [UInt8] {
        identity.signRaw(message)
    }

    public func openSealedBox(_ sealed: [UInt8]) throws -> SecretBytes {
        try identity.openSealedBox(sealed)
    }

    public func oneTimePublicKey(context: [UInt8]) -> [UInt8] {
        identity.oneTimePublicKey(context: context)
    }

    public func oneTimeOpen(context: [UInt8], sealed: [UInt8]) throws -> SecretBytes {
        try identity.oneTimeOpen(context: context, sealed: sealed)
    }
}
