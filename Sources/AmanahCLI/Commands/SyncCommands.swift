import ArgumentParser
import Foundation
internal import Vault
internal import VaultPlatform
internal import VaultRemote
internal import VaultSync
import VaultGovernance

/// Opens the store a remote names (credentials from the environment or its credentials file, for S3).
/// - Throws: `CLIError` naming the remote and what is wrong.
func openStore(_ remote: RemoteConfig.Remote) throws -> any RemoteStore {
    do {
        if let folder = remote.folder { return try FolderStore(root: folder) }
        let credentials = try RemoteCredentials.load(for: remote)
        let client = S3Client(location: try remote.s3Location(), credentials: credentials)
        return S3Store(client: client, retentionDays: remote.objectLockDays)
    } catch let error as RemoteError {
        throw CLIError("remote \(remote.name): \(error)")
    }
}

/// What this client's memory of a remote is filed under: where it is (its URL and endpoint), not its name,
/// which anyone who can write remotes.json could change to make the client forget what the remote held.
func remoteKey(_ remote: RemoteConfig.Remote) -> String {
    remote.url + (remote.endpoint.map { " " + $0 } ?? "")
}

/// Runs a sync and prints what moved; maps refusals to exit 3.
func runSync(vault: Vault, remote: RemoteConfig.Remote, store: any RemoteStore, metadataOnly: Bool,
             identity: @escaping (String) throws -> IdentityBox?, sequencer: (() throws -> IdentityBox?)? = nil) throws -> SyncReport {
    let engine = SyncEngine(vault: vault, remoteName: remoteKey(remote), store: store, identity: identity, metadataOnly: metadataOnly)
    engine.sequencer = sequencer
    if Terminal.verbosity == .verbose { engine.progress = { Terminal.message($0) } }
    let phases = PhasedProgress()
    engine.steps = { phases.step($0, $1, $2, $3) }
    defer { phases.finish() }
    do {
        let report = try engine.run()
        phases.finish()
        func count(_ n: Int, _ one: String, _ many: String) -> String { "\(n) " + (n == 1 ? one : many) }
        var line = "\(remote.name): sent " + count(report.sent, "entry", "entries") + " and " + count(report.blobsSent, "blob", "blobs")
        line += " (\(report.bytesSent) bytes), received " + count(report.received, "entry", "entries") + " and "
        line += count(report.blobsReceived, "blob", "blobs") + " (\(report.bytesReceived) bytes)"
        if report.checkpointsSent + report.checkpointsReceived > 0 {
            line += ", checkpoints: " + count(report.checkpointsSent, "sent", "sent") + ", " + count(report.checkpointsReceived, "received", "received")
        }
        if report.rebased > 0 { line += ", " + count(report.rebased, "event", "events") + " of this vault moved after others'" }
        if report.resumedParts > 0 { line += ", an unfinished upload resumed (" + count(report.resumedParts, "part", "parts") + " already there)" }
        if report.blobsLeft > 0 { line += ", " + count(report.blobsLeft, "blob", "blobs") + " not on the remote yet" }
        if report.sequenced > 0 { line += ", " + count(report.sequenced, "collector's entry", "collectors' entries") + " placed from the inbox" }
        if report.inboxWaiting > 0 {
            line += ", " + count(report.inboxWaiting, "inbox object waits", "inbox objects wait") + " for a member to place them (sync with -i)"
        }
        Terminal.output(line + "; \(report.shared) entries in common")
        if let problem = report.retentionProblem { Terminal.warning(problem) }
        for problem in report.problems { Terminal.warning(problem) }
        return report
    } catch let error as SyncError {
        throw CLIError(error.description, exitCode: CLIError.verificationFailed)
    } catch let error as RemoteError {
        throw CLIError("remote \(remote.name): \(error)")
    }
}

struct Sync: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Send what a remote lacks and receive what this vault lacks, checking everything received.",
        discussion: """
            Entries (signed audit events with their index entries and governance entries) and sealed blobs travel; \\
            the remote holds nothing else. Every entry received is checked (signature by a member at its governance \\
            position, chain link, quorum signatures of governance entries, entry hash and scope, blob sizes) before \\
            it enters the index. A remote that went back, lost or rewrote an entry, or holds anything that does not \\
            verify is refused (exit 3) and nothing is changed. When another client placed entries first, this \\
            vault's unsent ones are signed again after them (-i KEY of their writer).

            Example: amanah sync origin -C vault -i investigator.key
            """)
    @Argument(help: ArgumentHelp("The remote's name (default: the only remote, or origin).", valueName: "NAME")) var name: String?
    @Flag(name: .customLong("metadata-only"), help: "Receive entries only, no sealed blobs.") var metadataOnly = false
    @OptionGroup var options: VaultOptions

    func run() throws {
        let path = try options.global.vaultPath()
        let config: RemoteConfig
        do { config = try RemoteConfig.load(vault: path) } catch let error as RemoteError { throw CLIError("\(error)") }
        let remote: RemoteConfig.Remote
        if let name {
            guard let found = config.remotes.first(where: { $0.name == name }) else {
                throw CLIError("no remote named \(name) (remotes: \(config.remotes.map(\.name).joined(separator: ", ")))", hint: "add one with `amanah remote add NAME URL`")
            }
            remote = found
        } else if config.remotes.count == 1 {
            remote = config.remotes[0]
        } else if let origin = config.remotes.first(where: { $0.name == "origin" }) {
            remote = origin
        } else {
            throw CLIError(config.remotes.isEmpty ? "this vault has no remote" : "name the remote to sync with (remotes: \(config.remotes.map(\.name).joined(separator: ", ")))",
                           hint: "add one with `amanah remote add NAME URL`", exitCode: CLIError.usage)
        }
        let vault = try options.openVault()
        let store = try openStore(remote)
        defer { store.close() }
        if let client = remote.inbox {
            try sendToInbox(vault: vault, remote: remote, client: client, store: store)
            return
        }
        _ = try runSync(vault: vault, remote: remote, store: store, metadataOnly: metadataOnly, identity: options.global.writerIdentities(),
                        sequencer: options.global.sequencerIdentity())
    }
}

