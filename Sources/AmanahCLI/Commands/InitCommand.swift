import Foundation
internal import VaultPlatform
internal import VaultPolicy
import ArgumentParser
internal import Vault
internal import VaultCrypto
import VaultGovernance

/// `amanah init VAULT -i CUSTODIAN_KEY --custodian PUB... --threshold K --member PUB:ROLE...`
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a vault, signed by the initiating custodian.",
        discussion: """
            Creates the compartments (media, case, identity), wraps their keys to the members whose roles read \
            them, splits the recovery key among the custodians (any --threshold of them rebuild it), and writes \
            the signed genesis. Prints the vault id. Roles: \(RoleTable.memberRoles.map(\.rawValue).joined(separator: ", ")).

            Example: amanah init vault -i custodian-a.key --threshold 2 --custodian "$(cat a.pub)" --custodian "$(cat b.pub)" --custodian "$(cat c.pub)" --member "$(cat dana.pub):investigator"
            """)

    @Argument(help: ArgumentHelp("The new vault folder (must not exist, or be empty).", valueName: "VAULT"))
    var path: String

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("custodian"), help: ArgumentHelp("A custodian's public key line (repeat for each).", valueName: "PUB"))
    var custodians: [String] = []

    @Option(name: .customLong("threshold"), help: ArgumentHelp("How many custodians must sign a change.", valueName: "K"))
    var threshold: Int

    @Option(name: .customLong("member"), help: ArgumentHelp("A member as PUBLIC_KEY:ROLE (repeat for each).", valueName: "PUB:ROLE"))
    var members: [String] = []

    @Option(name: .customLong("policy"), help: ArgumentHelp("A TOML policy file (default: the built-in policy, as in keys-example/policy.toml).", valueName: "FILE"))
    var policyFile: String?

    @Flag(name: .customLong("allow-network-fs"), help: "Allow a vault on a network or synchronised file system.")
    var allowNetworkFileSystem = false

    func validate() throws {
        // `-C` names the vault every other command works on: here it could only name another folder by mistake.
        if let other = global.vault, URL(fileURLWithPath: other).standardizedFileURL.path != URL(fileURLWithPath: path).standardizedFileURL.path {
            throw ValidationError("-C \(other) names another folder than the vault to create (\(path)); name the new folder once, as VAULT")
        }
        guard !custodians.isEmpty else { throw ValidationError("at least one --custodian is needed") }
        guard threshold >= 1 && threshold <= custodians.count else {
            throw ValidationError("--threshold must be between 1 and the number of custodians (\(custodians.count))")
        }
    }

    func run() throws {
        let custodianKeys = try custodians.enumerated().map { index, line in
            do { return try MemberPublicKey(line: line) } catch { throw CLIError("--custodian \(index + 1): \(error)") }
        }
        let memberList = try members.enumerated().map { index, text -> Genesis.Member in
            guard let colon = text.lastIndex(of: ":") else {
                throw CLIError("--member \(index + 1): expected PUBLIC_KEY:ROLE", exitCode: CLIError.usage)
            }
            let roleName = String(text[text.index(after: colon)...])
            guard let role = Role(rawValue: roleName), role != .custodian else {
                throw CLIError("--member \(index + 1): unknown role \(roleName)", hint: "roles: \(RoleTable.memberRoles.map(\.rawValue).joined(separator: ", ")); custodians are named with --custodian", exitCode: CLIError.usage)
            }
            do { return Genesis.Member(key: try MemberPublicKey(line: String(text[..<colon])), role: role) } catch {
                throw CLIError("--member \(index + 1): \(error)")
            }
        }
        var policyText: [UInt8]? = nil
        if let policyFile {
            policyText = try DurableFile.readAll(policyFile, limit: Policy.maximumSize)
            do { _ = try Policy(parsing: policyText!) } catch { throw CLIError("\(policyFile): \(error)") }
        }
        let identity = try global.openIdentity()
        let vault = try Vault.create(.init(path: path, custodians: custodianKeys, threshold: threshold, members: memberList, policyText: policyText,
                                   allowNetworkFileSystem: allowNetworkFileSystem || Environment.value("AMANAH_ALLOW_NETWORK_FS") == "1"),
                             initiator: identity)
        func count(_ n: Int, _ one: String, _ many: String) -> String { "\(n) " + (n == 1 ? one : many) }
        Terminal.message("created vault \(path): " + count(custodianKeys.count, "custodian", "custodians") + " (\(threshold) must sign changes), "
                         + count(memberList.count, "member", "members"))
        Terminal.output(vault.vaultIDHex)
    }
}
