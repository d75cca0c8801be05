internal import VaultText
import ArgumentParser
import Foundation
internal import Vault
internal import VaultStore

struct RegionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "region", abstract: "Regions to mask on items (never blurred or pixelated).",
                                                    subcommands: [RegionAdd.self, RegionRemove.self, RegionList.self])
}

struct RegionAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a rectangle to mask, in the coordinates of the image as displayed (after EXIF orientation).",
        discussion: "Example: amanah region add I-49R882QA9A 40,40,200,120 --category A --reason \"a face\" -C vault -i investigator.key")
    @Argument(help: ArgumentHelp("The item.", valueName: "ITEM")) var item: String
    @Argument(help: ArgumentHelp("The rectangle: left, top, width, height in displayed pixels.", valueName: "x,y,w,h")) var rectangle: String
    @Option(name: .customLong("category"), help: ArgumentHelp("The category code (A witness identity, B third person, C location, D sources and methods, E other).", valueName: "C")) var category: String
    @Option(name: .customLong("reason"), help: ArgumentHelp("Why it is masked (required for category E), or - to read it from standard input. Kept in the vault: bundles name only the category.", valueName: "TEXT")) var reason: String = ""
    @Option(name: .customLong("witness"), help: ArgumentHelp("The pseudonym of the witness the region shows (a face): only their consent to a recipient, and a protection officer's approval, can leave it unmasked.", valueName: "W"))
    var witness: String?
    @OptionGroup var options: VaultOptions

    func run() throws {
        let numbers = rectangle.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == 4, numbers.allSatisfy({ $0 != nil }) else {
            throw CLIError("the rectangle must be x,y,w,h (four whole numbers)", exitCode: CLIError.usage)
        }
        let reasonText = try valueArgument(reason, what: "reason")
        let session = try options.openSession(writesSecrets: true)
        let region = try session.addRegion(itemID: item, x: numbers[0]!, y: numbers[1]!, width: numbers[2]!, height: numbers[3]!,
                                                     category: category, reason: reasonText, witness: witness)
        rememberState(session.vault)
        Terminal.output(region.id)
        Terminal.message("region \(region.id) on \(item): \(region.x),\(region.y),\(region.width),\(region.height) of \(region.displayWidth)x\(region.displayHeight), category \(region.category)")
    }
}

struct RegionRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a region (it masks nothing from then on; it and its removal stay in the log).",
        discussion: "Example: amanah region remove I-49R882QA9A R-3f2a19c0d1 --reason \"drawn on the wrong face\" -C vault -i investigator.key")
    @Argument(help: ArgumentHelp("The item.", valueName: "ITEM")) var item: String
    @Argument(help: ArgumentHelp("The region id (region list).", valueName: "REGION")) var region: String
    @Option(name: .customLong("reason"), help: ArgumentHelp("Why it is removed, or - to read it from standard input. Sealed in the vault.", valueName: "TEXT")) var reason: String
    @OptionGroup var options: VaultOptions

    func run() throws {
        let reasonText = try valueArgument(reason, what: "reason")
        let session = try options.openSession(writesSecrets: true)
        try session.removeRegion(itemID: item, regionID: region, reason: reasonText)
        rememberState(session.vault)
        Terminal.message("region \(region) removed from \(item)")
    }
}

struct RegionList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List an item's regions.",
                                                    discussion: "Example: amanah region list I-49R882QA9A --all --json -C vault -i investigator.key")
    @Argument(help: ArgumentHelp("The item.", valueName: "ITEM")) var item: String
    @Flag(help: "Also list removed regions, with why and when they were removed.") var all = false
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var options: VaultOptions

    func run() throws {
        let session = try options.openSession()
        let regions = try session.listRegions(itemID: item, all: all)
        rememberState(session.vault)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Terminal.output(String(decoding: try encoder.encode(regions), as: UTF8.self))
            return
        }
        for region in regions {
            Terminal.output("\(region.id)\t\(region.x),\(region.y),\(region.width),\(region.height)\t\(region.displayWidth)x\(region.displayHeight)\t\(region.category)\t\(TerminalText.escaped(region.reason))"
                            + (region.witness.map { "\tshows \(TerminalText.escaped($0))" } ?? "")
                            + (region.removedReason.map { "\tremoved \(region.removedAt ?? ""): \(TerminalText.escaped($0))" } ?? ""))
        }
    }
}
