internal import VaultText
internal import VaultPlatform
import ArgumentParser
internal import VaultCrypto

/// `amanah keygen -o FILE [-f]`: a new identity; prints the public key line on stdout.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a new identity (Ed25519 + X25519) in a passphrase-protected key file.",
        discussion: "Prints the public key line on standard output. The key file is written with mode 0600 and is never overwritten without -f.\n\nExample: amanah keygen -o dana.key")

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the key file.", valueName: "FILE"))
    var output: String

    @Flag(name: .shortAndLong, help: "Overwrite an existing key file.")
    var force = false

    @Option(name: .customLong("passphrase-file"), help: ArgumentHelp("Read the new passphrase from this file (or AMANAH_PASSPHRASE_FILE).", valueName: "FILE"))
    var passphraseFile: String?

    func run() throws {
        if !force && DurableFile.exists(output) {
            throw CLIError("\(output) exists; not overwriting it", hint: "pass -f to replace it")
        }
        var options = GlobalOptions()
        options.passphraseFile = passphraseFile
        let passphrase = try options.readPassphrase(prompt: "new passphrase", confirm: true)
        if passphrase.count < 12 {
            Terminal.warning("the passphrase is short (\(counted(passphrase.count, "byte"))); anyone who copies the key file can guess short passphrases — prefer several random words")
        }
        let identity = Identity.generate()
        let parameters = PasswordHash.Parameters.forNewKeys()
        if parameters != .moderate {
            Terminal.warning("using insecure test-only key derivation parameters (AMANAH_INSECURE_TEST_KDF)")
        }
        let contents = try KeyFile.seal(identity, passphrase: passphrase, parameters: parameters)
        do {
            try DurableFile.write(to: output, mode: 0o600, overwrite: force) { handle in
                try contents.withUnsafeBytes { try handle.write($0) }
            }
        } catch {
            throw CLIError("cannot write \(output): \(error)")
        }
        Terminal.output(identity.publicKey.line)
    }
}

/// `amanah key ...`: public-key views of an identity.
struct Key: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the public parts of an identity key file.",
        subcommands: [KeyPublic.self, KeyFingerprint.self, KeyExport.self])
}

/// `amanah key public FILE`: the public key line again.
struct KeyPublic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "public", abstract: "Print the public key line of a key file (no passphrase needed).",
        discussion: "Example: amanah key public dana.key > dana.pub")

    @Argument(help: ArgumentHelp("The identity key file.", valueName: "FILE"))
    var file: String

    func run() throws {
        let contents = try IdentityLoader.readKeyFile(file)
        do {
            Terminal.output(try KeyFile.publicKey(of: contents).line)
        } catch {
            throw CLIError("\(file): \(error)")
        }
    }
}

/// `amanah key fingerprint FILE|PUB`: the key id in groups, for comparing out of band.
struct KeyFingerprint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint", abstract: "Print the fingerprint (key id as abcd-ef01-2345-6789) of a key file or public key line.",
        discussion: "Example: amanah key fingerprint \"$(cat dana.pub)\"")

    @Argument(help: ArgumentHelp("An identity key file, or a public key line.", valueName: "FILE|PUB"))
    var key: String

    func run() throws {
        if key.hasPrefix(MemberPublicKey.prefix) {
            do { Terminal.output(try MemberPublicKey(line: key).fingerprint) } catch { throw CLIError("public key: \(error)") }
            return
        }
        let contents = try IdentityLoader.readKeyFile(key)
        do { Terminal.output(try KeyFile.publicKey(of: contents).fingerprint) } catch { throw CLIError("\(key): \(error)") }
    }
}
