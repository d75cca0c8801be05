import VaultPolicy
import GRDB
import VaultStore

/// Errors of vault use cases, each naming what is wrong in words a user can act on. None carries a secret.
public enum VaultError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The vault folder is not a vault or is missing: (path, reason).
    case notAVault(String, String)
    /// The folder exists already: (path).
    case exists(String)
    /// Policy or keys refuse the action; the text names action and reason. Always contains "not permitted".
    case notPermitted(String)
    /// The identity is not a member or custodian of this vault: (key id hex).
    case notAMember(String)
    /// The vault's state is older than a state this client has seen (rollback), or its id changed.
    case rollback(String)
    /// Input was rejected: (source, reason), e.g. ("records.json record 3 field place", "must be text").
    case invalidInput(String, String)
    /// Something named does not exist: (kind, id).
    case notFound(String, String)
    /// A stored value failed to authenticate or verify: (what).
    case integrity(String)
    /// Sealing to a compartment whose key must first be rotated (after a removal or a role change): (compartment).
    case rotationPending(String)
    /// The vault lacks changes that this client made itself, and nothing else differs: (audit events missing,
    /// governance entries missing). Its database went back (restored from a backup, a power failure).
    case ownChangesMissing(Int, Int)
    /// The folder holds another vault than the one expected (`--expect-vault`, `AMANAH_EXPECT_VAULT`):
    /// (path, vault id found, vault id expected), ids as 64 hex digits.
    case unexpectedVault(String, String, String)
    /// This client never worked with the vault and was not told to expect it; a command that would write
    /// secrets into it refuses: (vault id, custodians' fingerprints).
    case untrustedVault(String, [String])
    /// Any other failure: (what).
    case failed(String)

    public var description: String {
        switch self {
        case let .notAVault(path, why): return "\(path) is not an Amanah vault: \(why)"
        case let .exists(path): return "\(path) exists already"
        case let .notPermitted(why): return "not permitted: \(why)"
        case let .notAMember(keyID): return "identity \(keyID) is not a member of this vault"
        case let .rollback(why): return "refusing a rolled-back vault: \(why)"
        case let .invalidInput(source, why): return "\(source): \(why)"
        case let .notFound(kind, id): return "no \(kind) \(id)"
        case let .integrity(what): return "integrity check failed: \(what)"
        case let .rotationPending(compartment):
            return "the \(compartment) compartment's key must be rotated first (a member lost access to it); nothing is sealed to the old key meanwhile — a member who holds the \(compartment) key completes the rotation by running any command"
        case let .ownChangesMissing(audit, governance):
            var lost = "\(audit) audit event\(audit == 1 ? "" : "s")"
            if governance > 0 { lost += " and \(governance) governance entr\(governance == 1 ? "y" : "ies")" }
            return "the vault lacks the newest changes this client made itself (\(lost)); nothing this client saw from others is missing: its database went back, for example to a backup copy (changes others made meanwhile may be missing too)"
        case let .unexpectedVault(path, found, expected):
            return "\(path) holds vault \(found), not the expected vault \(expected); nothing was written"
        case let .untrustedVault(id, custodians):
            return "this client has never worked with vault \(id) (custodians \(custodians.joined(separator: ", "))) and was not told to expect it; refusing to write evidence, records or governance into it"
        case let .failed(what): return what
        }
    }
}

extension VaultError {
    /// Whether this error says that something stored does not verify or went back (`integrity`,
    /// `rollback`): what `amanah check` reports as a problem (exit 3) rather than as a failure to run.
    public var isVerificationFailure: Bool {
        switch self {
        case .integrity, .rollback: return true
        default: return false
        }
    }

    /// `error` in words that name its real cause: a database error becomes a `StoreError` saying that the disk
    /// is full or that the vault database is damaged (with the advice to run `amanah check`); any other error
    /// is returned as it is.
    public static func explaining(_ error: any Error) -> any Error {
        guard let databaseError = error as? DatabaseError else { return error }
        return StoreError(databaseError: databaseError, path: "the vault database (vault.sqlite)", operation: "read")
    }
}
