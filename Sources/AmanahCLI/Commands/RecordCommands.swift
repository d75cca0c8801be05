internal import VaultPlatform
internal import VaultText
import VaultGovernance
import ArgumentParser
import Foundation
internal import Vault
internal import VaultCrypto
internal import VaultStore
internal import VaultPolicy

/// Reads the records named by `--from FILE|-` (standard input for `-`).
func readRecordInput(_ from: String) throws -> [UInt8] {
    if from == "-" {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(0, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
            if bytes.count > 64 << 20 { throw CLIError("standard input: more than 64 MiB of records") }
        }
        return bytes
    }
    do { return try DurableFile.readAll(from) } catch {
        let missing = (error as? SystemCallError)?.isMissingOrUnreadable == true
        throw CLIError("cannot read \(from): \(error)", exitCode: missing ? CLIError.notFound : 1)
    }
}

/// A value given on the command line, or `-` to read it from standard input (first line): values such as
/// detainee numbers and names should not sit in argv, where other local users and shell history see them.
func valueArgument(_ value: String, what: String) throws -> String {
    guard value == "-" else { return value }
    let bytes = try readRecordInput("-")
    guard let text = String(validating: bytes, as: UTF8.self) else { throw CLIError("standard input: the \(what) is not UTF-8 text") }
    let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
    return line.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A refused record's line: where it is in the input and its id, once, then why.
private func recordProblem(_ input: RecordInput, _ error: any Error) -> String {
    var why = "\(error)"
    if why.hasPrefix(input.label + ": ") { why.removeFirst(input.label.count + 2) }
    return "\(input.label) (\(TerminalText.escaped(input.id))): \(why)"
}

/// Adds records of `kind` from a file; reports each refused record by name.
private func addRecords(kind: RecordKind, from: String, options: VaultOptions) throws {
    let bytes = try readRecordInput(from)
    let source = from == "-" ? "standard input" : from
    let results = try RecordInputParser.parse(bytes, source: source, kind: kind)
    let session = try options.openSession(writesSecrets: true)
    var added = 0, failed = 0
    var valid: [RecordInput] = []
    for result in results {
        switch result {
        case let .success(input): valid.append(input)
        case let .failure(error):
            Terminal.message(error.description)
            failed += 1
        }
    }
    let outcomes = try session.addRecords(kind: kind, inputs: valid)
    for (input, outcome) in zip(valid, outcomes) {
        if let error = outcome {
            Terminal.message(recordProblem(input, error))
            failed += 1
        } else {
            Terminal.output(TerminalText.escaped(input.id))
            added += 1
        }
    }
    rememberState(session.vault)
    // One summary: the error when any was refused, else a message.
    let summary = counted(added, "\(kind.rawValue) record") + " added" + (failed > 0 ? ", \(failed) refused" : "")
    if failed > 0 { throw CLIError(summary) }
    Terminal.message(summary)
}

/// Changes records of `kind` from a file; reports each refused record by name.
private func updateRecords(kind: RecordKind, from: String, options: VaultOptions) throws {
    let bytes = try readRecordInput(from)
    let source = from == "-" ? "standard input" : from
    let results = try RecordInputParser.parse(bytes, source: source, kind: kind, update: true)
    let session = try options.openSession(writesSecrets: true)
    var updated = 0, unchanged = 0, failed = 0, missing = 0
    var valid: [RecordInput] = []
    for result in results {
        switch result {
        case let .success(input): valid.append(input)
        case let .failure(error):
            Terminal.message(error.description)
            failed += 1
        }
    }
    for (input, outcome) in zip(valid, try session.updateRecords(kind: kind, inputs: valid)) {
        switch outcome {
        case let .success(.updated(compartments)):
            Terminal.output(TerminalText.escaped(input.id) + "\tupdated (" + compartments.map(\.rawValue).joined(separator: ", ") + " fields)")
            updated += 1
        case .success(.unchanged):
            Terminal.output(TerminalText.escaped(input.id) + "\tunchanged")
            unchanged += 1
        case let .failure(error):
            Terminal.message(recordProblem(input, error))
            if case VaultError.notFound = error { missing += 1 }
            failed += 1
        }
    }
    rememberState(session.vault)
    let summary = counted(updated, "\(kind.rawValue) record") + " updated" + (unchanged > 0 ? ", \(unchanged) unchanged" : "")
        + (failed > 0 ? ", \(failed) refused" : "")
    if failed > 0 { throw CLIError(summary, exitCode: missing == failed ? CLIError.notFound : 1) }
    Terminal.message(summary)
}

/// A record field's value in JSON: a string, or an array of strings for a list field.
struct FieldValueJSON: Encodable {
    let value: RecordCodec.Value
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch value {
        case let .text(text): try container.encode(text)
        case let .list(items): try container.encode(items)
        }
    }
}

