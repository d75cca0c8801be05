/// Errors of reading, writing and verifying disclosure bundles and requests, each naming the file or field
/// and what is wrong, in the same words as the vault's own errors (`VaultError`). None carries a secret.
public enum DisclosureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Input was rejected: (source, reason), e.g. ("bundle.tar.age", "is not encrypted to this identity").
    case invalidInput(String, String)
    /// A file or member failed to verify: (what).
    case integrity(String)
    /// The bundle (path) is not encrypted to any of the identities given: the wrong identity, not a
    /// verification failure.
    case notForThisIdentity(String)

    public var description: String {
        switch self {
        case let .invalidInput(source, why): return "\(source): \(why)"
        case let .integrity(what): return "integrity check failed: \(what)"
        case let .notForThisIdentity(path): return "\(path): is not encrypted to this identity (the wrong age identity file, or a header that was changed)"
        }
    }
}
