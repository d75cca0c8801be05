internal import VaultPlatform
internal import VaultText
internal import VaultPolicy
import VaultGovernanceUseCases
import ArgumentParser
import Foundation
internal import Vault
internal import VaultTime
internal import VaultStore
internal import VaultCrypto
import VaultGovernance

struct Op: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Governance operations: changes that need the signatures of k custodians.",
        discussion: """
            Changes: add-member PUB --role ROLE [--name NAME], remove-member PUB, set-role PUB ROLE, add-custodian PUB, \
            remove-custodian PUB, set-threshold K, add-recipient NAME --age-key age1..., rotate-keys [--reencrypt], \
            set-policy FILE, recover PUB --role ROLE, withdraw-consent W, court-order RECIPIENT --witness W... --reference TEXT. \
            Operation files carry no secret and can travel between machines.
            """,
        subcommands: [OpPropose.self, OpApprove.self, OpStatus.self, OpApply.self])
}

/// Reads and parses an operation file.
func readOperation(_ path: String) throws -> GovernanceOperation {
    let bytes = try DurableFile.readAll(path, limit: 16 << 20)
    return try GovernanceOperation(fileContents: bytes, source: path)
}

/// Writes an operation file atomically.
func writeOperation(_ operation: GovernanceOperation, to path: String, overwrite: Bool) throws {
    let bytes = try operation.fileContents()
    do {
        try DurableFile.write(to: path, mode: 0o644, overwrite: overwrite) { handle in try bytes.withUnsafeBytes { try handle.write($0) } }
    } catch {
        throw CLIError("cannot write \(path): \(error)")
    }
}

struct OpPropose: ParsableCommand {
    /// Every change `op propose` knows, with its arguments (the help lists them; `buildChange` parses them).
    static let changes = [
        "add-member PUB --role R [--name NAME]", "remove-member PUB", "set-role PUB ROLE", "add-custodian PUB", "remove-custodian PUB",
        "set-threshold K", "add-recipient NAME --age-key KEY...", "rotate-keys [--reencrypt]", "set-policy FILE",
        "recover PUB --role R", "withdraw-consent PSEUDONYM", "court-order RECIPIENT --witness W... --reference TEXT", "set-organisation NAME",
        "add-tsa NAME --url URL --cert FILE",
    ]

    static let configuration = CommandConfiguration(
        commandName: "propose", abstract: "Propose a change; writes a signed operation file.",
        discussion: "Changes:\n" + changes.map { "  " + $0 }.joined(separator: "\n") + """


            Example: amanah op propose add-member "$(cat dana.pub)" --role investigator -o add-dana.op -C vault -i custodian-1.key
            """)

    @Argument(help: ArgumentHelp("The change (listed below).", valueName: "CHANGE"))
    var change: String
    @Argument(help: ArgumentHelp("The change's arguments (a public key, a role, K, a name or a file).", valueName: "ARG"))
    var values: [String] = []
    @Option(name: .customLong("role"), help: "The role, for add-member and recover.") var role: String?
    @Option(name: .customLong("name"), help: ArgumentHelp("For add-member: a name shown beside the key id (kept in the signed state; not secret).", valueName: "NAME")) var name: String?
    @Option(name: .customLong("age-key"), help: "A recipient's age public key (repeat for each), for add-recipient.") var ageKeys: [String] = []
    @Flag(name: .customLong("reencrypt"), help: "For rotate-keys: also re-encrypt every sealed original.") var reencrypt = false
    @Option(name: .customLong("witness"), help: "For court-order: a witness pseudonym the order covers (repeat for each).") var witnesses: [String] = []
    @Option(name: .customLong("reference"), help: "For court-order: the court order's reference.") var reference: String?
    @Option(name: .customLong("url"), help: ArgumentHelp("For add-tsa: where the authority takes RFC 3161 requests.", valueName: "URL")) var url: String?
    @Option(name: .customLong("cert"), help: ArgumentHelp("For add-tsa: the authority's certificate (PEM or DER), to which its tokens must chain.", valueName: "FILE")) var cert: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the operation file.", valueName: "OP")) var output: String
    @Option(name: .customLong("expires-in-days"), help: ArgumentHelp("How long the operation stays valid, in days.", valueName: "N")) var days: Int = 14
    @OptionGroup var options: VaultOptions

