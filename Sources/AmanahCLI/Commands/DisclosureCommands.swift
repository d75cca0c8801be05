internal import VaultText
internal import VaultDisclosure
internal import VaultPlatform
import VaultDisclosureUseCases
import ArgumentParser
internal import VaultSync
internal import VaultStore
internal import VaultRemote
import Foundation
internal import Vault
internal import VaultCrypto
internal import VaultFormats
internal import VaultImaging
import VaultGovernance

struct Disclose: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Release evidence to a registered recipient: propose, approve, issue.",
        subcommands: [DiscloseBundlePropose.self, DiscloseApprove.self, DiscloseIssue.self, DiscloseStatus.self])
}

/// The sandboxed derivative maker (this binary in its key-less child mode).
func derivativeMaker() throws -> SandboxClient {
    guard let client = SandboxClient.currentExecutable() else { throw CLIError("cannot find this program's own executable for the sandbox") }
    return client
}

func readRequest(_ path: String) throws -> DisclosureRequest {
    let bytes = try DurableFile.readAll(path, limit: 64 << 20)
    return try DisclosureRequest(fileContents: bytes, source: path)
}

func writeRequest(_ request: DisclosureRequest, to path: String, overwrite: Bool) throws {
    let bytes = try request.fileContents()
    do {
        try DurableFile.write(to: path, mode: 0o644, overwrite: overwrite) { handle in try bytes.withUnsafeBytes { try handle.write($0) } }
    } catch { throw CLIError("cannot write \(path): \(error)") }
}

struct DiscloseBundlePropose: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "propose", abstract: "Compute the exact release plan and sign it as the requester (counts as your approval).",
        discussion: "Example: amanah disclose propose --to \"Demo Tribunal\" --profile tribunal-protected --case C-1 --basis-file basis.txt -o req.json -C vault -i legal.key")
    @Option(name: .customLong("to"), help: ArgumentHelp("The registered recipient.", valueName: "NAME")) var recipient: String
    @Option(name: .customLong("profile"), help: ArgumentHelp("The redaction profile.", valueName: "P")) var profile: String
    @Option(name: .customLong("case"), parsing: .upToNextOption, help: ArgumentHelp("Release every item of these cases.", valueName: "C")) var cases: [String] = []
    @Option(name: .customLong("items"), parsing: .upToNextOption, help: ArgumentHelp("Release these items.", valueName: "I")) var items: [String] = []
    @Option(name: .customLong("basis-file"), help: ArgumentHelp("A text file stating the legal basis.", valueName: "F")) var basisFile: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the request.", valueName: "REQ")) var output: String
    @OptionGroup var options: VaultOptions

    func validate() throws {
        guard !cases.isEmpty || !items.isEmpty else { throw ValidationError("name --case C... or --items I...") }
    }

    func run() throws {
        if DurableFile.exists(output) { throw CLIError("\(output) exists; not overwriting it") }
        let basisBytes = try DurableFile.readAll(basisFile, limit: 1 << 20)
        guard let basis = String(validating: basisBytes, as: UTF8.self) else { throw CLIError("\(basisFile): is not UTF-8 text") }
        let session = try options.openSession()
        let progress = ProgressReporter("computing", unit: "items")
        let request = try session.proposeDisclosure(recipient: recipient, profile: profile, caseIDs: cases, itemIDs: items,
                                                    basis: basis, derivatives: try derivativeMaker(), progress: progress.callback)
        progress.finish()
        try writeRequest(request, to: output, overwrite: false)
        rememberState(session.vault)
        for line in try session.describe(request) { Terminal.message(line) }
        Terminal.message("request written to \(output); it needs the approvals the policy asks for (amanah disclose approve)")
    }
}

