import ArgumentParser
import Vault
import VaultCrypto

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
        case .exists: throw CLIError(error.description, hint: "pass -f to replace it, or choose another name")
        default: throw CLIError(error.description)
        }
    } catch {
        throw CLIError(String(describing: error))
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
