import ArgumentParser
import Foundation
internal import VaultPlatform
internal import VaultRemote
internal import VaultCrypto

struct RemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote", abstract: "The remotes a vault folder shares the vault through (S3-compatible storage or a folder).",
        subcommands: [RemoteAdd.self, RemoteList.self, RemoteRemove.self])
}

struct RemoteAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a remote: s3://BUCKET[/PREFIX] (with --endpoint) or file:///PATH.",
        discussion: """
            Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or from \\
            --credentials-file (an AWS-style file with a [default] section, readable by its owner only); they are \\
            never taken from the command line and never stored. The region comes from --region or \\
            AWS_DEFAULT_REGION. An S3 remote is checked (bucket present, credentials that sign, clock) when \\
            credentials are at hand; Amanah never creates buckets. With --inbox, this vault folder is a field \\
            collector's: its sync sends what it made since its last read to the remote's inbox (credentials that \\
            may only write under inbox/ suffice) and keeps none of it; a member who reads places it in the log.

            Example: amanah remote add origin s3://evidence/caesar --endpoint https://s3.example.org --region eu-1 -C vault
            """)
    @Argument(help: ArgumentHelp("The remote's name (letters, digits, - or _).", valueName: "NAME")) var name: String
    @Argument(help: ArgumentHelp("s3://BUCKET[/PREFIX] or file:///PATH.", valueName: "URL")) var url: String
    @Option(help: ArgumentHelp("The S3 endpoint, http(s)://HOST[:PORT] (path-style).", valueName: "URL")) var endpoint: String?
    @Option(help: ArgumentHelp("The S3 region (default: AWS_DEFAULT_REGION).", valueName: "R")) var region: String?
    @Option(name: .customLong("object-lock-days"), help: ArgumentHelp("Write every object under an Object Lock retention of N days (compliance mode).", valueName: "N"))
    var objectLockDays: Int?
    @Option(name: .customLong("credentials-file"), help: ArgumentHelp("An AWS-style credentials file ([default] section).", valueName: "FILE"))
    var credentialsFile: String?
    @Flag(help: "A field collector's write-only remote: sync sends to its inbox and keeps nothing sent.") var inbox = false
    @OptionGroup var options: VaultOptions

    func run() throws {
        let vault = try options.global.vaultPath()
        guard DurableFile.exists(vault + "/vault.json") else { throw CLIError("\(vault) is not a vault folder (no vault.json)") }
        var config: RemoteConfig
        let remote: RemoteConfig.Remote
        do {
            config = try RemoteConfig.load(vault: vault)
            let region = url.hasPrefix("s3://") ? (region ?? ProcessInfo.processInfo.environment["AWS_DEFAULT_REGION"]) : region
            remote = try config.validated(.init(name: name, url: url, endpoint: endpoint, region: region, objectLockDays: objectLockDays,
                                                credentialsFile: credentialsFile, inbox: inbox ? Hex.encode(Random.bytes(8)) : nil))
        } catch let error as RemoteError { throw CLIError("\(error)", exitCode: CLIError.usage) }
        if url.hasPrefix("s3://") && inbox {
            Terminal.message("not checked: an inbox's credentials need not read the bucket")
        } else if url.hasPrefix("s3://") {
            do {
                let credentials = try RemoteCredentials.load(for: remote)
                let location = try remote.s3Location()
                try runBlocking {
                    let client = S3Client(location: location, credentials: credentials)
                    do { try await client.checkBucket() } catch { try? await client.shutdown(); throw error }
                    try await client.shutdown()
                }
            } catch let error as RemoteError {
                if case .noCredentials = error {
                    Terminal.message("not checked: \(error)")
                } else {
                    throw CLIError("remote \(name): \(error)")
                }
            }
        }
        config.remotes.append(remote)
        try config.save(vault: vault)
        Terminal.message("remote \(name) added: \(url)")
    }
}

struct RemoteList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the remotes (name, URL, endpoint, region, lock).",
        discussion: "Example: amanah remote list -C vault")
    @Flag(help: "Print JSON: an array with one object per remote.") var json = false
    @OptionGroup var options: VaultOptions

    /// One remote as `--json` prints it (no credential is ever stored, so none is printed).
    struct Listed: Encodable {
        var name: String, url: String, endpoint: String?, region: String?, objectLockDays: Int?, inbox: String?
    }

    func run() throws {
        let config: RemoteConfig
        do { config = try RemoteConfig.load(vault: try options.global.vaultPath()) } catch let error as RemoteError { throw CLIError("\(error)") }
        if json {
            try printJSON(config.remotes.map {
                Listed(name: $0.name, url: $0.url, endpoint: $0.endpoint, region: $0.region, objectLockDays: $0.objectLockDays, inbox: $0.inbox)
            })
            return
        }
        for remote in config.remotes {
            var columns = [remote.name, remote.url]
            columns.append(remote.endpoint ?? "-")
            columns.append(remote.region ?? "-")
            columns.append(remote.objectLockDays.map { "lock \($0)d" } ?? "-")
            if let client = remote.inbox { columns.append("inbox " + client) }
            Terminal.output(columns.joined(separator: "\t"))
        }
    }
}

struct RemoteRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a remote (nothing on the remote is touched).",
        discussion: "Example: amanah remote remove origin -C vault")
    @Argument(help: ArgumentHelp("The remote's name.", valueName: "NAME")) var name: String
    @OptionGroup var options: VaultOptions

    func run() throws {
        let vault = try options.global.vaultPath()
        var config: RemoteConfig
        do { config = try RemoteConfig.load(vault: vault) } catch let error as RemoteError { throw CLIError("\(error)") }
        guard config.remotes.contains(where: { $0.name == name }) else {
            throw CLIError("no remote named \(name) (remotes: \(config.remotes.map(\.name).joined(separator: ", ")))")
        }
        config.remotes.removeAll { $0.name == name }
        try config.save(vault: vault)
        Terminal.message("remote \(name) removed")
    }
}