struct DiscloseStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Where releases stand: every issued bundle, one bundle, or a request's approvals.",
        discussion: """
        Without an argument, lists every bundle the signed log records as issued (no identity needed). With a \
        bundle id (DT-0001), that bundle. With a request file, its approvals as the policy counts them, what is \
        still missing, and its bundle once issued (needs -i).

        Example: amanah disclose status req.json -C vault -i legal.key
        """)
    @Argument(help: ArgumentHelp("A request file or a bundle id.", valueName: "REQ|BUNDLE-ID")) var target: String?
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var options: VaultOptions

    func run() throws {
        guard let target else {
            let issued = try options.openVault().issuedDisclosures()
            if json { try printJSON(issued); return }
            for bundle in issued { Terminal.output(line(bundle)) }
            if issued.isEmpty { Terminal.message("no bundle has been issued") }
            return
        }
        if !DurableFile.exists(target) {
            guard let bundle = try options.openVault().issuedDisclosures().first(where: { $0.bundle == target }) else {
                throw CLIError("\(target) is neither a request file nor a bundle this vault issued", exitCode: CLIError.notFound)
            }
            if json { try printJSON(bundle) } else { Terminal.output(line(bundle)) }
            return
        }
        let request = try readRequest(target)
        let session = try options.openSession()
        let status = try session.requestStatus(request)
        if json { try printJSON(status); return }
        Terminal.output("plan \(status.planSHA256): \(status.items) item\(status.items == 1 ? "" : "s") to \(TerminalText.escaped(status.recipient)) under profile \(status.profile), requested by \(status.requester)")
        for signer in status.approvals { Terminal.output("approved by \(signer.keyID)" + (signer.role.map { " (\($0))" } ?? "")) }
        for problem in status.problems { Terminal.output("not counted: \(problem)") }
        if let issued = status.issued {
            Terminal.output("issued as \(issued.bundle) at \(issued.issuedAt) by \(issued.issuer) (audit event \(issued.event))")
        } else if status.complete {
            Terminal.output("approved in full; not issued yet (amanah disclose issue)")
        } else {
            Terminal.output("not approved in full: \(status.missing ?? status.problems.joined(separator: "; "))")
        }
    }

    private func line(_ bundle: IssuedDisclosure) -> String {
        [bundle.bundle, TerminalText.escaped(bundle.recipient), bundle.items.map { "\($0) item\($0 == 1 ? "" : "s")" } ?? "row missing",
         bundle.issuedAt, "by " + bundle.issuer, "event \(bundle.event)"].joined(separator: "\t")
    }
}

struct DiscloseApprove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "approve", abstract: "Show a release plan in plain words and sign it in place.",
        discussion: "Example: amanah disclose approve req.json -C vault -i legal-2.key")
    @Argument(help: ArgumentHelp("The request file.", valueName: "REQ")) var file: String
    @Flag(name: .customLong("yes"), help: "Do not ask for confirmation on a terminal.") var yes = false
    @OptionGroup var options: VaultOptions

    func run() throws {
        let request = try readRequest(file)
        let session = try options.openSession()
        try confirmAndSign(
            showing: try session.describe(request),
            question: "approve this release?", yes: yes, vault: session.vault,
            sign: {
                let progress = ProgressReporter("checking", unit: "items")
                defer { progress.finish() }
                return try session.approveDisclosure(request, derivatives: try derivativeMaker(), progress: progress.callback)
            },
            write: { try writeRequest($0, to: file, overwrite: true) },
            done: { "approved; \($0.signatures.count) signatures" })
    }
}

