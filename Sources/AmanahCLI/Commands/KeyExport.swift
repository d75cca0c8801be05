internal import VaultPlatform
import ArgumentParser
internal import VaultCrypto
internal import VaultFormats

/// `amanah key export --minisign KEYFILE [-o FILE] [-f]`: a member's public signing key in another format.
struct KeyExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the public key of a key file in another format (no passphrase needed).",
        discussion: """
            --minisign writes minisign's public key format (an untrusted comment line and a base64 line) for \
            stock `minisign -V -p FILE`. The minisign key id is the Amanah key id; minisign prints it with \
            its bytes in reverse order.

            Example: amanah key export --minisign legal.key -o issuer.pub
            """)

    @Flag(name: .customLong("minisign"), help: "Write the Ed25519 signing key as a minisign public key.")
    var minisign = false

    @Argument(help: ArgumentHelp("The identity key file.", valueName: "KEYFILE"))
    var file: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "FILE"))
    var output: String?

    @Flag(name: .shortAndLong, help: "Overwrite the output file if it exists.")
    var force = false

    func validate() throws {
        guard minisign else { throw ValidationError("choose an export format: --minisign") }
    }

    func run() throws {
        let contents = try IdentityLoader.readKeyFile(file)
        let member: MemberPublicKey
        do { member = try KeyFile.publicKey(of: contents) } catch {
            throw CLIError("\(file): \(error)")
        }
        let key = MinisignPublicKey(member: member)
        let text = try key.fileContents(untrustedComment: "minisign public key \(key.keyIDText) (amanah key id \(member.keyIDHex))")
        guard let output else {
            Terminal.writeStandardOutput(text)
            return
        }
        if !force && DurableFile.exists(output) {
            throw CLIError("\(output) exists; not overwriting it", hint: "pass -f to replace it")
        }
        do {
            try DurableFile.write(to: output, mode: 0o644, overwrite: force) { handle in
                try Array(text.utf8).withUnsafeBytes { try handle.write($0) }
            }
        } catch {
            throw CLIError("cannot write \(output): \(error)")
        }
    }
}