/// `case show --history --json`: the record and its versions, oldest first.
struct RecordHistoryJSON: Encodable {
    struct Version: Encodable {
        let event: UInt64
        let action: String
        let time: String
        let writer: String
        let fields: [String: FieldValueJSON]
        let cleared: [String]
        let withheld: [String]
    }
    let kind: String
    let id: String
    let versions: [Version]
}

/// Prints each version of a record: event, time, writer, and the fields it set, cleared or withheld.
private func printHistory(kind: RecordKind, id: String, versions: [RecordVersion], json: Bool) throws {
    if json {
        try printJSON(RecordHistoryJSON(kind: kind.rawValue, id: id, versions: versions.map { version in
            .init(event: version.sequence, action: version.action, time: Clock.format(milliseconds: version.time), writer: version.writer,
                  fields: version.fields.mapValues { FieldValueJSON(value: $0) }, cleared: version.cleared, withheld: version.withheld)
        }))
        return
    }
    for version in versions {
        Terminal.output("event \(version.sequence)  \(version.action)  \(Clock.format(milliseconds: version.time))  by \(version.writer)")
        for spec in kind.storedFields {
            if let value = version.fields[spec.name] { Terminal.output("  \(spec.name): \(TerminalText.escaped(value.displayText))") }
        }
        for name in version.cleared { Terminal.output("  \(name): (cleared)") }
        if !version.withheld.isEmpty { Terminal.output("  withheld from your role: \(version.withheld.joined(separator: ", "))") }
    }
}

/// Prints a record's readable fields; withheld ones are named.
private func printRecord(kind: RecordKind, opened: RecordCodec.Opened, json: Bool) throws {
    if json {
        var object: [String: Any] = [kind.identifierName: opened.id, "withheld": opened.withheld]
        for (name, value) in opened.fields {
            switch value {
            case let .text(text): object[name] = text
            case let .list(items): object[name] = items
            }
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        Terminal.output(String(decoding: data, as: UTF8.self))
        return
    }
    Terminal.output("\(kind.identifierName): \(TerminalText.escaped(opened.id))")
    for spec in kind.storedFields {
        if let value = opened.fields[spec.name] { Terminal.output("\(spec.name): \(TerminalText.escaped(value.displayText))") }
    }
    if !opened.withheld.isEmpty {
        Terminal.output("withheld (your role does not hold their keys): \(opened.withheld.joined(separator: ", "))")
    }
}

struct CaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "case", abstract: "Case records (one deceased detainee each).",
                                                    subcommands: [CaseAdd.self, CaseUpdate.self, CaseList.self, CaseShow.self, CaseSearch.self])
}

struct WitnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "witness", abstract: "Witness records (pseudonym; identity sealed apart).",
                                                    subcommands: [WitnessAdd.self, WitnessUpdate.self, WitnessList.self, WitnessShow.self, WitnessSearch.self])
}

