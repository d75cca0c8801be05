import Foundation
import VaultCrypto
import VaultPlatform

/// The remotes of one vault folder (`remotes.json` in it): where each shares the vault, never how to log in.
/// Credentials come from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`) or a credentials
/// file named here, and are never stored (`RemoteCredentials.load`). The file is local to the folder (a clone's
/// `origin` is its own), not part of what the log signs.
public struct RemoteConfig: Codable, Equatable, Sendable {
    /// One remote.
    public struct Remote: Codable, Equatable, Sendable {
        public var name: String
        /// `s3://BUCKET[/PREFIX]` or `file:///PATH`.
        public var url: String
        /// S3 only: the endpoint (`http(s)://HOST[:PORT]`), path-style.
        public var endpoint: String?
        /// S3 only.
        public var region: String?
        /// Object Lock retention (compliance mode) of every object written, in days; nil for none.
        public var objectLockDays: Int?
        /// A credentials file (its path, never its content).
        public var credentialsFile: String?
        /// For a field collector's write-only remote: this client's name in the remote's inbox (16 hex digits,
        /// `inbox/<client>/`); nil for a remote this client reads.
        public var inbox: String?

        /// Memberwise.
        public init(name: String, url: String, endpoint: String? = nil, region: String? = nil, objectLockDays: Int? = nil, credentialsFile: String? = nil,
                    inbox: String? = nil) {
            self.name = name; self.url = url; self.endpoint = endpoint; self.region = region
            self.objectLockDays = objectLockDays; self.credentialsFile = credentialsFile; self.inbox = inbox
        }

        /// The S3 location, for an `s3://` remote.
        /// - Throws: `RemoteError.invalidURL`.
        public func s3Location() throws -> S3Location {
            try S3Location(url: url, endpoint: endpoint ?? "https://s3.\(region ?? "us-east-1").amazonaws.com", region: region ?? "")
        }

        /// The folder of a `file://` remote.
        public var folder: String? { url.hasPrefix("file://") ? String(url.dropFirst("file://".count)) : nil }
    }

    public static let fileName = "remotes.json"
    public var format = "amanah-remotes-v1"
    public var remotes: [Remote] = []

    public init() {}

    /// The remotes of the vault folder `vault` (none when the file does not exist).
    /// - Throws: `RemoteError.invalidURL` naming the file when it does not parse; I/O errors.
    public static func load(vault: String) throws -> RemoteConfig {
        let path = vault + "/" + fileName
        guard DurableFile.exists(path) else { return RemoteConfig() }
        let bytes = try DurableFile.readAll(path, limit: 1 << 20)
        do {
            let config = try JSONDecoder().decode(RemoteConfig.self, from: Data(bytes))
            guard config.format == "amanah-remotes-v1" else { throw RemoteError.invalidURL(path, "is not an Amanah remotes file") }
            return config
        } catch let error as RemoteError { throw error } catch {
            throw RemoteError.invalidURL(path, "does not parse: \(error)")
        }
    }

    /// Writes the file durably (replacing it whole).
    /// - Throws: I/O errors.
    public func save(vault: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let bytes = Array(try encoder.encode(self)) + [0x0A]
        try DurableFile.write(to: vault + "/" + Self.fileName, mode: 0o644, overwrite: true) { handle in
            try bytes.withUnsafeBytes { try handle.write($0) }
        }
    }

    /// Checks a new remote: a name of 1 to 32 letters, digits, "-" or "_", not taken; an `s3://` URL with a
    /// region (given or from `AWS_DEFAULT_REGION`), or a `file:///` URL of an existing folder; a lock of 1 to
    /// 36,500 days.
    /// - Throws: `RemoteError.invalidURL` naming the field and what is wrong.
    public func validated(_ remote: Remote) throws -> Remote {
        var remote = remote
        guard (1...32).contains(remote.name.count), remote.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw RemoteError.invalidURL("NAME", "\(remote.name) is not 1 to 32 letters, digits, - or _")
        }
        guard !remotes.contains(where: { $0.name == remote.name }) else { throw RemoteError.invalidURL("NAME", "a remote named \(remote.name) exists already") }
        if let days = remote.objectLockDays, !(1...36_500).contains(days) {
            throw RemoteError.invalidURL("--object-lock-days", "\(days) is not between 1 and 36500")
        }
        if remote.url.hasPrefix("s3://") {
            _ = try remote.s3Location()
        } else if let folder = remote.folder {
            guard folder.hasPrefix("/") else { throw RemoteError.invalidURL(remote.url, "a folder remote is file:///ABSOLUTE/PATH") }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw RemoteError.invalidURL(remote.url, "the folder \(folder) does not exist (Amanah does not create it)")
            }
            guard remote.endpoint == nil, remote.region == nil, remote.credentialsFile == nil else {
                throw RemoteError.invalidURL(remote.url, "a folder remote takes no --endpoint, --region or --credentials-file")
            }
            guard remote.objectLockDays == nil else {
                throw RemoteError.invalidURL(remote.url, "a folder cannot hold an Object Lock retention (--object-lock-days is for S3 buckets)")
            }
        } else {
            throw RemoteError.invalidURL(remote.url, "a remote is s3://BUCKET[/PREFIX] or file:///PATH")
        }
        return remote
    }
}

extension RemoteCredentials {
    /// The credentials for `remote`: from its credentials file (an AWS-style file with `[default]` and
    /// `aws_access_key_id`, `aws_secret_access_key`, optionally `aws_session_token`; readable by its owner
    /// only), else from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`).
    /// - Throws: `RemoteError.credentials` saying what is missing; what reading the file throws (a file others
    ///   can read is refused).
    public static func load(for remote: RemoteConfig.Remote, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RemoteCredentials {
        if let file = remote.credentialsFile {
            let text = String(decoding: try DurableFile.readSecret(file, limit: 64 << 10), as: UTF8.self)
            var values: [String: String] = [:]
            var section = ""
            for line in text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if line.hasPrefix("[") { section = line.trimmingCharacters(in: CharacterSet(charactersIn: "[]")); continue }
                guard section == "default", let equals = line.firstIndex(of: "=") else { continue }
                values[line[..<equals].trimmingCharacters(in: .whitespaces)] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            }
            guard let id = values["aws_access_key_id"], var secret = values["aws_secret_access_key"].map({ Array($0.utf8) }) else {
                throw RemoteError.noCredentials("\(file) has no [default] aws_access_key_id and aws_secret_access_key")
            }
            return RemoteCredentials(accessKeyID: id, secretAccessKey: SecretBox(SecretBytes(consuming: &secret)), sessionToken: values["aws_session_token"])
        }
        guard let id = environment["AWS_ACCESS_KEY_ID"], var secret = environment["AWS_SECRET_ACCESS_KEY"].map({ Array($0.utf8) }) else {
            throw RemoteError.noCredentials("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give the remote a --credentials-file")
        }
        return RemoteCredentials(accessKeyID: id, secretAccessKey: SecretBox(SecretBytes(consuming: &secret)), sessionToken: environment["AWS_SESSION_TOKEN"])
    }
}