struct DiscloseIssue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue", abstract: "Recompute the approved plan, build the signed bundle and encrypt it to the recipient.",
        discussion: "The bundle is written completely (and checked where the file system needs a copy) before the issue is recorded. Beside it, NAME.txt (for NAME.tar.age) tells the tribunal's clerk what the file is, who issued it, its production numbers and the stock steps to check it, in English and Arabic. With --again, a request issued before is written again with the same production numbers (when its file was lost); audited as disclosure.reissue.\n\nExample: amanah disclose issue req.json -o DT-0001.tar.age -C vault -i legal.key")
    @Argument(help: ArgumentHelp("The approved request file.", valueName: "REQ")) var file: String
    @Option(name: .shortAndLong, help: ArgumentHelp("The bundle to write (BUNDLE.tar.age); never overwritten.", valueName: "BUNDLE")) var output: String
    @Flag(name: .customLong("again"), help: "Write the bundle of a request issued before again, with the same production numbers.") var again = false
    @OptionGroup var options: VaultOptions

    func run() throws {
        let request = try readRequest(file)
        if DurableFile.exists(output) {
            throw CLIError("\(output) exists already; a bundle is never written over a file",
                           hint: "choose another name (if an interrupted issue left it there, amanah audit log shows whether it was recorded)")
        }
        let notePath = ClerkNote.path(forBundle: output)
        if !again && DurableFile.exists(notePath) {
            throw CLIError("\(notePath) exists already; the clerk's note beside the bundle is never written over a file", hint: "choose another name for the bundle")
        }
        var session = try options.openSession()
        if !again, let remote = defaultRemote(of: session.vault) {
            session = try reserveInSharedLog(request, session: session, remote: remote)
        }
        let progress = ProgressReporter("checking and writing", unit: "steps")
        let issued = try session.issueDisclosure(request, outputPath: output, derivatives: try derivativeMaker(), again: again,
                                                 progress: progress.callback)
        progress.finish()
        rememberState(session.vault)
        // The note is a convenience beside the issued bundle: if it cannot be written, the issue stands.
        do {
            let bytes = Array(issued.note.utf8)
            try DurableFile.write(to: notePath, mode: 0o644, overwrite: again) { handle in try bytes.withUnsafeBytes { try handle.write($0) } }
            Terminal.message("wrote \(notePath): what the bundle is and how to check it with stock tools (English and Arabic)")
        } catch {
            Terminal.warning("the bundle was issued, but \(notePath) could not be written: \(error)")
        }
        for leftover in issued.removedLeftovers { Terminal.message("removed \(leftover), a partial file of an interrupted write") }
        let range = "\(issued.productionNumbers.first ?? "")…\(issued.productionNumbers.last ?? "")"
        if again {
            Terminal.message("wrote bundle \(issued.bundle) again with \(issued.itemCount) item\(issued.itemCount == 1 ? "" : "s") (\(range)) to \(output)")
            Terminal.message(issued.sameManifest
                             ? "its manifest is the one recorded at issue (sha256 \(issued.manifestSHA256)); only the encryption differs"
                             : "its manifest differs from the one recorded at issue (issuer, roles or a record from an older version); the new one (sha256 \(issued.manifestSHA256)) is in the disclosure.reissue event")
        } else {
            Terminal.message("issued bundle \(issued.bundle) with \(issued.itemCount) item\(issued.itemCount == 1 ? "" : "s") (\(range)) to \(output)")
        }
        Terminal.output(issued.bundle)
        if !again, let remote = defaultRemote(of: session.vault) {
            do { _ = try syncQuietly(session, remote: remote) } catch {
                Terminal.warning("the issue is recorded here but not yet on remote \(remote.name) (\(error)); run `amanah sync`")
            }
        }
    }

    /// Reserves the bundle number in the shared log (a team vault): sync, reserve, sync until this request's
    /// reservation is the first claim on its number there. Returns a fresh session over the synced vault.
    /// - Throws: `CLIError` when the remote cannot be reached or refused: no bundle is written offline.
    func reserveInSharedLog(_ request: DisclosureRequest, session: Session, remote: RemoteConfig.Remote) throws -> Session {
        var current = session
        func sync() throws {
            do { current = try syncQuietly(current, remote: remote) } catch let error as CLIError {
                throw CLIError("cannot issue while remote \(remote.name) cannot be reached or refuses the sync (\(error.message)); a team vault reserves a bundle's production numbers in the shared log before writing it, so that two machines never give out the same numbers",
                               hint: "issue again when the remote can be reached", exitCode: error.exitCode)
            }
        }
        try sync()
        for _ in 0..<5 {
            let reserved = try current.reserveBundleNumber(request)
            // The reservation counts once the remote holds it: its position is among those the sync shared.
            let shared = try current.vault.database.queue.read { db in try RemoteSyncRow.find(remote: remoteKey(remote), db)?.shared ?? 0 }
            if !reserved.new && Int64(reserved.event) <= shared {
                Terminal.message("bundle number \(reserved.bundleID) reserved in the shared log of remote \(remote.name)")
                return current
            }
            try sync()
        }
        throw CLIError("another machine kept taking the next bundle number of this recipient; issue again")
    }
}

