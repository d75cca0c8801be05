internal import VaultText
import ArgumentParser
import Foundation
internal import Vault

struct IdentificationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identification", abstract: "Families' identifications of detainees: recorded, confirmed by a second person, or withdrawn.",
        subcommands: [IdentificationAdd.self, IdentificationList.self, IdentificationConfirm.self, IdentificationWithdraw.self])
}

/// Reads one claim from JSON: `identifiedBy` and `name` required; `relationship`, `items` (an array of item
/// ids), `session`, `confidence` (low, medium, high) and `notes` optional.
func readIdentification(_ from: String) throws -> IdentificationInput {
    let source = from == "-" ? "standard input" : from
    let bytes = try readRecordInput(from)
    guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
        throw CLIError("\(source): not a JSON object (fields: \(IdentificationInput.fields.joined(separator: ", ")))")
    }
    for key in object.keys where !IdentificationInput.fields.contains(key) {
        throw CLIError("\(source): unknown field \(key) (known: \(IdentificationInput.fields.joined(separator: ", ")))")
    }
    func text(_ name: String) throws -> String? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw CLIError("\(source) field \(name): must be text") }
        return text
    }
    guard let by = try text("identifiedBy"), let name = try text("name") else { throw CLIError("\(source): identifiedBy and name are required") }
    var items: [String] = []
    if let list = object["items"], !(list is NSNull) {
        guard let strings = list as? [String] else { throw CLIError("\(source) field items: must be an array of item ids") }
        items = strings
    }
    return IdentificationInput(identifiedBy: by, name: name, relationship: try text("relationship"), items: items, session: try text("session"),
                               confidence: try text("confidence"), notes: try text("notes"))
}

struct IdentificationAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Record a family's identification of a case (sealed in the identity compartment); prints the claim id.",
        discussion: """
        Fields: identifiedBy (a witness pseudonym, required), name (required), relationship, items (item ids shown), \\
        session, confidence (low, medium, high), notes.

        Example: echo '{"identifiedBy":"W-0002","name":"…","relationship":"brother","confidence":"high"}' | amanah identification add C-1 --from - -i protection.key
        """)
    @Argument(help: ArgumentHelp("The case.", valueName: "CASE")) var caseID: String
    @Option(name: .customLong("from"), help: ArgumentHelp("A JSON object, or - for standard input.", valueName: "FILE")) var from: String
    @OptionGroup var options: VaultOptions
    func run() throws {
        let input = try readIdentification(from)
        let session = try options.openSession(writesSecrets: true)
        let id = try session.addIdentification(caseID: caseID, input)
        rememberState(session.vault)
        Terminal.output(id)
    }
}

struct IdentificationList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the claims about a case, side by side, with their status.",
        discussion: "Example: amanah identification list C-1 --json -i protection.key")
    @Argument(help: ArgumentHelp("The case.", valueName: "CASE")) var caseID: String
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var options: VaultOptions
    func run() throws {
        let session = try options.openSession()
        let claims = try session.identifications(caseID: caseID)
        rememberState(session.vault)
        if json { try printJSON(claims); return }
        for claim in claims {
            var line = [claim.id, claim.status, "by " + claim.identifiedBy, claim.name].map { TerminalText.escaped($0) }
            if let relationship = claim.relationship { line.append(TerminalText.escaped(relationship)) }
            if let confidence = claim.confidence { line.append("confidence " + TerminalText.escaped(confidence)) }
            if !claim.items.isEmpty { line.append("items " + claim.items.map { TerminalText.escaped($0) }.joined(separator: ",")) }
            if let reason = claim.statusReason { line.append("reason: " + TerminalText.escaped(reason)) }
            Terminal.output(line.joined(separator: "\t"))
        }
        if claims.isEmpty { Terminal.message("no identification is recorded for \(caseID)") }
    }
}

struct IdentificationConfirm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confirm", abstract: "Confirm a claim (a second person): sets the case's identificationStatus, identifiedName and identifiedBy.",
        discussion: "Example: amanah identification confirm C-1 ID-4f09a2c1e3 -i protection-2.key")
    @Argument(help: ArgumentHelp("The case.", valueName: "CASE")) var caseID: String
    @Argument(help: ArgumentHelp("The claim id.", valueName: "CLAIM")) var claimID: String
    @OptionGroup var options: VaultOptions
    func run() throws {
        let session = try options.openSession(writesSecrets: true)
        try session.confirmIdentification(caseID: caseID, claimID: claimID)
        rememberState(session.vault)
        Terminal.message("identification \(claimID) confirmed; case \(caseID) updated")
    }
}

struct IdentificationWithdraw: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "withdraw", abstract: "Record that a family withdrew a claim (a confirmed one withdraws the case's identification).",
        discussion: "Example: amanah identification withdraw C-1 ID-4f09a2c1e3 --reason - -i protection.key")
    @Argument(help: ArgumentHelp("The case.", valueName: "CASE")) var caseID: String
    @Argument(help: ArgumentHelp("The claim id.", valueName: "CLAIM")) var claimID: String
    @Option(name: .customLong("reason"), help: ArgumentHelp("Why, or - to read it from standard input. Sealed in the claim.", valueName: "TEXT")) var reason: String
    @OptionGroup var options: VaultOptions
    func run() throws {
        let text = try valueArgument(reason, what: "reason")
        let session = try options.openSession(writesSecrets: true)
        try session.withdrawIdentification(caseID: caseID, claimID: claimID, reason: text)
        rememberState(session.vault)
        Terminal.message("identification \(claimID) withdrawn")
    }
}