struct CaseAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Seal case records from JSON or CSV (never values in argv).",
        discussion: "Fields: id (required), \(RecordKind.case.storedFields.map(\.name).joined(separator: ", ")). Prints each added id.\n\nExample: amanah case add --from cases.json -C vault -i collector.key")
    @Option(name: .customLong("from"), help: ArgumentHelp("A JSON (object or array) or CSV file, or - for standard input.", valueName: "FILE"))
    var from: String
    @OptionGroup var options: VaultOptions
    func run() throws { try addRecords(kind: .case, from: from, options: options) }
}

struct WitnessAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Seal witness records from JSON or CSV (never values in argv).",
        discussion: "Fields: pseudonym (required), \(RecordKind.witness.storedFields.map(\.name).joined(separator: ", ")). Lists: JSON arrays, or ';'-separated in CSV.\n\nExample: amanah witness add --from witnesses.csv -C vault -i protection.key")
    @Option(name: .customLong("from"), help: ArgumentHelp("A JSON (object or array) or CSV file, or - for standard input.", valueName: "FILE"))
    var from: String
    @OptionGroup var options: VaultOptions
    func run() throws { try addRecords(kind: .witness, from: from, options: options) }
}

struct CaseUpdate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Change fields of existing case records from JSON or CSV; every change is kept.",
        discussion: """
        Names the case by id; fields not named are kept; in JSON a field set to null is cleared. Each update is a \
        signed audit event (case.update) by a member who reads the fields it changes and whose role may write them.

        Example: echo '{"id":"C-1","place":"Sednaya","branch":null}' | amanah case update --from - -i investigator.key
        """)
    @Option(name: .customLong("from"), help: ArgumentHelp("A JSON (object or array) or CSV file, or - for standard input.", valueName: "FILE"))
    var from: String
    @OptionGroup var options: VaultOptions
    func run() throws { try updateRecords(kind: .case, from: from, options: options) }
}

struct WitnessUpdate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Change fields of existing witness records from JSON or CSV; every change is kept.",
        discussion: """
        Names the witness by pseudonym; fields not named are kept; in JSON a field set to null is cleared. Consent \
        and protective measures are changed by a role that may record consent (a protection officer).

        Example: echo '{"pseudonym":"W-0417","consent":["Demo Tribunal"]}' | amanah witness update --from - -i protection.key
        """)
    @Option(name: .customLong("from"), help: ArgumentHelp("A JSON (object or array) or CSV file, or - for standard input.", valueName: "FILE"))
    var from: String
    @OptionGroup var options: VaultOptions
    func run() throws { try updateRecords(kind: .witness, from: from, options: options) }
}

struct CaseList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List case ids.",
                                                    discussion: "Example: amanah case list --json -C vault -i investigator.key")
    @Flag(help: "Print a JSON array of ids.") var json = false
    @OptionGroup var options: VaultOptions
    func run() throws {
        let session = try options.openSession()
        let ids = try session.recordIDs(kind: .case)
        if json { try printJSON(ids); return }
        for id in ids { Terminal.output(TerminalText.escaped(id)) }
    }
}

struct WitnessList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List witness pseudonyms.",
                                                    discussion: "Example: amanah witness list -C vault -i protection.key")
    @Flag(help: "Print a JSON array of ids.") var json = false
    @OptionGroup var options: VaultOptions
    func run() throws {
        let session = try options.openSession()
        let ids = try session.recordIDs(kind: .witness)
        if json { try printJSON(ids); return }
        for id in ids { Terminal.output(TerminalText.escaped(id)) }
    }
}

struct CaseShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the fields of a case your keys open.",
        discussion: "Example: amanah case show C-1 --history -C vault -i investigator.key")
    @Argument(help: ArgumentHelp("The case id.", valueName: "CASE")) var id: String
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "List every version (who changed which fields, and when) as far as your role reads.") var history = false
    @OptionGroup var options: VaultOptions
    func run() throws {
        let session = try options.openSession()
        if history {
            let versions = try session.recordHistory(kind: .case, id: id)
            rememberState(session.vault)
            try printHistory(kind: .case, id: id, versions: versions, json: json)
            return
        }
        let opened = try session.showRecord(kind: .case, id: id)
        rememberState(session.vault)
        try printRecord(kind: .case, opened: opened, json: json)
    }
}

