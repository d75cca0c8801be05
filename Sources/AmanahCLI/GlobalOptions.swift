internal import VaultPlatform
import ArgumentParser
internal import VaultCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Options shared by every command that opens a vault or an identity.
public struct GlobalOptions: ParsableArguments {
    @Option(name: [.customShort("C"), .customLong("vault")], help: ArgumentHelp("The vault folder (or AMANAH_VAULT).", valueName: "VAULT"))
    public var vault: String?

    @Option(name: [.customShort("i"), .customLong("identity")], help: ArgumentHelp("Your identity key file (or AMANAH_IDENTITY).", valueName: "KEY"))
    public var identity: String?

    @Option(name: .customLong("passphrase-file"), help: ArgumentHelp("Read the passphrase from this file (or AMANAH_PASSPHRASE_FILE) instead of the terminal.", valueName: "FILE"))
    public var passphraseFile: String?

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Show every per-file message (ingest summarises them otherwise).")
    public var verbose = false

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print only errors, warnings and data: no progress, no messages.")
    public var quiet = false

    public init() {}

    public func validate() throws {
        guard !(verbose && quiet) else { throw ValidationError("-v and -q cannot be given together") }
        Terminal.verbosity = quiet ? .quiet : verbose ? .verbose : .normal
    }

    /// The vault path from `-C` or `AMANAH_VAULT`.
    /// - Throws: `CLIError` (usage) when neither is set.
    func vaultPath() throws -> String {
        if let vault { return vault }
        if let value = Environment.value("AMANAH_VAULT"), !value.isEmpty { return value }
        throw CLIError("no vault given", hint: "pass -C VAULT or set AMANAH_VAULT", exitCode: CLIError.usage)
    }

    /// The identity key file path from `-i` or `AMANAH_IDENTITY`.
    /// - Throws: `CLIError` (usage) when neither is set.
    func identityPath() throws -> String {
        if let identity { return identity }
        if let value = Environment.value("AMANAH_IDENTITY"), !value.isEmpty { return value }
        throw CLIError("no identity given", hint: "pass -i KEYFILE or set AMANAH_IDENTITY", exitCode: CLIError.usage)
    }

    /// The passphrase file from `--passphrase-file` or `AMANAH_PASSPHRASE_FILE`, if any.
    func passphrasePath() -> String? {
        if let passphraseFile { return passphraseFile }
        if let value = Environment.value("AMANAH_PASSPHRASE_FILE"), !value.isEmpty { return value }
        return nil
    }

    /// Reads the passphrase (file or terminal) into secure memory.
    /// - Throws: `CLIError` naming the problem.
    func readPassphrase(prompt: String = "passphrase", confirm: Bool = false) throws -> SecretBytes {
        do {
            return try Passphrase.read(prompt: prompt, confirm: confirm, file: passphrasePath())
        } catch {
            throw CLIError(String(describing: error))
        }
    }

    /// Unlocks the identity key file.
    /// - Throws: `CLIError` naming the file and what is wrong (wrong passphrase, corrupted, missing).
    func unlockIdentity() throws -> Identity {
        let path = try identityPath()
        return try IdentityLoader.unlock(path: path, options: self)
    }
}

/// Loads and unlocks identity key files with clear errors.
public enum IdentityLoader {
    /// Reads the key file at `path` (at most 64 KiB), refusing it when its mode gives its group or others any
    /// access (as ssh does; checked on the open descriptor).
    /// - Throws: `CLIError` naming the file (and the `chmod 600` to run when it is not private).
    static func readKeyFile(_ path: String) throws -> [UInt8] {
        do { return try DurableFile.readSecret(path, limit: 64 << 10) } catch let error as ExposedSecretFileError {
            throw CLIError(error.description)
        } catch {
            throw CLIError("cannot read key file \(path): \(error)")
        }
    }

    /// Unlocks the key file at `path` with the passphrase from `options`.
    /// - Throws: `CLIError` naming the file and what is wrong.
    static func unlock(path: String, options: GlobalOptions) throws -> Identity {
        let contents = try readKeyFile(path)
        do { _ = try KeyFile.publicKey(of: contents) } catch {
            throw CLIError("\(path): \(error)")
        }
        let passphrase = try options.readPassphrase(prompt: "passphrase for \(DurableFile.lastComponent(of: path))")
        do {
            return try KeyFile.unlock(contents, passphrase: passphrase)
        } catch KeyFile.UnlockError.wrongPassphrase {
            throw CLIError("\(path): wrong passphrase")
        } catch {
            throw CLIError("\(path): \(error)")
        }
    }
}

/// Environment lookups.
public enum Environment {
    /// The value of an environment variable, if set.
    static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        return String(cString: raw)
    }
}
