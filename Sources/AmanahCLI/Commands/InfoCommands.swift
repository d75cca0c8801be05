import ArgumentParser
import Foundation
internal import Vault
internal import VaultText

/// Prints `value` as the project's one JSON style: sorted keys, indented, slashes unescaped.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    Terminal.output(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// One person as a line: key id, fingerprint, and role and name when known.
private func line(_ person: VaultSummary.Person) -> String {
    var columns = [person.keyID, person.fingerprint]
    if let role = person.role { columns.append(role) }
    if let name = person.name { columns.append(TerminalText.escaped(name)) }
    return columns.joined(separator: "\t")
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show who holds the vault and where it stands: custodians, members, recipients, governance, log, counts.",
        discussion: """
            Needs no identity: everything shown is in clear in the vault folder.

            Example: amanah info -C vault --json

            Example: amanah info --json -C vault
            """)
    @Flag(help: "Print JSON (one object).") var json = false
    @OptionGroup var options: VaultOptions

    func run() throws {
        let summary = try options.openVault().summary()
        if json { return try printJSON(summary) }
        func count(_ n: Int, _ one: String, _ many: String) -> String { "\(n) " + (n == 1 ? one : many) }
        Terminal.output("vault: \(summary.vaultID) (\(summary.format))")
        if let organisation = summary.organisation { Terminal.output("organisation: \(TerminalText.escaped(organisation))") }
        Terminal.output("custodians: \(summary.threshold) of \(summary.custodians.count) needed")
        for custodian in summary.custodians { Terminal.output("  " + line(custodian)) }
        Terminal.output("members: \(summary.members.count)")
        for member in summary.members { Terminal.output("  " + line(member)) }
        Terminal.output("recipients: " + (summary.recipients.isEmpty ? "none" : summary.recipients.map { TerminalText.escaped($0) }.joined(separator: ", ")))
        Terminal.output("governance: " + count(summary.governanceLength, "entry", "entries") + " after the genesis, head \(summary.governanceHead)")
        Terminal.output("audit log: " + count(summary.logSize, "event", "events") + ", "
                        + (summary.checkpointSize.map { "newest checkpoint over \($0)" } ?? "no checkpoint"))
        Terminal.output("holds: " + [count(summary.cases, "case", "cases"), count(summary.witnesses, "witness", "witnesses"),
                                     count(summary.items, "item", "items"), count(summary.disclosures, "disclosure", "disclosures")].joined(separator: ", "))
    }
}

struct Members: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the members: key id, fingerprint, role (and name when one is given).",
        discussion: "Example: amanah members -C vault --json\n\nExample: amanah members -C vault")
    @Flag(help: "Print JSON (an array, one object per member: keyID, fingerprint, role, name).") var json = false
    @OptionGroup var options: VaultOptions

    func run() throws {
        let members = try options.openVault().summary().members
        if json { return try printJSON(members) }
        for member in members { Terminal.output(line(member)) }
    }
}

struct Recipients: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the recipients releases may go to, in the order they were added.",
        discussion: "Example: amanah recipients -C vault --json\n\nExample: amanah recipients --json -C vault")
    @Flag(help: "Print JSON (an array of names).") var json = false
    @OptionGroup var options: VaultOptions

    func run() throws {
        let recipients = try options.openVault().summary().recipients
        if json { return try printJSON(recipients) }
        for recipient in recipients { Terminal.output(TerminalText.escaped(recipient)) }
    }
}
