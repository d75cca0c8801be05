/// Errors of the minisign format: reading public keys and signatures, creating signatures, and reading the
/// message. A signature that reads well but does not verify is not an error: `MinisignVerification` says
/// why.
public enum MinisignError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A public key file or string is malformed; the text says how.
    case malformedPublicKey(String)
    /// A signature file is malformed; the text says how.
    case malformedSignature(String)
    /// The 2-byte algorithm is not one this implementation knows (`Ed` for keys; `Ed` or `ED` for signatures).
    case unsupportedAlgorithm(String)
    /// A comment holds a line break or NUL, or is too long; the text says which.
    case invalidComment(String)
    /// A legacy (`Ed`) signature needs the whole message in memory, and the message is larger than this many
    /// bytes (minisign's own limit is 1 GiB).
    case messageTooLarge(limit: Int)
    /// Reading the message failed.
    case io(String)

    public var description: String {
        switch self {
        case let .malformedPublicKey(why): return "malformed minisign public key: \(why)"
        case let .malformedSignature(why): return "malformed minisign signature: \(why)"
        case let .unsupportedAlgorithm(what): return "unsupported minisign algorithm \(what)"
        case let .invalidComment(why): return "invalid minisign comment: \(why)"
        case let .messageTooLarge(limit): return "message is larger than \(limit) bytes, too large for a legacy minisign signature"
        case let .io(why): return "reading the message failed: \(why)"
        }
    }
}
