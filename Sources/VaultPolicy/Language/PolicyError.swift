/// An error found while reading a policy file or a policy test table. It names the key path where the problem
/// is (`roles.investigator.allow[1].actions[0]`, empty for the whole document) and says what is wrong.
///
/// Errors compare by code and key path (as swift-certificates' error structs compare by code), so tests can
/// match them without spelling out the message.
public struct PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem was found.
    public enum Code: String, Sendable, Equatable {
        /// The text is not TOML (the message carries TOMLKit's line and column).
        case syntax
        /// The document is larger than the limit (`Policy.maximumSize`), not UTF-8, or holds a NUL byte.
        case unreadable
        /// A key this language does not define.
        case unknownKey
        /// A required key is absent.
        case missingKey
        /// A value of the wrong TOML type (string where a list is needed, ...).
        case wrongType
        /// A value of the right type that is not allowed (an unknown role, action, field, code or profile; an
        /// empty list; a number out of range; a rule that contradicts another key).
        case invalidValue
        /// The same name twice where names must be unique (rule names, test names, normalised place names).
        case duplicate
        /// A `version` this code does not implement.
        case unsupportedVersion
    }

    /// The kind of problem.
    public let code: Code
    /// Where it is: dotted TOML key path with array indices, empty for the whole document.
    public let keyPath: String
    /// What is wrong, in words.
    public let message: String

    /// An error of `code` at `keyPath` (empty for the whole document) saying `message`.
    public init(_ code: Code, at keyPath: String, _ message: String) {
        self.code = code
        self.keyPath = keyPath
        self.message = message
    }

    public static func == (lhs: PolicyError, rhs: PolicyError) -> Bool {
        lhs.code == rhs.code && lhs.keyPath == rhs.keyPath
    }

    public var description: String {
        keyPath.isEmpty ? "policy: \(message)" : "policy: \(keyPath): \(message)"
    }
}
