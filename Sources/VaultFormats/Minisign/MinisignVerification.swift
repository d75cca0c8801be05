import VaultPlatform
import VaultCrypto

/// The result of checking a minisign signature: valid with its trusted comment, or the first reason it is
/// not, in the order the checks run.
public enum MinisignVerification: Equatable, Sendable, CustomStringConvertible {
    /// Every check passed; the trusted comment is authentic.
    case valid(trustedComment: String)
    /// The signature names another key: both ids as minisign prints them.
    case keyIDMismatch(signatureKeyID: String, publicKeyID: String)
    /// A legacy (`Ed`) signature, and the caller did not allow legacy signatures.
    case legacyRefused
    /// The global signature (over signature and trusted comment) does not verify: the trusted comment or
    /// the signature was changed.
    case invalidGlobalSignature
    /// The signature does not verify over this message (another message, another key, or a wrong algorithm
    /// label).
    case invalidSignature

    /// Whether the signature is valid.
    public var isValid: Bool { if case .valid = self { return true } else { return false } }

    public var description: String {
        switch self {
        case let .valid(comment): return "signature and trusted comment verified (trusted comment: \(comment))"
        case let .keyIDMismatch(signature, publicKey):
            return "the signature's key id is \(signature) but the public key's id is \(publicKey) (as minisign prints them)"
        case .legacyRefused: return "legacy (Ed) minisign signatures are not accepted"
        case .invalidGlobalSignature: return "the trusted comment signature does not verify"
        case .invalidSignature: return "the signature does not verify over this message"
        }
    }
}

extension MinisignSignature {
    /// Verifies this signature over the message `source` yields, with `publicKey`.
    ///
    /// Checks in order, stopping at the first failure (as issue 8 specifies): the key id, the algorithm
    /// (`Ed` refused unless `allowLegacy`), the global signature over signature ‖ trusted comment (needs no
    /// message), then the signature over BLAKE2b-512 of the message (`ED`) or the message itself (`Ed`).
    /// - Returns: `.valid` or the reason the signature is not valid.
    /// - Throws: `MinisignError.io` if reading the message fails; `MinisignError.messageTooLarge` for a legacy
    ///   signature over more than `legacyMessageLimit` bytes.
    public func verify<Source: ByteSource>(message source: inout Source, publicKey: MinisignPublicKey,
                                           allowLegacy: Bool = false) throws -> MinisignVerification {
        guard keyID == publicKey.keyID else {
            return .keyIDMismatch(signatureKeyID: keyIDText, publicKeyID: publicKey.keyIDText)
        }
        if algorithm == .legacy && !allowLegacy { return .legacyRefused }
        guard Ed25519.verifyRaw(globalSignature, message: signature + trustedCommentBytes, publicKey: publicKey.publicKey) else {
            return .invalidGlobalSignature
        }
        let signed: [UInt8]
        switch algorithm {
        case .prehashed: signed = try MinisignSignature.prehash(&source)
        case .legacy: signed = try MinisignSignature.readAll(&source, limit: MinisignSignature.legacyMessageLimit)
        }
        guard Ed25519.verifyRaw(signature, message: signed, publicKey: publicKey.publicKey) else { return .invalidSignature }
        return .valid(trustedComment: trustedComment)
    }

    /// Verifies this signature over `message` (see the streaming overload).
    public func verify(message: [UInt8], publicKey: MinisignPublicKey, allowLegacy: Bool = false) throws -> MinisignVerification {
        var source = MemorySource(message)
        return try verify(message: &source, publicKey: publicKey, allowLegacy: allowLegacy)
    }
}