    func parseKey(_ text: String) throws -> MemberPublicKey {
        do { return try MemberPublicKey(line: text) } catch { throw CLIError("\(change): \(error)") }
    }

    func parseRole(_ text: String?) throws -> Role {
        guard let text, let role = Role(rawValue: text) else {
            throw CLIError("\(change): name a role", hint: "roles: \(Role.allCases.map(\.rawValue).joined(separator: ", "))", exitCode: CLIError.usage)
        }
        return role
    }

    func expect(_ count: Int) throws {
        guard values.count == count else { throw CLIError("\(change) takes \(count) argument\(count == 1 ? "" : "s"), got \(values.count)", exitCode: CLIError.usage) }
    }

    func buildChange() throws -> Change {
        switch change {
        case "add-member":
            try expect(1)
            if let name, let problem = Change.nameProblem(name) { throw CLIError("--name: \(problem)", exitCode: CLIError.usage) }
            return .addMember(try parseKey(values[0]), try parseRole(role), name: name)
        case "remove-member": try expect(1); return .removeMember(try parseKey(values[0]))
        case "set-role": try expect(2); return .setRole(try parseKey(values[0]), try parseRole(values[1]))
        case "add-custodian": try expect(1); return .addCustodian(try parseKey(values[0]))
        case "remove-custodian": try expect(1); return .removeCustodian(try parseKey(values[0]))
        case "set-threshold":
            try expect(1)
            guard let k = Int(values[0]) else { throw CLIError("set-threshold: K must be a number", exitCode: CLIError.usage) }
            return .setThreshold(k)
        case "add-recipient":
            try expect(1)
            guard !ageKeys.isEmpty else { throw CLIError("add-recipient: give at least one --age-key", exitCode: CLIError.usage) }
            return .addRecipient(name: values[0], ageKeys: ageKeys)
        case "rotate-keys": try expect(0); return .rotateKeys(reencrypt: reencrypt)
        case "set-policy":
            try expect(1)
            let text = try DurableFile.readAll(values[0], limit: Policy.maximumSize)
            let parsed: Policy
            do { parsed = try Policy(parsing: text) } catch { throw CLIError("\(values[0]): \(error)") }
            return .setPolicy(hash: parsed.hash, text: text)
        case "recover": try expect(1); return .recover(try parseKey(values[0]), try parseRole(role), oneTimeKey: [])
        case "withdraw-consent": try expect(1); return .withdrawConsent(pseudonym: values[0])
        case "court-order":
            try expect(1)
            guard let reference, !witnesses.isEmpty else {
                throw CLIError("court-order: give --witness W (one or more) and --reference TEXT", exitCode: CLIError.usage)
            }
            return .courtOrder(recipient: values[0], witnesses: witnesses, reference: reference)
        case "add-tsa":
            try expect(1)
            guard let url, let cert else { throw CLIError("add-tsa: give --url URL and --cert FILE (the authority's certificate, PEM or DER)", exitCode: CLIError.usage) }
            let bytes = try DurableFile.readAll(cert, limit: 1 << 20)
            let der: [UInt8]
            do { der = try TimeStampCertificate.der(bytes) } catch { throw CLIError("\(cert): \(error)") }
            return .addTimeStampAuthority(name: values[0], url: url, certificate: der)
        case "set-organisation":
            try expect(1)
            if let problem = Change.nameProblem(values[0]) { throw CLIError("set-organisation: the name \(problem)", exitCode: CLIError.usage) }
            return .setOrganisation(name: values[0])
        default:
            throw CLIError("unknown change \(change)", hint: "the changes: " + Self.changes.map { String($0.prefix { $0 != " " }) }.joined(separator: ", "),
                           exitCode: CLIError.usage)
        }
    }

    func run() throws {
        let parsed = try buildChange()
        if DurableFile.exists(output) { throw CLIError("\(output) exists; not overwriting it") }
        let session = try options.openSession()
        let operation = try session.propose(parsed, lifetime: Int64(max(1, days)) * 24 * 3600 * 1000)
        try writeOperation(operation, to: output, overwrite: false)
        rememberState(session.vault)
        Terminal.message("proposed: \(parsed.plainWords(state: session.vault.state))")
        Terminal.message("operation \(Hex.encode(operation.id).prefix(16)) written to \(output); it needs \(session.vault.state.threshold) custodian approvals (amanah op approve)")
    }
}