/// The remote a command that must share at once uses: the only one, or origin; nil for a vault without one.
func defaultRemote(of vault: Vault) -> RemoteConfig.Remote? {
    guard let config = try? RemoteConfig.load(vault: vault.paths.root) else { return nil }
    return config.remotes.count == 1 ? config.remotes.first : config.remotes.first { $0.name == "origin" }
}

/// Syncs `session`'s vault with `remote` without printing the summary; returns a new session over the synced
/// vault (the old one's caches of the log may be stale).
/// - Throws: `CLIError` for a remote that cannot be reached or is refused.
func syncQuietly(_ session: Session, remote: RemoteConfig.Remote) throws -> Session {
    let store = try openStore(remote)
    defer { store.close() }
    let engine = SyncEngine(vault: session.vault, remoteName: remoteKey(remote), store: store, identity: { $0 == session.keyIDHex ? session.identity : nil },
                            metadataOnly: true)
    do { _ = try engine.run() } catch let error as SyncError {
        throw CLIError(error.description, exitCode: CLIError.verificationFailed)
    } catch let error as RemoteError {
        throw CLIError("remote \(remote.name): \(error)")
    }
    return try session.vault.session(for: session.identity)
}

struct RecipientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recipient", abstract: "What a registered recipient receives.",
                                                    subcommands: [RecipientKitCommand.self])
}

struct RecipientKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kit", abstract: "Write the kit a recipient pins at registration (vault id, custodians, release signers).",
        discussion: """
            The kit (JSON, public keys only) is what `amanah bundle verify --kit FILE` chains approvals and custody \
            to: the vault id, the custodians and how many of them must cosign a checkpoint, and the members whose \
            role may issue or approve a release, with their roles. Hand it over out of band and have the recipient \
            compare the fingerprint printed on standard error (read it aloud, or on paper). A custodian or a member \
            who may disclose writes it.

            Example: amanah recipient kit "Demo Tribunal" -o kit.json -C vault -i custodian-1.key
            """)
    @Argument(help: ArgumentHelp("The registered recipient.", valueName: "NAME")) var name: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the kit (must not exist).", valueName: "FILE")) var output: String
    @OptionGroup var options: VaultOptions

    func run() throws {
        if DurableFile.exists(output) { throw CLIError("\(output) exists; not overwriting it") }
        let session = try options.openSession()
        let bytes = try session.recipientKit(name).encoded()
        do {
            try DurableFile.write(to: output, mode: 0o644, overwrite: false) { handle in try bytes.withUnsafeBytes { try handle.write($0) } }
        } catch { throw CLIError("cannot write \(output): \(error)") }
        rememberState(session.vault)
        Terminal.message("recipient kit for \(name) written to \(output)")
        Terminal.message("fingerprint: \(RecipientKit.fingerprint(of: bytes))")
    }
}

struct Bundle: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Disclosure bundles.", subcommands: [BundleVerify.self])
}

