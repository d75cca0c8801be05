internal import VaultText
/// Errors thrown when parsing, building or signing a C2SP signed note (https://c2sp.org/signed-note).
/// No case carries secret material; texts name the line or field that is wrong.
public enum SignedNoteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The note as a whole is not a well-formed signed note (not UTF-8, a control character, no blank line
    /// before the signatures, no signature, too large, ...). The text says what is wrong.
    case malformedNote(String)
    /// A signature line is not `— <key name> <base64>` with a valid name and canonical base64 of at least
    /// 5 bytes. The associated value is the 1-based line number within the signature block and the reason.
    case malformedSignatureLine(line: Int, reason: String)
    /// A key name is empty or contains a Unicode space or `+`.
    case invalidKeyName(String)
    /// The note text (body) is empty, does not end in a newline, or contains a control character.
    case invalidText(String)
    /// Two signatures carry the same key name and key id (hex). A key signs a note once.
    case duplicateSignature(name: String, keyID: String)
    /// A verifier key (vkey) string is malformed; the text says what is wrong.
    case malformedVerifierKey(String)
    /// A public key or signature has the wrong length: (what, expected bytes, actual bytes).
    case invalidLength(String, expected: Int, actual: Int)
    /// A cosignature timestamp is larger than 2^63 − 1 seconds (c2sp.org/tlog-cosignature).
    case timestampOutOfRange(UInt64)

    public var description: String {
        switch self {
        case let .malformedNote(why): return "malformed signed note: \(why)"
        case let .malformedSignatureLine(line, why): return "malformed signature line \(line): \(why)"
        case let .invalidKeyName(why): return "invalid key name: \(why)"
        case let .invalidText(why): return "invalid note text: \(why)"
        case let .duplicateSignature(name, keyID):
            return "duplicate signature by key \(TerminalText.escaped(name))+\(keyID)"
        case let .malformedVerifierKey(why): return "malformed verifier key: \(why)"
        case let .invalidLength(what, expected, actual): return "\(what) must be \(expected) bytes, got \(actual)"
        case let .timestampOutOfRange(value): return "cosignature timestamp \(value) exceeds 2^63 - 1"
        }
    }
}