struct OpApprove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "approve", abstract: "Show a change in plain words and add your signature to the file.",
        discussion: "Example: amanah op approve add-dana.op -C vault -i custodian-2.key")
    @Argument(help: ArgumentHelp("The operation file (signed in place).", valueName: "OP")) var file: String
    @Flag(name: .customLong("yes"), help: "Do not ask for confirmation on a terminal.") var yes = false
    @OptionGroup var options: VaultOptions

    func run() throws {
        let operation = try readOperation(file)
        let session = try options.openSession()
        try confirmAndSign(
            showing: ["operation \(Hex.encode(operation.id).prefix(16)), proposed by \(Hex.encode(operation.proposer)), expires \(Clock.format(milliseconds: operation.expires))",
                      "change: \(operation.change.plainWords(state: session.vault.state))"],
            question: "approve this change?", yes: yes, vault: session.vault,
            sign: { try session.approve(operation) },
            write: { try writeOperation($0, to: file, overwrite: true) },
            done: { approved in
                let status = session.vault.state.status(of: approved, now: Clock.nowMilliseconds())
                return "approved; \(status.validSigners.count) of \(session.vault.state.threshold) signatures"
            })
    }
}

struct OpStatus: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show an operation's change, signatures and problems.",
        discussion: "Example: amanah op status add-dana.op --json -C vault -i custodian-1.key")
    @Argument(help: ArgumentHelp("The operation file.", valueName: "OP")) var file: String
    @Flag(help: "Print JSON: t (threshold), n (custodians), progress (valid signatures), signers, problems.") var json = false
    @OptionGroup var options: VaultOptions

    func run() throws {
        let operation = try readOperation(file)
        let session = try options.openSession()
        let state = session.vault.state
        let status = state.status(of: operation, now: Clock.nowMilliseconds())
        if json {
            let object: [String: Any] = [
                "operation": Hex.encode(operation.id), "change": operation.change.typeName,
                "description": operation.change.plainWords(state: state),
                "t": state.threshold, "n": state.custodians.count, "progress": status.validSigners.count,
                "signers": status.validSigners, "problems": status.problems,
                "ready": status.hasQuorum && status.problems.isEmpty,
                "expires": Clock.format(milliseconds: operation.expires),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            Terminal.output(String(decoding: data, as: UTF8.self))
            return
        }
        Terminal.output("operation: \(Hex.encode(operation.id))")
        Terminal.output("change: \(TerminalText.escaped(operation.change.plainWords(state: state)))")
        Terminal.output("signatures: \(status.validSigners.count) of \(state.threshold) needed (\(counted(state.custodians.count, "custodian")))")
        for signer in status.validSigners { Terminal.output("signed by: \(signer)") }
        for problem in status.problems { Terminal.output("problem: \(TerminalText.escaped(problem))") }
        Terminal.output("expires: \(Clock.format(milliseconds: operation.expires))")
        if !status.problems.isEmpty { throw CLIError("the operation cannot be applied as it is") }
    }
}

struct OpApply: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apply", abstract: "Apply an operation that has k custodian signatures.",
        discussion: "Example: amanah op apply add-dana.op -C vault -i custodian-1.key")
    @Argument(help: ArgumentHelp("The operation file.", valueName: "OP")) var file: String
    @OptionGroup var options: VaultOptions

    func run() throws {
        let operation = try readOperation(file)
        let session = try options.openSession(writesSecrets: true)
        let description = operation.change.plainWords(state: session.vault.state)
        try session.apply(operation)
        rememberState(session.vault)
        Terminal.message("applied: \(description)")
        var pending: [String] = []
        for compartment in Compartment.allCases where session.vault.state.rotationPending(compartment) { pending.append(compartment.rawValue) }
        if !pending.isEmpty {
            Terminal.message("the \(pending.joined(separator: ", ")) compartment rotation is pending: the next member who holds the key completes it")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
