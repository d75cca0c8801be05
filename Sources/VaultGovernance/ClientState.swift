import VaultPlatform
import VaultPolicy
import Foundation
import VaultCrypto

/// What this client remembers about vaults, outside them (`$XDG_STATE_HOME/amanah/`, else
/// `~/.local/state/amanah/`): the vault id pinned to each folder, and per vault the newest governance and
/// audit state seen. A vault that went back is refused (rollback).
public struct ClientState: Codable, Equatable, Sendable {
    /// Number of governance entries seen.
    public var governanceLength: Int
    /// Hash of the newest governance entry seen (hex).
    public var governanceHead: String
    /// Number of audit events seen.
    public var auditSize: Int
    /// Leaf hash of the newest audit event seen (hex).
    public var auditHead: String
    /// The newest checkpoint this client saw or cosigned (signed-note text), if any.
    public var checkpoint: String?
    /// The trailing run of changes this client made itself, when the newest ones it saw are its own: so that a
    /// vault that lacks exactly those (a database restored from a backup, a power failure) is told apart from
    /// a rollback by someone else. Nil when the newest change seen was someone else's, or the run is too long.
    public var own: OwnChanges?
    /// Per remote (its name and URL): how many events this client shared with it and the newest one's leaf
    /// hash (hex), so that a remote that went back is seen even when the vault folder's own memory of it
    /// (`remoteSync`) was changed.
    public var remotes: [String: RemoteMemory]?

    /// How far a remote held this vault's log when this client last synced with it.
    public struct RemoteMemory: Codable, Equatable, Sendable {
        public var shared: Int
        public var leafHash: String
        public init(shared: Int, leafHash: String) { self.shared = shared; self.leafHash = leafHash }
    }

    /// The vault's position before a run of changes made through this client state, and the hashes of the
    /// entries and events of the run, in order.
    public struct OwnChanges: Codable, Equatable, Sendable {
        /// Governance length and head (hex) before the run.
        public var governanceLength: Int
        public var governanceHead: String
        /// Audit size and head leaf hash (hex) before the run.
        public var auditSize: Int
        public var auditHead: String
        /// Hashes (hex) of the governance entries the run added, in chain order.
        public var governanceHashes: [String]
        /// Leaf hashes (hex) of the audit events the run added, in log order.
        public var auditLeafHashes: [String]
        /// The (audit size, governance length) after each command of the run: the only positions a database
        /// copy taken between this client's commands can have. A vault at any other position (say, its
        /// governance cut back while its audit log is whole) is not a lost run of own changes.
        public var positions: [[Int]]

        /// The longest run remembered (events); a longer one is forgotten, and its loss reads as a rollback.
        public static let limit = 4096

        /// A run starting at the given position, with the hashes and positions seen so far.
        public init(governanceLength: Int, governanceHead: String, auditSize: Int, auditHead: String,
                    governanceHashes: [String], auditLeafHashes: [String], positions: [[Int]]) {
            self.governanceLength = governanceLength; self.governanceHead = governanceHead
            self.auditSize = auditSize; self.auditHead = auditHead
            self.governanceHashes = governanceHashes; self.auditLeafHashes = auditLeafHashes; self.positions = positions
        }
    }

    public init(governanceLength: Int, governanceHead: String, auditSize: Int, auditHead: String, checkpoint: String? = nil,
                own: OwnChanges? = nil) {
        self.governanceLength = governanceLength; self.governanceHead = governanceHead
        self.auditSize = auditSize; self.auditHead = auditHead; self.checkpoint = checkpoint; self.own = own
    }

    /// The state folder.
    public static var folder: String {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_STATE_HOME"], xdg.hasPrefix("/") { return xdg + "/amanah" }
        let home = env["HOME"] ?? NSHomeDirectory()
        return home + "/.local/state/amanah"
    }

    /// The path of the client state file of vault `vaultID` (32 bytes) under `folder`.
    static func vaultFile(_ vaultID: [UInt8]) -> String { folder + "/vaults/" + Hex.encode(vaultID) + ".json" }
    static var pinsFile: String { folder + "/pins.json" }

