internal import VaultText
import ArgumentParser
import Foundation
internal import Vault
internal import VaultPlatform

struct SourceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source", abstract: "Deliveries of files already in the vault, waiting to be confirmed.",
        discussion: """
            A role that may not view items (a collector) who delivers a file the vault holds already is not told \
            which item or case it matched: the delivery is recorded as a pending source. A member who may view \
            items lists pending sources and confirms each, which links it to its item (audited).
            """,
        subcommands: [SourceList.self, SourceConfirm.self, SourceReject.self])
}

struct SourceList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List pending sources (source id, item, case, file name, deliverer).",
        discussion: "Example: amanah source list --pending -C vault -i investigator.key")
    @Flag(name: .customLong("pending"), help: "List the deliveries waiting for confirmation (the only list there is).") var pending = false
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var options: VaultOptions

    func validate() throws {
        guard pending else { throw ValidationError("give --pending: linked sources are shown by `amanah show ITEM`") }
    }

    func run() throws {
        let session = try options.openSession()
        let sources = try session.pendingSources()
        rememberState(session.vault)
        if json {
            let rows: [[String: Any]] = sources.map {
                ["source": $0.sourceID, "item": $0.itemID, "case": $0.caseID, "fileName": $0.fileName, "deliveredBy": $0.deliveredBy,
                 "delivered": Clock.format(milliseconds: $0.createdAt), "problem": $0.problem ?? ""]
            }
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            Terminal.output(String(decoding: data, as: UTF8.self))
            return
        }
        for source in sources {
            if let problem = source.problem {
                Terminal.output("\(source.sourceID)\tproblem: \(TerminalText.escaped(problem))")
                continue
            }
            Terminal.output([source.sourceID, source.itemID, TerminalText.escaped(source.caseID), TerminalText.escaped(source.fileName),
                             source.deliveredBy, Clock.format(milliseconds: source.createdAt)].joined(separator: "\t"))
        }
        if sources.isEmpty { Terminal.message("no pending sources") }
    }
}

struct SourceConfirm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "confirm", abstract: "Link a pending source to its item (audited as item.source-add).",
        discussion: "Example: amanah source confirm 3f09a2c1e3b4d5f6 -C vault -i investigator.key")
    @Argument(help: ArgumentHelp("The pending source's id (from `source list --pending` or the deliverer's ingest).", valueName: "ID")) var id: String
    @OptionGroup var options: VaultOptions

    func run() throws {
        let session = try options.openSession(writesSecrets: true)
        let (item, caseID) = try session.confirmSource(id)
        rememberState(session.vault)
        Terminal.output(item)
        Terminal.message("source \(id) is now a source of \(item) (case \(TerminalText.escaped(caseID)))")
    }
}

struct SourceReject: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reject",
                                                    abstract: "Stop a pending source from being pending without linking it (audited as item.source-reject).",
        discussion: "Example: amanah source reject 3f09a2c1e3b4d5f6 -C vault -i investigator.key")
    @Argument(help: ArgumentHelp("The pending source's id.", valueName: "ID")) var id: String
    @OptionGroup var options: VaultOptions

    func run() throws {
        let session = try options.openSession(writesSecrets: true)
        try session.rejectSource(id)
        rememberState(session.vault)
        Terminal.message("source \(id) is no longer pending; it was not linked to any item")
    }
}
