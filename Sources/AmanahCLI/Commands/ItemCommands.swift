internal import VaultPlatform
internal import VaultText
import VaultGovernance
import ArgumentParser
import Foundation
internal import Vault
internal import VaultImaging
internal import VaultCrypto
internal import VaultStore
import VaultDisclosureUseCases

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Seal files into a case (any type; originals kept byte for byte).",
        discussion: """
            Prints one line per file: item id, a tab, the file name. Capture metadata of images is extracted in a \
            key-less sandboxed process and sealed; what it would reveal is reported on standard error. A file \
            already in the vault is recorded as a further source of the same item, or, when your role may not \
            view items, as a pending source (printed as pending:ID) for a member who may to confirm; nothing \
            then names the item or its case. Exit status 2 if every file that failed was missing or unreadable, 1 if any failed otherwise.

            Example: amanah ingest --case C-1 --witness W-0417 photos/*.jpg -C vault -i collector.key
            """)
    @Option(name: .customLong("case"), help: ArgumentHelp("The case the files belong to.", valueName: "CASE")) var caseID: String
    @Option(name: .customLong("witness"), help: ArgumentHelp("The witness (pseudonym) who delivered the files.", valueName: "W")) var witness: String?
    @Option(name: .customLong("source-file"), help: ArgumentHelp("A text file describing how the files were delivered (sealed as identity data).", valueName: "F"))
    var sourceFile: String?
    @Argument(help: ArgumentHelp("The files to seal.", valueName: "FILE")) var files: [String]
    @OptionGroup var options: VaultOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one FILE") }
    }

    /// The command-line arguments whose bytes are not valid UTF-8, in order: their bytes, and the text
    /// Swift made of them (each invalid sequence replaced by U+FFFD), by which they are matched to `files`.
    static func argumentsNotUTF8() -> [(text: String, bytes: [UInt8])] {
        var out: [(text: String, bytes: [UInt8])] = []
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer)))
            if String(validating: bytes, as: UTF8.self) == nil { out.append((String(decoding: bytes, as: UTF8.self), bytes)) }
        }
        return out
    }

    func run() throws {
        var note: String? = nil
        if let sourceFile {
            let bytes = try DurableFile.readAll(sourceFile, limit: 1 << 20)
            guard let text = String(validating: bytes, as: UTF8.self) else { throw CLIError("\(sourceFile): is not UTF-8 text") }
            note = text
        }
        let session = try options.openSession(writesSecrets: true)
        let ingestOptions = Session.IngestOptions(caseID: caseID, witness: witness, sourceNote: note, metadata: SandboxedMetadata.extractor())
        try session.checkIngest(ingestOptions)
        var failures = 0
        var othersFailed = false   // a failure other than a file missing or unreadable
        let progress = ProgressLine("sealing", total: files.count > 1 ? files.count : 0, unit: "files")
        // With several files, per-file notes are counted and summarised at the end (-v shows each).
        let each = files.count == 1 || Terminal.verbosity == .verbose
        var identifying: [String] = [], further: [String] = [], warnings: [String] = []
        // A file name that is not valid UTF-8 reached Swift with U+FFFD in place of its bytes: the file is
        // opened by the argument's own bytes and named by their escaped form (`Session.escapedPath`).
        var raws = Self.argumentsNotUTF8()
        let requests = files.map { file in
            if let index = raws.firstIndex(where: { $0.text == file }) {
                let raw = raws.remove(at: index).bytes
                return Session.IngestRequest(path: Session.escapedPath(raw), options: ingestOptions, rawPath: raw)
            }
            return Session.IngestRequest(path: file, options: ingestOptions)
        }
        // Lines appear in the order of the files, each once its item is durably committed.
        try session.ingest(requests) { index, result in
            defer { progress.advance() }
            // `name` for standard output; messages escape the raw name themselves (`Terminal.message`).
            let raw = DurableFile.lastComponent(of: requests[index].path)
            let name = TerminalText.escaped(raw)
            switch result {
            case let .success(outcome):
                Terminal.output("\(outcome.itemID)\t\(name)")
                if let pending = outcome.pendingSource {
                    Terminal.message("\(raw): already in the vault; recorded as pending source \(pending), which a member who may view items confirms (amanah source confirm \(pending))")
                } else if outcome.alreadyPresent {
                    if each {
                        Terminal.message("\(raw): already in the vault as \(outcome.itemID) (case \(outcome.existingCase ?? "?")); recorded as a further source")
                    } else {
                        further.append(raw)
                    }
                    if let existing = outcome.existingCase, existing != caseID {
                        Terminal.warning("\(raw) stays in case \(existing), not \(caseID): an item belongs to one case")
                    }
                }
                // What a warning says already (metadata not inspected) is not said again as found metadata.
                let found = outcome.identifyingMetadata.filter { !outcome.warnings.contains($0) }
                if !found.isEmpty {
                    if each {
                        Terminal.message("\(raw): carries identifying metadata: \(found.joined(separator: "; "))")
                    } else {
                        identifying.append(raw)
                    }
                }
                for warning in outcome.warnings {
                    if each { Terminal.warning("\(raw): \(warning)") } else { warnings.append("\(raw): \(warning)") }
                }
            case let .failure(error):
                Terminal.message(cliMessage(for: error))
                failures += 1
                if CLIError.from(error).exitCode != CLIError.notFound { othersFailed = true }
            }
        }
        progress.finish()
        if !identifying.isEmpty {
            Terminal.message("\(identifying.count) of \(counted(files.count, "file")) \(identifying.count == 1 ? "carries" : "carry") identifying metadata (sealed with them; `amanah show ITEM` lists it; -v names each file)")
        }
        if !further.isEmpty {
            Terminal.message("\(further.count) of \(counted(files.count, "file")) \(further.count == 1 ? "was" : "were") already in the vault and recorded as further sources (-v names each)")
        }
        // Warnings are not lost to the summary: they follow the progress, the first twenty in full.
        for warning in warnings.prefix(20) { Terminal.warning(warning) }
        if warnings.count > 20 { Terminal.warning("\(warnings.count - 20) more warnings like these (-v shows each as it happens)") }
        rememberState(session.vault)
        for request in requests where request.rawPath != nil {
            Terminal.message("\(request.path): its name is not valid UTF-8; recorded with each such byte as %XX")
        }
        if failures > 0 {
            let committed = files.count - failures
            throw CLIError("\(failures) of \(counted(files.count, "file")) failed; \(committed) \(committed == 1 ? "was" : "were") committed",
                           exitCode: othersFailed ? 1 : CLIError.notFound)
        }
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List items (type, size and name need the media key).",
        discussion: "Example: amanah list --case C-1 --json -C vault -i investigator.key")
    @Option(name: .customLong("case"), help: ArgumentHelp("Only this case.", valueName: "CASE")) var caseID: String?
    @Flag(help: "Print JSON (objects with id, case, sequence, ...).") var json = false
    @OptionGroup var options: VaultOptions

    func run() throws {
        let session = try options.openSession()
        let items = try session.listItems(caseID: caseID)
        rememberState(session.vault)
        if !items.isEmpty && items.allSatisfy({ $0.mediaType == nil }) && session.keyHintForMedia() {
            Terminal.hint("your role may read media, but its key has not been granted to you yet: it arrives when a member who holds it runs any command")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Terminal.output(String(decoding: try encoder.encode(items), as: UTF8.self))
            return
        }
        for item in items {
            var columns = [item.id, TerminalText.escaped(item.caseID), String(item.sequence)]
            if let type = item.mediaType { columns.append(type) }
            if let size = item.size { columns.append(String(size)) }
            if let name = item.fileName { columns.append(TerminalText.escaped(name)) }
            Terminal.output(columns.joined(separator: "\t"))
        }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show an item: sealed facts, capture metadata and sources your keys open.",
        discussion: """
        With --profile (and --recipient), show instead what a release of the item would carry: the file (original \
        or fresh derivative), each region masked or not, each record field after the profile's rules, and whether \
        the policy would permit it. Nothing is made or signed; the preview is audited.

        Example: amanah show I-49R882QA9A -C vault -i investigator.key
        Example: amanah show I-49R882QA9A --profile tribunal-protected --recipient "Demo Tribunal" -C vault -i legal.key
        """)
    @Argument(help: ArgumentHelp("The item id.", valueName: "ITEM")) var item: String
    @Flag(help: "Print JSON.") var json = false
    @Flag(name: .customLong("metadata"), help: "Also print the full capture metadata report (JSON).") var metadata = false
    @Option(name: .customLong("profile"), help: ArgumentHelp("Preview a release under this redaction profile.", valueName: "P")) var profile: String?
    @Option(name: .customLong("recipient"), help: ArgumentHelp("With --profile: the registered recipient the release would go to.", valueName: "NAME"))
    var recipient: String?
    @OptionGroup var options: VaultOptions

    func validate() throws {
        if recipient != nil && profile == nil { throw ValidationError("--recipient needs --profile") }
        if metadata && profile != nil { throw ValidationError("--metadata shows the item as sealed; a preview (--profile) releases no metadata report") }
    }

    func run() throws {
        let session = try options.openSession()
        if let profile {
            let preview = try session.previewRelease(item, profile: profile, recipient: recipient)
            rememberState(session.vault)
            if json {
                // The records go in as an object, not as a string of JSON.
                var object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(preview)) as? [String: Any] ?? [:]
                object["records"] = try JSONSerialization.jsonObject(with: Data(preview.records.utf8))
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                Terminal.output(String(decoding: data, as: UTF8.self))
            } else {
                Self.print(preview)
            }
            return
        }
        let view = try session.showItem(item)
        rememberState(session.vault)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Terminal.output(String(decoding: try encoder.encode(view), as: UTF8.self))
            return
        }
        Terminal.output("item: \(view.id)")
        Terminal.output("case: \(TerminalText.escaped(view.caseID))")
        Terminal.output("sequence: \(view.sequence)")
        Terminal.output("ingested: \(view.ingestedAt)")
        if let type = view.mediaType { Terminal.output("type: \(type)") }
        if let size = view.size { Terminal.output("size: \(counted(size, "byte"))") }
        if let name = view.fileName { Terminal.output("file name: \(TerminalText.escaped(name))") }
        if let sha = view.sha256 { Terminal.output("sha256: \(sha)") }
        if let width = view.displayWidth, let height = view.displayHeight { Terminal.output("displayed size: \(width)x\(height) (the coordinates of region add)") }
        if let identifying = view.identifyingMetadata {
            Terminal.output("identifying metadata: " + (identifying.isEmpty ? "none found" : identifying.joined(separator: "; ")))
        }
        if let record = view.caseRecord {
            let fields = record.sorted { $0.key < $1.key }.map { "\($0.key)=\(TerminalText.escaped($0.value))" }
            Terminal.output("case record: " + fields.joined(separator: " "))
        }
        for (index, source) in (view.sources ?? []).enumerated() {
            let fields = source.fields.sorted { $0.key < $1.key }.map { "\($0.key)=\(TerminalText.escaped($0.value))" }
            Terminal.output("source \(index + 1): \(source.addedAt) \(fields.joined(separator: " "))")
            if let witness = source.witness {
                let details = witness.sorted { $0.key < $1.key }.map { "\($0.key)=\(TerminalText.escaped($0.value))" }
                Terminal.output("  witness: " + details.joined(separator: " "))
            }
        }
        for region in view.regions ?? [] {
            Terminal.output("region \(region.id): \(region.x),\(region.y),\(region.width),\(region.height) on \(region.displayWidth)x\(region.displayHeight), category \(region.category): \(TerminalText.escaped(region.reason))")
        }
        if !view.withheld.isEmpty {
            Terminal.output("withheld (your role or keys do not read them): \(view.withheld.joined(separator: ", "))")
        }
        if metadata, let report = view.metadata { Terminal.output("capture metadata: \(TerminalText.escaped(report))") }
    }

    /// The preview as lines: the verdict first, then the file, the regions, the records and the redactions.
    static func print(_ preview: ReleasePreview) {
        let to = preview.recipient.map { "to \(TerminalText.escaped($0))" } ?? "to no one named (an export)"
        Terminal.output("preview: \(preview.item) under \(preview.profile) \(to)")
        Terminal.output("policy: " + (preview.refusal.map { "would refuse: \(TerminalText.escaped($0))" } ?? "would permit (approvals aside)"))
        Terminal.output("file: " + (preview.release == "original" ? "the original, byte for byte, with its metadata"
                                                                   : "a fresh derivative (no metadata)"))
        for region in preview.regions {
            Terminal.output("region \(region.id): \(region.rectangle), category \(region.category): \(region.masked ? "masked" : "shown")")
        }
        Terminal.output("records: \(TerminalText.escaped(preview.records))")
        for redaction in preview.redactions where redaction.target != "file" {
            let code = redaction.code.map { " [\($0)]" } ?? ""
            Terminal.output("redaction: \(redaction.target) \(redaction.action)\(code): \(TerminalText.escaped(redaction.reason))")
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an item's original, byte for byte, to a file; or with --profile, what a release under that profile would contain.",
        discussion: "With --profile the output is a fresh derivative (regions masked, no metadata): JPEG, or PNG when FILE ends in .png. The original in the vault is untouched. A profile that draws a watermark (family-viewing) needs --session, the viewing session's label.\n\nExample: amanah export I-49R882QA9A --profile public -o public.jpg -C vault -i investigator.key\nExample: amanah export I-49R882QA9A --profile family-viewing --session S-2026-12-07-1 -o view.jpg -C vault -i protection.key")
    @Argument(help: ArgumentHelp("The item id.", valueName: "ITEM")) var item: String
    @Option(name: .customLong("profile"), help: ArgumentHelp("A redaction profile of the policy.", valueName: "P")) var profile: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("The output file (not overwritten without -f); - for standard output (the original only).", valueName: "FILE"))
    var output: String
    @Option(name: .customLong("session"), help: ArgumentHelp("With a profile that draws a watermark (family-viewing): the viewing session's label, drawn on the image and audited.", valueName: "LABEL"))
    var viewingSession: String?
    @Flag(name: .shortAndLong, help: "Overwrite an existing output file.") var force = false
    @OptionGroup var options: VaultOptions

    func run() throws {
        if viewingSession != nil && profile == nil { throw CLIError("--session needs --profile", exitCode: CLIError.usage) }
        if output == "-" && profile != nil {
            throw CLIError("-o - writes an original only; with --profile, name the output file (JPEG, or PNG for .png)", exitCode: CLIError.usage)
        }
        let session = try options.openSession()
        if output == "-" {
            let sha = try session.exportOriginal(item, streamingTo: FileHandleFD(fd: 1, path: "standard output"))
            rememberState(session.vault)
            Terminal.message("exported the original of \(item) to standard output (sha256 \(sha))")
            return
        }
        if let profile {
            let format: DerivativeRequest.Format = output.lowercased().hasSuffix(".png") ? .png : .jpeg
            let sha = try session.exportUnderProfile(item, profile: profile, to: output, format: format,
                                                               derivatives: try derivativeMaker(), overwrite: force, session: viewingSession)
            rememberState(session.vault)
            Terminal.message("exported \(item) under \(profile) to \(output) (sha256 \(sha))")
            return
        }
        let sha = try session.exportOriginal(item, to: output, overwrite: force)
        rememberState(session.vault)
        Terminal.message("exported the original of \(item) to \(output) (sha256 \(sha))")
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the vault's database and files; never deletes a file that may hold evidence.",
        discussion: """
            Runs SQLite's integrity check, then compares blobs/ with the items: temporary files of interrupted \
            writes are removed; a blob no item refers to is moved to quarantine/ (with -i KEY, one audit event \
            each; without -i it is only reported); an item whose blob is missing is reported and kept. With \
            --read-data (needs -i and the media key) every blob is decrypted and compared with its SHA-256 and \
            ingest commitment. Every row of every index table is compared with the signed index entries of \
            the log replayed, naming the table and row that differ. With --rebuild the whole index is also \
            rebuilt from the log into a fresh database beside vault.sqlite and compared with it; the rebuilt \
            database is kept (and named) only when it differs. Exit status 3 on any problem, and while \
            quarantine/ is not empty.

            Example: amanah check --read-data -C vault -i investigator.key
            """)
    @Flag(name: .customLong("read-data"), help: "Decrypt and hash every blob.") var readData = false
    @Flag(name: .customLong("rebuild"), help: "Also rebuild the index from the log into a fresh database and compare the two.")
    var rebuild = false
    @Flag(name: .customLong("accept-lost-changes"),
          help: "When the vault lacks only changes this client made itself (its database went back), accept the vault as it is.")
    var acceptLostChanges = false
    @Flag(help: "Print the result as JSON (ok, problems, counts) on standard output; the exit status is the same.") var json = false
    @OptionGroup var options: VaultOptions

    func run() throws {
        if acceptLostChanges {
            let vault = try options.openVault(checkClientState: false)
            let given = try vault.acceptMissingOwnChanges()
            if given.audit == 0 && given.governance == 0 {
                Terminal.message("this client's memory of the vault matches it; nothing to accept")
            } else {
                Terminal.message("this client now accepts the vault without the \(given.audit) audit event\(given.audit == 1 ? "" : "s")"
                                 + (given.governance > 0 ? " and \(given.governance) governance entr\(given.governance == 1 ? "y" : "ies")" : "")
                                 + " it had written itself and the vault no longer holds")
            }
            return
        }
        let hasIdentity = options.global.identity != nil || Environment.value("AMANAH_IDENTITY") != nil
        var result = CheckJSON()
        func problem(_ text: String) {
            result.problems.append(text)
            if !json { Terminal.output("problem: \(text)") }
        }
        func fail(_ message: String) -> CLIError {
            if json { try? printJSON(result) }
            return CLIError(message, exitCode: CLIError.verificationFailed)
        }
        let session: Session?
        let vault: Vault
        do {
            session = (readData || hasIdentity) ? try options.openSession() : nil
            vault = try session?.vault ?? options.openVault()
        } catch let error as VaultError where error.isVerificationFailure {
            // What refuses the vault at open (its log or chain does not verify) is what check is for: a problem.
            problem(error.description)
            throw fail("check found the vault's log or governance chain not as it must be; do not use the vault until you know why")
        } catch let error as StoreError {
            guard case let .alteredSchema(_, differences) = error else { throw CLIError.from(error) }
            for difference in differences { problem("vault.sqlite schema: \(difference)") }
            throw fail("check found the schema of vault.sqlite changed outside Amanah; do not use the vault until you know why")
        } catch {
            let error = CLIError.from(error)
            // A database too damaged to open as a vault still gets SQLite's own verdict.
            let damage = VaultDatabase.integrityCheck(path: try options.global.vaultPath() + "/vault.sqlite")
            guard !damage.isEmpty else { throw error }
            for line in damage { problem("vault.sqlite is damaged: \(line)") }
            throw fail("check found vault.sqlite damaged (\(error.message)); restore it from a backup, then run check again to check the blobs")
        }
        var progress: ProgressLine?
        let report = try vault.check(readData: readData ? session : nil, actor: session) { total in
            if let total { progress = ProgressLine("reading", total: total, unit: "items") } else { progress?.advance() }
        }
        progress?.finish()
        rememberState(vault)
        for removed in report.removed { Terminal.message("removed \(removed), a temporary file of an interrupted write") }
        for restored in report.restored { Terminal.message("moved \(restored) back from quarantine/: an item refers to it again") }
        for (from, to) in report.quarantined { Terminal.message("quarantined \(from) -> \(to): no item refers to it (audited)") }
        for text in report.problems { problem(text) }
        result.itemsPresent = report.itemsChecked
        result.itemsRead = readData ? report.itemsRead : nil
        result.bytesRead = readData ? report.bytesRead : nil
        result.inQuarantine = report.inQuarantine.count
        result.notFetched = report.notFetched.count
        result.removed = report.removed
        result.quarantined = report.quarantined.map(\.1)
        var summary = "\(report.itemsChecked) items present"
        if readData { summary += ", \(report.itemsRead) read and verified (\(report.bytesRead) bytes)" }
        if !report.inQuarantine.isEmpty { summary += ", \(report.inQuarantine.count) file\(report.inQuarantine.count == 1 ? "" : "s") in quarantine/" }
        if !report.notFetched.isEmpty { summary += ", \(report.notFetched.count) blob\(report.notFetched.count == 1 ? "" : "s") not fetched from the remote yet (`amanah sync` fetches them)" }
        if !json { Terminal.output(summary) }
        if rebuild {
            let rebuilt = try vault.rebuildIndex()
            for difference in rebuilt.differences { problem("rebuilt index: \(difference)") }
            result.rebuiltCopy = rebuilt.kept
            if json {
            } else if let kept = rebuilt.kept {
                Terminal.output("rebuilt the index from \(rebuilt.entries) signed entr\(rebuilt.entries == 1 ? "y" : "ies") (\(rebuilt.rows) rows) into \(kept); it differs from vault.sqlite as listed. Nothing was replaced: a custodian decides whether to put it in place of vault.sqlite (keep the old file)")
            } else {
                Terminal.output("rebuilt the index from \(rebuilt.entries) signed entr\(rebuilt.entries == 1 ? "y" : "ies") (\(rebuilt.rows) rows): equal to vault.sqlite, table by table (the rebuilt copy was removed)")
            }
        }
        let problems = result.problems.count
        if problems > 0 { throw fail("check found \(problems) problem\(problems == 1 ? "" : "s")") }
        if json { try printJSON(result) }
    }
}

