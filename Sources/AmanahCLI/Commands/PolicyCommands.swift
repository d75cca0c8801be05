internal import VaultPlatform
internal import VaultPolicy
import ArgumentParser
import Foundation
internal import Vault
internal import VaultCrypto

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Explain decisions of the active policy, and test tables of expected decisions.",
        subcommands: [PolicyExplain.self, PolicyTest.self, PolicyShow.self])
}

/// Parses an action name for `--action`.
private func parseAction(_ text: String) throws -> Action {
    guard let action = Action(rawValue: text) else {
        throw CLIError("unknown action \(text)", hint: "actions: \(Action.allCases.map(\.rawValue).joined(separator: ", "))", exitCode: CLIError.usage)
    }
    return action
}

struct PolicyExplain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Print the decision (first line permit or deny) and the rules that made it; exits 0 either way.",
        discussion: "Example: amanah policy explain --action export --item I-49R882QA9A --profile public -C vault -i investigator.key")
    @Option(name: .customLong("member"), help: ArgumentHelp("Explain for this member's public key (default: you).", valueName: "PUB")) var member: String?
    @Option(name: .customLong("action"), help: ArgumentHelp("ingest, view, annotate, record-consent, export, disclose, approve, administer, audit.", valueName: "A")) var action: String
    @Option(name: .customLong("item"), help: ArgumentHelp("The item.", valueName: "ITEM")) var item: String
    @Option(name: .customLong("profile"), help: ArgumentHelp("The redaction profile of a release.", valueName: "P")) var profile: String?
    @Option(name: .customLong("recipient"), help: ArgumentHelp("The registered recipient of a release.", valueName: "NAME")) var recipient: String?
    @Flag(help: "Print JSON: decision (permit or deny), reason, obligations, rules.") var json = false
    @OptionGroup var options: VaultOptions

    /// `policy explain --json`.
    struct Output: Encodable {
        var decision: String
        var reason: String?
        var obligations: [String]
        var rules: [String]
    }

    func run() throws {
        let parsedAction = try parseAction(action)
        let session = try options.openSession()
        var subject = session.subject
        if let member {
            let key: MemberPublicKey
            do { key = try MemberPublicKey(line: member) } catch { throw CLIError("--member: \(error)") }
            let state = session.vault.state
            subject = Subject(keyID: key.keyIDHex, role: state.role(of: key.keyIDHex), isCustodian: state.isCustodian(key.keyIDHex))
        }
        let decision = try session.explain(subject: subject, action: parsedAction, itemID: item, profile: profile, recipient: recipient)
        if json {
            switch decision.verdict {
            case let .permit(obligations):
                try printJSON(Output(decision: "permit", reason: nil, obligations: obligations.map { "\($0)" }, rules: decision.rules.map { "\($0)" }))
            case let .deny(reason):
                try printJSON(Output(decision: "deny", reason: reason, obligations: [], rules: decision.rules.map { "\($0)" }))
            }
            return
        }
        Terminal.writeStandardOutput(decision.render())
    }
}

struct PolicyTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Run a TOML table of expected decisions against a policy (like opa test).",
        discussion: "Against --policy FILE, else the vault's active policy (-C), else the built-in default. Exit status 1 if any case fails.\n\nExample: amanah policy test expected.toml --policy policy.toml")
    @Argument(help: ArgumentHelp("The table of expected decisions.", valueName: "FILE")) var file: String
    @Option(name: .customLong("policy"), help: ArgumentHelp("Test this policy file instead of the vault's.", valueName: "FILE")) var policyFile: String?
    @OptionGroup var options: VaultOptions

    func run() throws {
        let policy: Policy
        if let policyFile {
            let bytes = try DurableFile.readAll(policyFile, limit: Policy.maximumSize)
            do { policy = try Policy(parsing: bytes) } catch { throw CLIError("\(policyFile): \(error)") }
        } else if options.global.vault != nil || Environment.value("AMANAH_VAULT") != nil {
            policy = try options.openVault(readOnly: true).state.policy
        } else {
            policy = .builtIn
        }
        let bytes = try DurableFile.readAll(file, limit: PolicyTestSuite.maximumSize)
        let suite: PolicyTestSuite
        do { suite = try PolicyTestSuite(parsing: bytes) } catch { throw CLIError("\(file): \(error)") }
        let report = suite.run(against: policy)
        Terminal.writeStandardOutput(report.render())
        if !report.passed { throw CLIError("\(report.failures.count) of \(report.results.count) policy tests failed") }
    }
}

struct PolicyShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the vault's active policy (TOML) and its hash on standard error.",
        discussion: "Example: amanah policy show -C vault > policy.toml")
    @OptionGroup var options: VaultOptions

    func run() throws {
        let vault = try options.openVault(readOnly: true)
        Terminal.writeStandardOutput(String(decoding: vault.state.policyText, as: UTF8.self))
        Terminal.message("policy hash \(Hex.encode(vault.state.policyHash))")
    }
}