struct Clone: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clone", abstract: "Join a vault from its remote: a new vault folder with the remote as origin.",
        discussion: """
            The vault id is required (given to you out of band, as for a new client): a remote holding another \\
            vault is refused. Credentials as for `remote add`. The folder is created (it must not exist, or be empty).

            Example: amanah clone s3://evidence/caesar laptop --expect-vault 3f1c…9a2e --endpoint https://s3.example.org --metadata-only
            """)
    @Argument(help: ArgumentHelp("s3://BUCKET[/PREFIX] or file:///PATH.", valueName: "URL")) var url: String
    @Argument(help: ArgumentHelp("The new vault folder.", valueName: "DIR")) var directory: String
    @Option(name: .customLong("expect-vault"), help: ArgumentHelp("The vault's id (64 hex digits).", valueName: "ID")) var expectVault: String
    @Option(help: ArgumentHelp("The S3 endpoint, http(s)://HOST[:PORT] (path-style).", valueName: "URL")) var endpoint: String?
    @Option(help: ArgumentHelp("The S3 region (default: AWS_DEFAULT_REGION).", valueName: "R")) var region: String?
    @Option(name: .customLong("credentials-file"), help: ArgumentHelp("An AWS-style credentials file ([default] section).", valueName: "FILE"))
    var credentialsFile: String?
    @Flag(name: .customLong("metadata-only"), help: "Receive entries only, no sealed blobs.") var metadataOnly = false
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let path = global.vault ?? directory
        let remote: RemoteConfig.Remote
        do {
            let region = url.hasPrefix("s3://") ? (region ?? ProcessInfo.processInfo.environment["AWS_DEFAULT_REGION"]) : region
            remote = try RemoteConfig().validated(.init(name: "origin", url: url, endpoint: endpoint, region: region, credentialsFile: credentialsFile))
        } catch let error as RemoteError { throw CLIError("\(error)", exitCode: CLIError.usage) }
        let store = try openStore(remote)
        defer { store.close() }
        do { try CloneVault.create(at: path, from: store, expectedVaultID: expectVault) } catch let error as SyncError {
            throw CLIError(error.description, exitCode: CLIError.verificationFailed)
        } catch let error as RemoteError { throw CLIError("remote origin: \(error)") }
        var config = RemoteConfig()
        config.remotes.append(remote)
        try config.save(vault: path)
        let vault = try Vault.open(path: path, options: .init(expectedVaultID: expectVault))
        _ = try runSync(vault: vault, remote: remote, store: store, metadataOnly: metadataOnly, identity: global.writerIdentities(),
                        sequencer: global.sequencerIdentity())
        Terminal.message("vault \(vault.vaultIDHex) cloned into \(path), with remote origin \(url)")
    }
}

/// Sends this field collector's events and blobs to the remote's inbox and prints what moved; maps refusals
/// to exit 3.
func sendToInbox(vault: Vault, remote: RemoteConfig.Remote, client: String, store: any RemoteStore) throws {
    let engine = SyncEngine(vault: vault, remoteName: remoteKey(remote), store: store, identity: { _ in nil }, metadataOnly: true)
    if Terminal.verbosity == .verbose { engine.progress = { Terminal.message($0) } }
    do {
        let report = try engine.sendToInbox(client: client)
        guard let key = report.submission else {
            Terminal.output("\(remote.name): nothing to send to the inbox")
            return
        }
        Terminal.output("\(remote.name): sent \(report.sent) \(report.sent == 1 ? "entry" : "entries") and \(report.blobsSent) \(report.blobsSent == 1 ? "blob" : "blobs") (\(report.bytesSent) bytes) to \(key); this machine keeps none of them (\(report.blobsForgotten) sealed \(report.blobsForgotten == 1 ? "blob" : "blobs") removed)")
    } catch let error as SyncError {
        throw CLIError(error.description, exitCode: CLIError.verificationFailed)
    } catch let error as RemoteError {
        throw CLIError("remote \(remote.name): \(error)")
    }
}

/// Lets a vault folder that lacks a sealed blob (a `--metadata-only` clone) fetch it from its remote (the
/// only one, or origin) when a command first reads it; the blob is checked as `sync` checks it.
func installBlobSource(_ vault: Vault) {
    guard let config = try? RemoteConfig.load(vault: vault.paths.root),
          let remote = config.remotes.count == 1 ? config.remotes.first : config.remotes.first(where: { $0.name == "origin" }) else { return }
    vault.blobs.source.fetch = { id in
        let store = try openStore(remote)
        defer { store.close() }
        let engine = SyncEngine(vault: vault, remoteName: remoteKey(remote), store: store, identity: { _ in nil }, metadataOnly: false)
        do { return try engine.fetchBlob(id: id) } catch let error as SyncError {
            throw CLIError(error.description, exitCode: CLIError.verificationFailed)
        }
    }
}