struct WitnessShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the fields of a witness your keys open.",
        discussion: "Example: amanah witness show W-0417 --json -C vault -i protection.key")
    @Argument(help: ArgumentHelp("The witness pseudonym.", valueName: "PSEUDONYM")) var id: String
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "List every version (who changed which fields, and when) as far as your role reads.") var history = false
    @OptionGroup var options: VaultOptions
    func run() throws {
        let session = try options.openSession()
        if history {
            let versions = try session.recordHistory(kind: .witness, id: id)
            rememberState(session.vault)
            try printHistory(kind: .witness, id: id, versions: versions, json: json)
            return
        }
        let opened = try session.showRecord(kind: .witness, id: id)
        rememberState(session.vault)
        try printRecord(kind: .witness, opened: opened, json: json)
    }
}

struct CaseSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Find cases by detainee number (blind index) or by identified name (in memory).",
        discussion: """
        --detainee: Arabic-Indic and Persian digits match ASCII, and spaces do not matter (3456/215, ٣٤٥٦ / ٢١٥). \
        --name: the identified name as a family gave it (a role that reads identities); Arabic letter variants, \
        diacritics and tatweel, digits and extra spaces do not matter, and words match in any order and by their \
        beginning, as in witness search.

        Example: echo '٣٤٥٦/٢١٥' | amanah case search --detainee - -C vault -i investigator.key
        Example: echo 'الحلبي احمد' | amanah case search --name - -C vault -i protection.key
        """)
    @Option(name: .customLong("detainee"), help: ArgumentHelp("The detainee number as written, or - to read it from standard input (keeps it out of argv and shell history).", valueName: "NUMBER")) var detainee: String?
    @Option(name: .customLong("name"), help: ArgumentHelp("The identified name, or - to read it from standard input.", valueName: "NAME")) var name: String?
    @Flag(help: "Print a JSON array of the matching ids.") var json = false
    @OptionGroup var options: VaultOptions

    func validate() throws {
        if (detainee == nil) == (name == nil) { throw ValidationError("give one of --detainee NUMBER and --name NAME") }
    }

    func run() throws {
        let session = try options.openSession()
        let matches: [String]
        if let detainee {
            matches = try session.search(kind: .case, field: "detaineeNumber", value: try valueArgument(detainee, what: "detainee number"))
        } else {
            matches = try session.searchCases(identifiedName: try valueArgument(name ?? "", what: "name"))
        }
        rememberState(session.vault)
        if json { try printJSON(matches); return }
        for id in matches { Terminal.output(TerminalText.escaped(id)) }
        if matches.isEmpty { Terminal.message("no case matches") }
    }
}

struct WitnessSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Find witnesses by legal name as it is typed (protection officers).",
        discussion: """
        Arabic letter variants (أ إ آ ا, ى ي, ة ه, ؤ و, ئ ي), diacritics and tatweel, Arabic-Indic digits and extra \
        spaces do not matter; words match in any order and by their beginning.

        Example: echo 'الحلبي احمد' | amanah witness search --name - -i protection.key
        """)
    @Option(name: .customLong("name"), help: ArgumentHelp("The legal name, or - to read it from standard input (keeps it out of argv and shell history).", valueName: "NAME")) var name: String
    @Flag(help: "Print a JSON array of the matching pseudonyms.") var json = false
    @OptionGroup var options: VaultOptions
    func run() throws {
        let session = try options.openSession()
        let value = try valueArgument(name, what: "name")
        let matches = try session.searchWitnesses(name: value)
        rememberState(session.vault)
        if json { try printJSON(matches); return }
        for id in matches { Terminal.output(TerminalText.escaped(id)) }
        if matches.isEmpty { Terminal.message("no witness matches") }
    }
}

#if canImport(Glibc)
import Glibc
#endif
