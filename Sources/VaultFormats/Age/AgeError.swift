/// Errors of the age v1 implementation (c2sp.org/age). The decryption cases follow the outcome classes of
/// the C2SP age test kit one to one, so that a failure can be classified without reading its text:
///
/// | case | test-kit outcome |
/// |---|---|
/// | `armor` | armor failure |
/// | `header` | header failure |
/// | `noMatch` | no match |
/// | `headerMAC` | HMAC failure |
/// | `payload` | payload failure |
///
/// The remaining cases (`invalidKey`, `invalidArgument`, `io`) never come from the content of an age file.
/// No case carries secret material.
public enum AgeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The ASCII armor is malformed (not strict RFC 7468 PEM with label `AGE ENCRYPTED FILE`, 64-column
    /// canonical padded base64, only whitespace around it). The text says what is wrong.
    case armor(String)
    /// The header is malformed or unsupported: version line, stanza syntax, non-canonical base64, a
    /// recognised stanza with wrong arguments or body length, an all-zero X25519 shared secret, an scrypt
    /// stanza beside other stanzas, an scrypt work factor above the limit, a missing or short payload nonce.
    case header(String)
    /// No identity could unwrap the file key from any stanza.
    case noMatch
    /// The header MAC does not match (the header was modified, or the file key is wrong).
    case headerMAC
    /// The payload is malformed or failed authentication (modified, truncated, reordered, missing final
    /// chunk, empty final chunk after data, data after the final chunk). Plaintext of earlier chunks may
    /// already have been written to the sink.
    case payload(String)
    /// An identity, identity file or recipient string is malformed (Bech32, prefix, length).
    case invalidKey(String)
    /// The caller asked for something the format forbids (no recipients, an scrypt recipient beside others,
    /// a work factor out of range).
    case invalidArgument(String)
    /// Reading the input or writing the output failed.
    case io(String)

    public var description: String {
        switch self {
        case let .armor(why): return "invalid age armor: \(why)"
        case let .header(why): return "invalid age header: \(why)"
        case .noMatch: return "no identity matched any of the file's recipients"
        case .headerMAC: return "age header MAC does not match (modified header or wrong key)"
        case let .payload(why): return "age payload failed: \(why)"
        case let .invalidKey(why): return "invalid age key: \(why)"
        case let .invalidArgument(why): return "age: \(why)"
        case let .io(why): return "age: \(why)"
        }
    }
}
