import ArgumentParser
import Vault
import VaultCrypto
import VaultAudit
import VaultStore

/// Options of commands that open a vault, plus helpers to open it with an unlocked identity.
public struct VaultOptions: ParsableArguments {
    @OptionGroup public var global: GlobalOptions

    @Flag(name: .customLong("allow-network-fs"), help: "Allow a vault on a network or synchronised file system (SQLite's locking is unsafe there).")
    public var allowNetworkFileSystem = false

    public init() {}

    var allowNetwork: Bool { allowNetworkFileSystem || Environment.value("AMANAH_ALLOW_NETWORK_FS") == "1" }

    /// Opens the vault (verifying genesis, governance and, unless `checkClientState` is false, client state).
    /// - Throws: `CLIError` with the vault error's message.
    public func openVault(readOnly: Bool = false, checkClientState: Bool = true) throws -> Vault {
        let path = try global.vaultPath()
        return try cli {
            try Vault.open(path: path, options: .init(allowNetworkFileSystem: allowNetwork, readOnly: readOnly,
                                                      checkClientState: checkClientState))
        }
    }

    /// Opens the vault (or uses `vault`, already open) and unlocks the identity as a member session.
    public func openSession(vault: Vault? = nil) throws -> Session {
        let vault = try vault ?? openVault()
        let identity = try global.openIdentity()
        PeakMemory.markUnlocked()
        let session = try cli { try vault.session(for: identity) }
        for done in try cli({ try session.fulfilPendingWork() }) { Terminal.message(done) }
        return session
    }
}

/// Runs `body`, turning vault, store and crypto errors into `CLIError`s with their descriptions
/// (exit 1; "not permitted" errors keep those words).
func cli<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as CLIError {
        throw error
    } catch let error as VaultError {
        switch error {
        case .rollback: throw CLIError(error.description, hint: "someone may have restored an old copy of the vault; do not use it until you know why", exitCode: 1)
        case .ownChangesMissing:
            throw CLIError(error.description, hint: "restore vault.sqlite from the newest copy that holds those changes; if they are lost for good, ask the other members whether they miss anything, then `amanah check --accept-lost-changes -C VAULT` makes this client accept the vault as it is")
        case .exists: throw CLIError(error.description, hint: "pass -f to replace it, or choose another name")
        default: throw CLIError(error.description)
        }
    } catch let error as StoreError {
        switch error {
        case .corrupted: throw CLIError(error.description, hint: "run `amanah check -C VAULT`; if it reports damage, restore vault.sqlite from a backup")
        default: throw CLIError(error.description)
        }
    } catch {
        let explained = VaultError.explaining(error)
        if explained is StoreError { return try cli { throw explained } }
        throw CLIError(String(describing: error))
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

/// The message `cli` gives for `error` (for per-file failures reported without ending the command).
func cliMessage(for error: any Error) -> String {
    do {
        let _: Void = try cli { throw error }
        return String(describing: error)
    } catch let converted as CLIError {
        return converted.message
    } catch {
        return String(describing: error)
    }
}