struct BundleVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify a bundle without a vault (encrypted, or an extracted folder).",
        discussion: "Checks both signatures against the issuer key, every hash, missing or extra files, the approvals, commitments of released originals, and custody proofs against the checkpoint. Approvals and custody count only when they chain to the recipient kit (--kit): the approvers' and issuer's roles pinned by it or granted by entries proven in a checkpoint the pinned custodians cosigned. Without a kit the verdict is NOT VERIFIED. Exit status 2 when the bundle or the identity cannot be read or does not match (a missing file, the wrong age identity), 3 when the bundle fails verification.\n\nExample: amanah bundle verify DT-0001.tar.age -i tribunal.key --kit kit.json --issuer-key issuer.pub")
    @Argument(help: ArgumentHelp("BUNDLE.tar.age, or an extracted bundle folder.", valueName: "BUNDLE")) var bundle: String
    @Option(name: [.customShort("i"), .customLong("identity")], help: ArgumentHelp("The recipient's age identity file (AGE-SECRET-KEY-1...).", valueName: "AGE_IDENTITY_FILE")) var identity: String?
    @Option(name: .customLong("issuer-key"), help: ArgumentHelp("The issuer's minisign public key, as registered (amanah key export --minisign).", valueName: "KEY")) var issuerKey: String?
    @Option(name: .customLong("kit"), help: ArgumentHelp("The recipient kit received at registration (amanah recipient kit); without it approvals and custody are not verified.", valueName: "FILE")) var kitFile: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        var key: MinisignPublicKey? = nil
        if let issuerKey {
            let bytes = try DurableFile.readAll(issuerKey, limit: 64 << 10)
            do { key = try MinisignPublicKey(fileContents: bytes) } catch { throw CLIError("\(issuerKey): \(error)") }
        }
        var kit: RecipientKit? = nil
        var kitFingerprint: String? = nil
        if let kitFile {
            let bytes = try DurableFile.readAll(kitFile, limit: RecipientKit.maximumSize)
            do { kit = try RecipientKit.parse(bytes, source: kitFile) } catch { throw CLIError("\(error)") }
            kitFingerprint = RecipientKit.fingerprint(of: bytes)
        }
        let grantReader: BundleVerifier.RoleGrantReader = { GovernanceEntry.verifiedRoleGrant(body: $0, vaultID: $1, custodians: $2, threshold: $3) }
        var isFolder: ObjCBool = false
        var report: BundleReport
        if FileManager.default.fileExists(atPath: bundle, isDirectory: &isFolder), isFolder.boolValue {
            report = try verificationFailure { try BundleVerifier.verify(folder: bundle, issuerKey: key, kit: kit, grantReader: grantReader) }
        } else {
            guard let identity else { throw CLIError("an encrypted bundle needs the recipient's age identity", hint: "pass -i AGE_IDENTITY_FILE", exitCode: CLIError.usage) }
            let contents = try DurableFile.readSecret(identity, limit: 1 << 20)
            let identities: [AgeX25519Identity]
            do { identities = try AgeIdentityFile.parse(contents) } catch { throw CLIError("\(identity): \(error)") }
            report = try verificationFailure { try BundleVerifier.verify(encrypted: bundle, identities: identities, issuerKey: key, kit: kit, grantReader: grantReader) }
        }
        report.kit = kitFingerprint
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            var object = try JSONSerialization.jsonObject(with: encoder.encode(report)) as! [String: Any]
            object["ok"] = report.ok
            Terminal.output(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
        } else {
            Terminal.writeStandardOutput(report.render())
        }
        if !report.ok { throw CLIError("the bundle did not verify", exitCode: CLIError.verificationFailed) }
    }

    /// A bundle that is not there or cannot be read, or an identity it is not encrypted to, is unreadable
    /// input (exit 2); anything else wrong with what was read is a failed verification (exit 3).
    private func verificationFailure(_ body: () throws -> BundleReport) throws -> BundleReport {
        do { return try body() } catch let error as SystemCallError where error.isMissingOrUnreadable {
            throw CLIError("\(error)", exitCode: CLIError.notFound)
        } catch let error as DisclosureError {
            if case .notForThisIdentity = error { throw CLIError("\(error)", exitCode: CLIError.notFound) }
            throw CLIError("the bundle did not verify: \(error)", exitCode: CLIError.verificationFailed)
        } catch {
            throw CLIError("the bundle did not verify: \(error)", exitCode: CLIError.verificationFailed)
        }
    }
}