/// `check --json`: whether the vault checked, every problem, and what was read, moved or left (optional
/// counts are left out when they were not taken).
struct CheckJSON: Encodable {
    var ok = true
    var problems: [String] = [] { didSet { ok = problems.isEmpty } }
    var itemsPresent = 0
    var itemsRead: Int?
    var bytesRead: UInt64?
    var inQuarantine = 0
    var notFetched = 0
    var removed: [String] = []
    var quarantined: [String] = []
    var rebuiltCopy: String?
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bind a vault made by an earlier release to signed index entries (a custodian; audited).",
        discussion: """
            Checks what the log can vouch for (the audit log, the disclosure ledger, the item, source and region \
            rows against their signed events, SQLite's integrity, and every record the custodian can open), \
            then signs one vault.migrate event whose index entry holds every index row. A row or event that \
            fails a check is named and nothing is migrated (exit 3). Run once; running it again says so.

            Example: amanah migrate -C vault -i custodian-1.key
            """)
    @OptionGroup var options: VaultOptions

    func run() throws {
        let session = try options.openSession(writesSecrets: true)
        let report: MigrationReport
        do {
            report = try session.migrateIndex(confirm: VaultOptions.confirmTrustAtTerminal)
        } catch VaultError.integrity(let detail) {
            for line in detail.split(separator: "\n").dropFirst() { Terminal.output("problem: \(line)") }
            throw CLIError(String(detail.split(separator: "\n").first ?? ""), exitCode: CLIError.verificationFailed)
        }
        rememberState(session.vault)
        if report.alreadyMigrated {
            Terminal.message("the vault's index is bound to signed entries already; nothing to migrate")
            return
        }
        for (table, count) in report.rows where count > 0 { Terminal.output("\(table): \(count) row\(count == 1 ? "" : "s")") }
        Terminal.output("migrated: audit event \(report.event) signs every index row (\(report.recordsOpened) records opened and checked, \(report.recordsSealed) sealed to compartments you do not hold, checked at every read)")
    }
}

struct ItemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "item", abstract: "Item markings.", subcommands: [ItemClassify.self])
}

struct ItemClassify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify", abstract: "Set an item's classification (one of the policy's classifications), which the policy's conditions read with its case's.",
        discussion: "The higher of the item's and its case's classification counts (a case's is set with case update). Example: amanah item classify I-49R882QA9A restricted -C vault -i investigator.key")
    @Argument(help: ArgumentHelp("The item.", valueName: "ITEM")) var item: String
    @Argument(help: ArgumentHelp("The classification (amanah policy show lists them).", valueName: "LEVEL")) var level: String
    @OptionGroup var options: VaultOptions
    func run() throws {
        let session = try options.openSession(writesSecrets: true)
        try session.classifyItem(item, level: level)
        rememberState(session.vault)
        Terminal.message("item \(item) classified \(level)")
    }
}
