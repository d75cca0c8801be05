internal import VaultPlatform
import VaultGovernanceUseCases
import ArgumentParser
internal import Vault
internal import VaultCrypto
internal import VaultAudit
internal import VaultStore
import VaultGovernance

/// Options of commands that open a vault, plus helpers to open it with an unlocked identity.
public struct VaultOptions: ParsableArguments {
    @OptionGroup public var global: GlobalOptions

    @Flag(name: .customLong("allow-network-fs"), help: "Allow a vault on a network or synchronised file system (SQLite's locking is unsafe there).")
    public var allowNetworkFileSystem = false

    @Option(name: .customLong("expect-vault"),
            help: ArgumentHelp("The id of the vault you expect at the path (64 hex digits, as `amanah init` printed it; or AMANAH_EXPECT_VAULT). Another vault is refused; this one becomes trusted by this client.", valueName: "ID"))
    public var expectVault: String?

    public init() {}

    var allowNetwork: Bool { allowNetworkFileSystem || Environment.value("AMANAH_ALLOW_NETWORK_FS") == "1" }

    /// Opens the vault (verifying genesis, governance and, unless `checkClientState` is false, client state).
    /// - Throws: `VaultError` or `StoreError` (the entry point turns them into messages: `CLIError.from`).
    func openVault(readOnly: Bool = false, checkClientState: Bool = true) throws -> Vault {
        let path = try global.vaultPath()
        let expected = expectVault ?? Environment.value("AMANAH_EXPECT_VAULT").flatMap { $0.isEmpty ? nil : $0 }
        let vault = try Vault.open(path: path, options: .init(allowNetworkFileSystem: allowNetwork, readOnly: readOnly,
                                                           checkClientState: checkClientState, expectedVaultID: expected))
        if !readOnly { installBlobSource(vault) }
        return vault
    }

    /// Opens the vault (or uses `vault`, already open) and unlocks the identity as a member session.
    /// - Parameter writesSecrets: the command writes evidence, records or governance into the vault: a vault
    ///   this client does not trust yet is shown (id, custodians) and refused unless a person confirms it at
    ///   a terminal (`Vault.requireTrust`), before any passphrase is asked.
    func openSession(vault: Vault? = nil, writesSecrets: Bool = false) throws -> Session {
        let vault = try vault ?? openVault()
        if writesSecrets { try vault.requireTrust(confirm: Self.confirmTrustAtTerminal) }
        let identity = try global.openIdentity()
        PeakMemory.markUnlocked()
        let session = try vault.session(for: identity)
        for done in try session.fulfilPendingWork() { Terminal.message(done) }
        return session
    }
}

extension VaultOptions {
    /// At a terminal (standard input and error both), shows a vault this client has not worked with and asks
    /// whether it is the expected one; without a terminal, nil (refuse).
    static var confirmTrustAtTerminal: ((String, [String]) -> Bool)? {
        guard isatty(0) == 1 && Terminal.standardErrorIsTerminal else { return nil }
        return { vaultID, custodians in
            Terminal.message("This client has never worked with this vault. Compare its id and custodians with what your organisation gave you:")
            Terminal.message("  vault id:   \(vaultID)")
            for custodian in custodians { Terminal.message("  custodian:  \(custodian)") }
            Terminal.writeStandardError("amanah: is this the vault you expect? Type yes to trust it: ")
            return (readLine() ?? "").trimmingCharacters(in: .whitespaces).lowercased() == "yes"
        }
    }
}

extension CLIError {
    /// What the person at the terminal sees for `error`: its message, hint and exit status. The one place
    /// where errors of the lower modules become messages (the entry point calls it for every error a
    /// command throws): vault errors keep their words ("not permitted" stays), a rollback and a vault that
    /// lacks this client's own changes get their advice, database errors are named as a full disk or a
    /// damaged database, and anything else is shown as it describes itself (exit 1).
    static func from(_ error: any Error) -> CLIError {
        switch error {
        case let error as CLIError:
            return error
        case let error as VaultError:
            switch error {
            case .rollback:
                return CLIError(error.description, hint: "someone may have restored an old copy of the vault; do not use it until you know why (if you restored a backup yourself: amanah trust-restored --expect-vault ID)")
            case .ownChangesMissing:
                return CLIError(error.description, hint: "restore vault.sqlite from the newest copy that holds those changes; if they are lost for good, ask the other members whether they miss anything, then `amanah check --accept-lost-changes -C VAULT` makes this client accept the vault as it is")
            case .exists:
                return CLIError(error.description, hint: "pass -f to replace it, or choose another name")
            case .untrustedVault:
                return CLIError(error.description, hint: "compare the vault id and the custodians' fingerprints with what your organisation gave you out of band, then run the command again with --expect-vault ID (or AMANAH_EXPECT_VAULT=ID), or at a terminal to confirm")
            case .unexpectedVault:
                return CLIError(error.description, hint: "someone may have put another vault at this path; do not use it until you know why")
            case .notFound, .notAVault:
                return CLIError(error.description, exitCode: CLIError.notFound)
            default:
                return CLIError(error.description)
            }
        case let error as StoreError:
            if case .corrupted = error {
                return CLIError(error.description, hint: "run `amanah check -C VAULT`; if it reports damage, restore vault.sqlite from a backup")
            }
            return CLIError(error.description)
        default:
            let explained = VaultError.explaining(error)
            if explained is StoreError { return from(explained) }
            // An input file that is not there or may not be read.
            if let failure = error as? SystemCallError, failure.isMissingOrUnreadable {
                return CLIError(String(describing: error), exitCode: CLIError.notFound)
            }
            return CLIError(String(describing: error))
        }
    }
}

/// Records what this client saw of the vault after a command committed. The commit stands whatever happens
/// here: when the client state cannot be written (a full disk), the command says what was committed and
/// warns, and its exit status stays 0.
/// - Parameter committed: what the command committed, for the warning ("3 case records were added").
func rememberState(_ vault: Vault, checkpoint: SignedCheckpoint? = nil, committed: String = "the change was committed to the vault") {
    do {
        try vault.rememberState(checkpoint: checkpoint)
        FaultInjection.point("client-state.saved")
    } catch {
        Terminal.warning("\(committed), but this client could not save what it saw of the vault (\(cliMessage(for: error))); "
                         + "once that is put right (space, permissions on \(ClientState.folder)), any command on the vault saves it")
    }
}

/// The message `CLIError.from` gives for `error` (for per-file failures reported without ending the command).
func cliMessage(for error: any Error) -> String { CLIError.from(error).message }

#if canImport(Glibc)
import Glibc
#endif