    /// The remembered state of a vault, if this client has seen it.
    /// - Throws: `VaultError.failed` if the state file exists but cannot be read.
    public static func load(vaultID: [UInt8]) throws -> ClientState? {
        let path = vaultFile(vaultID)
        guard DurableFile.exists(path) else { return nil }
        do { return try JSONDecoder().decode(ClientState.self, from: Data(DurableFile.readAll(path, limit: 1 << 20))) } catch {
            throw VaultError.failed("cannot read client state \(path): \(error)")
        }
    }

    /// Saves the remembered state of a vault (atomically, mode 0600).
    public func save(vaultID: [UInt8]) throws {
        try ClientState.ensureFolders()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = Array(try encoder.encode(self))
        try DurableFile.write(to: ClientState.vaultFile(vaultID), mode: 0o600, overwrite: true) { handle in
            try data.withUnsafeBytes { try handle.write($0) }
        }
    }

    /// Checks that the vault at `folder` still has the id pinned to it, and pins it on first sight.
    /// - Throws: `VaultError.rollback` if the folder now holds a different vault.
    public static func checkPin(folder canonical: String, vaultID: [UInt8]) throws {
        var pins: [String: String] = [:]
        if DurableFile.exists(pinsFile) {
            do { pins = try JSONDecoder().decode([String: String].self, from: Data(DurableFile.readAll(pinsFile, limit: 16 << 20))) } catch {
                throw VaultError.failed("cannot read the pinned vault ids in \(pinsFile) (\(error)); refusing to forget them — repair or remove the file deliberately")
            }
        }
        let id = Hex.encode(vaultID)
        if let pinned = pins[canonical] {
            guard pinned == id else {
                throw VaultError.rollback("\(canonical) held vault \(pinned.prefix(16))… and now holds \(id.prefix(16))…; the genesis was replaced")
            }
            return
        }
        pins[canonical] = id
        try ensureFolders()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = Array(try encoder.encode(pins))
        try DurableFile.write(to: pinsFile, mode: 0o600, overwrite: true) { handle in try data.withUnsafeBytes { try handle.write($0) } }
    }

    static var trustFile: String { folder + "/trusted.json" }

    /// How this client came to trust a vault: it created it (`init`), was told its id (`--expect-vault`,
    /// `AMANAH_EXPECT_VAULT`), or a person confirmed its id and custodians at a terminal.
    public enum Trust: String, Codable, Sendable {
        case created, expected, confirmed
    }

    /// Whether this client trusts vault `vaultID` (32 bytes) with secrets: evidence, records, governance.
    /// - Throws: `VaultError.failed` when the trust file exists but cannot be read.
    public static func trusts(vaultID: [UInt8]) throws -> Bool {
        try trustedVaults()[Hex.encode(vaultID)] != nil
    }

    /// Records that this client trusts vault `vaultID` (32 bytes), and how (written atomically, mode 0600).
    /// Trust is never withdrawn here: a vault id is trusted, whatever folder holds it (the folder is pinned
    /// separately, `checkPin`).
    /// - Throws: `VaultError.failed` for an unreadable trust file; I/O errors writing it.
    public static func trust(vaultID: [UInt8], how: Trust) throws {
        var trusted = try trustedVaults()
        guard trusted[Hex.encode(vaultID)] == nil else { return }
        trusted[Hex.encode(vaultID)] = how
        try ensureFolders()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = Array(try encoder.encode(trusted))
        try DurableFile.write(to: trustFile, mode: 0o600, overwrite: true) { handle in try data.withUnsafeBytes { try handle.write($0) } }
    }

    private static func trustedVaults() throws -> [String: Trust] {
        guard DurableFile.exists(trustFile) else { return [:] }
        do { return try JSONDecoder().decode([String: Trust].self, from: Data(DurableFile.readAll(trustFile, limit: 16 << 20))) } catch {
            throw VaultError.failed("cannot read the trusted vault ids in \(trustFile) (\(error)); refusing to forget them — repair or remove the file deliberately")
        }
    }

    private static func ensureFolders() throws {
        try FileManager.default.createDirectory(atPath: folder + "/vaults", withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }
}
